import {
  type IndicatorBatch,
  type IndicatorReportInput,
  indicatorReportSchema,
  type SourceCheckpoint,
} from '@ce/core';
import { createPluginHarness, type PluginHarness } from '@ce/plugin-kit';
import { afterEach, describe, expect, it } from 'vitest';
import type { MispConfig } from './misp-config.js';
import { mispPlugin } from './misp-plugin.js';
import { listRetractedIndicators, mispSource } from './misp-source.js';
import { type MispMockEventSeed, type MispMockServer, startMispMockServer } from './mock-misp-server.js';

const apiKey = 'testkey0000000000000000000000000000000001';
const now = Date.parse('2026-01-01T00:00:00Z');
const at = (iso: string): number => Math.floor(Date.parse(iso) / 1_000);

let misp: MispMockServer | undefined;
let harnesses: Array<PluginHarness<MispConfig>> = [];

afterEach(async () => {
  for (const harness of harnesses) await harness.close();
  harnesses = [];
  await misp?.close();
  misp = undefined;
});

async function start(
  events: MispMockEventSeed[],
  extra: { warninglist?: string[]; feedEvents?: MispMockEventSeed[] } = {},
) {
  misp = await startMispMockServer({ apiKey, now: () => now, events, ...extra });
  return misp;
}

function harnessFor(config: Record<string, unknown> = {}): PluginHarness<MispConfig> {
  const server = misp as MispMockServer;
  const harness = createPluginHarness(mispPlugin, {
    config: { baseUrl: server.url, apiKey, requestsPerSecond: 100, ...config },
  });
  harnesses.push(harness);
  return harness;
}

async function pull(
  harness: PluginHarness<MispConfig>,
  checkpoint?: SourceCheckpoint,
  maxBatches = Number.POSITIVE_INFINITY,
): Promise<IndicatorBatch[]> {
  return harness.run(async (context) => {
    const batches: IndicatorBatch[] = [];
    for await (const batch of mispSource.pull(context, checkpoint)) {
      batches.push(batch);
      if (batches.length >= maxBatches) break;
    }
    return batches;
  });
}

const reports = (batches: IndicatorBatch[]): IndicatorReportInput[] =>
  batches.flatMap((batch) => batch.indicators);
const values = (batches: IndicatorBatch[]): string[] =>
  reports(batches)
    .map((report) => report.value)
    .sort();
const searchBodies = (): Array<Record<string, unknown>> =>
  (misp as MispMockServer).requests
    .filter((request) => request.path === '/attributes/restSearch')
    .map((request) => JSON.parse(request.body) as Record<string, unknown>);

const campaign: MispMockEventSeed = {
  info: 'Phishing wave',
  threat_level_id: '1',
  tags: ['tlp:white', 'campaign:winter'],
  attributes: [
    {
      type: 'domain',
      value: 'login-bank.test',
      timestamp: at('2025-12-30T10:00:00Z'),
      comment: 'lure domain',
    },
    { type: 'ip-dst', value: '203.0.113.10', timestamp: at('2025-12-30T11:00:00Z'), tags: ['tlp:amber'] },
    { type: 'domain|ip', value: 'drop.test|2001:db8::10', timestamp: at('2025-12-30T12:00:00Z') },
    { type: 'ip-dst|port', value: '198.51.100.4|8443', timestamp: at('2025-12-30T12:30:00Z') },
    {
      type: 'filename|sha256',
      value: `invoice.exe|${'e'.repeat(64)}`,
      timestamp: at('2025-12-30T13:00:00Z'),
    },
    { type: 'email-src', value: 'ceo@phish.test', timestamp: at('2025-12-30T13:30:00Z') },
    { type: 'url', value: 'http://login-bank.test/x', to_ids: false, timestamp: at('2025-12-30T14:00:00Z') },
    { type: 'md5', value: 'f'.repeat(32), deleted: true, timestamp: at('2025-12-30T15:00:00Z') },
    { type: 'text', value: 'free text', timestamp: at('2025-12-30T15:30:00Z') },
  ],
};

const ransomware: MispMockEventSeed = {
  info: 'Ransomware infra',
  threat_level_id: '3',
  published: false,
  tags: ['tlp:red', 'ransomware'],
  attributes: [
    { type: 'hostname', value: 'c2.ransom.test', timestamp: at('2025-12-31T09:00:00Z'), decayScore: 55 },
    { type: 'sha1', value: 'a'.repeat(40), timestamp: at('2025-12-31T10:00:00Z'), decayScore: 12 },
    { type: 'domain', value: 'old.ransom.test', timestamp: at('2025-12-01T10:00:00Z') },
    { type: 'domain', value: 'www.google.test', timestamp: at('2025-12-31T11:00:00Z') },
  ],
};

