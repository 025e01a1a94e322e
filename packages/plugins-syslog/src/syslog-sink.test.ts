import { createServer, type Socket } from 'node:net';
import { CeError, FakeClock, type LogBatch, type LogFormat, systemClock } from '@ce/core';
import { createPluginHarness } from '@ce/plugin-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestPki, hasOpenssl } from './__fixtures__/test-pki.js';
import { reconnectDelay } from './syslog-connection.js';
import { syslogPlugin } from './syslog-plugin.js';
import { type SyslogReceiver, startSyslogReceiver } from './syslog-receiver.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let batchNumber = 0;
function batch(payloads: string[], format: LogFormat = 'syslog'): LogBatch {
  const id = `b${++batchNumber}`;
  return {
    id,
    format,
    items: payloads.map((payload, i) => ({ id: `${id}:${i}`, stream: 'events/page', payload, record: {} })),
  };
}

async function receiver(options: Parameters<typeof startSyslogReceiver>[0]): Promise<SyslogReceiver> {
  const started = await startSyslogReceiver(options);
  cleanups.push(() => started.close());
  return started;
}

function open(config: Record<string, unknown>, clock = systemClock) {
  const harness = createPluginHarness(syslogPlugin, { config, clock });
  cleanups.push(() => harness.close());
  const sink = syslogPlugin.cls?.sink;
  if (!sink) throw new Error('no sink');
  return harness.run(async (context) => {
    const session = await sink.open(context);
    cleanups.push(() => session.close());
    return { session, harness };
  });
}

const signal = () => new AbortController().signal;

async function rejection(promise: Promise<unknown>): Promise<CeError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!CeError.isInstance(error)) throw new Error(`expected a CeError, got ${String(error)}`);
  return error;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

describe('configuration', () => {
  it('defaults the port per transport and refuses inconsistent settings', () => {
    expect(syslogPlugin.validate({ host: 'h', transport: 'tls' })).toMatchObject({ ok: true });
    expect(syslogPlugin.validate({ host: 'h', transport: 'udp', tls: {} })).toMatchObject({ ok: false });
    expect(
      syslogPlugin.validate({ host: 'h', transport: 'tls', tls: { cert: '-----BEGIN CERTIFICATE-----' } }),
    ).toMatchObject({ ok: false });
    expect(syslogPlugin.validate({ host: 'h', transport: 'tcp', maxMessageBytes: 100 })).toMatchObject({
      ok: false,
    });
    expect(
      syslogPlugin.validate({ host: 'h', transport: 'tcp', header: { hostname: 'has space' } }),
    ).toMatchObject({ ok: false });
  });
});

describe('reconnectDelay', () => {
  it('doubles up to the ceiling and jitters within its upper half', () => {
    expect([1, 2, 3, 4, 10].map((n) => reconnectDelay(n, 500, 30_000, () => 1))).toEqual([
      500, 1_000, 2_000, 4_000, 30_000,
    ]);
    expect([1, 2, 3, 10].map((n) => reconnectDelay(n, 500, 30_000, () => 0))).toEqual([
      250, 500, 1_000, 15_000,
    ]);
  });
});

