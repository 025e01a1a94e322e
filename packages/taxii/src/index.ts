/**
 * TAXII 2.1 for Cloud Exchange: `TaxiiClient` (which also reads TAXII 2.0 servers) and
 * `createTaxiiServer`, a request handler for `node:http` that serves collections from any
 * collection store.
 *
 * @module @ce/taxii
 */
export {};
