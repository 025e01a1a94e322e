/**
 * The rule text syntax, parsed by recursive descent into the same AST as JSON rules.
 *
 * ```text
 * rule      = or
 * or        = and { "or" and }
 * and       = unary { "and" unary }
 * unary     = "not" unary | primary
 * primary   = "(" rule ")" | "always" | ("and" | "or") "(" [ rule { "," rule } ] ")" | condition
 * condition = field operator [ value ] [ "ignoreCase" ]
 * ```
 *
 * Keywords and word operators are case-insensitive. Fields are dot paths (`items.0.name`), or
 * any text in backticks. Operators: `=`/`==`/`eq`, `!=`/`ne`, `>`/`gt`, `>=`/`gte`, `<`/`lt`,
 * `<=`/`lte`, `in`, `not in`/`notIn`, `contains`, `startsWith`, `endsWith`, `matches`, `exists`
 * (optionally `true`/`false`), `inCidr`/`in cidr`, `olderThan`, `newerThan`. Values: strings in
 * double or single quotes with JSON escapes, numbers, `true`, `false`, `null`, lists in
 * parentheses or brackets, regex literals `/…/i` after `matches`, durations `30d` after
 * `olderThan`/`newerThan`.
 *
 * @module
 */
import { fieldProblem } from './field-path.js';
import {
  type Rule,
  type RuleCondition,
  type RuleOperator,
  type RuleScalar,
  type RuleValue,
  ruleLimits,
} from './rule-ast.js';
import { conditionIssues } from './rule-check.js';
import { RuleError } from './rule-error.js';
import { type Token, tokenize } from './rule-lexer.js';

const symbolOperators: Record<string, RuleOperator> = {
  '=': 'eq',
  '==': 'eq',
  '!=': 'ne',
  '>': 'gt',
  '>=': 'gte',
  '<': 'lt',
  '<=': 'lte',
};

const wordOperators: Record<string, RuleOperator> = {
  eq: 'eq',
  ne: 'ne',
  gt: 'gt',
  gte: 'gte',
  lt: 'lt',
  lte: 'lte',
  in: 'in',
  notin: 'notIn',
  contains: 'contains',
  startswith: 'startsWith',
  endswith: 'endsWith',
  matches: 'matches',
  exists: 'exists',
  incidr: 'inCidr',
  olderthan: 'olderThan',
  newerthan: 'newerThan',
};

function describeToken(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'the end of the rule';
    case 'string':
      return `the string ${JSON.stringify(token.text.slice(0, 40))}`;
    case 'regex':
      return 'a regular expression';
    case 'field':
      return `the field \`${token.text}\``;
    default:
      return `"${token.text}"`;
  }
}

class RuleParser {
  private readonly tokens: Token[];
  private index = 0;
  private level = 0;
  private nodes = 0;
  private readonly offsets = new Map<Rule, number>();

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  parse(): Rule {
    if (this.peek().kind === 'end') throw this.error(this.peek(), 'empty rule: expected a condition');
    const rule = this.or();
    const rest = this.peek();
    if (rest.kind !== 'end')
      throw this.error(rest, `unexpected ${describeToken(rest)}; expected and, or, or the end of the rule`);
    this.checkDepth(rule, 1);
    return rule;
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index++;
    return token;
  }

  private isWord(token: Token, word: string): boolean {
    return token.kind === 'word' && token.text.toLowerCase() === word;
  }

  private isSymbol(token: Token, symbol: string): boolean {
    return token.kind === 'symbol' && token.text === symbol;
  }

  private error(token: Token | number, reason: string): RuleError {
    return RuleError.at(this.text, typeof token === 'number' ? token : token.offset, reason);
  }

  private node<T extends Rule>(rule: T, offset: number): T {
    if (++this.nodes > ruleLimits.maxNodes)
      throw this.error(offset, `rule has more than ${ruleLimits.maxNodes} nodes`);
    this.offsets.set(rule, offset);
    return rule;
  }

