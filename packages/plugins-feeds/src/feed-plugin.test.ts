import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import {
  configJsonSchema,
  findSecretPaths,
  type IndicatorBatch,
  type PluginContext,
  type SourceCheckpoint,
} from '@ce/core';
import { createPluginHarness, type PluginHarness } from '@ce/plugin-kit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FeedConfig, feedConfigSchema } from './feed-config.js';
import {
  type FeedServer,
  feedFixturePaths,
  feedFixturesDirectory,
  readFeedFixture,
  startFeedServer,
} from './feed-mock-server.js';
import { createFeedPlugin, feedPlugin } from './feed-plugin.js';

async function collect(
  harness: PluginHarness<FeedConfig>,
  checkpoint?: SourceCheckpoint,
): Promise<IndicatorBatch[]> {
  return harness.run(async (context: PluginContext<FeedConfig>) => {
    const batches: IndicatorBatch[] = [];
    const pull = feedPlugin.cte?.source?.pull;
    if (!pull) throw new Error('no pull');
    for await (const batch of pull(context, checkpoint)) batches.push(batch);
    return batches;
  });
}

const lastCheckpoint = (batches: IndicatorBatch[]) => batches.at(-1)?.checkpoint;

describe('feed plugin over HTTP', () => {
  let server: FeedServer;
  const harnesses: PluginHarness<FeedConfig>[] = [];
  const harnessFor = (config: Record<string, unknown>, plugin = feedPlugin) => {
    const harness = createPluginHarness(plugin, { config });
    harnesses.push(harness);
    return harness;
  };
  beforeEach(async () => {
    server = await startFeedServer();
  });
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((harness) => harness.close()));
    await server.close();
  });

  it('serves every preset fixture and each parses to indicators', async () => {
    const counts: Record<string, number> = {};
    for (const [preset, { path }] of Object.entries(feedFixturePaths)) {
      const batches = await collect(harnessFor({ preset, url: server.feedUrl(path) }));
      counts[preset] = batches.reduce((sum, batch) => sum + batch.indicators.length, 0);
    }
    expect(counts).toEqual({
      urlhaus: 4,
      'threatfox-csv': 5,
      'threatfox-json': 3,
      malwarebazaar: 3,
      'feodo-csv': 3,
      'feodo-text': 2,
      openphish: 4,
      'spamhaus-drop-json': 3,
      'spamhaus-drop-text': 3,
    });
    expect(server.requests[0]?.headers['user-agent']).toMatch(/plugin\/feed@0\.1\.0/);
  });

  it('sends a conditional GET on the second pull; a 304 yields no batches and the checkpoint stays', async () => {
    const path = feedFixturePaths.urlhaus.path;
    const harness = harnessFor({ preset: 'urlhaus', url: server.feedUrl(path) });
    const first = await collect(harness);
    const checkpoint = lastCheckpoint(first);
    expect(checkpoint).toEqual({
      source: expect.stringMatching(/^[0-9a-f]{16}$/),
      etag: expect.stringMatching(/^".+"$/),
      lastModified: expect.stringMatching(/GMT$/),
      pulledAt: harness.clock.now(),
      indicators: 4,
      skipped: 0,
    });
    const second = await collect(harness, checkpoint);
    expect(second).toEqual([]);
    expect(server.requests.map((request) => request.headers['if-none-match'])).toEqual([
      undefined,
      (checkpoint as { etag: string }).etag,
    ]);
    expect(server.requests[1]?.headers['if-modified-since']).toBe(
      (checkpoint as { lastModified: string }).lastModified,
    );
    expect(harness.logs.some((record) => record.message === 'feed not modified')).toBe(true);
  });

  it('falls back to If-Modified-Since when the server sends no ETag, and re-reads a changed feed', async () => {
    const lastModified = new Date('2025-03-01T12:00:00Z');
    server.setFeed('/lists/ips.txt', { body: '192.0.2.1\n192.0.2.2\n', etag: false, lastModified });
    const harness = harnessFor({ format: 'lines', url: server.feedUrl('/lists/ips.txt') });
    const checkpoint = lastCheckpoint(await collect(harness));
    expect(checkpoint).toMatchObject({ lastModified: 'Sat, 01 Mar 2025 12:00:00 GMT' });
    expect(checkpoint).not.toHaveProperty('etag');
    expect(await collect(harness, checkpoint)).toEqual([]);
    server.setFeed('/lists/ips.txt', {
      body: '192.0.2.3\n',
      etag: false,
      lastModified: new Date('2025-03-02T12:00:00Z'),
    });
    const third = await collect(harness, checkpoint);
    expect(third.map((batch) => batch.indicators.map((i) => i.value))).toEqual([['192.0.2.3']]);
    expect(lastCheckpoint(third)).toMatchObject({
      lastModified: 'Sun, 02 Mar 2025 12:00:00 GMT',
      indicators: 1,
    });
  });

  it('does not send the validators of another URL', async () => {
    const harness = harnessFor({ preset: 'openphish', url: server.feedUrl(feedFixturePaths.openphish.path) });
    const checkpoint = lastCheckpoint(await collect(harness));
    const other = harnessFor({
      preset: 'feodo-text',
      url: server.feedUrl(feedFixturePaths['feodo-text'].path),
    });
    const batches = await collect(other, checkpoint);
    expect(batches).toHaveLength(1);
    expect(server.requests[1]?.headers['if-none-match']).toBeUndefined();
  });

  it('yields batches of batchSize and puts the checkpoint only on the last one', async () => {
    const body = Array.from({ length: 12 }, (_, index) => `host${index}.example.com`).join('\n');
    server.setFeed('/big.txt', body);
    const batches = await collect(
      harnessFor({ format: 'lines', type: 'domain', url: server.feedUrl('/big.txt'), batchSize: 5 }),
    );
    expect(batches.map((batch) => batch.indicators.length)).toEqual([5, 5, 2]);
    expect(batches.map((batch) => batch.checkpoint === undefined)).toEqual([true, true, false]);
    expect(batches[2]?.indicators.at(-1)).toEqual({ value: 'host11.example.com', type: 'domain' });
  });

  it('reads Content-Encoding: gzip and a .gz file served as application/gzip', async () => {
    server.setFeed('/encoded.csv', {
      body: readFeedFixture('feodo-ipblocklist.csv'),
      contentEncoding: 'gzip',
      contentType: 'text/csv',
    });
    const encoded = await collect(harnessFor({ preset: 'feodo-csv', url: server.feedUrl('/encoded.csv') }));
    expect(encoded[0]?.indicators.map((i) => i.value)).toEqual([
      '192.0.2.81',
      '198.51.100.140',
      '203.0.113.200',
    ]);
    const gzPath = `${feedFixturePaths['spamhaus-drop-json'].path}.gz`;
    const gz = await collect(harnessFor({ preset: 'spamhaus-drop-json', url: server.feedUrl(gzPath) }));
    expect(gz[0]?.indicators.map((i) => i.value)).toEqual([
      '192.0.2.0/24',
      '198.51.100.0/24',
      '203.0.113.0/24',
    ]);
  });

  it('rejects a decompression bomb with HTTP_RESPONSE_TOO_LARGE', async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x41));
    expect(bomb.length).toBeLessThan(64 * 1024);
    server.setFeed('/bomb.txt.gz', { body: bomb, contentType: 'application/gzip' });
    const error = await collect(
      harnessFor({ format: 'lines', url: server.feedUrl('/bomb.txt.gz'), maxBytes: 1024 * 1024 }),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'HTTP_RESPONSE_TOO_LARGE',
      details: { reason: 'decompressed-size-limit', maxBytes: 1024 * 1024 },
    });
  });

  it('rejects a body over maxBytes, with Content-Encoding too (counted after decoding)', async () => {
    server.setFeed('/large.txt', 'x.example.com\n'.repeat(200));
    const plain = await collect(
      harnessFor({ format: 'lines', url: server.feedUrl('/large.txt'), maxBytes: 1024 }),
    ).catch((e: unknown) => e);
    expect(plain).toMatchObject({ code: 'HTTP_RESPONSE_TOO_LARGE' });
    server.setFeed('/large-encoded.txt', { body: 'x.example.com\n'.repeat(200), contentEncoding: 'gzip' });
    const encoded = await collect(
      harnessFor({ format: 'lines', url: server.feedUrl('/large-encoded.txt'), maxBytes: 1024 }),
    ).catch((e: unknown) => e);
    expect(encoded).toMatchObject({ code: 'HTTP_RESPONSE_TOO_LARGE' });
  });

  it('rejects corrupt gzip with VALIDATION_FAILED', async () => {
    const truncated = gzipSync(Buffer.from('192.0.2.1\n'.repeat(100))).subarray(0, 30);
    server.setFeed('/broken.gz', { body: truncated, contentType: 'application/gzip' });
    const error = await collect(harnessFor({ format: 'lines', url: server.feedUrl('/broken.gz') })).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', details: { reason: 'invalid-gzip' } });
  });

  it('waits out a 429 with Retry-After, then succeeds', async () => {
    server.failNext(1, { status: 429, headers: { 'retry-after': '1' }, json: { error: 'rate limited' } });
    const batches = await collect(
      harnessFor({ preset: 'openphish', url: server.feedUrl(feedFixturePaths.openphish.path) }),
    );
    expect(batches[0]?.indicators).toHaveLength(4);
    expect(server.requests).toHaveLength(2);
  });

  it('retries a 500, then succeeds', async () => {
    server.failNext(1, 500);
    const batches = await collect(
      harnessFor({ preset: 'feodo-text', url: server.feedUrl(feedFixturePaths['feodo-text'].path) }),
    );
    expect(batches[0]?.indicators).toHaveLength(2);
    expect(server.requests).toHaveLength(2);
  });

  it('reports an HTML error page for a JSON feed as VALIDATION_FAILED, yielding nothing', async () => {
    server.setFeed('/api/feed.json', {
      body: '<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>checking your browser</body></html>',
      contentType: 'text/html',
    });
    const harness = harnessFor({
      format: 'json',
      fields: { value: 'ioc' },
      url: server.feedUrl('/api/feed.json'),
    });
    const batches: IndicatorBatch[] = [];
    const error = await harness
      .run(async (context) => {
        for await (const batch of feedPlugin.cte?.source?.pull(context, undefined) ?? []) batches.push(batch);
      })
      .catch((e: unknown) => e);
    expect(batches).toEqual([]);
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('HTML') });
  });

  it('reports a JSON Lines feed that turned into something else as VALIDATION_FAILED', async () => {
    server.setFeed('/drop.json', 'this is not json\nneither is this\n');
    const error = await collect(
      harnessFor({ preset: 'spamhaus-drop-json', url: server.feedUrl('/drop.json') }),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'feed body is not JSON Lines: none of its 2 records could be read',
      details: { skipped: { malformed: 2 } },
    });
  });

  it('logs a warning with counts and samples when rows are skipped, and still yields the rest', async () => {
    server.setFeed(
      '/mixed.csv',
      'url,tags\nhttp://a.example.com/,x\nbroken,row,here\nhttp://b.example.com/,y\n',
    );
    const harness = harnessFor({
      format: 'csv',
      fields: { value: 'url', tags: 'tags' },
      url: server.feedUrl('/mixed.csv'),
    });
    const batches = await collect(harness);
    expect(batches[0]?.indicators.map((i) => i.value)).toEqual([
      'http://a.example.com/',
      'http://b.example.com/',
    ]);
    expect(lastCheckpoint(batches)).toMatchObject({ indicators: 2, skipped: 1 });
    const warning = harness.logs.find((record) => record.message === 'feed records skipped');
    expect(warning?.level).toBe('warn');
    expect(warning?.fields).toMatchObject({
      skipped: 1,
      byKind: { malformed: 1 },
      samples: [
        { line: 3, kind: 'malformed', reason: 'expected 2 fields, got 3', excerpt: 'broken,row,here' },
      ],
    });
  });

  it('refuses an empty feed unless allowEmpty, which yields one empty batch with the checkpoint', async () => {
    server.setFeed('/empty.txt', '# nothing listed today\n');
    const refused = await collect(harnessFor({ format: 'lines', url: server.feedUrl('/empty.txt') })).catch(
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ code: 'VALIDATION_FAILED', details: { reason: 'empty-feed' } });
    const allowed = await collect(
      harnessFor({ format: 'lines', url: server.feedUrl('/empty.txt'), allowEmpty: true }),
    );
    expect(allowed).toEqual([{ indicators: [], checkpoint: expect.objectContaining({ indicators: 0 }) }]);
  });

  it('sends credentials as configured: a header, or a query parameter', async () => {
    server.setFeed('/private.txt', 'https://a.example.com/\n');
    await collect(
      harnessFor({
        preset: 'openphish',
        url: server.feedUrl('/private.txt'),
        auth: { scheme: 'header', name: 'Auth-Key', token: 'abuse-key-123456' },
      }),
    );
    await collect(
      harnessFor({
        preset: 'openphish',
        url: server.feedUrl('/private.txt'),
        auth: { scheme: 'query', name: 'auth-key', token: 'query-key-654321' },
      }),
    );
    expect(server.requests[0]?.headers['auth-key']).toBe('abuse-key-123456');
    expect(server.requests[1]?.query).toEqual({ 'auth-key': 'query-key-654321' });
  });

  it('fails on 401 with HTTP_AUTH_FAILED, and on 404 with HTTP_ERROR', async () => {
    server.failNext(1, 401);
    const denied = await collect(
      harnessFor({ preset: 'openphish', url: server.feedUrl(feedFixturePaths.openphish.path) }),
    ).catch((e: unknown) => e);
    expect(denied).toMatchObject({ code: 'HTTP_AUTH_FAILED', status: 401 });
    const missing = await collect(harnessFor({ format: 'lines', url: server.feedUrl('/nope.txt') })).catch(
      (e: unknown) => e,
    );
    expect(missing).toMatchObject({ code: 'HTTP_ERROR', status: 404 });
  });

  it('checks a feed with HEAD', async () => {
    const harness = harnessFor({ preset: 'urlhaus', url: server.feedUrl(feedFixturePaths.urlhaus.path) });
    expect(await harness.check()).toEqual({
      ok: true,
      message: expect.stringMatching(/^feed reachable \(HTTP 200, text\/csv/),
    });
    expect(server.requests.map((request) => request.method)).toEqual(['HEAD']);
  });
});

