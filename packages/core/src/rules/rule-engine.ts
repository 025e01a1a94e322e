import { type Clock, systemClock } from '../time/clock.js';
import { compileRule, type RulePredicate, toValidRule } from './compile-rule.js';
import { explainRule, type RuleExplanation } from './explain-rule.js';
import type { Rule } from './rule-ast.js';
import { parseRule } from './rule-parser.js';
import { printRule } from './rule-printer.js';
import { type RuleValidation, validateRule } from './rule-schema.js';

/** Options of {@link RuleEngine}. */
export interface RuleEngineOptions {
  /**
   * Time source for `olderThan` and `newerThan`.
   * @default systemClock
   */
  clock?: Clock;
  /**
   * How many compiled rules to keep, least recently used dropped first.
   * @default 256
   */
  cacheSize?: number;
}

/**
 * The rule engine as one object: parse, print, validate, compile and explain with a shared
 * clock, plus a small cache of compiled rules keyed by canonical text. AST objects are also
 * remembered by identity, so `test(rule, record)` in a loop compiles once; treat a rule object as
 * frozen once it has been compiled.
 *
 * @example
 * ```ts
 * const rules = new RuleEngine({ clock });
 * const stale = rules.compile('lastSeen olderThan 90d');
 * rules.test({ field: 'severity', op: 'gte', value: 'high' }, indicator);
 * ```
 */
export class RuleEngine {
  private readonly clock: Clock;
  private readonly cacheSize: number;
  private readonly byText = new Map<string, RulePredicate>();
  private readonly byObject = new WeakMap<object, RulePredicate>();

  constructor(options: RuleEngineOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.cacheSize = Math.max(0, options.cacheSize ?? 256);
  }

  /** Parses rule text; throws {@link RuleError} with the position of the problem. */
  parse(text: string): Rule {
    return parseRule(text);
  }

  /** Prints a rule as canonical text. */
  print(rule: Rule): string {
    return printRule(rule);
  }

  /** Validates a rule given as AST or text; never throws. */
  validate(input: unknown): RuleValidation {
    return validateRule(input);
  }

  /** Compiles a rule (AST or text), reusing a cached predicate when the same rule was compiled. */
  compile(rule: Rule | string): RulePredicate {
    if (typeof rule === 'object') {
      const known = this.byObject.get(rule);
      if (known) return known;
    }
    // Canonical text hits without parsing; other text is parsed and printed to find its key.
    let key = typeof rule === 'string' ? rule : undefined;
    let predicate = key === undefined ? undefined : this.take(key);
    if (!predicate) {
      const ast = toValidRule(rule);
      key = printRule(ast);
      predicate = this.take(key) ?? compileRule(ast, { clock: this.clock });
    }
    if (this.cacheSize > 0) {
      this.byText.set(key as string, predicate);
      if (this.byText.size > this.cacheSize) this.byText.delete(this.byText.keys().next().value as string);
    }
    if (typeof rule === 'object') this.byObject.set(rule, predicate);
    return predicate;
  }

  /** Removes and returns a cached predicate, so that setting it again marks it recently used. */
  private take(key: string): RulePredicate | undefined {
    const predicate = this.byText.get(key);
    if (predicate) this.byText.delete(key);
    return predicate;
  }

  /** Whether `record` satisfies `rule`. */
  test(rule: Rule | string, record: unknown): boolean {
    return this.compile(rule)(record);
  }

  /** Explains, node by node, why `rule` held or failed for `record`. */
  explain(rule: Rule | string, record: unknown): RuleExplanation {
    return explainRule(rule, record, { clock: this.clock });
  }

  /** Number of compiled rules in the text-keyed cache. */
  get cachedRules(): number {
    return this.byText.size;
  }
}
