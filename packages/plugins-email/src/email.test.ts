import { createServer } from 'node:net';
import type { Alert, TicketCreateRequest, TicketDestinationCapability } from '@ce/core';
import { CeError, toCeError } from '@ce/core';
import { createPluginHarness, type PluginHarness } from '@ce/plugin-kit';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmailConfig } from './email-config.js';
import { emailDestination } from './email-destination.js';
import { headerSafe, messageIdLocalPart, parseAddressList, threadMessageId } from './email-message.js';
import { emailPlugin } from './email-plugin.js';
import { readMessage } from './mime-reader.js';
import { type SmtpTestServer, type SmtpTestServerOptions, startSmtpTestServer } from './smtp-test-server.js';

const destination = emailDestination as Required<TicketDestinationCapability<EmailConfig>>;
const password = 'S3cret-smtp-password!';

const alert = (id: string): Alert => ({
  id,
  sourceConfigId: 'netskope-prod',
  type: 'dlp',
  name: 'DLP policy violation',
  severity: 'high',
  user: 'alice@example.com',
  app: 'Box',
  timestamp: Date.parse('2026-03-01T10:00:00.000Z'),
  raw: {},
});

const createRequest = (key: string, extra: Partial<TicketCreateRequest> = {}): TicketCreateRequest => ({
  ticketId: `t-${key}`,
  idempotencyKey: key,
  target: {},
  fields: {
    subject: '[HIGH] DLP policy violation (alice@example.com)',
    body: 'Alert: DLP policy violation\nUser: alice@example.com',
  },
  severity: 'high',
  alerts: [alert('a1')],
  alertCount: 1,
  ...extra,
});

let smtp: SmtpTestServer | undefined;
let harness: PluginHarness<EmailConfig> | undefined;

async function start(config: Record<string, unknown> = {}, server: SmtpTestServerOptions = {}) {
  smtp = await startSmtpTestServer({ users: { 'ce-alerts': password }, ...server });
  harness = createPluginHarness(emailPlugin, {
    config: {
      host: smtp.host,
      port: smtp.port,
      ca: smtp.ca,
      servername: 'localhost',
      username: 'ce-alerts',
      password,
      from: 'ce-alerts@example.com',
      to: ['soc@example.com', 'oncall@example.com'],
      cc: ['audit@example.com'],
      ...config,
    },
  }) as PluginHarness<EmailConfig>;
  return { smtp, harness };
}

