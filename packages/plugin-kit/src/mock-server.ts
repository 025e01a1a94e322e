import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';

/** Options of {@link createMockServer}. */
export interface MockServerOptions {
  /**
   * Address to listen on. Keep it on loopback: tests never expose a port.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * Port; 0 picks a free one.
   * @default 0
   */
  port?: number;
  /** Serve HTTPS with this key and certificate (PEM), e.g. to test a custom CA. */
  tls?: {
    /** Private key, PEM. */
    key: string;
    /** Certificate chain, PEM. */
    cert: string;
  };
}

/** A request as a route handler sees it. */
export interface MockRequest {
  /** Upper-case method. */
  method: string;
  /** Path without the query string. */
  path: string;
  /** Values of the route's `:name` segments or RegExp groups (named, or `0`, `1`, ...). */
  params: Record<string, string>;
  /** Query parameters, first value of each key; see `searchParams` for repeated keys. */
  query: Record<string, string>;
  /** The full query, for repeated keys (`searchParams.getAll('id')`). */
  searchParams: URLSearchParams;
  /** Request headers, names lower-cased, repeated values joined with `, `. */
  headers: Record<string, string>;
  /** The request body as text. */
  body: string;
  /** Parses the body as JSON; throws on invalid JSON, which the server answers with 500. */
  json<T = unknown>(): T;
}

/** What a route handler (or a fault) answers. */
export interface MockResponse {
  /**
   * HTTP status.
   * @default 200
   */
  status?: number;
  /** Response headers. */
  headers?: Record<string, string | number | ReadonlyArray<string>>;
  /** A value to send as JSON (sets `content-type: application/json`). */
  json?: unknown;
  /** A raw body, used when `json` is absent. */
  body?: string | Buffer | Uint8Array;
  /** Compress the body and set `content-encoding`. */
  compress?: 'gzip' | 'deflate' | 'br';
  /** Wait this long before answering, in milliseconds (real time). */
  delayMs?: number;
  /** Destroy the connection instead of answering, as a crashed load balancer would. */
  reset?: boolean;
}

/** A route handler. */
export type MockHandler = (request: MockRequest) => MockResponse | Promise<MockResponse>;

/** A request as recorded by the server, in arrival order. */
export interface RecordedRequest {
  /** Upper-case method. */
  method: string;
  /** Path without the query string. */
  path: string;
  /** Query parameters, first value of each key. */
  query: Record<string, string>;
  /** Request headers, names lower-cased. */
  headers: Record<string, string>;
  /** The request body as text. */
  body: string;
  /** Arrival time, epoch milliseconds. */
  time: number;
}

/** A fault injected by {@link MockServer.failNext}: a status, a full response, or `'reset'`. */
export type MockFault = number | 'reset' | MockResponse;

/** Options of {@link MockServer.paginate}. */
export interface MockPaginateOptions {
  /** Items per page (the most a client may ask for with the limit parameter). */
  pageSize: number;
  /**
   * Wire format:
   * - `cursor`: `?cursor=&limit=` → `{ items, next_cursor }` (`null` on the last page);
   * - `offset`: `?offset=&limit=` → `{ items, total, offset, limit }`;
   * - `link`: `?page=&per_page=` (1-based) → a JSON array, `Link: <...>; rel="next"` and `x-total-count`.
   */
  style: 'cursor' | 'offset' | 'link';
  /**
   * Property holding the page's items (cursor and offset styles).
   * @default 'items'
   */
  itemsKey?: string;
  /**
   * Property holding the next cursor (cursor style).
   * @default 'next_cursor'
   */
  nextCursorKey?: string;
  /**
   * Query parameter carrying the cursor (cursor style).
   * @default 'cursor'
   */
  cursorParam?: string;
}

/** Options of {@link MockServer.rateLimit}. */
export interface MockRateLimitOptions {
  /** Requests allowed per window. */
  limit: number;
  /** Window length in milliseconds (fixed windows, real time). */
  windowMs: number;
  /**
   * `Retry-After` sent with the 429, in seconds; by default the seconds left in the window.
   */
  retryAfterSeconds?: number;
}

