import { createMockServer, type MockRequest, type MockResponse, type MockServer } from '@ce/plugin-kit';
import {
  type PagerDutyEvent,
  type PagerDutyIncidentStatus,
  pagerDutyEventActions,
  pagerDutyLimits,
  pagerDutyPaths,
  pagerDutySeverities,
} from './pagerduty-api.js';

/** Options of {@link startPagerDutyMockServer}. */
export interface PagerDutyMockServerOptions {
  /**
   * Integration keys the account has. When given, a well-formed key that is not one of them is
   * refused with 400 (`Invalid routing key`); when absent any 32-character key is accepted.
   */
  routingKeys?: ReadonlyArray<string>;
  /** The REST API key; `GET /incidents` answers 401 to anything else. Without it the REST API answers 401 to all. */
  restApiKey?: string;
}

/** One entry of an incident's log. */
export interface PagerDutyMockLogEntry {
  action: 'trigger' | 'acknowledge' | 'resolve';
  /** Where it came from: an event, or a responder acting in the web app. */
  by: 'event' | 'responder';
  summary?: string;
  severity?: string;
  customDetails?: Record<string, unknown>;
  at: string;
}

/** An incident on the mock (one alert per incident: the account does not group alerts). */
export interface PagerDutyMockIncident {
  id: string;
  incidentNumber: number;
  /** The alert's dedup key, which the REST API filters on as `incident_key`. */
  incidentKey: string;
  routingKey: string;
  status: PagerDutyIncidentStatus;
  title: string;
  createdAt: string;
  lastStatusChangeAt: string;
  log: PagerDutyMockLogEntry[];
}

/** A PagerDuty account on loopback. */
export interface PagerDutyMockServer {
  /** Base URL, for both `eventsUrl` and `restApiUrl`. */
  readonly url: string;
  /** The underlying mock server (requests, delays, faults). */
  readonly server: MockServer;
  /** Every incident, oldest first. */
  readonly incidents: ReadonlyArray<PagerDutyMockIncident>;
  /** Every accepted event, in order. */
  readonly events: ReadonlyArray<PagerDutyEvent>;
  /** The current incident of a dedup key: the open one, else the newest. */
  incident(dedupKey: string): PagerDutyMockIncident | undefined;
  /** Incidents ever opened with the key. */
  count(dedupKey: string): number;
  /** Everything the incidents of a key hold (titles, summaries, custom details), as text. */
  text(dedupKey: string): string | undefined;
  /** A responder acknowledges or resolves the current incident in the web app. */
  respond(dedupKey: string, action: 'acknowledge' | 'resolve'): void;
  /** Removes every incident of a key, as if it had never existed (PagerDuty itself cannot delete). */
  remove(dedupKey: string): void;
  /** Answers the next `count` events with 429 `throttle event`, as PagerDuty's throttling does. */
  throttle(count?: number): void;
  /** Answers the next request with `status` (with `Retry-After` when given) in PagerDuty's error shape. */
  failNext(status: number, retryAfterSeconds?: number): void;
  /** Stops the server. */
  close(): Promise<void>;
}

const invalid = (errors: string[]): MockResponse => ({
  status: 400,
  json: { status: 'invalid event', message: 'Event object is invalid', errors },
});

const throttled: MockResponse = {
  status: 429,
  json: {
    status: 'throttle event',
    message: 'Requests for this service are arriving too quickly. Please retry later.',
  },
};

const restError = (status: number, code: number, message: string): MockResponse => ({
  status,
  json: { error: { message, code } },
});

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const blank = (value: unknown): boolean => typeof value !== 'string' || value.trim() === '';

