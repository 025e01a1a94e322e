/**
 * The threat exchange part of the offline demo, all in-process on loopback: a feed server with
 * the bundled sample feeds (URLhaus CSV, OpenPhish text, Feodo Tracker CSV), a mock Netskope
 * tenant with a few malsite and malware alerts, and a mock CrowdStrike Falcon tenant with a few
 * custom IOCs. It describes the plugin configurations that use them, saved lists, source
 * policies and sharing rules both ways:
 *
 * | rule | from | to |
 * | --- | --- | --- |
 * | `feeds-to-netskope` | the three feeds | Netskope URL list `CE_Feeds_Block` (URLs, domains, host names) |
 * | `feeds-to-crowdstrike` | the three feeds | Falcon IOCs, `detect` (IPs, domains, hashes of high severity) |
 * | `crowdstrike-to-netskope` | Falcon IOCs | Netskope URL list `CE_Falcon_IOCs` (domains, IPs) |
 * | `netskope-to-crowdstrike` | Netskope alerts | Falcon IOCs, `detect` (hashes, host names) |
 * | `phishing-to-taxii-partner` | the `Phishing_URLs` list | the TAXII partner's `ce-shared` collection |
 * | `botnet-to-misp` | the `Botnet_C2` list | an event of the mock MISP instance |
 *
 * A mock MISP instance holds an event of a partner's campaign that the exchange pulls.
 *
 * A TAXII 2.1 partner server offers a `partner-intel` collection the exchange pulls, and the
 * host's own TAXII server publishes the `Phishing_URLs` and `Botnet_C2` lists as collections, with
 * an inbox that ingests what partners post.
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CloudExchange, Logger } from '@ce/core';
import type { ThreatExchange } from '@ce/cte';
import {
  type CrowdStrikeMockServer,
  type CrowdStrikeMockServerOptions,
  startCrowdStrikeMockServer,
} from '@ce/plugins-crowdstrike';
import { type FeedServer, startFeedServer } from '@ce/plugins-feeds';
import { type MispMockServer, startMispMockServer } from '@ce/plugins-misp';
import { type NetskopeMockServer, startNetskopeMockServer } from '@ce/plugins-netskope';
import type { ThreatSettings } from '../apply-threat-settings.js';
import type { HostPluginConfig } from '../config.js';
import type { HostTaxiiConfig } from '../taxii-config.js';
import {
  listsSectionSchema,
  sharingRulesSectionSchema,
  sourcePoliciesSectionSchema,
} from '../threat-config.js';
import { startTaxiiPeer, type TaxiiPeer, taxiiPeerCollections } from './taxii-peer.js';

/** Ids of the demo's threat exchange configurations. */
export const threatDemoIds = {
  urlhaus: 'demo-urlhaus',
  openphish: 'demo-openphish',
  feodo: 'demo-feodo',
  netskope: 'demo-netskope',
  crowdstrike: 'demo-crowdstrike',
  taxiiPartner: 'demo-taxii-partner',
  taxiiShare: 'demo-taxii-share',
  taxiiInbox: 'demo-taxii-inbox',
  misp: 'demo-misp',
} as const;

/** The collections of the host's own TAXII server in the demo. */
export const threatDemoTaxiiCollections = {
  phishing: '0f9e8d7c-6b5a-4493-8271-605f4e3d2c1b',
  botnet: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
  inbox: '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e',
} as const;

/** The Netskope URL lists the demo's rules fill. */
export const threatDemoUrlLists = { feeds: 'CE_Feeds_Block', falcon: 'CE_Falcon_IOCs' } as const;

// Credentials of loopback-only toy tenants, not of real ones.
const netskopeToken = 'netskope-demo-token';
const falconClientId = 'demo-falcon-client-id';
const falconClientSecret = 'demo-falcon-client-secret-0123456789';
const mispApiKey = 'demoMispAutomationKey0123456789abcdefABCD';

