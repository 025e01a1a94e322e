import {
  type AlertInput,
  type AlertPage,
  alertInputSchema,
  createMemoryStorage,
  FakeClock,
  type KeyValueStore,
  type SourceCheckpoint,
} from '@ce/core';
import { createPluginHarness, type PluginHarness } from '@ce/plugin-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { netskopeLogIndex } from '../cls/netskope-log-source.js';
import { type NetskopeConfig, netskopePlugin } from '../cte/netskope-plugin.js';
import { type NetskopeMockServer, startNetskopeMockServer } from '../mock/netskope-mock-server.js';
import {
  type NetskopeAlertSourceCheckpoint,
  netskopeAlertIndex,
  netskopeAlertRequestedKey,
} from './netskope-alert-source.js';

const token = 'v2-token-cto-123456';
const now = Date.parse('2026-01-02T00:00:00.000Z');
const nowSeconds = now / 1_000;
const source = netskopePlugin.cto!.source!;
const fast = { rateLimit: { requestsPerSecond: 1_000, burst: 100 } };

function alerts(type: string, count: number, prefix = type): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    _id: `${prefix}-${i}`,
    timestamp: nowSeconds - 3_600 + i * 60,
    alert: 'yes',
    alert_type: type === 'dlp' ? 'DLP' : 'Malware',
    alert_name: `${type} alert ${i}`,
    severity: i % 2 === 0 ? 'High' : 'low',
    user: 'zoë@exämple.com',
    app: 'Box',
    dlp_incident_id: 9_223_372_036_854_775_000n + BigInt(i),
    transaction_id: 7_379_289_410_245_673_217n,
  }));
}

const servers: NetskopeMockServer[] = [];
const harnesses: PluginHarness<NetskopeConfig>[] = [];
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
    alerts: { dlp: alerts('dlp', 7), malware: alerts('malware', 2) },
    ...options,
  });
  servers.push(server);
  return server;
}

function harness(
  server: NetskopeMockServer,
  cto: Record<string, unknown> = { alertTypes: ['dlp', 'malware'] },
  keyValue: KeyValueStore = createMemoryStorage().keyValue,
  clock = new FakeClock(now),
) {
  const created = createPluginHarness(netskopePlugin, {
    config: { tenant: server.url, apiToken: token, requestsPerSecond: 50, cto },
    configId: 'nsk-prod',
    clock,
    http: fast,
    keyValue,
  });
  harnesses.push(created);
  return created;
}

function pull(h: PluginHarness<NetskopeConfig>, checkpoint: SourceCheckpoint | undefined, redeliver = false) {
  return h.run((context) => source.pull(context, { checkpoint, redeliver }));
}

/** Pulls until the source says nothing more is ready, as the orchestrator's puller does. */
async function drain(h: PluginHarness<NetskopeConfig>, start?: SourceCheckpoint) {
  const pages: AlertPage[] = [];
  let checkpoint = start;
  for (let i = 0; i < 50; i++) {
    const page = await pull(h, checkpoint);
    pages.push(page);
    checkpoint = page.checkpoint;
    if (!page.more) break;
  }
  return { pages, checkpoint, ids: pages.flatMap((page) => page.alerts.map((alert) => alert.id)) };
}

const dataExportRequests = (server: NetskopeMockServer) =>
  server.requests.filter((request) => request.path.startsWith('/api/v2/events/dataexport/'));

