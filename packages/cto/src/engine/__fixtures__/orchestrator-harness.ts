/** Shared harness of the orchestrator's tests. */
import {
  type AnyPluginDefinition,
  CeError,
  type CloudExchange,
  createCloudExchange,
  createMemoryStorage,
  FakeClock,
  HttpError,
  type StorageAdapter,
} from '@ce/core';
import { definePlugin } from '@ce/plugin-kit';
import { afterEach } from 'vitest';
import { z } from 'zod';
import type { TicketOrchestrator } from '../ticket-orchestrator.js';
import type { TicketOrchestratorOptions } from '../ticket-orchestrator.js';
import { ticketOrchestrator } from '../ticket-orchestrator-module.js';

/** A Monday, 10:00 UTC. */
export const start = Date.parse('2026-03-02T10:00:00.000Z'); // a Monday

interface RemoteIssue {
  key: string;
  label: string;
  fields: Record<string, unknown>;
  comments: string[];
  status: 'To Do' | 'In Progress' | 'Done';
}

/** A small ticket system in memory, with the faults the tests need. */
export function ticketSystem() {
  const issues = new Map<string, RemoteIssue>();
  const failures: Array<number | 'hang-after-create'> = [];
  const calls: string[] = [];
  const fail = (): void => {
    const next = failures[0];
    if (typeof next !== 'number') return;
    failures.shift();
    throw new HttpError(undefined, `answered ${next}`, {
      status: next,
      method: 'POST',
      url: 'https://tickets.example/api',
    });
  };
  const plugin = definePlugin({
    id: 'memory-tickets',
    name: 'Memory tickets',
    version: '1.0.0',
    description: 'test destination',
    modules: ['cto'],
    configSchema: z.object({}),
    cto: {
      destination: {
        kind: 'ticket',
        targetFields: ['project'],
        defaultMapping: () => ({
          summary: '[{{severity | upper}}] {{name}}',
          description: 'User {{user | default: "unknown"}}\n{{summary}}',
        }),
        defaultStatusMap: () => ({ 'To Do': 'new', 'In Progress': 'in_progress', Done: 'closed' }),
        defaultSeverityMap: () => ({ critical: 'Highest', high: 'High' }),
        limits: () => ({ maxSyncBatch: 2 }),
        async create(_context, request) {
          calls.push('create');
          fail();
          const key = `SEC-${issues.size + 1}`;
          issues.set(key, {
            key,
            label: request.idempotencyKey,
            fields: { ...request.fields },
            comments: [],
            status: 'To Do',
          });
          if (failures[0] === 'hang-after-create') {
            failures.shift();
            throw new CeError('TIMEOUT', 'no answer in time');
          }
          return { remoteId: key, link: `https://tickets.example/browse/${key}`, remoteStatus: 'To Do' };
        },
        async find(_context, request) {
          calls.push('find');
          for (const issue of issues.values())
            if (issue.label === request.idempotencyKey)
              return { remoteId: issue.key, remoteStatus: issue.status };
          return undefined;
        },
        async update(_context, request) {
          calls.push(`update:${request.kind}`);
          fail();
          const issue = issues.get(request.remoteId);
          if (!issue)
            throw new HttpError(undefined, 'not found', {
              status: 404,
              method: 'POST',
              url: 'https://tickets.example/api',
            });
          if (request.comment) issue.comments.push(request.comment);
          if (request.kind === 'reopen') issue.status = 'To Do';
          return { remoteId: issue.key, remoteStatus: issue.status };
        },
        async resolve(_context, request) {
          calls.push('resolve');
          const issue = issues.get(request.remoteId);
          if (issue) issue.status = 'Done';
        },
        async sync(_context, request) {
          calls.push(`sync:${request.tickets.length}`);
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
  return { plugin, issues, failures, calls };
}

/** Exchanges to stop after each test. */
export const running: CloudExchange[] = [];
afterEach(async () => {
  for (const exchange of running.splice(0)) await exchange.stop();
});

/** Starts an exchange with the orchestrator (unscheduled), the plugins and a queue `soc`. */
export async function boot(
  plugins: AnyPluginDefinition[],
  storage?: StorageAdapter,
  clock = new FakeClock(start),
  options: TicketOrchestratorOptions = {},
) {
  const exchange = await createCloudExchange({
    storage: storage ?? createMemoryStorage({ clock }),
    clock,
    plugins,
    modules: [ticketOrchestrator({ schedule: false, ...options })],
    checkIntervalMs: 0,
  });
  running.push(exchange);
  await exchange.start();
  for (const plugin of plugins)
    if (!(await exchange.storage.pluginConfigs.get('tickets')))
      await exchange.configurations.add({ id: 'tickets', pluginId: plugin.id, config: {} });
  const cto = exchange.modules.cto as TicketOrchestrator;
  await cto.putQueue({ id: 'soc', destinationConfigId: 'tickets', target: { project: 'SEC' } });
  return { exchange, cto, clock };
}

/** An alert input with defaults. */
export const alert = (id: string, overrides: Record<string, unknown> = {}) => ({
  id,
  type: 'dlp',
  name: 'PCI data uploaded',
  severity: 'high',
  user: 'alice@example.com',
  app: 'Dropbox',
  timestamp: start,
  raw: { policy: 'PCI' },
  ...overrides,
});

