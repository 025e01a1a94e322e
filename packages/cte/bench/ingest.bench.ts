/**
 * Threat exchange benchmarks (issue targets in brackets):
 * - ingest 1,000,000 mixed indicators into the memory store [>= 150,000/s] and SQLite
 *   [>= 50,000/s], with a bare better-sqlite3 insert of the same rows as the floor;
 * - the incremental delta for one destination over 1,000,000 indicators [< 2 s];
 * - peak memory with 1,000,000 indicators in the memory store [< 600 MB].
 *
 * Run: `npm run bench -w @ce/cte` (or `node --expose-gc --import tsx --conditions=@ce/source packages/cte/bench/ingest.bench.ts`).
 * `CE_BENCH_COUNT` changes the count; `CE_BENCH_ONLY=memory|sqlite` runs one store in this
 * process. By default each store runs in its own process, from this file bundled to JavaScript
 * with esbuild and run by plain `node`, as a deployment runs the SDK: the TypeScript loader would
 * add its own 40 MB to the memory figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCloudExchange, createMemoryStorage, type StorageAdapter } from '@ce/core';
import { createSqliteStorage } from '@ce/storage-sqlite';
import Database from 'better-sqlite3';
import { bundleForNode } from '../../../scripts/bundle-for-node.js';
import { recordingDestination } from '../src/engine/test-plugins.js';
import type { ThreatExchange } from '../src/engine/threat-exchange.js';
import { threatExchange } from '../src/engine/threat-exchange-module.js';
import { createIndicatorGenerator } from './generate-indicators.js';

const count = Number(process.env.CE_BENCH_COUNT ?? 1_000_000);
const only = process.env.CE_BENCH_ONLY;
const batchSize = 10_000;
const mb = (bytes: number) => Math.round(bytes / 1_048_576);
const rate = (n: number, ms: number) => Math.round((n / ms) * 1_000);

async function ingestInto(label: string, storage: StorageAdapter) {
  const destination = recordingDestination('sink', 'incremental', { maxBatchCount: 10_000 });
  // Keep nothing: the benchmark measures the exchange, not the recording.
  destination.pushes = { push() {} } as unknown as typeof destination.pushes;
  destination.held = { set() {}, clear() {}, delete() {} } as unknown as typeof destination.held;
  const exchange = await createCloudExchange({
    storage,
    plugins: [destination.plugin],
    modules: [threatExchange({ schedule: false })],
    checkIntervalMs: 0,
  });
  await exchange.start();
  const cte = exchange.modules.cte as ThreatExchange;
  const generator = createIndicatorGenerator();
  global.gc?.();
  const baselineRss = process.memoryUsage.rss();
  let ingestMs = 0;
  for (let start = 0; start < count; start += batchSize) {
    const batch = generator.next(Math.min(batchSize, count - start));
    const started = performance.now();
    await cte.ingest('bench-feed', batch);
    ingestMs += performance.now() - started;
  }
  const stored = await cte.count();
  global.gc?.();
  const heap = process.memoryUsage();
  console.log(
    `${label}: ingested ${count.toLocaleString()} (stored ${stored.toLocaleString()}) in ${(ingestMs / 1000).toFixed(2)} s = ${rate(count, ingestMs).toLocaleString()}/s; heap ${mb(heap.heapUsed)} MB, rss ${mb(heap.rss)} MB, peak rss ${mb(process.resourceUsage().maxRSS * 1024)} MB (process before ingest: ${mb(baselineRss)} MB)`,
  );

  await exchange.configurations.add({ id: 'sink', pluginId: 'sink', config: {} });
  await cte.putSharingRule({ id: 'all', destination: { configId: 'sink', action: 'block' }, interval: '1d' });
  // The delta itself: read the change feed and the destination's states, check each indicator.
  const store = storage.iocs;
  const deltaStarted = performance.now();
  let sequence = 0;
  let candidates = 0;
  for (;;) {
    const page = await store.changesSince(sequence, 10_000);
    if (page.length === 0) break;
    await store.getDestinationStates('sink/all', page);
    candidates += page.length;
    sequence = page[page.length - 1]?.sequence ?? sequence;
  }
  const deltaMs = performance.now() - deltaStarted;
  console.log(
    `${label}: incremental delta over ${candidates.toLocaleString()} indicators (change feed + destination states) in ${(deltaMs / 1000).toFixed(2)} s`,
  );
  const shareStarted = performance.now();
  const run = await cte.share('all');
  const shareMs = performance.now() - shareStarted;
  console.log(
    `${label}: first full sharing run (delta, eligibility, ${run.shared.toLocaleString()} pushed and their states written) in ${(shareMs / 1000).toFixed(2)} s`,
  );
  // Steady state: 1% of the indicators change, then the rule runs again.
  const changed = createIndicatorGenerator()
    .next(Math.min(count, 10_000))
    .map((report) => ({ ...report, severity: 'critical' as const }));
  await cte.ingest('bench-feed', changed);
  const steadyStarted = performance.now();
  const steady = await cte.share('all');
  const steadyMs = performance.now() - steadyStarted;
  console.log(
    `${label}: incremental sharing run after ${changed.length.toLocaleString()} of ${stored.toLocaleString()} changed: ${steady.shared.toLocaleString()} pushed in ${(steadyMs / 1000).toFixed(2)} s`,
  );
  await exchange.stop();
  return { ingestMs, deltaMs, shareMs, steadyMs };
}

/**
 * The memory store's floor: the same reports kept as JSON text in a `Map` keyed by type and
 * value, the least an in-memory store could do with them. It runs in the parent process, before
 * the stores' processes start, so it adds nothing to their memory figures.
 */
