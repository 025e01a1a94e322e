import { indicatorReportSchema } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../bench/generate-indicators.js';
import { parseReport } from './parse-report.js';

const pick = <T>(random: () => number, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)] as T;

describe('parseReport', () => {
  it('agrees with the schema on accepted reports, including ones the fast path hands over', () => {
    expect(parseReport({ value: 'a.xyz', type: 'domain', severity: 'high', tags: ['x'], extra: 1 })).toEqual({
      success: true,
      data: { value: 'a.xyz', type: 'domain', severity: 'high', tags: ['x'] },
    });
    expect(
      parseReport({
        value: 'a',
        tlp: 'TLP:RED',
        severity: 'informational',
        tags: [' padded '],
        lastSeen: '2026-01-01T00:00:00Z',
      }),
    ).toEqual({
      success: true,
      data: {
        value: 'a',
        tlp: 'red',
        severity: 'low',
        tags: ['padded'],
        lastSeen: Date.parse('2026-01-01T00:00:00Z'),
      },
    });
  });

  it('rejects what the schema rejects, with its message', () => {
    expect(parseReport({ value: '' })).toMatchObject({
      success: false,
      issue: expect.stringContaining('value'),
    });
    expect(parseReport({ value: 'x', reputation: 11 })).toMatchObject({
      success: false,
      issue: expect.stringContaining('reputation'),
    });
    expect(parseReport('x')).toMatchObject({ success: false });
    expect(parseReport(null)).toMatchObject({ success: false });
  });

  it('matches the schema on 5,000 random reports', () => {
    const random = seededRandom(7);
    const fields: Array<[string, unknown[]]> = [
      ['value', ['a.xyz', '', 'x'.repeat(16_385), 5, ' spaced ']],
      ['type', [undefined, 'domain', 'url', 'nope', 3]],
      ['severity', [undefined, 'high', 'informational', 'HIGH', 1]],
      ['reputation', [undefined, 1, 10, 0, 11, 5.5, '5']],
      ['confidence', [undefined, 0, 100, 101, -1]],
      ['tags', [undefined, [], ['a'], [' a '], [''], 'a', [1], Array.from({ length: 65 }, () => 't')]],
      ['tlp', [undefined, 'red', 'TLP:AMBER', 'white', 'purple']],
      ['lastSeen', [undefined, 0, 1_700_000_000_000, -5, 1.5, '2026-01-01T00:00:00Z', 'yesterday']],
      ['safe', [undefined, true, 'yes']],
      ['hits', [undefined, 0, 3, -1]],
      ['externalUrl', [undefined, 'https://ref.xyz/a', 'not a url']],
    ];
    for (let i = 0; i < 5_000; i++) {
      const report: Record<string, unknown> = {};
      for (const [name, choices] of fields) {
        const value = pick(random, choices);
        if (value !== undefined) report[name] = value;
      }
      const schema = indicatorReportSchema.safeParse(report);
      const fast = parseReport(report);
      expect(fast.success, JSON.stringify(report)).toBe(schema.success);
      if (fast.success && schema.success) expect(fast.data).toEqual(schema.data);
    }
  });
});
