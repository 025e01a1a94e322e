import { type IndicatorType, ValidationError } from '@ce/core';
import { quotePatternString } from './print-pattern.js';

/** The object path each Cloud Exchange indicator type is written with. */
const pathByType: Record<IndicatorType, string> = {
  url: 'url:value',
  domain: 'domain-name:value',
  hostname: 'domain-name:value',
  ipv4: 'ipv4-addr:value',
  'ipv4-cidr': 'ipv4-addr:value',
  ipv6: 'ipv6-addr:value',
  'ipv6-cidr': 'ipv6-addr:value',
  md5: 'file:hashes.MD5',
  sha1: "file:hashes.'SHA-1'",
  sha256: "file:hashes.'SHA-256'",
  email: 'email-addr:value',
};

/** One indicator to write into a pattern. */
export interface PatternIndicatorInput {
  /** The indicator type; decides the object path. */
  type: IndicatorType;
  /** The value, written as a string literal (quotes and backslashes escaped). */
  value: string;
}

/**
 * Builds a STIX pattern that matches any of the given indicators: one observation per indicator,
 * joined by `OR` (`[url:value = 'http://x.example/'] OR [domain-name:value = 'x.example']`). The
 * inverse of {@link extractPatternIndicators}. `hostname` is written as `domain-name`, CIDR types
 * as their address object; hashes as `file:hashes.MD5`, `file:hashes.'SHA-1'` and
 * `file:hashes.'SHA-256'`. Values are written as given; normalizing them is the caller's business.
 *
 * @param indicators - at least one indicator
 * @returns the pattern text
 * @throws `ValidationError` (code `VALIDATION_FAILED`) when the list is empty, a type is unknown
 *   or a value is empty
 *
 * @example
 * ```ts
 * buildPattern([{ type: 'sha256', value: 'aec0...' }, { type: 'domain', value: 'x.example' }]);
 * // "[file:hashes.'SHA-256' = 'aec0...'] OR [domain-name:value = 'x.example']"
 * ```
 */
export function buildPattern(indicators: ReadonlyArray<PatternIndicatorInput>): string {
  if (indicators.length === 0) {
    throw new ValidationError('indicators for a STIX pattern', [
      { path: '', reason: 'at least one indicator is needed' },
    ]);
  }
  let out = '';
  for (let i = 0; i < indicators.length; i++) {
    const indicator = indicators[i] as PatternIndicatorInput;
    const path = Object.hasOwn(pathByType, indicator.type) ? pathByType[indicator.type] : undefined;
    if (path === undefined) {
      throw new ValidationError('indicators for a STIX pattern', [
        { path: `[${i}].type`, reason: `unknown indicator type '${String(indicator.type)}'` },
      ]);
    }
    if (typeof indicator.value !== 'string' || indicator.value.length === 0) {
      throw new ValidationError('indicators for a STIX pattern', [
        { path: `[${i}].value`, reason: 'value must be a non-empty string' },
      ]);
    }
    if (i > 0) out += ' OR ';
    out += `[${path} = ${quotePatternString(indicator.value)}]`;
  }
  return out;
}
