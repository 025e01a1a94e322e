import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CeError, createMemoryLogger, FakeClock } from '@ce/core';
import { runStorageConformance } from '@ce/core/testing';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { listAppliedSqliteMigrations, type SqliteMigrationSet } from './sqlite-migrations.js';
import { createSqliteStorage, type SqliteStorage } from './sqlite-storage.js';

runStorageConformance('sqlite :memory:', async ({ clock }) => ({
  storage: createSqliteStorage({ path: ':memory:', clock }),
}));

runStorageConformance('sqlite file', async ({ clock }) => {
  const dir = await mkdtemp(join(tmpdir(), 'ce-sqlite-'));
  const path = join(dir, 'nested', 'ce.db');
  return {
    storage: createSqliteStorage({ path, clock }),
    reopen: async () => createSqliteStorage({ path, clock }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

const demoMigrations: SqliteMigrationSet = {
  namespace: 'demo',
  migrations: [
    {
      version: 1,
      name: 'create indicators',
      up: (db) => db.exec('CREATE TABLE demo_things (id TEXT PRIMARY KEY, value TEXT NOT NULL)'),
    },
    {
      version: 2,
      name: 'add indicator source',
      up: (db) => db.exec("ALTER TABLE demo_things ADD COLUMN source TEXT NOT NULL DEFAULT 'unknown'"),
    },
  ],
};

describe('createSqliteStorage', () => {
  const open: SqliteStorage[] = [];
  const dirs: string[] = [];
  const track = (storage: SqliteStorage): SqliteStorage => {
    open.push(storage);
    return storage;
  };
  const tempPath = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'ce-sqlite-'));
    dirs.push(dir);
    return join(dir, 'ce.db');
  };

  afterEach(async () => {
    for (const storage of open.splice(0)) await storage.close();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('is a durable sqlite store on a file and a non-durable one in memory', async () => {
    const file = track(createSqliteStorage({ path: await tempPath() }));
    expect([file.kind, file.durable]).toEqual(['sqlite', true]);
    const memory = track(createSqliteStorage({ path: ':memory:' }));
    expect([memory.kind, memory.durable]).toEqual(['sqlite', false]);
  });

  it('sets WAL, synchronous=NORMAL, foreign keys, the busy timeout and the checkpoint interval', async () => {
    const storage = track(createSqliteStorage({ path: await tempPath(), busyTimeoutMs: 1_234 }));
    await storage.init();
    const db = storage.database;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(1_234);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
    const tuned = track(createSqliteStorage({ path: await tempPath(), walAutocheckpointPages: 500 }));
    await tuned.init();
    expect(tuned.database.pragma('wal_autocheckpoint', { simple: true })).toBe(500);
  });

  it('records the core migrations once and applies module migrations after them', async () => {
    const path = await tempPath();
    const clock = new FakeClock();
    const logger = createMemoryLogger();
    const first = createSqliteStorage({ path, clock, logger, migrations: [demoMigrations] });
    await first.init();
    await first.init();
    const applied = listAppliedSqliteMigrations(first.database);
    expect(applied.map((m) => `${m.namespace}@${m.version}`)).toEqual([
      'core@1',
      'cte@1',
      'cte@2',
      'cto@1',
      'demo@1',
      'demo@2',
    ]);
    expect(applied.every((m) => m.appliedAt === clock.now())).toBe(true);
    expect(logger.records.filter((r) => r.message === 'sqlite migration applied')).toHaveLength(6);
    await first.withDatabase((db) =>
      db.prepare('INSERT INTO demo_things (id, value) VALUES (?, ?)').run('ioc-1', '1.2.3.4'),
    );
    await first.close();

    const second = track(createSqliteStorage({ path, migrations: [demoMigrations] }));
    await second.init();
    expect(listAppliedSqliteMigrations(second.database)).toEqual(applied);
    const row = await second.withDatabase((db) => db.prepare('SELECT source FROM demo_things').get());
    expect(row).toEqual({ source: 'unknown' });
  });

  it('refuses a database migrated by newer code', async () => {
    const path = await tempPath();
    const newer = createSqliteStorage({ path, migrations: [demoMigrations] });
    await newer.init();
    await newer.close();
    const older = track(
      createSqliteStorage({
        path,
        migrations: [{ namespace: 'demo', migrations: demoMigrations.migrations.slice(0, 1) }],
      }),
    );
    const error = await older.init().catch((e: unknown) => e);
    expect(CeError.isInstance(error) && error.code).toBe('STORAGE_FAILED');
    expect(String((error as Error).message)).toContain('demo@2');
    expect((error as CeError).retryable).toBe(false);
  });

  it('rolls back a failing migration and names it', async () => {
    const path = await tempPath();
    const broken: SqliteMigrationSet = {
      namespace: 'broken',
      migrations: [
        {
          version: 1,
          name: 'half done',
          up: (db) => {
            db.exec('CREATE TABLE broken_things (id TEXT)');
            db.exec('THIS IS NOT SQL');
          },
        },
      ],
    };
    const storage = track(createSqliteStorage({ path, migrations: [broken] }));
    const error = await storage.init().catch((e: unknown) => e);
    expect(CeError.isInstance(error) && error.code).toBe('STORAGE_FAILED');
    expect(String((error as Error).message)).toContain('broken@1 (half done)');
    expect((error as CeError).details).toMatchObject({ sqliteCode: 'SQLITE_ERROR' });
    const db = new Database(path);
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
      expect(tables.map((t) => (t as { name: string }).name)).not.toContain('broken_things');
      expect(listAppliedSqliteMigrations(db).map((m) => m.namespace)).toEqual(['core', 'cte', 'cte', 'cto']);
    } finally {
      db.close();
    }
  });

  it('rejects invalid migration sets', async () => {
    const bad = (set: SqliteMigrationSet) =>
      track(createSqliteStorage({ path: ':memory:', migrations: [set] }))
        .init()
        .catch((e: unknown) => e);
    const noop = () => undefined;
    expect(await bad({ namespace: 'Bad Name', migrations: [] })).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(await bad({ namespace: 'core', migrations: [] })).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(
      await bad({
        namespace: 'x',
        migrations: [
          { version: 2, name: 'b', up: noop },
          { version: 1, name: 'a', up: noop },
        ],
      }),
    ).toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('opens and migrates on first use without init', async () => {
    const storage = track(createSqliteStorage({ path: ':memory:' }));
    expect(await storage.keyValue.set('ns', 'k', 1)).toBe(1);
  });

  it('lets module stores write inside a transaction and roll back with it', async () => {
    const storage = track(createSqliteStorage({ path: ':memory:', migrations: [demoMigrations] }));
    await storage.init();
    const insert = storage.database.prepare('INSERT INTO demo_things (id, value) VALUES (?, ?)');
    const count = () =>
      storage.withDatabase(
        (db) => (db.prepare('SELECT COUNT(*) AS n FROM demo_things').get() as { n: number }).n,
      );

    await storage.transaction(async (tx) => {
      await storage.withDatabase(() => insert.run('ioc-1', 'a'));
      await tx.keyValue.set('cte-checkpoints', 'p', { cursor: 1 });
    });
    expect(await count()).toBe(1);

    await storage
      .transaction(async (tx) => {
        await storage.runInTransaction(() => {
          insert.run('ioc-2', 'b');
          insert.run('ioc-3', 'c');
        });
        await tx.keyValue.set('cte-checkpoints', 'p', { cursor: 2 });
        throw new Error('abort');
      })
      .catch(() => undefined);
    expect(await count()).toBe(1);
    expect((await storage.keyValue.get('cte-checkpoints', 'p'))?.value).toEqual({ cursor: 1 });
  });

  it('runs a batch atomically and maps its SQLite error to STORAGE_FAILED', async () => {
    const storage = track(createSqliteStorage({ path: ':memory:', migrations: [demoMigrations] }));
    await storage.init();
    const insert = storage.database.prepare('INSERT INTO demo_things (id, value) VALUES (?, ?)');
    const error = await storage
      .runInTransaction(() => {
        insert.run('ioc-1', 'a');
        insert.run('ioc-1', 'duplicate');
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STORAGE_FAILED', retryable: false });
    expect((error as CeError).details).toMatchObject({ sqliteCode: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    const rows = await storage.withDatabase((db) => db.prepare('SELECT id FROM demo_things').all());
    expect(rows).toEqual([]);
    await storage.runInTransaction(() => insert.run('ioc-1', 'a'));
    expect(await storage.withDatabase((db) => db.prepare('SELECT id FROM demo_things').all())).toEqual([
      { id: 'ioc-1' },
    ]);
  });

  it('fails with a retryable STORAGE_FAILED when another process holds the write lock', async () => {
    const path = await tempPath();
    const storage = track(createSqliteStorage({ path, busyTimeoutMs: 20 }));
    await storage.init();
    const other = new Database(path);
    try {
      other.exec('BEGIN IMMEDIATE');
      const error = await storage.keyValue.set('ns', 'k', 1).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'STORAGE_FAILED', retryable: true });
      expect((error as CeError).details).toMatchObject({ sqliteCode: 'SQLITE_BUSY' });
      const txError = await storage.transaction(async () => 1).catch((e: unknown) => e);
      expect(txError).toMatchObject({ code: 'STORAGE_FAILED', retryable: true });
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
    expect(await storage.keyValue.set('ns', 'k', 1)).toBe(1);
  });

  it('sees writes committed by another connection to the same file', async () => {
    const path = await tempPath();
    const a = track(createSqliteStorage({ path }));
    const b = track(createSqliteStorage({ path }));
    await a.keyValue.set('ns', 'k', 'from-a');
    expect((await b.keyValue.get('ns', 'k'))?.value).toBe('from-a');
    await expect(b.keyValue.set('ns', 'k', 'stale', { expectedVersion: 0 })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });

  it('fails to open an unusable path with STORAGE_FAILED, and retries on the next call', async () => {
    const path = await tempPath();
    await writeFile(path, 'not a directory');
    const storage = track(createSqliteStorage({ path: join(path, 'ce.db') }));
    await expect(storage.init()).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    await rm(path);
    await storage.init();
    expect(await storage.keyValue.set('ns', 'k', 1)).toBe(1);
  });

  it('refuses the database accessor after close', async () => {
    const storage = createSqliteStorage({ path: ':memory:' });
    await storage.init();
    await storage.close();
    expect(() => storage.database).toThrow(expect.objectContaining({ code: 'STORAGE_FAILED' }));
  });
});
