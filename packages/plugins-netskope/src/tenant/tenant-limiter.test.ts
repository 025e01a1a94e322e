import { FakeClock } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { createTenantLimiterRegistry } from './tenant-limiter.js';

describe('tenant limiter', () => {
  it('spaces grants evenly so no second ever holds more than the rate, across callers', async () => {
    const clock = new FakeClock(0);
    const limiter = createTenantLimiterRegistry({ clock }).forTenant('https://acme.goskope.com', 4);
    const granted: number[] = [];
    const callers = Array.from({ length: 3 }, () =>
      (async () => {
        for (let i = 0; i < 4; i++) {
          await limiter.take();
          granted.push(clock.now());
        }
      })(),
    );
    for (let step = 0; step < 60 && granted.length < 12; step++) await clock.advance(50);
    await Promise.all(callers);
    expect(granted).toHaveLength(12);
    for (let i = 0; i < granted.length; i++) {
      const start = granted[i] as number;
      expect(granted.filter((time) => time >= start && time < start + 1_000).length).toBeLessThanOrEqual(4);
    }
    expect(limiter.granted).toBe(12);
  });

  it('shares one limiter per tenant host, and the lowest rate asked wins', () => {
    const registry = createTenantLimiterRegistry({ clock: new FakeClock(0) });
    const a = registry.forTenant('https://acme.goskope.com/', 4);
    const b = registry.forTenant('https://ACME.goskope.com', 2);
    expect(b).toBe(a);
    expect(a.requestsPerSecond).toBe(2);
    expect(registry.forTenant('https://other.goskope.com')).not.toBe(a);
    expect(registry.forTenant('http://127.0.0.1:4010').key).toBe('127.0.0.1:4010');
    expect(registry.tenants()).toHaveLength(3);
  });

  it('holds every caller during a pause the tenant asked for', async () => {
    const clock = new FakeClock(0);
    const limiter = createTenantLimiterRegistry({ clock }).forTenant('https://acme.goskope.com', 4);
    await limiter.take();
    limiter.pauseFor(3_000);
    let done = false;
    const waiting = limiter.take().then(() => {
      done = true;
    });
    await clock.advance(2_900);
    expect(done).toBe(false);
    await clock.advance(200);
    await waiting;
    expect(done).toBe(true);
  });

  it('rejects a waiting caller whose signal aborts', async () => {
    const clock = new FakeClock(0);
    const limiter = createTenantLimiterRegistry({ clock }).forTenant('https://acme.goskope.com', 1);
    await limiter.take();
    const controller = new AbortController();
    const waiting = limiter.take(controller.signal);
    controller.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
  });
});
