import type {
  ComparisonExpression,
  ObjectPathNode,
  ObservationExpression,
  PathStep,
  PatternAst,
  PatternLiteral,
  PatternQualifier,
  PropertyPathStep,
  SetLiteralNode,
  TimestampLiteralNode,
  ValueComparisonOperator,
} from './pattern-ast.js';
import { StixPatternError } from './pattern-error.js';
import {
  PatternLexer,
  reservedWords,
  T_AND,
  T_BINARY,
  T_COLON,
  T_COMMA,
  T_DOT,
  T_EOF,
  T_EQ,
  T_EXISTS,
  T_FALSE,
  T_FLOAT,
  T_FOLLOWEDBY,
  T_GE,
  T_GT,
  T_HEX,
  T_IDENT,
  T_IN,
  T_INT,
  T_ISSUBSET,
  T_ISSUPERSET,
  T_LBRACK,
  T_LE,
  T_LIKE,
  T_LPAREN,
  T_LT,
  T_MATCHES,
  T_NEQ,
  T_NOT,
  T_OR,
  T_RBRACK,
  T_REPEATS,
  T_RPAREN,
  T_SECONDS,
  T_STAR,
  T_START,
  T_STOP,
  T_STRING,
  T_TIMES,
  T_TIMESTAMP,
  T_TRUE,
  T_WITHIN,
} from './pattern-lexer.js';

/** Limits that keep a hostile pattern from costing unbounded time, memory or stack. */
export interface ParsePatternOptions {
  /**
   * Longest accepted pattern, in UTF-16 code units. Longer text is rejected before any scanning.
   *
   * @default 1048576
   */
  maxLength?: number;
  /**
   * Deepest accepted nesting of parentheses (observation and comparison parentheses together).
   * The parser is recursive, so this bound is what keeps `((((...))))` from overflowing the stack.
   *
   * @default 256
   */
  maxDepth?: number;
}

/** Default of {@link ParsePatternOptions.maxLength}. */
export const DEFAULT_PATTERN_MAX_LENGTH = 1_048_576;
/** Default of {@link ParsePatternOptions.maxDepth}. */
export const DEFAULT_PATTERN_MAX_DEPTH = 256;

const observationOps = ['FOLLOWEDBY', 'OR', 'AND'] as const;
const observationOpTokens = [T_FOLLOWEDBY, T_OR, T_AND] as const;

function valueOperator(type: number): ValueComparisonOperator | undefined {
  switch (type) {
    case T_EQ:
      return '=';
    case T_NEQ:
      return '!=';
    case T_LT:
      return '<';
    case T_LE:
      return '<=';
    case T_GT:
      return '>';
    case T_GE:
      return '>=';
    case T_LIKE:
      return 'LIKE';
    case T_MATCHES:
      return 'MATCHES';
    case T_ISSUBSET:
      return 'ISSUBSET';
    case T_ISSUPERSET:
      return 'ISSUPERSET';
    default:
      return undefined;
  }
}

class PatternParser {
  private depth = 0;

  constructor(
    private readonly lx: PatternLexer,
    private readonly maxDepth: number,
  ) {}

  parse(): PatternAst {
    const lx = this.lx;
    lx.next();
    const expression = this.observationChain(0);
    if (lx.type !== T_EOF) {
      this.expected('end of pattern');
    }
    return expression;
  }

  private expected(what: string): never {
    const lx = this.lx;
    let hint = '';
    if (lx.type === T_IDENT) {
      const word = lx.text.slice(lx.start, lx.end);
      const upper = word.toUpperCase();
      if (word !== upper && reservedWords.has(upper)) {
        hint = ` (keywords are upper case: '${upper}')`;
      }
    }
    return lx.fail(`expected ${what} at ${lx.start}, found ${lx.describe()}${hint}`, lx.start);
  }

  private enter(): void {
    if (++this.depth > this.maxDepth) {
      this.lx.fail(
        `parentheses nest deeper than ${this.maxDepth} at ${this.lx.start}`,
        this.lx.start,
        'too-deep',
      );
    }
  }

