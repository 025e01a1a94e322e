import { setMaxListeners } from 'node:events';
import type { z } from 'zod';
import { CeError } from '../errors/ce-error.js';
import { toCeError } from '../errors/to-ce-error.js';
import { issuesFromZod } from '../errors/validation-error.js';
import type { EventBus } from '../events/event-bus.js';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../http/http-client.js';
import type { Logger } from '../logging/logger.js';
import { createPluginStateStore, type PluginContext } from '../plugin/plugin-context.js';
import type { AnyPluginDefinition } from '../plugin/plugin-definition.js';
import type { PluginRegistry } from '../plugin/plugin-registry.js';
import type { ModuleName } from '../schemas/common.js';
import type { PluginConfigRecord, StorageAdapter } from '../storage/storage-adapter.js';
import type { Clock } from '../time/clock.js';
import type { CloudExchangeEvents } from './exchange-events.js';
import type { PluginConfigurations } from './plugin-configurations.js';

/** Options of one plugin call. */
export interface InvokeOptions<Output> {
  /**
   * The call fails with `TIMEOUT` after this long, and its signal is aborted.
   * @default 300000 (5 minutes)
   */
  timeoutMs?: number;
  /** Cancels the call. */
  signal?: AbortSignal;
  /** Validates what the plugin returned; a mismatch fails the call with `PLUGIN_FAILED`. */
  output?: z.ZodType<Output>;
}

/**
 * The door through which modules call plugins. Each call gets a fresh {@link PluginContext},
 * a deadline and an abort signal; whatever the plugin does (throws, hangs, returns garbage) comes
 * back as a typed error, and the outcome is announced as `plugin-call-finished`.
 */
export interface PluginRuntime {
  /** Enabled configurations, optionally only those taking part in `module`. */
  enabledConfigurations(module?: ModuleName): Promise<PluginConfigRecord[]>;
  /** The definition of a registered plugin. */
  definition(pluginId: string): AnyPluginDefinition;
  /**
   * Calls into a plugin for one configuration. `operation` names the call in logs and events
   * (`check`, `cte.pull`).
   */
  invoke<Output>(
    configId: string,
    operation: string,
    call: (context: PluginContext<unknown>, definition: AnyPluginDefinition) => Promise<Output>,
    options?: InvokeOptions<Output>,
  ): Promise<Output>;
}

/** What {@link DefaultPluginRuntime} is built from. */
export interface PluginRuntimeDependencies {
  storage: StorageAdapter;
  registry: PluginRegistry;
  configurations: PluginConfigurations;
  clock: Clock;
  logger: Logger;
  events: EventBus<CloudExchangeEvents>;
  /** Host-wide HTTP settings: proxy, CA, TLS verification, timeouts. */
  http: Partial<HttpClientOptions>;
  /** Aborted when the host stops. */
  shutdown: AbortSignal;
}

const defaultTimeoutMs = 300_000;

/** The plugin runtime used by `createCloudExchange`. */
export class DefaultPluginRuntime implements PluginRuntime {
  private readonly clients = new Map<string, { version: number; client: HttpClient }>();

  /** Creates the runtime; `createCloudExchange` does this for you. */
  constructor(private readonly deps: PluginRuntimeDependencies) {}

  async enabledConfigurations(module?: ModuleName): Promise<PluginConfigRecord[]> {
    const all = await this.deps.storage.pluginConfigs.list();
    return all.filter(
      (record) => record.enabled && (module === undefined || record.modules.includes(module)),
    );
  }

  definition(pluginId: string): AnyPluginDefinition {
    return this.deps.registry.get(pluginId);
  }

