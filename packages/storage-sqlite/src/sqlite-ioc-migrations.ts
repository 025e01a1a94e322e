import type { SqliteMigrationSet } from './sqlite-migrations.js';

/**
 * The tables of the threat exchange's `IocStore` (namespace `cte`), applied by
 * `createSqliteStorage` after the core set.
 *
 * - `cte_indicators`: one row per indicator, its rowid the sequence (a write replaces the row, so
 *   the table is in change order and `changesSince` is a range scan without a second index). The columns that queries filter on are copied out of
 *   the record (`active`, `suppressed`, `severity`, timestamps, and `source_ids` / `tags` as
 *   U+001F-delimited lists); the whole record (but its type, value and sequence) is in `data`, in
 *   the binary form of `createIndicatorCodec` from `@ce/core`, which decodes about three times
 *   faster than JSON and takes a fifth of its space.
 * - `cte_counters`: the last sequence handed out, so a sequence is never reused after a delete.
 * - `cte_destination_states`: one row per (destination, indicator), each field of the state a
 *   column (version 2; version 1 kept them as JSON), keyed by (destination, type, value), plus one
 *   index by (destination, status) for retries. The states of one indicator across destinations
 *   are found by skipping from destination to destination on the key, so that every state write
 *   updates two B-trees, not three.
 */
export const cteSqliteMigrations: SqliteMigrationSet = {
  namespace: 'cte',
  migrations: [
    {
      version: 1,
      name: 'create indicator, counter and destination state tables',
      up(db) {
        db.exec(`
          CREATE TABLE cte_indicators (
            sequence INTEGER PRIMARY KEY,
            type TEXT NOT NULL,
            value TEXT NOT NULL,
            active INTEGER NOT NULL,
            suppressed INTEGER NOT NULL,
            sighted INTEGER NOT NULL,
            severity TEXT,
            created_at INTEGER NOT NULL,
            last_seen INTEGER,
            expires_at INTEGER,
            inactive_since INTEGER,
            source_ids TEXT NOT NULL,
            tags TEXT NOT NULL,
            data BLOB NOT NULL,
            UNIQUE (type, value)
          );
          CREATE TABLE cte_counters (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL
          ) WITHOUT ROWID;
          INSERT INTO cte_counters (name, value) VALUES ('sequence', 0);
          CREATE TABLE cte_destination_states (
            destination_id TEXT NOT NULL,
            type TEXT NOT NULL,
            value TEXT NOT NULL,
            status TEXT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (destination_id, type, value)
          ) WITHOUT ROWID;
          CREATE INDEX cte_destination_states_status ON cte_destination_states (destination_id, status, type, value);
          CREATE INDEX cte_destination_states_indicator ON cte_destination_states (type, value, destination_id);
        `);
      },
    },
    {
      version: 2,
      name: 'destination states as columns, without the per-indicator index',
      up(db) {
        db.exec(`
          CREATE TABLE cte_destination_states_v2 (
            destination_id TEXT NOT NULL,
            type TEXT NOT NULL,
            value TEXT NOT NULL,
            status TEXT NOT NULL,
            rule_id TEXT,
            sent_fingerprint TEXT,
            shared_at INTEGER,
            retracted_at INTEGER,
            last_attempt_at INTEGER,
            attempts INTEGER NOT NULL,
            error_code TEXT,
            error_message TEXT,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (destination_id, type, value)
          ) WITHOUT ROWID;
          INSERT INTO cte_destination_states_v2
            SELECT destination_id, type, value, status, data ->> 'ruleId', data ->> 'sentFingerprint',
              data ->> 'sharedAt', data ->> 'retractedAt', data ->> 'lastAttemptAt', data ->> 'attempts',
              data -> 'lastError' ->> 'code', data -> 'lastError' ->> 'message', data ->> 'updatedAt'
            FROM cte_destination_states;
          DROP TABLE cte_destination_states;
          ALTER TABLE cte_destination_states_v2 RENAME TO cte_destination_states;
          CREATE INDEX cte_destination_states_status ON cte_destination_states (destination_id, status, type, value);
        `);
      },
    },
  ],
};
