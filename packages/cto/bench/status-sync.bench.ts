/**
 * Status sync of 10,000 open tickets with `StatusSync`, against a destination that allows 20
 * requests per second and 100 tickets per sync request, on the real clock; 5% of the tickets
 * changed status remotely (each queues a write-back to its alert source). The figures are the
 * time taken, tickets per second and the requests made, beside the least the rate limit allows
 * for the same work (100 requests, 4.95 s after the first) as a ratio; and the same sync without
 * a rate limit, which is what the sync itself costs. Issue target: status sync of 10,000 tickets
 * in batches within the destination's rate limit.
 *
 * Run: `npm run bench -w @ce/cto` (after the orchestrator bench), or
 * `node --import tsx --conditions=@ce/source bench/status-sync.bench.ts` in packages/cto.
 * `CE_BENCH_TICKETS` changes the ticket count.
 */
import {
  createCloudExchange,
  createMemoryStorage,
  createNoopLogger,
  type StoredAlert,
  systemClock,
  type Ticket,
} from '@ce/core';
import { definePlugin } from '@ce/plugin-kit';
import { z } from 'zod';
import { StatusSync, type SyncRunReport } from '../src/index.js';

const count = Number(process.env.CE_BENCH_TICKETS ?? 10_000);
const maxSyncBatch = 100;
const changedEvery = 20; // 5%

async function run(requestsPerSecond: number | undefined) {
  const requestTimes: number[] = [];
  let largestBatch = 0;
  const destination = definePlugin({
    id: 'bench-tickets',
    name: 'bench tickets',
    version: '1.0.0',
    description: 'answers In Progress for one ticket in twenty, Open for the others',
    modules: ['cto'],
    configSchema: z.object({}),
    cto: {
      destination: {
        kind: 'ticket',
        defaultMapping: () => ({ summary: '{{name}}' }),
        defaultStatusMap: () => ({ Open: 'new', 'In Progress': 'in_progress', Done: 'closed' }),
        limits: () => ({ ...(requestsPerSecond ? { requestsPerSecond } : {}), maxSyncBatch }),
        create: async (_context, request) => ({ remoteId: request.ticketId }),
        async sync(_context, request) {
          requestTimes.push(performance.now());
          largestBatch = Math.max(largestBatch, request.tickets.length);
          return request.tickets.map((item) => ({
            remoteId: item.remoteId,
            exists: true as const,
            remoteStatus: Number(item.remoteId.slice(4)) % changedEvery === 0 ? 'In Progress' : 'Open',
          }));
        },
      },
    },
  });
  const source = definePlugin({
    id: 'bench-source',
    name: 'bench source',
    version: '1.0.0',
    description: 'takes statuses back',
    modules: ['cto'],
    configSchema: z.object({}),
    cto: {
      source: {
        pull: async () => ({ alerts: [], checkpoint: {}, more: false }),
        writeBack: async () => undefined,
      },
    },
  });
  const storage = createMemoryStorage();
  const exchange = await createCloudExchange({
    storage,
    plugins: [destination, source],
    modules: [],
    checkIntervalMs: 0,
    logger: createNoopLogger(),
  });
  await exchange.start();
  await exchange.configurations.add({ id: 'tickets', pluginId: 'bench-tickets', config: {} });
  await exchange.configurations.add({ id: 'alerts', pluginId: 'bench-source', config: {} });
  const at = Date.now() - 3_600_000;
  const store = storage.tickets;
  if (!store) throw new Error('memory storage without a ticket store');
  for (let offset = 0; offset < count; offset += 1_000) {
    const tickets: Array<{ ticket: Ticket; expectedVersion: null }> = [];
    const alerts: StoredAlert[] = [];
    for (let i = offset; i < Math.min(count, offset + 1_000); i++) {
      tickets.push({
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
          alertRefs: [`alerts/a${i}`],
          alertCount: 1,
          dedupeCount: 0,
          createdAt: at + i,
          updatedAt: at + i,
          statusHistory: [],
          version: 0,
        },
      });
      alerts.push({
        id: `a${i}`,
        sourceConfigId: 'alerts',
        type: 'dlp',
        name: 'PCI data uploaded',
        severity: 'high',
        timestamp: at,
        raw: {},
        fingerprint: `f${i}`,
        receivedAt: at,
        disposition: { kind: 'ticketed', ruleId: 'rule', queueId: 'soc', ticketId: `t${i}` },
      });
    }
    await store.commit({ tickets, alerts });
  }
  const sync = new StatusSync({
    store,
    plugins: exchange.runtime,
    clock: systemClock,
    logger: createNoopLogger(),
    queue: () => undefined,
  });
  // The core clock's timers do not hold the process open; a service's server does, this does here.
  const keepAlive = setInterval(() => undefined, 1_000);
  const started = performance.now();
  const report: SyncRunReport = await sync.runOnce();
  const seconds = (performance.now() - started) / 1_000;
  clearInterval(keepAlive);
  let worstWindow = 0;
  for (let i = 0; i < requestTimes.length; i++) {
    let j = i;
    while (j < requestTimes.length && (requestTimes[j] as number) - (requestTimes[i] as number) < 1_000) j++;
    worstWindow = Math.max(worstWindow, j - i);
  }
  const writeBacks = await store.countTickets({ statuses: ['in_progress'] });
  await exchange.stop();
  return { report, seconds, requests: requestTimes.length, largestBatch, worstWindow, writeBacks };
}

const requestsPerSecond = 20;
const limited = await run(requestsPerSecond);
const fewestRequests = Math.ceil(count / maxSyncBatch);
const floorSeconds = (fewestRequests - 1) / requestsPerSecond;
console.log(
  `status sync of ${count.toLocaleString('en')} open tickets (${100 / changedEvery}% changed), limit ${requestsPerSecond} requests/s and ${maxSyncBatch} tickets per request`,
);
console.log(
  `report: ${JSON.stringify(limited.report)}; ${limited.writeBacks} tickets now in progress, each with a write-back queued`,
);
console.log(
  `${limited.requests} requests (largest batch ${limited.largestBatch}), at most ${limited.worstWindow} in any second, ${limited.seconds.toFixed(2)} s, ${Math.round(count / limited.seconds).toLocaleString('en')} tickets/s`,
);
console.log(
  `the limit's floor: ${fewestRequests} requests in ${floorSeconds.toFixed(2)} s (${Math.round(count / floorSeconds).toLocaleString('en')} tickets/s); ratio ${(floorSeconds / limited.seconds).toFixed(2)} of the fastest the limit allows`,
);
const unlimited = await run(undefined);
console.log(
  `without a rate limit: ${unlimited.seconds.toFixed(2)} s, ${Math.round(count / unlimited.seconds).toLocaleString('en')} tickets/s (${unlimited.requests} requests): the sync's own cost`,
);
