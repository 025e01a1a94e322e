/**
 * Composes the reference host: storage, secret key, exchange with the threat exchange module,
 * plugin configurations and threat exchange settings from the file (and the demo), metrics and
 * the HTTP server, with an orderly start and a graceful stop.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { type LogShipper, type LogShipperOptions, logShipper, validateLogShipperOptions } from '@ce/cls';
import {
  type AnyPluginDefinition,
  CeError,
  type Clock,
  type CloudExchange,
  ConfigError,
  createCloudExchange,
  createJsonLogger,
  createMemoryStorage,
  type Logger,
  type StorageAdapter,
} from '@ce/core';
import { type ThreatExchange, threatExchange } from '@ce/cte';
import { type TicketOrchestrator, ticketOrchestrator } from '@ce/cto';
import { crowdStrikePlugin } from '@ce/plugins-crowdstrike';
import { feedPlugin } from '@ce/plugins-feeds';
import {
  createFileSinkPlugin,
  elasticsearchSinkPlugin,
  s3SinkPlugin,
  splunkHecSinkPlugin,
  webhookSinkPlugin,
} from '@ce/plugins-log-sinks';
import { mispPlugin } from '@ce/plugins-misp';
import { netskopeLogSource, netskopePlugin } from '@ce/plugins-netskope';
import { samplePlugin } from '@ce/plugins-sample';
import { syslogPlugin } from '@ce/plugins-syslog';
import { taxiiPlugin } from '@ce/plugins-taxii';
import { createSqliteStorage } from '@ce/storage-sqlite';
import { type ApplyResult, applyPluginConfigurations } from './apply-configurations.js';
import { applyThreatSettings, type ThreatApplyResult } from './apply-threat-settings.js';
import type { HostConfig } from './config.js';
import { type DemoServices, startDemoServices } from './demo/demo.js';
import type { LogDemoServices } from './demo/log-demo.js';
import {
  type ShareOnIngest,
  shareOnIngest,
  type ThreatDemoOptions,
  type ThreatDemoServices,
} from './demo/threat-demo.js';
import type { HostClsConfig } from './log-shipper-config.js';
import { createHostMetrics } from './metrics.js';
import { loadOrCreateSecretKey } from './secret-key.js';
import { createRequestHandler } from './server.js';
import { createHostTaxiiServer } from './taxii-mount.js';

/** Options of {@link startReferenceHost}. */
export interface ReferenceHostOptions {
  /** The resolved configuration: from `loadHostConfig`, `resolveHostConfig` or `demoHostConfig`. */
  config: HostConfig;
  /**
   * Where log lines go.
   * @default JSON lines on standard error at `config.logLevel`
   */
  logger?: Logger;
  /**
   * Plugins the host can run.
   * @default {@link defaultHostPlugins} and a file sink confined to `<dataDir>/logs`
   */
  plugins?: ReadonlyArray<AnyPluginDefinition>;
  /** Storage to use instead of the one `config.storage` describes (tests). */
  storage?: StorageAdapter;
  /** Time source of the exchange. @default the system clock */
  clock?: Clock;
  /**
   * How often each enabled configuration's connection check runs; `0` turns the checks off.
   * @default 300000 (5 minutes)
   */
  checkIntervalMs?: number;
  /**
   * Largest accepted request body.
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes?: number;
  /** Intervals of the demo's pulls and sharing rules, when `config.demo` is on. */
  demo?: ThreatDemoOptions;
}

/**
 * The plugins a reference host runs unless told otherwise (besides the file sink, which it makes
 * for its data directory): the sample plugin; the feed, Netskope, CrowdStrike, MISP and TAXII
 * threat exchange plugins; the Netskope log source and the syslog, webhook, Splunk HEC,
 * Elasticsearch and S3 sinks.
 */
export const defaultHostPlugins: ReadonlyArray<AnyPluginDefinition> = [
  samplePlugin,
  feedPlugin,
  netskopePlugin,
  crowdStrikePlugin,
  mispPlugin,
  taxiiPlugin,
  netskopeLogSource,
  syslogPlugin,
  webhookSinkPlugin,
  splunkHecSinkPlugin,
  elasticsearchSinkPlugin,
  s3SinkPlugin,
];

/** Where the file sink may write: `<dataDir>/logs` and below. */
export function hostLogDirectory(dataDir: string): string {
  return join(dataDir, 'logs');
}

/**
 * The log shipper's options from the resolved `cls` section, checked by the shipper itself; its
 * issues are reported where they are in the file (`cls.routes[0].format`).
 */
function shipperOptions(cls: HostClsConfig): LogShipperOptions {
  const options: LogShipperOptions = {
    routes: cls.routes as unknown as LogShipperOptions['routes'],
    spool: cls.spool,
    ...(cls.pollIntervalMs !== undefined ? { pollIntervalMs: cls.pollIntervalMs } : {}),
  };
  try {
    validateLogShipperOptions(options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      'invalid log shipper options',
      error.issues.map((issue) => ({ ...issue, path: issue.path ? `cls.${issue.path}` : 'cls' })),
    );
  }
  return options;
}

