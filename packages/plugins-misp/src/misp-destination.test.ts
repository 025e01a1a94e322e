import { createMemoryStorage, type IndicatorType, type KeyValueStore, type SharedIndicator } from '@ce/core';
import { createPluginHarness, type PluginHarness } from '@ce/plugin-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MispConfig } from './misp-config.js';
import { mispDestination, reportMispSighting, retractIndicators } from './misp-destination.js';
import { mispPlugin } from './misp-plugin.js';
import { mispSource } from './misp-source.js';
import { type MispMockServer, startMispMockServer } from './mock-misp-server.js';

const apiKey = 'testkey0000000000000000000000000000000002';
const now = Date.parse('2026-01-01T00:00:00Z');
const action = (parameters: Record<string, unknown> = {}) => ({
  id: 'add-to-event',
  parameters: { eventInfo: 'Shared by the exchange', ...parameters },
});

let misp: MispMockServer;
let keyValue: KeyValueStore;
let harnesses: Array<PluginHarness<MispConfig>> = [];

beforeEach(async () => {
  misp = await startMispMockServer({
    apiKey,
    now: () => now,
    events: [
      {
        info: 'Analyst event',
        threat_level_id: '2',
        attributes: [{ type: 'domain', value: 'known.test', timestamp: Math.floor(now / 1_000) - 3_600 }],
      },
    ],
  });
  keyValue = createMemoryStorage().keyValue;
});

afterEach(async () => {
  for (const harness of harnesses) await harness.close();
  harnesses = [];
  await misp.close();
});

function harnessFor(config: Record<string, unknown> = {}, options: { freshState?: boolean } = {}) {
  const harness = createPluginHarness(mispPlugin, {
    config: { baseUrl: misp.url, apiKey, requestsPerSecond: 100, ...config },
    keyValue: options.freshState ? createMemoryStorage().keyValue : keyValue,
  });
  harnesses.push(harness);
  return harness;
}

function shared(type: IndicatorType, value: string, extra: Partial<SharedIndicator> = {}): SharedIndicator {
  return {
    type,
    value,
    severity: 'high',
    reputation: 9,
    tags: ['phishing'],
    firstSeen: Date.parse('2025-12-01T00:00:00Z'),
    lastSeen: Date.parse('2025-12-02T00:00:00Z'),
    sources: ['feed-a'],
    ...extra,
  };
}

const paths = (): string[] => misp.requests.map((request) => `${request.method} ${request.path}`);

