import { CeError } from '../errors/ce-error.js';
import type { Page } from '../storage/storage-adapter.js';
import { createStorageGate, type StorageGate } from '../storage/storage-support.js';
import type { OutboxEntry, StoredAlert, Ticket } from './ticket-model.js';
import type { AlertQuery, OutboxQuery, TicketQuery, TicketStore, TicketStoreCommit } from './ticket-store.js';
import {
  alertKey,
  alertMatches,
  alertTicketId,
  checkOutboxEntry,
  checkStoredAlert,
  checkTicket,
  outboxMatches,
  pageOf,
  ticketConflict,
  ticketMatches,
  ticketPageLimit,
} from './ticket-store-support.js';

/** Options of {@link createMemoryTicketStore}. */
export interface MemoryTicketStoreOptions {
  /**
   * The gate that serializes calls with the rest of a memory storage adapter.
   * @default a gate of its own
   */
  gate?: StorageGate;
}

/** Freezes a record and everything in it: stored records are handed out as they are, never copied. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/**
 * Takes ownership of a record: it is frozen, not copied, so that neither the caller nor anyone it
 * is handed to can change stored state. Copying every record cost a fifth of the orchestrator's
 * time on its hot path.
 */
function own<T>(value: T): T {
  return deepFreeze(value);
}

/** Adds `id` to the set kept under `key`. */
function index(map: Map<string, Set<string>>, key: string | undefined, id: string): void {
  if (key === undefined) return;
  let ids = map.get(key);
  if (!ids) {
    ids = new Set();
    map.set(key, ids);
  }
  ids.add(id);
}

function unindex(map: Map<string, Set<string>>, key: string | undefined, id: string): void {
  if (key === undefined) return;
  const ids = map.get(key);
  ids?.delete(id);
  if (ids?.size === 0) map.delete(key);
}

/**
 * A `TicketStore` in process memory, for tests, examples and hosts that need no durability.
 * Records are validated and frozen on the way in (a commit takes ownership of the objects it is
 * given: they are frozen, not copied) and handed out frozen, so no caller can change stored state
 * behind the store's back. The lookups the orchestrator makes for every alert (by
 * dedupe key, group key, idempotency key, remote id, the alerts and outbox entries of a ticket)
 * go through indexes.
 *
 * @example
 * ```ts
 * const store = createMemoryTicketStore();
 * await store.commit({ tickets: [{ ticket, expectedVersion: null }] });
 * ```
 */
