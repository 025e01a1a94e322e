import { type CeError, type RiskNormalizationSpec, ValidationError } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { compileBands, defaultRiskBands } from '../aggregate/risk-bands.js';
import { piecewiseFromBands } from './band-aligned.js';
import { defaultCategoricalTable, parseNormalizationSpec } from './normalization-schema.js';
import { compileNormalizer, normalizationVersion, RiskNormalizer } from './risk-normalizer.js';

const band = compileBands(defaultRiskBands);

function issuesOf(input: unknown): Array<{ path: string; reason: string }> {
  try {
    parseNormalizationSpec(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as CeError).code).toBe('VALIDATION_FAILED');
    return [...(error as ValidationError).issues];
  }
  throw new Error('expected the spec to be refused');
}

describe('identity', () => {
  const identity = compileNormalizer({ strategy: 'identity' });
  it('passes 0-1000 through and keeps null unknown, never 0', () => {
    expect(identity.map(0)).toBe(0);
    expect(identity.map(640)).toBe(640);
    expect(identity.map(1000)).toBe(1000);
    expect(identity.map(null)).toBeNull();
    expect(identity.normalize(null)).toEqual({ ok: true, value: null });
  });
  it('refuses out-of-range and wrong-type values with a reason', () => {
    expect(identity.map(1001)).toBe('value 1001 is outside 0-1000');
    expect(identity.map(-1)).toBe('value -1 is outside 0-1000');
    expect(identity.map('500')).toBe('expected a number, got the string "500"');
    expect(identity.map(Number.NaN)).toBe('expected a finite number, got NaN');
    expect(identity.normalize(true)).toEqual({ ok: false, reason: 'expected a number, got boolean' });
  });
});

describe('linear', () => {
  it('BitSight: ratings 250-900 map as (x - 250) / 650 * 1000', () => {
    const bitSight = compileNormalizer({ strategy: 'linear', min: 250, max: 900 });
    expect(bitSight.map(250)).toBe(0);
    expect(bitSight.map(900)).toBe(1000);
    expect(bitSight.map(740)).toBe(Math.round(((740 - 250) / 650) * 1000 * 100) / 100);
    expect(band(bitSight.map(740) as number)).toBe('low');
    expect(bitSight.map(400)).toBe(230.77);
    expect(bitSight.map(200)).toBe('value 200 is outside 250-900');
  });
  it('CrowdStrike ZTA: 0-100, higher safer, is x * 10', () => {
    const zta = compileNormalizer({ strategy: 'linear', min: 0, max: 100 });
    for (const x of [0, 1, 37, 64, 99, 100]) expect(zta.map(x)).toBe(x * 10);
    expect(zta.map(101)).toBe('value 101 is outside 0-100');
  });
  it('KnowBe4: risk 0-100, higher riskier, is 1000 - 10x', () => {
    const knowBe4 = compileNormalizer({ strategy: 'linear', min: 0, max: 100, invert: true });
    for (const x of [0, 12.5, 30, 75, 100]) expect(knowBe4.map(x)).toBe(1000 - 10 * x);
    expect(band(knowBe4.map(80) as number)).toBe('critical');
  });
  it('clamps only when the spec says so', () => {
    const clamped = compileNormalizer({ strategy: 'linear', min: 0, max: 100, clamp: true });
    expect(clamped.map(140)).toBe(1000);
    expect(clamped.map(-5)).toBe(0);
    const inverted = compileNormalizer({ strategy: 'linear', min: 0, max: 100, invert: true, clamp: true });
    expect(inverted.map(140)).toBe(0);
  });
  it('refuses min >= max naming the field', () => {
    expect(issuesOf({ strategy: 'linear', min: 10, max: 10 })).toEqual([
      { path: 'max', reason: 'must be greater than min (10); got 10' },
    ]);
    expect(issuesOf({ strategy: 'linear', min: 0 })[0]?.path).toBe('max');
    expect(issuesOf({ strategy: 'linear', min: 0, max: 1, inverted: true })[0]?.reason).toMatch(/inverted/);
  });
});

