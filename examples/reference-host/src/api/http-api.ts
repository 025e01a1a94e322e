/**
 * The pieces every route module of the REST API shares: the route table entry, the request
 * context, request errors and the parsing of queries and bodies into typed values with field
 * paths (`query.limit`, `destination.configId`) for every problem.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { ErrorCode, FieldIssue } from '@ce/core';
import { z } from 'zod';

/** Error codes of the API beyond `CeError` codes, for problems with the HTTP request itself. */
export type ApiErrorCode =
  | ErrorCode
  | 'UNAUTHORIZED'
  | 'ROUTE_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE';

/** A problem with the request itself, answered with its own status (400, 401, 413, 415...). */
export class ApiError extends Error {
  /** Creates the error; `headers` go on the response (`Allow`, `WWW-Authenticate`). */
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly issues?: FieldIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** What a route answers. */
export interface Reply {
  /** HTTP status. */
  status: number;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is; give its `content-type` in `headers`. */
  text?: string;
  /** Extra response headers. */
  headers?: Record<string, string>;
}

/** What a route handler gets. */
export interface RequestContext {
  /** The raw request, for headers. */
  request: IncomingMessage;
  /** Path parameters, percent-decoded. */
  params: Record<string, string>;
  /** The query string. */
  query: URLSearchParams;
  /** Name of the API token used, `api` without tokens: the audit actor. */
  actor: string;
  /** Reads the body as JSON (415 unless sent as JSON, 400 when it does not parse). */
  readJson(): Promise<unknown>;
  /** Reads the body as UTF-8 text, whatever its content type. */
  readText(): Promise<string>;
}

/** HTTP methods the API routes. */
export type RouteMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One entry of the route table. */
export interface Route {
  /** The method it answers. */
  method: RouteMethod;
  /** The path pattern, `:name` marking a parameter; also the `route` label of metrics. */
  pattern: string;
  /** The pattern split into segments. */
  segments: string[];
  /** Whether it needs a bearer token (when tokens are configured). */
  authenticated: boolean;
  /** Answers a request. */
  handle(context: RequestContext): Promise<Reply>;
}

/** Builds a route table entry. */
export function route(
  method: RouteMethod,
  pattern: string,
  handle: Route['handle'],
  authenticated = true,
): Route {
  return { method, pattern, segments: pattern.split('/').filter(Boolean), authenticated, handle };
}

/** The media type of a request (`application/json`), lower-cased, without parameters. */
export function mediaTypeOf(request: IncomingMessage): string | undefined {
  return request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() || undefined;
}

/** Whether a content type is JSON (`application/json` or `application/*+json`). */
export function isJsonMediaType(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/json' || (type?.startsWith('application/') === true && type.endsWith('+json'));
}

/** A field path as the configuration file's messages write it: `destination.parameters`, `entries[0].type`. */
function joinPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (out, key) =>
      typeof key === 'number' ? `${out}[${key}]` : out === '' ? String(key) : `${out}.${String(key)}`,
    '',
  );
}

/** Field issues of a failed query parse, as `query.<name>`; unknown parameters are named. */
export function queryIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: `query.${key}`, reason: 'unknown parameter' }))
      : [{ path: joinPath(['query', ...issue.path]), reason: issue.message }],
  );
}

/** Field issues of a failed body parse, one per unknown field. */
export function bodyIssues(error: z.ZodError, prefix: ReadonlyArray<string> = []): FieldIssue[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          path: joinPath([...prefix, ...issue.path, key]),
          reason: 'unknown field',
        }))
      : [{ path: joinPath([...prefix, ...issue.path]), reason: issue.message }],
  );
}

/**
 * Parses a query string with a strict object schema. Parameters named in `repeatable` arrive as
 * arrays (`?type=url&type=domain`); any other given twice is an error, so a typo never silently
 * picks one of two values.
 *
 * @throws ApiError 400 naming each problem as `query.<name>`.
 */
export function parseQuery<Schema extends z.ZodType>(
  schema: Schema,
  query: URLSearchParams,
  repeatable: ReadonlyArray<string> = [],
): z.output<Schema> {
  const input: Record<string, unknown> = {};
  const issues: FieldIssue[] = [];
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    if (repeatable.includes(key)) input[key] = values;
    else if (values.length > 1) issues.push({ path: `query.${key}`, reason: 'given more than once' });
    else input[key] = values[0];
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) issues.push(...queryIssues(parsed.error));
  if (!parsed.success || issues.length > 0)
    throw new ApiError(400, 'VALIDATION_FAILED', 'invalid query', issues);
  return parsed.data;
}

