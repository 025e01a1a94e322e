import { ValidationError } from '../errors/validation-error.js';
import type { Page } from '../storage/storage-adapter.js';
import { compareCodePoints, createStorageGate, type StorageGate } from '../storage/storage-support.js';
import { ByteArena } from './byte-arena.js';
import { createIndicatorCodec, createIndicatorStringDictionary } from './indicator-codec.js';
import {
  type DestinationState,
  type IndicatorKey,
  type IndicatorType,
  indicatorSeverities,
  indicatorTypes,
  type StoredIndicator,
} from './indicator-model.js';
import type { DailyCount, DestinationStateQuery, IndicatorQuery, IocStore } from './ioc-store.js';
import {
  checkDestinationId,
  checkDestinationStateQuery,
  checkIndicatorKey,
  checkIndicatorKeys,
  checkIndicatorQuery,
  checkIndicatorRecords,
  dailyCountRange,
  decodeIndicatorCursor,
  encodeIndicatorCursor,
  indicatorTypesInOrder,
  normalizeDestinationStates,
  resolveIocLimit,
  utcDayMs,
  utcDayString,
  withSequence,
} from './ioc-store-support.js';

/** Options of {@link createMemoryIocStore}. */
export interface MemoryIocStoreOptions {
  /**
   * Serializes calls with the other stores of an adapter and makes them fail once it is closed
   * (`createMemoryStorage` passes its own). Calls from inside the adapter's `transaction()` run at
   * once but are not rolled back with it.
   * @default a gate of its own
   */
  gate?: StorageGate;
}

const chunkSize = 4 << 20;
const freeSlot = 255;
const flagActive = 1;
const flagSuppressed = 2;
const flagSighted = 4;
const typeIds = new Map<string, number>(indicatorTypes.map((type, id) => [type, id]));
const severityIds = new Map<string, number>(indicatorSeverities.map((severity, id) => [severity, id]));

/** FNV-1a over UTF-16 code units. */
function hashOf(value: string): number {
  let hash = 0x811c9dc5 | 0;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash;
}

/**
 * Value → slot for the values of one type: open addressing with linear probing in typed arrays,
 * so a million keys cost 16 MB outside the JavaScript heap instead of a `Map`'s 40 MB inside it
 * (a smaller heap is also a smaller heap reservation). Values are read back from the slot column.
 */
class SlotTable {
  /** Slot + 1 per bucket; 0 is empty. */
  private entries = new Int32Array(16);
  private hashes = new Int32Array(16);
  size = 0;

  constructor(private readonly valueAt: (slot: number) => string | undefined) {}

  private find(value: string, hash: number): number {
    const mask = this.entries.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const entry = this.entries[i] as number;
      if (entry === 0) return -1;
      if (this.hashes[i] === hash && this.valueAt(entry - 1) === value) return i;
    }
  }

  get(value: string): number | undefined {
    const bucket = this.find(value, hashOf(value));
    return bucket < 0 ? undefined : (this.entries[bucket] as number) - 1;
  }

  has(value: string): boolean {
    return this.find(value, hashOf(value)) >= 0;
  }

  /** Adds a value that is not in the table. */
  set(value: string, slot: number): void {
    if ((this.size + 1) * 2 > this.entries.length) this.resize(this.entries.length * 2);
    this.place(hashOf(value), slot + 1);
    this.size++;
  }

  private place(hash: number, entry: number): void {
    const mask = this.entries.length - 1;
    let i = hash & mask;
    while (this.entries[i] !== 0) i = (i + 1) & mask;
    this.entries[i] = entry;
    this.hashes[i] = hash;
  }

  private resize(capacity: number): void {
    const entries = this.entries;
    const hashes = this.hashes;
    this.entries = new Int32Array(capacity);
    this.hashes = new Int32Array(capacity);
    for (let i = 0; i < entries.length; i++) {
      if (entries[i] !== 0) this.place(hashes[i] as number, entries[i] as number);
    }
  }

  /** The slots of every value in the table. */
  liveSlots(): number[] {
    const slots: number[] = [];
    for (let i = 0; i < this.entries.length; i++) {
      const entry = this.entries[i] as number;
      if (entry !== 0) slots.push(entry - 1);
    }
    return slots;
  }

  /** Removes a value (before its slot is cleared); returns whether it was there. */
  delete(value: string): boolean {
    let hole = this.find(value, hashOf(value));
    if (hole < 0) return false;
    // Backward-shift deletion: pull later entries of the probe run into the hole.
    const mask = this.entries.length - 1;
    for (let j = (hole + 1) & mask; this.entries[j] !== 0; j = (j + 1) & mask) {
      const home = (this.hashes[j] as number) & mask;
      const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!stays) {
        this.entries[hole] = this.entries[j] as number;
        this.hashes[hole] = this.hashes[j] as number;
        hole = j;
      }
    }
    this.entries[hole] = 0;
    this.size--;
    return true;
  }
}