describe('MISP destination', () => {
  it('creates the event once, adds attributes in batches and maps each type', async () => {
    const harness = harnessFor({ push: { batchSize: 3 } });
    const batch = [
      shared('domain', 'evil.test', { tlp: 'amber', comments: 'seen in mail' }),
      shared('hostname', 'www.evil.test'),
      shared('url', 'http://evil.test/login'),
      shared('ipv4', '192.0.2.10'),
      shared('ipv6', '2001:db8::10'),
      shared('ipv4-cidr', '198.51.100.0/24'),
      shared('md5', '0'.repeat(32)),
      shared('sha1', '1'.repeat(40)),
      shared('sha256', '2'.repeat(64)),
      shared('email', 'boss@evil.test'),
    ];
    const results = await harness.run((context) =>
      mispDestination.push(context, batch, action({ tags: ['source:exchange'], threatLevel: 'high' })),
    );
    expect(results.map((result) => result.key)).toEqual(
      batch.map((indicator) => `${indicator.type}:${indicator.value}`),
    );
    expect(results.every((result) => result.ok)).toBe(true);

    const [analyst, created] = misp.events();
    expect(analyst?.info).toBe('Analyst event');
    expect(created).toMatchObject({
      info: 'Shared by the exchange',
      threat_level_id: '1',
      distribution: '0',
      analysis: '1',
      tags: ['cloud-exchange', 'source:exchange'],
    });
    const attributes = misp.attributes(created?.id);
    expect(attributes.map((attribute) => [attribute.type, attribute.value])).toEqual([
      ['domain', 'evil.test'],
      ['hostname', 'www.evil.test'],
      ['url', 'http://evil.test/login'],
      ['ip-dst', '192.0.2.10'],
      ['ip-dst', '2001:db8::10'],
      ['ip-dst', '198.51.100.0/24'],
      ['md5', '0'.repeat(32)],
      ['sha1', '1'.repeat(40)],
      ['sha256', '2'.repeat(64)],
      ['email-src', 'boss@evil.test'],
    ]);
    expect(attributes[0]).toMatchObject({
      to_ids: true,
      comment: 'seen in mail',
      tags: ['phishing', 'tlp:amber', 'cloud-exchange'],
      first_seen: '2025-12-01T00:00:00.000+00:00',
    });
    expect(paths().filter((path) => path === 'POST /events/add')).toHaveLength(1);
    // Ten attributes in batches of three: four requests, each an array.
    const adds = misp.requests.filter((request) => request.path === `/attributes/add/${created?.id}`);
    expect(adds.map((request) => (JSON.parse(request.body) as unknown[]).length)).toEqual([3, 3, 3, 1]);
    expect(adds[0]?.headers['content-type']).toMatch(/application\/json/);
  });

  it('counts attributes MISP already holds as shared and fails refused ones per item', async () => {
    const harness = harnessFor();
    await harness.run((context) => mispDestination.push(context, [shared('domain', 'dup.test')], action()));
    const results = await harness.run((context) =>
      mispDestination.push(
        context,
        [shared('domain', 'dup.test'), shared('md5', 'not-a-hash'), shared('domain', 'fresh.test')],
        action(),
      ),
    );
    expect(results).toEqual([
      { key: 'domain:dup.test', ok: true },
      {
        key: 'md5:not-a-hash',
        ok: false,
        error: {
          code: 'VALIDATION_FAILED',
          message: expect.stringContaining('Value not in the right type/format'),
          retryable: false,
        },
      },
      { key: 'domain:fresh.test', ok: true },
    ]);
    // Everything refused: MISP answers 403 with `saved: false`, still read per item.
    const refused = await harness.run((context) =>
      mispDestination.push(context, [shared('domain', 'dup.test'), shared('sha1', 'zz')], action()),
    );
    expect(refused.map((result) => result.ok)).toEqual([true, false]);
    const single = await harness.run((context) =>
      mispDestination.push(context, [shared('domain', 'dup.test')], action()),
    );
    expect(single).toEqual([{ key: 'domain:dup.test', ok: true }]);
  });

  it('reuses its event after a restart that lost its state, and publishes when asked', async () => {
    await harnessFor().run((context) =>
      mispDestination.push(context, [shared('domain', 'first.test')], action()),
    );
    const restarted = harnessFor({}, { freshState: true });
    await restarted.run((context) =>
      mispDestination.push(context, [shared('domain', 'second.test')], action({ publish: true })),
    );
    const created = misp.events().filter((event) => event.info === 'Shared by the exchange');
    expect(created).toHaveLength(1);
    expect(misp.attributes(created[0]?.id).map((attribute) => attribute.value)).toEqual([
      'first.test',
      'second.test',
    ]);
    expect(created[0]?.published).toBe(true);
    expect(paths().filter((path) => path === 'POST /events/add')).toHaveLength(1);
    const lookup = misp.requests.find((request) => request.path === '/events/restSearch');
    expect(JSON.parse(lookup?.body ?? '{}')).toMatchObject({
      eventinfo: 'Shared by the exchange',
      tags: ['cloud-exchange'],
      metadata: true,
    });
    expect(paths()).toContain(`POST /events/publish/${created[0]?.id}`);
  });

  it('never creates the event twice when pushes run together', async () => {
    const harness = harnessFor();
    await Promise.all([
      harness.run((context) => mispDestination.push(context, [shared('domain', 'a.test')], action())),
      harness.run((context) => mispDestination.push(context, [shared('domain', 'b.test')], action())),
    ]);
    expect(misp.events().filter((event) => event.info === 'Shared by the exchange')).toHaveLength(1);
  });

  it('retracts by deleting the attributes it finds by value in its event', async () => {
    const harness = harnessFor();
    await harness.run((context) =>
      mispDestination.push(
        context,
        [shared('domain', 'gone.test'), shared('ipv4', '192.0.2.99'), shared('domain', 'stays.test')],
        action(),
      ),
    );
    const results = await harness.run((context) =>
      retractIndicators(
        context,
        [
          { type: 'domain', value: 'gone.test' },
          { type: 'ipv4', value: '192.0.2.99' },
          { type: 'domain', value: 'never-pushed.test' },
        ],
        action(),
      ),
    );
    expect(results?.every((result) => result.ok)).toBe(true);
    const event = misp.events().find((candidate) => candidate.info === 'Shared by the exchange');
    const held = misp.attributes(event?.id);
    expect(held.filter((attribute) => attribute.deleted).map((attribute) => attribute.value)).toEqual([
      'gone.test',
      '192.0.2.99',
    ]);
    expect(held.find((attribute) => attribute.value === 'stays.test')?.deleted).toBe(false);
    // The analyst's own event is never touched.
    expect(misp.attributes('1').every((attribute) => !attribute.deleted)).toBe(true);
    const lookup = misp.requests.filter((request) => request.path === '/attributes/restSearch').at(-1);
    expect(JSON.parse(lookup?.body ?? '{}')).toMatchObject({ eventid: event?.id });

    // With no event at all (a fresh MISP), retraction has nothing to do.
    await misp.close();
    misp = await startMispMockServer({ apiKey, now: () => now });
    const fresh = harnessFor({}, { freshState: true });
    const none = await fresh.run((context) =>
      retractIndicators(context, [{ type: 'domain', value: 'x.test' }], action()),
    );
    expect(none).toEqual([{ key: 'domain:x.test', ok: true }]);
    expect(paths()).toEqual(['POST /events/restSearch']);
  });

  it('re-creates its event when MISP lost it', async () => {
    const harness = harnessFor();
    await harness.run((context) => mispDestination.push(context, [shared('domain', 'one.test')], action()));
    await misp.close();
    misp = await startMispMockServer({ apiKey, now: () => now });
    const again = harnessFor();
    // The remembered id points at nothing on the new instance; the event is made again.
    await keyValue.set('plugin-state:test-config', 'event-id:Shared by the exchange', '999');
    const results = await again.run((context) =>
      mispDestination.push(context, [shared('domain', 'two.test')], action()),
    );
    expect(results).toEqual([{ key: 'domain:two.test', ok: true }]);
    expect(misp.events().map((event) => event.info)).toEqual(['Shared by the exchange']);
  });

  it('fails every indicator of an unknown action or bad parameters without a request', async () => {
    const harness = harnessFor();
    const unknown = await harness.run((context) =>
      mispDestination.push(context, [shared('domain', 'x.test')], { id: 'block', parameters: {} }),
    );
    expect(unknown[0]).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    const bad = await harness.run((context) =>
      mispDestination.push(context, [shared('domain', 'x.test')], action({ threatLevel: 'severe' })),
    );
    expect(bad[0]).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('threatLevel') },
    });
    expect(misp.requests).toHaveLength(0);
  });

  it('keeps its own pushes out of the pull', async () => {
    const harness = harnessFor();
    await harness.run((context) => mispDestination.push(context, [shared('domain', 'mine.test')], action()));
    const pulled = await harness.run(async (context) => {
      const out: string[] = [];
      for await (const batch of mispSource.pull(context, undefined))
        out.push(...batch.indicators.map((report) => report.value));
      return out;
    });
    expect(pulled).toEqual(['known.test']);
  });

  it('reports sightings by value', async () => {
    const harness = harnessFor();
    const recorded = await harness.run((context) =>
      reportMispSighting(context, {
        value: 'known.test',
        source: 'netskope-prod',
        timestamp: Date.parse('2025-12-31T08:00:00Z'),
      }),
    );
    expect(recorded).toEqual({ recorded: true, sightingId: '1' });
    expect(misp.sightings()).toEqual([
      expect.objectContaining({
        value: 'known.test',
        source: 'netskope-prod',
        date_sighting: Date.parse('2025-12-31T08:00:00Z') / 1_000,
      }),
    ]);
    expect(JSON.parse(misp.requests.at(-1)?.body ?? '{}')).toEqual({
      values: ['known.test'],
      type: '0',
      source: 'netskope-prod',
      timestamp: Date.parse('2025-12-31T08:00:00Z') / 1_000,
    });
    const unknown = await harness.run((context) => reportMispSighting(context, { value: 'nowhere.test' }));
    expect(unknown).toEqual({
      recorded: false,
      message: expect.stringContaining('No valid attributes found'),
    });
  });
});

