/**
 * STIX pattern language: parse + validate throughput on 200,000 mixed, realistic indicator
 * patterns, next to `JSON.parse` of a JSON encoding of the same data in the same run (the ratio
 * says how far a hand-written parser is from V8's native JSON parser on input of similar size).
 *
 * Run: `npm run bench -w @ce/stix` or
 * `node --import tsx --conditions=@ce/source packages/stix/bench/pattern.bench.ts`.
 * `CE_BENCH_PATTERNS` changes the count (default 200000).
 */

import { extractPatternIndicators, parsePattern, printPattern, validatePattern } from '@ce/stix';

const count = Number(process.env.CE_BENCH_PATTERNS ?? 200_000);

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

const random = createRandom(42);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const hex = (length: number): string => {
  let out = '';
  for (let i = 0; i < length; i++) out += '0123456789abcdef'[Math.floor(random() * 16)];
  return out;
};
const word = (): string => pick(['login', 'secure', 'update', 'invoice', 'cdn', 'mail', 'portal', 'acct']);
const domain = (i: number): string =>
  `${word()}-${i.toString(36)}.${pick(['example', 'test', 'invalid'])}.com`;
const ipv4 = (): string =>
  `${1 + Math.floor(random() * 222)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`;
const timestamp = (day: number): string =>
  `2024-${String(1 + (day % 12)).padStart(2, '0')}-${String(1 + (day % 28)).padStart(2, '0')}T${String(day % 24).padStart(2, '0')}:15:30.${day % 1000}Z`;

/** A comparison as pattern text and as plain data. */
interface Comparison {
  text: string;
  data: { path: string; op: string; value: unknown };
}

function equality(path: string, value: string): Comparison {
  return {
    text: `${path} = '${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`,
    data: { path, op: '=', value },
  };
}

function indicatorComparison(i: number): Comparison {
  switch (Math.floor(random() * 8)) {
    case 0:
      return equality('url:value', `https://${domain(i)}/${word()}/${hex(8)}.php?id=${i}`);
    case 1:
      return equality('domain-name:value', domain(i));
    case 2:
      return equality('ipv4-addr:value', ipv4());
    case 3:
      return equality('ipv4-addr:value', `${ipv4().replace(/\.\d+$/, '.0')}/24`);
    case 4:
      return equality('file:hashes.MD5', hex(32));
    case 5:
      return equality("file:hashes.'SHA-1'", hex(40));
    case 6:
      return equality("file:hashes.'SHA-256'", hex(64));
    default:
      return equality('email-addr:value', `${word()}.${i}@${domain(i)}`);
  }
}

/** One pattern: its text and the same content as data for the JSON baseline. */
function generate(i: number): { text: string; data: unknown } {
  const shape = random();
  if (shape < 0.45) {
    const c = indicatorComparison(i);
    return { text: `[${c.text}]`, data: { observations: [[c.data]] } };
  }
  if (shape < 0.65) {
    const n = 2 + Math.floor(random() * 3);
    const parts = Array.from({ length: n }, () => indicatorComparison(i));
    return {
      text: parts.map((c) => `[${c.text}]`).join(' OR '),
      data: { op: 'OR', observations: parts.map((c) => [c.data]) },
    };
  }
  if (shape < 0.75) {
    const a = equality("file:hashes.'SHA-256'", hex(64));
    const size = 1000 + Math.floor(random() * 1e6);
    return {
      text: `[${a.text} AND file:size > ${size} AND file:name MATCHES '^${word()}.*\\\\.exe$']`,
      data: {
        observations: [
          [
            a.data,
            { path: 'file:size', op: '>', value: size },
            { path: 'file:name', op: 'MATCHES', value: `^${word()}.*\\.exe$` },
          ],
        ],
      },
    };
  }
  if (shape < 0.85) {
    const ports = [443, 8443, 6443].slice(0, 1 + Math.floor(random() * 3));
    const ip = ipv4();
    return {
      text: `[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '${ip}' AND network-traffic:dst_port IN (${ports.join(', ')})] REPEATS ${2 + (i % 5)} TIMES WITHIN ${60 * (1 + (i % 30))} SECONDS`,
      data: {
        observations: [
          [
            { path: 'network-traffic:dst_ref.type', op: '=', value: 'ipv4-addr' },
            { path: 'network-traffic:dst_ref.value', op: '=', value: ip },
            { path: 'network-traffic:dst_port', op: 'IN', value: ports },
          ],
        ],
        qualifiers: { repeats: 2 + (i % 5), within: 60 * (1 + (i % 30)) },
      },
    };
  }
  if (shape < 0.93) {
    const a = indicatorComparison(i);
    const b = indicatorComparison(i + 1);
    const start = timestamp(i);
    const stop = timestamp(i).replace('2024-', '2025-');
    return {
      text: `([${a.text}] FOLLOWEDBY [${b.text}]) START t'${start}' STOP t'${stop}'`,
      data: { op: 'FOLLOWEDBY', observations: [[a.data], [b.data]], qualifiers: { start, stop } },
    };
  }
  const key = `HKEY_LOCAL_MACHINE\\Software\\${word()}\\Run`;
  return {
    text: `[windows-registry-key:key = '${key.replaceAll('\\', '\\\\')}' AND windows-registry-key:values[*].name = '${word()}'] OR [process:name = '${word()}.exe' AND process:command_line LIKE '%-enc %']`,
    data: {
      op: 'OR',
      observations: [
        [
          { path: 'windows-registry-key:key', op: '=', value: key },
          { path: 'windows-registry-key:values[*].name', op: '=', value: word() },
        ],
        [
          { path: 'process:name', op: '=', value: `${word()}.exe` },
          { path: 'process:command_line', op: 'LIKE', value: '%-enc %' },
        ],
      ],
    },
  };
}

