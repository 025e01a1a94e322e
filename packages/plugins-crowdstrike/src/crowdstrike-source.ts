import {
  HttpError,
  type IndicatorBatch,
  type IndicatorKey,
  type IndicatorReportInput,
  type IndicatorSeverity,
  type IndicatorType,
  indicatorKeyString,
  type PluginContext,
  type SourceCheckpoint,
  type ThreatSourceCapability,
} from '@ce/core';
import {
  type CrowdStrikeIndicator,
  type CrowdStrikeIndicatorType,
  crowdStrikeApiPaths,
  crowdStrikeIndicatorTypes,
  fqlAnyOf,
  fqlString,
  indicatorEnvelopeSchema,
} from './crowdstrike-api.js';
import type { CrowdStrikeConfig } from './crowdstrike-config.js';
import { falconRequest } from './falcon-client.js';

/**
 * Where a pull resumes. `since` is the `modified_on` lower bound of the query in progress and
 * `after` its page cursor, so a crash resumes mid-pull with the same query; `highWater` is the
 * latest `modified_on` seen, which becomes the next query's `since` once this one completes.
 */
export interface CrowdStrikeCheckpoint {
  /** Lower bound (inclusive) of `modified_on`, RFC 3339. */
  since: string;
  /** Cursor of the next page of the query bounded by `since`; absent between pulls. */
  after?: string;
  /** Latest `modified_on` seen so far, RFC 3339. */
  highWater: string;
}

const dayMs = 86_400_000;
const retractedLookupChunk = 100;

const severityFromFalcon: Record<string, IndicatorSeverity> = {
  informational: 'unknown',
  low: 'low',
  medium: 'medium',
  high: 'high',
  critical: 'critical',
};

// Falcon's verdict as the exchange's 1-10 reputation: blocking means the tenant's analysts judged
// it malicious, detecting means suspicious, allowing means benign.
const reputationFromAction: Record<string, number> = {
  prevent: 10,
  prevent_no_ui: 10,
  detect: 8,
  allow: 1,
};

function isFalconType(type: string | undefined): type is CrowdStrikeIndicatorType {
  return (crowdStrikeIndicatorTypes as ReadonlyArray<string>).includes(type ?? '');
}

function toTimestamp(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

function isCheckpoint(
  value: SourceCheckpoint | undefined,
): value is SourceCheckpoint & CrowdStrikeCheckpoint {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.since === 'string' &&
    typeof record.highWater === 'string' &&
    (record.after === undefined || typeof record.after === 'string')
  );
}

/** Builds the FQL filter of a pull from the settings and the `modified_on` lower bound. */
export function buildPullFilter(config: CrowdStrikeConfig, since: string): string {
  const { pull, push } = config;
  const parts = [fqlAnyOf('type', pull.types), `modified_on:>=${fqlString(since)}`, 'deleted:false'];
  if (!pull.includeExpired) parts.push('expired:false');
  if (pull.sources.length > 0) parts.push(fqlAnyOf('source', pull.sources));
  if (pull.excludeOwnSource) parts.push(`source:!${fqlString(push.source)}`);
  if (pull.createdSince) parts.push(`created_on:>=${fqlString(new Date(pull.createdSince).toISOString())}`);
  return parts.join('+');
}

