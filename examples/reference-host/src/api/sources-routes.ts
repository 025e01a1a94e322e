/**
 * Source routes: how far each source is trusted (its policy), and pulling a source now.
 *
 * @module
 */
import { sourcePolicySchema, type ThreatExchange } from '@ce/cte';
import { parseBody, type Route, readObject, route } from './http-api.js';

/**
 * The source routes:
 *
 * - `GET /api/v1/sources/:id/policy` → the source's policy (the default one when none was set);
 * - `PUT /api/v1/sources/:id/policy` → the policy stored; fields left out take their defaults;
 * - `POST /api/v1/sources/:configId/pull` → the pull's report, once the pull is done.
 *
 * A source is a plugin configuration id, or any name an ingest caller uses (`?source=`).
 */
export function sourceRoutes(cte: ThreatExchange): Route[] {
  return [
    route('GET', '/api/v1/sources/:id/policy', async ({ params }) => ({
      status: 200,
      body: cte.getSourcePolicy(params.id as string),
    })),
    route('PUT', '/api/v1/sources/:id/policy', async (context) => {
      const body = await readObject(context);
      parseBody(sourcePolicySchema, body, 'invalid source policy');
      return {
        status: 200,
        body: await cte.setSourcePolicy(context.params.id as string, body, context.actor),
      };
    }),
    route('POST', '/api/v1/sources/:configId/pull', async ({ params }) => ({
      status: 200,
      body: await cte.pull(params.configId as string),
    })),
  ];
}
