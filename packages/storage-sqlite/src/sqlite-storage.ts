import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type AuditEntry,
  type AuditLog,
  type AuditQuery,
  CeError,
  type Clock,
  checkExpectedVersion,
  checkStorageName,
  compareCodePoints,
  createNoopLogger,
  createStorageGate,
  type KeyValueStore,
  type ListOptions,
  type Logger,
  normalizeAuditInput,
  normalizePluginConfigInput,
  type Page,
  type PluginConfigRecord,
  type PluginConfigStore,
  prefixUpperBound,
  resolvePageLimit,
  type StorageAdapter,
  type StorageStores,
  systemClock,
  type TransactionScope,
  toStoredJson,
  type VersionedEntry,
  type WriteOptions,
} from '@ce/core';
import Database from 'better-sqlite3';
import { sqliteErrorCode, toSqliteStorageError } from './sqlite-errors.js';
import { cteSqliteMigrations } from './sqlite-ioc-migrations.js';
import { createSqliteIocStore } from './sqlite-ioc-store.js';
import { coreSqliteMigrations, migrateSqlite, type SqliteMigrationSet } from './sqlite-migrations.js';
import { ctoSqliteMigrations } from './sqlite-ticket-migrations.js';
import { createSqliteTicketStore } from './sqlite-ticket-store.js';

/** Options of {@link createSqliteStorage}. */
export interface SqliteStorageOptions {
  /**
   * Database file; missing parent directories are created. `':memory:'` keeps everything in
   * memory (then `durable` is false).
   */
  path: string;
  /**
   * Time source for `updatedAt`, `createdAt`, audit entries without `at` and `applied_at`.
   * @default systemClock
   */
  clock?: Clock;
  /**
   * How long a statement waits for another process's write lock before failing with a retryable
   * `STORAGE_FAILED`.
   * @default 5000
   */
  busyTimeoutMs?: number;
  /**
   * Receives migration and rollback records.
   * @default a no-op logger
   */
  logger?: Logger;
  /**
   * Migration sets of module packages (`cto`, ...), applied by `init()` after the core set and
   * the threat exchange's (`cteSqliteMigrations`, for `iocs`) and the ticket orchestrator's
   * (`ctoSqliteMigrations`, for `tickets`), both always applied, in this order.
   * @default []
   */
  migrations?: readonly SqliteMigrationSet[];
  /**
   * WAL pages written before SQLite copies them back into the database file. SQLite's default of
   * 1,000 (4 MB) makes bulk indicator ingest copy the same index pages back again and again;
   * 10,000 lets the WAL grow to about 40 MB between checkpoints and ingests about 10% faster.
   * @default 10000
   */
  walAutocheckpointPages?: number;
}

/**
 * A {@link StorageAdapter} on SQLite, with the connection exposed for module packages that keep
 * their own tables in the same file (created through {@link SqliteStorageOptions.migrations}).
 */
export interface SqliteStorage extends StorageAdapter {
  /** Always `sqlite`. */
  readonly kind: 'sqlite';
  /** False for `':memory:'`. */
  readonly durable: boolean;
  /** The database file, as given. */
  readonly path: string;
  /**
   * The better-sqlite3 connection; reading it opens and migrates the database if `init()` has not
   * run yet, and fails with `STORAGE_FAILED` after `close()`. Use it to prepare statements. Run
   * them through {@link SqliteStorage.withDatabase} or {@link SqliteStorage.runInTransaction}, not
   * directly: there is one connection, so a write made on it while a `transaction()` is running
   * becomes part of that transaction.
   */
  readonly database: Database.Database;
  /**
   * Runs `operation` with the connection: inside the caller's running `transaction()` when called
   * from its `work` (so a module store's writes commit or roll back with it), otherwise after the
   * running transaction and queued operations, like a core store call. SQLite errors become
   * `STORAGE_FAILED`.
   *
   * @example
   * ```ts
   * const upsert = storage.database.prepare('INSERT OR REPLACE INTO cte_indicators (id, value) VALUES (?, ?)');
   * await storage.transaction(async (tx) => {
   *   await storage.withDatabase(() => upsert.run('ioc-1', '1.2.3.4'));
   *   await tx.keyValue.set('cte-checkpoints', 'netskope-prod', { cursor: 'abc' });
   * });
   * ```
   */
  withDatabase<T>(operation: (db: Database.Database) => T | Promise<T>): Promise<T>;
  /**
   * Runs the synchronous `batch` atomically: in its own `BEGIN IMMEDIATE` transaction, or as a
   * savepoint of the caller's running `transaction()`. For bulk writes (thousands of rows in one
   * commit instead of one commit each).
   */
  runInTransaction<T>(batch: (db: Database.Database) => T): Promise<T>;
}

