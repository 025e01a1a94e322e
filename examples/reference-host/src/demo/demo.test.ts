import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryLogger } from '@ce/core';
import { TaxiiClient } from '@ce/taxii';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ReferenceHost, startReferenceHost } from '../reference-host.js';
import { demoConfigurationId, demoHostConfig } from './demo.js';
import { logDemoDirectory, logDemoIds } from './log-demo.js';
import { taxiiPeerCollections } from './taxii-peer.js';
import {
  freshenFeedDates,
  threatDemoIds,
  threatDemoTaxiiCollections,
  threatDemoUrlLists,
} from './threat-demo.js';

const demoIds = [
  demoConfigurationId,
  threatDemoIds.urlhaus,
  threatDemoIds.openphish,
  threatDemoIds.feodo,
  threatDemoIds.netskope,
  threatDemoIds.crowdstrike,
  threatDemoIds.misp,
  threatDemoIds.taxiiPartner,
  threatDemoIds.taxiiShare,
  logDemoIds.source,
  logDemoIds.syslog,
  logDemoIds.file,
];

/** Polls until `check` returns something truthy, for at most `timeoutMs`. */
async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until both mock tenants hold what the demo's rules share, and returns what they hold. */
async function sharedIntoBothTenants(host: ReferenceHost) {
  const threat = host.demo?.threat;
  if (!threat) throw new Error('the demo is not running');
  const feedsList = await eventually(() => {
    const urls = threat.netskope.tenant.urlList(threatDemoUrlLists.feeds)?.deployed?.urls;
    return urls?.includes('malware-download.xyz/bins/mozi.m') &&
      urls.includes('login-secure-update.top/account/verify.php')
      ? urls
      : undefined;
  });
  const falconList = await eventually(() => {
    const urls = threat.netskope.tenant.urlList(threatDemoUrlLists.falcon)?.deployed?.urls;
    return urls?.includes('update-check-service.ru') ? urls : undefined;
  });
  const pushed = await eventually(() => {
    const ours = threat.crowdStrike
      .indicators()
      .filter((indicator) => indicator.source === 'Cloud Exchange' && !indicator.deleted);
    const values = ours.map((indicator) => indicator.value);
    // A Feodo Tracker address (feeds) and a hash from a Netskope malware alert.
    return values.includes('45.155.204.19') &&
      values.includes('f1f777b107d3a56e4967b0480b27d34691a64df0a9eac152898bd7a144eb0abc')
      ? values
      : undefined;
  });
  return { feedsList, falconList, pushed };
}

/**
 * The TAXII side of the demo: the partner's indicators are pulled, phishing URLs reach the
 * partner's shared collection, and the host's own TAXII server publishes lists and takes posts.
 */
async function exchangesWithTaxii(host: ReferenceHost): Promise<void> {
  const threat = host.demo?.threat;
  if (!threat) throw new Error('the demo is not running');
  const partner = await eventually(async () =>
    (await host.cte.get('91.242.217.33', 'ipv4'))?.indicator.sources.some(
      (source) => source.sourceId === threatDemoIds.taxiiPartner,
    ),
  );
  expect(partner).toBe(true);
  const peer = new TaxiiClient({
    url: threat.taxiiPeer.url,
    auth: { kind: 'bearer', token: threat.taxiiPeer.token },
  });
  try {
    const shared = await eventually(async () => {
      const page = await peer.getObjects('partner', taxiiPeerCollections.shared);
      const patterns = page.objects.map((object) => String(object.pattern));
      return patterns.some((pattern) => pattern.includes('invoice-portal-login.top')) ? patterns : undefined;
    });
    // A phishing URL from a feed, and the partner's own one shared back to its other collection.
    expect(shared.some((pattern) => pattern.includes("url:value = 'http://"))).toBe(true);
  } finally {
    await peer.close();
  }

  const own = new TaxiiClient({ url: `${host.url}/taxii2/` });
  try {
    const discovery = await own.discover();
    expect(discovery.title).toBe('Cloud Exchange (demo)');
    const root = await own.defaultApiRoot();
    const collections = await own.getCollections(root);
    expect(collections.map((collection) => collection.title).sort()).toEqual([
      'Botnet C2',
      'Partner submissions',
      'Phishing URLs',
    ]);
    const phishing = await own.getObjects(root, threatDemoTaxiiCollections.phishing, { limit: 1_000 });
    expect(phishing.objects.length).toBeGreaterThan(0);
    expect(phishing.objects.every((object) => object.type === 'indicator')).toBe(true);
    const posted = await own.addObjects(root, threatDemoTaxiiCollections.inbox, [
      {
        type: 'indicator',
        spec_version: '2.1',
        id: 'indicator--6f1c0b8e-3c1d-4f8a-9b2e-7d6c5b4a3f21',
        created: '2026-11-20T10:00:00.000Z',
        modified: '2026-11-20T10:00:00.000Z',
        pattern: "[domain-name:value = 'posted-by-partner.example']",
        pattern_type: 'stix',
        valid_from: '2026-11-20T10:00:00.000Z',
      },
    ]);
    expect(posted).toMatchObject({ complete: true, successCount: 1 });
    const ingested = await host.cte.get('posted-by-partner.example', 'domain');
    expect(ingested?.indicator.sources.map((source) => source.sourceId)).toEqual([threatDemoIds.taxiiInbox]);
  } finally {
    await own.close();
  }
}

