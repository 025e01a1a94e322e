/**
 * The mock tenant's data export iterator (dataexport.yaml, and "Using the REST API v2 dataexport
 * Iterator Endpoints"): one cursor per index and endpoint, operations `<epoch>`, `next`, `head`,
 * `tail` and `resend`, `wait_time` once caught up, `timestamp_hwm`, gzip, index expiry and page
 * faults. The HTTP plumbing (auth, rate limit) stays in the server; this module holds the data
 * and answers one request.
 *
 * @module
 */
import { gzipSync } from 'node:zlib';
import type { MockRequest, MockResponse } from '@ce/plugin-kit';
import { netskopeEventTypes, netskopeLogAlertTypes } from '../cls/data-export-types.js';
import {
  generateDataExportRecord,
  type MockDataExportRecord,
  stringifyWithBigInts,
} from './dataexport-records.js';

/** `events` or `alerts`. */
export type MockDataExportKind = 'events' | 'alerts';

/** A page as the mock served it. */
export interface MockDataExportPage {
  ok: 1;
  result: MockDataExportRecord[];
  wait_time: number;
  timestamp_hwm: number;
}

/** A data export cursor: one per index and endpoint. */
export interface MockIteratorState {
  /** How many records (in timestamp order) were served. */
  position: number;
  /** The last page served, for `resend`. */
  last: MockDataExportPage | undefined;
  /** When the index was last used (mock clock, ms), for expiry. */
  lastUsed?: number;
  /** Pages served on this cursor (every operation but `resend`). */
  served?: number;
}

/** What the wait time of a page is computed from. */
export interface MockWaitTimeInput {
  /** The type (kept under this name for the threat exchange tests; holds event types too). */
  alertType: string;
  /** `events` or `alerts`. */
  kind: MockDataExportKind;
  /** Records in the page. */
  served: number;
  /** Records left after it. */
  remaining: number;
}

/** Generated data: `perType` records for each listed type, spread evenly over a time range. */
export interface MockGeneratedData {
  /** Records per type. */
  perType: number;
  /** Event types to fill. @default every documented event type */
  events?: ReadonlyArray<string>;
  /** Alert types to fill. @default every documented alert type */
  alerts?: ReadonlyArray<string>;
  /** Epoch seconds of the first record. @default 24 hours before the mock's now */
  from?: number;
  /** Epoch seconds of the last record. @default the mock's now */
  to?: number;
  /** Seed of the generator. @default 1 */
  seed?: number;
}

/**
 * A fault for the next data export answer:
 * - `cut`: a 200 whose JSON body stops in the middle (the cursor moved, as when a proxy truncates);
 * - `cut-transfer`: a gzip body whose stream breaks off (the client sees a failed transfer; the
 *   cursor moved);
 * - `malformed`: a 200 with a body that is not JSON (the cursor moved);
 * - `not-ok`: a 200 with `{"ok": 0, "message": ...}` (the cursor did not move);
 * - a number: that status with a `{ message }` body (the cursor did not move).
 */
export type MockDataExportFault = 'cut' | 'cut-transfer' | 'malformed' | 'not-ok' | number;

/** Options of the iterator. */
export interface MockDataExportOptions {
  /** Records per page. */
  pageSize: number;
  /** Mock time, epoch ms. */
  now: () => number;
  /** `wait_time` of a page, in seconds. @default 0 while records remain, 30 once caught up */
  waitTimeSeconds?: number | ((input: MockWaitTimeInput) => number);
  /** An index unused this long is forgotten (`next` and `resend` then answer 400). @default never */
  indexTtlMs?: number;
  /** Types whose endpoint exists: documented ones, and any with data. */
  knownTypes: ReadonlyArray<readonly [MockDataExportKind, string]>;
  /** Generated data. */
  generate?: MockGeneratedData;
}

interface Stream {
  kind: MockDataExportKind;
  type: string;
  generated: number;
  from: number;
  step: number;
  seed: number;
  extra: MockDataExportRecord[];
}

// The documented endpoints, and `events/alert`, which the threat exchange's alert pull reads.
const defaultEventTypes: ReadonlyArray<string> = [...netskopeEventTypes, 'alert'];
const defaultAlertTypes: ReadonlyArray<string> = netskopeLogAlertTypes;

/** The documented endpoints, for the server's `knownTypes`. */
export const mockDataExportTypes: ReadonlyArray<readonly [MockDataExportKind, string]> = [
  ...defaultEventTypes.map((type) => ['events', type] as const),
  ...defaultAlertTypes.map((type) => ['alerts', type] as const),
];

