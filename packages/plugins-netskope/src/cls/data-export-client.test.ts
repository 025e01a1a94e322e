import { createHttpClient, type HttpClient, HttpError } from '@ce/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type NetskopeMockServer, startNetskopeMockServer } from '../mock/netskope-mock-server.js';
import { createTenantLimiterRegistry } from '../tenant/tenant-limiter.js';
import { netskopeHttpSettings, netskopeTenantSettingsSchema } from '../tenant/tenant-settings.js';
import {
  createDataExportClient,
  DataExportError,
  type DataExportRequest,
  isIndexLostMessage,
  parseCsvRecords,
} from './data-export-client.js';

const token = 'v2-token-export-123';
const base = 1_767_225_600; // 2026-01-01T00:00:00Z
const pageEvents = Array.from({ length: 5 }, (_, i) => ({
  _id: `page-${i}`,
  timestamp: base + i * 60,
  transaction_id: 7379289410245673217n + BigInt(i),
  request_id: 12,
  user: 'zoë@exämple.com',
  note: 'line one\nline two | a=b',
}));

let server: NetskopeMockServer | undefined;
let http: HttpClient | undefined;
afterEach(async () => {
  await http?.close();
  await server?.close();
  server = undefined;
  http = undefined;
});

async function setup(options: Parameters<typeof startNetskopeMockServer>[0] = {}) {
  server = await startNetskopeMockServer({
    token,
    requestsPerSecond: 1_000,
    pageSize: 2,
    events: { page: pageEvents },
    now: () => (base + 3_600) * 1_000,
    ...options,
  });
  const settings = netskopeTenantSettingsSchema.parse({
    tenant: server.url,
    apiToken: token,
    requestsPerSecond: 50,
  });
  http = createHttpClient({ ...netskopeHttpSettings(settings), rateLimit: undefined });
  const limiters = createTenantLimiterRegistry();
  const limiter = limiters.forTenant(server.url, 50);
  const client = createDataExportClient({ http, limiter });
  const page = (
    operation: DataExportRequest['operation'],
    index = 'idx',
    type = 'page',
    kind: 'events' | 'alerts' = 'events',
  ) => client.fetchPage({ kind, type, index, operation });
  const ids = async (operation: DataExportRequest['operation'], index = 'idx') =>
    (await page(operation, index)).records.map((record) => record._id);
  return { server, client, page, ids, limiter };
}

