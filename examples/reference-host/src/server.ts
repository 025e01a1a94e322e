/**
 * The host's HTTP interface on `node:http`: health, metrics and the REST API for plugin
 * configurations. A small table of routes, JSON in and out, bearer-token authentication, and
 * errors mapped from `CeError` codes to statuses without leaking internals.
 *
 * @module
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LogShipper } from '@ce/cls';
import {
  type CeError,
  type CloudExchange,
  durationSchema,
  type ErrorCode,
  type FieldIssue,
  type Logger,
  moduleNameSchema,
  type PluginConfigRecord,
  toCeError,
} from '@ce/core';
import type { ThreatExchange } from '@ce/cte';
import type { TicketOrchestrator } from '@ce/cto';
import { z } from 'zod';
import {
  ApiError,
  type ApiErrorCode,
  bodyIssues,
  route as compile,
  isJsonMediaType,
  queryIssues,
  type Reply,
  type Route,
  readObject,
} from './api/http-api.js';
import { indicatorRoutes } from './api/indicators-routes.js';
import { listRoutes } from './api/lists-routes.js';
import { logShipperRoutes } from './api/log-shipper-routes.js';
import { sharingRuleRoutes } from './api/sharing-routes.js';
import { sourceRoutes } from './api/sources-routes.js';
import { ticketRoutes } from './api/ticket-routes.js';
import { warninglistRoutes } from './api/warninglists-routes.js';
import type { ApiToken } from './config.js';
import { findJsonSyntaxError } from './json-syntax.js';
import { type HostMetrics, prometheusContentType } from './metrics.js';

/** Options of {@link createRequestHandler}. */
export interface RequestHandlerOptions {
  /** The exchange the API manages. */
  exchange: CloudExchange;
  /** The threat exchange module; with it the API serves indicators, sharing rules and lists. */
  cte?: ThreatExchange;
  /** The log shipper module; with it the API serves its status and dead letters. */
  cls?: LogShipper;
  /** The ticket orchestrator; with it the API serves queues, rules, silences, alerts and tickets. */
  cto?: TicketOrchestrator;
  /** Where request failures and (at debug level) the access log go. */
  logger: Logger;
  /** Where request counts and durations are recorded, and what `/metrics` renders. */
  metrics: HostMetrics;
  /** With tokens, every `/api/` request must carry one as `Authorization: Bearer <token>`. */
  tokens?: ReadonlyArray<ApiToken>;
  /**
   * Largest accepted request body.
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes?: number;
  /** Whether the host is shutting down: responses then close their connection. */
  isStopping?: () => boolean;
  /**
   * Listeners that answer every request under their path prefix themselves (the TAXII server
   * under `/taxii2/`), with their own authentication; the prefix ends with `/`.
   */
  mounts?: ReadonlyArray<{ prefix: string; name: string; listener: RequestHandler }>;
}

/** A `node:http` request listener. */
export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

export type { ApiErrorCode } from './api/http-api.js';

/** The body of every error response. */
export interface ApiErrorBody {
  error: {
    /** Stable code: a `CeError` code or one of the API's own ({@link ApiErrorCode}). */
    code: ApiErrorCode;
    /** What went wrong, safe to show; internal failures say only where to look. */
    message: string;
    /** Every invalid field, for validation failures. */
    issues?: FieldIssue[];
    /** Correlates the response with the host's log. */
    requestId: string;
  };
}

const defaultMaxBodyBytes = 1_048_576;

function statusOf(code: ErrorCode): number {
  switch (code) {
    case 'VALIDATION_FAILED':
    case 'RULE_INVALID':
      return 400;
    case 'CONFIG_INVALID':
    case 'PLUGIN_INCOMPATIBLE':
      return 422;
    case 'NOT_FOUND':
    case 'PLUGIN_NOT_FOUND':
      return 404;
    case 'CONFLICT':
      return 409;
    case 'PLUGIN_FAILED':
    case 'HTTP_ERROR':
    case 'HTTP_AUTH_FAILED':
    case 'HTTP_RATE_LIMITED':
    case 'HTTP_NETWORK':
    case 'HTTP_RESPONSE_TOO_LARGE':
    case 'HTTP_RESPONSE_INVALID':
      return 502;
    case 'HTTP_TIMEOUT':
    case 'TIMEOUT':
      return 504;
    case 'ABORTED':
    case 'SCHEDULER_STOPPED':
      return 503;
    default:
      return 500;
  }
}

