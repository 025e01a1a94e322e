import { CeError, type HttpClient, HttpError, type Logger } from '@ce/core';
import { netskopeErrorMessage } from '../tenant/netskope-errors.js';
import type { TenantRateLimiter } from '../tenant/tenant-limiter.js';
import {
  type DataExportIteratorOperation,
  type DataExportKind,
  dataExportIdFields,
  dataExportPath,
} from './data-export-types.js';
import { parseJsonLossless } from './lossless-json.js';

/** Why a data export call failed in a way the source handles itself. */
export type DataExportFailureReason =
  /** The tenant no longer knows the index (expired, never started, nothing to resend). */
  | 'index-lost'
  /** The body is not the documented envelope: cut, not JSON, or `result` is not a list of objects. */
  | 'invalid-page'
  /** The envelope says `ok` is not 1. */
  | 'not-ok'
  /** The tenant does not offer this endpoint (501). */
  | 'unsupported';

/**
 * A failure of one iterator call, with a reason the source acts on (re-seeding a lost index) and
 * a stable `code`: `NOT_FOUND` (index lost), `HTTP_RESPONSE_INVALID` (bad page), `NOT_SUPPORTED`.
 */
export class DataExportError extends CeError {
  /** What went wrong. */
  readonly reason: DataExportFailureReason;

  constructor(
    reason: DataExportFailureReason,
    message: string,
    details: Record<string, unknown>,
    cause?: unknown,
  ) {
    const code =
      reason === 'index-lost'
        ? 'NOT_FOUND'
        : reason === 'unsupported'
          ? 'NOT_SUPPORTED'
          : 'HTTP_RESPONSE_INVALID';
    super(code, message, {
      details: { reason, ...details },
      ...(cause === undefined ? {} : { cause }),
      // A cut or garbled page is usually a transfer problem: the next fetch resends it.
      ...(reason === 'invalid-page' || reason === 'not-ok'
        ? { kind: 'transient' as const, retryable: true }
        : {}),
    });
    this.name = 'DataExportError';
    this.reason = reason;
  }
}

/** One iterator call. */
export interface DataExportRequest {
  /** `events` or `alerts`. */
  kind: DataExportKind;
  /** The event or alert type (`page`, `dlp`...). */
  type: string;
  /** The iterator index; the tenant keeps one cursor per index and endpoint. */
  index: string;
  /** What to serve. */
  operation: DataExportIteratorOperation;
  /** Cancels the call, including waits for the rate limit. */
  signal?: AbortSignal;
}

/** The `RateLimit-*` headers of an answer, when present. */
export interface DataExportRateLimit {
  /** `RateLimit-Limit`. */
  limit?: number;
  /** `RateLimit-Remaining`. */
  remaining?: number;
  /** `RateLimit-Reset`, seconds. */
  resetSeconds?: number;
}

/** One page of the iterator, parsed losslessly. */
export interface DataExportPageResult {
  /** The records (`result`), 64-bit integers as strings. */
  records: Record<string, unknown>[];
  /** `ok` (1 on success), when sent. */
  ok?: number;
  /** `wait_time`: seconds the tenant asks to wait before the next call, when sent. */
  waitTime?: number;
  /** `timestamp_hwm`: epoch seconds up to which data was served, when sent. */
  timestampHwm?: number;
  /** The rate-limit headers. */
  rateLimit: DataExportRateLimit;
  /** Bytes of the (decompressed) body. */
  bytes: number;
  /** HTTP attempts made (429 answers are retried after `Retry-After`). */
  attempts: number;
}

/** Options of {@link createDataExportClient}. */
export interface DataExportClientOptions {
  /** The configuration's HTTP client (base URL and `Netskope-Api-Token` header set). */
  http: HttpClient;
  /** The tenant's shared limiter (`netskopeTenantLimiters.forTenant(baseUrl)`); every attempt takes a grant from it. */
  limiter: TenantRateLimiter;
  /**
   * Attempts per call when the tenant answers 429 (or 503 with `Retry-After`).
   * @default 5
   */
  maxAttempts?: number;
  /**
   * The longest `Retry-After` sat out; a longer one fails with `HTTP_RATE_LIMITED`.
   * @default 300000 (5 minutes, as Netskope's Cloud Exchange plugin allows)
   */
  maxRetryAfterMs?: number;
  /**
   * Keys whose integers are always strings.
   * @default dataExportIdFields
   */
  stringKeys?: ReadonlySet<string>;
  /**
   * Largest decompressed body accepted. A full page of 10,000 records is 10 to 30 MB.
   * @default 268435456 (256 MiB)
   */
  maxResponseBytes?: number;
  /** Debug records per call (path, operation, records, bytes); never headers. */
  logger?: Logger;
}