afterEach(async () => {
  await harness?.close();
  await smtp?.close();
  harness = undefined;
  smtp = undefined;
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (thrown: unknown) => {
      expect(CeError.isInstance(thrown)).toBe(true);
      return toCeError(thrown);
    },
  );

describe('email destination', () => {
  it('starts a thread over STARTTLS with a login, under a Message-ID derived from the key', async () => {
    const { smtp, harness } = await start();
    const remote = await harness.run((context) => destination.create(context, createRequest('ce-abc123')));
    expect(remote).toEqual({ remoteId: '<ce-abc123@example.com>' });
    const [message] = smtp.messages;
    expect(message).toMatchObject({
      secure: true,
      user: 'ce-alerts',
      messageId: '<ce-abc123@example.com>',
      subject: '[Cloud Exchange] [HIGH] DLP policy violation (alice@example.com)',
      inReplyTo: undefined,
      envelope: {
        from: 'ce-alerts@example.com',
        to: ['soc@example.com', 'oncall@example.com', 'audit@example.com'],
      },
    });
    expect(message?.headers.get('from')?.[0]).toBe('Cloud Exchange <ce-alerts@example.com>');
    expect(message?.headers.get('to')?.[0]).toBe('soc@example.com, oncall@example.com');
    expect(message?.headers.get('cc')?.[0]).toBe('audit@example.com');
    expect(message?.headers.get('auto-submitted')?.[0]).toBe('auto-generated');
    expect(message?.headers.get('x-ce-ticket-id')?.[0]).toBe('t-ce-abc123');
    expect(message?.text).toContain('User: alice@example.com');
    expect(message?.html).toContain('Alert: DLP policy violation<br>');
    expect(message?.html).toContain('User: alice@example.com');
  });

  it('replies in the thread for comments, reopen and resolve; a retried reply keeps its Message-ID', async () => {
    const { smtp, harness } = await start();
    const { remoteId } = await harness.run((context) =>
      destination.create(context, createRequest('ce-thread')),
    );
    const comment = {
      ticketId: 't-ce-thread',
      idempotencyKey: 'ce-thread',
      target: {},
      remoteId,
      kind: 'comment' as const,
      comment: 'Seen again: DLP policy violation by alice@example.com',
      severity: 'high' as const,
      dedupeCount: 1,
      alerts: [alert('a2')],
    };
    await harness.run((context) => destination.update(context, comment));
    await harness.run((context) => destination.update(context, comment));
    await harness.run((context) =>
      destination.update(context, {
        ...comment,
        kind: 'reopen',
        comment: 'Reopened: seen again',
        dedupeCount: 2,
      }),
    );
    await harness.run((context) =>
      destination.resolve(context, {
        ticketId: 't-ce-thread',
        idempotencyKey: 'ce-thread',
        target: {},
        remoteId,
        comment: 'Closed by the SOC',
      }),
    );
    const thread = smtp.thread(remoteId);
    expect(thread).toHaveLength(5);
    const replies = thread.slice(1);
    for (const reply of replies) {
      expect(reply.inReplyTo).toBe('<ce-thread@example.com>');
      expect(reply.references).toEqual(['<ce-thread@example.com>']);
      expect(reply.subject).toBe('Re: [Cloud Exchange] [HIGH] DLP policy violation (alice@example.com)');
      expect(reply.messageId).toMatch(/^<ce-thread\.[a-z]+\.[0-9a-f]{16}@example\.com>$/);
    }
    expect(replies[0]?.messageId).toBe(replies[1]?.messageId);
    expect(new Set(replies.map((reply) => reply.messageId)).size).toBe(3);
    expect(replies[0]?.text).toContain('Seen again: DLP policy violation by alice@example.com');
    expect(replies[2]?.text).toContain('Reopened: seen again');
    expect(replies[3]?.text).toContain('Closed by the SOC');
  });

  it('finds a thread it started, and nothing for a key it never sent', async () => {
    const { harness } = await start();
    await harness.run((context) => destination.create(context, createRequest('ce-found')));
    expect(
      await harness.run((context) => destination.find(context, { target: {}, idempotencyKey: 'ce-found' })),
    ).toEqual({
      remoteId: '<ce-found@example.com>',
    });
    expect(
      await harness.run((context) => destination.find(context, { target: {}, idempotencyKey: 'ce-other' })),
    ).toBeUndefined();
  });

  it('a resent create carries the same Message-ID', async () => {
    const { smtp, harness } = await start();
    await harness.run((context) => destination.create(context, createRequest('ce-again')));
    await harness.run((context) => destination.create(context, createRequest('ce-again')));
    expect(smtp.messages.map((message) => message.messageId)).toEqual([
      '<ce-again@example.com>',
      '<ce-again@example.com>',
    ]);
  });

  it('logs in with AUTH LOGIN when asked, and over implicit TLS', async () => {
    const { smtp, harness } = await start({ authMethod: 'LOGIN', security: 'tls' }, { security: 'tls' });
    await harness.run((context) => destination.create(context, createRequest('ce-login')));
    expect(smtp.messages[0]).toMatchObject({ authMethod: 'LOGIN', secure: true });
    expect(await harness.check()).toMatchObject({ ok: true });
  });

  it('sends to the queue target’s recipients instead of the configured ones', async () => {
    const { smtp, harness } = await start();
    await harness.run((context) =>
      destination.create(
        context,
        createRequest('ce-target', { target: { to: 'ir@example.com; legal@example.com' } }),
      ),
    );
    expect(smtp.messages[0]?.envelope.to).toEqual([
      'ir@example.com',
      'legal@example.com',
      'audit@example.com',
    ]);
  });

  it('flattens line breaks in an alert-made subject, so no header can be injected', async () => {
    const { smtp, harness } = await start();
    await harness.run((context) =>
      destination.create(
        context,
        createRequest('ce-inject', {
          fields: { subject: 'Policy hit\r\nBcc: attacker@evil.example\r\nX-Evil: 1', body: 'body' },
        }),
      ),
    );
    const [message] = smtp.messages;
    expect(message?.subject).toBe('[Cloud Exchange] Policy hit Bcc: attacker@evil.example X-Evil: 1');
    expect(message?.headers.has('bcc')).toBe(false);
    expect(message?.headers.has('x-evil')).toBe(false);
    expect(message?.envelope.to).not.toContain('attacker@evil.example');
  });

  it('refuses recipients with line breaks or that are not addresses', async () => {
    const { smtp, harness } = await start();
    const error = await failure(
      harness.run((context) =>
        destination.create(
          context,
          createRequest('ce-bad-target', { target: { to: 'soc@example.com\r\nBcc: x@evil.example' } }),
        ),
      ),
    );
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(smtp.messages).toHaveLength(0);
    expect(() => parseAddressList('Alice <alice@example.com>', 'to')).toThrow(/invalid recipients/);
    for (const bad of [
      { from: 'ce@example.com\r\nBcc: x@evil.example' },
      { subjectPrefix: '[CE]\r\nBcc: x@evil.example' },
      { fromName: 'CE\nX-Evil: 1' },
      { to: ['not-an-address'] },
      { username: 'only-user', password: undefined },
    ])
      expect(
        emailPlugin.validate({
          host: 'smtp.example.com',
          from: 'ce@example.com',
          to: ['soc@example.com'],
          ...bad,
        }).ok,
      ).toBe(false);
  });

  it('maps a refused login to a configuration error without the password', async () => {
    const { smtp, harness } = await start({ password: 'wrong-Password-123' });
    const error = await failure(
      harness.run((context) => destination.create(context, createRequest('ce-auth'))),
    );
    expect(error).toMatchObject({
      code: 'CONFIG_INVALID',
      retryable: false,
      details: { reason: 'auth', smtpCode: 535 },
    });
    const everything = `${error.message} ${JSON.stringify(error.toJSON())} ${JSON.stringify(harness.logs)}`;
    expect(everything).not.toContain('wrong-Password-123');
    expect(everything).not.toContain(Buffer.from('wrong-Password-123').toString('base64'));
    expect(smtp.failedLogins).toEqual(['ce-alerts']);
    const check = await harness.check();
    expect(check).toMatchObject({ ok: false, retryable: false });
    expect(JSON.stringify(check)).not.toContain('wrong-Password-123');
  });

  it('maps 5xx replies to permanent and 4xx replies to retryable failures', async () => {
    const { smtp, harness } = await start();
    const cases = [
      [{ code: 550, message: 'Mailbox unavailable', stage: 'rcpt' }, 'CONFIG_INVALID', false],
      [{ code: 553, message: 'Mailbox name not allowed', stage: 'mail' }, 'CONFIG_INVALID', false],
      [{ code: 554, message: 'Transaction failed' }, 'CONFIG_INVALID', false],
      [{ code: 421, message: 'Service not available', stage: 'mail' }, 'NETWORK_FAILED', true],
      [{ code: 450, message: 'Mailbox busy', stage: 'rcpt' }, 'NETWORK_FAILED', true],
      [{ code: 451, message: 'Local error in processing' }, 'NETWORK_FAILED', true],
      [{ code: 452, message: 'Insufficient system storage' }, 'NETWORK_FAILED', true],
    ] as const;
    for (const [fault, code, retryable] of cases) {
      smtp.failNext(fault);
      const error = await failure(
        harness.run((context) => destination.create(context, createRequest(`ce-fault-${fault.code}`))),
      );
      expect(error, `${fault.code}`).toMatchObject({ code, retryable, details: { smtpCode: fault.code } });
      expect(error.message).toContain(fault.message);
    }
    expect(smtp.messages).toHaveLength(0);
    await harness.run((context) => destination.create(context, createRequest('ce-after-faults')));
    expect(smtp.messages).toHaveLength(1);
  });

  it('refuses a message over the server’s size limit permanently', async () => {
    const { harness } = await start({}, { size: 2_048 });
    const error = await failure(
      harness.run((context) =>
        destination.create(
          context,
          createRequest('ce-big', { fields: { subject: 'big', body: 'x'.repeat(10_000) } }),
        ),
      ),
    );
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', retryable: false });
    expect(error.details.smtpCode).toBe(552);
  });

  it('fails retryably when nothing listens, and for good when the certificate is not trusted', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { harness } = await start({ port });
    const refused = await failure(
      harness.run((context) => destination.create(context, createRequest('ce-down'))),
    );
    expect(refused).toMatchObject({ code: 'NETWORK_FAILED', retryable: true });
    await harness.close();
    await smtp?.close();

    const untrusted = await start({ ca: undefined });
    const tls = await failure(
      untrusted.harness.run((context) => destination.create(context, createRequest('ce-tls'))),
    );
    expect(tls).toMatchObject({ code: 'TLS_FAILED', retryable: false });
    expect(untrusted.smtp.messages).toHaveLength(0);
  });

  it('refuses to send in cleartext when STARTTLS is required and the server does not offer it', async () => {
    const { smtp, harness } = await start(
      { username: undefined, password: undefined },
      { security: 'none', users: undefined },
    );
    const error = await failure(
      harness.run((context) => destination.create(context, createRequest('ce-plain'))),
    );
    expect(error.retryable).toBe(false);
    expect(smtp.messages).toHaveLength(0);
  });
});

