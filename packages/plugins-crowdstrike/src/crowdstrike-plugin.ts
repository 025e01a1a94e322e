import { CeError } from '@ce/core';
import { definePlugin } from '@ce/plugin-kit';
import { crowdStrikeConfigSchema, resolveBaseUrl } from './crowdstrike-config.js';
import { countTenantIndicators, crowdStrikeDestination } from './crowdstrike-destination.js';
import { crowdStrikeSource } from './crowdstrike-source.js';

/**
 * The CrowdStrike Falcon plugin for the threat exchange. It pulls the tenant's custom IOCs
 * (`GET /iocs/combined/indicator/v1`, incremental on `modified_on` with the `after` cursor in the
 * checkpoint) and pushes indicators to them (`POST`, `PATCH` and `DELETE
 * /iocs/entities/indicators/v1`, 200 per request, within the 1,000,000-IOC tenant cap). It
 * authenticates with OAuth2 client credentials (`POST /oauth2/token`), keeps the token in memory
 * and renews it before it expires or when Falcon answers 401, and waits out 429s as
 * `X-RateLimit-RetryAfter` asks.
 *
 * @example
 * ```ts
 * const exchange = await createCloudExchange({ storage, plugins: [crowdStrikePlugin] });
 * await exchange.configurations.add({
 *   id: 'falcon',
 *   pluginId: 'crowdstrike',
 *   config: { baseUrl: 'us-2', clientId: 'a1b2c3...', clientSecret: { secretRef: 'falcon-secret' } },
 * });
 * ```
 */
export const crowdStrikePlugin = definePlugin({
  id: 'crowdstrike',
  name: 'CrowdStrike Falcon',
  version: '0.1.0',
  description:
    "Shares indicators with CrowdStrike Falcon custom IOC management: pulls the tenant's IOCs and pushes, updates and retracts indicators with detect, prevent, allow or no-action policies.",
  modules: ['cte'],
  configSchema: crowdStrikeConfigSchema,
  capabilities: { check: true, 'cte.pull': true, 'cte.push': true, 'cte.retract': true },
  http: (config) => ({
    baseUrl: resolveBaseUrl(config.baseUrl),
    rateLimit: {
      requestsPerSecond: config.requestsPerSecond,
      burst: Math.max(1, Math.ceil(config.requestsPerSecond)),
    },
  }),
  async check(context) {
    try {
      const total = await countTenantIndicators(context);
      return { ok: true, message: `connected; the tenant holds ${total} custom indicators` };
    } catch (error) {
      if (CeError.isInstance(error) && error.code === 'HTTP_AUTH_FAILED') {
        return {
          ok: false,
          retryable: false,
          message:
            'Falcon refused the API client: check the client id and secret, the cloud, and that the client has the "IOC Manager APIs" scope',
        };
      }
      throw error;
    }
  },
  cte: {
    source: crowdStrikeSource,
    destination: crowdStrikeDestination,
  },
});
