import {
  type IndicatorSeverity,
  indicatorSeverities,
  type MergedIndicator,
  type SourceRecord,
  type Tlp,
  tlpRank,
  type VerdictDecision,
} from '@ce/core';
import type { IndicatorPolicy, MergeStrategy, SourcePolicy } from './source-policy.js';

/** Looks up the policy of a source. */
export type SourcePolicyLookup = (sourceId: string) => SourcePolicy;

const severityRankOf = (severity: IndicatorSeverity): number => indicatorSeverities.indexOf(severity);

/** Orders records: most trusted (lowest rank) first, then latest last seen, then source id. */
function byTrust(policies: SourcePolicyLookup) {
  return (a: SourceRecord, b: SourceRecord): number =>
    policies(a.sourceId).rank - policies(b.sourceId).rank ||
    b.lastSeen - a.lastSeen ||
    (a.sourceId < b.sourceId ? -1 : 1);
}

function byLatest(a: SourceRecord, b: SourceRecord): number {
  return b.lastSeen - a.lastSeen || (a.sourceId < b.sourceId ? -1 : 1);
}

function pick<T>(
  records: ReadonlyArray<SourceRecord>,
  strategy: MergeStrategy,
  policies: SourcePolicyLookup,
  value: (record: SourceRecord) => T,
  higher: (a: T, b: T) => boolean,
): T {
  let best = records[0] as SourceRecord;
  for (const record of records) {
    const better =
      strategy === 'highest'
        ? higher(value(record), value(best)) || (value(record) === value(best) && byLatest(record, best) < 0)
        : strategy === 'latest'
          ? byLatest(record, best) < 0
          : byTrust(policies)(record, best) < 0;
    if (better) best = record;
  }
  return value(best);
}

function weightedConfidence(
  records: ReadonlyArray<SourceRecord>,
  policies: SourcePolicyLookup,
): number | undefined {
  let sum = 0;
  let weights = 0;
  for (const record of records) {
    if (record.confidence === undefined) continue;
    const weight = policies(record.sourceId).weight;
    sum += record.confidence * weight;
    weights += weight;
  }
  if (weights > 0) return Math.round(sum / weights);
  return records.find((record) => record.confidence !== undefined)?.confidence;
}

function decideVerdict(
  records: ReadonlyArray<SourceRecord>,
  policies: SourcePolicyLookup,
): { safe: boolean; verdict?: VerdictDecision } {
  const safeSources = records.filter((record) => record.safe);
  if (safeSources.length === 0) return { safe: false };
  if (safeSources.length === records.length) return { safe: true };
  const winner = [...records].sort(byTrust(policies))[0] as SourceRecord;
  const verdict = winner.safe ? 'safe' : 'malicious';
  const overruled = records.filter((record) => record.safe !== winner.safe).map((record) => record.sourceId);
  const rank = policies(winner.sourceId).rank;
  const tiedRank = records.some(
    (record) => record.safe !== winner.safe && policies(record.sourceId).rank === rank,
  );
  return {
    safe: winner.safe,
    verdict: {
      sourceId: winner.sourceId,
      verdict,
      overruled,
      reason: tiedRank
        ? `sources of equal trust (rank ${rank}) disagree; the latest report, from "${winner.sourceId}", decides`
        : `"${winner.sourceId}" (trust rank ${rank}) is the most trusted source reporting it`,
    },
  };
}

/**
 * Computes the merged view of an indicator from its source records. Withdrawn records are left
 * out unless every record is withdrawn. Tags are the union of the sources' tags; TLP the most
 * restrictive; first seen the earliest and last seen the latest; severity and reputation by the
 * policy's strategies; confidence the weighted average; safe versus malicious by the most trusted
 * source, with the decision recorded when sources disagree.
 */
export function reconcile(
  sources: ReadonlyArray<SourceRecord>,
  policy: Pick<IndicatorPolicy, 'severityStrategy' | 'reputationStrategy'>,
  policies: SourcePolicyLookup,
): MergedIndicator {
  const current = sources.filter((record) => record.withdrawnAt === undefined);
  const records = current.length > 0 ? current : sources;
  if (records.length === 0) throw new RangeError('an indicator needs at least one source record');
  if (records.length === 1) return fromOneSource(records[0] as SourceRecord);
  const severity = pick(
    records,
    policy.severityStrategy,
    policies,
    (r) => r.severity,
    (a, b) => severityRankOf(a) > severityRankOf(b),
  );
  const reputation = pick(
    records,
    policy.reputationStrategy,
    policies,
    (r) => r.reputation,
    (a, b) => a > b,
  );
  const tagSet = new Set<string>();
  let tlp: Tlp | undefined;
  let firstSeen = Number.POSITIVE_INFINITY;
  let lastSeen = 0;
  for (const record of records) {
    for (const tag of record.tags) tagSet.add(tag);
    if (record.tlp && (tlp === undefined || tlpRank(record.tlp) > tlpRank(tlp))) tlp = record.tlp;
    if (record.firstSeen < firstSeen) firstSeen = record.firstSeen;
    if (record.lastSeen > lastSeen) lastSeen = record.lastSeen;
  }
  const trusted = [...records].sort(byTrust(policies));
  const comments = trusted.find((record) => record.comments)?.comments;
  const externalUrl = trusted.find((record) => record.externalUrl)?.externalUrl;
  const confidence = weightedConfidence(records, policies);
  const { safe, verdict } = decideVerdict(records, policies);
  const merged: MergedIndicator = {
    severity,
    reputation,
    tags: [...tagSet].sort(),
    safe,
    test: records.some((record) => record.test),
    firstSeen,
    lastSeen,
  };
  if (confidence !== undefined) merged.confidence = confidence;
  if (comments !== undefined) merged.comments = comments;
  if (externalUrl !== undefined) merged.externalUrl = externalUrl;
  if (tlp !== undefined) merged.tlp = tlp;
  if (verdict) merged.verdict = verdict;
  return merged;
}

/** The merged view when one source speaks: its record as it is (the common case, kept cheap). */
function fromOneSource(record: SourceRecord): MergedIndicator {
  const merged: MergedIndicator = {
    severity: record.severity,
    reputation: record.reputation,
    tags: record.tags,
    safe: record.safe,
    test: record.test,
    firstSeen: record.firstSeen,
    lastSeen: record.lastSeen,
  };
  if (record.confidence !== undefined) merged.confidence = record.confidence;
  if (record.comments !== undefined) merged.comments = record.comments;
  if (record.externalUrl !== undefined) merged.externalUrl = record.externalUrl;
  if (record.tlp !== undefined) merged.tlp = record.tlp;
  return merged;
}
