import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SMTPServer, SMTPServerOptions } from 'smtp-server';
import { readMessage } from './mime-reader.js';

/** A key and a self-signed certificate (PEM) for 127.0.0.1 and `localhost`. */
export interface TestCertificate {
  key: string;
  cert: string;
}

let certificate: Promise<TestCertificate> | undefined;

/**
 * Makes a self-signed certificate for `127.0.0.1` and `localhost` with the `openssl` command line
 * (an EC P-256 key, valid for a day), once per process.
 */
export function selfSignedCertificate(): Promise<TestCertificate> {
  certificate ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ce-smtp-cert-'));
    try {
      const keyPath = join(dir, 'key.pem');
      const certPath = join(dir, 'cert.pem');
      await promisify(execFile)('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ]);
      return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8') };
    } catch (error) {
      certificate = undefined;
      throw new Error(
        'could not make a test certificate with openssl; install openssl or pass tls: { key, cert }',
        { cause: error },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return certificate;
}

/** Options of {@link startSmtpTestServer}. */
export interface SmtpTestServerOptions {
  /** Accounts allowed to log in (AUTH PLAIN and LOGIN); when given, login is required. */
  users?: Readonly<Record<string, string>>;
  /**
   * `starttls`: plain connection upgraded with STARTTLS (advertised); `tls`: TLS from the first
   * byte (port 465 style); `none`: no TLS at all (STARTTLS disabled).
   * @default 'starttls'
   */
  security?: 'starttls' | 'tls' | 'none';
  /** Key and certificate; by default a self-signed one made with `openssl`. */
  tls?: TestCertificate;
  /** Largest message accepted (SIZE extension; larger ones get 552). @default 1048576 */
  size?: number;
}

/** An error the server answers instead of accepting. */
export interface SmtpFault {
  /** SMTP reply code, e.g. 421, 451, 550, 554. */
  code: number;
  /** Reply text. */
  message?: string;
  /**
   * When: `mail` (MAIL FROM), `rcpt` (every RCPT TO of the transaction), `data` (after the
   * message).
   * @default 'data'
   */
  stage?: 'mail' | 'rcpt' | 'data';
}

/** A message the server accepted. */
export interface ReceivedMessage {
  envelope: { from: string; to: string[] };
  /** The message as transmitted. */
  raw: string;
  /** Header values by lower-case name, unfolded and decoded. */
  headers: ReadonlyMap<string, string[]>;
  messageId: string | undefined;
  inReplyTo: string | undefined;
  /** Message ids of `References`. */
  references: string[];
  subject: string | undefined;
  text: string | undefined;
  html: string | undefined;
  /** Whether the session was encrypted. */
  secure: boolean;
  /** The logged-in user, if any. */
  user: string | undefined;
  /** The AUTH mechanism used, if any. */
  authMethod: string | undefined;
}

/** A real SMTP server on 127.0.0.1 for tests and demos. */
export interface SmtpTestServer {
  readonly host: string;
  readonly port: number;
  /** The certificate to trust (PEM), when the server speaks TLS. */
  readonly ca: string | undefined;
  /** Accepted messages, in order. */
  readonly messages: ReceivedMessage[];
  /** Login attempts that failed, by user name (never the password). */
  readonly failedLogins: string[];
  /** Answers the next transaction with `fault` instead of accepting it. */
  failNext(fault: SmtpFault): void;
  /** Messages whose `Message-ID` is `messageId` or that reply to it (`In-Reply-To` or `References`). */
  thread(messageId: string): ReceivedMessage[];
  /** Stops the server. */
  close(): Promise<void>;
}

const firstHeader = (headers: ReadonlyMap<string, string[]>, name: string) => headers.get(name)?.[0];

function smtpError(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}

/**
 * Starts a real SMTP server (the `smtp-server` package of the Nodemailer project, which must be
 * installed: it is a development dependency of this package) on 127.0.0.1 with a free port: AUTH
 * PLAIN and LOGIN, STARTTLS or implicit TLS with a self-signed certificate, a size limit, and
 * faults on demand (`failNext`). It records every accepted message with its headers, text and
 * HTML read back.
 *
 * @example
 * ```ts
 * const smtp = await startSmtpTestServer({ users: { alerts: 'app-password-1' } });
 * // configure the email plugin with host: smtp.host, port: smtp.port, ca: smtp.ca
 * smtp.failNext({ code: 451, message: 'try again later' });
 * await smtp.close();
 * ```
 */
export async function startSmtpTestServer(options: SmtpTestServerOptions = {}): Promise<SmtpTestServer> {
  const { SMTPServer: Server } = await import('smtp-server');
  const security = options.security ?? 'starttls';
  const tls = security === 'none' ? undefined : (options.tls ?? (await selfSignedCertificate()));
  const messages: ReceivedMessage[] = [];
  const failedLogins: string[] = [];
  const faults: SmtpFault[] = [];
  const users = options.users;
  let refusing: { transaction: string; error: Error } | undefined;
  const take = (stage: SmtpFault['stage']) => {
    const next = faults[0];
    if (!next || (next.stage ?? 'data') !== stage) return undefined;
    faults.shift();
    return smtpError(next.code, next.message ?? `Error ${next.code}`);
  };

  const serverOptions: SMTPServerOptions = {
    secure: security === 'tls',
    ...(tls ? { key: tls.key, cert: tls.cert } : {}),
    disabledCommands: security === 'none' ? ['STARTTLS', ...(users ? [] : ['AUTH'])] : users ? [] : ['AUTH'],
    authOptional: !users,
    // Tests log in over a cleartext connection only when they ask for no TLS at all.
    allowInsecureAuth: security === 'none',
    authMethods: ['PLAIN', 'LOGIN'],
    size: options.size ?? 1_048_576,
    logger: false,
    onAuth(auth, _session, callback) {
      const expected = auth.username === undefined ? undefined : users?.[auth.username];
      if (expected !== undefined && auth.password === expected)
        return callback(null, { user: { name: auth.username, method: auth.method } });
      failedLogins.push(auth.username ?? '');
      return callback(smtpError(535, 'Authentication credentials invalid'));
    },
    onMailFrom(_address, _session, callback) {
      callback(take('mail') ?? null);
    },
    onRcptTo(_address, session, callback) {
      // A recipient fault refuses every recipient of the transaction, so that none is accepted.
      const transaction = `${session.id}:${session.transaction}`;
      const fault = take('rcpt');
      if (fault) refusing = { transaction, error: fault };
      callback(refusing?.transaction === transaction ? refusing.error : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (stream.sizeExceeded)
          return callback(smtpError(552, 'Error: message exceeds fixed maximum message size'));
        const fault = take('data');
        if (fault) return callback(fault);
        const raw = Buffer.concat(chunks).toString('utf8');
        const read = readMessage(raw);
        const user = session.user as { name?: string; method?: string } | undefined;
        const references = firstHeader(read.headers, 'references');
        messages.push({
          envelope: {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          },
          raw,
          headers: read.headers,
          messageId: firstHeader(read.headers, 'message-id'),
          inReplyTo: firstHeader(read.headers, 'in-reply-to'),
          references: references ? (references.match(/<[^>]+>/g) ?? []) : [],
          subject: firstHeader(read.headers, 'subject'),
          text: read.text,
          html: read.html,
          secure: session.secure,
          user: user?.name,
          authMethod: user?.method,
        });
        return callback(null, 'OK: queued');
      });
    },
  };
  const server: SMTPServer = new Server(serverOptions);
  server.on('error', () => {
    // Client disconnects and failed handshakes are part of the tests; they must not crash the run.
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    ca: tls?.cert,
    messages,
    failedLogins,
    failNext(fault) {
      faults.push(fault);
    },
    thread(messageId) {
      return messages.filter(
        (message) =>
          message.messageId === messageId ||
          message.inReplyTo === messageId ||
          message.references.includes(messageId),
      );
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
