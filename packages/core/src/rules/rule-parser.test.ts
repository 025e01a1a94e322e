import { describe, expect, it } from 'vitest';
import { RuleError } from './rule-error.js';
import { parseRule } from './rule-parser.js';

function parseError(text: string): RuleError {
  try {
    parseRule(text);
  } catch (error) {
    if (error instanceof RuleError) return error;
    throw error;
  }
  throw new Error(`expected "${text}" to fail`);
}

describe('parseRule', () => {
  it('parses the documented examples', () => {
    expect(
      parseRule('type in ("url","domain") and severity >= "high" and not tags contains "allowlisted"'),
    ).toEqual({
      and: [
        { field: 'type', op: 'in', value: ['url', 'domain'] },
        { field: 'severity', op: 'gte', value: 'high' },
        { not: { field: 'tags', op: 'contains', value: 'allowlisted' } },
      ],
    });
    expect(parseRule('(a = 1 or b != 2) and c exists')).toEqual({
      and: [
        {
          or: [
            { field: 'a', op: 'eq', value: 1 },
            { field: 'b', op: 'ne', value: 2 },
          ],
        },
        { field: 'c', op: 'exists' },
      ],
    });
    expect(parseRule('src_ip in cidr ("10.0.0.0/8")')).toEqual({
      field: 'src_ip',
      op: 'inCidr',
      value: ['10.0.0.0/8'],
    });
    expect(parseRule('src_ip inCidr "10.0.0.0/8"')).toEqual({
      field: 'src_ip',
      op: 'inCidr',
      value: '10.0.0.0/8',
    });
    expect(parseRule('value matches /evil\\.(com|net)/i')).toEqual({
      field: 'value',
      op: 'matches',
      value: 'evil\\.(com|net)',
      ignoreCase: true,
    });
    expect(parseRule('lastSeen olderThan 30d')).toEqual({ field: 'lastSeen', op: 'olderThan', value: '30d' });
    expect(parseRule('not (x exists)')).toEqual({ not: { field: 'x', op: 'exists' } });
  });

  it('binds not tighter than and, and and tighter than or', () => {
    expect(parseRule('a = 1 or b = 2 and not c = 3')).toEqual({
      or: [
        { field: 'a', op: 'eq', value: 1 },
        { and: [{ field: 'b', op: 'eq', value: 2 }, { not: { field: 'c', op: 'eq', value: 3 } }] },
      ],
    });
    expect(parseRule('not not a exists')).toEqual({ not: { not: { field: 'a', op: 'exists' } } });
    expect(parseRule('(a exists and b exists) and c exists')).toEqual({
      and: [
        {
          and: [
            { field: 'a', op: 'exists' },
            { field: 'b', op: 'exists' },
          ],
        },
        { field: 'c', op: 'exists' },
      ],
    });
  });

  it('reads every operator spelling, case-insensitively for words', () => {
    const op = (text: string): unknown => (parseRule(text) as { op: string }).op;
    expect(['a = 1', 'a == 1', 'a eq 1', 'a EQ 1'].map(op)).toEqual(['eq', 'eq', 'eq', 'eq']);
    expect(['a != 1', 'a ne 1'].map(op)).toEqual(['ne', 'ne']);
    expect(['a > 1', 'a >= 1', 'a < 1', 'a <= 1', 'a gt 1', 'a gte 1', 'a lt 1', 'a lte 1'].map(op)).toEqual([
      'gt',
      'gte',
      'lt',
      'lte',
      'gt',
      'gte',
      'lt',
      'lte',
    ]);
    expect(['a not in (1)', 'a notIn (1)', 'a NOTIN [1]'].map(op)).toEqual(['notIn', 'notIn', 'notIn']);
    expect(['a startsWith "x"', 'a STARTSWITH "x"', 'a endsWith "x"'].map(op)).toEqual([
      'startsWith',
      'startsWith',
      'endsWith',
    ]);
    expect(parseRule('A exists AND b exists OR NOT c exists')).toEqual({
      or: [
        {
          and: [
            { field: 'A', op: 'exists' },
            { field: 'b', op: 'exists' },
          ],
        },
        { not: { field: 'c', op: 'exists' } },
      ],
    });
  });

  it('reads literals, lists, quoted fields and modifiers', () => {
    expect(parseRule('a in (1, -2.5, 3e2, true, false, null, "x", \'y\')')).toEqual({
      field: 'a',
      op: 'in',
      value: [1, -2.5, 300, true, false, null, 'x', 'y'],
    });
    expect(parseRule('a = "tab\\there \\"q\\" \\u00e9 \\\\"')).toEqual({
      field: 'a',
      op: 'eq',
      value: 'tab\there "q" é \\',
    });
    expect(parseRule('`weird field.x` = 1')).toEqual({ field: 'weird field.x', op: 'eq', value: 1 });
    expect(parseRule('`and` exists')).toEqual({ field: 'and', op: 'exists' });
    expect(parseRule('items.0.name-x = 1')).toEqual({ field: 'items.0.name-x', op: 'eq', value: 1 });
    expect(parseRule('a = "X" ignoreCase')).toEqual({ field: 'a', op: 'eq', value: 'X', ignoreCase: true });
    expect(parseRule('a matches "x/y" ignoreCase')).toEqual({
      field: 'a',
      op: 'matches',
      value: 'x/y',
      ignoreCase: true,
    });
    expect(parseRule('a exists false')).toEqual({ field: 'a', op: 'exists', value: false });
    expect(parseRule('a newerThan 1.5h')).toEqual({ field: 'a', op: 'newerThan', value: '1.5h' });
    expect(parseRule('a olderThan 86400000')).toEqual({ field: 'a', op: 'olderThan', value: 86_400_000 });
    expect(parseRule('always')).toEqual({ always: true });
    expect(parseRule('and()')).toEqual({ and: [] });
    expect(parseRule('or(a exists)')).toEqual({ or: [{ field: 'a', op: 'exists' }] });
    expect(parseRule('and(a exists, b exists or c exists)')).toEqual({
      and: [
        { field: 'a', op: 'exists' },
        {
          or: [
            { field: 'b', op: 'exists' },
            { field: 'c', op: 'exists' },
          ],
        },
      ],
    });
  });
});

