/**
 * The PagerDuty wire formats the plugin speaks: the Events API v2 (`POST /v2/enqueue`) and the
 * one REST API v2 call it makes (`GET /incidents?incident_key=`).
 *
 * @module
 */
import { z } from 'zod';

/** Paths of the endpoints used. */
export const pagerDutyPaths = {
  /** Events API v2: alert events (trigger, acknowledge, resolve). */
  enqueue: '/v2/enqueue',
  /** REST API v2: incidents, filtered by `incident_key` (the alerts' dedup key). */
  incidents: '/incidents',
} as const;

/** Default base URLs. */
export const pagerDutyDefaultUrls = {
  /** Events API v2 (use `https://events.eu.pagerduty.com` for an EU account). */
  events: 'https://events.pagerduty.com',
  /** REST API v2 (use `https://api.eu.pagerduty.com` for an EU account). */
  rest: 'https://api.pagerduty.com',
} as const;

/** The `Accept` header that pins REST API version 2. */
export const pagerDutyRestAccept = 'application/vnd.pagerduty+json;version=2';

/** Event actions of the Events API v2. */
export const pagerDutyEventActions = ['trigger', 'acknowledge', 'resolve'] as const;
/** An event action. */
export type PagerDutyEventAction = (typeof pagerDutyEventActions)[number];

/** Severities of `payload.severity`. */
export const pagerDutySeverities = ['critical', 'error', 'warning', 'info'] as const;
/** A PagerDuty event severity. */
export type PagerDutySeverity = (typeof pagerDutySeverities)[number];

/** Incident statuses of the REST API. */
export const pagerDutyIncidentStatuses = ['triggered', 'acknowledged', 'resolved'] as const;
/** An incident status. */
export type PagerDutyIncidentStatus = (typeof pagerDutyIncidentStatuses)[number];

/** Documented limits of the Events API v2. */
export const pagerDutyLimits = {
  /** `routing_key` is the 32-character integration key. */
  routingKeyLength: 32,
  /** Most characters of `dedup_key`. */
  dedupKeyMaxLength: 255,
  /** Most characters of `payload.summary`. */
  summaryMaxLength: 1_024,
  /** Most bytes of one event. */
  eventMaxBytes: 512 * 1_024,
  /** About 120 events a minute per integration key (a sliding 60 s window). */
  eventsPerMinute: 120,
} as const;

/** A link attached to an alert. */
export interface PagerDutyLink {
  href: string;
  text?: string;
}

/** An image attached to an alert (`src` must be HTTPS). */
export interface PagerDutyImage {
  src: string;
  href?: string;
  alt?: string;
}

/** The `payload` of a trigger event (PagerDuty Common Event Format). */
export interface PagerDutyEventPayload {
  /** At most 1,024 characters. */
  summary: string;
  /** The affected system, preferably a hostname. */
  source: string;
  severity: PagerDutySeverity;
  /** ISO 8601. */
  timestamp?: string;
  component?: string;
  group?: string;
  class?: string;
  custom_details?: Record<string, unknown>;
}

/** One event sent to `POST /v2/enqueue`. */
export interface PagerDutyEvent {
  routing_key: string;
  event_action: PagerDutyEventAction;
  dedup_key?: string;
  /** Required for `trigger`, ignored otherwise. */
  payload?: PagerDutyEventPayload;
  links?: PagerDutyLink[];
  images?: PagerDutyImage[];
  client?: string;
  client_url?: string;
}

/** The body of `202 Accepted`. */
export const pagerDutyEventResponseSchema = z.object({
  status: z.string(),
  message: z.string().optional(),
  dedup_key: z.string().min(1),
});

/** The body of `400 Bad Request` (`status: 'invalid event'`) and of `429` (`status: 'throttle event'`). */
export const pagerDutyEventErrorSchema = z.object({
  status: z.string(),
  message: z.string().optional(),
  errors: z.array(z.string()).optional(),
});

/** The incident fields the plugin reads. */
export const pagerDutyIncidentSchema = z.looseObject({
  id: z.string(),
  status: z.string(),
  incident_key: z.string().nullish(),
  html_url: z.string().optional(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  last_status_change_at: z.string().optional(),
});

/** An incident as the REST API returns it. */
export type PagerDutyIncident = z.output<typeof pagerDutyIncidentSchema>;

/** `GET /incidents`: classic offset pagination. */
export const pagerDutyIncidentListSchema = z.object({
  incidents: z.array(pagerDutyIncidentSchema),
  limit: z.number().optional(),
  offset: z.number().optional(),
  more: z.boolean().optional(),
  total: z.number().nullish(),
});

/** A REST API error body. */
export interface PagerDutyRestError {
  error: { message: string; code: number; errors?: string[] };
}
