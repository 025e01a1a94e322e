import { type RiskSourceScore, ValidationError } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { compileBands, defaultRiskBands, parseRiskBands } from './risk-bands.js';
import { createAggregator, parseRiskWeights } from './risk-weights.js';

const now = Date.parse('2026-03-01T12:00:00Z');
const hour = 3_600_000;
const mapping = { strategy: 'identity', version: '1' } as const;
const source = (normalized: number | null, ageMs = 0): RiskSourceScore => ({
  raw: normalized,
  normalized,
  mapping,
  observedAt: now - ageMs,
  receivedAt: now - ageMs,
});

function issues(fn: () => unknown): Array<{ path: string; reason: string }> {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return [...(error as ValidationError).issues];
  }
  throw new Error('expected a validation error');
}

describe('bands', () => {
  const band = compileBands(defaultRiskBands);
  it('classifies the default bands at their edges, and fractions into the upper band', () => {
    expect([0, 250, 250.5, 251, 500, 501, 750, 751, 1000].map(band)).toEqual([
      'critical',
      'critical',
      'high',
      'high',
      'high',
      'medium',
      'medium',
      'low',
      'low',
    ]);
    expect(band(null)).toBeNull();
  });
  it('accepts contiguous custom bands covering 0-1000', () => {
    const custom = compileBands(
      parseRiskBands([
        { name: 'bad', from: 0, to: 599 },
        { name: 'good', from: 600, to: 1000 },
      ]),
    );
    expect(custom(599)).toBe('bad');
    expect(custom(600)).toBe('good');
  });
  it('refuses gaps, overlaps, a short range and duplicate names, naming the field', () => {
    expect(
      issues(() =>
        parseRiskBands([
          { name: 'a', from: 0, to: 300 },
          { name: 'b', from: 305, to: 600 },
          { name: 'a', from: 500, to: 900 },
        ]),
      ),
    ).toEqual([
      { path: 'bands[1].from', reason: expect.stringMatching(/must be 301/) },
      { path: 'bands[2].name', reason: '"a" is used twice' },
      { path: 'bands[2].from', reason: expect.stringMatching(/must be 601/) },
      { path: 'bands[2].to', reason: 'the last band must end at 1000' },
    ]);
    expect(issues(() => parseRiskBands([{ name: 'x', from: 1, to: 1000 }]))[0]?.path).toBe('bands[0].from');
  });
});

describe('weights', () => {
  it('defaults to an unweighted mean that never goes stale', () => {
    const weights = parseRiskWeights({});
    expect(weights).toEqual({ method: 'weighted-mean', defaultWeight: 1, sources: {} });
    const aggregate = createAggregator(weights);
    expect(aggregate.score({ a: source(200), b: source(800, 1000 * hour) }, now)).toBe(500);
  });
  it('weighs sources, skips unknown (null), stale and zero-weight ones', () => {
    const aggregate = createAggregator(
      parseRiskWeights({
        staleAfter: '1d',
        sources: { okta: { weight: 3 }, crowdstrike: { weight: 1, staleAfter: '2h' }, muted: { weight: 0 } },
      }),
    );
    expect(aggregate.score({ okta: source(900), crowdstrike: source(100) }, now)).toBe(700);
    expect(aggregate.score({ okta: source(900), crowdstrike: source(100, 3 * hour) }, now)).toBe(900);
    expect(aggregate.score({ okta: source(null), crowdstrike: source(100) }, now)).toBe(100);
    expect(aggregate.score({ muted: source(0), other: source(400, 23 * hour) }, now)).toBe(400);
    expect(aggregate.score({ other: source(400, 25 * hour) }, now)).toBeNull();
    expect(aggregate.score({}, now)).toBeNull();
  });
  it('worst-of takes the riskiest present score', () => {
    const aggregate = createAggregator(parseRiskWeights({ method: 'worst-of', staleAfter: '1h' }));
    expect(aggregate.score({ a: source(900), b: source(320), c: source(10, 2 * hour) }, now)).toBe(320);
  });
  it('noisy-or adds independent risks up', () => {
    const aggregate = createAggregator(
      parseRiskWeights({ method: 'noisy-or', sources: { b: { weight: 0.5 } } }),
    );
    // risks 0.5 and 0.5: 1 - (1 - 0.5)(1 - 0.5) = 0.75 -> 250
    expect(aggregate.score({ a: source(500), c: source(500) }, now)).toBe(250);
    // weight 0.5 on a risk of 0.8 is 0.4: 1 - 0.5 * 0.6 = 0.7 -> 300
    expect(aggregate.score({ a: source(500), b: source(200) }, now)).toBe(300);
    expect(aggregate.score({ a: source(1000) }, now)).toBe(1000);
  });
  it('refuses noisy-or weights above 1 and negative weights, naming the field', () => {
    expect(issues(() => parseRiskWeights({ method: 'noisy-or', sources: { okta: { weight: 2 } } }))).toEqual([
      { path: 'weights.sources.okta.weight', reason: expect.stringMatching(/at most 1 for noisy-or/) },
    ]);
    expect(issues(() => parseRiskWeights({ defaultWeight: -1 }))[0]?.path).toBe('weights.defaultWeight');
    expect(issues(() => parseRiskWeights({ staleAfter: 'soon' }))[0]?.path).toBe('weights.staleAfter');
    expect(issues(() => parseRiskWeights({ method: 'median' }))[0]?.path).toBe('weights.method');
  });
  it('breaks a score down by source', () => {
    const aggregate = createAggregator(parseRiskWeights({ staleAfter: '1h', sources: { a: { weight: 3 } } }));
    const rows = aggregate.breakdown({ b: source(100), a: source(900), c: source(50, 2 * hour) }, now);
    expect(rows.map((row) => [row.sourceConfigId, row.weight, row.stale, row.included, row.share])).toEqual([
      ['a', 3, false, true, 0.75],
      ['b', 1, false, true, 0.25],
      ['c', 1, true, false, 0],
    ]);
    const worst = createAggregator(parseRiskWeights({ method: 'worst-of' }));
    expect(worst.breakdown({ a: source(900), b: source(100) }, now).map((row) => row.share)).toEqual([0, 1]);
  });
});
