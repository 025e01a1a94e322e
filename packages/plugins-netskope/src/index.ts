/**
 * The Netskope plugin: a tenant client shared by every Netskope capability (base URL,
 * `Netskope-Api-Token`, rate limit, error mapping), the threat exchange capabilities (URL lists
 * and file hash lists as destinations, malsite and malware alerts as a source), and an in-process
 * mock tenant for tests and the offline demo; and the log shipper's source (`netskopeLogSource`):
 * events and alerts from the data export iterator, losslessly, within one rate budget per tenant;
 * and the ticket orchestrator's source (`cto.source` of `netskopePlugin`): alerts and DLP incidents
 * as alerts, with ticket statuses written back to the incidents.
 *
 * @module @ce/plugins-netskope
 */

// Log shipper
export type {
  DataExportClient,
  DataExportClientOptions,
  DataExportFailureReason,
  DataExportPageResult,
  DataExportRateLimit,
  DataExportRequest,
} from './cls/data-export-client.js';
export {
  createDataExportClient,
  DataExportError,
  isIndexLostMessage,
  parseCsvRecords,
} from './cls/data-export-client.js';
export type {
  DataExportIteratorOperation,
  DataExportKind,
  NetskopeEventType,
  NetskopeLogAlertType,
} from './cls/data-export-types.js';
export {
  dataExportIdFields,
  dataExportPath,
  dataExportTypePattern,
  netskopeEventTypes,
  netskopeLogAlertTypes,
  nextOnlyType,
} from './cls/data-export-types.js';
export type { LosslessJsonOptions } from './cls/lossless-json.js';
export { parseJsonLossless, quoteUnsafeIntegers } from './cls/lossless-json.js';
export type {
  NetskopeLogSourceConfig,
  NetskopeLogSourceOptions,
  NetskopeStreamCheckpoint,
} from './cls/netskope-log-source.js';
export {
  createNetskopeLogSource,
  netskopeBackfillIndex,
  netskopeLogIndex,
  netskopeLogSource,
  netskopeLogSourceConfigSchema,
  requestedPageStateKey,
} from './cls/netskope-log-source.js';
export type { PulledIndicatorType } from './cte/alert-indicators.js';
export { alertIndicators } from './cte/alert-indicators.js';
export type { FittedList, ListCandidate, ListCaps } from './cte/list-capacity.js';
export { capacityOrder, chunkEntries, fitList, jsonArrayEntryBytes } from './cte/list-capacity.js';
export type { NetskopeConfig } from './cte/netskope-plugin.js';
export { netskopeConfigSchema, netskopeIteratorIndex, netskopePlugin } from './cte/netskope-plugin.js';
export type {
  AlertSourceCheckpoint,
  AlertStreamCheckpoint,
  PullAlertsContext,
  PullAlertsOptions,
} from './cte/pull-alerts.js';
export { pullAlerts, requestedPageKey } from './cte/pull-alerts.js';
export type { FileHashListActionParameters, FileHashListPushLimits } from './cte/push-file-hash-list.js';
export { fileHashListActionParametersSchema, pushFileHashList } from './cte/push-file-hash-list.js';
export type { UrlListActionParameters, UrlListPushLimits } from './cte/push-url-list.js';
export { pushUrlList, urlListActionParametersSchema } from './cte/push-url-list.js';
export type { UrlListEntriesResult, UrlListEntryOptions } from './cte/url-list-entries.js';
export { escapeRegex, toUrlListEntries } from './cte/url-list-entries.js';
// Ticket orchestrator
export type { NetskopeAlertEventType, NetskopeAlertMapping } from './cto/alert-mapping.js';
export { netskopeAlertEventTypes, netskopeRecordToAlert, netskopeSeverity } from './cto/alert-mapping.js';
export type {
  IncidentUpdateItem,
  IncidentUpdateOutcome,
  IncidentUpdatePlan,
  IncidentUpdatePlanOptions,
  NetskopeIncidentStatus,
  SkippedIncidentAlert,
} from './cto/incident-update.js';
export {
  defaultIncidentStatusMap,
  incidentObjectId,
  incidentUpdateResponseSchema,
  netskopeIncidentBatchSize,
  netskopeIncidentStatuses,
  netskopeIncidentUpdatePath,
  normalizeIncidentStatus,
  planIncidentStatusUpdates,
  sendIncidentUpdates,
} from './cto/incident-update.js';
export type {
  NetskopeAlertSourceCheckpoint,
  NetskopeAlertSourceConfig,
  NetskopeAlertSourceOptions,
  NetskopeAlertSourceSettings,
  NetskopeAlertStreamCheckpoint,
} from './cto/netskope-alert-source.js';
export {
  createNetskopeAlertSource,
  netskopeAlertIndex,
  netskopeAlertIndexPrefix,
  netskopeAlertRequestedKey,
  netskopeAlertSourceSettingsSchema,
  netskopeIncidentStatusKey,
  netskopeIncidentUpdateLimiters,
} from './cto/netskope-alert-source.js';
export type {
  MockDataExportFault,
  MockDataExportKind,
  MockDataExportPage,
  MockGeneratedData,
} from './mock/dataexport-iterator.js';
export type { GenerateRecordOptions, MockDataExportRecord } from './mock/dataexport-records.js';
export { generateDataExportRecord, stringifyWithBigInts } from './mock/dataexport-records.js';
export type {
  MockIncident,
  MockIncidentChange,
  MockIteratorState,
  MockUrlList,
  MockWaitTimeInput,
  NetskopeMockServer,
  NetskopeMockServerOptions,
  NetskopeMockTenant,
} from './mock/netskope-mock-server.js';
export { startNetskopeMockServer } from './mock/netskope-mock-server.js';
export type {
  DataExportOperation,
  DataExportPage,
  NetskopeAlertType,
  NetskopeUrlList,
  UrlListPatchAction,
  UrlListRequest,
  UrlListType,
} from './tenant/netskope-api.js';
export {
  dataExportPageSchema,
  duplicateFileHashRequest,
  netskopeAlertTypes,
  netskopeApiPaths,
  netskopeErrorBodySchema,
  netskopeListLimits,
  netskopeTokenHeader,
  urlListArraySchema,
  urlListCreatedSchema,
  urlListSchema,
  v1ResponseSchema,
} from './tenant/netskope-api.js';
export type { RefusedEntry } from './tenant/netskope-errors.js';
export { mapNetskopeError, netskopeErrorMessage, refusedEntries, v1Error } from './tenant/netskope-errors.js';
export type {
  FileHashListResult,
  ListUrlListsOptions,
  NetskopeClientContext,
  NetskopeTenantClient,
} from './tenant/tenant-client.js';
export { createNetskopeTenantClient } from './tenant/tenant-client.js';
export type {
  TenantLimiterRegistry,
  TenantLimiterRegistryOptions,
  TenantRateLimiter,
} from './tenant/tenant-limiter.js';
export { createTenantLimiterRegistry, netskopeTenantLimiters } from './tenant/tenant-limiter.js';
export type { NetskopeTenantSettings } from './tenant/tenant-settings.js';
export {
  netskopeBaseUrl,
  netskopeHttpSettings,
  netskopeTenantSettingsSchema,
  netskopeTenantSettingsShape,
} from './tenant/tenant-settings.js';
