/**
 * What the delivery side of the orchestrator (the `OutboxProcessor` and the
 * `StatusSync`) is built from, and what a run of each reports.
 *
 * @module
 */
import type { Clock, Logger, PluginRuntime, TicketStatus, TicketStore } from '@ce/core';
import type { DestinationLimiters } from './destination-limiters.js';

/** How long a retryable failure waits before the next attempt. */
export interface RetryPolicy {
  /**
   * The first wait; each further attempt doubles it.
   * @default 5000
   */
  readonly baseDelayMs?: number;
  /**
   * The longest wait between attempts, and the longest `Retry-After` honoured as given.
   * @default 3600000 (1 hour)
   */
  readonly maxDelayMs?: number;
  /**
   * Fraction of each wait drawn at random (0 to 1), so that writes failing together do not
   * retry together.
   * @default 0.5
   */
  readonly jitter?: number;
}

/** What the `OutboxProcessor` and the `StatusSync` are built from. */
export interface DeliveryOptions {
  /** Where tickets and the outbox live. */
  store: TicketStore;
  /** Calls into destination and source plugins. */
  plugins: PluginRuntime;
  /** Time for due entries, backoff and rate limits; `FakeClock` in tests. */
  clock: Clock;
  logger: Logger;
  /**
   * The part of a queue delivery reads, by queue id; `undefined` for a queue that no longer
   * exists. `statusMap` maps the destination's status names to canonical statuses and is read
   * over the plugin's `defaultStatusMap`, so a queue only names the statuses it maps differently.
   */
  queue(queueId: string): { readonly statusMap?: Readonly<Record<string, TicketStatus>> } | undefined;
  /** When to retry a retryable failure. */
  retry?: RetryPolicy;
  /**
   * Attempts of a write before a retryable failure fails it for good.
   * @default 8
   */
  maxAttempts?: number;
  /**
   * How long a create that failed for good waits before it is tried again (with a look-up by
   * idempotency key first, where the destination has one).
   * @default 3600000 (1 hour)
   */
  failedRetryIntervalMs?: number;
  /**
   * How long one plugin call may take. A create that times out has an unknown outcome and is
   * looked up before it is repeated.
   * @default 60000
   */
  callTimeoutMs?: number;
  /**
   * How often an open ticket's status is read. A ticket is due again once its last read is 90%
   * of this old, so a sync scheduled at this same interval reads every ticket on each run.
   * @default 300000 (5 minutes)
   */
  syncIntervalMs?: number;
  /**
   * Tickets per sync request when the destination names no `maxSyncBatch`; a destination's own
   * limit always wins.
   * @default 100
   */
  syncBatch?: number;
  /**
   * Calls at once per destination (or source) configuration, outbox and sync together.
   * @default 4
   */
  concurrency?: number;
  /**
   * Due entries one `OutboxProcessor.runOnce` takes.
   * @default 500
   */
  batchSize?: number;
  /**
   * Whether a create whose outcome is unknown may be repeated on a destination that can neither
   * `find` tickets nor declares `idempotentCreate`. Answer `undefined` to keep the default, which
   * fails the ticket with an "outcome unknown" error rather than risk a duplicate.
   */
  repeatUnknownCreate?(destinationConfigId: string, pluginId: string): boolean | undefined;
  /**
   * Rate limiters and concurrency slots per configuration. An outbox processor and a status
   * sync built on the same `PluginRuntime` share one set unless given their own.
   */
  limiters?: DestinationLimiters;
  /**
   * Random numbers in [0, 1) for the jitter; a fixed function makes tests deterministic.
   * @default Math.random
   */
  random?: () => number;
}

/** What one `OutboxProcessor.runOnce` did. */
export interface OutboxRunReport {
  /** Writes completed (including creates adopted by a look-up). */
  sent: number;
  /** Creates completed by finding the ticket the destination already had, instead of creating it again. */
  adopted: number;
  /** Writes that failed and wait for a retry. */
  retried: number;
  /** Writes that failed for good (their tickets show the error). */
  failed: number;
  /** Due writes left waiting for an earlier write of the same ticket. */
  waiting: number;
  /** Failed creates put back in the queue because their retry interval passed. */
  requeued: number;
  /** Writes found in flight for longer than a call may take, now treated as of unknown outcome. */
  recovered: number;
}

/** What one `StatusSync.runOnce` did. */
export interface SyncRunReport {
  /** Tickets whose remote status was read. */
  checked: number;
  /** Of those, tickets whose canonical status changed. */
  changed: number;
  /** Of those, tickets that no longer exist on their destination. */
  deleted: number;
  /** Tickets that could not be read (a failed batch, a malformed answer). */
  failed: number;
}
