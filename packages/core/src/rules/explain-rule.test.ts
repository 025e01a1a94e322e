import { describe, expect, it } from 'vitest';
import { FakeClock } from '../time/clock.js';
import { compileRule } from './compile-rule.js';
import { explainRule } from './explain-rule.js';

describe('explainRule', () => {
  const rule = 'type in ("url", "domain") and severity >= "high" and not tags contains "allowlisted"';

  it('shows every node, its result and the values found at each path', () => {
    const explanation = explainRule(rule, { type: 'url', severity: 'medium', tags: ['allowlisted'] });
    expect(explanation).toEqual({
      kind: 'and',
      result: false,
      path: '',
      text: rule,
      children: [
        {
          kind: 'condition',
          result: true,
          path: 'and[0]',
          text: 'type in ("url", "domain")',
          field: 'type',
          op: 'in',
          value: ['url', 'domain'],
          found: ['url'],
        },
        {
          kind: 'condition',
          result: false,
          path: 'and[1]',
          text: 'severity >= "high"',
          field: 'severity',
          op: 'gte',
          value: 'high',
          found: ['medium'],
        },
        {
          kind: 'not',
          result: false,
          path: 'and[2]',
          text: 'not tags contains "allowlisted"',
          child: {
            kind: 'condition',
            result: true,
            path: 'and[2].not',
            text: 'tags contains "allowlisted"',
            field: 'tags',
            op: 'contains',
            value: 'allowlisted',
            found: [['allowlisted']],
          },
        },
      ],
    });
  });

  it('lists every element found across arrays, and nothing for a missing field', () => {
    const explanation = explainRule('items.name = "b" or missing exists', {
      items: [{ name: 'a' }, { name: 'b' }, {}],
    });
    expect(explanation.result).toBe(true);
    if (explanation.kind !== 'or') throw new Error('expected or');
    expect(
      explanation.children.map((c) => (c.kind === 'condition' ? [c.result, c.found] : undefined)),
    ).toEqual([
      [true, ['a', 'b']],
      [false, []],
    ]);
  });

  it('agrees with the compiled predicate, using the injected clock', () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const text = '(seen olderThan 30d or score > 5) and not ip inCidr "10.0.0.0/8"';
    const predicate = compileRule(text, { clock });
    const records = [
      { seen: '2025-11-01T00:00:00Z', score: 1, ip: '192.0.2.1' },
      { seen: '2025-12-31T00:00:00Z', score: 1, ip: '192.0.2.1' },
      { seen: '2025-12-31T00:00:00Z', score: 9, ip: '10.9.9.9' },
      { score: 9 },
      {},
    ];
    for (const record of records) expect(explainRule(text, record, { clock }).result).toBe(predicate(record));
  });

  it('explains an always rule', () => {
    expect(explainRule({ always: true }, null)).toEqual({
      kind: 'always',
      result: true,
      path: '',
      text: 'always',
    });
  });
});