/** The MISP side of the demo: the partner event's attributes are pulled, botnet C2 goes to MISP. */
async function exchangesWithMisp(host: ReferenceHost): Promise<void> {
  const threat = host.demo?.threat;
  if (!threat) throw new Error('the demo is not running');
  // A composite `domain|ip` attribute gives two indicators.
  for (const [value, type] of [
    ['mailer-relay-cdn.xyz', 'domain'],
    ['91.242.217.60', 'ipv4'],
  ] as const) {
    const found = await eventually(async () => (await host.cte.get(value, type))?.indicator);
    expect(found.sources.map((source) => source.sourceId)).toContain(threatDemoIds.misp);
  }
  expect(
    (await host.cte.search({ sourceId: threatDemoIds.misp }, { limit: 100 })).items
      .map((item) => item.type)
      .sort(),
  ).toEqual(['domain', 'ipv4', 'sha256', 'url']);
  // Botnet C2 from the feeds (Feodo Tracker) lands on the exchange's own event; the MISP
  // instance's own address is not echoed back.
  const shared = await eventually(() => {
    const event = threat.misp.events().find((candidate) => candidate.info === 'Cloud Exchange: botnet C2');
    const values = threat.misp
      .attributes()
      .filter((attribute) => attribute.event_id === event?.id && !attribute.deleted)
      .map((attribute) => attribute.value);
    return values.includes('45.155.204.19') ? values : undefined;
  });
  expect(shared).not.toContain('91.242.217.60');
}

/**
 * The log shipper side of the demo: the mock tenant's page and application events arrive at the
 * syslog receiver as CEF in RFC 5424 messages, and its DLP and malware alerts in the alert file.
 */
async function shipsLogs(host: ReferenceHost, dataDir: string): Promise<void> {
  const logs = host.demo?.logs;
  if (!logs) throw new Error('the demo is not running');
  // 500 generated records per type: 1,000 events and 1,000 alerts.
  const messages = await logs.syslog.waitFor(1_000, 30_000);
  // local0.info, RFC 5424 with the record's structured data, then the CEF event.
  expect(messages[0]).toMatch(/^<134>1 \S+ \S+ netskope - page \[netskope@32473 [^\]]*\] CEF:0\|Netskope\|/);
  // A CEF value never carries a raw `=` or a line break.
  expect(messages.every((message) => !/[\r\n]/.test(message))).toBe(true);
  const directory = join(dataDir, 'logs', logDemoDirectory);
  const alerts = await eventually(async () => {
    const files = await readdir(directory).catch(() => []);
    const lines = (await Promise.all(files.map((file) => readFile(join(directory, file), 'utf8')))).flatMap(
      (text) => text.split('\n').filter(Boolean),
    );
    return lines.length >= 1_000 ? lines : undefined;
  }, 30_000);
  const types = new Set(alerts.map((line) => (JSON.parse(line) as { alert_type?: string }).alert_type));
  expect([...types].sort()).toEqual(['DLP', 'Malware']);
  const status = (await (await fetch(`${host.url}/api/v1/cls/status`)).json()) as {
    running: boolean;
    sinks: Array<{ sinkId: string; state: string }>;
  };
  expect(status.running).toBe(true);
  expect(host.cls?.status().running).toBe(true);
  expect(status.sinks.map((sink) => sink.sinkId).sort()).toEqual([logDemoIds.file, logDemoIds.syslog]);
  const metrics = await (await fetch(`${host.url}/metrics`)).text();
  expect(metrics).toContain('ce_cls_');
}

describe('freshenFeedDates', () => {
  it('moves every date by whole days so that the newest is yesterday', () => {
    const text = '"2020-01-30 10:00:00","x","2020-02-01"\n# 2020-01-01 header\n';
    const now = Date.UTC(2026, 10, 22, 6, 30);
    expect(freshenFeedDates(text, now)).toBe('"2026-11-19 10:00:00","x","2026-11-21"\n# 2026-10-21 header\n');
    expect(freshenFeedDates('no dates', now)).toBe('no dates');
  });
});

