/**
 * The MISP plugin: pulls attributes through MISP's REST API and MISP-format feeds, pushes
 * indicators as attributes on an event, reports sightings; and an in-process server that speaks
 * MISP's documented API for tests and the offline demo.
 *
 * @module @ce/plugins-misp
 */
// MISP plugin
export type {
  MispAnalysisLevel,
  MispAttribute,
  MispDistribution,
  MispEvent,
  MispFeedManifest,
  MispPullableType,
  MispTag,
  MispThreatLevel,
} from './misp-api.js';
export {
  addAttributesResponseSchema,
  addSightingResponseSchema,
  addTagResponseSchema,
  attributesRestSearchResponseSchema,
  attributeValidationErrorsSchema,
  deleteAttributeResponseSchema,
  eventEnvelopeSchema,
  eventsRestSearchResponseSchema,
  feedManifestEntrySchema,
  feedManifestSchema,
  mispAnalysisLevels,
  mispApiPaths,
  mispAttributeEventSchema,
  mispAttributeSchema,
  mispDecayScoreSchema,
  mispDistributions,
  mispDuplicateMessage,
  mispErrorSchema,
  mispEventSchema,
  mispObjectSchema,
  mispPullableTypes,
  mispSightingSchema,
  mispTagSchema,
  mispThreatLevels,
  saveFailureSchema,
} from './misp-api.js';
export type {
  MispAddOutcome,
  MispAttributeCreate,
  MispAttributeSearch,
  MispClient,
  MispEventCreate,
  MispEventSearch,
  MispSightingOutcome,
  MispTagFilter,
} from './misp-client.js';
export { createMispClient } from './misp-client.js';
export type { MispConfig } from './misp-config.js';
export { mispConfigSchema, mispPullSchema, mispPushSchema } from './misp-config.js';
export type { MispActionParameters, MispSightingReport } from './misp-destination.js';
export {
  mispActionParametersSchema,
  mispActions,
  mispDestination,
  mispMaxBatchCount,
  pushIndicators,
  reportMispSighting,
  retractIndicators,
} from './misp-destination.js';
export type { AttributeMappingOptions, IndicatorMappingOptions, MispEventContext } from './misp-mapping.js';
export {
  attributeToReports,
  attributeValues,
  indicatorToAttribute,
  mispTypeOf,
  parseSeen,
  severityFromThreatLevel,
  tlpOfTag,
} from './misp-mapping.js';
export { mispPlugin } from './misp-plugin.js';
export type { MispApiCheckpoint, MispCheckpoint, MispFeedCheckpoint } from './misp-source.js';
export {
  listRetractedIndicators,
  mispSource,
  pullIndicators,
  pullSearchFilters,
  pullTagFilter,
} from './misp-source.js';
export type {
  MispMockAttribute,
  MispMockAttributeSeed,
  MispMockEvent,
  MispMockEventSeed,
  MispMockServer,
  MispMockServerOptions,
  MispMockSighting,
} from './mock-misp-server.js';
export { startMispMockServer } from './mock-misp-server.js';