  /** Level 0: FOLLOWEDBY, 1: OR, 2: AND; each a flat chain of the next level. */
  private observationChain(level: number): ObservationExpression {
    const lx = this.lx;
    const first = level === 2 ? this.qualified() : this.observationChain(level + 1);
    const opToken = observationOpTokens[level];
    if (lx.type !== opToken) return first;
    const operands = [first];
    while (lx.type === opToken) {
      lx.next();
      operands.push(level === 2 ? this.qualified() : this.observationChain(level + 1));
    }
    return {
      kind: 'observation-op',
      op: observationOps[level] as 'FOLLOWEDBY' | 'OR' | 'AND',
      operands,
      start: first.start,
      end: (operands[operands.length - 1] as ObservationExpression).end,
    };
  }

  private qualified(): ObservationExpression {
    const lx = this.lx;
    const expression = this.observationPrimary();
    if (lx.type !== T_WITHIN && lx.type !== T_REPEATS && lx.type !== T_START) return expression;
    const qualifiers: PatternQualifier[] = [];
    for (;;) {
      const start = lx.start;
      if (lx.type === T_WITHIN) {
        lx.next();
        if ((lx.type !== T_INT && lx.type !== T_FLOAT) || lx.negative) {
          this.expected('a positive number of seconds');
        }
        const seconds = Number(lx.number);
        lx.next();
        if (lx.type !== T_SECONDS) this.expected("'SECONDS'");
        qualifiers.push({ kind: 'within', seconds, start, end: lx.end });
        lx.next();
      } else if (lx.type === T_REPEATS) {
        lx.next();
        if (lx.type !== T_INT || lx.negative) this.expected('a positive integer');
        const times = Number(lx.number);
        lx.next();
        if (lx.type !== T_TIMES) this.expected("'TIMES'");
        qualifiers.push({ kind: 'repeats', times, start, end: lx.end });
        lx.next();
      } else if (lx.type === T_START) {
        lx.next();
        const startTime = this.timestamp();
        if (lx.type !== T_STOP) this.expected("'STOP'");
        lx.next();
        const stopTime = this.timestamp();
        qualifiers.push({ kind: 'start-stop', startTime, stopTime, start, end: stopTime.end });
      } else {
        break;
      }
    }
    return {
      kind: 'qualified',
      expression,
      qualifiers,
      start: expression.start,
      end: (qualifiers[qualifiers.length - 1] as PatternQualifier).end,
    };
  }

  private timestamp(): TimestampLiteralNode {
    const lx = this.lx;
    if (lx.type !== T_TIMESTAMP) this.expected("a timestamp literal t'...'");
    const node: TimestampLiteralNode = {
      kind: 'timestamp',
      value: lx.value,
      start: lx.start,
      end: lx.end,
    };
    lx.next();
    return node;
  }

  private observationPrimary(): ObservationExpression {
    const lx = this.lx;
    const start = lx.start;
    if (lx.type === T_LBRACK) {
      lx.next();
      const comparison = this.comparisonChain(0);
      if (lx.type !== T_RBRACK) this.expected("']'");
      const end = lx.end;
      lx.next();
      return { kind: 'observation', comparison, start, end };
    }
    if (lx.type === T_LPAREN) {
      this.enter();
      lx.next();
      const inner = this.observationChain(0);
      if (lx.type !== T_RPAREN) this.expected("')'");
      inner.start = start;
      inner.end = lx.end;
      lx.next();
      this.depth--;
      return inner;
    }
    return this.expected("'[' or '('");
  }

  /** Level 0: OR, 1: AND. */
  private comparisonChain(level: number): ComparisonExpression {
    const lx = this.lx;
    const first = level === 1 ? this.comparisonPrimary() : this.comparisonChain(1);
    const opToken = level === 0 ? T_OR : T_AND;
    if (lx.type !== opToken) return first;
    const operands = [first];
    while (lx.type === opToken) {
      lx.next();
      operands.push(level === 1 ? this.comparisonPrimary() : this.comparisonChain(1));
    }
    return {
      kind: 'comparison-op',
      op: level === 0 ? 'OR' : 'AND',
      operands,
      start: first.start,
      end: (operands[operands.length - 1] as ComparisonExpression).end,
    };
  }