describe('parseRule errors', () => {
  it('gives the line, column, offset and a caret excerpt', () => {
    const error = parseError('a = 1 and\n  b >> 2');
    expect(error.code).toBe('RULE_INVALID');
    expect(error.position).toEqual({ line: 2, column: 6, offset: 15 });
    expect(error.excerpt).toBe('  b >> 2\n     ^');
    expect(error.message).toContain('line 2, column 6');
    expect(error.issues[0]?.reason).toMatch(/expected a value/);
  });

  it.each<[string, number, RegExp]>([
    ['', 1, /empty rule/],
    ['a', 2, /expected an operator/],
    ['a like "x"', 3, /unknown operator "like"/],
    ['a =', 4, /expected a value.*end of the rule/],
    ['a = 1 b = 2', 7, /unexpected "b"; expected and, or/],
    ['(a = 1', 7, /expected "\)" to close the group/],
    ['a = "open', 5, /unterminated string/],
    ['a = "\\q"', 6, /invalid escape/],
    ['a = 12abc', 5, /invalid number/],
    ['a = #', 5, /unexpected character "#"/],
    ['a > (1, 2)', 5, /gt needs a number, an ISO 8601 date or a severity name.*got a list/],
    ['a > "soon"', 5, /gt needs a number/],
    ['a = (1)', 5, /use in for a list/],
    ['a in "x"', 6, /in needs a list/],
    ['a in ((1))', 7, /lists cannot be nested/],
    ['ip inCidr ("10.0.0.0/8", "10.0.0.0/99")', 26, /invalid prefix length/],
    ['ip inCidr "bad"', 11, /not an IPv4 or IPv6/],
    ['a matches /(a+)+$/', 11, /catastrophic backtracking/],
    ['a matches /(x|x)*y/', 11, /catastrophic backtracking/],
    ['a matches /[/', 11, /invalid regular expression/],
    ['a matches /x/g', 14, /only i is allowed/],
    ['a = /x/', 5, /only allowed after matches/],
    ['a olderThan "soon"', 13, /duration such as 30d/],
    ['a olderThan -5d', 13, /duration such as 30d/],
    ['a = 5d', 5, /only allowed after olderThan or newerThan/],
    ['a > 1 ignoreCase', 7, /ignoreCase does not apply to gt/],
    ['a.. = 1', 1, /empty segment/],
    ['and', 1, /expected a condition/],
  ])('%j fails at column %i', (text, column, reason) => {
    const error = parseError(text);
    expect(error.issues[0]?.reason).toMatch(reason);
    expect(error.position?.column).toBe(column);
  });

  it('limits nesting depth and node count', () => {
    expect(parseError(`${'('.repeat(40)}a exists${')'.repeat(40)}`).issues[0]?.reason).toMatch(
      /deeper than 32/,
    );
    expect(parseError(`${'not '.repeat(40)}a exists`).issues[0]?.reason).toMatch(/deeper than 32/);
    const deepAnd =
      Array.from({ length: 20 }, () => 'not (a exists and').join(' ') + ' b exists' + ')'.repeat(20);
    expect(parseError(deepAnd).issues[0]?.reason).toMatch(/deeper than 32/);
    const wide = Array.from({ length: 1_001 }, (_, i) => `f${i} exists`).join(' or ');
    expect(parseError(wide).issues[0]?.reason).toMatch(/more than 1000 nodes/);
  });
});
