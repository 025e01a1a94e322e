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
 * Rules every implementation follows (the conformance suite checks them):
 *
 * - Values are JSON. A value that cannot round-trip through JSON (a function, a symbol, a
 *   `bigint`, a cycle, `NaN` or an infinity, `undefined` at the top level or in an array, a `Map`
 *   or other class instance without `toJSON`) fails with `VALIDATION_FAILED` naming the key, and
 *   nothing is written. Object properties that are `undefined` are dropped, as `JSON.stringify`
 *   does; objects with `toJSON` (a `Date`) are stored as what it returns.
 * - Stores keep and hand out copies: changing an object after writing it, or changing an object
 *   read from a store, never changes what is stored.
 * - Namespaces, keys and configuration ids are non-empty, well-formed strings (no lone surrogate)
 *   of at most 512 UTF-16 code units, and sort by Unicode code point (what SQLite's `BINARY` and
 *   PostgreSQL's `COLLATE "C"` on UTF-8 give; not JavaScript's default `sort`).
 * - Failures of the backend are `CeError`s with code `STORAGE_FAILED` and the driver's error as
 *   `cause`; version mismatches are `CONFLICT`; bad input is `VALIDATION_FAILED`. After
 *   {@link StorageAdapter.close} every call fails with `STORAGE_FAILED` (not retryable).
 *
 * @module
 */

import type { RiskStore } from '../risk/risk-store.js';
import type { IocStore } from '../threat/ioc-store.js';
import type { TicketStore } from '../tickets/ticket-store.js';

/** A value read from a {@link KeyValueStore}, with its version for compare-and-set. */
export interface VersionedEntry<T = unknown> {
  /** The key, without its namespace. */
  key: string;
  /** A copy of the stored value. */
  value: T;
  /**
   * Starts at 1 and grows by one on every write of the key. A deleted key that is written again
   * starts at 1 again, so hold on to a version only while you know the key exists.
   */
  version: number;
  /** Epoch milliseconds of the last write, from the adapter's clock. */
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
  /**
   * Page size: a positive integer; larger values are cut to 1,000, anything else fails with
   * `VALIDATION_FAILED`.
   * @default 100
   */
  limit?: number;
}

/** One page of results; `nextCursor` is absent on the last page. */
export interface Page<T> {
  /** The entries of this page, in key order. */
  items: T[];
  /** Pass as {@link ListOptions.after} (with the same prefix) to read the next page. */
  nextCursor?: string;
}

/**
 * A namespaced, versioned key-value store for plugin state, checkpoints and small documents.
 * Values are JSON-serializable; a value that is not fails with `VALIDATION_FAILED` and nothing is
 * written. Keys within a namespace are listed in ascending code-point order.
 */
export interface KeyValueStore {
  /** The entry, or `undefined` when the key does not exist. */
  get<T = unknown>(namespace: string, key: string): Promise<VersionedEntry<T> | undefined>;
  /** Writes the value and returns the new version. */
  set(namespace: string, key: string, value: unknown, options?: WriteOptions): Promise<number>;
  /**
   * Deletes the key; returns whether it existed. With `expectedVersion` other than 0, a missing
   * key is a `CONFLICT`; with 0, deleting a missing key returns `false`.
   */
  delete(namespace: string, key: string, options?: WriteOptions): Promise<boolean>;
  /** One page of entries in ascending key order (by code point). */
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
  /** Whether its scheduled work runs. */
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
  /** Epoch milliseconds of the first write; kept by later updates. */
  createdAt: number;
  /** Epoch milliseconds of the last write, from the adapter's clock. */
  updatedAt: number;
}

/** Stores plugin configurations. */
export interface PluginConfigStore {
  /** The configuration, or `undefined` when there is none with this id. */
  get(id: string): Promise<PluginConfigRecord | undefined>;
  /** All configurations, ordered by id. */
  list(): Promise<PluginConfigRecord[]>;
  /**
   * Inserts or replaces a configuration. With `expectedVersion`, fails with `CONFLICT` unless the
   * stored version matches (0: must not exist). Returns the record as stored. Properties other
   * than those of {@link PluginConfigRecord} are not stored; `config` must be JSON.
   */
  put(
    record: Omit<PluginConfigRecord, 'version' | 'createdAt' | 'updatedAt'>,
    options?: WriteOptions,
  ): Promise<PluginConfigRecord>;
  /**
   * Removes it; returns whether it existed. With `expectedVersion`, fails with `CONFLICT` unless
   * the stored version matches (as {@link KeyValueStore.delete}).
   */
  delete(id: string, options?: WriteOptions): Promise<boolean>;
}

