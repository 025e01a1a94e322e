/**
 * The risk exchange (CRE): one normalized score (0-1000, higher is safer) per user, device and
 * application from many vendors' scores, with bands, daily history and trends.
 *
 * @module @ce/cre
 */

// Bands
export type { BandClassifier, RiskBand } from './aggregate/risk-bands.js';
export {
  bandMedian,
  compileBands,
  defaultRiskBands,
  parseRiskBands,
  riskBandsSchema,
} from './aggregate/risk-bands.js';
// Normalization
export type { PiecewiseFromBandsOptions, VendorBand } from './normalize/band-aligned.js';
export { piecewiseFromBands } from './normalize/band-aligned.js';
export {
  defaultCategoricalTable,
  parseNormalizationSpec,
  riskNormalizationSpecSchema,
} from './normalize/normalization-schema.js';
export type { CompiledNormalizer, NormalizeResult } from './normalize/risk-normalizer.js';
export {
  compileNormalizer,
  normalizationStrategies,
  normalizationVersion,
  RiskNormalizer,
} from './normalize/risk-normalizer.js';
