import { CeError, type Clock, createNoopLogger, type Logger, systemClock } from '@ce/core';
import type Database from 'better-sqlite3';
import { toSqliteStorageError } from './sqlite-errors.js';

/**
 * One schema change. Migrations are applied in ascending `version` order, each in its own
 * `BEGIN IMMEDIATE` transaction together with its row in `schema_migrations`, so a failed
 * migration leaves no trace and a second process starting at the same time waits, then skips it.
 *
 * `up` is synchronous (better-sqlite3 is). Never edit or renumber a migration that has shipped;
 * add a new one. A migration cannot change `PRAGMA foreign_keys` (it runs inside a transaction).
 */
export interface SqliteMigration {
  /** Positive integer, unique within its set; versions must be listed in ascending order. */
  version: number;
  /** Short description for logs and `schema_migrations`, e.g. `create indicators table`. */
  name: string;
  /** Applies the change. Throwing rolls it back and fails the start-up. */
  up(db: Database.Database): void;
}

/**
 * The migrations of one owner of tables: `core` for the stores of `@ce/core`, and one set per
 * module package (`cte`, `cto`, ...). Versions are numbered per namespace, so packages never
 * collide; a migration's id is `namespace@version` (`cte@3`). Prefix table names with the
 * namespace (`cte_indicators`) for the same reason.
 *
 * @example
 * ```ts
 * export const cteSqliteMigrations: SqliteMigrationSet = {
 *   namespace: 'cte',
 *   migrations: [
 *     {
 *       version: 1,
 *       name: 'create indicators table',
 *       up: (db) => db.exec('CREATE TABLE cte_indicators (id TEXT PRIMARY KEY, value TEXT NOT NULL)'),
 *     },
 *   ],
 * };
 * const storage = createSqliteStorage({ path: 'ce.db', migrations: [cteSqliteMigrations] });
 * ```
 */
export interface SqliteMigrationSet {
  /** Owner of the tables: lowercase letters, digits and `-`, starting with a letter. */
  namespace: string;
  /** The migrations, in ascending version order. */
  migrations: readonly SqliteMigration[];
}

/** A migration recorded in `schema_migrations`. */
export interface AppliedSqliteMigration {
  /** The set it belongs to. */
  namespace: string;
  /** Its version within the set. */
  version: number;
  /** Its name when it was applied. */
  name: string;
  /** Epoch milliseconds. */
  appliedAt: number;
}

/** Options of {@link migrateSqlite}. */
export interface MigrateSqliteOptions {
  /**
   * Time recorded as `applied_at`.
   * @default systemClock
   */
  clock?: Clock;
  /**
   * Receives one `info` record per applied migration.
   * @default a no-op logger
   */
  logger?: Logger;
}

/** The tables of the core stores: key-value entries, plugin configurations and the audit log. */
export const coreSqliteMigrations: SqliteMigrationSet = {
  namespace: 'core',
  migrations: [
    {
      version: 1,
      name: 'create key-value, plugin configuration and audit tables',
      up(db) {
        db.exec(`
          CREATE TABLE ce_kv (
            namespace TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            version INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (namespace, key)
          ) WITHOUT ROWID;
          CREATE TABLE ce_plugin_configs (
            id TEXT PRIMARY KEY,
            plugin_id TEXT NOT NULL,
            plugin_version TEXT NOT NULL,
            name TEXT NOT NULL,
            modules TEXT NOT NULL,
            enabled INTEGER NOT NULL,
            config TEXT NOT NULL,
            interval_ms REAL,
            version INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
          );
          CREATE TABLE ce_audit (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            details TEXT
          );
          CREATE INDEX ce_audit_target ON ce_audit (target, sequence);
        `);
      },
    },
  ],
};

const namespacePattern = /^[a-z][a-z0-9-]*$/;

function invalidSet(message: string): CeError {
  return new CeError('CONFIG_INVALID', `invalid SQLite migrations: ${message}`);
}