/** The MISP event of the demo: a partner's phishing campaign, from the last hours before `now`. */
function mispEvents(now: number) {
  const at = (hoursAgo: number): number => Math.floor(now / 1_000) - hoursAgo * 3_600;
  return [
    {
      info: 'Partner report: credential phishing wave',
      threat_level_id: '1' as const,
      analysis: '2' as const,
      timestamp: at(2),
      tags: ['tlp:green', 'misp-galaxy:threat-actor="Demo Spider"'],
      attributes: [
        { type: 'url', value: 'https://sso-verify-account.top/login', timestamp: at(2), tags: ['phishing'] },
        {
          type: 'domain|ip',
          value: 'mailer-relay-cdn.xyz|91.242.217.60',
          timestamp: at(2),
          tags: ['botnet-c2'],
        },
        {
          type: 'sha256',
          value: '9b1c6e4f2d8a7b3c5e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d',
          timestamp: at(2),
        },
        { type: 'comment', value: 'Seen in mail to finance staff', to_ids: false, timestamp: at(2) },
      ],
    },
  ];
}

/** The bundled sample feeds and where the feed server serves each, mirroring the public URL. */
const sampleFeeds = [
  {
    id: threatDemoIds.urlhaus,
    name: 'URLhaus (demo sample)',
    preset: 'urlhaus',
    file: 'urlhaus-csv-recent.csv',
    path: '/urlhaus.abuse.ch/downloads/csv_recent/',
    contentType: 'text/csv',
  },
  {
    id: threatDemoIds.openphish,
    name: 'OpenPhish (demo sample)',
    preset: 'openphish',
    file: 'openphish-feed.txt',
    path: '/openphish.com/feed.txt',
    contentType: 'text/plain',
  },
  {
    id: threatDemoIds.feodo,
    name: 'Feodo Tracker (demo sample)',
    preset: 'feodo-csv',
    file: 'feodo-ipblocklist.csv',
    path: '/feodotracker.abuse.ch/downloads/ipblocklist.csv',
    contentType: 'text/csv',
  },
] as const;

const dayMs = 86_400_000;

/**
 * Moves every `YYYY-MM-DD` date of a sample feed by whole days so that the newest is yesterday
 * (UTC): the samples then stay recent, and their indicators unexpired, whenever the demo runs.
 */
export function freshenFeedDates(text: string, now: number): string {
  const datePattern = /\b(\d{4})-(\d{2})-(\d{2})\b/g;
  let newest = Number.NEGATIVE_INFINITY;
  for (const match of text.matchAll(datePattern))
    newest = Math.max(newest, Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  if (!Number.isFinite(newest)) return text;
  const shift = Math.floor(now / dayMs) * dayMs - dayMs - newest;
  return text.replace(datePattern, (_match, year: string, month: string, day: string) =>
    new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)) + shift).toISOString().slice(0, 10),
  );
}

/** The directory of the sample feeds, whether run from `src/` or from the bundle in `dist/`. */
function feedsDirectory(): string {
  const candidates = [new URL('./feeds/', import.meta.url), new URL('../src/demo/feeds/', import.meta.url)];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error('the demo feeds are missing from the reference host package (src/demo/feeds)');
  return fileURLToPath(found);
}

const sha256 = {
  loader: '66aa92938efd9431265baca1690c694a25c91e6200dddb8ceb97ef213c7eed87',
  ransomware: 'e0a8a7939e980ba1ac909020c9d77b68bfea8fc84da592d57f959b7fdf41b06f',
  stealer: 'f1f777b107d3a56e4967b0480b27d34691a64df0a9eac152898bd7a144eb0abc',
};
const md5 = { stealer: '34c78925130b0cf7040e82d0b0f9a4b9', dropper: 'a8053542e8fd487fb2dd68d132806d82' };

