/**
 * The host's TAXII 2.1 server: the configured saved lists as read-only collections and the
 * inboxes as writable ones, in one API root named `cte`, authenticated with the REST API's tokens.
 *
 * @module
 */
import type { Logger } from '@ce/core';
import type { ThreatExchange } from '@ce/cte';
import { createExchangeCollectionStore } from '@ce/plugins-taxii';
import { createStaticAuthenticator, createTaxiiServer, type TaxiiRequestListener } from '@ce/taxii';
import type { ApiToken } from './config.js';
import type { HostTaxiiConfig } from './taxii-config.js';

/** Name of the host's single API root: its URL is `<basePath>cte/`. */
export const hostTaxiiApiRoot = 'cte';

/**
 * Builds the TAXII request listener for the host's HTTP server. With API tokens configured, a
 * TAXII client sends one as a bearer token and reads and writes as the token's name; without
 * them every request is the principal `anonymous` (the host listens on loopback by default).
 */
export function createHostTaxiiServer(
  cte: ThreatExchange,
  taxii: HostTaxiiConfig,
  tokens: ReadonlyArray<ApiToken>,
  logger: Logger,
): TaxiiRequestListener {
  const store = createExchangeCollectionStore(cte, {
    collections: taxii.collections.map((collection) => ({
      id: collection.id,
      title: collection.title,
      list: collection.list,
      ...(collection.description !== undefined ? { description: collection.description } : {}),
      ...(collection.alias !== undefined ? { alias: collection.alias } : {}),
      ...(collection.readers !== undefined ? { readers: collection.readers } : {}),
      ...(collection.maxTlp !== undefined ? { maxTlp: collection.maxTlp } : {}),
    })),
    inboxes: taxii.inboxes.map((inbox) => ({
      id: inbox.id,
      title: inbox.title,
      sourceId: inbox.sourceId,
      writers: inbox.writers,
      ...(inbox.description !== undefined ? { description: inbox.description } : {}),
      ...(inbox.alias !== undefined ? { alias: inbox.alias } : {}),
      ...(inbox.includeObservables !== undefined ? { includeObservables: inbox.includeObservables } : {}),
    })),
  });
  return createTaxiiServer({
    basePath: taxii.basePath,
    discovery: { title: taxii.title, defaultApiRoot: hostTaxiiApiRoot },
    apiRoots: { [hostTaxiiApiRoot]: { title: `${taxii.title}: threat exchange`, store } },
    ...(tokens.length > 0
      ? {
          authenticate: createStaticAuthenticator({
            tokens: tokens.map((token) => ({ token: token.token, principal: { id: token.name } })),
          }),
          authChallenge: 'Bearer realm="cloud-exchange"',
        }
      : {}),
    logger,
  });
}
