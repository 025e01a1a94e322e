import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  CeError,
  type ConfigurationChange,
  configuredCapability,
  type EventRecord,
  type LogBatch,
  type LogCheckpoint,
  type LogDeliveryResult,
  type LogPage,
  type LogSinkCapability,
  type LogSinkLimits,
  type LogSinkSession,
  type LogSourceCapability,
  type LogStream,
  type ModuleHost,
  RuleEngine,
  toCeError,
} from '@ce/core';
import { openDiskSpool } from '../spool/disk-spool.js';
import { createMemorySpool } from '../spool/memory-spool.js';
import type { Spool } from '../spool/spool.js';
import { decodeBatch, deliveryBytes, encodeBatch, type PendingDelivery } from './batch-codec.js';
import { type DeadLetter, DeadLetterStore } from './dead-letter-store.js';
import type { ShipperErrorInfo } from './log-shipper-events.js';
import { type CompiledRoute, compileRoute, routeReads } from './route-formatter.js';
import {
  type LogShipperOptions,
  type ResolvedRoute,
  type ResolvedShipperOptions,
  resolveShipperOptions,
  type SpoolOpener,
} from './shipper-options.js';
import { backoffDelay, Doorbell, pause } from './wait.js';

/** What a source stream is doing. */
export type StreamState =
  | 'starting'
  | 'running'
  | 'idle'
  | 'backpressure'
  | 'retrying'
  | 'blocked'
  | 'finished'
  | 'stopped';

/** What a sink is doing. */
export type SinkState = 'starting' | 'idle' | 'running' | 'retrying' | 'blocked' | 'stopped';

/** Status of one stream of a source configuration. */
export interface StreamStatus {
  /** The source configuration. */
  configId: string;
  /** The stream id (`events/page`). */
  stream: string;
  /** `idle` waits for the next poll; `backpressure` waits for spool room; `blocked` needs attention. */
  state: StreamState;
  /** The stored checkpoint (after the last durable page). */
  checkpoint?: LogCheckpoint;
  /** Whether a fetch was started and its page not yet made durable. */
  inFlight: boolean;
  /** Milliseconds between now and the newest record shipped, when the source reports record times. */
  lagMs?: number;
  /** When the last page was made durable (epoch ms). */
  lastFetchAt?: number;
  /** Pages made durable since start. */
  pages: number;
  /** Records fetched since start. */
  records: number;
  /** Records no route passed. */
  filtered: number;
  /** Records that could not be formatted (dead-lettered). */
  formatFailures: number;
  /** Failed fetches since start. */
  errors: number;
  /** The last failure, kept until the next success. */
  lastError?: ShipperErrorInfo;
}

/** Status of one source configuration. */
export interface SourceStatus {
  /** The source configuration. */
  configId: string;
  /** `running` once its streams are listed; `waiting` when the configuration is missing or disabled. */
  state: 'starting' | 'running' | 'waiting' | 'retrying' | 'blocked' | 'stopped';
  /** Why it is waiting or failing. */
  lastError?: ShipperErrorInfo;
  /** Its streams that routes read. */
  streams: StreamStatus[];
}

/** Status of one sink configuration. */
export interface SinkStatus {
  /** The sink configuration. */
  sinkId: string;
  /** `blocked`: failing in a way retries are not expected to fix (authentication, configuration). */
  state: SinkState;
  /** Batches waiting in its spool, and their bytes. */
  spool: { count: number; bytes: number; maxBytes: number };
  /** Records and payload bytes spooled for it since start. */
  spooledRecords: number;
  /** Payload bytes spooled since start. */
  spooledBytes: number;
  /** Batches it accepted since start. */
  deliveredBatches: number;
  /** Records it accepted since start. */
  deliveredRecords: number;
  /** Payload bytes it accepted since start. */
  deliveredBytes: number;
  /** Failed delivery attempts since start. */
  retries: number;
  /** Records dead-lettered for it since start. */
  deadLetters: number;
  /** When it last accepted a batch. */
  lastDeliveryAt?: number;
  /** The last failure, kept until the next success. */
  lastError?: ShipperErrorInfo;
}

/** What {@link LogShipper.status} reports. */
export interface LogShipperStatus {
  /** Whether `start` ran and `stop` did not. */
  running: boolean;
  /** Per source configuration, with its streams. */
  sources: SourceStatus[];
  /** Per sink configuration. */
  sinks: SinkStatus[];
  /** Letters stored, and letters dropped since start because the store was full. */
  deadLetters: { stored: number; dropped: number };
}

/** One metric with its samples, ready for a Prometheus exposition. */
export interface LogShipperMetric {
  /** `ce_cls_...`; counters end in `_total`. */
  name: string;
  /** One line of help. */
  help: string;
  /** Prometheus type. */
  type: 'counter' | 'gauge';
  /** Values per label set. */
  samples: Array<{ labels: Record<string, string>; value: number }>;
}

/** Which dead letters to list or re-drive. */
export interface DeadLetterFilter {
  /** Only these ids. */
  ids?: ReadonlyArray<string>;
  /** Only those of this sink. */
  sinkId?: string;
  /** Only those of this route. */
  routeId?: string;
  /** Continue after this id (listing). */
  after?: string;
  /** At most this many. @default 100 (listing), 1000 (re-drive) */
  limit?: number;
}

/** What {@link LogShipper.redriveDeadLetters} did. */
export interface RedriveReport {
  /** Letters spooled again (and removed from the store). */
  redriven: number;
  /** Letters that could not be, with why; they stay in the store. */
  failed: Array<{ id: string; reason: string }>;
}

interface StoredStreamState {
  checkpoint?: LogCheckpoint;
  inFlight: boolean;
  /** Batches of the page in flight already in a durable spool, so a redelivered page skips them. */
  spooled?: string[];
  latestTimestamp?: number;
  updatedAt: number;
}

interface Controllers {
  /** Stops waiting: sleeps, polls, spool room. */
  soft: AbortController;
  /** Stops work in flight: fetches, deliveries. */
  hard: AbortController;
}

interface StreamRuntime extends Omit<StreamStatus, 'lagMs'> {
  logStream: LogStream;
  /** Keys of the in-flight page's batches already durable (see {@link StoredStreamState.spooled}). */
  spooled: Set<string>;
  doorbell: Doorbell;
  latestTimestamp?: number;
  pageBytes: Map<string, number>;
}

interface SourceRuntime {
  configId: string;
  state: SourceStatus['state'];
  lastError?: ShipperErrorInfo;
  streams: Map<string, StreamRuntime>;
  controllers: Controllers;
  done: Promise<void>;
}

