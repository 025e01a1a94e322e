/**
 * End-to-end throughput of the log shipper: a source serving pages of 10,000 synthetic Netskope
 * page events → CEF → a sink spool (memory, then disk) → a TCP syslog sink on loopback, received
 * by a separate process counting bytes. Printed beside the bare cost of formatting the same
 * records as CEF and writing the lines to the same receiver, in the same run, as the baseline.
 * Issue targets: 120,000 events/s end to end, resident memory under 300 MB.
 *
 * Run: `node --import tsx --conditions=@ce/source packages/cls/bench/pipeline.bench.ts`.
 * `CE_BENCH_COUNT` sets the events per case (default 1,000,000; the memory figure is for
 * 5,000,000); `CE_BENCH_CASES` picks cases (`baseline,memory,disk,disk-nosync`). Each case runs in
 * its own process, from this file bundled to JavaScript and run by plain `node` as a deployment
 * runs the SDK, so that neither another case's heap nor the TypeScript loader shows in its RSS.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileCefFormatter, defaultMappings, type LogShipper, logShipper, resolveMapping } from '@ce/cls';
import {
  type AnyPluginDefinition,
  CeError,
  createCloudExchange,
  createMemoryStorage,
  type EventRecord,
  pluginSpecVersion,
} from '@ce/core';
import { z } from 'zod';
import { bundleForNode } from '../../../scripts/bundle-for-node.js';
import { createRandom, pageEvent } from './generate-events.js';

const count = Number(process.env.CE_BENCH_COUNT ?? 1_000_000);
const cases = (process.env.CE_BENCH_CASES ?? 'baseline,memory,disk,disk-nosync').split(',');
const pageSize = 10_000;
const batchItems = 2_000;
const poolSize = Math.min(count, 20_000);

const random = createRandom(7);
const pool = Array.from(
  { length: poolSize },
  (_, i) => JSON.parse(JSON.stringify(pageEvent(random, i))) as EventRecord,
);

/** The receiver runs in its own process so that reading does not compete with the shipper's loop. */
async function startReceiver(): Promise<{ port: number; child: ChildProcess; bytes: () => Promise<number> }> {
  const source = `
    const server = require('node:net').createServer((socket) => {
      socket.on('data', (chunk) => { total += chunk.length; });
    });
    let total = 0;
    server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
    process.stdin.on('data', () => process.stdout.write('bytes ' + total + '\\n'));
  `;
  const child = spawn(process.execPath, ['-e', source], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let waiting: ((line: string) => void) | undefined;
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let index = buffer.indexOf('\n');
    while (index >= 0) {
      const line = buffer.slice(0, index);
      buffer = buffer.slice(index + 1);
      if (waiting) {
        const resolve = waiting;
        waiting = undefined;
        resolve(line);
      } else lines.push(line);
      index = buffer.indexOf('\n');
    }
  });
  const nextLine = () =>
    new Promise<string>((resolve) => {
      const line = lines.shift();
      if (line !== undefined) resolve(line);
      else waiting = resolve;
    });
  const port = Number(await nextLine());
  return {
    port,
    child,
    bytes: async () => {
      child.stdin?.write('?\n');
      return Number((await nextLine()).slice('bytes '.length));
    },
  };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

function write(socket: Socket, text: string): Promise<void> {
  return new Promise((resolve, reject) => socket.write(text, (error) => (error ? reject(error) : resolve())));
}

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 50);

