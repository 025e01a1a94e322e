import type { StoredIndicator } from '@ce/core';

/** Export formats of a list. */
export type ExportFormat = 'text' | 'csv' | 'json';

const csvColumns = [
  'type',
  'value',
  'severity',
  'reputation',
  'confidence',
  'tags',
  'sources',
  'first_seen',
  'last_seen',
  'expires_at',
] as const;

function csvField(value: string): string {
  // RFC 4180 quoting, and a leading quote for values a spreadsheet would run as a formula.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) || safe !== value ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function iso(epoch: number | undefined): string {
  return epoch === undefined ? '' : new Date(epoch).toISOString();
}

/** Renders indicators as text (one value a line), CSV (RFC 4180, with a header) or JSON. */
export function exportIndicators(indicators: ReadonlyArray<StoredIndicator>, format: ExportFormat): string {
  if (format === 'text') return indicators.map((indicator) => `${indicator.value}\n`).join('');
  if (format === 'json') {
    return JSON.stringify(
      indicators.map((indicator) => ({
        type: indicator.type,
        value: indicator.value,
        severity: indicator.merged.severity,
        reputation: indicator.merged.reputation,
        confidence: indicator.merged.confidence,
        tags: indicator.merged.tags,
        tlp: indicator.merged.tlp,
        sources: indicator.sources.map((source) => source.sourceId),
        firstSeen: iso(indicator.merged.firstSeen),
        lastSeen: iso(indicator.merged.lastSeen),
        expiresAt: indicator.expiresAt === undefined ? undefined : iso(indicator.expiresAt),
      })),
    );
  }
  const rows = [csvColumns.join(',')];
  for (const indicator of indicators) {
    rows.push(
      [
        indicator.type,
        indicator.value,
        indicator.merged.severity,
        String(indicator.merged.reputation),
        indicator.merged.confidence === undefined ? '' : String(indicator.merged.confidence),
        indicator.merged.tags.join(';'),
        indicator.sources.map((source) => source.sourceId).join(';'),
        iso(indicator.merged.firstSeen),
        iso(indicator.merged.lastSeen),
        iso(indicator.expiresAt),
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${rows.join('\r\n')}\r\n`;
}