describe('piecewise', () => {
  const spec: RiskNormalizationSpec = {
    strategy: 'piecewise',
    points: [
      [0, 1000],
      [39, 751],
      [40, 750],
      [69, 501],
      [70, 500],
      [89, 251],
      [90, 250],
      [100, 0],
    ],
  };
  const piecewise = compileNormalizer(spec);
  it('interpolates between points and hits them exactly', () => {
    expect(piecewise.map(0)).toBe(1000);
    expect(piecewise.map(100)).toBe(0);
    expect(piecewise.map(39)).toBe(751);
    expect(piecewise.map(95)).toBe(125);
    expect(piecewise.map(54.5)).toBe(625.5);
  });
  it('refuses values outside the points unless clamped', () => {
    expect(piecewise.map(101)).toBe('value 101 is outside 0-100');
    expect(compileNormalizer({ ...spec, clamp: true }).map(101)).toBe(0);
    expect(compileNormalizer({ ...spec, clamp: true }).map(-3)).toBe(1000);
  });
  it('refuses points that do not ascend, naming the point', () => {
    expect(
      issuesOf({
        strategy: 'piecewise',
        points: [
          [0, 0],
          [50, 500],
          [50, 600],
        ],
      }),
    ).toEqual([{ path: 'points[2][0]', reason: 'raw values must ascend strictly: 50 follows 50' }]);
    expect(issuesOf({ strategy: 'piecewise', points: [[0, 0]] })[0]).toEqual({
      path: 'points',
      reason: 'needs at least two points',
    });
    expect(
      issuesOf({
        strategy: 'piecewise',
        points: [
          [0, 0],
          [1, 1200],
        ],
      })[0]?.path,
    ).toBe('points[1][1]');
  });
  it('piecewiseFromBands keeps every vendor band inside the matching band, either direction', () => {
    const riskier = compileNormalizer(
      piecewiseFromBands([
        { band: 'low', from: 0, to: 39 },
        { band: 'medium', from: 40, to: 69 },
        { band: 'high', from: 70, to: 89 },
        { band: 'critical', from: 90, to: 100 },
      ]),
    );
    const expected = (x: number) => (x < 40 ? 'low' : x < 70 ? 'medium' : x < 90 ? 'high' : 'critical');
    for (let x = 0; x <= 100; x++) expect(band(riskier.map(x) as number)).toBe(expected(x));
    const safer = compileNormalizer(
      piecewiseFromBands([
        { band: 'critical', from: 250, to: 499 },
        { band: 'high', from: 500, to: 639 },
        { band: 'medium', from: 640, to: 739 },
        { band: 'low', from: 740, to: 900 },
      ]),
    );
    expect(band(safer.map(499) as number)).toBe('critical');
    expect(band(safer.map(500) as number)).toBe('high');
    expect(band(safer.map(740) as number)).toBe('low');
    expect(safer.map(900)).toBe(1000);
  });
  it('piecewiseFromBands refuses unknown bands, overlaps and shuffled order', () => {
    expect(() => piecewiseFromBands([{ band: 'severe', from: 0, to: 1 }])).toThrow(/no band named "severe"/);
    expect(() =>
      piecewiseFromBands([
        { band: 'low', from: 0, to: 50 },
        { band: 'high', from: 50, to: 100 },
      ]),
    ).toThrow(/overlaps/);
    expect(() =>
      piecewiseFromBands([
        { band: 'low', from: 0, to: 10 },
        { band: 'critical', from: 11, to: 20 },
        { band: 'medium', from: 21, to: 30 },
      ]),
    ).toThrow(/in order/);
  });
});

describe('categorical', () => {
  it('Okta and Entra: low, medium, high are 875, 625, 375 by default, any case', () => {
    const entra = compileNormalizer({ strategy: 'categorical' });
    expect(entra.spec).toMatchObject({ table: defaultCategoricalTable });
    expect(entra.map('low')).toBe(875);
    expect(entra.map(' MEDIUM ')).toBe(625);
    expect(entra.map('High')).toBe(375);
    expect(entra.map('critical')).toBe(125);
    expect(entra.map(null)).toBeNull();
  });
  it('refuses unknown labels and numbers with the reason', () => {
    const entra = compileNormalizer({ strategy: 'categorical' });
    expect(entra.map('hidden')).toBe(
      'unknown category "hidden" (expected one of low, medium, high, critical)',
    );
    expect(entra.map(3)).toBe('expected a label (string), got the number 3');
  });
  it('respects caseSensitive and custom tables', () => {
    const table = compileNormalizer({
      strategy: 'categorical',
      table: { none: 1000, Low: 800 },
      caseSensitive: true,
    });
    expect(table.map('Low')).toBe(800);
    expect(typeof table.map('low')).toBe('string');
    expect(issuesOf({ strategy: 'categorical', table: { low: 900, LOW: 800 } })[0]?.path).toBe('table.LOW');
    expect(issuesOf({ strategy: 'categorical', table: {} })[0]?.reason).toBe('needs at least one label');
  });
});

