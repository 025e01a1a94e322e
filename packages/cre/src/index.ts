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
// Aggregation and weights
export type {
  AggregationMethod,
  Aggregator,
  RiskWeights,
  RiskWeightsInput,
  SourceContribution,
  SourceWeight,
} from './aggregate/risk-weights.js';
export {
  aggregationMethods,
  createAggregator,
  defaultRiskWeights,
  parseRiskWeights,
  riskWeightsSchema,
} from './aggregate/risk-weights.js';
// The engine
export type {
  ChangeActor,
  RiskCommitContext,
  RiskCommitExtension,
  RiskExchangeOptions,
  RiskHistoryQuery,
  RiskIngestReport,
  RiskPullReport,
  RiskRescoreReport,
  RiskScoreBreakdown,
  RiskScoresChangedListener,
  RiskWeightsPreview,
} from './engine/risk-exchange.js';
export { RiskExchange } from './engine/risk-exchange.js';
export type { RiskScoreChangedItem, RiskScoresChangedEvent } from './engine/risk-exchange-events.js';
export { riskExchange } from './engine/risk-exchange-module.js';
export type { RiskIdentityConflict, RiskRejection, RiskScoreChange } from './engine/score-batch.js';
export { provenanceField } from './engine/score-batch.js';
// Entity types and identity
export type {
  CompiledEntityType,
  EntityTypeDefinition,
  FieldMergeStrategy,
  IdentityFormat,
} from './entities/entity-types.js';
export {
  builtInEntityTypeDefinitions,
  compileEntityType,
  compileEntityTypes,
  entityTypeDefinitionSchema,
} from './entities/entity-types.js';
// History
export type { HistoryOptions, RiskHistory, RiskHistoryDay, RiskTrend } from './history/risk-history.js';
export { addDays, addToRollup, summarizeHistory, utcDay } from './history/risk-history.js';
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
