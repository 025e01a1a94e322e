import { type IndicatorReport, indicatorReportSchema, indicatorTypes, tlpLevels } from '@ce/core';

const types: ReadonlySet<string> = new Set(indicatorTypes);
const tlps: ReadonlySet<string> = new Set(tlpLevels);
const severities: ReadonlySet<string> = new Set(['unknown', 'low', 'medium', 'high', 'critical']);

const isTime = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0;
const isIntIn = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

function fastTags(tags: unknown): string[] | undefined | false {
  if (tags === undefined) return undefined;
  if (!Array.isArray(tags) || tags.length > 64) return false;
  for (const tag of tags) {
    // Tags that would need trimming take the schema's path, which trims them.
    if (typeof tag !== 'string' || tag.length === 0 || tag.length > 128 || tag.trim() !== tag) return false;
  }
  return tags as string[];
}

/**
 * Validates a source report as {@link indicatorReportSchema} does, but without allocating for the
 * common case: a plain object whose fields are already in their canonical form (numbers for
 * times, lowercase TLP and severity, trimmed tags). Anything else (ISO time strings, `TLP:RED`,
 * `informational`, a reference URL, or an invalid report) takes the schema's path, so results and
 * error messages are the schema's own.
 */
export function parseReport(
  raw: unknown,
): { success: true; data: IndicatorReport } | { success: false; issue: string } {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const input = raw as Record<string, unknown>;
    const {
      value,
      type,
      severity,
      reputation,
      confidence,
      comments,
      safe,
      test,
      tlp,
      firstSeen,
      lastSeen,
      expiresAt,
      hits,
    } = input;
    const tags = fastTags(input.tags);
    if (
      typeof value === 'string' &&
      value.length > 0 &&
      value.length <= 16_384 &&
      (type === undefined || (typeof type === 'string' && types.has(type))) &&
      (severity === undefined || (typeof severity === 'string' && severities.has(severity))) &&
      (reputation === undefined || isIntIn(reputation, 1, 10)) &&
      (confidence === undefined || isIntIn(confidence, 0, 100)) &&
      (comments === undefined || (typeof comments === 'string' && comments.length <= 4_096)) &&
      input.externalUrl === undefined &&
      (safe === undefined || typeof safe === 'boolean') &&
      (test === undefined || typeof test === 'boolean') &&
      (tlp === undefined || (typeof tlp === 'string' && tlps.has(tlp))) &&
      (firstSeen === undefined || isTime(firstSeen)) &&
      (lastSeen === undefined || isTime(lastSeen)) &&
      (expiresAt === undefined || isTime(expiresAt)) &&
      (hits === undefined || isIntIn(hits, 0, Number.MAX_SAFE_INTEGER)) &&
      tags !== false
    ) {
      const data: IndicatorReport = { value };
      if (type !== undefined) data.type = type as IndicatorReport['type'];
      if (severity !== undefined) data.severity = severity as IndicatorReport['severity'];
      if (reputation !== undefined) data.reputation = reputation;
      if (confidence !== undefined) data.confidence = confidence;
      if (tags !== undefined) data.tags = tags;
      if (comments !== undefined) data.comments = comments;
      if (safe !== undefined) data.safe = safe;
      if (test !== undefined) data.test = test;
      if (tlp !== undefined) data.tlp = tlp as IndicatorReport['tlp'];
      if (firstSeen !== undefined) data.firstSeen = firstSeen;
      if (lastSeen !== undefined) data.lastSeen = lastSeen;
      if (expiresAt !== undefined) data.expiresAt = expiresAt;
      if (hits !== undefined) data.hits = hits;
      return { success: true, data };
    }
  }
  const parsed = indicatorReportSchema.safeParse(raw);
  if (parsed.success) return { success: true, data: parsed.data };
  const issue = parsed.error.issues[0];
  return { success: false, issue: `${issue?.path.join('.') || 'report'}: ${issue?.message ?? 'invalid'}` };
}
