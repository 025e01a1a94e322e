/**
 * Sharing rule routes: create, read, replace and delete rules, run one now, and preview what a
 * rule would send.
 *
 * @module
 */
import { CeError } from '@ce/core';
import {
  type SharingRule,
  type SharingRuleInput,
  sharingRuleInputSchema,
  type ThreatExchange,
} from '@ce/cte';
import { z } from 'zod';
import {
  booleanParameterSchema,
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

const deleteQuerySchema = z.object({ retract: booleanParameterSchema.default(true) }).strict();

async function ruleOrNotFound(cte: ThreatExchange, id: string): Promise<SharingRule> {
  const rule = await cte.getSharingRule(id);
  if (!rule) throw new CeError('NOT_FOUND', `no sharing rule "${id}"`);
  return rule;
}

function location(id: string): string {
  return `/api/v1/sharing-rules/${encodeURIComponent(id)}`;
}

/**
 * The sharing rule routes:
 *
 * - `GET /api/v1/sharing-rules?cursor=&limit=` → `{ items, nextCursor? }`, ordered by id;
 * - `POST /api/v1/sharing-rules` → `201` with the rule (`409` when the id is taken);
 * - `GET`, `PUT` (create or replace) and `DELETE` (`?retract=false` leaves the destination as it is)
 *   `/api/v1/sharing-rules/:id`;
 * - `POST /api/v1/sharing-rules/:id/run` → the run's report;
 * - `POST /api/v1/sharing-rules/preview` → what the rule in the body would send now.
 *
 * A body that is not a rule is a `400` naming each field; a rule whose destination or list does
 * not exist, or whose action parameters the destination refuses, is a `422`.
 */
export function sharingRuleRoutes(cte: ThreatExchange): Route[] {
  return [
    route('GET', '/api/v1/sharing-rules', async ({ query }) => {
      const { cursor, limit } = parseQuery(pageQuerySchema, query);
      return { status: 200, body: pageOf(await cte.listSharingRules(), (rule) => rule.id, cursor, limit) };
    }),
    route('POST', '/api/v1/sharing-rules', async (context) => {
      const body = await readObject(context);
      const input = parseBody(sharingRuleInputSchema, body, 'invalid sharing rule');
      if (await cte.getSharingRule(input.id))
        throw new CeError('CONFLICT', `a sharing rule with id "${input.id}" exists; PUT replaces it`);
      const rule = await cte.putSharingRule(body as SharingRuleInput, context.actor);
      return { status: 201, body: rule, headers: { location: location(rule.id) } };
    }),
    route('POST', '/api/v1/sharing-rules/preview', async (context) => {
      const body = await readObject(context);
      parseBody(sharingRuleInputSchema, body, 'invalid sharing rule');
      return { status: 200, body: await cte.previewSharing(body as SharingRuleInput) };
    }),
    route('GET', '/api/v1/sharing-rules/:id', async ({ params }) => ({
      status: 200,
      body: await ruleOrNotFound(cte, params.id as string),
    })),
    route('PUT', '/api/v1/sharing-rules/:id', async (context) => {
      const id = context.params.id as string;
      const input = await readPutBody(context, 'id', id, 'invalid sharing rule');
      parseBody(sharingRuleInputSchema, input, 'invalid sharing rule');
      const existed = (await cte.getSharingRule(id)) !== undefined;
      const rule = await cte.putSharingRule(input as SharingRuleInput, context.actor);
      return upsertReply(existed, rule, location(id));
    }),
    route('DELETE', '/api/v1/sharing-rules/:id', async ({ params, query, actor }) => {
      const { retract } = parseQuery(deleteQuerySchema, query);
      await cte.deleteSharingRule(params.id as string, { retract, actor });
      return { status: 204 };
    }),
    route('POST', '/api/v1/sharing-rules/:id/run', async ({ params }) => ({
      status: 200,
      body: await cte.share(params.id as string),
    })),
  ];
}