/** Alerts of the mock Netskope tenant, from the last hours before `now`. */
function netskopeAlerts(now: number) {
  const at = (hoursAgo: number): number => Math.floor(now / 1_000) - hoursAgo * 3_600;
  return {
    malsite: [
      {
        _id: 'demo-ms-1',
        alert_type: 'malsite',
        alert_name: 'Malsite blocked',
        action: 'block',
        url: 'login-secure-update.top/account/verify.php',
        dsthost: 'login-secure-update.top',
        malsite_category: ['Phishing'],
        malsite_confidence: 90,
        severity: 'high',
        timestamp: at(5),
        user: 'analyst@corp.invalid',
      },
      {
        _id: 'demo-ms-2',
        alert_type: 'malsite',
        alert_name: 'Malsite blocked',
        action: 'block',
        url: 'http://payload-mirror.top/dl/stage2.bin',
        dsthost: 'payload-mirror.top',
        malsite_category: ['Malware'],
        malsite_confidence: 95,
        severity: 'critical',
        timestamp: at(3),
      },
      {
        _id: 'demo-ms-3',
        alert_type: 'malsite',
        alert_name: 'Malsite alert',
        action: 'alert',
        dsthost: 'beacon-metrics.xyz',
        malsite_category: ['Command and Control'],
        malsite_confidence: 80,
        severity: 'high',
        timestamp: at(2),
      },
    ],
    malware: [
      {
        _id: 'demo-mw-1',
        alert_type: 'malware',
        alert_name: 'Malware blocked',
        action: 'block',
        file_name: 'invoice_2026.pdf.exe',
        local_md5: md5.stealer,
        local_sha256: sha256.stealer,
        malware_name: 'Gen:Stealer.Demo',
        malware_severity: 'critical',
        malware_type: 'Infostealer',
        severity: 'critical',
        timestamp: at(4),
      },
      {
        _id: 'demo-mw-2',
        alert_type: 'malware',
        alert_name: 'Malware detected',
        action: 'alert',
        file_name: 'setup_helper.msi',
        local_md5: md5.dropper,
        malware_name: 'Gen:Dropper.Demo',
        malware_severity: 'high',
        malware_type: 'Dropper',
        severity: 'high',
        timestamp: at(1),
      },
    ],
  };
}

/** Custom IOCs of the mock Falcon tenant, as an analyst would have entered them. */
const falconIndicators: NonNullable<CrowdStrikeMockServerOptions['indicators']> = [
  {
    type: 'domain',
    value: 'update-check-service.ru',
    action: 'detect',
    severity: 'high',
    source: 'Falcon Intelligence',
    description: 'Loader C2 domain',
    tags: ['loader', 'c2'],
    platforms: ['windows', 'mac', 'linux'],
  },
  {
    // Also on the Feodo Tracker sample: the exchange merges both reports into one indicator.
    type: 'ipv4',
    value: '185.141.63.120',
    action: 'detect',
    severity: 'critical',
    source: 'Falcon Intelligence',
    description: 'Pikabot C2 server',
    tags: ['pikabot'],
    platforms: ['windows', 'mac', 'linux'],
  },
  {
    type: 'ipv4',
    value: '103.251.167.20',
    action: 'detect',
    severity: 'high',
    source: 'SOC triage',
    description: 'Exfiltration endpoint seen in incident IR-2291',
    tags: ['exfiltration'],
    platforms: ['windows', 'linux'],
  },
  {
    type: 'sha256',
    value: sha256.ransomware,
    action: 'prevent',
    severity: 'critical',
    source: 'SOC triage',
    description: 'Ransomware dropper',
    tags: ['ransomware'],
    platforms: ['windows'],
  },
  {
    type: 'sha256',
    value: sha256.loader,
    action: 'detect',
    severity: 'high',
    source: 'Falcon Intelligence',
    description: 'Loader sample',
    tags: ['loader'],
    platforms: ['windows'],
  },
];

