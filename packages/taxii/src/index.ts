/**
 * TAXII 2.1 for Cloud Exchange: `TaxiiClient` (which also reads TAXII 2.0 servers) and
 * `createTaxiiServer`, a request handler for `node:http` that serves collections from any
 * collection store.
 *
 * @module @ce/taxii
 */
// Client
export type {
  TaxiiAddObjectsOptions,
  TaxiiAddObjectsResult,
  TaxiiAuth,
  TaxiiClientOptions,
  TaxiiDeleteOptions,
  TaxiiGetObjectOptions,
  TaxiiGetObjectsOptions,
  TaxiiGetVersionsOptions,
  TaxiiManifestPage,
  TaxiiMatch,
  TaxiiObjectsPage,
  TaxiiPageInfo,
  TaxiiPollCheckpoint,
  TaxiiPolledPage,
  TaxiiStatusPollingOptions,
  TaxiiVersion,
  TaxiiVersionsPage,
} from './client/taxii-client.js';
export { TaxiiClient } from './client/taxii-client.js';
// Media types
export type { MediaRange } from './media-types.js';
export {
  acceptsTaxii21,
  isTaxii20ContentType,
  isTaxii21ContentType,
  parseAccept,
  parseMediaType,
  stix20MediaType,
  stix21MediaType,
  taxii20MediaType,
  taxii21MediaType,
} from './media-types.js';
// Server: the collection store contract
export type {
  TaxiiAddContext,
  TaxiiCollectionInfo,
  TaxiiCollectionStore,
  TaxiiDeleteFilter,
  TaxiiManifestRecord,
  TaxiiObjectQuery,
  TaxiiObjectResult,
  TaxiiPage,
  TaxiiPrincipal,
  TaxiiStoredObject,
  TaxiiVersionRecord,
  TaxiiVersionSelector,
  TaxiiVersionsQuery,
} from './server/collection-store.js';
// Server: the in-memory store
export type {
  MemoryCollectionConfig,
  MemoryCollectionStore,
  MemoryCollectionStoreOptions,
  TaxiiAccessList,
} from './server/memory-collection-store.js';
export { createMemoryCollectionStore } from './server/memory-collection-store.js';
// Server: authentication
export type {
  StaticAuthenticatorOptions,
  StaticToken,
  StaticUser,
  TaxiiAuthenticator,
} from './server/static-authenticator.js';
export { createStaticAuthenticator } from './server/static-authenticator.js';
// Server
export type { TaxiiApiRootOptions, TaxiiRequestListener, TaxiiServerOptions } from './server/taxii-server.js';
export { createTaxiiServer } from './server/taxii-server.js';
// Resources and timestamps
export type {
  TaxiiApiRoot,
  TaxiiCollection,
  TaxiiDiscovery,
  TaxiiErrorMessage,
  TaxiiManifestEntry,
  TaxiiObject,
  TaxiiStatus,
  TaxiiStatusDetail,
} from './taxii-types.js';
export { formatMicros, timestampKey, timestampMicros } from './timestamps.js';
