import PQueue from 'p-queue';
import { Agent, type Dispatcher, interceptors, ProxyAgent, request as undiciRequest } from 'undici';
import { z } from 'zod';
import { HttpError } from '../errors/http-error.js';
import { ConfigError, issuesFromZod } from '../errors/validation-error.js';
import type { Logger } from '../logging/logger.js';
import { isSecretKey, redactedMarker, redactUrl } from '../logging/redact.js';
import { type Clock, systemClock } from '../time/clock.js';
import {
  classifyNetworkError,
  computeBackoff,
  defaultRetryOptions,
  isIdempotentMethod,
  type ResolvedRetryOptions,
  type RetryOptions,
} from './retry.js';
import { parseRetryAfter } from './retry-after.js';
import { TokenBucket } from './token-bucket.js';
import { sdkVersion } from './version.js';

/** The parts of a plugin's user agent: `cloud-exchange-sdk/<sdk> plugin/<id>@<version>`. */
export interface UserAgentParts {
  /** Plugin id, e.g. `netskope`. */
  pluginId: string;
  /** Plugin version, e.g. `1.2.0`. */
  pluginVersion: string;
}

/**
 * Builds the user agent the client sends: `cloud-exchange-sdk/<sdk version>`, followed by
 * ` plugin/<id>@<version>` when a plugin is named. Vendors use it to tell integrations apart.
 */
export function buildUserAgent(parts?: UserAgentParts): string {
  const base = `cloud-exchange-sdk/${sdkVersion}`;
  return parts ? `${base} plugin/${parts.pluginId}@${parts.pluginVersion}` : base;
}

const positiveInt = z.number().int().positive();
const retrySchema = z.object({
  maxAttempts: positiveInt.max(20).optional(),
  baseDelayMs: z.number().int().nonnegative().optional(),
  maxDelayMs: z.number().int().nonnegative().optional(),
  jitter: z.boolean().optional(),
  maxRetryAfterMs: z.number().int().nonnegative().optional(),
});

/**
 * The data part of {@link HttpClientOptions} (everything but the clock, logger, dispatcher and
 * random source), as a zod schema, so a host can validate client settings read from a file.
 */
export const httpClientSettingsSchema = z.object({
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  timeoutMs: positiveInt.optional(),
  proxy: z.url({ protocol: /^https?$/ }).optional(),
  ca: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
  rejectUnauthorized: z.boolean().optional(),
  userAgent: z
    .union([z.string().min(1), z.object({ pluginId: z.string().min(1), pluginVersion: z.string().min(1) })])
    .optional(),
  plugin: z.object({ id: z.string().min(1), version: z.string().min(1) }).optional(),
  rateLimit: z
    .object({ requestsPerSecond: z.number().positive(), burst: z.number().min(1).optional() })
    .optional(),
  concurrency: z.union([positiveInt, z.literal(Number.POSITIVE_INFINITY)]).optional(),
  retry: z.union([retrySchema, z.literal(false)]).optional(),
  maxResponseBytes: positiveInt.optional(),
});

