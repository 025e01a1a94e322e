import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** A request as a raw mock sees it: the body as the exact bytes received (still compressed). */
export interface RawMockRequest {
  /** Upper-case method. */
  method: string;
  /** Path without the query string, still percent-encoded as sent (signatures cover it). */
  rawPath: string;
  /** The decoded path. */
  path: string;
  /** The raw query string without `?`, as sent. */
  rawQuery: string;
  /** Query parameters, first value per key. */
  query: Record<string, string>;
  /** Headers, names lower-cased, repeated values joined with `, `. */
  headers: Record<string, string>;
  /** The body bytes exactly as received. */
  body: Buffer;
  /** Arrival time, epoch milliseconds (real time). */
  time: number;
}

/** What a raw mock answers. */
export interface RawMockResponse {
  /** @default 200 */
  status?: number;
  /** Response headers. */
  headers?: Record<string, string>;
  /** Body; an object is sent as JSON. */
  body?: string | Buffer | object;
  /** Destroy the socket instead of answering. */
  reset?: boolean;
}

/** Handles one request. */
export type RawMockHandler = (request: RawMockRequest) => RawMockResponse | Promise<RawMockResponse>;

/**
 * A loopback HTTP(S) server that hands handlers the raw body bytes. The kit's `createMockServer`
 * decodes bodies as UTF-8 text, which destroys gzip bodies and with them any hash a signature or
 * checksum was computed over; the sink mocks need the bytes as sent.
 */
export interface RawMockServer {
  /** Base URL, `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  /** The port. */
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: RawMockRequest[];
  /** Answers the next `count` requests with `response` before they reach the handler. */
  failNext(count: number, response: RawMockResponse): void;
  /** Stops the server and drops connections. */
  close(): Promise<void>;
}

/** Options of {@link startRawMockServer}. */
export interface RawMockServerOptions {
  /** Serve HTTPS with this PEM key and certificate. */
  tls?: { key: string; cert: string };
}

/**
 * Starts a {@link RawMockServer} on 127.0.0.1 with a free port.
 *
 * @example
 * ```ts
 * const server = await startRawMockServer((req) => ({ status: 200, body: { received: req.body.length } }));
 * await server.close();
 * ```
 */
export async function startRawMockServer(
  handler: RawMockHandler,
  options: RawMockServerOptions = {},
): Promise<RawMockServer> {
  const requests: RawMockRequest[] = [];
  const faults: RawMockResponse[] = [];
  const write = (req: IncomingMessage, res: ServerResponse, response: RawMockResponse): void => {
    if (response.reset) {
      req.socket.destroy();
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = value;
    let payload: Buffer;
    if (response.body === undefined) payload = Buffer.alloc(0);
    else if (typeof response.body === 'string') payload = Buffer.from(response.body);
    else if (Buffer.isBuffer(response.body)) payload = response.body;
    else {
      payload = Buffer.from(JSON.stringify(response.body));
      headers['content-type'] ??= 'application/json; charset=UTF-8';
    }
    headers['content-length'] = String(payload.length);
    if (res.destroyed) return;
    res.writeHead(response.status ?? 200, headers);
    res.end(payload);
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = req.url ?? '/';
      const queryAt = target.indexOf('?');
      const rawPath = queryAt < 0 ? target : target.slice(0, queryAt);
      const rawQuery = queryAt < 0 ? '' : target.slice(queryAt + 1);
      const query: Record<string, string> = {};
      for (const [key, value] of new URLSearchParams(rawQuery)) if (!(key in query)) query[key] = value;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      let path = rawPath;
      try {
        path = decodeURIComponent(rawPath);
      } catch {
        // A malformed escape stays as sent; the handler sees rawPath either way.
      }
      const request: RawMockRequest = {
        method: (req.method ?? 'GET').toUpperCase(),
        rawPath,
        path,
        rawQuery,
        query,
        headers,
        body: Buffer.concat(chunks),
        time: Date.now(),
      };
      requests.push(request);
      const fault = faults.shift();
      if (fault) {
        write(req, res, fault);
        return;
      }
      Promise.resolve()
        .then(() => handler(request))
        .then(
          (response) => write(req, res, response),
          (error: unknown) =>
            write(req, res, {
              status: 500,
              body: { error: error instanceof Error ? error.message : String(error) },
            }),
        );
    });
  };
  const server: Server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest)
    : createHttpServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    failNext(count, response) {
      for (let i = 0; i < count; i++) faults.push(response);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
