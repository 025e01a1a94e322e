import type { Clock } from '@ce/core';

/** Sleeps on the clock; resolves `false` instead of throwing when the signal aborts first. */
export async function pause(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await clock.sleep(Math.max(0, ms), signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Exponential backoff with jitter: the delay doubles per consecutive failure up to `maxMs`, and a
 * random half of it is taken off so that many shippers restarting together spread out.
 */
export function backoffDelay(
  failures: number,
  initialMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
  return Math.round(base / 2 + (base / 2) * random());
}

/**
 * Wakes a waiting loop. A ring while nobody waits is remembered, so a wake-up between a loop's
 * check and its wait is never lost.
 */
export class Doorbell {
  private pending = false;
  private wake: (() => void) | undefined;

  /** Wakes the waiter, or the next one. */
  ring(): void {
    this.pending = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Waits for a ring, at most `ms` on the clock, or until the signal aborts. */
  async wait(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
    if (this.pending || signal.aborted) {
      this.pending = false;
      return;
    }
    const timer = new AbortController();
    const onAbort = (): void => timer.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race([
        new Promise<void>((resolve) => {
          this.wake = resolve;
        }),
        clock.sleep(ms, timer.signal).catch(() => undefined),
      ]);
    } finally {
      this.wake = undefined;
      this.pending = false;
      timer.abort();
      signal.removeEventListener('abort', onAbort);
    }
  }
}