describe('email message helpers', () => {
  it('derives Message-IDs that a header can carry', () => {
    expect(threadMessageId('ce-0123abcd', 'example.com')).toBe('<ce-0123abcd@example.com>');
    expect(threadMessageId('ticket-1', 'example.com')).toBe('<ce-ticket-1@example.com>');
    expect(messageIdLocalPart('key with spaces>\r\n')).toMatch(/^ce-[0-9a-f]{40}$/);
    expect(messageIdLocalPart('a'.repeat(300))).toMatch(/^ce-[0-9a-f]{40}$/);
    expect(headerSafe('a\r\n\tb\u0000c')).toBe('a b c');
  });

  it('reads multipart messages back, with encoded words and quoted-printable', () => {
    const raw = [
      'Subject: =?UTF-8?B?w6l0w6k=?= report',
      'Message-ID: <m1@example.com>',
      'Content-Type: multipart/alternative; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'caf=C3=A9 long line=',
      ' continued',
      '--b1',
      'Content-Type: text/html',
      '',
      '<p>hi</p>',
      '--b1--',
      '',
    ].join('\r\n');
    const read = readMessage(raw);
    expect(read.headers.get('subject')).toEqual(['été report']);
    expect(read.text).toBe('café long line continued');
    expect(read.html).toBe('<p>hi</p>');
  });
});
