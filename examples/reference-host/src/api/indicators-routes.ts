/**
 * Indicator routes: search, count and daily counts with filters, one indicator with its
 * destinations and the explanation of every sharing rule, manual (de)activation, ingest of JSON
 * reports or plain text, and sightings.
 *
 * @module
 */
import { CeError, type IndicatorQuery, indicatorSeveritySchema } from '@ce/core';
import {
  type IndicatorType,
  indicatorTypeSchema,
  indicatorTypes,
  isIndicatorType,
  type ThreatExchange,
} from '@ce/cte';
import { z } from 'zod';
import {
  ApiError,
  booleanParameterSchema,
  isJsonMediaType,
  limitSchema,
  listParameterSchema,
  mediaTypeOf,
  parseBody,
  parseQuery,
  type RequestContext,
  type Route,
  route,
  timeSchema,
} from './http-api.js';

const filterShape = {
  type: listParameterSchema(indicatorTypeSchema),
  source: z.string().min(1).max(256).optional(),
  tag: z.string().min(1).max(128).optional(),
  severity: listParameterSchema(indicatorSeveritySchema),
  active: booleanParameterSchema.optional(),
  suppressed: booleanParameterSchema.optional(),
  sighted: booleanParameterSchema.optional(),
  q: z.string().min(1).max(4_096).optional(),
  createdFrom: timeSchema.optional(),
  createdTo: timeSchema.optional(),
  lastSeenFrom: timeSchema.optional(),
  lastSeenTo: timeSchema.optional(),
};
const repeatable = ['type', 'severity'];

const filterSchema = z
  .object({ ...filterShape, type: filterShape.type.optional(), severity: filterShape.severity.optional() })
  .strict();

const searchSchema = filterSchema
  .extend({ cursor: z.string().min(1).max(2_048).optional(), limit: limitSchema })
  .strict();

const dayMs = 86_400_000;
/** Longest span of a daily series, so that one request cannot ask for millions of days. */
const maxDays = 1_000;

const dailySchema = filterSchema
  .extend({
    field: z.enum(['createdAt', 'lastSeen']).default('createdAt'),
    from: timeSchema.optional(),
    to: timeSchema.optional(),
  })
  .strict();

function toQuery(filter: z.output<typeof filterSchema>): IndicatorQuery {
  const query: IndicatorQuery = {};
  if (filter.type) query.types = filter.type;
  if (filter.source !== undefined) query.sourceId = filter.source;
  if (filter.tag !== undefined) query.tag = filter.tag;
  if (filter.severity) query.severities = filter.severity;
  if (filter.active !== undefined) query.active = filter.active;
  if (filter.suppressed !== undefined) query.suppressed = filter.suppressed;
  if (filter.sighted !== undefined) query.sighted = filter.sighted;
  if (filter.q !== undefined) query.valuePrefix = filter.q;
  if (filter.createdFrom !== undefined) query.createdFrom = filter.createdFrom;
  if (filter.createdTo !== undefined) query.createdTo = filter.createdTo;
  if (filter.lastSeenFrom !== undefined) query.lastSeenFrom = filter.lastSeenFrom;
  if (filter.lastSeenTo !== undefined) query.lastSeenTo = filter.lastSeenTo;
  return query;
}

/** The store names a bad cursor `cursor`; the API names its query parameter. */
function withQueryCursorPath(error: unknown): never {
  if (CeError.isInstance(error) && error.code === 'VALIDATION_FAILED') {
    const issues = (error as { issues?: Array<{ path: string; reason: string }> }).issues;
    if (issues?.some((issue) => issue.path === 'cursor'))
      throw new ApiError(400, 'VALIDATION_FAILED', 'invalid query', [
        { path: 'query.cursor', reason: 'is not a cursor this API returned' },
      ]);
  }
  throw error;
}

function typeParameter(context: RequestContext): IndicatorType {
  const type = context.params.type as string;
  if (!isIndicatorType(type))
    throw new ApiError(400, 'VALIDATION_FAILED', `unknown indicator type "${type.slice(0, 64)}"`, [
      { path: 'params.type', reason: `expected one of ${indicatorTypes.join(', ')}` },
    ]);
  return type;
}

const sightingSchema = z
  .object({
    value: z.string().min(1).max(8_192),
    type: indicatorTypeSchema.optional(),
    system: z.string().min(1).max(256),
    count: z.number().int().min(1).max(1_000_000_000).optional(),
    at: timeSchema.optional(),
  })
  .strict();

const ingestQuerySchema = z.object({ source: z.string().min(1).max(256) }).strict();

