/**
 * Warninglist routes: the lists in force, uploads of MISP warninglists or our own definitions,
 * user allowlists, and removal. Every change re-checks the stored indicators.
 *
 * @module
 */
import {
  type AllowlistDefinition,
  allowlistDefinitionSchema,
  parseMispWarninglist,
  type ThreatExchange,
  type WarninglistDefinition,
  warninglistDefinitionSchema,
} from '@ce/cte';
import { z } from 'zod';
import { parseBody, parseQuery, type Route, readObject, route } from './http-api.js';

const uploadQuerySchema = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'use letters, digits, ".", "_" and "-"')
      .optional(),
  })
  .strict();

/**
 * Whether a body is in MISP's warninglist format rather than ours: MISP lists carry their entries
 * in `list` and their match type in `type`; ours in `entries` and `matchType`.
 */
function isMispWarninglist(body: Record<string, unknown>): boolean {
  return 'list' in body || ('type' in body && !('matchType' in body));
}

/**
 * The warninglist routes:
 *
 * - `GET /api/v1/warninglists` → `{ items }`: built-in lists, uploaded warninglists and
 *   allowlists, with their entry counts;
 * - `POST /api/v1/warninglists[?id=]`: a MISP warninglist (`{ name, type, list, ... }`, the id
 *   from `id` or the name) or a `WarninglistDefinition` (`{ id, name, matchType, entries }`);
 *   adds or replaces it → `{ listId, entryCount, skippedCount, skipped }`;
 * - `POST /api/v1/allowlists`: an `AllowlistDefinition`, added or replaced;
 * - `DELETE /api/v1/warninglists/:id` → `204` (allowlists too).
 */
export function warninglistRoutes(cte: ThreatExchange): Route[] {
  return [
    route('GET', '/api/v1/warninglists', async () => ({
      status: 200,
      body: { items: cte.listWarninglists() },
    })),
    route('POST', '/api/v1/warninglists', async (context) => {
      const { id } = parseQuery(uploadQuerySchema, context.query);
      const body = await readObject(context);
      let definition: WarninglistDefinition;
      if (isMispWarninglist(body)) {
        definition = parseMispWarninglist(body, id !== undefined ? { id, source: id } : { source: 'body' });
      } else {
        definition = parseBody(warninglistDefinitionSchema.strict(), body, 'invalid warninglist');
        if (id !== undefined) definition = { ...definition, id };
      }
      return { status: 200, body: await cte.putWarninglist(definition, context.actor) };
    }),
    route('POST', '/api/v1/allowlists', async (context) => {
      const body = await readObject(context);
      const definition: AllowlistDefinition = parseBody(
        allowlistDefinitionSchema.strict(),
        body,
        'invalid allowlist',
      );
      return { status: 200, body: await cte.putAllowlist(definition, context.actor) };
    }),
    route('DELETE', '/api/v1/warninglists/:id', async ({ params, actor }) => {
      await cte.removeWarninglist(params.id as string, actor);
      return { status: 204 };
    }),
  ];
}