  private comparisonPrimary(): ComparisonExpression {
    const lx = this.lx;
    const start = lx.start;
    if (lx.type === T_LPAREN) {
      this.enter();
      lx.next();
      const inner = this.comparisonChain(0);
      if (lx.type !== T_RPAREN) this.expected("')'");
      inner.start = start;
      inner.end = lx.end;
      lx.next();
      this.depth--;
      return inner;
    }
    if (lx.type === T_NOT || lx.type === T_EXISTS) {
      const negated = lx.type === T_NOT;
      if (negated) {
        lx.next();
        if (lx.type !== T_EXISTS) this.expected("'EXISTS'");
      }
      lx.next();
      const path = this.objectPath();
      return { kind: 'comparison', operator: 'EXISTS', path, negated, start, end: path.end };
    }
    const path = this.objectPath();
    let negated = false;
    if (lx.type === T_NOT) {
      negated = true;
      lx.next();
    }
    if (lx.type === T_IN) {
      lx.next();
      const value = this.setLiteral();
      return { kind: 'comparison', operator: 'IN', path, negated, value, start, end: value.end };
    }
    const operator = valueOperator(lx.type);
    if (operator === undefined) return this.expected('a comparison operator');
    lx.next();
    let value: PatternLiteral;
    if (
      operator === 'LIKE' ||
      operator === 'MATCHES' ||
      operator === 'ISSUBSET' ||
      operator === 'ISSUPERSET'
    ) {
      if (lx.type !== T_STRING) this.expected('a string literal');
      value = this.literal();
    } else {
      if (operator !== '=' && operator !== '!=' && (lx.type === T_TRUE || lx.type === T_FALSE)) {
        this.expected(`an orderable literal (not a boolean) after '${operator}'`);
      }
      value = this.literal();
    }
    return { kind: 'comparison', operator, path, negated, value, start, end: value.end };
  }

  private setLiteral(): SetLiteralNode {
    const lx = this.lx;
    const start = lx.start;
    if (lx.type !== T_LPAREN) this.expected("'(' to open the IN list");
    lx.next();
    const values: PatternLiteral[] = [];
    if (lx.type !== T_RPAREN) {
      for (;;) {
        values.push(this.literal());
        if (lx.type !== T_COMMA) break;
        lx.next();
      }
      if (lx.type !== T_RPAREN) this.expected("',' or ')'");
    }
    const end = lx.end;
    lx.next();
    return { kind: 'set', values, start, end };
  }

  private literal(): PatternLiteral {
    const lx = this.lx;
    const start = lx.start;
    const end = lx.end;
    let node: PatternLiteral;
    switch (lx.type) {
      case T_STRING:
        node = { kind: 'string', value: lx.value, start, end };
        break;
      case T_INT:
        node = { kind: 'integer', value: lx.number, start, end };
        break;
      case T_FLOAT:
        node = { kind: 'float', value: lx.number as number, start, end };
        break;
      case T_TRUE:
      case T_FALSE:
        node = { kind: 'boolean', value: lx.type === T_TRUE, start, end };
        break;
      case T_BINARY:
        node = { kind: 'binary', value: lx.value, start, end };
        break;
      case T_HEX:
        node = { kind: 'hex', value: lx.value, start, end };
        break;
      case T_TIMESTAMP:
        node = { kind: 'timestamp', value: lx.value, start, end };
        break;
      default:
        return this.expected('a literal');
    }
    lx.next();
    return node;
  }

