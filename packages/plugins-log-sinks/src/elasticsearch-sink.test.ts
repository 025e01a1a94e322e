import { gunzipSync } from 'node:zlib';
import { CeError, type LogBatch } from '@ce/core';
import { createPluginHarness } from '@ce/plugin-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { makeBatch, manyRecords, trickyRecords } from './__fixtures__/batches.js';
import {
  type ElasticsearchMockServer,
  type ElasticsearchMockServerOptions,
  startElasticsearchMockServer,
} from './elasticsearch-mock-server.js';
import {
  documentId,
  elasticsearchSink,
  elasticsearchSinkPlugin,
  expandIndexName,
} from './elasticsearch-sink.js';

const password = 'es-pass-Vb71Qx9zLm';
const apiKey = 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==';

let es: ElasticsearchMockServer | undefined;
afterEach(async () => {
  await es?.close();
  es = undefined;
});

async function setup(config: Record<string, unknown> = {}, mock: ElasticsearchMockServerOptions = {}) {
  es ??= await startElasticsearchMockServer({ basic: { username: 'shipper', password }, apiKey, ...mock });
  const harness = createPluginHarness(elasticsearchSinkPlugin, {
    config: { url: es.url, username: 'shipper', password, ...config },
  });
  const session = await harness.run((ctx) => elasticsearchSink.open(ctx));
  const deliver = (batch: LogBatch) => session.deliver(batch, new AbortController().signal);
  return { harness, deliver, es };
}

async function failure(promise: Promise<unknown>): Promise<CeError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!CeError.isInstance(error)) throw new Error(`expected a CeError, got ${String(error)}`);
  return error;
}

const nextDay = { _id: 'next-day-1', type: 'page', timestamp: 1767312000, user: 'carol' };

