import { type Clock, systemClock } from '../time/clock.js';
import { compileCondition, matchCondition } from './compile-condition.js';
import type { Rule } from './rule-ast.js';
import { checkRule } from './rule-check.js';
import { RuleError } from './rule-error.js';
import { parseRule } from './rule-parser.js';

/** A compiled rule: whether a record satisfies it. Never throws on odd records. */
export type RulePredicate = (record: unknown) => boolean;

/** Options of {@link compileRule} and {@link explainRule}. */
export interface RuleRunOptions {
  /**
   * The time source for `olderThan` and `newerThan`, read at each evaluation.
   * @default systemClock
   */
  clock?: Clock;
}

/** Parses text, or validates an AST; throws {@link RuleError} listing every problem. */
export function toValidRule(rule: Rule | string): Rule {
  if (typeof rule === 'string') return parseRule(rule);
  const issues = checkRule(rule);
  if (issues.length > 0) throw new RuleError(issues);
  return rule;
}

function compileNode(rule: Rule, clock: Clock): RulePredicate {
  if ('and' in rule) {
    const parts = rule.and.map((child) => compileNode(child, clock));
    if (parts.length === 1) return parts[0] as RulePredicate;
    return (record) => {
      for (let i = 0; i < parts.length; i++) if (!(parts[i] as RulePredicate)(record)) return false;
      return true;
    };
  }
  if ('or' in rule) {
    const parts = rule.or.map((child) => compileNode(child, clock));
    if (parts.length === 1) return parts[0] as RulePredicate;
    return (record) => {
      for (let i = 0; i < parts.length; i++) if ((parts[i] as RulePredicate)(record)) return true;
      return false;
    };
  }
  if ('not' in rule) {
    const inner = compileNode(rule.not, clock);
    return (record) => !inner(record);
  }
  if ('always' in rule) return () => true;
  const condition = compileCondition(rule, clock);
  return (record) => matchCondition(condition, record);
}

/**
 * Validates a rule (AST or text) and compiles it once into a predicate. Regexes, sets, CIDR
 * blocks and field paths are prepared here, so testing a record allocates next to nothing.
 *
 * @throws {@link RuleError} when the rule is invalid.
 * @example
 * ```ts
 * const isHighUrl = compileRule('type = "url" and severity >= "high"');
 * isHighUrl({ type: 'url', severity: 'critical' }); // true
 * ```
 */
export function compileRule(rule: Rule | string, options: RuleRunOptions = {}): RulePredicate {
  return compileNode(toValidRule(rule), options.clock ?? systemClock);
}