/** The iterator's state and its request handler. */
export interface MockDataExport {
  /** Adds records (each with a numeric `timestamp`, epoch seconds) to a type's data. */
  addRecords(kind: MockDataExportKind, type: string, records: ReadonlyArray<MockDataExportRecord>): void;
  /** Number of records a type holds. */
  size(kind: MockDataExportKind, type: string): number;
  /** The cursor of an index for a type, if it was used. */
  iterator(index: string, type: string, kind?: MockDataExportKind): MockIteratorState | undefined;
  /** Forgets an index (on every endpoint, or one), as the tenant does when it expires. */
  expireIndex(index: string, kind?: MockDataExportKind, type?: string): void;
  /** Queues faults for the next data export answers, in order. */
  injectFault(...faults: MockDataExportFault[]): void;
  /** Answers a request for `/api/v2/events/dataexport/{kind}/{type}`. */
  handle(kind: string, type: string, request: MockRequest): MockResponse;
}

/** Creates the iterator. */
export function createMockDataExport(options: MockDataExportOptions): MockDataExport {
  const streams = new Map<string, Stream>();
  const iterators = new Map<string, MockIteratorState>();
  const faults: MockDataExportFault[] = [];
  // Cursors the tenant forgot: `next` and `resend` on them fail until an epoch, head or tail.
  const expired = new Set<string>();
  const streamKey = (kind: string, type: string): string => `${kind}/${type}`;
  // Alert cursors keep the key the threat exchange tests read (`index\0type`).
  const iteratorKey = (index: string, kind: string, type: string): string =>
    kind === 'alerts' ? `${index}\u0000${type}` : `${index}\u0000${kind}/${type}`;

  const stream = (kind: MockDataExportKind, type: string): Stream => {
    const key = streamKey(kind, type);
    let found = streams.get(key);
    if (!found) {
      found = { kind, type, generated: 0, from: 0, step: 0, seed: 1, extra: [] };
      streams.set(key, found);
    }
    return found;
  };
  for (const [kind, type] of options.knownTypes) stream(kind, type);
  if (options.generate) {
    const g = options.generate;
    const to = g.to ?? Math.floor(options.now() / 1_000);
    const from = g.from ?? to - 86_400;
    const fill = (kind: MockDataExportKind, types: ReadonlyArray<string>): void => {
      for (const type of types) {
        const s = stream(kind, type);
        s.generated = g.perType;
        s.from = from;
        s.step = g.perType > 1 ? (to - from) / (g.perType - 1) : 0;
        s.seed = g.seed ?? 1;
      }
    };
    fill('events', g.events ?? defaultEventTypes);
    fill('alerts', g.alerts ?? defaultAlertTypes);
  }

  const length = (s: Stream): number => s.generated + s.extra.length;
  const timestampAt = (s: Stream, i: number): number =>
    i < s.generated ? Math.floor(s.from + i * s.step) : Number(s.extra[i - s.generated]?.timestamp ?? 0);
  const recordAt = (s: Stream, i: number): MockDataExportRecord =>
    i < s.generated
      ? generateDataExportRecord(s.kind, s.type, i, { timestamp: timestampAt(s, i), seed: s.seed })
      : (s.extra[i - s.generated] as MockDataExportRecord);
  /** The first position whose timestamp is at or after `epoch` (records are in time order). */
  const firstAtOrAfter = (s: Stream, epoch: number): number => {
    let low = 0;
    let high = length(s);
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (timestampAt(s, middle) < epoch) low = middle + 1;
      else high = middle;
    }
    return low;
  };

  const waitTime = (input: MockWaitTimeInput): number => {
    const setting = options.waitTimeSeconds;
    if (typeof setting === 'function') return setting(input);
    if (typeof setting === 'number') return setting;
    return input.remaining > 0 ? 0 : 30;
  };

  const badRequest = (message: string): MockResponse => ({ status: 400, json: { message } });

  const encode = (request: MockRequest, text: string): MockResponse => {
    const gzip = /\bgzip\b/i.test(request.headers['accept-encoding'] ?? '');
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: text,
      ...(gzip ? { compress: 'gzip' as const } : {}),
    };
  };

  /** Serves the page after the cursor's position, and moves the cursor past it. */
  const servePage = (s: Stream, state: MockIteratorState): MockDataExportPage => {
    const total = length(s);
    const end = Math.min(total, state.position + options.pageSize);
    const result: MockDataExportRecord[] = [];
    for (let i = state.position; i < end; i++) result.push(recordAt(s, i));
    state.position = end;
    const hwm =
      result.length > 0
        ? Number(result[result.length - 1]?.timestamp ?? 0)
        : Math.max(state.last?.timestamp_hwm ?? 0, Math.floor(options.now() / 1_000));
    const page: MockDataExportPage = {
      ok: 1,
      result,
      wait_time: waitTime({ alertType: s.type, kind: s.kind, served: result.length, remaining: total - end }),
      timestamp_hwm: hwm,
    };
    state.last = page;
    state.served = (state.served ?? 0) + 1;
    return page;
  };

  return {
    addRecords(kind, type, records) {
      const s = stream(kind, type);
      s.extra.push(...records.map((record) => ({ ...record })));
      s.extra.sort((a, b) => Number(a.timestamp ?? 0) - Number(b.timestamp ?? 0));
    },
    size: (kind, type) => {
      const s = streams.get(streamKey(kind, type));
      return s ? length(s) : 0;
    },
    iterator: (index, type, kind = 'alerts') => iterators.get(iteratorKey(index, kind, type)),
    expireIndex(index, kind, type) {
      if (kind && type) {
        iterators.delete(iteratorKey(index, kind, type));
        expired.add(iteratorKey(index, kind, type));
        return;
      }
      for (const key of [...iterators.keys()]) {
        if (!key.startsWith(`${index}\u0000`)) continue;
        iterators.delete(key);
        expired.add(key);
      }
    },
    injectFault: (...added) => {
      faults.push(...added);
    },
    handle(kind, type, request) {
      if (kind !== 'events' && kind !== 'alerts')
        return { status: 404, json: { message: `Unknown data type ${kind}` } };
      const s = streams.get(streamKey(kind, type));
      if (!s)
        return {
          status: 404,
          json: { message: `Unknown ${kind === 'alerts' ? 'alert' : 'event'} type ${type}` },
        };
      const operation = request.query.operation;
      if (!operation) return badRequest('operation is required');
      const index = request.query.index ?? '';
      const key = iteratorKey(index, kind, type);
      const now = options.now();
      let state = iterators.get(key);
      if (state && options.indexTtlMs !== undefined && now - (state.lastUsed ?? now) > options.indexTtlMs) {
        iterators.delete(key);
        expired.add(key);
        state = undefined;
      }
      if (expired.has(key)) {
        if (operation === 'next' || operation === 'resend') {
          return badRequest(`Index ${index} has expired; restart it with an epoch timestamp, head or tail`);
        }
        expired.delete(key);
      }
      const fault = faults.shift();
      if (typeof fault === 'number') return { status: fault, json: { message: `injected status ${fault}` } };
      if (fault === 'not-ok') return { json: { ok: 0, message: 'Internal error while reading the index' } };
      const nextOnly = kind === 'events' && type === 'clientstatus';
      if (operation === 'resend') {
        if (!state?.last) return badRequest(`Nothing to resend for index ${index}`);
        state.lastUsed = now;
        return encode(request, stringifyWithBigInts(state.last));
      }
      if (operation === 'next') state ??= { position: length(s), last: undefined };
      else if (nextOnly)
        return badRequest(`Invalid operation: ${operation} (this endpoint accepts next and resend)`);
      else if (operation === 'head') state = { ...state, position: 0, last: state?.last };
      else if (operation === 'tail') state = { ...state, position: length(s), last: state?.last };
      else if (/^\d+$/.test(operation))
        state = { ...state, position: firstAtOrAfter(s, Number(operation)), last: state?.last };
      else return badRequest(`Invalid operation: ${operation}`);
      state.lastUsed = now;
      iterators.set(key, state);
      const page = servePage(s, state);
      const text = stringifyWithBigInts(page);
      if (fault === 'cut')
        return {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: text.slice(0, Math.floor(text.length / 2)),
        };
      if (fault === 'malformed')
        return {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: `<html>${text.slice(0, 40)}`,
        };
      if (fault === 'cut-transfer') {
        const zipped = gzipSync(Buffer.from(text));
        return {
          status: 200,
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
          body: zipped.subarray(0, Math.max(20, Math.floor(zipped.length / 2))),
        };
      }
      return encode(request, text);
    },
  };
}