function issuesOf(error: CeError): FieldIssue[] | undefined {
  const issues = (error as { issues?: unknown }).issues ?? error.details.issues;
  return Array.isArray(issues) ? (issues as FieldIssue[]) : undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function match(route: Route, segments: string[]): Record<string, string> | undefined {
  if (route.segments.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let index = 0; index < segments.length; index++) {
    const expected = route.segments[index] as string;
    const actual = segments[index] as string;
    if (expected.startsWith(':')) params[expected.slice(1)] = actual;
    else if (expected !== actual) return undefined;
  }
  return params;
}

/** RFC 7396 JSON merge patch: objects merge, `null` removes a key, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(header);
  if (!match)
    throw new ApiError(400, 'VALIDATION_FAILED', 'If-Match must be the ETag of the configuration, e.g. "3"');
  return Number(match[1]);
}

function configurationReply(
  record: PluginConfigRecord,
  status = 200,
  headers: Record<string, string> = {},
): Reply {
  return { status, body: record, headers: { etag: `"${record.version}"`, ...headers } };
}

const patchSchema = z
  .object({
    name: z.string().min(1).max(200).optional(),
    modules: z.array(moduleNameSchema).optional(),
    enabled: z.boolean().optional(),
    interval: durationSchema.optional(),
    config: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const auditQuerySchema = z
  .object({
    target: z.string().min(1).max(600).optional(),
    after: z.coerce.number().int().nonnegative().optional(),
    limit: z.coerce.number().int().min(1).max(1_000).default(100),
  })
  .strict();

/**
 * Builds the request listener of the host's HTTP server.
 *
 * @example
 * ```ts
 * const server = createServer(createRequestHandler({ exchange, logger, metrics, tokens }));
 * server.listen(8080, '127.0.0.1');
 * ```
 */
export function createRequestHandler(options: RequestHandlerOptions): RequestHandler {
  const { exchange, logger, metrics } = options;
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const tokens = (options.tokens ?? []).map((token) => ({ name: token.name, digest: digest(token.token) }));
  const isStopping = options.isStopping ?? (() => false);

  const authenticate = (request: IncomingMessage): string => {
    if (tokens.length === 0) return 'api';
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const challenge = { 'www-authenticate': 'Bearer realm="cloud-exchange"' };
    if (!match)
      throw new ApiError(
        401,
        'UNAUTHORIZED',
        'this API needs a bearer token (Authorization: Bearer <token>)',
        undefined,
        challenge,
      );
    const given = digest(match[1] as string);
    // Every token is compared, in constant time, so timing reveals neither which nor how much matched.
    let actor: string | undefined;
    for (const token of tokens)
      if (timingSafeEqual(given, token.digest) && actor === undefined) actor = token.name;
    if (actor === undefined)
      throw new ApiError(401, 'UNAUTHORIZED', 'the bearer token is not valid', undefined, challenge);
    return actor;
  };

  const readBody = (request: IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const declared = Number(request.headers['content-length'] ?? Number.NaN);
      const tooLarge = (): ApiError =>
        new ApiError(413, 'PAYLOAD_TOO_LARGE', `the request body exceeds ${maxBodyBytes} bytes`, undefined, {
          connection: 'close',
        });
      const chunks: Buffer[] = [];
      let received = 0;
      // The stream keeps flowing after a rejection, so the rest of the body is read and dropped
      // and the client gets to read the 413 before the connection closes.
      request.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received <= maxBodyBytes) chunks.push(chunk);
        else reject(tooLarge());
      });
      request.on('end', () => resolve(Buffer.concat(chunks)));
      request.on('error', reject);
      if (declared > maxBodyBytes) reject(tooLarge());
    });

  const readText = async (request: IncomingMessage): Promise<string> => {
    const raw = await readBody(request);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      throw new ApiError(400, 'VALIDATION_FAILED', 'the request body is not valid UTF-8');
    }
  };

  const readJson = async (request: IncomingMessage): Promise<unknown> => {
    if (!isJsonMediaType(request.headers['content-type'])) {
      throw new ApiError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `send the body as JSON (Content-Type: application/json), not ${request.headers['content-type'] ? `"${request.headers['content-type']}"` : 'without a content type'}`,
      );
    }
    const text = await readText(request);
    if (text.trim() === '')
      throw new ApiError(400, 'VALIDATION_FAILED', 'the request body is empty; send a JSON object');
    try {
      return JSON.parse(text);
    } catch {
      const problem = findJsonSyntaxError(text);
      const where = problem
        ? ` at line ${problem.line}, column ${problem.column} (offset ${problem.offset}): ${problem.reason}`
        : '';
      throw new ApiError(400, 'VALIDATION_FAILED', `the request body is not valid JSON${where}`);
    }
  };

  const routes: Route[] = [
    compile(
      'GET',
      '/healthz',
      async () => {
        const { status: state, ...health } = await exchange.health();
        const running = state === 'running';
        return {
          status: running ? 200 : 503,
          body: { status: running ? 'ok' : 'unavailable', state, ...health },
        };
      },
      false,
    ),
    compile(
      'GET',
      '/metrics',
      async () => ({
        status: 200,
        text: await metrics.render(),
        headers: { 'content-type': prometheusContentType },
      }),
      false,
    ),
    compile('GET', '/api/v1/plugins', async () => ({
      status: 200,
      body: { items: exchange.plugins.list().map((definition) => exchange.plugins.manifest(definition.id)) },
    })),
    compile('GET', '/api/v1/plugins/:id', async ({ params }) => ({
      status: 200,
      body: exchange.plugins.manifest(params.id as string),
    })),
    compile('GET', '/api/v1/configurations', async () => ({
      status: 200,
      body: { items: await exchange.configurations.list() },
    })),
    compile('POST', '/api/v1/configurations', async (context) => {
      const body = await readObject(context);
      const record = await exchange.configurations.add(body as never, { actor: context.actor });
      return configurationReply(record, 201, {
        location: `/api/v1/configurations/${encodeURIComponent(record.id)}`,
      });
    }),
    compile('POST', '/api/v1/configurations/validate', async (context) => ({
      status: 200,
      body: await exchange.configurations.validate(await readObject(context)),
    })),
    compile('GET', '/api/v1/configurations/:id', async ({ params }) =>
      configurationReply(await exchange.configurations.get(params.id as string)),
    ),
    compile('PATCH', '/api/v1/configurations/:id', async (context) => {
      const id = context.params.id as string;
      const expectedVersion = parseIfMatch(context.request.headers['if-match']);
      const parsed = patchSchema.safeParse(await readObject(context));
      if (!parsed.success)
        throw new ApiError(400, 'VALIDATION_FAILED', 'invalid patch', bodyIssues(parsed.error));
      const current = await exchange.configurations.get(id);
      const { config, ...rest } = parsed.data;
      const patch = {
        ...rest,
        ...(config !== undefined
          ? { config: mergePatch(current.config, config) as Record<string, unknown> }
          : {}),
      };
      const record = await exchange.configurations.update(id, patch as never, {
        actor: context.actor,
        expectedVersion: expectedVersion ?? current.version,
      });
      return configurationReply(record);
    }),
    compile('DELETE', '/api/v1/configurations/:id', async (context) => {
      const expectedVersion = parseIfMatch(context.request.headers['if-match']);
      await exchange.configurations.remove(context.params.id as string, {
        actor: context.actor,
        ...(expectedVersion !== undefined ? { expectedVersion } : {}),
      });
      return { status: 204 };
    }),
    compile('POST', '/api/v1/configurations/:id/enable', async (context) =>
      configurationReply(
        await exchange.configurations.enable(context.params.id as string, { actor: context.actor }),
      ),
    ),
    compile('POST', '/api/v1/configurations/:id/disable', async (context) =>
      configurationReply(
        await exchange.configurations.disable(context.params.id as string, { actor: context.actor }),
      ),
    ),
    compile('POST', '/api/v1/configurations/:id/check', async (context) => {
      const id = context.params.id as string;
      await exchange.configurations.get(id);
      try {
        return { status: 200, body: await exchange.check(id) };
      } catch (thrown) {
        const error = toCeError(thrown);
        // A check that cannot reach the service is a result, not a failure of this request.
        if (['NOT_FOUND', 'PLUGIN_NOT_FOUND', 'INTERNAL', 'STORAGE_FAILED', 'ABORTED'].includes(error.code))
          throw error;
        return {
          status: 200,
          body: { ok: false, message: error.message, code: error.code, retryable: error.retryable },
        };
      }
    }),
    compile('GET', '/api/v1/audit', async ({ query }) => {
      const parsed = auditQuerySchema.safeParse(Object.fromEntries(query));
      if (!parsed.success)
        throw new ApiError(400, 'VALIDATION_FAILED', 'invalid query', queryIssues(parsed.error));
      const { target, after, limit } = parsed.data;
      const items = await exchange.storage.audit.list({
        limit,
        ...(target !== undefined ? { target } : {}),
        ...(after !== undefined ? { afterSequence: after } : {}),
      });
      const last = items.at(-1);
      return {
        status: 200,
        body: { items, ...(items.length === limit && last ? { next: last.sequence } : {}) },
      };
    }),
  ];
  if (options.cte) {
    const { cte } = options;
    routes.push(
      ...indicatorRoutes(cte),
      ...sharingRuleRoutes(cte),
      ...listRoutes(cte),
      ...warninglistRoutes(cte),
      ...sourceRoutes(cte),
    );
  }
  if (options.cls) routes.push(...logShipperRoutes(options.cls));
  if (options.cto) routes.push(...ticketRoutes(options.cto));

  const errorReply = (thrown: unknown, requestId: string, method: string, path: string): Reply => {
    if (thrown instanceof ApiError) {
      return {
        status: thrown.status,
        headers: thrown.headers,
        body: {
          error: {
            code: thrown.code,
            message: thrown.message,
            ...(thrown.issues ? { issues: thrown.issues } : {}),
            requestId,
          },
        },
      };
    }
    const error = toCeError(thrown);
    const status = statusOf(error.code);
    if (status >= 500 && status !== 502 && status !== 503 && status !== 504) {
      logger.error('request failed', { requestId, method, path, error });
      return {
        status,
        body: {
          error: {
            code: 'INTERNAL',
            message: `internal error; the host log has the details (request id ${requestId})`,
            requestId,
          },
        },
      };
    }
    const issues = issuesOf(error);
    return {
      status,
      body: { error: { code: error.code, message: error.message, ...(issues ? { issues } : {}), requestId } },
    };
  };

  const dispatch = async (
    request: IncomingMessage,
    requestId: string,
  ): Promise<{ reply: Reply; route: string }> => {
    const url = new URL(request.url ?? '/', 'http://host.invalid');
    const method = request.method === 'HEAD' ? 'GET' : (request.method ?? 'GET');
    let segments: string[];
    try {
      segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      const error = new ApiError(400, 'VALIDATION_FAILED', 'the path is not validly percent-encoded');
      return { route: 'unmatched', reply: errorReply(error, requestId, method, url.pathname) };
    }
    const candidates = routes
      .map((route) => ({ route, params: match(route, segments) }))
      .filter((entry) => entry.params);
    const found = candidates.find((entry) => entry.route.method === method);
    if (!found?.params) {
      if (candidates.length === 0) {
        return {
          route: 'unmatched',
          reply: errorReply(
            new ApiError(404, 'ROUTE_NOT_FOUND', `no route for ${url.pathname}`),
            requestId,
            method,
            url.pathname,
          ),
        };
      }
      const allow = [...new Set(candidates.map((entry) => entry.route.method))].join(', ');
      return {
        route: candidates[0]?.route.pattern ?? 'unmatched',
        reply: errorReply(
          new ApiError(405, 'METHOD_NOT_ALLOWED', `${url.pathname} accepts ${allow}`, undefined, { allow }),
          requestId,
          method,
          url.pathname,
        ),
      };
    }
    const { route, params } = found;
    try {
      const actor = route.authenticated ? authenticate(request) : 'anonymous';
      const reply = await route.handle({
        request,
        params,
        query: url.searchParams,
        actor,
        readJson: () => readJson(request),
        readText: () => readText(request),
      });
      return { route: route.pattern, reply };
    } catch (thrown) {
      return { route: route.pattern, reply: errorReply(thrown, requestId, method, url.pathname) };
    }
  };

  const send = (
    request: IncomingMessage,
    response: ServerResponse,
    reply: Reply,
    requestId: string,
  ): void => {
    const headers: Record<string, string> = {
      'x-request-id': requestId,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...reply.headers,
    };
    if (isStopping()) headers.connection = 'close';
    let body: string | undefined;
    if (reply.text !== undefined) body = reply.text;
    else if (reply.body !== undefined) {
      body = JSON.stringify(reply.body);
      headers['content-type'] = 'application/json; charset=utf-8';
    }
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    response.writeHead(reply.status, headers);
    // A body no route read is drained, so that the connection can serve the next request.
    if (!request.readableEnded && request.listenerCount('data') === 0) request.resume();
    response.end(request.method === 'HEAD' ? undefined : body);
  };

  const mounts = options.mounts ?? [];
  return (request, response) => {
    const started = process.hrtime.bigint();
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const mount = mounts.find((entry) => path.startsWith(entry.prefix) || `${path}/` === entry.prefix);
    if (mount) {
      response.once('finish', () =>
        metrics.observeRequest(
          request.method ?? 'GET',
          mount.name,
          response.statusCode,
          Number(process.hrtime.bigint() - started) / 1e9,
        ),
      );
      mount.listener(request, response);
      return;
    }
    const requestId = randomUUID();
    dispatch(request, requestId)
      .then(({ reply, route }) => {
        send(request, response, reply, requestId);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        metrics.observeRequest(request.method ?? 'GET', route, reply.status, seconds);
        logger.debug('request answered', {
          requestId,
          method: request.method,
          route,
          status: reply.status,
          durationMs: Math.round(seconds * 1_000),
        });
      })
      .catch((error: unknown) => {
        logger.error('request handling failed', { requestId, error });
        if (!response.headersSent) {
          response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
          response.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error', requestId } }));
        } else response.destroy();
      });
  };
}