/** Options of {@link createHttpClient}. */
export interface HttpClientOptions {
  /** Prefix of every relative request path, e.g. `https://tenant.goskope.com/api/v2`. */
  baseUrl?: string;
  /** Headers sent with every request; a request's own headers override them. */
  headers?: Record<string, string>;
  /**
   * Deadline of each attempt, in milliseconds: connecting, waiting for the headers and reading
   * the whole body. A request that retries gets a fresh deadline per attempt.
   * @default 30000
   */
  timeoutMs?: number;
  /** HTTP(S) proxy URL; credentials in it become `Proxy-Authorization`. Requests are tunnelled (CONNECT). */
  proxy?: string;
  /** Extra trusted certificate authorities, PEM. Replaces the default roots, as in Node's `tls`. */
  ca?: string | string[];
  /**
   * Whether to verify the server's TLS certificate. Turn off only for a lab appliance.
   * @default true
   */
  rejectUnauthorized?: boolean;
  /**
   * The user agent: a full string, or the plugin's id and version to build the standard one.
   * @default `cloud-exchange-sdk/<version>`
   */
  userAgent?: string | UserAgentParts;
  /**
   * The plugin this client serves; names it in the standard user agent. Same effect as
   * `userAgent: { pluginId, pluginVersion }`, in the shape the plugin runtime has at hand.
   */
  plugin?: {
    /** Plugin id. */
    id: string;
    /** Plugin version. */
    version: string;
  };
  /** Client-side rate limit (token bucket); waits use {@link HttpClientOptions.clock}. */
  rateLimit?: {
    /** Sustained requests per second. */
    requestsPerSecond: number;
    /**
     * Requests allowed back to back after a quiet period.
     * @default 1
     */
    burst?: number;
  };
  /**
   * Most attempts in flight at once; others queue.
   * @default 8
   */
  concurrency?: number;
  /**
   * Retry policy, or `false` to never retry. See {@link RetryOptions} for what is retried.
   * @default { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 30000, jitter: true, maxRetryAfterMs: 60000 }
   */
  retry?: RetryOptions | false;
  /**
   * Largest response body accepted, counted after decompression. Larger responses are aborted
   * with `HTTP_RESPONSE_TOO_LARGE`.
   * @default 52428800 (50 MiB)
   */
  maxResponseBytes?: number;
  /**
   * Time source for backoff and rate-limit waits.
   * @default systemClock
   */
  clock?: Clock;
  /** Receives one debug record per attempt (redacted URL, status, attempt, duration); never headers. */
  logger?: Logger;
  /**
   * An undici dispatcher to send through instead of the client's own `Agent` (e.g. a
   * `MockAgent` in tests). The client does not close a dispatcher it was given.
   */
  dispatcher?: Dispatcher;
  /**
   * Random source in [0, 1) for backoff jitter; for deterministic tests.
   * @default Math.random
   */
  random?: () => number;
}

/** A query parameter value; `null` and `undefined` are left out. */
export type QueryValue = string | number | boolean | null | undefined;

/** The shape of a response body to produce. */
export type HttpResponseType = 'json' | 'text' | 'buffer' | 'stream';

/** Options of one request (see {@link HttpClient.request}). */
export interface HttpRequestOptions {
  /**
   * HTTP method.
   * @default 'GET'
   */
  method?: string;
  /** Path relative to the client's `baseUrl`, or an absolute `http(s)://` URL (e.g. a `next` link). */
  path: string;
  /** Query parameters, appended to any already in `path`; an array repeats the key. */
  query?: Record<string, QueryValue | ReadonlyArray<QueryValue>>;
  /** Request headers; `undefined` removes a default header. */
  headers?: Record<string, string | undefined>;
  /** A value to send as JSON (sets `content-type: application/json`). */
  json?: unknown;
  /** A raw body; ignored when `json` is given. */
  body?: string | Buffer | Uint8Array;
  /**
   * How to read the response body. `json` of an empty body gives `undefined`. `stream` hands the
   * (decompressed) body over as an async iterable of chunks once the headers arrive, for bodies
   * too large to hold: the attempt's deadline then covers the headers, each later chunk must come
   * within `timeoutMs` of the previous one, `maxResponseBytes` is enforced as chunks are read, and
   * a failure while reading is thrown by the iteration, as an `HttpError`, without a retry (part
   * of the body has been consumed). Stop early with `break`; the connection is released.
   * @default 'json'
   */
  responseType?: HttpResponseType;
  /** Schema the JSON response must match; a mismatch fails with `HTTP_RESPONSE_INVALID` naming the field. */
  schema?: z.ZodType;
  /** Cancels the request, including backoff and rate-limit waits; fails with `ABORTED`. */
  signal?: AbortSignal;
  /** Overrides the client's `timeoutMs` (the deadline of each attempt). */
  timeoutMs?: number;
  /** Overrides the client's retry policy (merged over it), or `false` for a single attempt. */
  retry?: RetryOptions | false;
  /**
   * Treat the request as safe to repeat whatever its method, e.g. a POST with an idempotency key.
   * @default true for GET, HEAD, OPTIONS, PUT, DELETE, TRACE; false otherwise
   */
  idempotent?: boolean;
  /**
   * Statuses that count as success.
   * @default any 2xx
   */
  expectStatus?: ReadonlyArray<number>;
  /** Overrides the client's `maxResponseBytes`. */
  maxResponseBytes?: number;
}

