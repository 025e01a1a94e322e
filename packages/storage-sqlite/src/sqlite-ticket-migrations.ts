import type { SqliteMigrationSet } from './sqlite-migrations.js';

/**
 * The tables of the ticket orchestrator's `TicketStore` (namespace `cto`), applied by
 * `createSqliteStorage` after the core set: one row per ticket, alert and outbox entry, with the
 * columns queries filter on copied out of the JSON record, and indexes for the lookups made for
 * every alert (dedupe and group keys, idempotency key, remote id, a ticket's alerts and outbox
 * entries, the entries due).
 */
export const ctoSqliteMigrations: SqliteMigrationSet = {
  namespace: 'cto',
  migrations: [
    {
      version: 1,
      name: 'create ticket, alert and outbox tables',
      up(db) {
        db.exec(`
          CREATE TABLE cto_tickets (
            id TEXT PRIMARY KEY,
            idempotency_key TEXT NOT NULL UNIQUE,
            queue_id TEXT NOT NULL,
            rule_id TEXT NOT NULL,
            destination_config_id TEXT NOT NULL,
            status TEXT NOT NULL,
            severity TEXT NOT NULL,
            dedupe_key TEXT,
            group_key TEXT,
            remote_id TEXT,
            approval_pending INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            last_synced_at INTEGER,
            title TEXT NOT NULL,
            version INTEGER NOT NULL,
            data TEXT NOT NULL
          );
          CREATE INDEX cto_tickets_dedupe ON cto_tickets (dedupe_key, created_at) WHERE dedupe_key IS NOT NULL;
          CREATE INDEX cto_tickets_group ON cto_tickets (group_key, created_at) WHERE group_key IS NOT NULL;
          CREATE INDEX cto_tickets_remote ON cto_tickets (remote_id) WHERE remote_id IS NOT NULL;
          CREATE INDEX cto_tickets_created ON cto_tickets (created_at, id);
          CREATE INDEX cto_tickets_sync ON cto_tickets (destination_config_id, status, last_synced_at);
          CREATE TABLE cto_alerts (
            source_config_id TEXT NOT NULL,
            id TEXT NOT NULL,
            ticket_id TEXT,
            disposition TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (source_config_id, id)
          ) WITHOUT ROWID;
          CREATE INDEX cto_alerts_ticket ON cto_alerts (ticket_id) WHERE ticket_id IS NOT NULL;
          CREATE INDEX cto_alerts_received ON cto_alerts (received_at);
          CREATE TABLE cto_outbox (
            id TEXT PRIMARY KEY,
            ticket_id TEXT NOT NULL,
            state TEXT NOT NULL,
            next_attempt_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            data TEXT NOT NULL
          );
          CREATE INDEX cto_outbox_due ON cto_outbox (state, next_attempt_at);
          CREATE INDEX cto_outbox_ticket ON cto_outbox (ticket_id);
        `);
      },
    },
  ],
};
