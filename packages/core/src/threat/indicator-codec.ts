/**
 * A compact binary form of {@link StoredIndicator}s for stores that hold millions of them: a
 * record takes about a fifth of its JSON size, and encodes and decodes several times faster than
 * `JSON.stringify`/`JSON.parse` (numbers are written as varints, not decimal text, and the known
 * fields of the model are positional). Anything the codec does not know (a property added to the
 * model later, a plugin's extra field) is kept in a generic form, so a record round-trips as
 * JSON would.
 *
 * Format (version 2), every value tagged: `undefined` (absent), `null`, booleans, unsigned and
 * negative integers as base-128 varints, other numbers as float64, strings as a well-known id, a
 * dictionary id or inline Latin-1 / UTF-16 text, arrays and objects. Never change a tag or a
 * well-known string id: stored bytes depend on them. Version 2 adds `reportedAt` to the positional
 * fields of a source and writes `sightings` positionally; version 1 bytes still decode.
 *
 * @module
 */

import { Buffer } from 'node:buffer';
import { formatPath, ValidationError } from '../errors/validation-error.js';
import {
  type IndicatorType,
  indicatorSeverities,
  indicatorTypes,
  type MergedIndicator,
  type SourceRecord,
  type StoredIndicator,
  tlpLevels,
} from './indicator-model.js';

const formatVersion = 2;

const tagAbsent = 0;
const tagNull = 1;
const tagFalse = 2;
const tagTrue = 3;
const tagUint = 4;
const tagNegativeInt = 5;
const tagFloat = 6;
const tagWellKnown = 7;
const tagDictionary = 8;
const tagLatin1 = 9;
const tagUtf16 = 10;
const tagArray = 11;
const tagObject = 12;
const tagEnd = 13;
/** Version 2: `sightings` as its positional fields (`total`, `systems`) and extras. */
const tagSightings = 14;

const sourceFields = [
  'sourceId',
  'firstSeen',
  'lastSeen',
  'severity',
  'reputation',
  'confidence',
  'tags',
  'comments',
  'externalUrl',
  'safe',
  'test',
  'tlp',
  'hits',
  'expiresAt',
  'withdrawnAt',
] as const;

const sightingsFields = ['total', 'systems'] as const;

const mergedFields = [
  'severity',
  'reputation',
  'confidence',
  'tags',
  'comments',
  'externalUrl',
  'safe',
  'test',
  'tlp',
  'firstSeen',
  'lastSeen',
  'verdict',
] as const;

/** Top-level fields after `type`, `value` and `sequence`, which a store keeps itself. */
const recordFields = [
  'sources',
  'merged',
  'active',
  'inactiveReason',
  'inactiveSince',
  'expiresAt',
  'decayScore',
  'suppressedBy',
  'sightings',
  'createdAt',
  'updatedAt',
] as const;

/** Strings with a fixed one-byte id. Append only: ids are stored. */
const wellKnownStrings: readonly string[] = [
  ...indicatorSeverities,
  ...tlpLevels,
  'expired',
  'withdrawn',
  'safe',
  'decayed',
  'manual',
  'malicious',
  ...indicatorTypes,
  ...new Set([...sourceFields, ...mergedFields, ...recordFields]),
  'total',
  'systems',
  'system',
  'count',
  'listId',
  'listName',
  'entry',
  'verdict',
  'overruled',
  'reason',
  'type',
  'value',
  'sequence',
  'reportedAt',
];
const wellKnownIds = new Map(wellKnownStrings.map((text, id) => [text, id]));
const sourceFieldSet = new Set<string>([...sourceFields, 'reportedAt']);
const sightingsFieldSet = new Set<string>(sightingsFields);
const mergedFieldSet = new Set<string>(mergedFields);
const recordFieldSet = new Set<string>([...recordFields, 'type', 'value', 'sequence']);

/**
 * Interns strings that repeat across records (source ids, tags) so a record stores a small id
 * instead of the text. Only an in-process store should use one: ids are not stored anywhere else.
 */
