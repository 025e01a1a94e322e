import {
  CeError,
  type IndicatorKey,
  type IndicatorReportInput,
  indicatorReportSchema,
  RuleEngine,
  type RulePredicate,
  type StoredIndicator,
  type Tlp,
  tlpRank,
} from '@ce/core';
import { normalizeIndicator, sharingView, type ThreatExchange, toSharedIndicator } from '@ce/cte';
import {
  indicatorStixId,
  indicatorToStix,
  retractionToStix,
  type StixIndicator,
  type StixObject,
  stixToIndicators,
  type TlpVersion,
} from '@ce/stix';
import {
  formatMicros,
  type TaxiiAccessList,
  type TaxiiAddContext,
  type TaxiiCollectionInfo,
  type TaxiiCollectionStore,
  type TaxiiManifestRecord,
  type TaxiiObject,
  type TaxiiObjectQuery,
  type TaxiiObjectResult,
  type TaxiiPage,
  type TaxiiPrincipal,
  type TaxiiStoredObject,
  type TaxiiVersionRecord,
  timestampKey,
  timestampMicros,
} from '@ce/taxii';

/** The TLP levels a collection may serve up to; TLP:RED is never served. */
export type ExchangeCollectionTlp = Exclude<Tlp, 'red'>;

/** A read-only collection that publishes one saved list of the threat exchange. */
export interface ExchangeCollectionConfig {
  /** Collection id, a UUID. */
  id: string;
  /** Human-readable name. */
  title: string;
  /** What it holds. */
  description?: string;
  /** A short, URL-safe alternative name. */
  alias?: string;
  /** The saved list (`exchange.putList`) whose members the collection serves. */
  list: string;
  /**
   * Who may read: principal ids and group names, or `'*'` for every principal the server
   * authenticated (with no `authenticate` on the server, everyone).
   * @default '*'
   */
  readers?: TaxiiAccessList;
  /**
   * The most restrictive TLP served; indicators marked above it are left out. TLP:RED is never
   * served, whatever this says.
   * @default 'amber'
   */
  maxTlp?: ExchangeCollectionTlp;
}

/** A write-only collection whose objects are ingested into the exchange as one source. */
export interface ExchangeInboxConfig {
  /** Collection id, a UUID. */
  id: string;
  /** Human-readable name. */
  title: string;
  /** What it is for. */
  description?: string;
  /** A short, URL-safe alternative name. */
  alias?: string;
  /** The source id the indicators are ingested as (`exchange.ingest(sourceId, ...)`). */
  sourceId: string;
  /** Who may add objects: principal ids and group names, or `'*'`. */
  writers: TaxiiAccessList;
  /**
   * Also ingest plain cyber-observables (`url`, `domain-name`, `ipv4-addr`, ...).
   * @default true
   */
  includeObservables?: boolean;
}

/** Options of {@link createExchangeCollectionStore}. */
export interface ExchangeCollectionStoreOptions {
  /** The published lists. */
  collections: ReadonlyArray<ExchangeCollectionConfig>;
  /** Writable inbox collections. */
  inboxes?: ReadonlyArray<ExchangeInboxConfig>;
  /**
   * The producer identity of the served indicators: `created_by_ref`, and the scope of their
   * stable ids (see `indicatorStixId`).
   */
  identity?: string | { id: string };
  /**
   * TLP marking version of `object_marking_refs`.
   * @default '2.0'
   */
  tlpVersion?: TlpVersion;
  /**
   * How many page ends are remembered to resume an `added_after` poll exactly (see the README).
   * @default 10000
   */
  resumeCacheSize?: number;
  /**
   * How many served object ids are remembered to answer `match[id]` without a scan.
   * @default 100000
   */
  idCacheSize?: number;
  /**
   * Most indicator changes one request reads before answering with what it found (and `more`).
   * @default 1000000
   */
  maxScanPerRequest?: number;
}

/** One object as served: a list member at its current version. */
interface Entry {
  stored: StoredIndicator;
  object: StixIndicator;
  version: string;
  versionKey: string;
  dateAdded: string;
}

interface Published {
  kind: 'list';
  config: ExchangeCollectionConfig;
  maxTlpRank: number;
}

interface Inbox {
  kind: 'inbox';
  config: ExchangeInboxConfig;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const stixMediaType = 'application/stix+json;version=2.1';
const scanChunk = 100_000;

/** A Map kept to a size, dropping the least recently used entry. */
class LruMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }
}

