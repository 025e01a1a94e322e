import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';

/** Options of {@link startSyslogReceiver}. */
export interface SyslogReceiverOptions {
  /** The transport to listen on. */
  transport: 'udp' | 'tcp' | 'tls';
  /**
   * How TCP and TLS streams are framed; `auto` decides per message as rsyslog's imtcp does: a
   * frame starting with a digit is octet-counted, anything else ends at LF.
   * @default 'auto'
   */
  framing?: 'auto' | 'octet-counting' | 'newline';
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (any free port) */
  port?: number;
  /** Server certificate, key and client-certificate settings, for `tls`. */
  tls?: TlsOptions;
}

/** A syslog receiver for tests and demos, holding every message it parsed. */
export interface SyslogReceiver {
  /** The address it listens on. */
  readonly host: string;
  /** The port it listens on. */
  readonly port: number;
  /** Messages in the order they were parsed (frames removed, UTF-8 decoded). */
  readonly messages: string[];
  /** Framing errors and TLS handshake failures, as text. */
  readonly errors: string[];
  /** Connections accepted so far (TCP and TLS). */
  readonly connections: number;
  /** Resolves once `count` messages have arrived; rejects after `timeoutMs` (default 5,000). */
  waitFor(count: number, timeoutMs?: number): Promise<string[]>;
  /** Resets every open connection, as a crashing receiver would. */
  dropConnections(): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Splits a TCP stream into messages (RFC 6587): octet counting, LF-terminated, or either. */
function createStreamParser(
  framing: 'auto' | 'octet-counting' | 'newline',
  onMessage: (message: string) => void,
  onError: (reason: string) => void,
): (chunk: Buffer) => boolean {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let offset = 0;
    for (;;) {
      if (offset >= pending.length) break;
      const first = pending[offset] ?? 0;
      const counted = framing === 'octet-counting' || (framing === 'auto' && first >= 0x31 && first <= 0x39);
      if (counted) {
        const space = pending.indexOf(0x20, offset);
        if (space < 0) {
          if (pending.length - offset > 10) {
            onError('octet count longer than 10 digits');
            return false;
          }
          break;
        }
        const digits = pending.toString('latin1', offset, space);
        if (!/^[1-9][0-9]{0,9}$/.test(digits)) {
          onError(`bad octet count "${digits.slice(0, 20)}"`);
          return false;
        }
        const length = Number(digits);
        if (pending.length < space + 1 + length) break;
        onMessage(pending.toString('utf8', space + 1, space + 1 + length));
        offset = space + 1 + length;
      } else {
        const end = pending.indexOf(0x0a, offset);
        if (end < 0) break;
        onMessage(pending.toString('utf8', offset, end));
        offset = end + 1;
      }
    }
    pending = pending.subarray(offset);
    return true;
  };
}

/**
 * Starts a syslog receiver on loopback: UDP (one message per datagram), TCP or TLS. The host's
 * offline demo ships to it, and the sink's tests read what arrived from it.
 *
 * @example
 * ```ts
 * const receiver = await startSyslogReceiver({ transport: 'tcp' });
 * // ... configure the sink with { host: receiver.host, port: receiver.port, transport: 'tcp' }
 * const [first] = await receiver.waitFor(1);
 * await receiver.close();
 * ```
 */
export async function startSyslogReceiver(options: SyslogReceiverOptions): Promise<SyslogReceiver> {
  const host = options.host ?? '127.0.0.1';
  const messages: string[] = [];
  const errors: string[] = [];
  const waiters = new Set<() => void>();
  const received = (message: string): void => {
    messages.push(message);
    for (const waiter of waiters) waiter();
  };
  const waitFor = (count: number, timeoutMs = 5_000): Promise<string[]> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (messages.length < count) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(messages.slice());
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`expected ${count} syslog messages, received ${messages.length}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  if (options.transport === 'udp') {
    const socket = createSocket({
      type: host.includes(':') ? 'udp6' : 'udp4',
      recvBufferSize: 4 * 1024 * 1024,
    });
    socket.on('message', (datagram) => received(datagram.toString('utf8')));
    socket.bind(options.port ?? 0, host);
    await once(socket, 'listening');
    return {
      host,
      port: socket.address().port,
      messages,
      errors,
      connections: 0,
      waitFor,
      dropConnections: () => undefined,
      close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
    };
  }

  const sockets = new Set<Socket>();
  let connections = 0;
  const onConnection = (socket: Socket): void => {
    connections++;
    sockets.add(socket);
    const parse = createStreamParser(options.framing ?? 'auto', received, (reason) => errors.push(reason));
    socket.on('data', (chunk: Buffer) => {
      if (!parse(chunk)) socket.destroy();
    });
    socket.on('error', (error) => errors.push(error.message));
    socket.on('close', () => sockets.delete(socket));
  };
  const server: Server =
    options.transport === 'tls'
      ? createTlsServer(options.tls ?? {}, onConnection)
      : createNetServer(onConnection);
  server.on('tlsClientError', (error: Error) => errors.push(`tls: ${error.message}`));
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    host,
    port,
    messages,
    errors,
    get connections() {
      return connections;
    },
    waitFor,
    dropConnections() {
      for (const socket of sockets) socket.resetAndDestroy();
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
