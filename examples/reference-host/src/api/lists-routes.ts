/**
 * Saved list routes: create, read, replace and delete the named selections that sharing rules
 * and exports refer to, and export a list's indicators as text, CSV or JSON.
 *
 * @module
 */
import { CeError } from '@ce/core';
import {
  type ExportFormat,
  type IndicatorList,
  type IndicatorListInput,
  indicatorListInputSchema,
  type ThreatExchange,
} from '@ce/cte';
import { z } from 'zod';
import {
  pageOf,
  pageQuerySchema,
  parseBody,
  parseQuery,
  type Route,
  readObject,
  readPutBody,
  route,
  upsertReply,
} from './http-api.js';

const exportFormats = {
  text: { contentType: 'text/plain; charset=utf-8', extension: 'txt' },
  csv: { contentType: 'text/csv; charset=utf-8', extension: 'csv' },
  json: { contentType: 'application/json', extension: 'json' },
} as const satisfies Record<ExportFormat, { contentType: string; extension: string }>;

const exportQuerySchema = z.object({ format: z.enum(['text', 'csv', 'json']).default('text') }).strict();

async function listOrNotFound(cte: ThreatExchange, name: string): Promise<IndicatorList> {
  const list = await cte.getList(name);
  if (!list) throw new CeError('NOT_FOUND', `no list named "${name}"`);
  return list;
}

function location(name: string): string {
  return `/api/v1/lists/${encodeURIComponent(name)}`;
}

/**
 * The list routes:
 *
 * - `GET /api/v1/lists?cursor=&limit=` → `{ items, nextCursor? }`, ordered by name;
 * - `POST /api/v1/lists` → `201` with the list (`409` when the name is taken);
 * - `GET`, `PUT` (create or replace) and `DELETE` `/api/v1/lists/:name` (`409` while a sharing
 *   rule uses the list);
 * - `GET /api/v1/lists/:name/export?format=text|csv|json`: the list's active, unsuppressed
 *   indicators as a download (`Content-Disposition: attachment; filename="<name>.<ext>"`).
 */
export function listRoutes(cte: ThreatExchange): Route[] {
  return [
    route('GET', '/api/v1/lists', async ({ query }) => {
      const { cursor, limit } = parseQuery(pageQuerySchema, query);
      return { status: 200, body: pageOf(await cte.listLists(), (list) => list.name, cursor, limit) };
    }),
    route('POST', '/api/v1/lists', async (context) => {
      const body = await readObject(context);
      const input = parseBody(indicatorListInputSchema, body, 'invalid list');
      if (await cte.getList(input.name))
        throw new CeError('CONFLICT', `a list named "${input.name}" exists; PUT replaces it`);
      const list = await cte.putList(body as IndicatorListInput, context.actor);
      return { status: 201, body: list, headers: { location: location(list.name) } };
    }),
    route('GET', '/api/v1/lists/:name', async ({ params }) => ({
      status: 200,
      body: await listOrNotFound(cte, params.name as string),
    })),
    route('PUT', '/api/v1/lists/:name', async (context) => {
      const name = context.params.name as string;
      const input = await readPutBody(context, 'name', name, 'invalid list');
      parseBody(indicatorListInputSchema, input, 'invalid list');
      const existed = (await cte.getList(name)) !== undefined;
      const list = await cte.putList(input as IndicatorListInput, context.actor);
      return upsertReply(existed, list, location(name));
    }),
    route('DELETE', '/api/v1/lists/:name', async ({ params, actor }) => {
      const name = params.name as string;
      await listOrNotFound(cte, name);
      await cte.deleteList(name, actor);
      return { status: 204 };
    }),
    route('GET', '/api/v1/lists/:name/export', async ({ params, query }) => {
      const { format } = parseQuery(exportQuerySchema, query);
      const name = params.name as string;
      const { contentType, extension } = exportFormats[format];
      return {
        status: 200,
        text: await cte.exportList(name, format),
        headers: {
          'content-type': contentType,
          // List names are letters, digits, ".", "_" and "-": safe inside the quotes as they are.
          'content-disposition': `attachment; filename="${name}.${extension}"`,
        },
      };
    }),
  ];
}
