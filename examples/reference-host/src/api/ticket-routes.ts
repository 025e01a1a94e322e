/**
 * Ticket orchestrator routes: queues, business rules, silences, alerts, approvals and tickets.
 *
 * @module
 */
import { severityLevels, ticketStatuses } from '@ce/core';
import type { TicketOrchestrator } from '@ce/cto';
import { z } from 'zod';
import { ApiError, parseBody, type Route, readObject, route } from './http-api.js';

const list = (values: readonly [string, ...string[]]) =>
  z
    .string()
    .transform((text) => text.split(',').filter(Boolean))
    .pipe(z.array(z.enum(values)));

const ticketQuerySchema = z
  .object({
    status: list(ticketStatuses).optional(),
    severity: list(severityLevels).optional(),
    queueId: z.string().min(1).max(200).optional(),
    ruleId: z.string().min(1).max(200).optional(),
    destinationConfigId: z.string().min(1).max(200).optional(),
    approvalPending: z
      .enum(['true', 'false'])
      .transform((text) => text === 'true')
      .optional(),
    q: z.string().min(1).max(200).optional(),
    sort: z.enum(['createdAt', 'updatedAt']).optional(),
    order: z.enum(['asc', 'desc']).optional(),
    cursor: z.string().min(1).max(500).optional(),
    limit: z.coerce.number().int().min(1).max(1_000).default(100),
  })
  .strict();

const alertQuerySchema = z
  .object({
    ticketId: z.string().min(1).max(200).optional(),
    sourceConfigId: z.string().min(1).max(200).optional(),
    disposition: z
      .string()
      .transform((text) => text.split(',').filter(Boolean))
      .optional(),
    cursor: z.string().min(1).max(500).optional(),
    limit: z.coerce.number().int().min(1).max(1_000).default(100),
  })
  .strict();

const submitSchema = z
  .object({
    sourceConfigId: z.string().min(1).max(200).default('api'),
    alerts: z.array(z.unknown()).min(1).max(10_000),
  })
  .strict();

const approvalSchema = z
  .object({ approve: z.boolean(), by: z.string().min(1).max(256), comment: z.string().max(2_000).optional() })
  .strict();

function sameId(id: string, body: Record<string, unknown>): Record<string, unknown> {
  if (body.id !== undefined && body.id !== id)
    throw new ApiError(400, 'VALIDATION_FAILED', 'the id in the body differs from the one in the path');
  return { ...body, id };
}

/**
 * The ticket orchestrator routes, under `/api/v1/cto`:
 *
 * - `GET /queues`, `PUT /queues/:id`, `DELETE /queues/:id`;
 * - `GET /rules` (in the order they are tried), `PUT /rules/:id` (`?position=` to place it),
 *   `DELETE /rules/:id`;
 * - `GET /silences`, `PUT /silences/:id`, `POST /silences/:id/expire`;
 * - `POST /alerts` with `{ sourceConfigId?, alerts }` → what was done with each;
 *   `POST /alerts/explain` with `{ sourceConfigId?, alert }` → the rules, silences, dedup and
 *   groups that apply, without writing; `GET /alerts?ticketId=&sourceConfigId=&disposition=`;
 * - `GET /tickets?status=&severity=&queueId=&ruleId=&destinationConfigId=&approvalPending=&q=&sort=&order=&cursor=&limit=`
 *   (each ticket carries its `link` to the remote ticket), `GET /tickets/:id`,
 *   `POST /tickets/:id/approval` with `{ approve, by, comment? }`, `POST /tickets/:id/resolve`,
 *   `POST /tickets/:id/retry`.
 */
