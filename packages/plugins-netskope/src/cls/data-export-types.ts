/**
 * The data export iterator's endpoints, as dataexport.yaml lists them
 * (`/api/v2/events/dataexport/{events|alerts}/{type}`), and the fields that hold 64-bit ids.
 *
 * @module
 */

/** Which half of the iterator: `events` or `alerts`. */
export type DataExportKind = 'events' | 'alerts';

/** Event types the iterator serves (dataexport.yaml `/events/dataexport/events/{type}`). */
export const netskopeEventTypes = [
  'page',
  'application',
  'network',
  'audit',
  'infrastructure',
  'incident',
  'endpoint',
  'connection',
  'clientstatus',
] as const;

/** Alert types the iterator serves (dataexport.yaml `/events/dataexport/alerts/{type}`). */
export const netskopeLogAlertTypes = [
  'dlp',
  'malware',
  'malsite',
  'policy',
  'compromisedcredential',
  'uba',
  'securityassessment',
  'quarantine',
  'remediation',
  'watchlist',
  'ctep',
] as const;

/** A documented event type. */
export type NetskopeEventType = (typeof netskopeEventTypes)[number];

/** A documented alert type. */
export type NetskopeLogAlertType = (typeof netskopeLogAlertTypes)[number];

/**
 * The syntax of a type name in a configuration: documented types and any other the tenant
 * offers (a newer release's endpoint), as one path segment.
 */
export const dataExportTypePattern = /^[a-z][a-z0-9_-]{0,63}$/;

/**
 * Integer fields that hold identifiers, some beyond 2^53. They are always handed over as strings
 * (the list Netskope's own Cloud Exchange plugin keeps as strings), so one field has one type in
 * every record whatever its value; any other integer beyond 2^53 becomes a string too.
 */
export const dataExportIdFields = [
  'app_session_id',
  'browser_session_id',
  'connection_id',
  'dlp_incident_id',
  'dlp_parent_id',
  'incident_id',
  'latest_incident_id',
  'network_session_id',
  'request_id',
  'signature_id',
  'transaction_id',
] as const;

/**
 * Operations of the iterator: an epoch timestamp in seconds (start there), `next` (the page after
 * the last one served), `head` (the oldest page kept), `tail` (from now on), `resend` (the last
 * page served, again). `clientstatus` accepts `next` and `resend` only.
 */
export type DataExportIteratorOperation = 'next' | 'head' | 'tail' | 'resend' | number;

/** The path of one iterator endpoint. */
export function dataExportPath(kind: DataExportKind, type: string): string {
  return `/api/v2/events/dataexport/${kind}/${encodeURIComponent(type)}`;
}

/** Whether an endpoint only accepts `next` and `resend` (no epoch, head or tail). */
export function nextOnlyType(kind: DataExportKind, type: string): boolean {
  return kind === 'events' && type === 'clientstatus';
}
