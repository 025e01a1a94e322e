import type { Page } from '../storage/storage-adapter.js';
import type {
  DestinationState,
  DestinationStatus,
  IndicatorKey,
  IndicatorSeverity,
  IndicatorType,
  StoredIndicator,
} from './indicator-model.js';

/**
 * Filters of {@link IocStore.query}, {@link IocStore.count} and {@link IocStore.dailyCounts}.
 * Every filter given must hold. Results are ordered by `(type, value)`; the cursor is opaque.
 * Ranges are half-open, `[from, to)`, like {@link IocStore.dailyCounts}; an empty list matches
 * nothing; an unknown type or severity, a non-boolean flag or a non-finite time fails with
 * `VALIDATION_FAILED`.
 */
export interface IndicatorQuery {
  /** Only these types. */
  types?: ReadonlyArray<IndicatorType>;
  /** Only indicators this source reported (one of their `sources` has this `sourceId`). */
  sourceId?: string;
  /** Only indicators carrying this tag in their merged view. */
  tag?: string;
  /** Only these merged severities. */
  severities?: ReadonlyArray<IndicatorSeverity>;
  /** Only active (`true`) or only inactive (`false`) indicators. */
  active?: boolean;
  /** `true`: only suppressed by a warninglist; `false`: only not suppressed. */
  suppressed?: boolean;
  /** Only values starting with this (after normalization: lowercase hosts). */
  valuePrefix?: string;
  /** `true`: only indicators sighted at least once (`sightings.total > 0`); `false`: only never sighted. */
  sighted?: boolean;
  /** Only `createdAt >= createdFrom`. */
  createdFrom?: number;
  /** Only `createdAt < createdTo`. */
  createdTo?: number;
  /** Only `merged.lastSeen >= lastSeenFrom`. */
  lastSeenFrom?: number;
  /** Only `merged.lastSeen < lastSeenTo`. */
  lastSeenTo?: number;
  /** Only indicators with an `expiresAt` at or before this. */
  expiresBefore?: number;
  /** Only inactive indicators with an `inactiveSince` at or before this. */
  inactiveBefore?: number;
}

/** Paging of {@link IocStore.query}. */
export interface IndicatorPageRequest {
  /** Cursor from the previous page, with the same filter. */
  cursor?: string;
  /**
   * A positive integer; larger values are cut to 10,000, anything else fails with
   * `VALIDATION_FAILED`.
   * @default 100
   */
  limit?: number;
}

/** Which timestamp a daily series counts: `createdAt` or `merged.lastSeen`. */
export type IndicatorSeriesField = 'createdAt' | 'lastSeen';

/** Number of indicators per UTC day. */
export interface DailyCount {
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  count: number;
}

/** Filters of {@link IocStore.queryDestinationStates}. */
export interface DestinationStateQuery {
  /** The destination whose states to list. */
  destinationId: string;
  /** Only states with one of these statuses (an empty list matches nothing). */
  statuses?: ReadonlyArray<DestinationStatus>;
  /** Cursor from the previous page, with the same statuses. */
  cursor?: string;
  /**
   * A positive integer; larger values are cut to 10,000.
   * @default 1000
   */
  limit?: number;
}

/**
 * Where the threat exchange keeps indicators, their per-destination states and their change
 * feed. Implementations: in memory (core), SQLite (`@ce/storage-sqlite`), and any other that
 * passes `runIocStoreConformance` from `@ce/core/testing`.
 *
 * Every call is asynchronous and validates its input (`VALIDATION_FAILED`); reads hand out
 * copies. Writes are batched and atomic: a `putMany` either stores every record or none. Each stored
 * record gets a new `sequence`, larger than every sequence assigned before it in the same store,
 * so a destination can ask for "everything changed since N" (`changesSince`) without scanning
 * the store. In a store shared by several hosts the sequence must come from the database (a
 * PostgreSQL sequence), never from a host.
 */
