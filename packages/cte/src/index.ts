/**
 * @module @ce/cte
 */
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
