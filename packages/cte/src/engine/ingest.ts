import type {
  IndicatorKey,
  IndicatorReport,
  IndicatorType,
  IocStore,
  SourceRecord,
  StoredIndicator,
  Suppression,
} from '@ce/core';
import type { DecayModel } from '../aging/decay.js';
import { normalizeIndicator } from '../normalize/normalize-indicator.js';
import { computeState } from './indicator-state.js';
import { emptyIngestReport, type IngestReport, recordRejection } from './ingest-report.js';
import { parseReport } from './parse-report.js';
import { reconcile, type SourcePolicyLookup } from './reconcile.js';
import type { IndicatorPolicy } from './source-policy.js';
import { applyReport } from './source-record.js';

/** Matches normalized values against warninglists. */
export interface SuppressionCheck {
  match(type: IndicatorType, value: string): Suppression | undefined;
}

/** What the ingest pipeline works with. */
export interface IngestContext {
  store: IocStore;
  now: number;
  policy: IndicatorPolicy;
  sourcePolicies: SourcePolicyLookup;
  decay: DecayModel | undefined;
  warninglists: SuppressionCheck;
}

/** The keys of the indicators an ingest wrote, split by what happened to them. */
export interface IngestChanges {
  added: IndicatorKey[];
  updated: IndicatorKey[];
}

/**
 * Ingests one batch from one source: validates and normalizes each report, checks warninglists,
 * folds it into the stored indicator, reconciles the merged view, and writes the batch in one
 * transaction. Bad reports are rejected with a reason and the rest goes through.
 */
export async function ingestBatch(
  context: IngestContext,
  sourceId: string,
  reports: ReadonlyArray<unknown>,
): Promise<{ report: IngestReport; changes: IngestChanges }> {
  const report = emptyIngestReport(sourceId);
  report.received = reports.length;
  // Parallel arrays and an index map: one allocation per indicator fewer than entry objects.
  const keys: IndicatorKey[] = [];
  const incoming: IndicatorReport[] = [];
  // Per-type maps keyed by value: no `type:value` string to build for every report.
  const indexOf = new Map<string, Map<string, number>>();
  for (const raw of reports) {
    const parsed = parseReport(raw);
    if (!parsed.success) {
      const value = typeof raw === 'object' && raw !== null ? (raw as { value?: unknown }).value : raw;
      recordRejection(report, value, 'invalid-report', parsed.issue);
      continue;
    }
    const normalized = normalizeIndicator(parsed.data.value, parsed.data.type);
    if (!normalized.ok) {
      recordRejection(report, parsed.data.value, normalized.code, normalized.reason);
      continue;
    }
    let ofType = indexOf.get(normalized.type);
    if (!ofType) {
      ofType = new Map();
      indexOf.set(normalized.type, ofType);
    }
    const seen = ofType.get(normalized.value);
    if (seen !== undefined) {
      // A later report of the same indicator in one batch wins.
      report.duplicates++;
      incoming[seen] = parsed.data;
      continue;
    }
    ofType.set(normalized.value, keys.length);
    keys.push(normalized);
    incoming.push(parsed.data);
  }
  const existing = keys.length > 0 ? await context.store.getMany(keys) : [];
  const writes: Array<Omit<StoredIndicator, 'sequence'>> = [];
  const kinds: Array<'added' | 'updated' | 'unchanged'> = [];
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index] as IndicatorKey;
    const previous = existing[index];
    const next = foldReport(context, key, previous, sourceId, incoming[index] as IndicatorReport);
    if (next.suppressedBy) {
      report.suppressed.count++;
      report.suppressed.byList[next.suppressedBy.listId] =
        (report.suppressed.byList[next.suppressedBy.listId] ?? 0) + 1;
    }
    const kind = previous === undefined ? 'added' : contentChanged(previous, next) ? 'updated' : 'unchanged';
    report[kind === 'added' ? 'new' : kind]++;
    writes.push(next);
    kinds.push(kind);
  }
  if (writes.length > 0) await context.store.putMany(writes);
  const changes: IngestChanges = { added: [], updated: [] };
  for (let index = 0; index < kinds.length; index++) {
    const kind = kinds[index];
    const key = keys[index] as IndicatorKey;
    if (kind === 'added') changes.added.push({ type: key.type, value: key.value });
    else if (kind === 'updated') changes.updated.push({ type: key.type, value: key.value });
  }
  return { report, changes };
}