describe('Elasticsearch sink', () => {
  it('creates documents with the delivery id as _id in the dated index, records intact', async () => {
    const { deliver, es } = await setup();
    const batch = makeBatch('json', [...trickyRecords, nextDay]);
    expect(await deliver(batch)).toEqual({ rejected: [] });
    const request = es.server.requests[0];
    expect(request?.path).toBe('/_bulk');
    expect(request?.query.filter_path).toContain('items.*.status');
    expect(request?.headers['content-type']).toBe('application/x-ndjson');
    expect(request?.headers.authorization).toBe(
      `Basic ${Buffer.from(`shipper:${password}`).toString('base64')}`,
    );
    const lines = request?.body.toString('utf8').split('\n') ?? [];
    expect(lines[0]).toBe('{"create":{"_index":"ce-logs-2026.01.01","_id":"f1c9a2b3c4d5e6f7a8b9c0d1"}}');
    expect(lines).toHaveLength(9);
    expect([...es.indices.keys()]).toEqual(['ce-logs-2026.01.01', 'ce-logs-2026.01.02']);
    expect(es.documents().map((doc) => doc.source)).toEqual(
      [...trickyRecords, nextDay].map((record) => ({
        '@timestamp': new Date((record.timestamp as number) * 1_000).toISOString(),
        ...record,
      })),
    );
  });

  it('counts 409 on a replayed batch as delivered and stores nothing twice', async () => {
    const { deliver, es } = await setup();
    const batch = makeBatch('json');
    await deliver(batch);
    expect(await deliver(batch)).toEqual({ rejected: [] });
    expect(es.documents()).toHaveLength(3);
  });

  it('rejects a document refused for its content with the mapping error, keeps the rest', async () => {
    const { deliver, es } = await setup();
    await deliver(makeBatch('json', manyRecords(1)));
    const bad = { ...manyRecords(1, 1)[0], bytes: 'not-a-number' };
    const result = await deliver(makeBatch('json', [...manyRecords(1, 5), bad, ...manyRecords(1, 6)], 'b2'));
    expect(result.rejected).toEqual([
      {
        index: 1,
        reason: expect.stringMatching(
          /^Elasticsearch refused the document \(status 400\): mapper_parsing_exception: failed to parse field \[bytes\] of type \[long\]/,
        ),
      },
    ]);
    expect(es.documents().map((doc) => doc.id)).toEqual(['rec-00000000', 'rec-00000005', 'rec-00000006']);
  });

  it('throws retryably when items are rejected for load, and the retry sends only those', async () => {
    const { deliver, es } = await setup();
    const batch = makeBatch('json', manyRecords(5));
    es.rejectNextItems(2);
    const error = await failure(deliver(batch));
    expect(error).toMatchObject({ code: 'HTTP_RATE_LIMITED', retryable: true, details: { retryItems: 2 } });
    expect(es.documents()).toHaveLength(3);
    expect(await deliver(batch)).toEqual({ rejected: [] });
    expect(es.server.requests[1]?.body.toString('utf8').trimEnd().split('\n')).toHaveLength(4);
    expect(
      es
        .documents()
        .map((doc) => doc.id)
        .sort(),
    ).toEqual(batch.items.map((item) => item.id));
  });

  it('a new session retries the whole batch safely: the documents taken before answer 409', async () => {
    const first = await setup();
    const batch = makeBatch('json', manyRecords(4));
    first.es.rejectNextItems(1);
    await failure(first.deliver(batch));
    const second = await setup();
    expect(await second.deliver(batch)).toEqual({ rejected: [] });
    expect(second.es.documents()).toHaveLength(4);
  });

  it('maps whole-request failures: 429 and 5xx retryable, 401 not, no secret shown', async () => {
    const { deliver, es, harness } = await setup();
    es.server.failNext(1, {
      status: 429,
      body: { error: { type: 'es_rejected_execution_exception', reason: 'rejected execution' }, status: 429 },
    });
    expect(await failure(deliver(makeBatch('json')))).toMatchObject({
      code: 'HTTP_RATE_LIMITED',
      retryable: true,
    });
    es.server.failNext(1, { status: 503, body: 'unavailable' });
    expect(await failure(deliver(makeBatch('json')))).toMatchObject({ code: 'HTTP_ERROR', retryable: true });
    const wrong = await setup({ password: 'wrong-password-123' });
    const auth = await failure(wrong.deliver(makeBatch('json')));
    expect(auth).toMatchObject({ code: 'HTTP_AUTH_FAILED', retryable: false });
    const visible = JSON.stringify([auth.toJSON(), auth.message, harness.logs, wrong.harness.logs]);
    expect(visible).not.toContain('wrong-password-123');
    expect(visible).not.toContain(password);
  });

  it('authenticates with an API key and stops when the key may not write the index', async () => {
    const { deliver, es } = await setup(
      { username: undefined, password: undefined, apiKey },
      { writableIndexPrefixes: ['other-'] },
    );
    const error = await failure(deliver(makeBatch('json')));
    expect(error).toMatchObject({ code: 'HTTP_AUTH_FAILED', retryable: false });
    expect(es.server.requests[0]?.headers.authorization).toBe(`ApiKey ${apiKey}`);
    expect(error.message).not.toContain(apiKey);
  });

  it('indexes CEF payloads as message documents, gzip-compressed, through a pipeline', async () => {
    const { deliver, es } = await setup({ gzip: true, pipeline: 'netskope-cef', index: 'cef-%Y.%m' });
    const batch = makeBatch('cef');
    await deliver(batch);
    const request = es.server.requests[0];
    expect(request?.query.pipeline).toBe('netskope-cef');
    expect(request?.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(request?.body ?? Buffer.alloc(0)).toString('utf8')).toContain('"_index":"cef-2026.01"');
    expect(es.documents().map((doc) => doc.source.message)).toEqual(batch.items.map((item) => item.payload));
  });

  it('checks the cluster', async () => {
    const { harness } = await setup();
    expect(await harness.check()).toEqual({
      ok: true,
      message: 'connected to cluster ce-mock (version 8.15.0)',
    });
  });

  it('validates the configuration', () => {
    const url = 'https://es.example.com:9200';
    expect(elasticsearchSinkPlugin.validate({ url }).ok).toBe(true);
    expect(elasticsearchSinkPlugin.validate({ url, index: 'Logs-%Y' }).ok).toBe(false);
    expect(elasticsearchSinkPlugin.validate({ url, index: 'logs-%Q' }).ok).toBe(false);
    expect(elasticsearchSinkPlugin.validate({ url, username: 'a' }).ok).toBe(false);
    expect(
      elasticsearchSinkPlugin.validate({ url, apiKey: 'k-123456', username: 'a', password: 'p-123456' }).ok,
    ).toBe(false);
  });
});

describe('index names and ids', () => {
  it('expands the date template in UTC and hashes over-long ids deterministically', () => {
    expect(expandIndexName('ce-logs-%Y.%m.%d-%H%%', Date.parse('2026-03-04T05:06:07Z'))).toBe(
      'ce-logs-2026.03.04-05%',
    );
    expect(documentId('abc')).toBe('abc');
    const long = 'x'.repeat(600);
    expect(documentId(long)).toMatch(/^sha256-[0-9a-f]{64}$/);
    expect(documentId(long)).toBe(documentId(long));
  });
});