async function readReports(context: RequestContext): Promise<ReadonlyArray<unknown> | string> {
  const type = mediaTypeOf(context.request);
  if (type === 'text/plain') return context.readText();
  if (!isJsonMediaType(type)) {
    throw new ApiError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'send reports as JSON (Content-Type: application/json) or values one per line (Content-Type: text/plain)',
    );
  }
  const body = await context.readJson();
  if (Array.isArray(body)) return body;
  if (typeof body === 'object' && body !== null) {
    const indicators = (body as { indicators?: unknown }).indicators;
    if (Array.isArray(indicators)) return indicators;
    throw new ApiError(400, 'VALIDATION_FAILED', 'invalid request body', [
      { path: 'indicators', reason: 'expected an array of indicator reports' },
    ]);
  }
  throw new ApiError(
    400,
    'VALIDATION_FAILED',
    'the request body must be an array of indicator reports or { "indicators": [...] }',
  );
}

/**
 * The indicator routes:
 *
 * - `GET /api/v1/indicators` → `{ items, nextCursor? }`; `GET /api/v1/indicators/count` →
 *   `{ count }`; `GET /api/v1/indicators/daily` → `{ field, from, to, days }`;
 * - `GET /api/v1/indicators/:type/:value` → `{ indicator, destinations, explain }`;
 * - `POST /api/v1/indicators/:type/:value/deactivate` and `.../activate` → the indicator;
 * - `POST /api/v1/indicators/ingest?source=` → the ingest report;
 * - `POST /api/v1/sightings` → the indicator.
 */
export function indicatorRoutes(cte: ThreatExchange): Route[] {
  const setActive = (active: boolean) => async (context: RequestContext) => {
    const type = typeParameter(context);
    const indicator = await cte.setActive(context.params.value as string, active, {
      type,
      actor: context.actor,
    });
    return { status: 200, body: indicator };
  };

  return [
    route('GET', '/api/v1/indicators', async ({ query }) => {
      const { cursor, limit, ...filter } = parseQuery(searchSchema, query, repeatable);
      const page = await cte
        .search(toQuery(filter), { limit, ...(cursor !== undefined ? { cursor } : {}) })
        .catch(withQueryCursorPath);
      return {
        status: 200,
        body: { items: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) },
      };
    }),
    route('GET', '/api/v1/indicators/count', async ({ query }) => ({
      status: 200,
      body: { count: await cte.count(toQuery(parseQuery(filterSchema, query, repeatable))) },
    })),
    route('GET', '/api/v1/indicators/daily', async ({ query }) => {
      const { field, from, to, ...filter } = parseQuery(dailySchema, query, repeatable);
      const end = to ?? (Math.floor(Date.now() / dayMs) + 1) * dayMs;
      const start = from ?? end - 30 * dayMs;
      if (start >= end)
        throw new ApiError(400, 'VALIDATION_FAILED', 'invalid query', [
          { path: 'query.from', reason: 'must be before "to"' },
        ]);
      if (end - start > maxDays * dayMs)
        throw new ApiError(400, 'VALIDATION_FAILED', 'invalid query', [
          { path: 'query.from', reason: `the series spans at most ${maxDays} days` },
        ]);
      const days = await cte.dailyCounts(field, start, end, toQuery(filter));
      return { status: 200, body: { field, from: start, to: end, days } };
    }),
    route('POST', '/api/v1/indicators/ingest', async (context) => {
      const { source } = parseQuery(ingestQuerySchema, context.query);
      return { status: 200, body: await cte.ingest(source, await readReports(context)) };
    }),
    route('GET', '/api/v1/indicators/:type/:value', async (context) => {
      const type = typeParameter(context);
      const value = context.params.value as string;
      const details = await cte.get(value, type);
      if (!details) throw new CeError('NOT_FOUND', `no ${type} indicator "${value.slice(0, 200)}"`);
      return { status: 200, body: { ...details, explain: await cte.explain(value, { type }) } };
    }),
    route('POST', '/api/v1/indicators/:type/:value/deactivate', setActive(false)),
    route('POST', '/api/v1/indicators/:type/:value/activate', setActive(true)),
    route('POST', '/api/v1/sightings', async (context) => {
      const input = parseBody(sightingSchema, await context.readJson());
      const indicator = await cte.reportSighting(input);
      if (!indicator) throw new CeError('NOT_FOUND', `no indicator "${input.value.slice(0, 200)}"`);
      return { status: 200, body: indicator };
    }),
  ];
}
