import { redactText, redactUrl } from '../logging/redact.js';
import { CeError, type CeErrorOptions } from './ce-error.js';
import type { ErrorCode } from './error-codes.js';

const maxBodyExcerpt = 1_000;

/** What an {@link HttpError} knows about the failed exchange. */
export interface HttpErrorInit extends CeErrorOptions {
  /** HTTP method. */
  method: string;
  /** Request URL; query values that look secret are redacted. */
  url: string;
  /** Response status, when a response arrived. */
  status?: number;
  /** Response body, when one arrived; it is redacted and cut to 1,000 characters. */
  body?: string;
  /** Number of attempts made before giving up. */
  attempts?: number;
}

function defaultCode(status: number | undefined): ErrorCode {
  if (status === 401 || status === 403) return 'HTTP_AUTH_FAILED';
  if (status === 429) return 'HTTP_RATE_LIMITED';
  if (status === 408) return 'HTTP_TIMEOUT';
  return 'HTTP_ERROR';
}

/** Whether a status is worth retrying: 408, 429 and 5xx; never 400, 401, 403 or 404. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * An HTTP request that failed: a network error, a timeout, an error status, an oversized or
 * invalid response. Carries the status, the (redacted) URL and an excerpt of the (redacted) body.
 */
export class HttpError extends CeError {
  /** Response status, or `undefined` when no response arrived. */
  readonly status: number | undefined;
  /** HTTP method of the failed request. */
  readonly method: string;
  /** Redacted request URL. */
  readonly url: string;
  /** Redacted excerpt of the response body, if any. */
  readonly body: string | undefined;
  /** How many attempts were made. */
  readonly attempts: number;

  constructor(code: ErrorCode | undefined, message: string, init: HttpErrorInit) {
    const resolved = code ?? defaultCode(init.status);
    const url = redactUrl(init.url);
    const body = init.body === undefined ? undefined : redactText(init.body.slice(0, maxBodyExcerpt));
    const retryable =
      init.retryable ?? (init.status === undefined ? undefined : isRetryableStatus(init.status));
    super(resolved, `${init.method} ${url}: ${message}`, {
      ...init,
      ...(retryable === undefined ? {} : { retryable }),
      details: {
        ...init.details,
        method: init.method,
        url,
        status: init.status,
        attempts: init.attempts ?? 1,
      },
    });
    this.name = 'HttpError';
    this.status = init.status;
    this.method = init.method;
    this.url = url;
    this.body = body;
    this.attempts = init.attempts ?? 1;
  }
}