describe('MISP errors', () => {
  it('turns a refused key into HTTP_AUTH_FAILED everywhere, and check says so', async () => {
    const harness = createPluginHarness(mispPlugin, {
      config: { baseUrl: misp.url, apiKey: 'wrong-key-0000000000000000000000000000000' },
    });
    harnesses.push(harness);
    await expect(
      harness.run(async (context) => {
        for await (const _batch of mispSource.pull(context, undefined)) {
          // unreachable
        }
      }),
    ).rejects.toMatchObject({ code: 'HTTP_AUTH_FAILED', status: 403 });
    await expect(
      harness.run((context) => mispDestination.push(context, [shared('domain', 'x.test')], action())),
    ).rejects.toMatchObject({ code: 'HTTP_AUTH_FAILED' });
    expect(await harness.check()).toEqual({
      ok: false,
      retryable: false,
      message: expect.stringContaining('automation key'),
    });
    expect(await harnessFor().check()).toEqual({ ok: true, message: 'connected to MISP' });
  });

  it('turns garbage into HTTP_RESPONSE_INVALID without crashing', async () => {
    const harness = harnessFor();
    const pullOnce = () =>
      harness.run(async (context) => {
        for await (const _batch of mispSource.pull(context, undefined)) {
          // drain
        }
      });
    misp.server.failNext(1, {
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<html>maintenance</html>',
    });
    await expect(pullOnce()).rejects.toMatchObject({ code: 'HTTP_RESPONSE_INVALID' });
    misp.server.failNext(1, { status: 200, json: { response: { Attribute: 'nope' } } });
    await expect(pullOnce()).rejects.toMatchObject({
      code: 'HTTP_RESPONSE_INVALID',
      message: expect.stringContaining('response.Attribute'),
    });
    misp.server.failNext(1, { status: 200, json: { response: { Attribute: [{ id: '1' }] } } });
    await expect(pullOnce()).rejects.toMatchObject({ code: 'HTTP_RESPONSE_INVALID' });
    // A garbage answer to a push fails that batch's items, not the process.
    await harness.run((context) => mispDestination.push(context, [shared('domain', 'a.test')], action()));
    misp.server.failNext(1, { status: 200, json: [1, 2, 3] });
    const results = await harness.run((context) =>
      mispDestination.push(context, [shared('domain', 'b.test')], action()),
    );
    expect(results[0]).toMatchObject({ ok: false, error: { code: 'HTTP_RESPONSE_INVALID' } });
  });

  it('waits out a 429 as Retry-After asks and carries on', async () => {
    const harness = harnessFor();
    misp.server.failNext(1, {
      status: 429,
      headers: { 'retry-after': '0' },
      json: { message: 'Too many requests' },
    });
    const values = await harness.run(async (context) => {
      const out: string[] = [];
      for await (const batch of mispSource.pull(context, undefined))
        out.push(...batch.indicators.map((report) => report.value));
      return out;
    });
    expect(values).toEqual(['known.test']);
    const searches = misp.requests.filter((request) => request.path === '/attributes/restSearch');
    expect(searches).toHaveLength(2);
    expect(searches[0]?.body).toBe(searches[1]?.body);
  });

  it('maps 404 and 405 to typed errors', async () => {
    const harness = harnessFor();
    await expect(
      harness.run(async (context) => {
        const { createMispClient } = await import('./misp-client.js');
        return createMispClient(context).addAttributes('404', [{ type: 'domain', value: 'x.test' }]);
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    misp.server.failNext(1, {
      status: 405,
      json: {
        name: 'This function is only accessible via POST requests.',
        message: 'This function is only accessible via POST requests.',
        url: '/attributes/restSearch',
      },
    });
    await expect(
      harness.run(async (context) => {
        for await (const _batch of mispSource.pull(context, undefined)) {
          // drain
        }
      }),
    ).rejects.toMatchObject({
      code: 'HTTP_ERROR',
      status: 405,
      message: expect.stringContaining('only accessible via POST'),
    });
  });
});