describe('the demo', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ce-demo-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('defaults to SQLite in <dataDir>/demo.db on loopback port 8080', () => {
    const config = demoHostConfig({ dataDir, env: {} });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir,
      storage: { kind: 'sqlite', path: join(dataDir, 'demo.db') },
      demo: true,
    });
    expect(demoHostConfig({ dataDir, env: { PORT: '0' } }).port).toBe(0);
  });

  it('pulls the sample feeds and both tenants, shares into both tenants, and does it again after a restart', async () => {
    const logger = createMemoryLogger();
    const config = demoHostConfig({ dataDir, env: { PORT: '0' } });

    const first = await startReferenceHost({ config, logger });
    try {
      expect(first.applied.added).toEqual(demoIds);
      expect(first.appliedThreatSettings.sharingRules.added).toEqual([
        'feeds-to-netskope',
        'feeds-to-crowdstrike',
        'crowdstrike-to-netskope',
        'netskope-to-crowdstrike',
        'phishing-to-taxii-partner',
        'botnet-to-misp',
      ]);
      expect(first.demo?.sampleApiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${first.url}/healthz`);
      expect(await health.json()).toMatchObject({
        status: 'ok',
        storage: { kind: 'sqlite', durable: true },
        modules: ['cte', 'cls', 'cto'],
        configurations: { total: 12, enabled: 12 },
      });
      const check = await fetch(`${first.url}/api/v1/configurations/${demoConfigurationId}/check`, {
        method: 'POST',
      });
      expect(await check.json()).toEqual({ ok: true, message: 'connected to tenant demo (API 1.0)' });

      const { feedsList, falconList, pushed } = await sharedIntoBothTenants(first);
      // The one sample entry on a documentation address is suppressed, so never shared.
      expect(feedsList.some((entry) => entry.includes('192.0.2.44'))).toBe(false);
      expect(feedsList).toContain('docs-share-secure.ru/view/shared_document.html');
      expect(falconList).toEqual(
        expect.arrayContaining(['update-check-service.ru', '*.update-check-service.ru', '103.251.167.20']),
      );
      // Falcon reported the Pikabot address too: it is not echoed back to Falcon.
      expect(pushed).not.toContain('185.141.63.120');
      expect(pushed).toEqual(expect.arrayContaining(['91.215.85.17', 'a8053542e8fd487fb2dd68d132806d82']));

      const suppressed = (await (await fetch(`${first.url}/api/v1/indicators?suppressed=true`)).json()) as {
        items: unknown[];
      };
      expect(suppressed.items).toEqual([
        expect.objectContaining({ type: 'url', value: 'http://192.0.2.44/bins/sora.arm7' }),
      ]);
      const merged = (await (await fetch(`${first.url}/api/v1/indicators/ipv4/185.141.63.120`)).json()) as {
        indicator: { sources: Array<{ sourceId: string }> };
      };
      expect(merged.indicator.sources.map((source) => source.sourceId).sort()).toEqual([
        threatDemoIds.crowdstrike,
        threatDemoIds.feodo,
      ]);
      const metrics = await (await fetch(`${first.url}/metrics`)).text();
      expect(metrics).toContain('ce_indicators{state="suppressed"} 1\n');
      expect(metrics).toMatch(/ce_indicators_ingested_total\{source="demo-urlhaus",outcome="new"\} 7\n/);
      expect(metrics).toMatch(/ce_indicators_shared_total\{rule="feeds-to-netskope"\} \d+\n/);

      const stored = await (await fetch(`${first.url}/api/v1/configurations/${demoConfigurationId}`)).text();
      expect(stored).not.toContain('sample-demo-token');

      await exchangesWithTaxii(first);
      await exchangesWithMisp(first);
      await shipsLogs(first, dataDir);
    } finally {
      await first.stop();
    }

    const keyFile = join(dataDir, 'secret.key');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'demo.db'))).isFile()).toBe(true);
    const key = await readFile(keyFile, 'utf8');

    // Every server comes back on another port and the tenants start empty: the stored
    // configurations follow the servers, the secrets stored by the first run are still readable
    // with the same key, and the rules share everything again.
    const second = await startReferenceHost({ config, logger });
    try {
      // Every server's port changed; the alert file's settings did not.
      expect(second.applied.updated).toEqual(demoIds.filter((id) => id !== logDemoIds.file));
      expect(second.applied.unchanged).toEqual([logDemoIds.file]);
      const check = await fetch(`${second.url}/api/v1/configurations/${demoConfigurationId}/check`, {
        method: 'POST',
      });
      expect(await check.json()).toMatchObject({ ok: true });
      await sharedIntoBothTenants(second);
    } finally {
      await second.stop();
    }
    expect(await readFile(keyFile, 'utf8')).toBe(key);
    expect(
      logger.records.filter((record) => record.message.startsWith('generated a secret key')),
    ).toHaveLength(1);
    const log = JSON.stringify(logger.records);
    for (const secret of [
      'sample-demo-token',
      'netskope-demo-token',
      'demo-falcon-client-secret-0123456789',
      'demo-taxii-partner-token-0123456789',
      'demoMispAutomationKey0123456789abcdefABCD',
    ])
      expect(log).not.toContain(secret);
  }, 120_000);
});
