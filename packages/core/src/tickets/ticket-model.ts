/**
 * The ticket orchestrator's records: alerts as they arrive, the tickets made from them, and the
 * outbox of remote writes. The types live in core so that stores and plugins depend on core only.
 *
 * @module
 */
import { z } from 'zod';
import { type Severity, severitySchema, timestampSchema } from '../schemas/common.js';

/**
 * An alert or event as an intake hands it over (a plugin's pull, a webhook, the API, another
 * module). Canonical fields are what rules, deduplication and templates read most; everything
 * the source said stays in `raw`.
 */
export const alertInputSchema = z.object({
  /** Unique within its source configuration: a replayed alert with the same id is the same alert. */
  id: z.string().min(1).max(512),
  /** Alert family (`dlp`, `malware`, `policy`, `indicator-hit`, `risk-threshold`...). */
  type: z.string().min(1).max(128),
  /** Finer kind inside the type, when the source has one. */
  subtype: z.string().max(256).optional(),
  /** Human-readable name or title. */
  name: z.string().min(1).max(1_024),
  /** @default 'unknown' */
  severity: severitySchema.default('unknown'),
  /** The user involved (an email or login), when there is one. */
  user: z.string().max(512).optional(),
  /** The application involved, when there is one. */
  app: z.string().max(512).optional(),
  /** When the alert happened: ISO 8601 with a zone, or epoch milliseconds. */
  timestamp: timestampSchema,
  /** Everything the source sent, as JSON. */
  raw: z.record(z.string(), z.unknown()).default({}),
});

/** An alert as accepted on input (before validation fills defaults). */
export type AlertInput = z.input<typeof alertInputSchema>;

/** A validated alert with its source configuration. */
export interface Alert {
  /** Unique within `sourceConfigId`. */
  readonly id: string;
  /** The configuration (or intake: `api`, `webhook:<id>`, `cte`, `cre`) it came from. */
  readonly sourceConfigId: string;
  readonly type: string;
  readonly subtype?: string;
  readonly name: string;
  readonly severity: Severity;
  readonly user?: string;
  readonly app?: string;
  /** Epoch milliseconds. */
  readonly timestamp: number;
  readonly raw: Readonly<Record<string, unknown>>;
}

/**
 * What the orchestrator did with an alert. Every alert it accepted ends in exactly one of these,
 * so none is ever silently dropped:
 * - `ticketed`: it opened `ticketId`;
 * - `deduplicated`: it updated the open (or reopened) `ticketId`;
 * - `grouped`: it joined the group ticket `ticketId` (which may still be waiting to be created);
 * - `muted`: a silence or a muted rule held it back (`silenceId` or `ruleId`);
 * - `unrouted`: no business rule matched;
 * - `pending-approval`: its queue needs an approval, tracked on `ticketId`;
 * - `declined`: the approval was declined;
 * - `deferred`: a maintenance window holds its ticket until `until`;
 * - `failed`: it could not be processed (`reason`), for example a template naming a missing field.
 */
export type AlertDisposition =
  | { kind: 'ticketed'; ruleId: string; queueId: string; ticketId: string }
  | { kind: 'deduplicated'; ruleId: string; queueId: string; ticketId: string; reopened?: boolean }
  | { kind: 'grouped'; ruleId: string; queueId: string; ticketId: string; groupKey: string }
  | { kind: 'muted'; ruleId?: string; silenceId?: string; reason: string }
  | { kind: 'unrouted' }
  | { kind: 'pending-approval'; ruleId: string; queueId: string; ticketId: string }
  | { kind: 'declined'; ruleId: string; queueId: string; ticketId: string }
  | { kind: 'deferred'; ruleId: string; queueId: string; ticketId: string; until: number }
  | { kind: 'failed'; ruleId?: string; queueId?: string; reason: string };

/** The kinds of {@link AlertDisposition}. */
export type AlertDispositionKind = AlertDisposition['kind'];

/** An alert as stored, with what was done with it. */
export interface StoredAlert extends Alert {
  /** Over the fields the orchestrator is configured to fingerprint; equal alerts share it. */
  readonly fingerprint: string;
  /** When the orchestrator accepted it, epoch milliseconds. */
  readonly receivedAt: number;
  readonly disposition: AlertDisposition;
}

/** Canonical ticket statuses, whatever the destination calls them. */
export const ticketStatuses = [
  'new',
  'in_progress',
  'on_hold',
  'closed',
  'deleted',
  'other',
  'notification',
  'failed',
] as const;

/**
 * A canonical ticket status. `notification` is a message sent to a destination without a
 * lifecycle (Slack, Teams, a webhook); `failed` is a ticket whose creation failed for good or is
 * still being retried (see {@link Ticket.lastError}).
 */