describe('TCP', () => {
  it('writes octet-counted frames whose counts are byte lengths', async () => {
    const raw: Buffer[] = [];
    const server = createServer((socket) => socket.on('data', (chunk) => raw.push(chunk)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const { session } = await open({ host: '127.0.0.1', port, transport: 'tcp' });
    await session.deliver(batch(['<13>1 - - - - - - é', 'a\nb']), signal());
    await session.close();
    await expect.poll(() => Buffer.concat(raw).toString()).toBe('20 <13>1 - - - - - - é3 a\nb');
  });

  it('escapes line breaks under newline framing so a payload cannot forge a second message', async () => {
    const target = await receiver({ transport: 'tcp', framing: 'newline' });
    const { session } = await open({
      host: target.host,
      port: target.port,
      transport: 'tcp',
      framing: 'newline',
    });
    await session.deliver(
      batch(['real\n<13>1 2026-01-01T00:00:00Z forged app - - - fake', 'next']),
      signal(),
    );
    expect(await target.waitFor(2)).toEqual([
      'real\\n<13>1 2026-01-01T00:00:00Z forged app - - - fake',
      'next',
    ]);
  });

  it('waits for drain while the receiver does not read, and delivers everything once it does', async () => {
    const sockets: Socket[] = [];
    let bytes = 0;
    const server = createServer((socket) => {
      sockets.push(socket);
      socket.pause();
      socket.on('data', (chunk) => {
        bytes += chunk.length;
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const { session } = await open({ host: '127.0.0.1', port, transport: 'tcp' });
    // 26 MB: far more than the kernel's socket buffers hold, so the write must wait for drain.
    const payload = 'x'.repeat(64 * 1024);
    const delivered = session.deliver(batch(Array.from({ length: 400 }, () => payload)), signal());
    let settled = false;
    void delivered.finally(() => {
      settled = true;
    });
    await expect.poll(() => sockets.length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    sockets[0]?.resume();
    await delivered;
    await expect.poll(() => bytes, { timeout: 10_000 }).toBe(400 * (payload.length + '65536 '.length));
  });

  it('fails with a retryable NETWORK_FAILED when nothing listens, and backs off before the next attempt', async () => {
    const port = await freePort();
    const clock = new FakeClock();
    const { session, harness } = await open(
      { host: '127.0.0.1', port, transport: 'tcp', reconnectInitialDelayMs: 1_000 },
      clock,
    );
    const first = await rejection(session.deliver(batch(['a']), signal()));
    expect(first).toMatchObject({ code: 'NETWORK_FAILED', retryable: true, kind: 'transient' });
    // The second attempt waits for the backoff (500 to 1,000 ms on the fake clock) before it connects.
    const target = await startSyslogReceiver({ transport: 'tcp', port });
    cleanups.push(() => target.close());
    const second = session.deliver(batch(['b']), signal());
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(target.connections).toBe(0);
    await clock.advance(1_000);
    await second;
    expect(await target.waitFor(1)).toEqual(['b']);
    expect(harness.logs.some((log) => log.message === 'syslog receiver unreachable')).toBe(true);
  });

  it('reconnects after the receiver restarts, and delivers every record at least once', async () => {
    const first = await startSyslogReceiver({ transport: 'tcp' });
    const port = first.port;
    const { session } = await open({ host: '127.0.0.1', port, transport: 'tcp', reconnectInitialDelayMs: 0 });
    await session.deliver(batch(['before restart']), signal());
    expect(await first.waitFor(1)).toEqual(['before restart']);
    first.dropConnections();
    await first.close();
    const second = await receiver({ transport: 'tcp', port });
    const pending = batch(['after restart 1', 'after restart 2']);
    const errors: CeError[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await session.deliver(pending, signal());
        break;
      } catch (error) {
        if (!CeError.isInstance(error)) throw error;
        errors.push(error);
      }
    }
    for (const error of errors) expect(error).toMatchObject({ code: 'NETWORK_FAILED', retryable: true });
    const received = await second.waitFor(2);
    expect(received.slice(-2)).toEqual(['after restart 1', 'after restart 2']);
  });

  it('refuses records over maxMessageBytes when told to, and delivers the others', async () => {
    const target = await receiver({ transport: 'tcp' });
    const { session } = await open({
      host: target.host,
      port: target.port,
      transport: 'tcp',
      maxMessageBytes: 480,
      oversize: 'reject',
    });
    const result = await session.deliver(batch(['small', 'y'.repeat(481), '', 'last']), signal());
    expect(result.rejected).toEqual([
      { index: 1, reason: 'message of 481 bytes exceeds maxMessageBytes (480)' },
      { index: 2, reason: 'empty message' },
    ]);
    expect(await target.waitFor(2)).toEqual(['small', 'last']);
  });

  it('rejects an aborted delivery with ABORTED and closes idempotently', async () => {
    const target = await receiver({ transport: 'tcp' });
    const { session } = await open({ host: target.host, port: target.port, transport: 'tcp' });
    const controller = new AbortController();
    controller.abort();
    expect(await rejection(session.deliver(batch(['x']), controller.signal))).toMatchObject({
      code: 'ABORTED',
    });
    await Promise.all([session.close(), session.close()]);
    expect(await rejection(session.deliver(batch(['y']), signal()))).toMatchObject({ code: 'ABORTED' });
  });

  it('check connects to the receiver, and reports a refused connection as retryable', async () => {
    const target = await receiver({ transport: 'tcp' });
    const ok = createPluginHarness(syslogPlugin, {
      config: { host: target.host, port: target.port, transport: 'tcp' },
      clock: systemClock,
    });
    expect(await ok.check()).toEqual({ ok: true, message: `connected to 127.0.0.1:${target.port} over TCP` });
    const down = createPluginHarness(syslogPlugin, {
      config: { host: '127.0.0.1', port: await freePort(), transport: 'tcp' },
      clock: systemClock,
    });
    expect(await down.check()).toMatchObject({ ok: false, retryable: true });
  });
});

describe('UDP', () => {
  it('sends one datagram per message, cut at a character boundary to maxMessageBytes', async () => {
    const target = await receiver({ transport: 'udp' });
    const { session } = await open({
      host: target.host,
      port: target.port,
      transport: 'udp',
      maxMessageBytes: 480,
    });
    const long = `${'a'.repeat(479)}é and more`;
    await session.deliver(batch(['first\nline', long]), signal());
    const [first, second] = await target.waitFor(2);
    expect(first).toBe('first\nline');
    expect(second).toBe('a'.repeat(479));
  });
});

describe.skipIf(!hasOpenssl())('TLS', () => {
  const pki = hasOpenssl() ? createTestPki() : undefined;
  if (!hasOpenssl()) console.warn('openssl not found: the syslog TLS tests are skipped');
  afterEach(() => undefined);
  const credentials = () => {
    if (!pki) throw new Error('no PKI');
    return pki;
  };
  const tlsReceiver = (requestCert: boolean) =>
    receiver({
      transport: 'tls',
      tls: {
        key: credentials().server.key,
        cert: credentials().server.cert,
        ca: credentials().ca.cert,
        requestCert,
        rejectUnauthorized: requestCert,
      },
    });

  it('verifies the receiver against the configured CA and authenticates with a client certificate', async () => {
    const target = await tlsReceiver(true);
    const { session } = await open({
      host: '127.0.0.1',
      port: target.port,
      transport: 'tls',
      tls: { ca: credentials().ca.cert, cert: credentials().client.cert, key: credentials().client.key },
    });
    await session.deliver(batch(['over tls é']), signal());
    expect(await target.waitFor(1)).toEqual(['over tls é']);
  });

  it('fails with a non-retryable TLS_FAILED when the receiver certificate does not verify', async () => {
    const target = await tlsReceiver(false);
    const { session } = await open({
      host: '127.0.0.1',
      port: target.port,
      transport: 'tls',
      tls: { ca: credentials().otherCa.cert },
    });
    const error = await rejection(session.deliver(batch(['never sent']), signal()));
    expect(error).toMatchObject({ code: 'TLS_FAILED', retryable: false, kind: 'config' });
    expect(target.messages).toEqual([]);
  });

  it('fails with TLS_FAILED when the certificate names another host', async () => {
    const target = await tlsReceiver(false);
    const { session } = await open({
      host: '127.0.0.1',
      port: target.port,
      transport: 'tls',
      tls: { ca: credentials().ca.cert, servername: 'siem.example.com' },
    });
    expect(await rejection(session.deliver(batch(['x']), signal()))).toMatchObject({ code: 'TLS_FAILED' });
  });

  it.each(['TLSv1.2', 'TLSv1.3'] as const)(
    'fails with TLS_FAILED, and does not report the batch delivered, when the receiver refuses a client without a certificate (%s)',
    async (version) => {
      const target = await receiver({
        transport: 'tls',
        tls: {
          key: credentials().server.key,
          cert: credentials().server.cert,
          ca: credentials().ca.cert,
          requestCert: true,
          rejectUnauthorized: true,
          minVersion: version,
          maxVersion: version,
        },
      });
      const { session } = await open({
        host: '127.0.0.1',
        port: target.port,
        transport: 'tls',
        tls: { ca: credentials().ca.cert },
      });
      expect(await rejection(session.deliver(batch(['refused']), signal()))).toMatchObject({
        code: 'TLS_FAILED',
        retryable: false,
      });
      expect(target.messages).toEqual([]);
    },
  );

  it('reports a key that is not PEM as a configuration error', async () => {
    const target = await tlsReceiver(false);
    const { session } = await open({
      host: '127.0.0.1',
      port: target.port,
      transport: 'tls',
      tls: { ca: credentials().ca.cert, cert: credentials().client.cert, key: 'not a key at all' },
    });
    expect(await rejection(session.deliver(batch(['x']), signal()))).toMatchObject({
      code: 'CONFIG_INVALID',
      retryable: false,
    });
  });
});
