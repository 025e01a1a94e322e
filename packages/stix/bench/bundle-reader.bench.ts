/**
 * Streaming STIX bundle reader: throughput and peak heap growth on a generated ~50 MB bundle,
 * next to `JSON.parse` of the whole file in the same run.
 *
 * Run: `node --expose-gc --import tsx --conditions=@ce/source packages/stix/bench/bundle-reader.bench.ts`
 * `CE_BENCH_MB` changes the bundle size (default 50). The heap is sampled every 500 objects; the
 * reader's peak heap growth is meant to stay under 100 MB whatever the bundle size.
 */

import { once } from 'node:events';
import { createReadStream, createWriteStream, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BundleScanner, readStixBundle } from '@ce/stix';

const targetBytes = Number(process.env.CE_BENCH_MB ?? 50) * 1024 * 1024;
const file = join(tmpdir(), `ce-stix-bench-${process.pid}.json`);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with node --expose-gc');
  process.exit(1);
}

function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function generateObject(random: () => number, index: number): Record<string, unknown> {
  const created = new Date(Date.UTC(2024, 0, 1) + index * 1000).toISOString();
  const common = { spec_version: '2.1', created, modified: created };
  switch (index % 4) {
    case 0:
      return {
        type: 'indicator',
        id: `indicator--${uuid(random)}`,
        ...common,
        name: `Malicious site ${index}`,
        description: 'Seen in a phishing campaign targeting finance; crédit agricole lookalike. '.repeat(2),
        indicator_types: ['malicious-activity'],
        pattern: `[url:value = 'https://evil-${index}.example/login?id=${index}']`,
        pattern_type: 'stix',
        pattern_version: '2.1',
        valid_from: created,
        labels: ['phishing', 'finance'],
        confidence: Math.floor(random() * 100),
        object_marking_refs: ['marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da'],
        external_references: [{ source_name: 'acme', url: `https://intel.example/${index}` }],
        x_acme_score: Math.floor(random() * 1000),
      };
    case 1:
      return {
        type: 'ipv4-addr',
        spec_version: '2.1',
        id: `ipv4-addr--${uuid(random)}`,
        value: `10.${index % 256}.${(index >> 8) % 256}.${(index >> 16) % 256}`,
      };
    case 2:
      return {
        type: 'file',
        spec_version: '2.1',
        id: `file--${uuid(random)}`,
        name: `sample-${index}.exe`,
        hashes: {
          MD5: Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join(''),
          'SHA-256': Array.from({ length: 64 }, () => Math.floor(random() * 16).toString(16)).join(''),
        },
        size: Math.floor(random() * 1e6),
      };
    default:
      return {
        type: 'relationship',
        id: `relationship--${uuid(random)}`,
        ...common,
        relationship_type: 'indicates',
        source_ref: `indicator--${uuid(random)}`,
        target_ref: `malware--${uuid(random)}`,
      };
  }
}

async function generate(): Promise<number> {
  const random = createRandom(1);
  const out = createWriteStream(file);
  out.write('{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[\n');
  let written = 0;
  let count = 0;
  while (written < targetBytes) {
    const text = `${count === 0 ? '' : ',\n'}${JSON.stringify(generateObject(random, count))}`;
    written += Buffer.byteLength(text);
    count++;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end('\n]}\n');
  await once(out, 'finish');
  return count;
}

function heapMb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

async function benchReader(): Promise<{
  seconds: number;
  objects: number;
  invalid: number;
  peakGrowth: number;
}> {
  gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  let objects = 0;
  let invalid = 0;
  const start = process.hrtime.bigint();
  for await (const item of readStixBundle(createReadStream(file, { highWaterMark: 64 * 1024 }))) {
    if (item.ok) objects++;
    else invalid++;
    if ((objects + invalid) % 500 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  return { seconds, objects, invalid, peakGrowth: peak - base };
}

async function benchScanner(): Promise<{ seconds: number; elements: number }> {
  let elements = 0;
  const scanner = new BundleScanner({ maxDepth: 64, maxObjectBytes: 16 * 1024 * 1024 }, () => elements++);
  const start = process.hrtime.bigint();
  for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 }))
    scanner.push(chunk as Buffer);
  scanner.end();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, elements };
}

function benchJsonParse(): { seconds: number; growth: number; objects: number } {
  gc?.();
  const base = process.memoryUsage().heapUsed;
  const start = process.hrtime.bigint();
  const value = JSON.parse(readFileSync(file, 'utf8')) as { objects: unknown[] };
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const growth = process.memoryUsage().heapUsed - base;
  return { seconds, growth, objects: value.objects.length };
}

const generated = await generate();
const size = statSync(file).size;
const mb = size / 1024 / 1024;
console.log(`bundle: ${generated} objects, ${mb.toFixed(1)} MB (${file})`);
try {
  const reader = await benchReader();
  const scan = await benchScanner();
  const parse = benchJsonParse();
  console.log(
    `readStixBundle (scan + parse + validate each object): ${reader.objects} valid, ${reader.invalid} invalid, ` +
      `${reader.seconds.toFixed(2)} s, ${Math.round(reader.objects / reader.seconds)} objects/s, ` +
      `${(mb / reader.seconds).toFixed(1)} MB/s, peak heap growth ${heapMb(reader.peakGrowth)} MB`,
  );
  console.log(
    `BundleScanner alone (syntax check and element boundaries): ${scan.elements} elements, ` +
      `${scan.seconds.toFixed(2)} s, ${(mb / scan.seconds).toFixed(1)} MB/s`,
  );
  console.log(
    `JSON.parse of the whole file (no validation): ${parse.objects} objects, ${parse.seconds.toFixed(2)} s, ` +
      `${(mb / parse.seconds).toFixed(1)} MB/s, heap growth ${heapMb(parse.growth)} MB`,
  );
  console.log(
    `ratio reader / JSON.parse: time x${(reader.seconds / parse.seconds).toFixed(1)}, ` +
      `heap x${(reader.peakGrowth / parse.growth).toFixed(2)}`,
  );
  if (reader.peakGrowth > 100 * 1024 * 1024) {
    console.error('FAIL: the reader grew the heap by more than 100 MB');
    process.exitCode = 1;
  }
} finally {
  rmSync(file, { force: true });
}
