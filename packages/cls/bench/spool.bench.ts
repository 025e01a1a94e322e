/**
 * Throughput of the durable spool, next to bare `fs.writeSync` (plus `fs.fdatasyncSync` where the
 * spool fsyncs) of the same bytes to one file in the same run, as the baseline.
 *
 * Records are 1 KiB. The shipper appends a whole batch as one entry; the cases show that, single
 * records appended one at a time, single records with many appends in flight (they share fsyncs),
 * and draining (peek + ack) what was written.
 *
 * Run: `node --import tsx --conditions=@ce/source packages/cls/bench/spool.bench.ts`.
 * `CE_BENCH_SCALE` multiplies the work per case (default 1). `CE_BENCH_DIR` picks the directory
 * (default the system temporary directory; use the disk the spool will live on). Each case runs
 * three times, alternating with its baseline (fsync latency on a shared disk swings a lot), and
 * the median of each is printed.
 */
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDiskSpool } from '@ce/cls';

const scale = Number(process.env.CE_BENCH_SCALE ?? 1);
const root = await mkdtemp(join(process.env.CE_BENCH_DIR ?? tmpdir(), 'ce-spool-bench-'));
const recordBytes = 1024;
const record = Buffer.alloc(recordBytes, 'x');
const batchRecords = 500;
const batch = Buffer.concat(Array.from({ length: batchRecords }, () => record));

interface Case {
  label: string;
  fsync: 'always' | 'never';
  payload: Buffer;
  entries: number;
  /** Appends in flight at once. */
  inFlight: number;
}

const cases: Case[] = [
  {
    label: 'batch of 500 x 1 KiB, fsync always',
    fsync: 'always',
    payload: batch,
    entries: 100 * scale,
    inFlight: 1,
  },
  {
    label: 'batch of 500 x 1 KiB, fsync never',
    fsync: 'never',
    payload: batch,
    entries: 200 * scale,
    inFlight: 1,
  },
  {
    label: '1 KiB, fsync always, 1 in flight',
    fsync: 'always',
    payload: record,
    entries: 500 * scale,
    inFlight: 1,
  },
  {
    label: '1 KiB, fsync always, 64 in flight',
    fsync: 'always',
    payload: record,
    entries: 10_000 * scale,
    inFlight: 64,
  },
  {
    label: '1 KiB, fsync never, 1 in flight',
    fsync: 'never',
    payload: record,
    entries: 50_000 * scale,
    inFlight: 1,
  },
];

let run = 0;

async function spoolCase(c: Case): Promise<{ appendMs: number; drainMs: number }> {
  const directory = join(root, `spool-${run++}`);
  const spool = await openDiskSpool({ directory, maxBytes: 16 * 1024 ** 3, fsync: c.fsync });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: c.inFlight }, async () => {
      while (next < c.entries) {
        next++;
        await spool.append(c.payload);
      }
    }),
  );
  const appendMs = performance.now() - started;
  // Drain as the shipper does: read what a sink batch takes, acknowledge it, repeat.
  const drainStarted = performance.now();
  for (;;) {
    const entries = await spool.peek(c.payload.length > recordBytes ? 1 : batchRecords);
    const last = entries.at(-1);
    if (last === undefined) break;
    await spool.ack(last.sequence);
  }
  const drainMs = performance.now() - drainStarted;
  await spool.close();
  await rm(directory, { recursive: true, force: true });
  return { appendMs, drainMs };
}

function baselineCase(c: Case): number {
  const file = join(root, `baseline-${run++}`);
  const fd = openSync(file, 'a');
  const started = performance.now();
  for (let i = 0; i < c.entries; i++) {
    writeSync(fd, c.payload);
    if (c.fsync === 'always') fdatasyncSync(fd);
  }
  const ms = performance.now() - started;
  closeSync(fd);
  return ms;
}

const mb = (bytes: number, ms: number) => (bytes / 1024 / 1024 / (ms / 1000)).toFixed(1);
const rate = (count: number, ms: number) => Math.round((count / ms) * 1000).toLocaleString('en-US');

console.log(`spool benchmark: Node ${process.version}, directory ${root}`);
console.log(
  [
    'case'.padEnd(36),
    'appends/s'.padStart(10),
    'records/s'.padStart(11),
    'MB/s'.padStart(8),
    'bare MB/s'.padStart(10),
    'ratio'.padStart(6),
    'drain MB/s'.padStart(11),
  ].join(' '),
);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] as number;

try {
  for (const c of cases) {
    const spoolRuns: Array<{ appendMs: number; drainMs: number }> = [];
    const baselineRuns: number[] = [];
    for (let i = 0; i < 3; i++) {
      if (i % 2 === 0) {
        spoolRuns.push(await spoolCase(c));
        baselineRuns.push(baselineCase(c));
      } else {
        baselineRuns.push(baselineCase(c));
        spoolRuns.push(await spoolCase(c));
      }
    }
    const appendMs = median(spoolRuns.map((r) => r.appendMs));
    const drainMs = median(spoolRuns.map((r) => r.drainMs));
    const baselineMs = median(baselineRuns);
    const bytes = c.entries * c.payload.length;
    const records = c.entries * (c.payload.length / recordBytes);
    console.log(
      [
        c.label.padEnd(36),
        rate(c.entries, appendMs).padStart(10),
        rate(records, appendMs).padStart(11),
        mb(bytes, appendMs).padStart(8),
        mb(bytes, baselineMs).padStart(10),
        (baselineMs / appendMs).toFixed(2).padStart(6),
        mb(bytes, drainMs).padStart(11),
      ].join(' '),
    );
  }
  console.log(
    'ratio: spool throughput / bare write throughput of the same bytes (1.00 = as fast as the bare write)',
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
