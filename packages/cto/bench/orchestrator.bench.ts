/**
 * The orchestrator's decision path: 100,000 alerts through 20 business rules, 5 silences,
 * deduplication and grouping into the memory store, in batches of 1,000, beside a baseline that
 * only runs the same compiled rule predicates over the same alerts, in the same run.
 * Issue target: 50,000 alerts per second or more in memory.
 *
 * Run: `npm run bench -w @ce/cto`. `CE_BENCH_COUNT` changes the number of alerts.
 */
import { createCloudExchange, createMemoryStorage, RuleEngine } from '@ce/core';
import { definePlugin } from '@ce/plugin-kit';
import { z } from 'zod';
import { type TicketOrchestrator, ticketOrchestrator } from '../src/index.js';

const count = Number(process.env.CE_BENCH_COUNT ?? 100_000);
const types = ['dlp', 'malware', 'malsite', 'policy', 'uba', 'compromisedcredential'];
const severities = ['low', 'medium', 'high', 'critical'] as const;
const apps = ['Dropbox', 'Box', 'Google Drive', 'OneDrive', 'Slack', 'GitHub', 'Salesforce'];

// A deterministic stream: 5,000 users, so that dedup and grouping find earlier tickets.
const alerts = Array.from({ length: count }, (_, i) => ({
  id: `alert-${i}`,
  type: types[i % types.length] as string,
  name: `Policy violation ${i % 97}`,
  severity: severities[(i * 7) % 4] as (typeof severities)[number],
  user: `user${(i * 13) % 5_000}@example.com`,
  app: apps[i % apps.length] as string,
  timestamp: 1_767_225_600_000 + i,
  raw: { policy: `policy-${i % 50}`, site: `site${i % 300}.example`, count: i % 10 },
}));

const sink = definePlugin({
  id: 'bench-sink',
  name: 'bench sink',
  version: '1.0.0',
  description: 'accepts everything',
  modules: ['cto'],
  configSchema: z.object({}),
  cto: {
    destination: {
      kind: 'ticket',
      defaultMapping: () => ({
        summary: '[{{severity | upper}}] {{name}} ({{user}})',
        description: '{{summary}}',
      }),
      create: async (_context, request) => ({ remoteId: request.ticketId }),
    },
  },
});

const rules = Array.from({ length: 20 }, (_, i) => {
  const type = types[i % types.length] as string;
  const base = { id: `rule-${i}`, queueId: 'soc' };
  if (i % 3 === 0)
    return {
      ...base,
      condition: `type = "${type}" and raw.count gte ${i % 10}`,
      dedup: { fields: ['user', 'type'], window: '1h' },
    };
  if (i % 3 === 1)
    return {
      ...base,
      condition: `type = "${type}" and app in ["Dropbox", "Box", "Slack"]`,
      grouping: { by: ['app'], wait: '30s', interval: '5m' },
    };
  return { ...base, condition: `type = "${type}" and severity gte "high"` };
});

const engine = new RuleEngine();
const compiled = rules.map((rule) => engine.compile(rule.condition));
const baselineStarted = performance.now();
let routed = 0;
for (let round = 0; round < 3; round++)
  for (const alert of alerts)
    for (const predicate of compiled)
      if (predicate(alert)) {
        routed++;
        break;
      }
const baselineMs = (performance.now() - baselineStarted) / 3;

const storage = createMemoryStorage();
const exchange = await createCloudExchange({
  storage,
  plugins: [sink],
  modules: [ticketOrchestrator({ schedule: false })],
  checkIntervalMs: 0,
});
await exchange.start();
await exchange.configurations.add({ id: 'sink', pluginId: 'bench-sink', config: {} });
const cto = exchange.modules.cto as TicketOrchestrator;
await cto.putQueue({ id: 'soc', destinationConfigId: 'sink', target: { project: 'SEC' } });
for (const rule of rules) await cto.putRule(rule);
for (let i = 0; i < 5; i++)
  await cto.putSilence({
    id: `silence-${i}`,
    matchers: [
      { field: 'user', op: '=~', value: `user${i}[0-9]@example\\.com` },
      { field: 'app', op: '=', value: apps[i] as string },
    ],
    startsAt: 0,
    endsAt: Number.MAX_SAFE_INTEGER,
    createdBy: 'bench',
  });
// Time inside the memory store's commit (validation, freezing, indexes), to show the split.
const tickets = storage.tickets as NonNullable<typeof storage.tickets>;
const commit = tickets.commit.bind(tickets);
let commitMs = 0;
(tickets as { commit: typeof commit }).commit = async (changes) => {
  const at = performance.now();
  try {
    return await commit(changes);
  } finally {
    commitMs += performance.now() - at;
  }
};
const started = performance.now();
const totals = { ticketed: 0, deduplicated: 0, grouped: 0, muted: 0, unrouted: 0, failed: 0 };
for (let offset = 0; offset < count; offset += 1_000) {
  const report = await cto.submit(alerts.slice(offset, offset + 1_000), { sourceConfigId: 'bench' });
  for (const key of Object.keys(totals) as Array<keyof typeof totals>) totals[key] += report[key];
}
const ms = performance.now() - started;
const rate = (count / ms) * 1_000;
const baselineRate = (count / baselineMs) * 1_000;
console.log(
  `node ${process.version}, ${count.toLocaleString('en')} alerts, 20 rules, 5 silences, dedup and grouping, memory store, batches of 1,000`,
);
console.log(`outcomes: ${JSON.stringify(totals)}`);
console.log(
  `orchestrator: ${Math.round(rate).toLocaleString('en')} alerts/s (${(ms / 1000).toFixed(2)} s); target 50,000/s: ${rate >= 50_000 ? 'met' : 'NOT met'}`,
);
console.log(
  `of which in TicketStore.commit: ${(commitMs / 1000).toFixed(2)} s; deciding alone: ${Math.round((count / (ms - commitMs)) * 1_000).toLocaleString('en')} alerts/s`,
);
console.log(
  `baseline, the compiled rule predicates alone (${routed / 3} routed): ${Math.round(baselineRate).toLocaleString('en')} alerts/s; ratio ${(rate / baselineRate).toFixed(3)}`,
);
await exchange.stop();
