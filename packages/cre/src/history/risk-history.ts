import type { EntityType, RiskDailyRollup } from '@ce/core';

const dayMs = 86_400_000;

/** The UTC day (`YYYY-MM-DD`) of an epoch-millisecond time. */
export function utcDay(ms: number): string {
  return new Date(Math.floor(ms / dayMs) * dayMs).toISOString().slice(0, 10);
}

/** The UTC day `offset` days after `day` (negative: before). */
export function addDays(day: string, offset: number): string {
  return utcDay(Date.parse(`${day}T00:00:00Z`) + offset * dayMs);
}

/**
 * A rollup with one more score in it. Immutable: returns a new record, so that a rollup read from
 * a store is never changed in place.
 */
export function addToRollup(
  rollup: RiskDailyRollup | undefined,
  entityType: EntityType,
  entityId: string | undefined,
  day: string,
  score: number,
): RiskDailyRollup {
  if (rollup === undefined)
    return entityId === undefined
      ? { entityType, day, sum: score, count: 1, min: score, max: score }
      : { entityType, entityId, day, sum: score, count: 1, min: score, max: score };
  const min = Math.min(score, rollup.min);
  const max = Math.max(score, rollup.max);
  // Built field by field: much faster than a spread on the hot path.
  return rollup.entityId === undefined
    ? {
        entityType: rollup.entityType,
        day: rollup.day,
        sum: rollup.sum + score,
        count: rollup.count + 1,
        min,
        max,
      }
    : {
        entityType: rollup.entityType,
        entityId: rollup.entityId,
        day: rollup.day,
        sum: rollup.sum + score,
        count: rollup.count + 1,
        min,
        max,
      };
}

/** One day of history. */
export interface RiskHistoryDay {
  /** `YYYY-MM-DD`, UTC. */
  readonly day: string;
  /** The day's average score. */
  readonly average: number;
  readonly min: number;
  readonly max: number;
  /** How many scores went into the average (for the organization: how many entities). */
  readonly count: number;
}

/** Whether scores go up (safer), down (riskier) or nowhere in particular. */
export type RiskTrend = 'improving' | 'stable' | 'worsening' | 'unknown';

/** Options of {@link summarizeHistory}. */
export interface HistoryOptions {
  /** The last day of the window (`YYYY-MM-DD`). */
  readonly today: string;
  /** Days in the window, ending with `today`. @default 30 */
  readonly days?: number;
  /**
   * A least-squares slope (points per day) beyond which the trend is improving or worsening
   * rather than stable.
   * @default 5
   */
  readonly trendThreshold?: number;
}

/** A window of daily history with the latest change and the trend. */
export interface RiskHistory {
  readonly from: string;
  readonly to: string;
  /** Days with scores, oldest first (days without scores are left out, not zero). */
  readonly days: ReadonlyArray<RiskHistoryDay>;
  /** The latest day with scores in the window. */
  readonly current?: RiskHistoryDay;
  /** The latest day with scores before `current`. */
  readonly previous?: RiskHistoryDay;
  /** `current.average - previous.average`; absent unless both exist. */
  readonly delta?: number;
  /** Least-squares slope of the daily averages, points per day; absent with fewer than two days. */
  readonly slope?: number;
  /** `unknown` with fewer than two days of scores. */
  readonly trend: RiskTrend;
}

const round = (value: number): number => Math.round(value * 100) / 100;

/**
 * Reduces daily rollups to daily averages, the latest day against the one before it, and the
 * trend: the slope of a least-squares line through the daily averages over the window, so that
 * one odd day moves it less than a comparison of two days would.
 */
export function summarizeHistory(
  rollups: ReadonlyArray<RiskDailyRollup>,
  options: HistoryOptions,
): RiskHistory {
  const window = Math.max(1, Math.floor(options.days ?? 30));
  const threshold = options.trendThreshold ?? 5;
  const to = options.today;
  const from = addDays(to, -(window - 1));
  const days: RiskHistoryDay[] = rollups
    .filter((rollup) => rollup.day >= from && rollup.day <= to && rollup.count > 0)
    .sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0))
    .map((rollup) => ({
      day: rollup.day,
      average: round(rollup.sum / rollup.count),
      min: rollup.min,
      max: rollup.max,
      count: rollup.count,
    }));
  const current = days[days.length - 1];
  const previous = days[days.length - 2];
  let slope: number | undefined;
  if (days.length >= 2) {
    const origin = Date.parse(`${from}T00:00:00Z`);
    const xs = days.map((day) => (Date.parse(`${day.day}T00:00:00Z`) - origin) / dayMs);
    const meanX = xs.reduce((sum, x) => sum + x, 0) / xs.length;
    const meanY = days.reduce((sum, day) => sum + day.average, 0) / days.length;
    let numerator = 0;
    let denominator = 0;
    days.forEach((day, i) => {
      const dx = (xs[i] as number) - meanX;
      numerator += dx * (day.average - meanY);
      denominator += dx * dx;
    });
    slope = round(numerator / denominator);
  }
  const trend: RiskTrend =
    slope === undefined
      ? 'unknown'
      : slope > threshold
        ? 'improving'
        : slope < -threshold
          ? 'worsening'
          : 'stable';
  return {
    from,
    to,
    days,
    ...(current ? { current } : {}),
    ...(previous ? { previous } : {}),
    ...(current && previous ? { delta: round(current.average - previous.average) } : {}),
    ...(slope !== undefined ? { slope } : {}),
    trend,
  };
}