/** The validation the Events API v2 applies, with its error texts; empty when the event is valid. */
export function pagerDutyEventErrors(event: unknown): string[] {
  if (!isObject(event)) return ['Event object is not a JSON object'];
  const errors: string[] = [];
  if (blank(event.routing_key)) errors.push("'routing_key' is missing or blank");
  else if ((event.routing_key as string).length !== pagerDutyLimits.routingKeyLength)
    errors.push(
      `Length of 'routing_key' is incorrect (should be ${pagerDutyLimits.routingKeyLength} characters)`,
    );
  const action = event.event_action;
  if (!(pagerDutyEventActions as ReadonlyArray<unknown>).includes(action))
    errors.push(
      "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')",
    );
  if (event.dedup_key !== undefined) {
    if (typeof event.dedup_key !== 'string') errors.push("'dedup_key' must be a string");
    else if (event.dedup_key.length > pagerDutyLimits.dedupKeyMaxLength)
      errors.push(`'dedup_key' is too long (max ${pagerDutyLimits.dedupKeyMaxLength} characters)`);
  }
  if ((action === 'acknowledge' || action === 'resolve') && blank(event.dedup_key))
    errors.push("'dedup_key' is missing or blank");
  if (action === 'trigger') {
    const payload = event.payload;
    if (!isObject(payload)) errors.push("'payload' is missing or blank");
    else {
      if (blank(payload.summary)) errors.push("'payload.summary' is missing or blank");
      else if (Array.from(payload.summary as string).length > pagerDutyLimits.summaryMaxLength)
        errors.push(`'payload.summary' is too long (max ${pagerDutyLimits.summaryMaxLength} characters)`);
      if (blank(payload.source)) errors.push("'payload.source' is missing or blank");
      if (!(pagerDutySeverities as ReadonlyArray<unknown>).includes(payload.severity))
        errors.push(
          "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')",
        );
      if (payload.timestamp !== undefined && Number.isNaN(Date.parse(String(payload.timestamp))))
        errors.push("'payload.timestamp' is invalid (must be an ISO 8601 timestamp)");
      if (
        payload.custom_details !== undefined &&
        !isObject(payload.custom_details) &&
        typeof payload.custom_details !== 'string'
      )
        errors.push("'payload.custom_details' must be an object");
    }
    for (const link of Array.isArray(event.links) ? event.links : [])
      if (!isObject(link) || blank(link.href)) errors.push("'links[].href' is missing or blank");
    for (const image of Array.isArray(event.images) ? event.images : [])
      if (!isObject(image) || typeof image.src !== 'string' || !image.src.startsWith('https://'))
        errors.push("'images[].src' must be an HTTPS URL");
  }
  return errors;
}

/**
 * Starts a mock PagerDuty account speaking the Events API v2 (`POST /v2/enqueue`: validation with
 * PagerDuty's error texts, 202 with the dedup key, 429 throttling, deduplication into the open
 * alert, acknowledge and resolve by dedup key, a resolved key opening a new incident on the next
 * trigger) and the REST API v2's `GET /incidents` (`Authorization: Token token=<key>`,
 * `incident_key`, `statuses[]`, `limit`/`offset` with `more`). Events are processed at once, where
 * PagerDuty processes them asynchronously after the 202.
 *
 * @example
 * ```ts
 * const pagerDuty = await startPagerDutyMockServer({ restApiKey: 'rest-key-123' });
 * // configure the plugin with eventsUrl and restApiUrl: pagerDuty.url
 * pagerDuty.incident('ce-ticket-1')?.status; // 'triggered'
 * await pagerDuty.close();
 * ```
 */
