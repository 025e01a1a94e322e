import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createMockServer, type MockServer } from '../../../plugin-kit/src/mock-server.js';
import { CeError } from '../errors/ce-error.js';
import { HttpError } from '../errors/http-error.js';
import type { LogFields, Logger } from '../logging/logger.js';
import { type Clock, FakeClock } from '../time/clock.js';
import { buildUserAgent, createHttpClient, type HttpClient, type HttpClientOptions } from './http-client.js';
import { sdkVersion } from './version.js';

const epoch = Date.parse('2026-01-01T00:00:00Z');

/** A clock that never really waits: it records each sleep and returns at once. */
function recordingClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => epoch,
    async sleep(ms, signal) {
      signal?.throwIfAborted();
      sleeps.push(ms);
    },
    setTimer(_ms, callback) {
      const handle = setTimeout(callback, 0);
      return () => clearTimeout(handle);
    },
  };
}

/** A logger that keeps records exactly as the client wrote them, before any redaction. */
function rawLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const write = (message: string, fields?: LogFields): void => {
    lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
  };
  const logger = {
    lines,
    trace: write,
    debug: write,
    info: write,
    warn: write,
    error: write,
    fatal: write,
    child: () => logger,
  };
  return logger;
}

async function until(predicate: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function failure(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    expect(HttpError.isInstance(error)).toBe(true);
    return error as HttpError;
  }
  throw new Error('expected the request to fail');
}

let server: MockServer;
let clock: ReturnType<typeof recordingClock>;
const clients: HttpClient[] = [];

function client(options: HttpClientOptions = {}): HttpClient {
  const created = createHttpClient({ baseUrl: `${server.url}/api`, clock, ...options });
  clients.push(created);
  return created;
}

beforeEach(async () => {
  server = await createMockServer();
  clock = recordingClock();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server.close();
});

