import { createMemoryLogger } from '@ce/core';
import { type CrowdStrikeMockServer, startCrowdStrikeMockServer } from '@ce/plugins-crowdstrike';
import { type NetskopeMockServer, startNetskopeMockServer } from '@ce/plugins-netskope';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type HostConfigFile, resolveHostConfig } from '../config.js';
import { type ReferenceHost, startReferenceHost } from '../reference-host.js';

const netskopeToken = 'netskope-test-token-0123';
const falcon = { clientId: 'falcon-test-client', clientSecret: 'falcon-test-secret-0123456789' };
let netskope: NetskopeMockServer;
let crowdStrike: CrowdStrikeMockServer;
const hosts: ReferenceHost[] = [];

beforeAll(async () => {
  netskope = await startNetskopeMockServer({ token: netskopeToken, requestsPerSecond: 1_000 });
  crowdStrike = await startCrowdStrikeMockServer(falcon);
});
afterAll(async () => {
  await Promise.all([netskope.close(), crowdStrike.close()]);
});
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.stop()));
});

async function start(file: HostConfigFile = {}): Promise<ReferenceHost> {
  const config = resolveHostConfig({ port: 0, storage: { kind: 'memory' }, ...file }, { env: {} });
  const host = await startReferenceHost({
    config,
    logger: createMemoryLogger({ level: 'error' }),
    checkIntervalMs: 0,
  });
  hosts.push(host);
  return host;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers.
  json: any;
}

async function call(
  host: ReferenceHost,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const text = typeof body === 'string';
  const response = await fetch(`${host.url}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': text ? 'text/plain' : 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: text ? body : JSON.stringify(body) } : {}),
  });
  const answer = await response.text();
  let json: unknown;
  try {
    json = answer ? JSON.parse(answer) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text: answer, json };
}

function paths(answer: Answer): string[] {
  return (answer.json?.error?.issues ?? []).map((issue: { path: string }) => issue.path);
}

const phishingUrl = 'https://login-verify-account.xyz/signin?session=77';
const domain = 'payload-relay.top';
const address = '45.153.160.12';

/** A host with destinations on both mock tenants and a few ingested indicators. */
async function startWithData(): Promise<ReferenceHost> {
  const host = await start();
  for (const configuration of [
    { id: 'ns', pluginId: 'netskope', config: { tenant: netskope.url, apiToken: netskopeToken } },
    { id: 'falcon', pluginId: 'crowdstrike', config: { baseUrl: crowdStrike.url, ...falcon } },
  ]) {
    // Disabled: the tests pull and share by hand, so nothing runs on a schedule behind them.
    expect(
      (await call(host, 'POST', '/api/v1/configurations', { ...configuration, enabled: false })).status,
    ).toBe(201);
  }
  const json = await call(host, 'POST', '/api/v1/indicators/ingest?source=analyst', [
    { value: phishingUrl, type: 'url', severity: 'high', tags: ['phishing'] },
    { value: domain, severity: 'critical', tags: ['c2'] },
    { value: 'not an indicator at all' },
  ]);
  expect(json.status).toBe(200);
  expect(json.json).toMatchObject({ sourceId: 'analyst', received: 3, new: 2, rejected: { count: 1 } });
  const text = await call(
    host,
    'POST',
    '/api/v1/indicators/ingest?source=paste',
    `${address}\nhxxp://dropper-cdn[.]ru/a.exe\n`,
  );
  expect(text.status).toBe(200);
  expect(text.json).toMatchObject({ sourceId: 'paste', received: 2, new: 2 });
  const wrapped = await call(host, 'POST', '/api/v1/indicators/ingest?source=analyst', {
    indicators: [{ value: domain, severity: 'critical', tags: ['c2'] }],
  });
  expect(wrapped.json).toMatchObject({ received: 1, new: 0 });
  return host;
}

