import { createCloudExchange, createMemoryStorage } from '@ce/core';
import { threatExchange } from '../src/engine/threat-exchange-module.js';
import { createIndicatorGenerator } from './generate-indicators.js';
const exchange = await createCloudExchange({ storage: createMemoryStorage(), modules: [threatExchange({ schedule: false })], checkIntervalMs: 0 });
await exchange.start();
const cte: any = exchange.modules.cte;
const gen = createIndicatorGenerator();
let ms = 0; const n = Number(process.env.N ?? 300000);
for (let s = 0; s < n; s += 10000) { const b = gen.next(10000); const t = performance.now(); await cte.ingest('f', b); ms += performance.now() - t; }
console.log('ingest', Math.round(n / ms * 1000), '/s');