function allowed(
  list: TaxiiAccessList | undefined,
  fallback: TaxiiAccessList,
  principal: TaxiiPrincipal,
): boolean {
  const access = list ?? fallback;
  if (access === '*') return true;
  return access.includes(principal.id) || (principal.groups ?? []).some((group) => access.includes(group));
}

function decodeNext(token: string): number {
  if (!/^\d{1,15}$/.test(token))
    throw new CeError('VALIDATION_FAILED', 'invalid next token', { details: { field: 'next' } });
  return Number(token);
}

function parseAddedAfter(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const micros = timestampMicros(text);
  if (micros === undefined)
    throw new CeError('VALIDATION_FAILED', 'added_after is not a timestamp', {
      details: { field: 'added_after' },
    });
  return micros;
}

/** Whether `match[version]` selects the one (current) version an object has here. */
function versionSelector(versions: ReadonlyArray<string> | undefined): (entry: Entry) => boolean {
  if (
    !versions ||
    versions.some((selector) => selector === 'first' || selector === 'last' || selector === 'all')
  )
    return () => true;
  const keys = new Set(versions.map((version) => timestampKey(version)).filter((key) => key !== undefined));
  return (entry) => keys.has(entry.versionKey);
}

function versionOf(object: TaxiiObject): string | undefined {
  const version = typeof object.modified === 'string' ? object.modified : object.created;
  return typeof version === 'string' ? version : undefined;
}

/** Why an object posted to an inbox gives nothing to ingest, or `undefined` when it does. */
function problemOf(object: TaxiiObject, converted: ReturnType<typeof stixToIndicators>): string | undefined {
  const [notReducible] = converted.notReducible;
  if (notReducible) return `not reducible to indicator values: ${notReducible.reason}`;
  const [issue] = converted.issues;
  if (issue) return `${issue.path ? `${issue.path}: ` : ''}${issue.reason}`;
  if (converted.revoked.length > 0) return 'revoked indicators are not applied through the inbox';
  if (converted.indicators.length === 0) {
    return object.type === 'indicator'
      ? 'the indicator names no value the exchange handles'
      : `only indicator objects and observables are ingested, not "${object.type}"`;
  }
  return undefined;
}

/**
 * A `TaxiiCollectionStore` over the threat exchange, for `createTaxiiServer`:
 *
 * - each configured collection publishes a saved list, read-only: every member (matching the
 *   list's rule, not suppressed, at most `maxTlp`, never TLP:RED) is one STIX 2.1 `indicator`
 *   made by `indicatorToStix` with a stable id; an inactive member is served as its revoked
 *   version. Only the current version of each indicator is served; `date_added` is the
 *   indicator's `updatedAt` (microsecond format), so a change is a newer version added later;
 * - each inbox collection is write-only: posted indicators (and observables) are converted with
 *   `stixToIndicators` and ingested with `exchange.ingest(sourceId, ...)`, with a result per
 *   object; objects that are not indicators, or whose pattern is not a list of values, fail with
 *   the reason.
 *
 * Paging follows the exchange's change order (`listChanges`): `next` is the change sequence of
 * the last object served. A poll that resumes with `added_after` set to the last
 * `X-TAXII-Date-Added-Last` it saw continues right after that object when the store served that
 * page (it remembers the last `resumeCacheSize` page ends); otherwise it scans the list from the
 * start for objects changed at or after that time, which is correct (at worst it repeats the
 * objects of that same millisecond) but reads the whole list.
 *
 * @example
 * ```ts
 * const cte = exchange.modules.cte as ThreatExchange;
 * await cte.putList({ name: 'Phishing_URLs', rule: 'type = "url" and tags contains "phishing"' });
 * const taxii = createTaxiiServer({
 *   discovery: { title: 'Cloud Exchange', defaultApiRoot: 'cte' },
 *   apiRoots: {
 *     cte: {
 *       title: 'Threat exchange',
 *       store: createExchangeCollectionStore(cte, {
 *         collections: [{ id: '5f1e4c5a-0d0e-4d63-9b0a-8a3c1f6b2e11', title: 'Phishing URLs', list: 'Phishing_URLs' }],
 *         inboxes: [{ id: '0b7e2f0e-52b4-4c9e-a0c4-3f7d1b2d9c40', title: 'Submissions', sourceId: 'taxii-inbox', writers: ['partners'] }],
 *       }),
 *     },
 *   },
 *   authenticate,
 * });
 * ```
 */
