import { createMemoryStorage, FakeClock, type KeyValueStore, type LogPage, type LogStream } from '@ce/core';
import { createPluginHarness, type PluginHarness } from '@ce/plugin-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { type NetskopeMockServer, startNetskopeMockServer } from '../mock/netskope-mock-server.js';
import { DataExportError } from './data-export-client.js';
import {
  type NetskopeLogSourceConfig,
  type NetskopeStreamCheckpoint,
  netskopeLogSource,
  netskopeLogSourceConfigSchema,
  requestedPageStateKey,
} from './netskope-log-source.js';

const token = 'v2-token-logs-123456';
const now = Date.parse('2026-01-02T00:00:00.000Z');
const nowSeconds = now / 1_000;
const source = netskopeLogSource.cls!.source!;
const fast = { rateLimit: { requestsPerSecond: 1_000, burst: 100 } };

/** `count` page events in the last `spanSeconds` before `now`, one id each. */
function pageEvents(count: number, spanSeconds = 3_600, prefix = 'p'): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    _id: `${prefix}-${i}`,
    timestamp: nowSeconds - spanSeconds + Math.floor((i * spanSeconds) / count),
    transaction_id: 9_223_372_036_854_775_000n + BigInt(i),
    user: 'zoë@exämple.com',
  }));
}

const servers: NetskopeMockServer[] = [];
const harnesses: PluginHarness<NetskopeLogSourceConfig>[] = [];
afterEach(async () => {
  for (const harness of harnesses.splice(0)) await harness.close();
  for (const server of servers.splice(0)) await server.close();
});

async function tenant(options: Parameters<typeof startNetskopeMockServer>[0] = {}) {
  const server = await startNetskopeMockServer({
    token,
    requestsPerSecond: 1_000,
    pageSize: 3,
    now: () => now,
    events: { page: pageEvents(7) },
    ...options,
  });
  servers.push(server);
  return server;
}

function harness(
  server: NetskopeMockServer,
  config: Record<string, unknown> = {},
  keyValue: KeyValueStore = createMemoryStorage().keyValue,
  configId = 'logs-prod',
) {
  const created = createPluginHarness(netskopeLogSource, {
    config: {
      tenant: server.url,
      apiToken: token,
      requestsPerSecond: 50,
      events: ['page'],
      pageSize: 3,
      ...config,
    },
    configId,
    clock: new FakeClock(now),
    http: fast,
    keyValue,
  });
  harnesses.push(created);
  return created;
}