/** A request's options without `method` and `path`, for the convenience methods. */
export type HttpRequestInit = Omit<HttpRequestOptions, 'method' | 'path'>;

/** The body type a request produces: the schema's output, a string, a Buffer, or `unknown` JSON. */
export type ResponseBodyOf<O> = O extends { schema: infer S extends z.ZodType }
  ? z.output<S>
  : O extends { responseType: 'text' }
    ? string
    : O extends { responseType: 'buffer' }
      ? Buffer
      : O extends { responseType: 'stream' }
        ? AsyncIterable<Buffer>
        : unknown;

/** A successful response. */
export interface HttpResponse<T = unknown> {
  /** HTTP status. */
  status: number;
  /** Response headers, names lower-cased, repeated headers joined with `, ` (e.g. `link`). */
  headers: Record<string, string>;
  /** The body, read as the request's `responseType` and validated by its schema. */
  body: T;
  /** The URL requested (not redacted: it is the caller's own). */
  url: string;
  /** Attempts made, 1 when the first one succeeded. */
  attempts: number;
}

/**
 * The HTTP client handed to plugins. Every failure is an {@link HttpError} with a stable code:
 * `HTTP_AUTH_FAILED` (401/403), `HTTP_RATE_LIMITED`, `HTTP_TIMEOUT`, `HTTP_NETWORK`,
 * `HTTP_RESPONSE_TOO_LARGE`, `HTTP_RESPONSE_INVALID`, `HTTP_ERROR`, or `ABORTED`.
 */
export interface HttpClient {
  /** Sends a request, retrying as the policy allows, and reads its body. */
  request<O extends HttpRequestOptions>(options: O): Promise<HttpResponse<ResponseBodyOf<O>>>;
  /** `GET path`. */
  get<O extends HttpRequestInit = HttpRequestInit>(
    path: string,
    options?: O,
  ): Promise<HttpResponse<ResponseBodyOf<O>>>;
  /** `POST path`; pass the body as `options.json` or `options.body`. */
  post<O extends HttpRequestInit = HttpRequestInit>(
    path: string,
    options?: O,
  ): Promise<HttpResponse<ResponseBodyOf<O>>>;
  /** `PUT path`. */
  put<O extends HttpRequestInit = HttpRequestInit>(
    path: string,
    options?: O,
  ): Promise<HttpResponse<ResponseBodyOf<O>>>;
  /** `PATCH path`. */
  patch<O extends HttpRequestInit = HttpRequestInit>(
    path: string,
    options?: O,
  ): Promise<HttpResponse<ResponseBodyOf<O>>>;
  /** `DELETE path`. */
  delete<O extends HttpRequestInit = HttpRequestInit>(
    path: string,
    options?: O,
  ): Promise<HttpResponse<ResponseBodyOf<O>>>;
  /** Closes the client's connections. A dispatcher passed in options is left open. */
  close(): Promise<void>;
}

const defaultTimeoutMs = 30_000;
const defaultMaxResponseBytes = 50 * 1024 * 1024;
const errorExcerptBytes = 64 * 1024;
const sensitiveHeaderNames = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
  'api-key',
]);

const authSchemes = /^(bearer|basic|token|digest|negotiate|apikey|sswsapikey)$/i;

function isSensitiveHeader(name: string): boolean {
  return sensitiveHeaderNames.has(name) || isSecretKey(name);
}

/** Internal: a failed attempt, with whether and when to try again. */
class AttemptFailure {
  constructor(
    readonly error: HttpError,
    readonly retry: boolean,
    readonly delayMs?: number,
  ) {}
}

function normalizeHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function appendQuery(url: URL, query: HttpRequestOptions['query']): void {
  if (!query) return;
  for (const [key, value] of Object.entries(query)) {
    const values = Array.isArray(value) ? value : [value];
    for (const item of values as QueryValue[]) {
      if (item !== undefined && item !== null) url.searchParams.append(key, String(item));
    }
  }
}

