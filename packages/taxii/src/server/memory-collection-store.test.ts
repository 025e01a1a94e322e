import { CeError, FakeClock } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { indicator, uuid } from '../__fixtures__/test-server.js';
import type { TaxiiObject } from '../taxii-types.js';
import type { TaxiiObjectResult, TaxiiPrincipal } from './collection-store.js';
import { createMemoryCollectionStore } from './memory-collection-store.js';

const collectionId = uuid(1);
const principal: TaxiiPrincipal = { id: 'tester' };

describe('createMemoryCollectionStore', () => {
  it('gives permissions by principal id or group; writing is opt-in', async () => {
    const store = createMemoryCollectionStore({
      collections: [
        { id: uuid(1), title: 'Public' },
        { id: uuid(2), title: 'Team', readers: ['analysts'], writers: ['lead'] },
      ],
    });
    expect(await store.listCollections({ id: 'someone' })).toEqual([
      expect.objectContaining({ id: uuid(1), canRead: true, canWrite: false }),
    ]);
    expect(await store.getCollection(uuid(2), { id: 'x', groups: ['analysts'] })).toMatchObject({
      canRead: true,
      canWrite: false,
    });
    expect(await store.getCollection(uuid(2), { id: 'lead' })).toMatchObject({
      canRead: false,
      canWrite: true,
    });
    expect(await store.getCollection(uuid(2), { id: 'other' })).toBeUndefined();
  });

  it('stamps strictly increasing date_added values with microseconds, even within one millisecond', async () => {
    const clock = new FakeClock(Date.parse('2026-05-01T00:00:00.000Z'));
    const store = createMemoryCollectionStore({ collections: [{ id: collectionId, title: 'c' }], clock });
    store.add(collectionId, [indicator(1), indicator(2), indicator(3)]);
    const page = await store.getManifest(collectionId, { principal, limit: 10 });
    expect(page.items.map((item) => item.dateAdded)).toEqual([
      '2026-05-01T00:00:00.000000Z',
      '2026-05-01T00:00:00.000001Z',
      '2026-05-01T00:00:00.000002Z',
    ]);
  });

  it('rejects malformed objects and treats repeated versions and observables as already present', () => {
    const store = createMemoryCollectionStore({ collections: [{ id: collectionId, title: 'c' }] });
    const observable: TaxiiObject = { type: 'ipv4-addr', id: `ipv4-addr--${uuid(9)}`, value: '10.0.0.1' };
    const results = store.add(collectionId, [
      indicator(1),
      indicator(1),
      { ...indicator(2), type: 'malware' },
      { ...indicator(3), modified: 'yesterday' },
      observable,
      { ...observable, value: '10.0.0.2' },
    ]);
    expect(results.map((result) => [result.status, result.message])).toEqual([
      ['success', undefined],
      ['success', 'already present'],
      ['failure', 'id must be "<type>--<uuid>" and match type'],
      ['failure', 'modified/created is not a timestamp'],
      ['success', undefined],
      ['success', 'already present'],
    ]);
    expect(store.size(collectionId)).toBe(2);
  });

  it('returns only the latest STIX version of each object unless match[spec_version] asks', async () => {
    const store = createMemoryCollectionStore({ collections: [{ id: collectionId, title: 'c' }] });
    const id = `indicator--${uuid(5)}`;
    const v20: TaxiiObject = {
      type: 'indicator',
      id,
      created: '2017-01-01T00:00:00Z',
      modified: '2017-01-01T00:00:00Z',
    };
    const v21 = indicator(5, '2026-01-01T00:00:00Z');
    store.add(collectionId, [v20, v21]);
    const versionsOf = async (query: object) =>
      (await store.getObjects(collectionId, { principal, limit: 10, versions: ['all'], ...query })).items.map(
        (item) => item.mediaType,
      );
    expect(await versionsOf({})).toEqual(['application/stix+json;version=2.1']);
    expect(await versionsOf({ specVersions: ['2.0'] })).toEqual(['application/stix+json;version=2.0']);
    expect(await versionsOf({ specVersions: ['2.0', '2.1'] })).toHaveLength(2);
  });

  it('rejects a bad next token, added_after or version selector with VALIDATION_FAILED', async () => {
    const store = createMemoryCollectionStore({ collections: [{ id: collectionId, title: 'c' }] });
    for (const query of [{ next: 'bm9wZQ' }, { addedAfter: 'soon' }, { versions: ['newest'] }]) {
      await expect(store.getObjects(collectionId, { principal, limit: 1, ...query })).rejects.toSatisfy(
        (error: unknown) => CeError.isInstance(error) && error.code === 'VALIDATION_FAILED',
      );
    }
    await expect(store.getObjects(uuid(77), { principal, limit: 1 })).rejects.toSatisfy(
      (error: unknown) => CeError.isInstance(error) && error.code === 'NOT_FOUND',
    );
  });

  it('keeps paging correct across deletions and compaction', async () => {
    const store = createMemoryCollectionStore({ collections: [{ id: collectionId, title: 'c' }] });
    store.add(
      collectionId,
      Array.from({ length: 3_000 }, (_, index) => indicator(index)),
    );
    const first = await store.getObjects(collectionId, { principal, limit: 100 });
    for (let index = 0; index < 2_500; index++) {
      expect(await store.deleteObject(collectionId, indicator(index).id, { principal })).toBe(1);
    }
    expect(store.size(collectionId)).toBe(500);
    // The token of a page whose entries are gone still resumes at the right place.
    const rest: string[] = [];
    let next = first.next;
    while (next) {
      const page = await store.getObjects(collectionId, { principal, limit: 200, next });
      rest.push(...page.items.map((item) => item.id));
      next = page.next;
    }
    expect(rest).toEqual(Array.from({ length: 500 }, (_, index) => indicator(index + 2_500).id));
  });

  it('answers pending and reports the outcome later when ingestion is delayed', async () => {
    const clock = new FakeClock();
    const store = createMemoryCollectionStore({
      collections: [{ id: collectionId, title: 'c' }],
      clock,
      ingestDelayMs: 1_000,
    });
    const reported: TaxiiObjectResult[] = [];
    const results = await store.addObjects(collectionId, [indicator(1)], {
      principal,
      requestTimestamp: '2026-01-01T00:00:00Z',
      report: (updates) => reported.push(...updates),
    });
    expect(results).toEqual([{ id: indicator(1).id, version: indicator(1).modified, status: 'pending' }]);
    expect(store.size(collectionId)).toBe(0);
    await clock.advance(1_000);
    expect(reported).toEqual([{ id: indicator(1).id, version: indicator(1).modified, status: 'success' }]);
    expect(store.size(collectionId)).toBe(1);
  });
});