/** Values of one type: value → slot, plus the slots in code-point order of their values, maintained lazily. */
interface TypeIndex {
  slots: SlotTable;
  sorted: number[];
  /** Slots of the values added since `sorted` was built. */
  pending: number[];
  /** Whether values were deleted since `sorted` was built (their slots may have been reused). */
  deleted: boolean;
}

/** The states of one destination, keyed by `type\0value` (which sorts as (type, value)). */
interface DestinationIndex {
  states: Map<string, DestinationState>;
  sorted: string[];
  pending: string[];
  deleted: boolean;
}

function grow<T extends Float64Array | Uint32Array | Uint8Array | Int32Array>(
  array: T,
  size: number,
  fill?: number,
): T {
  if (size <= array.length) return array;
  const grown = new (array.constructor as new (length: number) => T)(Math.max(size, array.length * 2));
  grown.set(array);
  if (fill !== undefined) grown.fill(fill, array.length);
  return grown;
}

/**
 * Brings a lazily sorted key list up to date: drops deleted keys, merges the pending ones in
 * code-point order without duplicates.
 */
function refreshSorted(
  index: { sorted: string[]; pending: string[]; deleted: boolean },
  has: (key: string) => boolean,
): string[] {
  if (index.pending.length === 0 && !index.deleted) return index.sorted;
  const base = index.deleted ? index.sorted.filter(has) : index.sorted;
  const added = index.pending.filter(has).sort(compareCodePoints);
  const merged: string[] = [];
  let i = 0;
  let j = 0;
  while (i < base.length || j < added.length) {
    let next: string;
    if (j >= added.length) next = base[i++] as string;
    else if (i >= base.length) next = added[j++] as string;
    else {
      const order = compareCodePoints(base[i] as string, added[j] as string);
      next = order <= 0 ? (base[i++] as string) : (added[j++] as string);
      if (order === 0) j++;
    }
    if (merged.length === 0 || merged[merged.length - 1] !== next) merged.push(next);
  }
  index.sorted = merged;
  index.pending = [];
  index.deleted = false;
  return merged;
}

/** Slots with their values, in code-point order of the values. */
function sortSlots(slots: ReadonlyArray<number>, valueAt: (slot: number) => string): Array<[string, number]> {
  return slots
    .map((slot): [string, number] => [valueAt(slot), slot])
    .sort((a, b) => compareCodePoints(a[0], b[0]));
}

/**
 * Brings a type's sorted slots up to date: after a deletion it rebuilds them from the live slots
 * (a freed slot may hold another value now); otherwise it merges the added slots in, finding each
 * one's place by binary search, so only the added values and O(log n) others are read.
 */
function refreshSortedSlots(index: TypeIndex, valueAt: (slot: number) => string): number[] {
  if (index.pending.length === 0 && !index.deleted) return index.sorted;
  if (index.deleted) {
    index.sorted = sortSlots(index.slots.liveSlots(), valueAt).map(([, slot]) => slot);
  } else {
    const base = index.sorted;
    const merged: number[] = [];
    let from = 0;
    for (const [value, slot] of sortSlots(index.pending, valueAt)) {
      const at = boundSlots(base, value, valueAt, true, from);
      for (let i = from; i < at; i++) merged.push(base[i] as number);
      merged.push(slot);
      from = at;
    }
    for (let i = from; i < base.length; i++) merged.push(base[i] as number);
    index.sorted = merged;
  }
  index.pending = [];
  index.deleted = false;
  return index.sorted;
}