/** One entry of the audit log: who changed what, when. */
export interface AuditEntry {
  /**
   * Assigned by the store, strictly increasing in commit order; there may be gaps (a rolled-back
   * append may use up a number). Readers page with {@link AuditQuery.afterSequence}, so an entry
   * must never become visible with a sequence lower than one already visible: a PostgreSQL
   * implementation must not hand out numbers from a plain sequence in concurrent transactions
   * (they commit out of order); it takes a transaction-scoped lock (`pg_advisory_xact_lock`) before
   * assigning the next number, or assigns it at commit.
   */
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
  /**
   * Appends an entry and returns it as stored. `at` defaults to the adapter's clock; `details`
   * must be JSON.
   */
  append(entry: Omit<AuditEntry, 'sequence' | 'at'> & { at?: number }): Promise<AuditEntry>;
  /** Entries in ascending sequence order, at most `limit` of them. */
  list(query?: AuditQuery): Promise<AuditEntry[]>;
}

/** The stores available inside and outside a transaction. */
export interface StorageStores {
  /** Plugin state, checkpoints and small documents. */
  readonly keyValue: KeyValueStore;
  /** Plugin configurations. */
  readonly pluginConfigs: PluginConfigStore;
  /** The audit log of configuration changes. */
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
  /**
   * The threat exchange's indicators, destination states and change feed. Its batch writes are
   * atomic on their own; it is not one of the `tx` stores of {@link StorageAdapter.transaction}, so
   * do not count on its writes rolling back with a transaction (the SQLite adapter joins a running
   * transaction when called from inside one, the memory adapter does not undo them). After
   * {@link StorageAdapter.close} its calls fail with `STORAGE_FAILED` like every other store's.
   */
  readonly iocs: IocStore;
  /**
   * The ticket orchestrator's tickets, alerts and outbox, when the adapter keeps them (the memory
   * and SQLite adapters do). Like {@link StorageAdapter.iocs}, its commits are atomic on their own
   * and not part of {@link StorageAdapter.transaction}.
   */
  readonly tickets?: TicketStore;
  /**
   * The risk exchange's entities, rollups, rule states and action log, when the adapter keeps them
   * (the memory and SQLite adapters do). Its commits are atomic on their own.
   */
  readonly risk?: RiskStore;
  /**
   * Creates tables, runs migrations. Idempotent. Call it once at startup; an implementation may
   * also run it on first use.
   */
  init(): Promise<void>;
  /**
   * Runs `work` atomically: either every write it made through `tx` is kept, or (when it throws)
   * none is, and the error is rethrown as is. Resolves with what `work` returns.
   *
   * - Transactions are serializable with respect to each other: two transactions that each read a
   *   counter and write it plus one never lose an increment. The embedded adapters run them one at
   *   a time. A PostgreSQL adapter shared by several hosts must give the same guarantee, either
   *   with `SERIALIZABLE` isolation and a transparent retry on serialization failures (then `work`
   *   may run more than once, so it must not have side effects outside `tx`), or by taking locks
   *   (`SELECT ... FOR UPDATE`, advisory locks) in its stores; read committed alone is not enough.
   * - Writes made outside `tx` while it runs wait for it. Reads outside `tx` never see its
   *   uncommitted writes (they wait, or see the state before it).
   * - Inside `work`, use only `tx`: calling this adapter's own stores or `transaction` from inside
   *   `work` fails with `INTERNAL` instead of waiting forever for the running transaction. Using
   *   `tx` after the transaction has ended fails with `INTERNAL` too.
   * - Keep `work` short and free of network calls: other writers wait while it runs.
   */
  transaction<T>(work: (tx: StorageStores) => Promise<T>): Promise<T>;
  /**
   * Waits for running work, then flushes and releases resources. Further calls fail with
   * `STORAGE_FAILED`; closing again does nothing.
   */
  close(): Promise<void>;
}