  private enter(token: Token): void {
    // Guards the parser's own stack; the exact AST depth is checked once the tree is built.
    if (++this.level > ruleLimits.maxDepth)
      throw this.error(token, `rule is nested deeper than ${ruleLimits.maxDepth} levels`);
  }

  private checkDepth(rule: Rule, depth: number): void {
    if (depth > ruleLimits.maxDepth)
      throw this.error(
        this.offsets.get(rule) ?? 0,
        `rule is nested deeper than ${ruleLimits.maxDepth} levels`,
      );
    const children = 'and' in rule ? rule.and : 'or' in rule ? rule.or : 'not' in rule ? [rule.not] : [];
    for (const child of children) this.checkDepth(child, depth + 1);
  }

  private or(): Rule {
    return this.chain('or', () => this.and());
  }

  private and(): Rule {
    return this.chain('and', () => this.unary());
  }

  private chain(word: 'and' | 'or', operand: () => Rule): Rule {
    const start = this.peek().offset;
    const first = operand();
    if (!this.isWord(this.peek(), word)) return first;
    const items = [first];
    while (this.isWord(this.peek(), word)) {
      this.next();
      items.push(operand());
    }
    return this.node(word === 'and' ? { and: items } : { or: items }, start);
  }

  private unary(): Rule {
    const token = this.peek();
    if (!this.isWord(token, 'not')) return this.primary();
    this.next();
    this.enter(token);
    const child = this.unary();
    this.level--;
    return this.node({ not: child }, token.offset);
  }

  private primary(): Rule {
    const token = this.peek();
    if (this.isSymbol(token, '(')) {
      this.next();
      this.enter(token);
      const rule = this.or();
      this.expect(')', 'to close the group');
      this.level--;
      return rule;
    }
    if (this.isWord(token, 'always')) {
      this.next();
      return this.node({ always: true }, token.offset);
    }
    if ((this.isWord(token, 'and') || this.isWord(token, 'or')) && this.isSymbol(this.peek(1), '(')) {
      this.next();
      this.next();
      this.enter(token);
      const items: Rule[] = [];
      if (!this.isSymbol(this.peek(), ')')) {
        items.push(this.or());
        while (this.isSymbol(this.peek(), ',')) {
          this.next();
          items.push(this.or());
        }
      }
      this.expect(')', `to close ${token.text.toLowerCase()}(`);
      this.level--;
      return this.node(this.isWord(token, 'and') ? { and: items } : { or: items }, token.offset);
    }
    const reserved = this.isWord(token, 'and') || this.isWord(token, 'or');
    if ((token.kind === 'word' && !reserved) || token.kind === 'field') return this.condition();
    throw this.error(token, `expected a condition, not, always or "(", found ${describeToken(token)}`);
  }

  private expect(symbol: string, why: string): void {
    const token = this.peek();
    if (!this.isSymbol(token, symbol))
      throw this.error(token, `expected "${symbol}" ${why}, found ${describeToken(token)}`);
    this.next();
  }

  private operator(): RuleOperator {
    const token = this.next();
    if (token.kind === 'symbol' && symbolOperators[token.text])
      return symbolOperators[token.text] as RuleOperator;
    if (token.kind === 'word') {
      const word = token.text.toLowerCase();
      if (word === 'not' && this.isWord(this.peek(), 'in')) {
        this.next();
        return 'notIn';
      }
      if (word === 'in' && this.isWord(this.peek(), 'cidr')) {
        this.next();
        return 'inCidr';
      }
      const op = wordOperators[word];
      if (op) return op;
    }
    throw this.error(
      token,
      token.kind === 'end'
        ? 'expected an operator after the field'
        : `unknown operator ${describeToken(token)}; expected =, !=, >, >=, <, <=, in, not in, contains, startsWith, endsWith, matches, exists, inCidr, olderThan or newerThan`,
    );
  }