export interface IndicatorStringDictionary {
  /** The id of `text`, adding it when there is room; `undefined` to store the text inline. */
  idOf(text: string): number | undefined;
  /** The text of an id handed out by {@link IndicatorStringDictionary.idOf}. */
  textOf(id: number): string;
}

/**
 * Creates an {@link IndicatorStringDictionary} holding at most `maxEntries` strings of at most
 * `maxLength` code units; longer or later strings are stored inline.
 *
 * @example
 * ```ts
 * const codec = createIndicatorCodec({ dictionary: createIndicatorStringDictionary() });
 * ```
 */
export function createIndicatorStringDictionary(
  maxEntries = 65_536,
  maxLength = 64,
): IndicatorStringDictionary {
  const ids = new Map<string, number>();
  const texts: string[] = [];
  return {
    idOf(text) {
      const known = ids.get(text);
      if (known !== undefined || text.length > maxLength || texts.length >= maxEntries) return known;
      ids.set(text, texts.length);
      texts.push(text);
      return texts.length - 1;
    },
    textOf(id) {
      const text = texts[id];
      if (text === undefined) throw new Error(`unknown dictionary id ${id}`);
      return text;
    },
  };
}

/** A value the codec cannot store, with the path to it (built while the error unwinds). */
class CodecIssue extends Error {
  readonly path: PropertyKey[] = [];
}

/** Options of {@link createIndicatorCodec}. */
export interface IndicatorCodecOptions {
  /**
   * Interns repeated strings; only for stores whose bytes never leave the process.
   * @default none: every string other than a well-known one is stored inline
   */
  dictionary?: IndicatorStringDictionary;
}

/** Encodes and decodes the stored part of indicators (everything but type, value and sequence). */
export interface IndicatorCodec {
  /**
   * Appends the encoding of `record` to the codec's output buffer and returns its length. Throws a
   * {@link ValidationError} naming `records[index]` and the field when a value is not JSON (a
   * function, `NaN`, a class instance, `undefined` in an array...); the output then holds a
   * partial encoding, so call {@link IndicatorCodec.reset} before the next batch.
   */
  encode(record: Omit<StoredIndicator, 'sequence'>, index: number): number;
  /** The bytes encoded since the last reset. */
  output(): Buffer;
  /** How many bytes {@link IndicatorCodec.output} holds. */
  readonly length: number;
  /**
   * Whether the record last encoded had top-level properties beyond the model's (kept as JSON
   * would keep them), so a store copying it field by field knows to copy them too.
   */
  readonly lastHadExtraFields: boolean;
  /** Empties the output buffer (keeping its memory). */
  reset(): void;
  /** Decodes a record written by {@link IndicatorCodec.encode} from `bytes` at `offset`. */
  decode(
    bytes: Uint8Array,
    offset: number,
    type: IndicatorType,
    value: string,
    sequence: number,
  ): StoredIndicator;
}