describe('createHttpClient: requests and responses', () => {
  it('sends query, headers and JSON, and returns status, headers and the parsed body', async () => {
    server.route('POST', '/api/items/:id', (req) => ({
      status: 201,
      headers: { link: '<https://next>; rel="next"', 'X-RateLimit-Remaining': '9' },
      json: {
        id: req.params.id,
        tags: req.searchParams.getAll('tag'),
        body: req.json(),
        h: req.headers['x-one'],
      },
    }));
    const http = client({ headers: { 'X-One': 'default', 'X-Two': 'two' } });
    const response = await http.post('items/7', {
      query: { tag: ['a', 'b'], skip: undefined, n: 3 },
      headers: { 'x-one': 'override' },
      json: { name: 'x' },
    });
    expect(response.status).toBe(201);
    expect(response.attempts).toBe(1);
    expect(response.body).toEqual({ id: '7', tags: ['a', 'b'], body: { name: 'x' }, h: 'override' });
    expect(response.headers.link).toBe('<https://next>; rel="next"');
    expect(response.headers['x-ratelimit-remaining']).toBe('9');
    expect(response.url).toBe(`${server.url}/api/items/7?tag=a&tag=b&n=3`);
    expect(server.requests[0]?.headers).toMatchObject({
      'content-type': 'application/json',
      'x-two': 'two',
      accept: 'application/json',
    });
  });

  it('validates the response with a schema and names the failing field', async () => {
    server.route('GET', '/api/items', () => ({ json: { items: [{ id: 'a' }, { id: 2 }] } }));
    const schema = z.object({ items: z.array(z.object({ id: z.string() })) });
    const http = client();
    await expect(
      http.get('/items', { schema: z.object({ items: z.array(z.unknown()) }) }),
    ).resolves.toMatchObject({
      body: { items: [{ id: 'a' }, { id: 2 }] },
    });
    const error = await failure(http.get('/items', { schema }));
    expect(error.code).toBe('HTTP_RESPONSE_INVALID');
    expect(error.message).toContain('items[1].id');
    expect(error.details.issues).toEqual([expect.objectContaining({ path: 'items[1].id' })]);
    expect(server.requests).toHaveLength(2);
  });

  it('reads text and buffers, and fails on invalid JSON', async () => {
    server.route('GET', '/api/text', () => ({ body: 'plain words' }));
    const http = client();
    const text = await http.get('/text', { responseType: 'text' });
    expect(text.body).toBe('plain words');
    const buffer = await http.get('/text', { responseType: 'buffer' });
    expect(Buffer.isBuffer(buffer.body) && buffer.body.toString()).toBe('plain words');
    expect((await failure(http.get('/text'))).code).toBe('HTTP_RESPONSE_INVALID');
  });

  it('accepts absolute URLs and expected non-2xx statuses', async () => {
    server.route('GET', '/other', () => ({ status: 404, json: { missing: true } }));
    const http = client();
    const response = await http.get(`${server.url}/other`, { expectStatus: [200, 404] });
    expect(response).toMatchObject({ status: 404, body: { missing: true } });
  });

  it('sends the plugin user agent', async () => {
    server.route('GET', '/api/ua', () => ({ json: {} }));
    await client({ userAgent: { pluginId: 'netskope', pluginVersion: '1.2.3' } }).get('/ua');
    await client({ plugin: { id: 'jira', version: '2.0.0' } }).get('/ua');
    await client({ userAgent: 'custom/9' }).get('/ua');
    expect(server.requests.map((r) => r.headers['user-agent'])).toEqual([
      `cloud-exchange-sdk/${sdkVersion} plugin/netskope@1.2.3`,
      `cloud-exchange-sdk/${sdkVersion} plugin/jira@2.0.0`,
      'custom/9',
    ]);
    expect(buildUserAgent()).toBe(`cloud-exchange-sdk/${sdkVersion}`);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(sdkVersion).toBe(pkg.version);
  });

  it('decompresses gzip, deflate and br responses', async () => {
    const payload = { words: 'compressible '.repeat(200) };
    for (const compress of ['gzip', 'deflate', 'br'] as const) {
      server.route('GET', `/api/${compress}`, () => ({ json: payload, compress }));
      const response = await client().get(`/${compress}`);
      expect(response.body).toEqual(payload);
    }
    expect(server.requests[0]?.headers['accept-encoding']).toContain('gzip');
  });

  it('types the body from the schema or the response type', async () => {
    server.route('GET', '/api/t', () => ({ json: { n: 1 } }));
    const http = client();
    const parsed = await http.get('/t', { schema: z.object({ n: z.number() }) });
    expectTypeOf(parsed.body).toEqualTypeOf<{ n: number }>();
    expect(parsed.body.n).toBe(1);
    expectTypeOf((await http.get('/t', { responseType: 'text' })).body).toEqualTypeOf<string>();
    expectTypeOf((await http.request({ path: '/t', responseType: 'buffer' })).body).toEqualTypeOf<Buffer>();
    expectTypeOf((await http.get('/t')).body).toEqualTypeOf<unknown>();
  });

  it('rejects invalid options with a configuration error', () => {
    expect(() => createHttpClient({ baseUrl: 'not a url' })).toThrow(/baseUrl/);
    expect(() => createHttpClient({ retry: { maxAttempts: 0 } })).toThrow(CeError);
  });
});

