import { afterEach, describe, expect, it } from 'vitest';
import {
  type NetskopeMockServer,
  type NetskopeMockServerOptions,
  startNetskopeMockServer,
} from './netskope-mock-server.js';

const token = 'mock-token-123456';
let server: NetskopeMockServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: NetskopeMockServerOptions = {}): Promise<NetskopeMockServer> {
  server = await startNetskopeMockServer({ token, requestsPerSecond: 1_000, ...options });
  return server;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { 'netskope-api-token': token },
): Promise<{ status: number; headers: Headers; json: unknown }> {
  const response = await fetch(`${server?.url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, headers: response.headers, json: await response.json() };
}

describe('Netskope mock tenant: URL lists', () => {
  it('keeps writes pending until deploy, and filters by pending and field', async () => {
    const mock = await start({ urlLists: [{ name: 'existing', urls: ['a.test'] }] });
    const created = await call('POST', '/api/v2/policy/urllist', {
      name: 'new',
      data: { urls: ['b.test'], type: 'exact' },
    });
    expect(created.status).toBe(200);
    expect(created.json).toEqual([
      expect.objectContaining({
        id: 2,
        name: 'new',
        pending: 1,
        modify_type: 'Created',
        modify_by: 'Netskope API',
      }),
    ]);
    expect((await call('GET', '/api/v2/policy/urllist?pending=1&field=id,name')).json).toEqual([
      { id: 2, name: 'new' },
    ]);
    expect((await call('GET', '/api/v2/policy/urllist?pending=0&field=name')).json).toEqual([
      { name: 'existing' },
    ]);

    await call('PATCH', '/api/v2/policy/urllist/1/append', { data: { urls: ['c.test', 'a.test'] } });
    expect(mock.tenant.urlList('existing')).toMatchObject({
      pending: true,
      current: { urls: ['a.test', 'c.test'] },
      deployed: { urls: ['a.test'] },
    });
    await call('PATCH', '/api/v2/policy/urllist/1/replace', { data: { urls: ['d.test'], type: 'exact' } });
    const deployed = await call('POST', '/api/v2/policy/urllist/deploy');
    expect(deployed.json).toEqual([
      expect.objectContaining({ name: 'existing', pending: 0, data: { urls: ['d.test'], type: 'exact' } }),
      expect.objectContaining({ name: 'new', pending: 0 }),
    ]);
    expect(mock.tenant.deployCount).toBe(1);
    expect(mock.tenant.urlList('existing')?.deployed?.urls).toEqual(['d.test']);

    await call('DELETE', '/api/v2/policy/urllist/2');
    expect((await call('GET', '/api/v2/policy/urllist/2')).json).toMatchObject({
      modify_type: 'Deleted',
      pending: 1,
    });
    await call('POST', '/api/v2/policy/urllist/deploy');
    expect((await call('GET', '/api/v2/policy/urllist/2')).status).toBe(404);
  });

  it('refuses entries that break the documented syntax, naming each, and the caps', async () => {
    await start({ maxEntries: 2, maxUrlListBytes: 40 });
    const refused = await call('POST', '/api/v2/policy/urllist', {
      name: 'x',
      data: { urls: ['ok.test', 'bad host.test', 'www.*.test', 'u:p@a.test'], type: 'exact' },
    });
    expect(refused).toMatchObject({
      status: 400,
      json: {
        message: [
          ['bad host.test', 'Malformed URL: spaces and non-ASCII characters are not allowed'],
          ['www.*.test', "'*' must be the first character, followed by '.'"],
          ['u:p@a.test', 'user:password@host is not supported'],
        ],
      },
    });
    const badRegex = await call('POST', '/api/v2/policy/urllist', {
      name: 'r',
      data: { urls: ['(a'], type: 'regex' },
    });
    expect(badRegex.json).toEqual({ message: [['(a', 'Invalid regular expression']] });
    const tooMany = await call('POST', '/api/v2/policy/urllist', {
      name: 'x',
      data: { urls: ['a.test', 'b.test', 'c.test'], type: 'exact' },
    });
    expect(tooMany).toMatchObject({ status: 400, json: { message: 'URL list exceeds 2 entries' } });
    const tooBig = await call('POST', '/api/v2/policy/urllist', {
      name: 'x',
      data: { urls: ['a-very-long-host-name.test', 'another-long-host-name.test'], type: 'exact' },
    });
    expect(tooBig).toMatchObject({
      status: 400,
      json: { message: expect.stringContaining('maximum size of 40 bytes') },
    });
    await call('POST', '/api/v2/policy/urllist', { name: 'x', data: { urls: ['*.a.test'], type: 'exact' } });
    expect(
      (await call('POST', '/api/v2/policy/urllist', { name: 'x', data: { urls: ['b.test'], type: 'exact' } }))
        .json,
    ).toEqual({ message: 'URL list name x already exists' });
    expect((await call('PATCH', '/api/v2/policy/urllist/1/remove', { data: { urls: [] } })).status).toBe(400);
  });
});

describe('Netskope mock tenant: auth and rate limit', () => {
  it('answers 401 without the right Netskope-Api-Token', async () => {
    await start();
    expect(await call('GET', '/api/v2/policy/urllist', undefined, {})).toMatchObject({
      status: 401,
      json: { msg: 'Unauthorized', success: false },
    });
    expect(
      (await call('GET', '/api/v2/policy/urllist', undefined, { 'netskope-api-token': 'nope' })).status,
    ).toBe(401);
  });

  it('answers 429 with Retry-After above the per-endpoint rate, counting each endpoint apart', async () => {
    await start({ requestsPerSecond: 2 });
    const first = await call('GET', '/api/v2/policy/urllist');
    expect(first.headers.get('ratelimit-limit')).toBe('2');
    expect(first.headers.get('ratelimit-remaining')).toBe('1');
    await call('GET', '/api/v2/policy/urllist');
    const limited = await call('GET', '/api/v2/policy/urllist');
    expect(limited).toMatchObject({
      status: 429,
      json: { err: 'Too many requests', error_code: 429, reason: 'Too Many Requests' },
    });
    expect(limited.headers.get('retry-after')).toBe('1');
    expect((await call('POST', '/api/v2/policy/urllist/deploy')).status).toBe(200);
  });
});

describe('Netskope mock tenant: file hash list (v1)', () => {
  it('replaces an existing list, reports no change, and answers errors in the v1 envelope', async () => {
    const mock = await start({ v1Token: 'v1-token-123456', fileHashLists: { hashes: [] } });
    const md5 = '0cc175b9c0f1b6a831c399e269772661';
    const body = { name: 'hashes', list: `${md5.toUpperCase()},${md5}`, token: 'v1-token-123456' };
    expect((await call('POST', '/api/v1/updateFileHashList', body, {})).json).toEqual({ status: 'success' });
    expect(mock.tenant.fileHashList('hashes')).toEqual([md5]);
    expect((await call('POST', '/api/v1/updateFileHashList', body, {})).json).toEqual({
      status: 'error',
      errorCode: 'General Error',
      errors: ['Duplicate request, no change in file hashes'],
    });
    expect(await call('POST', '/api/v1/updateFileHashList', { ...body, token: 'wrong' }, {})).toMatchObject({
      status: 403,
      json: { status: 'error', errorCode: 'Authorization Error' },
    });
    expect(
      (await call('POST', '/api/v1/updateFileHashList', { ...body, list: 'zz' }, {})).json,
    ).toMatchObject({
      errors: ['Invalid hash: zz'],
    });
  });
});

describe('Netskope mock tenant: data export iterator', () => {
  const records = [1, 2, 3, 4, 5].map((n) => ({
    _id: `id-${n}`,
    alert_type: 'malware',
    timestamp: 1_000 + n,
  }));

  it('serves pages by index with epoch, next, head, tail and resend', async () => {
    const mock = await start({ pageSize: 2, alerts: { malware: records }, now: () => 9_000_000 });
    const get = async (operation: string, index = 'ix') =>
      (await call('GET', `/api/v2/events/dataexport/alerts/malware?index=${index}&operation=${operation}`))
        .json as {
        result: Array<{ _id: string }>;
        wait_time: number;
        timestamp_hwm: number;
        ok: number;
      };
    const ids = (page: { result: Array<{ _id: string }> }) => page.result.map((record) => record._id);

    const epoch = await get('1003');
    expect(epoch).toMatchObject({ ok: 1, wait_time: 0, timestamp_hwm: 1004 });
    expect(ids(epoch)).toEqual(['id-3', 'id-4']);
    const next = await get('next');
    expect(ids(next)).toEqual(['id-5']);
    expect(next.wait_time).toBe(30);
    expect(ids(await get('resend'))).toEqual(['id-5']);
    const caughtUp = await get('next');
    expect(caughtUp).toMatchObject({ result: [], timestamp_hwm: 9_000 });
    expect(ids(await get('head'))).toEqual(['id-1', 'id-2']);
    expect(ids(await get('tail'))).toEqual([]);
    // Each index has its own cursor; a fresh index starts at the present with next.
    expect(ids(await get('next', 'other'))).toEqual([]);
    mock.tenant.addAlerts('malware', [{ _id: 'id-6', timestamp: 2_000 }]);
    expect(ids(await get('next', 'other'))).toEqual(['id-6']);
    expect(mock.tenant.iterator('other', 'malware')?.position).toBe(6);
  });

  it('answers 400 for a missing or unknown operation and for a resend with nothing sent', async () => {
    await start();
    expect((await call('GET', '/api/v2/events/dataexport/alerts/malsite?index=a')).status).toBe(400);
    expect(
      (await call('GET', '/api/v2/events/dataexport/alerts/malsite?index=a&operation=later')).json,
    ).toEqual({
      message: 'Invalid operation: later',
    });
    expect(
      (await call('GET', '/api/v2/events/dataexport/alerts/malsite?index=a&operation=resend')).json,
    ).toEqual({
      message: 'Nothing to resend for index a',
    });
    expect(
      (await call('GET', '/api/v2/events/dataexport/alerts/nosuchtype?index=a&operation=next')).status,
    ).toBe(404);
  });
});

describe('Netskope mock tenant: data export for the log shipper', () => {
  const raw = async (path: string): Promise<{ status: number; headers: Headers; text: string }> => {
    const response = await fetch(`${server?.url}${path}`, { headers: { 'netskope-api-token': token } });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };

  it('generates realistic records of every type on demand, 64-bit ids as bare JSON numbers', async () => {
    const mock = await start({
      pageSize: 5,
      generate: { perType: 1_000_000, from: 1_767_225_600, to: 1_767_312_000 },
    });
    expect(mock.tenant.dataExportSize('events', 'page')).toBe(1_000_000);
    expect(mock.tenant.dataExportSize('alerts', 'ctep')).toBe(1_000_000);
    const page = await raw('/api/v2/events/dataexport/alerts/dlp?index=a&operation=1767300000');
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/"dlp_incident_id":\d{19}[,}]/);
    const parsed = JSON.parse(page.text) as { result: Array<Record<string, unknown>>; timestamp_hwm: number };
    expect(parsed.result).toHaveLength(5);
    expect(parsed.result[0]?.timestamp).toBeGreaterThanOrEqual(1_767_300_000);
    expect(parsed.result[0]).toMatchObject({ alert: 'yes', alert_type: 'DLP', dlp_profile: 'PCI-DSS' });
    // The same position always gives the same record.
    const again = await raw('/api/v2/events/dataexport/alerts/dlp?index=b&operation=1767300000');
    expect(again.text).toBe(page.text);
  });

  it('expires idle indexes and refuses next and resend on them until started again', async () => {
    let now = 1_767_225_600_000;
    const mock = await start({
      indexTtlMs: 60_000,
      now: () => now,
      events: { page: [{ _id: 'e1', timestamp: 1 }] },
    });
    expect((await raw('/api/v2/events/dataexport/events/page?index=a&operation=head')).status).toBe(200);
    now += 120_000;
    const expired = await raw('/api/v2/events/dataexport/events/page?index=a&operation=next');
    expect(expired.status).toBe(400);
    expect(JSON.parse(expired.text)).toEqual({
      message: 'Index a has expired; restart it with an epoch timestamp, head or tail',
    });
    expect((await raw('/api/v2/events/dataexport/events/page?index=a&operation=resend')).status).toBe(400);
    expect((await raw('/api/v2/events/dataexport/events/page?index=a&operation=0')).status).toBe(200);
    mock.tenant.expireIndex('a', 'events', 'page');
    expect((await raw('/api/v2/events/dataexport/events/page?index=a&operation=next')).status).toBe(400);
  });

  it('limits the whole tenant when asked, with RateLimit headers on every answer', async () => {
    await start({ tenantRequestsPerSecond: 2, events: { page: [] }, alerts: { dlp: [] } });
    const first = await raw('/api/v2/events/dataexport/events/page?index=a&operation=tail');
    expect(first.headers.get('ratelimit-limit')).toBe('2');
    expect(first.headers.get('ratelimit-remaining')).toBe('1');
    expect((await raw('/api/v2/events/dataexport/alerts/dlp?index=a&operation=tail')).status).toBe(200);
    // A third endpoint, still the same tenant: refused.
    const refused = await raw('/api/v2/events/dataexport/alerts/malware?index=a&operation=tail');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
  });
});
