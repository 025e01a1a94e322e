/**
 * Per-configuration rate limits and concurrency for everything delivery sends: the outbox's
 * writes and the status sync's reads draw on the same token bucket for a destination, so
 * together they stay within the `requestsPerSecond` its plugin declares.
 *
 * @module
 */
import { type Clock, type PluginRuntime, TokenBucket } from '@ce/core';

class Slots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(public limit: number) {}

  async take(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      if (this.active < this.limit) this.waiting.shift()?.();
    };
  }
}

/**
 * Token buckets and concurrency slots, one of each per plugin configuration. A bucket follows
 * the rate it is asked for: when a configuration's declared rate changes, its bucket is replaced.
 *
 * @example
 * ```ts
 * const limiters = new DestinationLimiters(clock);
 * const release = await limiters.slot('jira', 4);
 * try {
 *   await limiters.throttle('jira', 10); // at most 10 requests a second
 *   // ... one request
 * } finally {
 *   release();
 * }
 * ```
 */
export class DestinationLimiters {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly slots = new Map<string, Slots>();

  /** Buckets refill and wait on `clock`. */
  constructor(private readonly clock: Clock) {}

  /**
   * Resolves when one request to `configId` may go, at most `requestsPerSecond` a second;
   * at once when the rate is `undefined` (the destination declares none).
   */
  async throttle(
    configId: string,
    requestsPerSecond: number | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    if (requestsPerSecond === undefined || !(requestsPerSecond > 0) || !Number.isFinite(requestsPerSecond)) {
      this.buckets.delete(configId);
      return;
    }
    let bucket = this.buckets.get(configId);
    if (bucket?.requestsPerSecond !== requestsPerSecond) {
      bucket = new TokenBucket({ requestsPerSecond, clock: this.clock });
      this.buckets.set(configId, bucket);
    }
    await bucket.take(signal);
  }

  /**
   * Waits for one of `limit` concurrent slots of `configId`; resolves with the function that
   * gives it back (calling it twice is harmless).
   */
  slot(configId: string, limit: number): Promise<() => void> {
    let slots = this.slots.get(configId);
    if (!slots) {
      slots = new Slots(Math.max(1, limit));
      this.slots.set(configId, slots);
    }
    slots.limit = Math.max(1, limit);
    return slots.take();
  }
}

const shared = new WeakMap<PluginRuntime, DestinationLimiters>();

/**
 * The limiters every delivery component built on the same plugin runtime shares, so that the
 * outbox and the status sync of one orchestrator count against one rate limit.
 */
export function sharedDestinationLimiters(plugins: PluginRuntime, clock: Clock): DestinationLimiters {
  let limiters = shared.get(plugins);
  if (!limiters) {
    limiters = new DestinationLimiters(clock);
    shared.set(plugins, limiters);
  }
  return limiters;
}
