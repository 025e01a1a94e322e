import {
  CeError,
  FakeClock,
  findSecretPaths,
  type IndicatorBatch,
  type IndicatorKey,
  type SharedIndicator,
  type SourceCheckpoint,
} from '@ce/core';
import { createPluginHarness, type PluginHarness } from '@ce/plugin-kit';
import { indicatorStixId, tlp2MarkingIds } from '@ce/stix';
import { TaxiiClient, type TaxiiObject } from '@ce/taxii';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  credentials,
  startTaxii20Server,
  startTaxiiServer,
  stixIndicator,
  type TestTaxiiServer,
  uuid,
} from './__fixtures__/taxii-test-server.js';
import { type TaxiiPluginConfig, taxiiConfigSchema } from './taxii-config.js';
import { taxiiDestination } from './taxii-destination.js';
import { taxiiPlugin } from './taxii-plugin.js';
import { taxiiSource } from './taxii-source.js';

const feedId = uuid(1);
const shareId = uuid(2);
const now = Date.parse('2026-06-01T12:00:00Z');
const sha256 = 'ab'.repeat(32);

const feedObjects: TaxiiObject[] = [
  stixIndicator(101, "[url:value = 'http://evil.example/login']", {
    labels: ['phishing'],
    confidence: 80,
    object_marking_refs: [tlp2MarkingIds.amber],
  }),
  stixIndicator(102, "[domain-name:value = 'c2.example.net' OR ipv4-addr:value = '198.51.100.7']", {
    indicator_types: ['malicious-activity'],
  }),
  stixIndicator(103, "[ipv4-addr:value = '198.51.100.9'] FOLLOWEDBY [domain-name:value = 'x.example']"),
  {
    type: 'malware',
    spec_version: '2.1',
    id: `malware--${uuid(104)}`,
    created: '2026-05-01T00:00:00.000Z',
    modified: '2026-05-01T00:00:00.000Z',
    name: 'Not an indicator',
    is_family: false,
  },
  stixIndicator(105, "[ipv4-addr:value = '203.0.113.5']", { revoked: true }),
  stixIndicator(106, `[file:hashes.'SHA-256' = '${sha256}']`, { valid_until: '2026-05-15T00:00:00Z' }),
  { type: 'url', spec_version: '2.1', id: `url--${uuid(107)}`, value: 'http://observable.example/x' },
  stixIndicator(108, "[domain-name:value = 'low-confidence.example']", { confidence: 10 }),
];

function shared(
  value: string,
  type: SharedIndicator['type'],
  extra: Partial<SharedIndicator> = {},
): SharedIndicator {
  return {
    type,
    value,
    severity: 'high',
    reputation: 8,
    confidence: 70,
    tags: ['exchange'],
    firstSeen: Date.parse('2026-05-20T00:00:00Z'),
    lastSeen: Date.parse('2026-05-31T00:00:00Z'),
    sources: ['feed'],
    ...extra,
  };
}

const values = (batches: ReadonlyArray<IndicatorBatch>): string[] =>
  batches.flatMap((batch) => batch.indicators.map((indicator) => indicator.value)).sort();

const listRetracted = (...args: Parameters<NonNullable<typeof taxiiSource.listRetracted>>) => {
  if (!taxiiSource.listRetracted) throw new Error('the source lists retractions');
  return taxiiSource.listRetracted(...args);
};