/** Calls to the data export iterator of one tenant. */
export interface DataExportClient {
  /**
   * `GET /api/v2/events/dataexport/{kind}/{type}?index=&operation=`: one page. Throws
   * {@link DataExportError} for a lost index or a bad page, `HttpError` for the rest
   * (`HTTP_AUTH_FAILED`, `HTTP_RATE_LIMITED` once the attempts are spent, 5xx, network).
   */
  fetchPage(request: DataExportRequest): Promise<DataExportPageResult>;
}

const indexWords = /\b(index|iterator)\b/i;
const lostWords =
  /(not found|unknown|expired|does not exist|doesn't exist|no such|invalid|nothing to resend|not exist)/i;

/** Whether a tenant message says the index is gone (the wording is not documented, so loosely). */
export function isIndexLostMessage(message: string | undefined): boolean {
  return message !== undefined && indexWords.test(message) && lostWords.test(message);
}

function headerNumber(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value.split(',')[0]?.trim());
  return Number.isFinite(number) ? number : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses `text/csv` (the format `clientstatus` may answer in): a header line, then one record per
 * line; quoted fields may hold commas, quotes (`""`) and newlines.
 */
export function parseCsvRecords(text: string): Record<string, unknown>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (quoted) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  row.push(field);
  if (row.length > 1 || row[0] !== '') rows.push(row);
  const [header, ...lines] = rows;
  if (!header) return [];
  return lines.map((line) => Object.fromEntries(header.map((name, index) => [name, line[index] ?? ''])));
}

/**
 * Creates the iterator client. Every attempt first takes a grant from the tenant's shared
 * limiter; a 429 pauses that limiter for `Retry-After` (so every stream of the tenant backs off,
 * not only the one that was refused) and is retried, since the tenant did not act on it;
 * `RateLimit-Remaining: 0` pauses it for `RateLimit-Reset`. Nothing else is retried here: after a
 * 5xx or a broken transfer the tenant may have moved its cursor, so the caller decides (the
 * source asks for `resend`).
 *
 * @example
 * ```ts
 * const client = createDataExportClient({ http: ctx.http, limiter: netskopeTenantLimiters.forTenant(url) });
 * const page = await client.fetchPage({ kind: 'alerts', type: 'dlp', index: 'ce_prod', operation: 'next' });
 * ```
 */
export function createDataExportClient(options: DataExportClientOptions): DataExportClient {
  const { http, limiter, logger } = options;
  const maxAttempts = options.maxAttempts ?? 5;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 300_000;
  const stringKeys = options.stringKeys ?? new Set<string>(dataExportIdFields);
  const maxResponseBytes = options.maxResponseBytes ?? 256 * 1024 * 1024;

  return {
    async fetchPage(request) {
      const { kind, type, index, operation, signal } = request;
      const path = dataExportPath(kind, type);
      const described = `${kind}/${type} (index ${index}, operation ${operation})`;
      for (let attempt = 1; ; attempt++) {
        await limiter.take(signal);
        let response: { status: number; headers: Record<string, string>; body: string };
        try {
          response = await http.get(path, {
            query: { index, operation },
            responseType: 'text',
            retry: false,
            maxResponseBytes,
            ...(signal ? { signal } : {}),
          });
        } catch (error) {
          if (!(error instanceof HttpError)) throw error;
          const retryAfterMs = error.details.retryAfterMs as number | undefined;
          const throttled = error.status === 429 || (error.status === 503 && retryAfterMs !== undefined);
          if (throttled) {
            const waitMs = retryAfterMs ?? 1_000;
            if (waitMs > maxRetryAfterMs || attempt >= maxAttempts) {
              throw new HttpError(
                'HTTP_RATE_LIMITED',
                `Netskope export ${described}: still throttled after ${attempt} attempts`,
                {
                  method: 'GET',
                  url: error.url,
                  ...(error.status === undefined ? {} : { status: error.status }),
                  attempts: attempt,
                  retryable: true,
                  details: { retryAfterMs: waitMs },
                  cause: error,
                },
              );
            }
            // The pause holds every stream of the tenant, including this one's next attempt.
            limiter.pauseFor(waitMs);
            logger?.debug('data export throttled', { path, operation, attempt, waitMs });
            continue;
          }
          const message = netskopeErrorMessage(error.body);
          if (
            (error.status === 400 || error.status === 404 || error.status === 410) &&
            isIndexLostMessage(message)
          ) {
            throw new DataExportError(
              'index-lost',
              `Netskope export ${described}: ${message}`,
              { index, kind, type, status: error.status },
              error,
            );
          }
          if (error.status === 501) {
            throw new DataExportError(
              'unsupported',
              `Netskope export ${described}: endpoint not offered by the tenant${message ? `: ${message}` : ''}`,
              { kind, type, status: 501 },
              error,
            );
          }
          const code =
            error.status === 400 ? 'VALIDATION_FAILED' : error.status === 404 ? 'NOT_FOUND' : error.code;
          throw new HttpError(code, `Netskope export ${described} failed${message ? `: ${message}` : ''}`, {
            method: 'GET',
            url: error.url,
            ...(error.status === undefined ? {} : { status: error.status }),
            ...(error.body === undefined ? {} : { body: error.body }),
            attempts: attempt,
            retryable: error.retryable,
            cause: error,
          });
        }
        const headers = response.headers;
        const rateLimit: DataExportRateLimit = {};
        const limit = headerNumber(headers['ratelimit-limit']);
        const remaining = headerNumber(headers['ratelimit-remaining']);
        const reset = headerNumber(headers['ratelimit-reset']);
        if (limit !== undefined) rateLimit.limit = limit;
        if (remaining !== undefined) rateLimit.remaining = remaining;
        if (reset !== undefined) rateLimit.resetSeconds = reset;
        if (remaining !== undefined && remaining <= 0) limiter.pauseFor((reset ?? 1) * 1_000);
        const text = response.body;
        const bytes = Buffer.byteLength(text);
        const page = parsePage(text, headers['content-type'], stringKeys, {
          index,
          kind,
          type,
          operation,
          bytes,
        });
        logger?.debug('data export page', { path, operation, records: page.records.length, bytes, attempt });
        return { ...page, rateLimit, bytes, attempts: attempt };
      }
    },
  };
}