describe('grade', () => {
  const mimecast = compileNormalizer({
    strategy: 'grade',
    grades: { A: 800, B: 600, C: 400, D: 200, F: 1 },
  });
  it('Mimecast: A..F are 800, 600, 400, 200, 1', () => {
    expect(['A', 'B', 'C', 'D', 'F'].map((grade) => mimecast.map(grade))).toEqual([800, 600, 400, 200, 1]);
    expect(mimecast.map('b')).toBe(600);
  });
  it('moves + and - by the modifier step, within 0-1000', () => {
    expect(mimecast.map('B+')).toBe(650);
    expect(mimecast.map('B-')).toBe(550);
    expect(mimecast.map('F-')).toBe(0);
    const stepped = compileNormalizer({
      strategy: 'grade',
      grades: { A: 980, 'A+': 1000 },
      modifierStep: 30,
    });
    expect(stepped.map('A+')).toBe(1000);
    expect(stepped.map('A-')).toBe(950);
  });
  it('refuses unknown grades with the reason', () => {
    expect(mimecast.map('E')).toBe(
      'unknown grade "E" (expected one of A, B, C, D, F, optionally with + or -)',
    );
    expect(mimecast.map('G+')).toMatch(/^unknown grade "G\+"/);
    expect(mimecast.map(4)).toBe('expected a label (string), got the number 4');
    expect(issuesOf({ strategy: 'grade', grades: { 'A*': 1 } })[0]?.path).toBe('grades["A*"]');
  });
});

describe('saturating', () => {
  const saturating = compileNormalizer({ strategy: 'saturating', halfRisk: 10 });
  it('scores 1000 at no risk, 500 at halfRisk, and approaches 0', () => {
    expect(saturating.map(0)).toBe(1000);
    expect(saturating.map(10)).toBe(500);
    expect(saturating.map(30)).toBe(250);
    expect(saturating.map(1000)).toBeGreaterThan(0);
    expect(saturating.map(1000)).toBeLessThan(10);
  });
  it('refuses negative risk and a halfRisk of 0', () => {
    expect(saturating.map(-1)).toBe('value -1 is negative; additive risk starts at 0');
    expect(issuesOf({ strategy: 'saturating', halfRisk: 0 })).toEqual([
      { path: 'halfRisk', reason: 'must be greater than 0' },
    ]);
  });
});

describe('population', () => {
  const reference = Array.from({ length: 100 }, (_, i) => i + 1);
  it('scores the mid-rank percentile within the frozen reference', () => {
    const population = compileNormalizer({
      strategy: 'population',
      reference,
      frozenAt: '2026-01-01T00:00:00Z',
    });
    expect(population.map(0)).toBe(0);
    expect(population.map(50)).toBe(495);
    expect(population.map(50.5)).toBe(500);
    expect(population.map(1000)).toBe(1000);
    const inverted = compileNormalizer({ strategy: 'population', reference, invert: true });
    expect(inverted.map(100)).toBe(5);
    expect(inverted.map(0)).toBe(1000);
  });
  it('ties count half and the reference order does not matter', () => {
    const a = compileNormalizer({ strategy: 'population', reference: [5, 1, 5, 9] });
    expect(a.map(5)).toBe(500);
    expect(a.map(9)).toBe(875);
  });
  it('refuses an empty reference and a frozenAt without a zone', () => {
    expect(issuesOf({ strategy: 'population', reference: [] })[0]?.path).toBe('reference');
    expect(
      issuesOf({ strategy: 'population', reference: [1], frozenAt: '2026-01-01T00:00:00' })[0]?.path,
    ).toBe('frozenAt');
  });
});

describe('versions and specs', () => {
  it('records the spec version, or a digest that changes with the mapping', () => {
    expect(compileNormalizer({ strategy: 'identity', version: '2' }).mapping).toEqual({
      strategy: 'identity',
      version: '2',
    });
    const a = normalizationVersion({ strategy: 'linear', min: 0, max: 100 });
    const b = normalizationVersion({ strategy: 'linear', max: 100, min: 0 });
    const c = normalizationVersion({ strategy: 'linear', min: 0, max: 100, invert: true });
    expect(a).toMatch(/^auto-[0-9a-f]{12}$/);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
  it('refuses an unknown strategy and lists the known ones', () => {
    expect(issuesOf({ strategy: 'magic' })[0]?.reason).toMatch(/strategy must be one of identity, linear/);
    expect(RiskNormalizer.strategies).toHaveLength(7);
    expect(RiskNormalizer.normalize({ strategy: 'linear', min: 0, max: 10 }, 5)).toEqual({
      ok: true,
      value: 500,
    });
  });
});
