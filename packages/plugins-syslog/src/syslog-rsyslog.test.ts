import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CeError, type LogBatch, type LogFormat, systemClock } from '@ce/core';
import { createPluginHarness } from '@ce/plugin-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, hasOpenssl, type TestPki } from './__fixtures__/test-pki.js';
import { syslogPlugin } from './syslog-plugin.js';

// A real rsyslogd (Debian package `rsyslog`, TLS through `rsyslog-gnutls`; .ci/run installs both)
// started per file with a generated configuration: plain imtcp and imtcp over TLS (gtls driver,
// client certificates required), writing each message's raw text, one per line, to a file.
const rsyslogd = '/usr/sbin/rsyslogd';
const gtlsDriver = [
  '/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so',
  '/usr/lib/aarch64-linux-gnu/rsyslog/lmnsd_gtls.so',
];
const available = existsSync(rsyslogd) && gtlsDriver.some((path) => existsSync(path)) && hasOpenssl();
if (!available)
  console.warn(
    `rsyslog tests skipped: need ${rsyslogd}, the gtls driver (apt-get install rsyslog rsyslog-gnutls) and openssl`,
  );

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

async function listening(port: number, deadline: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`rsyslogd is not listening on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const at = Date.parse('2026-05-06T07:08:09.010Z');
let batchNumber = 0;
function batch(payloads: string[], format: LogFormat = 'syslog'): LogBatch {
  const id = `rsyslog-${++batchNumber}`;
  return {
    id,
    format,
    items: payloads.map((payload, i) => ({
      id: `${id}:${i}`,
      stream: 'events/page',
      payload,
      record: {},
      timestamp: at,
    })),
  };
}

describe.skipIf(!available)('rsyslog receives what the sink sends', () => {
  let dir = '';
  let pki: TestPki;
  let child: ChildProcess | undefined;
  let stderr = '';
  let tcpPort = 0;
  let tlsPort = 0;
  const output = () => join(dir, 'received.log');
  const lines = (): string[] => {
    const text = existsSync(output()) ? readFileSync(output(), 'utf8') : '';
    return text === '' ? [] : text.replace(/\n$/, '').split('\n');
  };
  /** Waits until `count` lines were added after `before`, and returns them. */
  const added = async (before: number, count: number): Promise<string[]> => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const now = lines();
      if (now.length >= before + count) return now.slice(before);
      if (Date.now() > deadline)
        throw new Error(`rsyslog wrote ${now.length - before} of ${count} lines; stderr: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ce-rsyslog-'));
    pki = createTestPki();
    tcpPort = await freePort();
    tlsPort = await freePort();
    const config = join(dir, 'rsyslog.conf');
    writeFileSync(
      config,
      [
        `global(workDirectory="${dir}" maxMessageSize="64k")`,
        'module(load="imtcp" maxSessions="50")',
        'template(name="raw" type="string" string="%rawmsg%\\n")',
        `ruleset(name="out") { action(type="omfile" file="${output()}" template="raw") }`,
        `input(type="imtcp" address="127.0.0.1" port="${tcpPort}" ruleset="out")`,
        `input(type="imtcp" address="127.0.0.1" port="${tlsPort}" ruleset="out" streamDriver.name="gtls"` +
          ` streamDriver.mode="1" streamDriver.authMode="x509/certvalid" streamDriver.CAFile="${pki.ca.certPath}"` +
          ` streamDriver.CertFile="${pki.server.certPath}" streamDriver.KeyFile="${pki.server.keyPath}")`,
        '',
      ].join('\n'),
    );
    child = spawn(rsyslogd, ['-n', '-f', config, '-i', join(dir, 'rsyslogd.pid')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const deadline = Date.now() + 10_000;
    await listening(tcpPort, deadline);
    await listening(tlsPort, deadline);
  }, 20_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    pki?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const deliver = async (config: Record<string, unknown>, batches: LogBatch[]) => {
    const harness = createPluginHarness(syslogPlugin, { config, clock: systemClock });
    const session = await harness.run((context) => {
      const sink = syslogPlugin.cls?.sink;
      if (!sink) throw new Error('no sink');
      return sink.open(context);
    });
    try {
      for (const each of batches) await session.deliver(each, new AbortController().signal);
    } finally {
      await session.close();
      await harness.close();
    }
  };

  const cef = 'CEF:0|Netskope|NSC|1.0|page|Page \\| visit|3|src=192.0.2.1 msg=a\\=b suser=jürgen@example.com';
  const header = '<14>1 2026-05-06T07:08:09.010Z ce-test cloud-exchange - - - ';

  it('over TCP with octet counting: syslog messages as they are, CEF under the sink header', async () => {
    const before = lines().length;
    await deliver({ host: '127.0.0.1', port: tcpPort, transport: 'tcp', header: { hostname: 'ce-test' } }, [
      batch([
        '<13>1 2026-05-06T07:08:09Z host app 42 ID7 - plain message',
        '<13>1 - host app - - - two\nlines',
      ]),
      batch([cef], 'cef'),
    ]);
    // rsyslog escapes a control character it receives as #ooo (EscapeControlCharactersOnReceive).
    expect(await added(before, 3)).toEqual([
      '<13>1 2026-05-06T07:08:09Z host app 42 ID7 - plain message',
      '<13>1 - host app - - - two#012lines',
      `${header}${cef}`,
    ]);
  });

  it('over TCP with newline framing: a line break cannot start a forged message', async () => {
    const before = lines().length;
    await deliver(
      {
        host: '127.0.0.1',
        port: tcpPort,
        transport: 'tcp',
        framing: 'newline',
        header: { hostname: 'ce-test' },
      },
      [batch(['{"user":"a\nb"}', `{"x":"y"}\n<13>1 - forged app - - - injected`], 'json')],
    );
    expect(await added(before, 2)).toEqual([
      `${header}{"user":"a\\nb"}`,
      `${header}{"x":"y"}\\n<13>1 - forged app - - - injected`,
    ]);
  });

  it('over TLS with a client certificate, many records in order', async () => {
    const before = lines().length;
    const payloads = Array.from({ length: 500 }, (_, i) => `<134>1 - ce-test app - - - record ${i} é日本`);
    await deliver(
      {
        host: '127.0.0.1',
        port: tlsPort,
        transport: 'tls',
        tls: { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key, servername: 'localhost' },
      },
      [batch(payloads.slice(0, 250)), batch(payloads.slice(250))],
    );
    expect(await added(before, 500)).toEqual(payloads);
  });

  it('over TLS, refuses an rsyslog whose certificate another CA signed', async () => {
    const error = await deliver(
      {
        host: '127.0.0.1',
        port: tlsPort,
        transport: 'tls',
        tls: { ca: pki.otherCa.cert, cert: pki.client.cert, key: pki.client.key, servername: 'localhost' },
      },
      [batch(['<13>1 - h a - - - never'])],
    ).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(CeError.isInstance(error) && error.code).toBe('TLS_FAILED');
  });

  it('over TLS without a client certificate: rsyslog refuses, and the batch fails instead of vanishing', async () => {
    const before = lines().length;
    const error = await deliver(
      {
        host: '127.0.0.1',
        port: tlsPort,
        transport: 'tls',
        tls: { ca: pki.ca.cert, servername: 'localhost' },
      },
      [batch(['<13>1 - h a - - - refused'])],
    ).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(CeError.isInstance(error) && error.code).toBe('TLS_FAILED');
    // A later message on the plain port arrives alone: the refused one was never written.
    await deliver({ host: '127.0.0.1', port: tcpPort, transport: 'tcp' }, [
      batch(['<13>1 - h a - - - marker']),
    ]);
    expect(await added(before, 1)).toEqual(['<13>1 - h a - - - marker']);
  });
});
