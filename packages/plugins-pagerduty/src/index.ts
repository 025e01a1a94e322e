/**
 * The PagerDuty plugin: a ticket orchestrator destination over the Events API v2 (trigger,
 * re-trigger, acknowledge and resolve by dedup key), with optional status sync through the REST
 * API v2, and the in-process mock of a PagerDuty account that tests and the offline demo use.
 *
 * @module @ce/plugins-pagerduty
 */
export type {
  PagerDutyEvent,
  PagerDutyEventAction,
  PagerDutyEventPayload,
  PagerDutyImage,
  PagerDutyIncident,
  PagerDutyIncidentStatus,
  PagerDutyLink,
  PagerDutyRestError,
  PagerDutySeverity,
} from './pagerduty-api.js';
export {
  pagerDutyDefaultUrls,
  pagerDutyEventActions,
  pagerDutyEventErrorSchema,
  pagerDutyEventResponseSchema,
  pagerDutyIncidentListSchema,
  pagerDutyIncidentSchema,
  pagerDutyIncidentStatuses,
  pagerDutyLimits,
  pagerDutyPaths,
  pagerDutyRestAccept,
  pagerDutySeverities,
} from './pagerduty-api.js';
export type { PagerDutyConfig } from './pagerduty-config.js';
export { pagerDutyConfigSchema } from './pagerduty-config.js';
export {
  acknowledgePagerDutyAlert,
  checkPagerDuty,
  defaultPagerDutySeverityMap,
  pagerDutyDedupKey,
  pagerDutyDefaultMapping,
  pagerDutyDestination,
  pagerDutyIncidentsByKey,
  pagerDutyStatusMap,
  sendPagerDutyEvent,
} from './pagerduty-destination.js';
export type {
  PagerDutyMockIncident,
  PagerDutyMockLogEntry,
  PagerDutyMockServer,
  PagerDutyMockServerOptions,
} from './pagerduty-mock-server.js';
export { pagerDutyEventErrors, startPagerDutyMockServer } from './pagerduty-mock-server.js';
export { pagerDutyPlugin } from './pagerduty-plugin.js';
