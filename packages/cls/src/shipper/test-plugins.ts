import {
  type AnyPluginDefinition,
  CeError,
  type EventRecord,
  type LogBatch,
  type LogCheckpoint,
  type LogFetchRequest,
  type LogPage,
  type LogSinkLimits,
  type LogStream,
  pluginSpecVersion,
} from '@ce/core';
import { z } from 'zod';

/**
 * Where a test source keeps its server-side position per stream, like Netskope's iterator index:
 * in memory for engine tests, in a file for crash tests across processes.
 */
export interface CursorStore {
  /** The next page the "server" serves and the page it served last. */
  get(stream: string): { next: number; last: number | undefined };
  set(stream: string, value: { next: number; last: number | undefined }): void;
}

/** A memory {@link CursorStore}. */
export function memoryCursorStore(): CursorStore {
  const cursors = new Map<string, { next: number; last: number | undefined }>();
  return {
    get: (stream) => cursors.get(stream) ?? { next: 0, last: undefined },
    set: (stream, value) => {
      cursors.set(stream, { ...value });
    },
  };
}

/** Options of {@link testLogSource}. */
export interface TestLogSourceOptions {
  /** Streams, as `events/page`, `alerts/dlp`. @default ['events/page'] */
  streams?: ReadonlyArray<string>;
  /** Records per stream. @default 100 */
  total?: number;
  /** Records per page. @default 10 */
  pageSize?: number;
  /**
   * `iterator`: the server moves on as it serves (Netskope); a page not made durable is only seen
   * again with `redeliver`. `checkpoint`: a page is a pure function of the checkpoint.
   * @default 'iterator'
   */
  mode?: 'iterator' | 'checkpoint';
  /** The server's position per stream. @default memoryCursorStore() */
  cursors?: CursorStore;
  /** Give `recordId` (the record's `_id`) or let the shipper derive ids. @default true */
  recordIds?: boolean;
  /** Builds record `index` of a stream; the default is a small Netskope-like page event. */
  record?: (stream: LogStream, index: number) => Record<string, unknown>;
  /** Epoch seconds of record 0. @default 1767225600 (2026-01-01) */
  startTime?: number;
  /** Each fetch takes this long on the context's clock (a slow API). @default 0 */
  fetchDelayMs?: number;
  /** Called with every request, e.g. to log it to a file in crash tests. */
  onRequest?: (request: LogFetchRequest) => void;
  /** A bounded stream (a backfill): its last page says `finished`. @default false */
  finite?: boolean;
}

/** A deterministic source for shipper tests, with hooks to break it. */
export interface TestLogSource {
  plugin: AnyPluginDefinition;
  /** Every fetch request, in order. */
  requests: Array<{ stream: string; checkpoint: LogCheckpoint | undefined; redeliver: boolean }>;
  /** Fail the next N fetches with this error (or an `HTTP_NETWORK` error). */
  failFetches: number;
  failWith?: Error;
  /** Resolves fetches only when the test says so: set it to a promise, resolve it later. */
  gate?: Promise<void>;
  /**
   * For a request this returns true for, the server moves on as if it answered, and the answer
   * never arrives (the process died): the fetch hangs until it is aborted.
   */
  lose?: (request: LogFetchRequest) => boolean;
  /** Records served so far per stream (first time; resends not counted). */
  served: Map<string, number>;
}

function parseStream(id: string): LogStream {
  const [kindPart, type] = id.split('/') as [string, string];
  return { id, kind: kindPart === 'alerts' ? 'alert' : 'event', type };
}

/** The default record: a page event with the fields the default CEF mapping reads. */
export function testRecord(
  stream: LogStream,
  index: number,
  startTime = 1_767_225_600,
): Record<string, unknown> {
  return {
    _id: `${stream.id}#${index}`,
    type: stream.type,
    timestamp: startTime + index,
    user: `user${index % 7}@example.com`,
    srcip: `10.0.${Math.floor(index / 250) % 250}.${index % 250}`,
    app: 'Box',
    activity: 'Upload',
    url: `https://app.box.com/file/${index}`,
    alert_type: stream.kind === 'alert' ? stream.type : undefined,
    seq: index,
  };
}

/**
 * Builds a deterministic log source plugin (`cls.source`): `total` records per stream in pages of
 * `pageSize`, checkpoints `{ page }`, `more` until the last page, record times one second apart.
 */
