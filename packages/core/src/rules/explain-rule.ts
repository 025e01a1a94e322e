import { formatPath } from '../errors/validation-error.js';
import { type Clock, systemClock } from '../time/clock.js';
import { compileCondition, matchCondition } from './compile-condition.js';
import { type RuleRunOptions, toValidRule } from './compile-rule.js';
import { someAtPath } from './field-path.js';
import type { Rule, RuleOperator, RuleValue } from './rule-ast.js';
import { printRule } from './rule-printer.js';

/** What every node of a {@link RuleExplanation} says. */
export interface RuleExplanationBase {
  /** Whether this node held for the record. */
  result: boolean;
  /** Path of the node in the AST, e.g. `and[1].not`; empty for the root. */
  path: string;
  /** The node as rule text. */
  text: string;
}

/** An `and` or `or` node and its children (all evaluated, so every failure is shown). */
export interface GroupExplanation extends RuleExplanationBase {
  /** Node kind. */
  kind: 'and' | 'or';
  /** One explanation per child. */
  children: RuleExplanation[];
}

/** A `not` node. */
export interface NotExplanation extends RuleExplanationBase {
  /** Node kind. */
  kind: 'not';
  /** The negated rule. */
  child: RuleExplanation;
}

/** An `always` node. */
export interface AlwaysExplanation extends RuleExplanationBase {
  /** Node kind. */
  kind: 'always';
}

/** A field condition and what the record holds at its path. */
export interface ConditionExplanation extends RuleExplanationBase {
  /** Node kind. */
  kind: 'condition';
  /** The condition's field path. */
  field: string;
  /** The operator. */
  op: RuleOperator;
  /** The operand, if any. */
  value?: RuleValue;
  /**
   * Every value found at the path: one for a plain path, one per element when the path crosses
   * arrays (or ends at one, for element-wise operators), none when the field is missing.
   */
  found: unknown[];
}

/** Why a rule held or failed for one record, node by node. */
export type RuleExplanation = GroupExplanation | NotExplanation | AlwaysExplanation | ConditionExplanation;

function explainNode(rule: Rule, record: unknown, clock: Clock, path: PropertyKey[]): RuleExplanation {
  const base = { path: formatPath(path), text: printRule(rule) };
  if ('and' in rule || 'or' in rule) {
    const kind = 'and' in rule ? 'and' : 'or';
    const items = 'and' in rule ? rule.and : rule.or;
    const children = items.map((child, index) => explainNode(child, record, clock, [...path, kind, index]));
    const result = kind === 'and' ? children.every((c) => c.result) : children.some((c) => c.result);
    return { kind, result, ...base, children };
  }
  if ('not' in rule) {
    const child = explainNode(rule.not, record, clock, [...path, 'not']);
    return { kind: 'not', result: !child.result, ...base, child };
  }
  if ('always' in rule) return { kind: 'always', result: true, ...base };
  const condition = compileCondition(rule, clock);
  const found: unknown[] = [];
  someAtPath(record, condition.path, condition.spreadLast, (value) => {
    if (value !== undefined) found.push(value);
    return false;
  });
  return {
    kind: 'condition',
    result: matchCondition(condition, record),
    ...base,
    field: rule.field,
    op: rule.op,
    ...(rule.value === undefined ? {} : { value: rule.value }),
    found,
  };
}

/**
 * Evaluates a rule against one record and says which conditions held, which failed, and what
 * the record held at each path. Slower than a compiled predicate: meant for audit trails, "why
 * was this shared?" answers and rule editors.
 *
 * @throws {@link RuleError} when the rule is invalid.
 * @example
 * ```ts
 * const why = explainRule('severity >= "high"', { severity: 'low' });
 * // { kind: 'condition', result: false, field: 'severity', found: ['low'], ... }
 * ```
 */
export function explainRule(
  rule: Rule | string,
  record: unknown,
  options: RuleRunOptions = {},
): RuleExplanation {
  return explainNode(toValidRule(rule), record, options.clock ?? systemClock, []);
}
