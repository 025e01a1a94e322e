import type { IndicatorReport, SourceRecord } from '@ce/core';
import type { SourcePolicy } from './source-policy.js';

/**
 * Folds one report into what a source said before. Values the report carries replace the old
 * ones (a source's latest word counts); first seen only moves earlier and last seen only later;
 * hits take the source's own count when it gives one, and otherwise count reports.
 */
export function applyReport(
  previous: SourceRecord | undefined,
  report: IndicatorReport,
  sourceId: string,
  policy: SourcePolicy,
  now: number,
): SourceRecord {
  const seenAt = report.lastSeen ?? now;
  const reportedTags = report.tags ? [...report.tags, ...policy.tags] : policy.tags;
  const tags =
    previous && policy.tagMode === 'append'
      ? mergeTags(previous.tags, reportedTags)
      : report.tags || !previous
        ? mergeTags([], reportedTags)
        : previous.tags;
  const record: SourceRecord = {
    sourceId,
    firstSeen: Math.min(previous?.firstSeen ?? Number.POSITIVE_INFINITY, report.firstSeen ?? seenAt),
    lastSeen: Math.max(previous?.lastSeen ?? 0, seenAt),
    severity: report.severity ?? previous?.severity ?? 'unknown',
    reputation: report.reputation ?? previous?.reputation ?? policy.defaultReputation,
    tags,
    safe: report.safe ?? previous?.safe ?? false,
    test: report.test ?? previous?.test ?? false,
    hits: report.hits ?? (previous?.hits ?? 0) + 1,
    reportedAt: now,
  };
  const confidence = report.confidence ?? previous?.confidence;
  if (confidence !== undefined) record.confidence = confidence;
  const comments = report.comments ?? previous?.comments;
  if (comments !== undefined) record.comments = comments;
  const externalUrl = report.externalUrl ?? previous?.externalUrl;
  if (externalUrl !== undefined) record.externalUrl = externalUrl;
  const tlp = report.tlp ?? previous?.tlp;
  if (tlp !== undefined) record.tlp = tlp;
  const expiresAt = report.expiresAt ?? previous?.expiresAt;
  if (expiresAt !== undefined) record.expiresAt = expiresAt;
  // A report is proof the source still lists it: a withdrawal is undone by omission.
  return record;
}

function mergeTags(previous: ReadonlyArray<string>, added: ReadonlyArray<string>): string[] {
  if (added.length === 0) return previous.length === 0 ? [] : [...previous];
  if (previous.length === 0 && isSortedUnique(added)) return [...added];
  const set = new Set(previous);
  for (const tag of added) set.add(tag);
  return [...set].sort();
}

function isSortedUnique(tags: ReadonlyArray<string>): boolean {
  for (let i = 1; i < tags.length; i++) if ((tags[i - 1] as string) >= (tags[i] as string)) return false;
  return true;
}