  async invoke<Output>(
    configId: string,
    operation: string,
    call: (context: PluginContext<unknown>, definition: AnyPluginDefinition) => Promise<Output>,
    options: InvokeOptions<Output> = {},
  ): Promise<Output> {
    const record = await this.deps.storage.pluginConfigs.get(configId);
    if (!record) throw new CeError('NOT_FOUND', `no plugin configuration with id "${configId}"`);
    const definition = this.deps.registry.get(record.pluginId);
    const started = this.deps.clock.now();
    const logger = this.deps.logger.child({ plugin: definition.id, configId, operation });
    const controller = new AbortController();
    // A long pull passes the signal to many requests, each of which listens on it.
    setMaxListeners(0, controller.signal);
    const abort = (reason: unknown): void => controller.abort(reason);
    const onShutdown = (): void => abort(new CeError('ABORTED', 'the exchange is stopping'));
    const onCallerAbort = (): void => abort(new CeError('ABORTED', `${operation} was cancelled`));
    if (this.deps.shutdown.aborted) onShutdown();
    this.deps.shutdown.addEventListener('abort', onShutdown, { once: true });
    options.signal?.addEventListener('abort', onCallerAbort, { once: true });
    if (options.signal?.aborted) onCallerAbort();
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    const cancelTimer = this.deps.clock.setTimer(timeoutMs, () =>
      abort(new CeError('TIMEOUT', `${definition.id} ${operation} did not finish within ${timeoutMs} ms`)),
    );
    try {
      const config = await this.deps.configurations.resolve(record);
      const context: PluginContext<unknown> = {
        configId,
        plugin: { id: definition.id, version: definition.version },
        config,
        http: this.httpClientFor(record, definition, config, logger),
        logger,
        state: createPluginStateStore(this.deps.storage.keyValue, `plugin-state:${configId}`),
        clock: this.deps.clock,
        signal: controller.signal,
      };
      // A plugin that ignores its signal is left behind: the race settles the call regardless.
      const aborted = new Promise<never>((_, reject) => {
        if (controller.signal.aborted) reject(controller.signal.reason);
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
      });
      const result = await Promise.race([Promise.resolve().then(() => call(context, definition)), aborted]);
      const output = options.output ? checkOutput(options.output, result, definition.id, operation) : result;
      this.finish(record, operation, started, undefined);
      return output;
    } catch (thrown) {
      const error = asPluginError(thrown, definition.id, operation);
      logger.warn('plugin call failed', { error: error.toJSON() });
      this.finish(record, operation, started, error);
      throw error;
    } finally {
      cancelTimer();
      this.deps.shutdown.removeEventListener('abort', onShutdown);
      options.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  /** Closes the HTTP client of a configuration (after a change, or at shutdown). */
  async release(configId?: string): Promise<void> {
    const ids = configId === undefined ? [...this.clients.keys()] : [configId];
    for (const id of ids) {
      const entry = this.clients.get(id);
      this.clients.delete(id);
      await entry?.client.close().catch(() => undefined);
    }
  }

  private httpClientFor(
    record: PluginConfigRecord,
    definition: AnyPluginDefinition,
    config: unknown,
    logger: Logger,
  ): HttpClient {
    const cached = this.clients.get(record.id);
    if (cached && cached.version === record.version) return cached.client;
    if (cached) void cached.client.close().catch(() => undefined);
    const client = createHttpClient({
      ...this.deps.http,
      ...(definition.http ? definition.http(config) : {}),
      plugin: { id: definition.id, version: definition.version },
      clock: this.deps.clock,
      logger: logger.child({ component: 'http' }),
    });
    this.clients.set(record.id, { version: record.version, client });
    return client;
  }

  private finish(
    record: PluginConfigRecord,
    operation: string,
    started: number,
    error: CeError | undefined,
  ): void {
    this.deps.events.emit('plugin-call-finished', {
      configId: record.id,
      pluginId: record.pluginId,
      operation,
      outcome: error ? 'failed' : 'succeeded',
      durationMs: this.deps.clock.now() - started,
      ...(error ? { error: { code: error.code, message: error.message, retryable: error.retryable } } : {}),
    });
  }
}

function checkOutput<Output>(
  schema: z.ZodType<Output>,
  value: unknown,
  pluginId: string,
  operation: string,
): Output {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = issuesFromZod(parsed.error);
  const first = issues[0];
  throw new CeError(
    'PLUGIN_FAILED',
    `${pluginId} ${operation} returned an invalid result${first ? `: ${first.path || 'result'}: ${first.reason}` : ''}`,
    { details: { issues } },
  );
}

function asPluginError(thrown: unknown, pluginId: string, operation: string): CeError {
  const error = toCeError(thrown);
  if (error.code !== 'INTERNAL') return error;
  // Anything a plugin throws that is not one of ours is the plugin's failure, not the host's.
  return new CeError('PLUGIN_FAILED', `${pluginId} ${operation} failed: ${error.message}`, { cause: thrown });
}
