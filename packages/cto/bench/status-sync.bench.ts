/**
 * Status sync of 10,000 open tickets against a destination that allows 20 requests per second and
 * 100 tickets per sync request, on the real clock: the figures are the time taken and the requests
 * made, beside the least the rate limit allows for the same work (100 requests, 4.95 s after the
 * first), as a ratio. Issue target: status sync of 10,000 tickets in batches within the
 * destination's rate limit.
 *
 * Run: `npm run bench -w @ce/cto` (after the orchestrator bench).
 */
import { createCloudExchange, createMemoryStorage, type Ticket } from '@ce/core';
import { definePlugin } from '@ce/plugin-kit';
import { z } from 'zod';
import { type TicketOrchestrator, ticketOrchestrator } from '../src/index.js';

const count = Number(process.env.CE_BENCH_TICKETS ?? 10_000);
const requestsPerSecond = 20;
const maxSyncBatch = 100;
const requestTimes: number[] = [];
let largestBatch = 0;

const destination = definePlugin({
  id: 'bench-tickets',
  name: 'bench tickets',
  version: '1.0.0',
  description: 'answers every ticket as In Progress',
  modules: ['cto'],
  configSchema: z.object({}),
  cto: {
    destination: {
      kind: 'ticket',
      defaultMapping: () => ({ summary: '{{name}}' }),
      defaultStatusMap: () => ({ Open: 'new', 'In Progress': 'in_progress', Done: 'closed' }),
      limits: () => ({ requestsPerSecond, maxSyncBatch }),
      create: async (_context, request) => ({ remoteId: request.ticketId }),
      async sync(_context, request) {
        requestTimes.push(performance.now());
        largestBatch = Math.max(largestBatch, request.tickets.length);
        return request.tickets.map((item) => ({
          remoteId: item.remoteId,
          exists: true as const,
          remoteStatus: 'In Progress',
        }));
      },
    },
  },
});

const storage = createMemoryStorage();
const exchange = await createCloudExchange({
  storage,
  plugins: [destination],
  modules: [ticketOrchestrator({ schedule: false, syncIntervalMs: 0 })],
  checkIntervalMs: 0,
});
await exchange.start();
await exchange.configurations.add({ id: 'tickets', pluginId: 'bench-tickets', config: {} });
const now = Date.now() - 60_000;
const tickets: Array<{ ticket: Ticket; expectedVersion: null }> = Array.from({ length: count }, (_, i) => ({
  expectedVersion: null,
  ticket: {
    id: `t${i}`,
    idempotencyKey: `ce-t${i}`,
    queueId: 'soc',
    ruleId: 'rule',
    destinationConfigId: 'tickets',
    target: { project: 'SEC' },
    remoteId: `SEC-${i}`,
    status: 'new',
    remoteStatus: 'Open',
    severity: 'high',
    title: `Ticket ${i}`,
    alertRefs: [],
    alertCount: 1,
    dedupeCount: 0,
    createdAt: now,
    updatedAt: now,
    statusHistory: [],
    version: 0,
  },
}));
for (let offset = 0; offset < count; offset += 1_000)
  await storage.tickets?.commit({ tickets: tickets.slice(offset, offset + 1_000) });

const cto = exchange.modules.cto as TicketOrchestrator;
// The core clock's timers do not hold the process open; a service's server does, this does here.
const keepAlive = setInterval(() => undefined, 1_000);
const started = performance.now();
const report = await cto.sync();
clearInterval(keepAlive);
const seconds = (performance.now() - started) / 1_000;
const fastestSeconds = (Math.ceil(count / maxSyncBatch) - 1) / requestsPerSecond;
let worstWindow = 0;
for (let i = 0; i < requestTimes.length; i++) {
  let j = i;
  while (j < requestTimes.length && (requestTimes[j] as number) - (requestTimes[i] as number) < 1_000) j++;
  worstWindow = Math.max(worstWindow, j - i);
}
console.log(
  `status sync of ${count.toLocaleString('en')} open tickets, limit ${requestsPerSecond} requests/s and ${maxSyncBatch} tickets per request`,
);
console.log(`report: ${JSON.stringify(report)}`);
console.log(
  `${requestTimes.length} requests (largest batch ${largestBatch}), at most ${worstWindow} in any second, ${seconds.toFixed(2)} s`,
);
console.log(
  `the limit's floor: ${Math.ceil(count / maxSyncBatch)} requests in ${fastestSeconds.toFixed(2)} s; ratio ${(fastestSeconds / seconds).toFixed(2)}`,
);
await exchange.stop();