describe('createHttpClient: retries', () => {
  it('retries 503 with backoff, then succeeds', async () => {
    server.route('GET', '/api/x', () => ({ json: { ok: true } }));
    server.failNext(2, 503);
    const response = await client({ retry: { baseDelayMs: 100, jitter: false } }).get('/x');
    expect(response).toMatchObject({ status: 200, attempts: 3, body: { ok: true } });
    expect(server.requests).toHaveLength(3);
    expect(clock.sleeps).toEqual([100, 200]);
  });

  it('gives up after maxAttempts with the last status', async () => {
    server.failNext(10, 502);
    const error = await failure(client({ retry: { maxAttempts: 3 } }).get('/x'));
    expect(error).toMatchObject({ code: 'HTTP_ERROR', status: 502, attempts: 3, retryable: true });
    expect(server.requests).toHaveLength(3);
  });

  it('honours Retry-After in seconds', async () => {
    server.route('GET', '/api/x', () => ({ json: {} }));
    server.failNext(1, { status: 429, headers: { 'retry-after': '3' } });
    const response = await client().get('/x');
    expect(response.attempts).toBe(2);
    expect(clock.sleeps).toEqual([3_000]);
  });

  it('honours Retry-After as an HTTP-date', async () => {
    server.route('GET', '/api/x', () => ({ json: {} }));
    server.failNext(1, { status: 503, headers: { 'retry-after': new Date(epoch + 5_000).toUTCString() } });
    await client().get('/x');
    expect(clock.sleeps).toEqual([5_000]);
  });

  it('fails with HTTP_RATE_LIMITED at once when Retry-After exceeds the ceiling', async () => {
    server.failNext(1, { status: 429, headers: { 'retry-after': '3600' }, json: { error: 'slow down' } });
    const error = await failure(client({ retry: { maxRetryAfterMs: 60_000 } }).get('/x'));
    expect(error).toMatchObject({ code: 'HTTP_RATE_LIMITED', status: 429, attempts: 1 });
    expect(error.details.retryAfterMs).toBe(3_600_000);
    expect(clock.sleeps).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    [400, 'HTTP_ERROR'],
    [401, 'HTTP_AUTH_FAILED'],
    [403, 'HTTP_AUTH_FAILED'],
    [404, 'HTTP_ERROR'],
    [422, 'HTTP_ERROR'],
  ])('never retries %i', async (status, code) => {
    server.failNext(1, status);
    const error = await failure(client().get('/x'));
    expect(error).toMatchObject({ code, status, attempts: 1, retryable: false });
    expect(error.body).toContain('injected');
    expect(server.requests).toHaveLength(1);
  });

  it('retries POST only when the server says it did not act, or when marked idempotent', async () => {
    server.route('POST', '/api/tickets', () => ({ status: 201, json: { id: 1 } }));
    const http = client();
    server.failNext(1, 500);
    expect(await failure(http.post('/tickets', { json: {} }))).toMatchObject({ status: 500, attempts: 1 });
    server.failNext(1, 'reset');
    expect(await failure(http.post('/tickets', { json: {} }))).toMatchObject({
      code: 'HTTP_NETWORK',
      attempts: 1,
    });
    server.failNext(1, { status: 503, headers: { 'retry-after': '1' } });
    expect(await http.post('/tickets', { json: {} })).toMatchObject({ status: 201, attempts: 2 });
    server.failNext(1, 500);
    expect(await http.post('/tickets', { json: {}, idempotent: true })).toMatchObject({ attempts: 2 });
  });

  it('retries a connection reset', async () => {
    server.route('GET', '/api/x', () => ({ json: { ok: 1 } }));
    server.failNext(2, 'reset');
    const response = await client().get('/x');
    expect(response.attempts).toBe(3);
    server.failNext(5, 'reset');
    const error = await failure(client({ retry: { maxAttempts: 2 } }).get('/x'));
    expect(error).toMatchObject({ code: 'HTTP_NETWORK', attempts: 2, retryable: true });
  });

  it('reports a refused connection as HTTP_NETWORK after retrying', async () => {
    const port = server.port;
    await server.close();
    server = await createMockServer();
    const http = createHttpClient({ baseUrl: `http://127.0.0.1:${port}`, clock });
    clients.push(http);
    const error = await failure(http.post('/x', { json: {} }));
    expect(error).toMatchObject({ code: 'HTTP_NETWORK', attempts: 4 });
    expect(error.details.cause).toBe('ECONNREFUSED');
  });

  it('times out a slow response with HTTP_TIMEOUT', async () => {
    server.route('GET', '/api/slow', () => ({ json: {}, delayMs: 400 }));
    const error = await failure(client({ timeoutMs: 50, retry: false }).get('/slow'));
    expect(error).toMatchObject({ code: 'HTTP_TIMEOUT', attempts: 1, retryable: true });
  });

  it('a per-request retry override wins', async () => {
    server.failNext(3, 503);
    const error = await failure(client().get('/x', { retry: false }));
    expect(error.attempts).toBe(1);
  });
});

