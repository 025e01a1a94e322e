/**
 * Storage interfaces. A host picks one {@link StorageAdapter}: the in-memory one in this package,
 * `@ce/storage-sqlite` as the embedded default, or a PostgreSQL one shared by several hosts. Every
 * implementation must pass the conformance suite in `@ce/core/testing`.
 *
 * The interfaces are asynchronous even where an implementation is not, and every write that must
 * not be lost between hosts is either a single call or runs inside {@link StorageAdapter.transaction}.
 * Optimistic concurrency (`expectedVersion`) lets several hosts update the same record safely
 * without holding locks across network calls.
 *
 * @module
 */

/** A value read from a {@link KeyValueStore}, with its version for compare-and-set. */
export interface VersionedEntry<T = unknown> {
  key: string;
  value: T;
  /** Starts at 1 and grows by one on every write of the key. */
  version: number;
  /** Epoch milliseconds of the last write. */
  updatedAt: number;
}

/** Options of a conditional write. */
export interface WriteOptions {
  /**
   * Write only if the stored version equals this; `0` means "only if the key does not exist".
   * A mismatch throws a `CeError` with code `CONFLICT` and writes nothing.
   */
  expectedVersion?: number;
}

/** Options of {@link KeyValueStore.list}. */
export interface ListOptions {
  /** Only keys starting with this. */
  prefix?: string;
  /** Cursor from a previous page: only keys strictly after it. */
  after?: string;
  /** Page size. @default 100, at most 1,000 */
  limit?: number;
}

/** One page of results; `nextCursor` is absent on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/**
 * A namespaced, versioned key-value store for plugin state, checkpoints and small documents.
 * Values are JSON-serializable; a value that is not fails with `VALIDATION_FAILED` and nothing is
 * written. Keys within a namespace are listed in ascending code-point order.
 */
export interface KeyValueStore {
  get<T = unknown>(namespace: string, key: string): Promise<VersionedEntry<T> | undefined>;
  /** Writes the value and returns the new version. */
  set(namespace: string, key: string, value: unknown, options?: WriteOptions): Promise<number>;
  /** Deletes the key; returns whether it existed. */
  delete(namespace: string, key: string, options?: WriteOptions): Promise<boolean>;
  list<T = unknown>(namespace: string, options?: ListOptions): Promise<Page<VersionedEntry<T>>>;
}

/** A stored plugin configuration: one configured instance of a plugin. */
export interface PluginConfigRecord {
  /** Unique id of this configuration, chosen by the user (`netskope-prod`). */
  id: string;
  /** The plugin it configures. */
  pluginId: string;
  /** The plugin version it was last validated against. */
  pluginVersion: string;
  /** Display name. */
  name: string;
  /** Modules this configuration takes part in. */
  modules: string[];
  enabled: boolean;
  /**
   * The plugin's settings. Secret fields hold a secret reference (`secret://...`), never the
   * secret itself.
   */
  config: Record<string, unknown>;
  /** Optional polling interval override, milliseconds. */
  intervalMs?: number;
  /** Starts at 1 and grows by one on every update. */
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** Stores plugin configurations. */
export interface PluginConfigStore {
  get(id: string): Promise<PluginConfigRecord | undefined>;
  /** All configurations, ordered by id. */
  list(): Promise<PluginConfigRecord[]>;
  /**
   * Inserts or replaces a configuration. With `expectedVersion`, fails with `CONFLICT` unless the
   * stored version matches (0: must not exist). Returns the record as stored.
   */
  put(
    record: Omit<PluginConfigRecord, 'version' | 'createdAt' | 'updatedAt'>,
    options?: WriteOptions,
  ): Promise<PluginConfigRecord>;
  /** Removes it; returns whether it existed. */
  delete(id: string): Promise<boolean>;
}

/** One entry of the audit log: who changed what, when. */
export interface AuditEntry {
  /** Assigned by the store, strictly increasing in append order. */
  sequence: number;
  /** Epoch milliseconds. */
  at: number;
  /** Who did it: a user name, an API token's name, or `system`. */
  actor: string;
  /** What was done, noun-verb: `plugin-config-created`, `sharing-rule-updated`. */
  action: string;
  /** What it was done to, e.g. `plugin-config:netskope-prod`. */
  target: string;
  /** Redacted facts about the change (a diff of non-secret fields). */
  details?: Record<string, unknown>;
}

/** Options of {@link AuditLog.list}. */
export interface AuditQuery {
  /** Only entries for this target. */
  target?: string;
  /** Only entries with a sequence greater than this. */
  afterSequence?: number;
  /** @default 100, at most 1,000 */
  limit?: number;
}

/** An append-only log of configuration changes. */
export interface AuditLog {
  append(entry: Omit<AuditEntry, 'sequence'>): Promise<AuditEntry>;
  /** Entries in ascending sequence order. */
  list(query?: AuditQuery): Promise<AuditEntry[]>;
}

/** The stores available inside and outside a transaction. */
export interface StorageStores {
  readonly keyValue: KeyValueStore;
  readonly pluginConfigs: PluginConfigStore;
  readonly audit: AuditLog;
}

/**
 * A storage backend. Module packages extend the stores it offers (threat indicators, tickets, risk
 * scores, delivery checkpoints) through their own interfaces; the core stores are here.
 */
export interface StorageAdapter extends StorageStores {
  /** Short name for logs and metrics: `memory`, `sqlite`, `postgres`. */
  readonly kind: string;
  /** Whether data survives a restart of the process. */
  readonly durable: boolean;
  /** Creates tables, runs migrations. Idempotent. */
  init(): Promise<void>;
  /**
   * Runs `work` atomically: either every write it made through `tx` is kept, or (when it throws)
   * none is, and the error is rethrown. Transactions are serializable with respect to each other.
   * Writes made outside `tx` while it runs wait for it.
   */
  transaction<T>(work: (tx: StorageStores) => Promise<T>): Promise<T>;
  /** Flushes and releases resources. Further calls fail. */
  close(): Promise<void>;
}
