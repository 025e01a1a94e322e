import type {
  IndicatorBatch,
  IndicatorKey,
  IndicatorReportInput,
  PluginContext,
  SourceCheckpoint,
  ThreatSourceCapability,
} from '@ce/core';
import type { MispAttribute, MispEvent, MispTag } from './misp-api.js';
import {
  createMispClient,
  type MispAttributeSearch,
  type MispClient,
  type MispTagFilter,
} from './misp-client.js';
import type { MispConfig } from './misp-config.js';
import { attributeToReports, attributeValues, type MispEventContext } from './misp-mapping.js';

/**
 * Where an API pull resumes (epoch seconds). `since` bounds the restSearch in progress
 * (`attribute_timestamp >= since`) and `page` is its next page, so a crash resumes mid-pull with
 * the same query; `highWater` is the latest attribute `timestamp` seen, the next query's `since`
 * once this one completes. MISP timestamps are whole seconds, so the next query re-reads the
 * attributes of that last second; the exchange ignores repeats.
 */
export interface MispApiCheckpoint {
  kind: 'api';
  since: number;
  /** Next page of the query bounded by `since`; absent between pulls. */
  page?: number;
  highWater: number;
}

/**
 * Where a feed pull resumes: the manifest `timestamp` of the last event read (epoch seconds) and
 * the uuids of the events read with exactly that timestamp. An event is read again when its
 * manifest timestamp grows past `since`.
 */
export interface MispFeedCheckpoint {
  kind: 'feed';
  since: number;
  seen: string[];
}

/** A checkpoint of either mode. */
export type MispCheckpoint = MispApiCheckpoint | MispFeedCheckpoint;

const daySeconds = 86_400;
const retractedLookupChunk = 100;
const eventLookupChunk = 100;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function apiCheckpointOf(value: SourceCheckpoint | undefined): MispApiCheckpoint | undefined {
  if (!isRecord(value) || value.kind !== 'api') return undefined;
  const { since, page, highWater } = value;
  if (typeof since !== 'number' || typeof highWater !== 'number') return undefined;
  if (page !== undefined && (typeof page !== 'number' || page < 1)) return undefined;
  return { kind: 'api', since, highWater, ...(page === undefined ? {} : { page }) };
}

function feedCheckpointOf(value: SourceCheckpoint | undefined): MispFeedCheckpoint | undefined {
  if (!isRecord(value) || value.kind !== 'feed') return undefined;
  const { since, seen } = value;
  if (typeof since !== 'number' || !Array.isArray(seen) || !seen.every((uuid) => typeof uuid === 'string'))
    return undefined;
  return { kind: 'feed', since, seen: seen as string[] };
}

function nowSeconds(context: PluginContext<MispConfig>): number {
  return Math.floor(context.clock.now() / 1_000);
}

/** The restSearch tag filter of the settings: `OR` the included tags, `NOT` the excluded ones. */
export function pullTagFilter(config: MispConfig): MispTagFilter | undefined {
  const { pull, push } = config;
  const not = [...pull.excludeTags, ...(pull.excludeOwnPushes ? [push.markerTag] : [])];
  const filter: { OR?: string[]; NOT?: string[] } = {
    ...(pull.includeTags.length > 0 ? { OR: [...pull.includeTags] } : {}),
    ...(not.length > 0 ? { NOT: [...new Set(not)] } : {}),
  };
  return filter.OR || filter.NOT ? filter : undefined;
}

/** The restSearch filters of a pull, without paging and time bounds. */
export function pullSearchFilters(config: MispConfig): MispAttributeSearch {
  const { pull } = config;
  const tags = pullTagFilter(config);
  return {
    type: pull.types,
    ...(pull.categories.length > 0 ? { category: pull.categories } : {}),
    ...(tags ? { tags } : {}),
    ...(pull.toIdsOnly ? { to_ids: true } : {}),
    ...(pull.publishedOnly ? { published: true } : {}),
    ...(pull.eventIds.length > 0 ? { eventid: pull.eventIds } : {}),
    enforceWarninglist: pull.enforceWarninglist,
    includeEventTags: true,
    ...(pull.includeDecayScore || pull.excludeDecayed ? { includeDecayScore: true } : {}),
    ...(pull.excludeDecayed ? { excludeDecayed: true } : {}),
  };
}

function eventContext(event: MispEvent | undefined, attribute: MispAttribute): MispEventContext {
  const id = event?.id ?? attribute.Event?.id ?? attribute.event_id;
  const info = event?.info ?? attribute.Event?.info;
  // Attributes carry the event's tags (`inherited`) when restSearch copied them; otherwise use
  // the event's own list.
  const inherited = (attribute.Tag ?? []).some((tag) => tag.inherited === true);
  return {
    ...(id === undefined ? {} : { id: String(id) }),
    ...(info ? { info } : {}),
    ...(event?.threat_level_id ? { threatLevelId: String(event.threat_level_id) } : {}),
    ...(event?.Tag && !inherited ? { tags: event.Tag } : {}),
  };
}

