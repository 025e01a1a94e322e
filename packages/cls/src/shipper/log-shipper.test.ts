import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AnyPluginDefinition,
  CeError,
  type CloudExchange,
  createCloudExchange,
  createMemoryStorage,
  FakeClock,
  type StorageAdapter,
} from '@ce/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogShipper } from './log-shipper.js';
import { logShipper } from './log-shipper-module.js';
import type { LogShipperOptions } from './shipper-options.js';
import { memoryCursorStore, type RecordingLogSink, recordingLogSink, testLogSource } from './test-plugins.js';

const start = Date.parse('2026-01-01T00:10:00Z');

interface Harness {
  exchange: CloudExchange;
  cls: LogShipper;
  clock: FakeClock;
  events: Array<[string, unknown]>;
}

const running: CloudExchange[] = [];
const directories: string[] = [];

afterEach(async () => {
  for (const exchange of running.splice(0)) await exchange.stop({ timeoutMs: 100 });
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

async function boot(
  plugins: AnyPluginDefinition[],
  options: LogShipperOptions,
  setup: { storage?: StorageAdapter; clock?: FakeClock; configs?: string[] } = {},
): Promise<Harness> {
  const clock = setup.clock ?? new FakeClock(start);
  const exchange = await createCloudExchange({
    storage: setup.storage ?? createMemoryStorage({ clock }),
    clock,
    plugins,
    modules: [logShipper({ stopTimeoutMs: 200, ...options })],
    checkIntervalMs: 0,
  });
  const events: Array<[string, unknown]> = [];
  for (const name of [
    'cls-page-fetched',
    'cls-batch-delivered',
    'cls-delivery-failed',
    'cls-fetch-failed',
    'cls-dead-lettered',
  ])
    exchange.events.on(name, (payload) => events.push([name, payload]));
  running.push(exchange);
  await exchange.start();
  for (const id of setup.configs ?? plugins.map((plugin) => plugin.id)) {
    if (!(await exchange.storage.pluginConfigs.get(id)))
      await exchange.configurations.add({ id, pluginId: id, config: {} });
  }
  return { exchange, cls: exchange.modules.cls as LogShipper, clock, events };
}

async function until(
  harness: Harness,
  condition: () => boolean,
  what = 'condition',
  stepMs = 100,
): Promise<void> {
  // Real time too: the disk spool's I/O completes on its own schedule.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (condition()) return;
    await harness.clock.advance(stepMs);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(harness.cls.status())}`);
}

async function stopped(harness: Harness): Promise<void> {
  running.splice(running.indexOf(harness.exchange), 1);
  await harness.exchange.stop({ timeoutMs: 100 });
}

function ids(sink: RecordingLogSink): string[] {
  return sink.received.map((item) => item.id);
}

function expected(stream: string, count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, index) => `${stream}#${from + index}`);
}

describe('LogShipper', () => {
  it('ships every record in order as CEF, then stores the checkpoint and reports status and metrics', async () => {
    const source = testLogSource('netskope', { total: 95, pageSize: 10 });
    const siem = recordingLogSink('siem', { limits: { maxBatchItems: 4 } });
    const harness = await boot([source.plugin, siem.plugin], {
      routes: [{ id: 'all', source: 'netskope', format: 'cef', sinks: ['siem'] }],
    });
    await until(harness, () => siem.received.length === 95, 'all records');
    expect(ids(siem)).toEqual(expected('events/page', 95));
    expect(siem.batches.every((batch) => batch.items.length <= 4 && batch.format === 'cef')).toBe(true);
    expect(siem.received[0]?.payload).toMatch(/^CEF:0\|Netskope\|netskope\|/);
    expect(siem.received[0]?.payload).toContain('suser=user0@example.com');
    // Deterministic batch ids: stream, page, route, part.
    expect(siem.batches[0]?.id).toMatch(/^events\/page:[0-9a-f]{16}:all:0$/);
    expect(siem.batches[1]?.id).toMatch(/:all:1$/);

    await until(harness, () => harness.cls.status().sinks[0]?.state === 'idle', 'idle sink');
    const status = harness.cls.status();
    const stream = status.sources[0]?.streams[0];
    expect(stream).toMatchObject({
      configId: 'netskope',
      stream: 'events/page',
      checkpoint: { page: 10 },
      inFlight: false,
      records: 95,
      errors: 0,
    });
    expect(stream?.lagMs).toBeGreaterThan(0);
    expect(status.sinks[0]).toMatchObject({
      sinkId: 'siem',
      spool: { count: 0, bytes: 0 },
      deliveredRecords: 95,
      spooledRecords: 95,
      retries: 0,
      deadLetters: 0,
    });
    const metrics = harness.cls.metrics();
    const delivered = metrics.find((metric) => metric.name === 'ce_cls_records_delivered_total');
    expect(delivered?.samples).toEqual([{ labels: { sink: 'siem' }, value: 95 }]);
    const fetched = metrics.find((metric) => metric.name === 'ce_cls_records_fetched_total');
    expect(fetched?.samples[0]).toEqual({ labels: { config: 'netskope', stream: 'events/page' }, value: 95 });
    const pages = harness.events.filter(([name]) => name === 'cls-page-fetched');
    expect(pages[0]?.[1]).toMatchObject({
      configId: 'netskope',
      stream: 'events/page',
      records: 10,
      spooled: 10,
    });
    expect(harness.events.filter(([name]) => name === 'cls-batch-delivered')).toHaveLength(
      siem.batches.length,
    );

    // The stored checkpoint is what the next start reads.
    const stored = await harness.exchange.storage.keyValue.get('cls', 'checkpoint:netskope:events/page');
    expect(stored?.value).toMatchObject({ checkpoint: { page: 10 }, inFlight: false });
  });

  it('reads a stream once for several routes, filters, and formats per route and sink', async () => {
    const source = testLogSource('netskope', {
      total: 30,
      pageSize: 10,
      streams: ['events/page', 'alerts/dlp'],
    });
    const siem = recordingLogSink('siem');
    const lake = recordingLogSink('lake');
    const harness = await boot([source.plugin, siem.plugin, lake.plugin], {
      routes: [
        {
          id: 'dlp-syslog',
          source: 'netskope',
          streams: { kinds: ['alert'] },
          filter: 'seq < 5',
          format: 'syslog',
          syslog: { facility: 'local0', hostname: 'ce-test' },
          sinks: ['siem'],
        },
        {
          id: 'pages-json',
          source: 'netskope',
          streams: { types: ['page'] },
          format: 'json',
          jsonFields: ['_id', 'user'],
          sinks: ['lake'],
        },
        {
          id: 'pages-leef',
          source: 'netskope',
          streams: { types: ['page'] },
          format: 'leef',
          sinks: ['siem'],
        },
      ],
    });
    await until(harness, () => siem.received.length === 35 && lake.received.length === 30, 'both sinks');
    // Each page of each stream was fetched once, although two routes read events/page.
    const pageRequests = source.requests.filter((request) => request.stream === 'events/page');
    expect(pageRequests.slice(0, 3).map((request) => request.checkpoint)).toEqual([
      undefined,
      { page: 1 },
      { page: 2 },
    ]);
    expect(new Set(pageRequests.map((request) => JSON.stringify(request.checkpoint))).size).toBe(
      pageRequests.length,
    );

    const dlp = siem.received.filter((item) => item.stream === 'alerts/dlp');
    expect(dlp.map((item) => item.id)).toEqual(expected('alerts/dlp', 5));
    expect(dlp[0]?.payload).toMatch(/^<134>1 2026-01-01T00:00:00\.000Z ce-test /);
    expect(dlp[0]?.payload).toContain('CEF:0|Netskope|');
    const leef = siem.received.filter((item) => item.stream === 'events/page');
    expect(leef.map((item) => item.id)).toEqual(expected('events/page', 30));
    expect(leef[0]?.payload).toMatch(/^LEEF:1\.0\|Netskope\|/);
    expect(lake.received[3]?.payload).toBe('{"_id":"events/page#3","user":"user3@example.com"}');
    const status = harness.cls.status();
    const dlpStatus = status.sources[0]?.streams.find((stream) => stream.stream === 'alerts/dlp');
    expect(dlpStatus?.filtered).toBe(25);
  });

  it('asks for the page again after a crash between the marker and the checkpoint', async () => {
    const storage = createMemoryStorageSharing(createMemoryStorage({ clock: new FakeClock(start) }));
    const cursors = memoryCursorStore();
    const source = testLogSource('netskope', { total: 40, pageSize: 10, cursors });
    // The server hands out page 1 and the process dies before the page is durable.
    source.lose = (request) =>
      (request.checkpoint as { page?: number } | undefined)?.page === 1 && !request.redeliver;
    const siem = recordingLogSink('siem');
    const options: LogShipperOptions = {
      routes: [{ id: 'all', source: 'netskope', format: 'cef', sinks: ['siem'] }],
    };
    const first = await boot([source.plugin, siem.plugin], options, { storage });
    await until(first, () => source.requests.length === 2, 'the lost fetch');
    expect(cursors.get('events/page').next).toBe(2);
    const marker = await storage.keyValue.get<{ inFlight: boolean; checkpoint: unknown }>(
      'cls',
      'checkpoint:netskope:events/page',
    );
    expect(marker?.value).toMatchObject({ inFlight: true, checkpoint: { page: 1 } });
    await stopped(first);
    expect(ids(siem)).toEqual(expected('events/page', 10));

    const siem2 = recordingLogSink('siem');
    const second = await boot([source.plugin, siem2.plugin], options, { storage });
    await until(second, () => siem2.received.length === 30, 'the rest');
    expect(source.requests[2]).toEqual({ stream: 'events/page', checkpoint: { page: 1 }, redeliver: true });
    expect([...ids(siem), ...ids(siem2)]).toEqual(expected('events/page', 40));
  });

  it('keeps spooled batches on disk across a restart: at least once, in order', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'cls-shipper-'));
    directories.push(directory);
    const storage = createMemoryStorageSharing(createMemoryStorage({ clock: new FakeClock(start) }));
    const source = testLogSource('netskope', { total: 50, pageSize: 10 });
    const siem = recordingLogSink('siem');
    siem.down = true;
    const options: LogShipperOptions = {
      routes: [{ id: 'all', source: 'netskope', format: 'cef', sinks: ['siem'] }],
      spool: { directory, fsync: 'never' },
    };
    const first = await boot([source.plugin, siem.plugin], options, { storage });
    await until(
      first,
      () =>
        first.cls.status().sources[0]?.streams[0]?.checkpoint !== undefined &&
        (first.cls.status().sources[0]?.streams[0]?.pages ?? 0) >= 5,
      'all pages spooled',
      50,
    );
    expect(siem.received).toHaveLength(0);
    expect(first.cls.status().sinks[0]?.spool.count).toBeGreaterThan(0);
    expect(first.cls.status().sinks[0]?.state).toBe('retrying');
    await stopped(first);

    const siem2 = recordingLogSink('siem');
    const second = await boot([source.plugin, siem2.plugin], options, { storage });
    await until(second, () => siem2.received.length === 50, 'delivery after restart');
    expect(ids(siem2)).toEqual(expected('events/page', 50));
    // Nothing was fetched twice: the pages were durable in the spool.
    expect(source.requests.filter((request) => request.redeliver)).toHaveLength(0);
  });

  it('does not spool again the batches of an interrupted page that a disk spool already holds', async () => {
    const storage = createMemoryStorageSharing(createMemoryStorage({ clock: new FakeClock(start) }));
    const record = (stream: { id: string }, index: number) => ({
      _id: `${stream.id}#${index}`,
      user: 'x'.repeat(2_000),
    });
    const source = testLogSource('netskope', { total: 120, pageSize: 40, record });
    const siem = recordingLogSink('siem', { limits: { maxBatchItems: 2, records: false } });
    siem.down = true;
    const options: LogShipperOptions = {
      routes: [{ id: 'all', source: 'netskope', format: 'json', sinks: ['siem'] }],
      spool: { directory: await tempDirectory(), maxBytesPerSink: 65_536, fsync: 'never' },
    };
    const first = await boot([source.plugin, siem.plugin], options, { storage });
    await until(
      first,
      () => first.cls.status().sources[0]?.streams[0]?.state === 'backpressure',
      'full spool',
      50,
    );
    const marker = await storage.keyValue.get<{ inFlight: boolean; spooled?: string[] }>(
      'cls',
      'checkpoint:netskope:events/page',
    );
    expect(marker?.value.inFlight).toBe(true);
    const held = marker?.value.spooled?.length ?? 0;
    expect(held).toBeGreaterThan(5);
    expect(held).toBeLessThan(20);
    await stopped(first);

    const siem2 = recordingLogSink('siem', { limits: { maxBatchItems: 2, records: false } });
    const second = await boot([source.plugin, siem2.plugin], options, { storage });
    await until(second, () => siem2.received.length >= 120, 'delivery', 50);
    expect(source.requests[1]).toMatchObject({ checkpoint: undefined, redeliver: true });
    expect(ids(siem2)).toEqual(expected('events/page', 120));
  });

  it('stops fetching when a sink is down and its spool is full, and catches up when it returns', async () => {
    const record = (stream: { id: string }, index: number) => ({
      _id: `${stream.id}#${index}`,
      user: 'x'.repeat(2_000),
      seq: index,
    });
    const source = testLogSource('netskope', { total: 2_000, pageSize: 20, record });
    const siem = recordingLogSink('siem', { limits: { maxBatchItems: 20, records: false } });
    siem.down = true;
    const harness = await boot([source.plugin, siem.plugin], {
      routes: [{ id: 'all', source: 'netskope', format: 'json', sinks: ['siem'] }],
      spool: { directory: await tempDirectory(), maxBytesPerSink: 200_000, fsync: 'never' },
      retry: { initialDelayMs: 100, maxDelayMs: 1_000 },
    });
    await until(
      harness,
      () => harness.cls.status().sources[0]?.streams[0]?.state === 'backpressure',
      'backpressure',
      50,
    );
    const fetches = source.requests.length;
    const status = harness.cls.status();
    expect(status.sinks[0]?.spool.bytes).toBeLessThanOrEqual(200_000);
    expect(status.sinks[0]?.spool.bytes).toBeGreaterThan(100_000);
    // Time passes, the sink stays down: no more fetches, nothing dropped, the spool stays bounded.
    await harness.clock.advance(60_000);
    expect(source.requests.length).toBe(fetches);
    expect(harness.cls.status().sinks[0]?.spool.bytes).toBeLessThanOrEqual(200_000);
    expect(harness.cls.status().sinks[0]?.retries).toBeGreaterThan(3);
    expect(
      harness.events.some(
        ([name, event]) =>
          name === 'cls-delivery-failed' && (event as { state: string }).state === 'retrying',
      ),
    ).toBe(true);

    siem.down = false;
    await until(harness, () => siem.received.length === 2_000, 'catch up', 200);
    expect(ids(siem)).toEqual(expected('events/page', 2_000));
  });

  it('with a memory spool, stores a checkpoint only after the sinks acknowledged the page', async () => {
    const source = testLogSource('netskope', { total: 30, pageSize: 10 });
    const siem = recordingLogSink('siem');
    siem.down = true;
    const harness = await boot([source.plugin, siem.plugin], {
      routes: [{ id: 'all', source: 'netskope', format: 'cef', sinks: ['siem'] }],
      retry: { initialDelayMs: 100, maxDelayMs: 500 },
    });
    await until(harness, () => siem.attempts >= 3, 'failed attempts');
    expect(source.requests).toHaveLength(1);
    expect(harness.cls.status().sources[0]?.streams[0]).toMatchObject({ inFlight: true, pages: 0 });
    siem.down = false;
    await until(harness, () => siem.received.length === 30, 'delivery');
    expect(ids(siem)).toEqual(expected('events/page', 30));
  });

  it('dead-letters records a sink refuses, and re-drives them', async () => {
    const source = testLogSource('netskope', { total: 20, pageSize: 10 });
    const siem = recordingLogSink('siem');
    siem.reject = (payload) => (payload.includes('user3@') ? 'field too long for index' : undefined);
    const harness = await boot([source.plugin, siem.plugin], {
      routes: [{ id: 'all', source: 'netskope', format: 'cef', sinks: ['siem'] }],
    });
    await until(harness, () => harness.cls.status().sinks[0]?.deliveredRecords === 17, 'delivery');
    const letters = await harness.cls.listDeadLetters({ sinkId: 'siem' });
    expect(letters.items.map((letter) => letter.recordId)).toEqual([
      'events/page#3',
      'events/page#10',
      'events/page#17',
    ]);
    expect(letters.items[0]).toMatchObject({
      stage: 'sink',
      routeId: 'all',
      stream: 'events/page',
      reason: 'field too long for index',
    });
    expect(letters.items[0]?.payload).toContain('suser=user3@example.com');
    expect(harness.cls.status().deadLetters.stored).toBe(3);
    expect(harness.events.filter(([name]) => name === 'cls-dead-lettered')).toHaveLength(2);

    siem.reject = undefined;
    const report = await harness.cls.redriveDeadLetters({ sinkId: 'siem' });
    expect(report).toEqual({ redriven: 3, failed: [] });
    await until(harness, () => siem.received.length === 20, 're-driven');
    expect(ids(siem).slice(17)).toEqual(['events/page#3', 'events/page#10', 'events/page#17']);
    expect((await harness.cls.listDeadLetters()).items).toHaveLength(0);
  });

  it('never stops on bad records: unformattable ones are dead-lettered, hostile values are escaped', async () => {
    const record = (stream: { id: string; type: string }, index: number) => {
      const base: Record<string, unknown> = {
        _id: `${stream.id}#${index}`,
        timestamp: 1_767_225_600 + index,
        seq: index,
      };
      if (index === 1) base.user = 'evil\nCEF:0|forged|x|1|1|fake|10|src=6.6.6.6';
      if (index === 2) base.url = 'a|b=c\\d\r\n<13>1 fake syslog';
      if (index === 3)
        Object.defineProperty(base, 'user', {
          enumerable: true,
          get() {
            throw new Error('corrupt record');
          },
        });
      if (index === 4) base.user = 'x'.repeat(200_000);
      return base;
    };
    const source = testLogSource('netskope', { total: 8, pageSize: 8, record });
    const siem = recordingLogSink('siem');
    const harness = await boot([source.plugin, siem.plugin], {
      routes: [
        { id: 'all', source: 'netskope', format: 'syslog', syslog: { hostname: 'h' }, sinks: ['siem'] },
      ],
    });
    await until(harness, () => siem.received.length === 7, 'delivery');
    expect(ids(siem)).toEqual(expected('events/page', 8).filter((id) => id !== 'events/page#3'));
    for (const item of siem.received) {
      expect(item.payload).not.toMatch(/[\r\n]/);
      expect(Buffer.byteLength(item.payload)).toBeLessThanOrEqual(65_536);
    }
    const forged = siem.received.find((item) => item.id === 'events/page#1')?.payload ?? '';
    expect(forged).toContain('suser=evil\\nCEF:0|forged|x|1|1|fake|10|src\\=6.6.6.6');
    const escaped = siem.received.find((item) => item.id === 'events/page#2')?.payload ?? '';
    expect(escaped).toContain('request=a|b\\=c\\\\d\\r\\n<13>1 fake syslog');
    const letters = await harness.cls.listDeadLetters();
    expect(letters.items).toHaveLength(1);
    expect(letters.items[0]).toMatchObject({ stage: 'format', recordId: 'events/page#3', routeId: 'all' });
    expect(letters.items[0]?.reason).toContain('corrupt record');
    expect(harness.cls.status().sources[0]?.streams[0]).toMatchObject({ formatFailures: 1, errors: 0 });
  });

  it('retries failed fetches with backoff from the same checkpoint', async () => {
    const source = testLogSource('netskope', { total: 10, pageSize: 10 });
    const siem = recordingLogSink('siem');
    source.failFetches = 2;
    const harness = await boot([source.plugin, siem.plugin], {
      routes: [{ id: 'all', source: 'netskope', format: 'cef', sinks: ['siem'] }],
      retry: { initialDelayMs: 1_000, maxDelayMs: 10_000, blockedDelayMs: 120_000 },
    });
    await until(harness, () => siem.received.length === 10, 'delivery after retries');
    const failures = harness.events.filter(([name]) => name === 'cls-fetch-failed').map(([, event]) => event);
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({
      stream: 'events/page',
      attempt: 1,
      state: 'retrying',
      error: { code: 'HTTP_NETWORK' },
    });
    // The failed fetches started from the same checkpoint, as redeliveries.
    expect(source.requests.slice(0, 3).map((request) => request.redeliver)).toEqual([false, true, true]);
  });

  it('reports a sink with an authentication failure as blocked and retries it slowly', async () => {
    const source = testLogSource('netskope', { total: 10, pageSize: 10 });
    const siem = recordingLogSink('siem');
    siem.down = true;
    siem.failWith = new CeError('HTTP_AUTH_FAILED', 'the server answered 401');
    const harness = await boot([source.plugin, siem.plugin], {
      routes: [{ id: 'all', source: 'netskope', format: 'cef', sinks: ['siem'] }],
      retry: { initialDelayMs: 100, maxDelayMs: 1_000, blockedDelayMs: 60_000 },
    });
    await until(harness, () => siem.attempts === 1, 'first attempt');
    await until(harness, () => harness.cls.status().sinks[0]?.state === 'blocked', 'blocked');
    expect(harness.cls.status().sinks[0]?.lastError).toMatchObject({
      code: 'HTTP_AUTH_FAILED',
      retryable: false,
    });
    await harness.clock.advance(20_000);
    expect(siem.attempts).toBe(1);
    // The blocked delay is 30 to 60 s (jitter), against 50 to 100 ms for a retryable failure.
    await harness.clock.advance(41_000);
    expect(siem.attempts).toBeGreaterThanOrEqual(2);
    expect(siem.attempts).toBeLessThanOrEqual(3);
    // Fixing the configuration retries at once.
    siem.down = false;
    await harness.exchange.configurations.update('siem', { name: 'SIEM with a new token' });
    await until(harness, () => siem.received.length === 10, 'delivery after the fix', 10);
    expect(harness.cls.status().sinks[0]?.state).not.toBe('blocked');
  });

  it('stops fetching a stream once it says it is finished (a backfill past its end)', async () => {
    const source = testLogSource('netskope', { total: 25, pageSize: 10, finite: true, mode: 'checkpoint' });
    const siem = recordingLogSink('siem');
    const harness = await boot([source.plugin, siem.plugin], {
      routes: [{ id: 'all', source: 'netskope', format: 'cef', sinks: ['siem'] }],
    });
    await until(harness, () => harness.cls.status().sources[0]?.streams[0]?.state === 'finished', 'finished');
    expect(ids(siem)).toEqual(expected('events/page', 25));
    const fetches = source.requests.length;
    expect(fetches).toBe(3);
    await harness.clock.advance(60_000);
    expect(source.requests.length).toBe(fetches);
  });

  it('derives deterministic record ids when the source has none', async () => {
    const source = testLogSource('netskope', {
      total: 12,
      pageSize: 5,
      recordIds: false,
      mode: 'checkpoint',
    });
    const siem = recordingLogSink('siem');
    const harness = await boot([source.plugin, siem.plugin], {
      routes: [{ id: 'all', source: 'netskope', format: 'json', sinks: ['siem'] }],
    });
    await until(harness, () => siem.received.length === 12, 'delivery');
    const first = ids(siem);
    expect(first[0]).toMatch(/^events\/page:[0-9a-f]{16}:0$/);
    expect(new Set(first).size).toBe(12);
    expect(first[5]?.endsWith(':0')).toBe(true);
    // Same checkpoint, same ids.
    const again = testLogSource('netskope', { total: 12, pageSize: 5, recordIds: false, mode: 'checkpoint' });
    const siem2 = recordingLogSink('siem');
    const harness2 = await boot([again.plugin, siem2.plugin], {
      routes: [{ id: 'all', source: 'netskope', format: 'json', sinks: ['siem'] }],
    });
    await until(harness2, () => siem2.received.length === 12, 'delivery');
    expect(ids(siem2)).toEqual(first);
  });

  it('rejects bad options with every path named', () => {
    expect(() =>
      logShipper({
        routes: [
          { id: 'a', source: 'netskope', format: 'cef', sinks: [] },
          {
            id: 'a',
            source: 'netskope',
            format: 'json',
            filter: 'severity ==== 3',
            sinks: ['x'],
            syslog: {},
          },
        ],
        pollIntervalMs: 0,
      }).create({} as never),
    ).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        issues: expect.arrayContaining([
          expect.objectContaining({ path: 'routes[0].sinks' }),
          expect.objectContaining({ path: 'routes[1].id' }),
          expect.objectContaining({ path: 'routes[1].filter' }),
          expect.objectContaining({ path: 'routes[1].syslog' }),
          expect.objectContaining({ path: 'pollIntervalMs' }),
        ]),
      }),
    );
  });
});

async function tempDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'cls-shipper-'));
  directories.push(directory);
  return directory;
}

/** The same stored data for a "restarted process": the memory adapter's stores, without closing them. */
function createMemoryStorageSharing(storage: StorageAdapter): StorageAdapter {
  return Object.create(storage, {
    close: { value: async () => undefined },
    init: { value: async () => undefined },
  }) as StorageAdapter;
}
