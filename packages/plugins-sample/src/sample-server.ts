import { createMockServer, type MockServer } from '@ce/plugin-kit';
import { sampleApiPaths } from './sample-api.js';

/** Options of {@link startSampleServer}. */
export interface SampleServerOptions {
  /**
   * The API token the server accepts.
   * @default 'sample-demo-token'
   */
  token?: string;
  /**
   * Tenant name reported by `GET /api/v1/status`.
   * @default 'demo'
   */
  tenant?: string;
  /**
   * Requests allowed per second before the server answers 429 with `Retry-After: 1`.
   * @default 10
   */
  requestsPerSecond?: number;
}

/**
 * Starts an in-process Sample Intel API on 127.0.0.1 (an ephemeral port) that speaks the wire
 * format documented in the package README: bearer auth answered with 401, a per-second rate limit
 * answered with 429 and `Retry-After`, and JSON error bodies. The reference host's offline demo
 * and the plugin's tests run against it.
 *
 * @example
 * ```ts
 * const server = await startSampleServer({ token: 's3cret-token' });
 * // configure the sample plugin with baseUrl: server.url, apiToken: 's3cret-token'
 * await server.close();
 * ```
 */
export async function startSampleServer(options: SampleServerOptions = {}): Promise<MockServer> {
  const server = await createMockServer();
  server
    .requireBearer(options.token ?? 'sample-demo-token')
    .rateLimit({ limit: options.requestsPerSecond ?? 10, windowMs: 1_000, retryAfterSeconds: 1 })
    .route('GET', sampleApiPaths.status, () => ({
      json: { status: 'ok', tenant: options.tenant ?? 'demo', apiVersion: '1.0' },
    }));
  return server;
}
