import type { TaxiiObject } from '../taxii-types.js';

/**
 * Who is asking: what `authenticate` returned for the request. Stores decide `can_read` and
 * `can_write` from it.
 */
export interface TaxiiPrincipal {
  /** Stable identifier (user name, client id); never a secret. */
  id: string;
  /** Groups or roles the principal belongs to. */
  groups?: ReadonlyArray<string>;
}

/** A collection as the store describes it to one principal. */
export interface TaxiiCollectionInfo {
  /** Collection identifier (a UUID). */
  id: string;
  /** Human-readable name. */
  title: string;
  /** What the collection holds. */
  description?: string;
  /** A short, URL-safe alternative name. */
  alias?: string;
  /** Whether this principal may read objects. */
  canRead: boolean;
  /** Whether this principal may add and delete objects. */
  canWrite: boolean;
  /**
   * Media types of the objects held.
   * @default ['application/stix+json;version=2.1']
   */
  mediaTypes?: ReadonlyArray<string>;
}

/**
 * Which versions of an object to select (`match[version]`): the `first` or `last` version, `all`
 * of them, or the version with that exact timestamp.
 */
export type TaxiiVersionSelector = 'first' | 'last' | 'all' | (string & {});

/** The filters of a read, already parsed and bounded by the server. */
export interface TaxiiObjectQuery {
  /** Who reads. */
  principal: TaxiiPrincipal;
  /** Only versions added strictly after this timestamp (`added_after`). */
  addedAfter?: string;
  /** Most entries to return; the server has applied its page-size ceiling. */
  limit: number;
  /** A token this store returned as `next`; when given, the page continues after it. */
  next?: string;
  /** `match[type]`: any of these types. */
  types?: ReadonlyArray<string>;
  /** `match[id]`: any of these identifiers. */
  ids?: ReadonlyArray<string>;
  /**
   * `match[version]`; several selectors are a union.
   * @default ['last']
   */
  versions?: ReadonlyArray<TaxiiVersionSelector>;
  /**
   * `match[spec_version]`: any of these STIX versions. When absent, only each object's latest
   * STIX version is selected, as the specification requires.
   */
  specVersions?: ReadonlyArray<string>;
}

/** The metadata of one stored object version. */
export interface TaxiiManifestRecord {
  /** Object identifier. */
  id: string;
  /** When this version was added, a timestamp with microseconds. */
  dateAdded: string;
  /** The version: `modified`, else `created`, else `dateAdded`. */
  version: string;
  /** e.g. `application/stix+json;version=2.1`. */
  mediaType: string;
}

/** One stored object version, with its metadata. */
export interface TaxiiStoredObject extends TaxiiManifestRecord {
  /** The object. Treat it as read-only. */
  object: TaxiiObject;
  /**
   * The object already serialized as JSON. When present the server sends it verbatim instead of
   * serializing `object` again, which is what makes large pages cheap.
   */
  json?: string;
}

/** One page of a read, in `date_added` order. */
export interface TaxiiPage<T> {
  /** The entries. */
  items: ReadonlyArray<T>;
  /** Whether more entries match after these. */
  more: boolean;
  /** An opaque token to pass as `next` for the following page; present when `more`. */
  next?: string;
}

/** One version of an object, for the versions endpoint. */
export interface TaxiiVersionRecord {
  /** The version timestamp. */
  version: string;
  /** When it was added. */
  dateAdded: string;
}

/** The filters of a versions read. */
export type TaxiiVersionsQuery = Omit<TaxiiObjectQuery, 'types' | 'ids' | 'versions'>;

/** Which versions a delete removes. */
export interface TaxiiDeleteFilter {
  /** Who deletes. */
  principal: TaxiiPrincipal;
  /** `match[version]`; absent means every version (the object goes away). */
  versions?: ReadonlyArray<TaxiiVersionSelector>;
  /** `match[spec_version]`; absent means any STIX version. */
  specVersions?: ReadonlyArray<string>;
}

/** The outcome of one object of an add request. */
export interface TaxiiObjectResult {
  /** Object identifier. */
  id: string;
  /** Object version, when it has one. */
  version?: string;
  /** `pending` when the store ingests later and will {@link TaxiiAddContext.report} it. */
  status: 'success' | 'failure' | 'pending';
  /** Why it failed, or a note (e.g. that it was already present). */
  message?: string;
}

/** What a store receives with an add request. */
export interface TaxiiAddContext {
  /** Who adds. */
  principal: TaxiiPrincipal;
  /** When the server received the request. */
  requestTimestamp: string;
  /**
   * Reports the final outcome of objects answered `pending`, matched by `id` and `version`. Call
   * it as often as convenient; the status resource turns `complete` when nothing is pending.
   */
  report(results: ReadonlyArray<TaxiiObjectResult>): void;
}

/**
 * Where a TAXII server's collections live. The host implements it (the exchange-backed store,
 * a database); {@link createMemoryCollectionStore} is the in-memory one. The server has already
 * authenticated the principal, checked `canRead`/`canWrite`, parsed and bounded the filters, so
 * a store only selects and pages. Entries come back in `date_added` order.
 *
 * Errors: throw a `CeError` with code `VALIDATION_FAILED` for a bad filter or `next` token (the
 * server answers 400), `NOT_FOUND` (404) or `NOT_SUPPORTED` for what the collection does not
 * allow (403, e.g. deleting from a published list); anything else becomes a 500 without details.
 */
export interface TaxiiCollectionStore {
  /** The collections this principal may see, with its permissions on each. */
  listCollections(principal: TaxiiPrincipal): Promise<ReadonlyArray<TaxiiCollectionInfo>>;
  /** One collection, or `undefined` when it does not exist or the principal may not see it. */
  getCollection(collectionId: string, principal: TaxiiPrincipal): Promise<TaxiiCollectionInfo | undefined>;
  /** A page of object versions. */
  getObjects(collectionId: string, query: TaxiiObjectQuery): Promise<TaxiiPage<TaxiiStoredObject>>;
  /** A page of manifest records: the same selection as {@link getObjects}, without the objects. */
  getManifest(collectionId: string, query: TaxiiObjectQuery): Promise<TaxiiPage<TaxiiManifestRecord>>;
  /** A page of one object's versions, in `date_added` order; empty when the object is unknown. */
  getVersions(
    collectionId: string,
    objectId: string,
    query: TaxiiVersionsQuery,
  ): Promise<TaxiiPage<TaxiiVersionRecord>>;
  /** Deletes the selected versions of an object; returns how many were removed. */
  deleteObject(collectionId: string, objectId: string, filter: TaxiiDeleteFilter): Promise<number>;
  /**
   * Adds objects (each has a string `id` and `type`; the server checked). Returns one result per
   * object, in order; `pending` ones are settled later through `context.report`.
   */
  addObjects(
    collectionId: string,
    objects: ReadonlyArray<TaxiiObject>,
    context: TaxiiAddContext,
  ): Promise<ReadonlyArray<TaxiiObjectResult>>;
}
