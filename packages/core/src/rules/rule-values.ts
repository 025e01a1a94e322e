import { parseDuration, severityLevels } from '../schemas/common.js';
import type { RuleScalar } from './rule-ast.js';

// Date-only (read as UTC) or date-time with a zone; zone-less date-times would depend on the host.
const isoDatePattern =
  /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?))?$/;

const severityRanks: ReadonlyMap<string, number> = new Map(
  severityLevels.map((level, rank) => [level, rank]),
);

/** Rank of a severity name (any case), or `undefined` when it is not one. */
export function severityRankOf(value: string): number | undefined {
  return severityRanks.get(value) ?? severityRanks.get(value.toLowerCase());
}

/** Epoch milliseconds of an ISO 8601 date or date-time with zone, or `undefined`. */
export function isoTime(value: string): number | undefined {
  if (!isoDatePattern.test(value)) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

/** Epoch milliseconds of a record's timestamp: epoch ms, an ISO string or a `Date`. */
export function timeOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') return isoTime(value);
  if (value instanceof Date) {
    const time = value.getTime();
    return Number.isNaN(time) ? undefined : time;
  }
  return undefined;
}

/** How `gt`/`gte`/`lt`/`lte` compare, decided by the rule's value. */
export type Ordering =
  | { kind: 'number'; bound: number }
  | { kind: 'severity'; bound: number }
  | { kind: 'time'; bound: number };

/** The ordering a comparison value implies, or `undefined` when it cannot be ordered. */
export function orderingOf(value: RuleScalar | undefined): Ordering | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? { kind: 'number', bound: value } : undefined;
  if (typeof value !== 'string') return undefined;
  const rank = severityRankOf(value);
  if (rank !== undefined) return { kind: 'severity', bound: rank };
  const time = isoTime(value);
  return time === undefined ? undefined : { kind: 'time', bound: time };
}

/** Milliseconds of a duration value (`30d`, or a number of ms), or `undefined` when invalid. */
export function durationOf(value: RuleScalar | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  try {
    return parseDuration(value);
  } catch {
    return undefined;
  }
}
