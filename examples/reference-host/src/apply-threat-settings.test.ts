import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, createMemoryLogger } from '@ce/core';
import { type NetskopeMockServer, startNetskopeMockServer } from '@ce/plugins-netskope';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type HostConfigFile, resolveHostConfig } from './config.js';
import { startReferenceHost } from './reference-host.js';

const token = 'netskope-file-token-0123';
let netskope: NetskopeMockServer;
let dir: string;

beforeAll(async () => {
  netskope = await startNetskopeMockServer({ token, requestsPerSecond: 1_000 });
});
afterAll(async () => {
  await netskope.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ce-threat-settings-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const mispList = {
  name: 'Corporate hosts',
  version: 2,
  description: 'Our own hosts',
  matching_attributes: ['domain', 'hostname', 'url'],
  type: 'hostname',
  list: ['corp-intranet.xyz'],
};

describe('the cte section', () => {
  it('becomes module options, with expiry and retention in the policy and the MISP files read', async () => {
    await writeFile(join(dir, 'corp-hosts.json'), JSON.stringify(mispList));
    const config = resolveHostConfig(
      {
        cte: {
          policy: { severityStrategy: 'highest' },
          expiry: { default: '60d', url: '7d' },
          retention: '14d',
          decay: { lifetime: '30d', threshold: 20 },
          warninglists: ['corp-hosts.json'],
          builtInWarninglists: false,
          agingInterval: '10m',
          defaultPullInterval: '2h',
        },
      },
      { env: {}, baseDir: dir },
    );
    expect(config.cte.warninglistFiles).toEqual([join(dir, 'corp-hosts.json')]);
    expect(config.cte.options).toMatchObject({
      policy: {
        severityStrategy: 'highest',
        expiry: { default: 60 * 86_400_000, url: 7 * 86_400_000 },
        retention: 14 * 86_400_000,
      },
      decay: { lifetime: 30 * 86_400_000, threshold: 20, baseScore: 80 },
      builtInWarninglists: false,
      agingIntervalMs: 600_000,
      defaultPullIntervalMs: 7_200_000,
      warninglists: [
        { id: 'corp-hosts', name: 'Corporate hosts', matchType: 'hostname', entries: ['corp-intranet.xyz'] },
      ],
    });
    expect(resolveHostConfig({ cte: null }, { env: {} }).cte.options).toMatchObject({
      builtInWarninglists: true,
      warninglists: [],
    });
  });

  it('names every problem of the threat exchange sections by its path', async () => {
    await writeFile(
      join(dir, 'broken.json'),
      JSON.stringify({ name: 'Broken', description: 'x', type: 'fuzzy', list: [] }),
    );
    const error = configError(() =>
      resolveHostConfig(
        {
          cte: {
            policy: { severityStrategy: 'loudest' },
            expiry: { colour: '1d' },
            retention: 'forever',
            warninglists: ['missing.json', 'broken.json'],
          },
          sharingRules: [
            { id: 'a', destination: { action: 'url-list' } },
            { id: 'a', destination: { configId: 'ns', action: 'url-list' }, filter: 'severity >=' },
          ],
          lists: [{ name: 'x', rule: 'type = ' }],
          sourcePolicies: { feed: { rank: 0 } },
        },
        { env: {}, baseDir: dir },
      ),
    );
    expect(error.issues.map((issue) => issue.path).sort()).toEqual([
      'cte.expiry.colour',
      'cte.policy.severityStrategy',
      'cte.retention',
      'lists[0].rule',
      'sharingRules[0].destination.configId',
      'sharingRules[1].filter',
      'sourcePolicies.feed.rank',
    ]);
    // The files are read once the sections themselves are valid.
    const files = configError(() =>
      resolveHostConfig(
        {
          cte: { warninglists: ['missing.json', 'broken.json'] },
          sharingRules: [
            { id: 'a', destination: { configId: 'ns', action: 'url-list' } },
            { id: 'a', destination: { configId: 'ns', action: 'url-list' } },
          ],
        },
        { env: {}, baseDir: dir },
      ),
    );
    expect(files.issues).toEqual([
      { path: 'sharingRules[1].id', reason: 'duplicate sharing rule id "a"' },
      { path: 'cte.warninglists[0]', reason: expect.stringContaining('ENOENT') },
      { path: 'cte.warninglists[1]', reason: expect.stringMatching(/broken\.json: .*type/) },
    ]);
  });
});

describe('applying the threat exchange sections at start', () => {
  function file(overrides: Partial<HostConfigFile> = {}): HostConfigFile {
    return {
      port: 0,
      dataDir: dir,
      storage: { kind: 'sqlite', path: 'ce.db' },
      secretKey: 'a-test-secret-key-0123456789',
      plugins: [
        { id: 'ns', pluginId: 'netskope', enabled: false, config: { tenant: netskope.url, apiToken: token } },
      ],
      cte: { warninglists: ['corp-hosts.json'] },
      lists: [{ name: 'Phishing_URLs', rule: 'type = "url" and tags contains "phishing"' }],
      sourcePolicies: { analyst: { rank: 5, tags: ['analyst'] } },
      sharingRules: [
        {
          id: 'phishing-to-netskope',
          enabled: false,
          list: 'Phishing_URLs',
          destination: { configId: 'ns', action: 'url-list', parameters: { listName: 'CE_File_Rule' } },
          interval: '10m',
        },
      ],
      ...overrides,
    };
  }

  it('adds lists, policies and rules, writes nothing when they are unchanged, and updates what changed', async () => {
    await writeFile(join(dir, 'corp-hosts.json'), JSON.stringify(mispList));
    const logger = createMemoryLogger({ level: 'error' });
    const config = resolveHostConfig(file(), { env: {}, baseDir: dir });
    const first = await startReferenceHost({ config, logger, checkIntervalMs: 0 });
    try {
      expect(first.appliedThreatSettings).toEqual({
        lists: { added: ['Phishing_URLs'], updated: [], unchanged: [] },
        sourcePolicies: { added: [], updated: ['analyst'], unchanged: [] },
        sharingRules: { added: ['phishing-to-netskope'], updated: [], unchanged: [] },
      });
      expect(first.cte.getSourcePolicy('analyst')).toMatchObject({ rank: 5, tags: ['analyst'] });
      const rule = await first.cte.getSharingRule('phishing-to-netskope');
      expect(rule).toMatchObject({
        interval: 600_000,
        destination: { parameters: { listName: 'CE_File_Rule', listType: 'exact' } },
      });
      // The MISP warninglist from the file suppresses what it lists.
      const report = await first.cte.ingest(
        'analyst',
        'https://corp-intranet.xyz/login\nhttps://phish-portal.top/login\n',
      );
      expect(report).toMatchObject({ new: 2, suppressed: { count: 1, byList: { 'corp-hosts': 1 } } });
      const run = await first.cte.share('phishing-to-netskope');
      expect(run.shared).toBe(0);
    } finally {
      await first.stop();
    }

    const second = await startReferenceHost({ config, logger, checkIntervalMs: 0 });
    try {
      expect(second.appliedThreatSettings).toEqual({
        lists: { added: [], updated: [], unchanged: ['Phishing_URLs'] },
        sourcePolicies: { added: [], updated: [], unchanged: ['analyst'] },
        sharingRules: { added: [], updated: [], unchanged: ['phishing-to-netskope'] },
      });
    } finally {
      await second.stop();
    }

    const changed = resolveHostConfig(file({ lists: [{ name: 'Phishing_URLs', rule: 'type = "url"' }] }), {
      env: {},
      baseDir: dir,
    });
    const third = await startReferenceHost({ config: changed, logger, checkIntervalMs: 0 });
    try {
      expect(third.appliedThreatSettings.lists.updated).toEqual(['Phishing_URLs']);
      expect(third.appliedThreatSettings.sharingRules.unchanged).toEqual(['phishing-to-netskope']);
      expect(await third.cte.share('phishing-to-netskope')).toMatchObject({ shared: 1 });
      expect(netskope.tenant.urlList('CE_File_Rule')?.deployed?.urls).toEqual(['phish-portal.top/login']);
    } finally {
      await third.stop();
    }
  });

  it('refuses rules whose destination, action, parameters or list do not exist, before writing anything', async () => {
    await writeFile(join(dir, 'corp-hosts.json'), JSON.stringify(mispList));
    const config = resolveHostConfig(
      file({
        sharingRules: [
          { id: 'a', destination: { configId: 'nowhere', action: 'url-list' } },
          { id: 'b', destination: { configId: 'ns', action: 'fax' } },
          { id: 'c', destination: { configId: 'ns', action: 'url-list', parameters: { listType: 'fuzzy' } } },
          {
            id: 'd',
            list: 'Missing',
            destination: { configId: 'ns', action: 'url-list', parameters: { listName: 'L' } },
          },
        ],
      }),
      { env: {}, baseDir: dir, source: 'host.yaml' },
    );
    const error = await startReferenceHost({
      config,
      logger: createMemoryLogger({ level: 'fatal' }),
      checkIntervalMs: 0,
    }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('invalid configuration file host.yaml');
    expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual([
      'sharingRules[0].destination.configId',
      'sharingRules[1].destination.action',
      'sharingRules[2].destination.parameters.listName',
      'sharingRules[2].destination.parameters.listType',
      'sharingRules[3].list',
    ]);
    const next = await startReferenceHost({
      config: resolveHostConfig(file({ sharingRules: [] }), { env: {}, baseDir: dir }),
      logger: createMemoryLogger({ level: 'fatal' }),
      checkIntervalMs: 0,
    });
    try {
      expect(next.appliedThreatSettings.lists.added).toEqual(['Phishing_URLs']);
    } finally {
      await next.stop();
    }
  });
});
