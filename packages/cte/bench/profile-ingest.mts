/**
 * Ingest only, for a CPU profile: `N=300000 node --cpu-prof --import tsx --conditions=@ce/source bench/profile-ingest.mts`.
 */
import { createCloudExchange, createMemoryStorage } from '@ce/core';
import type { ThreatExchange } from '../src/engine/threat-exchange.js';
import { threatExchange } from '../src/engine/threat-exchange-module.js';
import { createIndicatorGenerator } from './generate-indicators.js';

const exchange = await createCloudExchange({
  storage: createMemoryStorage(),
  modules: [threatExchange({ schedule: false })],
  checkIntervalMs: 0,
});
await exchange.start();
const cte = exchange.modules.cte as ThreatExchange;
const generator = createIndicatorGenerator();
const count = Number(process.env.N ?? 300_000);
let ms = 0;
for (let start = 0; start < count; start += 10_000) {
  const batch = generator.next(10_000);
  const started = performance.now();
  await cte.ingest('profile', batch);
  ms += performance.now() - started;
}
console.log(`ingest ${Math.round((count / ms) * 1000).toLocaleString()}/s`);
await exchange.stop();