/** Options of {@link startThreatDemo}. */
export interface ThreatDemoOptions {
  /**
   * How often the demo's sources are pulled.
   * @default 60000 (1 minute)
   */
  pullIntervalMs?: number;
  /**
   * How often the demo's sharing rules run (they also run as soon as a pull brings something new).
   * @default 30000 (30 seconds)
   */
  shareIntervalMs?: number;
  /** Time source for the samples' dates and the alerts' timestamps. @default Date.now */
  now?: () => number;
}

/** The threat exchange demo's running parts. */
export interface ThreatDemoServices {
  /** The feed server with the sample feeds. */
  readonly feeds: FeedServer;
  /** The mock Netskope tenant: its URL lists show what the exchange shared. */
  readonly netskope: NetskopeMockServer;
  /** The mock Falcon tenant: its IOCs show what the exchange shared. */
  readonly crowdStrike: CrowdStrikeMockServer;
  /** The mock MISP instance: its events show what the exchange shared. */
  readonly misp: MispMockServer;
  /** The TAXII partner: its `ce-shared` collection shows what the exchange shared. */
  readonly taxiiPeer: TaxiiPeer;
  /** The host's own TAXII server: the demo's lists as collections, and an inbox. */
  readonly taxii: HostTaxiiConfig;
  /** Plugin configurations of the feeds and both tenants (each tenant is a source and a destination). */
  readonly configurations: HostPluginConfig[];
  /** Lists, source policies and sharing rules, applied like the configuration file's. */
  readonly settings: ThreatSettings;
  /** Stops the servers. */
  close(): Promise<void>;
}

/**
 * Starts the feed server and both mock tenants on 127.0.0.1 (ephemeral ports) and describes the
 * demo's configurations and sharing rules. The tenants start empty of shared data at every run,
 * so the host applies the rules with `reshare`.
 *
 * @example
 * ```ts
 * const demo = await startThreatDemo();
 * await applyPluginConfigurations(exchange, demo.configurations, { actor: 'demo' });
 * await applyThreatSettings(exchange, exchange.modules.cte, demo.settings, { actor: 'demo', reshare: true });
 * ```
 */
