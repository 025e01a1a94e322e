import type { IndicatorKey, IocStore, StoredIndicator } from '@ce/core';
import { type IngestContext, rebuild } from '../engine/ingest.js';
import { scanIndicators } from '../engine/scan-indicators.js';

/** What one aging run did. */
export interface AgingReport {
  /** Indicators that became inactive because they expired or decayed. */
  expired: number;
  /** Inactive indicators deleted after the retention period. */
  purged: number;
  /** Inactive indicators past retention kept because a destination still holds them. */
  retained: number;
}

const pageSize = 5_000;

/**
 * Ages the store: indicators past their expiry (or under the decay threshold) become inactive,
 * which the sharing runs turn into retractions; inactive indicators past the retention period
 * are deleted, unless a destination still holds them (a retraction is owed).
 */
export async function runAging(
  context: Omit<IngestContext, 'now'> & { now: number },
  onExpired: (indicators: StoredIndicator[]) => void,
): Promise<AgingReport> {
  const report: AgingReport = { expired: 0, purged: 0, retained: 0 };
  for (;;) {
    const page = await context.store.query({ active: true, expiresBefore: context.now }, { limit: pageSize });
    if (page.items.length === 0) break;
    const next = page.items.map((indicator) => rebuild(context, indicator, indicator, indicator.sources));
    const stored = await context.store.putMany(next);
    const expired = stored.filter((indicator) => !indicator.active);
    report.expired += expired.length;
    if (expired.length > 0) onExpired(expired);
    // Every rebuilt indicator leaves the query: it is inactive now, or its expiry moved into the
    // future because a source saw it again meanwhile. So each page makes progress.
  }
  report.purged += await purge(context.store, context.now - context.policy.retention, report);
  return report;
}

async function purge(store: IocStore, before: number, report: AgingReport): Promise<number> {
  let purged = 0;
  for await (const page of scanIndicators(store, { active: false, inactiveBefore: before }, pageSize)) {
    const deletable: IndicatorKey[] = [];
    for (const indicator of page) {
      const states = await store.destinationStatesOf(indicator);
      if (states.some((state) => state.status === 'shared')) report.retained++;
      else deletable.push({ type: indicator.type, value: indicator.value });
    }
    if (deletable.length > 0) purged += await store.deleteMany(deletable);
  }
  return purged;
}

/**
 * After a complete pull of a full-list source: marks as withdrawn, for that source, every
 * indicator it reported before the pull began and not during it. Returns the indicators written.
 */
export async function withdrawUnreported(
  context: IngestContext,
  sourceId: string,
  pullStartedAt: number,
): Promise<StoredIndicator[]> {
  const written: StoredIndicator[] = [];
  for await (const page of scanIndicators(context.store, { sourceId }, pageSize)) {
    const changed: Array<Omit<StoredIndicator, 'sequence'>> = [];
    for (const indicator of page) {
      const record = indicator.sources.find((source) => source.sourceId === sourceId);
      if (
        !record ||
        record.withdrawnAt !== undefined ||
        (record.reportedAt ?? record.lastSeen) >= pullStartedAt
      )
        continue;
      const sources = indicator.sources.map((source) =>
        source === record ? { ...source, withdrawnAt: context.now } : source,
      );
      changed.push(rebuild(context, indicator, indicator, sources));
    }
    if (changed.length > 0) written.push(...(await context.store.putMany(changed)));
  }
  return written;
}
