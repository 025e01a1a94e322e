import { createHash } from 'node:crypto';
import {
  type Alert,
  CeError,
  HttpError,
  type PluginContext,
  type RemoteTicket,
  type Severity,
  type TicketDestinationCapability,
  type TicketStatus,
  type TicketSyncResult,
} from '@ce/core';
import {
  type PagerDutyEvent,
  type PagerDutyEventAction,
  type PagerDutyEventPayload,
  type PagerDutyIncident,
  type PagerDutyLink,
  type PagerDutySeverity,
  pagerDutyEventErrorSchema,
  pagerDutyEventResponseSchema,
  pagerDutyIncidentListSchema,
  pagerDutyLimits,
  pagerDutyPaths,
  pagerDutyRestAccept,
  pagerDutySeverities,
} from './pagerduty-api.js';
import type { PagerDutyConfig } from './pagerduty-config.js';

/** Canonical severity to PagerDuty severity. */
export const defaultPagerDutySeverityMap: Readonly<Record<Severity, PagerDutySeverity>> = {
  critical: 'critical',
  high: 'error',
  medium: 'warning',
  low: 'info',
  informational: 'info',
  unknown: 'info',
};

/** Incident status to canonical status. */
export const pagerDutyStatusMap: Readonly<Record<string, TicketStatus>> = {
  triggered: 'new',
  acknowledged: 'in_progress',
  resolved: 'closed',
};

/**
 * The fields the plugin reads, as templates over the alert. `severity` renders the queue's mapped
 * severity; a value that is not a PagerDuty severity falls back to the severity map.
 */
export const pagerDutyDefaultMapping: Readonly<Record<string, string>> = {
  summary: '{{name}} ({{type}}) for {{user | default: "unknown user"}}',
  source: '{{tenant}}',
  severity: '{{mappedSeverity}}',
  component: '{{app | default: ""}}',
  group: '{{queue}}',
  class: '{{type}}',
  custom_details: '{{summary}}',
};

const stateKey = (dedupKey: string): string => `event:${dedupKey}`;
const maxListedAlerts = 20;

/** What a trigger needs again for a later re-trigger, kept in the plugin state until resolved. */
interface StoredEvent {
  summary: string;
  source: string;
  component?: string;
  group?: string;
  class?: string;
}

/**
 * The dedup key for an idempotency key: the key itself when it fits PagerDuty's 255 characters,
 * otherwise a digest of it (still deterministic, so a resend carries the same key).
 */