describe('feed plugin over local files', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'ce-feeds-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });
  const pullWith = async (
    plugin: ReturnType<typeof createFeedPlugin>,
    config: Record<string, unknown>,
    checkpoint?: SourceCheckpoint,
  ) => {
    const harness = createPluginHarness(plugin, { config });
    try {
      return await harness.run(async (context) => {
        const batches: IndicatorBatch[] = [];
        for await (const batch of plugin.cte?.source?.pull(context, checkpoint) ?? []) batches.push(batch);
        return batches;
      });
    } finally {
      await harness.close();
    }
  };

  it('refuses files unless the host allows them', async () => {
    const error = await pullWith(feedPlugin, {
      preset: 'openphish',
      url: join(feedFixturesDirectory(), 'openphish-feed.txt'),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', details: { reason: 'file-sources-disabled' } });
  });

  it('reads a file by path or file:// URL, and skips it while its mtime and size are unchanged', async () => {
    const plugin = createFeedPlugin({ allowFileSources: true });
    const path = join(directory, 'drop.txt');
    await writeFile(path, '; test\n192.0.2.0/24 ; SBL1\n');
    const first = await pullWith(plugin, { preset: 'spamhaus-drop-text', url: pathToFileURL(path).href });
    expect(first[0]?.indicators.map((i) => i.value)).toEqual(['192.0.2.0/24']);
    const checkpoint = lastCheckpoint(first);
    expect(checkpoint).toMatchObject({ fileVersion: expect.stringMatching(/^\d+:27$/) });
    expect(
      await pullWith(plugin, { preset: 'spamhaus-drop-text', url: pathToFileURL(path).href }, checkpoint),
    ).toEqual([]);
    await writeFile(path, '; test\n192.0.2.0/24 ; SBL1\n198.51.100.0/24 ; SBL2\n');
    const changed = await pullWith(
      plugin,
      { preset: 'spamhaus-drop-text', url: pathToFileURL(path).href },
      checkpoint,
    );
    expect(changed[0]?.indicators).toHaveLength(2);
  });

  it('reads a gzipped file and rejects a bomb and an oversized file', async () => {
    const plugin = createFeedPlugin({ allowFileSources: true });
    const gz = join(directory, 'list.txt.gz');
    await writeFile(gz, gzipSync('a.example.com\nb.example.com\n'));
    const batches = await pullWith(plugin, { format: 'lines', type: 'domain', url: gz });
    expect(batches[0]?.indicators).toEqual([
      { value: 'a.example.com', type: 'domain' },
      { value: 'b.example.com', type: 'domain' },
    ]);
    const bomb = join(directory, 'bomb.gz');
    await writeFile(bomb, gzipSync(Buffer.alloc(4 * 1024 * 1024)));
    await expect(
      pullWith(plugin, { format: 'lines', url: bomb, maxBytes: 1024 * 1024 }),
    ).rejects.toMatchObject({
      code: 'HTTP_RESPONSE_TOO_LARGE',
      details: { reason: 'decompressed-size-limit' },
    });
    const big = join(directory, 'big.txt');
    await writeFile(big, 'x.example.com\n'.repeat(100));
    await expect(pullWith(plugin, { format: 'lines', url: big, maxBytes: 1024 })).rejects.toMatchObject({
      code: 'HTTP_RESPONSE_TOO_LARGE',
      details: { reason: 'size-limit' },
    });
  });

  it('stops with ABORTED when the host aborts the pull', async () => {
    const plugin = createFeedPlugin({ allowFileSources: true });
    const harness = createPluginHarness(plugin, {
      config: { format: 'lines', url: join(feedFixturesDirectory(), 'generic-list.txt') },
    });
    const controller = new AbortController();
    controller.abort();
    const error = await (async () => {
      for await (const _ of plugin.cte?.source?.pull(harness.newContext(controller.signal), undefined) ??
        []) {
        // nothing is expected
      }
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ABORTED' });
    await harness.close();
  });

  it('keeps files inside the allowed roots, symbolic links resolved', async () => {
    const plugin = createFeedPlugin({ allowFileSources: true, fileRoots: [feedFixturesDirectory()] });
    const inside = await pullWith(plugin, {
      preset: 'feodo-text',
      url: join(feedFixturesDirectory(), 'feodo-ipblocklist.txt'),
    });
    expect(inside[0]?.indicators).toHaveLength(2);
    const outside = join(directory, 'outside.txt');
    await writeFile(outside, '192.0.2.1\n');
    await expect(pullWith(plugin, { format: 'lines', url: outside })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      details: { reason: 'outside-file-roots' },
    });
    await expect(
      pullWith(plugin, { format: 'lines', url: join(feedFixturesDirectory(), '../../package.json') }),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    await expect(
      pullWith(plugin, { format: 'lines', url: join(feedFixturesDirectory(), 'missing.txt') }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('feed plugin configuration', () => {
  it('needs a format or a preset, fields for structured formats, and a usable location', () => {
    const result = feedPlugin.validate({ url: 'ftp://feeds.example.com/x' });
    expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toEqual(['format', 'url']);
    const csv = feedPlugin.validate({ url: 'https://feeds.example.com/x.csv', format: 'csv' });
    expect(csv.ok ? [] : csv.issues.map((issue) => issue.path)).toEqual(['fields']);
    const auth = feedPlugin.validate({ preset: 'urlhaus', auth: { scheme: 'header', token: 'abcdef123' } });
    expect(auth.ok ? [] : auth.issues.map((issue) => issue.path)).toEqual(['auth.name']);
    expect(feedPlugin.validate({ preset: 'urlhaus' })).toMatchObject({
      ok: true,
      config: { batchSize: 5_000 },
    });
  });

  it('marks the auth token as the only secret and has a JSON Schema for user interfaces', () => {
    expect(findSecretPaths(feedConfigSchema)).toEqual([['auth', 'token']]);
    const schema = configJsonSchema(feedConfigSchema) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['url', 'preset', 'format', 'fields', 'auth']),
    );
  });

  it('declares a full-list threat source', () => {
    expect(feedPlugin.cte?.source?.mode).toBe('full');
    expect(feedPlugin).toMatchObject({ id: 'feed', modules: ['cte'] });
  });
});
