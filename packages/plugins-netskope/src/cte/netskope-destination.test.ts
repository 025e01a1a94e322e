import { CeError, type IndicatorType, type ItemResult, type SharedIndicator } from '@ce/core';
import { createPluginHarness, type PluginHarness } from '@ce/plugin-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { type NetskopeMockServer, startNetskopeMockServer } from '../mock/netskope-mock-server.js';
import { createNetskopeTenantClient } from '../tenant/tenant-client.js';
import { type NetskopeConfig, netskopePlugin } from './netskope-plugin.js';
import { pushUrlList, urlListActionParametersSchema } from './push-url-list.js';

const token = 'v2-token-abcdef123';
const v1Token = 'v1-token-abcdef456';
const destination = netskopePlugin.cte!.destination!;

// Tests lift the client-side rate limit (4 per second) so they run quickly; one test keeps it.
const fast = { rateLimit: { requestsPerSecond: 1_000, burst: 100 } };

let server: NetskopeMockServer | undefined;
let harness: PluginHarness<NetskopeConfig> | undefined;

afterEach(async () => {
  await harness?.close();
  await server?.close();
  harness = undefined;
  server = undefined;
});

function indicator(
  type: IndicatorType,
  value: string,
  extra: Partial<SharedIndicator> = {},
): SharedIndicator {
  return {
    type,
    value,
    severity: 'high',
    reputation: 8,
    tags: [],
    firstSeen: 1,
    lastSeen: 1,
    sources: ['feed'],
    ...extra,
  };
}

async function setup(
  options: Parameters<typeof startNetskopeMockServer>[0] = {},
  config: Record<string, unknown> = {},
) {
  server = await startNetskopeMockServer({ token, v1Token, requestsPerSecond: 1_000, ...options });
  harness = createPluginHarness(netskopePlugin, {
    config: { tenant: server.url, apiToken: token, v1Token, ...config },
    http: fast,
  });
  return { server, harness };
}

function calls(mock: NetskopeMockServer): string[] {
  return mock.requests.map((request) => `${request.method} ${request.path}`);
}

function byKey(results: ReadonlyArray<ItemResult>): Record<string, ItemResult> {
  return Object.fromEntries(results.map((result) => [result.key, result]));
}

