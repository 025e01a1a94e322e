/**
 * Benchmark of the two `IocStore`s with 1,000,000 typical indicators (one source, two tags):
 * ingest in batches of 10,000, the SQLite floor (the same rows through one bare prepared
 * statement in one transaction), the full delta scan of one destination (`changesSince` from 0 in
 * pages of 10,000 plus `getDestinationStates` for each page) and the memory store's footprint.
 *
 * Run from the repository root:
 *
 * ```sh
 * node --expose-gc --import tsx --conditions=@ce/source packages/storage-sqlite/bench/ioc-store.bench.ts memory
 * node --expose-gc --import tsx --conditions=@ce/source packages/storage-sqlite/bench/ioc-store.bench.ts sqlite
 * ```
 *
 * Figures move with the heap's young generation: decoded pages of 10,000 records survive a
 * scavenge or two, so `--max-semi-space-size=64` roughly halves the time of the delta scan.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createIndicatorCodec,
  createMemoryIocStore,
  type DestinationState,
  type IocStore,
  type StoredIndicator,
} from '@ce/core';
import Database from 'better-sqlite3';
import { createSqliteStorage } from '../src/sqlite-storage.js';

const total = Number(process.env.BENCH_TOTAL ?? 1_000_000);
const batchSize = 10_000;
const t0 = Date.UTC(2026, 0, 1);
const types = ['domain', 'ipv4', 'url', 'sha256', 'md5'] as const;

function typical(i: number): Omit<StoredIndicator, 'sequence'> {
  const type = types[i % types.length] as (typeof types)[number];
  const hex = i.toString(16).padStart(8, '0');
  const value =
    type === 'domain'
      ? `host-${i}.bad-example-${i % 977}.com`
      : type === 'ipv4'
        ? `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
        : type === 'url'
          ? `http://evil-${i}.example.net/path/${i % 1000}/payload.exe`
          : type === 'sha256'
            ? hex.repeat(8)
            : hex.repeat(4);
  const at = t0 + (i % 86_400_000);
  return {
    type,
    value,
    sources: [
      {
        sourceId: 'netskope-prod',
        firstSeen: at,
        lastSeen: at,
        severity: 'high',
        reputation: 8,
        confidence: 80,
        tags: ['malware', 'c2'],
        safe: false,
        test: false,
        tlp: 'amber',
        hits: 1,
      },
    ],
    merged: {
      severity: 'high',
      reputation: 8,
      confidence: 80,
      tags: ['malware', 'c2'],
      safe: false,
      test: false,
      tlp: 'amber',
      firstSeen: at,
      lastSeen: at,
    },
    active: true,
    expiresAt: at + 30 * 86_400_000,
    sightings: { total: 0, systems: [] },
    createdAt: at,
    updatedAt: at,
  };
}

function batchOf(start: number): Array<Omit<StoredIndicator, 'sequence'>> {
  const batch = new Array(Math.min(batchSize, total - start));
  for (let i = 0; i < batch.length; i++) batch[i] = typical(start + i);
  return batch;
}

const rate = (rows: number, ms: number): string =>
  `${Math.round(rows / (ms / 1_000)).toLocaleString('en')} rows/s`;
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;

/** Writes every record; returns milliseconds spent in putMany and overall. */
async function ingest(store: IocStore): Promise<{ store: number; overall: number }> {
  let inStore = 0;
  const started = performance.now();
  for (let start = 0; start < total; start += batchSize) {
    const batch = batchOf(start);
    const before = performance.now();
    await store.putMany(batch);
    inStore += performance.now() - before;
  }
  return { store: inStore, overall: performance.now() - started };
}

/** Marks every indicator shared at `destination`, then times the full delta scan. */
async function deltaScan(store: IocStore, destination: string): Promise<void> {
  let started = performance.now();
  let after = 0;
  for (;;) {
    const page = await store.changesSince(after, batchSize);
    if (page.length === 0) break;
    const states: DestinationState[] = page.map((indicator) => ({
      destinationId: destination,
      type: indicator.type,
      value: indicator.value,
      status: 'shared',
      sentFingerprint: 'f0e1d2c3',
      sharedAt: t0,
      attempts: 1,
      updatedAt: t0,
    }));
    await store.putDestinationStates(states);
    after = page[page.length - 1]?.sequence as number;
  }
  console.log(
    `  putDestinationStates for ${total.toLocaleString('en')}: ${(performance.now() - started).toFixed(0)} ms`,
  );
  started = performance.now();
  after = 0;
  let seen = 0;
  let withState = 0;
  for (;;) {
    const page = await store.changesSince(after, batchSize);
    if (page.length === 0) break;
    const states = await store.getDestinationStates(destination, page);
    for (const state of states) if (state) withState++;
    seen += page.length;
    after = page[page.length - 1]?.sequence as number;
  }
  const ms = performance.now() - started;
  console.log(
    `  delta scan (changesSince from 0 by ${batchSize.toLocaleString('en')} + getDestinationStates): ${seen.toLocaleString('en')} indicators, ${withState.toLocaleString('en')} states in ${ms.toFixed(0)} ms`,
  );
  started = performance.now();
  after = 0;
  for (;;) {
    const page = await store.changesSince(after, batchSize);
    if (page.length === 0) break;
    after = page[page.length - 1]?.sequence as number;
  }
  console.log(`  of which changesSince alone: ${(performance.now() - started).toFixed(0)} ms`);
}