describe('createHttpClient: cancellation', () => {
  it('aborts during a backoff wait', async () => {
    const fake = new FakeClock(epoch);
    server.failNext(1, 503);
    const controller = new AbortController();
    const pending = failure(client({ clock: fake }).get('/x', { signal: controller.signal }));
    await until(() => fake.pendingTimers > 0);
    controller.abort();
    const error = await pending;
    expect(error).toMatchObject({ code: 'ABORTED', attempts: 1 });
    expect(server.requests).toHaveLength(1);
  });

  it('aborts while waiting for a rate-limit token, and before starting', async () => {
    const fake = new FakeClock(epoch);
    server.route('GET', '/api/x', () => ({ json: {} }));
    const http = client({ clock: fake, rateLimit: { requestsPerSecond: 1 } });
    await http.get('/x');
    const controller = new AbortController();
    const pending = failure(http.get('/x', { signal: controller.signal }));
    await until(() => fake.pendingTimers > 0);
    controller.abort();
    expect((await pending).code).toBe('ABORTED');
    expect((await failure(http.get('/x', { signal: AbortSignal.abort() }))).code).toBe('ABORTED');
    expect(server.requests).toHaveLength(1);
  });

  it('aborts a request in flight', async () => {
    server.route('GET', '/api/slow', () => ({ json: {}, delayMs: 1_000 }));
    const controller = new AbortController();
    const pending = failure(client().get('/slow', { signal: controller.signal }));
    await until(() => server.inFlight > 0);
    controller.abort();
    expect((await pending).code).toBe('ABORTED');
  });
});

describe('createHttpClient: rate limit and concurrency', () => {
  it('spaces requests by the token bucket on the injected clock', async () => {
    const fake = new FakeClock(epoch);
    server.route('GET', '/api/x', () => ({ json: {} }));
    const http = client({ clock: fake, rateLimit: { requestsPerSecond: 2, burst: 1 } });
    const all = Promise.all([http.get('/x'), http.get('/x'), http.get('/x')]);
    await until(() => server.requests.length === 1);
    await fake.advance(499);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(server.requests).toHaveLength(1);
    await fake.advance(1);
    await until(() => server.requests.length === 2);
    await fake.advance(500);
    await all;
    expect(server.requests).toHaveLength(3);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    server.route('GET', '/api/x', () => ({ json: {}, delayMs: 40 }));
    const http = client({ concurrency: 2 });
    await Promise.all(Array.from({ length: 6 }, () => http.get('/x')));
    expect(server.requests).toHaveLength(6);
    expect(server.maxInFlight).toBe(2);
  });
});

describe('createHttpClient: response size limit', () => {
  it('aborts a response larger than maxResponseBytes', async () => {
    server.route('GET', '/api/big', () => ({ body: 'x'.repeat(5_000) }));
    server.route('GET', '/api/chunked', () => ({ json: { data: 'y'.repeat(5_000) }, compress: 'gzip' }));
    const http = client({ maxResponseBytes: 1_000 });
    const error = await failure(http.get('/big', { responseType: 'text' }));
    expect(error).toMatchObject({ code: 'HTTP_RESPONSE_TOO_LARGE', attempts: 1 });
    expect((await failure(http.get('/chunked'))).code).toBe('HTTP_RESPONSE_TOO_LARGE');
    const ok = await http.get('/big', { responseType: 'text', maxResponseBytes: 10_000 });
    expect(ok.body).toHaveLength(5_000);
  });

  it('stops a gzip bomb at the decompressed limit', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(200_000);
    server.route('GET', '/api/bomb', () => ({ body: bomb, headers: { 'content-encoding': 'gzip' } }));
    const error = await failure(
      client({ maxResponseBytes: 1024 * 1024 }).get('/bomb', { responseType: 'buffer' }),
    );
    expect(error.code).toBe('HTTP_RESPONSE_TOO_LARGE');
  });
});

