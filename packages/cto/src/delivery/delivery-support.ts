/**
 * Helpers the outbox processor and the status sync share: what a destination declares, status
 * mapping, failure classification, checking what plugins return, and ticket commits that survive
 * a concurrent change.
 *
 * @module
 */
import {
  CeError,
  type OutboxEntry,
  type PluginRuntime,
  type RemoteTicket,
  type Ticket,
  type TicketDestinationCapability,
  type TicketError,
  type TicketStatus,
  type TicketStore,
  type TicketSyncResult,
  toCeError,
} from '@ce/core';
import type { RetryPolicy } from './delivery-options.js';

/** What a destination configuration declares, read once per run. */
export interface DestinationProfile {
  readonly configId: string;
  readonly pluginId: string;
  readonly capability: TicketDestinationCapability<unknown>;
  readonly requestsPerSecond: number | undefined;
  readonly maxSyncBatch: number | undefined;
  readonly defaultStatusMap: Readonly<Record<string, TicketStatus>>;
}

/** Reads a destination configuration's declarations through the runtime (its config resolved). */
export async function describeDestination(
  plugins: PluginRuntime,
  configId: string,
  timeoutMs: number,
): Promise<DestinationProfile> {
  return plugins.invoke(
    configId,
    'cto.describe',
    async (context, definition) => {
      const capability = definition.cto?.destination as TicketDestinationCapability<unknown> | undefined;
      if (!capability)
        throw new CeError('NOT_SUPPORTED', `plugin ${definition.id} is not a ticket destination`);
      const limits = capability.limits?.(context.config) ?? {};
      const statusMap = capability.defaultStatusMap?.(context.config) ?? {};
      return {
        configId,
        pluginId: definition.id,
        capability,
        requestsPerSecond: positive(limits.requestsPerSecond),
        maxSyncBatch: positive(limits.maxSyncBatch),
        defaultStatusMap: isRecord(statusMap) ? (statusMap as Record<string, TicketStatus>) : {},
      };
    },
    { timeoutMs },
  );
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A remote status name as a canonical status: the queue's map over the plugin's defaults, an
 * exact name first and then ignoring case; `undefined` when neither names it.
 */
export function mapRemoteStatus(
  remoteStatus: string,
  queueMap: Readonly<Record<string, TicketStatus>> | undefined,
  defaults: Readonly<Record<string, TicketStatus>>,
): TicketStatus | undefined {
  const exact =
    (queueMap && Object.hasOwn(queueMap, remoteStatus) ? queueMap[remoteStatus] : undefined) ??
    (Object.hasOwn(defaults, remoteStatus) ? defaults[remoteStatus] : undefined);
  if (exact) return exact;
  const folded = remoteStatus.toLowerCase();
  for (const map of [queueMap ?? {}, defaults])
    for (const [name, status] of Object.entries(map)) if (name.toLowerCase() === folded) return status;
  return undefined;
}

/** The wait a failure asks for (`Retry-After`, carried as `details.retryAfterMs`), if any. */
export function retryAfterOf(error: unknown): number | undefined {
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 5; depth++) {
    if (!CeError.isInstance(current)) return undefined;
    const value = current.details.retryAfterMs;
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
    current = current.cause;
  }
  return undefined;
}

/** The wait before attempt `attempts + 1`: exponential with jitter, capped. */
export function backoffMs(attempts: number, policy: RetryPolicy, random: () => number): number {
  const base = policy.baseDelayMs ?? 5_000;
  const max = policy.maxDelayMs ?? 3_600_000;
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? 0.5));
  const full = Math.min(max, base * 2 ** Math.max(0, Math.min(attempts - 1, 40)));
  return Math.round(full * (1 - jitter) + full * jitter * random());
}

const unknownOutcomeCodes = new Set(['TIMEOUT', 'HTTP_TIMEOUT', 'HTTP_NETWORK', 'NETWORK_FAILED', 'ABORTED']);

/**
 * Whether a failed write may have reached the destination anyway: no answer arrived (timeout,
 * broken connection, cancelled call) or a gateway gave up waiting for the server (408, 504).
 */
export function isOutcomeUnknown(error: CeError): boolean {
  if (unknownOutcomeCodes.has(error.code)) return true;
  const status = error.details.status;
  return status === 408 || status === 504;
}

