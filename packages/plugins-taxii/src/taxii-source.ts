import {
  HttpError,
  type IndicatorKey,
  type IndicatorReportInput,
  indicatorKeyString,
  type PluginContext,
  type SourceCheckpoint,
  type ThreatSourceCapability,
} from '@ce/core';
import { normalizeIndicator } from '@ce/cte';
import { type StixObject, stixToIndicators } from '@ce/stix';
import type { TaxiiObject, TaxiiPollCheckpoint, TaxiiVersion } from '@ce/taxii';
import { pullTypesOf, type TaxiiPluginConfig } from './taxii-config.js';
import { cachedCollection, forgetCollection } from './taxii-connection.js';

/**
 * The checkpoint of a pull: the TAXII poll checkpoint (the last `date_added` delivered) and the
 * collection it belongs to, so pointing the configuration at another collection starts afresh.
 */
export interface TaxiiSourceCheckpoint extends TaxiiPollCheckpoint {
  /** Collection id the checkpoint belongs to. */
  collection: string;
}

/** What one page of STIX objects gave. */
export interface ConvertedTaxiiPage {
  /** Reports to ingest. */
  indicators: IndicatorReportInput[];
  /** Normalized keys the page revoked or let expire: to retract. */
  retracted: IndicatorKey[];
  /** Indicator objects whose pattern is not a plain list of values. */
  notReducible: Array<{ id: string; reason: string }>;
  /** Objects that could not be read (an unparsable pattern, a bad value). */
  issues: number;
  /** Reports left out for a confidence below `minConfidence`. */
  belowConfidence: number;
}

/** State key prefix of the values the collection revoked or let expire. */
export const retractedStatePrefix = 'retracted:';

const dayMs = 86_400_000;

function retractedKey(key: IndicatorKey): string {
  return `${retractedStatePrefix}${indicatorKeyString(key)}`;
}

function normalizedKey(type: IndicatorKey['type'] | undefined, value: string): IndicatorKey | undefined {
  const normalized = normalizeIndicator(value, type);
  return normalized.ok ? { type: normalized.type, value: normalized.value } : undefined;
}

/**
 * STIX 2.0 indicators have no `pattern_type` (every pattern is a STIX pattern) and carry their
 * indicator types in `labels`; this gives them the STIX 2.1 shape the converter reads.
 */
function asStix21(object: TaxiiObject): TaxiiObject {
  if (object.type !== 'indicator') return object;
  const upgraded: TaxiiObject = { ...object };
  if (upgraded.pattern_type === undefined) upgraded.pattern_type = 'stix';
  if (upgraded.indicator_types === undefined && Array.isArray(upgraded.labels))
    upgraded.indicator_types = upgraded.labels;
  return upgraded;
}

/**
 * Converts one page of TAXII objects to indicator reports. Revoked indicators and those whose
 * `valid_until` has passed become retractions; a value another object of the page still reports
 * stays active.
 */
export function convertTaxiiPage(
  objects: ReadonlyArray<TaxiiObject>,
  options: { version: TaxiiVersion; includeObservables: boolean; minConfidence?: number; now: number },
): ConvertedTaxiiPage {
  const input = options.version === '2.0' ? objects.map(asStix21) : objects;
  const result = stixToIndicators(input as unknown as ReadonlyArray<StixObject>, {
    includeObservables: options.includeObservables,
  });
  const indicators: IndicatorReportInput[] = [];
  const retracted = new Map<string, IndicatorKey>();
  const active = new Set<string>();
  let belowConfidence = 0;
  for (const report of result.indicators) {
    const expiresAt = typeof report.expiresAt === 'number' ? report.expiresAt : undefined;
    if (expiresAt !== undefined && expiresAt <= options.now) {
      const key = normalizedKey(report.type, report.value);
      if (key) retracted.set(indicatorKeyString(key), key);
      continue;
    }
    if (
      options.minConfidence !== undefined &&
      report.confidence !== undefined &&
      report.confidence < options.minConfidence
    ) {
      belowConfidence++;
      continue;
    }
    indicators.push(report);
    const key = normalizedKey(report.type, report.value);
    if (key) active.add(indicatorKeyString(key));
  }
  for (const revoked of result.revoked) {
    const key = normalizedKey(revoked.type, revoked.value);
    if (key) retracted.set(indicatorKeyString(key), key);
  }
  for (const key of active) retracted.delete(key);
  return {
    indicators,
    retracted: [...retracted.values()],
    notReducible: result.notReducible,
    issues: result.issues.length,
    belowConfidence,
  };
}