function memoryFloor(): number {
  const reports = createIndicatorGenerator().next(count);
  const held = new Map<string, string>();
  const started = performance.now();
  for (const report of reports) held.set(`${report.type}\u0000${report.value}`, JSON.stringify(report));
  const ms = performance.now() - started;
  if (held.size !== count) throw new Error(`the generator repeated values: ${held.size} of ${count}`);
  return ms;
}

function sqliteFloor(path: string): number {
  const reports = createIndicatorGenerator().next(count);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'CREATE TABLE floor (id INTEGER PRIMARY KEY, type TEXT NOT NULL, value TEXT NOT NULL, sequence INTEGER NOT NULL, data TEXT NOT NULL, UNIQUE (type, value))',
  );
  const insert = db.prepare('INSERT INTO floor (type, value, sequence, data) VALUES (?, ?, ?, ?)');
  const started = performance.now();
  const insertAll = db.transaction(() => {
    for (const [index, report] of reports.entries()) {
      insert.run(report.type, report.value, index + 1, JSON.stringify(report));
    }
  });
  insertAll();
  const ms = performance.now() - started;
  db.close();
  return ms;
}

// Each store runs in its own process, so one's memory does not show in the other's figures.
if (only === undefined) {
  const { spawnSync } = await import('node:child_process');
  const bundle = await bundleForNode(fileURLToPath(import.meta.url));
  const floorMs = memoryFloor();
  console.log(
    `memory floor: the same ${count.toLocaleString()} reports as JSON text in a Map: ${(floorMs / 1000).toFixed(2)} s = ${rate(count, floorMs).toLocaleString()}/s`,
  );
  for (const store of ['memory', 'sqlite']) {
    const child = spawnSync(process.execPath, ['--expose-gc', bundle], {
      stdio: 'inherit',
      env: { ...process.env, CE_BENCH_ONLY: store, CE_BENCH_MEMORY_FLOOR_MS: String(floorMs) },
    });
    if (child.status !== 0) process.exit(child.status ?? 1);
  }
  process.exit(0);
}

console.log(
  `node ${process.version}, ${count.toLocaleString()} indicators, ingested in calls and transactions of ${batchSize.toLocaleString()}, store: ${only}`,
);
if (only !== 'sqlite') {
  const memory = await ingestInto('memory', createMemoryStorage());
  const floorMs = Number(process.env.CE_BENCH_MEMORY_FLOOR_MS);
  console.log(
    `memory: ${rate(count, memory.ingestMs).toLocaleString()}/s (target 150,000/s)${Number.isFinite(floorMs) ? ` = ${(floorMs / memory.ingestMs).toFixed(2)} of the memory floor's speed` : ''}`,
  );
}
if (only !== 'memory') {
  const directory = mkdtempSync(join(tmpdir(), 'ce-bench-'));
  try {
    const floorMs = sqliteFloor(join(directory, 'floor.db'));
    console.log(
      `sqlite floor: bare better-sqlite3 prepared insert of the same ${count.toLocaleString()} rows in one transaction: ${(floorMs / 1000).toFixed(2)} s = ${rate(count, floorMs).toLocaleString()}/s`,
    );
    const sqlite = await ingestInto('sqlite', createSqliteStorage({ path: join(directory, 'ce.db') }));
    console.log(
      `sqlite: ${rate(count, sqlite.ingestMs).toLocaleString()}/s = ${(floorMs / sqlite.ingestMs).toFixed(2)} of the floor's speed (target 50,000/s)`,
    );
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
