import { setMaxListeners } from 'node:events';
import { CeError } from '../errors/ce-error.js';
import { createEventBus, type EventBus } from '../events/event-bus.js';
import type { HttpClientOptions } from '../http/http-client.js';
import { createNoopLogger, type Logger } from '../logging/logger.js';
import type { AnyPluginDefinition, PluginCheckResult } from '../plugin/plugin-definition.js';
import { PluginRegistry } from '../plugin/plugin-registry.js';
import { createInProcessScheduler } from '../scheduler/in-process-scheduler.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { createSecretStore, type SecretStore } from '../secrets/secret-store.js';
import type { StorageAdapter } from '../storage/storage-adapter.js';
import { type Clock, systemClock } from '../time/clock.js';
import type { CloudExchangeEvents, PluginConfigChangedEvent } from './exchange-events.js';
import type { ExchangeModule, ModuleApis, ModuleFactory, ModuleHost } from './module-contract.js';
import { PluginConfigurations } from './plugin-configurations.js';
import { DefaultPluginRuntime, type PluginRuntime } from './plugin-runtime.js';

/** Options of {@link createCloudExchange}. */
export interface CloudExchangeOptions<Factories extends ReadonlyArray<ModuleFactory>> {
  /** Where everything is kept: memory, SQLite, PostgreSQL. */
  storage: StorageAdapter;
  /** @default an in-process scheduler on `clock` */
  scheduler?: Scheduler;
  /** @default a logger that discards everything */
  logger?: Logger;
  /** @default the system clock */
  clock?: Clock;
  /**
   * Where secret fields of plugin configurations are kept.
   * @default `createSecretStore` over `storage.keyValue`, encrypted with `secretKey` when given
   */
  secrets?: SecretStore;
  /** Encryption key for the default secret store. */
  secretKey?: string;
  /** Plugin definitions this host can run. */
  plugins?: ReadonlyArray<AnyPluginDefinition>;
  /** Modules to run, from their factories (`threatExchange()`, ...). */
  modules?: Factories;
  /** HTTP settings applied to every plugin's client: proxy, CA, TLS verification, timeouts. */
  http?: Partial<
    Pick<HttpClientOptions, 'proxy' | 'ca' | 'rejectUnauthorized' | 'timeoutMs' | 'maxResponseBytes'>
  >;
  /**
   * How often each enabled configuration's connection check runs, when its plugin has `check`.
   * `0` turns the checks off.
   * @default 300000 (5 minutes)
   */
  checkIntervalMs?: number;
}

/** The health of a running exchange. */
export interface CloudExchangeHealth {
  status: 'created' | 'starting' | 'running' | 'stopping' | 'stopped';
  storage: { kind: string; durable: boolean };
  modules: string[];
  plugins: number;
  configurations: { total: number; enabled: number };
}

/** A composed exchange: modules, plugins, configurations, lifecycle. */
export interface CloudExchange<
  Factories extends ReadonlyArray<ModuleFactory> = ReadonlyArray<ModuleFactory>,
> {
  /** Starts storage, modules and the scheduled checks. */
  start(): Promise<void>;
  /**
   * Stops gracefully: no new work is scheduled, running work gets `timeoutMs` to finish before
   * its signal is aborted, then storage closes.
   */
  stop(options?: { timeoutMs?: number }): Promise<void>;
  /** Module APIs by name. */
  readonly modules: ModuleApis<Factories>;
  /** The plugins this host can run. */
  readonly plugins: PluginRegistry;
  /** Plugin configuration management. */
  readonly configurations: PluginConfigurations;
  /** Calls into plugins, for hosts and modules. */
  readonly runtime: PluginRuntime;
  readonly events: EventBus<CloudExchangeEvents>;
  readonly scheduler: Scheduler;
  readonly storage: StorageAdapter;
  /** Runs a configuration's connection check now. */
  check(configId: string): Promise<PluginCheckResult>;
  health(): Promise<CloudExchangeHealth>;
}

const checkTaskPrefix = 'plugin-check:';

/**
 * Builds a Cloud Exchange from its parts.
 *
 * @example
 * ```ts
 * const exchange = await createCloudExchange({
 *   storage: createSqliteStorage({ path: 'ce.db' }),
 *   logger: createJsonLogger(),
 *   plugins: [samplePlugin],
 * });
 * await exchange.start();
 * await exchange.configurations.add({ id: 'sample', pluginId: 'sample', config: { baseUrl, apiToken } });
 * ```
 */