const patterns: string[] = new Array(count);
const jsons: string[] = new Array(count);
let patternChars = 0;
let jsonChars = 0;
for (let i = 0; i < count; i++) {
  const { text, data } = generate(i);
  // Round-tripped through JSON so the text is a flat string, as it is when read from a STIX
  // document (concatenation leaves rope strings that every read must walk).
  patterns[i] = JSON.parse(JSON.stringify(text)) as string;
  jsons[i] = JSON.stringify(data);
  patternChars += text.length;
  jsonChars += (jsons[i] as string).length;
}

function time(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Median seconds of three timed rounds after one warm-up round. */
function measure(run: () => void): number {
  run();
  const rounds = [time(run), time(run), time(run)].sort((a, b) => a - b);
  return rounds[1] as number;
}

let invalid = 0;
let sink = 0;
const validateSeconds = measure(() => {
  invalid = 0;
  for (const pattern of patterns) {
    const result = validatePattern(pattern);
    if (!result.ok) invalid++;
  }
});
if (invalid > 0) {
  console.error(`${invalid} generated patterns failed validation; the generator is wrong`);
  process.exit(1);
}
const parseSeconds = measure(() => {
  for (const pattern of patterns) sink += parsePattern(pattern).end;
});
const asts = patterns.map((pattern) => parsePattern(pattern));
const printSeconds = measure(() => {
  for (const ast of asts) sink += printPattern(ast).length;
});
let reducible = 0;
const extractSeconds = measure(() => {
  reducible = 0;
  for (const ast of asts) if (extractPatternIndicators(ast).reducible) reducible++;
});
const jsonSeconds = measure(() => {
  for (const json of jsons) sink += JSON.parse(json) === null ? 1 : 0;
});

const rate = (seconds: number): string => `${Math.round(count / seconds).toLocaleString('en-US')}/s`;
console.log(`node ${process.version}, ${count.toLocaleString('en-US')} patterns`);
console.log(
  `sizes: pattern text ${(patternChars / count).toFixed(1)} chars on average, JSON encoding ${(jsonChars / count).toFixed(1)} chars`,
);
console.log(
  `parse + validate   ${rate(validateSeconds).padStart(14)}  (${(validateSeconds * 1000).toFixed(0)} ms)`,
);
console.log(
  `parse only         ${rate(parseSeconds).padStart(14)}  (${(parseSeconds * 1000).toFixed(0)} ms)`,
);
console.log(
  `print              ${rate(printSeconds).padStart(14)}  (${(printSeconds * 1000).toFixed(0)} ms)`,
);
console.log(
  `extract indicators ${rate(extractSeconds).padStart(14)}  (${(extractSeconds * 1000).toFixed(0)} ms; ${reducible.toLocaleString('en-US')} reducible)`,
);
console.log(`JSON.parse baseline${rate(jsonSeconds).padStart(15)}  (${(jsonSeconds * 1000).toFixed(0)} ms)`);
console.log(
  `parse + validate takes ${(validateSeconds / jsonSeconds).toFixed(2)}x the time of JSON.parse of the same data (per character: ${(validateSeconds / patternChars / (jsonSeconds / jsonChars)).toFixed(2)}x)`,
);
if (sink === -1) console.log(sink);
