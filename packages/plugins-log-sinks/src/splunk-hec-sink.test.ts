import { gunzipSync } from 'node:zlib';
import { CeError, createMemoryStorage, type LogBatch, systemClock } from '@ce/core';
import { createPluginHarness } from '@ce/plugin-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { makeBatch, manyRecords, trickyRecords } from './__fixtures__/batches.js';
import {
  type SplunkHecMockServer,
  type SplunkHecMockServerOptions,
  splitConcatenatedJson,
  startSplunkHecMockServer,
} from './splunk-hec-mock-server.js';
import { splunkHecSink, splunkHecSinkPlugin } from './splunk-hec-sink.js';

const token = '7a1c4e2b-93f0-4d55-a8c1-5e0b2d9f6a13';

let hec: SplunkHecMockServer | undefined;
afterEach(async () => {
  await hec?.close();
  hec = undefined;
});

async function setup(
  config: Record<string, unknown> = {},
  mock: Partial<SplunkHecMockServerOptions> = {},
  harnessOptions: { keyValue?: ReturnType<typeof createMemoryStorage>['keyValue']; realClock?: boolean } = {},
) {
  hec ??= await startSplunkHecMockServer({ token, ...mock });
  const harness = createPluginHarness(splunkHecSinkPlugin, {
    config: { url: hec.url, token, ...config },
    ...(harnessOptions.keyValue ? { keyValue: harnessOptions.keyValue } : {}),
    ...(harnessOptions.realClock ? { clock: systemClock } : {}),
  });
  const session = await harness.run((ctx) => splunkHecSink.open(ctx));
  const deliver = (batch: LogBatch) => session.deliver(batch, new AbortController().signal);
  return { harness, deliver, hec };
}

async function failure(promise: Promise<unknown>): Promise<CeError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!CeError.isInstance(error)) throw new Error(`expected a CeError, got ${String(error)}`);
  return error;
}