/** Buffer's own slicers, which also take a plain `Uint8Array`. */
const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;
const ucs2Slice = Buffer.prototype.ucs2Slice as (this: Uint8Array, start: number, end: number) => string;
const floatView = new Float64Array(1);
const floatBytes = new Uint8Array(floatView.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Latin-1 strings up to this length are looked up among recently decoded ones. */
const recentTextLength = 32;
const recentTextSlots = 4_096;

/**
 * Creates an {@link IndicatorCodec}.
 *
 * @example
 * ```ts
 * const codec = createIndicatorCodec();
 * const length = codec.encode(record, 0);
 * const bytes = Buffer.from(codec.output().subarray(0, length));
 * const copy = codec.decode(bytes, 0, record.type, record.value, 1);
 * ```
 */
export function createIndicatorCodec(options: IndicatorCodecOptions = {}): IndicatorCodec {
  const dictionary = options.dictionary;
  let out = Buffer.allocUnsafe(1 << 16);
  let pos = 0;
  let input: Uint8Array = out;
  let lastHadExtra = false;
  let at = 0;
  /** Well-known ids (>= 0) and dictionary ids (`-id - 1`) of strings seen: one lookup per string. */
  const stringCodes = new Map<string, number>(wellKnownIds);
  /** Dictionary texts by id, so decoding does not call into the dictionary per string. */
  const dictionaryTexts: string[] = [];
  /** Short Latin-1 strings decoded lately, by a hash of their bytes: repeats are not allocated again. */
  const recentTexts = new Array<string | undefined>(recentTextSlots).fill(undefined);

  const grow = (bytes: number): void => {
    const grown = Buffer.allocUnsafe(Math.max(out.length * 2, pos + bytes));
    out.copy(grown, 0, 0, pos);
    out = grown;
  };

  const ensure = (bytes: number): void => {
    if (pos + bytes > out.length) grow(bytes);
  };

  /** Writes a non-negative safe integer; the caller has ensured 8 bytes. */
  const writeVarint = (number: number): void => {
    if (number < 128) {
      out[pos++] = number;
      return;
    }
    if (number < 4_294_967_296) {
      let low = number >>> 0;
      while (low > 127) {
        out[pos++] = (low & 127) | 128;
        low >>>= 7;
      }
      out[pos++] = low;
      return;
    }
    // Timestamps: the low 28 bits as four groups, then the rest (below 2^25) as above.
    let high = Math.floor(number / 268_435_456);
    const low = number - high * 268_435_456;
    out[pos++] = (low & 127) | 128;
    out[pos++] = ((low >>> 7) & 127) | 128;
    out[pos++] = ((low >>> 14) & 127) | 128;
    out[pos++] = ((low >>> 21) & 127) | 128;
    while (high > 127) {
      out[pos++] = (high & 127) | 128;
      high >>>= 7;
    }
    out[pos++] = high;
  };

  const writeString = (text: string): void => {
    let code = stringCodes.get(text);
    if (code === undefined && dictionary !== undefined) {
      const id = dictionary.idOf(text);
      if (id !== undefined) {
        code = -id - 1;
        stringCodes.set(text, code);
      }
    }
    const length = text.length;
    if (pos + length * 2 + 10 > out.length) grow(length * 2 + 10);
    if (code !== undefined) {
      if (code >= 0) {
        out[pos++] = tagWellKnown;
        out[pos++] = code;
      } else {
        out[pos++] = tagDictionary;
        writeVarint(-code - 1);
      }
      return;
    }
    const start = pos;
    out[pos++] = tagLatin1;
    writeVarint(length);
    if (length <= 64) {
      // Short text: copy in JavaScript, cheaper than a call into the buffer's native writer.
      let i = 0;
      for (; i < length; i++) {
        const char = text.charCodeAt(i);
        if (char > 0xff) break;
        out[pos++] = char;
      }
      if (i === length) return;
    } else {
      let latin1 = true;
      for (let i = 0; i < length; i++) {
        if (text.charCodeAt(i) > 0xff) {
          latin1 = false;
          break;
        }
      }
      if (latin1) {
        pos += out.write(text, pos, length, 'latin1');
        return;
      }
    }
    pos = start;
    out[pos++] = tagUtf16;
    writeVarint(length);
    pos += out.write(text, pos, length * 2, 'utf16le');
  };

  const writeNumber = (value: number): void => {
    if (pos + 10 > out.length) grow(10);
    if (value >= 0 && value <= Number.MAX_SAFE_INTEGER && Math.floor(value) === value) {
      out[pos++] = tagUint;
      writeVarint(value);
    } else if (value < 0 && value >= -Number.MAX_SAFE_INTEGER && Math.floor(value) === value) {
      out[pos++] = tagNegativeInt;
      writeVarint(-value);
    } else if (Number.isFinite(value)) {
      out[pos++] = tagFloat;
      pos = out.writeDoubleLE(value, pos);
    } else {
      throw new CodecIssue(`${value} is not a JSON number`);
    }
  };

  const writeValue = (value: unknown): void => {
    if (typeof value === 'number') writeNumber(value);
    else if (typeof value === 'string') writeString(value);
    else if (typeof value === 'boolean') {
      ensure(1);
      out[pos++] = value ? tagTrue : tagFalse;
    } else if (value === undefined) {
      ensure(1);
      out[pos++] = tagAbsent;
    } else if (value === null) {
      ensure(1);
      out[pos++] = tagNull;
    } else if (Array.isArray(value)) {
      writeArray(value, writeValue);
    } else if (typeof value === 'object') {
      writeObject(value as Record<string, unknown>);
    } else {
      throw new CodecIssue(`a ${typeof value} is not JSON`);
    }
  };

  const writeArray = (items: readonly unknown[], writeItem: (item: unknown) => void): void => {
    ensure(10);
    out[pos++] = tagArray;
    writeVarint(items.length);
    let i = 0;
    try {
      for (; i < items.length; i++) {
        const item = items[i];
        if (item === undefined) throw new CodecIssue('undefined is not JSON; use null');
        writeItem(item);
      }
    } catch (error) {
      if (error instanceof CodecIssue) error.path.unshift(i);
      throw error;
    }
  };

  /** Writes the properties of `object` not in `skip` (all when absent) as a generic object. */
  const writeObject = (object: Record<string, unknown>, skip?: ReadonlySet<string>): void => {
    const prototype = Object.getPrototypeOf(object);
    if (prototype !== Object.prototype && prototype !== null) {
      const name = (object as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw new CodecIssue(`a ${name} is not JSON; convert it to a plain object or array`);
    }
    ensure(1);
    out[pos++] = tagObject;
    for (const key in object) {
      if (skip?.has(key) || !Object.hasOwn(object, key)) continue;
      const item = object[key];
      if (item === undefined) continue;
      writeString(key);
      try {
        writeValue(item);
      } catch (error) {
        if (error instanceof CodecIssue) error.path.unshift(key);
        throw error;
      }
    }
    ensure(1);
    out[pos++] = tagEnd;
  };

  /**
   * Writes the properties of `object` beyond the `known` ones positional writers handled, as a
   * generic object, or one absent tag when there are none (the usual case).
   */
  const writeExtra = (
    object: Record<string, unknown>,
    present: number,
    known: ReadonlySet<string>,
  ): boolean => {
    let keys = 0;
    for (const _ in object) keys++;
    if (keys !== present) {
      // Slow path: properties set to undefined do not count.
      keys = 0;
      for (const key in object) if (object[key] !== undefined) keys++;
    }
    if (keys === present) {
      ensure(1);
      out[pos++] = tagAbsent;
      return true;
    }
    writeObject(object, known);
    return false;
  };

  /** Writes one positional field; returns 1 when it is present, for {@link writeExtra}. */
  const field = (value: unknown): number => {
    if (value === undefined) {
      ensure(1);
      out[pos++] = tagAbsent;
      return 0;
    }
    writeValue(value);
    return 1;
  };

  const checkObject = (value: unknown): Record<string, unknown> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new CodecIssue('must be an object');
    }
    return value as Record<string, unknown>;
  };

  const writeSource = (value: unknown): void => {
    const source = checkObject(value) as unknown as SourceRecord;
    let present = 0;
    let name = '';
    try {
      name = 'sourceId';
      present += field(source.sourceId);
      name = 'firstSeen';
      present += field(source.firstSeen);
      name = 'lastSeen';
      present += field(source.lastSeen);
      name = 'severity';
      present += field(source.severity);
      name = 'reputation';
      present += field(source.reputation);
      name = 'confidence';
      present += field(source.confidence);
      name = 'tags';
      present += field(source.tags);
      name = 'comments';
      present += field(source.comments);
      name = 'externalUrl';
      present += field(source.externalUrl);
      name = 'safe';
      present += field(source.safe);
      name = 'test';
      present += field(source.test);
      name = 'tlp';
      present += field(source.tlp);
      name = 'hits';
      present += field(source.hits);
      name = 'expiresAt';
      present += field(source.expiresAt);
      name = 'withdrawnAt';
      present += field(source.withdrawnAt);
      name = 'reportedAt';
      present += field(source.reportedAt);
    } catch (error) {
      if (error instanceof CodecIssue) error.path.unshift(name);
      throw error;
    }
    writeExtra(source as unknown as Record<string, unknown>, present, sourceFieldSet);
  };

  const writeMerged = (value: unknown): void => {
    const merged = checkObject(value) as unknown as MergedIndicator;
    let present = 0;
    let name = '';
    try {
      name = 'severity';
      present += field(merged.severity);
      name = 'reputation';
      present += field(merged.reputation);
      name = 'confidence';
      present += field(merged.confidence);
      name = 'tags';
      present += field(merged.tags);
      name = 'comments';
      present += field(merged.comments);
      name = 'externalUrl';
      present += field(merged.externalUrl);
      name = 'safe';
      present += field(merged.safe);
      name = 'test';
      present += field(merged.test);
      name = 'tlp';
      present += field(merged.tlp);
      name = 'firstSeen';
      present += field(merged.firstSeen);
      name = 'lastSeen';
      present += field(merged.lastSeen);
      name = 'verdict';
      present += field(merged.verdict);
    } catch (error) {
      if (error instanceof CodecIssue) error.path.unshift(name);
      throw error;
    }
    writeExtra(merged as unknown as Record<string, unknown>, present, mergedFieldSet);
  };

  /** Plain objects positionally (the usual `{ total, systems }`), anything else as a generic value. */
  const writeSightings = (value: unknown): number => {
    if (
      typeof value !== 'object' ||
      value === null ||
      Array.isArray(value) ||
      Object.getPrototypeOf(value) !== Object.prototype
    ) {
      return field(value);
    }
    const sightings = value as StoredIndicator['sightings'];
    ensure(1);
    out[pos++] = tagSightings;
    let present = 0;
    let name = '';
    try {
      name = 'total';
      present += field(sightings.total);
      name = 'systems';
      present += field(sightings.systems);
    } catch (error) {
      if (error instanceof CodecIssue) error.path.unshift(name);
      throw error;
    }
    writeExtra(sightings as unknown as Record<string, unknown>, present, sightingsFieldSet);
    return 1;
  };

  const writeRecord = (record: Omit<StoredIndicator, 'sequence'> & { sequence?: unknown }): void => {
    // type and value are the store's; sequence is ignored.
    let present = record.sequence === undefined ? 2 : 3;
    let name = '';
    try {
      name = 'sources';
      if (!Array.isArray(record.sources)) throw new CodecIssue('must be an array');
      writeArray(record.sources, writeSource);
      present++;
      name = 'merged';
      writeMerged(record.merged);
      present++;
      name = 'active';
      present += field(record.active);
      name = 'inactiveReason';
      present += field(record.inactiveReason);
      name = 'inactiveSince';
      present += field(record.inactiveSince);
      name = 'expiresAt';
      present += field(record.expiresAt);
      name = 'decayScore';
      present += field(record.decayScore);
      name = 'suppressedBy';
      present += field(record.suppressedBy);
      name = 'sightings';
      present += writeSightings(record.sightings);
      name = 'createdAt';
      present += field(record.createdAt);
      name = 'updatedAt';
      present += field(record.updatedAt);
    } catch (error) {
      if (error instanceof CodecIssue) error.path.unshift(name);
      throw error;
    }
    lastHadExtra = !writeExtra(record as unknown as Record<string, unknown>, present, recordFieldSet);
  };

  const encode = (record: Omit<StoredIndicator, 'sequence'>, index: number): number => {
    const start = pos;
    try {
      ensure(1);
      out[pos++] = formatVersion;
      writeRecord(record);
    } catch (error) {
      if (!(error instanceof CodecIssue)) throw error;
      pos = start;
      throw new ValidationError('invalid indicator', [
        { path: formatPath([index, ...error.path]), reason: error.message },
      ]);
    }
    return pos - start;
  };

  const readVarint = (): number => {
    let byte = input[at++] as number;
    if (byte < 128) return byte;
    let result = byte & 127;
    byte = input[at++] as number;
    result |= (byte & 127) << 7;
    if (byte < 128) return result;
    byte = input[at++] as number;
    result |= (byte & 127) << 14;
    if (byte < 128) return result;
    byte = input[at++] as number;
    result |= (byte & 127) << 21;
    if (byte < 128) return result;
    // Past 28 bits: floating-point arithmetic, exact up to 2^53.
    let scale = 268_435_456;
    do {
      byte = input[at++] as number;
      result += (byte & 127) * scale;
      scale *= 128;
    } while (byte >= 128);
    return result;
  };

  const readText = (tag: number): string => {
    const length = readVarint();
    const start = at;
    if (tag === tagUtf16) {
      at += length * 2;
      return ucs2Slice.call(input, start, at);
    }
    at += length;
    if (length > recentTextLength) return latin1Slice.call(input, start, at);
    let hash = length;
    for (let i = start; i < at; i++) hash = Math.imul(hash ^ (input[i] as number), 0x01000193);
    const slot = (hash ^ (hash >>> 15)) & (recentTextSlots - 1);
    const recent = recentTexts[slot];
    if (recent !== undefined && recent.length === length) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (recent.charCodeAt(i) !== input[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return recent;
    }
    const text = latin1Slice.call(input, start, at);
    recentTexts[slot] = text;
    return text;
  };

  const readDictionary = (): string => {
    const id = readVarint();
    const known = dictionaryTexts[id];
    if (known !== undefined) return known;
    if (!dictionary) throw new Error('indicator bytes use a string dictionary the codec does not have');
    const text = dictionary.textOf(id);
    while (dictionaryTexts.length < id) dictionaryTexts.push(undefined as unknown as string);
    dictionaryTexts[id] = text;
    return text;
  };

  const readValue = (): unknown => {
    const tag = input[at++];
    switch (tag) {
      case tagAbsent:
        return undefined;
      case tagNull:
        return null;
      case tagFalse:
        return false;
      case tagTrue:
        return true;
      case tagUint:
        return readVarint();
      case tagNegativeInt:
        return -readVarint();
      case tagFloat: {
        for (let i = 0; i < 8; i++) floatBytes[littleEndian ? i : 7 - i] = input[at + i] as number;
        at += 8;
        return floatView[0];
      }
      case tagWellKnown:
        return wellKnownStrings[input[at++] as number];
      case tagDictionary:
        return readDictionary();
      case tagLatin1:
      case tagUtf16:
        return readText(tag);
      case tagArray: {
        const length = readVarint();
        const items = new Array<unknown>(length);
        for (let i = 0; i < length; i++) items[i] = readValue();
        return items;
      }
      case tagObject:
        return readObject({});
      default:
        throw new Error(`corrupt indicator bytes: unknown tag ${tag} at ${at - 1}`);
    }
  };

  const readObject = (target: Record<string, unknown>): Record<string, unknown> => {
    while (input[at] !== tagEnd) {
      const key = readValue() as string;
      target[key] = readValue();
    }
    at++;
    return target;
  };

  /** Reads the trailing properties written by `writeExtra` into `target`. */
  const readExtra = <T extends object>(target: T): T => {
    if (input[at] === tagAbsent) at++;
    else {
      at++;
      readObject(target as Record<string, unknown>);
    }
    return target;
  };

  let version = formatVersion;

  // Objects are built from one literal with the fields always present, so that they get those
  // fields in-object; optional ones are added after. Fewer allocations per decoded record.
  const readSource = (): SourceRecord => {
    const sourceId = readValue();
    const firstSeen = readValue();
    const lastSeen = readValue();
    const severity = readValue();
    const reputation = readValue();
    const confidence = readValue();
    const tags = readValue();
    const comments = readValue();
    const externalUrl = readValue();
    const safe = readValue();
    const test = readValue();
    const tlp = readValue();
    const hits = readValue();
    const expiresAt = readValue();
    const withdrawnAt = readValue();
    const reportedAt = version >= 2 ? readValue() : undefined;
    // The engine always sets reportedAt: in the literal, it needs no separate property store.
    const source = (
      reportedAt === undefined
        ? { sourceId, firstSeen, lastSeen, severity, reputation, tags, safe, test, hits }
        : { sourceId, firstSeen, lastSeen, severity, reputation, tags, safe, test, hits, reportedAt }
    ) as Record<string, unknown>;
    if (confidence !== undefined) source.confidence = confidence;
    if (comments !== undefined) source.comments = comments;
    if (externalUrl !== undefined) source.externalUrl = externalUrl;
    if (tlp !== undefined) source.tlp = tlp;
    if (expiresAt !== undefined) source.expiresAt = expiresAt;
    if (withdrawnAt !== undefined) source.withdrawnAt = withdrawnAt;
    return readExtra(source) as unknown as SourceRecord;
  };

  const readMerged = (): MergedIndicator => {
    const severity = readValue();
    const reputation = readValue();
    const confidence = readValue();
    const tags = readValue();
    const comments = readValue();
    const externalUrl = readValue();
    const safe = readValue();
    const test = readValue();
    const tlp = readValue();
    const firstSeen = readValue();
    const lastSeen = readValue();
    const verdict = readValue();
    const merged = { severity, reputation, tags, safe, test, firstSeen, lastSeen } as Record<string, unknown>;
    if (confidence !== undefined) merged.confidence = confidence;
    if (comments !== undefined) merged.comments = comments;
    if (externalUrl !== undefined) merged.externalUrl = externalUrl;
    if (tlp !== undefined) merged.tlp = tlp;
    if (verdict !== undefined) merged.verdict = verdict;
    return readExtra(merged) as unknown as MergedIndicator;
  };

  const readSightings = (): unknown => {
    if (input[at] !== tagSightings) return readValue();
    at++;
    const total = readValue();
    const systems = readValue();
    let sightings: Record<string, unknown>;
    if (total !== undefined && systems !== undefined) sightings = { total, systems };
    else {
      sightings = {};
      if (total !== undefined) sightings.total = total;
      if (systems !== undefined) sightings.systems = systems;
    }
    return readExtra(sightings);
  };

  const decode = (
    bytes: Uint8Array,
    offset: number,
    type: IndicatorType,
    value: string,
    sequence: number,
  ): StoredIndicator => {
    input = bytes;
    at = offset;
    version = input[at++] as number;
    if (version !== 1 && version !== 2) throw new Error(`unknown indicator format version ${version}`);
    if (input[at++] !== tagArray) throw new Error('corrupt indicator bytes: sources');
    const count = readVarint();
    const sources = new Array<SourceRecord>(count);
    for (let i = 0; i < count; i++) sources[i] = readSource();
    const merged = readMerged();
    const active = readValue();
    const inactiveReason = readValue();
    const inactiveSince = readValue();
    const expiresAt = readValue();
    const decayScore = readValue();
    const suppressedBy = readValue();
    const sightings = readSightings();
    const createdAt = readValue();
    const updatedAt = readValue();
    const record = (
      expiresAt === undefined
        ? { type, value, sources, merged, active, sightings, createdAt, updatedAt, sequence }
        : { type, value, sources, merged, active, sightings, createdAt, updatedAt, sequence, expiresAt }
    ) as Record<string, unknown>;
    if (inactiveReason !== undefined) record.inactiveReason = inactiveReason;
    if (inactiveSince !== undefined) record.inactiveSince = inactiveSince;
    if (decayScore !== undefined) record.decayScore = decayScore;
    if (suppressedBy !== undefined) record.suppressedBy = suppressedBy;
    return readExtra(record) as unknown as StoredIndicator;
  };

  return {
    encode,
    output: () => out,
    get length() {
      return pos;
    },
    get lastHadExtraFields() {
      return lastHadExtra;
    },
    reset() {
      pos = 0;
    },
    decode,
  };
}
