import { CeError, type CloudExchange, createCloudExchange, createMemoryStorage, FakeClock } from '@ce/core';
import { type ThreatExchange, threatExchange } from '@ce/cte';
import { indicatorStixId, tlp2MarkingIds } from '@ce/stix';
import { createStaticAuthenticator, createTaxiiServer, TaxiiClient, type TaxiiObject } from '@ce/taxii';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Listening, listen, stixIndicator, uuid } from './__fixtures__/taxii-test-server.js';
import {
  createExchangeCollectionStore,
  type ExchangeCollectionStoreOptions,
} from './exchange-collection-store.js';

const phishingId = uuid(10);
const inboxId = uuid(11);
const readerPassword = 'reader-secret-77a1c9';
const writerToken = 'writer-token-5e0d2b91';
const start = Date.parse('2026-06-01T00:00:00Z');

const storeOptions: ExchangeCollectionStoreOptions = {
  collections: [
    { id: phishingId, title: 'Phishing URLs', alias: 'phishing', list: 'phish', readers: ['readers'] },
  ],
  inboxes: [{ id: inboxId, title: 'Submissions', sourceId: 'taxii-inbox', writers: ['writer'] }],
};

describe('createExchangeCollectionStore', () => {
  let clock: FakeClock;
  let exchange: CloudExchange;
  let cte: ThreatExchange;
  let server: Listening;
  const clients: TaxiiClient[] = [];

  const serve = async (options: ExchangeCollectionStoreOptions = storeOptions): Promise<string> => {
    await server?.close();
    server = await listen(
      createTaxiiServer({
        discovery: { title: 'Cloud Exchange', defaultApiRoot: 'cte' },
        apiRoots: { cte: { title: 'Threat exchange', store: createExchangeCollectionStore(cte, options) } },
        authenticate: createStaticAuthenticator({
          users: [
            {
              username: 'reader',
              password: readerPassword,
              principal: { id: 'reader', groups: ['readers'] },
            },
          ],
          tokens: [{ token: writerToken, principal: { id: 'writer' } }],
        }),
      }),
    );
    return `${server.origin}/taxii2/cte/`;
  };
  const client = (as: 'reader' | 'writer' = 'reader'): TaxiiClient => {
    const created = new TaxiiClient({
      url: `${server.origin}/taxii2/`,
      auth:
        as === 'reader'
          ? { kind: 'basic', username: 'reader', password: readerPassword }
          : { kind: 'bearer', token: writerToken },
    });
    clients.push(created);
    return created;
  };
  /** Ingests one phishing URL a second after the previous one. */
  const report = async (value: string, extra: Record<string, unknown> = {}) => {
    await clock.advance(1_000);
    await cte.ingest('feed', [{ value, tags: ['phishing'], ...extra }]);
  };
  const poll = async (
    taxii: TaxiiClient,
    root: string,
    options: { addedAfter?: string; limit?: number } = {},
  ) => {
    const pages: { objects: TaxiiObject[]; addedAfter?: string }[] = [];
    for await (const page of taxii.pollObjects(root, phishingId, options))
      pages.push({ objects: page.objects, ...page.checkpoint });
    return pages;
  };
  const names = (objects: ReadonlyArray<TaxiiObject>) => objects.map((object) => object.name);

  beforeEach(async () => {
    clock = new FakeClock(start);
    exchange = await createCloudExchange({
      storage: createMemoryStorage({ clock }),
      clock,
      modules: [threatExchange({ schedule: false })],
      checkIntervalMs: 0,
    });
    await exchange.start();
    cte = exchange.modules.cte as ThreatExchange;
    await cte.putList({ name: 'phish', rule: 'type = "url" and tags contains "phishing"' });
    await report('http://one.xyz/login', { tlp: 'clear' });
    await report('http://other.xyz/', { tags: ['malware'] });
    await report('http://two.xyz/login', { tlp: 'amber' });
    await report('http://strict.xyz/login', { tlp: 'amber+strict' });
    await report('http://red.xyz/login', { tlp: 'red' });
    await report('http://three.xyz/login');
    await serve();
  });

  afterEach(async () => {
    for (const taxii of clients.splice(0)) await taxii.close();
    await server.close();
    await exchange.stop({ timeoutMs: 100 });
  });

  it('lists the published list to its readers and the inbox to its writers', async () => {
    const root = await client().defaultApiRoot();
    expect(await client('reader').getCollections(root)).toEqual([
      expect.objectContaining({ id: phishingId, alias: 'phishing', can_read: true, can_write: false }),
    ]);
    expect(await client('writer').getCollections(root)).toEqual([
      expect.objectContaining({ id: inboxId, can_read: false, can_write: true }),
    ]);
  });

  it('serves the members up to TLP:AMBER as STIX indicators with stable ids, never TLP:RED', async () => {
    const taxii = client();
    const root = await taxii.defaultApiRoot();
    const page = await taxii.getObjects(root, phishingId);
    expect(names(page.objects)).toEqual([
      'http://one.xyz/login',
      'http://two.xyz/login',
      'http://three.xyz/login',
    ]);
    const two = page.objects[1] as TaxiiObject;
    expect(two).toMatchObject({
      type: 'indicator',
      spec_version: '2.1',
      id: indicatorStixId({ type: 'url', value: 'http://two.xyz/login' }),
      pattern: "[url:value = 'http://two.xyz/login']",
      object_marking_refs: [tlp2MarkingIds.amber],
      labels: ['phishing'],
    });
    expect(page.dateAddedFirst).toBe('2026-06-01T00:00:01.000000Z');
    expect(page.dateAddedLast).toBe('2026-06-01T00:00:06.000000Z');
    // The manifest lists the same objects, versions and dates.
    const manifest = await taxii.getManifest(root, phishingId);
    expect(manifest.entries.map((entry) => [entry.id, entry.version])).toEqual(
      page.objects.map((object) => [object.id, object.modified]),
    );
    expect(manifest.entries[0]).toMatchObject({
      date_added: '2026-06-01T00:00:01.000000Z',
      media_type: 'application/stix+json;version=2.1',
    });
    // One object by id, its only version, and nothing for TLP:RED even by id.
    expect(names((await taxii.getObject(root, phishingId, two.id)).objects)).toEqual([
      'http://two.xyz/login',
    ]);
    expect((await taxii.getObjectVersions(root, phishingId, two.id)).versions).toEqual([two.modified]);
    const red = indicatorStixId({ type: 'url', value: 'http://red.xyz/login' });
    await expect(taxii.getObject(root, phishingId, red)).rejects.toMatchObject({ status: 404 });
    const body = JSON.stringify([page, manifest]);
    expect(body).not.toContain('red.xyz');
    expect(body).not.toContain('strict.xyz');
    // A looser collection serves TLP:AMBER+STRICT, still not TLP:RED.
    const loose = await serve({
      collections: [{ id: phishingId, title: 'All', list: 'phish', maxTlp: 'amber+strict' }],
    });
    expect(names((await client().getObjects(loose, phishingId)).objects)).toEqual([
      'http://one.xyz/login',
      'http://two.xyz/login',
      'http://strict.xyz/login',
      'http://three.xyz/login',
    ]);
    expect(() =>
      createExchangeCollectionStore(cte, {
        collections: [{ id: phishingId, title: 'Red', list: 'phish', maxTlp: 'red' as 'amber' }],
      }),
    ).toThrow(CeError);
  });

  it('filters by type, id and version, and refuses bad tokens', async () => {
    const taxii = client();
    const root = await taxii.defaultApiRoot();
    expect((await taxii.getObjects(root, phishingId, { match: { type: 'malware' } })).objects).toEqual([]);
    const one = indicatorStixId({ type: 'url', value: 'http://one.xyz/login' });
    const three = indicatorStixId({ type: 'url', value: 'http://three.xyz/login' });
    expect(
      names((await taxii.getObjects(root, phishingId, { match: { id: [three, one] } })).objects),
    ).toEqual(['http://one.xyz/login', 'http://three.xyz/login']);
    const [first] = (await taxii.getObjects(root, phishingId, { match: { id: one } })).objects;
    const byVersion = await taxii.getObjects(root, phishingId, {
      match: { id: one, version: first?.modified as string },
    });
    expect(byVersion.objects).toHaveLength(1);
    expect(
      (await taxii.getObjects(root, phishingId, { match: { id: one, version: '2020-01-01T00:00:00.000Z' } }))
        .objects,
    ).toEqual([]);
    await expect(taxii.getObjects(root, phishingId, { next: 'not-a-sequence' })).rejects.toMatchObject({
      status: 400,
    });
    // An id a store never served is found by a scan of the list.
    const fresh = await serve();
    expect(names((await client().getObjects(fresh, phishingId, { match: { id: three } })).objects)).toEqual([
      'http://three.xyz/login',
    ]);
  });

  it('pages in change order and resumes an added_after poll exactly, warm or cold', async () => {
    const taxii = client();
    const root = await taxii.defaultApiRoot();
    const pages = await poll(taxii, root, { limit: 1 });
    expect(pages.map((page) => names(page.objects))).toEqual([
      ['http://one.xyz/login'],
      ['http://two.xyz/login'],
      ['http://three.xyz/login'],
    ]);
    const afterFirst = pages[0]?.addedAfter as string;
    expect(afterFirst).toBe('2026-06-01T00:00:01.000000Z');
    // Resuming from a page end this store served: continues right after it.
    expect(
      (await poll(taxii, root, { addedAfter: afterFirst, limit: 1 })).flatMap((page) => names(page.objects)),
    ).toEqual(['http://two.xyz/login', 'http://three.xyz/login']);
    // A fresh store (after a restart) scans by time; changes of that very millisecond come again
    // (it cannot know which of them the client saw), later ones all follow.
    const restarted = await serve();
    expect(
      (await poll(client(), restarted, { addedAfter: afterFirst, limit: 2 })).flatMap((page) =>
        names(page.objects),
      ),
    ).toEqual(['http://one.xyz/login', 'http://two.xyz/login', 'http://three.xyz/login']);
    // Any timestamp works, also one between two changes.
    expect(
      names(
        (await client().getObjects(restarted, phishingId, { addedAfter: '2026-06-01T00:00:03.500Z' }))
          .objects,
      ),
    ).toEqual(['http://three.xyz/login']);
  });

  it('never skips changes of one millisecond when a poll resumes between them', async () => {
    await clock.advance(1_000);
    await cte.ingest(
      'feed',
      ['a', 'b', 'c', 'd'].map((name) => ({ value: `http://batch-${name}.xyz/`, tags: ['phishing'] })),
    );
    const taxii = client();
    const root = await taxii.defaultApiRoot();
    const pages = await poll(taxii, root, { addedAfter: '2026-06-01T00:00:06.500Z', limit: 2 });
    expect(pages.map((page) => names(page.objects))).toEqual([
      ['http://batch-a.xyz/', 'http://batch-b.xyz/'],
      ['http://batch-c.xyz/', 'http://batch-d.xyz/'],
    ]);
    // Both pages end at the same date_added: resuming from it repeats the second page, skips nothing.
    expect(pages[0]?.addedAfter).toBe(pages[1]?.addedAfter);
    const resumed = await poll(taxii, root, { addedAfter: pages[1]?.addedAfter as string, limit: 2 });
    expect(resumed.flatMap((page) => names(page.objects))).toEqual([
      'http://batch-c.xyz/',
      'http://batch-d.xyz/',
    ]);
  });

  it('serves a change as a newer version and a retraction as the revoked version', async () => {
    const taxii = client();
    const root = await taxii.defaultApiRoot();
    const pages = await poll(taxii, root);
    const last = pages[pages.length - 1]?.addedAfter as string;
    const before = pages[0]?.objects.find((object) => object.name === 'http://one.xyz/login') as TaxiiObject;

    await clock.advance(60_000);
    await cte.setActive('http://one.xyz/login', false);
    await clock.advance(1_000);
    await cte.ingest('feed', [{ value: 'http://two.xyz/login', tags: ['phishing'], severity: 'critical' }]);
    const changes = (await poll(taxii, root, { addedAfter: last })).flatMap((page) => page.objects);
    expect(names(changes)).toEqual(['http://one.xyz/login', 'http://two.xyz/login']);
    const [revoked, updated] = changes as [TaxiiObject, TaxiiObject];
    expect(revoked).toMatchObject({ id: before.id, revoked: true, created: before.created });
    expect(Date.parse(revoked.modified as string)).toBeGreaterThan(Date.parse(before.modified as string));
    expect(updated).toMatchObject({ x_ce_severity: 'critical' });
    expect(updated.revoked).toBeUndefined();
    // Still one version per object: the current one.
    expect((await taxii.getObjectVersions(root, phishingId, before.id)).versions).toEqual([revoked.modified]);
  });

  it('ingests what the inbox receives, with a result per object', async () => {
    const taxii = client('writer');
    const root = await taxii.defaultApiRoot();
    const result = await taxii.addObjects(root, inboxId, [
      stixIndicator(1, "[url:value = 'http://inbox.xyz/x' OR domain-name:value = 'inbox.xyz']", {
        object_marking_refs: [tlp2MarkingIds.green],
        confidence: 90,
      }),
      stixIndicator(2, "[ipv4-addr:value = '198.51.100.1'] FOLLOWEDBY [domain-name:value = 'x.example']"),
      {
        type: 'malware',
        spec_version: '2.1',
        id: `malware--${uuid(3)}`,
        created: '2026-05-01T00:00:00.000Z',
        modified: '2026-05-01T00:00:00.000Z',
        name: 'Bad',
        is_family: false,
      },
      stixIndicator(4, "[ipv4-addr:value = '010.1.1.1']"),
      { type: 'domain-name', spec_version: '2.1', id: `domain-name--${uuid(5)}`, value: 'observed.xyz' },
    ]);
    expect(result).toMatchObject({ complete: true, successCount: 2, failureCount: 3 });
    const reasons = Object.fromEntries(result.failures.map((failure) => [failure.id, failure.message]));
    expect(reasons[`indicator--${uuid(2)}`]).toContain('not reducible');
    expect(reasons[`malware--${uuid(3)}`]).toContain('only indicator objects and observables');
    expect(reasons[`indicator--${uuid(4)}`]).toContain('rejected');
    const ingested = await cte.get('http://inbox.xyz/x');
    expect(ingested?.indicator.sources.map((source) => source.sourceId)).toEqual(['taxii-inbox']);
    expect(ingested?.indicator.merged).toMatchObject({ tlp: 'green', confidence: 90 });
    expect(await cte.get('inbox.xyz')).toBeDefined();
    expect(await cte.get('observed.xyz')).toBeDefined();
    // The inbox keeps no objects to read or delete, and the published list is read-only.
    await expect(taxii.getObjects(root, inboxId)).rejects.toMatchObject({ status: 403 });
    await expect(taxii.deleteObject(root, inboxId, `indicator--${uuid(1)}`)).rejects.toMatchObject({
      status: 404,
    });
    const reader = client();
    const one = indicatorStixId({ type: 'url', value: 'http://one.xyz/login' });
    await expect(reader.deleteObject(root, phishingId, one)).rejects.toMatchObject({ status: 403 });
    await expect(
      reader.addObjects(root, phishingId, [stixIndicator(9, "[url:value = 'http://x.example/']")]),
    ).rejects.toMatchObject({
      status: 403,
    });
  });
});
