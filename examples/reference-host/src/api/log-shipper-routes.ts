/**
 * Log shipper routes: its status and its dead letters.
 *
 * @module
 */
import type { LogShipper } from '@ce/cls';
import { z } from 'zod';
import { parseBody, type Route, readObject, route } from './http-api.js';

const deadLetterQuerySchema = z
  .object({
    sinkId: z.string().min(1).max(200).optional(),
    routeId: z.string().min(1).max(200).optional(),
    after: z.string().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(1_000).default(100),
  })
  .strict();

const redriveSchema = z
  .object({
    ids: z.array(z.string().min(1).max(200)).max(10_000).optional(),
    sinkId: z.string().min(1).max(200).optional(),
    routeId: z.string().min(1).max(200).optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
  })
  .strict();

/**
 * The log shipper routes:
 *
 * - `GET /api/v1/cls/status` → every source stream (checkpoint, lag, last fetch, errors) and sink
 *   (state, spool, delivered, retries, dead letters);
 * - `GET /api/v1/cls/dead-letters?sinkId=&routeId=&after=&limit=` → records a sink refused for
 *   good or that could not be formatted, with the reason, oldest first;
 * - `POST /api/v1/cls/dead-letters/redrive` with `{ ids?, sinkId?, routeId?, limit? }` → spools
 *   the chosen letters again; the report says how many and which could not be.
 */
export function logShipperRoutes(cls: LogShipper): Route[] {
  return [
    route('GET', '/api/v1/cls/status', async () => ({ status: 200, body: cls.status() })),
    route('GET', '/api/v1/cls/dead-letters', async ({ query }) => {
      const filter = parseBody(deadLetterQuerySchema, Object.fromEntries(query), 'invalid dead letter query');
      return { status: 200, body: await cls.listDeadLetters(filter) };
    }),
    route('POST', '/api/v1/cls/dead-letters/redrive', async (context) => {
      const filter = parseBody(redriveSchema, await readObject(context), 'invalid re-drive request');
      return { status: 200, body: await cls.redriveDeadLetters(filter) };
    }),
  ];
}
