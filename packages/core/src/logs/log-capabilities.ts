import type { PluginContext } from '../plugin/plugin-context.js';
import type { SourceCheckpoint } from '../threat/threat-capabilities.js';

/**
 * An event or alert as a log source hands it over: a parsed JSON object. Integers beyond
 * `Number.MAX_SAFE_INTEGER` (64-bit identifiers) must arrive as strings, digit for digit.
 */
export type EventRecord = Readonly<Record<string, unknown>>;

/** JSON a log source keeps per stream to resume: an iterator index, a cursor, a timestamp. */
export type LogCheckpoint = SourceCheckpoint;

/**
 * One stream a source configuration reads, with a checkpoint of its own: for Netskope, one event
 * or alert type. Routes select streams by `kind` and `type`.
 */
export interface LogStream {
  /** Stable within the configuration, e.g. `events/page` or `alerts/dlp`. */
  id: string;
  /** Whether the stream carries events or alerts. */
  kind: 'event' | 'alert';
  /** The event or alert type (`page`, `application`, `dlp`, `malware`...). */
  type: string;
}

/** What the shipper asks a source for. */
export interface LogFetchRequest {
  /** The stream to read. */
  stream: LogStream;
  /** Where the last durable page left off; `undefined` on the first fetch (start as configured). */
  checkpoint: LogCheckpoint | undefined;
  /**
   * True when a fetch from this same checkpoint was started before and its page was never made
   * durable (the process stopped in between). A source whose API advances on read (Netskope's
   * iterator) must return that page again (`operation=resend`); a source whose pages are a pure
   * function of the checkpoint can ignore it.
   */
  redeliver: boolean;
}

/** One page of records from a stream. */
export interface LogPage {
  /** The records, oldest first. */
  records: ReadonlyArray<EventRecord>;
  /** Where to continue after this page; stored only once every sink has it or has spooled it. */
  checkpoint: LogCheckpoint;
  /** Whether more records are ready now; when false the shipper waits before fetching again. */
  more: boolean;
  /** How long the source asks to wait before the next fetch (Netskope's `wait_time`), in ms. */
  waitMs?: number;
  /** Time of the newest record in the page (ms since the epoch), for the lag metric. */
  latestTimestamp?: number;
  /**
   * True when the stream will never have more records (a historical backfill past its end): the
   * shipper stores the checkpoint and may stop fetching the stream. A fetch from a finished
   * checkpoint returns an empty finished page without calling the vendor.
   * @default false
   */
  finished?: boolean;
}

/**
 * A source of events and alerts for the log shipper. Pages are fetched one at a time per stream,
 * strictly in order; the next fetch starts from the checkpoint of the previous page only after
 * that page is durable, so a crash re-reads at most the one page in flight.
 */
export interface LogSourceCapability<Config> {
  /** The streams a configuration reads. */
  streams(config: Config): ReadonlyArray<LogStream>;
  /** Fetches the page after `request.checkpoint` (or the same page again, see `redeliver`). */
  fetch(context: PluginContext<Config>, request: LogFetchRequest): Promise<LogPage>;
  /**
   * A stable identifier of a record (Netskope's `_id`), used for idempotent sinks and dead
   * letters; without it the shipper derives one from the stream, the page and the position.
   */
  recordId?(record: EventRecord): string | undefined;
}

/** The formats a route can produce. */
export type LogFormat = 'cef' | 'leef' | 'syslog' | 'json';

/** One record on its way to a sink. */
export interface LogDelivery {
  /**
   * Deterministic: the same record always gets the same id, so sinks that can deduplicate
   * (an Elasticsearch `_id`, an S3 object key) make replays idempotent.
   */
  id: string;
  /** The id of the stream it came from (`events/page`). */
  stream: string;
  /** The record formatted by the route (a CEF line, a syslog message, a JSON line), unframed. */
  payload: string;
  /** The source record, for sinks that send structured data (HEC fields, documents). */
  record: EventRecord;
  /** The record's own time in ms since the epoch, when known. */
  timestamp?: number;
}

/** A batch for a sink, in order. */
export interface LogBatch {
  /** Deterministic (stream, page, part): an idempotency key or an object key. */
  id: string;
  /** The format of every payload in the batch. */
  format: LogFormat;
  /** The records. */
  items: ReadonlyArray<LogDelivery>;
}

/** A record a sink refused for good; it goes to the dead-letter store with the reason. */
export interface LogRejection {
  /** Position in the batch's `items`. */
  index: number;
  /** Why, as the destination said it (never a secret). */
  reason: string;
}

/**
 * The outcome of a delivery. Everything not listed in `rejected` was accepted. A failure of the
 * whole batch (network, 5xx, 429, authentication) is a thrown `CeError`: the shipper keeps the
 * batch and retries it with backoff, and stops pulling once its spool is full.
 */
export interface LogDeliveryResult {
  /** Records refused for good. */
  rejected?: ReadonlyArray<LogRejection>;
}

/** Batch limits a sink declares; the shipper never hands it a larger batch. */
export interface LogSinkLimits {
  /** Most records per batch. */
  maxBatchItems: number;
  /** Most payload bytes (UTF-8) per batch. */
  maxBatchBytes?: number;
  /**
   * Whether the sink reads `LogDelivery.record`. A sink that sends only payloads (syslog, files)
   * says `false`: the shipper then keeps no copy of the record in its spool (about half the bytes
   * and the serialization cost), and `record` is an empty object.
   * @default true
   */
  records?: boolean;
}

/** An open connection to a sink (a socket, an HTTP client), kept while the shipper runs. */
export interface LogSinkSession {
  /**
   * Delivers a batch, in order, and resolves once the destination has accepted it as far as its
   * protocol tells (a TCP write flushed, an HTTP 2xx, an acknowledged HEC channel).
   */
  deliver(batch: LogBatch, signal: AbortSignal): Promise<LogDeliveryResult>;
  /** Flushes and closes; the shipper calls it on stop and before reopening after a failure. */
  close(): Promise<void>;
}

/** A destination for the log shipper: a SIEM, a data lake, syslog, files. */
export interface LogSinkCapability<Config> {
  /** The formats it can carry (a syslog sink: `syslog`, `cef`, `leef`; Elasticsearch: `json`). */
  formats: ReadonlyArray<LogFormat>;
  /** Its batch limits for a configuration. */
  limits(config: Config): LogSinkLimits;
  /**
   * Opens a session. The context (its HTTP client, logger, state) stays usable until the session
   * is closed; its signal covers the opening only, each delivery gets its own.
   */
  open(context: PluginContext<Config>): Promise<LogSinkSession>;
}

/** What a plugin offers the log shipper: a source of records, a sink, or both. */
export interface LogShipperCapabilities<Config> {
  /** Reads events and alerts. */
  source?: LogSourceCapability<Config>;
  /** Delivers formatted records. */
  sink?: LogSinkCapability<Config>;
}