/**
 * A real HTTP server on loopback for testing plugins and the HTTP client against real sockets.
 * Routes are matched in registration order; registering the same method and pattern again
 * replaces the handler. Each request goes through, in order: injected faults
 * ({@link MockServer.failNext}), the rate limit, the header requirements, then the route; an
 * unknown route answers 404 JSON.
 */
export interface MockServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`, without a trailing slash. */
  readonly url: string;
  /** The port listened on. */
  readonly port: number;
  /** Every request received since start or the last {@link MockServer.reset}, in order. */
  readonly requests: RecordedRequest[];
  /** Requests being handled right now. */
  readonly inFlight: number;
  /** Highest {@link MockServer.inFlight} seen since start or the last reset. */
  readonly maxInFlight: number;
  /**
   * Adds a route. `pattern` is a path with `:name` segments (`/api/v2/items/:id`) or a RegExp
   * tested against the path; `method` `'*'` matches any method.
   */
  route(method: string, pattern: string | RegExp, handler: MockHandler): MockServer;
  /** Answers 401 to every request whose header `name` is not exactly `value`. */
  requireHeader(name: string, value: string): MockServer;
  /** Answers 401 to every request without `Authorization: Bearer <token>`. */
  requireBearer(token: string): MockServer;
  /**
   * Asserts that at least one request arrived and every recorded request carried header `name`
   * equal to (or matching) `value`; throws an `Error` naming the first offender otherwise.
   */
  expectHeader(name: string, value: string | RegExp): void;
  /** A handler serving `items` in pages in one of the common wire formats. */
  paginate(items: ReadonlyArray<unknown>, options: MockPaginateOptions): MockHandler;
  /** Answers 429 with `Retry-After` once more than `limit` requests arrive in a window. */
  rateLimit(options: MockRateLimitOptions): MockServer;
  /** Delays every response by `ms` (real time); 0 removes the delay. */
  delay(ms: number): MockServer;
  /**
   * Makes the next `count` requests fail with `fault`: a status (JSON error body), a full
   * response (e.g. 429 with `Retry-After`), or `'reset'` to destroy the connection.
   * @default fault 500
   */
  failNext(count: number, fault?: MockFault): MockServer;
  /** Forgets routes, recorded requests, faults, delays, rate limits and header requirements. */
  reset(): void;
  /** Stops the server and drops open connections. */
  close(): Promise<void>;
}

interface Route {
  method: string;
  key: string;
  match: (path: string) => Record<string, string> | undefined;
  handler: MockHandler;
}

function compilePattern(pattern: string | RegExp): Route['match'] {
  if (pattern instanceof RegExp) {
    return (path) => {
      const found = pattern.exec(path);
      if (!found) return undefined;
      const params: Record<string, string> = { ...found.groups };
      found.slice(1).forEach((value, index) => {
        if (value !== undefined) params[String(index)] = value;
      });
      return params;
    };
  }
  const names: string[] = [];
  const source = pattern
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        names.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  const regex = new RegExp(`^${source}/?$`);
  return (path) => {
    const found = regex.exec(path);
    if (!found) return undefined;
    const params: Record<string, string> = {};
    names.forEach((name, index) => {
      params[name] = decodeURIComponent(found[index + 1] ?? '');
    });
    return params;
  };
}

function headerRecord(message: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function firstValues(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of params) if (!(key in out)) out[key] = value;
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorResponse(status: number, error: string, message: string): MockResponse {
  return { status, json: { error, message } };
}

const encodeCursor = (offset: number): string => Buffer.from(`o:${offset}`).toString('base64url');
const decodeCursor = (cursor: string): number => {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  return text.startsWith('o:') ? Number(text.slice(2)) || 0 : 0;
};

/**
 * Starts a mock HTTP(S) server on 127.0.0.1 with a free port. The factory is async: the server is
 * listening when the promise resolves, so `url` is ready to use.
 *
 * @example
 * ```ts
 * const server = await createMockServer();
 * server.requireBearer('test-token');
 * server.route('GET', '/api/v2/items/:id', (req) => ({ json: { id: req.params.id } }));
 * server.route('GET', '/api/v2/items', server.paginate(items, { pageSize: 50, style: 'cursor' }));
 * server.failNext(1, { status: 429, headers: { 'retry-after': '1' } });
 * // ... exercise the plugin against server.url ...
 * await server.close();
 * ```
 */
export async function createMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  let routes: Route[] = [];
  const requests: RecordedRequest[] = [];
  let faults: MockFault[] = [];
  let requiredHeaders: Array<[string, string]> = [];
  let globalDelay = 0;
  let limiter: (MockRateLimitOptions & { windowStart: number; count: number }) | undefined;
  let inFlight = 0;
  let maxInFlight = 0;
  let url = '';

  const write = async (req: IncomingMessage, res: ServerResponse, response: MockResponse): Promise<void> => {
    const delay = (response.delayMs ?? 0) + globalDelay;
    if (delay > 0) await sleep(delay);
    if (response.reset) {
      req.socket.destroy();
      return;
    }
    const headers: Record<string, string | number | ReadonlyArray<string>> = {};
    for (const [name, value] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = value;
    let payload: Buffer;
    if (response.json !== undefined) {
      payload = Buffer.from(JSON.stringify(response.json));
      headers['content-type'] ??= 'application/json';
    } else if (response.body !== undefined) {
      payload = Buffer.from(response.body);
    } else {
      payload = Buffer.alloc(0);
    }
    if (response.compress) {
      payload =
        response.compress === 'gzip'
          ? gzipSync(payload)
          : response.compress === 'deflate'
            ? deflateSync(payload)
            : brotliCompressSync(payload);
      headers['content-encoding'] = response.compress;
    }
    headers['content-length'] = payload.length;
    if (res.destroyed) return;
    res.writeHead(response.status ?? 200, headers as Record<string, string | number | string[]>);
    res.end(payload);
  };

  const dispatch = async (request: MockRequest): Promise<MockResponse> => {
    const fault = faults.shift();
    if (fault !== undefined) {
      if (fault === 'reset') return { reset: true };
      if (typeof fault === 'number')
        return errorResponse(fault, 'injected_fault', `injected status ${fault}`);
      return fault;
    }
    if (limiter) {
      const now = Date.now();
      if (now - limiter.windowStart >= limiter.windowMs) {
        limiter.windowStart = now;
        limiter.count = 0;
      }
      limiter.count += 1;
      if (limiter.count > limiter.limit) {
        const retryAfter =
          limiter.retryAfterSeconds ??
          Math.max(1, Math.ceil((limiter.windowStart + limiter.windowMs - now) / 1_000));
        return {
          ...errorResponse(429, 'rate_limited', 'too many requests'),
          headers: { 'retry-after': String(retryAfter) },
        };
      }
    }
    for (const [name, value] of requiredHeaders) {
      if (request.headers[name] !== value) {
        return {
          ...errorResponse(401, 'unauthorized', `missing or wrong ${name} header`),
          headers: { 'www-authenticate': 'Bearer' },
        };
      }
    }
    for (const route of routes) {
      if (route.method !== '*' && route.method !== request.method) continue;
      const params = route.match(request.path);
      if (!params) continue;
      try {
        return await route.handler({ ...request, params });
      } catch (error) {
        return errorResponse(500, 'handler_failed', error instanceof Error ? error.message : String(error));
      }
    }
    return errorResponse(404, 'not_found', `no route for ${request.method} ${request.path}`);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      inFlight -= 1;
    };
    res.on('close', finish);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const parsed = new URL(req.url ?? '/', 'http://mock.invalid');
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = headerRecord(req);
      const query = firstValues(parsed.searchParams);
      const method = (req.method ?? 'GET').toUpperCase();
      requests.push({ method, path: parsed.pathname, query, headers, body, time: Date.now() });
      const request: MockRequest = {
        method,
        path: parsed.pathname,
        params: {},
        query,
        searchParams: parsed.searchParams,
        headers,
        body,
        json: <T>() => JSON.parse(body) as T,
      };
      dispatch(request)
        .then((response) => write(req, res, response))
        .catch(() => req.socket.destroy());
    });
  };

  const server: Server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest)
    : createHttpServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  url = `${options.tls ? 'https' : 'http'}://${host}:${address.port}`;

  const mock: MockServer = {
    url,
    port: address.port,
    requests,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    route(method, pattern, handler) {
      const upper = method.toUpperCase();
      const key = `${upper} ${String(pattern)}`;
      const entry: Route = { method: upper, key, match: compilePattern(pattern), handler };
      const index = routes.findIndex((route) => route.key === key);
      if (index >= 0) routes[index] = entry;
      else routes.push(entry);
      return mock;
    },
    requireHeader(name, value) {
      requiredHeaders.push([name.toLowerCase(), value]);
      return mock;
    },
    requireBearer(token) {
      return mock.requireHeader('authorization', `Bearer ${token}`);
    },
    expectHeader(name, value) {
      const lower = name.toLowerCase();
      if (requests.length === 0) throw new Error(`expected header ${name}, but no request was received`);
      requests.forEach((request, index) => {
        const actual = request.headers[lower];
        const ok =
          actual !== undefined && (typeof value === 'string' ? actual === value : value.test(actual));
        if (!ok) {
          throw new Error(
            `request ${index} (${request.method} ${request.path}) ${actual === undefined ? 'lacks' : 'has a different'} header ${name}`,
          );
        }
      });
    },
    paginate(items, paginateOptions) {
      const { pageSize, style } = paginateOptions;
      const itemsKey = paginateOptions.itemsKey ?? 'items';
      return (request) => {
        if (style === 'link') {
          const page = Math.max(1, Number(request.query.page ?? 1) || 1);
          const perPage = Math.min(pageSize, Number(request.query.per_page ?? pageSize) || pageSize);
          const start = (page - 1) * perPage;
          const headers: Record<string, string> = { 'x-total-count': String(items.length) };
          if (start + perPage < items.length) {
            const next = new URL(`${url}${request.path}`);
            for (const [key, value] of request.searchParams) next.searchParams.append(key, value);
            next.searchParams.set('page', String(page + 1));
            next.searchParams.set('per_page', String(perPage));
            headers.link = `<${next.toString()}>; rel="next"`;
          }
          return { headers, json: items.slice(start, start + perPage) };
        }
        const limit = Math.min(pageSize, Number(request.query.limit ?? pageSize) || pageSize);
        if (style === 'offset') {
          const offset = Math.max(0, Number(request.query.offset ?? 0) || 0);
          return {
            json: { [itemsKey]: items.slice(offset, offset + limit), total: items.length, offset, limit },
          };
        }
        const cursor = request.query[paginateOptions.cursorParam ?? 'cursor'];
        const offset = cursor ? decodeCursor(cursor) : 0;
        const end = offset + limit;
        return {
          json: {
            [itemsKey]: items.slice(offset, end),
            [paginateOptions.nextCursorKey ?? 'next_cursor']: end < items.length ? encodeCursor(end) : null,
          },
        };
      };
    },
    rateLimit(rateOptions) {
      limiter = { ...rateOptions, windowStart: Date.now(), count: 0 };
      return mock;
    },
    delay(ms) {
      globalDelay = Math.max(0, ms);
      return mock;
    },
    failNext(count, fault = 500) {
      for (let i = 0; i < count; i++) faults.push(fault);
      return mock;
    },
    reset() {
      routes = [];
      requests.length = 0;
      faults = [];
      requiredHeaders = [];
      globalDelay = 0;
      limiter = undefined;
      maxInFlight = inFlight;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return mock;
}
