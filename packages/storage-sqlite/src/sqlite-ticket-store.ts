import {
  type AlertQuery,
  alertKey,
  alertTicketId,
  CeError,
  checkOutboxEntry,
  checkStoredAlert,
  checkTicket,
  decodeTicketCursor,
  encodeTicketCursor,
  type OutboxEntry,
  type OutboxQuery,
  type Page,
  type StoredAlert,
  type Ticket,
  type TicketQuery,
  type TicketStore,
  ticketConflict,
  ticketPageLimit,
} from '@ce/core';
import type Database from 'better-sqlite3';
import type { SqliteStorage } from './sqlite-storage.js';

/** What {@link createSqliteTicketStore} needs of the adapter: the connection and its gate. */
export type SqliteTicketStoreHost = Pick<SqliteStorage, 'withDatabase' | 'runInTransaction'>;

type Params = Array<string | number>;

function inList(column: string, values: ReadonlyArray<string>, params: Params): string {
  params.push(...values);
  return `${column} IN (${values.map(() => '?').join(', ')})`;
}

function ticketWhere(query: TicketQuery, params: Params): string[] {
  const where: string[] = [];
  const equal = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    where.push(`${column} = ?`);
    params.push(value);
  };
  if (query.statuses) where.push(query.statuses.length ? inList('status', query.statuses, params) : '0');
  if (query.severities)
    where.push(query.severities.length ? inList('severity', query.severities, params) : '0');
  equal('queue_id', query.queueId);
  equal('rule_id', query.ruleId);
  equal('destination_config_id', query.destinationConfigId);
  equal('dedupe_key', query.dedupeKey);
  equal('group_key', query.groupKey);
  equal('idempotency_key', query.idempotencyKey);
  equal('remote_id', query.remoteId);
  if (query.approvalPending !== undefined)
    where.push(query.approvalPending ? 'approval_pending = 1' : 'approval_pending = 0');
  const range = (column: string, op: string, value: number | undefined) => {
    if (value === undefined) return;
    where.push(`${column} ${op} ?`);
    params.push(value);
  };
  range('created_at', '>=', query.createdFrom);
  range('created_at', '<', query.createdTo);
  range('updated_at', '>=', query.updatedFrom);
  if (query.syncedBefore !== undefined) {
    where.push('(last_synced_at IS NULL OR last_synced_at < ?)');
    params.push(query.syncedBefore);
  }
  if (query.titleContains !== undefined) {
    where.push('instr(lower(title), lower(?)) > 0');
    params.push(query.titleContains);
  }
  return where;
}

function alertWhere(query: AlertQuery, params: Params): string[] {
  const where: string[] = [];
  const equal = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    where.push(`${column} = ?`);
    params.push(value);
  };
  equal('source_config_id', query.sourceConfigId);
  equal('ticket_id', query.ticketId);
  equal('fingerprint', query.fingerprint);
  if (query.dispositions)
    where.push(query.dispositions.length ? inList('disposition', query.dispositions, params) : '0');
  if (query.receivedFrom !== undefined) {
    where.push('received_at >= ?');
    params.push(query.receivedFrom);
  }
  if (query.receivedTo !== undefined) {
    where.push('received_at < ?');
    params.push(query.receivedTo);
  }
  return where;
}

function outboxWhere(query: OutboxQuery, params: Params): string[] {
  const where: string[] = [];
  if (query.states) where.push(query.states.length ? inList('state', query.states, params) : '0');
  if (query.ticketId !== undefined) {
    where.push('ticket_id = ?');
    params.push(query.ticketId);
  }
  if (query.dueBy !== undefined) {
    where.push('next_attempt_at <= ?');
    params.push(query.dueBy);
  }
  return where;
}

/** Adds the cursor condition and order for (`column`, `key`) and returns the SQL tail. */
function pageTail(
  column: string,
  key: string,
  order: 'asc' | 'desc',
  cursor: string | undefined,
  where: string[],
  params: Params,
  limit: number,
): string {
  if (cursor !== undefined) {
    const after = decodeTicketCursor(cursor);
    where.push(
      order === 'asc'
        ? `(${column} > ? OR (${column} = ? AND ${key} > ?))`
        : `(${column} < ? OR (${column} = ? AND ${key} < ?))`,
    );
    params.push(after.at, after.at, after.id);
  }
  const direction = order === 'asc' ? 'ASC' : 'DESC';
  params.push(limit + 1);
  return `${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${column} ${direction}, ${key} ${direction} LIMIT ?`;
}

function paged<T>(rows: T[], limit: number, position: (item: T) => { at: number; id: string }): Page<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeTicketCursor(position(items[items.length - 1] as T)) };
}

