import { CeError } from '@ce/core';
import { definePlugin } from '@ce/plugin-kit';
import { createMispClient } from './misp-client.js';
import { mispConfigSchema } from './misp-config.js';
import { mispDestination } from './misp-destination.js';
import { mispSource } from './misp-source.js';

/**
 * The MISP plugin for the threat exchange. As a source it pulls attributes through MISP's REST
 * API (`POST /attributes/restSearch`, incremental on the attribute `timestamp`) or reads a
 * MISP-format feed (`manifest.json` and event files); as a destination it adds indicators as
 * attributes of an event it creates once (`POST /events/add`, `POST /attributes/add/{eventId}`)
 * and deletes them on retraction. The automation key travels in the `Authorization` header and
 * never to a feed host.
 *
 * @example
 * ```ts
 * const exchange = await createCloudExchange({ storage, plugins: [mispPlugin] });
 * await exchange.configurations.add({
 *   id: 'misp',
 *   pluginId: 'misp',
 *   config: { baseUrl: 'https://misp.example.org', apiKey: { secretRef: 'misp-key' } },
 * });
 * ```
 */
export const mispPlugin = definePlugin({
  id: 'misp',
  name: 'MISP',
  version: '0.1.0',
  description:
    'Shares indicators with MISP: pulls IDS attributes through the REST API or a MISP-format feed, and adds indicators as attributes of a MISP event.',
  modules: ['cte'],
  configSchema: mispConfigSchema,
  capabilities: { check: true, 'cte.pull': true, 'cte.push': true, 'cte.retract': true },
  http: (config) => ({
    rateLimit: {
      requestsPerSecond: config.requestsPerSecond,
      burst: Math.max(1, Math.ceil(config.requestsPerSecond)),
    },
  }),
  async check(context) {
    const misp = createMispClient(context);
    try {
      if (context.config.mode === 'feed' && context.config.feedUrl) {
        const manifest = await misp.fetchFeedManifest(context.config.feedUrl);
        if (!context.config.baseUrl)
          return {
            ok: true,
            message: `feed reachable; its manifest lists ${Object.keys(manifest).length} events`,
          };
      }
      await misp.searchAttributes({ page: 1, limit: 1 });
      return { ok: true, message: 'connected to MISP' };
    } catch (error) {
      if (CeError.isInstance(error) && error.code === 'HTTP_AUTH_FAILED') {
        return {
          ok: false,
          retryable: false,
          message: 'MISP refused the automation key: check the key and that its user may use the API',
        };
      }
      throw error;
    }
  },
  cte: {
    source: mispSource,
    destination: mispDestination,
  },
});
