import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTicketStoreConformance } from '@ce/core/testing';
import { afterAll } from 'vitest';
import { createSqliteStorage, type SqliteStorage } from './sqlite-storage.js';

const directories: string[] = [];
afterAll(async () => {
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});

runTicketStoreConformance('sqlite', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'ce-tickets-'));
  directories.push(directory);
  const path = join(directory, 'tickets.db');
  let storage: SqliteStorage = createSqliteStorage({ path });
  await storage.init();
  return {
    store: storage.tickets!,
    reopen: async () => {
      await storage.close();
      storage = createSqliteStorage({ path });
      await storage.init();
      return storage.tickets!;
    },
    close: () => storage.close(),
  };
});
