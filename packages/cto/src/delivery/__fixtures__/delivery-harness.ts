/**
 * A small ticket system behind a real plugin runtime, with the faults delivery tests need, and
 * factories for tickets, outbox entries and alerts.
 */
import {
  type AnyPluginDefinition,
  CeError,
  type CloudExchange,
  createCloudExchange,
  createMemoryLogger,
  createMemoryStorage,
  FakeClock,
  HttpError,
  type OutboxEntry,
  type StoredAlert,
  type Ticket,
  type TicketStore,
} from '@ce/core';
import { definePlugin } from '@ce/plugin-kit';
import { z } from 'zod';
import type { DeliveryOptions } from '../delivery-options.js';

export const start = Date.parse('2026-03-02T10:00:00.000Z');

/** What the next call of an operation does instead of its normal work. */
export type Fault =
  | { status: number; retryAfterSeconds?: number }
  | 'timeout-after-create'
  | 'malformed'
  | 'hang';

export interface RemoteIssue {
  key: string;
  label: string;
  fields: Record<string, unknown>;
  comments: string[];
  status: string;
}

export interface FakeDestinationOptions {
  id?: string;
  kind?: 'ticket' | 'notification';
  withFind?: boolean;
  idempotentCreate?: boolean;
  requestsPerSecond?: number;
  maxSyncBatch?: number;
}

/** A ticket destination in memory: counts requests (with the fake clock's time) and creates per key. */
export function fakeDestination(clock: FakeClock, options: FakeDestinationOptions = {}) {
  const issues = new Map<string, RemoteIssue>();
  const faults: Partial<Record<string, Fault[]>> = {};
  const requests: Array<{ operation: string; at: number }> = [];
  const createsByKey = new Map<string, number>();
  let nextKey = 1;
  const fault = (operation: string): Fault | undefined => faults[operation]?.shift();
  const httpFailure = (f: { status: number; retryAfterSeconds?: number }): HttpError =>
    new HttpError(undefined, `status ${f.status}`, {
      method: 'POST',
      url: 'https://tickets.example/rest/api?token=s3cr3t-value',
      status: f.status,
      ...(f.retryAfterSeconds !== undefined ? { details: { retryAfterMs: f.retryAfterSeconds * 1_000 } } : {}),
    });
  const enter = (operation: string): Fault | undefined => {
    requests.push({ operation, at: clock.now() });
    const next = fault(operation);
    if (next && typeof next === 'object') throw httpFailure(next);
    return next;
  };
  const plugin = definePlugin({
    id: options.id ?? 'fake-tickets',
    name: 'Fake tickets',
    version: '1.0.0',
    description: 'a ticket system in memory',
    modules: ['cto'],
    configSchema: z.object({}),
    cto: {
      destination: {
        kind: options.kind ?? 'ticket',
        ...(options.idempotentCreate ? { idempotentCreate: true } : {}),
        defaultMapping: () => ({ summary: '{{name}}' }),
        defaultStatusMap: () => ({ Open: 'new', 'In Progress': 'in_progress', Done: 'closed' }),
        limits: () => ({
          ...(options.requestsPerSecond ? { requestsPerSecond: options.requestsPerSecond } : {}),
          ...(options.maxSyncBatch ? { maxSyncBatch: options.maxSyncBatch } : {}),
        }),
        async create(context, request) {
          const next = enter('create');
          if (next === 'hang') await new Promise<never>(() => undefined);
          if (next === 'malformed') return { id: 42 } as never;
          // Idempotent by key where declared: the same key answers the same ticket.
          if (options.idempotentCreate)
            for (const issue of issues.values())
              if (issue.label === request.idempotencyKey) return { remoteId: issue.key, remoteStatus: issue.status };
          const key = `SEC-${nextKey++}`;
          issues.set(key, { key, label: request.idempotencyKey, fields: { ...request.fields }, comments: [], status: 'Open' });
          createsByKey.set(request.idempotencyKey, (createsByKey.get(request.idempotencyKey) ?? 0) + 1);
          if (next === 'timeout-after-create') throw new CeError('TIMEOUT', 'no answer in time');
          void context;
          return { remoteId: key, link: `https://tickets.example/browse/${key}`, remoteStatus: 'Open' };
        },
        ...(options.withFind === false
          ? {}
          : {
              async find(_context: unknown, request: { idempotencyKey: string }) {
                enter('find');
                for (const issue of issues.values())
                  if (issue.label === request.idempotencyKey) return { remoteId: issue.key, remoteStatus: issue.status };
                return undefined;
              },
            }),
        async update(_context, request) {
          const next = enter(`update:${request.kind}`);
          if (next === 'malformed') return { remoteId: 7 } as never;
          const issue = issues.get(request.remoteId);
          if (!issue) throw httpFailure({ status: 404 });
          if (request.comment) issue.comments.push(request.comment);
          if (request.kind === 'reopen') issue.status = 'Open';
          return { remoteId: issue.key, remoteStatus: issue.status };
        },
        async resolve(_context, request) {
          enter('resolve');
          const issue = issues.get(request.remoteId);
          if (issue) issue.status = 'Done';
        },
        async sync(_context, request) {
          const next = enter('sync');
          if (next === 'malformed') return 'nonsense' as never;
          return request.tickets.map((item) => {
            const issue = issues.get(item.remoteId);
            return issue
              ? { remoteId: item.remoteId, exists: true as const, remoteStatus: issue.status }
              : { remoteId: item.remoteId, exists: false as const };
          });
        },
      },
    },
  });
  return {
    plugin,
    issues,
    requests,
    createsByKey,
    /** The next `count` calls of `operation` fail or misbehave as `f` says. */
    failNext(operation: string, f: Fault, count = 1): void {
      faults[operation] = [...(faults[operation] ?? []), ...Array.from({ length: count }, () => f)];
    },
    count(operation: string): number {
      return requests.filter((request) => request.operation === operation).length;
    },
  };
}

