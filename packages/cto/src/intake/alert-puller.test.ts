import {
  type AlertInput,
  CeError,
  type CloudExchange,
  createCloudExchange,
  createMemoryLogger,
  createMemoryStorage,
  FakeClock,
  type StorageAdapter,
} from '@ce/core';
import { definePlugin } from '@ce/plugin-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AlertPuller, alertIntakeNamespace, alertPullStateKey } from './alert-puller.js';

/**
 * A remote that advances on read, like Netskope's iterator: each pull serves the next page and
 * forgets it, unless asked to resend the last one.
 */
function fakeSource() {
  const pages: AlertInput[][] = [];
  const served: Array<{ checkpoint: unknown; redeliver: boolean }> = [];
  let cursor = 0;
  let last: AlertInput[] | undefined;
  let waitMs: number | undefined;
  const alert = (id: string): AlertInput => ({ id, type: 'dlp', name: `alert ${id}`, timestamp: 1_000 });
  const plugin = definePlugin({
    id: 'fake-source',
    name: 'Fake source',
    version: '1.0.0',
    description: 'Serves scripted pages and advances on read.',
    modules: ['cto'],
    configSchema: z.object({}),
    cto: {
      source: {
        async pull(_context, request) {
          served.push({ checkpoint: request.checkpoint, redeliver: request.redeliver });
          let alerts: AlertInput[];
          if (request.redeliver && last) alerts = last;
          else {
            alerts = pages[cursor] ?? [];
            if (cursor < pages.length) cursor += 1;
          }
          last = alerts;
          const page = { alerts, checkpoint: { cursor }, more: cursor < pages.length };
          return waitMs === undefined ? page : { ...page, waitMs };
        },
      },
    },
  });
  return {
    plugin,
    served,
    alert,
    addPage: (...ids: string[]) => pages.push(ids.map(alert)),
    addRaw: (...alerts: AlertInput[]) => pages.push(alerts),
    setWait: (ms: number | undefined) => {
      waitMs = ms;
    },
  };
}

const noSource = definePlugin({
  id: 'no-source',
  name: 'Not a source',
  version: '1.0.0',
  description: 'Declares cto but offers no source.',
  modules: ['cto'],
  configSchema: z.object({}),
});

let clock: FakeClock;
let storage: StorageAdapter;
let exchange: CloudExchange;
let source: ReturnType<typeof fakeSource>;
let submitted: Array<{ ids: string[]; sourceConfigId: string }>;
let failSubmit: number;

function puller(): AlertPuller {
  return new AlertPuller({
    plugins: exchange.runtime,
    storage,
    clock,
    logger: createMemoryLogger(),
    async submit(alerts, sourceConfigId) {
      if (failSubmit > 0) {
        failSubmit -= 1;
        throw new CeError('STORAGE_FAILED', 'the process stopped before the alerts were stored');
      }
      submitted.push({ ids: alerts.map((alert) => alert.id), sourceConfigId });
      return alerts.length;
    },
  });
}

beforeEach(async () => {
  clock = new FakeClock(Date.parse('2026-03-01T00:00:00Z'));
  storage = createMemoryStorage({ clock });
  source = fakeSource();
  submitted = [];
  failSubmit = 0;
  exchange = await createCloudExchange({
    storage,
    clock,
    plugins: [source.plugin, noSource],
    checkIntervalMs: 0,
  });
  await exchange.start();
  await exchange.configurations.add({ id: 'src', pluginId: 'fake-source', config: {} });
  await exchange.configurations.add({ id: 'none', pluginId: 'no-source', config: {} });
});

afterEach(async () => {
  await exchange.stop({ timeoutMs: 100 });
});

