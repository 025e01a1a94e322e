import { CeError, type Clock, systemClock } from '@ce/core';
import { stix21MediaType } from '../media-types.js';
import type { TaxiiObject } from '../taxii-types.js';
import { formatMicros, timestampKey, timestampMicros } from '../timestamps.js';
import type {
  TaxiiAddContext,
  TaxiiCollectionInfo,
  TaxiiCollectionStore,
  TaxiiDeleteFilter,
  TaxiiManifestRecord,
  TaxiiObjectQuery,
  TaxiiObjectResult,
  TaxiiPage,
  TaxiiPrincipal,
  TaxiiStoredObject,
  TaxiiVersionRecord,
  TaxiiVersionSelector,
  TaxiiVersionsQuery,
} from './collection-store.js';

/**
 * Who may do something: `'*'` for every principal (including the anonymous one of a server
 * without `authenticate`), or a list of principal ids and group names.
 */
export type TaxiiAccessList = '*' | ReadonlyArray<string>;

/** One collection of a memory store. */
export interface MemoryCollectionConfig {
  /** Collection identifier, normally a UUID. */
  id: string;
  /** Human-readable name. */
  title: string;
  /** What it holds. */
  description?: string;
  /** A short, URL-safe alternative name. */
  alias?: string;
  /**
   * Media types announced for it.
   * @default ['application/stix+json;version=2.1']
   */
  mediaTypes?: ReadonlyArray<string>;
  /**
   * Who may read.
   * @default '*'
   */
  readers?: TaxiiAccessList;
  /**
   * Who may add and delete. Writing is opt-in.
   * @default []
   */
  writers?: TaxiiAccessList;
  /** Objects to load at creation, added in order. */
  objects?: ReadonlyArray<TaxiiObject>;
}

/** Options of {@link createMemoryCollectionStore}. */
export interface MemoryCollectionStoreOptions {
  /** The collections. More can be added with {@link MemoryCollectionStore.addCollection}. */
  collections?: ReadonlyArray<MemoryCollectionConfig>;
  /**
   * Time source of `date_added`.
   * @default systemClock
   */
  clock?: Clock;
  /**
   * Ingest added objects this many milliseconds after the request (on the clock) instead of at
   * once, answering them `pending` first; shows the status resource at work.
   * @default 0
   */
  ingestDelayMs?: number;
}

/** The in-memory {@link TaxiiCollectionStore}, with direct access for tests and seeding. */
export interface MemoryCollectionStore extends TaxiiCollectionStore {
  /** Adds (or replaces the settings of) a collection; existing objects are kept. */
  addCollection(config: MemoryCollectionConfig): void;
  /** Adds objects directly, bypassing permissions; returns one result per object. */
  add(collectionId: string, objects: ReadonlyArray<TaxiiObject>): TaxiiObjectResult[];
  /** Number of object versions stored in a collection. */
  size(collectionId: string): number;
}

interface ObjectRecord {
  /** Live versions, ordered by version key. */
  versions: Entry[];
  maxSpecVersion: string;
}

interface Entry {
  seq: number;
  id: string;
  type: string;
  version: string;
  versionKey: string;
  specVersion: string;
  mediaType: string;
  dateAdded: number;
  dateAddedText: string;
  object: TaxiiObject;
  json: string;
  record: ObjectRecord;
  deleted: boolean;
}

interface Collection {
  config: MemoryCollectionConfig;
  /** Every version in `date_added` order (which is also `seq` order); deleted ones are marked. */
  log: Entry[];
  byId: Map<string, ObjectRecord>;
  deletedCount: number;
}