/** First position in `sorted` (from `low`) whose value is greater than `key` (or, `inclusive`, not less). */
function boundSlots(
  sorted: ReadonlyArray<number>,
  key: string,
  valueAt: (slot: number) => string,
  inclusive = false,
  low = 0,
): number {
  const limit = inclusive ? 0 : 1;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareCodePoints(valueAt(sorted[middle] as number), key) < limit) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** First index in `sorted` whose key is greater than `key` (or, `inclusive`, not less than it). */
function bound(sorted: readonly string[], key: string, inclusive = false): number {
  const limit = inclusive ? 0 : 1;
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareCodePoints(sorted[middle] as string, key) < limit) low = middle + 1;
    else high = middle;
  }
  return low;
}

function copyState(state: DestinationState): DestinationState {
  const copy = { ...state };
  if (state.lastError) copy.lastError = { ...state.lastError };
  return copy;
}

/**
 * An {@link IocStore} in process memory, built to hold millions of indicators: each record is
 * kept in a compact binary form (about 110 bytes for a typical indicator, strings that repeat
 * interned) and each value as UTF-8, both in large shared buffers outside the JavaScript heap,
 * with the fields that queries filter on in typed columns. Reads decode a fresh copy; writes never
 * keep a reference to the caller's objects. (A million values as strings would be 60 MB of live
 * heap, and V8 sizes the heap a few times over the live heap.)
 *
 * Queries walk the values of each type in code-point order (slots sorted lazily, after writes) and
 * check the columns; `sourceId` and `tag` filters decode the records they look at. Changes are found
 * through a log of (sequence, slot) pairs, compacted when more than half of it is stale.
 * Destination states are kept as objects, one map per destination.
 *
 * @example
 * ```ts
 * const store = createMemoryIocStore();
 * const [stored] = await store.putMany([indicator]);
 * const changes = await store.changesSince(0);
 * ```
 */