async function benchMemory(): Promise<void> {
  console.log(
    `memory store, ${total.toLocaleString('en')} indicators in batches of ${batchSize.toLocaleString('en')}`,
  );
  const store = createMemoryIocStore();
  const times = await ingest(store);
  console.log(
    `  ingest: putMany ${rate(total, times.store)}; overall with generating the records ${rate(total, times.overall)}`,
  );
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  console.log(
    `  after ingest and GC: heap used ${mb(usage.heapUsed)} of ${mb(usage.heapTotal)}, array buffers ${mb(usage.arrayBuffers)}, external (incl. array buffers) ${mb(usage.external)}, RSS ${mb(usage.rss)}; peak RSS ${mb(process.resourceUsage().maxRSS * 1_024)}`,
  );
  await deltaScan(store, 'dest-1');
  console.log(`  peak RSS with 1M destination states as well: ${mb(process.resourceUsage().maxRSS * 1_024)}`);
}

async function benchSqlite(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ce-bench-'));
  try {
    console.log(
      `sqlite store (file, WAL), ${total.toLocaleString('en')} indicators in batches of ${batchSize.toLocaleString('en')}`,
    );
    const storage = createSqliteStorage({ path: join(dir, 'ce.db') });
    await storage.init();
    const times = await ingest(storage.iocs);
    console.log(
      `  ingest: putMany ${rate(total, times.store)}; overall with generating the records ${rate(total, times.overall)}`,
    );

    // The same rows, encoded beforehand: the floor is SQLite's own cost.
    const codec = createIndicatorCodec();
    const rows: unknown[][] = [];
    for (let i = 0; i < total; i++) {
      const record = typical(i);
      codec.reset();
      codec.encode(record, 0);
      const data = Buffer.from(codec.output().subarray(0, codec.length));
      rows.push([
        i + 1,
        record.type,
        record.value,
        1,
        0,
        0,
        'high',
        record.createdAt,
        record.merged.lastSeen,
        record.expiresAt,
        null,
        '\u001fnetskope-prod\u001f',
        '\u001fmalware\u001fc2\u001f',
        data,
      ]);
    }
    for (const [label, unique] of [
      ['bare prepared INSERT, same columns, no index', ''],
      ['the same with the UNIQUE (type, value) index the store needs', ', UNIQUE (type, value)'],
    ] as const) {
      const floorDb = new Database(join(dir, `floor${unique ? '-unique' : ''}.db`));
      floorDb.pragma('journal_mode = WAL');
      floorDb.pragma('synchronous = NORMAL');
      floorDb.exec(`CREATE TABLE floor (sequence INTEGER PRIMARY KEY, type TEXT NOT NULL, value TEXT NOT NULL,
        active INTEGER NOT NULL, suppressed INTEGER NOT NULL, sighted INTEGER NOT NULL, severity TEXT,
        created_at INTEGER NOT NULL, last_seen INTEGER, expires_at INTEGER, inactive_since INTEGER,
        source_ids TEXT NOT NULL, tags TEXT NOT NULL, data BLOB NOT NULL${unique})`);
      const insert = floorDb.prepare('INSERT INTO floor VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
      const started = performance.now();
      floorDb.transaction(() => {
        for (const row of rows) insert.run(...row);
      })();
      const floorMs = performance.now() - started;
      floorDb.close();
      console.log(
        `  floor (${label}, one transaction): ${rate(total, floorMs)}; store putMany / floor = ${(floorMs / times.store).toFixed(2)}`,
      );
    }
    rows.length = 0;
    await deltaScan(storage.iocs, 'dest-1');
    await storage.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const which = process.argv[2] ?? 'memory';
if (which === 'memory') await benchMemory();
else await benchSqlite();