describe('data export client against the mock tenant', () => {
  it('speaks every operation with the documented semantics', async () => {
    const { server: mock, page, ids } = await setup();
    const first = await page(base + 60);
    expect(first.records.map((record) => record._id)).toEqual(['page-1', 'page-2']);
    expect(first).toMatchObject({ ok: 1, waitTime: 0, timestampHwm: base + 120 });
    expect(await ids('next')).toEqual(['page-3', 'page-4']);
    // resend serves the last page again, as often as asked, without moving the cursor.
    expect(await ids('resend')).toEqual(['page-3', 'page-4']);
    expect(await ids('resend')).toEqual(['page-3', 'page-4']);
    const caughtUp = await page('next');
    expect(caughtUp.records).toEqual([]);
    expect(caughtUp.waitTime).toBe(30);
    expect(await ids('head')).toEqual(['page-0', 'page-1']);
    expect(await ids('next')).toEqual(['page-2', 'page-3']);
    expect(await ids('tail')).toEqual([]);
    mock.tenant.addEvents('page', [{ _id: 'page-5', timestamp: base + 3_000 }]);
    expect(await ids('next')).toEqual(['page-5']);
    // Another index has its own cursor.
    expect(await ids(base, 'other')).toEqual(['page-0', 'page-1']);
    expect(mock.tenant.iterator('idx', 'page', 'events')?.position).toBe(6);
    expect(mock.tenant.iterator('other', 'page', 'events')?.position).toBe(2);
    expect(mock.requests.every((request) => request.headers['netskope-api-token'] === token)).toBe(true);
    expect(mock.requests[0]?.path).toBe('/api/v2/events/dataexport/events/page');
    expect(mock.requests[0]?.query).toEqual({ index: 'idx', operation: String(base + 60) });
  });

  it('keeps 64-bit ids exact and always hands id fields over as strings', async () => {
    const { page } = await setup();
    const { records } = await page(base);
    expect(records[0]).toMatchObject({
      transaction_id: '7379289410245673217',
      request_id: '12',
      user: 'zoë@exämple.com',
      note: 'line one\nline two | a=b',
    });
    expect(records[1]?.transaction_id).toBe('7379289410245673218');
  });

  it('asks for gzip and reads the compressed pages', async () => {
    const { server: mock, page } = await setup({
      generate: { perType: 50, events: ['network'], alerts: [] },
    });
    const result = await page(0, 'gz', 'network');
    expect(mock.requests.at(-1)?.headers['accept-encoding']).toMatch(/gzip/);
    expect(result.records).toHaveLength(2);
    expect(typeof result.records[0]?.network_session_id).toBe('string');
    const raw = await fetch(`${mock.url}/api/v2/events/dataexport/events/network?index=raw&operation=head`, {
      headers: { 'netskope-api-token': token, 'accept-encoding': 'gzip' },
    });
    expect(raw.headers.get('content-encoding')).toBe('gzip');
  });

  it('reports the RateLimit headers and holds the tenant for RateLimit-Reset when none remain', async () => {
    const { page, limiter } = await setup({ requestsPerSecond: 1 });
    const first = await page(base);
    expect(first.rateLimit).toEqual({ limit: 1, remaining: 0, resetSeconds: 1 });
    const started = Date.now();
    const second = await page('next');
    // The second call waited for the reset instead of drawing a 429.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(second.attempts).toBe(1);
    expect(limiter.granted).toBe(2);
  });

  it('waits out a 429 with Retry-After, pausing the whole tenant, then repeats the same operation', async () => {
    const { server: mock, page, limiter } = await setup();
    await page(base);
    mock.failNext(1, {
      status: 429,
      headers: { 'retry-after': '1' },
      json: { err: 'Too many requests', error_code: 429, reason: 'Too Many Requests' },
    });
    const started = Date.now();
    const result = await page('next');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(result.attempts).toBe(2);
    expect(result.records.map((record) => record._id)).toEqual(['page-2', 'page-3']);
    expect(mock.requests.slice(-2).map((request) => request.query.operation)).toEqual(['next', 'next']);
    expect(limiter.granted).toBe(3);
  });

  it('gives up with HTTP_RATE_LIMITED when Retry-After is above the ceiling', async () => {
    const { server: mock } = await setup();
    const limiter = createTenantLimiterRegistry().forTenant(mock.url, 50);
    const client = createDataExportClient({ http: http as HttpClient, limiter, maxRetryAfterMs: 500 });
    mock.failNext(1, { status: 429, headers: { 'retry-after': '30' }, json: { err: 'Too many requests' } });
    await expect(
      client.fetchPage({ kind: 'events', type: 'page', index: 'x', operation: 'head' }),
    ).rejects.toMatchObject({
      code: 'HTTP_RATE_LIMITED',
    });
  });

  it('turns bad pages into typed errors', async () => {
    const { server: mock, page } = await setup();
    await page(base);
    mock.tenant.injectDataExportFault('cut');
    await expect(page('next')).rejects.toMatchObject({
      name: 'DataExportError',
      reason: 'invalid-page',
      code: 'HTTP_RESPONSE_INVALID',
    });
    mock.tenant.injectDataExportFault('malformed');
    await expect(page('next')).rejects.toBeInstanceOf(DataExportError);
    mock.tenant.injectDataExportFault('not-ok');
    await expect(page('next')).rejects.toMatchObject({ reason: 'not-ok' });
    mock.tenant.injectDataExportFault(500);
    await expect(page('next')).rejects.toMatchObject({ code: 'HTTP_ERROR', status: 500 });
    mock.tenant.injectDataExportFault('cut-transfer');
    const broken = await page('next').catch((error: unknown) => error);
    expect(broken).toBeInstanceOf(HttpError);
    mock.failNext(1, { status: 200, json: { ok: 1, result: { not: 'a list' } } });
    await expect(page('next')).rejects.toMatchObject({ reason: 'invalid-page' });
    mock.failNext(1, { status: 200, json: { ok: 1, result: [1, 2] } });
    await expect(page('next')).rejects.toMatchObject({ reason: 'invalid-page' });
    mock.failNext(1, { status: 501, json: { message: 'Unsupported endpoint' } });
    await expect(page('next')).rejects.toMatchObject({ reason: 'unsupported', code: 'NOT_SUPPORTED' });
  });

  it('says when the index is lost, and maps auth failures', async () => {
    const { server: mock, page } = await setup();
    await expect(page('resend', 'never-used')).rejects.toMatchObject({
      reason: 'index-lost',
      code: 'NOT_FOUND',
    });
    await page(base);
    mock.tenant.expireIndex('idx');
    await expect(page('next')).rejects.toMatchObject({ reason: 'index-lost' });
    // An epoch starts it again.
    expect((await page(base)).records).toHaveLength(2);
    const limiter = createTenantLimiterRegistry().forTenant(mock.url, 50);
    const wrong = createHttpClient({ baseUrl: mock.url, headers: { 'netskope-api-token': 'wrong-token-1' } });
    const client = createDataExportClient({ http: wrong, limiter });
    await expect(
      client.fetchPage({ kind: 'events', type: 'page', index: 'x', operation: 'head' }),
    ).rejects.toMatchObject({
      code: 'HTTP_AUTH_FAILED',
    });
    await wrong.close();
    await expect(page('later' as never)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('serves clientstatus with next and resend only', async () => {
    const { page } = await setup({ generate: { perType: 3, events: ['clientstatus'], alerts: [] } });
    await expect(page('head', 'cs', 'clientstatus')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const first = await page('next', 'cs', 'clientstatus');
    expect(first.records).toEqual([]);
  });
});

describe('helpers', () => {
  it('recognises index-lost wording loosely but not other refusals', () => {
    expect(isIndexLostMessage('Index ce_1 has expired; restart it')).toBe(true);
    expect(isIndexLostMessage('Nothing to resend for index a')).toBe(true);
    expect(isIndexLostMessage('iterator not found')).toBe(true);
    expect(isIndexLostMessage('Invalid operation: later')).toBe(false);
    expect(isIndexLostMessage(undefined)).toBe(false);
  });

  it('parses CSV with quotes, commas and newlines in fields', () => {
    expect(parseCsvRecords('a,b,c\r\n1,"x, ""y""","multi\nline"\n2,,\n')).toEqual([
      { a: '1', b: 'x, "y"', c: 'multi\nline' },
      { a: '2', b: '', c: '' },
    ]);
    expect(parseCsvRecords('')).toEqual([]);
  });
});
