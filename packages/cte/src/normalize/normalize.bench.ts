/**
 * Normalization throughput. Run: `npx vitest bench --run packages/cte/src/normalize`.
 * The ingest target (150,000 indicators/s on 2 cores) leaves normalization well under 3 µs a value.
 */
import { bench, describe } from 'vitest';
import { inferIndicatorType } from './infer-type.js';
import { normalizeIndicator } from './normalize-indicator.js';

const count = 1_000;
const hex = (i: number, length: number) =>
  (i * 2654435761).toString(16).padStart(8, '0').repeat(8).slice(0, length);
const normal = Array.from({ length: count }, (_, i) => {
  switch (i % 8) {
    case 0:
      return `https://host${i}.example.com/path/${i}/file.php?id=${i}`;
    case 1:
      return `host${i}.example.net`;
    case 2:
      return `10.${i % 256}.${(i >> 8) % 256}.${i % 7}`;
    case 3:
      return hex(i, 64);
    case 4:
      return hex(i, 32);
    case 5:
      return `2001:db8::${(i % 65_535).toString(16)}`;
    case 6:
      return `user${i}@example.org`;
    default:
      return `192.0.${i % 256}.0/24`;
  }
});
const messy = normal.map((value, i) =>
  i % 8 === 0
    ? value.replace('https://', 'hxxps://').replace('.example.', '[.]Example[.]').concat('#frag')
    : i % 8 === 1
      ? ` ${value.toUpperCase()}. `
      : i % 8 === 3
        ? value.toUpperCase()
        : i % 8 === 5
          ? '2001:0DB8:0000:0000:0000:0000:0000:0001'
          : value,
);
const idn = Array.from({ length: count }, (_, i) => `bücher${i}.example`);

describe('normalizeIndicator', () => {
  bench('already normal, inferred type (1,000 values)', () => {
    for (const value of normal) normalizeIndicator(value);
  });
  bench('defanged and mixed case, inferred type (1,000 values)', () => {
    for (const value of messy) normalizeIndicator(value);
  });
  bench('internationalized names (1,000 values)', () => {
    for (const value of idn) normalizeIndicator(value, 'domain');
  });
  bench('inferIndicatorType only (1,000 values)', () => {
    for (const value of normal) inferIndicatorType(value);
  });
});
