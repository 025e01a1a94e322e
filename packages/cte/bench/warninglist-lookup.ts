/**
 * Warninglist lookup benchmark: one million entries (hostnames, IPv4 blocks, IPv6 blocks, hashes)
 * generated from a seeded PRNG, then two million lookups, half hits and half misses, through
 * `WarninglistIndex.match`. Prints build time, heap growth, nanoseconds per lookup, and two
 * baselines: a plain `Set.has` over exact values (the floor: no structure can beat one hash probe)
 * and a naive linear scan over every entry (measured on a sample, scaled to the full list).
 *
 * Run from packages/cte (tsx is a root devDependency):
 *   node --expose-gc --import tsx --conditions=@ce/source bench/warninglist-lookup.ts
 * or bundle it with the esbuild that tsup ships:
 *   npx esbuild bench/warninglist-lookup.ts --bundle --platform=node --format=esm --target=node20 \
 *     --conditions=@ce/source --outfile=/tmp/warninglist-lookup.mjs && node --expose-gc /tmp/warninglist-lookup.mjs
 *
 * Environment: ENTRIES (default 1000000), LOOKUPS (default 2000000), SEED (default 42).
 */
import type { IndicatorType } from '@ce/core';
import type { WarninglistDefinition } from '../src/warninglists/warninglist.js';
import { createWarninglistMatcher, type WarninglistIndex } from '../src/warninglists/warninglist-index.js';

const entryCount = Number(process.env.ENTRIES ?? 1_000_000);
const lookupCount = Number(process.env.LOOKUPS ?? 2_000_000);
const seed = Number(process.env.SEED ?? 42);

/** mulberry32: small, fast, and the same sequence on every machine. */
function prng(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const random = prng(seed);
const int = (n: number): number => Math.floor(random() * n);
const letters = 'abcdefghijklmnopqrstuvwxyz0123456789';
const label = (min: number, max: number): string => {
  let out = '';
  const length = min + int(max - min + 1);
  for (let i = 0; i < length; i++) out += letters[int(letters.length)];
  return out;
};
const tlds = ['com', 'net', 'org', 'io', 'de', 'co.uk', 'com.br', 'ru', 'info', 'xyz'];
const domain = (): string => `${label(4, 12)}.${tlds[int(tlds.length)]}`;
const hex = (length: number): string => {
  let out = '';
  for (let i = 0; i < length; i++) out += '0123456789abcdef'[int(16)];
  return out;
};
const ipv4 = (value: number): string =>
  `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;

// Entry mix: 40% hostnames, 30% IPv4 blocks, 5% IPv6 blocks, 25% hashes (md5 / sha1 / sha256).
const hostEntries: string[] = [];
const v4Entries: Array<{ text: string; network: number; prefix: number }> = [];
const v6Entries: string[] = [];
const hashEntries: Array<{ type: IndicatorType; value: string }> = [];
for (let i = 0; i < entryCount; i++) {
  const kind = random();
  if (kind < 0.4) hostEntries.push(domain());
  else if (kind < 0.7) {
    // Mostly single hosts and /24s, some wider blocks, as published lists have.
    const roll = random();
    const prefix = roll < 0.6 ? 32 : roll < 0.9 ? 24 : 16 + int(8);
    const mask = (0xffffffff << (32 - prefix)) >>> 0;
    const network = ((int(2 ** 32) & mask) >>> 0) as number;
    v4Entries.push({ text: `${ipv4(network)}/${prefix}`, network, prefix });
  } else if (kind < 0.75) v6Entries.push(`2a0${int(10)}:${hex(4)}:${hex(4)}::/48`);
  else {
    const roll = int(3);
    const type: IndicatorType = roll === 0 ? 'md5' : roll === 1 ? 'sha1' : 'sha256';
    hashEntries.push({ type, value: hex(type === 'md5' ? 32 : type === 'sha1' ? 40 : 64) });
  }
}

// Strings built by concatenation are ropes in V8; values read from a file or a feed are flat.
// A JSON round trip makes the generated ones look like the real thing.
const flat = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const lists: WarninglistDefinition[] = flat([
  {
    id: 'bench-hosts',
    name: 'Hosts',
    matchType: 'hostname',
    indicatorTypes: ['domain', 'hostname', 'url', 'email'],
    entries: hostEntries,
  },
  {
    id: 'bench-networks',
    name: 'Networks',
    matchType: 'cidr',
    indicatorTypes: ['ipv4', 'ipv6', 'ipv4-cidr', 'ipv6-cidr', 'url'],
    entries: [...v4Entries.map((entry) => entry.text), ...v6Entries],
  },
  {
    id: 'bench-hashes',
    name: 'Hashes',
    matchType: 'string',
    indicatorTypes: ['md5', 'sha1', 'sha256'],
    entries: hashEntries.map((entry) => entry.value),
  },
]);

const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const memoryNow = (): number => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
const heapBefore = memoryNow();
const buildStart = process.hrtime.bigint();
const matcher: WarninglistIndex = createWarninglistMatcher(lists);
// The IPv4 ranges are built on first use; include that in the build time.
matcher.match('ipv4', '0.0.0.1');
const buildMs = Number(process.hrtime.bigint() - buildStart) / 1e6;
gc?.();
const heapAfter = memoryNow();

// Queries: half hits (a subdomain of a listed host, an address inside a listed block, a listed
// hash), half misses (fresh random values of the same shapes).
const queryTypes: IndicatorType[] = new Array(lookupCount);
let queryValues: string[] = new Array(lookupCount);
for (let i = 0; i < lookupCount; i++) {
  const hit = i % 2 === 0;
  const kind = int(10);
  if (kind < 4) {
    const host = hit
      ? `${label(3, 8)}.${hostEntries[int(hostEntries.length)]}`
      : `${label(3, 8)}.${domain()}`;
    const asUrl = kind === 3;
    queryTypes[i] = asUrl ? 'url' : 'hostname';
    queryValues[i] = asUrl ? `https://${host}/${label(2, 10)}` : host;
  } else if (kind < 7) {
    const block = v4Entries[int(v4Entries.length)] as { network: number; prefix: number };
    const address = hit ? block.network + int(2 ** (32 - block.prefix)) : int(2 ** 32);
    queryTypes[i] = 'ipv4';
    queryValues[i] = ipv4(address >>> 0);
  } else if (kind < 8) {
    queryTypes[i] = 'ipv6';
    queryValues[i] = hit
      ? `${(v6Entries[int(v6Entries.length)] as string).slice(0, -4)}:${hex(4)}::1`
      : `2b0${int(10)}:${hex(4)}:${hex(4)}::1`;
  } else {
    const entry = hashEntries[int(hashEntries.length)] as { type: IndicatorType; value: string };
    queryTypes[i] = entry.type;
    queryValues[i] = hit ? entry.value : hex(entry.value.length);
  }
}