export type TicketStatus = (typeof ticketStatuses)[number];

/** Statuses of a ticket that is still being worked on: new alerts update it instead of opening another. */
export const openTicketStatuses: ReadonlySet<TicketStatus> = new Set([
  'new',
  'in_progress',
  'on_hold',
  'other',
]);

/** Where a ticket lives on its destination: the project, table, channel or service, as the plugin reads it. */
export type TicketTarget = Readonly<Record<string, string>>;

/** One status change of a ticket. */
export interface TicketStatusChange {
  readonly status: TicketStatus;
  /** The destination's own status name, when the change came from it. */
  readonly remoteStatus?: string;
  /** Epoch milliseconds. */
  readonly at: number;
  /** `local`: the orchestrator changed it; `remote`: a status sync found it changed. */
  readonly by: 'local' | 'remote';
  readonly note?: string;
}

/** A ticket's approval, for queues that need one. */
export interface TicketApproval {
  readonly state: 'pending' | 'approved' | 'declined';
  /** Who decided, and why; set once decided. */
  readonly by?: string;
  readonly comment?: string;
  readonly decidedAt?: number;
}

/** The last error of a ticket's remote writes: a code from core's error codes and a message without secrets. */
export interface TicketError {
  readonly code: string;
  readonly message: string;
  readonly at: number;
  readonly retryable: boolean;
}

/** A ticket or notification the orchestrator made, and where it stands. */
export interface Ticket {
  /** Local id, stable from the moment the decision to open it was made. */
  readonly id: string;
  /**
   * Placed on the remote ticket (a Jira label, a ServiceNow correlation id, a PagerDuty dedup
   * key, an email Message-ID) so that after an ambiguous failure the ticket can be found instead
   * of opened twice.
   */
  readonly idempotencyKey: string;
  readonly queueId: string;
  readonly ruleId: string;
  /** The destination configuration. */
  readonly destinationConfigId: string;
  readonly target: TicketTarget;
  /** Set once the destination created it. */
  readonly remoteId?: string;
  /** Link to the remote ticket for people. */
  readonly link?: string;
  readonly status: TicketStatus;
  /** The destination's own name for the current status. */
  readonly remoteStatus?: string;
  readonly severity: Severity;
  readonly title: string;
  /** Deduplication key (values of the rule's dedup fields), when a dedup rule applied. */
  readonly dedupeKey?: string;
  /** Group key, when the ticket groups alerts. */
  readonly groupKey?: string;
  /** Alerts attached to it, oldest first, as `sourceConfigId/alertId`; capped, `alertCount` counts all. */
  readonly alertRefs: ReadonlyArray<string>;
  /** Every alert that went into this ticket, counted. */
  readonly alertCount: number;
  /** Alerts that updated it instead of opening another. */
  readonly dedupeCount: number;
  /**
   * When the orchestrator last attached an alert to it (opened, deduplicated or grouped into it),
   * epoch milliseconds: a deduplication window runs from here, not from `updatedAt`, which status
   * syncs and deliveries move too. Absent on tickets written before it existed (read `createdAt`).
   */
  readonly lastAlertAt?: number;
  readonly approval?: TicketApproval;
  /** While a maintenance window defers it: when it may be created. */
  readonly deferredUntil?: number;
  readonly lastError?: TicketError;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** When its status was last read from the destination. */
  readonly lastSyncedAt?: number;
  /** When it was last closed, for the reopen window. */
  readonly closedAt?: number;
  readonly statusHistory: ReadonlyArray<TicketStatusChange>;
  /** Optimistic concurrency: the store increments it on every write. */
  readonly version: number;
}

/** A remote write the orchestrator must make. */
export type OutboxOperation = 'create' | 'update' | 'comment' | 'resolve' | 'reopen' | 'write-back';

/**
 * One remote write, recorded before it is attempted and completed after:
 * - `pending`: not attempted yet, or to be retried at `nextAttemptAt`;
 * - `in_flight`: attempted and not known to have completed. Found so after a restart, the write is
 *   ambiguous: a `create` looks the ticket up by its idempotency key before trying again;
 * - `done`: completed;
 * - `failed`: failed for good (`lastError`), or gave up after its attempts.
 */
export interface OutboxEntry {
  readonly id: string;
  readonly ticketId: string;
  readonly operation: OutboxOperation;
  /** What to write (the rendered fields, the comment), as JSON. */
  readonly payload: Readonly<Record<string, unknown>>;
  readonly state: 'pending' | 'in_flight' | 'done' | 'failed';
  readonly attempts: number;
  /** Earliest time of the next attempt, epoch milliseconds. */
  readonly nextAttemptAt: number;
  readonly lastError?: TicketError;
  readonly createdAt: number;
  readonly updatedAt: number;
}
