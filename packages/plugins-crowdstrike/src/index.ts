/**
 * The CrowdStrike Falcon plugin: threat exchange with Falcon custom IOC management (pull, push,
 * update, retract), and the in-process mock of a Falcon tenant that tests and the offline demo
 * run against.
 *
 * @module @ce/plugins-crowdstrike
 */
export type {
  CrowdStrikeAction,
  CrowdStrikeCloud,
  CrowdStrikeError,
  CrowdStrikeIndicator,
  CrowdStrikeIndicatorCreate,
  CrowdStrikeIndicatorType,
  CrowdStrikeIndicatorUpdate,
  CrowdStrikePlatform,
  CrowdStrikeSeverity,
  IdEnvelope,
  IndicatorEnvelope,
} from './crowdstrike-api.js';
export {
  crowdStrikeActions,
  crowdStrikeApiPaths,
  crowdStrikeClouds,
  crowdStrikeErrorSchema,
  crowdStrikeIndicatorSchema,
  crowdStrikeIndicatorTypes,
  crowdStrikeMetaSchema,
  crowdStrikePlatforms,
  crowdStrikeRateLimitHeaders,
  crowdStrikeSeverities,
  fqlAnyOf,
  fqlString,
  idEnvelopeSchema,
  indicatorEnvelopeSchema,
  tokenResponseSchema,
} from './crowdstrike-api.js';
export type { CrowdStrikeConfig } from './crowdstrike-config.js';
export {
  crowdStrikeConfigSchema,
  crowdStrikePullSchema,
  crowdStrikePushSchema,
  resolveBaseUrl,
} from './crowdstrike-config.js';
export type { CrowdStrikeActionParameters } from './crowdstrike-destination.js';
export {
  crowdStrikeActionParametersSchema,
  crowdStrikeDeleteBatchSize,
  crowdStrikeDestination,
  crowdStrikeTenantCap,
  crowdStrikeWriteBatchSize,
} from './crowdstrike-destination.js';
export type { CrowdStrikeMockServer, CrowdStrikeMockServerOptions } from './crowdstrike-mock-server.js';
export { startCrowdStrikeMockServer } from './crowdstrike-mock-server.js';
export { crowdStrikePlugin } from './crowdstrike-plugin.js';
export type { CrowdStrikeCheckpoint } from './crowdstrike-source.js';
export { buildPullFilter, crowdStrikeSource, toIndicatorReport } from './crowdstrike-source.js';
export { rateLimitWaitMs } from './falcon-client.js';