/** Maps a Falcon indicator to a source report; `undefined` for one the exchange cannot hold. */
export function toIndicatorReport(indicator: CrowdStrikeIndicator): IndicatorReportInput | undefined {
  if (!indicator.value || !isFalconType(indicator.type)) return undefined;
  const tags = [...new Set((indicator.tags ?? []).map((tag) => tag.trim()).filter((tag) => tag.length > 0))]
    .filter((tag) => tag.length <= 128)
    .slice(0, 64);
  const severity = severityFromFalcon[indicator.severity ?? ''];
  const reputation = reputationFromAction[indicator.action ?? ''];
  const firstSeen = toTimestamp(indicator.created_on);
  const lastSeen = toTimestamp(indicator.modified_on) ?? firstSeen;
  const expiresAt = toTimestamp(indicator.expiration);
  return {
    value: indicator.value,
    type: indicator.type as IndicatorType,
    ...(severity ? { severity } : {}),
    ...(reputation === undefined ? {} : { reputation }),
    ...(indicator.action === 'allow' ? { safe: true } : {}),
    ...(tags.length > 0 ? { tags } : {}),
    ...(indicator.description ? { comments: indicator.description.slice(0, 4_096) } : {}),
    ...(firstSeen === undefined ? {} : { firstSeen }),
    ...(lastSeen === undefined ? {} : { lastSeen }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}

/**
 * Pulls custom IOCs changed since the checkpoint, oldest change first, one page per batch
 * (`GET /iocs/combined/indicator/v1` with an FQL filter, `sort=modified_on|asc` and the `after`
 * cursor). Each batch's checkpoint carries the cursor, so a crash resumes on the next page of the
 * same query; a cursor that expired meanwhile restarts that query (the repeats are harmless).
 */
export async function* pullIndicators(
  context: PluginContext<CrowdStrikeConfig>,
  checkpoint: SourceCheckpoint | undefined,
): AsyncGenerator<IndicatorBatch> {
  const { config } = context;
  const resume = isCheckpoint(checkpoint) ? checkpoint : undefined;
  const initialSince = new Date(context.clock.now() - config.pull.initialRangeDays * dayMs).toISOString();
  const since = resume ? (resume.after ? resume.since : resume.highWater) : initialSince;
  let highWater = resume?.highWater ?? since;
  let highWaterMs = Date.parse(highWater);
  let after = resume?.after;
  const filter = buildPullFilter(config, since);
  let pages = 0;
  let pulled = 0;
  for (;;) {
    let page: Awaited<ReturnType<typeof fetchPage>>;
    try {
      page = await fetchPage(context, filter, after);
    } catch (error) {
      // Falcon's cursors expire; a stale one from a checkpoint answers 400. Restart the query.
      if (
        after !== undefined &&
        pages === 0 &&
        HttpError.isInstance(error) &&
        (error as HttpError).status === 400
      ) {
        context.logger.warn('falcon pull cursor rejected, restarting the query', { since });
        after = undefined;
        continue;
      }
      throw error;
    }
    pages += 1;
    const resources = page.body.resources ?? [];
    const indicators: IndicatorReportInput[] = [];
    let skipped = 0;
    for (const resource of resources) {
      // Compared as instants: Falcon's fractional seconds vary in length, so strings do not sort.
      const modified = toTimestamp(resource.modified_on);
      if (modified !== undefined && !(modified <= highWaterMs)) {
        highWaterMs = modified;
        highWater = new Date(modified).toISOString();
      }
      const report = toIndicatorReport(resource);
      if (report) indicators.push(report);
      else skipped += 1;
    }
    pulled += indicators.length;
    if (skipped > 0) context.logger.debug('falcon indicators skipped', { skipped });
    const next = page.body.meta.pagination?.after;
    const done = !next || resources.length === 0;
    const batchCheckpoint: CrowdStrikeCheckpoint = done
      ? { since: highWater, highWater }
      : { since, after: next, highWater };
    yield { indicators, checkpoint: { ...batchCheckpoint } };
    if (done) break;
    after = next;
  }
  context.logger.info('falcon pull finished', { pages, indicators: pulled });
}

function fetchPage(context: PluginContext<CrowdStrikeConfig>, filter: string, after: string | undefined) {
  return falconRequest(context, {
    method: 'GET',
    path: crowdStrikeApiPaths.combinedIndicators,
    query: {
      filter,
      limit: context.config.pull.pageSize,
      sort: 'modified_on|asc',
      ...(after ? { after } : {}),
    },
    schema: indicatorEnvelopeSchema,
  });
}

/**
 * Of the given indicators, those the tenant no longer holds: deleted, expired, or gone. Looks
 * values up in chunks with `GET /iocs/combined/indicator/v1?filter=value:[...]+deleted:false`.
 * Types Falcon cannot hold are never reported by this source and are left out.
 */
export async function listRetractedIndicators(
  context: PluginContext<CrowdStrikeConfig>,
  keys: ReadonlyArray<IndicatorKey>,
): Promise<IndicatorKey[]> {
  const candidates = keys.filter((key) => isFalconType(key.type));
  const active = new Set<string>();
  for (let start = 0; start < candidates.length; start += retractedLookupChunk) {
    const chunk = candidates.slice(start, start + retractedLookupChunk);
    const values = [...new Set(chunk.map((key) => key.value))];
    let after: string | undefined;
    do {
      const page = await falconRequest(context, {
        method: 'GET',
        path: crowdStrikeApiPaths.combinedIndicators,
        query: {
          filter: `${fqlAnyOf('value', values)}+deleted:false`,
          limit: 2_000,
          ...(after ? { after } : {}),
        },
        schema: indicatorEnvelopeSchema,
      });
      for (const resource of page.body.resources ?? []) {
        if (resource.expired || !resource.type || !resource.value) continue;
        active.add(`${resource.type}:${resource.value.toLowerCase()}`);
      }
      const resources = page.body.resources ?? [];
      after = resources.length > 0 ? page.body.meta.pagination?.after || undefined : undefined;
    } while (after);
  }
  return candidates.filter(
    (key) => !active.has(indicatorKeyString({ ...key, value: key.value.toLowerCase() })),
  );
}

/** The source capability: incremental pulls of the tenant's custom IOCs. */
export const crowdStrikeSource: ThreatSourceCapability<CrowdStrikeConfig> = {
  mode: 'incremental',
  pull: pullIndicators,
  listRetracted: listRetractedIndicators,
};
