import {
  CeError,
  type ErrorCode,
  HttpError,
  type LogSinkCapability,
  type LogSinkSession,
  type PluginContext,
  parseRetryAfter,
} from '@ce/core';
import { z } from 'zod';

/**
 * Every status counts as a response: the sinks read error bodies themselves (Splunk's `code`, an
 * S3 `<Error>`, a bulk response), and retries are the shipper's, never the HTTP client's.
 */
const anyStatus: ReadonlyArray<number> = Array.from({ length: 500 }, (_, index) => index + 100);

/** A response read in full, whatever its status. */
export interface SinkResponse {
  /** HTTP status. */
  status: number;
  /** Headers, names lower-cased. */
  headers: Record<string, string>;
  /** The body bytes (decompressed if the server compressed them). */
  body: Buffer;
  /** The URL requested, for errors (redacted by the error classes). */
  url: string;
}

/** One request of a sink. */
export interface SinkRequest {
  /** HTTP method. */
  method: string;
  /** Path relative to the client's base URL, or an absolute URL. */
  path: string;
  /** Request headers. */
  headers?: Record<string, string>;
  /** Body bytes. */
  body?: Buffer | string;
  /** The delivery's signal. */
  signal: AbortSignal;
}

/**
 * Sends one request through the context's HTTP client: a single attempt (the shipper owns
 * retries and backoff), every status returned to the caller. Network failures, timeouts and
 * aborts are thrown by the client as `HttpError`s (`HTTP_NETWORK`, `HTTP_TIMEOUT` retryable,
 * `ABORTED` not).
 */
export async function sendOnce(context: PluginContext<unknown>, request: SinkRequest): Promise<SinkResponse> {
  const response = await context.http.request({
    method: request.method,
    path: request.path,
    ...(request.headers ? { headers: request.headers } : {}),
    ...(request.body === undefined ? {} : { body: request.body }),
    signal: request.signal,
    responseType: 'buffer',
    expectStatus: anyStatus,
    retry: false,
    idempotent: true,
  });
  return { status: response.status, headers: response.headers, body: response.body, url: response.url };
}

/** Replaces every occurrence of a secret (at least 4 characters) with `[REDACTED]`. */
export function scrubSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4 && out.includes(secret)) out = out.split(secret).join('[REDACTED]');
  }
  return out;
}

/** The first `max` characters of a body as text, on one line, for reasons and messages. */
export function excerpt(body: Buffer | string, max = 300): string {
  const text = (typeof body === 'string' ? body : body.subarray(0, max * 4).toString('utf8'))
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

/** Options of {@link statusError}. */
export interface StatusErrorOptions {
  /** What was being done, e.g. `Splunk HEC refused the batch`. */
  message: string;
  /** The failed response. */
  response: SinkResponse;
  /** HTTP method. */
  method: string;
  /** The sink's clock, to read a `Retry-After` date. */
  now: number;
  /** Overrides the code derived from the status. */
  code?: ErrorCode;
  /** Overrides whether the status is retryable. */
  retryable?: boolean;
  /** Secrets to scrub from the body excerpt. */
  secrets?: ReadonlyArray<string | undefined>;
  /** More structured, non-secret facts. */
  details?: Record<string, unknown>;
}

/**
 * The error a sink throws for a failed response. 401 and 403 are `HTTP_AUTH_FAILED` and never
 * retryable (the shipper stops and alerts: a credential must change); 408, 429 and 5xx are
 * retryable, with the server's `Retry-After` in `details.retryAfterMs`; any other status is a
 * configuration problem (wrong URL, wrong method, a proxy in the way), not retryable.
 */
export function statusError(options: StatusErrorOptions): HttpError {
  const { response } = options;
  const status = response.status;
  const retryAfterMs = parseRetryAfter(response.headers['retry-after'], options.now);
  const retryable = options.retryable ?? (status === 408 || status === 429 || status >= 500);
  const code: ErrorCode =
    options.code ??
    (status === 401 || status === 403
      ? 'HTTP_AUTH_FAILED'
      : status === 429
        ? 'HTTP_RATE_LIMITED'
        : status === 408
          ? 'HTTP_TIMEOUT'
          : 'HTTP_ERROR');
  const body = scrubSecrets(excerpt(response.body, 1_000), options.secrets ?? []);
  return new HttpError(code, `${options.message} (status ${status})`, {
    method: options.method,
    url: response.url,
    status,
    body,
    retryable,
    kind: retryable ? 'transient' : 'config',
    details: { ...options.details, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
  });
}

/** A delivery that failed for a reason other than an HTTP status. */
export function sinkError(
  code: ErrorCode,
  message: string,
  options: { retryable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {},
): CeError {
  return new CeError(code, message, options);
}

/** Settings every HTTP sink shares: TLS, the per-request deadline. */
export const httpTransportSchema = z.object({
  /** Extra trusted certificate authorities (PEM), e.g. a private CA in front of the receiver. */
  ca: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
  /** Verify the server certificate; turn off only for a lab receiver. */
  rejectUnauthorized: z.boolean().default(true),
  /** Deadline of one request, in milliseconds. */
  timeoutMs: z.number().int().positive().max(600_000).default(30_000),
});

/** The HTTP client settings of an HTTP sink: no client retries (the shipper retries batches). */
export function transportOptions(config: z.output<typeof httpTransportSchema>) {
  return {
    ...(config.ca === undefined ? {} : { ca: config.ca }),
    rejectUnauthorized: config.rejectUnauthorized,
    timeoutMs: config.timeoutMs,
    retry: false as const,
  };
}

/** A header name as RFC 9110 allows it (a token). */
export const headerNameSchema = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a valid header name')
  .max(256);

/** A header value: visible ASCII and spaces, no line breaks (no header injection). */
export const headerValueSchema = z
  .string()
  .regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'a header value cannot hold control characters or line breaks')
  .max(8_192);

/**
 * The sink capability every sink of this package declares: all four formats, the configuration's
 * batch limits (`records: false` for sinks that write payloads only), and sessions guarded by
 * {@link guardSession}.
 */
export function sinkCapability<Config extends { maxBatchItems: number; maxBatchBytes: number }>(
  name: string,
  openSession: (context: PluginContext<Config>) => Promise<LogSinkSession>,
  options: { records?: boolean } = {},
): LogSinkCapability<Config> {
  return {
    formats: ['json', 'cef', 'leef', 'syslog'],
    limits: (config) => ({
      maxBatchItems: config.maxBatchItems,
      maxBatchBytes: config.maxBatchBytes,
      ...(options.records === false ? { records: false } : {}),
    }),
    open: async (context) => guardSession(name, await openSession(context)),
  };
}

/**
 * Wraps a session so that `close` is idempotent and a delivery after it fails with `ABORTED`
 * (a typed error the shipper recognises) instead of reaching a closed client or file.
 */
export function guardSession(name: string, session: LogSinkSession): LogSinkSession {
  let closed = false;
  return {
    deliver(batch, signal) {
      if (closed) return Promise.reject(new CeError('ABORTED', `the ${name} session is closed`));
      return session.deliver(batch, signal);
    },
    async close() {
      if (closed) return;
      closed = true;
      await session.close();
    },
  };
}