const stixIdPattern =
  /^([a-z0-9][a-z0-9-]*[a-z0-9])--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function compareSpecVersions(a: string, b: string): number {
  if (a === b) return 0;
  const left = a.split('.');
  const right = b.split('.');
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = Number(left[i] ?? 0) - Number(right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function specVersionOf(object: TaxiiObject): string {
  if (typeof object.spec_version === 'string') return object.spec_version;
  // STIX 2.1 cyber-observables carry neither `created` nor `modified`; STIX 2.0 objects have both.
  return object.created === undefined && object.modified === undefined ? '2.1' : '2.0';
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

function encodeNext(seq: number): string {
  return Buffer.from(`m1:${seq}`).toString('base64url');
}

function decodeNext(token: string): number {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const match = /^m1:(\d{1,15})$/.exec(text);
  if (!match) throw new CeError('VALIDATION_FAILED', 'invalid next token', { details: { field: 'next' } });
  return Number(match[1]);
}

/** First index in `log` whose entry satisfies the (monotonic) predicate. */
function lowerBound(log: ReadonlyArray<Entry>, after: (entry: Entry) => boolean): number {
  let low = 0;
  let high = log.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (after(log[middle] as Entry)) high = middle;
    else low = middle + 1;
  }
  return low;
}

function parseAddedAfter(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const micros = timestampMicros(text);
  if (micros === undefined) {
    throw new CeError('VALIDATION_FAILED', 'added_after is not a timestamp', {
      details: { field: 'added_after' },
    });
  }
  return micros;
}

/** Compiles the spec-version and version selectors of a query into one predicate. */
function versionPredicate(
  versions: ReadonlyArray<TaxiiVersionSelector> | undefined,
  specVersions: ReadonlyArray<string> | undefined,
): (entry: Entry) => boolean {
  const specSet = specVersions ? new Set(specVersions) : undefined;
  const specOk = specSet
    ? (entry: Entry) => specSet.has(entry.specVersion)
    : (entry: Entry) => entry.specVersion === entry.record.maxSpecVersion;
  const selectors = versions ?? ['last'];
  const all = selectors.includes('all');
  const first = selectors.includes('first');
  const last = selectors.includes('last');
  const exact = new Set<string>();
  for (const selector of selectors) {
    if (selector === 'all' || selector === 'first' || selector === 'last') continue;
    const key = timestampKey(selector);
    if (key === undefined) {
      throw new CeError('VALIDATION_FAILED', 'match[version] must be first, last, all or a timestamp', {
        details: { field: 'match[version]' },
      });
    }
    exact.add(key);
  }
  return (entry) => {
    if (!specOk(entry)) return false;
    if (all || exact.has(entry.versionKey)) return true;
    const versionsOfId = entry.record.versions;
    if (last) {
      for (let i = versionsOfId.length - 1; i >= 0; i--) {
        const candidate = versionsOfId[i] as Entry;
        if (specOk(candidate)) {
          if (candidate === entry) return true;
          break;
        }
      }
    }
    if (first) {
      for (const candidate of versionsOfId) {
        if (specOk(candidate)) {
          if (candidate === entry) return true;
          break;
        }
      }
    }
    return false;
  };
}

function manifestOf(entry: Entry): TaxiiManifestRecord {
  return { id: entry.id, dateAdded: entry.dateAddedText, version: entry.version, mediaType: entry.mediaType };
}

function storedOf(entry: Entry): TaxiiStoredObject {
  return {
    id: entry.id,
    dateAdded: entry.dateAddedText,
    version: entry.version,
    mediaType: entry.mediaType,
    object: entry.object,
    json: entry.json,
  };
}

/**
 * Creates an in-memory collection store for tests and small deployments. `date_added` values are
 * strictly increasing (microsecond steps), so resuming with `added_after` set to the last
 * `date_added` seen never skips nor repeats a version. Objects are kept as their JSON text, which
 * the server sends verbatim.
 *
 * @example
 * ```ts
 * const store = createMemoryCollectionStore({
 *   collections: [{ id: '365fed99-08fa-fdcd-a1b3-fb247eb41d01', title: 'Indicators', writers: ['feeder'] }],
 * });
 * store.add('365fed99-08fa-fdcd-a1b3-fb247eb41d01', indicators);
 * ```
 */
export function createMemoryCollectionStore(
  options: MemoryCollectionStoreOptions = {},
): MemoryCollectionStore {
  const clock = options.clock ?? systemClock;
  const ingestDelayMs = options.ingestDelayMs ?? 0;
  const collections = new Map<string, Collection>();
  let lastMicros = 0;
  let lastSeq = 0;

  const infoFor = (collection: Collection, principal: TaxiiPrincipal): TaxiiCollectionInfo | undefined => {
    const { config } = collection;
    const canRead = allowed(config.readers, '*', principal);
    const canWrite = allowed(config.writers, [], principal);
    if (!canRead && !canWrite) return undefined;
    return {
      id: config.id,
      title: config.title,
      ...(config.description === undefined ? {} : { description: config.description }),
      ...(config.alias === undefined ? {} : { alias: config.alias }),
      canRead,
      canWrite,
      mediaTypes: config.mediaTypes ?? [stix21MediaType],
    };
  };

  const collectionOf = (collectionId: string): Collection => {
    const collection = collections.get(collectionId);
    if (!collection) throw new CeError('NOT_FOUND', 'collection not found', { details: { collectionId } });
    return collection;
  };

  const ingestOne = (collection: Collection, value: TaxiiObject): TaxiiObjectResult => {
    const id = typeof value?.id === 'string' ? value.id : '';
    const match = stixIdPattern.exec(id);
    if (!match || value.type !== match[1]) {
      return { id, status: 'failure', message: 'id must be "<type>--<uuid>" and match type' };
    }
    const rawVersion = typeof value.modified === 'string' ? value.modified : value.created;
    let versionKey: string | undefined;
    if (rawVersion !== undefined) {
      versionKey = typeof rawVersion === 'string' ? timestampKey(rawVersion) : undefined;
      if (versionKey === undefined)
        return { id, status: 'failure', message: 'modified/created is not a timestamp' };
    }
    let record = collection.byId.get(id);
    if (versionKey !== undefined && record?.versions.some((entry) => entry.versionKey === versionKey)) {
      return { id, version: rawVersion as string, status: 'success', message: 'already present' };
    }
    // Objects without a version (cyber-observables) are immutable: the first copy stays.
    if (versionKey === undefined && record && record.versions.length > 0) {
      const existing = record.versions[0] as Entry;
      return { id, version: existing.version, status: 'success', message: 'already present' };
    }
    lastMicros = Math.max(clock.now() * 1000, lastMicros + 1);
    const dateAddedText = formatMicros(lastMicros);
    const json = JSON.stringify(value);
    const specVersion = specVersionOf(value);
    if (!record) {
      record = { versions: [], maxSpecVersion: specVersion };
      collection.byId.set(id, record);
    }
    const version = (rawVersion as string | undefined) ?? dateAddedText;
    const entry: Entry = {
      seq: ++lastSeq,
      id,
      type: value.type,
      version,
      versionKey: versionKey ?? (timestampKey(dateAddedText) as string),
      specVersion,
      mediaType: `application/stix+json;version=${specVersion}`,
      dateAdded: lastMicros,
      dateAddedText,
      object: JSON.parse(json) as TaxiiObject,
      json,
      record,
      deleted: false,
    };
    const position = record.versions.findIndex((other) => other.versionKey > entry.versionKey);
    if (position < 0) record.versions.push(entry);
    else record.versions.splice(position, 0, entry);
    if (compareSpecVersions(specVersion, record.maxSpecVersion) > 0) record.maxSpecVersion = specVersion;
    collection.log.push(entry);
    return { id, version, status: 'success' };
  };

  const add = (collectionId: string, objects: ReadonlyArray<TaxiiObject>): TaxiiObjectResult[] => {
    const collection = collectionOf(collectionId);
    return objects.map((object) => ingestOne(collection, object));
  };

  const select = (collection: Collection, query: TaxiiObjectQuery): TaxiiPage<Entry> => {
    const limit = Math.max(1, query.limit);
    const addedAfter = parseAddedAfter(query.addedAfter);
    const afterSeq = query.next === undefined ? undefined : decodeNext(query.next);
    const types = query.types ? new Set(query.types) : undefined;
    const versionOk = versionPredicate(query.versions, query.specVersions);
    const matches = (entry: Entry): boolean =>
      !entry.deleted &&
      (types === undefined || types.has(entry.type)) &&
      (addedAfter === undefined || entry.dateAdded > addedAfter) &&
      versionOk(entry);

    let candidates: ReadonlyArray<Entry>;
    let start: number;
    if (query.ids) {
      // A few identifiers: walk their versions instead of the whole log.
      const picked: Entry[] = [];
      for (const id of new Set(query.ids)) picked.push(...(collection.byId.get(id)?.versions ?? []));
      picked.sort((a, b) => a.seq - b.seq);
      candidates = picked;
    } else {
      candidates = collection.log;
    }
    if (afterSeq !== undefined) start = lowerBound(candidates, (entry) => entry.seq > afterSeq);
    else if (addedAfter !== undefined)
      start = lowerBound(candidates, (entry) => entry.dateAdded > addedAfter);
    else start = 0;

    const items: Entry[] = [];
    let more = false;
    for (let i = start; i < candidates.length; i++) {
      const entry = candidates[i] as Entry;
      if (!matches(entry)) continue;
      if (items.length === limit) {
        more = true;
        break;
      }
      items.push(entry);
    }
    const lastItem = items[items.length - 1];
    return { items, more, ...(more && lastItem ? { next: encodeNext(lastItem.seq) } : {}) };
  };

  const compact = (collection: Collection): void => {
    if (collection.deletedCount > 1024 && collection.deletedCount * 2 > collection.log.length) {
      collection.log = collection.log.filter((entry) => !entry.deleted);
      collection.deletedCount = 0;
    }
  };

  const addCollection = (config: MemoryCollectionConfig): void => {
    const existing = collections.get(config.id);
    if (existing) {
      existing.config = config;
    } else {
      collections.set(config.id, { config, log: [], byId: new Map(), deletedCount: 0 });
    }
    if (config.objects) add(config.id, config.objects);
  };

  for (const config of options.collections ?? []) addCollection(config);

  return {
    addCollection,
    add,
    size(collectionId) {
      const collection = collectionOf(collectionId);
      return collection.log.length - collection.deletedCount;
    },
    async listCollections(principal) {
      const out: TaxiiCollectionInfo[] = [];
      for (const collection of collections.values()) {
        const info = infoFor(collection, principal);
        if (info) out.push(info);
      }
      return out;
    },
    async getCollection(collectionId, principal) {
      const collection = collections.get(collectionId);
      return collection ? infoFor(collection, principal) : undefined;
    },
    async getObjects(collectionId, query) {
      const page = select(collectionOf(collectionId), query);
      return { ...page, items: page.items.map(storedOf) };
    },
    async getManifest(collectionId, query) {
      const page = select(collectionOf(collectionId), query);
      return { ...page, items: page.items.map(manifestOf) };
    },
    async getVersions(collectionId, objectId, query: TaxiiVersionsQuery) {
      const page = select(collectionOf(collectionId), { ...query, ids: [objectId], versions: ['all'] });
      const items: TaxiiVersionRecord[] = page.items.map((entry) => ({
        version: entry.version,
        dateAdded: entry.dateAddedText,
      }));
      return { ...page, items };
    },
    async deleteObject(collectionId, objectId, filter: TaxiiDeleteFilter) {
      const collection = collectionOf(collectionId);
      const record = collection.byId.get(objectId);
      if (!record) return 0;
      const predicate = versionPredicate(
        filter.versions ?? ['all'],
        filter.specVersions ?? record.versions.map((e) => e.specVersion),
      );
      const doomed = record.versions.filter(predicate);
      for (const entry of doomed) entry.deleted = true;
      record.versions = record.versions.filter((entry) => !entry.deleted);
      record.maxSpecVersion = record.versions.reduce(
        (max, entry) => (compareSpecVersions(entry.specVersion, max) > 0 ? entry.specVersion : max),
        record.versions[0]?.specVersion ?? '2.1',
      );
      if (record.versions.length === 0) collection.byId.delete(objectId);
      collection.deletedCount += doomed.length;
      compact(collection);
      return doomed.length;
    },
    async addObjects(collectionId, objects, context: TaxiiAddContext) {
      const collection = collectionOf(collectionId);
      if (ingestDelayMs <= 0) return objects.map((object) => ingestOne(collection, object));
      const pending: TaxiiObjectResult[] = objects.map((object) => {
        const version = typeof object.modified === 'string' ? object.modified : object.created;
        return {
          id: object.id,
          ...(typeof version === 'string' ? { version } : {}),
          status: 'pending',
        };
      });
      clock.setTimer(ingestDelayMs, () => {
        context.report(objects.map((object) => ingestOne(collection, object)));
      });
      return pending;
    },
  };
}