describe('taxii plugin', () => {
  let server: TestTaxiiServer;
  let clock: FakeClock;
  const harnesses: PluginHarness<TaxiiPluginConfig>[] = [];

  const harnessFor = (
    config: Record<string, unknown>,
    keyValue?: PluginHarness<TaxiiPluginConfig>['keyValue'],
  ) => {
    const harness = createPluginHarness(taxiiPlugin, {
      config: { url: server.url, ...config },
      clock,
      ...(keyValue ? { keyValue } : {}),
    });
    harnesses.push(harness);
    return harness;
  };
  const reader = (extra: Record<string, unknown> = {}) =>
    harnessFor({
      collection: 'partner-feed',
      auth: { kind: 'basic', ...credentials.reader },
      pageSize: 2,
      ...extra,
    });
  const writer = () =>
    harnessFor({ collection: 'Shared by CE', auth: { kind: 'bearer', token: credentials.writerToken } });

  const pullAll = async (harness: PluginHarness<TaxiiPluginConfig>, checkpoint?: SourceCheckpoint) =>
    harness.run(async (context) => {
      const batches: IndicatorBatch[] = [];
      for await (const batch of taxiiSource.pull(context, checkpoint)) batches.push(batch);
      return batches;
    });

  beforeEach(async () => {
    clock = new FakeClock(now);
    server = await startTaxiiServer({
      clock: new FakeClock(now - 86_400_000),
      collections: [
        {
          id: feedId,
          title: 'Partner Feed',
          alias: 'partner-feed',
          readers: ['reader', 'writer'],
          writers: ['writer'],
          objects: feedObjects,
        },
        { id: shareId, title: 'Shared by CE', readers: ['writer', 'reader'], writers: ['writer'] },
      ],
    });
  });

  afterEach(async () => {
    for (const harness of harnesses.splice(0)) await harness.close();
    await server.close();
  });

  describe('configuration', () => {
    it('keeps every credential in a secret field, and asks for what each scheme needs', () => {
      expect(findSecretPaths(taxiiConfigSchema)).toEqual([
        ['auth', 'password'],
        ['auth', 'token'],
        ['auth', 'value'],
      ]);
      const basic = taxiiPlugin.validate({
        url: server.url,
        collection: 'x',
        auth: { kind: 'basic', username: 'u' },
      });
      expect(basic.ok).toBe(false);
      if (!basic.ok) expect(basic.issues.map((issue) => issue.path)).toEqual(['auth.password']);
      const parsed = taxiiPlugin.validate({ url: server.url, collection: 'x' });
      expect(parsed.ok && parsed.config).toMatchObject({
        auth: { kind: 'none' },
        version: 'auto',
        pageSize: 1000,
        initialRangeDays: 7,
        types: ['indicator'],
        includeObservables: false,
      });
    });
  });

  describe('check', () => {
    it('finds the collection by alias and reports the permissions', async () => {
      const result = await reader().check();
      expect(result.ok).toBe(true);
      expect(result.message).toContain('"Partner Feed"');
      expect(result.message).toContain('can_read=true, can_write=false');
      expect(result.message).toContain('TAXII 2.1');
    });

    it('uses a configured API root, relative to the URL, and a collection id', async () => {
      const result = await reader({ apiRoot: 'feeds/', collection: feedId }).check();
      expect(result).toMatchObject({ ok: true });
      expect(result.message).toContain(`in ${server.apiRoot};`);
    });

    it('says clearly when the credentials are refused, without showing them', async () => {
      const result = await harnessFor({
        collection: feedId,
        auth: { kind: 'basic', username: 'reader', password: 'wrong-password-123' },
      }).check();
      expect(result).toMatchObject({ ok: false, retryable: false });
      expect(result.message).toContain('refused the credentials (HTTP 401)');
      expect(result.message).not.toContain('wrong-password-123');
    });

    it('names the collections there are when the configured one does not exist', async () => {
      const result = await reader({ collection: 'Nope' }).check();
      expect(result.ok).toBe(false);
      expect(result.message).toContain('no collection "Nope"');
      expect(result.message).toContain('"Partner Feed"');
    });
  });

  describe('source', () => {
    it('pulls page by page with a checkpoint per page, counting patterns it cannot reduce', async () => {
      const harness = reader();
      const batches = await pullAll(harness);
      // Six indicator objects, two per page; the malware and the observable are never requested.
      expect(batches).toHaveLength(3);
      expect(values(batches)).toEqual([
        '198.51.100.7',
        'c2.example.net',
        'http://evil.example/login',
        'low-confidence.example',
      ]);
      const objectRequests = server.requests.filter((request) => request.includes('/objects/'));
      expect(objectRequests).toHaveLength(3);
      for (const request of objectRequests) {
        expect(request).toContain('match[type]=indicator');
        expect(request).toContain('limit=2');
      }
      expect(objectRequests[0]).toContain('added_after=2026-05-25T12:00:00.000Z');
      expect(objectRequests[1]).toContain('next=');
      const checkpoints = batches.map(
        (batch) => batch.checkpoint as { collection: string; addedAfter: string },
      );
      for (const checkpoint of checkpoints) expect(checkpoint.collection).toBe(feedId);
      expect(new Set(checkpoints.map((checkpoint) => checkpoint.addedAfter)).size).toBe(3);

      const url = batches[0]?.indicators.find((indicator) => indicator.type === 'url');
      expect(url).toMatchObject({ confidence: 80, tags: ['phishing'], tlp: 'amber' });
      const skipped = harness.logs.find((record) => record.message.includes('not a list of values'));
      expect(skipped?.fields).toMatchObject({ count: 1 });
      expect(harness.logs.find((record) => record.message === 'TAXII pull finished')?.fields).toMatchObject({
        pages: 3,
        objects: 6,
        indicators: 4,
        retracted: 2,
        notReducible: 1,
      });
    });

    it('resumes after the page of a checkpoint, and later pulls only what was added since', async () => {
      const first = await pullAll(reader());
      const resumed = await pullAll(reader(), first[0]?.checkpoint);
      expect(values(resumed)).toEqual(values(first.slice(1)));

      server.store.add(feedId, [stixIndicator(109, "[domain-name:value = 'new.example']")]);
      const later = await pullAll(reader(), first[first.length - 1]?.checkpoint);
      expect(values(later)).toEqual(['new.example']);
      // A checkpoint of another collection is not used.
      const other = await pullAll(reader(), { collection: uuid(77), addedAfter: '2030-01-01T00:00:00Z' });
      expect(values(other)).toContain('new.example');
      expect(values(other)).toHaveLength(5);
    });

    it('reads observables too when asked, and leaves out indicators below minConfidence', async () => {
      const batches = await pullAll(reader({ includeObservables: true, minConfidence: 50 }));
      expect(values(batches)).toEqual([
        '198.51.100.7',
        'c2.example.net',
        'http://evil.example/login',
        'http://observable.example/x',
      ]);
      expect(server.requests.find((request) => request.includes('/objects/'))).toContain(
        'match[type]=indicator,url,domain-name,ipv4-addr,ipv6-addr,email-addr,file',
      );
    });

    it('reports revoked and expired indicators as retracted until the collection reports them again', async () => {
      const harness = reader();
      const batches = await pullAll(harness);
      const keys: IndicatorKey[] = [
        { type: 'ipv4', value: '203.0.113.5' },
        { type: 'sha256', value: sha256 },
        { type: 'url', value: 'http://evil.example/login' },
      ];
      const retracted = await harness.run((context) => listRetracted(context, keys));
      expect(retracted).toEqual(keys.slice(0, 2));

      // The producer un-revokes it: a newer version without `revoked`.
      server.store.add(feedId, [
        stixIndicator(105, "[ipv4-addr:value = '203.0.113.5']", { modified: '2026-05-02T00:00:00.000Z' }),
      ]);
      const again = await pullAll(harness, batches[batches.length - 1]?.checkpoint);
      expect(values(again)).toEqual(['203.0.113.5']);
      expect(await harness.run((context) => listRetracted(context, keys))).toEqual([keys[1]]);
    });

    it('fails with HTTP_AUTH_FAILED when the server refuses the credentials', async () => {
      const harness = harnessFor({
        collection: feedId,
        auth: { kind: 'bearer', token: 'not-the-token-1234' },
      });
      await expect(pullAll(harness)).rejects.toMatchObject({ code: 'HTTP_AUTH_FAILED' });
    });

    it('pulls from a TAXII 2.0 server (Range paging, STIX 2.0 bundles, labels as indicator types)', async () => {
      const legacy = await startTaxii20Server([
        {
          type: 'indicator',
          id: `indicator--${uuid(201)}`,
          created: '2026-05-01T00:00:00.000Z',
          modified: '2026-05-01T00:00:00.000Z',
          labels: ['malicious-activity'],
          pattern: "[url:value = 'http://legacy.example/a']",
          valid_from: '2026-05-01T00:00:00Z',
        },
        {
          type: 'indicator',
          id: `indicator--${uuid(202)}`,
          created: '2026-05-01T00:00:00.000Z',
          modified: '2026-05-01T00:00:00.000Z',
          labels: ['anomalous-activity'],
          pattern: "[domain-name:value = 'legacy.example']",
          valid_from: '2026-05-01T00:00:00Z',
        },
        {
          type: 'indicator',
          id: `indicator--${uuid(203)}`,
          created: '2026-05-01T00:00:00.000Z',
          modified: '2026-05-01T00:00:00.000Z',
          labels: ['benign'],
          pattern: "[ipv4-addr:value = '192.0.2.44']",
          valid_from: '2026-05-01T00:00:00Z',
        },
      ]);
      try {
        const harness = createPluginHarness(taxiiPlugin, {
          config: { url: legacy.url, collection: 'Legacy', pageSize: 2 },
          clock,
        });
        harnesses.push(harness);
        expect((await harness.check()).message).toContain('TAXII 2.0');
        const batches = await pullAll(harness);
        expect(batches).toHaveLength(2);
        expect(batches.flatMap((batch) => batch.indicators)).toEqual([
          expect.objectContaining({
            value: 'http://legacy.example/a',
            severity: 'high',
            tags: ['malicious-activity'],
          }),
          expect.objectContaining({ value: 'legacy.example', severity: 'medium' }),
          expect.objectContaining({ value: '192.0.2.44', safe: true }),
        ]);
      } finally {
        await legacy.close();
      }
    });
  });

  describe('destination', () => {
    const action = { id: 'add-to-collection', parameters: {} };
    const readBack = async (objectId?: string) => {
      const client = new TaxiiClient({
        url: server.url,
        auth: { kind: 'bearer', token: credentials.writerToken },
      });
      try {
        const root = await client.defaultApiRoot();
        if (objectId)
          return (await client.getObject(root, shareId, objectId, { match: { version: 'all' } })).objects;
        return (await client.getObjects(root, shareId)).objects;
      } finally {
        await client.close();
      }
    };

    it('adds indicators with stable ids, updates them as newer versions, and never sends TLP:RED', async () => {
      const harness = writer();
      const batch = [
        shared('http://phish.example/a', 'url', { tlp: 'amber' }),
        shared('203.0.113.80', 'ipv4'),
        shared('secret.example', 'domain', { tlp: 'red' }),
      ];
      const results = await harness.run((context) => taxiiDestination.push(context, batch, action));
      expect(results).toEqual([
        { key: 'url:http://phish.example/a', ok: true },
        { key: 'ipv4:203.0.113.80', ok: true },
        {
          key: 'domain:secret.example',
          ok: false,
          error: expect.objectContaining({ code: 'VALIDATION_FAILED', retryable: false }),
        },
      ]);
      const stored = await readBack();
      const indicators = stored.filter((object) => object.type === 'indicator');
      expect(indicators.map((object) => object.id).sort()).toEqual(
        [indicatorStixId(batch[0] as SharedIndicator), indicatorStixId(batch[1] as SharedIndicator)].sort(),
      );
      expect(JSON.stringify(stored)).not.toContain('secret.example');
      expect(stored.map((object) => object.id)).toContain(tlp2MarkingIds.amber);
      const url = indicators.find((object) => object.id === indicatorStixId(batch[0] as SharedIndicator));
      expect(url).toMatchObject({
        pattern: "[url:value = 'http://phish.example/a']",
        object_marking_refs: [tlp2MarkingIds.amber],
        confidence: 70,
        labels: ['exchange'],
      });

      await clock.advance(60_000);
      const update = [shared('http://phish.example/a', 'url', { tlp: 'amber', severity: 'critical' })];
      const updated = await harness.run((context) =>
        taxiiDestination.push(context, update, { id: 'add-to-collection', parameters: { labels: ['ce'] } }),
      );
      expect(updated).toEqual([{ key: 'url:http://phish.example/a', ok: true }]);
      const versions = await readBack(indicatorStixId(update[0] as SharedIndicator));
      expect(versions.map((object) => object.modified)).toEqual([
        '2026-06-01T12:00:00.000Z',
        '2026-06-01T12:01:00.000Z',
      ]);
      expect(versions[1]).toMatchObject({ x_ce_severity: 'critical', labels: ['exchange', 'ce'] });
    });

    it('retracts by adding the revoked version of what the collection holds', async () => {
      const harness = writer();
      const batch = [shared('http://phish.example/a', 'url'), shared('203.0.113.80', 'ipv4')];
      await harness.run((context) => taxiiDestination.push(context, batch, action));
      await clock.advance(1_000);
      const keys: IndicatorKey[] = [
        { type: 'url', value: 'http://phish.example/a' },
        { type: 'domain', value: 'never-shared.example' },
      ];
      const retract = taxiiDestination.retract;
      if (!retract) throw new Error('the destination retracts');
      const results = await harness.run((context) => retract(context, keys, action));
      expect(results).toEqual([
        { key: 'url:http://phish.example/a', ok: true },
        { key: 'domain:never-shared.example', ok: true },
      ]);
      const versions = await readBack(indicatorStixId(keys[0] as IndicatorKey));
      expect(versions).toHaveLength(2);
      expect(versions[1]).toMatchObject({
        revoked: true,
        created: versions[0]?.created,
        modified: '2026-06-01T12:00:01.000Z',
      });
      // Nothing is posted for a value the collection never held.
      expect(JSON.stringify(await readBack())).not.toContain('never-shared.example');
    });

    it('fails the push with HTTP_AUTH_FAILED when the credentials may not write', async () => {
      const harness = harnessFor({
        collection: shareId,
        auth: { kind: 'basic', ...credentials.reader },
      });
      await expect(
        harness.run((context) => taxiiDestination.push(context, [shared('a.example', 'domain')], action)),
      ).rejects.toSatisfy((error: unknown) => CeError.isInstance(error) && error.code === 'HTTP_AUTH_FAILED');
    });
  });
});