export async function startThreatDemo(options: ThreatDemoOptions = {}): Promise<ThreatDemoServices> {
  const now = options.now ?? Date.now;
  const pullInterval = options.pullIntervalMs ?? 60_000;
  const shareInterval = options.shareIntervalMs ?? 30_000;
  const started: Array<{ close(): Promise<void> }> = [];
  try {
    const feeds = await startFeedServer({ presets: false });
    started.push(feeds);
    const directory = feedsDirectory();
    for (const feed of sampleFeeds) {
      const body = freshenFeedDates(readFileSync(`${directory}${feed.file}`, 'utf8'), now());
      feeds.setFeed(feed.path, { body, contentType: feed.contentType });
    }
    const netskope = await startNetskopeMockServer({
      token: netskopeToken,
      alerts: netskopeAlerts(now()),
      now,
    });
    started.push(netskope);
    const crowdStrike = await startCrowdStrikeMockServer({
      clientId: falconClientId,
      clientSecret: falconClientSecret,
      indicators: falconIndicators,
    });
    started.push(crowdStrike);
    const taxiiPeer = await startTaxiiPeer(now);
    started.push(taxiiPeer);
    const misp = await startMispMockServer({ apiKey: mispApiKey, events: mispEvents(now()), now });
    started.push(misp);

    const feedIds = sampleFeeds.map((feed) => feed.id);
    const configurations: HostPluginConfig[] = [
      ...sampleFeeds.map((feed) => ({
        id: feed.id,
        pluginId: 'feed',
        name: feed.name,
        enabled: true,
        interval: pullInterval,
        config: { preset: feed.preset, url: feeds.feedUrl(feed.path) },
      })),
      {
        id: threatDemoIds.netskope,
        pluginId: 'netskope',
        name: 'Netskope (demo tenant)',
        enabled: true,
        interval: pullInterval,
        config: {
          tenant: netskope.url,
          apiToken: netskopeToken,
          // The mock tenant's iterator cursors start afresh at every run: so does the index.
          iteratorIndex: `ce_demo_${now().toString(36)}`,
        },
      },
      {
        id: threatDemoIds.crowdstrike,
        pluginId: 'crowdstrike',
        name: 'CrowdStrike Falcon (demo tenant)',
        enabled: true,
        interval: pullInterval,
        config: {
          baseUrl: crowdStrike.url,
          clientId: falconClientId,
          clientSecret: falconClientSecret,
          push: { source: 'Cloud Exchange', tags: ['cloud-exchange-demo'] },
        },
      },
      {
        id: threatDemoIds.misp,
        pluginId: 'misp',
        name: 'MISP (demo instance)',
        enabled: true,
        interval: pullInterval,
        config: { baseUrl: misp.url, apiKey: mispApiKey },
      },
      {
        id: threatDemoIds.taxiiPartner,
        pluginId: 'taxii',
        name: 'TAXII partner intelligence (demo)',
        enabled: true,
        interval: pullInterval,
        config: {
          url: taxiiPeer.url,
          collection: 'partner-intel',
          auth: { kind: 'bearer', token: taxiiPeer.token },
        },
      },
      {
        id: threatDemoIds.taxiiShare,
        pluginId: 'taxii',
        name: 'TAXII partner, shared collection (demo)',
        enabled: true,
        interval: pullInterval,
        modules: ['cte'],
        config: {
          url: taxiiPeer.url,
          collection: taxiiPeerCollections.shared,
          auth: { kind: 'bearer', token: taxiiPeer.token },
        },
      },
    ];

    // Parsed with the configuration file's schemas: the demo's settings are what a file would hold.
    const settings: ThreatSettings = {
      lists: listsSectionSchema.parse([
        {
          name: 'Phishing_URLs',
          description: 'Phishing URLs from every source',
          rule: 'type = "url" and tags contains "phishing"',
        },
        {
          name: 'Botnet_C2',
          description: 'Command-and-control addresses',
          rule: 'tags contains "botnet-c2"',
        },
      ]),
      sourcePolicies: sourcePoliciesSectionSchema.parse({
        [threatDemoIds.crowdstrike]: { rank: 10, tags: ['falcon'] },
        [threatDemoIds.taxiiPartner]: { rank: 30, tags: ['taxii-partner'] },
        [threatDemoIds.misp]: { rank: 30, tags: ['misp'] },
        [threatDemoIds.netskope]: { rank: 20, tags: ['netskope-alert'] },
        [threatDemoIds.feodo]: { rank: 40 },
        [threatDemoIds.urlhaus]: { rank: 50 },
        [threatDemoIds.openphish]: { rank: 50 },
      }),
      sharingRules: sharingRulesSectionSchema.parse([
        {
          id: 'feeds-to-netskope',
          name: 'Feeds to the Netskope URL list',
          sources: feedIds,
          filter: 'type in ("url", "domain", "hostname")',
          destination: {
            configId: threatDemoIds.netskope,
            action: 'url-list',
            parameters: { listName: threatDemoUrlLists.feeds },
          },
          interval: shareInterval,
        },
        {
          id: 'feeds-to-crowdstrike',
          name: 'Severe feed indicators to Falcon',
          sources: feedIds,
          filter: 'severity >= "high"',
          destination: { configId: threatDemoIds.crowdstrike, action: 'detect' },
          interval: shareInterval,
        },
        {
          id: 'crowdstrike-to-netskope',
          name: 'Falcon IOCs to the Netskope URL list',
          sources: [threatDemoIds.crowdstrike],
          destination: {
            configId: threatDemoIds.netskope,
            action: 'url-list',
            parameters: { listName: threatDemoUrlLists.falcon },
          },
          interval: shareInterval,
        },
        {
          id: 'netskope-to-crowdstrike',
          name: 'Netskope alerts to Falcon',
          sources: [threatDemoIds.netskope],
          destination: { configId: threatDemoIds.crowdstrike, action: 'detect' },
          interval: shareInterval,
        },
        {
          id: 'phishing-to-taxii-partner',
          name: 'Phishing URLs to the TAXII partner',
          list: 'Phishing_URLs',
          destination: { configId: threatDemoIds.taxiiShare, action: 'add-to-collection' },
          interval: shareInterval,
        },
        {
          id: 'botnet-to-misp',
          name: 'Botnet C2 addresses to MISP',
          list: 'Botnet_C2',
          destination: {
            configId: threatDemoIds.misp,
            action: 'add-to-event',
            parameters: { eventInfo: 'Cloud Exchange: botnet C2', tags: ['tlp:amber'] },
          },
          interval: shareInterval,
        },
      ]),
    };
    const taxii: HostTaxiiConfig = {
      basePath: '/taxii2/',
      title: 'Cloud Exchange (demo)',
      collections: [
        {
          id: threatDemoTaxiiCollections.phishing,
          alias: 'phishing-urls',
          title: 'Phishing URLs',
          list: 'Phishing_URLs',
        },
        { id: threatDemoTaxiiCollections.botnet, alias: 'botnet-c2', title: 'Botnet C2', list: 'Botnet_C2' },
      ],
      inboxes: [
        {
          id: threatDemoTaxiiCollections.inbox,
          alias: 'inbox',
          title: 'Partner submissions',
          sourceId: threatDemoIds.taxiiInbox,
          writers: '*',
        },
      ],
    };

    return {
      feeds,
      netskope,
      crowdStrike,
      taxiiPeer,
      taxii,
      misp,
      configurations,
      settings,
      close: async () => {
        await Promise.all(started.map((server) => server.close()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((server) => server.close().catch(() => undefined)));
    throw error;
  }
}

/** What {@link shareOnIngest} returns. */
export interface ShareOnIngest {
  /** Stops listening and waits for the runs it started. */
  stop(): Promise<void>;
}

/**
 * Runs a sharing rule shortly after one of its sources brought new or changed indicators, on top
 * of the rule's schedule, so that the demo shows a pull and the shares it causes within seconds.
 * Runs are debounced per rule; a host with busy sources would rely on the schedule alone.
 */
export function shareOnIngest(
  exchange: CloudExchange,
  cte: ThreatExchange,
  rules: ReadonlyArray<{ id: string; sources: ReadonlyArray<string> }>,
  logger: Logger,
  delayMs = 500,
): ShareOnIngest {
  const timers = new Map<string, NodeJS.Timeout>();
  const running = new Set<Promise<unknown>>();
  let stopped = false;
  const nudge = (sourceId: string | undefined): void => {
    if (sourceId === undefined || stopped) return;
    for (const candidate of rules) {
      // A rule without sources takes every source's indicators.
      if (candidate.sources.length > 0 && !candidate.sources.includes(sourceId)) continue;
      clearTimeout(timers.get(candidate.id));
      const timer = setTimeout(() => {
        timers.delete(candidate.id);
        if (stopped) return;
        const run = cte
          .share(candidate.id)
          .catch((error: unknown) => logger.warn('demo sharing run failed', { ruleId: candidate.id, error }))
          .finally(() => running.delete(run));
        running.add(run);
      }, delayMs);
      timer.unref();
      timers.set(candidate.id, timer);
    }
  };
  const unsubscribe = [
    exchange.events.on('indicator-added', (event) => nudge(event.sourceId)),
    exchange.events.on('indicator-updated', (event) => nudge(event.sourceId)),
  ];
  return {
    async stop() {
      stopped = true;
      for (const off of unsubscribe) off();
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      await Promise.all([...running]);
    },
  };
}
