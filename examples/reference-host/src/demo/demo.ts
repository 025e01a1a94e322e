/**
 * The offline demo: the sample plugin's API served in-process on loopback, and a configuration of
 * the sample plugin that points at it. Nothing leaves the machine.
 *
 * @module
 */
import { startSampleServer } from '@ce/plugins-sample';
import { type Environment, type HostConfig, type HostPluginConfig, resolveHostConfig } from '../config.js';

/** Id of the configuration the demo adds. */
export const demoConfigurationId = 'sample-demo';

/** The token the demo's sample API accepts; it guards a loopback-only toy, not real data. */
const demoToken = 'sample-demo-token';

/** The demo's running parts. */
export interface DemoServices {
  /** Base URL of the in-process Sample Intel API. */
  readonly sampleApiUrl: string;
  /** The plugin configuration that uses it, applied like an entry of the configuration file. */
  readonly configuration: HostPluginConfig;
  /** Stops the sample API. */
  close(): Promise<void>;
}

/**
 * Starts the sample plugin's API on 127.0.0.1 (an ephemeral port) and describes the demo's
 * plugin configuration. Its base URL changes with every start; the host updates the stored
 * configuration to match.
 *
 * @example
 * ```ts
 * const demo = await startDemoServices();
 * await applyPluginConfigurations(exchange, [demo.configuration], { actor: 'demo' });
 * ```
 */
export async function startDemoServices(): Promise<DemoServices> {
  const server = await startSampleServer({ token: demoToken, tenant: 'demo' });
  return {
    sampleApiUrl: server.url,
    configuration: {
      id: demoConfigurationId,
      pluginId: 'sample',
      name: 'Sample Intel (demo)',
      enabled: true,
      interval: 60_000,
      config: { baseUrl: server.url, apiToken: demoToken },
    },
    close: () => server.close(),
  };
}

/** Options of {@link demoHostConfig}. */
export interface DemoHostConfigOptions {
  /** Directory for `demo.db` and the generated secret key. */
  dataDir: string;
  /**
   * Variables read for `PORT` and `CE_SECRET_KEY`.
   * @default process.env
   */
  env?: Environment;
}

/**
 * The configuration the host runs with when started without one: the demo on, SQLite in
 * `<dataDir>/demo.db`, loopback on port 8080 (or `PORT`).
 *
 * @example
 * ```ts
 * const host = await startReferenceHost({ config: demoHostConfig({ dataDir: '.data' }) });
 * ```
 */
export function demoHostConfig(options: DemoHostConfigOptions): HostConfig {
  return resolveHostConfig(
    { dataDir: options.dataDir, storage: { kind: 'sqlite', path: 'demo.db' }, demo: true },
    options.env ? { env: options.env } : {},
  );
}