describe('MISP source: REST API', () => {
  it('pulls IDS attributes of the last seven days with their event context', async () => {
    await start([campaign, ransomware], { warninglist: ['www.google.test'] });
    const batches = await pull(harnessFor());
    for (const report of reports(batches)) expect(indicatorReportSchema.safeParse(report).success).toBe(true);
    // Not pulled: the url (to_ids off), the deleted md5, free text, the 30-day-old domain and the
    // warninglisted domain.
    expect(values(batches)).toEqual(
      [
        '198.51.100.4',
        '2001:db8::10',
        '203.0.113.10',
        'a'.repeat(40),
        'c2.ransom.test',
        'ceo@phish.test',
        'drop.test',
        'e'.repeat(64),
        'login-bank.test',
      ].sort(),
    );
    const byValue = new Map(reports(batches).map((report) => [report.value, report]));
    expect(byValue.get('login-bank.test')).toMatchObject({
      type: 'domain',
      severity: 'high',
      tlp: 'clear',
      tags: ['campaign:winter'],
      comments: 'lure domain',
      externalUrl: `${(misp as MispMockServer).url}/events/view/1`,
      lastSeen: at('2025-12-30T10:00:00Z') * 1_000,
    });
    // The attribute's own tlp:amber is stricter than the event's tlp:white.
    expect(byValue.get('203.0.113.10')).toMatchObject({ type: 'ipv4', tlp: 'amber' });
    expect(byValue.get('2001:db8::10')).toMatchObject({ type: 'ipv6' });
    expect(byValue.get('drop.test')).toMatchObject({ type: 'domain', comments: 'MISP event: Phishing wave' });
    expect(byValue.get('e'.repeat(64))).toMatchObject({ type: 'sha256' });
    expect(byValue.get('ceo@phish.test')).toMatchObject({ type: 'email' });
    expect(byValue.get('c2.ransom.test')).toMatchObject({
      type: 'hostname',
      severity: 'low',
      tlp: 'red',
      tags: ['ransomware'],
    });
    // Decay scores are read only when asked for.
    expect(byValue.get('c2.ransom.test')?.confidence).toBeUndefined();

    const [body] = searchBodies();
    expect(body).toMatchObject({
      returnFormat: 'json',
      to_ids: true,
      attribute_timestamp: at('2025-12-25T00:00:00Z'),
      enforceWarninglist: true,
      includeEventTags: true,
      tags: { NOT: ['cloud-exchange'] },
      page: 1,
      limit: 1000,
    });
    expect(body?.type).toContain('domain|ip');
    // Threat levels come from one metadata-only event search per page.
    const eventSearches = (misp as MispMockServer).requests.filter(
      (request) => request.path === '/events/restSearch',
    );
    expect(eventSearches).toHaveLength(1);
    expect(JSON.parse(eventSearches[0]?.body ?? '{}')).toMatchObject({ eventid: ['1', '2'], metadata: true });
    (misp as MispMockServer).server.expectHeader('authorization', apiKey);
    (misp as MispMockServer).server.expectHeader('accept', /application\/json/);
  });

  it('applies every pull filter', async () => {
    await start([campaign, ransomware]);
    const only = async (pullSettings: Record<string, unknown>) =>
      values(await pull(harnessFor({ pull: pullSettings })));

    expect(await only({ includeTags: ['ransomware'] })).toEqual([
      'a'.repeat(40),
      'c2.ransom.test',
      'www.google.test',
    ]);
    expect(await only({ excludeTags: ['ransomware', 'tlp:amber'] })).not.toContain('203.0.113.10');
    expect(await only({ excludeTags: ['ransomware'] })).not.toContain('c2.ransom.test');
    expect(await only({ types: ['ip-dst', 'ip-dst|port'] })).toEqual(['198.51.100.4', '203.0.113.10']);
    expect(await only({ publishedOnly: true })).not.toContain('c2.ransom.test');
    expect(await only({ categories: ['Payload delivery'] })).toEqual([
      'a'.repeat(40),
      'ceo@phish.test',
      'e'.repeat(64),
    ]);
    expect(await only({ eventIds: ['2'] })).toEqual(['a'.repeat(40), 'c2.ransom.test', 'www.google.test']);
    expect(await only({ toIdsOnly: false, types: ['url'] })).toEqual(['http://login-bank.test/x']);
    expect(await only({ excludeDecayed: true, eventIds: ['2'] })).toEqual([
      'c2.ransom.test',
      'www.google.test',
    ]);
    expect(await only({ initialRangeDays: 60, eventIds: ['2'] })).toContain('old.ransom.test');

    const bodies = searchBodies();
    expect(bodies.find((body) => body.published === true)).toBeDefined();
    expect(
      bodies.find((body) => JSON.stringify(body.tags) === '{"OR":["ransomware"],"NOT":["cloud-exchange"]}'),
    ).toBeDefined();
    expect(bodies.find((body) => body.to_ids === undefined)).toBeDefined();
  });

  it('reads decay scores as confidence and reputation when asked', async () => {
    await start([ransomware]);
    const batches = await pull(harnessFor({ pull: { includeDecayScore: true } }));
    const byValue = new Map(reports(batches).map((report) => [report.value, report]));
    expect(byValue.get('c2.ransom.test')).toMatchObject({ confidence: 55, reputation: 6 });
    expect(byValue.get('a'.repeat(40))).toMatchObject({ confidence: 12, reputation: 2 });
    expect(searchBodies()[0]).toMatchObject({ includeDecayScore: true });
  });

  it('checkpoints every page and resumes mid-pull where it stopped', async () => {
    await start([campaign, ransomware]);
    const full = await pull(harnessFor({ pull: { pageSize: 2 } }));
    expect(full.length).toBeGreaterThan(3);

    // A crash after the second page: the new run starts from that page's checkpoint.
    const firstTwo = await pull(harnessFor({ pull: { pageSize: 2 } }), undefined, 2);
    const checkpoint = firstTwo[1]?.checkpoint;
    expect(checkpoint).toMatchObject({ kind: 'api', since: at('2025-12-25T00:00:00Z'), page: 3 });
    const rest = await pull(harnessFor({ pull: { pageSize: 2 } }), checkpoint);
    expect([...values(firstTwo), ...values(rest)].sort()).toEqual(values(full));
    expect(searchBodies().at(-1)).toMatchObject({
      attribute_timestamp: at('2025-12-25T00:00:00Z'),
      limit: 2,
    });

    // The completed pull hands the latest attribute timestamp to the next one (inclusive).
    const last = rest.at(-1)?.checkpoint as { kind: string; since: number; highWater: number; page?: number };
    expect(last).toEqual({
      kind: 'api',
      since: at('2025-12-31T11:00:00Z'),
      highWater: at('2025-12-31T11:00:00Z'),
    });
    const again = await pull(harnessFor({ pull: { pageSize: 2 } }), last);
    expect(values(again)).toEqual(['www.google.test']);

    // An attribute changed later is picked up by the next pull.
    (misp as MispMockServer).updateAttribute('1', {
      comment: 'updated',
      timestamp: at('2025-12-31T12:00:00Z'),
    });
    const changed = await pull(harnessFor({ pull: { pageSize: 2 } }), again.at(-1)?.checkpoint);
    // The last second is read again (MISP timestamps are whole seconds); the exchange ignores repeats.
    expect(values(changed)).toEqual(['login-bank.test', 'www.google.test']);
    expect(reports(changed).find((report) => report.value === 'login-bank.test')?.comments).toBe('updated');
  });

  it('lists the indicators MISP deleted or stopped flagging for detection', async () => {
    const server = await start([campaign]);
    const harness = harnessFor();
    server.updateAttribute('1', { deleted: true });
    server.updateAttribute('2', { to_ids: false });
    const retracted = await harness.run((context) =>
      listRetractedIndicators(context, [
        { type: 'domain', value: 'login-bank.test' },
        { type: 'ipv4', value: '203.0.113.10' },
        { type: 'domain', value: 'drop.test' },
        { type: 'ipv6', value: '2001:db8::10' },
        { type: 'sha256', value: 'e'.repeat(64) },
        { type: 'domain', value: 'never-in-misp.test' },
      ]),
    );
    expect(retracted).toEqual([
      { type: 'domain', value: 'login-bank.test' },
      { type: 'ipv4', value: '203.0.113.10' },
      { type: 'domain', value: 'never-in-misp.test' },
    ]);
    const lookup = searchBodies().at(-1);
    expect(lookup).toMatchObject({
      to_ids: true,
      value: expect.arrayContaining(['drop.test', 'never-in-misp.test']),
    });
    expect(lookup?.attribute_timestamp).toBeUndefined();
  });
});

