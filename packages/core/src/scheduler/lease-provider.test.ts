import { describe, expect, it } from 'vitest';
import { FakeClock } from '../time/clock.js';
import { createMemoryLeaseProvider } from './lease-provider.js';

describe('createMemoryLeaseProvider', () => {
  it('grants one holder at a time until the lease expires', async () => {
    const clock = new FakeClock();
    const leases = createMemoryLeaseProvider({ clock });
    const first = await leases.acquire('pull', 1000);
    expect(first).toMatchObject({ name: 'pull', expiresAt: clock.now() + 1000 });
    expect(await leases.acquire('pull', 1000)).toBeUndefined();
    expect(await leases.acquire('push', 1000)).toBeDefined();

    await clock.advance(1000);
    const second = await leases.acquire('pull', 1000);
    expect(second?.token).not.toBe(first?.token);
  });

  it('renews only the current holder, even just after expiry', async () => {
    const clock = new FakeClock();
    const leases = createMemoryLeaseProvider({ clock });
    const lease = await leases.acquire('pull', 1000);
    if (!lease) throw new Error('expected a lease');
    await clock.advance(1500);
    const renewed = await leases.renew(lease, 1000);
    expect(renewed).toMatchObject({ token: lease.token, expiresAt: clock.now() + 1000 });

    await clock.advance(1000);
    const taken = await leases.acquire('pull', 1000);
    expect(taken).toBeDefined();
    expect(await leases.renew(lease, 1000)).toBeUndefined();
  });

  it('release frees the name for others and ignores a lost lease', async () => {
    const clock = new FakeClock();
    const leases = createMemoryLeaseProvider({ clock });
    const lease = await leases.acquire('pull', 1000);
    if (!lease) throw new Error('expected a lease');
    await leases.release(lease);
    const other = await leases.acquire('pull', 1000);
    expect(other).toBeDefined();
    await leases.release(lease);
    expect(await leases.acquire('pull', 1000)).toBeUndefined();
  });
});
