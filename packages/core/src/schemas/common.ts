import { z } from 'zod';

/** Severity levels shared by every module, least to most severe. */
export const severityLevels = ['unknown', 'informational', 'low', 'medium', 'high', 'critical'] as const;

/** A severity: `unknown`, `informational`, `low`, `medium`, `high` or `critical`. */
export const severitySchema = z.enum(severityLevels);
/** A severity level. */
export type Severity = z.infer<typeof severitySchema>;

/** Rank of a severity (0 for `unknown` up to 5 for `critical`), for comparisons. */
export function severityRank(severity: Severity): number {
  return severityLevels.indexOf(severity);
}

/**
 * A point in time as accepted on input: an ISO 8601 string with a zone, or epoch milliseconds.
 * Parsed to epoch milliseconds.
 */
export const timestampSchema = z
  .union([
    z.number().int().nonnegative(),
    z.iso.datetime({ offset: true }).transform((text) => Date.parse(text)),
  ])
  .describe('ISO 8601 date-time with zone, or epoch milliseconds');
/** Epoch milliseconds. */
export type Timestamp = number;

/** A duration such as `90d`, `12h`, `30m`, `15s`, `500ms`, or a number of milliseconds. */
export const durationSchema = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d|w)$/, 'expected a duration such as 500ms, 30s, 5m, 12h, 90d or 2w')
    .transform((text) => parseDuration(text)),
]);

const unitMs: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses `90d`, `12h`, `1.5s` ... into milliseconds; throws `RangeError` on anything else. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!match)
    throw new RangeError(`invalid duration "${text}": expected e.g. 500ms, 30s, 5m, 12h, 90d or 2w`);
  return Math.round(Number(match[1]) * (unitMs[match[2] as string] as number));
}

/** Formats milliseconds as the largest exact unit (`90d`, `36h`, `1500ms`). */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = unitMs[unit] as number;
    if (ms !== 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** An identifier chosen by a user: letters, digits, `.`, `_` and `-`, 1 to 128 characters. */
export const identifierSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'use letters, digits, ".", "_" and "-", starting with a letter or digit',
  );

/** The four modules of the exchange. */
export const moduleNames = ['cte', 'cto', 'cre', 'cls'] as const;
/** A module name: `cte` (threat exchange), `cto` (tickets), `cre` (risk), `cls` (logs). */
export const moduleNameSchema = z.enum(moduleNames);
/** A module name. */
export type ModuleName = z.infer<typeof moduleNameSchema>;

/**
 * The outcome of an operation that can fail without throwing: `{ ok: true, value }` or
 * `{ ok: false, error }`.
 */
export type Result<T, E = Error> = { ok: true; value: T } | { ok: false; error: E };

/** Builds a successful {@link Result}. */
export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

/** Builds a failed {@link Result}. */
export function err<E>(error: E): { ok: false; error: E } {
  return { ok: false, error };
}

/** The outcome of one item of a batch operation. */
export type ItemResult<Key = string> =
  | { key: Key; ok: true }
  | { key: Key; ok: false; error: { code: string; message: string; retryable: boolean } };
