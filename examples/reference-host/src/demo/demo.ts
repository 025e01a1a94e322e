/**
 * The offline demo: the sample plugin's API, a feed server with sample feeds, mock Netskope,
 * CrowdStrike and MISP servers, a TAXII partner, and a mock tenant's event stream with a syslog
 * receiver, all served in-process on loopback, and the plugin configurations, sharing rules and
 * log routes that connect them. Nothing leaves the machine.
 *
 * @module
 */
import { startSampleServer } from '@ce/plugins-sample';
import { type Environment, type HostConfig, type HostPluginConfig, resolveHostConfig } from '../config.js';
import { type LogDemoServices, startLogDemo } from './log-demo.js';
import { startThreatDemo, type ThreatDemoOptions, type ThreatDemoServices } from './threat-demo.js';

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
  /** The threat exchange demo: sample feeds, mock tenants, lists and sharing rules. */
  readonly threat: ThreatDemoServices;
  /** The log shipper demo: a mock tenant's events and alerts to syslog and a file. */
  readonly logs: LogDemoServices;
  /** Every plugin configuration of the demo: the sample plugin's, then the threat exchange's. */
  readonly configurations: HostPluginConfig[];
  /** Stops every demo server. */
  close(): Promise<void>;
}

/**
 * Starts the sample plugin's API and the threat exchange demo's servers on 127.0.0.1 (ephemeral
 * ports) and describes the demo's plugin configurations. Their URLs change with every start; the
 * host updates the stored configurations to match.
 *
 * @example
 * ```ts
 * const demo = await startDemoServices();
 * await applyPluginConfigurations(exchange, demo.configurations, { actor: 'demo' });
 * ```
 */
export async function startDemoServices(options: ThreatDemoOptions = {}): Promise<DemoServices> {
  const server = await startSampleServer({ token: demoToken, tenant: 'demo' });
  let threat: ThreatDemoServices;
  try {
    threat = await startThreatDemo(options);
  } catch (error) {
    await server.close();
    throw error;
  }
  let logs: LogDemoServices;
  try {
    logs = await startLogDemo(options.now ? { now: options.now } : {});
  } catch (error) {
    await Promise.all([server.close(), threat.close()]);
    throw error;
  }
  const configuration: HostPluginConfig = {
    id: demoConfigurationId,
    pluginId: 'sample',
    name: 'Sample Intel (demo)',
    enabled: true,
    interval: 60_000,
    config: { baseUrl: server.url, apiToken: demoToken },
  };
  return {
    sampleApiUrl: server.url,
    configuration,
    threat,
    logs,
    configurations: [configuration, ...threat.configurations, ...logs.configurations],
    close: async () => {
      await Promise.all([server.close(), threat.close(), logs.close()]);
    },
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
