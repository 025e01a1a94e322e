import { gunzipSync } from 'node:zlib';
import { CeError, FakeClock, type LogBatch } from '@ce/core';
import { createPluginHarness } from '@ce/plugin-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { makeBatch, trickyRecords } from './__fixtures__/batches.js';
import { type S3MockServer, type S3MockServerOptions, startS3MockServer } from './s3-mock-server.js';
import { parseS3Error, s3ObjectKey, s3Sink, s3SinkPlugin } from './s3-sink.js';

const accessKeyId = 'AKIDMOCKEXAMPLE01';
const secretAccessKey = 'mock/Secret+Access/Key0123456789abcdef';
const sessionToken = 'IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN';

let s3: S3MockServer | undefined;
afterEach(async () => {
  await s3?.close();
  s3 = undefined;
});

async function setup(config: Record<string, unknown> = {}, mock: Partial<S3MockServerOptions> = {}) {
  const clock = new FakeClock();
  s3 = await startS3MockServer({
    credentials: [
      { accessKeyId, secretAccessKey },
      { accessKeyId: 'ASIAMOCKTEMP0001', secretAccessKey, sessionToken },
    ],
    buckets: ['security-logs', 'read-only-logs'],
    readOnlyBuckets: ['read-only-logs'],
    clock,
    ...mock,
  });
  const harness = createPluginHarness(s3SinkPlugin, {
    clock,
    config: { bucket: 'security-logs', endpoint: s3.url, accessKeyId, secretAccessKey, ...config },
  });
  const session = await harness.run((ctx) => s3Sink.open(ctx));
  const deliver = (batch: LogBatch) => session.deliver(batch, new AbortController().signal);
  return { harness, deliver, s3, clock };
}

async function failure(promise: Promise<unknown>): Promise<CeError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!CeError.isInstance(error)) throw new Error(`expected a CeError, got ${String(error)}`);
  return error;
}

const lines = (body: Buffer | undefined) =>
  gunzipSync(body ?? Buffer.alloc(0))
    .toString('utf8')
    .split('\n');