/** Builds the next version of an indicator after a source reported it. */
export function foldReport(
  context: Pick<IngestContext, 'now' | 'policy' | 'sourcePolicies' | 'decay' | 'warninglists'>,
  key: IndicatorKey,
  previous: StoredIndicator | undefined,
  sourceId: string,
  incoming: IndicatorReport,
): Omit<StoredIndicator, 'sequence'> {
  const policy = context.sourcePolicies(sourceId);
  if (!previous)
    return rebuild(context, key, undefined, [
      applyReport(undefined, incoming, sourceId, policy, context.now),
    ]);
  const sources: SourceRecord[] = [...previous.sources];
  const at = sources.findIndex((record) => record.sourceId === sourceId);
  const record = applyReport(at >= 0 ? sources[at] : undefined, incoming, sourceId, policy, context.now);
  if (at >= 0) sources[at] = record;
  else {
    sources.push(record);
    sources.sort((a, b) => (a.sourceId < b.sourceId ? -1 : a.sourceId > b.sourceId ? 1 : 0));
  }
  return rebuild(context, key, previous, sources);
}

/** Recomputes the merged view, state and suppression of an indicator from its source records. */
export function rebuild(
  context: Pick<IngestContext, 'now' | 'policy' | 'sourcePolicies' | 'decay' | 'warninglists'>,
  key: IndicatorKey,
  previous:
    | Pick<StoredIndicator, 'active' | 'inactiveReason' | 'inactiveSince' | 'sightings' | 'createdAt'>
    | undefined,
  sources: SourceRecord[],
): Omit<StoredIndicator, 'sequence'> {
  const merged = reconcile(sources, context.policy, context.sourcePolicies);
  const state = computeState(
    { type: key.type, sources, merged },
    previous,
    context.policy,
    context.sourcePolicies,
    context.decay,
    context.now,
  );
  const next = {
    type: key.type,
    value: key.value,
    sources,
    merged,
    active: state.active,
    sightings: previous?.sightings ?? { total: 0, systems: [] },
    createdAt: previous?.createdAt ?? context.now,
    updatedAt: context.now,
  } as Omit<StoredIndicator, 'sequence'>;
  if (state.expiresAt !== undefined) next.expiresAt = state.expiresAt;
  if (state.decayScore !== undefined) next.decayScore = state.decayScore;
  if (state.inactiveReason !== undefined) {
    next.inactiveReason = state.inactiveReason;
    next.inactiveSince = state.inactiveSince as number;
  }
  const suppression = context.warninglists.match(key.type, key.value);
  if (suppression) next.suppressedBy = suppression;
  return next;
}

/**
 * Whether an indicator changed in a way that matters beyond bookkeeping: last seen, hit counts,
 * expiry and update time move on every re-report and do not count.
 */
export function contentChanged(previous: StoredIndicator, next: Omit<StoredIndicator, 'sequence'>): boolean {
  if (previous.active !== next.active || previous.inactiveReason !== next.inactiveReason) return true;
  if (previous.suppressedBy?.listId !== next.suppressedBy?.listId) return true;
  if (previous.sources.length !== next.sources.length) return true;
  const a = previous.merged;
  const b = next.merged;
  if (
    a.severity !== b.severity ||
    a.reputation !== b.reputation ||
    a.confidence !== b.confidence ||
    a.safe !== b.safe ||
    a.test !== b.test ||
    a.tlp !== b.tlp ||
    a.comments !== b.comments ||
    a.externalUrl !== b.externalUrl ||
    a.tags.length !== b.tags.length ||
    a.verdict?.sourceId !== b.verdict?.sourceId
  ) {
    return true;
  }
  for (let i = 0; i < a.tags.length; i++) if (a.tags[i] !== b.tags[i]) return true;
  for (let i = 0; i < previous.sources.length; i++) {
    const before = previous.sources[i] as SourceRecord;
    const after = next.sources[i] as SourceRecord;
    if (before.sourceId !== after.sourceId || before.withdrawnAt !== after.withdrawnAt) return true;
  }
  return false;
}
