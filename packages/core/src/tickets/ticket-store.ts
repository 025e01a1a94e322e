/**
 * The ticket orchestrator's storage interface. A storage adapter offers one as
 * `StorageAdapter.tickets`; the memory and SQLite adapters both do, and
 * `runTicketStoreConformance` from `@ce/core/testing` checks any implementation.
 *
 * @module
 */
import type { Severity } from '../schemas/common.js';
import type { Page } from '../storage/storage-adapter.js';
import type { AlertDispositionKind, OutboxEntry, StoredAlert, Ticket, TicketStatus } from './ticket-model.js';

/** A ticket to write, with the version it must have now: `null` when it must not exist yet. */
export interface TicketWrite {
  readonly ticket: Ticket;
  readonly expectedVersion: number | null;
}

/**
 * Changes written together: all of them or none. Alerts and outbox entries are upserted (by
 * `sourceConfigId` and `id`, and by `id`); tickets are written only if their version still is
 * `expectedVersion`, and each written ticket's version becomes `expectedVersion + 1` (1 when
 * created) whatever `ticket.version` says.
 */
export interface TicketStoreCommit {
  readonly alerts?: ReadonlyArray<StoredAlert>;
  readonly tickets?: ReadonlyArray<TicketWrite>;
  readonly outbox?: ReadonlyArray<OutboxEntry>;
}

/** Ticket filters and order for {@link TicketStore.queryTickets}. Every filter given must hold. */
export interface TicketQuery {
  readonly statuses?: ReadonlyArray<TicketStatus>;
  readonly queueId?: string;
  readonly ruleId?: string;
  readonly destinationConfigId?: string;
  readonly severities?: ReadonlyArray<Severity>;
  readonly dedupeKey?: string;
  readonly groupKey?: string;
  readonly idempotencyKey?: string;
  readonly remoteId?: string;
  /** Only tickets with a pending approval. */
  readonly approvalPending?: boolean;
  /** Created at or after, epoch milliseconds. */
  readonly createdFrom?: number;
  /** Created before, epoch milliseconds. */
  readonly createdTo?: number;
  /** Updated at or after, epoch milliseconds. */
  readonly updatedFrom?: number;
  /** Last synced before this time, or never synced: the tickets a status sync should read next. */
  readonly syncedBefore?: number;
  /** Case-insensitive substring of the title. */
  readonly titleContains?: string;
  /**
   * Order: `createdAt` or `updatedAt`, ties broken by id.
   * @default 'createdAt'
   */
  readonly sort?: 'createdAt' | 'updatedAt';
  /** @default 'desc' */
  readonly order?: 'asc' | 'desc';
  /** A `nextCursor` from the previous page of the same query. */
  readonly cursor?: string;
  /** @default 100, at most 1,000 */
  readonly limit?: number;
}

/** Alert filters for {@link TicketStore.queryAlerts}, newest received first, ties broken by key. */
export interface AlertQuery {
  readonly sourceConfigId?: string;
  readonly ticketId?: string;
  readonly dispositions?: ReadonlyArray<AlertDispositionKind>;
  readonly fingerprint?: string;
  /** Received at or after, epoch milliseconds. */
  readonly receivedFrom?: number;
  /** Received before, epoch milliseconds. */
  readonly receivedTo?: number;
  readonly cursor?: string;
  /** @default 100, at most 1,000 */
  readonly limit?: number;
}

/** Outbox filters for {@link TicketStore.queryOutbox}, oldest `nextAttemptAt` first. */
export interface OutboxQuery {
  readonly states?: ReadonlyArray<OutboxEntry['state']>;
  readonly ticketId?: string;
  /** Only entries whose `nextAttemptAt` is at or before this time. */
  readonly dueBy?: number;
  readonly cursor?: string;
  /** @default 100, at most 1,000 */
  readonly limit?: number;
}

/**
 * Where tickets, the alerts behind them and the outbox of remote writes live. Every write goes
 * through {@link TicketStore.commit}, so a decision (the alert's disposition, the ticket, the
 * outbox entry for its remote write) is stored whole or not at all.
 */
export interface TicketStore {
  /**
   * Writes the changes atomically. Throws `CONFLICT` (and writes nothing) when a ticket's version
   * is not its `expectedVersion`, or when a ticket with `expectedVersion: null` exists, or when
   * two tickets share an `idempotencyKey`; `VALIDATION_FAILED` for a record that breaks the model.
   * Resolves with the tickets as stored, with their new versions.
   */
  commit(changes: TicketStoreCommit): Promise<Ticket[]>;
  /** A ticket by local id. */
  getTicket(id: string): Promise<Ticket | undefined>;
  /** A page of tickets. */
  queryTickets(query?: TicketQuery): Promise<Page<Ticket>>;
  /** How many tickets match (cursor, sort and limit ignored). */
  countTickets(query?: TicketQuery): Promise<number>;
  /** An alert by its source configuration and id. */
  getAlert(sourceConfigId: string, id: string): Promise<StoredAlert | undefined>;
  /** Which of these `[sourceConfigId, id]` keys are stored already, as `sourceConfigId/id`. */
  knownAlerts(keys: ReadonlyArray<readonly [string, string]>): Promise<Set<string>>;
  /** A page of alerts. */
  queryAlerts(query?: AlertQuery): Promise<Page<StoredAlert>>;
  /** How many alerts match (cursor and limit ignored). */
  countAlerts(query?: AlertQuery): Promise<number>;
  /** An outbox entry by id. */
  getOutbox(id: string): Promise<OutboxEntry | undefined>;
  /** A page of outbox entries. */
  queryOutbox(query?: OutboxQuery): Promise<Page<OutboxEntry>>;
  /**
   * Deletes alerts received before `receivedBefore` whose ticket is closed or deleted, or that
   * opened none, and outbox entries `done` before it. Returns how many of each.
   */
  prune(receivedBefore: number): Promise<{ alerts: number; outbox: number }>;
}
