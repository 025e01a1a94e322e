import {
  type Clock,
  ConfigError,
  createHttpClient,
  createMemoryLogger,
  createMemoryStorage,
  createPluginStateStore,
  FakeClock,
  type HttpClient,
  type HttpClientOptions,
  type KeyValueStore,
  type LogRecord,
  type PluginCheckResult,
  type PluginContext,
  type PluginDefinition,
  PluginRegistry,
  systemClock,
  validateConfig,
} from '@ce/core';

/** Options of {@link createPluginHarness}. */
export interface PluginHarnessOptions<Config> {
  /** The plugin's settings, secrets included as plain values. Validated against the schema. */
  config: Config | Record<string, unknown>;
  /** @default 'test-config' */
  configId?: string;
  /**
   * The clock handed to the plugin (`ctx.clock`).
   * @default a new FakeClock
   */
  clock?: Clock;
  /**
   * HTTP client settings merged over the plugin's own `http(config)`. Retries default to short
   * real-time waits so tests against a mock server that answers 429 or 503 finish quickly.
   */
  http?: Partial<HttpClientOptions>;
  /** State store to share between harnesses (to test resuming from a checkpoint). */
  keyValue?: KeyValueStore;
}

/** A plugin wired to in-memory state, a fake clock and captured logs. */
export interface PluginHarness<Config> {
  /** The context passed to each call; build a new one with {@link PluginHarness.newContext}. */
  readonly context: PluginContext<Config>;
  readonly clock: Clock;
  /** Log records the plugin wrote, redacted as in production. */
  readonly logs: LogRecord[];
  /** The key-value store behind `context.state`. */
  readonly keyValue: KeyValueStore;
  /** A fresh context (new abort signal) over the same state, clock and logs. */
  newContext(signal?: AbortSignal): PluginContext<Config>;
  /** Runs the plugin's `check`. */
  check(): Promise<PluginCheckResult>;
  /** Runs any capability with a fresh context. */
  run<T>(call: (context: PluginContext<Config>) => Promise<T>): Promise<T>;
  /** Closes the HTTP client. */
  close(): Promise<void>;
}

/**
 * Runs a plugin's capability methods the way a host would, but with a fake clock, in-memory
 * state and captured logs. The plugin is registered in a real {@link PluginRegistry} first, so a
 * definition the host would refuse fails here too.
 *
 * @example
 * ```ts
 * const harness = createPluginHarness(samplePlugin, { config: { baseUrl: server.url, apiToken: 't0ken-123' } });
 * expect(await harness.check()).toEqual({ ok: true, message: expect.any(String) });
 * ```
 */
export function createPluginHarness<Config>(
  plugin: PluginDefinition<Config>,
  options: PluginHarnessOptions<Config>,
): PluginHarness<Config> {
  new PluginRegistry([plugin]);
  const validated = validateConfig(plugin.configSchema, options.config);
  if (!validated.ok)
    throw new ConfigError(`invalid configuration for plugin "${plugin.id}"`, validated.issues);
  const config = validated.config;
  const clock = options.clock ?? new FakeClock();
  const logger = createMemoryLogger();
  const keyValue = options.keyValue ?? createMemoryStorage().keyValue;
  const configId = options.configId ?? 'test-config';
  const http: HttpClient = createHttpClient({
    retry: { baseDelayMs: 5, maxDelayMs: 50, maxRetryAfterMs: 5_000 },
    ...(plugin.http ? plugin.http(config) : {}),
    ...options.http,
    plugin: { id: plugin.id, version: plugin.version },
    clock: options.http?.clock ?? systemClock,
    logger: logger.child({ component: 'http' }),
  });
  const newContext = (signal?: AbortSignal): PluginContext<Config> => ({
    configId,
    plugin: { id: plugin.id, version: plugin.version },
    config,
    http,
    logger: logger.child({ plugin: plugin.id, configId }),
    state: createPluginStateStore(keyValue, `plugin-state:${configId}`),
    clock,
    signal: signal ?? new AbortController().signal,
  });
  const context = newContext();
  return {
    context,
    clock,
    logs: logger.records,
    keyValue,
    newContext,
    async check() {
      if (!plugin.check)
        throw new ConfigError(`plugin "${plugin.id}" has no check`, [
          { path: 'check', reason: 'not defined' },
        ]);
      return plugin.check(newContext());
    },
    run: (call) => call(newContext()),
    close: () => http.close(),
  };
}
