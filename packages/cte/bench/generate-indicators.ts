import type { IndicatorReportInput } from '@ce/core';

/** A small, fast, seeded PRNG (mulberry32), so every run ingests the same data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const hex = '0123456789abcdef';
const words = ['login', 'secure', 'update', 'account', 'verify', 'cdn', 'mail', 'pay', 'portal', 'files'];
const tlds = ['com', 'net', 'org', 'io', 'xyz', 'top', 'info', 'ru', 'cn', 'biz'];
const severities = ['low', 'medium', 'high', 'critical'] as const;
const tags = ['phishing', 'malware', 'c2', 'botnet', 'spam', 'ransomware'];

function hash(random: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += hex[Math.floor(random() * 16)];
  return out;
}

/**
 * Distinct indicator reports of mixed types, as feeds deliver them: 30% URLs, 25% domains, 20%
 * IPv4, 5% IPv6, 15% SHA-256, 5% MD5; each with a severity, a reputation and two tags; values in
 * their usual (mostly already normal) form, with the type given. `next(n)` returns the next `n`,
 * so a benchmark holds one batch at a time and its memory figures are the store's, not the input's.
 */
export function createIndicatorGenerator(seed = 42): { next(count: number): IndicatorReportInput[] } {
  const random = seededRandom(seed);
  let i = 0;
  return {
    next(count) {
      const out: IndicatorReportInput[] = new Array(count);
      for (let n = 0; n < count; n++, i++) out[n] = generateOne(random, i);
      return out;
    },
  };
}

/** `count` reports from a fresh generator (see {@link createIndicatorGenerator}). */
export function generateIndicators(count: number, seed = 42): IndicatorReportInput[] {
  return createIndicatorGenerator(seed).next(count);
}

function generateOne(random: () => number, i: number): IndicatorReportInput {
  const pick = random();
  const word = words[i % words.length] as string;
  const tld = tlds[Math.floor(random() * tlds.length)] as string;
  const host = `${word}-${i.toString(36)}.${tld}`;
  let report: IndicatorReportInput;
  if (pick < 0.3) report = { type: 'url', value: `http://${host}/${word}/${(i * 7).toString(36)}.php` };
  else if (pick < 0.55) report = { type: 'domain', value: host };
  else if (pick < 0.75) {
    // Public-looking space only, so warninglists suppress none of them by accident.
    const a = 11 + (i % 80);
    report = { type: 'ipv4', value: `${a}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}` };
  } else if (pick < 0.8)
    report = {
      type: 'ipv6',
      value: `2a00:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::${(i % 97).toString(16)}`,
    };
  else if (pick < 0.95)
    report = { type: 'sha256', value: hash(random, 56) + i.toString(16).padStart(8, '0') };
  else report = { type: 'md5', value: hash(random, 24) + i.toString(16).padStart(8, '0') };
  report.severity = severities[Math.floor(random() * severities.length)];
  report.reputation = 1 + Math.floor(random() * 10);
  report.tags = [tags[i % tags.length] as string, tags[(i + 3) % tags.length] as string];
  return report;
}