describe('Netskope alert source (cto.source)', () => {
  it('is declared on the netskope plugin next to the threat exchange, pulling nothing until types are chosen', async () => {
    expect(netskopePlugin.modules).toEqual(['cte', 'cto']);
    expect(netskopePlugin.capabilities).toMatchObject({ 'cto.source': true, 'cto.writeBack': true });
    const server = await tenant();
    const h = harness(server, {});
    const page = await pull(h, undefined);
    expect(page).toMatchObject({ alerts: [], more: false });
    expect(dataExportRequests(server)).toHaveLength(0);
  });

  it('reads every configured type page by page, in turn, one index per configuration and type', async () => {
    const server = await tenant();
    const h = harness(server);
    const { pages, ids, checkpoint } = await drain(h);
    expect(ids.sort()).toEqual([
      ...Array.from({ length: 7 }, (_, i) => `dlp-${i}`),
      ...Array.from({ length: 2 }, (_, i) => `malware-${i}`),
    ]);
    expect(new Set(ids).size).toBe(9);
    const requests = dataExportRequests(server);
    // The first page of each type starts 7 days back; the streams alternate.
    expect(requests.slice(0, 2).map((request) => [request.path, request.query.operation])).toEqual([
      ['/api/v2/events/dataexport/alerts/dlp', String(nowSeconds - 7 * 86_400)],
      ['/api/v2/events/dataexport/alerts/malware', String(nowSeconds - 7 * 86_400)],
    ]);
    expect(requests.slice(2).every((request) => request.query.operation === 'next')).toBe(true);
    const dlpIndex = netskopeAlertIndex({}, 'nsk-prod', 'alerts', 'dlp');
    expect(dlpIndex).toBe('ce_cto_nsk-prod_dlp');
    expect(dlpIndex).not.toBe(netskopeLogIndex({}, 'nsk-prod'));
    expect(new Set(requests.map((request) => `${request.path} ${request.query.index}`))).toEqual(
      new Set([
        '/api/v2/events/dataexport/alerts/dlp ce_cto_nsk-prod_dlp',
        '/api/v2/events/dataexport/alerts/malware ce_cto_nsk-prod_malware',
      ]),
    );
    expect(server.tenant.iterator('ce_cto_nsk-prod_dlp', 'dlp')?.position).toBe(7);
    const last = pages.at(-1) as AlertPage;
    expect(last.more).toBe(false);
    // Both streams caught up; the tenant asked for 30 s.
    expect(last.waitMs).toBe(30_000);
    expect((checkpoint as NetskopeAlertSourceCheckpoint).streams['alerts/dlp']).toMatchObject({
      index: 'ce_cto_nsk-prod_dlp',
      page: 3,
      caughtUp: true,
      timestampHwm: nowSeconds - 3_600 + 6 * 60,
    });
  });

  it('maps records to alerts with exact 64-bit ids, over gzip', async () => {
    const server = await tenant();
    const h = harness(server, { alertTypes: ['dlp'] });
    const page = await pull(h, undefined);
    expect(page.alerts).toHaveLength(3);
    const first = page.alerts[0] as AlertInput;
    expect(first).toMatchObject({
      id: 'dlp-0',
      type: 'dlp',
      name: 'dlp alert 0',
      severity: 'high',
      user: 'zoë@exämple.com',
      app: 'Box',
      timestamp: (nowSeconds - 3_600) * 1_000,
    });
    expect(first.raw).toMatchObject({
      dlp_incident_id: '9223372036854775000',
      transaction_id: '7379289410245673217',
    });
    expect(page.alerts.every((alert) => alertInputSchema.safeParse(alert).success)).toBe(true);
    expect(dataExportRequests(server)[0]?.headers['accept-encoding']).toMatch(/gzip/);
  });

  it('asks the tenant to resend a page pulled but never stored (a crash before the submit)', async () => {
    const server = await tenant();
    const keyValue = createMemoryStorage().keyValue;
    const h = harness(server, { alertTypes: ['dlp'] }, keyValue);
    const first = await pull(h, undefined);
    const second = await pull(h, first.checkpoint);
    expect(second.alerts.map((alert) => alert.id)).toEqual(['dlp-3', 'dlp-4', 'dlp-5']);
    // The process stops before `second` is stored. A new process pulls from `first.checkpoint`.
    const restarted = harness(server, { alertTypes: ['dlp'] }, keyValue);
    const again = await pull(restarted, first.checkpoint, true);
    expect(again.alerts.map((alert) => alert.id)).toEqual(['dlp-3', 'dlp-4', 'dlp-5']);
    expect(dataExportRequests(server).at(-1)?.query.operation).toBe('resend');
    expect(again.checkpoint).toEqual(second.checkpoint);
    // Then it goes on with `next`, losing and repeating nothing.
    const rest = await drain(restarted, again.checkpoint);
    expect(rest.ids).toEqual(['dlp-6']);
    expect(dataExportRequests(server).at(-1)?.query.operation).toBe('next');
  });

  it('resends without a redeliver flag too, when its own record says the answer was lost', async () => {
    const server = await tenant();
    const h = harness(server, { alertTypes: ['dlp'] });
    const first = await pull(h, undefined);
    // A `next` whose answer broke off after the tenant moved its cursor.
    server.tenant.injectDataExportFault('cut');
    await expect(pull(h, first.checkpoint)).rejects.toMatchObject({ code: 'HTTP_RESPONSE_INVALID' });
    const state = await h.context.state.get<number>(netskopeAlertRequestedKey('ce_cto_nsk-prod_dlp'));
    expect(state).toBe(2);
    const retried = await pull(h, first.checkpoint);
    expect(dataExportRequests(server).at(-1)?.query.operation).toBe('resend');
    expect(retried.alerts.map((alert) => alert.id)).toEqual(['dlp-3', 'dlp-4', 'dlp-5']);
  });

  it('asks next again after a refusal, since the tenant served nothing', async () => {
    const server = await tenant();
    const h = harness(server, { alertTypes: ['dlp'] });
    const first = await pull(h, undefined);
    server.tenant.injectDataExportFault(500);
    await expect(pull(h, first.checkpoint)).rejects.toMatchObject({ code: 'HTTP_ERROR' });
    const retried = await pull(h, first.checkpoint, true);
    expect(dataExportRequests(server).at(-1)?.query.operation).toBe('next');
    expect(retried.alerts.map((alert) => alert.id)).toEqual(['dlp-3', 'dlp-4', 'dlp-5']);
  });

  it('waits out a 429 with Retry-After and repeats the same operation', async () => {
    const server = await tenant();
    const h = harness(server, { alertTypes: ['dlp'] });
    server.failNext(1, { status: 429, headers: { 'retry-after': '1' }, json: { err: 'Too many requests' } });
    const page = await pull(h, undefined);
    expect(page.alerts).toHaveLength(3);
    const operations = dataExportRequests(server).map((request) => request.query.operation);
    expect(operations).toEqual([String(nowSeconds - 7 * 86_400), String(nowSeconds - 7 * 86_400)]);
  });

  it('honours wait_time: a stream is not asked again before its wait is over', async () => {
    const clock = new FakeClock(now);
    const server = await tenant({ alerts: { dlp: alerts('dlp', 2) } });
    const h = harness(server, { alertTypes: ['dlp'] }, createMemoryStorage().keyValue, clock);
    const first = await pull(h, undefined);
    expect(first).toMatchObject({ more: false, waitMs: 30_000 });
    expect(first.alerts).toHaveLength(2);
    const early = await pull(h, first.checkpoint);
    expect(early).toMatchObject({ alerts: [], more: false, waitMs: 30_000 });
    expect(dataExportRequests(server)).toHaveLength(1);
    await clock.advance(10_000);
    expect((await pull(h, first.checkpoint)).waitMs).toBe(20_000);
    server.tenant.addAlerts(
      'dlp',
      alerts('dlp', 1, 'late').map((record) => ({ ...record, timestamp: nowSeconds })),
    );
    await clock.advance(20_000);
    const later = await pull(h, first.checkpoint);
    expect(later.alerts.map((alert) => alert.id)).toEqual(['late-0']);
    expect(dataExportRequests(server)).toHaveLength(2);
  });

  it('hands on malformed records as alerts and logs them, never drops them', async () => {
    const server = await tenant();
    // A page as a faulty tenant might send it: no _id on one record, a timestamp that is not one.
    const records = [
      { _id: 'good', timestamp: nowSeconds - 10, alert_name: 'fine' },
      { timestamp: nowSeconds - 9, alert_name: 'no id' },
    ];
    server.failNext(1, {
      status: 200,
      json: {
        ok: 1,
        result: [...records, { _id: 'no-time', timestamp: 'later', alert_name: 'x' }],
        wait_time: 0,
        timestamp_hwm: nowSeconds,
      },
    });
    const h = harness(server, { alertTypes: ['dlp'] });
    const page = await pull(h, undefined);
    expect(page.alerts).toHaveLength(3);
    const verdicts = page.alerts.map((alert) => alertInputSchema.safeParse(alert));
    expect(verdicts.map((verdict) => verdict.success)).toEqual([true, true, false]);
    expect(page.alerts[1]?.id).toMatch(/^netskope-content:/);
    const warnings = h.logs.filter((log) => log.message.startsWith('malformed Netskope record'));
    expect(warnings).toHaveLength(2);
  });

  it('reads DLP incidents from events/incident on an index of their own', async () => {
    const server = await tenant({
      alerts: {},
      events: {
        incident: [
          {
            _id: 'i-1',
            object_id: 'obj-1',
            timestamp: String(nowSeconds - 5),
            title: 'Card numbers shared',
            severity: 'Critical',
            status: 'New',
            dlp_incident_id: 1_234_567_890_123_456_789n,
          },
        ],
      },
    });
    const h = harness(server, { eventTypes: ['incident'] });
    const page = await pull(h, undefined);
    expect(page.alerts).toEqual([
      expect.objectContaining({
        id: 'i-1',
        type: 'incident',
        name: 'Card numbers shared',
        severity: 'critical',
      }),
    ]);
    expect(page.alerts[0]?.raw).toMatchObject({ object_id: 'obj-1', dlp_incident_id: '1234567890123456789' });
    expect(dataExportRequests(server)[0]).toMatchObject({
      path: '/api/v2/events/dataexport/events/incident',
      query: { index: 'ce_cto_nsk-prod_ev_incident' },
    });
  });

  it('starts a lost index again from the last high-water mark', async () => {
    const server = await tenant();
    const h = harness(server, { alertTypes: ['dlp'] });
    const first = await pull(h, undefined);
    server.tenant.expireIndex('ce_cto_nsk-prod_dlp');
    const next = await pull(h, first.checkpoint);
    const operations = dataExportRequests(server).map((request) => request.query.operation);
    // Restarted at the high-water mark: the last record stored comes again, none is lost.
    const hwm = (first.checkpoint as NetskopeAlertSourceCheckpoint).streams['alerts/dlp']?.timestampHwm;
    expect(hwm).toBe(nowSeconds - 3_600 + 2 * 60);
    expect(operations.slice(1)).toEqual(['next', String(hwm)]);
    expect(next.alerts.map((alert) => alert.id)).toEqual(['dlp-2', 'dlp-3', 'dlp-4']);
  });
});
