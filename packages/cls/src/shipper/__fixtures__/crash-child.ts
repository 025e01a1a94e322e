/**
 * The shipper process of the crash test (`log-shipper.crash.test.ts`): SQLite storage, a disk
 * spool, a deterministic iterator source whose server-side position lives in a file (so it moves
 * on as it serves, across processes, like Netskope's index) and a sink appending record ids to a
 * file. The test kills it with SIGKILL at random moments and starts it again.
 *
 * It lives under `__fixtures__` because it imports `@ce/storage-sqlite`, which `@ce/cls` does not
 * depend on (it resolves from the workspace root); this keeps it out of the published package.
 *
 * Usage: node --import tsx --conditions=@ce/source crash-child.ts <directory> <crash|finish>
 */
import { appendFileSync, closeSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { type AnyPluginDefinition, createCloudExchange, pluginSpecVersion } from '@ce/core';
import { createSqliteStorage } from '@ce/storage-sqlite';
import { z } from 'zod';
import type { LogShipper } from '../log-shipper.js';
import { logShipper } from '../log-shipper-module.js';
import { type CursorStore, testLogSource } from '../test-plugins.js';
import { crashScenario } from './crash-scenario.js';


const [directory, mode] = process.argv.slice(2) as [string, 'crash' | 'finish'];

function fileCursors(path: string): CursorStore {
  const read = (): Record<string, { next: number; last: number | undefined }> => {
    try {
      return JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      return {};
    }
  };
  return {
    get: (stream) => read()[stream] ?? { next: 0, last: undefined },
    set: (stream, value) => {
      const all = read();
      all[stream] = value;
      writeFileSync(`${path}.tmp`, JSON.stringify(all));
      renameSync(`${path}.tmp`, path);
    },
  };
}

function fileSink(path: string): AnyPluginDefinition {
  return {
    specVersion: pluginSpecVersion,
    id: 'file-sink',
    name: 'file sink',
    version: '1.0.0',
    description: 'appends record ids to a file',
    modules: ['cls'],
    configSchema: z.object({}),
    cls: {
      sink: {
        formats: ['cef', 'json'],
        limits: () => ({ maxBatchItems: crashScenario.maxBatchItems, records: false }),
        async open(context) {
          const fd = openSync(path, 'a');
          return {
            async deliver(batch, signal) {
              // A little latency so that kills land mid-delivery too.
              await context.clock.sleep(3, signal);
              let text = '';
              for (const item of batch.items) text += `${item.id}\n`;
              writeSync(fd, text);
              fsyncSync(fd);
              return {};
            },
            async close() {
              closeSync(fd);
            },
          };
        },
      },
    },
  };
}

const source = testLogSource('netskope', {
  streams: crashScenario.streams,
  total: crashScenario.total,
  pageSize: crashScenario.pageSize,
  cursors: fileCursors(join(directory, 'cursors.json')),
  fetchDelayMs: 20,
  onRequest: (request) =>
    appendFileSync(
      join(directory, 'requests.log'),
      `${JSON.stringify({ stream: request.stream.id, checkpoint: request.checkpoint, redeliver: request.redeliver })}\n`,
    ),
});

const exchange = await createCloudExchange({
  storage: createSqliteStorage({ path: join(directory, 'state.db') }),
  plugins: [source.plugin, fileSink(join(directory, 'received.log'))],
  modules: [
    logShipper({
      routes: [{ id: 'all', source: 'netskope', format: 'cef', sinks: ['file'] }],
      spool: { directory: join(directory, 'spool'), maxBytesPerSink: 1_048_576 },
      pollIntervalMs: 50,
      retry: { initialDelayMs: 20, maxDelayMs: 200 },
    }),
  ],
  checkIntervalMs: 0,
});
await exchange.start();
for (const [id, pluginId] of [
  ['file', 'file-sink'],
  ['netskope', 'netskope'],
] as const) {
  if (!(await exchange.storage.pluginConfigs.get(id)))
    await exchange.configurations.add({ id, pluginId, config: {} });
}
process.stdout.write('ready\n');
// The system clock's timers do not keep a process alive; a host's server would.
const keepAlive = setInterval(() => undefined, 1 << 30);

if (mode === 'finish') {
  const cls = exchange.modules.cls as LogShipper;
  const pages = Math.ceil(crashScenario.total / crashScenario.pageSize);
  for (;;) {
    const status = cls.status();
    const streams = status.sources.flatMap((entry) => entry.streams);
    const caughtUp =
      streams.length === crashScenario.streams.length &&
      streams.every(
        (stream) => !stream.inFlight && (stream.checkpoint as { page?: number } | undefined)?.page === pages,
      ) &&
      status.sinks.every((sink) => sink.spool.count === 0);
    if (caughtUp) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await exchange.stop();
  clearInterval(keepAlive);
  process.stdout.write('finished\n');
  process.exit(0);
}
