/**
 * Netskope data export records (alerts, and the DLP incidents of `events/incident`) as the ticket
 * orchestrator's alerts. Field names follow dataexport.yaml and Netskope's own Cloud Exchange
 * ticket orchestrator plugin (`netskope_itsm`: `_id`, `alert_name`, `alert_type`, `app`, `user`,
 * `timestamp` in epoch seconds).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { AlertInput, Severity } from '@ce/core';
import type { DataExportKind } from '../cls/data-export-types.js';

/** Event types the alert source can also read: DLP incidents (write-back target) and endpoint DLP events. */
export const netskopeAlertEventTypes = ['incident', 'endpoint'] as const;

/** An event type the alert source can read. */
export type NetskopeAlertEventType = (typeof netskopeAlertEventTypes)[number];

/**
 * Fields holding the finer kind of an alert, per type, tried in order before the generic ones
 * (`policy`, then `alert_type` when it says more than the type).
 */
const subtypeFields: Readonly<Record<string, ReadonlyArray<string>>> = {
  dlp: ['dlp_profile', 'dlp_rule'],
  malware: ['malware_type', 'malware_name'],
  malsite: ['malsite_category', 'category'],
  securityassessment: ['sa_rule_name', 'sa_profile_name'],
  ctep: ['signature'],
  compromisedcredential: ['breach_description'],
  uba: ['policy'],
  watchlist: ['watchlist_name'],
  quarantine: ['quarantine_profile'],
  incident: ['dlp_profile', 'object_type'],
  endpoint: ['dlp_profile', 'device_classification'],
};

/** Severity fields, tried in order: the record's own, then the type's rule or engine severity. */
const severityFields = [
  'severity',
  'dlp_rule_severity',
  'malware_severity',
  'sa_rule_severity',
  'risk_level',
  'severity_level',
] as const;

const severityWords: Readonly<Record<string, Severity>> = {
  critical: 'critical',
  crit: 'critical',
  high: 'high',
  medium: 'medium',
  med: 'medium',
  moderate: 'medium',
  low: 'low',
  info: 'informational',
  informational: 'informational',
  information: 'informational',
};

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) {
    const parts = value.map(textOf).filter((part): part is string => part !== undefined);
    return parts.length > 0 ? parts.join(', ') : undefined;
  }
  return undefined;
}

function first(record: Readonly<Record<string, unknown>>, fields: ReadonlyArray<string>): string | undefined {
  for (const field of fields) {
    const found = textOf(record[field]);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The canonical severity of a record: the first of `severity`, `dlp_rule_severity`,
 * `malware_severity`, `sa_rule_severity`, `risk_level`, `severity_level` that reads as one
 * (case-insensitive: `High`, `critical`, `info`...), else `unknown`.
 */
export function netskopeSeverity(record: Readonly<Record<string, unknown>>): Severity {
  for (const field of severityFields) {
    const value = record[field];
    if (typeof value !== 'string') continue;
    const severity = severityWords[value.trim().toLowerCase()];
    if (severity) return severity;
  }
  return 'unknown';
}

/** Epoch ms of a `timestamp` (epoch seconds, as the tenant sends it; ms or ISO tolerated). */
function timestampOf(value: unknown): number | string | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) {
    return Math.round(value < 1e11 ? value * 1_000 : value);
  }
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) return timestampOf(Number(trimmed));
    return trimmed === '' ? undefined : trimmed;
  }
  return undefined;
}

function contentId(record: Readonly<Record<string, unknown>>): string {
  const canonical = (value: unknown): string => {
    if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
    if (value !== null && typeof value === 'object') {
      return `{${Object.keys(value)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
        .join(',')}}`;
    }
    return JSON.stringify(value) ?? 'null';
  };
  return `netskope-content:${createHash('sha256').update(canonical(record)).digest('hex').slice(0, 40)}`;
}

/** A record as an alert, with what was wrong with it. */
export interface NetskopeAlertMapping {
  /** The alert; fails the orchestrator's validation when `problems` names the timestamp. */
  alert: AlertInput;
  /** What was missing or unusable (`no _id`, `no usable timestamp`); empty for a sound record. */
  problems: string[];
}

/**
 * Maps one data export record to an alert:
 * - `id` from `_id`; a record without one gets an id hashed from its content, so that a resent
 *   page gives the same id again;
 * - `type` the endpoint's type (`dlp`, `malware`, ... or `incident`), `subtype` the type's own
 *   field (DLP profile, malware type, malsite category, signature...), else `policy`, else
 *   `alert_type` when it differs from the type;
 * - `name` from `alert_name`, else `policy`, else `title` (incidents), else `<type> alert`;
 * - `severity` from {@link netskopeSeverity};
 * - `user` from `user` (else `ur_normalized`, `userkey`, `from_user`), `app` from `app` (else `site`);
 * - `timestamp` from `timestamp` (epoch seconds); a record without a usable one keeps the value it
 *   had, so the orchestrator records the alert as failed with the reason instead of dropping it;
 * - `raw` the whole record (64-bit ids already strings from the lossless parser).
 *
 * @example
 * ```ts
 * const { alert } = netskopeRecordToAlert('alerts', 'dlp', record);
 * ```
 */
export function netskopeRecordToAlert(
  kind: DataExportKind,
  type: string,
  record: Readonly<Record<string, unknown>>,
): NetskopeAlertMapping {
  const problems: string[] = [];
  let id = textOf(record._id);
  if (id === undefined || Array.isArray(record._id)) {
    id = contentId(record);
    problems.push('no _id');
  }
  const alertType = textOf(record.alert_type);
  let subtype =
    first(record, subtypeFields[type] ?? []) ?? (kind === 'alerts' ? textOf(record.policy) : undefined);
  if (subtype === undefined && alertType !== undefined && alertType.toLowerCase() !== type)
    subtype = alertType;
  const name =
    first(record, ['alert_name', 'policy', 'title']) ??
    `${alertType ?? type} ${kind === 'alerts' ? 'alert' : type === 'incident' ? 'incident' : 'event'}`;
  const timestamp = timestampOf(record.timestamp);
  if (typeof timestamp !== 'number') problems.push('no usable timestamp (epoch seconds)');
  const alert: AlertInput = {
    id,
    type,
    name: name.slice(0, 1_024),
    severity: netskopeSeverity(record),
    // An unusable value is handed on as it was: the orchestrator's validation names it.
    timestamp: (timestamp ?? record.timestamp) as number,
    raw: { ...record },
  };
  if (subtype !== undefined) alert.subtype = subtype.slice(0, 256);
  const user = first(record, ['user', 'ur_normalized', 'userkey', 'from_user']);
  if (user !== undefined) alert.user = user.slice(0, 512);
  const app = first(record, ['app', 'site']);
  if (app !== undefined) alert.app = app.slice(0, 512);
  return { alert, problems };
}
