import {
  type HttpClient,
  HttpError,
  issuesFromZod,
  type PluginContext,
  parseRetryAfter,
  type QueryValue,
} from '@ce/core';
import type { z } from 'zod';
import {
  type CrowdStrikeError,
  crowdStrikeApiPaths,
  crowdStrikeRateLimitHeaders,
  tokenResponseSchema,
} from './crowdstrike-api.js';
import type { CrowdStrikeConfig } from './crowdstrike-config.js';

/**
 * Talks to Falcon for the capabilities: OAuth2 client credentials with an in-memory token cache,
 * one retry with a fresh token on 401, waits for 429s as `X-RateLimit-RetryAfter` says, and
 * envelope validation.
 *
 * @module
 */

interface CachedToken {
  token: string;
  /** Refresh from this time on (epoch ms): a margin before the token's real expiry. */
  refreshAt: number;
  /** Which credentials it was issued for. */
  identity: string;
}

interface TokenSlot {
  current?: CachedToken;
  pending?: Promise<CachedToken>;
}

// Tokens live in memory only (never in the state store, which is persisted), keyed by the
// configuration's HTTP client: the host keeps one client per configuration version, so a token
// never crosses configurations and is dropped with the client when the configuration changes.
const tokenSlots = new WeakMap<HttpClient, TokenSlot>();

const refreshMarginMs = 60_000;
const maxRateLimitRetries = 3;
const fallbackRateLimitWaitMs = 1_000;

/** The statuses the wrapper reads itself instead of letting the HTTP client throw. */
const inspectedStatuses = [200, 201, 202, 204, 400, 401, 404, 409, 429] as const;

function identityOf(config: CrowdStrikeConfig): string {
  return `${config.clientId}|${config.memberCid ?? ''}`;
}

/** How long a 429 asks to wait: `X-RateLimit-RetryAfter` (epoch seconds), else `Retry-After`. */
export function rateLimitWaitMs(headers: Record<string, string>, now: number): number | undefined {
  const epochText = headers[crowdStrikeRateLimitHeaders.retryAfter];
  if (epochText !== undefined && /^\d+(\.\d+)?$/.test(epochText.trim())) {
    return Math.max(0, Math.ceil(Number(epochText) * 1_000 - now));
  }
  return parseRetryAfter(headers['retry-after'], now);
}

interface RawRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, QueryValue | ReadonlyArray<QueryValue>>;
  headers?: Record<string, string>;
  json?: unknown;
  body?: string;
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  url: string;
}

/** Sends once per allowed attempt, sleeping on `ctx.clock` between 429s. */
async function sendHonouringRateLimit(
  context: PluginContext<CrowdStrikeConfig>,
  request: RawRequest,
): Promise<RawResponse> {
  const ceilingMs = context.config.maxRateLimitWaitSeconds * 1_000;
  for (let attempt = 1; ; attempt++) {
    const response = await context.http.request({
      method: request.method,
      path: request.path,
      ...(request.query ? { query: request.query } : {}),
      ...(request.headers ? { headers: request.headers } : {}),
      ...(request.json === undefined ? {} : { json: request.json }),
      ...(request.body === undefined ? {} : { body: request.body }),
      responseType: 'text',
      expectStatus: inspectedStatuses,
      // Writes are safe to repeat: a create that did land comes back as a duplicate, which push
      // resolves by updating; so 5xx and network failures may be retried for every method.
      idempotent: true,
      signal: context.signal,
    });
    if (response.status !== 429) {
      return { status: response.status, headers: response.headers, text: response.body, url: response.url };
    }
    const asked = rateLimitWaitMs(response.headers, context.clock.now());
    const waitMs = asked ?? fallbackRateLimitWaitMs * 2 ** (attempt - 1);
    const init = {
      method: request.method,
      url: response.url,
      status: 429,
      body: response.body,
      attempts: attempt,
      details: { retryAfterMs: waitMs },
    };
    if (waitMs > ceilingMs) {
      throw new HttpError(
        'HTTP_RATE_LIMITED',
        `status 429; Falcon asked to retry after ${Math.ceil(waitMs / 1_000)}s, above the ${context.config.maxRateLimitWaitSeconds}s ceiling`,
        init,
      );
    }
    if (attempt > maxRateLimitRetries) {
      throw new HttpError('HTTP_RATE_LIMITED', `status 429 after ${attempt} attempts`, init);
    }
    context.logger.debug('falcon rate limit, waiting', {
      path: request.path,
      waitMs,
      limit: response.headers[crowdStrikeRateLimitHeaders.limit],
      attempt,
    });
    try {
      await context.clock.sleep(waitMs, context.signal);
    } catch (error) {
      throw new HttpError('ABORTED', 'request aborted while waiting out a rate limit', {
        method: request.method,
        url: response.url,
        attempts: attempt,
        retryable: false,
        cause: error,
      });
    }
  }
}

