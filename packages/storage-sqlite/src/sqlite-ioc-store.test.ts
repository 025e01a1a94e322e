import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredIndicator } from '@ce/core';
import { runIocStoreConformance } from '@ce/core/testing';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cteSqliteMigrations } from './sqlite-ioc-migrations.js';
import { coreSqliteMigrations, listAppliedSqliteMigrations, migrateSqlite } from './sqlite-migrations.js';
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
        ['core@1', 'cte@1', 'cte@2', 'cto@1'],
      );
    } finally {
      await storage.close();
    }
  });

  it('keeps the destination states of version 1 (JSON) when moving them to columns', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ce-iocs-'));
    const path = join(dir, 'ce.db');
    try {
      const db = new Database(path);
      const first = cteSqliteMigrations.migrations.filter((migration) => migration.version === 1);
      migrateSqlite(db, [coreSqliteMigrations, { ...cteSqliteMigrations, migrations: first }]);
      const insert = db.prepare(
        'INSERT INTO cte_destination_states (destination_id, type, value, status, data) VALUES (?, ?, ?, ?, ?)',
      );
      insert.run(
        'sink/a',
        'domain',
        'a.example',
        'failed',
        '{"ruleId":"r1","sentFingerprint":"f1","sharedAt":5,"lastAttemptAt":7,"attempts":2,"lastError":{"code":"HTTP_ERROR","message":"503"},"updatedAt":7}',
      );
      insert.run('sink/b', 'domain', 'a.example', 'pending', '{"attempts":0,"updatedAt":3}');
      db.close();
      const storage = createSqliteStorage({ path });
      try {
        expect(await storage.iocs.destinationStatesOf({ type: 'domain', value: 'a.example' })).toStrictEqual([
          {
            destinationId: 'sink/a',
            type: 'domain',
            value: 'a.example',
            status: 'failed',
            ruleId: 'r1',
            sentFingerprint: 'f1',
            sharedAt: 5,
            lastAttemptAt: 7,
            attempts: 2,
            lastError: { code: 'HTTP_ERROR', message: '503' },
            updatedAt: 7,
          },
          {
            destinationId: 'sink/b',
            type: 'domain',
            value: 'a.example',
            status: 'pending',
            attempts: 0,
            updatedAt: 3,
          },
        ]);
        const page = await storage.iocs.queryDestinationStates({
          destinationId: 'sink/a',
          statuses: ['failed'],
        });
        expect(page.items.map((state) => state.value)).toEqual(['a.example']);
      } finally {
        await storage.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
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
