import { CeError, FakeClock, type LogBatch } from '@ce/core';
import { createPluginHarness } from '@ce/plugin-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { makeBatch, trickyRecords } from './__fixtures__/batches.js';
import { startWebhookMockServer, type WebhookMockServer } from './webhook-mock-server.js';
import { signWebhookBody, verifyWebhookSignature } from './webhook-signature.js';
import { webhookSink, webhookSinkPlugin } from './webhook-sink.js';

const signingSecret = 'whsec-test-Hq83kZp0Lx';
const token = 'Bearer tok-9f8e7d6c5b4a-secret';

let receiver: WebhookMockServer | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function setup(
  config: Record<string, unknown> = {},
  mock: Parameters<typeof startWebhookMockServer>[0] = {},
) {
  const clock = new FakeClock();
  receiver = await startWebhookMockServer({
    signingSecret,
    requiredHeader: { name: 'authorization', value: token },
    clock,
    ...mock,
  });
  const harness = createPluginHarness(webhookSinkPlugin, {
    clock,
    config: {
      url: receiver.url,
      signingSecret,
      authHeader: { value: token },
      headers: { 'X-Tenant': 'acme' },
      ...config,
    },
  });
  const session = await harness.run((ctx) => webhookSink.open(ctx));
  const deliver = (batch: LogBatch) => session.deliver(batch, new AbortController().signal);
  return { harness, session, deliver, receiver, clock };
}

async function failure(promise: Promise<unknown>): Promise<CeError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!CeError.isInstance(error)) throw new Error(`expected a CeError, got ${String(error)}`);
  return error;
}