const stream = (id: string): LogStream => {
  const [kind, type] = id.replace(/^backfill\//, '').split('/') as [string, string];
  return { id, kind: kind === 'events' ? 'event' : 'alert', type };
};

function fetchPage(
  h: PluginHarness<NetskopeLogSourceConfig>,
  id: string,
  checkpoint: LogPage['checkpoint'] | undefined,
  redeliver = false,
): Promise<LogPage> {
  return h.run((ctx) => source.fetch(ctx, { stream: stream(id), checkpoint, redeliver }));
}

const ids = (page: LogPage): unknown[] => page.records.map((record) => record._id);
const operations = (server: NetskopeMockServer): string[] =>
  server.requests
    .filter((request) => request.path.includes('/dataexport/'))
    .map((request) => request.query.operation ?? '');

describe('configuration and streams', () => {
  it('validates types, the lookback and the backfill range', () => {
    const parsed = netskopeLogSourceConfigSchema.parse({
      tenant: 'acme',
      apiToken: 'v2-token-123',
      events: ['page', 'application'],
      alerts: ['dlp', 'newtype'],
      backfill: { from: '2025-12-01T00:00:00Z', to: 1_764_633_600 },
    });
    expect(parsed).toMatchObject({ initialLookbackHours: 24, pageSize: 10_000, requestsPerSecond: 4 });
    expect(parsed.backfill).toEqual({ from: 1_764_547_200, to: 1_764_633_600 });
    const bad = (config: Record<string, unknown>) =>
      netskopeLogSourceConfigSchema.safeParse({ tenant: 'acme', apiToken: 'v2-token-123', ...config })
        .success;
    expect(bad({})).toBe(false);
    expect(bad({ events: ['Page Events'] })).toBe(false);
    expect(bad({ events: ['page', 'page'] })).toBe(false);
    expect(bad({ events: ['page'], pageSize: 20_000 })).toBe(false);
    expect(bad({ events: ['page'], backfill: { from: 200, to: 100 } })).toBe(false);
  });

  it('has one stable stream per type, and backfill streams of their own', () => {
    const config = netskopeLogSourceConfigSchema.parse({
      tenant: 'acme',
      apiToken: 'v2-token-123',
      events: ['page', 'network'],
      alerts: ['dlp'],
      backfill: { from: 100, to: 200 },
    });
    expect(source.streams(config).map((s) => s.id)).toEqual([
      'events/page',
      'events/network',
      'alerts/dlp',
      'backfill/events/page',
      'backfill/events/network',
      'backfill/alerts/dlp',
    ]);
    expect(source.streams(config)[2]).toEqual({ id: 'alerts/dlp', kind: 'alert', type: 'dlp' });
    expect(source.streams(config)).toEqual(source.streams(config));
    expect(source.recordId?.({ _id: 'abc' })).toBe('abc');
    expect(source.recordId?.({ other: 1 })).toBeUndefined();
  });
});

describe('fetching pages', () => {
  it('starts with an epoch N hours back, continues with next, and says when to wait', async () => {
    const server = await tenant({ events: { page: [...pageEvents(1, 7_200, 'old'), ...pageEvents(7)] } });
    const h = harness(server, { initialLookbackHours: 1 });
    const first = await fetchPage(h, 'events/page', undefined);
    expect(operations(server)).toEqual([String(nowSeconds - 3_600)]);
    expect(server.requests[0]?.query.index).toBe('ce_logs-prod');
    expect(ids(first)).toEqual(['p-0', 'p-1', 'p-2']);
    expect(first).toMatchObject({ more: true, latestTimestamp: (nowSeconds - 3_600 + 1_028) * 1_000 });
    expect(first.checkpoint).toEqual({
      version: 1,
      index: 'ce_logs-prod',
      page: 1,
      timestampHwm: nowSeconds - 3_600 + 1_028,
      done: false,
    });
    expect(JSON.parse(JSON.stringify(first.checkpoint))).toEqual(first.checkpoint);
    const second = await fetchPage(h, 'events/page', first.checkpoint);
    const third = await fetchPage(h, 'events/page', second.checkpoint);
    expect([...ids(second), ...ids(third)]).toEqual(['p-3', 'p-4', 'p-5', 'p-6']);
    expect(third).toMatchObject({ more: false, waitMs: 30_000 });
    expect(operations(server)).toEqual([String(nowSeconds - 3_600), 'next', 'next']);
    // 64-bit ids arrive exact, as strings.
    expect(first.records[0]?.transaction_id).toBe('9223372036854775000');
  });

  it('resends the page in flight after a crash, and after a lost answer', async () => {
    const server = await tenant();
    const keyValue = createMemoryStorage().keyValue;
    const before = harness(server, {}, keyValue);
    const durable = await fetchPage(before, 'events/page', undefined);
    const inFlight = await fetchPage(before, 'events/page', durable.checkpoint);
    // The process dies before the page is durable; the shipper restarts from `durable`.
    const after = harness(server, {}, keyValue);
    const again = await fetchPage(after, 'events/page', durable.checkpoint, true);
    expect(again.records).toEqual(inFlight.records);
    expect(again.checkpoint).toEqual(inFlight.checkpoint);
    // Even without the shipper's flag, the state says a page was asked for beyond the checkpoint.
    const once = await fetchPage(after, 'events/page', durable.checkpoint, false);
    expect(once.records).toEqual(inFlight.records);
    expect(operations(server)).toEqual([String(nowSeconds - 86_400), 'next', 'resend', 'resend']);
    const next = await fetchPage(after, 'events/page', inFlight.checkpoint);
    expect(ids(next)).toEqual(['p-6']);
    expect(
      await keyValue.get('plugin-state:logs-prod', requestedPageStateKey('ce_logs-prod', 'events', 'page')),
    ).toMatchObject({
      value: 3,
    });
  });

  it('recovers a cut page with resend, and retries a refused call with next', async () => {
    const server = await tenant();
    const h = harness(server);
    const first = await fetchPage(h, 'events/page', undefined);
    server.tenant.injectDataExportFault('cut');
    const failure = await fetchPage(h, 'events/page', first.checkpoint).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DataExportError);
    expect(failure).toMatchObject({ code: 'HTTP_RESPONSE_INVALID', retryable: true });
    // The tenant moved its cursor past the cut page: the retry asks for it again, nothing is lost.
    const retried = await fetchPage(h, 'events/page', first.checkpoint);
    expect(ids(retried)).toEqual(['p-3', 'p-4', 'p-5']);
    server.tenant.injectDataExportFault(503, 'malformed');
    await expect(fetchPage(h, 'events/page', retried.checkpoint)).rejects.toMatchObject({ status: 503 });
    // A 503 means the tenant did not serve anything: next, not resend (which would repeat p-3..p-5).
    await expect(fetchPage(h, 'events/page', retried.checkpoint)).rejects.toBeInstanceOf(DataExportError);
    const last = await fetchPage(h, 'events/page', retried.checkpoint);
    expect(ids(last)).toEqual(['p-6']);
    expect(operations(server).slice(1)).toEqual(['next', 'resend', 'next', 'next', 'resend']);
  });

  it('starts a lost index again from the last timestamp_hwm, losing nothing', async () => {
    const server = await tenant();
    const h = harness(server);
    const first = await fetchPage(h, 'events/page', undefined);
    server.tenant.expireIndex('ce_logs-prod');
    const reseeded = await fetchPage(h, 'events/page', first.checkpoint);
    const hwm = (first.checkpoint as NetskopeStreamCheckpoint).timestampHwm as number;
    expect(operations(server)).toEqual([String(nowSeconds - 86_400), 'next', String(hwm)]);
    // From the high-water mark on: the last record of the durable page again, then the rest.
    expect(ids(reseeded)).toEqual(['p-2', 'p-3', 'p-4']);
    expect(reseeded.checkpoint).toMatchObject({ page: 2, index: 'ce_logs-prod' });
    const rest = await fetchPage(h, 'events/page', reseeded.checkpoint);
    expect(ids(rest)).toEqual(['p-5', 'p-6']);
    expect(
      h.logs.some((record) => record.level === 'warn' && /lost the iterator index/.test(record.message)),
    ).toBe(true);
  });

  it('starts from the stored high-water mark when the index name changes', async () => {
    const server = await tenant();
    const h = harness(server);
    const first = await fetchPage(h, 'events/page', undefined);
    const renamed = harness(server, { indexPrefix: 'siem_a' });
    const page = await fetchPage(renamed, 'events/page', first.checkpoint);
    expect(server.requests.at(-1)?.query).toEqual({
      index: 'siem_a',
      operation: String((first.checkpoint as NetskopeStreamCheckpoint).timestampHwm),
    });
    expect(page.checkpoint).toMatchObject({ index: 'siem_a', page: 1 });
  });

  it('reads a backfill range on its own index alongside live pulling, and stops past `to`', async () => {
    const records = pageEvents(12, 12_000, 'h');
    const server = await tenant({ events: { page: records } });
    const from = nowSeconds - 12_000;
    const to = nowSeconds - 6_500; // h-0 .. h-5 are inside (every 1,000 s)
    const h = harness(server, { backfill: { from, to } });
    const seen: unknown[] = [];
    let checkpoint: LogPage['checkpoint'] | undefined;
    let page: LogPage;
    let fetches = 0;
    do {
      page = await fetchPage(h, 'backfill/events/page', checkpoint);
      seen.push(...ids(page));
      checkpoint = page.checkpoint;
      fetches += 1;
    } while (!page.finished && fetches < 10);
    expect(seen).toEqual(['h-0', 'h-1', 'h-2', 'h-3', 'h-4', 'h-5']);
    expect(page).toMatchObject({ finished: true, more: false });
    expect(page.checkpoint).toMatchObject({ index: 'ce_logs-prod_backfill', done: true });
    const backfillRequests = server.requests.filter(
      (request) => request.query.index === 'ce_logs-prod_backfill',
    );
    expect(backfillRequests[0]?.query.operation).toBe(String(from));
    // A finished stream answers without calling the tenant.
    const count = server.requests.length;
    expect(await fetchPage(h, 'backfill/events/page', page.checkpoint)).toMatchObject({
      records: [],
      finished: true,
    });
    expect(server.requests.length).toBe(count);
    // The live stream reads its own index, unaffected.
    const live = await fetchPage(h, 'events/page', undefined);
    expect(server.requests.at(-1)?.query.index).toBe('ce_logs-prod');
    expect(live.records.length).toBe(3);
    expect(server.tenant.iterator('ce_logs-prod_backfill', 'page', 'events')).toBeDefined();
    expect(server.tenant.iterator('ce_logs-prod', 'page', 'events')?.position).toBe(3);
  });

  it('reads several tenants at once, one configuration each', async () => {
    const one = await tenant({ events: { page: pageEvents(4, 3_600, 'one') } });
    const two = await tenant({ alerts: { dlp: pageEvents(4, 3_600, 'two') } });
    const first = harness(one, {}, undefined, 'tenant-one');
    const second = harness(two, { events: [], alerts: ['dlp'] }, undefined, 'tenant-two');
    const [a, b] = await Promise.all([
      fetchPage(first, 'events/page', undefined),
      fetchPage(second, 'alerts/dlp', undefined),
    ]);
    expect(ids(a)).toEqual(['one-0', 'one-1', 'one-2']);
    expect(ids(b)).toEqual(['two-0', 'two-1', 'two-2']);
    expect(one.requests.map((request) => request.path)).toEqual(['/api/v2/events/dataexport/events/page']);
    expect(two.requests.map((request) => request.path)).toEqual(['/api/v2/events/dataexport/alerts/dlp']);
    expect(two.requests[0]?.query.index).toBe('ce_tenant-two');
  });

  it('keeps every stream of a tenant within 4 requests per second together', async () => {
    const types = ['page', 'network', 'application'];
    const server = await tenant({
      requestsPerSecond: 4,
      tenantRequestsPerSecond: 4,
      pageSize: 1,
      generate: { perType: 3, events: types, alerts: [], from: nowSeconds - 600, to: nowSeconds - 60 },
    });
    const h = harness(server, { events: types, requestsPerSecond: 4, pageSize: 1 });
    await Promise.all(
      types.map(async (type) => {
        let checkpoint: LogPage['checkpoint'] | undefined;
        for (let i = 0; i < 3; i++)
          checkpoint = (await fetchPage(h, `events/${type}`, checkpoint)).checkpoint;
      }),
    );
    const times = server.requests.map((request) => request.time);
    // Nine pages, nine requests: the tenant never had to refuse one.
    expect(times).toHaveLength(9);
    for (let i = 0; i < times.length; i++) {
      const inWindow = times.filter(
        (time) => time >= (times[i] as number) && time < (times[i] as number) + 1_000,
      );
      expect(inWindow.length).toBeLessThanOrEqual(4);
    }
  });

  it('refuses a stream that is not the configuration’s, and passes the check', async () => {
    const server = await tenant();
    const h = harness(server);
    await expect(fetchPage(h, 'alerts/dlp', undefined)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(await h.check()).toMatchObject({ ok: true });
    expect(server.requests.at(-1)?.query).toEqual({ index: 'ce_logs-prod_check', operation: 'tail' });
    const wrong = createPluginHarness(netskopeLogSource, {
      config: { tenant: server.url, apiToken: 'wrong-token-123', requestsPerSecond: 50, events: ['page'] },
      http: fast,
    });
    harnesses.push(wrong);
    expect(await wrong.check()).toMatchObject({ ok: false });
  });
});
