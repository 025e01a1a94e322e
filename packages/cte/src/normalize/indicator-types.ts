/**
 * The indicator types, re-exported from `@ce/core` so that `@ce/cte` users get the same tuple and
 * schema objects that plugins see (a second copy would make `indicatorTypeSchema` two different
 * schemas), plus the small helpers normalization needs.
 *
 * @module
 */
import { type IndicatorType, indicatorTypeSchema, indicatorTypes } from '@ce/core';

export type { IndicatorType };
export { indicatorTypeSchema, indicatorTypes };

const known: ReadonlySet<string> = new Set(indicatorTypes);

/** Whether `value` is one of {@link indicatorTypes}; for callers that get the type as untyped text. */
export function isIndicatorType(value: unknown): value is IndicatorType {
  return typeof value === 'string' && known.has(value);
}

/** The hash indicator types and their lengths in hex characters. */
export const hashLengths = { md5: 32, sha1: 40, sha256: 64 } as const satisfies Partial<
  Record<IndicatorType, number>
>;

/** A hash indicator type: `md5`, `sha1` or `sha256`. */
export type HashType = keyof typeof hashLengths;