/**
 * The SQLite `TicketStore`: one row per ticket, alert and outbox entry, the columns that queries
 * filter on copied out of the record and the record itself as JSON. Each commit is one
 * transaction (joining a running one), so a decision is stored whole or not at all.
 */
export function createSqliteTicketStore(host: SqliteTicketStoreHost): TicketStore {
  const statements = new Map<string, Database.Statement>();
  let connection: Database.Database | undefined;
  const prepare = (db: Database.Database, sql: string): Database.Statement => {
    if (connection !== db) {
      statements.clear();
      connection = db;
    }
    let statement = statements.get(sql);
    if (!statement) {
      if (statements.size > 300) statements.clear();
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const parseRows = <T>(rows: unknown[]): T[] =>
    rows.map((row) => JSON.parse((row as { data: string }).data) as T);

  const commit = (db: Database.Database, changes: Parameters<TicketStore['commit']>[0]): Ticket[] => {
    const writes = changes.tickets ?? [];
    for (const [i, write] of writes.entries()) checkTicket(write.ticket, `tickets[${i}].ticket`);
    for (const [i, alert] of (changes.alerts ?? []).entries()) checkStoredAlert(alert, `alerts[${i}]`);
    for (const [i, entry] of (changes.outbox ?? []).entries()) checkOutboxEntry(entry, `outbox[${i}]`);
    const stored: Ticket[] = [];
    const seen = new Set<string>();
    for (const write of writes) {
      const { ticket, expectedVersion } = write;
      if (seen.has(ticket.id))
        throw new CeError(
          'CONFLICT',
          `ticket "${ticket.id}" is written twice in one commit; nothing was written`,
        );
      seen.add(ticket.id);
      const actual = (
        prepare(db, 'SELECT version FROM cto_tickets WHERE id = ?').get(ticket.id) as
          | { version: number }
          | undefined
      )?.version;
      if (actual !== (expectedVersion ?? undefined)) throw ticketConflict(ticket.id, expectedVersion, actual);
      const holder = (
        prepare(db, 'SELECT id FROM cto_tickets WHERE idempotency_key = ?').get(ticket.idempotencyKey) as
          | { id: string }
          | undefined
      )?.id;
      if (holder !== undefined && holder !== ticket.id)
        throw new CeError(
          'CONFLICT',
          `idempotency key "${ticket.idempotencyKey}" already belongs to ticket "${holder}"; nothing was written`,
          {
            details: { ticketId: ticket.id, holder },
          },
        );
      const next: Ticket = { ...ticket, version: (expectedVersion ?? 0) + 1 };
      prepare(
        db,
        `INSERT INTO cto_tickets (id, idempotency_key, queue_id, rule_id, destination_config_id, status, severity, dedupe_key, group_key, remote_id, approval_pending, created_at, updated_at, last_synced_at, title, version, data)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET idempotency_key = excluded.idempotency_key, queue_id = excluded.queue_id, rule_id = excluded.rule_id,
           destination_config_id = excluded.destination_config_id, status = excluded.status, severity = excluded.severity, dedupe_key = excluded.dedupe_key,
           group_key = excluded.group_key, remote_id = excluded.remote_id, approval_pending = excluded.approval_pending, created_at = excluded.created_at,
           updated_at = excluded.updated_at, last_synced_at = excluded.last_synced_at, title = excluded.title, version = excluded.version, data = excluded.data`,
      ).run(
        next.id,
        next.idempotencyKey,
        next.queueId,
        next.ruleId,
        next.destinationConfigId,
        next.status,
        next.severity,
        next.dedupeKey ?? null,
        next.groupKey ?? null,
        next.remoteId ?? null,
        next.approval?.state === 'pending' ? 1 : 0,
        next.createdAt,
        next.updatedAt,
        next.lastSyncedAt ?? null,
        next.title,
        next.version,
        JSON.stringify(next),
      );
      stored.push(next);
    }
    const putAlert = prepare(
      db,
      `INSERT INTO cto_alerts (source_config_id, id, ticket_id, disposition, fingerprint, received_at, data) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (source_config_id, id) DO UPDATE SET ticket_id = excluded.ticket_id, disposition = excluded.disposition,
         fingerprint = excluded.fingerprint, received_at = excluded.received_at, data = excluded.data`,
    );
    for (const alert of changes.alerts ?? [])
      putAlert.run(
        alert.sourceConfigId,
        alert.id,
        alertTicketId(alert) ?? null,
        alert.disposition.kind,
        alert.fingerprint,
        alert.receivedAt,
        JSON.stringify(alert),
      );
    const putOutbox = prepare(
      db,
      `INSERT INTO cto_outbox (id, ticket_id, state, next_attempt_at, updated_at, data) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET ticket_id = excluded.ticket_id, state = excluded.state, next_attempt_at = excluded.next_attempt_at,
         updated_at = excluded.updated_at, data = excluded.data`,
    );
    for (const entry of changes.outbox ?? [])
      putOutbox.run(
        entry.id,
        entry.ticketId,
        entry.state,
        entry.nextAttemptAt,
        entry.updatedAt,
        JSON.stringify(entry),
      );
    return stored;
  };

  const read = <T>(operation: (db: Database.Database) => T): Promise<T> => host.withDatabase(operation);

  return {
    commit: (changes) => host.runInTransaction((db) => commit(db, changes)),
    getTicket: (id) =>
      read((db) => {
        const row = prepare(db, 'SELECT data FROM cto_tickets WHERE id = ?').get(id) as
          | { data: string }
          | undefined;
        return row ? (JSON.parse(row.data) as Ticket) : undefined;
      }),
    queryTickets: (query = {}) =>
      read((db) => {
        const limit = ticketPageLimit(query.limit);
        const params: Params = [];
        const where = ticketWhere(query, params);
        const column = query.sort === 'updatedAt' ? 'updated_at' : 'created_at';
        const tail = pageTail(column, 'id', query.order ?? 'desc', query.cursor, where, params, limit);
        const rows = parseRows<Ticket>(prepare(db, `SELECT data FROM cto_tickets${tail}`).all(...params));
        const sort = query.sort ?? 'createdAt';
        return paged(rows, limit, (ticket) => ({ at: ticket[sort], id: ticket.id }));
      }),
    countTickets: (query = {}) =>
      read((db) => {
        const params: Params = [];
        const where = ticketWhere(query, params);
        const sql = `SELECT COUNT(*) AS n FROM cto_tickets${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
        return (prepare(db, sql).get(...params) as { n: number }).n;
      }),
    getAlert: (sourceConfigId, id) =>
      read((db) => {
        const row = prepare(db, 'SELECT data FROM cto_alerts WHERE source_config_id = ? AND id = ?').get(
          sourceConfigId,
          id,
        ) as { data: string } | undefined;
        return row ? (JSON.parse(row.data) as StoredAlert) : undefined;
      }),
    knownAlerts: (keys) =>
      read((db) => {
        const statement = prepare(db, 'SELECT 1 FROM cto_alerts WHERE source_config_id = ? AND id = ?');
        const known = new Set<string>();
        for (const [sourceConfigId, id] of keys)
          if (statement.get(sourceConfigId, id)) known.add(alertKey(sourceConfigId, id));
        return known;
      }),
    queryAlerts: (query = {}) =>
      read((db) => {
        const limit = ticketPageLimit(query.limit);
        const params: Params = [];
        const where = alertWhere(query, params);
        const tail = pageTail(
          'received_at',
          "(source_config_id || '/' || id)",
          'desc',
          query.cursor,
          where,
          params,
          limit,
        );
        const rows = parseRows<StoredAlert>(prepare(db, `SELECT data FROM cto_alerts${tail}`).all(...params));
        return paged(rows, limit, (alert) => ({
          at: alert.receivedAt,
          id: alertKey(alert.sourceConfigId, alert.id),
        }));
      }),
    countAlerts: (query = {}) =>
      read((db) => {
        const params: Params = [];
        const where = alertWhere(query, params);
        const sql = `SELECT COUNT(*) AS n FROM cto_alerts${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
        return (prepare(db, sql).get(...params) as { n: number }).n;
      }),
    getOutbox: (id) =>
      read((db) => {
        const row = prepare(db, 'SELECT data FROM cto_outbox WHERE id = ?').get(id) as
          | { data: string }
          | undefined;
        return row ? (JSON.parse(row.data) as OutboxEntry) : undefined;
      }),
    queryOutbox: (query = {}) =>
      read((db) => {
        const limit = ticketPageLimit(query.limit);
        const params: Params = [];
        const where = outboxWhere(query, params);
        const tail = pageTail('next_attempt_at', 'id', 'asc', query.cursor, where, params, limit);
        const rows = parseRows<OutboxEntry>(prepare(db, `SELECT data FROM cto_outbox${tail}`).all(...params));
        return paged(rows, limit, (entry) => ({ at: entry.nextAttemptAt, id: entry.id }));
      }),
    prune: (receivedBefore) =>
      host.runInTransaction((db) => {
        const alerts = prepare(
          db,
          `DELETE FROM cto_alerts WHERE received_at < ? AND (ticket_id IS NULL
             OR NOT EXISTS (SELECT 1 FROM cto_tickets t WHERE t.id = cto_alerts.ticket_id AND t.status NOT IN ('closed', 'deleted')))`,
        ).run(receivedBefore).changes;
        const outbox = prepare(db, "DELETE FROM cto_outbox WHERE state = 'done' AND updated_at < ?").run(
          receivedBefore,
        ).changes;
        return { alerts, outbox };
      }),
  };
}