export function createMemoryTicketStore(options: MemoryTicketStoreOptions = {}): TicketStore {
  const gate = options.gate ?? createStorageGate('memory');
  const tickets = new Map<string, Ticket>();
  const alerts = new Map<string, StoredAlert>();
  const outbox = new Map<string, OutboxEntry>();
  const byIdempotencyKey = new Map<string, string>();
  const byDedupeKey = new Map<string, Set<string>>();
  const byGroupKey = new Map<string, Set<string>>();
  const byRemoteId = new Map<string, Set<string>>();
  const alertsByTicket = new Map<string, Set<string>>();
  const outboxByTicket = new Map<string, Set<string>>();
  // Entries not done: the due scan of the delivery worker reads only these.
  const unfinished = new Set<string>();

  const putTicket = (ticket: Ticket): void => {
    const previous = tickets.get(ticket.id);
    if (previous) {
      byIdempotencyKey.delete(previous.idempotencyKey);
      unindex(byDedupeKey, previous.dedupeKey, previous.id);
      unindex(byGroupKey, previous.groupKey, previous.id);
      unindex(byRemoteId, previous.remoteId, previous.id);
    }
    tickets.set(ticket.id, ticket);
    byIdempotencyKey.set(ticket.idempotencyKey, ticket.id);
    index(byDedupeKey, ticket.dedupeKey, ticket.id);
    index(byGroupKey, ticket.groupKey, ticket.id);
    index(byRemoteId, ticket.remoteId, ticket.id);
  };

  const putAlert = (alert: StoredAlert): void => {
    const key = alertKey(alert.sourceConfigId, alert.id);
    const previous = alerts.get(key);
    if (previous) unindex(alertsByTicket, alertTicketId(previous), key);
    alerts.set(key, alert);
    index(alertsByTicket, alertTicketId(alert), key);
  };

  const putOutbox = (entry: OutboxEntry): void => {
    const previous = outbox.get(entry.id);
    if (previous) unindex(outboxByTicket, previous.ticketId, previous.id);
    outbox.set(entry.id, entry);
    index(outboxByTicket, entry.ticketId, entry.id);
    if (entry.state === 'done' || entry.state === 'failed') unfinished.delete(entry.id);
    else unfinished.add(entry.id);
  };

  const commit = (changes: TicketStoreCommit): Ticket[] => {
    // Validate and check every condition before the first write: a failure writes nothing.
    const writes = changes.tickets ?? [];
    const keysInBatch = new Map<string, string>();
    const idsInBatch = new Set<string>();
    writes.forEach((write, i) => {
      checkTicket(write.ticket, `tickets[${i}].ticket`);
      const { id, idempotencyKey } = write.ticket;
      if (idsInBatch.has(id))
        throw new CeError('CONFLICT', `ticket "${id}" is written twice in one commit; nothing was written`);
      idsInBatch.add(id);
      const actual = tickets.get(id)?.version;
      if (actual !== (write.expectedVersion ?? undefined))
        throw ticketConflict(id, write.expectedVersion, actual);
      // An idempotency key names one ticket for good: a key held by another ticket conflicts.
      const holder = keysInBatch.get(idempotencyKey) ?? byIdempotencyKey.get(idempotencyKey);
      if (holder !== undefined && holder !== id)
        throw new CeError(
          'CONFLICT',
          `idempotency key "${idempotencyKey}" already belongs to ticket "${holder}"; nothing was written`,
          { details: { ticketId: id, holder } },
        );
      keysInBatch.set(idempotencyKey, id);
    });
    for (const [i, alert] of (changes.alerts ?? []).entries()) checkStoredAlert(alert, `alerts[${i}]`);
    for (const [i, entry] of (changes.outbox ?? []).entries()) checkOutboxEntry(entry, `outbox[${i}]`);

    const stored = writes.map((write) => own({ ...write.ticket, version: (write.expectedVersion ?? 0) + 1 }));
    for (const ticket of stored) putTicket(ticket);
    for (const alert of changes.alerts ?? []) putAlert(own(alert));
    for (const entry of changes.outbox ?? []) putOutbox(own(entry));
    return stored;
  };

  const candidatesOf = (query: TicketQuery): Iterable<Ticket> => {
    const pick = (ids: Iterable<string> | undefined): Ticket[] => {
      const found: Ticket[] = [];
      for (const id of ids ?? []) {
        const ticket = tickets.get(id);
        if (ticket) found.push(ticket);
      }
      return found;
    };
    if (query.idempotencyKey !== undefined) {
      const id = byIdempotencyKey.get(query.idempotencyKey);
      return pick(id === undefined ? [] : [id]);
    }
    if (query.dedupeKey !== undefined) return pick(byDedupeKey.get(query.dedupeKey));
    if (query.groupKey !== undefined) return pick(byGroupKey.get(query.groupKey));
    if (query.remoteId !== undefined) return pick(byRemoteId.get(query.remoteId));
    return tickets.values();
  };

  const matchingTickets = (query: TicketQuery): Ticket[] => {
    const found: Ticket[] = [];
    for (const ticket of candidatesOf(query)) if (ticketMatches(ticket, query)) found.push(ticket);
    return found;
  };

  const matchingAlerts = (query: AlertQuery): StoredAlert[] => {
    const source: Iterable<StoredAlert> =
      query.ticketId !== undefined
        ? [...(alertsByTicket.get(query.ticketId) ?? [])].flatMap((key) => alerts.get(key) ?? [])
        : alerts.values();
    const found: StoredAlert[] = [];
    for (const alert of source) if (alertMatches(alert, query)) found.push(alert);
    return found;
  };

  const matchingOutbox = (query: OutboxQuery): OutboxEntry[] => {
    const onlyUnfinished = query.states?.every((state) => state === 'pending' || state === 'in_flight');
    const ids: Iterable<string> =
      query.ticketId !== undefined
        ? (outboxByTicket.get(query.ticketId) ?? [])
        : onlyUnfinished
          ? unfinished
          : outbox.keys();
    const found: OutboxEntry[] = [];
    for (const id of ids) {
      const entry = outbox.get(id);
      if (entry && outboxMatches(entry, query)) found.push(entry);
    }
    return found;
  };

  const call = <T>(operation: () => T): Promise<T> => gate.runOrJoin(operation);

  return {
    commit: (changes) => call(() => commit(changes)),
    getTicket: (id) => call(() => tickets.get(id)),
    queryTickets: (query = {}) =>
      call((): Page<Ticket> => {
        const limit = ticketPageLimit(query.limit);
        const sort = query.sort ?? 'createdAt';
        return pageOf(
          matchingTickets(query),
          (ticket) => ({ at: ticket[sort], id: ticket.id }),
          query.order ?? 'desc',
          query.cursor,
          limit,
        );
      }),
    countTickets: (query = {}) => call(() => matchingTickets(query).length),
    getAlert: (sourceConfigId, id) => call(() => alerts.get(alertKey(sourceConfigId, id))),
    knownAlerts: (keys) =>
      call(() => {
        const known = new Set<string>();
        for (const [sourceConfigId, id] of keys) {
          const key = alertKey(sourceConfigId, id);
          if (alerts.has(key)) known.add(key);
        }
        return known;
      }),
    queryAlerts: (query = {}) =>
      call(() =>
        pageOf(
          matchingAlerts(query),
          (alert) => ({ at: alert.receivedAt, id: alertKey(alert.sourceConfigId, alert.id) }),
          'desc',
          query.cursor,
          ticketPageLimit(query.limit),
        ),
      ),
    countAlerts: (query = {}) => call(() => matchingAlerts(query).length),
    getOutbox: (id) => call(() => outbox.get(id)),
    queryOutbox: (query = {}) =>
      call(() =>
        pageOf(
          matchingOutbox(query),
          (entry) => ({ at: entry.nextAttemptAt, id: entry.id }),
          'asc',
          query.cursor,
          ticketPageLimit(query.limit),
        ),
      ),
    prune: (receivedBefore) =>
      call(() => {
        let prunedAlerts = 0;
        let prunedOutbox = 0;
        for (const [key, alert] of alerts) {
          if (alert.receivedAt >= receivedBefore) continue;
          const ticketId = alertTicketId(alert);
          const status = ticketId === undefined ? undefined : tickets.get(ticketId)?.status;
          if (ticketId !== undefined && status !== undefined && status !== 'closed' && status !== 'deleted')
            continue;
          alerts.delete(key);
          unindex(alertsByTicket, ticketId, key);
          prunedAlerts++;
        }
        for (const [id, entry] of outbox) {
          if (entry.state !== 'done' || entry.updatedAt >= receivedBefore) continue;
          outbox.delete(id);
          unindex(outboxByTicket, entry.ticketId, id);
          prunedOutbox++;
        }
        return { alerts: prunedAlerts, outbox: prunedOutbox };
      }),
  };
}