/** Reads the events of a page that are not cached yet (threat level, tags), by id, in chunks. */
async function loadEvents(
  misp: MispClient,
  attributes: ReadonlyArray<MispAttribute>,
  cache: Map<string, MispEvent | undefined>,
): Promise<void> {
  const missing = [
    ...new Set(
      attributes
        .map((attribute) => attribute.Event?.id ?? attribute.event_id)
        .filter((id): id is string => typeof id === 'string' && !cache.has(id)),
    ),
  ];
  for (let start = 0; start < missing.length; start += eventLookupChunk) {
    const chunk = missing.slice(start, start + eventLookupChunk);
    const events = await misp.searchEvents({ eventid: chunk, metadata: true, page: 1, limit: chunk.length });
    for (const id of chunk) cache.set(id, undefined);
    for (const event of events) if (event.id !== undefined) cache.set(String(event.id), event);
  }
}

/**
 * Pulls attributes changed since the checkpoint through `POST /attributes/restSearch`, one page
 * per batch, with the event of each attribute read once (`POST /events/restSearch`, metadata
 * only) for its threat level.
 */
async function* pullFromApi(
  context: PluginContext<MispConfig>,
  checkpoint: SourceCheckpoint | undefined,
): AsyncGenerator<IndicatorBatch> {
  const { config } = context;
  const misp = createMispClient(context);
  const resume = apiCheckpointOf(checkpoint);
  const initialSince = nowSeconds(context) - config.pull.initialRangeDays * daySeconds;
  const since = resume ? (resume.page ? resume.since : resume.highWater) : initialSince;
  let highWater = resume?.highWater ?? since;
  let page = resume?.page ?? 1;
  const filters = pullSearchFilters(config);
  const limit = config.pull.pageSize;
  const events = new Map<string, MispEvent | undefined>();
  let pulled = 0;
  for (;;) {
    context.signal.throwIfAborted();
    const attributes = await misp.searchAttributes({ ...filters, attribute_timestamp: since, page, limit });
    await loadEvents(misp, attributes, events);
    const indicators: IndicatorReportInput[] = [];
    for (const attribute of attributes) {
      if (attribute.timestamp !== undefined && attribute.timestamp > highWater)
        highWater = attribute.timestamp;
      if (attribute.deleted) continue;
      const eventId = attribute.Event?.id ?? attribute.event_id;
      const event = eventId === undefined ? undefined : events.get(String(eventId));
      indicators.push(
        ...attributeToReports(attribute, {
          ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}),
          event: eventContext(event, attribute),
        }),
      );
    }
    pulled += indicators.length;
    const done = attributes.length < limit;
    const next: MispApiCheckpoint = done
      ? { kind: 'api', since: highWater, highWater }
      : { kind: 'api', since, page: page + 1, highWater };
    yield { indicators, checkpoint: { ...next } };
    if (done) break;
    page += 1;
  }
  context.logger.info('misp pull finished', { since, pages: page, indicators: pulled });
}

function tagNames(tags: ReadonlyArray<MispTag> | undefined): string[] {
  return (tags ?? []).map((tag) => tag.name.trim().toLowerCase());
}

/** Whether a feed attribute passes the pull settings (the API applies them server-side). */
function feedAttributeWanted(config: MispConfig, attribute: MispAttribute, eventTags: string[]): boolean {
  const { pull, push } = config;
  if (attribute.deleted) return false;
  if (pull.toIdsOnly && attribute.to_ids !== true) return false;
  if (!(pull.types as ReadonlyArray<string>).includes(attribute.type)) return false;
  if (pull.categories.length > 0 && !pull.categories.includes(attribute.category ?? '')) return false;
  const tags = new Set([...eventTags, ...tagNames(attribute.Tag)]);
  const include = pull.includeTags.map((tag) => tag.toLowerCase());
  if (include.length > 0 && !include.some((tag) => tags.has(tag))) return false;
  const exclude = [...pull.excludeTags, ...(pull.excludeOwnPushes ? [push.markerTag] : [])];
  return !exclude.some((tag) => tags.has(tag.toLowerCase()));
}

/**
 * Pulls a MISP-format feed: `manifest.json`, then `<uuid>.json` for each event whose manifest
 * timestamp is newer than the checkpoint, oldest first, one or more batches per event.
 */
