/**
 * The Netskope plugin: a tenant client shared by every Netskope capability (base URL,
 * `Netskope-Api-Token`, rate limit, error mapping), the threat exchange capabilities (URL lists
 * and file hash lists as destinations, malsite and malware alerts as a source), and an in-process
 * mock tenant for tests and the offline demo.
 *
 * @module @ce/plugins-netskope
 */
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
export type {
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
export type { NetskopeTenantSettings } from './tenant/tenant-settings.js';
export {
  netskopeBaseUrl,
  netskopeHttpSettings,
  netskopeTenantSettingsSchema,
  netskopeTenantSettingsShape,
} from './tenant/tenant-settings.js';
