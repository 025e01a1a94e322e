/**
 * Building blocks shared by the `TicketStore` implementations, so that every backend validates,
 * filters, orders and pages the same way.
 *
 * @module
 */
import { CeError } from '../errors/ce-error.js';
import type { FieldIssue } from '../errors/validation-error.js';
import { ValidationError } from '../errors/validation-error.js';
import { severityLevels } from '../schemas/common.js';
import type { OutboxEntry, StoredAlert, Ticket } from './ticket-model.js';
import { ticketStatuses } from './ticket-model.js';
import type { AlertQuery, OutboxQuery, TicketQuery } from './ticket-store.js';

const outboxStates = new Set(['pending', 'in_flight', 'done', 'failed']);
const outboxOperations = new Set(['create', 'update', 'comment', 'resolve', 'reopen', 'write-back']);
const dispositionKinds = new Set([
  'ticketed',
  'deduplicated',
  'grouped',
  'muted',
  'unrouted',
  'pending-approval',
  'declined',
  'deferred',
  'failed',
]);
const statuses = new Set<string>(ticketStatuses);
const severities = new Set<string>(severityLevels);

function text(issues: FieldIssue[], path: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0)
    issues.push({ path, reason: 'must be a non-empty string' });
}

function count(issues: FieldIssue[], path: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    issues.push({ path, reason: 'must be a whole number, 0 or more' });
}

function time(issues: FieldIssue[], path: string, value: unknown, optional = false): void {
  if (optional && value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    issues.push({ path, reason: 'must be epoch milliseconds' });
}

function fail(subject: string, issues: FieldIssue[]): void {
  if (issues.length > 0) throw new ValidationError(`invalid ${subject}`, issues);
}

/** Throws `VALIDATION_FAILED` naming each field of a ticket that breaks the model. */
export function checkTicket(ticket: Ticket, path = 'ticket'): void {
  const issues: FieldIssue[] = [];
  for (const field of ['id', 'idempotencyKey', 'queueId', 'ruleId', 'destinationConfigId', 'title'] as const)
    text(issues, `${path}.${field}`, ticket[field]);
  if (!statuses.has(ticket.status))
    issues.push({ path: `${path}.status`, reason: `must be one of ${ticketStatuses.join(', ')}` });
  if (!severities.has(ticket.severity))
    issues.push({ path: `${path}.severity`, reason: `must be one of ${severityLevels.join(', ')}` });
  if (typeof ticket.target !== 'object' || ticket.target === null)
    issues.push({ path: `${path}.target`, reason: 'must be an object' });
  if (!Array.isArray(ticket.alertRefs))
    issues.push({ path: `${path}.alertRefs`, reason: 'must be an array' });
  if (!Array.isArray(ticket.statusHistory))
    issues.push({ path: `${path}.statusHistory`, reason: 'must be an array' });
  count(issues, `${path}.alertCount`, ticket.alertCount);
  count(issues, `${path}.dedupeCount`, ticket.dedupeCount);
  time(issues, `${path}.createdAt`, ticket.createdAt);
  time(issues, `${path}.updatedAt`, ticket.updatedAt);
  time(issues, `${path}.lastSyncedAt`, ticket.lastSyncedAt, true);
  time(issues, `${path}.closedAt`, ticket.closedAt, true);
  fail('ticket', issues);
}

/** Throws `VALIDATION_FAILED` naming each field of a stored alert that breaks the model. */
export function checkStoredAlert(alert: StoredAlert, path = 'alert'): void {
  const issues: FieldIssue[] = [];
  for (const field of ['id', 'sourceConfigId', 'type', 'name', 'fingerprint'] as const)
    text(issues, `${path}.${field}`, alert[field]);
  if (!severities.has(alert.severity))
    issues.push({ path: `${path}.severity`, reason: `must be one of ${severityLevels.join(', ')}` });
  time(issues, `${path}.timestamp`, alert.timestamp);
  time(issues, `${path}.receivedAt`, alert.receivedAt);
  if (
    typeof alert.disposition !== 'object' ||
    alert.disposition === null ||
    !dispositionKinds.has(alert.disposition.kind)
  )
    issues.push({
      path: `${path}.disposition.kind`,
      reason: `must be one of ${[...dispositionKinds].join(', ')}`,
    });
  fail('alert', issues);
}

/** Throws `VALIDATION_FAILED` naming each field of an outbox entry that breaks the model. */
export function checkOutboxEntry(entry: OutboxEntry, path = 'outbox'): void {
  const issues: FieldIssue[] = [];
  text(issues, `${path}.id`, entry.id);
  text(issues, `${path}.ticketId`, entry.ticketId);
  if (!outboxOperations.has(entry.operation))
    issues.push({ path: `${path}.operation`, reason: `must be one of ${[...outboxOperations].join(', ')}` });
  if (!outboxStates.has(entry.state))
    issues.push({ path: `${path}.state`, reason: `must be one of ${[...outboxStates].join(', ')}` });
  count(issues, `${path}.attempts`, entry.attempts);
  time(issues, `${path}.nextAttemptAt`, entry.nextAttemptAt);
  time(issues, `${path}.createdAt`, entry.createdAt);
  time(issues, `${path}.updatedAt`, entry.updatedAt);
  fail('outbox entry', issues);
}

/** The key of an alert: `sourceConfigId/id`. */
export function alertKey(sourceConfigId: string, id: string): string {
  return `${sourceConfigId}/${id}`;
}

/** Resolves a page limit: 100 by default, between 1 and 1,000. */
export function ticketPageLimit(limit: number | undefined): number {
  if (limit === undefined) return 100;
  if (!Number.isInteger(limit) || limit < 1)
    throw new ValidationError('invalid limit', [
      { path: 'limit', reason: 'must be a whole number, 1 or more' },
    ]);
  return Math.min(limit, 1_000);
}

/** A position in an ordered listing: the sort value and the id that breaks ties. */
export interface TicketCursor {
  readonly at: number;
  readonly id: string;
}

/** Encodes a cursor as opaque text. */
export function encodeTicketCursor(cursor: TicketCursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.id])).toString('base64url');
}