describe('url-list action', () => {
  it('creates the list on the first push, replaces it on the next, and deploys exactly once per push', async () => {
    const { server, harness } = await setup();
    const action = { id: 'url-list', parameters: { listName: 'ce-block' } };
    const first = await harness.run((ctx) =>
      destination.push(
        ctx,
        [
          indicator('url', 'https://evil.test/login'),
          indicator('domain', 'bad.test'),
          indicator('hostname', 'cdn.bad.test'),
        ],
        action,
      ),
    );
    expect(first.every((result) => result.ok)).toBe(true);
    expect(calls(server)).toEqual([
      'GET /api/v2/policy/urllist',
      'POST /api/v2/policy/urllist',
      'POST /api/v2/policy/urllist/deploy',
    ]);
    expect(server.requests[0]?.query).toEqual({ field: 'id,name' });
    expect(JSON.parse(server.requests[1]?.body ?? '')).toEqual({
      name: 'ce-block',
      data: { urls: ['*.bad.test', 'bad.test', 'cdn.bad.test', 'evil.test/login'], type: 'exact' },
    });
    const list = server.tenant.urlList('ce-block');
    expect(list?.pending).toBe(false);
    expect(list?.deployed?.urls).toEqual(['*.bad.test', 'bad.test', 'cdn.bad.test', 'evil.test/login']);
    server.expectHeader('netskope-api-token', token);

    server.requests.length = 0;
    const second = await harness.run((ctx) =>
      destination.push(ctx, [indicator('domain', 'other.test')], action),
    );
    expect(second).toEqual([{ key: 'domain:other.test', ok: true }]);
    expect(calls(server)).toEqual([
      'GET /api/v2/policy/urllist',
      `PUT /api/v2/policy/urllist/${list?.id}`,
      'POST /api/v2/policy/urllist/deploy',
    ]);
    // Retraction by replacement: what the engine left out is gone.
    expect(server.tenant.urlList('ce-block')?.deployed?.urls).toEqual(['*.other.test', 'other.test']);
    expect(server.tenant.deployCount).toBe(2);
  });

  it('keeps a placeholder entry when every indicator was retracted', async () => {
    const { server, harness } = await setup({ urlLists: [{ name: 'ce-block', urls: ['old.test'] }] });
    const results = await harness.run((ctx) =>
      destination.push(ctx, [], { id: 'url-list', parameters: { listName: 'ce-block' } }),
    );
    expect(results).toEqual([]);
    expect(server.tenant.urlList('ce-block')?.deployed?.urls).toEqual(['ce-sdk-placeholder.invalid']);
  });

  it('writes escaped, anchored patterns to a regex list and honours includeSubdomains', async () => {
    const { server, harness } = await setup();
    await harness.run((ctx) =>
      destination.push(ctx, [indicator('domain', 'a-b.test'), indicator('url', 'http://x.test/p?q=1')], {
        id: 'url-list',
        parameters: { listName: 'ce-regex', listType: 'regex', includeSubdomains: false },
      }),
    );
    const deployed = server.tenant.urlList('ce-regex')?.deployed;
    expect(deployed?.type).toBe('regex');
    expect(deployed?.urls).toEqual([
      '^(https?://)?a-b\\.test(:[0-9]+)?([/?#].*)?$',
      '^(https?://)?x\\.test/p\\?q=1',
    ]);
    const [domain] = deployed?.urls ?? [];
    expect(new RegExp(domain as string).test('a-b.test/x')).toBe(true);
    expect(new RegExp(domain as string).test('www.a-b.test')).toBe(false);
  });

  it('declares the documented caps: 300,000 entries per list, the whole set in one push', () => {
    expect(destination.mode).toBe('replace');
    expect(destination.limits).toEqual({ maxBatchCount: 300_000, maxTotal: 300_000 });
  });

  it('fails what did not fit the entry cap per item and stores the most severe, most recent first', async () => {
    const { server, harness } = await setup();
    const tenant = createNetskopeTenantClient(harness.context);
    const parameters = urlListActionParametersSchema.parse({ listName: 'big' });
    const hosts = [
      indicator('hostname', 'old-low.test', { severity: 'low', lastSeen: 1 }),
      indicator('hostname', 'new-low.test', { severity: 'low', lastSeen: 9 }),
      indicator('domain', 'critical.test', { severity: 'critical' }),
      indicator('hostname', 'medium.test', { severity: 'medium' }),
    ];
    // The domain takes two entries (the domain and its wildcard).
    const results = byKey(await pushUrlList(tenant, hosts, parameters, { maxEntries: 4 }));
    expect(results['domain:critical.test']?.ok).toBe(true);
    expect(results['hostname:medium.test']?.ok).toBe(true);
    expect(results['hostname:new-low.test']?.ok).toBe(true);
    expect(results['hostname:old-low.test']).toEqual({
      key: 'hostname:old-low.test',
      ok: false,
      error: { code: 'CONFLICT', message: 'did not fit in URL list "big": 4-entry cap', retryable: false },
    });
    expect(server.tenant.urlList('big')?.deployed?.urls).toEqual([
      '*.critical.test',
      'critical.test',
      'medium.test',
      'new-low.test',
    ]);
    expect(server.tenant.deployCount).toBe(1);
  });

  it('fails what did not fit the byte cap, and splits a large list into PUT and PATCH append with one deploy', async () => {
    const { server, harness } = await setup({ urlLists: [{ name: 'split', urls: ['old.test'] }] });
    const tenant = createNetskopeTenantClient(harness.context);
    const parameters = urlListActionParametersSchema.parse({ listName: 'split' });
    const hosts = Array.from({ length: 10 }, (_, index) => indicator('hostname', `host-${index}.test`));
    // Each entry is 14 bytes in the JSON array ("host-0.test",); the envelope around the URLs is 50.
    const results = await pushUrlList(tenant, hosts, parameters, {
      maxBytes: 2 + 14 * 8,
      maxRequestBytes: 50 + 2 + 14 * 3,
    });
    expect(results.filter((result) => result.ok)).toHaveLength(8);
    const failed = results.filter((result) => !result.ok);
    expect(failed.map((result) => result.key)).toEqual(['hostname:host-8.test', 'hostname:host-9.test']);
    expect(failed[0]).toMatchObject({
      error: { code: 'CONFLICT', message: 'did not fit in URL list "split": 114-byte (7 MB) cap' },
    });
    const id = server.tenant.urlList('split')?.id;
    expect(calls(server)).toEqual([
      'GET /api/v2/policy/urllist',
      `PUT /api/v2/policy/urllist/${id}`,
      `PATCH /api/v2/policy/urllist/${id}/append`,
      `PATCH /api/v2/policy/urllist/${id}/append`,
      'POST /api/v2/policy/urllist/deploy',
    ]);
    expect(server.requests.slice(1, 4).map((request) => JSON.parse(request.body).data.urls.length)).toEqual([
      3, 3, 2,
    ]);
    expect(server.tenant.urlList('split')?.deployed?.urls).toEqual(
      Array.from({ length: 8 }, (_, index) => `host-${index}.test`),
    );
  });

  it('reports invalid indicators and entries the tenant refuses per item, and writes the rest', async () => {
    const { server, harness } = await setup({
      refuseEntry: (entry) => (entry === 'refused.test' ? 'Invalid hostname' : undefined),
    });
    const results = byKey(
      await harness.run((ctx) =>
        destination.push(
          ctx,
          [
            indicator('url', 'https://user:pw@a.test/'),
            indicator('hostname', 'good.test'),
            indicator('md5', 'd41d8cd98f00b204e9800998ecf8427e'),
          ],
          { id: 'url-list', parameters: { listName: 'mixed' } },
        ),
      ),
    );
    expect(results['url:https://user:pw@a.test/']).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED' },
    });
    expect(results['md5:d41d8cd98f00b204e9800998ecf8427e']).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED', message: 'a URL list cannot hold md5 indicators' },
    });
    expect(results['hostname:good.test']?.ok).toBe(true);

    // The tenant refuses a write naming an entry, as Netskope answers invalid URLs: the rest is written.
    server.requests.length = 0;
    const again = byKey(
      await harness.run((ctx) =>
        destination.push(ctx, [indicator('hostname', 'good.test'), indicator('hostname', 'refused.test')], {
          id: 'url-list',
          parameters: { listName: 'mixed' },
        }),
      ),
    );
    expect(again['hostname:refused.test']).toEqual({
      key: 'hostname:refused.test',
      ok: false,
      error: {
        code: 'VALIDATION_FAILED',
        message: 'refused by the tenant: Invalid hostname',
        retryable: false,
      },
    });
    expect(again['hostname:good.test']?.ok).toBe(true);
    expect(server.tenant.urlList('mixed')?.deployed?.urls).toEqual(['good.test']);
    expect(calls(server).filter((call) => call.endsWith('/deploy'))).toHaveLength(1);
  });

  it('refuses to create a missing list when createIfMissing is off', async () => {
    const { server, harness } = await setup();
    const error = await harness
      .run((ctx) =>
        destination.push(ctx, [indicator('domain', 'a.test')], {
          id: 'url-list',
          parameters: { listName: 'absent', createIfMissing: false },
        }),
      )
      .catch((caught: unknown) => caught);
    expect(CeError.isInstance(error) && error.code).toBe('NOT_FOUND');
    expect(server.tenant.urlLists()).toEqual([]);
  });

  it('rejects invalid action parameters with CONFIG_INVALID', async () => {
    const { harness } = await setup();
    await expect(
      harness.run((ctx) => destination.push(ctx, [], { id: 'url-list', parameters: { listType: 'glob' } })),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('file-hash-list action', () => {
  it('replaces an existing list with the sorted, deduplicated hashes and fails other values per item', async () => {
    const { server, harness } = await setup({
      fileHashLists: { 'ce-hashes': ['0cc175b9c0f1b6a831c399e269772661'] },
    });
    const action = { id: 'file-hash-list', parameters: { listName: 'ce-hashes' } };
    const sha256 = 'CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB';
    const results = byKey(
      await harness.run((ctx) =>
        destination.push(
          ctx,
          [
            indicator('sha256', sha256),
            indicator('md5', '44d88612fea8a8f36de82e1278abb02f'),
            indicator('md5', 'not-a-hash'),
            indicator('url', 'https://a.test/'),
          ],
          action,
        ),
      ),
    );
    expect(results[`sha256:${sha256}`]?.ok).toBe(true);
    expect(results['md5:44d88612fea8a8f36de82e1278abb02f']?.ok).toBe(true);
    expect(results['md5:not-a-hash']).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(results['url:https://a.test/']).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(server.tenant.fileHashList('ce-hashes')).toEqual([
      '44d88612fea8a8f36de82e1278abb02f',
      sha256.toLowerCase(),
    ]);
    const request = server.requests.at(-1);
    expect(`${request?.method} ${request?.path}`).toBe('POST /api/v1/updateFileHashList');
    // The v1 token travels in the body only: not in the URL, and the v2 header is not sent to v1.
    expect(request?.query).toEqual({});
    expect(request?.headers['netskope-api-token']).toBeUndefined();
    expect(JSON.parse(request?.body ?? '')).toMatchObject({ name: 'ce-hashes', token: v1Token });

    // Pushing the same set again: the tenant says "no change", which is a success.
    const again = await harness.run((ctx) =>
      destination.push(
        ctx,
        [indicator('sha256', sha256), indicator('md5', '44d88612fea8a8f36de82e1278abb02f')],
        action,
      ),
    );
    expect(again.every((result) => result.ok)).toBe(true);
  });

  it('needs a v1 token, and maps a wrong one to HTTP_AUTH_FAILED', async () => {
    const { harness: withoutV1 } = await setup({ fileHashLists: { h: [] } }, { v1Token: undefined });
    const action = { id: 'file-hash-list', parameters: { listName: 'h' } };
    await expect(
      withoutV1.run((ctx) => destination.push(ctx, [indicator('md5', '0'.repeat(32))], action)),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });

    await withoutV1.close();
    harness = createPluginHarness(netskopePlugin, {
      config: { tenant: server!.url, apiToken: token, v1Token: 'wrong-v1-token' },
      http: fast,
    });
    await expect(
      harness.run((ctx) => destination.push(ctx, [indicator('md5', '0'.repeat(32))], action)),
    ).rejects.toMatchObject({ code: 'HTTP_AUTH_FAILED', status: 403 });
  });

  it('reports a missing list as the tenant words it', async () => {
    const { harness } = await setup();
    await expect(
      harness.run((ctx) =>
        destination.push(ctx, [indicator('md5', '0'.repeat(32))], {
          id: 'file-hash-list',
          parameters: { listName: 'nope' },
        }),
      ),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('File list nope does not exist'),
    });
  });
});

describe('tenant errors', () => {
  it('maps a wrong v2 token to HTTP_AUTH_FAILED in check and push', async () => {
    const { server } = await setup();
    harness = createPluginHarness(netskopePlugin, {
      config: { tenant: server.url, apiToken: 'wrong-token-123' },
      http: fast,
    });
    await expect(harness.check()).rejects.toMatchObject({ code: 'HTTP_AUTH_FAILED', status: 401 });
    await expect(
      harness.run((ctx) => destination.push(ctx, [], { id: 'url-list', parameters: { listName: 'x' } })),
    ).rejects.toMatchObject({ code: 'HTTP_AUTH_FAILED', message: expect.stringContaining('Unauthorized') });
  });

  it('turns a garbage answer into HTTP_RESPONSE_INVALID', async () => {
    const { server, harness } = await setup();
    server.failNext(1, {
      status: 200,
      body: '<html>maintenance</html>',
      headers: { 'content-type': 'text/html' },
    });
    await expect(harness.check()).rejects.toMatchObject({ code: 'HTTP_RESPONSE_INVALID' });
    server.failNext(1, { status: 200, json: { lists: 'nope' } });
    await expect(harness.check()).rejects.toMatchObject({ code: 'HTTP_RESPONSE_INVALID' });
    expect(await harness.check()).toEqual({ ok: true, message: expect.stringContaining('(0 URL lists)') });
  });

  it('waits out a 429 with Retry-After and succeeds', async () => {
    const { server, harness } = await setup({ requestsPerSecond: 2 });
    const results = await Promise.all(
      [1, 2, 3].map(() => harness.run((ctx) => createNetskopeTenantClient(ctx).listUrlLists())),
    );
    expect(results).toEqual([[], [], []]);
    // Three calls, the third refused once with 429 and repeated after the second the tenant asked for.
    expect(server.requests).toHaveLength(4);
  });

  it('keeps to 4 requests per second per endpoint by default, so the tenant never answers 429', async () => {
    const { server } = await setup({ requestsPerSecond: 4 });
    harness = createPluginHarness(netskopePlugin, { config: { tenant: server.url, apiToken: token } });
    const tenant = createNetskopeTenantClient(harness.context);
    for (let i = 0; i < 6; i++) await tenant.listUrlLists();
    expect(server.requests).toHaveLength(6);
  });
});