async function* pullFromFeed(
  context: PluginContext<MispConfig>,
  checkpoint: SourceCheckpoint | undefined,
): AsyncGenerator<IndicatorBatch> {
  const { config } = context;
  const feedUrl = config.feedUrl as string;
  const misp = createMispClient(context);
  const resume = feedCheckpointOf(checkpoint);
  let since = resume?.since ?? nowSeconds(context) - config.pull.initialRangeDays * daySeconds - 1;
  let seen = new Set(resume?.seen ?? []);
  context.signal.throwIfAborted();
  const manifest = await misp.fetchFeedManifest(feedUrl);
  const pending = Object.entries(manifest)
    .filter(([uuid, entry]) => entry.timestamp > since || (entry.timestamp === since && !seen.has(uuid)))
    .sort(([uuidA, a], [uuidB, b]) => a.timestamp - b.timestamp || uuidA.localeCompare(uuidB));
  let pulled = 0;
  for (const [uuid, entry] of pending) {
    context.signal.throwIfAborted();
    const wanted = !config.pull.publishedOnly || entry.published !== false;
    const event = wanted ? await misp.fetchFeedEvent(feedUrl, uuid) : undefined;
    const indicators: IndicatorReportInput[] = [];
    if (event && (!config.pull.publishedOnly || event.published !== false)) {
      const eventTags = event.Tag ?? entry.Tag ?? [];
      const names = tagNames(eventTags);
      const context_: MispEventContext = {
        ...(event.info || entry.info ? { info: event.info || entry.info } : {}),
        ...((event.threat_level_id ?? entry.threat_level_id)
          ? { threatLevelId: String(event.threat_level_id ?? entry.threat_level_id) }
          : {}),
        tags: eventTags,
      };
      const attributes = [
        ...(event.Attribute ?? []),
        ...(event.Object ?? [])
          .filter((object) => !object.deleted)
          .flatMap((object) => object.Attribute ?? []),
      ];
      for (const attribute of attributes) {
        if (!feedAttributeWanted(config, attribute, names)) continue;
        indicators.push(...attributeToReports(attribute, { event: context_ }));
      }
    }
    const before: MispFeedCheckpoint = { kind: 'feed', since, seen: [...seen] };
    if (entry.timestamp !== since) {
      since = entry.timestamp;
      seen = new Set();
    }
    seen.add(uuid);
    const after: MispFeedCheckpoint = { kind: 'feed', since, seen: [...seen] };
    // A large event goes out in page-sized batches; only its last batch moves the checkpoint past it.
    const size = config.pull.pageSize;
    for (let start = 0; ; start += size) {
      const last = start + size >= indicators.length;
      yield { indicators: indicators.slice(start, start + size), checkpoint: { ...(last ? after : before) } };
      if (last) break;
    }
    pulled += indicators.length;
  }
  context.logger.info('misp feed pull finished', { events: pending.length, indicators: pulled });
}

/** Pulls in the configured mode. */
export function pullIndicators(
  context: PluginContext<MispConfig>,
  checkpoint: SourceCheckpoint | undefined,
): AsyncIterable<IndicatorBatch> {
  return context.config.mode === 'feed'
    ? pullFromFeed(context, checkpoint)
    : pullFromApi(context, checkpoint);
}

/**
 * Of the given indicators, those MISP no longer reports under the pull settings: the attribute
 * was deleted, lost its IDS flag, or its event stopped matching. Values are looked up in chunks
 * with `POST /attributes/restSearch` (`value: [...]`, no time bound). In feed mode nothing is
 * reported retracted: a feed only says what changed, not what left.
 */
export async function listRetractedIndicators(
  context: PluginContext<MispConfig>,
  keys: ReadonlyArray<IndicatorKey>,
): Promise<IndicatorKey[]> {
  if (context.config.mode === 'feed' || keys.length === 0) return [];
  const misp = createMispClient(context);
  const filters = pullSearchFilters(context.config);
  const active = new Set<string>();
  const limit = Math.max(context.config.pull.pageSize, 100);
  for (let start = 0; start < keys.length; start += retractedLookupChunk) {
    const values = [...new Set(keys.slice(start, start + retractedLookupChunk).map((key) => key.value))];
    for (let page = 1; ; page++) {
      context.signal.throwIfAborted();
      const attributes = await misp.searchAttributes({
        ...filters,
        includeEventTags: false,
        includeDecayScore: filters.excludeDecayed === true,
        value: values,
        page,
        limit,
      });
      for (const attribute of attributes) {
        if (attribute.deleted) continue;
        for (const part of attributeValues(attribute.type, attribute.value)) {
          active.add(`${part.type}:${part.value.toLowerCase()}`);
        }
      }
      if (attributes.length < limit) break;
    }
  }
  return keys.filter((key) => !active.has(`${key.type}:${key.value.toLowerCase()}`));
}

/** The source capability: incremental pulls of attributes (REST API) or events (a MISP feed). */
export const mispSource: ThreatSourceCapability<MispConfig> = {
  mode: 'incremental',
  pull: pullIndicators,
  listRetracted: listRetractedIndicators,
};
