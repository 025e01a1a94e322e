/**
 * Formatting throughput of the log shipper's formatters, next to `JSON.stringify` of the same
 * records in the same run (issue target: CEF >= 300,000 events/s per core).
 *
 * Run: `npm run bench -w @ce/cls` (or
 * `node --import tsx --conditions=@ce/source packages/cls/bench/format.bench.ts`).
 * `CE_BENCH_COUNT` changes the number of records formatted per case (default 1,000,000); the
 * records come from a pool of 100,000 generated ones, cycled.
 */
import {
  type CefMapping,
  compileCefFormatter,
  compileJsonLineFormatter,
  compileLeefFormatter,
  compileSyslogMapping,
  createSyslogWrapper,
  defaultMappings,
  type LeefMapping,
  resolveMapping,
  type SyslogMapping,
  toCef,
} from '@ce/cls';
import { createRandom, dlpAlert, pageEvent } from './generate-events.js';

const count = Number(process.env.CE_BENCH_COUNT ?? 1_000_000);
const poolSize = Math.min(count, 100_000);

// Records reach the formatters as parsed API JSON, so the pool goes through JSON.parse: parsed
// objects share hidden classes, which is what the formatters' property reads are tuned for.
function pool(make: (random: () => number, index: number) => Record<string, unknown>, seed: number) {
  const random = createRandom(seed);
  return Array.from(
    { length: poolSize },
    (_, i) => JSON.parse(JSON.stringify(make(random, i))) as Record<string, unknown>,
  );
}

const pages = pool(pageEvent, 1);
const alerts = pool(dlpAlert, 2);
const page = resolveMapping(defaultMappings, 'events', 'page');
const dlp = resolveMapping(defaultMappings, 'alerts', 'dlp');

interface Result {
  label: string;
  rate: number;
  bytes: number;
}

function run(
  label: string,
  records: ReadonlyArray<Record<string, unknown>>,
  format: (event: Record<string, unknown>) => string,
) {
  // Warm up so that the optimising compiler has seen the code.
  for (let i = 0; i < Math.min(50_000, count); i++) format(records[i % poolSize] as Record<string, unknown>);
  let bytes = 0;
  const started = performance.now();
  for (let i = 0; i < count; i++) bytes += format(records[i % poolSize] as Record<string, unknown>).length;
  const ms = performance.now() - started;
  return { label, rate: Math.round((count / ms) * 1000), bytes: Math.round(bytes / count) };
}

const options = { tenant: 'acme' };
const pageCef = compileCefFormatter(page.cef as CefMapping, options);
const dlpCef = compileCefFormatter(dlp.cef as CefMapping, options);
const pageLeef = compileLeefFormatter(page.leef as LeefMapping, options);
const pageLeef2 = compileLeefFormatter(page.leef as LeefMapping, {
  ...options,
  version: '2.0',
  delimiter: '^',
});
const pageSyslogFields = compileSyslogMapping(page.syslog as SyslogMapping, options);
const wrap5424 = createSyslogWrapper({
  facility: 'local0',
  hostname: 'ce-1.example.com',
  appName: 'netskope',
});
const wrap3164 = createSyslogWrapper({
  format: 'rfc3164',
  facility: 'local0',
  hostname: 'ce-1',
  appName: 'netskope',
});
const jsonLine = compileJsonLineFormatter();

const cases: Array<
  [string, ReadonlyArray<Record<string, unknown>>, (event: Record<string, unknown>) => string]
> = [
  ['JSON.stringify (page)', pages, (event) => JSON.stringify(event)],
  ['CEF compiled (page)', pages, pageCef],
  ['toCef (page, cached compile)', pages, (event) => toCef(event, page.cef as CefMapping, options)],
  ['JSON.stringify (dlp alert)', alerts, (event) => JSON.stringify(event)],
  ['CEF compiled (dlp alert)', alerts, dlpCef],
  ['LEEF 1.0 compiled (page)', pages, pageLeef],
  ['LEEF 2.0 ^ compiled (page)', pages, pageLeef2],
  ['RFC 5424 + SD + CEF (page)', pages, (event) => wrap5424(pageCef(event), pageSyslogFields(event))],
  [
    'RFC 3164 + CEF (page)',
    pages,
    (event) => wrap3164(pageCef(event), { timestamp: (event.timestamp as number) * 1000 }),
  ],
  ['JSON line (page)', pages, jsonLine],
];

console.log(
  `formatting ${count.toLocaleString()} records per case (pool of ${poolSize.toLocaleString()}), node ${process.version}`,
);
const results: Result[] = [];
for (const [label, records, format] of cases) {
  const result = run(label, records, format);
  results.push(result);
  console.log(
    `${label.padEnd(32)} ${result.rate.toLocaleString().padStart(11)} /s   ${String(result.bytes).padStart(5)} chars/record`,
  );
}
const rateOf = (label: string) => results.find((result) => result.label === label)?.rate ?? Number.NaN;
console.log(
  `CEF page / JSON.stringify page: ${(rateOf('CEF compiled (page)') / rateOf('JSON.stringify (page)')).toFixed(2)}x; ` +
    `CEF dlp / JSON.stringify dlp: ${(rateOf('CEF compiled (dlp alert)') / rateOf('JSON.stringify (dlp alert)')).toFixed(2)}x; ` +
    `target CEF >= 300,000/s: ${rateOf('CEF compiled (page)') >= 300_000 && rateOf('CEF compiled (dlp alert)') >= 300_000 ? 'met' : 'NOT met'}`,
);
