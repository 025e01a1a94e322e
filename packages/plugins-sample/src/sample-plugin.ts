import { secretString } from '@ce/core';
import { definePlugin } from '@ce/plugin-kit';
import { z } from 'zod';
import { sampleApiPaths, sampleStatusSchema } from './sample-api.js';

/** Settings of the sample plugin. */
export const sampleConfigSchema = z.object({
  /** Base URL of the Sample Intel API, e.g. `https://intel.example.com`. */
  baseUrl: z.url({ protocol: /^https?$/ }).describe('Base URL of the Sample Intel API'),
  /** API token, sent as a bearer token. */
  apiToken: secretString('API token of the Sample Intel tenant'),
  /** Requests per second the tenant allows. */
  requestsPerSecond: z
    .number()
    .positive()
    .max(100)
    .default(10)
    .describe('Requests per second the tenant allows'),
});

/** The sample plugin's configuration type. */
export type SampleConfig = z.output<typeof sampleConfigSchema>;

/**
 * The sample plugin: a complete, small plugin against the documented "Sample Intel" API (see the
 * package README). It shows the parts every plugin has: a schema with a secret field, HTTP
 * settings derived from the configuration (base URL, auth, rate limit), a connection check that
 * validates the response, and state kept between runs. `ce-plugin new` generates this shape.
 */
export const samplePlugin = definePlugin({
  id: 'sample',
  name: 'Sample Intel',
  version: '0.1.0',
  description: 'Demonstrates the plugin contract against the Sample Intel API; the template for new plugins.',
  modules: ['cte', 'cto', 'cre', 'cls'],
  configSchema: sampleConfigSchema,
  capabilities: { check: true },
  http: (config) => ({
    baseUrl: config.baseUrl,
    headers: { authorization: `Bearer ${config.apiToken}` },
    rateLimit: {
      requestsPerSecond: config.requestsPerSecond,
      burst: Math.max(1, Math.ceil(config.requestsPerSecond)),
    },
  }),
  async check(context) {
    const response = await context.http.get(sampleApiPaths.status, {
      schema: sampleStatusSchema,
      signal: context.signal,
    });
    const checks = ((await context.state.get<number>('checks')) ?? 0) + 1;
    await context.state.set('checks', checks);
    await context.state.set('lastCheckedAt', context.clock.now());
    context.logger.debug('sample connection check passed', { tenant: response.body.tenant, checks });
    return {
      ok: true,
      message: `connected to tenant ${response.body.tenant} (API ${response.body.apiVersion})`,
    };
  },
});
