import { CeError, type ErrorCode, HttpError } from '@ce/core';
import { netskopeErrorBodySchema } from './netskope-api.js';

/** A URL the tenant refused, with its reason, from a 400 answer to a URL list write. */
export interface RefusedEntry {
  entry: string;
  reason: string;
}

function parseBody(body: string | undefined): unknown {
  if (!body) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** The human-readable message of a Netskope error body, if it has one. */
export function netskopeErrorMessage(body: string | undefined): string | undefined {
  const parsed = netskopeErrorBodySchema.safeParse(parseBody(body));
  if (!parsed.success) return undefined;
  const { message, msg, err, reason } = parsed.data;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.map((item) => JSON.stringify(item)).join('; ');
  return msg ?? err ?? reason;
}

/**
 * The entries a URL list write was refused for. The tenant answers 400 with `message` holding
 * `[entry, reason]` pairs (the shape Netskope's Cloud Exchange plugin reads in
 * `_extract_invalid_indicators`); anything else yields an empty list.
 */
export function refusedEntries(error: unknown): RefusedEntry[] {
  if (!(error instanceof HttpError) || error.status !== 400) return [];
  const parsed = netskopeErrorBodySchema.safeParse(parseBody(error.body));
  if (!parsed.success || !Array.isArray(parsed.data.message)) return [];
  const out: RefusedEntry[] = [];
  for (const item of parsed.data.message) {
    if (Array.isArray(item) && typeof item[0] === 'string') {
      out.push({ entry: item[0], reason: typeof item[1] === 'string' ? item[1] : 'refused by the tenant' });
    }
  }
  return out;
}

const statusCodes: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
};

/**
 * Maps a failed tenant call to the SDK's codes, naming the operation and the tenant's own message:
 * 400 becomes `VALIDATION_FAILED` (the request was refused as invalid), 404 `NOT_FOUND`, 409
 * `CONFLICT`; 401/403, 429, 5xx, timeouts and invalid responses keep the HTTP client's code.
 * Anything that is not an `HttpError` is returned unchanged.
 */
export function mapNetskopeError(error: unknown, operation: string): unknown {
  if (!(error instanceof HttpError)) return error;
  const vendorMessage = netskopeErrorMessage(error.body);
  const code = (error.status !== undefined ? statusCodes[error.status] : undefined) ?? error.code;
  const status = error.status === undefined ? 'no response' : `status ${error.status}`;
  const message = `Netskope ${operation} failed (${status})${vendorMessage ? `: ${vendorMessage}` : ''}`;
  return new HttpError(code, message, {
    method: error.method,
    url: error.url,
    ...(error.status !== undefined ? { status: error.status } : {}),
    ...(error.body !== undefined ? { body: error.body } : {}),
    attempts: error.attempts,
    retryable: error.retryable,
    cause: error,
  });
}

/** Raised for a v1 answer with `status: "error"` (v1 reports failures inside a 200). */
export function v1Error(operation: string, errorCode: string | undefined, errors: unknown[]): CeError {
  const text = errors.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join('; ');
  const auth = /auth|token/i.test(`${errorCode ?? ''} ${text}`);
  return new CeError(
    auth ? 'HTTP_AUTH_FAILED' : 'VALIDATION_FAILED',
    `Netskope ${operation} failed: ${errorCode ?? 'error'}${text ? `: ${text}` : ''}`,
    { details: { errorCode } },
  );
}