export function ticketRoutes(cto: TicketOrchestrator): Route[] {
  const base = '/api/v1/cto';
  return [
    route('GET', `${base}/queues`, async () => ({ status: 200, body: { items: await cto.listQueues() } })),
    route('PUT', `${base}/queues/:id`, async (context) => ({
      status: 200,
      body: await cto.putQueue(sameId(context.params.id as string, await readObject(context)) as never),
    })),
    route('DELETE', `${base}/queues/:id`, async ({ params }) => {
      if (!(await cto.deleteQueue(params.id as string)))
        throw new ApiError(404, 'NOT_FOUND', `no queue "${params.id}"`);
      return { status: 204 };
    }),
    route('GET', `${base}/rules`, async () => ({ status: 200, body: { items: await cto.listRules() } })),
    route('PUT', `${base}/rules/:id`, async (context) => {
      const position = context.query.get('position');
      const at = position === null ? undefined : Number(position);
      if (at !== undefined && (!Number.isInteger(at) || at < 0))
        throw new ApiError(400, 'VALIDATION_FAILED', 'position must be a whole number, 0 or more');
      return {
        status: 200,
        body: await cto.putRule(
          sameId(context.params.id as string, await readObject(context)) as never,
          at === undefined ? {} : { position: at },
        ),
      };
    }),
    route('DELETE', `${base}/rules/:id`, async ({ params }) => {
      if (!(await cto.deleteRule(params.id as string)))
        throw new ApiError(404, 'NOT_FOUND', `no rule "${params.id}"`);
      return { status: 204 };
    }),
    route('GET', `${base}/silences`, async () => ({
      status: 200,
      body: { items: await cto.listSilences() },
    })),
    route('PUT', `${base}/silences/:id`, async (context) => ({
      status: 200,
      body: await cto.putSilence(sameId(context.params.id as string, await readObject(context)) as never),
    })),
    route('POST', `${base}/silences/:id/expire`, async ({ params }) => ({
      status: 200,
      body: await cto.expireSilence(params.id as string),
    })),
    route('POST', `${base}/alerts`, async (context) => {
      const request = parseBody(submitSchema, await readObject(context), 'invalid alert submission');
      return {
        status: 200,
        body: await cto.submit(request.alerts, { sourceConfigId: request.sourceConfigId }),
      };
    }),
    route('POST', `${base}/alerts/explain`, async (context) => {
      const body = await readObject(context);
      const sourceConfigId = typeof body.sourceConfigId === 'string' ? body.sourceConfigId : 'api';
      return { status: 200, body: await cto.explain(body.alert, { sourceConfigId }) };
    }),
    route('GET', `${base}/alerts`, async ({ query }) => {
      const filter = parseBody(alertQuerySchema, Object.fromEntries(query), 'invalid alert query');
      return {
        status: 200,
        body: await cto.listAlerts({
          ...(filter.ticketId ? { ticketId: filter.ticketId } : {}),
          ...(filter.sourceConfigId ? { sourceConfigId: filter.sourceConfigId } : {}),
          ...(filter.disposition ? { dispositions: filter.disposition as never } : {}),
          ...(filter.cursor ? { cursor: filter.cursor } : {}),
          limit: filter.limit,
        }),
      };
    }),
    route('GET', `${base}/tickets`, async ({ query }) => {
      const filter = parseBody(ticketQuerySchema, Object.fromEntries(query), 'invalid ticket query');
      return {
        status: 200,
        body: await cto.listTickets({
          ...(filter.status ? { statuses: filter.status as never } : {}),
          ...(filter.severity ? { severities: filter.severity as never } : {}),
          ...(filter.queueId ? { queueId: filter.queueId } : {}),
          ...(filter.ruleId ? { ruleId: filter.ruleId } : {}),
          ...(filter.destinationConfigId ? { destinationConfigId: filter.destinationConfigId } : {}),
          ...(filter.approvalPending !== undefined ? { approvalPending: filter.approvalPending } : {}),
          ...(filter.q ? { titleContains: filter.q } : {}),
          ...(filter.sort ? { sort: filter.sort } : {}),
          ...(filter.order ? { order: filter.order } : {}),
          ...(filter.cursor ? { cursor: filter.cursor } : {}),
          limit: filter.limit,
        }),
      };
    }),
    route('GET', `${base}/tickets/:id`, async ({ params }) => {
      const ticket = await cto.getTicket(params.id as string);
      if (!ticket) throw new ApiError(404, 'NOT_FOUND', `no ticket "${params.id}"`);
      return { status: 200, body: ticket };
    }),
    route('POST', `${base}/tickets/:id/approval`, async (context) => {
      const decision = parseBody(approvalSchema, await readObject(context), 'invalid approval');
      return { status: 200, body: await cto.approve(context.params.id as string, decision) };
    }),
    route('POST', `${base}/tickets/:id/resolve`, async ({ params }) => ({
      status: 200,
      body: await cto.resolve(params.id as string),
    })),
    route('POST', `${base}/tickets/:id/retry`, async ({ params }) => ({
      status: 200,
      body: { requeued: await cto.retry(params.id as string) },
    })),
  ];
}