  private condition(): Rule {
    const fieldToken = this.next();
    const problem = fieldProblem(fieldToken.text, ruleLimits.maxFieldLength);
    if (problem) throw this.error(fieldToken, problem);
    const op = this.operator();
    const valueToken = this.peek();
    const itemOffsets: number[] = [];
    let value: RuleValue | undefined;
    let ignoreCase: boolean | undefined;
    if (op === 'exists') {
      if (this.isWord(valueToken, 'true') || this.isWord(valueToken, 'false')) value = this.scalar();
    } else if (valueToken.kind === 'regex') {
      if (op !== 'matches')
        throw this.error(valueToken, 'a regular expression literal is only allowed after matches');
      this.next();
      value = valueToken.text;
      if (valueToken.flags === 'i') ignoreCase = true;
    } else if (valueToken.kind === 'duration') {
      if (op !== 'olderThan' && op !== 'newerThan')
        throw this.error(valueToken, 'a duration is only allowed after olderThan or newerThan');
      this.next();
      value = valueToken.text;
    } else value = this.value(itemOffsets);
    const ignoreToken = this.peek();
    if (this.isWord(ignoreToken, 'ignorecase')) {
      this.next();
      ignoreCase = true;
    }
    const issue = conditionIssues(op, value, ignoreCase)[0];
    if (issue) {
      const [head, index] = issue.path;
      const offset =
        head === 'ignoreCase'
          ? ignoreToken.offset
          : typeof index === 'number'
            ? (itemOffsets[index] ?? valueToken.offset)
            : valueToken.offset;
      throw this.error(offset, issue.reason);
    }
    const condition: RuleCondition = { field: fieldToken.text, op };
    if (value !== undefined) condition.value = value;
    if (ignoreCase) condition.ignoreCase = true;
    return this.node(condition, fieldToken.offset);
  }

  private value(itemOffsets: number[]): RuleValue | undefined {
    const token = this.peek();
    if (!this.isSymbol(token, '(') && !this.isSymbol(token, '[')) return this.scalar();
    this.next();
    const close = token.text === '(' ? ')' : ']';
    const items: RuleScalar[] = [];
    if (!this.isSymbol(this.peek(), close)) {
      for (;;) {
        const item = this.peek();
        if (this.isSymbol(item, '(') || this.isSymbol(item, '['))
          throw this.error(item, 'lists cannot be nested');
        itemOffsets.push(item.offset);
        items.push(this.scalar());
        if (!this.isSymbol(this.peek(), ',')) break;
        this.next();
      }
    }
    this.expect(close, 'to close the list');
    return items;
  }

  private scalar(): RuleScalar {
    const token = this.peek();
    if (token.kind === 'string') {
      this.next();
      return token.text;
    }
    if (token.kind === 'number') {
      this.next();
      return token.number as number;
    }
    if (token.kind === 'word') {
      const word = token.text.toLowerCase();
      if (word === 'true' || word === 'false' || word === 'null') {
        this.next();
        return word === 'null' ? null : word === 'true';
      }
    }
    throw this.error(
      token,
      `expected a value (a string in quotes, a number, true, false, null or a list), found ${describeToken(token)}`,
    );
  }
}

/**
 * Parses rule text into a rule AST.
 *
 * @throws {@link RuleError} naming the line, column and reason of the first problem.
 * @example
 * ```ts
 * parseRule('type in ("url", "domain") and severity >= "high" and not tags contains "allowlisted"');
 * ```
 */
export function parseRule(text: string): Rule {
  if (typeof text !== 'string') throw new RuleError([{ path: '', reason: 'rule text must be a string' }]);
  if (text.length > ruleLimits.maxTextLength)
    throw new RuleError([
      { path: '', reason: `rule text is longer than ${ruleLimits.maxTextLength} characters` },
    ]);
  return new RuleParser(text).parse();
}