function parsePage(
  text: string,
  contentType: string | undefined,
  stringKeys: ReadonlySet<string>,
  facts: Record<string, unknown>,
): Omit<DataExportPageResult, 'rateLimit' | 'bytes' | 'attempts'> {
  if (contentType?.toLowerCase().startsWith('text/csv')) return { records: parseCsvRecords(text) };
  let body: unknown;
  try {
    body = parseJsonLossless(text, { stringKeys });
  } catch (error) {
    throw new DataExportError(
      'invalid-page',
      `Netskope export ${facts.kind}/${facts.type}: the page is not valid JSON (cut or garbled, ${facts.bytes} bytes)`,
      facts,
      error,
    );
  }
  if (!isPlainObject(body)) {
    throw new DataExportError(
      'invalid-page',
      `Netskope export ${facts.kind}/${facts.type}: the page is not a JSON object`,
      facts,
    );
  }
  const { ok, result, wait_time: waitTime, timestamp_hwm: hwm } = body;
  if (ok !== undefined && ok !== 1) {
    const message =
      typeof body.message === 'string'
        ? body.message
        : typeof body.error === 'string'
          ? body.error
          : undefined;
    if (isIndexLostMessage(message)) {
      throw new DataExportError(
        'index-lost',
        `Netskope export ${facts.kind}/${facts.type}: ${message}`,
        facts,
      );
    }
    throw new DataExportError(
      'not-ok',
      `Netskope export ${facts.kind}/${facts.type} answered ok=${String(ok)}${message ? `: ${message}` : ''}`,
      facts,
    );
  }
  if (!Array.isArray(result)) {
    throw new DataExportError(
      'invalid-page',
      `Netskope export ${facts.kind}/${facts.type}: the page has no result list`,
      facts,
    );
  }
  for (let i = 0; i < result.length; i++) {
    if (!isPlainObject(result[i])) {
      throw new DataExportError(
        'invalid-page',
        `Netskope export ${facts.kind}/${facts.type}: result[${i}] is not an object`,
        facts,
      );
    }
  }
  const page: Omit<DataExportPageResult, 'rateLimit' | 'bytes' | 'attempts'> = {
    records: result as Record<string, unknown>[],
  };
  if (typeof ok === 'number') page.ok = ok;
  if (typeof waitTime === 'number' && waitTime >= 0) page.waitTime = waitTime;
  else if (typeof waitTime === 'string' && /^\d+$/.test(waitTime)) page.waitTime = Number(waitTime);
  if (typeof hwm === 'number' && hwm >= 0) page.timestampHwm = hwm;
  else if (typeof hwm === 'string' && /^\d+$/.test(hwm)) page.timestampHwm = Number(hwm);
  return page;
}

/**
 * Whether a failed data export call was refused before the tenant served a page (`ok: 0`, an
 * unsupported operation, any 4xx or 5xx): the iterator did not move, so the same operation may be
 * sent again instead of `resend`.
 */
export function refusedWithoutServing(error: unknown): boolean {
  if (error instanceof DataExportError) return error.reason === 'not-ok' || error.reason === 'unsupported';
  return error instanceof HttpError && error.status !== undefined && error.status >= 400;
}
