/**
 * Writing a ticket's status back to Netskope's DLP incidents, through the documented incident
 * update API (netskope-apiv2-oas `endpoints/incidents/incident_update.yaml`):
 * `PATCH /api/v2/incidents/update` with `{ "payload": [{ object_id, field, old_value, new_value, user }] }`,
 * where `field` is `status`, `assignee` or `severity`; answered `{ "result": [{ ok, result }] }`.
 * Which records are incidents, the status values and the batch size of 10 follow Netskope's own
 * Cloud Exchange ticket orchestrator plugin (`netskope_itsm`): it updates the incidents of
 * `events/incident` by their `object_id`, with the values `new`, `in_progress` and `closed`.
 *
 * @module
 */
import { type Alert, CeError, type HttpClient, HttpError, type TicketStatus } from '@ce/core';
import { z } from 'zod';
import { mapNetskopeError } from '../tenant/netskope-errors.js';

/** Path of the incident update endpoint. */
export const netskopeIncidentUpdatePath = '/api/v2/incidents/update';

/** The incident statuses the update API takes. */
export const netskopeIncidentStatuses = ['new', 'in_progress', 'closed'] as const;

/** A Netskope DLP incident status. */
export type NetskopeIncidentStatus = (typeof netskopeIncidentStatuses)[number];

/** Incidents per request, as Netskope's own plugin sends them. */
export const netskopeIncidentBatchSize = 10;

/**
 * Canonical ticket statuses to incident statuses, as Netskope's own plugin maps them: `on_hold`,
 * `other` and the statuses of tickets that never existed remotely have no incident status, and
 * are not written.
 */
export const defaultIncidentStatusMap: Readonly<Record<TicketStatus, NetskopeIncidentStatus | null>> = {
  new: 'new',
  in_progress: 'in_progress',
  on_hold: null,
  closed: 'closed',
  deleted: 'closed',
  other: null,
  notification: null,
  failed: null,
};

/** One item of the request's `payload`. */
export interface IncidentUpdateItem {
  /** The incident object (`object_id` of the `events/incident` record). */
  object_id: string;
  /** The attribute changed; only the status is written back. */
  field: 'status';
  /** The status the incident is believed to have now. */
  old_value: NetskopeIncidentStatus;
  /** The status to set. */
  new_value: NetskopeIncidentStatus;
  /** The email the tenant records as the author. */
  user: string;
}

/** An alert whose incident is not written, and why. */
export interface SkippedIncidentAlert {
  /** The alert's id. */
  alertId: string;
  /** Why its incident is not written. */
  reason: string;
}

/** What {@link planIncidentStatusUpdates} decided. */
export interface IncidentUpdatePlan {
  /** One item per incident to change, in alert order. */
  items: IncidentUpdateItem[];
  /** The alerts left out, each with its reason. */
  skipped: SkippedIncidentAlert[];
}

/** Options of {@link planIncidentStatusUpdates}. */
export interface IncidentUpdatePlanOptions {
  /** Who the tenant logs as having made the change (an administrator's email). */
  user: string;
  /** Overrides of {@link defaultIncidentStatusMap}; `null` means "do not write". */
  statusMap?: Readonly<Partial<Record<TicketStatus, NetskopeIncidentStatus | null>>>;
  /** The status last written for an incident, when known: a better `old_value` than the pulled record's. */
  lastWritten?: ReadonlyMap<string, NetskopeIncidentStatus>;
}

/** Reads an incident status as the tenant shows it (`New`, `In Progress`, `Resolved`) or sends it. */
export function normalizeIncidentStatus(value: unknown): NetskopeIncidentStatus | undefined {
  if (typeof value !== 'string') return undefined;
  const key = value
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  if (key === 'new') return 'new';
  if (key === 'in_progress') return 'in_progress';
  if (key === 'closed' || key === 'resolved') return 'closed';
  return undefined;
}

/** The incident object id of an alert, when it is a DLP incident. */
export function incidentObjectId(alert: Pick<Alert, 'type' | 'raw'>): string | undefined {
  if (alert.type !== 'incident') return undefined;
  const value = alert.raw.object_id;
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return undefined;
}

/**
 * Decides which incidents to update for a ticket's status: only DLP incidents (alerts of type
 * `incident`, pulled from `events/incident`, that carry an `object_id`) whose status changes;
 * each incident once, however many of the ticket's alerts name it. Everything else is skipped
 * with the reason.
 */