async function issueToken(context: PluginContext<CrowdStrikeConfig>): Promise<CachedToken> {
  const { config } = context;
  const form = new URLSearchParams({ client_id: config.clientId, client_secret: config.clientSecret });
  if (config.memberCid) form.set('member_cid', config.memberCid);
  const response = await sendHonouringRateLimit(context, {
    method: 'POST',
    path: crowdStrikeApiPaths.token,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
  });
  if (response.status !== 200 && response.status !== 201) {
    // The body is the server's answer, which never echoes the credentials.
    throw new HttpError(
      response.status === 401 || response.status === 400 ? 'HTTP_AUTH_FAILED' : undefined,
      `token request refused with status ${response.status}: ${firstErrorMessage(response.text)}`,
      { method: 'POST', url: response.url, status: response.status, body: response.text, retryable: false },
    );
  }
  const parsed = parseBody(response, 'POST', tokenResponseSchema);
  const lifetimeMs = parsed.expires_in * 1_000;
  return {
    token: parsed.access_token,
    refreshAt: context.clock.now() + lifetimeMs - Math.min(refreshMarginMs, lifetimeMs / 2),
    identity: identityOf(config),
  };
}

/**
 * The bearer token for the configuration: the cached one while it is fresh, else a new one.
 * Concurrent callers share one token request. The token is never logged or persisted.
 */
export async function getAccessToken(
  context: PluginContext<CrowdStrikeConfig>,
  options: { refresh?: boolean; stale?: string } = {},
): Promise<string> {
  let slot = tokenSlots.get(context.http);
  if (!slot) {
    slot = {};
    tokenSlots.set(context.http, slot);
  }
  const current = slot.current;
  const usable =
    current &&
    current.identity === identityOf(context.config) &&
    context.clock.now() < current.refreshAt &&
    !(options.refresh && (options.stale === undefined || options.stale === current.token));
  if (usable) return current.token;
  let pending = slot.pending;
  if (!pending) {
    const owner = slot;
    pending = issueToken(context)
      .then((issued) => {
        owner.current = issued;
        return issued;
      })
      .finally(() => {
        owner.pending = undefined;
      });
    owner.pending = pending;
  }
  return (await pending).token;
}

function firstErrorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { errors?: Array<{ message?: unknown }> | null };
    const message = body.errors?.[0]?.message;
    if (typeof message === 'string' && message.length > 0) return message.slice(0, 300);
  } catch {
    // Not JSON: fall through to a generic message.
  }
  return 'no error message';
}

function parseBody<S extends z.ZodType>(response: RawResponse, method: string, schema: S): z.output<S> {
  let value: unknown;
  try {
    value = response.text.trim() === '' ? undefined : JSON.parse(response.text);
  } catch (error) {
    throw new HttpError('HTTP_RESPONSE_INVALID', 'response is not valid JSON', {
      method,
      url: response.url,
      status: response.status,
      body: response.text,
      cause: error,
    });
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = issuesFromZod(result.error);
  const summary = issues
    .slice(0, 5)
    .map((issue) => (issue.path ? `${issue.path}: ${issue.reason}` : issue.reason))
    .join('; ');
  throw new HttpError('HTTP_RESPONSE_INVALID', `response does not match the Falcon envelope: ${summary}`, {
    method,
    url: response.url,
    status: response.status,
    body: response.text,
    cause: result.error,
    details: { issues },
  });
}

/** Options of {@link falconRequest}. */
export interface FalconRequest<S extends z.ZodType> extends RawRequest {
  /** Schema of the envelope. */
  schema: S;
  /**
   * Statuses above 299 whose envelope still carries per-item results (a write where some items
   * failed), returned instead of thrown.
   * @default []
   */
  itemStatuses?: ReadonlyArray<number>;
}

/** A Falcon answer: status and validated envelope. */
export interface FalconResponse<T> {
  status: number;
  body: T;
  headers: Record<string, string>;
}

/**
 * Calls a Falcon endpoint with the configuration's bearer token. A 401 gets one retry with a new
 * token; a 429 waits as Falcon asks (within `maxRateLimitWaitSeconds`); 403 fails with
 * `HTTP_AUTH_FAILED` (a missing API scope), other failures with `HTTP_ERROR` and Falcon's message.
 */
export async function falconRequest<S extends z.ZodType>(
  context: PluginContext<CrowdStrikeConfig>,
  request: FalconRequest<S>,
): Promise<FalconResponse<z.output<S>>> {
  let token = await getAccessToken(context);
  let response: RawResponse | undefined;
  for (let attempt = 1; attempt <= 2; attempt++) {
    response = await sendHonouringRateLimit(context, {
      ...request,
      headers: { ...request.headers, authorization: `Bearer ${token}` },
    });
    if (response.status !== 401) break;
    if (attempt === 1) {
      context.logger.debug('falcon token refused, requesting a new one', { path: request.path });
      token = await getAccessToken(context, { refresh: true, stale: token });
    }
  }
  const final = response as RawResponse;
  if (final.status === 401) {
    throw new HttpError('HTTP_AUTH_FAILED', 'status 401 with a freshly issued token', {
      method: request.method,
      url: final.url,
      status: 401,
      body: final.text,
      attempts: 2,
    });
  }
  if (final.status >= 300 && !(request.itemStatuses ?? []).includes(final.status)) {
    throw new HttpError(undefined, `status ${final.status}: ${firstErrorMessage(final.text)}`, {
      method: request.method,
      url: final.url,
      status: final.status,
      body: final.text,
    });
  }
  return {
    status: final.status,
    headers: final.headers,
    body: parseBody(final, request.method, request.schema),
  };
}

/** Joins an envelope's error messages for a log line or a per-item failure. */
export function describeErrors(errors: ReadonlyArray<CrowdStrikeError> | null | undefined): string {
  if (!errors || errors.length === 0) return 'no error message';
  return errors
    .slice(0, 3)
    .map((error) => `${error.code}: ${error.message}`)
    .join('; ');
}