describe('Splunk HEC sink', () => {
  it('sends batched events with token, channel and metadata; records arrive intact', async () => {
    const { deliver, hec } = await setup({ index: 'netskope', source: 'ce', host: 'ce-host-1' });
    expect(await deliver(makeBatch('json'))).toEqual({ rejected: [] });
    const request = hec.server.requests[0];
    expect(request?.path).toBe('/services/collector/event');
    expect(request?.headers.authorization).toBe(`Splunk ${token}`);
    expect(request?.headers['x-splunk-request-channel']).toMatch(/^[0-9a-f-]{36}$/);
    expect(hec.events.map((event) => event.envelope)).toEqual(
      trickyRecords.map((record) => ({
        time: record.timestamp,
        event: record,
        host: 'ce-host-1',
        source: 'ce',
        sourcetype: '_json',
        index: 'netskope',
      })),
    );
    // One request, three concatenated event objects.
    expect(request?.body.toString('utf8').split('\n')).toHaveLength(3);
  });

  it('keeps one channel per configuration across sessions (plugin state)', async () => {
    const { keyValue } = createMemoryStorage();
    const first = await setup({}, {}, { keyValue });
    await first.deliver(makeBatch('json'));
    const second = await setup({}, {}, { keyValue });
    await second.deliver(makeBatch('json', trickyRecords, 'b2'));
    const channels = new Set(hec?.server.requests.map((r) => r.headers['x-splunk-request-channel']));
    expect(channels.size).toBe(1);
  });

  it('sends CEF payloads as string events, gzip-compressed, with indexed fields', async () => {
    const { deliver, hec } = await setup({ gzip: true, indexedFields: true, sourcetype: 'cef' });
    const batch = makeBatch('cef');
    await deliver(batch);
    const request = hec.server.requests[0];
    expect(request?.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(request?.body ?? Buffer.alloc(0)).toString('utf8')).toContain('"sourcetype":"cef"');
    expect(hec.events.map((event) => event.envelope.event)).toEqual(batch.items.map((item) => item.payload));
    expect(hec.events[0]?.envelope.fields).toEqual({ ce_id: batch.items[0]?.id, ce_stream: 'events/page' });
  });

  it('rejects the event HEC names in invalid-event-number and sends only the ones after it again', async () => {
    const { deliver, hec } = await setup();
    const batch = makeBatch('cef', manyRecords(5));
    const items = batch.items.map((item, index) => (index === 2 ? { ...item, payload: '' } : item));
    const result = await deliver({ ...batch, items });
    expect(result.rejected).toEqual([
      { index: 2, reason: 'Splunk HEC refused the event: Event field cannot be blank (code 13)' },
    ]);
    expect(hec.server.requests).toHaveLength(2);
    expect(hec.events.map((event) => event.envelope.event)).toEqual(
      [0, 1, 3, 4].map((index) => batch.items[index]?.payload),
    );
  });

  it('can resend the events before a refused one instead (duplicates, never a loss)', async () => {
    const { deliver, hec } = await setup({ resendPrecedingOnInvalid: true });
    const batch = makeBatch('cef', manyRecords(3));
    const items = batch.items.map((item, index) => (index === 1 ? { ...item, payload: '' } : item));
    const result = await deliver({ ...batch, items });
    expect(result.rejected?.map((r) => r.index)).toEqual([1]);
    expect(hec.events.map((event) => event.envelope.event)).toEqual(
      [0, 0, 2].map((index) => batch.items[index]?.payload),
    );
  });

  it('throws a retryable error when the server is busy; the retry sends only what was not taken', async () => {
    const { deliver, hec } = await setup();
    const batch = makeBatch('cef', manyRecords(4));
    const items = batch.items.map((item, index) => (index === 1 ? { ...item, payload: '' } : item));
    hec.busy(1, 1);
    const busy = await failure(deliver({ ...batch, items }));
    expect(busy).toMatchObject({ code: 'HTTP_ERROR', retryable: true, details: { hecCode: 9 } });
    const retried = await deliver({ ...batch, items });
    expect(retried.rejected?.map((r) => r.index)).toEqual([1]);
    expect(hec.events.map((event) => event.envelope.event)).toEqual(
      [0, 2, 3].map((index) => batch.items[index]?.payload),
    );
  });

  it('stops on an invalid or disabled token, without the token in errors or logs', async () => {
    const { deliver, harness } = await setup({ token: 'ffffffff-0000-1111-2222-333333333333' });
    const invalid = await failure(deliver(makeBatch('json')));
    expect(invalid).toMatchObject({ code: 'HTTP_AUTH_FAILED', retryable: false, details: { hecCode: 4 } });
    const visible = JSON.stringify([invalid.toJSON(), invalid.message, harness.logs]);
    expect(visible).not.toContain('ffffffff-0000-1111-2222-333333333333');
    await hec?.close();
    hec = await startSplunkHecMockServer({ token: 'x', disabledTokens: [token] });
    const disabled = await setup();
    expect(await failure(disabled.deliver(makeBatch('json')))).toMatchObject({
      code: 'HTTP_AUTH_FAILED',
      details: { hecCode: 1 },
    });
  });

  it('treats an index the token may not write to as a configuration error', async () => {
    const { deliver } = await setup({ index: 'forbidden' }, { allowedIndexes: ['main'] });
    expect(await failure(deliver(makeBatch('json')))).toMatchObject({
      code: 'CONFIG_INVALID',
      retryable: false,
      details: { hecCode: 7 },
    });
  });

  it('waits for indexer acknowledgement when asked, and retries the batch when it never comes', async () => {
    const acked = await setup(
      { useAck: true, ackPollIntervalMs: 1 },
      { ackEnabled: true, ackAfterPolls: 2 },
      { realClock: true },
    );
    expect(await acked.deliver(makeBatch('json'))).toEqual({ rejected: [] });
    const paths = acked.hec.server.requests.map((r) => r.path);
    expect(paths).toEqual([
      '/services/collector/event',
      '/services/collector/ack',
      '/services/collector/ack',
      '/services/collector/ack',
    ]);
    await hec?.close();
    hec = undefined;
    const slow = await setup(
      { useAck: true, ackPollIntervalMs: 1, ackTimeoutMs: 20 },
      { ackEnabled: true, ackAfterPolls: 1_000_000 },
      { realClock: true },
    );
    expect(await failure(slow.deliver(makeBatch('json')))).toMatchObject({
      code: 'TIMEOUT',
      retryable: true,
    });
  });

  it('reports a token without acknowledgement when useAck is set', async () => {
    const { deliver } = await setup({ useAck: true });
    expect(await failure(deliver(makeBatch('json')))).toMatchObject({
      code: 'CONFIG_INVALID',
      retryable: false,
    });
  });

  it('checks the token with an empty request (code 5 means the token is good)', async () => {
    const good = await setup();
    expect(await good.harness.check()).toEqual({ ok: true, message: 'Splunk HEC accepted the token' });
    const bad = await setup({ token: 'bad-token-0000' });
    expect(await bad.harness.check()).toMatchObject({ ok: false, message: 'Splunk HEC: Invalid token' });
  });
});

describe('concatenated JSON splitting (mock)', () => {
  it('splits objects with braces inside strings and reports trailing garbage', () => {
    expect(splitConcatenatedJson('{"a":"}{"}{"b":{"c":[1,{}]}}  \n{"d":"\\"}"}')).toEqual({
      objects: ['{"a":"}{"}', '{"b":{"c":[1,{}]}}', '{"d":"\\"}"}'],
    });
    expect(splitConcatenatedJson('{"a":1} x')).toEqual({ objects: ['{"a":1}'], malformedAt: 1 });
  });
});
