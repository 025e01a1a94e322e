/**
 * Turns one validated field condition into a value test, with regexes, sets, CIDR blocks and
 * paths prepared once.
 *
 * @module
 */
import type { Clock } from '../time/clock.js';
import { type CidrBlock, CidrSet, parseCidr } from './cidr.js';
import { type PathSegment, someAtPath, splitPath } from './field-path.js';
import { type RuleCondition, type RuleScalar, ruleLimits } from './rule-ast.js';
import { durationOf, orderingOf, severityRankOf, timeOf } from './rule-values.js';

/** A condition ready to run: where to look, how to test each value found, whether to negate. */
export interface CompiledCondition {
  /** The field path, split. */
  readonly path: ReadonlyArray<PathSegment>;
  /** Whether an array at the end of the path is tested element by element. */
  readonly spreadLast: boolean;
  /** Tests one value found at the path. */
  readonly test: (value: unknown) => boolean;
  /** True for `ne`, `notIn` and `exists false`: the condition holds when no value passes. */
  readonly negate: boolean;
}

/** Whether the condition holds for `record`. */
export function matchCondition(condition: CompiledCondition, record: unknown): boolean {
  const found = someAtPath(record, condition.path, condition.spreadLast, condition.test);
  return condition.negate ? !found : found;
}

type Test = (value: unknown) => boolean;

function equalsTest(expected: RuleScalar, ignoreCase: boolean): Test {
  if (expected === null) return (value) => value === null || value === undefined;
  if (typeof expected === 'string' && ignoreCase) {
    const lower = expected.toLowerCase();
    return (value) => typeof value === 'string' && value.toLowerCase() === lower;
  }
  return (value) => value === expected;
}

function inTest(list: ReadonlyArray<RuleScalar>, ignoreCase: boolean): Test {
  const set = new Set<unknown>(
    list.map((item) => (ignoreCase && typeof item === 'string' ? item.toLowerCase() : item)),
  );
  const hasNull = set.has(null);
  return (value) => {
    if (typeof value === 'string') return set.has(ignoreCase ? value.toLowerCase() : value);
    if (value === null || value === undefined) return hasNull;
    return set.has(value);
  };
}

function containsTest(expected: RuleScalar, ignoreCase: boolean): Test {
  const element = equalsTest(expected, ignoreCase);
  if (typeof expected !== 'string') return (value) => Array.isArray(value) && value.some(element);
  const needle = ignoreCase ? expected.toLowerCase() : expected;
  return (value) => {
    if (typeof value === 'string') return (ignoreCase ? value.toLowerCase() : value).includes(needle);
    return Array.isArray(value) && value.some(element);
  };
}

function affixTest(affix: string, ignoreCase: boolean, atStart: boolean): Test {
  const needle = ignoreCase ? affix.toLowerCase() : affix;
  return (value) => {
    if (typeof value !== 'string') return false;
    const text = ignoreCase ? value.toLowerCase() : value;
    return atStart ? text.startsWith(needle) : text.endsWith(needle);
  };
}

function matchesTest(pattern: string, ignoreCase: boolean): Test {
  const regex = new RegExp(pattern, ignoreCase ? 'i' : '');
  const max = ruleLimits.maxMatchInput;
  return (value) => typeof value === 'string' && regex.test(value.length > max ? value.slice(0, max) : value);
}

const comparators = {
  gt: (a: number, b: number) => a > b,
  gte: (a: number, b: number) => a >= b,
  lt: (a: number, b: number) => a < b,
  lte: (a: number, b: number) => a <= b,
} as const;

function orderTest(op: keyof typeof comparators, expected: RuleScalar): Test {
  const ordering = orderingOf(expected);
  if (!ordering) return () => false;
  const compare = comparators[op];
  const { bound } = ordering;
  switch (ordering.kind) {
    case 'number':
      return (value) => typeof value === 'number' && compare(value, bound);
    case 'severity':
      return (value) => {
        const rank = typeof value === 'string' ? severityRankOf(value) : undefined;
        return rank !== undefined && compare(rank, bound);
      };
    case 'time':
      return (value) => {
        const time = timeOf(value);
        return time !== undefined && compare(time, bound);
      };
  }
}

function ageTest(older: boolean, duration: number, clock: Clock): Test {
  return (value) => {
    const time = timeOf(value);
    if (time === undefined) return false;
    const cutoff = clock.now() - duration;
    return older ? time < cutoff : time > cutoff;
  };
}

function cidrTest(value: RuleScalar | RuleScalar[]): Test {
  const texts = Array.isArray(value) ? value : [value];
  const blocks = texts
    .map((text) => parseCidr(String(text)))
    .filter((b): b is CidrBlock => typeof b !== 'string');
  const set = new CidrSet(blocks);
  return (found) => set.has(found);
}

/** Compiles a condition that has passed validation. */
export function compileCondition(condition: RuleCondition, clock: Clock): CompiledCondition {
  const path = splitPath(condition.field);
  const ignoreCase = condition.ignoreCase === true;
  const value = condition.value;
  const scalar = (Array.isArray(value) ? null : (value ?? null)) as RuleScalar;
  const list = (Array.isArray(value) ? value : []) as RuleScalar[];
  const make = (test: Test, negate = false, spreadLast = true): CompiledCondition => ({
    path,
    spreadLast,
    test,
    negate,
  });
  switch (condition.op) {
    case 'eq':
      return make(equalsTest(scalar, ignoreCase));
    case 'ne':
      return make(equalsTest(scalar, ignoreCase), true);
    case 'in':
      return make(inTest(list, ignoreCase));
    case 'notIn':
      return make(inTest(list, ignoreCase), true);
    case 'contains':
      return make(containsTest(scalar, ignoreCase), false, false);
    case 'startsWith':
      return make(affixTest(String(scalar), ignoreCase, true));
    case 'endsWith':
      return make(affixTest(String(scalar), ignoreCase, false));
    case 'matches':
      return make(matchesTest(String(scalar), ignoreCase));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return make(orderTest(condition.op, scalar));
    case 'exists':
      return make((found) => found !== undefined && found !== null, value === false, false);
    case 'inCidr':
      return make(cidrTest(value ?? []));
    case 'olderThan':
    case 'newerThan':
      return make(ageTest(condition.op === 'olderThan', durationOf(scalar) ?? 0, clock));
  }
}
