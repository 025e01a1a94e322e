/**
 * Lossless JSON: throughput of `parseJsonLossless` on realistic data export pages (10,000 mixed
 * event and alert records each, with 64-bit ids as bare JSON numbers), next to plain
 * `JSON.parse` of the same text in the same run. The ratio is the figure to watch.
 *
 * Run: `node --import tsx --conditions=@ce/source packages/plugins-netskope/bench/lossless-json.bench.ts`
 * `CE_BENCH_PAGES` changes the number of pages (default 5).
 */
import {
  dataExportIdFields,
  generateDataExportRecord,
  parseJsonLossless,
  stringifyWithBigInts,
} from '@ce/plugins-netskope';

const pageCount = Number(process.env.CE_BENCH_PAGES ?? 5);
const types: Array<['events' | 'alerts', string]> = [
  ['events', 'page'],
  ['events', 'application'],
  ['events', 'network'],
  ['alerts', 'dlp'],
  ['alerts', 'malware'],
];
const pages: string[] = [];
for (let page = 0; page < pageCount; page++) {
  const [kind, type] = types[page % types.length] as ['events' | 'alerts', string];
  const result = Array.from({ length: 10_000 }, (_, index) =>
    generateDataExportRecord(kind, type, page * 10_000 + index, { timestamp: 1_767_225_600 + index }),
  );
  pages.push(stringifyWithBigInts({ ok: 1, result, wait_time: 0, timestamp_hwm: 1_767_235_600 }));
}
const bytes = pages.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
const megabytes = bytes / 1024 / 1024;
const stringKeys = new Set(dataExportIdFields);

function measure(label: string, parse: (text: string) => unknown): number {
  for (const text of pages) parse(text); // warm up
  const rounds = 5;
  const started = performance.now();
  let records = 0;
  for (let round = 0; round < rounds; round++) {
    for (const text of pages) records += (parse(text) as { result: unknown[] }).result.length;
  }
  const seconds = (performance.now() - started) / 1_000;
  const rate = (megabytes * rounds) / seconds;
  console.log(
    `${label.padEnd(40)} ${rate.toFixed(0).padStart(6)} MB/s  ${(records / seconds / 1_000).toFixed(0).padStart(6)}k records/s`,
  );
  return rate;
}

console.log(`${pageCount} pages, ${(megabytes).toFixed(1)} MB, ${pageCount * 10_000} records`);
const baseline = measure('JSON.parse (rounds 64-bit ids)', (text) => JSON.parse(text));
const lossless = measure('parseJsonLossless', (text) => parseJsonLossless(text));
const keyed = measure('parseJsonLossless + id fields as strings', (text) =>
  parseJsonLossless(text, { stringKeys }),
);
console.log(
  `ratio to JSON.parse: ${(lossless / baseline).toFixed(2)} (lossless), ${(keyed / baseline).toFixed(2)} (with id fields)`,
);
