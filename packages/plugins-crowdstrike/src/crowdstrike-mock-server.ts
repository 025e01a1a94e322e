import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { type Clock, systemClock } from '@ce/core';
import {
  createMockServer,
  type MockRequest,
  type MockResponse,
  type MockServer,
  type RecordedRequest,
} from '@ce/plugin-kit';
import {
  type CrowdStrikeIndicator,
  crowdStrikeActions,
  crowdStrikeApiPaths,
  crowdStrikeIndicatorTypes,
  crowdStrikePlatforms,
  crowdStrikeSeverities,
} from './crowdstrike-api.js';
import { type FqlFilter, FqlSyntaxError, fqlMentions, matchesFql, parseFql } from './fql.js';

/** Options of {@link startCrowdStrikeMockServer}. */
export interface CrowdStrikeMockServerOptions {
  /** @default 'demo-falcon-client-id' */
  clientId?: string;
  /** @default 'demo-falcon-client-secret-0123456789' */
  clientSecret?: string;
  /** When set, token requests must name this member CID. */
  memberCid?: string;
  /**
   * Lifetime of issued tokens in seconds; Falcon issues 30-minute tokens.
   * @default 1799
   */
  tokenLifetimeSeconds?: number;
  /**
   * Time source for token expiry, timestamps and `X-RateLimit-RetryAfter`; share the plugin's
   * fake clock in tests.
   * @default systemClock
   */
  clock?: Clock;
  /**
   * Custom IOCs the tenant may hold; creates beyond it fail per item.
   * @default 1000000
   */
  maxIocs?: number;
  /**
   * Requests allowed per rate-limit window before 429s.
   * @default 6000
   */
  rateLimit?: number;
  /**
   * Length of a rate-limit window in seconds.
   * @default 60
   */
  rateLimitWindowSeconds?: number;
  /** Indicators the tenant starts with; ids and timestamps are filled in when absent. */
  indicators?: ReadonlyArray<Partial<CrowdStrikeIndicator> & { type: string; value: string }>;
  /**
   * Lifetime of an `after` cursor in seconds.
   * @default 120
   */
  cursorLifetimeSeconds?: number;
}

/** A running mock Falcon tenant. */
export interface CrowdStrikeMockServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The underlying kit server (faults, delays, recorded requests). */
  readonly server: MockServer;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** The tenant's indicators, deleted ones included (`deleted: true`). */
  indicators(): CrowdStrikeIndicator[];
  /** Adds an indicator as if created in the console; returns it. */
  addIndicator(
    indicator: Partial<CrowdStrikeIndicator> & { type: string; value: string },
  ): CrowdStrikeIndicator;
  /** Deletes an indicator as if in the console; returns whether it existed. */
  deleteIndicator(id: string): boolean;
  /** Tokens issued so far. */
  readonly tokensIssued: number;
  /** Invalidates every issued token, as a revocation would. */
  revokeTokens(): void;
  /** Answers the next `count` API requests with 429, asking to retry `retryAfterSeconds` later. */
  throttleNext(count: number, retryAfterSeconds: number): void;
  /** Stops the server. */
  close(): Promise<void>;
}

const defaultClientId = 'demo-falcon-client-id';
const defaultClientSecret = 'demo-falcon-client-secret-0123456789';

function validValue(type: string, value: string): string | undefined {
  switch (type) {
    case 'sha256':
      return /^[0-9a-fA-F]{64}$/.test(value) ? undefined : 'sha256 must be 64 hexadecimal characters';
    case 'md5':
      return /^[0-9a-fA-F]{32}$/.test(value) ? undefined : 'md5 must be 32 hexadecimal characters';
    case 'domain':
      return value.length >= 1 && value.length <= 200 && /^[A-Za-z0-9*_.-]+$/.test(value)
        ? undefined
        : 'domain must be 1 to 200 characters of a host name';
    case 'ipv4':
      return isIP(value) === 4 ? undefined : 'ipv4 must be a valid IP address';
    case 'ipv6':
      return isIP(value) === 6 ? undefined : 'ipv6 must be a valid IP address';
    default:
      return `invalid type '${type}', valid types are ${crowdStrikeIndicatorTypes.join(', ')}`;
  }
}

interface Cursor {
  offset: number;
  query: string;
  expiresAt: number;
}