function checkSets(sets: readonly SqliteMigrationSet[]): void {
  const seen = new Set<string>();
  for (const set of sets) {
    if (!namespacePattern.test(set.namespace)) {
      throw invalidSet(`namespace "${set.namespace}" must match ${namespacePattern}`);
    }
    if (seen.has(set.namespace)) throw invalidSet(`namespace "${set.namespace}" is given twice`);
    seen.add(set.namespace);
    let previous = 0;
    for (const migration of set.migrations) {
      if (!Number.isInteger(migration.version) || migration.version <= previous) {
        throw invalidSet(
          `${set.namespace}@${migration.version}: versions must be positive integers in ascending order`,
        );
      }
      if (typeof migration.up !== 'function' || !migration.name) {
        throw invalidSet(`${set.namespace}@${migration.version} needs a name and an up function`);
      }
      previous = migration.version;
    }
  }
}

/**
 * Applies the migrations of `sets` that `schema_migrations` does not list yet, set by set in the
 * given order, and returns those it applied. Refuses to run (`STORAGE_FAILED`, not retryable)
 * against a database that has a newer migration of a namespace than the code knows, since the code
 * would misread the newer schema. A failing migration is rolled back and fails with
 * `STORAGE_FAILED` naming it (retryable only when the database was busy); invalid sets fail with
 * `CONFIG_INVALID`.
 *
 * `createSqliteStorage` calls it on `init()` with {@link coreSqliteMigrations} first; call it
 * yourself only for a database you manage.
 *
 * @example
 * ```ts
 * const db = new Database('ce.db');
 * const applied = migrateSqlite(db, [coreSqliteMigrations, cteSqliteMigrations]);
 * ```
 */
export function migrateSqlite(
  db: Database.Database,
  sets: readonly SqliteMigrationSet[],
  options: MigrateSqliteOptions = {},
): AppliedSqliteMigration[] {
  checkSets(sets);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createNoopLogger();
  db.exec(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      namespace TEXT NOT NULL,
      version INTEGER NOT NULL,
      name TEXT NOT NULL,
      applied_at INTEGER NOT NULL,
      PRIMARY KEY (namespace, version)
    )
  `);
  const latest = db.prepare<[string], { version: number | null }>(
    'SELECT MAX(version) AS version FROM schema_migrations WHERE namespace = ?',
  );
  const exists = db.prepare<[string, number], { found: number }>(
    'SELECT 1 AS found FROM schema_migrations WHERE namespace = ? AND version = ?',
  );
  const record = db.prepare<[string, number, string, number]>(
    'INSERT INTO schema_migrations (namespace, version, name, applied_at) VALUES (?, ?, ?, ?)',
  );
  const applied: AppliedSqliteMigration[] = [];
  for (const set of sets) {
    const known = set.migrations.at(-1)?.version ?? 0;
    const stored = latest.get(set.namespace)?.version ?? 0;
    if (stored > known) {
      throw new CeError(
        'STORAGE_FAILED',
        `the database has migration ${set.namespace}@${stored}, newer than this code knows (${set.namespace}@${known}); upgrade the code or use another database`,
        {
          retryable: false,
          details: { namespace: set.namespace, databaseVersion: stored, codeVersion: known },
        },
      );
    }
    for (const migration of set.migrations) {
      const apply = db.transaction((): AppliedSqliteMigration | undefined => {
        if (exists.get(set.namespace, migration.version)) return undefined;
        migration.up(db);
        const appliedAt = clock.now();
        record.run(set.namespace, migration.version, migration.name, appliedAt);
        return { namespace: set.namespace, version: migration.version, name: migration.name, appliedAt };
      });
      let result: AppliedSqliteMigration | undefined;
      try {
        result = apply.immediate();
      } catch (cause) {
        throw toSqliteStorageError(
          cause,
          `migration ${set.namespace}@${migration.version} (${migration.name})`,
        );
      }
      if (result) {
        applied.push(result);
        logger.info('sqlite migration applied', {
          migration: `${set.namespace}@${migration.version}`,
          name: migration.name,
        });
      }
    }
  }
  return applied;
}

/** The migrations recorded in `schema_migrations`, by namespace and version. */
export function listAppliedSqliteMigrations(db: Database.Database): AppliedSqliteMigration[] {
  const rows = db
    .prepare<[], { namespace: string; version: number; name: string; applied_at: number }>(
      'SELECT namespace, version, name, applied_at FROM schema_migrations ORDER BY namespace, version',
    )
    .all();
  return rows.map((row) => ({
    namespace: row.namespace,
    version: row.version,
    name: row.name,
    appliedAt: row.applied_at,
  }));
}
