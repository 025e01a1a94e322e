import { type IndicatorReportInput, type IndicatorSeverity, indicatorReportSchema } from '@ce/core';
import type { NetskopeAlertType } from '../tenant/netskope-api.js';

/**
 * Reading malsite and malware alerts (the `alert_type_malsite_200_response_item` and
 * `alert_type_malware_200_response_item` schemas of dataexport.yaml) as indicators, as Netskope's
 * Cloud Exchange plugin does (`get_indicators_from_json`):
 *
 * - malsite: the `url` the user reached (a `url` indicator). When an alert has no `url`, its
 *   destination host `dsthost` is used as a `hostname`. The alert's `hostname` field is the
 *   user's device, never an indicator.
 * - malware: the file's `local_md5` / `md5` and `local_sha256` / `sha256` (and `sha1` when asked),
 *   each distinct valid hash once.
 *
 * Severity comes from `severity` (malware: `malware_severity` first); reputation follows severity;
 * `timestamp` (epoch seconds) gives first and last seen; categories and malware types become tags.
 *
 * @module
 */

/** Indicator types the source can produce. */
export type PulledIndicatorType = 'url' | 'md5' | 'sha256' | 'sha1';

const severityNames: Record<string, IndicatorSeverity> = {
  critical: 'critical',
  high: 'high',
  medium: 'medium',
  moderate: 'medium',
  low: 'low',
  informational: 'low',
  info: 'low',
};

const reputationBySeverity: Partial<Record<IndicatorSeverity, number>> = {
  critical: 10,
  high: 8,
  medium: 6,
  low: 4,
};

const hashPatterns = { md5: /^[0-9a-f]{32}$/, sha1: /^[0-9a-f]{40}$/, sha256: /^[0-9a-f]{64}$/ } as const;

function text(record: Record<string, unknown>, field: string): string | undefined {
  const value = record[field];
  return typeof value === 'string' && value.trim().length > 0 ? value.trim() : undefined;
}

function severityOf(
  record: Record<string, unknown>,
  fields: ReadonlyArray<string>,
): IndicatorSeverity | undefined {
  for (const field of fields) {
    const value = text(record, field)?.toLowerCase();
    if (value && severityNames[value]) return severityNames[value];
  }
  return undefined;
}

function tagsOf(values: ReadonlyArray<unknown>): string[] {
  const tags = new Set<string>();
  for (const value of values) {
    if (typeof value !== 'string') continue;
    const tag = value.trim().slice(0, 128);
    if (tag) tags.add(tag);
  }
  return [...tags].slice(0, 64);
}

function common(
  record: Record<string, unknown>,
  severity: IndicatorSeverity | undefined,
  tags: string[],
  comments: string[],
) {
  const timestamp = record.timestamp;
  const seen =
    typeof timestamp === 'number' && Number.isFinite(timestamp) && timestamp > 0
      ? Math.round(timestamp * 1_000)
      : undefined;
  const reputation = severity ? reputationBySeverity[severity] : undefined;
  const comment = comments.filter(Boolean).join('; ').slice(0, 4_096);
  return {
    ...(severity ? { severity } : {}),
    ...(reputation !== undefined ? { reputation } : {}),
    tags,
    ...(comment ? { comments: comment } : {}),
    ...(seen !== undefined ? { firstSeen: seen, lastSeen: seen } : {}),
  };
}

function malsiteIndicators(
  record: Record<string, unknown>,
  types: ReadonlySet<PulledIndicatorType>,
): IndicatorReportInput[] {
  if (!types.has('url')) return [];
  const categories = Array.isArray(record.malsite_category) ? record.malsite_category : [];
  const severity = severityOf(record, ['severity', 'severity_level']);
  const confidence = record.malsite_confidence;
  const base = {
    ...common(record, severity, tagsOf(['netskope-malsite', ...categories]), [
      text(record, 'alert_name') ?? '',
      categories.length > 0 ? `categories: ${tagsOf(categories).join(', ')}` : '',
    ]),
    ...(typeof confidence === 'number' && confidence >= 0 && confidence <= 100
      ? { confidence: Math.round(confidence) }
      : {}),
  };
  const url = text(record, 'url');
  if (url) return [{ ...base, value: url, type: 'url' }];
  const host = text(record, 'dsthost');
  return host ? [{ ...base, value: host, type: 'hostname' }] : [];
}

function malwareIndicators(
  record: Record<string, unknown>,
  types: ReadonlySet<PulledIndicatorType>,
): IndicatorReportInput[] {
  const severity = severityOf(record, ['malware_severity', 'severity']);
  const malwareType = text(record, 'malware_type');
  const base = common(record, severity, tagsOf(['netskope-malware', malwareType]), [
    text(record, 'malware_name') ? `malware: ${text(record, 'malware_name')}` : '',
    malwareType ? `type: ${malwareType}` : '',
    (text(record, 'file_name') ?? text(record, 'object'))
      ? `file: ${text(record, 'file_name') ?? text(record, 'object')}`
      : '',
  ]);
  const fields: Array<[keyof typeof hashPatterns, string[]]> = [
    ['md5', ['local_md5', 'md5']],
    ['sha256', ['local_sha256', 'sha256']],
    ['sha1', ['sha1']],
  ];
  const out: IndicatorReportInput[] = [];
  for (const [type, names] of fields) {
    if (!types.has(type)) continue;
    const values = new Set(
      names.map((name) => text(record, name)?.toLowerCase()).filter((value) => value !== undefined),
    );
    for (const value of values) if (hashPatterns[type].test(value)) out.push({ ...base, value, type });
  }
  return out;
}

/**
 * The indicators in a page of alerts of one type, restricted to `types`. Reports that would not
 * pass the exchange's schema are dropped (`dropped` counts them).
 */
export function alertIndicators(
  alertType: NetskopeAlertType,
  records: ReadonlyArray<Record<string, unknown>>,
  types: ReadonlySet<PulledIndicatorType>,
): { indicators: IndicatorReportInput[]; dropped: number } {
  const indicators: IndicatorReportInput[] = [];
  let dropped = 0;
  for (const record of records) {
    const found =
      alertType === 'malsite' ? malsiteIndicators(record, types) : malwareIndicators(record, types);
    for (const indicator of found) {
      if (indicatorReportSchema.safeParse(indicator).success) indicators.push(indicator);
      else dropped += 1;
    }
  }
  return { indicators, dropped };
}