/** An alert source that records the statuses written back to it. */
export function fakeSource(id = 'fake-source') {
  const written: Array<{ status: string; alertIds: string[]; ticketId: string }> = [];
  const plugin = definePlugin({
    id,
    name: 'Fake source',
    version: '1.0.0',
    description: 'an alert source that takes statuses back',
    modules: ['cto'],
    configSchema: z.object({}),
    cto: {
      source: {
        pull: async () => ({ alerts: [], checkpoint: {}, more: false }),
        async writeBack(_context, request) {
          written.push({
            status: request.status,
            alertIds: request.alerts.map((alert) => alert.id),
            ticketId: request.ticket.id,
          });
        },
      },
    },
  });
  return { plugin, written };
}

const running: CloudExchange[] = [];

/** Stops the exchanges booted since the last call (from `afterEach`). */
export async function stopAll(): Promise<void> {
  for (const exchange of running.splice(0)) await exchange.stop();
}

/** A started exchange on memory storage and a fake clock, with one configuration per `configs` entry. */
export async function boot(
  plugins: AnyPluginDefinition[],
  configs: Record<string, string>,
  clock = new FakeClock(start),
) {
  const exchange = await createCloudExchange({
    storage: createMemoryStorage({ clock }),
    clock,
    plugins,
    modules: [],
    checkIntervalMs: 0,
  });
  running.push(exchange);
  await exchange.start();
  for (const [id, pluginId] of Object.entries(configs)) await exchange.configurations.add({ id, pluginId, config: {} });
  const store = exchange.storage.tickets as TicketStore;
  const logger = createMemoryLogger();
  const options = (extra: Partial<DeliveryOptions> = {}): DeliveryOptions => ({
    store,
    plugins: exchange.runtime,
    clock,
    logger,
    queue: () => undefined,
    random: () => 0.5,
    ...extra,
  });
  return { exchange, store, clock, logger, options };
}

/** A ticket as the decision engine stores it before delivery. */
export function makeTicket(id: string, overrides: Partial<Ticket> = {}): Ticket {
  return {
    id,
    idempotencyKey: `ce-${id}`,
    queueId: 'soc',
    ruleId: 'rule',
    destinationConfigId: 'tickets',
    target: { project: 'SEC' },
    status: 'new',
    severity: 'high',
    title: `Ticket ${id}`,
    alertRefs: [],
    alertCount: 1,
    dedupeCount: 0,
    createdAt: start,
    updatedAt: start,
    statusHistory: [{ status: 'new', at: start, by: 'local' }],
    version: 0,
    ...overrides,
  };
}

/** An outbox entry due now. */
export function makeEntry(
  ticketId: string,
  operation: OutboxEntry['operation'],
  payload: Record<string, unknown>,
  at = start,
  overrides: Partial<OutboxEntry> = {},
): OutboxEntry {
  return {
    id: `${ticketId}:${operation}:${at}`,
    ticketId,
    operation,
    payload,
    state: 'pending',
    attempts: 0,
    nextAttemptAt: at,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

/** An alert attached to a ticket. */
export function makeAlert(sourceConfigId: string, id: string, ticketId: string): StoredAlert {
  return {
    id,
    sourceConfigId,
    type: 'dlp',
    name: 'PCI data uploaded',
    severity: 'high',
    timestamp: start,
    raw: {},
    fingerprint: `fp-${id}`,
    receivedAt: start,
    disposition: { kind: 'ticketed', ruleId: 'rule', queueId: 'soc', ticketId },
  };
}

/** Stores a new ticket with its create entry (and any further entries). */
export async function seed(store: TicketStore, ticket: Ticket, entries: OutboxEntry[] = [], alerts: StoredAlert[] = []) {
  await store.commit({ tickets: [{ ticket, expectedVersion: null }], outbox: entries, alerts });
}
