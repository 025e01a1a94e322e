/**
 * The TAXII plugin: pulls STIX indicators from TAXII 2.0 and 2.1 collections into the threat
 * exchange and pushes shared indicators to writable collections.
 *
 * @module @ce/plugins-taxii
 */
// The plugin

// Exchange-backed TAXII collections
export type {
  ExchangeCollectionConfig,
  ExchangeCollectionStoreOptions,
  ExchangeCollectionTlp,
  ExchangeInboxConfig,
} from './exchange-collection-store.js';
export { createExchangeCollectionStore } from './exchange-collection-store.js';
export type { TaxiiPluginConfig } from './taxii-config.js';
export {
  observableStixTypes,
  pullTypesOf,
  taxiiAuthKinds,
  taxiiAuthOf,
  taxiiAuthSchema,
  taxiiConfigSchema,
} from './taxii-config.js';
export type { ResolvedTaxiiCollection } from './taxii-connection.js';
export { createTaxiiClient, findCollection, resolveCollection } from './taxii-connection.js';
export type { TaxiiActionParameters } from './taxii-destination.js';
export {
  taxiiActionParametersSchema,
  taxiiDestination,
  taxiiMaxBatchBytes,
  taxiiMaxBatchCount,
} from './taxii-destination.js';
export { taxiiPlugin } from './taxii-plugin.js';
export type { ConvertedTaxiiPage, TaxiiSourceCheckpoint } from './taxii-source.js';
export { convertTaxiiPage, retractedStatePrefix, taxiiSource } from './taxii-source.js';