export function planIncidentStatusUpdates(
  alerts: ReadonlyArray<Pick<Alert, 'id' | 'type' | 'raw'>>,
  status: TicketStatus,
  options: IncidentUpdatePlanOptions,
): IncidentUpdatePlan {
  const map = { ...defaultIncidentStatusMap, ...options.statusMap };
  const target = map[status];
  const items: IncidentUpdateItem[] = [];
  const skipped: SkippedIncidentAlert[] = [];
  const seen = new Set<string>();
  for (const alert of alerts) {
    if (alert.type !== 'incident') {
      skipped.push({
        alertId: alert.id,
        reason: `a ${alert.type} alert is not a DLP incident; only records of events/incident can be updated`,
      });
      continue;
    }
    const objectId = incidentObjectId(alert);
    if (objectId === undefined) {
      skipped.push({ alertId: alert.id, reason: 'the incident has no object_id' });
      continue;
    }
    if (target === null || target === undefined) {
      skipped.push({ alertId: alert.id, reason: `ticket status ${status} has no Netskope incident status` });
      continue;
    }
    if (seen.has(objectId)) {
      skipped.push({ alertId: alert.id, reason: `incident ${objectId} is already in this update` });
      continue;
    }
    seen.add(objectId);
    const old = options.lastWritten?.get(objectId) ?? normalizeIncidentStatus(alert.raw.status) ?? 'new';
    if (old === target) {
      skipped.push({ alertId: alert.id, reason: `incident ${objectId} is already ${target}` });
      continue;
    }
    items.push({
      object_id: objectId,
      field: 'status',
      old_value: old,
      new_value: target,
      user: options.user,
    });
  }
  return { items, skipped };
}

const resultItemSchema = z.looseObject({
  ok: z.union([z.number(), z.boolean()]).optional(),
  result: z.unknown(),
});

/**
 * The documented answer (`{ result: [{ ok, result }] }`), or the flat `{ ok, result }` Netskope's
 * own plugin reads.
 */
export const incidentUpdateResponseSchema = z.union([
  z.looseObject({ result: z.array(resultItemSchema) }),
  resultItemSchema,
]);

/** What one update request achieved. */
export interface IncidentUpdateOutcome {
  /** Incidents sent. */
  sent: number;
  /** Incidents the tenant reports updated, when it says (`result` as a count). */
  updated?: number;
}

/**
 * Sends one batch (at most {@link netskopeIncidentBatchSize} items). Setting a status is
 * idempotent, so the HTTP client may repeat it after a 429 (honouring `Retry-After`), a 5xx or a
 * lost answer. Throws an `HttpError` (codes of `mapNetskopeError`) or, for a 200 whose `ok` is not
 * 1, a retryable `HTTP_ERROR`.
 */
export async function sendIncidentUpdates(
  http: HttpClient,
  items: ReadonlyArray<IncidentUpdateItem>,
  signal: AbortSignal,
): Promise<IncidentUpdateOutcome> {
  if (items.length > netskopeIncidentBatchSize) {
    throw new CeError('INTERNAL', `at most ${netskopeIncidentBatchSize} incidents per update request`);
  }
  let body: z.output<typeof incidentUpdateResponseSchema>;
  try {
    const response = await http.patch(netskopeIncidentUpdatePath, {
      json: { payload: items },
      schema: incidentUpdateResponseSchema,
      idempotent: true,
      signal,
    });
    body = response.body;
  } catch (error) {
    if (error instanceof HttpError) throw mapNetskopeError(error, 'update incident status');
    throw error;
  }
  const results = 'result' in body && Array.isArray(body.result) ? body.result : [body];
  let updated: number | undefined;
  for (const result of results as Array<z.output<typeof resultItemSchema>>) {
    const ok = result.ok === undefined || result.ok === 1 || result.ok === true;
    if (!ok) {
      throw new CeError(
        'HTTP_ERROR',
        `Netskope update incident status answered ok=${String(result.ok)}${typeof result.result === 'string' ? `: ${result.result}` : ''}`,
        { retryable: true, details: { objectIds: items.map((item) => item.object_id) } },
      );
    }
    const count =
      typeof result.result === 'number' ? result.result : Number.parseInt(String(result.result), 10);
    if (Number.isFinite(count)) updated = (updated ?? 0) + count;
  }
  return updated === undefined ? { sent: items.length } : { sent: items.length, updated };
}
