import type { HttpClient } from '../http/http-client.js';
import type { Logger } from '../logging/logger.js';
import type { KeyValueStore } from '../storage/storage-adapter.js';
import type { Clock } from '../time/clock.js';

/**
 * Persistent state scoped to one plugin configuration: cursors, checkpoints, tokens' expiry,
 * anything a plugin must remember between runs. Values are JSON.
 */
export interface PluginStateStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  /** Returns whether the key existed. */
  delete(key: string): Promise<boolean>;
  /** Keys in ascending order, optionally only those starting with `prefix`. */
  keys(prefix?: string): Promise<string[]>;
}

/**
 * Everything a plugin call may use. The host builds it for each call; a plugin never reads the
 * environment, global `fetch` or raw storage.
 */
export interface PluginContext<Config = unknown> {
  /** The configuration's id (`netskope-prod`). */
  readonly configId: string;
  /** The plugin's id and version. */
  readonly plugin: { readonly id: string; readonly version: string };
  /** The validated configuration with secret fields resolved to their values. */
  readonly config: Config;
  /** HTTP client configured from the plugin's settings and the host's proxy and TLS settings. */
  readonly http: HttpClient;
  /** Logger bound to the plugin and configuration; it redacts secrets. */
  readonly logger: Logger;
  /** State kept between runs, scoped to this configuration. */
  readonly state: PluginStateStore;
  /** Time source; use it instead of `Date.now` and `setTimeout`. */
  readonly clock: Clock;
  /** Aborted when the host stops, the call times out, or the configuration is disabled. */
  readonly signal: AbortSignal;
}

/** Builds a {@link PluginStateStore} over a key-value namespace. */
export function createPluginStateStore(keyValue: KeyValueStore, namespace: string): PluginStateStore {
  return {
    async get<T>(key: string) {
      return (await keyValue.get<T>(namespace, key))?.value;
    },
    async set(key, value) {
      await keyValue.set(namespace, key, value);
    },
    delete: (key) => keyValue.delete(namespace, key),
    async keys(prefix) {
      const keys: string[] = [];
      let after: string | undefined;
      do {
        const page = await keyValue.list(namespace, {
          ...(prefix ? { prefix } : {}),
          ...(after ? { after } : {}),
          limit: 1_000,
        });
        for (const entry of page.items) keys.push(entry.key);
        after = page.nextCursor;
      } while (after);
      return keys;
    },
  };
}