export function createMemoryIocStore(options: MemoryIocStoreOptions = {}): IocStore {
  const gate = options.gate ?? createStorageGate('memory');
  const codec = createIndicatorCodec({ dictionary: createIndicatorStringDictionary() });

  // Per-slot columns. A slot holds one indicator; freed slots are reused.
  let capacity = 0;
  let types = new Uint8Array(0);
  let sequences = new Float64Array(0);
  let locations = new Float64Array(0);
  let lengths = new Uint32Array(0);
  let flags = new Uint8Array(0);
  let severities = new Uint8Array(0);
  let createdAts = new Float64Array(0);
  let lastSeens = new Float64Array(0);
  let expiresAts = new Float64Array(0);
  let inactiveSinces = new Float64Array(0);
  let valueLocations = new Float64Array(0);
  let valueLengths = new Uint32Array(0);
  let slotCount = 0;
  const freeSlots: number[] = [];

  const recordBytes = new ByteArena(chunkSize);
  const valueBytes = new ByteArena(chunkSize);
  const valueAt = (slot: number): string =>
    valueBytes.readString(valueLocations[slot] as number, valueLengths[slot] as number);
  const typeIndexes: TypeIndex[] = indicatorTypes.map(() => ({
    slots: new SlotTable(valueAt),
    sorted: [],
    pending: [],
    deleted: false,
  }));

  // The change log, in sequence order; an entry is stale when its slot has moved on.
  let logSequences = new Float64Array(1024);
  let logSlots = new Int32Array(1024);
  let logLength = 0;
  let lastSequence = 0;

  const destinations = new Map<string, DestinationIndex>();

  const ensureSlots = (size: number): void => {
    if (size <= capacity) return;
    capacity = Math.max(size, capacity * 2, 1024);
    types = grow(types, capacity, freeSlot);
    sequences = grow(sequences, capacity);
    locations = grow(locations, capacity);
    lengths = grow(lengths, capacity);
    flags = grow(flags, capacity);
    severities = grow(severities, capacity);
    createdAts = grow(createdAts, capacity);
    lastSeens = grow(lastSeens, capacity);
    expiresAts = grow(expiresAts, capacity);
    inactiveSinces = grow(inactiveSinces, capacity);
    valueLocations = grow(valueLocations, capacity);
    valueLengths = grow(valueLengths, capacity);
  };

  /** Reclaims record and value bytes: frees emptied chunks, compacts when half is garbage. */
  const reclaimBytes = (): void => {
    recordBytes.freeEmptyChunks();
    valueBytes.freeEmptyChunks();
    recordBytes.compact((move) => {
      for (let slot = 0; slot < slotCount; slot++) {
        if (types[slot] !== freeSlot)
          locations[slot] = move(locations[slot] as number, lengths[slot] as number);
      }
    });
    valueBytes.compact((move) => {
      for (let slot = 0; slot < slotCount; slot++) {
        if (types[slot] !== freeSlot)
          valueLocations[slot] = move(valueLocations[slot] as number, valueLengths[slot] as number);
      }
    });
  };

  const appendLog = (sequence: number, slot: number): void => {
    if (logLength === logSequences.length) {
      logSequences = grow(logSequences, logLength * 2);
      logSlots = grow(logSlots, logLength * 2);
    }
    logSequences[logLength] = sequence;
    logSlots[logLength] = slot;
    logLength++;
  };

  /** Drops stale log entries once they outnumber the live ones. */
  const compactLog = (): void => {
    const live = slotCount - freeSlots.length;
    if (logLength < 4096 || logLength < live * 2) return;
    let kept = 0;
    for (let i = 0; i < logLength; i++) {
      const slot = logSlots[i] as number;
      if (sequences[slot] === logSequences[i] && types[slot] !== freeSlot) {
        logSequences[kept] = logSequences[i] as number;
        logSlots[kept] = slot;
        kept++;
      }
    }
    logLength = kept;
  };

  const decode = (slot: number): StoredIndicator => {
    const location = locations[slot] as number;
    return codec.decode(
      recordBytes.bufferAt(location),
      recordBytes.offsetOf(location),
      indicatorTypes[types[slot] as number] as IndicatorType,
      valueAt(slot),
      sequences[slot] as number,
    );
  };

  const slotOf = (key: IndicatorKey): number | undefined => {
    const type = typeIds.get(key.type);
    return type === undefined ? undefined : typeIndexes[type]?.slots.get(key.value);
  };

  const putMany = (records: ReadonlyArray<Omit<StoredIndicator, 'sequence'>>): StoredIndicator[] => {
    checkIndicatorRecords(records);
    codec.reset();
    const ends = new Uint32Array(records.length);
    const extra = new Uint8Array(records.length);
    for (let i = 0; i < records.length; i++) {
      codec.encode(records[i] as Omit<StoredIndicator, 'sequence'>, i);
      ends[i] = codec.length;
      if (codec.lastHadExtraFields) extra[i] = 1;
    }
    // Everything is valid: from here on nothing can fail.
    const encoded = codec.output();
    const stored = new Array<StoredIndicator>(records.length);
    let start = 0;
    let runStart = 0;
    let runTarget = Number.NaN;
    const flushRun = (runEnd: number): void => {
      if (runEnd === runStart || Number.isNaN(runTarget)) return;
      encoded.copy(recordBytes.bufferAt(runTarget), recordBytes.offsetOf(runTarget), runStart, runEnd);
    };
    for (let i = 0; i < records.length; i++) {
      const record = records[i] as Omit<StoredIndicator, 'sequence'>;
      const end = ends[i] as number;
      const length = end - start;
      const type = typeIds.get(record.type) as number;
      const index = typeIndexes[type] as TypeIndex;
      let slot = index.slots.get(record.value);
      if (slot === undefined) {
        slot = freeSlots.pop();
        if (slot === undefined) {
          ensureSlots(slotCount + 1);
          slot = slotCount++;
        }
        const value = valueBytes.writeString(record.value);
        valueLocations[slot] = value.location;
        valueLengths[slot] = value.length;
        types[slot] = type;
        index.slots.set(record.value, slot);
        index.pending.push(slot);
      } else {
        recordBytes.release(locations[slot] as number, lengths[slot] as number);
      }
      const location = recordBytes.allocate(length);
      // Records that land next to each other are copied in one run.
      if (location !== runTarget + (start - runStart)) {
        flushRun(start);
        runStart = start;
        runTarget = location;
      }
      locations[slot] = location;
      lengths[slot] = length;
      const sequence = ++lastSequence;
      sequences[slot] = sequence;
      flags[slot] =
        (record.active ? flagActive : 0) |
        (record.suppressedBy != null ? flagSuppressed : 0) |
        ((record.sightings?.total ?? 0) > 0 ? flagSighted : 0);
      severities[slot] = severityIds.get(record.merged.severity) ?? freeSlot;
      createdAts[slot] = record.createdAt;
      lastSeens[slot] = typeof record.merged.lastSeen === 'number' ? record.merged.lastSeen : Number.NaN;
      expiresAts[slot] = record.expiresAt ?? Number.NaN;
      inactiveSinces[slot] = record.inactiveSince ?? Number.NaN;
      appendLog(sequence, slot);
      stored[i] = extra[i] ? { ...record, sequence } : withSequence(record, sequence);
      start = end;
    }
    flushRun(start);
    reclaimBytes();
    compactLog();
    return stored;
  };

  /** A predicate over slots for the filters that columns answer, plus whether decoding is needed. */
  const compileFilter = (filter: IndicatorQuery) => {
    const severitySet =
      filter.severities === undefined ? undefined : new Set(filter.severities.map((s) => severityIds.get(s)));
    const { active, suppressed, sighted } = filter;
    const createdFrom = filter.createdFrom ?? Number.NEGATIVE_INFINITY;
    const createdTo = filter.createdTo ?? Number.POSITIVE_INFINITY;
    const lastSeenFrom = filter.lastSeenFrom ?? Number.NEGATIVE_INFINITY;
    const lastSeenTo = filter.lastSeenTo ?? Number.POSITIVE_INFINITY;
    const checkLastSeen = filter.lastSeenFrom !== undefined || filter.lastSeenTo !== undefined;
    const { expiresBefore, inactiveBefore, sourceId, tag } = filter;
    const columns = (slot: number): boolean => {
      const bits = flags[slot] as number;
      if (active !== undefined && ((bits & flagActive) !== 0) !== active) return false;
      if (suppressed !== undefined && ((bits & flagSuppressed) !== 0) !== suppressed) return false;
      if (sighted !== undefined && ((bits & flagSighted) !== 0) !== sighted) return false;
      if (severitySet && !severitySet.has(severities[slot])) return false;
      const created = createdAts[slot] as number;
      if (created < createdFrom || created >= createdTo) return false;
      if (checkLastSeen) {
        const lastSeen = lastSeens[slot] as number;
        if (!(lastSeen >= lastSeenFrom && lastSeen < lastSeenTo)) return false;
      }
      if (expiresBefore !== undefined && !((expiresAts[slot] as number) <= expiresBefore)) return false;
      if (inactiveBefore !== undefined) {
        if ((bits & flagActive) !== 0 || !((inactiveSinces[slot] as number) <= inactiveBefore)) return false;
      }
      return true;
    };
    const decoded =
      sourceId === undefined && tag === undefined
        ? undefined
        : (record: StoredIndicator): boolean =>
            (sourceId === undefined || record.sources.some((source) => source.sourceId === sourceId)) &&
            (tag === undefined || (Array.isArray(record.merged.tags) && record.merged.tags.includes(tag)));
    return { columns, decoded };
  };

  const selectedTypes = (filter: IndicatorQuery): IndicatorType[] =>
    filter.types === undefined
      ? [...indicatorTypesInOrder]
      : indicatorTypesInOrder.filter((type) => filter.types?.includes(type));

  /**
   * Calls `visit` with every matching slot (and its record when the filter decoded it) in (type,
   * value) order, starting after `after`, until it returns false.
   */
  const scan = (
    filter: IndicatorQuery,
    after: IndicatorKey | undefined,
    visit: (slot: number, record: StoredIndicator | undefined) => boolean,
  ): void => {
    const { columns, decoded } = compileFilter(filter);
    const prefix = filter.valuePrefix ?? '';
    for (const type of selectedTypes(filter)) {
      if (after && compareCodePoints(type, after.type) < 0) continue;
      const index = typeIndexes[typeIds.get(type) as number] as TypeIndex;
      const sorted = refreshSortedSlots(index, valueAt);
      let position = after && after.type === type ? boundSlots(sorted, after.value, valueAt) : 0;
      // Values with a prefix are contiguous in code-point order.
      if (prefix !== '') position = Math.max(position, boundSlots(sorted, prefix, valueAt, true));
      for (; position < sorted.length; position++) {
        const slot = sorted[position] as number;
        if (prefix !== '' && !valueAt(slot).startsWith(prefix)) break;
        if (!columns(slot)) continue;
        let record: StoredIndicator | undefined;
        if (decoded) {
          record = decode(slot);
          if (!decoded(record)) continue;
        }
        if (!visit(slot, record)) return;
      }
    }
  };

  const query = (
    filter: IndicatorQuery = {},
    page: { cursor?: string; limit?: number } = {},
  ): Page<StoredIndicator> => {
    checkIndicatorQuery(filter);
    const limit = resolveIocLimit(page.limit, 100);
    const after = page.cursor === undefined ? undefined : decodeIndicatorCursor(page.cursor);
    const items: StoredIndicator[] = [];
    let more = false;
    scan(filter, after, (slot, record) => {
      if (items.length === limit) {
        more = true;
        return false;
      }
      items.push(record ?? decode(slot));
      return true;
    });
    const last = items.at(-1);
    return more && last ? { items, nextCursor: encodeIndicatorCursor(last) } : { items };
  };

  const count = (filter: IndicatorQuery = {}): number => {
    checkIndicatorQuery(filter);
    const keys = Object.keys(filter).filter((key) => filter[key as keyof IndicatorQuery] !== undefined);
    if (keys.length === 0) return slotCount - freeSlots.length;
    if (keys.length === 1 && filter.types) {
      return selectedTypes(filter).reduce(
        (sum, type) => sum + (typeIndexes[typeIds.get(type) as number]?.slots.size ?? 0),
        0,
      );
    }
    let total = 0;
    scan(filter, undefined, () => {
      total++;
      return true;
    });
    return total;
  };

  const dailyCounts = (
    field: 'createdAt' | 'lastSeen',
    from: number,
    to: number,
    filter: IndicatorQuery = {},
  ): DailyCount[] => {
    const { firstDay, days } = dailyCountRange(field, from, to);
    checkIndicatorQuery(filter);
    const counts = new Array<number>(days).fill(0);
    const column = field === 'createdAt' ? createdAts : lastSeens;
    if (days > 0) {
      scan(filter, undefined, (slot) => {
        const time = column[slot] as number;
        if (time >= from && time < to) {
          const day = Math.floor(time / utcDayMs) - firstDay;
          counts[day] = (counts[day] as number) + 1;
        }
        return true;
      });
    }
    return counts.map((n, day) => ({ day: utcDayString(firstDay + day), count: n }));
  };

  const changesSince = (sequence: number, limit?: number): StoredIndicator[] => {
    if (!Number.isFinite(sequence)) {
      throw new ValidationError('invalid changesSince', [{ path: 'sequence', reason: 'must be a number' }]);
    }
    const max = resolveIocLimit(limit, 1_000);
    let low = 0;
    let high = logLength;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((logSequences[middle] as number) <= sequence) low = middle + 1;
      else high = middle;
    }
    const found: StoredIndicator[] = [];
    for (let i = low; i < logLength && found.length < max; i++) {
      const slot = logSlots[i] as number;
      if (sequences[slot] === logSequences[i] && types[slot] !== freeSlot) found.push(decode(slot));
    }
    return found;
  };

  const deleteMany = (keys: ReadonlyArray<IndicatorKey>): number => {
    checkIndicatorKeys(keys);
    let deleted = 0;
    for (const key of keys) {
      const type = typeIds.get(key.type) as number;
      const index = typeIndexes[type] as TypeIndex;
      const slot = index.slots.get(key.value);
      if (slot === undefined) continue;
      recordBytes.release(locations[slot] as number, lengths[slot] as number);
      index.slots.delete(key.value);
      valueBytes.release(valueLocations[slot] as number, valueLengths[slot] as number);
      index.deleted = true;
      types[slot] = freeSlot;
      freeSlots.push(slot);
      deleted++;
      const stateKey = `${key.type}\u0000${key.value}`;
      for (const destination of destinations.values()) {
        if (destination.states.delete(stateKey)) destination.deleted = true;
      }
    }
    reclaimBytes();
    compactLog();
    return deleted;
  };

  const stateKeyOf = (key: IndicatorKey): string => `${key.type}\u0000${key.value}`;

  const getDestinationStates = (
    destinationId: string,
    keys: ReadonlyArray<IndicatorKey>,
  ): Array<DestinationState | undefined> => {
    checkDestinationId(destinationId);
    checkIndicatorKeys(keys);
    const states = destinations.get(destinationId)?.states;
    return keys.map((key) => {
      const state = states?.get(stateKeyOf(key));
      return state ? copyState(state) : undefined;
    });
  };

  const putDestinationStates = (input: ReadonlyArray<DestinationState>): void => {
    const states = normalizeDestinationStates(input);
    for (const state of states) {
      let destination = destinations.get(state.destinationId);
      if (!destination) {
        destination = { states: new Map(), sorted: [], pending: [], deleted: false };
        destinations.set(state.destinationId, destination);
      }
      const key = stateKeyOf(state);
      if (!destination.states.has(key)) destination.pending.push(key);
      destination.states.set(key, state);
    }
  };

  const queryDestinationStates = (request: DestinationStateQuery): Page<DestinationState> => {
    const { statuses, limit, after } = checkDestinationStateQuery(request);
    const destination = destinations.get(request.destinationId);
    if (!destination) return { items: [] };
    const sorted = refreshSorted(destination, (key) => destination.states.has(key));
    const items: DestinationState[] = [];
    let position = after ? bound(sorted, stateKeyOf(after)) : 0;
    for (; position < sorted.length; position++) {
      const state = destination.states.get(sorted[position] as string) as DestinationState;
      if (statuses && !statuses.has(state.status)) continue;
      if (items.length === limit) {
        const last = items[items.length - 1] as DestinationState;
        return { items, nextCursor: encodeIndicatorCursor(last) };
      }
      items.push(copyState(state));
    }
    return { items };
  };

  const destinationStatesOf = (key: IndicatorKey): DestinationState[] => {
    checkIndicatorKey(key);
    const stateKey = stateKeyOf(key);
    const found: DestinationState[] = [];
    for (const id of [...destinations.keys()].sort(compareCodePoints)) {
      const state = destinations.get(id)?.states.get(stateKey);
      if (state) found.push(copyState(state));
    }
    return found;
  };

  const deleteDestination = (destinationId: string): number => {
    checkDestinationId(destinationId);
    const destination = destinations.get(destinationId);
    destinations.delete(destinationId);
    return destination?.states.size ?? 0;
  };

  const call = <T>(operation: () => T): Promise<T> => gate.runOrJoin(operation);

  return {
    putMany: (records) => call(() => putMany(records)),
    getMany: (keys) =>
      call(() => {
        checkIndicatorKeys(keys);
        return keys.map((key) => {
          const slot = slotOf(key);
          return slot === undefined ? undefined : decode(slot);
        });
      }),
    get: (key) =>
      call(() => {
        checkIndicatorKey(key);
        const slot = slotOf(key);
        return slot === undefined ? undefined : decode(slot);
      }),
    query: (filter, page) => call(() => query(filter, page)),
    count: (filter) => call(() => count(filter)),
    changesSince: (sequence, limit) => call(() => changesSince(sequence, limit)),
    lastSequence: () => call(() => lastSequence),
    dailyCounts: (field, from, to, filter) => call(() => dailyCounts(field, from, to, filter)),
    deleteMany: (keys) => call(() => deleteMany(keys)),
    getDestinationStates: (destinationId, keys) => call(() => getDestinationStates(destinationId, keys)),
    putDestinationStates: (states) => call(() => putDestinationStates(states)),
    queryDestinationStates: (request) => call(() => queryDestinationStates(request)),
    destinationStatesOf: (key) => call(() => destinationStatesOf(key)),
    deleteDestination: (destinationId) => call(() => deleteDestination(destinationId)),
  };
}