async function waitForBytes(receiver: { bytes: () => Promise<number> }, expected: number): Promise<void> {
  for (;;) {
    if ((await receiver.bytes()) >= expected) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Result {
  /** RSS with the record pool built and the receiver connected, before the case runs. */
  startRssMb?: number;
  label: string;
  rate: number;
  seconds: number;
  peakRssMb: number;
}

async function baseline(port: number, receiver: { bytes: () => Promise<number> }): Promise<Result> {
  const format = compileCefFormatter(resolveMapping(defaultMappings, 'events', 'page').cef ?? {}, {
    tenant: 'bench',
  });
  const socket = await open(port);
  const before = await receiver.bytes();
  peakRss = process.memoryUsage.rss();
  const started = performance.now();
  let sent = 0;
  for (let offset = 0; offset < count; offset += batchItems) {
    let text = '';
    for (let i = offset; i < Math.min(count, offset + batchItems); i++)
      text += `${format(pool[i % poolSize] as EventRecord)}\n`;
    sent += Buffer.byteLength(text);
    await write(socket, text);
  }
  await waitForBytes(receiver, before + sent);
  const seconds = (performance.now() - started) / 1000;
  socket.destroy();
  return {
    label: 'baseline: CEF + socket write',
    rate: count / seconds,
    seconds,
    peakRssMb: peakRss / 2 ** 20,
  };
}

function benchSource(): AnyPluginDefinition {
  const pages = Math.ceil(count / pageSize);
  return {
    specVersion: pluginSpecVersion,
    id: 'bench-source',
    name: 'bench source',
    version: '1.0.0',
    description: 'pages of synthetic page events',
    modules: ['cls'],
    configSchema: z.object({}),
    cls: {
      source: {
        streams: () => [{ id: 'events/page', kind: 'event', type: 'page' }],
        async fetch(_context, request) {
          const page = (request.checkpoint as { page?: number } | undefined)?.page ?? 0;
          const records: EventRecord[] = [];
          for (let i = page * pageSize; i < Math.min(count, (page + 1) * pageSize); i++)
            records.push(pool[i % poolSize] as EventRecord);
          return { records, checkpoint: { page: Math.min(page + 1, pages) }, more: page + 1 < pages };
        },
      },
    },
  };
}

function tcpSink(port: number): AnyPluginDefinition {
  return {
    specVersion: pluginSpecVersion,
    id: 'tcp-sink',
    name: 'tcp sink',
    version: '1.0.0',
    description: 'newline-framed lines over TCP',
    modules: ['cls'],
    configSchema: z.object({}),
    cls: {
      sink: {
        formats: ['cef', 'syslog'],
        limits: () => ({ maxBatchItems: batchItems, records: false }),
        async open() {
          const socket = await open(port);
          return {
            async deliver(batch) {
              let text = '';
              for (const item of batch.items) text += `${item.payload}\n`;
              if (socket.destroyed) throw new CeError('HTTP_NETWORK', 'socket closed');
              await write(socket, text);
              return {};
            },
            async close() {
              socket.destroy();
            },
          };
        },
      },
    },
  };
}

async function pipeline(
  label: string,
  port: number,
  receiver: { bytes: () => Promise<number> },
  spool: { directory?: string; fsync?: 'always' | 'never' },
): Promise<Result> {
  const exchange = await createCloudExchange({
    storage: createMemoryStorage(),
    plugins: [benchSource(), tcpSink(port)],
    modules: [
      logShipper({
        routes: [{ id: 'bench', source: 'source', format: 'cef', tenant: 'bench', sinks: ['sink'] }],
        spool: { ...spool, maxBytesPerSink: 64 * 1024 * 1024 },
        pollIntervalMs: 60_000,
      }),
    ],
    checkIntervalMs: 0,
  });
  const cls = exchange.modules.cls as LogShipper;
  const before = await receiver.bytes();
  peakRss = process.memoryUsage.rss();
  const started = performance.now();
  await exchange.start();
  await exchange.configurations.add({ id: 'sink', pluginId: 'tcp-sink', config: {} });
  await exchange.configurations.add({ id: 'source', pluginId: 'bench-source', config: {} });
  for (;;) {
    const sink = cls.status().sinks[0];
    if (sink && sink.deliveredRecords >= count) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const bytes = cls.status().sinks[0]?.deliveredBytes ?? 0;
  await waitForBytes(receiver, before + bytes + count);
  const seconds = (performance.now() - started) / 1000;
  await exchange.stop();
  return { label, rate: count / seconds, seconds, peakRssMb: peakRss / 2 ** 20 };
}

/** Runs one case in this process and prints its result as JSON. */
async function runCase(name: string): Promise<Result> {
  const receiver = await startReceiver();
  const directory = await mkdtemp(join(tmpdir(), 'cls-bench-'));
  try {
    if (name === 'baseline') return await baseline(receiver.port, receiver);
    if (name === 'memory') return await pipeline('shipper, memory spool', receiver.port, receiver, {});
    if (name === 'disk')
      return await pipeline('shipper, disk spool (fsync always)', receiver.port, receiver, {
        directory: join(directory, 'always'),
        fsync: 'always',
      });
    return await pipeline('shipper, disk spool (fsync never)', receiver.port, receiver, {
      directory: join(directory, 'never'),
      fsync: 'never',
    });
  } finally {
    clearInterval(sampler);
    receiver.child.kill();
    await rm(directory, { recursive: true, force: true });
  }
}

if (process.env.CE_BENCH_CHILD) {
  const startRssMb = process.memoryUsage.rss() / 2 ** 20;
  const result = { ...(await runCase(cases[0] as string)), startRssMb };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

// Each case in a process of its own, so that one case's heap does not inflate the next one's RSS.
clearInterval(sampler);
const bundle = await bundleForNode(fileURLToPath(import.meta.url));
const results: Result[] = [];
for (const name of cases) {
  const child = spawn(process.execPath, ['--expose-gc', bundle], {
    env: { ...process.env, CE_BENCH_CHILD: '1', CE_BENCH_CASES: name },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await new Promise((resolve) => child.once('exit', resolve));
  const line = output.split('\n').find((entry) => entry.startsWith('RESULT '));
  if (!line) throw new Error(`case ${name} printed no result: ${output}`);
  results.push(JSON.parse(line.slice('RESULT '.length)) as Result);
}

const base = results.find((result) => result.label.startsWith('baseline'));
console.log(
  `${count.toLocaleString('en')} page events, pages of ${pageSize}, batches of ${batchItems}, each case in its own process`,
);
for (const result of results) {
  const ratio = base ? ` (${(result.rate / base.rate).toFixed(2)}x baseline)` : '';
  console.log(
    `${result.label.padEnd(40)} ${Math.round(result.rate).toLocaleString('en').padStart(9)} events/s${ratio}, ${result.seconds.toFixed(2)} s, peak RSS ${Math.round(result.peakRssMb)} MB (${Math.round(result.startRssMb ?? 0)} MB before the run)`,
  );
}
