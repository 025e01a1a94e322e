import { describe, expect, it } from 'vitest';
import pageEvent from '../__fixtures__/page-event.json' with { type: 'json' };
import { defaultMappings } from '../mapping/default-mappings.js';
import type { ValueSource } from '../mapping/mapping-schema.js';
import { compilePairs, type PairStep } from './compile-pairs.js';
import { escapeCefValue } from './escape.js';

const format = {
  escape: escapeCefValue,
  isSafeTransform: (source: ValueSource) => source.transform !== undefined && source.transform !== 'string',
};

function stepsOf(extension: Record<string, ValueSource | null>): PairStep[] {
  return Object.entries(extension).flatMap(([key, source]) =>
    source ? [{ first: `${key}=`, next: ` ${key}=`, source, limit: 1023 }] : [],
  );
}

describe('compilePairs', () => {
  it('writes the same pairs with generated code and with the fallback loop', () => {
    const records = [
      pageEvent,
      {},
      {
        user: 'a=b\nc',
        srcip: 'nope',
        timestamp: '2024-06-01T00:00:00Z',
        transaction_id: 12.7,
        src_location: { city: 'x' },
      },
    ];
    for (const mapping of [
      ...Object.values(defaultMappings.events ?? {}),
      ...Object.values(defaultMappings.alerts ?? {}),
    ]) {
      const steps = stepsOf(mapping.cef?.extension ?? {});
      const generated = compilePairs(steps, { tenant: 't' }, format, true).write;
      const looped = compilePairs(steps, { tenant: 't' }, format, false).write;
      for (const record of records) expect(generated(record)).toBe(looped(record));
    }
  });

  it('treats field and key names as data, never as code', () => {
    const field = 'x"]; globalThis.__pwned = true; //\u2028';
    const steps: PairStep[] = [
      { first: 'k"=', next: ' k"=', source: { field }, limit: 100 },
      { first: "q'=", next: " q'=", source: { field: `${field}2`, default: 'd' }, limit: 100 },
    ];
    const { write } = compilePairs(steps, {}, format);
    expect(write({ [field]: 'v' })).toBe('k"=v q\'=d');
    expect((globalThis as Record<string, unknown>).__pwned).toBeUndefined();
  });
});
