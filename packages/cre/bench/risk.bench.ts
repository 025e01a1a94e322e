/**
 * Throughput of the risk exchange in memory: 1,000,000 users with three sources each (KnowBe4's
 * 0-100 risk, Okta's low/medium/high, Mimecast's letter grades), 3,000,000 observations ingested
 * in batches of 10,000: validated, normalized, resolved to their entity, merged, aggregated
 * (weighted mean), banded and rolled up into the day's entity and organization rollups, and
 * committed. Printed beside a baseline doing the bare arithmetic (normalize + weighted mean) over
 * the same values in plain arrays, in the same run, as a ratio. Issue target: 500,000
 * observations per second.
 *
 * Run: `npm run bench -w @ce/cre` (or `node --import tsx --conditions=@ce/source bench/risk.bench.ts`
 * in packages/cre). `CE_BENCH_ENTITIES` sets the entity count (default 1,000,000). The bench
 * bundles itself and runs the bundle with plain `node`, as a deployment runs the SDK, so that the
 * TypeScript loader does not show in the figures; `CE_BENCH_NODE_OPTIONS` passes flags to that
 * process (`--cpu-prof`).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  createCloudExchange,
  createMemoryStorage,
  FakeClock,
  type RiskObservationInput,
  type RiskStore,
} from '@ce/core';
import { defaultCategoricalTable, type RiskExchange, riskExchange } from '@ce/cre';
import { bundleForNode } from '../../../scripts/bundle-for-node.js';
import { createIndexedRiskStore } from './indexed-risk-store.js';

const entities = Number(process.env.CE_BENCH_ENTITIES ?? 1_000_000);
const batch = 10_000;
const labels = ['low', 'medium', 'high'] as const;
const grades = ['A', 'B', 'C', 'D', 'F'] as const;
const gradeScores: Record<string, number> = { A: 800, B: 600, C: 400, D: 200, F: 1 };

// Deterministic inputs, shared by the engine run and the baseline.
let seed = 42;
const random = (): number => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};
const emails = Array.from({ length: entities }, (_, i) => `user${i}@example.com`);
const risk = Float64Array.from({ length: entities }, () => Math.floor(random() * 101));
const label = Uint8Array.from({ length: entities }, () => Math.floor(random() * 3));
const grade = Uint8Array.from({ length: entities }, () => Math.floor(random() * 5));

function baseline(): number {
  const started = performance.now();
  const table = new Map<string, number>(Object.entries(defaultCategoricalTable));
  const scores = new Float64Array(entities);
  const bands = new Uint8Array(entities);
  let sum = 0;
  for (let i = 0; i < entities; i++) {
    const a = 1000 - 10 * (risk[i] as number);
    const b = table.get(labels[label[i] as number] as string) as number;
    const c = gradeScores[grades[grade[i] as number] as string] as number;
    const score = (a + b + c) / 3;
    scores[i] = score;
    bands[i] = score <= 250 ? 0 : score <= 500 ? 1 : score <= 750 ? 2 : 3;
    sum += score;
  }
  if (!(sum > 0)) throw new Error('baseline went wrong');
  return performance.now() - started;
}

async function engine(): Promise<{ ms: number; store: string; sample: unknown }> {
  const clock = new FakeClock(Date.parse('2026-03-01T08:00:00Z'));
  const storage = createMemoryStorage({ clock });
  const store: RiskStore = storage.risk ?? createIndexedRiskStore();
  const exchange = await createCloudExchange({
    storage,
    clock,
    modules: [
      riskExchange({
        schedule: false,
        store,
        rollupCacheSize: entities + 1,
        batchSize: batch,
        normalization: {
          knowbe4: { user: { strategy: 'linear', min: 0, max: 100, invert: true } },
          okta: { user: { strategy: 'categorical', table: defaultCategoricalTable } },
          mimecast: { user: { strategy: 'grade', grades: gradeScores } },
        },
      }),
    ],
    checkIntervalMs: 0,
  });
  const cre = exchange.modules.cre as RiskExchange;
  const observedAt = clock.now() - 60_000;
  const sources: Array<[string, (i: number) => number | string]> = [
    ['knowbe4', (i) => risk[i] as number],
    ['okta', (i) => labels[label[i] as number] as string],
    ['mimecast', (i) => grades[grade[i] as number] as string],
  ];
  let ms = 0;
  for (const [sourceConfigId, value] of sources) {
    for (let start = 0; start < entities; start += batch) {
      const observations: RiskObservationInput[] = [];
      for (let i = start; i < Math.min(entities, start + batch); i++)
        observations.push({
          entityType: 'user',
          identity: { email: emails[i] as string },
          value: value(i),
          observedAt,
        });
      const began = performance.now();
      const report = await cre.ingest(observations, { sourceConfigId });
      ms += performance.now() - began;
      if (report.accepted !== observations.length)
        throw new Error(JSON.stringify(report.rejected.slice(0, 3)));
    }
  }
  const sample = await cre.findEntity('user', { email: 'user7@example.com' });
  const organization = await cre.organizationHistory('user', { days: 1 });
  await exchange.stop({ timeoutMs: 1000 });
  return {
    ms,
    store: storage.risk ? 'createMemoryStorage().risk' : 'bench index (core memory store not available yet)',
    sample: { score: sample?.score, band: sample?.band, organization: organization.current },
  };
}

async function main(): Promise<void> {
  const observations = entities * 3;
  const base = baseline();
  const run = await engine();
  const rate = (observations / run.ms) * 1000;
  const baseRate = (observations / base) * 1000;
  console.log(`risk exchange bench: ${entities.toLocaleString('en')} entities x 3 sources`);
  console.log(`  store: ${run.store}`);
  console.log(
    `  engine:   ${Math.round(rate).toLocaleString('en')} observations/s (${(run.ms / 1000).toFixed(2)} s)`,
  );
  console.log(
    `  baseline: ${Math.round(baseRate).toLocaleString('en')} observations/s (${(base / 1000).toFixed(2)} s, bare normalize + weighted mean in arrays)`,
  );
  console.log(
    `  ratio engine/baseline: ${(rate / baseRate).toFixed(4)}; target 500,000 observations/s: ${rate >= 500_000 ? 'met' : 'NOT met'}`,
  );
  console.log(`  sample: ${JSON.stringify(run.sample)}`);
}

if (process.env.CE_BENCH_CHILD) await main();
else {
  const bundle = await bundleForNode(fileURLToPath(import.meta.url));
  // Every entity stays in memory, so nearly everything a batch allocates survives: a larger young
  // generation spares the collector promoting it in many small steps (about 30% faster here).
  const flags = [
    '--max-semi-space-size=64',
    ...(process.env.CE_BENCH_NODE_OPTIONS ?? '').split(' ').filter(Boolean),
  ];
  const result = spawnSync(process.execPath, [...flags, bundle], {
    env: { ...process.env, CE_BENCH_CHILD: '1' },
    stdio: 'inherit',
  });
  process.exitCode = result.status ?? 1;
}
