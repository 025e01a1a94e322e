import type { ErrorCode, LogCheckpoint } from '@ce/core';

/** An error as events and status report it: no stack, no secrets. */
export interface ShipperErrorInfo {
  /** The stable error code. */
  code: ErrorCode;
  /** What went wrong (redacted). */
  message: string;
  /** Whether a retry is expected to help. */
  retryable: boolean;
  /** When it happened (epoch ms). */
  at: number;
}

/** A page was fetched and made durable: spooled for every sink, its checkpoint stored. */
export interface LogPageFetchedEvent {
  /** The source configuration. */
  configId: string;
  /** The stream id (`events/page`). */
  stream: string;
  /** Records in the page. */
  records: number;
  /** Deliveries spooled, over every route and sink. */
  spooled: number;
  /** Records no route passed (filters). */
  filtered: number;
  /** Records that could not be formatted and went to the dead-letter store. */
  deadLettered: number;
  /** The checkpoint now stored. */
  checkpoint: LogCheckpoint;
  /** Whether the source said more records are ready. */
  more: boolean;
  /** Whether the page was asked for again after an interrupted fetch. */
  redelivered: boolean;
  /** Time of the newest record, when the source knows it. */
  latestTimestamp?: number;
}

/** A sink accepted a batch (possibly refusing some of its records, which went to dead letters). */
export interface LogBatchDeliveredEvent {
  /** The sink configuration. */
  sinkId: string;
  /** The batch id (deterministic). */
  batchId: string;
  /** The route that formatted it. */
  route: string;
  /** Records in the batch. */
  records: number;
  /** Records the sink refused for good. */
  rejected: number;
  /** Payload bytes (UTF-8). */
  bytes: number;
  /** How long the delivery took, in ms. */
  durationMs: number;
}

/** A delivery failed as a whole; the batch stays spooled and is retried. */
export interface LogDeliveryFailedEvent {
  /** The sink configuration. */
  sinkId: string;
  /** The batch that failed, or undefined when the session could not be opened. */
  batchId?: string;
  /** Consecutive failures so far. */
  attempt: number;
  /** `retrying` (backoff) or `blocked` (a failure a retry is not expected to fix: slow retries). */
  state: 'retrying' | 'blocked';
  /** When the next attempt is made, in ms. */
  retryInMs: number;
  /** The failure. */
  error: ShipperErrorInfo;
}

/** A fetch from a source failed; it is retried from the same checkpoint. */
export interface LogFetchFailedEvent {
  /** The source configuration. */
  configId: string;
  /** The stream id, or undefined when the streams could not be listed. */
  stream?: string;
  /** Consecutive failures so far. */
  attempt: number;
  /** `retrying` or `blocked`. */
  state: 'retrying' | 'blocked';
  /** When the next attempt is made, in ms. */
  retryInMs: number;
  /** The failure. */
  error: ShipperErrorInfo;
}

/** Records went to the dead-letter store. */
export interface LogDeadLetteredEvent {
  /** `format`, `sink` or `spool`; see `DeadLetter.stage`. */
  stage: 'format' | 'sink' | 'spool';
  /** The sink, for `sink` and `spool`. */
  sinkId?: string;
  /** The route. */
  routeId: string;
  /** The stream. */
  stream: string;
  /** How many records. */
  count: number;
  /** The first reason, as an example. */
  reason: string;
}

/** Log shipper events, on the exchange's bus. */
export interface LogShipperEvents {
  'cls-page-fetched': LogPageFetchedEvent;
  'cls-batch-delivered': LogBatchDeliveredEvent;
  'cls-delivery-failed': LogDeliveryFailedEvent;
  'cls-fetch-failed': LogFetchFailedEvent;
  'cls-dead-lettered': LogDeadLetteredEvent;
}

declare module '@ce/core' {
  interface CloudExchangeEvents extends LogShipperEvents {}
}