/** A running reference host. */
export interface ReferenceHost {
  /** Base URL of the HTTP server, e.g. `http://127.0.0.1:8080`; a wildcard address shows as loopback. */
  readonly url: string;
  /** The exchange it runs. */
  readonly exchange: CloudExchange;
  /** The threat exchange module of the exchange (`exchange.modules.cte`). */
  readonly cte: ThreatExchange;
  /** The log shipper module, when the configuration (or the demo) has routes. */
  readonly cls?: LogShipper;
  /** The ticket orchestrator. */
  readonly cto: TicketOrchestrator;
  /** The configuration it was started with. */
  readonly config: HostConfig;
  /** What applying the configured plugin configurations did. */
  readonly applied: ApplyResult;
  /** What applying the configured lists, source policies and sharing rules did. */
  readonly appliedThreatSettings: ThreatApplyResult;
  /** The demo's servers, when `config.demo` is on. */
  readonly demo?: {
    /** Base URL of the in-process Sample Intel API. */
    readonly sampleApiUrl: string;
    /** Id of the sample plugin's demo configuration. */
    readonly configurationId: string;
    /** The sample feeds, the mock Netskope, CrowdStrike and MISP servers, the TAXII partner. */
    readonly threat: ThreatDemoServices;
    /** The mock tenant's event stream, the syslog receiver and the alert file's routes. */
    readonly logs: LogDemoServices;
  };
  /**
   * Stops gracefully: the server stops accepting connections and finishes the requests in flight,
   * the exchange drains its work, the demo's servers close. Calling it again returns the same promise.
   */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

function displayUrl(server: Server, host: string): string {
  const { port } = server.address() as AddressInfo;
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      const reason =
        error.code === 'EADDRINUSE'
          ? 'is in use'
          : error.code === 'EACCES'
            ? 'needs privileges'
            : `failed (${error.code})`;
      reject(
        new CeError(
          'CONFIG_INVALID',
          `listening on ${host}:${port} ${reason}; set another port (PORT or "port")`,
          { cause: error },
        ),
      );
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function closeServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    // Requests in flight get `timeoutMs` to finish; then their connections are cut.
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

async function createStorage(
  config: HostConfig,
  logger: Logger,
  clock: Clock | undefined,
): Promise<StorageAdapter> {
  if (config.storage.kind === 'memory') return createMemoryStorage(clock ? { clock } : {});
  // The directory holds the database and the secret key: only the host's user may enter it.
  await mkdir(dirname(config.storage.path), { recursive: true, mode: 0o700 });
  return createSqliteStorage({
    path: config.storage.path,
    logger: logger.child({ component: 'storage' }),
    ...(clock ? { clock } : {}),
  });
}

/**
 * Starts the reference host: opens storage, starts the exchange, applies the configured plugin
 * configurations (and the demo's), then serves health, metrics and the REST API.
 *
 * @throws ConfigError for invalid plugin configurations (`plugins[1].config.baseUrl`); CeError
 *   `CONFIG_INVALID` when the port is taken. Whatever had started is stopped again.
 *
 * @example
 * ```ts
 * const host = await startReferenceHost({ config: resolveHostConfig({ port: 0, storage: { kind: 'memory' } }) });
 * console.log(`listening on ${host.url}`);
 * await host.stop();
 * ```
 */
export async function startReferenceHost(options: ReferenceHostOptions): Promise<ReferenceHost> {
  const { config } = options;
  const logger =
    options.logger ??
    createJsonLogger({ level: config.logLevel, bindings: { service: 'ce-reference-host' } });
  const cleanup: Array<() => Promise<void>> = [];
  const runCleanup = async (): Promise<void> => {
    for (const step of cleanup.reverse())
      await step().catch((error: unknown) => logger.error('cleanup failed', { error }));
  };

  try {
    let demo: DemoServices | undefined;
    if (config.demo) {
      demo = await startDemoServices(options.demo);
      cleanup.push(() => demo?.close() ?? Promise.resolve());
    }
    const storage = options.storage ?? (await createStorage(config, logger, options.clock));
    cleanup.push(() => storage.close());
    const secretKey =
      config.secretKey ??
      (storage.durable
        ? await loadOrCreateSecretKey(config.dataDir, logger)
        : // Nothing outlives a store that is not durable, so neither need its key.
          randomBytes(32).toString('base64url'));
    const clsConfig = config.cls ?? demo?.logs.cls;
    const exchange = await createCloudExchange({
      storage,
      logger,
      secretKey,
      plugins: options.plugins ?? [
        ...defaultHostPlugins,
        createFileSinkPlugin({ allowedDirectories: [hostLogDirectory(config.dataDir)] }),
      ],
      modules: [
        threatExchange(config.cte.options),
        ...(clsConfig ? [logShipper(shipperOptions(clsConfig))] : []),
        ticketOrchestrator(),
      ],
      http: config.http,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.checkIntervalMs !== undefined ? { checkIntervalMs: options.checkIntervalMs } : {}),
    });
    const cte = exchange.modules.cte;
    const cls = (exchange.modules as { cls?: LogShipper }).cls;
    const cto = exchange.modules.cto;
    cleanup.pop();
    await exchange.start().catch(async (error: unknown) => {
      await exchange.stop().catch(() => undefined);
      throw error;
    });
    cleanup.push(() => exchange.stop());

    const applied = await applyPluginConfigurations(exchange, config.plugins, {
      ...(config.source ? { source: config.source } : {}),
    });
    if (demo) {
      const demoResult = await applyPluginConfigurations(exchange, demo.configurations, {
        actor: 'demo',
        pathPrefix: 'demo',
      });
      applied.added.push(...demoResult.added);
      applied.updated.push(...demoResult.updated);
      applied.unchanged.push(...demoResult.unchanged);
    }
    logger.info('plugin configurations applied', { ...applied });

    const appliedThreatSettings = await applyThreatSettings(exchange, cte, config, {
      ...(config.source ? { source: config.source } : {}),
    });
    let demoSharing: ShareOnIngest | undefined;
    if (demo) {
      // The demo's tenants are new at every start: its rules forget what they shared and share again.
      const demoResult = await applyThreatSettings(exchange, cte, demo.threat.settings, {
        actor: 'demo',
        reshare: true,
      });
      for (const section of ['lists', 'sourcePolicies', 'sharingRules'] as const) {
        appliedThreatSettings[section].added.push(...demoResult[section].added);
        appliedThreatSettings[section].updated.push(...demoResult[section].updated);
        appliedThreatSettings[section].unchanged.push(...demoResult[section].unchanged);
      }
      demoSharing = shareOnIngest(exchange, cte, demo.threat.settings.sharingRules, logger);
      cleanup.push(() => demoSharing?.stop() ?? Promise.resolve());
    }
    if (config.cte.warninglistFiles.length > 0)
      logger.info('warninglists loaded', { files: config.cte.warninglistFiles });
    logger.info('threat exchange settings applied', {
      lists: appliedThreatSettings.lists,
      sourcePolicies: appliedThreatSettings.sourcePolicies,
      sharingRules: appliedThreatSettings.sharingRules,
    });

    const taxii = config.taxii ?? demo?.threat.taxii;
    const metrics = createHostMetrics(exchange, { cte, ...(cls ? { cls } : {}) });
    cleanup.push(async () => metrics.dispose());
    let stopping = false;
    const server = createServer(
      createRequestHandler({
        exchange,
        logger: logger.child({ component: 'http' }),
        metrics,
        cte,
        ...(cls ? { cls } : {}),
        cto,
        tokens: config.api.tokens,
        isStopping: () => stopping,
        ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
        ...(taxii
          ? {
              mounts: [
                {
                  prefix: taxii.basePath,
                  name: 'taxii',
                  listener: createHostTaxiiServer(
                    cte,
                    taxii,
                    config.api.tokens,
                    logger.child({ component: 'taxii' }),
                  ),
                },
              ],
            }
          : {}),
      }),
    );
    await listen(server, config.port, config.host);
    const url = displayUrl(server, config.host);
    logger.info('reference host listening', {
      url,
      storage: config.storage.kind,
      ...(config.storage.kind === 'sqlite' ? { database: config.storage.path } : {}),
      authentication: config.api.tokens.length > 0 ? 'bearer' : 'none',
      ...(taxii ? { taxii: `${url}${taxii.basePath}` } : {}),
      ...(config.source ? { configFile: config.source } : {}),
    });
    if (
      config.api.tokens.length === 0 &&
      config.host !== '127.0.0.1' &&
      config.host !== '::1' &&
      config.host !== 'localhost'
    ) {
      logger.warn(
        'the REST API is reachable from other machines without authentication; configure api.tokens',
        { host: config.host },
      );
    }

    let stopped: Promise<void> | undefined;
    return {
      url,
      exchange,
      cte,
      ...(cls ? { cls } : {}),
      cto,
      config,
      applied,
      appliedThreatSettings,
      ...(demo
        ? {
            demo: {
              sampleApiUrl: demo.sampleApiUrl,
              configurationId: demo.configuration.id,
              threat: demo.threat,
              logs: demo.logs,
            },
          }
        : {}),
      stop(stopOptions = {}) {
        stopped ??= (async () => {
          const timeoutMs = stopOptions.timeoutMs ?? 10_000;
          stopping = true;
          logger.info('reference host stopping');
          await closeServer(server, timeoutMs);
          await demoSharing?.stop();
          await exchange.stop({ timeoutMs });
          metrics.dispose();
          await demo?.close();
          logger.info('reference host stopped');
        })();
        return stopped;
      },
    };
  } catch (error) {
    await runCleanup();
    throw error;
  }
}
