/**
 * Prints a rule AST as canonical text, which {@link parseRule} reads back to an equal AST.
 *
 * @module
 */
import type { Rule, RuleCondition, RuleOperator, RuleScalar, RuleValue } from './rule-ast.js';

const operatorText: Record<RuleOperator, string> = {
  eq: '=',
  ne: '!=',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
  in: 'in',
  notIn: 'not in',
  contains: 'contains',
  startsWith: 'startsWith',
  endsWith: 'endsWith',
  matches: 'matches',
  exists: 'exists',
  inCidr: 'inCidr',
  olderThan: 'olderThan',
  newerThan: 'newerThan',
};

const bareField = /^[A-Za-z_$][\w$-]*(?:\.[\w$-]+)*$/;
const reservedWords = new Set(['and', 'or', 'not', 'always', 'true', 'false', 'null', 'ignorecase']);
const bareDuration = /^\d+(?:\.\d+)?(?:ms|s|m|h|d|w)$/;

function printField(field: string): string {
  const head = field.split('.', 1)[0] as string;
  if (bareField.test(field) && !reservedWords.has(head.toLowerCase())) return field;
  return `\`${field.replace(/[\\`]/g, (c) => `\\${c}`)}\``;
}

function printScalar(value: RuleScalar): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  return String(value);
}

function printValue(value: RuleValue): string {
  return Array.isArray(value) ? `(${value.map(printScalar).join(', ')})` : printScalar(value);
}

/** Whether a pattern can be written between slashes and read back verbatim. */
function regexLiteralSafe(pattern: string): boolean {
  return pattern !== '' && !/[/\n\r\u2028\u2029]/.test(pattern) && !/(?:^|[^\\])(?:\\\\)*\\$/.test(pattern);
}

function printCondition(rule: RuleCondition): string {
  const head = `${printField(rule.field)} ${operatorText[rule.op]}`;
  const { value } = rule;
  if (value === undefined) return head;
  if (rule.op === 'matches' && typeof value === 'string' && regexLiteralSafe(value))
    return `${head} /${value}/${rule.ignoreCase ? 'i' : ''}`;
  const suffix = rule.ignoreCase ? ' ignoreCase' : '';
  if (
    (rule.op === 'olderThan' || rule.op === 'newerThan') &&
    typeof value === 'string' &&
    bareDuration.test(value)
  )
    return `${head} ${value}${suffix}`;
  return `${head} ${printValue(value)}${suffix}`;
}

function printChild(rule: Rule): string {
  const text = printRule(rule);
  // Infix groups inside a group or a negation get parentheses: required for `or` under `and`,
  // for `and`/`or` under `not`, and for a group of the same kind (the parser flattens chains);
  // kept for `and` under `or` because it reads more clearly.
  const items = 'and' in rule ? rule.and : 'or' in rule ? rule.or : undefined;
  return items && items.length >= 2 ? `(${text})` : text;
}

/**
 * Prints a rule as canonical text: `=` for `eq`, double-quoted strings, lists in parentheses,
 * groups of the same or a weaker kind in parentheses. `parseRule(printRule(rule))` deep-equals
 * `rule` (an `ignoreCase: false` prints as nothing, so it comes back absent).
 *
 * @example
 * ```ts
 * printRule({ and: [{ field: 'a', op: 'eq', value: 1 }, { field: 'b', op: 'exists' }] }); // 'a = 1 and b exists'
 * ```
 */
export function printRule(rule: Rule): string {
  if ('and' in rule || 'or' in rule) {
    const kind = 'and' in rule ? 'and' : 'or';
    const items = 'and' in rule ? rule.and : rule.or;
    if (items.length < 2) return `${kind}(${items.map(printRule).join(', ')})`;
    return items.map(printChild).join(` ${kind} `);
  }
  if ('not' in rule) return `not ${printChild(rule.not)}`;
  if ('always' in rule) return 'always';
  return printCondition(rule);
}