describe('MISP source: feed', () => {
  const feedEvents: MispMockEventSeed[] = [
    {
      uuid: '11111111-1111-4111-8111-111111111111',
      info: 'OSINT one',
      threat_level_id: '2',
      tags: ['tlp:green', 'type:OSINT'],
      timestamp: at('2025-12-29T00:00:00Z'),
      attributes: [
        { type: 'domain', value: 'feed-one.test' },
        { type: 'ip-src', value: '192.0.2.77' },
        { type: 'url', value: 'http://feed-one.test/no-ids', to_ids: false },
      ],
    },
    {
      uuid: '22222222-2222-4222-8222-222222222222',
      info: 'OSINT two',
      threat_level_id: '1',
      timestamp: at('2025-12-30T00:00:00Z'),
      attributes: [{ type: 'sha256', value: 'd'.repeat(64), tags: ['tlp:white'] }],
    },
    {
      uuid: '33333333-3333-4333-8333-333333333333',
      info: 'Too old',
      timestamp: at('2025-11-01T00:00:00Z'),
      attributes: [{ type: 'domain', value: 'stale.test' }],
    },
  ];

  it('reads the manifest, then each new event, checkpointing per event', async () => {
    const server = await start([], { feedEvents });
    const harness = createPluginHarness(mispPlugin, {
      config: { mode: 'feed', feedUrl: server.feedUrl, requestsPerSecond: 100 },
    });
    harnesses.push(harness);
    const batches = await pull(harness);
    expect(values(batches)).toEqual(['192.0.2.77', 'd'.repeat(64), 'feed-one.test']);
    const byValue = new Map(reports(batches).map((report) => [report.value, report]));
    expect(byValue.get('feed-one.test')).toMatchObject({
      severity: 'medium',
      tlp: 'green',
      tags: ['type:OSINT'],
    });
    expect(byValue.get('d'.repeat(64))).toMatchObject({ severity: 'high', tlp: 'clear' });
    expect(batches.map((batch) => batch.checkpoint)).toEqual([
      { kind: 'feed', since: at('2025-12-29T00:00:00Z'), seen: ['11111111-1111-4111-8111-111111111111'] },
      { kind: 'feed', since: at('2025-12-30T00:00:00Z'), seen: ['22222222-2222-4222-8222-222222222222'] },
    ]);
    // Feeds are fetched without the MISP key.
    expect(server.requests.map((request) => request.path)).toEqual([
      '/feeds/cloud-exchange/manifest.json',
      '/feeds/cloud-exchange/11111111-1111-4111-8111-111111111111.json',
      '/feeds/cloud-exchange/22222222-2222-4222-8222-222222222222.json',
    ]);
    for (const request of server.requests) expect(request.headers.authorization).toBeUndefined();

    // Nothing new: only the manifest is read.
    const before = server.requests.length;
    const idle = await pull(harness, batches.at(-1)?.checkpoint);
    expect(reports(idle)).toEqual([]);
    expect(server.requests.slice(before).map((request) => request.path)).toEqual([
      '/feeds/cloud-exchange/manifest.json',
    ]);

    // An event that changed (its manifest timestamp grew) is read again.
    server.setFeedEvents([
      feedEvents[0] as MispMockEventSeed,
      {
        ...(feedEvents[1] as MispMockEventSeed),
        timestamp: at('2025-12-31T00:00:00Z'),
        attributes: [
          { type: 'sha256', value: 'd'.repeat(64) },
          { type: 'hostname', value: 'new.feed.test' },
        ],
      },
    ]);
    const changed = await pull(harness, batches.at(-1)?.checkpoint);
    expect(values(changed)).toEqual(['d'.repeat(64), 'new.feed.test']);
  });

  it('resumes after an event whose timestamp it shares with the next', async () => {
    const same = at('2025-12-30T00:00:00Z');
    const server = await start([], {
      feedEvents: [
        {
          uuid: 'aaaaaaaa-0000-4000-8000-000000000000',
          info: 'A',
          timestamp: same,
          attributes: [{ type: 'domain', value: 'a.test' }],
        },
        {
          uuid: 'bbbbbbbb-0000-4000-8000-000000000000',
          info: 'B',
          timestamp: same,
          attributes: [{ type: 'domain', value: 'b.test' }],
        },
      ],
    });
    const harness = createPluginHarness(mispPlugin, { config: { mode: 'feed', feedUrl: server.feedUrl } });
    harnesses.push(harness);
    const first = await pull(harness, undefined, 1);
    expect(values(first)).toEqual(['a.test']);
    const rest = await pull(harness, first[0]?.checkpoint);
    expect(values(rest)).toEqual(['b.test']);
    expect(rest[0]?.checkpoint).toEqual({
      kind: 'feed',
      since: same,
      seen: ['aaaaaaaa-0000-4000-8000-000000000000', 'bbbbbbbb-0000-4000-8000-000000000000'],
    });
  });

  it('refuses a manifest entry that is not a uuid, and reports no retractions', async () => {
    const server = await start([]);
    server.server.route('GET', '/evil/manifest.json', () => ({
      json: { '../../etc/passwd': { timestamp: String(at('2025-12-30T00:00:00Z')) } },
    }));
    const harness = createPluginHarness(mispPlugin, {
      config: { mode: 'feed', feedUrl: `${server.url}/evil` },
    });
    harnesses.push(harness);
    await expect(pull(harness)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(server.requests.map((request) => request.path)).toEqual(['/evil/manifest.json']);
    expect(
      await harness.run((context) => listRetractedIndicators(context, [{ type: 'domain', value: 'x.test' }])),
    ).toEqual([]);
  });
});