  private propertyName(first: boolean): PropertyPathStep {
    const lx = this.lx;
    const start = lx.start;
    let name: string;
    if (lx.type === T_STRING) {
      name = lx.value;
    } else if (lx.type === T_IDENT && !lx.hyphen) {
      name = lx.text.slice(lx.start, lx.end);
    } else if (lx.type === T_IDENT) {
      return lx.fail(
        `expected a property name at ${start}, found ${lx.describe()}: quote names that contain '-'`,
        start,
      );
    } else {
      return this.expected(first ? "a property name after ':'" : 'a property name');
    }
    const end = lx.end;
    lx.next();
    return { kind: 'property', name, start, end };
  }

  private objectPath(): ObjectPathNode {
    const lx = this.lx;
    const start = lx.start;
    if (lx.type !== T_IDENT) this.expected('an object path such as file:name');
    const objectType = lx.text.slice(lx.start, lx.end);
    lx.next();
    if (lx.type !== T_COLON) this.expected("':' after the object type");
    lx.next();
    const steps: [PropertyPathStep, ...PathStep[]] = [this.propertyName(true)];
    for (;;) {
      if (lx.type === T_DOT) {
        lx.next();
        steps.push(this.propertyName(false));
      } else if (lx.type === T_LBRACK) {
        const stepStart = lx.start;
        lx.next();
        let index: number | '*';
        if (lx.type === T_STAR) {
          index = '*';
        } else if (lx.type === T_INT && typeof lx.number === 'number') {
          index = lx.number;
        } else {
          return this.expected("a list index or '*'");
        }
        lx.next();
        if (lx.type !== T_RBRACK) this.expected("']' to close the list index");
        steps.push({ kind: 'index', index, start: stepStart, end: lx.end });
        lx.next();
      } else {
        break;
      }
    }
    const last = steps[steps.length - 1] as PathStep;
    return { kind: 'path', objectType, steps, start, end: last.end };
  }
}

/**
 * Parses a STIX 2.1 pattern into its syntax tree: the complete grammar of STIX 2.1 section 9
 * (observation expressions joined by `AND`, `OR` and `FOLLOWEDBY`, qualifiers `WITHIN`, `REPEATS`
 * and `START ... STOP`, comparisons with every operator, `NOT` and `EXISTS`, object paths with
 * quoted components and list indexes, every literal kind, and block and line comments).
 *
 * It checks syntax only, as the grammar defines it; checks of meaning (hash lengths, real dates,
 * `START` before `STOP`, and so on) are {@link validatePattern}'s. Parentheses may nest at most
 * `maxDepth` (256 by default) deep and the text may be at most `maxLength` long, so no input can
 * overflow the stack or run unbounded.
 *
 * @param text - the pattern, e.g. `[url:value = 'http://x.example/a']`
 * @param options - length and nesting limits
 * @returns the syntax tree; nodes carry offsets into `text`
 * @throws {@link StixPatternError} (code `STIX_PATTERN_INVALID`) with the offset of the problem
 *
 * @example
 * ```ts
 * const ast = parsePattern("[file:hashes.'SHA-256' = 'aec0...'] WITHIN 300 SECONDS");
 * ast.kind; // 'qualified'
 * ```
 */
export function parsePattern(text: string, options: ParsePatternOptions = {}): PatternAst {
  const maxLength = options.maxLength ?? DEFAULT_PATTERN_MAX_LENGTH;
  if (text.length > maxLength) {
    throw new StixPatternError(
      `pattern is ${text.length} characters long, over the limit of ${maxLength}`,
      maxLength,
      'too-long',
      text,
    );
  }
  const lexer = new PatternLexer(text);
  try {
    return new PatternParser(lexer, options.maxDepth ?? DEFAULT_PATTERN_MAX_DEPTH).parse();
  } catch (error) {
    // Only reachable when a caller raised maxDepth beyond what the stack holds.
    if (error instanceof RangeError) {
      throw new StixPatternError(
        `pattern nests too deeply for the stack at ${lexer.start}`,
        lexer.start,
        'too-deep',
        text,
        { cause: error },
      );
    }
    throw error;
  }
}
