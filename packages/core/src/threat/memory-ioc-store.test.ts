import { describe, expect, it } from 'vitest';
import { runIocStoreConformance } from '../testing/ioc-store-conformance.js';
import type { StoredIndicator } from './indicator-model.js';
import { createMemoryIocStore } from './memory-ioc-store.js';

runIocStoreConformance('memory', async () => ({ store: createMemoryIocStore() }));

function record(value: string, updatedAt: number): Omit<StoredIndicator, 'sequence'> {
  return {
    type: 'domain',
    value,
    sources: [
      {
        sourceId: 'feed',
        firstSeen: 1,
        lastSeen: 2,
        severity: 'medium',
        reputation: 5,
        tags: [`tag-${value}`],
        comments: 'x'.repeat(2_000),
        safe: false,
        test: false,
        hits: 1,
      },
    ],
    merged: {
      severity: 'medium',
      reputation: 5,
      tags: [],
      safe: false,
      test: false,
      firstSeen: 1,
      lastSeen: 2,
    },
    active: true,
    sightings: { total: 0, systems: [] },
    createdAt: 1,
    updatedAt,
  };
}

describe('memory IocStore', () => {
  it('keeps every record readable while rewrites and deletes reclaim space', async () => {
    const store = createMemoryIocStore();
    // About 1,000 × 2 KB per round: enough rounds to fill, free and compact many 4 MB chunks.
    for (let round = 0; round < 40; round++) {
      await store.putMany(Array.from({ length: 1_000 }, (_, i) => record(`r${i}.example`, round)));
      if (round % 10 === 5) await store.deleteMany([{ type: 'domain', value: `r${round}.example` }]);
    }
    expect(await store.count()).toBe(1_000);
    const all = await store.changesSince(0, 10_000);
    expect(all).toHaveLength(1_000);
    expect(all.every((item) => item.updatedAt === 39 && item.sources[0]?.comments?.length === 2_000)).toBe(
      true,
    );
    const page = await store.query({ valuePrefix: 'r999' });
    expect(page.items.map((item) => item.sources[0]?.tags)).toEqual([['tag-r999.example']]);
  });

  it('keeps values in code-point order through deletes, reused slots and multi-byte characters', async () => {
    const store = createMemoryIocStore();
    const names = ['m.example', 'b.example', 'ž.example', 'a.example', '日本.example', 'z.example'];
    await store.putMany(names.map((name) => record(name, 1)));
    const order = async () =>
      (await store.query({ types: ['domain'] }, { limit: 100 })).items.map((i) => i.value);
    expect(await order()).toEqual([
      'a.example',
      'b.example',
      'm.example',
      'z.example',
      'ž.example',
      '日本.example',
    ]);
    // A deleted value's slot is reused by a value that sorts elsewhere.
    await store.deleteMany([{ type: 'domain', value: 'a.example' }]);
    await store.putMany([record('y.example', 2)]);
    expect(await order()).toEqual([
      'b.example',
      'm.example',
      'y.example',
      'z.example',
      'ž.example',
      '日本.example',
    ]);
    expect((await store.get({ type: 'domain', value: '日本.example' }))?.value).toBe('日本.example');
    expect(await store.get({ type: 'domain', value: 'a.example' })).toBeUndefined();
    const after = await store.query({ types: ['domain'] }, { limit: 2 });
    const next = await store.query(
      { types: ['domain'] },
      { limit: 2, ...(after.nextCursor ? { cursor: after.nextCursor } : {}) },
    );
    expect(next.items.map((i) => i.value)).toEqual(['y.example', 'z.example']);
  });

  it('reclaims the bytes of deleted values and still finds every other one', async () => {
    const store = createMemoryIocStore();
    const long = (i: number) => `${'v'.repeat(3_000)}-${i}.example`;
    // 12,000 values of 3 KB: 36 MB of value bytes, of which two thirds are then deleted.
    for (let start = 0; start < 12_000; start += 2_000) {
      await store.putMany(
        Array.from({ length: 2_000 }, (_, i) => ({ ...record(long(start + i), 1), sources: [] })),
      );
    }
    const doomed = Array.from({ length: 12_000 }, (_, i) => i).filter((i) => i % 3 !== 0);
    expect(await store.deleteMany(doomed.map((i) => ({ type: 'domain' as const, value: long(i) })))).toBe(
      8_000,
    );
    expect(await store.count()).toBe(4_000);
    for (const i of [0, 3, 5_997, 11_997])
      expect((await store.get({ type: 'domain', value: long(i) }))?.value).toBe(long(i));
    expect(await store.get({ type: 'domain', value: long(1) })).toBeUndefined();
    const page = await store.query({ valuePrefix: `${'v'.repeat(3_000)}-11` }, { limit: 1_000 });
    expect(page.items.every((item) => Number(item.value.split('-')[1]?.split('.')[0]) % 3 === 0)).toBe(true);
    // 111, 114, 117; 33 of 1100-1199; 333 of 11000-11999.
    expect(page.items.length).toBe(369);
  });

  it('stores records larger than a chunk, also written twice in one batch', async () => {
    const store = createMemoryIocStore();
    const big = (fill: string) => {
      const item = record('big.example', 1);
      (item.sources[0] as { comments?: string }).comments = fill.repeat(5_000_000);
      return item;
    };
    await store.putMany([big('a'), record('small.example', 1), big('b')]);
    await store.putMany([big('c'), big('d')]);
    const read = await store.get({ type: 'domain', value: 'big.example' });
    expect(read?.sources[0]?.comments).toBe('d'.repeat(5_000_000));
    expect((await store.get({ type: 'domain', value: 'small.example' }))?.updatedAt).toBe(1);
  });

  it('keeps extra properties it does not know, as JSON would', async () => {
    const store = createMemoryIocStore();
    const input = { ...record('x.example', 1), future: { nested: [1, 'two', null] } };
    expect(await store.putMany([input])).toEqual([{ ...input, sequence: 1 }]);
    expect(await store.get(input)).toEqual({ ...input, sequence: 1 });
  });
});