interface SinkInfo {
  capability: LogSinkCapability<unknown>;
  limits: LogSinkLimits;
  enabled: boolean;
}

interface SinkRuntime extends Omit<SinkStatus, 'spool'> {
  spool: Spool;
  /** Whether the spool survives the process. */
  durable: boolean;
  /** The highest sequence acknowledged since start. */
  acked: number;
  ackWaiters: Set<{ sequence: number; resolve: () => void }>;
  doorbell: Doorbell;
  info?: SinkInfo;
  session?: LogSinkSession;
  failures: number;
  controllers: Controllers;
  done: Promise<void>;
}

const namespace = 'cls';
const maxEntryBytes = 16 * 1024 * 1024;
const peekBytes = 32 * 1024 * 1024;

function controllers(): Controllers {
  return { soft: new AbortController(), hard: new AbortController() };
}

function abortBoth(controls: Controllers): void {
  controls.soft.abort(new CeError('ABORTED', 'the log shipper is stopping'));
  controls.hard.abort(new CeError('ABORTED', 'the log shipper is stopping'));
}

function errorInfo(error: CeError, at: number): ShipperErrorInfo {
  return { code: error.code, message: error.message, retryable: error.retryable, at };
}

function hashCheckpoint(checkpoint: LogCheckpoint | undefined): string {
  return createHash('sha256')
    .update(checkpoint === undefined ? 'start' : JSON.stringify(checkpoint))
    .digest('hex')
    .slice(0, 16);
}

function timestampOf(record: EventRecord): number | undefined {
  const value = record.timestamp;
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  if (!Number.isFinite(number) || number <= 0) return undefined;
  return number < 100_000_000_000 ? number * 1000 : number;
}

function checkPage(page: unknown, pluginId: string): LogPage {
  const candidate = page as Partial<LogPage> | undefined;
  if (
    !candidate ||
    !Array.isArray(candidate.records) ||
    candidate.checkpoint === undefined ||
    typeof candidate.more !== 'boolean'
  )
    throw new CeError(
      'PLUGIN_FAILED',
      `${pluginId} cls.fetch returned a page without records, checkpoint or more`,
    );
  return candidate as LogPage;
}

function checkResult(result: unknown, items: number, pluginId: string): Map<number, string> {
  const rejected = new Map<number, string>();
  const list = (result as LogDeliveryResult | undefined)?.rejected;
  if (list === undefined) return rejected;
  if (!Array.isArray(list))
    throw new CeError('PLUGIN_FAILED', `${pluginId} cls.deliver returned "rejected" that is not an array`);
  for (const entry of list) {
    const index = (entry as { index?: unknown })?.index;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= items)
      throw new CeError('PLUGIN_FAILED', `${pluginId} cls.deliver rejected an index outside the batch`);
    const reason = (entry as { reason?: unknown }).reason;
    rejected.set(index, typeof reason === 'string' && reason ? reason.slice(0, 2_000) : 'rejected');
  }
  return rejected;
}

