import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ruleInputSchema, ruleSchema, validateRule } from './rule-schema.js';

const errorsOf = (input: unknown) => {
  const result = validateRule(input);
  if (result.ok) throw new Error('expected errors');
  return result.errors;
};

describe('validateRule', () => {
  it('accepts AST objects and text', () => {
    const ast = { and: [{ field: 'a', op: 'eq', value: 1 }, { not: { always: true } }] };
    expect(validateRule(ast)).toEqual({ ok: true, rule: ast });
    expect(validateRule('a = 1')).toEqual({ ok: true, rule: { field: 'a', op: 'eq', value: 1 } });
  });

  it('names the path and reason of every problem in an AST', () => {
    expect(
      errorsOf({
        and: [
          { field: 'a', op: 'eq', value: 1 },
          { field: 'b', op: 'gt', value: [1, 2] },
          {
            or: [
              { field: 'c', op: 'like', value: 'x' },
              { field: 'd', op: 'in' },
            ],
          },
          { not: { field: 'ip', op: 'inCidr', value: ['10.0.0.0/8', '10.0.0.0/99'] } },
          { field: 'e', op: 'matches', value: '(a+)+$' },
          { field: 'f', op: 'olderThan', value: 'soon' },
          { field: 'g', op: 'gt', value: 1, ignoreCase: true, extra: 1 },
          { always: false },
          { field: 'h', op: 'exists', value: 'yes' },
          { field: 'i', op: 'inCidr', value: '10.1.0.0/8' },
          'a = 1',
          { and: [], or: [] },
          {},
        ],
      }),
    ).toEqual([
      {
        path: 'and[1].value',
        reason: expect.stringMatching(/^gt needs a number, an ISO 8601 date or a severity name .*got a list/),
      },
      {
        path: 'and[2].or[0].op',
        reason: expect.stringMatching(/^unknown operator "like"; expected one of eq, ne/),
      },
      { path: 'and[2].or[1].value', reason: 'missing value: in needs a list of values' },
      { path: 'and[3].not.value[1]', reason: '"10.0.0.0/99" has an invalid prefix length; expected 0 to 32' },
      { path: 'and[4].value', reason: expect.stringMatching(/catastrophic backtracking/) },
      { path: 'and[5].value', reason: expect.stringMatching(/olderThan needs a duration such as 30d/) },
      { path: 'and[6].extra', reason: 'unknown key "extra"' },
      { path: 'and[6].ignoreCase', reason: 'ignoreCase does not apply to gt' },
      { path: 'and[7].always', reason: 'always must be true' },
      { path: 'and[8].value', reason: 'exists takes true or false, got the string "yes"' },
      { path: 'and[9].value', reason: expect.stringMatching(/host bits set; did you mean 10.0.0.0\/8/) },
      { path: 'and[10]', reason: expect.stringMatching(/expected a rule object/) },
      { path: 'and[11]', reason: expect.stringMatching(/exactly one of .* found and, or/) },
      { path: 'and[12]', reason: 'expected one of and, or, not, always or field' },
    ]);
  });

  it('reports the position of a problem in text', () => {
    expect(errorsOf('a = 1 and b > (1)')).toEqual([
      { path: '', reason: expect.stringMatching(/^gt needs/), position: { line: 1, column: 15, offset: 14 } },
    ]);
  });

  it('rejects rules nested too deep or too large, without throwing', () => {
    let deep: unknown = { field: 'a', op: 'exists' };
    for (let i = 0; i < 40; i++) deep = { not: deep };
    expect(errorsOf(deep)).toEqual([
      // The root is level 1, so the 33rd level sits under 32 `not`s.
      {
        path: Array.from({ length: 32 }, () => 'not').join('.'),
        reason: 'rule is nested deeper than 32 levels',
      },
    ]);
    const wide = { or: Array.from({ length: 1_200 }, () => ({ field: 'a', op: 'exists' })) };
    expect(errorsOf(wide)).toEqual([{ path: 'or[999]', reason: 'rule has more than 1000 nodes' }]);
    const cyclic: Record<string, unknown> = {};
    cyclic.not = cyclic;
    expect(errorsOf(cyclic)[0]?.reason).toMatch(/deeper than 32/);
    expect(errorsOf(null)[0]?.path).toBe('');
    expect(
      errorsOf({ field: 'a', op: 'in', value: Array.from({ length: 10_001 }, () => 1) })[0]?.reason,
    ).toMatch(/at most 10000/);
  });
});

describe('ruleSchema and ruleInputSchema', () => {
  const sharing = z.object({ name: z.string(), filter: ruleSchema });
  const business = z.object({ name: z.string(), when: ruleInputSchema });

  it('embed in other schemas with issue paths under the field', () => {
    const result = sharing.safeParse({
      name: 'x',
      filter: { or: [{ field: 'a', op: 'gt', value: 'soon' }] },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['filter', 'or', 0, 'value'],
        message: expect.stringMatching(/^gt needs/),
      }),
    ]);
    expect(sharing.parse({ name: 'x', filter: { always: true } }).filter).toEqual({ always: true });
    expect(sharing.safeParse({ name: 'x', filter: 'a = 1' }).success).toBe(false);
  });

  it('ruleInputSchema turns text into an AST and reports parse errors with line and column', () => {
    expect(business.parse({ name: 'x', when: 'severity >= "high"' }).when).toEqual({
      field: 'severity',
      op: 'gte',
      value: 'high',
    });
    expect(business.parse({ name: 'x', when: { field: 'a', op: 'exists' } }).when).toEqual({
      field: 'a',
      op: 'exists',
    });
    const bad = business.safeParse({ name: 'x', when: 'severity >= ' });
    expect(bad.error?.issues).toEqual([
      expect.objectContaining({
        path: ['when'],
        message: expect.stringMatching(/^line 1, column 13: expected a value/),
      }),
    ]);
    const badAst = business.safeParse({ name: 'x', when: { not: { field: 'a', op: 'nope' } } });
    expect(badAst.error?.issues[0]?.path).toEqual(['when', 'not', 'op']);
  });

  it('can be exported as JSON Schema by hosts that accept unrepresentable types', () => {
    expect(z.toJSONSchema(business, { io: 'input', unrepresentable: 'any' })).toMatchObject({
      properties: { when: { description: expect.stringContaining('rule') } },
    });
  });
});
