import type { ErrorCode } from '../errors/error-codes.js';

/**
 * When and how the HTTP client repeats a failed request.
 *
 * Which failures are retried: network errors (reset, refused, socket closed, DNS), timeouts, and
 * the statuses 408, 429 and 5xx. Never 400, 401, 403, 404 or any other 4xx.
 *
 * Non-idempotent methods (POST, PATCH) are retried only when the server cannot have acted on the
 * request: a connection that was never established (refused, DNS, connect timeout), or a 429/503
 * that carries `Retry-After` (the server says it did not process the request and asks us to come
 * back). A reset after sending could mean a ticket was created twice, so it is not retried unless
 * the request says `idempotent: true` (e.g. it carries an idempotency key).
 */
export interface RetryOptions {
  /**
   * Total attempts including the first one; 1 disables retrying.
   * @default 4
   */
  maxAttempts?: number;
  /**
   * Backoff base: attempt n waits up to `baseDelayMs * 2^(n-1)`.
   * @default 500
   */
  baseDelayMs?: number;
  /**
   * Upper bound of one backoff wait (not of a server's `Retry-After`).
   * @default 30000
   */
  maxDelayMs?: number;
  /**
   * Full jitter: wait a random time between 0 and the exponential delay, so that many clients
   * failing together do not retry together. `false` waits exactly the exponential delay.
   * @default true
   */
  jitter?: boolean;
  /**
   * Longest `Retry-After` the client is willing to wait. When the server asks for more, the
   * request fails at once with `HTTP_RATE_LIMITED` (for 429) so the caller (a scheduler) can
   * reschedule instead of holding a worker.
   * @default 60000
   */
  maxRetryAfterMs?: number;
}

/** {@link RetryOptions} with every default filled in. */
export type ResolvedRetryOptions = Required<RetryOptions>;

/** The defaults of {@link RetryOptions}. */
export const defaultRetryOptions: Readonly<ResolvedRetryOptions> = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  jitter: true,
  maxRetryAfterMs: 60_000,
};

const idempotentMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Whether repeating `method` is safe by HTTP semantics (RFC 9110 9.2.2). */
export function isIdempotentMethod(method: string): boolean {
  return idempotentMethods.has(method.toUpperCase());
}

/**
 * The backoff before attempt `attempt + 1`, after `attempt` failed attempts (1-based): exponential,
 * capped, with optional full jitter. `random` returns a number in [0, 1).
 */
export function computeBackoff(
  attempt: number,
  options: Pick<ResolvedRetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'jitter'>,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return options.jitter ? Math.floor(random() * exponential) : exponential;
}

/** How a transport failure (no HTTP response) is reported and whether it may be retried. */
export interface NetworkFailure {
  /** `HTTP_TIMEOUT` or `HTTP_NETWORK`. */
  code: ErrorCode;
  /** Whether repeating can help (false for TLS certificate problems). */
  retryable: boolean;
  /** True when the request cannot have reached the server (so even a POST may be repeated). */
  beforeSend: boolean;
  /** The low-level code (`ECONNRESET`, `UND_ERR_HEADERS_TIMEOUT`, ...), for details. */
  cause: string | undefined;
}

const timeoutCodes = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);
const beforeSendCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const tlsCodePattern =
  /^(CERT_|ERR_TLS_|ERR_SSL_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH)/;

function errorCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const own = (error as { code?: unknown }).code;
  // Undici wraps the interesting code (ECONNRESET) in a generic UND_ERR_SOCKET's cause.
  const nested =
    errorCode((error as { cause?: unknown }).cause, depth + 1) ??
    errorCode((error as { errors?: unknown[] }).errors?.[0], depth + 1);
  if (typeof own === 'string' && own !== 'UND_ERR_SOCKET') return own;
  return nested ?? (typeof own === 'string' ? own : undefined);
}

/** Classifies an error thrown by the transport (no HTTP response was received). */
export function classifyNetworkError(error: unknown): NetworkFailure {
  const cause = errorCode(error);
  if (cause && timeoutCodes.has(cause)) {
    return { code: 'HTTP_TIMEOUT', retryable: true, beforeSend: beforeSendCodes.has(cause), cause };
  }
  if (cause && tlsCodePattern.test(cause)) {
    return { code: 'HTTP_NETWORK', retryable: false, beforeSend: true, cause };
  }
  return {
    code: 'HTTP_NETWORK',
    retryable: true,
    beforeSend: cause !== undefined && beforeSendCodes.has(cause),
    cause,
  };
}
