/**
 * Embedded SQLite storage for Cloud Exchange: the core stores on better-sqlite3 (WAL, versioned
 * migrations, serialized transactions), with the connection and a migration mechanism for module
 * packages that keep their own tables in the same file.
 *
 * @module @ce/storage-sqlite
 */

export { sqliteErrorCode, toSqliteStorageError } from './sqlite-errors.js';
export { cteSqliteMigrations } from './sqlite-ioc-migrations.js';
export type { SqliteIocStoreHost } from './sqlite-ioc-store.js';
export { createSqliteIocStore } from './sqlite-ioc-store.js';
export type {
  AppliedSqliteMigration,
  MigrateSqliteOptions,
  SqliteMigration,
  SqliteMigrationSet,
} from './sqlite-migrations.js';
export { coreSqliteMigrations, listAppliedSqliteMigrations, migrateSqlite } from './sqlite-migrations.js';
export type { SqliteStorage, SqliteStorageOptions } from './sqlite-storage.js';
export { createSqliteStorage } from './sqlite-storage.js';
export { ctoSqliteMigrations } from './sqlite-ticket-migrations.js';
export type { SqliteTicketStoreHost } from './sqlite-ticket-store.js';
export { createSqliteTicketStore } from './sqlite-ticket-store.js';
