import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredIndicator } from '@ce/core';
import { runIocStoreConformance } from '@ce/core/testing';
import { describe, expect, it } from 'vitest';
import { cteSqliteMigrations } from './sqlite-ioc-migrations.js';
import { listAppliedSqliteMigrations } from './sqlite-migrations.js';
import { createSqliteStorage } from './sqlite-storage.js';

runIocStoreConformance('sqlite :memory:', async () => {
  const storage = createSqliteStorage({ path: ':memory:' });
  return { store: storage.iocs, close: () => storage.close() };
});

runIocStoreConformance('sqlite file', async ({ clock }) => {
  const dir = await mkdtemp(join(tmpdir(), 'ce-iocs-'));
  const path = join(dir, 'ce.db');
  const open = () => {
    const storage = createSqliteStorage({ path, clock });
    return { store: storage.iocs, close: () => storage.close() };
  };
  return { ...open(), reopen: async () => open(), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

function record(value: string): Omit<StoredIndicator, 'sequence'> {
  return {
    type: 'domain',
    value,
    sources: [],
    merged: { severity: 'low', reputation: 5, tags: [], safe: false, test: false, firstSeen: 1, lastSeen: 1 },
    active: true,
    sightings: { total: 0, systems: [] },
    createdAt: 1,
    updatedAt: 1,
  };
}

describe('sqlite IocStore', () => {
  it('applies the cte migrations by default, also when they are passed explicitly', async () => {
    const storage = createSqliteStorage({ path: ':memory:', migrations: [cteSqliteMigrations] });
    try {
      await storage.init();
      expect(listAppliedSqliteMigrations(storage.database).map((m) => `${m.namespace}@${m.version}`)).toEqual(
        ['core@1', 'cte@1'],
      );
    } finally {
      await storage.close();
    }
  });

  it('rolls indicator writes back with a failed transaction() they joined', async () => {
    const storage = createSqliteStorage({ path: ':memory:' });
    try {
      const failure = new Error('stop');
      await expect(
        storage.transaction(async (tx) => {
          await storage.iocs.putMany([record('a.example')]);
          await tx.keyValue.set('ns', 'k', 1);
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await storage.iocs.count()).toBe(0);
      expect(await storage.iocs.lastSequence()).toBe(0);
      await storage.transaction(async () => {
        await storage.iocs.putMany([record('b.example')]);
      });
      expect(await storage.iocs.lastSequence()).toBe(1);
    } finally {
      await storage.close();
    }
  });

  it('fails with STORAGE_FAILED after close', async () => {
    const storage = createSqliteStorage({ path: ':memory:' });
    await storage.iocs.putMany([record('a.example')]);
    await storage.close();
    await expect(storage.iocs.count()).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    await expect(storage.iocs.putMany([record('b.example')])).rejects.toMatchObject({
      code: 'STORAGE_FAILED',
    });
  });
});
