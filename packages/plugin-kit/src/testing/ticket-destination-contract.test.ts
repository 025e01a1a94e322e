import { CeError, type TicketTarget } from '@ce/core';
import { z } from 'zod';
import { definePlugin } from '../define-plugin.js';
import { runTicketDestinationContract } from './ticket-destination-contract.js';

interface MemoryTicket {
  id: string;
  key: string;
  target: TicketTarget;
  text: string[];
  status: 'Open' | 'Done';
}

// A small, correct ticket system in memory, shared through a registry keyed by name.
const systems = new Map<string, { tickets: Map<string, MemoryTicket>; failures: number[] }>();

function system(name: string) {
  const found = systems.get(name);
  if (!found) throw new CeError('NOT_FOUND', `no ticket system ${name}`);
  return found;
}

function failIfAsked(name: string): void {
  const status = system(name).failures.shift();
  if (status === undefined) return;
  if (status === 429) throw new CeError('HTTP_RATE_LIMITED', 'rate limited');
  throw new CeError('HTTP_ERROR', `answered ${status}`, { retryable: status >= 500 });
}

const memoryTicketsPlugin = definePlugin({
  id: 'memory-tickets',
  name: 'Memory tickets',
  version: '1.0.0',
  description: 'contract fixture',
  modules: ['cto'],
  configSchema: z.object({ name: z.string().min(1) }),
  cto: {
    destination: {
      kind: 'ticket',
      targetFields: ['queue'],
      defaultMapping: () => ({ title: '{{name}}', body: '{{raw.policy}} by {{user}}' }),
      defaultStatusMap: () => ({ Open: 'new', Done: 'closed' }),
      defaultSeverityMap: () => ({ critical: 'P1', high: 'P2' }),
      limits: () => ({ requestsPerSecond: 10, maxSyncBatch: 50 }),
      async create(context, request) {
        failIfAsked(context.config.name);
        const { tickets } = system(context.config.name);
        const id = `T-${tickets.size + 1}`;
        tickets.set(id, {
          id,
          key: request.idempotencyKey,
          target: request.target,
          text: Object.values(request.fields).map(String),
          status: 'Open',
        });
        return { remoteId: id, link: `https://tickets.example/${id}`, remoteStatus: 'Open' };
      },
      async find(context, request) {
        for (const ticket of system(context.config.name).tickets.values())
          if (ticket.key === request.idempotencyKey)
            return { remoteId: ticket.id, remoteStatus: ticket.status };
        return undefined;
      },
      async update(context, request) {
        const ticket = system(context.config.name).tickets.get(request.remoteId);
        if (!ticket) throw new CeError('NOT_FOUND', `no ticket ${request.remoteId}`);
        if (request.comment) ticket.text.push(request.comment);
        return { remoteId: ticket.id, remoteStatus: ticket.status };
      },
      async resolve(context, request) {
        const ticket = system(context.config.name).tickets.get(request.remoteId);
        if (!ticket) throw new CeError('NOT_FOUND', `no ticket ${request.remoteId}`);
        ticket.status = 'Done';
      },
      async sync(context, request) {
        const { tickets } = system(context.config.name);
        return request.tickets.map((item) => {
          const ticket = tickets.get(item.remoteId);
          return ticket
            ? { remoteId: item.remoteId, exists: true as const, remoteStatus: ticket.status }
            : { remoteId: item.remoteId, exists: false as const };
        });
      },
    },
  },
});

let next = 0;
runTicketDestinationContract(memoryTicketsPlugin, {
  setup: async () => {
    const name = `system-${++next}`;
    systems.set(name, { tickets: new Map(), failures: [] });
    return {
      config: { name },
      target: { queue: 'SEC' },
      failNext: (status) => system(name).failures.push(status),
      deleteRemote: async (id) => {
        system(name).tickets.delete(id);
      },
      read: async (id) => {
        const ticket = system(name).tickets.get(id);
        return ticket ? { text: ticket.text.join('\n') } : undefined;
      },
      count: async (key) => [...system(name).tickets.values()].filter((ticket) => ticket.key === key).length,
      teardown: async () => {
        systems.delete(name);
      },
    };
  },
});
