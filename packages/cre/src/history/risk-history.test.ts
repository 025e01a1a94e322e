import type { RiskDailyRollup } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { addDays, addToRollup, summarizeHistory, utcDay } from './risk-history.js';

const rollup = (day: string, average: number, count = 2): RiskDailyRollup => ({
  entityType: 'user',
  entityId: 'u1',
  day,
  sum: average * count,
  count,
  min: average - 10,
  max: average + 10,
});

describe('days', () => {
  it('uses UTC days', () => {
    expect(utcDay(Date.parse('2026-03-01T23:59:59.999Z'))).toBe('2026-03-01');
    expect(utcDay(Date.parse('2026-03-02T00:00:00Z'))).toBe('2026-03-02');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
  });
});

describe('rollups', () => {
  it('adds scores without changing the rollup it was given', () => {
    const first = addToRollup(undefined, 'user', 'u1', '2026-03-01', 400);
    const second = addToRollup(first, 'user', 'u1', '2026-03-01', 600);
    expect(first).toEqual({
      entityType: 'user',
      entityId: 'u1',
      day: '2026-03-01',
      sum: 400,
      count: 1,
      min: 400,
      max: 400,
    });
    expect(second).toMatchObject({ sum: 1000, count: 2, min: 400, max: 600 });
    expect(addToRollup(undefined, 'user', undefined, '2026-03-01', 1)).not.toHaveProperty('entityId');
  });
});

describe('summarizeHistory', () => {
  it('reports daily averages, the latest day against the one before, and the delta', () => {
    const history = summarizeHistory(
      [rollup('2026-03-03', 700), rollup('2026-03-01', 600), rollup('2026-03-04', 650)],
      {
        today: '2026-03-04',
        days: 7,
      },
    );
    expect(history.from).toBe('2026-02-26');
    expect(history.days.map((day) => [day.day, day.average])).toEqual([
      ['2026-03-01', 600],
      ['2026-03-03', 700],
      ['2026-03-04', 650],
    ]);
    expect(history.current?.day).toBe('2026-03-04');
    expect(history.previous?.day).toBe('2026-03-03');
    expect(history.delta).toBe(-50);
  });
  it('fits a least-squares slope and calls the trend by the threshold', () => {
    const rising = ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04'].map((day, i) =>
      rollup(day, 500 + 20 * i),
    );
    expect(summarizeHistory(rising, { today: '2026-03-04' })).toMatchObject({
      slope: 20,
      trend: 'improving',
    });
    const falling = rising.map((r, i) => rollup(r.day, 800 - 30 * i));
    expect(summarizeHistory(falling, { today: '2026-03-04' })).toMatchObject({
      slope: -30,
      trend: 'worsening',
    });
    const flat = rising.map((r, i) => rollup(r.day, 600 + (i % 2 ? 4 : -4)));
    expect(summarizeHistory(flat, { today: '2026-03-04' }).trend).toBe('stable');
    expect(summarizeHistory(falling, { today: '2026-03-04', trendThreshold: 40 }).trend).toBe('stable');
    // One bad day among good ones moves a fitted line less than a day-to-day comparison.
    const blip = rising.map((r) => rollup(r.day, 600)).concat(rollup('2026-03-05', 540));
    const summary = summarizeHistory(blip, { today: '2026-03-05' });
    expect(summary.delta).toBe(-60);
    expect(summary.trend).toBe('worsening');
    expect(summary.slope).toBe(-12);
  });
  it('leaves days outside the window out and says unknown with fewer than two days', () => {
    const history = summarizeHistory([rollup('2026-01-01', 100), rollup('2026-03-04', 650)], {
      today: '2026-03-04',
      days: 30,
    });
    expect(history.days).toHaveLength(1);
    expect(history.trend).toBe('unknown');
    expect(history).not.toHaveProperty('delta');
    expect(summarizeHistory([], { today: '2026-03-04' })).toMatchObject({ days: [], trend: 'unknown' });
  });
});