export function pagerDutyDedupKey(idempotencyKey: string): string {
  if (idempotencyKey.length > 0 && idempotencyKey.length <= pagerDutyLimits.dedupKeyMaxLength)
    return idempotencyKey;
  return `ce-${createHash('sha256').update(idempotencyKey).digest('hex')}`;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function truncate(value: string, max: number): string {
  const chars = Array.from(value);
  return chars.length <= max ? value : `${chars.slice(0, max - 1).join('')}…`;
}

function severityFor(config: PagerDutyConfig, fields: Readonly<Record<string, unknown>>, severity: Severity) {
  const rendered = text(fields.severity)?.toLowerCase();
  if (rendered && (pagerDutySeverities as ReadonlyArray<string>).includes(rendered))
    return rendered as PagerDutySeverity;
  return config.severityMap[severity] ?? defaultPagerDutySeverityMap[severity];
}

function alertView(alert: Alert, withRaw: boolean): Record<string, unknown> {
  return {
    id: alert.id,
    source: alert.sourceConfigId,
    type: alert.type,
    ...(alert.subtype ? { subtype: alert.subtype } : {}),
    name: alert.name,
    severity: alert.severity,
    ...(alert.user ? { user: alert.user } : {}),
    ...(alert.app ? { app: alert.app } : {}),
    timestamp: new Date(alert.timestamp).toISOString(),
    ...(withRaw ? { raw: alert.raw } : {}),
  };
}

/**
 * Custom details within the 512 KB event limit: the alerts' raw payloads are dropped first, then
 * the alert list, then the details text is cut.
 */
function customDetails(
  base: Record<string, unknown>,
  alerts: ReadonlyArray<Alert>,
  envelopeBytes: number,
): Record<string, unknown> {
  const budget = pagerDutyLimits.eventMaxBytes - envelopeBytes - 1_024;
  const listed = alerts.slice(0, maxListedAlerts);
  const fits = (value: Record<string, unknown>) => Buffer.byteLength(JSON.stringify(value)) <= budget;
  const full = { ...base, ...(listed.length > 0 ? { alerts: listed.map((a) => alertView(a, true)) } : {}) };
  if (fits(full)) return full;
  const lean = { ...base, ...(listed.length > 0 ? { alerts: listed.map((a) => alertView(a, false)) } : {}) };
  if (fits(lean)) return lean;
  if (fits(base)) return base;
  const details = typeof base.details === 'string' ? base.details : JSON.stringify(base.details ?? '');
  return { ...base, details: truncate(details, Math.max(1_000, Math.floor(budget / 4))), truncated: true };
}

function linksOf(fields: Readonly<Record<string, unknown>>): PagerDutyLink[] | undefined {
  const href = text(fields.link);
  if (!href || !/^https?:\/\//i.test(href)) return undefined;
  return [{ href, text: text(fields.link_text) ?? 'Details' }];
}

function pagerDutyFailure(error: unknown): unknown {
  if (!CeError.isInstance(error) || !('status' in error)) return error;
  const failed = error as HttpError;
  if (failed.status !== 400 || failed.body === undefined) return error;
  let parsed: ReturnType<typeof pagerDutyEventErrorSchema.safeParse>;
  try {
    parsed = pagerDutyEventErrorSchema.safeParse(JSON.parse(failed.body));
  } catch {
    return error;
  }
  if (!parsed.success) return error;
  const reasons = parsed.data.errors?.length ? `: ${parsed.data.errors.join('; ')}` : '';
  return new HttpError(
    undefined,
    `PagerDuty refused the event (${parsed.data.message ?? parsed.data.status})${reasons}`,
    {
      method: failed.method,
      url: failed.url,
      status: 400,
      body: failed.body,
      attempts: failed.attempts,
      retryable: false,
      cause: error,
      details: { pagerDutyStatus: parsed.data.status, errors: parsed.data.errors ?? [] },
    },
  );
}

/**
 * Sends one event to the Events API v2 and resolves with the dedup key PagerDuty answered.
 * Events are idempotent by dedup key, so the HTTP client may repeat a POST that failed in
 * between (a 429, a 5xx, a reset) without making a second alert.
 */
export async function sendPagerDutyEvent(
  context: PluginContext<PagerDutyConfig>,
  event: Omit<PagerDutyEvent, 'routing_key'>,
): Promise<string> {
  const body: PagerDutyEvent = { routing_key: context.config.routingKey, ...event };
  try {
    const response = await context.http.post(`${context.config.eventsUrl}${pagerDutyPaths.enqueue}`, {
      json: body,
      headers: { accept: 'application/json' },
      idempotent: true,
      schema: pagerDutyEventResponseSchema,
      signal: context.signal,
    });
    return response.body.dedup_key;
  } catch (error) {
    throw pagerDutyFailure(error);
  }
}

/**
 * Lists the incidents whose alerts carry `dedupKey` (`GET /incidents?incident_key=`), across all
 * dates; `undefined` when no REST API key is configured.
 */
export async function pagerDutyIncidentsByKey(
  context: PluginContext<PagerDutyConfig>,
  dedupKey: string,
): Promise<PagerDutyIncident[] | undefined> {
  const apiKey = context.config.restApiKey;
  if (!apiKey) return undefined;
  const incidents: PagerDutyIncident[] = [];
  for (let offset = 0; ; ) {
    const response = await context.http.get(`${context.config.restApiUrl}${pagerDutyPaths.incidents}`, {
      query: { incident_key: dedupKey, date_range: 'all', limit: 100, offset },
      headers: { authorization: `Token token=${apiKey}`, accept: pagerDutyRestAccept },
      schema: pagerDutyIncidentListSchema,
      signal: context.signal,
    });
    incidents.push(...response.body.incidents);
    if (!response.body.more || response.body.incidents.length === 0 || incidents.length >= 1_000)
      return incidents;
    offset += response.body.incidents.length;
  }
}

/** The incident that stands for a key: the newest open one, else the newest. */
function currentIncident(incidents: ReadonlyArray<PagerDutyIncident>): PagerDutyIncident | undefined {
  const time = (incident: PagerDutyIncident) => Date.parse(incident.created_at ?? '') || 0;
  const newest = [...incidents].sort((a, b) => time(b) - time(a));
  return newest.find((incident) => incident.status !== 'resolved') ?? newest[0];
}

function remoteOf(dedupKey: string, incident: PagerDutyIncident): RemoteTicket {
  return {
    remoteId: dedupKey,
    remoteStatus: incident.status,
    ...(incident.html_url ? { link: incident.html_url } : {}),
  };
}

async function retrigger(
  context: PluginContext<PagerDutyConfig>,
  dedupKey: string,
  request: {
    comment?: string;
    fields?: Readonly<Record<string, unknown>>;
    severity: Severity;
    alerts: ReadonlyArray<Alert>;
    extra: Record<string, unknown>;
  },
): Promise<void> {
  const config = context.config;
  const fields = request.fields ?? {};
  const stored = await context.state.get<StoredEvent>(stateKey(dedupKey));
  const summary = truncate(
    text(fields.summary) ?? stored?.summary ?? text(request.comment) ?? 'Update from Cloud Exchange',
    pagerDutyLimits.summaryMaxLength,
  );
  const payload: PagerDutyEventPayload = {
    summary,
    source: text(fields.source) ?? stored?.source ?? config.source,
    severity: severityFor(config, fields, request.severity),
    timestamp: new Date(context.clock.now()).toISOString(),
    ...(stored?.component ? { component: stored.component } : {}),
    ...(stored?.group ? { group: stored.group } : {}),
    ...(stored?.class ? { class: stored.class } : {}),
  };
  const base = { ...(request.comment ? { comment: request.comment } : {}), ...request.extra };
  payload.custom_details = customDetails(base, request.alerts, Buffer.byteLength(JSON.stringify(payload)));
  await sendPagerDutyEvent(context, {
    event_action: 'trigger',
    dedup_key: dedupKey,
    payload,
    client: config.client,
    ...(config.clientUrl ? { client_url: config.clientUrl } : {}),
  });
}

/**
 * The PagerDuty destination. A ticket is an alert keyed by its dedup key, which is the ticket's
 * idempotency key: `create` triggers, comments re-trigger (PagerDuty appends the event to the open
 * alert's log), `reopen` triggers again (a resolved alert's key opens a new incident), `resolve`
 * resolves. With a REST API key, `find` and `sync` read incidents by `incident_key`.
 */
export const pagerDutyDestination: TicketDestinationCapability<PagerDutyConfig> = {
  kind: 'ticket',
  defaultMapping: () => pagerDutyDefaultMapping,
  defaultStatusMap: () => pagerDutyStatusMap,
  defaultSeverityMap: (config) => ({ ...defaultPagerDutySeverityMap, ...config.severityMap }),
  limits: (config) => ({ requestsPerSecond: config.requestsPerSecond, maxSyncBatch: config.maxSyncBatch }),

  async create(context, request) {
    const config = context.config;
    const fields = request.fields;
    const dedupKey = pagerDutyDedupKey(request.idempotencyKey);
    const first = request.alerts[0];
    const summary = truncate(
      text(fields.summary) ?? first?.name ?? `Cloud Exchange ticket ${request.ticketId}`,
      pagerDutyLimits.summaryMaxLength,
    );
    const stored: StoredEvent = {
      summary,
      source: truncate(text(fields.source) ?? config.source, 1_024),
      ...(text(fields.component) ? { component: text(fields.component) as string } : {}),
      ...(text(fields.group) ? { group: text(fields.group) as string } : {}),
      ...(text(fields.class) ? { class: text(fields.class) as string } : {}),
    };
    const payload: PagerDutyEventPayload = {
      ...stored,
      severity: severityFor(config, fields, request.severity),
      timestamp: new Date(first?.timestamp ?? context.clock.now()).toISOString(),
    };
    const given = fields.custom_details;
    const base: Record<string, unknown> = {
      ...(typeof given === 'object' && given !== null && !Array.isArray(given)
        ? (given as Record<string, unknown>)
        : text(given)
          ? { details: text(given) }
          : {}),
      ticket_id: request.ticketId,
      alert_count: request.alertCount,
    };
    const links = linksOf(fields);
    const event = {
      event_action: 'trigger' as const,
      dedup_key: dedupKey,
      payload,
      client: config.client,
      ...(config.clientUrl ? { client_url: config.clientUrl } : {}),
      ...(links ? { links } : {}),
    };
    payload.custom_details = customDetails(base, request.alerts, Buffer.byteLength(JSON.stringify(event)));
    await context.state.set(stateKey(dedupKey), stored);
    const answered = await sendPagerDutyEvent(context, event);
    return { remoteId: answered || dedupKey, remoteStatus: 'triggered' };
  },

  /**
   * The Events API cannot be read, but a trigger with the same dedup key is deduplicated into the
   * open alert: without a REST API key `find` answers `undefined` and the orchestrator simply
   * sends the trigger again, which is safe. With a key it reads the incident.
   */
  async find(context, request) {
    const dedupKey = pagerDutyDedupKey(request.idempotencyKey);
    const incidents = await pagerDutyIncidentsByKey(context, dedupKey);
    const incident = incidents ? currentIncident(incidents) : undefined;
    return incident ? remoteOf(dedupKey, incident) : undefined;
  },

  async update(context, request) {
    if (context.config.updates === 'none' && request.kind !== 'reopen') return undefined;
    await retrigger(context, request.remoteId, {
      ...(request.comment !== undefined ? { comment: request.comment } : {}),
      ...(request.fields ? { fields: request.fields } : {}),
      severity: request.severity,
      alerts: request.alerts,
      extra: { ticket_id: request.ticketId, dedupe_count: request.dedupeCount, update: request.kind },
    });
    // A re-trigger leaves an acknowledged alert acknowledged; only a reopen is known to be triggered.
    return request.kind === 'reopen' ? { remoteId: request.remoteId, remoteStatus: 'triggered' } : undefined;
  },

  async resolve(context, request) {
    await sendPagerDutyEvent(context, { event_action: 'resolve', dedup_key: request.remoteId });
    await context.state.delete(stateKey(request.remoteId));
  },

  /**
   * Without a REST API key there is nothing to read: no result, and the tickets keep their
   * status. With one, one request per ticket; no incident for the key reads as deleted.
   */
  async sync(context, request) {
    if (!context.config.restApiKey) return [];
    const results: TicketSyncResult[] = [];
    for (const item of request.tickets) {
      const incidents = (await pagerDutyIncidentsByKey(context, item.remoteId)) ?? [];
      const incident = currentIncident(incidents);
      if (!incident) {
        results.push({ remoteId: item.remoteId, exists: false });
        continue;
      }
      const changed = Date.parse(incident.last_status_change_at ?? incident.updated_at ?? '');
      results.push({
        remoteId: item.remoteId,
        exists: true,
        remoteStatus: incident.status,
        ...(Number.isFinite(changed) ? { updatedAt: changed } : {}),
      });
    }
    return results;
  },
};

/** Sends an `acknowledge` event for a ticket's dedup key (for hosts that expose it). */
export async function acknowledgePagerDutyAlert(
  context: PluginContext<PagerDutyConfig>,
  dedupKey: string,
): Promise<void> {
  await sendPagerDutyEvent(context, {
    event_action: 'acknowledge' satisfies PagerDutyEventAction,
    dedup_key: dedupKey,
  });
}

/** Checks the configuration: the REST key with one request, the routing key's shape only. */
export async function checkPagerDuty(
  context: PluginContext<PagerDutyConfig>,
): Promise<{ ok: true; message: string } | { ok: false; message: string; retryable?: boolean }> {
  if (!context.config.restApiKey)
    return {
      ok: true,
      message:
        'the integration key is well formed; the Events API cannot test it without raising an alert, and without a REST API key statuses are not synced',
    };
  try {
    await context.http.get(`${context.config.restApiUrl}${pagerDutyPaths.incidents}`, {
      query: { limit: 1 },
      headers: { authorization: `Token token=${context.config.restApiKey}`, accept: pagerDutyRestAccept },
      signal: context.signal,
    });
    return { ok: true, message: 'the REST API key reads incidents; the integration key is well formed' };
  } catch (error) {
    const typed = CeError.isInstance(error) ? error : undefined;
    return {
      ok: false,
      retryable: typed?.retryable ?? false,
      message: `PagerDuty REST API: ${typed?.code === 'HTTP_AUTH_FAILED' ? 'the REST API key was refused' : (typed?.message ?? 'request failed')}`,
    };
  }
}