export function testLogSource(id: string, options: TestLogSourceOptions = {}): TestLogSource {
  const total = options.total ?? 100;
  const pageSize = options.pageSize ?? 10;
  const mode = options.mode ?? 'iterator';
  const cursors = options.cursors ?? memoryCursorStore();
  const makeRecord = options.record ?? ((stream, index) => testRecord(stream, index, options.startTime));
  const streams = (options.streams ?? ['events/page']).map(parseStream);
  const pages = Math.ceil(total / pageSize);
  const script: TestLogSource = {
    requests: [],
    failFetches: 0,
    served: new Map(),
    plugin: undefined as unknown as AnyPluginDefinition,
  };
  const pageOf = (stream: LogStream, page: number): LogPage => {
    const records: EventRecord[] = [];
    for (let index = page * pageSize; index < Math.min(total, (page + 1) * pageSize); index++)
      records.push(makeRecord(stream, index));
    const next = Math.min(page + 1, pages);
    const last = records[records.length - 1];
    return {
      records,
      checkpoint: { page: next },
      more: next < pages,
      ...(options.finite && next === pages ? { finished: true } : {}),
      ...(last && typeof last.timestamp === 'number' ? { latestTimestamp: last.timestamp * 1000 } : {}),
    };
  };
  script.plugin = {
    specVersion: pluginSpecVersion,
    id,
    name: id,
    version: '1.0.0',
    description: 'deterministic log source for tests',
    modules: ['cls'],
    configSchema: z.object({}),
    cls: {
      source: {
        streams: () => streams,
        async fetch(context, request: LogFetchRequest) {
          script.requests.push({
            stream: request.stream.id,
            checkpoint: request.checkpoint,
            redeliver: request.redeliver,
          });
          options.onRequest?.(request);
          if (options.fetchDelayMs) await context.clock.sleep(options.fetchDelayMs, context.signal);
          if (script.gate) await script.gate;
          if (script.failFetches > 0) {
            script.failFetches--;
            throw script.failWith ?? new CeError('HTTP_NETWORK', 'connection reset by the test');
          }
          const stream = request.stream;
          if (mode === 'checkpoint') {
            const page = (request.checkpoint as { page?: number } | undefined)?.page ?? 0;
            return pageOf(stream, page);
          }
          const cursor = cursors.get(stream.id);
          if (request.redeliver && cursor.last !== undefined) return pageOf(stream, cursor.last);
          const page = Math.min(cursor.next, pages);
          const result = pageOf(stream, page);
          cursors.set(stream.id, { next: Math.min(page + 1, pages), last: page });
          if (page < pages)
            script.served.set(stream.id, (script.served.get(stream.id) ?? 0) + result.records.length);
          if (script.lose?.(request))
            await new Promise<never>((_, reject) =>
              context.signal.addEventListener('abort', () => reject(context.signal.reason), { once: true }),
            );
          return result;
        },
        ...(options.recordIds === false
          ? {}
          : { recordId: (record: EventRecord) => (typeof record._id === 'string' ? record._id : undefined) }),
      },
    },
  };
  return script;
}

/** Options of {@link recordingLogSink}. */
export interface RecordingLogSinkOptions {
  /** Batch limits. @default { maxBatchItems: 1000 } */
  limits?: LogSinkLimits;
}

/** A sink that records what it receives and can fail, refuse records and stall. */
export interface RecordingLogSink {
  plugin: AnyPluginDefinition;
  /** Accepted batches, in order. */
  batches: LogBatch[];
  /** Accepted payloads with their ids, in order. */
  received: Array<{ id: string; stream: string; payload: string }>;
  /** Delivery attempts (accepted or not). */
  attempts: number;
  /** Sessions opened and closed. */
  opens: number;
  closes: number;
  /** While true every delivery throws (`HTTP_NETWORK`, or `failWith`). */
  down: boolean;
  /** Fail the next N deliveries. */
  failDeliveries: number;
  failWith?: Error;
  /** Refuse records whose payload matches (they come back as `rejected`). */
  reject?: (payload: string) => string | undefined;
  /** Deliveries wait for this promise (a slow sink). */
  gate?: Promise<void>;
}

/** Builds a recording sink plugin (`cls.sink`) taking every format. */
export function recordingLogSink(id: string, options: RecordingLogSinkOptions = {}): RecordingLogSink {
  const sink: RecordingLogSink = {
    batches: [],
    received: [],
    attempts: 0,
    opens: 0,
    closes: 0,
    down: false,
    failDeliveries: 0,
    plugin: undefined as unknown as AnyPluginDefinition,
  };
  sink.plugin = {
    specVersion: pluginSpecVersion,
    id,
    name: id,
    version: '1.0.0',
    description: 'recording log sink for tests',
    modules: ['cls'],
    configSchema: z.object({}),
    cls: {
      sink: {
        formats: ['cef', 'leef', 'syslog', 'json'],
        limits: () => options.limits ?? { maxBatchItems: 1_000 },
        async open() {
          sink.opens++;
          let closed = false;
          return {
            async deliver(batch, signal) {
              if (closed) throw new CeError('INTERNAL', 'delivery on a closed session');
              sink.attempts++;
              if (sink.gate) await sink.gate;
              signal.throwIfAborted();
              if (sink.down || sink.failDeliveries > 0) {
                if (sink.failDeliveries > 0) sink.failDeliveries--;
                throw sink.failWith ?? new CeError('HTTP_NETWORK', 'connection refused by the test');
              }
              const rejected: Array<{ index: number; reason: string }> = [];
              batch.items.forEach((item, index) => {
                const reason = sink.reject?.(item.payload);
                if (reason) rejected.push({ index, reason });
                else sink.received.push({ id: item.id, stream: item.stream, payload: item.payload });
              });
              sink.batches.push(batch);
              return rejected.length > 0 ? { rejected } : {};
            },
            async close() {
              closed = true;
              sink.closes++;
            },
          };
        },
      },
    },
  };
  return sink;
}
