import type { SourceRecord } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { decayExpiry, decayModelSchema, decayScore } from '../aging/decay.js';
import { reconcile } from './reconcile.js';
import { defaultSourcePolicy, sourcePolicySchema } from './source-policy.js';
import { applyReport } from './source-record.js';

const record = (sourceId: string, fields: Partial<SourceRecord>): SourceRecord => ({
  sourceId,
  firstSeen: 1_000,
  lastSeen: 2_000,
  severity: 'unknown',
  reputation: 5,
  tags: [],
  safe: false,
  test: false,
  hits: 1,
  ...fields,
});

const trust: Record<string, number> = { edr: 1, feed: 50, osint: 100 };
const policies = (sourceId: string) =>
  sourcePolicySchema.parse({ rank: trust[sourceId] ?? 100, weight: sourceId === 'osint' ? 0.5 : 1 });

describe('reconcile', () => {
  const records = [
    record('edr', {
      severity: 'medium',
      reputation: 7,
      lastSeen: 1_500,
      confidence: 90,
      tags: ['apt'],
      tlp: 'amber',
    }),
    record('feed', {
      severity: 'critical',
      reputation: 9,
      lastSeen: 3_000,
      confidence: 60,
      tags: ['phishing'],
      firstSeen: 500,
    }),
    record('osint', {
      severity: 'low',
      reputation: 4,
      lastSeen: 2_500,
      confidence: 30,
      tlp: 'green',
      comments: 'from osint',
    }),
  ];

  it('chooses severity and reputation by strategy', () => {
    const latest = reconcile(records, { severityStrategy: 'latest', reputationStrategy: 'latest' }, policies);
    expect([latest.severity, latest.reputation]).toEqual(['critical', 9]);
    const highest = reconcile(
      records,
      { severityStrategy: 'highest', reputationStrategy: 'highest' },
      policies,
    );
    expect([highest.severity, highest.reputation]).toEqual(['critical', 9]);
    const trusted = reconcile(
      records,
      { severityStrategy: 'most-trusted', reputationStrategy: 'most-trusted' },
      policies,
    );
    expect([trusted.severity, trusted.reputation]).toEqual(['medium', 7]);
  });

  it('merges tags, TLP, times and weighted confidence', () => {
    const merged = reconcile(records, { severityStrategy: 'latest', reputationStrategy: 'latest' }, policies);
    expect(merged).toMatchObject({
      tags: ['apt', 'phishing'],
      tlp: 'amber',
      firstSeen: 500,
      lastSeen: 3_000,
      confidence: Math.round((90 + 60 + 30 * 0.5) / 2.5),
      comments: 'from osint',
      safe: false,
      test: false,
    });
    expect(merged.verdict).toBeUndefined();
  });

  it('lets the most trusted source decide safe versus malicious, and records why', () => {
    const disputed = [record('edr', { safe: true }), record('feed', { safe: false, lastSeen: 9_000 })];
    const merged = reconcile(
      disputed,
      { severityStrategy: 'latest', reputationStrategy: 'latest' },
      policies,
    );
    expect(merged.safe).toBe(true);
    expect(merged.verdict).toEqual({
      sourceId: 'edr',
      verdict: 'safe',
      overruled: ['feed'],
      reason: '"edr" (trust rank 1) is the most trusted source reporting it',
    });
    const equal = reconcile(
      [record('a', { safe: true, lastSeen: 1 }), record('b', { safe: false, lastSeen: 2 })],
      { severityStrategy: 'latest', reputationStrategy: 'latest' },
      () => defaultSourcePolicy,
    );
    expect(equal.safe).toBe(false);
    expect(equal.verdict?.reason).toContain('equal trust');
  });

  it('leaves withdrawn sources out unless all are withdrawn', () => {
    const merged = reconcile(
      [record('edr', { severity: 'high', withdrawnAt: 5 }), record('feed', { severity: 'low' })],
      { severityStrategy: 'highest', reputationStrategy: 'latest' },
      policies,
    );
    expect(merged.severity).toBe('low');
  });
});

describe('applyReport', () => {
  it('appends or overwrites tags per the source policy and counts hits', () => {
    const append = sourcePolicySchema.parse({ tagMode: 'append', tags: ['feed-x'] });
    const first = applyReport(undefined, { value: 'x', tags: ['a'] }, 's', append, 100);
    const second = applyReport(first, { value: 'x', tags: ['b'], lastSeen: 50 }, 's', append, 200);
    expect(second).toMatchObject({
      tags: ['a', 'b', 'feed-x'],
      hits: 2,
      firstSeen: 50,
      lastSeen: 100,
      reputation: 5,
      reportedAt: 200,
    });
    const overwrite = sourcePolicySchema.parse({ tagMode: 'overwrite' });
    expect(applyReport(first, { value: 'x', tags: ['c'] }, 's', overwrite, 300).tags).toEqual(['c']);
    expect(applyReport(first, { value: 'x', hits: 40 }, 's', overwrite, 300).hits).toBe(40);
  });
});

describe('decay (MISP polynomial model)', () => {
  it('falls from the base score to zero over the lifetime', () => {
    const model = decayModelSchema.parse({ baseScore: 80, lifetime: '30d', decaySpeed: 1, threshold: 40 });
    const day = 86_400_000;
    expect(decayScore(model, 0)).toBe(80);
    expect(decayScore(model, 15 * day)).toBe(40);
    expect(decayScore(model, 30 * day)).toBe(0);
    expect(decayExpiry(model)).toBe(15 * day);
    const fast = decayModelSchema.parse({ baseScore: 80, lifetime: '30d', decaySpeed: 3, threshold: 40 });
    expect(decayScore(fast, 15 * day)).toBeLessThan(40);
    expect(decayScore(fast, decayExpiry(fast))).toBeCloseTo(40, 0);
    const late = decayModelSchema.parse({ baseScore: 80, lifetime: '30d', decaySpeed: 0.3, threshold: 40 });
    expect(decayScore(late, 15 * day)).toBeGreaterThan(70);
    expect(decayScore(late, decayExpiry(late))).toBeCloseTo(40, 0);
  });

  it('validates the model', () => {
    expect(decayModelSchema.safeParse({ decaySpeed: 0 }).success).toBe(false);
    expect(decayModelSchema.safeParse({ lifetime: 0 }).success).toBe(false);
  });
});
