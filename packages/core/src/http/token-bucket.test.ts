import { describe, expect, it } from 'vitest';
import { CeError } from '../errors/ce-error.js';
import { FakeClock } from '../time/clock.js';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then spaces takes at the sustained rate', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ requestsPerSecond: 2, burst: 2, clock });
    const start = clock.now();
    const granted: number[] = [];
    const takes = Array.from({ length: 5 }, () =>
      bucket.take().then(() => granted.push(clock.now() - start)),
    );
    await clock.advance(0);
    expect(granted).toEqual([0, 0]);
    await clock.advance(2_000);
    await Promise.all(takes);
    expect(granted).toEqual([0, 0, 500, 1_000, 1_500]);
  });

  it('refills up to the burst only', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ requestsPerSecond: 10, burst: 3, clock });
    for (let i = 0; i < 3; i++) expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    await clock.advance(60_000);
    expect(bucket.available).toBe(3);
    for (let i = 0; i < 3; i++) expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
  });

  it('serves waiters first come, first served', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ requestsPerSecond: 1, clock });
    bucket.tryTake();
    const order: string[] = [];
    const a = bucket.take().then(() => order.push('a'));
    const b = bucket.take().then(() => order.push('b'));
    expect(bucket.tryTake()).toBe(false);
    await clock.advance(1_000);
    expect(order).toEqual(['a']);
    await clock.advance(1_000);
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'b']);
  });

  it('rejects an aborted waiter without consuming a token', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ requestsPerSecond: 1, clock });
    bucket.tryTake();
    const controller = new AbortController();
    const waiting = bucket.take(controller.signal);
    expect(bucket.pending).toBe(1);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(bucket.pending).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(1_000);
    expect(bucket.tryTake()).toBe(true);
  });

  it('rejects invalid settings', () => {
    expect(() => new TokenBucket({ requestsPerSecond: 0 })).toThrow(CeError);
    expect(() => new TokenBucket({ requestsPerSecond: 1, burst: 0 })).toThrow(/burst/);
  });
});