/**
 * Starts an in-process mock of a Falcon tenant's OAuth2 and IOC management API on 127.0.0.1, for
 * tests and the offline demo. It follows the wire format of CrowdStrike's API specification:
 * `POST /oauth2/token` (form-encoded client credentials, 201 with `access_token` and
 * `expires_in`; 403 for wrong credentials), bearer tokens that expire (401), the envelope
 * `{ meta: { query_time, pagination, powered_by, trace_id }, resources, errors }`, FQL filters,
 * `after` cursors that expire, per-item errors on writes (duplicates, invalid values, the tenant
 * cap), `X-RateLimit-Limit`/`-Remaining` on every answer and 429 with `X-RateLimit-RetryAfter`
 * (epoch seconds).
 *
 * @example
 * ```ts
 * const falcon = await startCrowdStrikeMockServer({ clientId: 'id', clientSecret: 'secret-123456' });
 * // configure the plugin with baseUrl: falcon.url, clientId: 'id', clientSecret: 'secret-123456'
 * await falcon.close();
 * ```
 */
export async function startCrowdStrikeMockServer(
  options: CrowdStrikeMockServerOptions = {},
): Promise<CrowdStrikeMockServer> {
  const clock = options.clock ?? systemClock;
  const clientId = options.clientId ?? defaultClientId;
  const clientSecret = options.clientSecret ?? defaultClientSecret;
  const lifetime = options.tokenLifetimeSeconds ?? 1_799;
  const maxIocs = options.maxIocs ?? 1_000_000;
  const limit = options.rateLimit ?? 6_000;
  const windowMs = (options.rateLimitWindowSeconds ?? 60) * 1_000;
  const cursorLifetimeMs = (options.cursorLifetimeSeconds ?? 120) * 1_000;
  const tokens = new Map<string, number>();
  const store = new Map<string, CrowdStrikeIndicator>();
  const cursors = new Map<string, Cursor>();
  let issued = 0;
  let sequence = 0;
  let window = { start: clock.now(), count: 0 };
  let throttle = { remaining: 0, seconds: 1 };

  const iso = (ms = clock.now()): string => new Date(ms).toISOString();
  const meta = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    query_time: 0.004,
    powered_by: 'ioc-manager',
    trace_id: randomBytes(16)
      .toString('hex')
      .replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, '$1-$2-$3-$4-$5'),
    ...extra,
  });
  const rateHeaders = (): Record<string, string> => ({
    'x-ratelimit-limit': String(limit),
    'x-ratelimit-remaining': String(Math.max(0, limit - window.count)),
  });
  const envelope = (
    status: number,
    body: { resources?: unknown; errors?: unknown[]; meta?: Record<string, unknown> },
  ): MockResponse => ({
    status,
    headers: rateHeaders(),
    json: { meta: body.meta ?? meta(), resources: body.resources ?? [], errors: body.errors ?? [] },
  });
  const error = (status: number, message: string): MockResponse =>
    envelope(status, { resources: null, errors: [{ code: status, message }] });

  const newId = (type: string, value: string): string =>
    createHash('sha256').update(`${type}:${value}:${sequence++}`).digest('hex');

  const insert = (
    input: Partial<CrowdStrikeIndicator> & { type: string; value: string },
  ): CrowdStrikeIndicator => {
    const now = iso();
    const indicator: CrowdStrikeIndicator = {
      action: 'detect',
      severity: 'medium',
      platforms: ['windows', 'mac', 'linux'],
      applied_globally: true,
      source: 'Falcon console',
      tags: [],
      expired: false,
      deleted: false,
      created_on: now,
      modified_on: now,
      created_by: 'analyst@example.com',
      modified_by: 'analyst@example.com',
      ...input,
      id: input.id ?? newId(input.type, input.value),
    };
    store.set(indicator.id as string, indicator);
    return indicator;
  };
  for (const indicator of options.indicators ?? []) insert(indicator);

  const live = (): CrowdStrikeIndicator[] => [...store.values()].filter((indicator) => !indicator.deleted);
  const withExpiry = (indicator: CrowdStrikeIndicator): CrowdStrikeIndicator => {
    const expires = indicator.expiration ? Date.parse(indicator.expiration) : Number.NaN;
    return Number.isFinite(expires) && expires <= clock.now() ? { ...indicator, expired: true } : indicator;
  };

  /** Rate limit, then bearer auth: what every IOC endpoint goes through first. */
  const guard = (request: MockRequest, counted = true): MockResponse | undefined => {
    const now = clock.now();
    if (now - window.start >= windowMs) window = { start: now, count: 0 };
    if (counted) window.count += 1;
    if (throttle.remaining > 0 || window.count > limit) {
      const retryAt =
        throttle.remaining > 0
          ? Math.ceil(now / 1_000) + throttle.seconds
          : Math.ceil((window.start + windowMs) / 1_000);
      if (throttle.remaining > 0) throttle.remaining -= 1;
      return {
        status: 429,
        headers: {
          ...rateHeaders(),
          'x-ratelimit-remaining': '0',
          'x-ratelimit-retryafter': String(retryAt),
        },
        json: { meta: meta(), resources: null, errors: [{ code: 429, message: 'API rate limit exceeded.' }] },
      };
    }
    if (!counted) return undefined;
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const expiresAt = match ? tokens.get(match[1] as string) : undefined;
    if (expiresAt === undefined || expiresAt <= now) return error(401, 'access denied, invalid bearer token');
    return undefined;
  };

  const search = (
    request: MockRequest,
  ): { page: CrowdStrikeIndicator[]; pagination: Record<string, unknown> } | MockResponse => {
    let filter: FqlFilter;
    try {
      filter = parseFql(request.query.filter ?? '');
    } catch (thrown) {
      return error(
        400,
        thrown instanceof FqlSyntaxError ? `Invalid filter: ${thrown.message}` : 'Invalid filter',
      );
    }
    const pageLimit = request.query.limit === undefined ? 100 : Number(request.query.limit);
    if (!Number.isInteger(pageLimit) || pageLimit < 1 || pageLimit > 2_000) {
      return error(400, 'limit must be an integer between 1 and 2000');
    }
    const sortText = request.query.sort ?? '';
    const sortMatch = /^([a-z_.]+?)(?:[|.](asc|desc))?$/i.exec(sortText);
    if (sortText && !sortMatch) return error(400, `Invalid sort: ${sortText}`);
    const queryKey = `${request.query.filter ?? ''}|${sortText}|${pageLimit}`;
    let offset = 0;
    const after = request.query.after;
    if (after) {
      const cursor = cursors.get(after);
      if (!cursor || cursor.query !== queryKey || cursor.expiresAt <= clock.now()) {
        return error(400, 'Invalid or expired after token');
      }
      offset = cursor.offset;
    } else if (request.query.offset !== undefined) offset = Math.max(0, Number(request.query.offset) || 0);
    const candidates = (fqlMentions(filter, 'deleted') ? [...store.values()] : live()).map(withExpiry);
    const matched = candidates.filter((indicator) =>
      matchesFql(filter, indicator as Record<string, unknown>),
    );
    if (sortMatch) {
      const field = sortMatch[1] as string;
      const direction = (sortMatch[2] ?? 'asc').toLowerCase() === 'desc' ? -1 : 1;
      matched.sort((a, b) => {
        const left = String((a as Record<string, unknown>)[field] ?? '');
        const right = String((b as Record<string, unknown>)[field] ?? '');
        const dated = /_on$|^expiration$/.test(field);
        const order = (dated ? Date.parse(left) - Date.parse(right) : 0) || left.localeCompare(right);
        return order * direction || String(a.id).localeCompare(String(b.id));
      });
    }
    const page = matched.slice(offset, offset + pageLimit);
    const nextOffset = offset + page.length;
    let next = '';
    const expiresAt = clock.now() + cursorLifetimeMs;
    if (nextOffset < matched.length) {
      next = randomBytes(24).toString('base64url');
      cursors.set(next, { offset: nextOffset, query: queryKey, expiresAt });
    }
    return {
      page,
      pagination: {
        limit: pageLimit,
        total: matched.length,
        offset,
        after: next,
        expires_at: Math.floor(expiresAt / 1_000),
      },
    };
  };

  const checkFields = (input: Record<string, unknown>, creating: boolean): string | undefined => {
    if (creating) {
      const type = String(input.type ?? '');
      const problem = validValue(type, String(input.value ?? ''));
      if (problem) return problem;
    }
    if (
      input.action !== undefined &&
      !(crowdStrikeActions as ReadonlyArray<unknown>).includes(input.action)
    ) {
      return `invalid action '${String(input.action)}'`;
    }
    if (creating && input.action === undefined) return 'action is required';
    if (
      input.severity !== undefined &&
      !(crowdStrikeSeverities as ReadonlyArray<unknown>).includes(input.severity)
    ) {
      return `invalid severity '${String(input.severity)}'`;
    }
    if (
      creating &&
      (input.action === 'detect' || input.action === 'prevent') &&
      input.severity === undefined
    ) {
      return `severity is required for action '${String(input.action)}'`;
    }
    if (
      (input.action === 'prevent' || input.action === 'allow' || input.action === 'prevent_no_ui') &&
      creating &&
      !['md5', 'sha256'].includes(String(input.type))
    ) {
      return `action '${String(input.action)}' is only supported for hashes`;
    }
    if (input.platforms !== undefined || creating) {
      const platforms = input.platforms;
      if (
        !Array.isArray(platforms) ||
        platforms.length === 0 ||
        !platforms.every((platform) => (crowdStrikePlatforms as ReadonlyArray<unknown>).includes(platform))
      ) {
        return 'platforms must list one or more of windows, mac, linux';
      }
    }
    if (creating && input.applied_globally !== true && !Array.isArray(input.host_groups)) {
      return 'applied_globally or host_groups is required';
    }
    if (input.expiration !== undefined) {
      const expires = Date.parse(String(input.expiration));
      if (!Number.isFinite(expires)) return 'expiration must be an RFC 3339 date';
      if (expires <= clock.now()) return 'expiration must be in the future';
    }
    if (input.source !== undefined && String(input.source).length > 256)
      return 'source must be at most 256 characters';
    return undefined;
  };

  const parseWrite = (request: MockRequest): Array<Record<string, unknown>> | MockResponse => {
    let body: { indicators?: unknown };
    try {
      body = request.json<{ indicators?: unknown }>();
    } catch {
      return error(400, 'request body is not valid JSON');
    }
    if (!Array.isArray(body?.indicators) || body.indicators.length === 0) {
      return error(400, 'indicators must be a non-empty array');
    }
    return body.indicators as Array<Record<string, unknown>>;
  };

  const server = await createMockServer();
  server.route('POST', crowdStrikeApiPaths.token, (request) => {
    const throttled = guard(request, false);
    if (throttled) return throttled;
    if (!(request.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
      return error(400, 'expected a form-encoded body');
    }
    const form = new URLSearchParams(request.body);
    const memberCid = form.get('member_cid') ?? undefined;
    if (
      form.get('client_id') !== clientId ||
      form.get('client_secret') !== clientSecret ||
      (options.memberCid !== undefined && memberCid?.toLowerCase() !== options.memberCid.toLowerCase())
    ) {
      return error(403, 'Failed to issue access token - Not Authorized');
    }
    const token = randomBytes(32).toString('base64url');
    tokens.set(token, clock.now() + lifetime * 1_000);
    issued += 1;
    return {
      status: 201,
      headers: rateHeaders(),
      json: { access_token: token, token_type: 'bearer', expires_in: lifetime },
    };
  });

  server.route('GET', crowdStrikeApiPaths.combinedIndicators, (request) => {
    const refused = guard(request);
    if (refused) return refused;
    const result = search(request);
    if (!('page' in result)) return result;
    return envelope(200, { resources: result.page, meta: meta({ pagination: result.pagination }) });
  });

  server.route('GET', crowdStrikeApiPaths.queryIndicators, (request) => {
    const refused = guard(request);
    if (refused) return refused;
    const result = search(request);
    if (!('page' in result)) return result;
    return envelope(200, {
      resources: result.page.map((indicator) => indicator.id),
      meta: meta({ pagination: result.pagination }),
    });
  });

  server.route('GET', crowdStrikeApiPaths.entities, (request) => {
    const refused = guard(request);
    if (refused) return refused;
    const ids = request.searchParams.getAll('ids');
    const found = ids.flatMap((id) => {
      const indicator = store.get(id);
      return indicator ? [withExpiry(indicator)] : [];
    });
    const missing = ids.filter((id) => !store.has(id));
    return envelope(missing.length > 0 && found.length === 0 ? 404 : 200, {
      resources: found,
      errors: missing.map((id) => ({ code: 404, message: `Indicator with id ${id} not found`, id })),
    });
  });

  server.route('POST', crowdStrikeApiPaths.entities, (request) => {
    const refused = guard(request);
    if (refused) return refused;
    const inputs = parseWrite(request);
    if (!Array.isArray(inputs)) return inputs;
    const resources: unknown[] = [];
    const errors: unknown[] = [];
    for (const input of inputs) {
      const type = String(input.type ?? '');
      const value = String(input.value ?? '');
      const reject = (message: string): void => {
        resources.push({ type, value, message_type: 'error', message });
        errors.push({ code: 400, message });
      };
      const problem = checkFields(input, true);
      if (problem) {
        reject(`${problem} (type: '${type}', value: '${value}')`);
        continue;
      }
      const normalized = type === 'ipv4' ? value : value.toLowerCase();
      if (live().some((indicator) => indicator.type === type && indicator.value === normalized)) {
        reject(`Duplicate type: '${type}' and value: '${normalized}' combination.`);
        continue;
      }
      if (live().length >= maxIocs) {
        reject('Limit of 1 million indicators reached.');
        continue;
      }
      const { id: _ignored, ...fields } = input as Record<string, unknown>;
      resources.push(
        insert({
          ...(fields as Partial<CrowdStrikeIndicator>),
          type,
          value: normalized,
          tags: Array.isArray(input.tags) ? (input.tags as string[]) : [],
          created_by: clientId,
          modified_by: clientId,
        }),
      );
    }
    return envelope(errors.length > 0 ? 400 : 201, { resources, errors });
  });

  server.route('PATCH', crowdStrikeApiPaths.entities, (request) => {
    const refused = guard(request);
    if (refused) return refused;
    const inputs = parseWrite(request);
    if (!Array.isArray(inputs)) return inputs;
    const resources: unknown[] = [];
    const errors: Array<{ code: number; message: string; id?: string }> = [];
    for (const input of inputs) {
      const id = String(input.id ?? '');
      const current = store.get(id);
      if (!current || current.deleted) {
        errors.push({ code: 404, message: `Indicator with id ${id} not found`, id });
        continue;
      }
      const { type: _type, value: _value, id: _id, ...changes } = input;
      const problem = checkFields({ ...changes, type: current.type }, false);
      if (problem) {
        errors.push({ code: 400, message: `${problem} (id: ${id})`, id });
        continue;
      }
      const updated = {
        ...current,
        ...(changes as Partial<CrowdStrikeIndicator>),
        modified_on: iso(),
        modified_by: clientId,
      };
      store.set(id, updated);
      resources.push(withExpiry(updated));
    }
    const status =
      errors.length === 0 ? 200 : errors.every((e) => e.code === 404) && resources.length === 0 ? 404 : 400;
    return envelope(status, { resources, errors });
  });

  server.route('DELETE', crowdStrikeApiPaths.entities, (request) => {
    const refused = guard(request);
    if (refused) return refused;
    let targets: string[];
    const filterText = request.query.filter;
    if (filterText) {
      let filter: FqlFilter;
      try {
        filter = parseFql(filterText);
      } catch (thrown) {
        return error(
          400,
          thrown instanceof FqlSyntaxError ? `Invalid filter: ${thrown.message}` : 'Invalid filter',
        );
      }
      targets = live()
        .filter((indicator) => matchesFql(filter, indicator as Record<string, unknown>))
        .map((indicator) => indicator.id as string);
    } else {
      targets = request.searchParams.getAll('ids');
      if (targets.length === 0) return error(400, 'ids or filter is required');
    }
    const resources: string[] = [];
    const errors: unknown[] = [];
    for (const id of targets) {
      const current = store.get(id);
      if (!current || current.deleted) {
        errors.push({ code: 404, message: `Indicator with id ${id} not found`, id });
        continue;
      }
      store.set(id, { ...current, deleted: true, modified_on: iso(), modified_by: clientId });
      resources.push(id);
    }
    return envelope(errors.length > 0 && resources.length === 0 ? 404 : 200, { resources, errors });
  });

  server.route('*', /.*/, (request) => {
    const refused = guard(request);
    if (refused) return refused;
    return error(404, `no route for ${request.method} ${request.path}`);
  });

  return {
    url: server.url,
    server,
    requests: server.requests,
    indicators: () => [...store.values()].map(withExpiry),
    addIndicator: insert,
    deleteIndicator(id) {
      const current = store.get(id);
      if (!current || current.deleted) return false;
      store.set(id, { ...current, deleted: true, modified_on: iso() });
      return true;
    },
    get tokensIssued() {
      return issued;
    },
    revokeTokens() {
      tokens.clear();
    },
    throttleNext(count, retryAfterSeconds) {
      throttle = { remaining: count, seconds: retryAfterSeconds };
    },
    close: () => server.close(),
  };
}
