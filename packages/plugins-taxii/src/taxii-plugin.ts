import { CeError, HttpError } from '@ce/core';
import { definePlugin } from '@ce/plugin-kit';
import { taxiiConfigSchema } from './taxii-config.js';
import { createTaxiiClient, resolveCollection } from './taxii-connection.js';
import { taxiiDestination } from './taxii-destination.js';
import { taxiiSource } from './taxii-source.js';

/**
 * The TAXII plugin for the threat exchange. As a source it polls a TAXII 2.1 (or 2.0)
 * collection's objects added since the last pull and turns STIX indicators (and, optionally,
 * cyber-observables) into exchange indicators; revoked and expired ones are retracted. As a
 * destination it adds shared indicators to a writable collection as STIX 2.1 indicators with
 * stable ids, and revokes them on retraction. All requests go through the context's HTTP client.
 *
 * @example
 * ```ts
 * const exchange = await createCloudExchange({ storage, plugins: [taxiiPlugin], modules: [threatExchange()] });
 * await exchange.configurations.add({
 *   id: 'partner-taxii',
 *   pluginId: 'taxii',
 *   config: {
 *     url: 'https://cti.partner.example/taxii2/',
 *     collection: 'High Value Indicators',
 *     auth: { kind: 'basic', username: 'exchange', password: { secretRef: 'partner-taxii-password' } },
 *   },
 * });
 * ```
 */
export const taxiiPlugin = definePlugin({
  id: 'taxii',
  name: 'TAXII 2.1 / 2.0',
  version: '0.1.0',
  description:
    'Pulls STIX indicators from a TAXII 2.1 or 2.0 collection and adds shared indicators, and their revocations, to a writable collection.',
  modules: ['cte'],
  configSchema: taxiiConfigSchema,
  capabilities: { check: true, 'cte.pull': true, 'cte.push': true, 'cte.retract': true },
  http: (config) =>
    config.requestsPerSecond === undefined
      ? {}
      : {
          rateLimit: {
            requestsPerSecond: config.requestsPerSecond,
            burst: Math.max(1, Math.ceil(config.requestsPerSecond)),
          },
        },
  async check(context) {
    const client = createTaxiiClient(context);
    try {
      const { apiRoot, collection, version } = await resolveCollection(client, context);
      return {
        ok: true,
        message: `TAXII ${version}: collection "${collection.title}" (${collection.id}) in ${apiRoot}; can_read=${collection.can_read}, can_write=${collection.can_write}`,
      };
    } catch (error) {
      if (CeError.isInstance(error) && error.code === 'HTTP_AUTH_FAILED') {
        const status = HttpError.isInstance(error) ? (error as HttpError).status : undefined;
        return {
          ok: false,
          retryable: false,
          message: `the TAXII server refused the credentials${status ? ` (HTTP ${status})` : ''}: check the authentication settings and that this user may see the API root`,
        };
      }
      if (CeError.isInstance(error) && (error.code === 'NOT_FOUND' || error.code === 'CONFIG_INVALID')) {
        return { ok: false, retryable: false, message: error.message };
      }
      throw error;
    }
  },
  cte: {
    source: taxiiSource,
    destination: taxiiDestination,
  },
});