export async function startPagerDutyMockServer(
  options: PagerDutyMockServerOptions = {},
): Promise<PagerDutyMockServer> {
  const server = await createMockServer();
  const incidents: PagerDutyMockIncident[] = [];
  const events: PagerDutyEvent[] = [];
  let throttleLeft = 0;
  let numbers = 0;

  const open = (routingKey: string, dedupKey: string) =>
    incidents.find(
      (incident) =>
        incident.incidentKey === dedupKey &&
        incident.routingKey === routingKey &&
        incident.status !== 'resolved',
    );
  const current = (dedupKey: string) => {
    const all = incidents.filter((incident) => incident.incidentKey === dedupKey);
    return all.findLast((incident) => incident.status !== 'resolved') ?? all.at(-1);
  };
  const setStatus = (incident: PagerDutyMockIncident, status: PagerDutyIncidentStatus, at: string) => {
    if (incident.status === status) return;
    incident.status = status;
    incident.lastStatusChangeAt = at;
  };

  server.route('POST', pagerDutyPaths.enqueue, (request: MockRequest): MockResponse => {
    if (Buffer.byteLength(request.body) > pagerDutyLimits.eventMaxBytes)
      return invalid([`Event object is too large (max ${pagerDutyLimits.eventMaxBytes} bytes)`]);
    let event: unknown;
    try {
      event = JSON.parse(request.body);
    } catch {
      return invalid(['Could not parse the request body as JSON']);
    }
    const errors = pagerDutyEventErrors(event);
    if (errors.length > 0) return invalid(errors);
    const valid = event as PagerDutyEvent;
    if (options.routingKeys && !options.routingKeys.includes(valid.routing_key))
      return invalid(['Invalid routing key']);
    if (throttleLeft > 0) {
      throttleLeft--;
      return throttled;
    }
    events.push(valid);
    const at = new Date().toISOString();
    const dedupKey =
      valid.dedup_key && valid.dedup_key.length > 0
        ? valid.dedup_key
        : `${Date.now().toString(16)}${Math.random().toString(16).slice(2)}`;
    const existing = open(valid.routing_key, dedupKey);
    const entry: PagerDutyMockLogEntry = {
      action: valid.event_action,
      by: 'event',
      at,
      ...(valid.payload
        ? {
            summary: valid.payload.summary,
            severity: valid.payload.severity,
            ...(isObject(valid.payload.custom_details)
              ? { customDetails: valid.payload.custom_details }
              : {}),
          }
        : {}),
    };
    if (valid.event_action === 'trigger') {
      if (existing) existing.log.push(entry);
      else {
        numbers++;
        incidents.push({
          id: `Q${String(numbers).padStart(6, '0')}MOCK`,
          incidentNumber: numbers,
          incidentKey: dedupKey,
          routingKey: valid.routing_key,
          status: 'triggered',
          title: valid.payload?.summary ?? '',
          createdAt: at,
          lastStatusChangeAt: at,
          log: [entry],
        });
      }
    } else if (existing) {
      // Acknowledge and resolve without an open alert are accepted and dropped, as documented.
      existing.log.push(entry);
      if (valid.event_action === 'resolve') setStatus(existing, 'resolved', at);
      else if (existing.status === 'triggered') setStatus(existing, 'acknowledged', at);
    }
    return { status: 202, json: { status: 'success', message: 'Event processed', dedup_key: dedupKey } };
  });

  server.route('GET', pagerDutyPaths.incidents, (request: MockRequest): MockResponse => {
    const authorization = request.headers.authorization ?? '';
    const token = /^Token token=(.+)$/.exec(authorization)?.[1];
    if (!options.restApiKey || token !== options.restApiKey)
      return restError(401, 2006, 'Authentication failed');
    const statuses = request.searchParams.getAll('statuses[]');
    for (const status of statuses)
      if (!['triggered', 'acknowledged', 'resolved'].includes(status))
        return restError(400, 2001, 'Invalid Input Provided');
    const limit = Number(request.query.limit ?? 25);
    const offset = Number(request.query.offset ?? 0);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100 || !Number.isInteger(offset) || offset < 0)
      return restError(400, 2001, 'Invalid Input Provided');
    const key = request.query.incident_key;
    const matching = incidents.filter(
      (incident) =>
        (key === undefined || incident.incidentKey === key) &&
        (statuses.length === 0 || statuses.includes(incident.status)),
    );
    const page = matching.slice(offset, offset + limit);
    return {
      json: {
        incidents: page.map((incident) => ({
          id: incident.id,
          type: 'incident',
          incident_number: incident.incidentNumber,
          title: incident.title,
          status: incident.status,
          incident_key: incident.incidentKey,
          created_at: incident.createdAt,
          updated_at: incident.lastStatusChangeAt,
          last_status_change_at: incident.lastStatusChangeAt,
          html_url: `${server.url}/incidents/${incident.id}`,
        })),
        limit,
        offset,
        more: offset + page.length < matching.length,
        total: null,
      },
    };
  });

  return {
    url: server.url,
    server,
    incidents,
    events,
    incident: current,
    count: (dedupKey) => incidents.filter((incident) => incident.incidentKey === dedupKey).length,
    text(dedupKey) {
      const all = incidents.filter((incident) => incident.incidentKey === dedupKey);
      if (all.length === 0) return undefined;
      return all
        .flatMap((incident) => [
          incident.title,
          ...incident.log.map((entry) =>
            [
              entry.action,
              entry.summary ?? '',
              entry.customDetails ? JSON.stringify(entry.customDetails) : '',
            ].join(' '),
          ),
        ])
        .join('\n');
    },
    respond(dedupKey, action) {
      const incident = current(dedupKey);
      if (!incident || incident.status === 'resolved') return;
      const at = new Date().toISOString();
      incident.log.push({ action, by: 'responder', at });
      setStatus(incident, action === 'resolve' ? 'resolved' : 'acknowledged', at);
    },
    remove(dedupKey) {
      for (let index = incidents.length - 1; index >= 0; index--)
        if (incidents[index]?.incidentKey === dedupKey) incidents.splice(index, 1);
    },
    throttle(count = 1) {
      throttleLeft += count;
    },
    failNext(status, retryAfterSeconds) {
      const headers: Record<string, string> =
        retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
      if (status === 429) server.failNext(1, { ...throttled, headers });
      else if (status === 400) server.failNext(1, { ...invalid(["'payload' is missing or blank"]), headers });
      else
        server.failNext(1, {
          status,
          headers,
          json:
            status >= 500
              ? { status: 'error', message: 'Internal server error' }
              : { status: 'error', message: `status ${status}` },
        });
    },
    close: () => server.close(),
  };
}