interface KeyValueRow {
  key: string;
  value: string;
  version: number;
  updated_at: number;
}

interface PluginConfigRow {
  id: string;
  plugin_id: string;
  plugin_version: string;
  name: string;
  modules: string;
  enabled: number;
  config: string;
  interval_ms: number | null;
  version: number;
  created_at: number;
  updated_at: number;
}

interface AuditRow {
  sequence: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  details: string | null;
}

type PluginConfigInput = Omit<PluginConfigRecord, 'version' | 'createdAt' | 'updatedAt'>;
type AuditInput = Omit<AuditEntry, 'sequence' | 'at'> & { at?: number };

const kvColumns = 'key, value, version, updated_at';
const configColumns =
  'id, plugin_id, plugin_version, name, modules, enabled, config, interval_ms, version, created_at, updated_at';
const auditColumns = 'sequence, at, actor, action, target, details';

function prepareStatements(db: Database.Database) {
  const listKeys = (lower: '>=' | '>', bounded: boolean) =>
    db.prepare<[string, string, ...string[], number], KeyValueRow>(
      `SELECT ${kvColumns} FROM ce_kv WHERE namespace = ? AND key ${lower} ?${bounded ? ' AND key < ?' : ''} ORDER BY key LIMIT ?`,
    );
  return {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    kvGet: db.prepare<[string, string], KeyValueRow>(
      `SELECT ${kvColumns} FROM ce_kv WHERE namespace = ? AND key = ?`,
    ),
    kvUpsert: db.prepare<[string, string, string, number, number]>(
      `INSERT INTO ce_kv (namespace, key, value, version, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, version = excluded.version, updated_at = excluded.updated_at`,
    ),
    kvDelete: db.prepare<[string, string]>('DELETE FROM ce_kv WHERE namespace = ? AND key = ?'),
    kvListFrom: listKeys('>=', false),
    kvListFromBounded: listKeys('>=', true),
    kvListAfter: listKeys('>', false),
    kvListAfterBounded: listKeys('>', true),
    configGet: db.prepare<[string], PluginConfigRow>(
      `SELECT ${configColumns} FROM ce_plugin_configs WHERE id = ?`,
    ),
    configList: db.prepare<[], PluginConfigRow>(`SELECT ${configColumns} FROM ce_plugin_configs ORDER BY id`),
    configUpsert: db.prepare<[PluginConfigRow]>(
      `INSERT INTO ce_plugin_configs (${configColumns})
       VALUES (@id, @plugin_id, @plugin_version, @name, @modules, @enabled, @config, @interval_ms, @version, @created_at, @updated_at)
       ON CONFLICT (id) DO UPDATE SET plugin_id = excluded.plugin_id, plugin_version = excluded.plugin_version,
         name = excluded.name, modules = excluded.modules, enabled = excluded.enabled, config = excluded.config,
         interval_ms = excluded.interval_ms, version = excluded.version, updated_at = excluded.updated_at`,
    ),
    configDelete: db.prepare<[string]>('DELETE FROM ce_plugin_configs WHERE id = ?'),
    auditInsert: db.prepare<[number, string, string, string, string | null]>(
      'INSERT INTO ce_audit (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)',
    ),
    auditList: db.prepare<[number, number], AuditRow>(
      `SELECT ${auditColumns} FROM ce_audit WHERE sequence > ? ORDER BY sequence LIMIT ?`,
    ),
    auditListByTarget: db.prepare<[string, number, number], AuditRow>(
      `SELECT ${auditColumns} FROM ce_audit WHERE target = ? AND sequence > ? ORDER BY sequence LIMIT ?`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

interface Connection {
  db: Database.Database;
  statements: Statements;
  /** Runs a function in its own `BEGIN IMMEDIATE` transaction (a savepoint when one is open). */
  immediate: Database.Transaction<(work: () => unknown) => unknown>;
}

function toEntry<T>(row: KeyValueRow): VersionedEntry<T> {
  return { key: row.key, value: JSON.parse(row.value) as T, version: row.version, updatedAt: row.updated_at };
}

function toConfig(row: PluginConfigRow): PluginConfigRecord {
  return {
    id: row.id,
    pluginId: row.plugin_id,
    pluginVersion: row.plugin_version,
    name: row.name,
    modules: JSON.parse(row.modules) as string[],
    enabled: row.enabled === 1,
    config: JSON.parse(row.config) as Record<string, unknown>,
    ...(row.interval_ms === null ? {} : { intervalMs: row.interval_ms }),
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    sequence: row.sequence,
    at: row.at,
    actor: row.actor,
    action: row.action,
    target: row.target,
    ...(row.details === null ? {} : { details: JSON.parse(row.details) as Record<string, unknown> }),
  };
}

function isInMemory(path: string): boolean {
  return path === ':memory:' || path === '' || path.startsWith('file::memory:');
}

/**
 * The embedded default storage: one SQLite file through better-sqlite3, in WAL mode with
 * `synchronous=NORMAL` (a commit survives a crash of the process; the last commits before a
 * power loss may not), foreign keys on and a busy timeout. `init()` applies the versioned
 * migrations (the core set, then {@link SqliteStorageOptions.migrations}); any other call opens
 * and migrates the database on first use.
 *
 * There is one connection. Calls run one at a time in call order; `transaction(work)` holds the
 * connection from `BEGIN IMMEDIATE` until `COMMIT` or `ROLLBACK`, across the awaits in `work`, so
 * every other call of this adapter (reads included) waits for it, and other processes using the
 * same file wait for its write lock up to `busyTimeoutMs`. Keep transactions short.
 *
 * @example
 * ```ts
 * import { createSqliteStorage } from '@ce/storage-sqlite';
 *
 * const storage = createSqliteStorage({ path: './data/ce.db' });
 * await storage.init();
 * await storage.transaction(async (tx) => {
 *   await tx.pluginConfigs.put(record, { expectedVersion: 0 });
 *   await tx.audit.append({ actor: 'alice', action: 'plugin-config-created', target: `plugin-config:${record.id}` });
 * });
 * await storage.close();
 * ```
 */
export function createSqliteStorage(options: SqliteStorageOptions): SqliteStorage {
  const { path } = options;
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? createNoopLogger()).child({ storage: 'sqlite' });
  const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
  const walAutocheckpointPages = options.walAutocheckpointPages ?? 10_000;
  const moduleSets = options.migrations ?? [];
  const migrationSets = [
    coreSqliteMigrations,
    ...(moduleSets.includes(cteSqliteMigrations) ? [] : [cteSqliteMigrations]),
    ...(moduleSets.includes(ctoSqliteMigrations) ? [] : [ctoSqliteMigrations]),
    ...moduleSets,
  ];
  const gate = createStorageGate('sqlite');
  let connection: Connection | undefined;
  let closed = false;

  const open = (): Connection => {
    if (connection) return connection;
    if (closed) throw new CeError('STORAGE_FAILED', 'sqlite storage is closed', { retryable: false });
    let db: Database.Database | undefined;
    try {
      if (!isInMemory(path)) mkdirSync(dirname(path), { recursive: true });
      db = new Database(path, { timeout: busyTimeoutMs });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
      db.pragma(`wal_autocheckpoint = ${Math.max(0, Math.trunc(walAutocheckpointPages))}`);
      migrateSqlite(db, migrationSets, { clock, logger });
      const statements = prepareStatements(db);
      connection = { db, statements, immediate: db.transaction((work: () => unknown) => work()) };
      return connection;
    } catch (error) {
      db?.close();
      throw toSqliteStorageError(error, 'open');
    }
  };

  const guard = <T>(operation: string, run: () => T): T => {
    try {
      return run();
    } catch (error) {
      throw toSqliteStorageError(error, operation);
    }
  };

  const keySubject = (namespace: string, key: string): string => `key "${key}" in namespace "${namespace}"`;

  // The operations, synchronous; `inTransaction` says whether a `transaction()` is open, so a
  // read-check-write needs no transaction of its own.
  const kv = {
    get<T>(c: Connection, namespace: string, key: string): VersionedEntry<T> | undefined {
      checkStorageName(namespace, 'namespace');
      checkStorageName(key, 'key');
      const row = guard('get', () => c.statements.kvGet.get(namespace, key));
      return row ? toEntry<T>(row) : undefined;
    },
    set(
      c: Connection,
      namespace: string,
      key: string,
      value: unknown,
      write: WriteOptions | undefined,
    ): number {
      checkStorageName(namespace, 'namespace');
      checkStorageName(key, 'key');
      const text = toStoredJson(value, `value of ${keySubject(namespace, key)}`, { namespace, key });
      return guard('set', () =>
        atomically(c, () => {
          const current = c.statements.kvGet.get(namespace, key)?.version;
          checkExpectedVersion(keySubject(namespace, key), write?.expectedVersion, current);
          const version = (current ?? 0) + 1;
          c.statements.kvUpsert.run(namespace, key, text, version, clock.now());
          return version;
        }),
      );
    },
    delete(c: Connection, namespace: string, key: string, write: WriteOptions | undefined): boolean {
      checkStorageName(namespace, 'namespace');
      checkStorageName(key, 'key');
      return guard('delete', () =>
        atomically(c, () => {
          const current = c.statements.kvGet.get(namespace, key)?.version;
          if (write?.expectedVersion !== 0 || current !== undefined) {
            checkExpectedVersion(keySubject(namespace, key), write?.expectedVersion, current);
          }
          return c.statements.kvDelete.run(namespace, key).changes > 0;
        }),
      );
    },
    list<T>(c: Connection, namespace: string, list: ListOptions = {}): Page<VersionedEntry<T>> {
      checkStorageName(namespace, 'namespace');
      const limit = resolvePageLimit(list.limit);
      const prefix = list.prefix ?? '';
      const after =
        list.after !== undefined && compareCodePoints(list.after, prefix) >= 0 ? list.after : undefined;
      const bound = prefix === '' ? undefined : prefixUpperBound(prefix);
      const { statements: s } = c;
      const rows = guard('list', () => {
        if (after === undefined) {
          return bound === undefined
            ? s.kvListFrom.all(namespace, prefix, limit + 1)
            : s.kvListFromBounded.all(namespace, prefix, bound, limit + 1);
        }
        return bound === undefined
          ? s.kvListAfter.all(namespace, after, limit + 1)
          : s.kvListAfterBounded.all(namespace, after, bound, limit + 1);
      });
      const items = rows.slice(0, limit).map((row) => toEntry<T>(row));
      const last = items.at(-1);
      return rows.length > limit && last ? { items, nextCursor: last.key } : { items };
    },
  };

  const pluginConfigs = {
    get(c: Connection, id: string): PluginConfigRecord | undefined {
      checkStorageName(id, 'id');
      const row = guard('get plugin configuration', () => c.statements.configGet.get(id));
      return row ? toConfig(row) : undefined;
    },
    list(c: Connection): PluginConfigRecord[] {
      return guard('list plugin configurations', () => c.statements.configList.all()).map(toConfig);
    },
    put(c: Connection, input: PluginConfigInput, write: WriteOptions | undefined): PluginConfigRecord {
      const record = normalizePluginConfigInput(input);
      return guard('put plugin configuration', () =>
        atomically(c, () => {
          const current = c.statements.configGet.get(record.id);
          checkExpectedVersion(
            `plugin configuration "${record.id}"`,
            write?.expectedVersion,
            current?.version,
          );
          const now = clock.now();
          const row: PluginConfigRow = {
            id: record.id,
            plugin_id: record.pluginId,
            plugin_version: record.pluginVersion,
            name: record.name,
            modules: JSON.stringify(record.modules),
            enabled: record.enabled ? 1 : 0,
            config: JSON.stringify(record.config),
            interval_ms: record.intervalMs ?? null,
            version: (current?.version ?? 0) + 1,
            created_at: current?.created_at ?? now,
            updated_at: now,
          };
          c.statements.configUpsert.run(row);
          return toConfig(row);
        }),
      );
    },
    delete(c: Connection, id: string, write: WriteOptions | undefined): boolean {
      checkStorageName(id, 'id');
      return guard('delete plugin configuration', () =>
        atomically(c, () => {
          const current = c.statements.configGet.get(id)?.version;
          if (write?.expectedVersion !== 0 || current !== undefined) {
            checkExpectedVersion(`plugin configuration "${id}"`, write?.expectedVersion, current);
          }
          return c.statements.configDelete.run(id).changes > 0;
        }),
      );
    },
  };

  const audit = {
    append(c: Connection, input: AuditInput): AuditEntry {
      const entry = normalizeAuditInput(input, clock.now());
      const details = entry.details === undefined ? null : JSON.stringify(entry.details);
      const result = guard('append audit entry', () =>
        c.statements.auditInsert.run(entry.at, entry.actor, entry.action, entry.target, details),
      );
      return { sequence: Number(result.lastInsertRowid), ...entry };
    },
    list(c: Connection, query: AuditQuery = {}): AuditEntry[] {
      const limit = resolvePageLimit(query.limit);
      const after = query.afterSequence ?? 0;
      const rows = guard('list audit entries', () =>
        query.target === undefined
          ? c.statements.auditList.all(after, limit)
          : c.statements.auditListByTarget.all(query.target, after, limit),
      );
      return rows.map(toAuditEntry);
    },
  };

  // Outside a transaction, a read-check-write takes the write lock first (BEGIN IMMEDIATE), so
  // another process on the same file cannot slip in between the check and the write.
  const atomically = <T>(c: Connection, work: () => T): T =>
    c.db.inTransaction ? work() : (c.immediate.immediate(work) as T);

  const outside = <T>(operation: (c: Connection) => T): Promise<T> => gate.run(() => operation(open()));

  const stores = (call: <T>(operation: (c: Connection) => T) => Promise<T>): StorageStores => ({
    keyValue: {
      get: (namespace, key) => call((c) => kv.get(c, namespace, key)),
      set: (namespace, key, value, write) => call((c) => kv.set(c, namespace, key, value, write)),
      delete: (namespace, key, write) => call((c) => kv.delete(c, namespace, key, write)),
      list: (namespace, list) => call((c) => kv.list(c, namespace, list)),
    } satisfies KeyValueStore,
    pluginConfigs: {
      get: (id) => call((c) => pluginConfigs.get(c, id)),
      list: () => call((c) => pluginConfigs.list(c)),
      put: (record, write) => call((c) => pluginConfigs.put(c, record, write)),
      delete: (id, write) => call((c) => pluginConfigs.delete(c, id, write)),
    } satisfies PluginConfigStore,
    audit: {
      append: (entry) => call((c) => audit.append(c, entry)),
      list: (query) => call((c) => audit.list(c, query)),
    } satisfies AuditLog,
  });

  const transactionStores = (scope: TransactionScope, c: Connection): StorageStores =>
    stores(async (operation) => {
      scope.assertActive();
      return operation(c);
    });

  const rollback = (c: Connection): void => {
    try {
      if (c.db.inTransaction) c.statements.rollback.run();
    } catch (error) {
      logger.error('sqlite rollback failed', { error: toSqliteStorageError(error, 'rollback').toJSON() });
    }
  };

  const withDatabase: SqliteStorage['withDatabase'] = (operation) =>
    gate.runOrJoin(async () => {
      const c = open();
      try {
        return await operation(c.db);
      } catch (error) {
        throw sqliteErrorCode(error) === undefined ? error : toSqliteStorageError(error, 'module statement');
      }
    });
  const runInTransaction: SqliteStorage['runInTransaction'] = (batch) =>
    gate.runOrJoin(() => {
      const c = open();
      return guard('batch', () => c.immediate.immediate(() => batch(c.db))) as ReturnType<typeof batch>;
    });
  const iocs = createSqliteIocStore({ withDatabase, runInTransaction });
  const tickets = createSqliteTicketStore({ withDatabase, runInTransaction });

  return {
    kind: 'sqlite',
    durable: !isInMemory(path),
    path,
    ...stores(outside),
    get database() {
      return open().db;
    },
    withDatabase,
    runInTransaction,
    iocs,
    tickets,
    init: () => gate.run(() => void open()),
    transaction,
    close: () =>
      gate.close(() => {
        closed = true;
        if (!connection) return;
        const { db } = connection;
        connection = undefined;
        try {
          db.pragma('optimize');
        } finally {
          db.close();
        }
      }),
  };

  function transaction<T>(work: (tx: StorageStores) => Promise<T>): Promise<T> {
    return gate.transaction(async (scope) => {
      const c = open();
      guard('begin transaction', () => c.statements.begin.run());
      let result: T;
      try {
        result = await work(transactionStores(scope, c));
      } catch (error) {
        rollback(c);
        throw error;
      }
      guard('commit', () => {
        if (!c.db.inTransaction) {
          throw new CeError(
            'STORAGE_FAILED',
            'SQLite ended the transaction before commit; nothing was written',
            {
              retryable: true,
            },
          );
        }
        try {
          c.statements.commit.run();
        } catch (error) {
          rollback(c);
          throw error;
        }
      });
      return result;
    });
  }
}