queryValues = flat(queryValues);

function timeIt(run: () => number): { ns: number; result: number } {
  const start = process.hrtime.bigint();
  const result = run();
  return { ns: Number(process.hrtime.bigint() - start), result };
}

// Warm up the JIT on a slice, then measure.
for (let i = 0; i < 100_000; i++) matcher.match(queryTypes[i] as IndicatorType, queryValues[i] as string);
const measured = timeIt(() => {
  let hits = 0;
  for (let i = 0; i < lookupCount; i++)
    if (matcher.match(queryTypes[i] as IndicatorType, queryValues[i] as string) !== undefined) hits++;
  return hits;
});

// Floor: one Set probe per lookup over every exact value (no suffix walk, no CIDR, no parsing).
const exact = new Set<string>([
  ...hostEntries,
  ...v4Entries.map((entry) => ipv4(entry.network)),
  ...hashEntries.map((entry) => entry.value),
]);
for (let i = 0; i < 100_000; i++) exact.has(queryValues[i] as string);
const floor = timeIt(() => {
  let hits = 0;
  for (let i = 0; i < lookupCount; i++) if (exact.has(queryValues[i] as string)) hits++;
  return hits;
});

// Naive: scan every entry for each lookup. Measured over a sample of entries and lookups, scaled
// to the full entry count (a full run would take hours).
const sampleEntries = 10_000;
const sampleLookups = 2_000;
const naiveHosts = hostEntries.slice(0, Math.round(sampleEntries * 0.4));
const naiveBlocks = v4Entries.slice(0, Math.round(sampleEntries * 0.35));
const naiveHashes = hashEntries.slice(0, Math.round(sampleEntries * 0.25)).map((entry) => entry.value);
const naiveMatch = (type: IndicatorType, value: string): boolean => {
  if (type === 'hostname' || type === 'url') {
    const host = type === 'url' ? (value.split('/')[2] as string) : value;
    return naiveHosts.some((entry) => host === entry || host.endsWith(`.${entry}`));
  }
  if (type === 'ipv4' || type === 'ipv6') {
    const parts = value.split('.').map(Number);
    const address =
      parts.length === 4
        ? (parts[0] as number) * 2 ** 24 +
          (parts[1] as number) * 2 ** 16 +
          (parts[2] as number) * 256 +
          (parts[3] as number)
        : -1;
    return naiveBlocks.some(
      (block) => Math.floor(address / 2 ** (32 - block.prefix)) === block.network / 2 ** (32 - block.prefix),
    );
  }
  return naiveHashes.includes(value);
};
const naive = timeIt(() => {
  let hits = 0;
  for (let i = 0; i < sampleLookups; i++)
    if (naiveMatch(queryTypes[i] as IndicatorType, queryValues[i] as string)) hits++;
  return hits;
});
const naiveScaled = (naive.ns / sampleLookups) * (entryCount / sampleEntries);

const perLookup = measured.ns / lookupCount;
const floorPerLookup = floor.ns / lookupCount;
const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 1 });
console.log(`node ${process.version}, seed ${seed}`);
console.log(
  `entries: ${fmt(entryCount)} (${fmt(hostEntries.length)} hostnames, ${fmt(v4Entries.length)} IPv4 blocks, ` +
    `${fmt(v6Entries.length)} IPv6 blocks, ${fmt(hashEntries.length)} hashes) + ${matcher.size - lists.length} built-in lists`,
);
console.log(
  `build: ${fmt(buildMs)} ms; heap + typed arrays growth (entry strings excluded, they were already loaded): ${gc ? `${fmt((heapAfter - heapBefore) / 2 ** 20)} MiB` : 'n/a (run node with --expose-gc)'}`,
);
console.log(`lookups: ${fmt(lookupCount)} (${fmt(measured.result)} hits)`);
console.log(`warninglist match:     ${fmt(perLookup)} ns/lookup`);
console.log(
  `floor, one Set.has:    ${fmt(floorPerLookup)} ns/lookup (ratio ${fmt(perLookup / floorPerLookup)}x)`,
);
console.log(
  `naive scan (scaled):   ${fmt(naiveScaled)} ns/lookup (${fmt(naiveScaled / perLookup)}x slower than match; ` +
    `measured ${fmt(naive.ns / sampleLookups)} ns over ${fmt(sampleEntries)} entries)`,
);
console.log(`target < 2000 ns/lookup: ${perLookup < 2000 ? 'met' : 'NOT met'}`);