/**
 * Creates the HTTP client given to plugins: undici with its own connection pool, proxy and TLS
 * settings, a user agent naming the plugin, a client-side rate limit and concurrency cap,
 * retries with exponential backoff and full jitter that honour `Retry-After`, transparent
 * gzip/deflate/br decompression, a response size limit, and errors and logs with secrets redacted.
 *
 * @example
 * ```ts
 * const client = createHttpClient({
 *   baseUrl: 'https://tenant.example.com/api/v2',
 *   headers: { authorization: `Bearer ${token}` },
 *   userAgent: { pluginId: 'netskope', pluginVersion: '1.0.0' },
 *   rateLimit: { requestsPerSecond: 5, burst: 5 },
 * });
 * const page = await client.get('/events', {
 *   query: { limit: 100 },
 *   schema: z.object({ data: z.array(eventSchema) }),
 * });
 * await client.close();
 * ```
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const parsed = httpClientSettingsSchema.safeParse(options);
  if (!parsed.success) throw ConfigError.fromZod('invalid HTTP client options', parsed.error);
  const settings = parsed.data;
  const clock = options.clock ?? systemClock;
  const logger = options.logger;
  const random = options.random ?? Math.random;
  const timeoutMs = settings.timeoutMs ?? defaultTimeoutMs;
  const maxResponseBytes = settings.maxResponseBytes ?? defaultMaxResponseBytes;
  const baseRetry: ResolvedRetryOptions | false =
    settings.retry === false ? false : { ...defaultRetryOptions, ...stripUndefined(settings.retry ?? {}) };
  const userAgent =
    typeof settings.userAgent === 'string'
      ? settings.userAgent
      : buildUserAgent(
          settings.userAgent ??
            (settings.plugin
              ? { pluginId: settings.plugin.id, pluginVersion: settings.plugin.version }
              : undefined),
        );
  const defaultHeaders: Record<string, string> = {
    'user-agent': userAgent,
    'accept-encoding': 'gzip, deflate, br',
  };
  for (const [name, value] of Object.entries(settings.headers ?? {}))
    defaultHeaders[name.toLowerCase()] = value;

  const tls = {
    ...(settings.ca === undefined ? {} : { ca: settings.ca }),
    rejectUnauthorized: settings.rejectUnauthorized ?? true,
  };
  const owned: Dispatcher | undefined = options.dispatcher
    ? undefined
    : settings.proxy
      ? new ProxyAgent({
          uri: settings.proxy,
          requestTls: tls,
          proxyTls: tls,
          connectTimeout: timeoutMs,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        })
      : new Agent({
          connect: { ...tls, timeout: timeoutMs },
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
  const base = options.dispatcher ?? (owned as Dispatcher);
  // Error bodies are decompressed too, so the error excerpt is readable. The size limit is applied
  // by the reader to the decompressed stream, which bounds a decompression bomb to the limit.
  const dispatcher = base.compose(interceptors.decompress({ skipErrorResponses: false }));
  const bucket = settings.rateLimit
    ? new TokenBucket({ ...stripUndefined(settings.rateLimit), clock })
    : undefined;
  const concurrency = settings.concurrency ?? 8;
  const queue = Number.isFinite(concurrency) ? new PQueue({ concurrency }) : undefined;
  const baseUrl = settings.baseUrl?.replace(/\/+$/, '');
  let closed = false;

  const buildUrl = (path: string, query: HttpRequestOptions['query']): URL => {
    let text: string;
    if (/^https?:\/\//i.test(path)) text = path;
    else if (baseUrl) text = `${baseUrl}${path.startsWith('/') ? '' : '/'}${path}`;
    else {
      throw new HttpError('CONFIG_INVALID', 'relative path without a baseUrl', { method: 'GET', url: path });
    }
    let url: URL;
    try {
      url = new URL(text);
    } catch (error) {
      throw new HttpError('CONFIG_INVALID', 'invalid request URL', {
        method: 'GET',
        url: text,
        cause: error,
      });
    }
    appendQuery(url, query);
    return url;
  };

  const request = async (options: HttpRequestOptions): Promise<HttpResponse<unknown>> => {
    const method = (options.method ?? 'GET').toUpperCase();
    const url = buildUrl(options.path, options.query).toString();
    const safeUrl = redactUrl(url);
    if (closed) throw new HttpError('HTTP_NETWORK', 'client is closed', { method, url, retryable: false });
    const retry: ResolvedRetryOptions | false =
      options.retry === false
        ? false
        : options.retry === undefined
          ? baseRetry
          : { ...(baseRetry || defaultRetryOptions), ...stripUndefined(options.retry) };
    const maxAttempts = retry === false ? 1 : retry.maxAttempts;
    const idempotent = options.idempotent ?? isIdempotentMethod(method);
    const responseType = options.responseType ?? 'json';
    const limit = options.maxResponseBytes ?? maxResponseBytes;
    const attemptTimeout = options.timeoutMs ?? timeoutMs;
    const signal = options.signal;

    const headers: Record<string, string> = { ...defaultHeaders };
    if (responseType === 'json') headers.accept = 'application/json';
    let requestBody: string | Buffer | Uint8Array | undefined = options.body;
    if (options.json !== undefined) {
      requestBody = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value === undefined) delete headers[name.toLowerCase()];
      else headers[name.toLowerCase()] = value;
    }
    // Values of credential headers are scrubbed from anything we report, whatever their shape.
    const secrets = Object.entries(headers)
      .filter(([name, value]) => isSensitiveHeader(name) && value.length >= 4)
      .flatMap(([, value]) => [
        value,
        ...value.split(/\s+/).filter((part) => part.length >= 6 && !authSchemes.test(part)),
      ]);
    const scrub = (text: string): string => {
      let out = text;
      for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(redactedMarker);
      return out;
    };

    const aborted = (attempts: number, cause?: unknown): HttpError =>
      new HttpError('ABORTED', 'request aborted', {
        method,
        url,
        attempts,
        retryable: false,
        cause: cause ?? signal?.reason,
      });

    const timedOut = (attempts: number, cause: unknown): AttemptFailure =>
      new AttemptFailure(
        new HttpError('HTTP_TIMEOUT', `no complete response within ${attemptTimeout} ms`, {
          method,
          url,
          attempts,
          retryable: true,
          cause,
        }),
        idempotent,
      );

    // Undici's own timeouts tick at about one second, so the deadline of an attempt (connect,
    // headers and the whole body) is enforced here, in real time: it bounds I/O, not a wait.
    const attempt = async (attemptNumber: number): Promise<HttpResponse<unknown>> => {
      if (bucket) await bucket.take(signal);
      if (closed) throw new HttpError('HTTP_NETWORK', 'client is closed', { method, url, retryable: false });
      const deadline = new AbortController();
      const timer = setTimeout(
        () => deadline.abort(new DOMException('attempt timed out', 'TimeoutError')),
        attemptTimeout,
      );
      timer.unref?.();
      const attemptSignal = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
      try {
        return await send(attemptNumber, attemptSignal, deadline.signal);
      } finally {
        clearTimeout(timer);
      }
    };

    const send = async (
      attemptNumber: number,
      attemptSignal: AbortSignal,
      deadlineSignal: AbortSignal,
    ): Promise<HttpResponse<unknown>> => {
      const started = performance.now();
      const log = (fields: Record<string, unknown>): void =>
        logger?.debug('http request', {
          method,
          url: safeUrl,
          attempt: attemptNumber,
          durationMs: Math.round(performance.now() - started),
          ...fields,
        });
      let response: Dispatcher.ResponseData;
      try {
        response = await undiciRequest(url, {
          dispatcher,
          method: method as Dispatcher.HttpMethod,
          headers,
          body: requestBody ?? null,
          signal: attemptSignal,
          headersTimeout: attemptTimeout,
          bodyTimeout: attemptTimeout,
        });
      } catch (error) {
        if (signal?.aborted) throw aborted(attemptNumber, error);
        if (deadlineSignal.aborted) {
          log({ error: 'HTTP_TIMEOUT' });
          throw timedOut(attemptNumber, error);
        }
        const failure = classifyNetworkError(error);
        log({ error: failure.code, cause: failure.cause });
        const message = failure.code === 'HTTP_TIMEOUT' ? 'request timed out' : 'network error';
        throw new AttemptFailure(
          new HttpError(failure.code, `${message}${failure.cause ? ` (${failure.cause})` : ''}`, {
            method,
            url,
            attempts: attemptNumber,
            retryable: failure.retryable,
            cause: error,
            details: { cause: failure.cause },
          }),
          failure.retryable && (idempotent || failure.beforeSend),
        );
      }
      const status = response.statusCode;
      const responseHeaders = normalizeHeaders(response.headers);
      const success = options.expectStatus
        ? options.expectStatus.includes(status)
        : status >= 200 && status < 300;

      if (!success) {
        const excerpt = await readExcerpt(response.body, errorExcerptBytes);
        log({ status });
        const retryableStatus = status === 408 || status === 429 || status >= 500;
        const retryAfterMs =
          status === 429 || status === 503
            ? parseRetryAfter(responseHeaders['retry-after'], clock.now())
            : undefined;
        const details = retryAfterMs === undefined ? undefined : { retryAfterMs };
        const init = {
          method,
          url,
          status,
          body: scrub(excerpt),
          attempts: attemptNumber,
          ...(details ? { details } : {}),
        };
        if (retry !== false && retryAfterMs !== undefined && retryAfterMs > retry.maxRetryAfterMs) {
          const seconds = Math.ceil(retryAfterMs / 1_000);
          throw new AttemptFailure(
            new HttpError(
              status === 429 ? 'HTTP_RATE_LIMITED' : undefined,
              `status ${status}; server asked to retry after ${seconds}s, above the ${Math.ceil(retry.maxRetryAfterMs / 1_000)}s ceiling`,
              init,
            ),
            false,
          );
        }
        const mayRepeat = idempotent || retryAfterMs !== undefined;
        throw new AttemptFailure(
          new HttpError(undefined, `status ${status}`, init),
          retryableStatus && mayRepeat,
          retryAfterMs,
        );
      }

      const tooLarge = (): AttemptFailure =>
        new AttemptFailure(
          new HttpError('HTTP_RESPONSE_TOO_LARGE', `response body exceeds ${limit} bytes`, {
            method,
            url,
            status,
            attempts: attemptNumber,
            retryable: false,
            details: { maxResponseBytes: limit },
          }),
          false,
        );
      if (responseType === 'stream') {
        if (declaredTooLarge(response.body, responseHeaders, limit)) {
          log({ status, error: 'HTTP_RESPONSE_TOO_LARGE' });
          throw tooLarge();
        }
        log({ status, streaming: true });
        const readFailure = (error: unknown): HttpError => {
          if (signal?.aborted) return aborted(attemptNumber, error);
          if (error instanceof TooLarge) return tooLarge().error;
          const failure = classifyNetworkError(error);
          return new HttpError(
            failure.code,
            `failed reading the response body${failure.cause ? ` (${failure.cause})` : ''}`,
            { method, url, status, attempts: attemptNumber, retryable: failure.retryable, cause: error },
          );
        };
        return {
          status,
          headers: responseHeaders,
          url,
          attempts: attemptNumber,
          body: streamLimited(response.body, limit, readFailure),
        };
      }

      let raw: Buffer;
      try {
        raw = await readLimited(response.body, responseHeaders, limit);
      } catch (error) {
        if (signal?.aborted) throw aborted(attemptNumber, error);
        if (deadlineSignal.aborted) {
          log({ status, error: 'HTTP_TIMEOUT' });
          throw timedOut(attemptNumber, error);
        }
        if (error instanceof TooLarge) {
          log({ status, error: 'HTTP_RESPONSE_TOO_LARGE' });
          throw tooLarge();
        }
        const failure = classifyNetworkError(error);
        log({ status, error: failure.code, cause: failure.cause });
        throw new AttemptFailure(
          new HttpError(
            failure.code,
            `failed reading the response body${failure.cause ? ` (${failure.cause})` : ''}`,
            {
              method,
              url,
              status,
              attempts: attemptNumber,
              retryable: failure.retryable,
              cause: error,
            },
          ),
          failure.retryable && idempotent,
        );
      }
      log({ status, bytes: raw.length });
      const result = { status, headers: responseHeaders, url, attempts: attemptNumber };
      if (responseType === 'buffer') return { ...result, body: raw };
      const text = raw.toString('utf8');
      if (responseType === 'text') return { ...result, body: text };
      if (text.trim() === '') {
        if (options.schema) validate(options.schema, undefined, method, url, status, attemptNumber, '');
        return { ...result, body: undefined };
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new AttemptFailure(
          new HttpError('HTTP_RESPONSE_INVALID', 'response is not valid JSON', {
            method,
            url,
            status,
            body: scrub(text),
            attempts: attemptNumber,
            cause: error,
          }),
          false,
        );
      }
      const parsedBody = options.schema
        ? validate(options.schema, value, method, url, status, attemptNumber, scrub(text))
        : value;
      return { ...result, body: parsedBody };
    };

    for (let attemptNumber = 1; ; attemptNumber++) {
      if (signal?.aborted) throw aborted(attemptNumber - 1);
      try {
        const run = (): Promise<HttpResponse<unknown>> => attempt(attemptNumber);
        return queue ? await queue.add(run, signal ? { signal } : {}) : await run();
      } catch (error) {
        if (error instanceof AttemptFailure) {
          if (!error.retry || retry === false || attemptNumber >= maxAttempts || closed) throw error.error;
          const delayMs = error.delayMs ?? computeBackoff(attemptNumber, retry, random);
          logger?.debug('http retry', {
            method,
            url: safeUrl,
            attempt: attemptNumber,
            code: error.error.code,
            status: error.error.status,
            delayMs,
          });
          try {
            await clock.sleep(delayMs, signal);
          } catch (sleepError) {
            throw aborted(attemptNumber, sleepError);
          }
          continue;
        }
        if (HttpError.isInstance(error)) throw error;
        // Aborted while queued or while waiting for a rate-limit token.
        if (signal?.aborted) throw aborted(attemptNumber - 1, error);
        throw new HttpError('HTTP_ERROR', 'unexpected failure', {
          method,
          url,
          attempts: attemptNumber,
          retryable: false,
          cause: error,
        });
      }
    }
  };

  const typed = request as HttpClient['request'];
  const verb =
    (method: string) =>
    (path: string, init: HttpRequestInit = {}): Promise<HttpResponse<never>> =>
      typed({ ...init, method, path }) as Promise<HttpResponse<never>>;
  return {
    request: typed,
    get: verb('GET'),
    post: verb('POST'),
    put: verb('PUT'),
    patch: verb('PATCH'),
    delete: verb('DELETE'),
    async close() {
      if (closed) return;
      closed = true;
      if (owned) await owned.close();
    },
  };
}

function validate(
  schema: z.ZodType,
  value: unknown,
  method: string,
  url: string,
  status: number,
  attempts: number,
  text: string,
): unknown {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = issuesFromZod(result.error);
  const summary = issues
    .slice(0, 5)
    .map((issue) => (issue.path ? `${issue.path}: ${issue.reason}` : issue.reason))
    .join('; ');
  throw new AttemptFailure(
    new HttpError('HTTP_RESPONSE_INVALID', `response does not match the expected schema: ${summary}`, {
      method,
      url,
      status,
      body: text,
      attempts,
      cause: result.error,
      details: { issues },
    }),
    false,
  );
}

function stripUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

class TooLarge extends Error {}

/**
 * Whether an uncompressed body announces more than `limit` bytes; if so it is dropped unread.
 * Also attaches the error listener every body needs: destroying a body makes undici emit an abort
 * error, which would be uncaught without one.
 */