describe('indicators', () => {
  it('searches with filters and cursor paging, counts, and gives daily counts', async () => {
    const host = await startWithData();

    const all = await call(host, 'GET', '/api/v1/indicators');
    expect(all.status).toBe(200);
    expect(all.json.items).toHaveLength(4);
    expect(all.json.nextCursor).toBeUndefined();

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await call(host, 'GET', `/api/v1/indicators?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.json.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.json.items.map((item: { value: string }) => item.value));
      cursor = page.json.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(all.json.items.map((item: { value: string }) => item.value).sort());

    const byType = await call(host, 'GET', '/api/v1/indicators?type=url&type=domain,ipv4&source=analyst');
    expect(byType.json.items.map((item: { type: string }) => item.type).sort()).toEqual(['domain', 'url']);
    const tagged = await call(host, 'GET', '/api/v1/indicators?tag=phishing&severity=high,critical');
    expect(tagged.json.items).toEqual([expect.objectContaining({ type: 'url', value: phishingUrl })]);
    const prefix = await call(host, 'GET', '/api/v1/indicators?q=45.153.');
    expect(prefix.json.items).toEqual([expect.objectContaining({ type: 'ipv4', value: address })]);
    const future = new Date(Date.now() + 86_400_000).toISOString();
    expect((await call(host, 'GET', `/api/v1/indicators?createdFrom=${future}`)).json.items).toEqual([]);
    expect(
      (await call(host, 'GET', `/api/v1/indicators?createdTo=${Date.now() + 1}&active=true`)).json.items,
    ).toHaveLength(4);

    expect((await call(host, 'GET', '/api/v1/indicators/count?source=paste')).json).toEqual({ count: 2 });
    expect((await call(host, 'GET', '/api/v1/indicators/count?suppressed=true')).json).toEqual({ count: 0 });

    const today = new Date().toISOString().slice(0, 10);
    const daily = await call(host, 'GET', `/api/v1/indicators/daily?field=createdAt&from=${today}`);
    expect(daily.status).toBe(200);
    expect(daily.json.field).toBe('createdAt');
    expect(daily.json.days).toContainEqual({ day: today, count: 4 });
  });

  it('answers one indicator with its sources, destinations and explanations; records sightings; 404s', async () => {
    const host = await startWithData();
    const path = `/api/v1/indicators/url/${encodeURIComponent(phishingUrl)}`;
    const one = await call(host, 'GET', path);
    expect(one.status).toBe(200);
    expect(one.json.indicator).toMatchObject({ type: 'url', value: phishingUrl, active: true });
    expect(one.json.indicator.sources).toEqual([expect.objectContaining({ sourceId: 'analyst' })]);
    expect(one.json.destinations).toEqual([]);
    expect(one.json.explain).toEqual([]);

    expect((await call(host, 'GET', '/api/v1/indicators/domain/unknown-host.xyz')).status).toBe(404);
    const badType = await call(host, 'GET', '/api/v1/indicators/colour/red');
    expect(badType.status).toBe(400);
    expect(paths(badType)).toEqual(['params.type']);
    const badValue = await call(host, 'GET', '/api/v1/indicators/ipv4/999.1.1.1');
    expect(badValue.status).toBe(400);
    expect(badValue.json.error.code).toBe('VALIDATION_FAILED');

    const sighting = await call(host, 'POST', '/api/v1/sightings', {
      value: domain,
      system: 'proxy-01',
      count: 3,
    });
    expect(sighting.status).toBe(200);
    expect(sighting.json.sightings).toMatchObject({
      total: 3,
      systems: [expect.objectContaining({ system: 'proxy-01', count: 3 })],
    });
    const sighted = await call(host, 'GET', '/api/v1/indicators?sighted=true');
    expect(sighted.json.items).toEqual([expect.objectContaining({ value: domain })]);
    expect(
      (await call(host, 'POST', '/api/v1/sightings', { value: 'never-seen.xyz', system: 'proxy-01' })).status,
    ).toBe(404);
    const badSighting = await call(host, 'POST', '/api/v1/sightings', {
      value: domain,
      count: 0,
      at: 'soon',
      extra: 1,
    });
    expect(badSighting.status).toBe(400);
    expect(paths(badSighting).sort()).toEqual(['at', 'count', 'extra', 'system']);
  });

  it('rejects bad queries and bodies with the path of every problem', async () => {
    const host = await startWithData();
    const badQuery = await call(
      host,
      'GET',
      '/api/v1/indicators?type=colour&limit=0&bogus=1&active=yes&createdFrom=yesterday',
    );
    expect(badQuery.status).toBe(400);
    expect(paths(badQuery).sort()).toEqual(
      ['query.active', 'query.bogus', 'query.createdFrom', 'query.limit', 'query.type[0]'].sort(),
    );
    const twice = await call(host, 'GET', '/api/v1/indicators?source=a&source=b');
    expect(paths(twice)).toEqual(['query.source']);
    const badCursor = await call(host, 'GET', '/api/v1/indicators?cursor=garbage');
    expect(badCursor.status).toBe(400);
    expect(paths(badCursor)).toEqual(['query.cursor']);
    const backwards = await call(host, 'GET', '/api/v1/indicators/daily?from=2026-02-01&to=2026-01-01');
    expect(paths(backwards)).toEqual(['query.from']);

    const noSource = await call(host, 'POST', '/api/v1/indicators/ingest', [{ value: domain }]);
    expect(noSource.status).toBe(400);
    expect(paths(noSource)).toEqual(['query.source']);
    const csv = await call(host, 'POST', '/api/v1/indicators/ingest?source=x', 'a,b', {
      'content-type': 'text/csv',
    });
    expect(csv.status).toBe(415);
    const notReports = await call(host, 'POST', '/api/v1/indicators/ingest?source=x', { reports: [] });
    expect(notReports.status).toBe(400);
    expect(paths(notReports)).toEqual(['indicators']);
    expect((await call(host, 'PUT', '/api/v1/indicators/count')).status).toBe(405);
  });
});

describe('lists', () => {
  it('creates, replaces, exports with the right content types, and deletes a list', async () => {
    const host = await startWithData();
    const list = {
      name: 'Phishing_URLs',
      description: 'phishing',
      rule: 'type = "url" and tags contains "phishing"',
    };
    const created = await call(host, 'POST', '/api/v1/lists', list);
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/api/v1/lists/Phishing_URLs');
    expect(created.json).toMatchObject({ name: 'Phishing_URLs', rule: expect.any(Object) });
    expect((await call(host, 'POST', '/api/v1/lists', list)).status).toBe(409);
    expect((await call(host, 'PUT', '/api/v1/lists/Bad_Rule', { rule: 'type = ' })).status).toBe(400);

    const text = await call(host, 'GET', '/api/v1/lists/Phishing_URLs/export');
    expect(text.status).toBe(200);
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(text.headers.get('content-disposition')).toBe('attachment; filename="Phishing_URLs.txt"');
    expect(text.text).toBe(`${phishingUrl}\n`);
    const csv = await call(host, 'GET', '/api/v1/lists/Phishing_URLs/export?format=csv');
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="Phishing_URLs.csv"');
    expect(csv.text.split('\r\n')[0] ?? csv.text.split('\n')[0]).toMatch(/^type,value,severity/);
    expect(csv.text).toContain(phishingUrl);
    const json = await call(host, 'GET', '/api/v1/lists/Phishing_URLs/export?format=json');
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(json.json).toEqual([
      expect.objectContaining({ type: 'url', value: phishingUrl, severity: 'high' }),
    ]);
    expect(paths(await call(host, 'GET', '/api/v1/lists/Phishing_URLs/export?format=xml'))).toEqual([
      'query.format',
    ]);

    const replaced = await call(host, 'PUT', '/api/v1/lists/Phishing_URLs', { rule: 'tags contains "c2"' });
    expect(replaced.status).toBe(200);
    expect((await call(host, 'GET', '/api/v1/lists/Phishing_URLs/export')).text).toBe(`${domain}\n`);
    const added = await call(host, 'PUT', '/api/v1/lists/Everything', { rule: { always: true } });
    expect(added.status).toBe(201);
    const mismatch = await call(host, 'PUT', '/api/v1/lists/Everything', {
      name: 'Other',
      rule: { always: true },
    });
    expect(paths(mismatch)).toEqual(['name']);

    const page = await call(host, 'GET', '/api/v1/lists?limit=1');
    expect(page.json.items.map((item: { name: string }) => item.name)).toEqual(['Everything']);
    const next = await call(host, 'GET', `/api/v1/lists?limit=1&cursor=${page.json.nextCursor}`);
    expect(next.json.items.map((item: { name: string }) => item.name)).toEqual(['Phishing_URLs']);
    expect(next.json.nextCursor).toBeUndefined();

    expect((await call(host, 'DELETE', '/api/v1/lists/Everything')).status).toBe(204);
    expect((await call(host, 'GET', '/api/v1/lists/Everything')).status).toBe(404);
    expect((await call(host, 'DELETE', '/api/v1/lists/Everything')).status).toBe(404);
    expect((await call(host, 'GET', '/api/v1/lists/Everything/export')).status).toBe(404);
    const invalid = await call(host, 'POST', '/api/v1/lists', { name: 'bad name!', rule: 7 });
    expect(invalid.status).toBe(400);
    expect(paths(invalid).sort()).toEqual(['name', 'rule']);
  });
});

describe('sharing rules', () => {
  it('previews, creates, runs against the tenants, retracts what is deactivated, and deletes', async () => {
    const host = await startWithData();
    // Disabled rules run only when told to, so each run below is the test's own.
    const toNetskope = {
      id: 'to-netskope',
      enabled: false,
      name: 'Block list',
      destination: { configId: 'ns', action: 'url-list', parameters: { listName: 'CE_Test_Block' } },
    };
    const preview = await call(host, 'POST', '/api/v1/sharing-rules/preview', toNetskope);
    expect(preview.status).toBe(200);
    expect(preview.json).toMatchObject({
      considered: 4,
      total: 4,
      wouldShare: { url: 2, domain: 1, ipv4: 1 },
    });

    const created = await call(host, 'POST', '/api/v1/sharing-rules', toNetskope);
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/api/v1/sharing-rules/to-netskope');
    expect(created.json).toMatchObject({
      id: 'to-netskope',
      enabled: false,
      mode: 'incremental',
      interval: 300_000,
    });
    expect((await call(host, 'POST', '/api/v1/sharing-rules', toNetskope)).status).toBe(409);

    const run = await call(host, 'POST', '/api/v1/sharing-rules/to-netskope/run');
    expect(run.status).toBe(200);
    expect(run.json).toMatchObject({ ruleId: 'to-netskope', shared: 4, failed: 0 });
    const urls = (): string[] => netskope.tenant.urlList('CE_Test_Block')?.deployed?.urls ?? [];
    expect(urls()).toEqual(
      expect.arrayContaining(['login-verify-account.xyz/signin?session=77', domain, `*.${domain}`, address]),
    );

    const toFalcon = {
      id: 'to-falcon',
      enabled: false,
      filter: 'severity >= "high"',
      destination: { configId: 'falcon', action: 'detect' },
    };
    expect((await call(host, 'PUT', '/api/v1/sharing-rules/to-falcon', toFalcon)).status).toBe(201);
    expect((await call(host, 'POST', '/api/v1/sharing-rules/to-falcon/run')).json).toMatchObject({
      shared: 1,
    });
    const inFalcon = () => crowdStrike.indicators().find((indicator) => indicator.value === domain);
    expect(inFalcon()).toMatchObject({ type: 'domain', deleted: false });

    const explained = await call(host, 'GET', `/api/v1/indicators/domain/${domain}`);
    expect(explained.json.explain).toEqual([
      expect.objectContaining({
        ruleId: 'to-falcon',
        eligible: true,
        state: expect.objectContaining({ status: 'shared' }),
      }),
      expect.objectContaining({ ruleId: 'to-netskope', eligible: true }),
    ]);
    expect(explained.json.destinations).toHaveLength(2);
    const url = await call(host, 'GET', `/api/v1/indicators/url/${encodeURIComponent(phishingUrl)}`);
    expect(url.json.explain).toContainEqual(
      expect.objectContaining({ ruleId: 'to-falcon', eligible: false, step: 'type' }),
    );

    const deactivated = await call(host, 'POST', `/api/v1/indicators/domain/${domain}/deactivate`);
    expect(deactivated.status).toBe(200);
    expect(deactivated.json).toMatchObject({ active: false, inactiveReason: 'manual' });
    expect((await call(host, 'POST', '/api/v1/sharing-rules/to-falcon/run')).json).toMatchObject({
      retracted: 1,
    });
    expect(inFalcon()?.deleted).toBe(true);
    await call(host, 'POST', '/api/v1/sharing-rules/to-netskope/run');
    expect(urls()).not.toContain(domain);
    expect(urls()).toContain(address);
    const reactivated = await call(host, 'POST', `/api/v1/indicators/domain/${domain}/activate`);
    expect(reactivated.json).toMatchObject({ active: true });
    expect((await call(host, 'GET', `/api/v1/indicators/domain/${domain}/activate`)).status).toBe(405);

    const replaced = await call(host, 'PUT', '/api/v1/sharing-rules/to-netskope', {
      ...toNetskope,
      name: 'Renamed',
    });
    expect(replaced.status).toBe(200);
    expect((await call(host, 'GET', '/api/v1/sharing-rules/to-netskope')).json).toMatchObject({
      name: 'Renamed',
    });
    const page = await call(host, 'GET', '/api/v1/sharing-rules?limit=1');
    expect(page.json.items.map((rule: { id: string }) => rule.id)).toEqual(['to-falcon']);
    expect(page.json.nextCursor).toEqual(expect.any(String));

    // A rule that uses a list keeps the list from being deleted.
    await call(host, 'POST', '/api/v1/lists', { name: 'C2', rule: 'tags contains "c2"' });
    await call(host, 'PUT', '/api/v1/sharing-rules/to-falcon', { ...toFalcon, list: 'C2' });
    expect((await call(host, 'DELETE', '/api/v1/lists/C2')).status).toBe(409);

    expect((await call(host, 'DELETE', '/api/v1/sharing-rules/to-falcon')).status).toBe(204);
    expect(inFalcon()?.deleted).toBe(true);
    expect((await call(host, 'DELETE', '/api/v1/sharing-rules/to-netskope?retract=false')).status).toBe(204);
    expect(urls()).toContain(address);
    expect((await call(host, 'GET', '/api/v1/sharing-rules/to-netskope')).status).toBe(404);
    expect((await call(host, 'POST', '/api/v1/sharing-rules/to-netskope/run')).status).toBe(404);
    expect((await call(host, 'DELETE', '/api/v1/sharing-rules/to-netskope')).status).toBe(404);
  });

  it('names every invalid field: 400 for a malformed rule, 422 for a destination that does not fit', async () => {
    const host = await startWithData();
    const malformed = await call(host, 'POST', '/api/v1/sharing-rules', {
      id: 'bad rule',
      filter: 'severity >=',
      destination: { action: 'url-list' },
      colour: 'red',
    });
    expect(malformed.status).toBe(400);
    expect(paths(malformed).sort()).toEqual(['colour', 'destination.configId', 'filter', 'id']);

    const unknown = await call(host, 'POST', '/api/v1/sharing-rules', {
      id: 'ghost',
      destination: { configId: 'nowhere', action: 'url-list' },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.json.error).toMatchObject({
      code: 'CONFIG_INVALID',
      issues: [{ path: 'destination.configId' }],
    });
    const badAction = await call(host, 'PUT', '/api/v1/sharing-rules/ghost', {
      destination: { configId: 'ns', action: 'fax' },
    });
    expect(badAction.status).toBe(422);
    expect(paths(badAction)).toEqual(['destination.action']);
    const badParameters = await call(host, 'POST', '/api/v1/sharing-rules/preview', {
      id: 'ghost',
      destination: { configId: 'falcon', action: 'detect', parameters: { severity: 'apocalyptic' } },
    });
    expect(badParameters.status).toBe(200);
    const badStored = await call(host, 'PUT', '/api/v1/sharing-rules/ghost', {
      destination: { configId: 'falcon', action: 'detect', parameters: { severity: 'apocalyptic' } },
    });
    expect(badStored.status).toBe(422);
    expect(paths(badStored)).toEqual(['destination.parameters.severity']);
    const mismatch = await call(host, 'PUT', '/api/v1/sharing-rules/ghost', {
      id: 'other',
      destination: { configId: 'ns', action: 'url-list' },
    });
    expect(paths(mismatch)).toEqual(['id']);
    expect(paths(await call(host, 'DELETE', '/api/v1/sharing-rules/ghost?retract=maybe'))).toEqual([
      'query.retract',
    ]);
  });
});

describe('warninglists, allowlists and sources', () => {
  it('suppresses with an uploaded MISP warninglist and an allowlist, and lifts it when removed', async () => {
    const host = await startWithData();
    const misp = await call(host, 'POST', '/api/v1/warninglists', {
      name: 'Internal relay hosts',
      version: 3,
      description: 'Hosts of our own relay service',
      matching_attributes: ['domain', 'hostname', 'url'],
      type: 'hostname',
      list: [domain],
    });
    expect(misp.status).toBe(200);
    expect(misp.json).toMatchObject({ listId: 'internal-relay-hosts', entryCount: 1, skippedCount: 0 });
    const suppressed = await call(host, 'GET', `/api/v1/indicators/domain/${domain}`);
    expect(suppressed.json.indicator.suppressedBy).toMatchObject({ listId: 'internal-relay-hosts' });
    expect((await call(host, 'GET', '/api/v1/indicators?suppressed=true')).json.items).toEqual([
      expect.objectContaining({ value: domain }),
    ]);
    const lists = await call(host, 'GET', '/api/v1/warninglists');
    expect(lists.json.items).toContainEqual(
      expect.objectContaining({
        id: 'internal-relay-hosts',
        kind: 'warninglist',
        matchType: 'hostname',
        version: 3,
      }),
    );

    const ours = await call(host, 'POST', '/api/v1/warninglists?id=lab-ranges', {
      id: 'ignored',
      name: 'Lab ranges',
      matchType: 'cidr',
      entries: ['45.153.160.0/24'],
    });
    expect(ours.json).toMatchObject({ listId: 'lab-ranges', entryCount: 1 });
    expect(
      (await call(host, 'GET', `/api/v1/indicators/ipv4/${address}`)).json.indicator.suppressedBy,
    ).toMatchObject({
      listId: 'lab-ranges',
    });
    const allow = await call(host, 'POST', '/api/v1/allowlists', {
      id: 'partners',
      name: 'Partner hosts',
      entries: [{ type: 'domain', value: 'dropper-cdn.ru' }],
    });
    expect(allow.json).toMatchObject({ listId: 'partners', entryCount: 1 });
    expect((await call(host, 'GET', '/api/v1/indicators/count?suppressed=true')).json).toEqual({ count: 3 });

    expect((await call(host, 'DELETE', '/api/v1/warninglists/internal-relay-hosts')).status).toBe(204);
    expect(
      (await call(host, 'GET', `/api/v1/indicators/domain/${domain}`)).json.indicator.suppressedBy,
    ).toBeUndefined();
    expect((await call(host, 'DELETE', '/api/v1/warninglists/internal-relay-hosts')).status).toBe(404);

    const badMisp = await call(host, 'POST', '/api/v1/warninglists', {
      name: 'x',
      type: 'fuzzy',
      list: 'nope',
    });
    expect(badMisp.status).toBe(400);
    expect(paths(badMisp).sort()).toEqual(['description', 'list', 'type']);
    const badOurs = await call(host, 'POST', '/api/v1/warninglists', {
      id: 'x',
      name: 'x',
      matchType: 'cidr',
    });
    expect(paths(badOurs)).toEqual(['entries']);
    const badAllow = await call(host, 'POST', '/api/v1/allowlists', {
      id: 'x',
      name: 'x',
      entries: [{ type: 'mac' }],
    });
    expect(paths(badAllow).sort()).toEqual(['entries[0].type', 'entries[0].value']);
  });

  it('reads and sets source policies, and pulls a source now', async () => {
    const host = await startWithData();
    expect((await call(host, 'GET', '/api/v1/sources/analyst/policy')).json).toMatchObject({
      rank: 100,
      weight: 1,
    });
    const set = await call(host, 'PUT', '/api/v1/sources/analyst/policy', { rank: 5, tags: ['analyst'] });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({ rank: 5, tags: ['analyst'], tagMode: 'append' });
    expect((await call(host, 'GET', '/api/v1/sources/analyst/policy')).json).toMatchObject({ rank: 5 });
    const bad = await call(host, 'PUT', '/api/v1/sources/analyst/policy', { rank: 0, trust: 'high' });
    expect(bad.status).toBe(400);
    expect(paths(bad).sort()).toEqual(['rank', 'trust']);

    netskope.tenant.addAlerts('malware', [
      {
        _id: 'api-test-1',
        alert_type: 'malware',
        local_sha256: '9f2c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f10',
        malware_severity: 'high',
        malware_type: 'Trojan',
        timestamp: Math.floor(Date.now() / 1_000) - 60,
      },
    ]);
    const pulled = await call(host, 'POST', '/api/v1/sources/ns/pull');
    expect(pulled.status).toBe(200);
    expect(pulled.json).toMatchObject({ sourceId: 'ns', new: 1, checkpoint: expect.any(Object) });
    expect((await call(host, 'GET', '/api/v1/indicators/count?source=ns')).json).toEqual({ count: 1 });
    expect((await call(host, 'POST', '/api/v1/sources/nowhere/pull')).status).toBe(404);
    expect((await call(host, 'POST', '/api/v1/sources/analyst/pull')).status).toBe(404);
  });
});

describe('threat metrics and authentication', () => {
  it('renders indicator gauges and counters, and guards the new routes with the API tokens', async () => {
    const host = await start({ api: { tokens: [{ name: 'ops', token: 'ops-token-0123456789' }] } });
    const auth = { authorization: 'Bearer ops-token-0123456789' };
    expect((await call(host, 'GET', '/api/v1/indicators')).status).toBe(401);
    expect((await call(host, 'GET', '/api/v1/sharing-rules')).status).toBe(401);
    const ingested = await call(
      host,
      'POST',
      '/api/v1/indicators/ingest?source=manual',
      `${domain}\n${address}\n10.0.0.1\n`,
      auth,
    );
    expect(ingested.json).toMatchObject({ new: 3, suppressed: { count: 1 } });
    await call(host, 'POST', `/api/v1/indicators/ipv4/${address}/deactivate`, undefined, auth);
    await call(host, 'POST', '/api/v1/indicators/ingest?source=manual', `${domain}\n`, auth);

    const text = (await call(host, 'GET', '/metrics')).text;
    expect(text).toContain('# TYPE ce_indicators gauge\n');
    expect(text).toContain('ce_indicators{state="active"} 1\n');
    expect(text).toContain('ce_indicators{state="inactive"} 1\n');
    expect(text).toContain('ce_indicators{state="suppressed"} 1\n');
    expect(text).toContain('ce_indicators_ingested_total{source="manual",outcome="new"} 3\n');
    expect(text).toContain('# TYPE ce_indicators_shared_total counter\n');
    expect(text).toContain(
      'ce_http_requests_total{method="POST",route="/api/v1/indicators/ingest",status="200"} 2\n',
    );
  });
});