describe('AlertPuller', () => {
  it('submits page after page and resumes from the stored checkpoint in a new process', async () => {
    source.addPage('a1', 'a2');
    source.addPage('a3');
    source.addPage('a4');
    const first = puller();
    expect(await first.pullOnce('src')).toEqual({ alerts: 2, more: true, redelivered: false });
    expect(await first.pullOnce('src')).toEqual({ alerts: 1, more: true, redelivered: false });
    const state = await first.state('src');
    expect(state).toMatchObject({ checkpoint: { cursor: 2 }, inFlight: false, pages: 2 });

    // A new puller over the same storage continues after the checkpoint, without redelivery.
    const second = puller();
    expect(await second.pullOnce('src')).toEqual({ alerts: 1, more: false, redelivered: false });
    expect(submitted).toEqual([
      { ids: ['a1', 'a2'], sourceConfigId: 'src' },
      { ids: ['a3'], sourceConfigId: 'src' },
      { ids: ['a4'], sourceConfigId: 'src' },
    ]);
    expect(source.served.map((call) => call.checkpoint)).toEqual([undefined, { cursor: 1 }, { cursor: 2 }]);
  });

  it('asks for a redelivery when a pulled page was never submitted, and stores nothing before', async () => {
    source.addPage('b1', 'b2');
    source.addPage('b3');
    failSubmit = 1;
    await expect(puller().pullOnce('src')).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    const after = await puller().state('src');
    expect(after.inFlight).toBe(true);
    expect(after.checkpoint).toBeUndefined();

    const result = await puller().pullOnce('src');
    expect(result).toEqual({ alerts: 2, more: true, redelivered: true });
    expect(source.served[1]).toEqual({ checkpoint: undefined, redeliver: true });
    expect(submitted).toEqual([{ ids: ['b1', 'b2'], sourceConfigId: 'src' }]);
    expect(await puller().pullOnce('src')).toMatchObject({ alerts: 1, redelivered: false });
    expect(submitted.map((page) => page.ids)).toEqual([['b1', 'b2'], ['b3']]);
  });

  it('survives a crash between the plugin pull and the submit (the flag was persisted first)', async () => {
    source.addPage('c1');
    // Simulate a process that stopped after the plugin answered: the flag is set, the checkpoint
    // is the old one, nothing was submitted.
    await storage.keyValue.set(alertIntakeNamespace, alertPullStateKey('src'), {
      version: 1,
      inFlight: true,
      inFlightSince: clock.now(),
      pages: 0,
    });
    const result = await puller().pullOnce('src');
    expect(result.redelivered).toBe(true);
    expect(source.served[0]).toEqual({ checkpoint: undefined, redeliver: true });
    expect(submitted).toEqual([{ ids: ['c1'], sourceConfigId: 'src' }]);
    expect((await puller().state('src')).inFlight).toBe(false);
  });

  it('moves the checkpoint over empty pages without calling submit', async () => {
    const p = puller();
    expect(await p.pullOnce('src')).toEqual({ alerts: 0, more: false, redelivered: false });
    expect(submitted).toEqual([]);
    expect(await p.state('src')).toMatchObject({ checkpoint: { cursor: 0 }, inFlight: false, pages: 1 });
  });

  it('passes the wait time the source asks for', async () => {
    source.addPage('d1');
    source.setWait(30_000);
    expect(await puller().pullOnce('src')).toEqual({
      alerts: 1,
      more: false,
      waitMs: 30_000,
      redelivered: false,
    });
    source.setWait(0);
    expect(await puller().pullOnce('src')).not.toHaveProperty('waitMs');
  });

  it('submits invalid alerts too: the orchestrator records them as failed, none is dropped here', async () => {
    source.addRaw(
      { id: 'ok', type: 'dlp', name: 'fine', timestamp: 1 },
      { id: '', type: 'dlp', name: 'no id', timestamp: 1 },
      { id: 'bad-time', type: 'dlp', name: 'bad time', timestamp: 'yesterday' as unknown as number },
    );
    expect((await puller().pullOnce('src')).alerts).toBe(3);
    expect(submitted[0]?.ids).toEqual(['ok', '', 'bad-time']);
  });

  it('runs the pulls of one configuration one after another', async () => {
    source.addPage('e1');
    source.addPage('e2');
    const p = puller();
    const [one, two] = await Promise.all([p.pullOnce('src'), p.pullOnce('src')]);
    expect([one.redelivered, two.redelivered]).toEqual([false, false]);
    expect(submitted.map((page) => page.ids)).toEqual([['e1'], ['e2']]);
  });

  it('refuses a configuration whose plugin is not an alert source', async () => {
    await expect(puller().pullOnce('none')).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
  });

  it('detects another process pulling the same configuration', async () => {
    source.addPage('f1');
    source.addPage('f2');
    const b = puller();
    let inner: Promise<unknown> | undefined;
    const racing = new AlertPuller({
      plugins: exchange.runtime,
      storage,
      clock,
      logger: createMemoryLogger(),
      async submit(alerts, id) {
        submitted.push({ ids: alerts.map((alert) => alert.id), sourceConfigId: id });
        // Another process starts a pull of the same configuration while this one submits.
        inner ??= b.pullOnce('src');
        await inner;
      },
    });
    await expect(racing.pullOnce('src')).rejects.toMatchObject({ code: 'CONFLICT' });
    // The other process saw the flag and asked for a redelivery: at least once, never lost.
    expect(source.served.map((call) => call.redeliver)).toEqual([false, true]);
  });
});