describe('webhook sink', () => {
  it('posts a signed JSON array with the idempotency key and custom headers, payloads intact', async () => {
    const { deliver, receiver, clock } = await setup();
    const batch = makeBatch('json');
    expect(await deliver(batch)).toEqual({ rejected: [] });
    const request = receiver.server.requests[0];
    expect(request?.headers['idempotency-key']).toBe(batch.id);
    expect(request?.headers['x-tenant']).toBe('acme');
    expect(request?.headers['content-type']).toBe('application/json');
    const seconds = Math.floor(clock.now() / 1_000);
    expect(request?.headers['x-ce-signature']).toBe(
      signWebhookBody(signingSecret, request?.body ?? '', seconds),
    );
    expect(receiver.records()).toEqual(trickyRecords);
    // 64-bit ids travel as the formatter wrote them, byte for byte.
    expect(receiver.batches[0]?.body).toContain('"transaction_id":"18446744073709551615"');
  });

  it('sends gzip NDJSON with envelopes, signed over the decompressed body', async () => {
    const { deliver, receiver } = await setup({ body: 'ndjson', gzip: true, envelope: true });
    await deliver(makeBatch('json'));
    const request = receiver.server.requests[0];
    expect(request?.headers['content-encoding']).toBe('gzip');
    expect(request?.headers['content-type']).toBe('application/x-ndjson');
    expect(receiver.records()).toEqual(
      trickyRecords.map((record) => ({
        id: record._id,
        stream: 'events/page',
        timestamp: (record.timestamp as number) * 1_000,
        event: record,
      })),
    );
  });

  it('sends CEF lines as text and refuses a payload that would break the line framing', async () => {
    const { deliver, receiver } = await setup({ body: 'lines' });
    const batch = makeBatch('cef');
    const items = [...batch.items];
    items.splice(1, 0, { ...items[0]!, id: 'bad', payload: 'CEF:0|x|y|1|a|b|3|msg=one\nCEF:0|fake|line' });
    const result = await deliver({ ...batch, items });
    expect(result.rejected).toEqual([{ index: 1, reason: expect.stringContaining('line break') }]);
    expect(receiver.records()).toEqual(batch.items.map((item) => item.payload));
    expect(receiver.batches[0]?.body.split('\n')).toHaveLength(4);
    expect(receiver.batches[0]?.body).toContain('Zoë Ångström 日本語 🚀');
  });

  it('sends CEF payloads as JSON strings in a JSON body', async () => {
    const { deliver, receiver } = await setup();
    const batch = makeBatch('cef');
    await deliver(batch);
    expect(receiver.records()).toEqual(batch.items.map((item) => item.payload));
  });

  it('refuses a json payload that is not JSON before sending, and delivers the rest', async () => {
    const { deliver, receiver } = await setup();
    const batch = makeBatch('json');
    const items = [{ ...batch.items[0]!, payload: '{"broken": ' }, ...batch.items.slice(1)];
    const result = await deliver({ ...batch, items });
    expect(result.rejected).toEqual([{ index: 0, reason: 'the payload is not valid JSON' }]);
    expect(receiver.records()).toEqual(trickyRecords.slice(1));
  });

  it('replays a batch with the same idempotency key, which the receiver stores once', async () => {
    const { deliver, receiver } = await setup();
    const batch = makeBatch('json');
    await deliver(batch);
    await deliver(batch);
    expect(receiver.server.requests).toHaveLength(2);
    expect(receiver.server.requests[1]?.headers['idempotency-key']).toBe(batch.id);
    expect(receiver.batches).toHaveLength(1);
  });

  it('rejects every record with the reason when the receiver answers 400', async () => {
    const { deliver } = await setup({}, { refuseContaining: 'alice' });
    const result = await deliver(makeBatch('json'));
    expect(result.rejected).toEqual(
      [0, 1, 2].map((index) => ({
        index,
        reason: 'webhook refused the batch with status 400: {"error":"content refused by policy"}',
      })),
    );
  });

  it('stops on 401 with a non-retryable HTTP_AUTH_FAILED that names no secret', async () => {
    const { deliver, harness } = await setup({ authHeader: { value: 'Bearer wrong-token-value-123' } });
    const error = await failure(deliver(makeBatch('json')));
    expect(error.code).toBe('HTTP_AUTH_FAILED');
    expect(error.retryable).toBe(false);
    const visible = JSON.stringify([error.toJSON(), error.message, harness.logs]);
    expect(visible).not.toContain('wrong-token-value-123');
    expect(visible).not.toContain(signingSecret);
  });

  it('is refused (401) by a receiver whose clock is past the signature tolerance', async () => {
    const receiverClock = new FakeClock(Date.parse('2026-01-01T01:00:00Z'));
    const { deliver } = await setup({}, { clock: receiverClock });
    const error = await failure(deliver(makeBatch('json')));
    expect(error).toMatchObject({ code: 'HTTP_AUTH_FAILED', retryable: false });
  });

  it('throws retryable errors for 503 with Retry-After, 429 and a reset connection', async () => {
    const { deliver, receiver } = await setup();
    receiver.server.failNext(1, { status: 503, headers: { 'retry-after': '7' }, body: 'busy' });
    const busy = await failure(deliver(makeBatch('json')));
    expect(busy).toMatchObject({ code: 'HTTP_ERROR', retryable: true, details: { retryAfterMs: 7_000 } });
    receiver.server.failNext(1, { status: 429, body: { error: 'slow down' } });
    expect(await failure(deliver(makeBatch('json')))).toMatchObject({
      code: 'HTTP_RATE_LIMITED',
      retryable: true,
    });
    receiver.server.failNext(1, { reset: true });
    expect(await failure(deliver(makeBatch('json')))).toMatchObject({
      code: 'HTTP_NETWORK',
      retryable: true,
    });
    expect(receiver.batches).toHaveLength(0);
    await deliver(makeBatch('json'));
    expect(receiver.records()).toHaveLength(3);
  });

  it('treats a wrong path as a configuration error, not as refused content', async () => {
    const { receiver } = await setup();
    const harness = createPluginHarness(webhookSinkPlugin, {
      config: { url: `${receiver.url}/nope`, signingSecret, authHeader: { value: token } },
    });
    const session = await harness.run((ctx) => webhookSink.open(ctx));
    const error = await failure(session.deliver(makeBatch('json'), new AbortController().signal));
    expect(error).toMatchObject({ code: 'HTTP_ERROR', retryable: false, kind: 'config' });
    expect(receiver.batches).toHaveLength(0);
  });

  it('declares its limits and formats', () => {
    const config = webhookSinkPlugin.validate({ url: 'https://x.example/in', maxBatchItems: 50 });
    expect(config.ok).toBe(true);
    if (config.ok)
      expect(webhookSink.limits(config.config)).toEqual({
        maxBatchItems: 50,
        maxBatchBytes: 1_048_576,
      });
    expect(webhookSink.formats).toEqual(['json', 'cef', 'leef', 'syslog']);
    const bad = webhookSinkPlugin.validate({
      url: 'https://x.example/in',
      headers: { 'X-A': 'a\r\nX-Injected: 1' },
    });
    expect(bad.ok).toBe(false);
  });
});

describe('webhook signature', () => {
  const body = Buffer.from('[{"a":"b|c=d\\n"}]');
  it('verifies its own signature, refuses tampering, stale times and other keys, accepts rotation', () => {
    const header = signWebhookBody('key-one-123456', body, 1_767_225_600);
    expect(header).toMatch(/^t=1767225600,v1=[0-9a-f]{64}$/);
    const now = { nowSeconds: 1_767_225_700 };
    expect(verifyWebhookSignature('key-one-123456', header, body, now)).toBe(true);
    expect(verifyWebhookSignature('key-one-123456', header, Buffer.from('[{"a":"x"}]'), now)).toBe(false);
    expect(verifyWebhookSignature('key-two-123456', header, body, now)).toBe(false);
    expect(verifyWebhookSignature('key-one-123456', header, body, { nowSeconds: 1_767_226_000 })).toBe(false);
    expect(verifyWebhookSignature('key-one-123456', undefined, body, now)).toBe(false);
    const rotated = `${signWebhookBody('key-two-123456', body, 1_767_225_600)},${header.split(',')[1]}`;
    expect(verifyWebhookSignature('key-one-123456', rotated, body, now)).toBe(true);
  });
});