export interface IocStore {
  /**
   * Stores full records (insert or replace by key) in one transaction and returns them, in input
   * order, with their new sequences (a key given twice is written twice; the later write wins).
   * Every record is checked first: a known `type`, a non-empty `value` without lone surrogates,
   * `sources` an array, `merged` and `sightings` objects, `active` a boolean, `createdAt` and
   * `updatedAt` numbers, and JSON values only (no `NaN`, function, class instance, `undefined` in
   * an array). One bad record fails the whole batch with `VALIDATION_FAILED` naming its index and
   * field (`[2].type`), and nothing is written. Properties beyond the model are kept as JSON
   * would keep them. The returned records are shallow copies of the input: mutating them never
   * changes the store.
   */
  putMany(indicators: ReadonlyArray<Omit<StoredIndicator, 'sequence'>>): Promise<StoredIndicator[]>;
  /** Records for the keys, in the same order; `undefined` where absent. */
  getMany(keys: ReadonlyArray<IndicatorKey>): Promise<Array<StoredIndicator | undefined>>;
  /** The record for one key, or `undefined`. */
  get(key: IndicatorKey): Promise<StoredIndicator | undefined>;
  /**
   * One page of matching indicators ordered by (type, value), both by code point. `nextCursor` is
   * absent on the last page; paging with it never repeats or skips an indicator that exists
   * throughout.
   */
  query(filter?: IndicatorQuery, page?: IndicatorPageRequest): Promise<Page<StoredIndicator>>;
  /** How many indicators match. */
  count(filter?: IndicatorQuery): Promise<number>;
  /**
   * Indicators written after `sequence`, in sequence order, at most `limit` (default 1,000, cut
   * to 10,000). Each indicator appears once, at its latest version: one written at sequence 5 and
   * again at 9 appears only at 9. Deleted indicators do not appear, so retract an indicator from
   * destinations before deleting it. Page with the sequence of the last record returned.
   */
  changesSince(sequence: number, limit?: number): Promise<StoredIndicator[]>;
  /** The largest sequence assigned so far (deleted indicators included), 0 for an empty store. */
  lastSequence(): Promise<number>;
  /**
   * Matching indicators per UTC day of `field`, counting those with `from <= field < to`. Lists
   * every UTC day the range touches, in order, days without indicators with count 0; `from ===
   * to` gives an empty list. A range of more than 3,660 days or with `to < from` fails with
   * `VALIDATION_FAILED`.
   */
  dailyCounts(
    field: IndicatorSeriesField,
    from: number,
    to: number,
    filter?: IndicatorQuery,
  ): Promise<DailyCount[]>;
  /** Deletes indicators and their destination states; returns how many existed. */
  deleteMany(keys: ReadonlyArray<IndicatorKey>): Promise<number>;
  /** States at one destination for the keys, in the same order. */
  getDestinationStates(
    destinationId: string,
    keys: ReadonlyArray<IndicatorKey>,
  ): Promise<Array<DestinationState | undefined>>;
  /**
   * Inserts or replaces destination states (by destination and key) in one transaction. Does not
   * change indicator sequences, and does not need the indicator to exist. States are checked
   * first (known type and status, non-empty ids, `attempts` a non-negative integer, times
   * numbers); one bad state fails the batch with `VALIDATION_FAILED` naming its index and field,
   * and nothing is written. Only the fields of {@link DestinationState} are stored.
   */
  putDestinationStates(states: ReadonlyArray<DestinationState>): Promise<void>;
  /** One page of states at a destination, ordered by (type, value), optionally by status. */
  queryDestinationStates(query: DestinationStateQuery): Promise<Page<DestinationState>>;
  /** Every state of one indicator, across destinations, ordered by destination id. */
  destinationStatesOf(key: IndicatorKey): Promise<DestinationState[]>;
  /** Deletes every state of a destination (when its rule or configuration is removed); returns how many. */
  deleteDestination(destinationId: string): Promise<number>;
}
