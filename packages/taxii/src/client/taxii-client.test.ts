import { CeError, HttpError } from '@ce/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indicator, listen, type RunningServer, uuid } from '../__fixtures__/test-server.js';
import type { TaxiiCollectionStore } from '../server/collection-store.js';
import {
  createMemoryCollectionStore,
  type MemoryCollectionStore,
} from '../server/memory-collection-store.js';
import { createStaticAuthenticator } from '../server/static-authenticator.js';
import { createTaxiiServer } from '../server/taxii-server.js';
import type { TaxiiObject } from '../taxii-types.js';
import { TaxiiClient, type TaxiiClientOptions } from './taxii-client.js';

const shared = uuid(0xc1);
const privateCollection = uuid(0xc2);
const readerPassword = 'reader-pass-123';
const writerToken = 'writer-token-abcdef123456';
const apiKey = 'api-key-0123456789';

async function expectError(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    expect(HttpError.isInstance(error)).toBe(true);
    return error as HttpError;
  }
  throw new Error('expected a failure');
}

describe('TaxiiClient against createTaxiiServer over 127.0.0.1', () => {
  let running: RunningServer;
  let store: MemoryCollectionStore;
  const clients: TaxiiClient[] = [];
  const client = (options: Partial<TaxiiClientOptions> = {}): TaxiiClient => {
    const created = new TaxiiClient({
      url: `${running.origin}/taxii2/`,
      http: { retry: false, timeoutMs: 5_000 },
      statusPolling: { initialDelayMs: 5, maxDelayMs: 20, timeoutMs: 2_000 },
      ...options,
    });
    clients.push(created);
    return created;
  };
  const writer = (): TaxiiClient => client({ auth: { kind: 'bearer', token: writerToken } });
  const reader = (): TaxiiClient =>
    client({ auth: { kind: 'basic', username: 'reader', password: readerPassword } });

  beforeAll(async () => {
    store = createMemoryCollectionStore({
      collections: [
        { id: shared, title: 'Shared indicators', readers: '*', writers: ['writer'] },
        { id: privateCollection, title: 'Private', readers: ['writer'], writers: ['writer'] },
      ],
    });
    const failing: TaxiiCollectionStore = {
      ...store,
      async getObjects() {
        throw new Error('database exploded: password=hunter2hunter2');
      },
    };
    const handler = createTaxiiServer({
      discovery: { title: 'Test TAXII', description: 'for tests', defaultApiRoot: 'feeds' },
      apiRoots: {
        feeds: { title: 'Feeds', store, maxContentLength: 4_096 },
        broken: { title: 'Broken', store: failing },
      },
      authenticate: createStaticAuthenticator({
        users: [{ username: 'reader', password: readerPassword }],
        tokens: [{ token: writerToken, principal: { id: 'writer' } }],
        apiKeys: { header: 'x-api-key', keys: [{ token: apiKey, principal: { id: 'reader' } }] },
      }),
      maxPageSize: 50,
    });
    running = await listen(handler);
  });

  afterAll(async () => {
    for (const created of clients) await created.close();
    await running.close();
  });

  it('discovers the server, its default API root and the TAXII version', async () => {
    const taxii = reader();
    expect(await taxii.getVersion()).toBe('2.1');
    const discovery = await taxii.discover();
    expect(discovery.title).toBe('Test TAXII');
    expect(discovery.api_roots).toEqual([
      `${running.origin}/taxii2/feeds/`,
      `${running.origin}/taxii2/broken/`,
    ]);
    expect(await taxii.defaultApiRoot()).toBe(`${running.origin}/taxii2/feeds/`);
    const root = await taxii.getApiRoot('feeds/');
    expect(root).toMatchObject({
      title: 'Feeds',
      versions: ['application/taxii+json;version=2.1'],
      max_content_length: 4_096,
    });
  });

  it('treats an API root URL as its own discovery', async () => {
    const taxii = client({
      url: `${running.origin}/taxii2/feeds/`,
      auth: { kind: 'header', name: 'X-API-Key', value: apiKey },
    });
    const discovery = await taxii.discover();
    expect(discovery.api_roots).toEqual([`${running.origin}/taxii2/feeds/`]);
    expect(await taxii.defaultApiRoot()).toBe(`${running.origin}/taxii2/feeds/`);
  });

  it('lists collections with the permissions of each principal', async () => {
    const asReader = await reader().getCollections('feeds');
    expect(asReader).toEqual([
      expect.objectContaining({
        id: shared,
        can_read: true,
        can_write: false,
        media_types: ['application/stix+json;version=2.1'],
      }),
    ]);
    const asWriter = await writer().getCollections('feeds');
    expect(asWriter.map((collection) => [collection.id, collection.can_write])).toEqual([
      [shared, true],
      [privateCollection, true],
    ]);
    expect(await writer().getCollection('feeds', privateCollection)).toMatchObject({ title: 'Private' });
    const hidden = await expectError(reader().getCollection('feeds', privateCollection));
    expect(hidden.status).toBe(404);
  });

  it('adds objects in envelopes split under max_content_length and reads them back page by page', async () => {
    const objects = Array.from({ length: 30 }, (_, index) => indicator(index + 1));
    const result = await writer().addObjects('feeds', shared, objects);
    expect(result).toMatchObject({
      complete: true,
      totalCount: 30,
      successCount: 30,
      failureCount: 0,
      pendingCount: 0,
    });
    expect(result.requests).toBe(3); // ~330-byte objects, 4,096-byte bodies
    expect(result.statusIds).toHaveLength(result.requests);
    expect(result.successes.map((detail) => detail.id)).toEqual(objects.map((object) => object.id));
    expect(store.size(shared)).toBe(30);

    const taxii = reader();
    const first = await taxii.getObjects('feeds', shared, { limit: 7 });
    expect(first.objects.map((object) => object.id)).toEqual(objects.slice(0, 7).map((object) => object.id));
    expect(first.more).toBe(true);
    expect(first.next).toEqual(expect.any(String));
    expect(first.dateAddedFirst).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    const second = await taxii.getObjects('feeds', shared, { limit: 7, next: first.next as string });
    expect(second.objects[0]?.id).toBe(objects[7]?.id);
    expect(second.dateAddedFirst && first.dateAddedLast && second.dateAddedFirst > first.dateAddedLast).toBe(
      true,
    );

    const seen: string[] = [];
    const checkpoints: (string | undefined)[] = [];
    for await (const page of taxii.pollObjects('feeds', shared, { limit: 8 })) {
      seen.push(...page.objects.map((object) => object.id));
      checkpoints.push(page.checkpoint.addedAfter);
    }
    expect(seen).toEqual(objects.map((object) => object.id));
    expect(checkpoints).toHaveLength(4);

    // Resume after a "crash" following the second page: exactly the rest arrives.
    const resumed: string[] = [];
    for await (const page of taxii.pollObjects('feeds', shared, {
      limit: 8,
      addedAfter: checkpoints[1] as string,
    })) {
      resumed.push(...page.objects.map((object) => object.id));
    }
    expect(resumed).toEqual(objects.slice(16).map((object) => object.id));
  });

  it('reports an object larger than max_content_length as a failure without sending it', async () => {
    const huge = indicator(500, '2026-01-01T00:00:00.000Z', { description: 'x'.repeat(5_000) });
    const small = indicator(501);
    const result = await writer().addObjects('feeds', privateCollection, [huge, small]);
    expect(result.failureCount).toBe(1);
    expect(result.failures[0]).toMatchObject({ id: huge.id });
    expect(result.failures[0]?.message).toContain('max_content_length');
    expect(result.successCount).toBe(1);
    expect(result.requests).toBe(1);
  });

  it('selects by type, id, version, spec_version and added_after', async () => {
    const id = `indicator--${uuid(900)}`;
    const versions = ['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z', '2026-02-15T00:00:00Z'];
    const malware: TaxiiObject = {
      type: 'malware',
      spec_version: '2.1',
      id: `malware--${uuid(901)}`,
      created: '2026-01-01T00:00:00.000Z',
      modified: '2026-01-01T00:00:00.000Z',
      name: 'bad',
      is_family: false,
    };
    const legacy: TaxiiObject = {
      type: 'indicator',
      id: `indicator--${uuid(902)}`,
      created: '2016-01-01T00:00:00.000Z',
      modified: '2016-01-01T00:00:00.000Z',
      pattern: "[file:name = 'a']",
      labels: ['malicious-activity'],
    };
    const observable: TaxiiObject = { type: 'ipv4-addr', id: `ipv4-addr--${uuid(903)}`, value: '10.9.9.9' };
    const w = writer();
    const before = (await w.getObjects('feeds', privateCollection, { limit: 50 })).dateAddedLast;
    const added = await w.addObjects('feeds', privateCollection, [
      ...versions.map((modified) => indicator(900, modified)),
      malware,
      legacy,
      observable,
    ]);
    expect(added.successCount).toBe(6);

    const byType = await w.getObjects('feeds', privateCollection, {
      match: { type: ['malware', 'ipv4-addr'] },
    });
    expect(byType.objects.map((object) => object.type).sort()).toEqual(['ipv4-addr', 'malware']);

    const last = await w.getObjects('feeds', privateCollection, { match: { id: id } });
    expect(last.objects.map((object) => object.modified)).toEqual(['2026-03-01T00:00:00.000Z']);
    const first = await w.getObjects('feeds', privateCollection, { match: { id, version: 'first' } });
    expect(first.objects.map((object) => object.modified)).toEqual(['2026-02-01T00:00:00.000Z']);
    const all = await w.getObjects('feeds', privateCollection, { match: { id, version: 'all' } });
    expect(all.objects).toHaveLength(3);
    const exact = await w.getObjects('feeds', privateCollection, {
      match: { id, version: '2026-02-15T00:00:00.000000Z' },
    });
    expect(exact.objects.map((object) => object.modified)).toEqual(['2026-02-15T00:00:00Z']);
    const both = await w.getObjects('feeds', privateCollection, {
      match: { id, version: ['first', 'last'] },
    });
    expect(both.objects).toHaveLength(2);

    const stix20 = await w.getObjects('feeds', privateCollection, { match: { specVersion: '2.0' } });
    expect(stix20.objects.map((object) => object.id)).toEqual([legacy.id]);
    const after = await w.getObjects('feeds', privateCollection, {
      addedAfter: before as string,
      match: { version: 'all' },
    });
    expect(after.objects).toHaveLength(6);

    const one = await w.getObject('feeds', privateCollection, id, { match: { version: 'all' } });
    expect(one.objects).toHaveLength(3);
    const history = await w.getObjectVersions('feeds', privateCollection, id);
    expect(history.versions).toEqual(versions);
    expect(history.dateAddedFirst).toEqual(expect.any(String));

    const manifest = await w.getManifest('feeds', privateCollection, { match: { id } });
    expect(manifest.entries).toEqual([
      expect.objectContaining({
        id,
        version: '2026-03-01T00:00:00.000Z',
        media_type: 'application/stix+json;version=2.1',
      }),
    ]);
    const observableManifest = await w.getManifest('feeds', privateCollection, {
      match: { type: 'ipv4-addr' },
    });
    expect(observableManifest.entries[0]?.version).toBe(observableManifest.entries[0]?.date_added);

    await w.deleteObject('feeds', privateCollection, id, { match: { version: 'first' } });
    expect((await w.getObjectVersions('feeds', privateCollection, id)).versions).toEqual([
      versions[1],
      versions[2],
    ]);
    await w.deleteObject('feeds', privateCollection, id);
    const gone = await expectError(w.getObject('feeds', privateCollection, id));
    expect(gone.status).toBe(404);
    expect(gone.message).toContain('Object not found');
    expect((gone.details.taxii as { title: string }).title).toBe('Object not found');
    const again = await expectError(w.deleteObject('feeds', privateCollection, id));
    expect(again.status).toBe(404);
  });

  it('authenticates with Basic, bearer and API-key headers and rejects bad credentials without leaking them', async () => {
    for (const taxii of [
      reader(),
      writer(),
      client({ auth: { kind: 'header', name: 'x-api-key', value: apiKey } }),
    ]) {
      expect((await taxii.getCollections('feeds')).length).toBeGreaterThan(0);
    }
    const wrongPassword = 'not-the-password-42';
    const denied = await expectError(
      client({ auth: { kind: 'basic', username: 'reader', password: wrongPassword } }).getCollections(
        'feeds',
      ),
    );
    expect(denied.status).toBe(401);
    expect(denied.code).toBe('HTTP_AUTH_FAILED');
    expect(denied.message).toContain('Authentication required');
    expect(JSON.stringify(denied.toJSON())).not.toContain(wrongPassword);
    const anonymous = await expectError(client().getCollections('feeds'));
    expect(anonymous.status).toBe(401);
    const badToken = await expectError(
      client({ auth: { kind: 'bearer', token: 'wrong-token-123456' } }).discover(),
    );
    expect(badToken.status).toBe(401);
  });

  it('turns every error answer into a typed error with the TAXII message', async () => {
    const forbidden = await expectError(reader().addObjects('feeds', shared, [indicator(700)]));
    expect(forbidden).toMatchObject({ status: 403, code: 'HTTP_AUTH_FAILED' });
    expect(forbidden.message).toContain('Not allowed to write');

    const unknown = await expectError(reader().getObjects('feeds', uuid(0xdead)));
    expect(unknown.status).toBe(404);
    const unknownRoot = await expectError(reader().getCollections('nope'));
    expect(unknownRoot.status).toBe(404);

    const badToken = await expectError(reader().getObjects('feeds', shared, { next: 'garbage' }));
    expect(badToken.status).toBe(400);
    expect(badToken.message).toContain('invalid next token');

    const tooLarge = await expectError(
      writer().addObjects('feeds', shared, [indicator(701, undefined, { description: 'y'.repeat(6_000) })], {
        maxContentLength: 100_000,
      }),
    );
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.message).toContain('max_content_length');

    let deep: unknown = 'leaf';
    for (let i = 0; i < 80; i++) deep = { nested: deep };
    const unprocessable = await expectError(
      writer().addObjects('feeds', shared, [indicator(702, undefined, { deep })]),
    );
    expect(unprocessable.status).toBe(422);

    const broken = await expectError(reader().getObjects('broken', shared));
    expect(broken.status).toBe(500);
    expect(broken.message).toContain('Internal server error');
    expect(broken.message).not.toContain('hunter2');
  });

  it('refuses operations TAXII 2.0 lacks with NOT_SUPPORTED', async () => {
    const taxii = client({ version: '2.0', auth: { kind: 'bearer', token: writerToken } });
    await expect(taxii.getObjectVersions('feeds', shared, `indicator--${uuid(1)}`)).rejects.toSatisfy(
      (error: unknown) => CeError.isInstance(error) && error.code === 'NOT_SUPPORTED',
    );
    await expect(taxii.deleteObject('feeds', shared, `indicator--${uuid(1)}`)).rejects.toSatisfy(
      (error: unknown) => CeError.isInstance(error) && error.code === 'NOT_SUPPORTED',
    );
  });
});

