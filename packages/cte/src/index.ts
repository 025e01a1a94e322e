/**
 * @module @ce/cte
 */
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