describe('S3 sink', () => {
  it('puts one signed gzip NDJSON object per batch under a deterministic key', async () => {
    const { deliver, s3 } = await setup();
    const batch = makeBatch('json');
    expect(await deliver(batch)).toEqual({ rejected: [] });
    expect([...s3.objects.keys()]).toEqual([
      expect.stringMatching(
        /^security-logs\/ce-logs\/events\/page\/2026\/01\/01\/00\/events-page_1767225600_0-[0-9a-f]{12}\.ndjson\.gz$/,
      ),
    ]);
    const object = [...s3.objects.values()][0];
    expect(object?.headers['content-md5']).toMatch(/==$/);
    expect(object?.headers['content-type']).toBe('application/gzip');
    expect(object?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDMOCKEXAMPLE01\/20260101\/us-east-1\/s3\/aws4_request,/,
    );
    const text = lines(object?.body);
    expect(text.pop()).toBe('');
    expect(text.map((line) => JSON.parse(line))).toEqual(trickyRecords);
  });

  it('overwrites the same object when a batch is replayed', async () => {
    const { deliver, s3 } = await setup();
    const batch = makeBatch('json');
    await deliver(batch);
    await deliver(batch);
    expect(s3.objects.size).toBe(1);
    expect([...s3.objects.values()][0]?.writes).toBe(2);
  });

  it('signs the session token of temporary credentials and sends a SHA-256 checksum, CEF as JSON strings', async () => {
    const { deliver, s3 } = await setup({
      accessKeyId: 'ASIAMOCKTEMP0001',
      sessionToken,
      checksum: 'md5+sha256',
      envelope: true,
      storageClass: 'STANDARD_IA',
    });
    const batch = makeBatch('cef');
    await deliver(batch);
    const object = [...s3.objects.values()][0];
    expect(object?.headers['x-amz-checksum-sha256']).toMatch(/=$/);
    expect(object?.headers['x-amz-storage-class']).toBe('STANDARD_IA');
    const parsed = lines(object?.body)
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { event: string });
    expect(parsed.map((line) => line.event)).toEqual(batch.items.map((item) => item.payload));
  });

  it('stops on SignatureDoesNotMatch without showing the secret', async () => {
    const { deliver, harness } = await setup({ secretAccessKey: 'wrong/Secret+Key0000000000' });
    const error = await failure(deliver(makeBatch('json')));
    expect(error).toMatchObject({
      code: 'HTTP_AUTH_FAILED',
      retryable: false,
      details: { s3Code: 'SignatureDoesNotMatch' },
    });
    const visible = JSON.stringify([error.toJSON(), error.message, harness.logs]);
    expect(visible).not.toContain('wrong/Secret+Key0000000000');
    expect(visible).not.toContain(secretAccessKey);
  });

  it('retries SlowDown, stops on AccessDenied, NoSuchBucket, a wrong region and clock skew', async () => {
    const first = await setup();
    first.s3.slowDown(1);
    expect(await failure(first.deliver(makeBatch('json')))).toMatchObject({
      code: 'HTTP_ERROR',
      retryable: true,
      details: { s3Code: 'SlowDown' },
    });
    await first.s3.close();
    const readOnly = await setup({ bucket: 'read-only-logs' });
    expect(await failure(readOnly.deliver(makeBatch('json')))).toMatchObject({
      code: 'HTTP_AUTH_FAILED',
      details: { s3Code: 'AccessDenied' },
    });
    await readOnly.s3.close();
    const missing = await setup({ bucket: 'no-such-bucket' });
    expect(await failure(missing.deliver(makeBatch('json')))).toMatchObject({
      code: 'CONFIG_INVALID',
      retryable: false,
      details: { s3Code: 'NoSuchBucket' },
    });
    await missing.s3.close();
    const region = await setup({ region: 'eu-west-1' });
    expect(await failure(region.deliver(makeBatch('json')))).toMatchObject({
      code: 'CONFIG_INVALID',
      details: { s3Code: 'AuthorizationHeaderMalformed' },
    });
    await region.s3.close();
    const skewed = await setup();
    const late = new FakeClock(Date.parse('2026-01-01T01:00:00Z'));
    await skewed.s3.close();
    s3 = await startS3MockServer({
      credentials: [{ accessKeyId, secretAccessKey }],
      buckets: ['security-logs'],
      clock: late,
    });
    const harness = createPluginHarness(s3SinkPlugin, {
      clock: skewed.clock,
      config: { bucket: 'security-logs', endpoint: s3.url, accessKeyId, secretAccessKey },
    });
    const session = await harness.run((ctx) => s3Sink.open(ctx));
    expect(await failure(session.deliver(makeBatch('json'), new AbortController().signal))).toMatchObject({
      code: 'CONFIG_INVALID',
      details: { s3Code: 'RequestTimeTooSkewed' },
    });
  });

  it('checks the bucket with a signed HeadBucket', async () => {
    const good = await setup();
    expect(await good.harness.check()).toEqual({ ok: true, message: 'bucket security-logs is reachable' });
    const missing = createPluginHarness(s3SinkPlugin, {
      clock: good.clock,
      config: { bucket: 'absent-bucket', endpoint: good.s3.url, accessKeyId, secretAccessKey },
    });
    expect(await missing.check()).toMatchObject({ ok: false, message: 'S3: the bucket does not exist' });
  });
});

describe('S3 object keys and errors', () => {
  it('takes the earliest record time, keeps safe ids, hashes unsafe ones', () => {
    const batch = makeBatch('json', [...trickyRecords].reverse(), 'page-0001');
    expect(s3ObjectKey(batch, 'p', 0)).toBe('p/events/page/2026/01/01/00/page-0001.ndjson.gz');
    const unsafe = { ...batch, id: '../../etc/passwd' };
    const key = s3ObjectKey(unsafe, 'p', 0);
    expect(key).toMatch(/^p\/events\/page\/2026\/01\/01\/00\/_.{0,20}-[0-9a-f]{12}\.ndjson\.gz$/);
    expect(key.split('/')).not.toContain('..');
    expect(s3ObjectKey({ ...batch, id: '../../etc/passwd!' }, 'p', 0)).not.toBe(key);
    const noTime = { ...batch, items: batch.items.map(({ timestamp: _t, ...item }) => item) };
    expect(s3ObjectKey(noTime, '', Date.parse('2026-05-06T07:08:09Z'))).toBe(
      'events/page/2026/05/06/07/page-0001.ndjson.gz',
    );
  });

  it('reads the S3 XML error format', () => {
    expect(
      parseS3Error(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
      ),
    ).toEqual({ code: 'SlowDown', message: 'Please reduce your request rate.' });
    expect(parseS3Error('<html>bad gateway</html>')).toEqual({});
  });
});
