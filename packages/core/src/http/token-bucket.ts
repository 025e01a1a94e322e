import { CeError } from '../errors/ce-error.js';
import { type Clock, systemClock } from '../time/clock.js';

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Sustained rate: tokens added per second. Must be positive. */
  requestsPerSecond: number;
  /**
   * How many tokens the bucket holds, i.e. how many calls may go at once after a quiet period.
   * @default 1
   */
  burst?: number;
  /**
   * Time source used to refill and to wait.
   * @default systemClock
   */
  clock?: Clock;
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

// Refill arithmetic in floating point can leave 0.9999999 tokens after waiting exactly long enough.
const epsilon = 1e-9;

/**
 * A token bucket rate limiter. Waiters are served first come, first served; waiting uses the
 * injected {@link Clock}, so tests drive it with `FakeClock`. A waiter whose signal aborts leaves
 * the queue without consuming a token.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket({ requestsPerSecond: 5, burst: 10 });
 * await bucket.take(signal); // resolves when a token is available
 * ```
 */
export class TokenBucket {
  /** Tokens added per second. */
  readonly requestsPerSecond: number;
  /** Capacity of the bucket. */
  readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private lastRefill: number;
  private readonly waiters: Waiter[] = [];
  private cancelTimer: (() => void) | undefined;

  constructor(options: TokenBucketOptions) {
    const burst = options.burst ?? 1;
    if (!(options.requestsPerSecond > 0) || !Number.isFinite(options.requestsPerSecond)) {
      throw new CeError('CONFIG_INVALID', 'rate limit: requestsPerSecond must be a positive number');
    }
    if (!(burst >= 1) || !Number.isFinite(burst)) {
      throw new CeError('CONFIG_INVALID', 'rate limit: burst must be at least 1');
    }
    this.requestsPerSecond = options.requestsPerSecond;
    this.burst = burst;
    this.clock = options.clock ?? systemClock;
    this.tokens = burst;
    this.lastRefill = this.clock.now();
  }

  /** Tokens available now (fractional), after refilling for the time elapsed. */
  get available(): number {
    this.refill();
    return this.tokens;
  }

  /** Number of callers waiting for a token. */
  get pending(): number {
    return this.waiters.length;
  }

  /** Takes a token if one is available right now and nobody is queued ahead; never waits. */
  tryTake(): boolean {
    this.refill();
    if (this.waiters.length === 0 && this.tokens >= 1 - epsilon) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /**
   * Resolves once a token has been taken for the caller. Rejects with the signal's reason when
   * `signal` aborts first.
   */
  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.tryTake()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          if (this.waiters.length === 0) this.stopTimer();
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
      this.schedule();
    });
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = now - this.lastRefill;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.requestsPerSecond) / 1_000);
      this.lastRefill = now;
    }
  }

  private stopTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private schedule(): void {
    if (this.cancelTimer) return;
    this.refill();
    while (this.waiters.length > 0 && this.tokens >= 1 - epsilon) {
      const waiter = this.waiters.shift() as Waiter;
      this.tokens -= 1;
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve();
    }
    if (this.waiters.length === 0) return;
    const wait = Math.max(1, Math.ceil(((1 - this.tokens) * 1_000) / this.requestsPerSecond));
    this.cancelTimer = this.clock.setTimer(wait, () => {
      this.cancelTimer = undefined;
      this.schedule();
    });
  }
}
