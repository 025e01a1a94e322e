import { type RiskNormalizationSpec, ValidationError } from '@ce/core';
import { defaultRiskBands, type RiskBand } from '../aggregate/risk-bands.js';

/** One of a vendor's own severity bands: its raw range (inclusive) and the exchange band it means. */
export interface VendorBand {
  /** The exchange band it corresponds to (`critical`, `high`, ...). */
  readonly band: string;
  /** Lowest raw value of the vendor's band. */
  readonly from: number;
  /** Highest raw value of the vendor's band. */
  readonly to: number;
}

/** Options of {@link piecewiseFromBands}. */
export interface PiecewiseFromBandsOptions {
  /** The exchange's bands. @default defaultRiskBands */
  readonly bands?: ReadonlyArray<RiskBand>;
  /** Recorded as the mapping's version. */
  readonly version?: string;
  /** Clamp raw values outside the vendor's bands. @default false */
  readonly clamp?: boolean;
}

/**
 * Builds a `piecewise` spec that maps each of a vendor's severity bands onto the matching
 * exchange band, end to end, so that a vendor's "high" never lands in the exchange's "medium"
 * however the two scales differ in width or direction. Works for vendors whose higher raw value
 * means riskier (their `critical` band has the highest raw values) as well as safer.
 *
 * @example
 * ```ts
 * // A vendor risk score 0-100, higher riskier: 0-39 low, 40-69 medium, 70-89 high, 90-100 critical.
 * const spec = piecewiseFromBands([
 *   { band: 'low', from: 0, to: 39 },
 *   { band: 'medium', from: 40, to: 69 },
 *   { band: 'high', from: 70, to: 89 },
 *   { band: 'critical', from: 90, to: 100 },
 * ]);
 * ```
 */
export function piecewiseFromBands(
  vendorBands: ReadonlyArray<VendorBand>,
  options: PiecewiseFromBandsOptions = {},
): Extract<RiskNormalizationSpec, { strategy: 'piecewise' }> {
  const bands = options.bands ?? defaultRiskBands;
  const issues: Array<{ path: string; reason: string }> = [];
  const sorted = vendorBands
    .map((vendor, index) => ({ vendor, index, target: bands.findIndex((band) => band.name === vendor.band) }))
    .sort((a, b) => a.vendor.from - b.vendor.from);
  for (const { vendor, index, target } of sorted) {
    if (target < 0) issues.push({ path: `[${index}].band`, reason: `no band named "${vendor.band}"` });
    if (!(Number.isFinite(vendor.from) && Number.isFinite(vendor.to) && vendor.from < vendor.to))
      issues.push({ path: `[${index}].to`, reason: `must be greater than from (${vendor.from})` });
  }
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1];
    const current = sorted[i];
    if (previous && current && !(current.vendor.from > previous.vendor.to))
      issues.push({
        path: `[${current.index}].from`,
        reason: `overlaps the band ending at ${previous.vendor.to}`,
      });
  }
  // Safer raw values must go to safer bands all the way, or riskier ones all the way.
  const targets = sorted.map((entry) => entry.target);
  const ascending = targets.every((target, i) => i === 0 || target > (targets[i - 1] as number));
  const descending = targets.every((target, i) => i === 0 || target < (targets[i - 1] as number));
  if (sorted.length < 1) issues.push({ path: '', reason: 'needs at least one vendor band' });
  else if (issues.length === 0 && !ascending && !descending)
    issues.push({
      path: '',
      reason: 'vendor bands must follow the exchange bands in order (or in reverse order)',
    });
  if (issues.length > 0) throw new ValidationError('invalid vendor bands', issues);
  const points: Array<readonly [number, number]> = [];
  for (const { vendor, target } of sorted) {
    const band = bands[target] as RiskBand;
    // A single band counts as ascending: its lowest raw value is its safest.
    if (ascending) points.push([vendor.from, band.from], [vendor.to, band.to]);
    else points.push([vendor.from, band.to], [vendor.to, band.from]);
  }
  return {
    strategy: 'piecewise',
    points,
    ...(options.clamp ? { clamp: true } : {}),
    ...(options.version !== undefined ? { version: options.version } : {}),
  };
}
