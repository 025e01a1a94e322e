/**
 * The rule AST: plain JSON that every module stores, ships and compiles.
 *
 * A rule is a tree of `{ and: Rule[] }`, `{ or: Rule[] }`, `{ not: Rule }`, `{ always: true }` and
 * field conditions `{ field, op, value?, ignoreCase? }`.
 *
 * Paths and arrays: `field` is a dot path (`a.b.c`); a numeric segment indexes an array
 * (`items.0.name`). A path that passes *through* an array fans out over its elements, and the
 * condition holds if any element satisfies it: `items.name = "x"` holds when some item is named
 * `x`. An array at the *end* of the path is also searched element by element, except by `contains`
 * (membership: `tags contains "x"` holds when `x` is one of the tags) and `exists` (the array
 * itself exists). The negative operators `ne` and `notIn`, and `exists false`, are exact negations
 * of `eq`, `in` and `exists`: `items.name != "x"` holds when no item is named `x`.
 *
 * @module
 */

/** Every operator a field condition can use. */
export const ruleOperators = [
  'eq',
  'ne',
  'in',
  'notIn',
  'contains',
  'startsWith',
  'endsWith',
  'matches',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
  'inCidr',
  'olderThan',
  'newerThan',
] as const;

/** A field condition operator; see {@link ruleOperators}. */
export type RuleOperator = (typeof ruleOperators)[number];

/** A literal in a rule. */
export type RuleScalar = string | number | boolean | null;

/** The `value` of a condition: a literal, or a list of literals for `in`, `notIn` and `inCidr`. */
export type RuleValue = RuleScalar | RuleScalar[];

/** A test of one field of a record. */
export interface RuleCondition {
  /** Dot path into the record (`a.b.c`); numeric segments index arrays. */
  field: string;
  /** What to test. */
  op: RuleOperator;
  /** The operand; required by every operator except `exists`, where it defaults to `true`. */
  value?: RuleValue;
  /** Compares strings without regard to case; only for string operators. `false` equals absent. */
  ignoreCase?: boolean;
}

/** Holds when every child holds (true when there are none). */
export interface RuleAnd {
  /** The children. */
  and: Rule[];
}

/** Holds when some child holds (false when there are none). */
export interface RuleOr {
  /** The children. */
  or: Rule[];
}

/** Holds when its child does not. */
export interface RuleNot {
  /** The negated rule. */
  not: Rule;
}

/** Always holds: a catch-all, e.g. "share everything". */
export interface RuleAlways {
  /** Always `true`. */
  always: true;
}

/** A rule: a boolean expression over the fields of a record. */
export type Rule = RuleAnd | RuleOr | RuleNot | RuleAlways | RuleCondition;

/** Limits that keep a rule cheap to store, validate and run. */
export const ruleLimits = {
  /** Deepest nesting of `and`/`or`/`not`, counting the root as 1. */
  maxDepth: 32,
  /** Most nodes (groups, negations and conditions) in one rule. */
  maxNodes: 1_000,
  /** Longest regular expression source for `matches`. */
  maxPatternLength: 512,
  /** `matches` looks at most at this many leading characters of a value (64 Ki). */
  maxMatchInput: 65_536,
  /** Most items in one list value. */
  maxListItems: 10_000,
  /** Longest field path. */
  maxFieldLength: 256,
  /** Longest rule text accepted by the parser (64 Ki characters). */
  maxTextLength: 65_536,
} as const;

/** Operators that honour `ignoreCase`. */
export const caseOperators: ReadonlySet<RuleOperator> = new Set([
  'eq',
  'ne',
  'in',
  'notIn',
  'contains',
  'startsWith',
  'endsWith',
  'matches',
]);

/** Whether a node is a field condition. */
export function isCondition(rule: Rule): rule is RuleCondition {
  return 'field' in rule;
}