function fileName(id: string): string {
  return id.replace(/[^\w.-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * The log shipper: reads each source stream once, page by page, filters and formats each record
 * per route, spools the batches of every sink durably, and only then stores the stream's
 * checkpoint and fetches on; one delivery loop per sink drains its spool in order, acknowledging
 * a batch after the sink accepted it. Create it through `logShipper()` in `createCloudExchange`;
 * it is `exchange.modules.cls`.
 */
export class LogShipper {
  private readonly options: ResolvedShipperOptions;
  private readonly rules: RuleEngine;
  private readonly deadLetters: DeadLetterStore;
  private readonly sources = new Map<string, SourceRuntime>();
  private readonly sinks = new Map<string, SinkRuntime>();
  private readonly openSpool: SpoolOpener;
  private readonly stopTimeoutMs: number;
  private running = false;
  private deadLettersStored = 0;

  /** Creates the engine; `logShipper()` does this for you. */
  constructor(
    private readonly host: ModuleHost,
    options: LogShipperOptions,
  ) {
    const { openSpool, ...data } = options;
    this.options = resolveShipperOptions(data);
    this.rules = new RuleEngine({ clock: host.clock });
    this.deadLetters = new DeadLetterStore(host.storage, this.options.deadLetters.maxEntries);
    this.openSpool = openSpool ?? ((sinkId, spoolOptions) => this.defaultSpool(sinkId, spoolOptions));
    this.stopTimeoutMs = this.options.stopTimeoutMs;
    // Fail fast on filters that compile but cannot run (a bad regular expression).
    for (const route of this.options.routes) if (route.filter) this.rules.compile(route.filter);
  }

  private async defaultSpool(
    sinkId: string,
    options: { maxBytes: number },
  ): Promise<{ spool: Spool; durable: boolean }> {
    const directory = this.options.spool.directory;
    if (!directory) return { spool: createMemorySpool(options), durable: false };
    const spool = await openDiskSpool({
      directory: join(directory, fileName(sinkId)),
      maxBytes: options.maxBytes,
      fsync: this.options.spool.fsync,
      logger: this.host.logger.child({ component: 'spool', sinkId }),
    });
    return { spool, durable: true };
  }

  // ---- lifecycle ------------------------------------------------------------------------

  /** Opens every sink's spool, starts the delivery loops, and the stream loops of every source. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.deadLettersStored = await this.deadLetters.count();
    const sinkIds = new Set(this.options.routes.flatMap((route) => route.sinks));
    for (const sinkId of sinkIds) {
      const { spool, durable } = await this.openSpool(sinkId, {
        maxBytes: this.options.spool.maxBytesPerSink,
      });
      this.startSink(sinkId, spool, durable);
    }
    for (const configId of new Set(this.options.routes.map((route) => route.source)))
      this.startSource(configId);
  }

  /**
   * Stops fetching at once, lets deliveries in flight finish (for up to 10 s, then abandons them:
   * they stay spooled and are delivered again next time), closes sink sessions and spools.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await Promise.all([...this.sources.keys()].map((configId) => this.stopSource(configId)));
    const sinks = [...this.sinks.values()];
    for (const sink of sinks)
      sink.controllers.soft.abort(new CeError('ABORTED', 'the log shipper is stopping'));
    await this.settle(
      sinks.map((sink) => sink.done),
      () => {
        for (const sink of sinks) abortBoth(sink.controllers);
      },
    );
    for (const sink of sinks) {
      await this.closeSession(sink);
      await sink.spool
        .close()
        .catch((error: unknown) =>
          this.host.logger.warn('a spool failed to close', { sinkId: sink.sinkId, error }),
        );
      sink.state = 'stopped';
    }
    this.sinks.clear();
  }

  /** Restarts the loops of a source, or reloads a sink, whose plugin configuration changed. */
  async onConfigurationChanged(change: ConfigurationChange): Promise<void> {
    if (!this.running) return;
    const sink = this.sinks.get(change.configId);
    if (sink) {
      sink.info = undefined;
      // The session was opened with the old settings: reopen before the next batch.
      await this.closeSession(sink);
      sink.failures = 0;
      sink.doorbell.ring();
    }
    if (this.options.routes.some((route) => route.source === change.configId)) {
      await this.stopSource(change.configId);
      if (this.running) this.startSource(change.configId);
    }
    // Streams waiting on this sink's limits or formats look again now rather than after their backoff.
    if (sink)
      for (const source of this.sources.values())
        for (const stream of source.streams.values()) stream.doorbell.ring();
  }

  /** Waits for loops; after the stop timeout, aborts what is in flight and waits again. */
  private async settle(loops: Array<Promise<void>>, abort: () => void): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const all = Promise.all(loops).then(() => true);
    // Wall-clock on purpose: this guards against a hung plugin, whatever clock drives the loops.
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.stopTimeoutMs);
      timer.unref?.();
    });
    const finished = await Promise.race([all, timeout]);
    clearTimeout(timer);
    if (!finished) {
      abort();
      await all;
    }
  }

  // ---- sources --------------------------------------------------------------------------

  private startSource(configId: string): void {
    const runtime: SourceRuntime = {
      configId,
      state: 'starting',
      streams: this.sources.get(configId)?.streams ?? new Map(),
      controllers: controllers(),
      done: Promise.resolve(),
    };
    for (const stream of runtime.streams.values()) stream.state = 'starting';
    this.sources.set(configId, runtime);
    runtime.done = this.superviseSource(runtime).catch((error: unknown) =>
      this.host.logger.error('log shipper source loop failed', { configId, error }),
    );
  }

  private async stopSource(configId: string): Promise<void> {
    const runtime = this.sources.get(configId);
    if (!runtime) return;
    runtime.controllers.soft.abort(new CeError('ABORTED', 'the log shipper is stopping'));
    await this.settle([runtime.done], () => abortBoth(runtime.controllers));
    runtime.state = 'stopped';
    for (const stream of runtime.streams.values()) stream.state = 'stopped';
  }

  /** Lists the source's streams (retrying until it can) and runs one loop per stream a route reads. */
  private async superviseSource(runtime: SourceRuntime): Promise<void> {
    const { configId } = runtime;
    const signal = runtime.controllers.soft.signal;
    let failures = 0;
    let streams: ReadonlyArray<LogStream> | undefined;
    while (!signal.aborted && !streams) {
      try {
        const record = await this.host.storage.pluginConfigs.get(configId);
        if (!record) throw new CeError('NOT_FOUND', `no plugin configuration with id "${configId}"`);
        if (!record.enabled)
          throw new CeError('CONFIG_INVALID', `source configuration "${configId}" is disabled`);
        const source = this.sourceOf(record.pluginId, configId);
        streams = await this.host.plugins.invoke(
          configId,
          'cls.streams',
          async (context) => source.streams(context.config),
          { signal: runtime.controllers.hard.signal, timeoutMs: 60_000 },
        );
        if (!Array.isArray(streams))
          throw new CeError('PLUGIN_FAILED', `${record.pluginId} cls.streams did not return an array`);
      } catch (thrown) {
        if (signal.aborted) return;
        const error = toCeError(thrown);
        failures++;
        const waiting = error.code === 'NOT_FOUND' || error.message.endsWith('is disabled');
        const delay = this.retryDelay(failures, waiting || !error.retryable);
        runtime.state = waiting ? 'waiting' : error.retryable ? 'retrying' : 'blocked';
        runtime.lastError = errorInfo(error, this.host.clock.now());
        if (!waiting)
          this.host.events.emit('cls-fetch-failed', {
            configId,
            attempt: failures,
            state: error.retryable ? 'retrying' : 'blocked',
            retryInMs: delay,
            error: runtime.lastError,
          });
        await pause(this.host.clock, delay, signal);
      }
    }
    if (!streams) return;
    runtime.state = 'running';
    runtime.lastError = undefined;
    const loops: Array<Promise<void>> = [];
    for (const stream of streams) {
      const routes = this.options.routes.filter(
        (route) => route.source === configId && routeReads(route, stream),
      );
      if (routes.length === 0) continue;
      const previous = runtime.streams.get(stream.id);
      const streamRuntime: StreamRuntime = previous ?? {
        configId,
        stream: stream.id,
        logStream: stream,
        state: 'starting',
        inFlight: false,
        pages: 0,
        records: 0,
        filtered: 0,
        formatFailures: 0,
        errors: 0,
        pageBytes: new Map(),
        doorbell: new Doorbell(),
        spooled: new Set(),
      };
      streamRuntime.logStream = stream;
      runtime.streams.set(stream.id, streamRuntime);
      loops.push(
        this.runStream(runtime, streamRuntime, routes).catch((error: unknown) =>
          this.host.logger.error('log shipper stream loop failed', { configId, stream: stream.id, error }),
        ),
      );
    }
    await Promise.all(loops);
  }

  private sourceOf(pluginId: string, configId: string): LogSourceCapability<unknown> {
    const source = this.host.plugins.definition(pluginId).cls?.source as
      | LogSourceCapability<unknown>
      | undefined;
    if (!source)
      throw new CeError(
        'CONFIG_INVALID',
        `configuration "${configId}" (plugin "${pluginId}") is not a log shipper source`,
      );
    return source;
  }

  private retryDelay(failures: number, permanent: boolean): number {
    const { initialDelayMs, maxDelayMs, blockedDelayMs } = this.options.retry;
    return permanent
      ? backoffDelay(1, blockedDelayMs, blockedDelayMs)
      : backoffDelay(failures, initialDelayMs, maxDelayMs);
  }

  /** The fetch loop of one stream: one page at a time, durable before the checkpoint moves. */
  private async runStream(
    source: SourceRuntime,
    stream: StreamRuntime,
    routes: ResolvedRoute[],
  ): Promise<void> {
    const signal = source.controllers.soft.signal;
    const key = `checkpoint:${stream.configId}:${stream.stream}`;
    const stored = (await this.host.storage.keyValue.get<StoredStreamState>(namespace, key))?.value;
    if (stored) {
      stream.checkpoint = stored.checkpoint;
      stream.inFlight = stored.inFlight;
      stream.latestTimestamp = stored.latestTimestamp;
      stream.spooled = new Set(stored.inFlight ? (stored.spooled ?? []) : []);
    }
    let compiled: CompiledRoute[] | undefined;
    let failures = 0;
    while (!signal.aborted) {
      try {
        compiled ??= routes.map((route) => compileRoute(route, stream.logStream, this.rules));
        const page = await this.fetchPage(source, stream, compiled, key);
        failures = 0;
        stream.lastError = undefined;
        if (!page) return;
        // A stream that will never have more (a backfill past its end) is done: its last page is
        // durable and its checkpoint stored, so a restart does not read it again either.
        if (page.finished && !page.more) {
          stream.state = 'finished';
          return;
        }
        const wait = page.more ? (page.waitMs ?? 0) : (page.waitMs ?? this.options.pollIntervalMs);
        if (wait > 0) {
          stream.state = 'idle';
          await pause(this.host.clock, wait, signal);
        }
      } catch (thrown) {
        if (signal.aborted) return;
        const error = toCeError(thrown);
        failures++;
        stream.errors++;
        const permanent = !error.retryable;
        const delay = this.retryDelay(failures, permanent);
        stream.state = permanent ? 'blocked' : 'retrying';
        stream.lastError = errorInfo(error, this.host.clock.now());
        this.host.logger.warn('log shipper fetch failed', {
          configId: stream.configId,
          stream: stream.stream,
          error: error.toJSON(),
          retryInMs: delay,
        });
        this.host.events.emit('cls-fetch-failed', {
          configId: stream.configId,
          stream: stream.stream,
          attempt: failures,
          state: stream.state,
          retryInMs: delay,
          error: stream.lastError,
        });
        // A route that could not be compiled (a mapping missing) is compiled again after the wait.
        if (error.code === 'CONFIG_INVALID') compiled = undefined;
        await stream.doorbell.wait(this.host.clock, delay, signal);
      }
    }
  }

  /** Sink ids of a stream's routes, each with what the stream needs to know of it. */
  private async targetsOf(compiled: CompiledRoute[]): Promise<Map<string, SinkRuntime>> {
    const targets = new Map<string, SinkRuntime>();
    for (const route of compiled) {
      for (const sinkId of route.route.sinks) {
        const sink = this.sinks.get(sinkId);
        if (!sink) throw new CeError('ABORTED', 'the log shipper is stopping');
        const info = await this.sinkInfo(sink);
        if (!info.capability.formats.includes(route.format))
          throw new CeError(
            'CONFIG_INVALID',
            `route "${route.route.id}": sink "${sinkId}" does not take format "${route.format}" (it takes ${info.capability.formats.join(', ')})`,
          );
        targets.set(sinkId, sink);
      }
    }
    return targets;
  }

  private async fetchPage(
    source: SourceRuntime,
    stream: StreamRuntime,
    compiled: CompiledRoute[],
    key: string,
  ): Promise<LogPage | undefined> {
    const soft = source.controllers.soft.signal;
    const targets = await this.targetsOf(compiled);
    // Backpressure: no fetch until every sink has room for a page like the last one.
    for (const [sinkId, sink] of targets) {
      const expected = Math.min(stream.pageBytes.get(sinkId) ?? 1, Math.floor(sink.spool.maxBytes / 2));
      if (!sink.spool.hasRoom(expected)) {
        stream.state = 'backpressure';
        await sink.spool.waitForRoom(expected, soft).catch((error: unknown) => {
          if (soft.aborted) return;
          throw error;
        });
      }
      if (soft.aborted) return undefined;
    }
    stream.state = 'running';
    const record = await this.host.storage.pluginConfigs.get(stream.configId);
    if (!record) throw new CeError('NOT_FOUND', `no plugin configuration with id "${stream.configId}"`);
    const sourceCapability = this.sourceOf(record.pluginId, stream.configId);
    const checkpoint = stream.checkpoint;
    const redeliver = stream.inFlight;
    if (!redeliver) stream.spooled.clear();
    // The marker goes first: if the process dies before the page is durable, the next fetch asks
    // for the same page again (`redeliver`), for sources whose API moves on as it is read.
    await this.saveStreamState(key, stream, { inFlight: true });
    const page = checkPage(
      await this.host.plugins.invoke(
        stream.configId,
        'cls.fetch',
        (context) => sourceCapability.fetch(context, { stream: stream.logStream, checkpoint, redeliver }),
        { signal: source.controllers.hard.signal },
      ),
      record.pluginId,
    );
    const outcome = await this.spoolPage(
      stream,
      compiled,
      targets,
      page,
      sourceCapability,
      checkpoint,
      soft,
      () => this.saveStreamState(key, stream, { inFlight: true }),
    );
    if (outcome === undefined) return undefined;
    if (page.latestTimestamp !== undefined) stream.latestTimestamp = page.latestTimestamp;
    stream.checkpoint = page.checkpoint;
    stream.spooled.clear();
    await this.saveStreamState(key, stream, { inFlight: false });
    const now = this.host.clock.now();
    stream.lastFetchAt = now;
    stream.pages++;
    stream.records += page.records.length;
    this.host.events.emit('cls-page-fetched', {
      configId: stream.configId,
      stream: stream.stream,
      records: page.records.length,
      spooled: outcome.spooled,
      filtered: outcome.filtered,
      deadLettered: outcome.deadLettered,
      checkpoint: page.checkpoint,
      more: page.more,
      redelivered: redeliver,
      ...(page.latestTimestamp !== undefined ? { latestTimestamp: page.latestTimestamp } : {}),
    });
    return page;
  }

  private async saveStreamState(
    key: string,
    stream: StreamRuntime,
    change: { inFlight: boolean },
  ): Promise<void> {
    const state: StoredStreamState = { inFlight: change.inFlight, updatedAt: this.host.clock.now() };
    if (stream.checkpoint !== undefined) state.checkpoint = stream.checkpoint;
    if (stream.latestTimestamp !== undefined) state.latestTimestamp = stream.latestTimestamp;
    if (change.inFlight && stream.spooled.size > 0) state.spooled = [...stream.spooled];
    await this.host.storage.keyValue.set(namespace, key, state);
    stream.inFlight = change.inFlight;
  }

  /**
   * Filters, formats and spools one page for every route and sink. Resolves `undefined` when the
   * shipper stops before the page is durable (the marker stays, so the page is asked for again).
   */
  private async spoolPage(
    stream: StreamRuntime,
    compiled: CompiledRoute[],
    targets: Map<string, SinkRuntime>,
    page: LogPage,
    source: LogSourceCapability<unknown>,
    checkpoint: LogCheckpoint | undefined,
    signal: AbortSignal,
    saveProgress: () => Promise<void>,
  ): Promise<{ spooled: number; filtered: number; deadLettered: number } | undefined> {
    const pageKey = hashCheckpoint(checkpoint);
    const sequences = new Map<string, number>();
    const records = page.records;
    const ids: string[] = new Array(records.length);
    const json: Array<string | undefined> = new Array(records.length);
    const passed = new Uint8Array(records.length);
    const letters: Array<Omit<DeadLetter, 'id'>> = [];
    for (let index = 0; index < records.length; index++) {
      const record = records[index] as EventRecord;
      let id: string | undefined;
      try {
        id = source.recordId?.(record);
      } catch {
        id = undefined;
      }
      ids[index] = typeof id === 'string' && id ? id : `${stream.stream}:${pageKey}:${index}`;
    }
    const now = this.host.clock.now();
    let spooled = 0;
    for (const route of compiled) {
      const items: PendingDelivery[] = [];
      const wantsRecords = route.route.sinks.some(
        (sinkId) => targets.get(sinkId)?.info?.limits.records !== false,
      );
      for (let index = 0; index < records.length; index++) {
        const record = records[index] as EventRecord;
        let payload: string;
        try {
          if (!route.accepts(record)) continue;
          passed[index] = 1;
          payload = route.render(record);
        } catch (thrown) {
          passed[index] = 1;
          letters.push({
            at: now,
            stage: 'format',
            routeId: route.route.id,
            stream: stream.stream,
            recordId: ids[index] as string,
            reason: toCeError(thrown).message,
            payload: safeJson(record),
            record,
          });
          continue;
        }
        let recordJson: string | undefined;
        if (wantsRecords) {
          recordJson = json[index];
          if (recordJson === undefined) {
            recordJson = safeJson(record);
            json[index] = recordJson;
          }
        }
        items.push({
          id: ids[index] as string,
          payload,
          payloadBytes: Buffer.byteLength(payload),
          recordJson,
          timestamp: timestampOf(record),
        });
      }
      for (const sinkId of route.route.sinks) {
        const sink = targets.get(sinkId) as SinkRuntime;
        const limits = sink.info?.limits ?? { maxBatchItems: 1_000 };
        const withRecords = limits.records !== false;
        const entries = this.cutBatches(items, limits, sink.spool.maxBytes, withRecords);
        let pageBytes = 0;
        for (let part = 0; part < entries.length; part++) {
          const slice = entries[part] as PendingDelivery[];
          const batchId = `${stream.stream}:${pageKey}:${route.route.id}:${part}`;
          // Which records, not just which part: limits may have changed since the interrupted run.
          const progressKey = `${sinkId}|${batchId}|${slice.length}|${slice[0]?.id}|${slice[slice.length - 1]?.id}`;
          if (sink.durable && stream.spooled.has(progressKey)) {
            spooled += slice.length;
            continue;
          }
          const batchItems = slice;
          const entry = encodeBatch(
            { id: batchId, format: route.format, route: route.route.id, stream: stream.stream },
            batchItems,
            withRecords,
          );
          pageBytes += entry.length;
          if (
            !(await this.appendEntry(
              sink,
              entry,
              signal,
              batchItems,
              route.route.id,
              stream,
              letters,
              sequences,
            ))
          )
            return undefined;
          if (sink.durable) {
            stream.spooled.add(progressKey);
            await saveProgress();
          }
          let bytes = 0;
          for (const item of batchItems) bytes += item.payloadBytes;
          sink.spooledRecords += batchItems.length;
          sink.spooledBytes += bytes;
          spooled += batchItems.length;
          sink.doorbell.ring();
        }
        stream.pageBytes.set(sinkId, pageBytes);
      }
    }
    if (letters.length > 0) await this.addDeadLetters(letters);
    // A spool that dies with the process is no place to leave a page: wait for the sinks instead.
    for (const [sinkId, sequence] of sequences) {
      const sink = targets.get(sinkId) as SinkRuntime;
      if (sink.durable) continue;
      stream.state = 'backpressure';
      if (!(await this.waitAcknowledged(sink, sequence, signal))) return undefined;
    }
    let filtered = 0;
    for (let index = 0; index < records.length; index++) if (!passed[index]) filtered++;
    stream.filtered += filtered;
    const formatFailures = letters.filter((letter) => letter.stage === 'format').length;
    stream.formatFailures += formatFailures;
    return { spooled, filtered, deadLettered: formatFailures };
  }

  /** Splits deliveries by the sink's item and byte limits and the spool entry size. */
  private cutBatches(
    items: ReadonlyArray<PendingDelivery>,
    limits: LogSinkLimits,
    spoolBytes: number,
    withRecords: boolean,
  ): PendingDelivery[][] {
    const maxItems = Math.max(1, Math.trunc(limits.maxBatchItems));
    const maxPayload = limits.maxBatchBytes ?? Number.POSITIVE_INFINITY;
    const maxEntry = Math.min(maxEntryBytes, Math.floor(spoolBytes / 4));
    const batches: PendingDelivery[][] = [];
    let current: PendingDelivery[] = [];
    let payloadBytes = 0;
    let entryBytes = 0;
    for (const item of items) {
      const payload = item.payloadBytes;
      const size = deliveryBytes(item, withRecords);
      if (
        current.length > 0 &&
        (current.length >= maxItems || payloadBytes + payload > maxPayload || entryBytes + size > maxEntry)
      ) {
        batches.push(current);
        current = [];
        payloadBytes = 0;
        entryBytes = 0;
      }
      current.push(item);
      payloadBytes += payload;
      entryBytes += size;
    }
    if (current.length > 0) batches.push(current);
    return batches;
  }

  /** Appends an entry once there is room; an entry larger than the spool is dead-lettered. */
  private async appendEntry(
    sink: SinkRuntime,
    entry: Buffer,
    signal: AbortSignal,
    items: ReadonlyArray<PendingDelivery>,
    routeId: string,
    stream: StreamRuntime,
    letters: Array<Omit<DeadLetter, 'id'>>,
    sequences: Map<string, number>,
  ): Promise<boolean> {
    for (;;) {
      try {
        if (!sink.spool.hasRoom(entry.length)) {
          stream.state = 'backpressure';
          await sink.spool.waitForRoom(entry.length, signal);
          stream.state = 'running';
        }
        sequences.set(sink.sinkId, await sink.spool.append(entry));
        return true;
      } catch (thrown) {
        if (signal.aborted) return false;
        const error = toCeError(thrown);
        if (error.code === 'SPOOL_FULL' && error.retryable) continue;
        if (error.code !== 'SPOOL_FULL') throw error;
        const now = this.host.clock.now();
        for (const item of items)
          letters.push({
            at: now,
            stage: 'spool',
            sinkId: sink.sinkId,
            routeId,
            stream: stream.stream,
            recordId: item.id,
            reason: error.message,
            payload: item.payload,
          });
        return true;
      }
    }
  }

  private async addDeadLetters(letters: ReadonlyArray<Omit<DeadLetter, 'id'>>): Promise<void> {
    await this.deadLetters.add(letters);
    this.deadLettersStored = await this.deadLetters.count();
    const groups = new Map<string, Omit<DeadLetter, 'id'>[]>();
    for (const letter of letters) {
      const group = `${letter.stage}\u0000${letter.sinkId ?? ''}\u0000${letter.routeId}\u0000${letter.stream}`;
      const list = groups.get(group) ?? [];
      if (list.length === 0) groups.set(group, list);
      list.push(letter);
      if (letter.sinkId) {
        const sink = this.sinks.get(letter.sinkId);
        if (sink) sink.deadLetters++;
      }
    }
    for (const list of groups.values()) {
      const first = list[0] as Omit<DeadLetter, 'id'>;
      this.host.events.emit('cls-dead-lettered', {
        stage: first.stage,
        ...(first.sinkId ? { sinkId: first.sinkId } : {}),
        routeId: first.routeId,
        stream: first.stream,
        count: list.length,
        reason: first.reason,
      });
    }
  }

  // ---- sinks ----------------------------------------------------------------------------

  private startSink(sinkId: string, spool: Spool, durable: boolean): void {
    const runtime: SinkRuntime = {
      sinkId,
      state: 'starting',
      spool,
      durable,
      acked: 0,
      ackWaiters: new Set(),
      doorbell: new Doorbell(),
      failures: 0,
      spooledRecords: 0,
      spooledBytes: 0,
      deliveredBatches: 0,
      deliveredRecords: 0,
      deliveredBytes: 0,
      retries: 0,
      deadLetters: 0,
      controllers: controllers(),
      done: Promise.resolve(),
    };
    this.sinks.set(sinkId, runtime);
    runtime.done = this.runSink(runtime).catch((error: unknown) =>
      this.host.logger.error('log shipper delivery loop failed', { sinkId, error }),
    );
  }

  private async sinkInfo(sink: SinkRuntime): Promise<SinkInfo> {
    if (sink.info) return sink.info;
    const { record, capability } = await configuredCapability(
      this.host,
      sink.sinkId,
      'log shipper sink',
      (plugin) => plugin.cls?.sink as LogSinkCapability<unknown> | undefined,
    );
    const limits = await this.host.plugins.invoke(sink.sinkId, 'cls.limits', async (context) =>
      capability.limits(context.config),
    );
    if (!limits || !Number.isInteger(limits.maxBatchItems) || limits.maxBatchItems < 1)
      throw new CeError('PLUGIN_FAILED', `${record.pluginId} cls.limits returned no positive maxBatchItems`);
    sink.info = { capability, limits, enabled: record.enabled };
    return sink.info;
  }

  private async closeSession(sink: SinkRuntime): Promise<void> {
    const session = sink.session;
    sink.session = undefined;
    if (!session) return;
    await this.host.plugins
      .invoke(sink.sinkId, 'cls.close', () => session.close(), { timeoutMs: 30_000 })
      .catch((error: unknown) =>
        this.host.logger.warn('a sink session failed to close', { sinkId: sink.sinkId, error }),
      );
  }

  /** The delivery loop of one sink: in spool order, one batch at a time, acknowledged after success. */
  private async runSink(sink: SinkRuntime): Promise<void> {
    const soft = sink.controllers.soft.signal;
    let failures = 0;
    while (!soft.aborted) {
      try {
        await this.drainSpool(sink);
        failures = 0;
      } catch (thrown) {
        if (soft.aborted) return;
        // The spool or the dead-letter store failed: nothing was acknowledged, so wait and read again.
        failures++;
        const error = toCeError(thrown);
        sink.state = 'retrying';
        sink.lastError = errorInfo(error, this.host.clock.now());
        this.host.logger.error('log shipper could not read its spool', {
          sinkId: sink.sinkId,
          error: error.toJSON(),
        });
        await pause(this.host.clock, this.retryDelay(failures, false), soft);
      }
    }
  }

  private async drainSpool(sink: SinkRuntime): Promise<void> {
    const soft = sink.controllers.soft.signal;
    while (!soft.aborted) {
      const entries = await sink.spool.peek(this.options.readAhead, peekBytes);
      if (entries.length === 0) {
        if (sink.state !== 'retrying' && sink.state !== 'blocked') sink.state = 'idle';
        await sink.doorbell.wait(this.host.clock, this.options.pollIntervalMs, soft);
        continue;
      }
      for (const entry of entries) {
        if (soft.aborted) return;
        let batch: ReturnType<typeof decodeBatch>;
        try {
          batch = decodeBatch(entry.payload);
        } catch (thrown) {
          // A damaged entry must not block the rest; it is kept for inspection.
          await this.addDeadLetters([
            {
              at: this.host.clock.now(),
              stage: 'spool',
              sinkId: sink.sinkId,
              routeId: 'unknown',
              stream: 'unknown',
              recordId: `spool:${entry.sequence}`,
              reason: toCeError(thrown).message,
              payload: entry.payload.toString('base64'),
            },
          ]);
          await this.acknowledge(sink, entry.sequence);
          continue;
        }
        if (!(await this.deliverUntilDone(sink, batch))) return;
        await this.acknowledge(sink, entry.sequence);
      }
    }
  }

  private async acknowledge(sink: SinkRuntime, sequence: number): Promise<void> {
    await sink.spool.ack(sequence);
    sink.acked = Math.max(sink.acked, sequence);
    for (const waiter of sink.ackWaiters) {
      if (waiter.sequence > sink.acked) continue;
      sink.ackWaiters.delete(waiter);
      waiter.resolve();
    }
  }

  /** Resolves once the sink acknowledged `sequence` (false when the signal aborts first). */
  private waitAcknowledged(sink: SinkRuntime, sequence: number, signal: AbortSignal): Promise<boolean> {
    if (sink.acked >= sequence) return Promise.resolve(true);
    if (signal.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const waiter = {
        sequence,
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(true);
        },
      };
      const onAbort = (): void => {
        sink.ackWaiters.delete(waiter);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      sink.ackWaiters.add(waiter);
    });
  }

  /** Delivers one batch, retrying with backoff; false when the shipper stops first. */
  private async deliverUntilDone(sink: SinkRuntime, batch: ReturnType<typeof decodeBatch>): Promise<boolean> {
    const soft = sink.controllers.soft.signal;
    const hard = sink.controllers.hard.signal;
    for (;;) {
      if (soft.aborted) return false;
      const started = this.host.clock.now();
      try {
        const info = await this.sinkInfo(sink);
        if (!info.enabled)
          throw new CeError('CONFIG_INVALID', `sink configuration "${sink.sinkId}" is disabled`);
        if (!sink.session) {
          sink.session = await this.host.plugins.invoke(
            sink.sinkId,
            'cls.open',
            (context) => info.capability.open(context),
            { signal: hard, timeoutMs: 60_000 },
          );
        }
        const session = sink.session;
        const result = await this.host.plugins.invoke(
          sink.sinkId,
          'cls.deliver',
          (context) => session.deliver(batch, context.signal),
          { signal: hard },
        );
        const rejected = checkResult(result, batch.items.length, sink.sinkId);
        if (rejected.size > 0) await this.rejectItems(sink, batch, rejected);
        const bytes = batch.payloadBytes;
        const now = this.host.clock.now();
        sink.deliveredBatches++;
        sink.deliveredRecords += batch.items.length - rejected.size;
        sink.deliveredBytes += bytes;
        sink.lastDeliveryAt = now;
        sink.failures = 0;
        sink.lastError = undefined;
        sink.state = 'running';
        this.host.events.emit('cls-batch-delivered', {
          sinkId: sink.sinkId,
          batchId: batch.id,
          route: batch.route,
          records: batch.items.length,
          rejected: rejected.size,
          bytes,
          durationMs: now - started,
        });
        return true;
      } catch (thrown) {
        if (soft.aborted && hard.aborted) return false;
        const error = toCeError(thrown);
        if (soft.aborted && error.code === 'ABORTED') return false;
        sink.failures++;
        sink.retries++;
        const permanent = !error.retryable;
        const delay = this.retryDelay(sink.failures, permanent);
        sink.state = permanent ? 'blocked' : 'retrying';
        sink.lastError = errorInfo(error, this.host.clock.now());
        this.host.logger.warn('log shipper delivery failed', {
          sinkId: sink.sinkId,
          batchId: batch.id,
          error: error.toJSON(),
          retryInMs: delay,
        });
        this.host.events.emit('cls-delivery-failed', {
          sinkId: sink.sinkId,
          batchId: batch.id,
          attempt: sink.failures,
          state: sink.state,
          retryInMs: delay,
          error: sink.lastError,
        });
        await this.closeSession(sink);
        // A configuration change rings the bell: retry at once with the new settings.
        await sink.doorbell.wait(this.host.clock, delay, soft);
      }
    }
  }

  private async rejectItems(
    sink: SinkRuntime,
    batch: ReturnType<typeof decodeBatch>,
    rejected: Map<number, string>,
  ): Promise<void> {
    const now = this.host.clock.now();
    const letters: Array<Omit<DeadLetter, 'id'>> = [];
    for (const [index, reason] of rejected) {
      const item = batch.items[index];
      if (!item) continue;
      letters.push({
        at: now,
        stage: 'sink',
        sinkId: sink.sinkId,
        routeId: batch.route,
        stream: item.stream,
        recordId: item.id,
        batchId: batch.id,
        reason,
        payload: item.payload,
      });
    }
    await this.addDeadLetters(letters);
  }

  // ---- dead letters ---------------------------------------------------------------------

  /** Dead letters, oldest first, a page at a time (continue with `after: next`). */
  listDeadLetters(filter: DeadLetterFilter = {}): Promise<{ items: DeadLetter[]; next?: string }> {
    if (filter.ids) {
      const wanted = new Set(filter.ids);
      return this.deadLetters
        .list({ ...filter, limit: 1_000 })
        .then((page) => ({ items: page.items.filter((letter) => wanted.has(letter.id)) }));
    }
    return this.deadLetters.list(filter);
  }

  /**
   * Sends dead letters again: a sink's refusals are spooled again for that sink as they were
   * formatted; a record that could not be formatted is formatted again (after a mapping fix) and
   * spooled for every sink of its route. Letters spooled are removed from the store.
   */
  async redriveDeadLetters(filter: DeadLetterFilter = {}): Promise<RedriveReport> {
    if (!this.running) throw new CeError('CONFLICT', 'the log shipper is not running');
    const wanted = filter.ids ? new Set(filter.ids) : undefined;
    const limit = Math.max(1, Math.trunc(filter.limit ?? 1_000));
    const report: RedriveReport = { redriven: 0, failed: [] };
    let after: string | undefined;
    const letters: DeadLetter[] = [];
    while (letters.length < limit) {
      const page = await this.deadLetters.list({
        ...(filter.sinkId !== undefined ? { sinkId: filter.sinkId } : {}),
        ...(filter.routeId !== undefined ? { routeId: filter.routeId } : {}),
        ...(after !== undefined ? { after } : {}),
        limit: 1_000,
      });
      for (const letter of page.items)
        if ((!wanted || wanted.has(letter.id)) && letters.length < limit) letters.push(letter);
      if (!page.next) break;
      after = page.next;
    }
    const done: string[] = [];
    for (const letter of letters) {
      try {
        await this.redriveOne(letter);
        done.push(letter.id);
        report.redriven++;
      } catch (thrown) {
        report.failed.push({ id: letter.id, reason: toCeError(thrown).message });
      }
    }
    await this.deadLetters.remove(done);
    this.deadLettersStored = await this.deadLetters.count();
    return report;
  }

  private async redriveOne(letter: DeadLetter): Promise<void> {
    const route = this.options.routes.find((candidate) => candidate.id === letter.routeId);
    const send = async (sinkId: string, format: LogBatch['format'], payload: string): Promise<void> => {
      const sink = this.sinks.get(sinkId);
      if (!sink) throw new CeError('NOT_FOUND', `sink "${sinkId}" is not one the routes name`);
      const entry = encodeBatch(
        { id: `redrive:${letter.id}:${sinkId}`, format, route: letter.routeId, stream: letter.stream },
        [
          {
            id: letter.recordId,
            payload,
            payloadBytes: Buffer.byteLength(payload),
            recordJson: letter.record ? safeJson(letter.record) : undefined,
            timestamp: letter.record ? timestampOf(letter.record) : undefined,
          },
        ],
      );
      if (!sink.spool.hasRoom(entry.length))
        throw new CeError('SPOOL_FULL', `the spool of "${sinkId}" is full`);
      await sink.spool.append(entry);
      sink.doorbell.ring();
    };
    if (letter.stage !== 'format') {
      if (!letter.sinkId) throw new CeError('NOT_FOUND', 'the letter names no sink');
      if (letter.routeId === 'unknown')
        throw new CeError('CONFLICT', 'a damaged spool entry cannot be re-driven');
      await send(letter.sinkId, route?.format ?? 'json', letter.payload);
      return;
    }
    if (!route) throw new CeError('NOT_FOUND', `route "${letter.routeId}" no longer exists`);
    if (!letter.record) throw new CeError('NOT_FOUND', 'the letter kept no record to format again');
    const stream = this.sources.get(route.source)?.streams.get(letter.stream)?.logStream;
    if (!stream)
      throw new CeError('NOT_FOUND', `stream "${letter.stream}" of "${route.source}" is not running`);
    const payload = compileRoute(route, stream, this.rules).render(letter.record);
    for (const sinkId of route.sinks) await send(sinkId, route.format, payload);
  }

  // ---- status and metrics ---------------------------------------------------------------

  /** Where every stream and sink stands now. */
  status(): LogShipperStatus {
    const now = this.host.clock.now();
    return {
      running: this.running,
      sources: [...this.sources.values()].map((source) => ({
        configId: source.configId,
        state: source.state,
        ...(source.lastError ? { lastError: source.lastError } : {}),
        streams: [...source.streams.values()].map((stream) => {
          const {
            logStream: _stream,
            latestTimestamp,
            pageBytes: _bytes,
            doorbell: _bell,
            spooled: _spooled,
            ...rest
          } = stream;
          return {
            ...rest,
            ...(latestTimestamp !== undefined ? { lagMs: Math.max(0, now - latestTimestamp) } : {}),
          };
        }),
      })),
      sinks: [...this.sinks.values()].map((sink) => ({
        sinkId: sink.sinkId,
        state: sink.state,
        spool: { count: sink.spool.count, bytes: sink.spool.bytes, maxBytes: sink.spool.maxBytes },
        spooledRecords: sink.spooledRecords,
        spooledBytes: sink.spooledBytes,
        deliveredBatches: sink.deliveredBatches,
        deliveredRecords: sink.deliveredRecords,
        deliveredBytes: sink.deliveredBytes,
        retries: sink.retries,
        deadLetters: sink.deadLetters,
        ...(sink.lastDeliveryAt !== undefined ? { lastDeliveryAt: sink.lastDeliveryAt } : {}),
        ...(sink.lastError ? { lastError: sink.lastError } : {}),
      })),
      deadLetters: { stored: this.deadLettersStored, dropped: this.deadLetters.dropped },
    };
  }

  /** Counters and gauges per stream and sink, for a `/metrics` endpoint. */
  metrics(): LogShipperMetric[] {
    const status = this.status();
    const streams = status.sources.flatMap((source) => source.streams);
    const streamMetric = (
      name: string,
      help: string,
      type: 'counter' | 'gauge',
      value: (stream: StreamStatus) => number | undefined,
    ): LogShipperMetric => ({
      name,
      help,
      type,
      samples: streams.flatMap((stream) => {
        const sample = value(stream);
        return sample === undefined
          ? []
          : [{ labels: { config: stream.configId, stream: stream.stream }, value: sample }];
      }),
    });
    const sinkMetric = (
      name: string,
      help: string,
      type: 'counter' | 'gauge',
      value: (sink: SinkStatus) => number,
    ): LogShipperMetric => ({
      name,
      help,
      type,
      samples: status.sinks.map((sink) => ({ labels: { sink: sink.sinkId }, value: value(sink) })),
    });
    const sinkStates: SinkState[] = ['starting', 'idle', 'running', 'retrying', 'blocked', 'stopped'];
    return [
      streamMetric(
        'ce_cls_pages_fetched_total',
        'Pages fetched and made durable.',
        'counter',
        (s) => s.pages,
      ),
      streamMetric(
        'ce_cls_records_fetched_total',
        'Records fetched from sources.',
        'counter',
        (s) => s.records,
      ),
      streamMetric('ce_cls_records_filtered_total', 'Records no route passed.', 'counter', (s) => s.filtered),
      streamMetric(
        'ce_cls_records_unformattable_total',
        'Records that could not be formatted (dead-lettered).',
        'counter',
        (s) => s.formatFailures,
      ),
      streamMetric('ce_cls_fetch_errors_total', 'Failed fetches.', 'counter', (s) => s.errors),
      streamMetric('ce_cls_lag_seconds', 'Age of the newest record shipped.', 'gauge', (s) =>
        s.lagMs === undefined ? undefined : s.lagMs / 1000,
      ),
      sinkMetric(
        'ce_cls_records_spooled_total',
        'Records spooled for a sink.',
        'counter',
        (s) => s.spooledRecords,
      ),
      sinkMetric(
        'ce_cls_bytes_spooled_total',
        'Payload bytes spooled for a sink.',
        'counter',
        (s) => s.spooledBytes,
      ),
      sinkMetric(
        'ce_cls_records_delivered_total',
        'Records a sink accepted.',
        'counter',
        (s) => s.deliveredRecords,
      ),
      sinkMetric(
        'ce_cls_bytes_delivered_total',
        'Payload bytes a sink accepted.',
        'counter',
        (s) => s.deliveredBytes,
      ),
      sinkMetric(
        'ce_cls_batches_delivered_total',
        'Batches a sink accepted.',
        'counter',
        (s) => s.deliveredBatches,
      ),
      sinkMetric('ce_cls_delivery_retries_total', 'Failed delivery attempts.', 'counter', (s) => s.retries),
      sinkMetric(
        'ce_cls_dead_letters_total',
        'Records dead-lettered for a sink.',
        'counter',
        (s) => s.deadLetters,
      ),
      sinkMetric('ce_cls_spool_entries', 'Batches waiting in a sink spool.', 'gauge', (s) => s.spool.count),
      sinkMetric('ce_cls_spool_bytes', 'Bytes held by a sink spool.', 'gauge', (s) => s.spool.bytes),
      sinkMetric('ce_cls_spool_max_bytes', 'Bound of a sink spool.', 'gauge', (s) => s.spool.maxBytes),
      {
        name: 'ce_cls_sink_state',
        help: 'The state of a sink (1 for the current state).',
        type: 'gauge',
        samples: status.sinks.flatMap((sink) =>
          sinkStates.map((state) => ({
            labels: { sink: sink.sinkId, state },
            value: sink.state === state ? 1 : 0,
          })),
        ),
      },
      {
        name: 'ce_cls_dead_letters_stored',
        help: 'Dead letters in the store.',
        type: 'gauge',
        samples: [{ labels: {}, value: status.deadLetters.stored }],
      },
    ];
  }
}

function safeJson(record: EventRecord): string {
  try {
    return JSON.stringify(record, (_key, value: unknown) =>
      typeof value === 'bigint' ? value.toString() : value,
    );
  } catch {
    return '{"unserializable":true}';
  }
}