export function createExchangeCollectionStore(
  exchange: ThreatExchange,
  options: ExchangeCollectionStoreOptions,
): TaxiiCollectionStore {
  const collections = new Map<string, Published | Inbox>();
  const add = (id: string, value: Published | Inbox): void => {
    if (!uuidPattern.test(id)) throw new CeError('CONFIG_INVALID', `collection id "${id}" is not a UUID`);
    if (collections.has(id)) throw new CeError('CONFIG_INVALID', `collection id "${id}" is used twice`);
    collections.set(id, value);
  };
  for (const config of options.collections) {
    const maxTlp = config.maxTlp ?? 'amber';
    if ((maxTlp as Tlp) === 'red')
      throw new CeError('CONFIG_INVALID', `collection "${config.title}": TLP:RED is never served`);
    add(config.id, { kind: 'list', config, maxTlpRank: tlpRank(maxTlp) });
  }
  for (const config of options.inboxes ?? []) add(config.id, { kind: 'inbox', config });

  const rules = new RuleEngine();
  const resumePoints = new LruMap<string, number>(Math.max(1, options.resumeCacheSize ?? 10_000));
  const idIndex = new LruMap<string, IndicatorKey>(Math.max(1, options.idCacheSize ?? 100_000));
  const maxScan = Math.max(1, options.maxScanPerRequest ?? 1_000_000);
  const stixOptions = {
    ...(options.identity === undefined ? {} : { identity: options.identity }),
    ...(options.tlpVersion === undefined ? {} : { tlpVersion: options.tlpVersion }),
  };

  const infoFor = (entry: Published | Inbox, principal: TaxiiPrincipal): TaxiiCollectionInfo | undefined => {
    const canRead = entry.kind === 'list' && allowed(entry.config.readers, '*', principal);
    const canWrite = entry.kind === 'inbox' && allowed(entry.config.writers, [], principal);
    if (!canRead && !canWrite) return undefined;
    const { config } = entry;
    return {
      id: config.id,
      title: config.title,
      ...(config.description === undefined ? {} : { description: config.description }),
      ...(config.alias === undefined ? {} : { alias: config.alias }),
      canRead,
      canWrite,
      mediaTypes: [stixMediaType],
    };
  };

  const published = (collectionId: string): Published => {
    const entry = collections.get(collectionId);
    if (!entry) throw new CeError('NOT_FOUND', 'collection not found', { details: { collectionId } });
    if (entry.kind !== 'list') throw new CeError('NOT_FOUND', 'collection has no readable objects');
    return entry;
  };

  const servable = (collection: Published, stored: StoredIndicator): boolean => {
    const tlp = stored.merged.tlp;
    return tlp === undefined || (tlp !== 'red' && tlpRank(tlp) <= collection.maxTlpRank);
  };

  const entryOf = (stored: StoredIndicator): Entry => {
    const at = { now: () => stored.updatedAt };
    const { indicator } = indicatorToStix(toSharedIndicator(stored), { ...stixOptions, clock: at });
    const object = stored.active ? indicator : retractionToStix(indicator, { ...stixOptions, clock: at });
    idIndex.set(object.id, { type: stored.type, value: stored.value });
    return {
      stored,
      object,
      version: object.modified,
      versionKey: timestampKey(object.modified) ?? object.modified,
      dateAdded: formatMicros(stored.updatedAt * 1000),
    };
  };

  const memberPredicate = async (collection: Published): Promise<RulePredicate> => {
    const list = await exchange.getList(collection.config.list);
    if (!list) throw new CeError('NOT_FOUND', `no list named "${collection.config.list}"`);
    return rules.compile(list.rule);
  };

  /** Reads the members for specific object ids: from the id index, or by one scan of the list. */
  const byIds = async (
    collection: Published,
    ids: ReadonlyArray<string>,
    candidate: (stored: StoredIndicator) => boolean,
    accept: (entry: Entry) => boolean,
  ): Promise<Entry[]> => {
    const wanted = new Set(ids);
    const keys: IndicatorKey[] = [];
    for (const id of wanted) {
      const key = idIndex.get(id);
      if (key) keys.push(key);
    }
    const found: Entry[] = [];
    if (keys.length === wanted.size) {
      const predicate = await memberPredicate(collection);
      for (const key of keys) {
        const stored = (await exchange.get(key.value, key.type))?.indicator;
        if (!stored || stored.suppressedBy || !predicate(sharingView(stored)) || !candidate(stored)) continue;
        const entry = entryOf(stored);
        if (wanted.has(entry.object.id) && accept(entry)) found.push(entry);
      }
    } else {
      // Some id was never served from this process: find it by its stable id in one pass.
      let after = 0;
      for (;;) {
        const page = await exchange.listChanges(collection.config.list, {
          after,
          limit: scanChunk,
          scanLimit: scanChunk,
        });
        for (const stored of page.items) {
          if (!candidate(stored) || !wanted.has(indicatorStixId(stored, options.identity))) continue;
          const entry = entryOf(stored);
          if (accept(entry)) found.push(entry);
        }
        if (!page.more) break;
        after = page.lastSequence;
      }
    }
    return found.sort((a, b) => a.stored.sequence - b.stored.sequence);
  };

  /** One page of objects in change order, with every filter of the query applied. */
  const select = async (collectionId: string, query: TaxiiObjectQuery): Promise<TaxiiPage<Entry>> => {
    const collection = published(collectionId);
    const limit = Math.max(1, query.limit);
    if (query.types && !query.types.includes('indicator')) return { items: [], more: false };
    if (query.specVersions && !query.specVersions.includes('2.1')) return { items: [], more: false };
    const addedAfter = parseAddedAfter(query.addedAfter);
    const versionOk = versionSelector(query.versions);
    // At or after: objects of the very millisecond of `added_after` may not have been served yet.
    const candidate = (stored: StoredIndicator): boolean =>
      servable(collection, stored) && (addedAfter === undefined || stored.updatedAt * 1000 >= addedAfter);

    let after = 0;
    if (query.next !== undefined) after = decodeNext(query.next);
    else if (query.addedAfter !== undefined)
      after = resumePoints.get(`${collectionId} ${query.addedAfter}`) ?? 0;

    if (query.ids) {
      const all = (await byIds(collection, query.ids, candidate, versionOk)).filter(
        (entry) => entry.stored.sequence > after,
      );
      const items = all.slice(0, limit);
      const last = items[items.length - 1];
      const more = all.length > limit;
      return { items, more, ...(more && last ? { next: String(last.stored.sequence) } : {}) };
    }

    const items: Entry[] = [];
    let scanned = 0;
    for (;;) {
      const wanted = limit - items.length;
      const scanLimit = Math.max(wanted, Math.min(scanChunk, maxScan - scanned));
      const page = await exchange.listChanges(collection.config.list, { after, limit: wanted, scanLimit });
      scanned += scanLimit;
      let index = 0;
      for (; index < page.items.length && items.length < limit; index++) {
        const stored = page.items[index] as StoredIndicator;
        if (!candidate(stored)) continue;
        const entry = entryOf(stored);
        if (versionOk(entry)) items.push(entry);
      }
      if (items.length === limit) {
        const last = items[items.length - 1] as Entry;
        const more = index < page.items.length || page.more;
        return { items, more, ...(more ? { next: String(last.stored.sequence) } : {}) };
      }
      after = page.lastSequence;
      if (!page.more) return { items, more: false };
      // The scan budget is spent: answer with what was found and where to go on.
      if (scanned >= maxScan) return { items, more: true, next: String(after) };
    }
  };

  const remember = (collectionId: string, items: ReadonlyArray<Entry>): void => {
    const last = items[items.length - 1];
    if (!last) return;
    const key = `${collectionId} ${last.dateAdded}`;
    const known = resumePoints.get(key);
    // Two page ends in one millisecond share a date: resume from the earlier (repeat, never skip).
    resumePoints.set(key, known === undefined ? last.stored.sequence : Math.min(known, last.stored.sequence));
  };

  const ingest = async (inbox: Inbox, objects: ReadonlyArray<TaxiiObject>): Promise<TaxiiObjectResult[]> => {
    const markings = objects.filter((object) => object.type === 'marking-definition');
    const results: TaxiiObjectResult[] = new Array(objects.length);
    const reports: IndicatorReportInput[] = [];
    const accepted: Array<{ index: number; note?: string }> = [];
    objects.forEach((object, index) => {
      const version = versionOf(object);
      const base = { id: object.id, ...(version === undefined ? {} : { version }) };
      const failure = (message: string): TaxiiObjectResult => ({ ...base, status: 'failure', message });
      if (object.type === 'marking-definition') {
        results[index] = { ...base, status: 'success', message: 'read for TLP markings; not stored' };
        return;
      }
      const converted = stixToIndicators([object as unknown as StixObject], {
        includeObservables: inbox.config.includeObservables ?? true,
        markingDefinitions: markings,
      });
      const problem = problemOf(object, converted);
      if (problem) {
        results[index] = failure(problem);
        return;
      }
      const rejected: string[] = [];
      let valid = 0;
      for (const report of converted.indicators) {
        const parsed = indicatorReportSchema.safeParse(report);
        const normalized = normalizeIndicator(report.value, report.type);
        if (!parsed.success)
          rejected.push(`${report.value.slice(0, 100)}: ${parsed.error.issues[0]?.message}`);
        else if (!normalized.ok) rejected.push(`${report.value.slice(0, 100)}: ${normalized.reason}`);
        else {
          reports.push(report);
          valid++;
        }
      }
      if (valid === 0) {
        results[index] = failure(`rejected: ${rejected.join('; ')}`);
        return;
      }
      accepted.push({
        index,
        ...(rejected.length > 0
          ? { note: `${rejected.length} value(s) rejected: ${rejected.join('; ')}` }
          : {}),
      });
      results[index] = { ...base, status: 'pending' };
    });
    if (reports.length > 0) {
      let ingestFailure: string | undefined;
      try {
        await exchange.ingest(inbox.config.sourceId, reports);
      } catch (error) {
        ingestFailure = `ingest failed: ${CeError.isInstance(error) ? error.message : 'internal error'}`;
      }
      for (const { index, note } of accepted) {
        const pending = results[index] as TaxiiObjectResult;
        results[index] = ingestFailure
          ? { ...pending, status: 'failure', message: ingestFailure }
          : { ...pending, status: 'success', ...(note ? { message: note } : {}) };
      }
    }
    return results;
  };

  return {
    async listCollections(principal) {
      const out: TaxiiCollectionInfo[] = [];
      for (const entry of collections.values()) {
        const info = infoFor(entry, principal);
        if (info) out.push(info);
      }
      return out;
    },
    async getCollection(collectionId, principal) {
      const entry = collections.get(collectionId);
      return entry ? infoFor(entry, principal) : undefined;
    },
    async getObjects(collectionId, query) {
      const page = await select(collectionId, query);
      remember(collectionId, page.items);
      const items: TaxiiStoredObject[] = page.items.map((entry) => ({
        id: entry.object.id,
        dateAdded: entry.dateAdded,
        version: entry.version,
        mediaType: stixMediaType,
        object: entry.object as unknown as TaxiiObject,
      }));
      return { ...page, items };
    },
    async getManifest(collectionId, query) {
      const page = await select(collectionId, query);
      remember(collectionId, page.items);
      const items: TaxiiManifestRecord[] = page.items.map((entry) => ({
        id: entry.object.id,
        dateAdded: entry.dateAdded,
        version: entry.version,
        mediaType: stixMediaType,
      }));
      return { ...page, items };
    },
    async getVersions(collectionId, objectId, query) {
      // One version per object: the current one.
      const page = await select(collectionId, { ...query, ids: [objectId] });
      const items: TaxiiVersionRecord[] = page.items.map((entry) => ({
        version: entry.version,
        dateAdded: entry.dateAdded,
      }));
      return { ...page, items };
    },
    async deleteObject(collectionId) {
      const entry = collections.get(collectionId);
      if (!entry) throw new CeError('NOT_FOUND', 'collection not found', { details: { collectionId } });
      // An inbox keeps no objects: whatever was posted is in the exchange, not in the collection.
      if (entry.kind === 'inbox') return 0;
      throw new CeError('NOT_SUPPORTED', 'objects of a published list cannot be deleted over TAXII');
    },
    async addObjects(collectionId, objects, _context: TaxiiAddContext) {
      const entry = collections.get(collectionId);
      if (!entry) throw new CeError('NOT_FOUND', 'collection not found', { details: { collectionId } });
      if (entry.kind !== 'inbox') throw new CeError('NOT_SUPPORTED', 'a published list is read-only');
      return ingest(entry, objects);
    },
  };
}