function checkpointFor(checkpoint: SourceCheckpoint | undefined, collectionId: string): string | undefined {
  if (typeof checkpoint !== 'object' || checkpoint === null || Array.isArray(checkpoint)) return undefined;
  const { collection, addedAfter } = checkpoint as Record<string, SourceCheckpoint>;
  return collection === collectionId && typeof addedAfter === 'string' ? addedAfter : undefined;
}

/**
 * The source side: polls the collection's objects added after the checkpoint (`added_after`,
 * paging with `next`), one batch per page, with the page's `X-TAXII-Date-Added-Last` in the
 * checkpoint so a crash resumes after the last stored page. Revoked and expired indicators are
 * remembered in the configuration's state and reported by `listRetracted`.
 */
export const taxiiSource: ThreatSourceCapability<TaxiiPluginConfig> = {
  mode: 'incremental',
  async *pull(context, checkpoint) {
    context.signal.throwIfAborted();
    const { config, logger, signal } = context;
    const { client, resolved } = await cachedCollection(context);
    const collectionId = resolved.collection.id;
    const start =
      checkpointFor(checkpoint, collectionId) ??
      new Date(context.clock.now() - config.initialRangeDays * dayMs).toISOString();
    const known = new Set(await context.state.keys(retractedStatePrefix));
    const totals = {
      pages: 0,
      objects: 0,
      indicators: 0,
      retracted: 0,
      notReducible: 0,
      issues: 0,
      belowConfidence: 0,
    };
    const notReducibleSamples: Array<{ id: string; reason: string }> = [];
    let addedAfter = start;
    try {
      for await (const page of client.pollObjects(resolved.apiRoot, collectionId, {
        addedAfter: start,
        limit: config.pageSize,
        match: { type: pullTypesOf(config) },
        signal,
      })) {
        const converted = convertTaxiiPage(page.objects, {
          version: resolved.version,
          includeObservables: config.includeObservables,
          ...(config.minConfidence === undefined ? {} : { minConfidence: config.minConfidence }),
          now: context.clock.now(),
        });
        await remember(context, converted, known);
        totals.pages++;
        totals.objects += page.objects.length;
        totals.indicators += converted.indicators.length;
        totals.retracted += converted.retracted.length;
        totals.notReducible += converted.notReducible.length;
        totals.issues += converted.issues;
        totals.belowConfidence += converted.belowConfidence;
        for (const item of converted.notReducible)
          if (notReducibleSamples.length < 5) notReducibleSamples.push(item);
        addedAfter = page.checkpoint.addedAfter ?? addedAfter;
        const next: TaxiiSourceCheckpoint = { collection: collectionId, addedAfter };
        yield { indicators: converted.indicators, checkpoint: { ...next } };
      }
    } catch (error) {
      // A collection that went away (or moved) is looked up again on the next run.
      if (HttpError.isInstance(error) && (error as HttpError).status === 404) await forgetCollection(context);
      throw error;
    }
    if (totals.notReducible > 0) {
      logger.info('TAXII indicators with patterns that are not a list of values were skipped', {
        count: totals.notReducible,
        samples: notReducibleSamples,
      });
    }
    logger.info('TAXII pull finished', { collection: collectionId, ...totals, addedAfter });
  },
  async listRetracted(context, keys) {
    const retracted: IndicatorKey[] = [];
    for (const key of keys) {
      context.signal.throwIfAborted();
      if ((await context.state.get(retractedKey(key))) !== undefined) retracted.push(key);
    }
    return retracted;
  },
};

/** Records what a page retracted, and forgets retractions of values the page reports again. */
async function remember(
  context: PluginContext<TaxiiPluginConfig>,
  page: ConvertedTaxiiPage,
  known: Set<string>,
): Promise<void> {
  const now = context.clock.now();
  for (const key of page.retracted) {
    const stateKey = retractedKey(key);
    await context.state.set(stateKey, now);
    known.add(stateKey);
  }
  if (known.size === 0) return;
  for (const report of page.indicators) {
    const key = normalizedKey(report.type, report.value);
    if (!key) continue;
    const stateKey = retractedKey(key);
    if (known.delete(stateKey)) await context.state.delete(stateKey);
  }
}
