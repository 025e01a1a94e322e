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
 * Filters of {@link IocStore.query} and {@link IocStore.count}. Every filter given must hold.
 * Results are ordered by `(type, value)`; the cursor is opaque.
 */
export interface IndicatorQuery {
  types?: ReadonlyArray<IndicatorType>;
  /** Only indicators this source reported. */
  sourceId?: string;
  /** Only indicators carrying this tag in their merged view. */
  tag?: string;
  severities?: ReadonlyArray<IndicatorSeverity>;
  active?: boolean;
  /** `true`: only suppressed by a warninglist; `false`: only not suppressed. */
  suppressed?: boolean;
  /** Only values starting with this (after normalization: lowercase hosts). */
  valuePrefix?: string;
  /** Only indicators sighted at least once. */
  sighted?: boolean;
  createdFrom?: number;
  createdTo?: number;
  lastSeenFrom?: number;
  lastSeenTo?: number;
  /** Only indicators whose expiry is at or before this. */
  expiresBefore?: number;
  /** Only inactive indicators inactive since at or before this. */
  inactiveBefore?: number;
}

/** Paging of {@link IocStore.query}. */
export interface IndicatorPageRequest {
  /** Cursor from the previous page. */
  cursor?: string;
  /** @default 100, at most 10,000 */
  limit?: number;
}

/** Which timestamp a daily series counts. */
export type IndicatorSeriesField = 'createdAt' | 'lastSeen';

/** Number of indicators per UTC day. */
export interface DailyCount {
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  count: number;
}

/** Filters of {@link IocStore.queryDestinationStates}. */
export interface DestinationStateQuery {
  destinationId: string;
  statuses?: ReadonlyArray<DestinationStatus>;
  cursor?: string;
  /** @default 1,000, at most 10,000 */
  limit?: number;
}

/**
 * Where the threat exchange keeps indicators, their per-destination states and their change
 * feed. Implementations: in memory (core), SQLite (`@ce/storage-sqlite`), and any other that
 * passes `runIocStoreConformance` from `@ce/core/testing`.
 *
 * Writes are batched and atomic: a `putMany` either stores every record or none. Each stored
 * record gets a new `sequence`, larger than every sequence assigned before it in the same store,
 * so a destination can ask for "everything changed since N" (`changesSince`) without scanning
 * the store. In a store shared by several hosts the sequence must come from the database (a
 * PostgreSQL sequence), never from a host.
 */
export interface IocStore {
  /** Stores full records (insert or replace by key) in one transaction; returns them with their new sequences. */
  putMany(indicators: ReadonlyArray<Omit<StoredIndicator, 'sequence'>>): Promise<StoredIndicator[]>;
  /** Records for the keys, in the same order; `undefined` where absent. */
  getMany(keys: ReadonlyArray<IndicatorKey>): Promise<Array<StoredIndicator | undefined>>;
  get(key: IndicatorKey): Promise<StoredIndicator | undefined>;
  /** One page of matching indicators ordered by (type, value). */
  query(filter?: IndicatorQuery, page?: IndicatorPageRequest): Promise<Page<StoredIndicator>>;
  count(filter?: IndicatorQuery): Promise<number>;
  /** Indicators written after `sequence`, in sequence order, at most `limit` (default 1,000). */
  changesSince(sequence: number, limit?: number): Promise<StoredIndicator[]>;
  /** The largest sequence assigned so far, 0 for an empty store. */
  lastSequence(): Promise<number>;
  /** Matching indicators per UTC day of `field`, for days in [from, to). */
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
  /** Inserts or replaces destination states in one transaction. Does not change indicator sequences. */
  putDestinationStates(states: ReadonlyArray<DestinationState>): Promise<void>;
  /** One page of states at a destination, ordered by (type, value). */
  queryDestinationStates(query: DestinationStateQuery): Promise<Page<DestinationState>>;
  /** Every state of one indicator, across destinations, ordered by destination id. */
  destinationStatesOf(key: IndicatorKey): Promise<DestinationState[]>;
  /** Deletes every state of a destination (when its rule or configuration is removed); returns how many. */
  deleteDestination(destinationId: string): Promise<number>;
}