function declaredTooLarge(
  body: Dispatcher.ResponseData['body'],
  headers: Record<string, string>,
  limit: number,
): boolean {
  body.on('error', () => {});
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > limit && headers['content-encoding'] === undefined) {
    body.destroy();
    return true;
  }
  return false;
}

async function readLimited(
  body: Dispatcher.ResponseData['body'],
  headers: Record<string, string>,
  limit: number,
): Promise<Buffer> {
  if (declaredTooLarge(body, headers, limit)) throw new TooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new TooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}

/** The body as chunks, counted against `limit`; failures leave as `toError` maps them. */
async function* streamLimited(
  body: Dispatcher.ResponseData['body'],
  limit: number,
  toError: (error: unknown) => HttpError,
): AsyncGenerator<Buffer> {
  let size = 0;
  try {
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new TooLarge();
      yield chunk as Buffer;
    }
  } catch (error) {
    throw toError(error);
  } finally {
    // Stopped early, failed or too large: release the connection.
    if (!body.readableEnded) body.destroy();
  }
}

/** Reads at most `max` bytes of an error body and drops the rest; never throws. */
async function readExcerpt(body: Dispatcher.ResponseData['body'], max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  body.on('error', () => {});
  try {
    for await (const chunk of body) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= max) {
        body.destroy();
        break;
      }
    }
  } catch {
    // A broken error body still leaves us the status to report.
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}
