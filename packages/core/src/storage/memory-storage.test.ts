import { describe, expect, it } from 'vitest';
import { CeError } from '../errors/ce-error.js';
import { runStorageConformance } from '../testing/storage-conformance.js';
import { FakeClock } from '../time/clock.js';
import { createMemoryStorage } from './memory-storage.js';

runStorageConformance('memory', async ({ clock }) => ({ storage: createMemoryStorage({ clock }) }));

describe('createMemoryStorage', () => {
  it('is the non-durable memory kind', () => {
    const storage = createMemoryStorage();
    expect(storage.kind).toBe('memory');
    expect(storage.durable).toBe(false);
  });

  it('works without init and uses the system clock by default', async () => {
    const storage = createMemoryStorage();
    const before = Date.now();
    await storage.keyValue.set('ns', 'k', 1);
    const entry = await storage.keyValue.get('ns', 'k');
    expect(entry?.updatedAt).toBeGreaterThanOrEqual(before);
    expect(entry?.updatedAt).toBeLessThanOrEqual(Date.now());
  });

  it('names the offending path in a validation error', async () => {
    const storage = createMemoryStorage({ clock: new FakeClock() });
    const error = await storage.keyValue
      .set('ns', 'doc', { a: [1, { fn: () => 1 }] })
      .catch((e: unknown) => e);
    expect(CeError.isInstance(error) && error.details).toMatchObject({
      namespace: 'ns',
      key: 'doc',
      issues: [{ path: 'a[1].fn', reason: 'a function is not JSON' }],
    });
  });

  it('rolls back a transaction whose failing write came after others to the same key', async () => {
    const storage = createMemoryStorage({ clock: new FakeClock() });
    await storage.keyValue.set('ns', 'k', 'v1');
    await storage
      .transaction(async (tx) => {
        await tx.keyValue.set('ns', 'k', 'v2');
        await tx.keyValue.delete('ns', 'k');
        await tx.keyValue.set('ns', 'k', 'v3');
        throw new Error('abort');
      })
      .catch(() => undefined);
    expect(await storage.keyValue.get('ns', 'k')).toMatchObject({ value: 'v1', version: 1 });
    expect((await storage.keyValue.list('ns')).items).toHaveLength(1);
  });
});