describe('TaxiiClient status polling', () => {
  it('follows a pending status until the store reports it complete', async () => {
    const collectionId = uuid(0xa1);
    const store = createMemoryCollectionStore({
      collections: [{ id: collectionId, title: 'Slow', writers: '*' }],
      ingestDelayMs: 40,
    });
    const running = await listen(
      createTaxiiServer({ discovery: { title: 'Slow' }, apiRoots: { slow: { title: 'Slow', store } } }),
    );
    const taxii = new TaxiiClient({
      url: `${running.origin}/taxii2/`,
      http: { retry: false },
      statusPolling: { initialDelayMs: 5, maxDelayMs: 20, timeoutMs: 5_000 },
    });
    try {
      const objects = [indicator(1), indicator(2), { type: 'bogus', id: 'nope' } as TaxiiObject];
      const immediate = await taxii.addObjects('slow', collectionId, objects, { wait: false });
      expect(immediate).toMatchObject({ complete: false, pendingCount: 3 });
      const settled = await taxii.getStatus('slow', immediate.statusIds[0] as string);
      expect(settled.status).toBe('pending');

      const result = await taxii.addObjects('slow', collectionId, [indicator(3), indicator(4)]);
      expect(result).toMatchObject({ complete: true, successCount: 2, pendingCount: 0 });
      const later = await taxii.getStatus('slow', immediate.statusIds[0] as string);
      expect(later).toMatchObject({
        status: 'complete',
        success_count: 2,
        failure_count: 1,
        pending_count: 0,
      });
      expect(later.failures?.[0]?.id).toBe('nope');

      const timedOut = await taxii.addObjects('slow', collectionId, [indicator(5)], {
        polling: { initialDelayMs: 5, timeoutMs: 10 },
      });
      expect(timedOut.complete).toBe(false);
      expect(timedOut.pendings.map((detail) => detail.id)).toEqual([indicator(5).id]);
    } finally {
      await taxii.close();
      await running.close();
    }
  });
});