export async function createCloudExchange<const Factories extends ReadonlyArray<ModuleFactory> = []>(
  options: CloudExchangeOptions<Factories>,
): Promise<CloudExchange<Factories>> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createNoopLogger();
  const events = createEventBus<CloudExchangeEvents>({
    onListenerError: (error, name) => logger.error('event listener failed', { event: name, error }),
  });
  const scheduler =
    options.scheduler ??
    createInProcessScheduler({ clock, logger: logger.child({ component: 'scheduler' }) });
  const storage = options.storage;
  const registry = new PluginRegistry(options.plugins ?? []);
  const secrets =
    options.secrets ??
    createSecretStore({
      keyValue: storage.keyValue,
      ...(options.secretKey ? { encryptionKey: options.secretKey } : {}),
    });
  const shutdown = new AbortController();
  // Every plugin call listens on it; the default cap of 10 listeners would warn under load.
  setMaxListeners(0, shutdown.signal);
  const checkIntervalMs = options.checkIntervalMs ?? 300_000;
  let status: CloudExchangeHealth['status'] = 'created';
  const modules: ExchangeModule[] = [];

  const onChange = async (change: PluginConfigChangedEvent): Promise<void> => {
    await runtime.release(change.configId);
    if (status === 'running') await syncCheckTask(change.configId);
    for (const module of modules) {
      try {
        await module.onConfigurationChanged?.({
          kind: change.kind,
          configId: change.configId,
          pluginId: change.pluginId,
        });
      } catch (error) {
        logger.error('module failed to apply a configuration change', {
          module: module.name,
          configId: change.configId,
          error,
        });
      }
    }
  };
  const configurations = new PluginConfigurations({ storage, registry, secrets, clock, events, onChange });
  const runtime = new DefaultPluginRuntime({
    storage,
    registry,
    configurations,
    clock,
    logger,
    events,
    http: options.http ?? {},
    shutdown: shutdown.signal,
  });

  const check = async (configId: string): Promise<PluginCheckResult> => {
    const record = await configurations.get(configId);
    const definition = registry.get(record.pluginId);
    const checkFn = definition.check;
    if (!checkFn) return { ok: true, message: `plugin "${definition.id}" has no connection check` };
    const result = await runtime.invoke(configId, 'check', (context) => checkFn(context), {
      timeoutMs: 60_000,
    });
    await storage.keyValue.set('plugin-status', configId, { checkedAt: clock.now(), ...result });
    return result;
  };

  const syncCheckTask = async (configId: string): Promise<void> => {
    const name = `${checkTaskPrefix}${configId}`;
    const record = await storage.pluginConfigs.get(configId);
    await scheduler.cancel(name);
    if (
      !record?.enabled ||
      checkIntervalMs <= 0 ||
      !registry.has(record.pluginId) ||
      !registry.get(record.pluginId).check
    )
      return;
    scheduler.every(
      name,
      record.intervalMs ?? checkIntervalMs,
      async () => {
        const result = await check(configId);
        if (!result.ok) {
          throw new CeError('PLUGIN_FAILED', `connection check failed: ${result.message}`, {
            retryable: result.retryable ?? true,
          });
        }
      },
      { runImmediately: true },
    );
  };

  const host: ModuleHost = { storage, scheduler, logger, clock, events, plugins: runtime };
  for (const factory of options.modules ?? []) {
    if (modules.some((module) => module.name === factory.name)) {
      throw new CeError('CONFLICT', `module "${factory.name}" was given twice`);
    }
    modules.push(await factory.create({ ...host, logger: logger.child({ module: factory.name }) }));
  }
  const moduleApis = Object.fromEntries(
    modules.map((module) => [module.name, module.api]),
  ) as ModuleApis<Factories>;

  return {
    modules: moduleApis,
    plugins: registry,
    configurations,
    runtime,
    events,
    scheduler,
    storage,
    check,
    async start() {
      if (status !== 'created')
        throw new CeError('CONFLICT', `the exchange is ${status}; an exchange starts once`);
      status = 'starting';
      await storage.init();
      for (const module of modules) await module.start?.();
      for (const record of await storage.pluginConfigs.list()) await syncCheckTask(record.id);
      status = 'running';
      logger.info('exchange started', {
        storage: storage.kind,
        modules: modules.map((m) => m.name),
        plugins: registry.list().length,
      });
      events.emit('exchange-started', { at: clock.now() });
    },
    async stop(stopOptions = {}) {
      if (status === 'stopped' || status === 'stopping') return;
      if (status === 'created') {
        status = 'stopped';
        await storage.close();
        return;
      }
      status = 'stopping';
      for (const module of [...modules].reverse()) {
        await module
          .stop?.()
          .catch((error: unknown) => logger.error('module failed to stop', { module: module.name, error }));
      }
      await scheduler.stop({ timeoutMs: stopOptions.timeoutMs ?? 30_000 });
      shutdown.abort(new CeError('ABORTED', 'the exchange stopped'));
      await runtime.release();
      await storage.close();
      status = 'stopped';
      logger.info('exchange stopped');
      events.emit('exchange-stopped', { at: clock.now() });
    },
    async health() {
      const all = status === 'stopped' || status === 'created' ? [] : await storage.pluginConfigs.list();
      return {
        status,
        storage: { kind: storage.kind, durable: storage.durable },
        modules: modules.map((module) => module.name),
        plugins: registry.list().length,
        configurations: { total: all.length, enabled: all.filter((record) => record.enabled).length },
      };
    },
  };
}
