/**
 * Validation of a rule AST: structure, operators, operand types, regex safety, CIDR blocks,
 * durations, and the size limits. Shared by {@link validateRule}, the zod schema and the parser.
 *
 * @module
 */
import { formatPath } from '../errors/validation-error.js';
import { parseCidr } from './cidr.js';
import { fieldProblem } from './field-path.js';
import { caseOperators, type RuleOperator, ruleLimits, ruleOperators } from './rule-ast.js';
import type { RuleIssue } from './rule-error.js';
import { durationOf, orderingOf } from './rule-values.js';
import { regexProblem } from './safe-regex.js';

const operatorSet: ReadonlySet<string> = new Set(ruleOperators);
const conditionKeys = new Set(['field', 'op', 'value', 'ignoreCase']);
const kindKeys = ['and', 'or', 'not', 'always', 'field'] as const;

/** A problem in one condition, relative to the condition (`value`, `value[2]`, `ignoreCase`). */
export interface ConditionIssue {
  /** Path below the condition. */
  path: ReadonlyArray<PropertyKey>;
  /** Why. */
  reason: string;
}

function isScalar(value: unknown): boolean {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  return `${typeof value} ${String(value)}`;
}

/** Problems with a condition's operand and `ignoreCase`, for an operator known to exist. */
export function conditionIssues(op: RuleOperator, value: unknown, ignoreCase: unknown): ConditionIssue[] {
  const issues: ConditionIssue[] = [];
  const fail = (reason: string, path: PropertyKey[] = ['value']): void => {
    issues.push({ path, reason });
  };
  if (ignoreCase !== undefined) {
    if (typeof ignoreCase !== 'boolean') fail('ignoreCase must be true or false', ['ignoreCase']);
    else if (ignoreCase && !caseOperators.has(op)) fail(`ignoreCase does not apply to ${op}`, ['ignoreCase']);
  }
  if (value === undefined && op !== 'exists') {
    fail(`missing value: ${op} needs ${expected(op)}`);
    return issues;
  }
  switch (op) {
    case 'eq':
    case 'ne':
      if (!isScalar(value))
        fail(
          `${op} needs ${expected(op)}, got ${describe(value)}${Array.isArray(value) ? '; use in for a list' : ''}`,
        );
      break;
    case 'in':
    case 'notIn':
    case 'inCidr':
      listIssues(op, value, fail);
      break;
    case 'contains':
      if (!isScalar(value) || value === null) fail(`contains needs ${expected(op)}, got ${describe(value)}`);
      break;
    case 'startsWith':
    case 'endsWith':
      if (typeof value !== 'string') fail(`${op} needs ${expected(op)}, got ${describe(value)}`);
      break;
    case 'matches': {
      if (typeof value !== 'string') fail(`matches needs ${expected(op)}, got ${describe(value)}`);
      else {
        const problem = regexProblem(value, {
          ignoreCase: ignoreCase === true,
          maxLength: ruleLimits.maxPatternLength,
        });
        if (problem) fail(problem);
      }
      break;
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (Array.isArray(value) || orderingOf(value as never) === undefined)
        fail(`${op} needs ${expected(op)}, got ${describe(value)}`);
      break;
    case 'exists':
      if (value !== undefined && typeof value !== 'boolean')
        fail(`exists takes true or false, got ${describe(value)}`);
      break;
    case 'olderThan':
    case 'newerThan':
      if (Array.isArray(value) || durationOf(value as never) === undefined)
        fail(`${op} needs ${expected(op)}, got ${describe(value)}`);
      break;
  }
  return issues;
}

function listIssues(
  op: RuleOperator,
  value: unknown,
  fail: (reason: string, path?: PropertyKey[]) => void,
): void {
  if (op === 'inCidr' && typeof value === 'string') {
    const block = parseCidr(value);
    if (typeof block === 'string') fail(block);
    return;
  }
  if (!Array.isArray(value)) {
    fail(`${op} needs ${expected(op)}, got ${describe(value)}`);
    return;
  }
  if (value.length > ruleLimits.maxListItems) {
    fail(`list has ${value.length} items; at most ${ruleLimits.maxListItems} are allowed`);
    return;
  }
  if (op === 'inCidr' && value.length === 0) fail('inCidr needs at least one CIDR block');
  value.forEach((item, index) => {
    if (op === 'inCidr') {
      const block =
        typeof item === 'string' ? parseCidr(item) : `expected a CIDR string, got ${describe(item)}`;
      if (typeof block === 'string') fail(block, ['value', index]);
    } else if (!isScalar(item))
      fail(`list items must be strings, numbers, booleans or null, got ${describe(item)}`, ['value', index]);
  });
}

function expected(op: RuleOperator): string {
  switch (op) {
    case 'eq':
    case 'ne':
      return 'a single string, number, boolean or null';
    case 'in':
    case 'notIn':
      return 'a list of values';
    case 'contains':
      return 'a string, number or boolean';
    case 'startsWith':
    case 'endsWith':
      return 'a string';
    case 'matches':
      return 'a regular expression string';
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return 'a number, an ISO 8601 date or a severity name (unknown, informational, low, medium, high, critical)';
    case 'exists':
      return 'true or false';
    case 'inCidr':
      return 'a CIDR block or a list of CIDR blocks';
    case 'olderThan':
    case 'newerThan':
      return 'a duration such as 30d, 12h or 15m';
  }
}

/** A rule problem with its path as keys, for zod issues. */
export interface RawRuleIssue {
  /** Path of the offending node as keys. */
  path: PropertyKey[];
  /** Why. */
  reason: string;
}

class RuleChecker {
  readonly issues: RawRuleIssue[] = [];
  private nodes = 0;
  private tooMany = false;

  private fail(path: ReadonlyArray<PropertyKey>, reason: string): void {
    this.issues.push({ path: [...path], reason });
  }

  check(input: unknown, path: PropertyKey[], depth: number): void {
    if (this.tooMany) return;
    if (++this.nodes > ruleLimits.maxNodes) {
      this.tooMany = true;
      this.fail(path, `rule has more than ${ruleLimits.maxNodes} nodes`);
      return;
    }
    if (depth > ruleLimits.maxDepth) {
      this.fail(path, `rule is nested deeper than ${ruleLimits.maxDepth} levels`);
      return;
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      this.fail(
        path,
        `expected a rule object with one of and, or, not, always or field; got ${describe(input)}`,
      );
      return;
    }
    const node = input as Record<string, unknown>;
    const kinds = kindKeys.filter((key) => key in node);
    if (kinds.length !== 1) {
      this.fail(
        path,
        kinds.length === 0
          ? 'expected one of and, or, not, always or field'
          : `a rule node has exactly one of and, or, not, always or field; found ${kinds.join(', ')}`,
      );
      return;
    }
    const kind = kinds[0] as (typeof kindKeys)[number];
    for (const key of Object.keys(node)) {
      const allowed = kind === 'field' ? conditionKeys.has(key) : key === kind;
      if (!allowed) this.fail([...path, key], `unknown key "${key}"`);
    }
    if (kind === 'and' || kind === 'or') {
      const children = node[kind];
      if (!Array.isArray(children)) this.fail([...path, kind], `${kind} must be a list of rules`);
      else
        children.forEach((child, index) => {
          this.check(child, [...path, kind, index], depth + 1);
        });
    } else if (kind === 'not') this.check(node.not, [...path, 'not'], depth + 1);
    else if (kind === 'always') {
      if (node.always !== true) this.fail([...path, 'always'], 'always must be true');
    } else this.condition(node, path);
  }

  private condition(node: Record<string, unknown>, path: PropertyKey[]): void {
    const { field, op } = node;
    if (typeof field !== 'string') this.fail([...path, 'field'], 'field must be a string path such as a.b.c');
    else {
      const problem = fieldProblem(field, ruleLimits.maxFieldLength);
      if (problem) this.fail([...path, 'field'], problem);
    }
    if (op === undefined) {
      this.fail([...path, 'op'], 'missing op');
      return;
    }
    if (typeof op !== 'string' || !operatorSet.has(op)) {
      this.fail(
        [...path, 'op'],
        `unknown operator ${JSON.stringify(op)}; expected one of ${ruleOperators.join(', ')}`,
      );
      return;
    }
    for (const issue of conditionIssues(op as RuleOperator, node.value, node.ignoreCase))
      this.fail([...path, ...issue.path], issue.reason);
  }
}

/** Like {@link checkRule}, with paths as arrays of keys. */
export function findRuleProblems(input: unknown): RawRuleIssue[] {
  const checker = new RuleChecker();
  checker.check(input, [], 1);
  return checker.issues;
}

/** Checks `input` as a rule AST; returns every problem found, or none when it is a valid rule. */
export function checkRule(input: unknown): RuleIssue[] {
  return findRuleProblems(input).map((issue) => ({ path: formatPath(issue.path), reason: issue.reason }));
}
