/**
 * @module @ce/cte
 */
export type { AgingReport } from './aging/aging-run.js';
export type { DecayModel } from './aging/decay.js';
export { decayExpiry, decayModelSchema, decayScore } from './aging/decay.js';
export type { IngestReport, RejectedSample } from './engine/ingest-report.js';
export { parseIndicatorText } from './engine/parse-indicator-text.js';
export type { SourcePolicyLookup } from './engine/reconcile.js';
export { reconcile } from './engine/reconcile.js';
export type {
  IndicatorPolicy,
  IndicatorPolicyInput,
  MergeStrategy,
  SourcePolicy,
  SourcePolicyInput,
} from './engine/source-policy.js';
export {
  defaultSourcePolicy,
  indicatorPolicySchema,
  mergeStrategies,
  sourcePolicySchema,
} from './engine/source-policy.js';
export type {
  IndicatorDetails,
  ListChangesPage,
  PullReport,
  SharingExplanation,
  SharingPreview,
  SightingInput,
  ThreatExchangeOptions,
} from './engine/threat-exchange.js';
export { ThreatExchange } from './engine/threat-exchange.js';
export type {
  IndicatorSightedEvent,
  IndicatorsAddedEvent,
  IndicatorsExpiredEvent,
  IndicatorsRetractedEvent,
  IndicatorsSharedEvent,
  IndicatorsUpdatedEvent,
  ThreatExchangeEvents,
} from './engine/threat-exchange-events.js';
export { threatExchange } from './engine/threat-exchange-module.js';
export type { ExportFormat } from './lists/export-indicators.js';
export { exportIndicators } from './lists/export-indicators.js';
// Normalization
export type { HashType, IndicatorType } from './normalize/indicator-types.js';
export {
  hashLengths,
  indicatorTypeSchema,
  indicatorTypes,
  isIndicatorType,
} from './normalize/indicator-types.js';
export { inferIndicatorType } from './normalize/infer-type.js';
export { normalizeIndicator } from './normalize/normalize-indicator.js';
export type {
  NormalizeFailure,
  NormalizeFailureCode,
  NormalizeResult,
  NormalizeSuccess,
} from './normalize/normalize-result.js';
export { indicatorValueLimits, normalizeFailureCodes } from './normalize/normalize-result.js';
export { refang } from './normalize/refang.js';
export type { Eligibility, EligibilityStep, SharingView } from './sharing/eligibility.js';
export { sharingView } from './sharing/eligibility.js';
export { sharedFingerprint, toSharedIndicator } from './sharing/fingerprint.js';
export type { ShareRunReport } from './sharing/share-run.js';
export { destinationIdOf } from './sharing/share-run.js';
export type {
  IndicatorList,
  IndicatorListInput,
  SharingRule,
  SharingRuleInput,
} from './sharing/sharing-rule.js';
export { indicatorListInputSchema, sharingRuleInputSchema } from './sharing/sharing-rule.js';
// Warninglists
export type { BuiltinWarninglistId } from './warninglists/builtin-warninglists.js';
export { builtinWarninglistIds, builtinWarninglists } from './warninglists/builtin-warninglists.js';
export type {
  MispAttributeMapping,
  MispWarninglist,
  ParseMispWarninglistOptions,
} from './warninglists/misp-warninglist.js';
export {
  mapMispAttributes,
  mispAttributeIndicatorTypes,
  mispWarninglistSchema,
  parseMispWarninglist,
  readMispWarninglistFile,
  warninglistIdFromName,
} from './warninglists/misp-warninglist.js';
export type {
  AllowlistDefinition,
  AllowlistEntry,
  AllowlistEntryType,
  WarninglistCategory,
  WarninglistDefinition,
  WarninglistMatch,
  WarninglistMatchType,
  WarninglistSummary,
} from './warninglists/warninglist.js';
export {
  allowlistDefinitionSchema,
  allowlistEntrySchema,
  allowlistEntryTypes,
  warninglistCategories,
  warninglistDefinitionSchema,
  warninglistEntryMaxLength,
  warninglistMatchTypes,
} from './warninglists/warninglist.js';
export type {
  AddWarninglistOptions,
  AddWarninglistResult,
  WarninglistMatcherOptions,
} from './warninglists/warninglist-index.js';
export {
  createWarninglistMatcher,
  skippedIssueLimit,
  WarninglistIndex,
} from './warninglists/warninglist-index.js';