/** A failure as a ticket or outbox entry records it: code, redacted message, whether it is retried. */
export function ticketErrorOf(error: CeError, at: number, retryable = error.retryable): TicketError {
  return { code: error.code, message: error.message.slice(0, 2_000), at, retryable };
}

/** Checks what a `create`, `find` or `update` returned; throws `PLUGIN_FAILED` naming the fault. */
export function checkRemoteTicket(value: unknown, pluginId: string, operation: string): RemoteTicket {
  const fault = (reason: string): CeError =>
    new CeError('PLUGIN_FAILED', `${pluginId} ${operation} returned a malformed ticket: ${reason}`, {
      details: { pluginId, operation },
    });
  if (!isRecord(value)) throw fault(value === undefined ? 'no result' : 'not an object');
  const { remoteId, link, remoteStatus } = value;
  if (typeof remoteId !== 'string' || remoteId.length === 0 || remoteId.length > 1_024)
    throw fault('remoteId must be a non-empty string');
  if (link !== undefined && typeof link !== 'string') throw fault('link must be a string');
  if (remoteStatus !== undefined && typeof remoteStatus !== 'string')
    throw fault('remoteStatus must be a string');
  return {
    remoteId,
    ...(link ? { link } : {}),
    ...(remoteStatus !== undefined ? { remoteStatus } : {}),
  };
}

/**
 * Checks what a `sync` returned: an array of results. Malformed items are left out and counted,
 * so one bad item costs its own ticket, not the batch.
 */
export function checkSyncResults(
  value: unknown,
  pluginId: string,
): { results: Map<string, TicketSyncResult>; malformed: number } {
  if (!Array.isArray(value))
    throw new CeError(
      'PLUGIN_FAILED',
      `${pluginId} cto.sync returned ${value === null ? 'null' : typeof value}, not a list`,
    );
  const results = new Map<string, TicketSyncResult>();
  let malformed = 0;
  for (const item of value) {
    if (!isRecord(item) || typeof item.remoteId !== 'string') malformed++;
    else if (item.exists === false) results.set(item.remoteId, { remoteId: item.remoteId, exists: false });
    else if (item.exists === true && typeof item.remoteStatus === 'string')
      results.set(item.remoteId, { remoteId: item.remoteId, exists: true, remoteStatus: item.remoteStatus });
    else malformed++;
  }
  return { results, malformed };
}

/** A status change appended to a ticket's history, with what goes with it. */
export function withStatus(
  ticket: Ticket,
  status: TicketStatus,
  at: number,
  by: 'local' | 'remote',
  note?: string,
  remoteStatus?: string,
): Ticket {
  const closing = (status === 'closed' || status === 'deleted') && ticket.status !== status;
  return {
    ...ticket,
    status,
    ...(remoteStatus !== undefined ? { remoteStatus } : {}),
    ...(closing ? { closedAt: at } : {}),
    updatedAt: at,
    statusHistory: [
      ...ticket.statusHistory,
      {
        status,
        at,
        by,
        ...(remoteStatus !== undefined ? { remoteStatus } : {}),
        ...(note ? { note } : {}),
      },
    ],
  };
}

/** A ticket without its `lastError`: a write succeeded. */
export function withoutError(ticket: Ticket): Ticket {
  if (ticket.lastError === undefined) return ticket;
  const { lastError: _cleared, ...rest } = ticket;
  return rest;
}

/**
 * Commits `outbox` together with `change` applied to the ticket as stored now. The ticket may
 * have been changed by the orchestrator since it was read; then it is read again and the change
 * applied again, so a remote write that succeeded is never lost to a version conflict. `change`
 * answering `undefined` leaves the ticket as it is.
 */
export async function commitWithTicket(
  store: TicketStore,
  ticketId: string,
  change: (ticket: Ticket) => Ticket | undefined,
  outbox: ReadonlyArray<OutboxEntry>,
  known?: Ticket,
): Promise<Ticket | undefined> {
  let current = known ?? (await store.getTicket(ticketId));
  for (let attempt = 0; ; attempt++) {
    const next = current ? change(current) : undefined;
    try {
      const stored = await store.commit({
        ...(current && next ? { tickets: [{ ticket: next, expectedVersion: current.version }] } : {}),
        outbox,
      });
      return stored[0] ?? current;
    } catch (error) {
      if (toCeError(error).code !== 'CONFLICT' || attempt >= 9) throw error;
      current = await store.getTicket(ticketId);
    }
  }
}