describe('createHttpClient: streamed responses', () => {
  /** Collects a streamed body, or the error its iteration threw. */
  async function drain(body: AsyncIterable<Buffer>): Promise<{ bytes: Buffer; error?: HttpError }> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of body) chunks.push(chunk);
    } catch (error) {
      expect(HttpError.isInstance(error)).toBe(true);
      return { bytes: Buffer.concat(chunks), error: error as HttpError };
    }
    return { bytes: Buffer.concat(chunks) };
  }

  /** A server that writes `parts` chunks of `size` bytes with a pause between them. */
  async function chunkedServer(
    parts: number,
    size: number,
    gzip = false,
  ): Promise<{ url: string; close(): Promise<void> }> {
    const { createGzip } = await import('node:zlib');
    const raw = createServer((_request, response) => {
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      });
      const out = gzip ? createGzip() : response;
      if (gzip) (out as ReturnType<typeof createGzip>).pipe(response);
      let sent = 0;
      const next = (): void => {
        if (sent === parts || response.destroyed) {
          out.end();
          return;
        }
        out.write(Buffer.alloc(size, 97 + (sent % 26)));
        sent++;
        setTimeout(next, 2);
      };
      next();
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const { port } = raw.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}`,
      close: () => new Promise<void>((resolve) => raw.close(() => resolve())),
    };
  }

  it('hands over a large body chunk by chunk, decompressed, with status and headers', async () => {
    const plain = await chunkedServer(40, 64 * 1024);
    const zipped = await chunkedServer(40, 64 * 1024, true);
    try {
      const http = client();
      const response = await http.get(`${plain.url}/feed`, { responseType: 'stream' });
      expectTypeOf(response.body).toEqualTypeOf<AsyncIterable<Buffer>>();
      expect(response.status).toBe(200);
      const { bytes, error } = await drain(response.body);
      expect(error).toBeUndefined();
      expect(bytes.length).toBe(40 * 64 * 1024);
      expect(bytes[64 * 1024]).toBe(98);
      const unzipped = await drain((await http.get(`${zipped.url}/feed`, { responseType: 'stream' })).body);
      expect(unzipped.bytes.length).toBe(40 * 64 * 1024);
    } finally {
      await plain.close();
      await zipped.close();
    }
  });

  it('fails the iteration once the body passes maxResponseBytes, and refuses a declared oversize at once', async () => {
    const slow = await chunkedServer(20, 64 * 1024, true);
    server.route('GET', '/api/big', () => ({ body: 'x'.repeat(5_000) }));
    try {
      const http = client({ maxResponseBytes: 300 * 1024 });
      const response = await http.get(`${slow.url}/bomb`, { responseType: 'stream' });
      const { bytes, error } = await drain(response.body);
      expect(error).toMatchObject({ code: 'HTTP_RESPONSE_TOO_LARGE', status: 200 });
      expect(bytes.length).toBeLessThanOrEqual(300 * 1024);
      const declared = await failure(http.get('/big', { responseType: 'stream', maxResponseBytes: 1_000 }));
      expect(declared.code).toBe('HTTP_RESPONSE_TOO_LARGE');
    } finally {
      await slow.close();
    }
  });

  it('releases the connection when the reader stops early, and aborts a read in flight', async () => {
    const endless = await chunkedServer(100_000, 16 * 1024);
    try {
      const http = client({ concurrency: 1 });
      const first = await http.get(`${endless.url}/a`, { responseType: 'stream' });
      let seen = 0;
      for await (const chunk of first.body) {
        seen += chunk.length;
        if (seen > 100_000) break;
      }
      server.route('GET', '/api/after', () => ({ json: { ok: true } }));
      expect((await http.get('/after')).body).toEqual({ ok: true });
      const controller = new AbortController();
      const second = await http.get(`${endless.url}/b`, {
        responseType: 'stream',
        signal: controller.signal,
      });
      let read = 0;
      const result = await drain(
        (async function* () {
          for await (const chunk of second.body) {
            read += chunk.length;
            if (read > 50_000) controller.abort();
            yield chunk;
          }
        })(),
      );
      expect(result.error?.code).toBe('ABORTED');
    } finally {
      await endless.close();
    }
  });
});

describe('createHttpClient: secrets', () => {
  it('keeps tokens out of errors and logs', async () => {
    server.route('GET', '/api/secret', (req) => ({
      status: 401,
      json: { error: 'denied', echoedKey: req.headers['x-api-key'], echoedAuth: req.headers.authorization },
    }));
    const logger = rawLogger();
    const http = client({ logger, headers: { 'x-api-key': 'k3y-VALUE-998877' } });
    const error = await failure(
      http.get('/secret', {
        query: { token: 'query-SECRET-123', page: 2 },
        headers: { authorization: 'Bearer hdr-SECRET-456' },
      }),
    );
    expect(error.code).toBe('HTTP_AUTH_FAILED');
    const everything = [
      error.message,
      error.url,
      error.body ?? '',
      JSON.stringify(error.toJSON()),
      JSON.stringify(error.details),
      ...logger.lines,
    ].join('\n');
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(everything).toContain('page=2');
    for (const secret of ['query-SECRET-123', 'hdr-SECRET-456', 'k3y-VALUE-998877']) {
      expect(everything).not.toContain(secret);
    }
  });
});

describe('createHttpClient: proxy', () => {
  let proxy: Server;
  let proxyUrl: string;
  const connects: Array<{ target: string | undefined; auth: string | undefined }> = [];
  const sockets = new Set<Socket>();

  beforeEach(async () => {
    connects.length = 0;
    proxy = createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req, clientSocket: Socket, head: Buffer) => {
      connects.push({ target: req.url, auth: req.headers['proxy-authorization'] });
      const [host, port] = (req.url ?? '').split(':');
      if (host !== '127.0.0.1') {
        clientSocket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        return;
      }
      sockets.add(clientSocket);
      const upstream = connect(Number(port), host, () => {
        clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(clientSocket);
        clientSocket.pipe(upstream);
      });
      sockets.add(upstream);
      upstream.on('error', () => clientSocket.destroy());
      clientSocket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const address = proxy.address() as { port: number };
    proxyUrl = `http://proxyuser:proxy-PASS-789@127.0.0.1:${address.port}`;
  });

  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
  });

  it('tunnels requests through the proxy with its credentials', async () => {
    server.route('GET', '/api/x', () => ({ json: { via: 'proxy' } }));
    const http = client({ proxy: proxyUrl });
    expect((await http.get('/x')).body).toEqual({ via: 'proxy' });
    expect(connects).toEqual([
      {
        target: `127.0.0.1:${server.port}`,
        auth: `Basic ${Buffer.from('proxyuser:proxy-PASS-789').toString('base64')}`,
      },
    ]);
  });
});

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe('createHttpClient: TLS', () => {
  const name = 'trusts a custom CA and rejects an unknown certificate by default';
  it.skipIf(!hasOpenssl)(hasOpenssl ? name : `${name} (skipped: openssl is not installed)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ce-tls-'));
    let tlsServer: MockServer | undefined;
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
          '-days',
          '2',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1,DNS:localhost',
        ],
        { stdio: 'ignore' },
      );
      const key = readFileSync(join(dir, 'key.pem'), 'utf8');
      const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
      tlsServer = await createMockServer({ tls: { key, cert } });
      tlsServer.route('GET', '/secure', () => ({ json: { tls: true } }));
      const base = { baseUrl: tlsServer.url, clock };
      const untrusted = await failure(client(base).get('/secure'));
      expect(untrusted).toMatchObject({ code: 'HTTP_NETWORK', attempts: 1, retryable: false });
      expect((await client({ ...base, ca: cert }).get('/secure')).body).toEqual({ tls: true });
      expect((await client({ ...base, rejectUnauthorized: false }).get('/secure')).body).toEqual({
        tls: true,
      });
    } finally {
      await tlsServer?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('createHttpClient: lifecycle', () => {
  it('lets a request in flight finish on close and fails the queued ones', async () => {
    server.route('GET', '/api/slow', () => ({ json: { done: true }, delayMs: 50 }));
    const http = client({ concurrency: 1 });
    const first = http.get('/slow');
    const second = failure(http.get('/slow'));
    await until(() => server.inFlight > 0);
    await http.close();
    expect((await first).body).toEqual({ done: true });
    expect((await second).code).toBe('HTTP_NETWORK');
    expect(server.requests).toHaveLength(1);
  });

  it('refuses requests after close', async () => {
    const http = client();
    await http.close();
    expect((await failure(http.get('/x'))).code).toBe('HTTP_NETWORK');
  });
});
