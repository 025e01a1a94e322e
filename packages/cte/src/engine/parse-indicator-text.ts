import type { IndicatorReportInput } from '@ce/core';

const maxLineLength = 16_384;

/**
 * Splits free text into reports, one value per line: blank lines and comments (`#`, `//`, `;`)
 * are skipped, surrounding whitespace trimmed; the type of each value is inferred on ingest.
 * Lines too long to be a value are passed through so ingest rejects them with a reason.
 */
export function parseIndicatorText(text: string): IndicatorReportInput[] {
  const reports: IndicatorReportInput[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.length > maxLineLength ? raw : raw.trim();
    if (line.length === 0 || line.startsWith('#') || line.startsWith('//') || line.startsWith(';')) continue;
    reports.push({ value: line });
  }
  return reports;
}