/**
 * Parses a request body with a schema.
 *
 * @throws ApiError 400 naming each invalid field by its path.
 */
export function parseBody<Schema extends z.ZodType>(
  schema: Schema,
  body: unknown,
  subject = 'invalid request body',
): z.output<Schema> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ApiError(400, 'VALIDATION_FAILED', subject, bodyIssues(parsed.error));
  return parsed.data;
}

/**
 * Reads the body of a `PUT /collection/:key` that creates or replaces a named resource: the key
 * in the body, if given, must be the one in the path; the result carries the path's key.
 *
 * @throws ApiError 400 when the body names another key.
 */
export async function readPutBody(
  context: RequestContext,
  field: string,
  key: string,
  subject: string,
): Promise<Record<string, unknown>> {
  const body = await readObject(context);
  if (body[field] !== undefined && body[field] !== key) {
    throw new ApiError(400, 'VALIDATION_FAILED', subject, [
      { path: field, reason: `must be the ${field} in the path ("${key}") or left out` },
    ]);
  }
  return { ...body, [field]: key };
}

/** The reply to a `PUT` that created (201, with its location) or replaced (200) a resource. */
export function upsertReply(existed: boolean, body: unknown, location: string): Reply {
  return existed ? { status: 200, body } : { status: 201, body, headers: { location } };
}

/** Reads a JSON object body; anything else (an array, a string) is a 400. */
export async function readObject(context: RequestContext): Promise<Record<string, unknown>> {
  const body = await context.readJson();
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'VALIDATION_FAILED', 'the request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

const isoTime = /^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Reads a time given as epoch milliseconds or ISO 8601 (`2026-01-31`, `2026-01-31T12:00:00Z`). */
export function readTime(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const text = value.trim();
  if (/^\d{1,16}$/.test(text)) return Number(text);
  if (!isoTime.test(text)) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : time;
}

/** A time parameter or field: epoch milliseconds or ISO 8601, as epoch milliseconds. */
export const timeSchema = z.union([z.string(), z.number()]).transform((value, context) => {
  const time = readTime(value);
  if (time === undefined) {
    context.addIssue({ code: 'custom', message: 'expected an ISO 8601 time or epoch milliseconds' });
    return z.NEVER;
  }
  return time;
});

/** A `true`/`false` query parameter. */
export const booleanParameterSchema = z
  .enum(['true', 'false'], { message: 'expected true or false' })
  .transform((value) => value === 'true');

/**
 * A repeatable query parameter whose values may also be comma-separated
 * (`?type=url,domain&type=ipv4`), each checked by `item`.
 */
export function listParameterSchema<Item extends z.ZodType<string, string>>(item: Item) {
  return z
    .array(z.string())
    .transform((values) =>
      values.flatMap((value) => value.split(',').map((part) => part.trim())).filter((part) => part !== ''),
    )
    .pipe(z.array(item).min(1, 'give at least one value'));
}

/** The `limit` of a page: 1 to 1,000, 100 unless given. */
export const limitSchema = z.coerce.number().int().min(1).max(1_000).default(100);

/** A page of items and the cursor of the next page, absent on the last page. */
export interface PageReply<Item> {
  /** The items of this page. */
  items: Item[];
  /** Pass it as `cursor` to get the next page. */
  nextCursor?: string;
}

/**
 * Pages a list that is already in memory and ordered by `keyOf`: the cursor is an opaque token
 * naming the last key of the previous page, so items added or removed in between neither repeat
 * nor get skipped.
 *
 * @throws ApiError 400 for a cursor this function did not make.
 */
export function pageOf<Item>(
  items: ReadonlyArray<Item>,
  keyOf: (item: Item) => string,
  cursor: string | undefined,
  limit: number,
): PageReply<Item> {
  let after: string | undefined;
  if (cursor !== undefined) {
    const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
    if (!decoded.startsWith('k:'))
      throw new ApiError(400, 'VALIDATION_FAILED', 'invalid query', [
        { path: 'query.cursor', reason: 'is not a cursor this API returned' },
      ]);
    after = decoded.slice(2);
  }
  const rest = after === undefined ? [...items] : items.filter((item) => keyOf(item) > after);
  const page = rest.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page,
    ...(rest.length > limit && last !== undefined
      ? { nextCursor: Buffer.from(`k:${keyOf(last)}`, 'utf8').toString('base64url') }
      : {}),
  };
}

/** The `{ cursor, limit }` query of list endpoints. */
export const pageQuerySchema = z
  .object({ cursor: z.string().min(1).max(2_048).optional(), limit: limitSchema })
  .strict();