/** Decodes a cursor; throws `VALIDATION_FAILED` naming `cursor` when it is not one of ours. */
export function decodeTicketCursor(text: string): TicketCursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string')
      return { at: value[0], id: value[1] };
  } catch {
    // reported below
  }
  throw new ValidationError('invalid cursor', [
    { path: 'cursor', reason: 'is not a cursor from a previous page' },
  ]);
}

/** Whether a ticket passes every filter of a query (cursor, sort and limit aside). */
export function ticketMatches(ticket: Ticket, query: TicketQuery): boolean {
  if (query.statuses && !query.statuses.includes(ticket.status)) return false;
  if (query.queueId !== undefined && ticket.queueId !== query.queueId) return false;
  if (query.ruleId !== undefined && ticket.ruleId !== query.ruleId) return false;
  if (query.destinationConfigId !== undefined && ticket.destinationConfigId !== query.destinationConfigId)
    return false;
  if (query.severities && !query.severities.includes(ticket.severity)) return false;
  if (query.dedupeKey !== undefined && ticket.dedupeKey !== query.dedupeKey) return false;
  if (query.groupKey !== undefined && ticket.groupKey !== query.groupKey) return false;
  if (query.idempotencyKey !== undefined && ticket.idempotencyKey !== query.idempotencyKey) return false;
  if (query.remoteId !== undefined && ticket.remoteId !== query.remoteId) return false;
  if (query.approvalPending !== undefined && (ticket.approval?.state === 'pending') !== query.approvalPending)
    return false;
  if (query.createdFrom !== undefined && ticket.createdAt < query.createdFrom) return false;
  if (query.createdTo !== undefined && ticket.createdAt >= query.createdTo) return false;
  if (query.updatedFrom !== undefined && ticket.updatedAt < query.updatedFrom) return false;
  if (query.syncedBefore !== undefined && (ticket.lastSyncedAt ?? -1) >= query.syncedBefore) return false;
  if (
    query.titleContains !== undefined &&
    !ticket.title.toLowerCase().includes(query.titleContains.toLowerCase())
  )
    return false;
  return true;
}

/** Whether a stored alert passes every filter of a query. */
export function alertMatches(alert: StoredAlert, query: AlertQuery): boolean {
  if (query.sourceConfigId !== undefined && alert.sourceConfigId !== query.sourceConfigId) return false;
  if (query.ticketId !== undefined && alertTicketId(alert) !== query.ticketId) return false;
  if (query.dispositions && !query.dispositions.includes(alert.disposition.kind)) return false;
  if (query.fingerprint !== undefined && alert.fingerprint !== query.fingerprint) return false;
  if (query.receivedFrom !== undefined && alert.receivedAt < query.receivedFrom) return false;
  if (query.receivedTo !== undefined && alert.receivedAt >= query.receivedTo) return false;
  return true;
}

/** Whether an outbox entry passes every filter of a query. */
export function outboxMatches(entry: OutboxEntry, query: OutboxQuery): boolean {
  if (query.states && !query.states.includes(entry.state)) return false;
  if (query.ticketId !== undefined && entry.ticketId !== query.ticketId) return false;
  if (query.dueBy !== undefined && entry.nextAttemptAt > query.dueBy) return false;
  return true;
}

/** The ticket an alert went into, when its disposition names one. */
export function alertTicketId(alert: StoredAlert): string | undefined {
  return 'ticketId' in alert.disposition ? alert.disposition.ticketId : undefined;
}

/** The `CONFLICT` error of a ticket write whose version is not the expected one. */
export function ticketConflict(id: string, expected: number | null, actual: number | undefined): CeError {
  const want = expected === null ? 'no ticket' : `version ${expected}`;
  const found = actual === undefined ? 'none' : `version ${actual}`;
  return new CeError('CONFLICT', `ticket "${id}": expected ${want}, found ${found}; nothing was written`, {
    details: { ticketId: id, expectedVersion: expected, actualVersion: actual ?? null },
  });
}

/**
 * Orders items by (`at`, `id`) ascending or descending and returns the page after `cursor`, with
 * the cursor of the next page when more remain.
 */
export function pageOf<T>(
  items: T[],
  position: (item: T) => TicketCursor,
  order: 'asc' | 'desc',
  cursor: string | undefined,
  limit: number,
): { items: T[]; nextCursor?: string } {
  const sign = order === 'asc' ? 1 : -1;
  const compare = (a: TicketCursor, b: TicketCursor): number =>
    sign * (a.at !== b.at ? a.at - b.at : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const after = cursor === undefined ? undefined : decodeTicketCursor(cursor);
  const eligible = after === undefined ? items : items.filter((item) => compare(position(item), after) > 0);
  eligible.sort((a, b) => compare(position(a), position(b)));
  const page = eligible.slice(0, limit);
  const last = page[page.length - 1];
  return eligible.length > limit && last !== undefined
    ? { items: page, nextCursor: encodeTicketCursor(position(last)) }
    : { items: page };
}
