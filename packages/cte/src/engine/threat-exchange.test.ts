import { CeError, type CloudExchange, createCloudExchange, createMemoryStorage, FakeClock } from '@ce/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type RecordingDestination,
  recordingDestination,
  type ScriptedSource,
  scriptedSource,
} from './test-plugins.js';
import type { ThreatExchange } from './threat-exchange.js';
import { threatExchange } from './threat-exchange-module.js';

const day = 86_400_000;

describe('ThreatExchange', () => {
  let clock: FakeClock;
  let exchange: CloudExchange;
  let cte: ThreatExchange;
  let feed: ScriptedSource;
  let list: ScriptedSource;
  let edr: RecordingDestination;
  let gateway: RecordingDestination;
  const events: Array<[string, unknown]> = [];

  beforeEach(async () => {
    clock = new FakeClock(Date.parse('2026-06-01T00:00:00Z'));
    feed = scriptedSource('feed', 'incremental');
    list = scriptedSource('list', 'full');
    edr = recordingDestination('edr', 'incremental', { maxBatchCount: 3 });
    gateway = recordingDestination('gateway', 'replace', { maxBatchCount: 1_000_000, maxTotal: 3 }, [
      'url',
      'domain',
    ]);
    exchange = await createCloudExchange({
      storage: createMemoryStorage({ clock }),
      clock,
      plugins: [feed.plugin, list.plugin, edr.plugin, gateway.plugin],
      modules: [threatExchange({ schedule: false })],
      checkIntervalMs: 0,
    });
    for (const name of [
      'indicator-added',
      'indicator-updated',
      'indicator-expired',
      'indicator-shared',
      'indicator-retracted',
      'indicator-sighted',
    ]) {
      exchange.events.on(name, (payload) => events.push([name, payload]));
    }
    await exchange.start();
    for (const id of ['feed', 'list', 'edr', 'gateway']) {
      await exchange.configurations.add({ id, pluginId: id, config: {}, interval: '1d' });
    }
    cte = exchange.modules.cte as ThreatExchange;
  });

  afterEach(async () => {
    await exchange.stop({ timeoutMs: 100 });
    events.length = 0;
  });

  describe('ingest', () => {
    it('normalizes, rejects with reasons, de-duplicates and reports', async () => {
      const report = await cte.ingest('manual', [
        { value: 'hxxp://Evil[.]Xyz:80/Path#frag', severity: 'high' },
        { value: 'http://evil.xyz/Path', tags: ['phish'] },
        { value: '203.0.113.7', type: 'ipv4' },
        { value: '010.1.1.1' },
        { value: 'not a thing at all' },
        { value: 'D41D8CD98F00B204E9800998ECF8427E' },
        { nope: true },
        { value: 'x'.repeat(20_000) },
      ]);
      expect(report).toMatchObject({ received: 8, new: 3, updated: 0, unchanged: 0, duplicates: 1 });
      expect(report.rejected.count).toBe(4);
      expect(report.rejected.byCode).toMatchObject({ 'ambiguous-ipv4': 1, 'invalid-report': 2 });
      expect(report.rejected.samples.map((sample) => sample.code)).toContain('ambiguous-ipv4');
      expect(report.suppressed.count).toBe(2);

      const details = await cte.get('http://evil.xyz/Path');
      expect(details?.indicator).toMatchObject({
        type: 'url',
        value: 'http://evil.xyz/Path',
        active: true,
      });
      expect(details?.indicator.merged).toMatchObject({ severity: 'unknown', tags: ['phish'] });
      const suppressed = await cte.get('203.0.113.7');
      expect(suppressed?.indicator.suppressedBy?.listName).toMatch(/documentation/i);
    });

    it('is idempotent on re-ingest apart from last seen and hits', async () => {
      await cte.ingest('feed-a', [{ value: 'bad.xyz', type: 'domain', severity: 'high' }]);
      const first = (await cte.get('bad.xyz'))?.indicator;
      await clock.advance(60_000);
      const again = await cte.ingest('feed-a', [{ value: 'bad.xyz', type: 'domain', severity: 'high' }]);
      expect(again).toMatchObject({ new: 0, updated: 0, unchanged: 1 });
      const second = (await cte.get('bad.xyz'))?.indicator;
      expect(second?.sources[0]?.hits).toBe(2);
      expect(second?.merged.lastSeen).toBe((first?.merged.lastSeen ?? 0) + 60_000);
      expect({ ...second?.merged, lastSeen: 0 }).toEqual({ ...first?.merged, lastSeen: 0 });
      const changed = await cte.ingest('feed-a', [
        { value: 'bad.xyz', type: 'domain', severity: 'critical' },
      ]);
      expect(changed.updated).toBe(1);
    });

    it('accepts text, one value per line', async () => {
      const report = await cte.ingest('paste', '# a comment\n\nevil.xyz\n198.51.100.4\nhxxps://x[.]xyz/a\n');
      expect(report).toMatchObject({ received: 3, new: 3 });
      expect((await cte.search({ types: ['domain'] })).items.map((i) => i.value)).toEqual(['evil.xyz']);
    });

    it('lets the most trusted source decide a safe versus malicious dispute', async () => {
      await cte.setSourcePolicy('edr-verdicts', { rank: 1 });
      await cte.setSourcePolicy('osint', { rank: 50 });
      await cte.ingest('osint', [{ value: 'disputed.xyz', type: 'domain', severity: 'high' }]);
      await cte.ingest('edr-verdicts', [{ value: 'disputed.xyz', type: 'domain', safe: true }]);
      const indicator = (await cte.get('disputed.xyz'))?.indicator;
      expect(indicator).toMatchObject({ active: false, inactiveReason: 'safe' });
      expect(indicator?.merged.verdict).toMatchObject({
        sourceId: 'edr-verdicts',
        verdict: 'safe',
        overruled: ['osint'],
      });
    });
  });

  describe('sharing', () => {
    const addRule = (fields: Record<string, unknown> = {}) =>
      cte.putSharingRule({
        id: 'to-edr',
        destination: { configId: 'edr', action: 'block' },
        interval: '1h',
        ...fields,
      });

    it('back-fills a new rule in batches, then sends only what changed', async () => {
      await cte.ingest(
        'feed',
        ['a.xyz', 'b.xyz', 'c.xyz', 'd.xyz'].map((value) => ({
          value,
          type: 'domain' as const,
        })),
      );
      await addRule();
      const first = await cte.share('to-edr');
      expect(first).toMatchObject({ shared: 4, failed: 0, retracted: 0 });
      expect(edr.pushes.map((batch) => batch.length)).toEqual([3, 1]);
      expect((await cte.get('a.xyz'))?.destinations).toEqual([
        expect.objectContaining({ destinationId: 'edr/to-edr', status: 'shared', ruleId: 'to-edr' }),
      ]);
      expect(events.filter(([name]) => name === 'indicator-shared')).toHaveLength(2);

      await cte.ingest('feed', [
        { value: 'a.xyz', type: 'domain' },
        { value: 'b.xyz', type: 'domain', severity: 'high' },
      ]);
      const second = await cte.share('to-edr');
      expect(second.shared).toBe(1);
      expect(edr.pushes.at(-1)?.map((i) => i.value)).toEqual(['b.xyz']);
      expect(await cte.share('to-edr')).toMatchObject({ considered: 0, shared: 0 });
    });

    it('records per-indicator failures, retries them later and survives a failing batch', async () => {
      await cte.ingest('feed', [
        { value: 'ok.xyz', type: 'domain' },
        { value: 'refused.xyz', type: 'domain' },
      ]);
      edr.refuse.add('refused.xyz');
      await addRule();
      expect(await cte.share('to-edr')).toMatchObject({ shared: 1, failed: 1 });
      const failed = (await cte.get('refused.xyz'))?.destinations[0];
      expect(failed).toMatchObject({
        status: 'failed',
        attempts: 1,
        lastError: { code: 'VALIDATION_FAILED', message: 'refused by destination' },
      });

      edr.refuse.clear();
      expect((await cte.share('to-edr')).shared).toBe(0);
      await clock.advance(61_000);
      expect((await cte.share('to-edr')).shared).toBe(1);

      await cte.ingest('feed', [{ value: 'later.xyz', type: 'domain' }]);
      edr.failCalls = 1;
      edr.failWith = new CeError('HTTP_NETWORK', 'connection reset');
      expect(await cte.share('to-edr')).toMatchObject({ shared: 0, failed: 1 });
      await clock.advance(61_000);
      expect(await cte.share('to-edr')).toMatchObject({ shared: 1 });

      await cte.ingest('feed', [{ value: 'denied.xyz', type: 'domain' }]);
      edr.failCalls = 1;
      edr.failWith = new CeError('HTTP_AUTH_FAILED', 'token revoked');
      await expect(cte.share('to-edr')).rejects.toMatchObject({ code: 'HTTP_AUTH_FAILED' });
      expect((await cte.get('denied.xyz'))?.destinations[0]).toMatchObject({
        status: 'failed',
        lastError: { code: 'HTTP_AUTH_FAILED' },
      });
    });

    it('never shares suppressed, test, TLP:RED or echoed indicators, and applies filters and exceptions', async () => {
      await cte.ingest('feed', [
        { value: 'high.xyz', type: 'domain', severity: 'high' },
        { value: 'low.xyz', type: 'domain', severity: 'low' },
        { value: 'red.xyz', type: 'domain', severity: 'critical', tlp: 'TLP:RED' },
        { value: 'test.xyz', type: 'domain', severity: 'critical', test: true },
        { value: 'allowed.xyz', type: 'domain', severity: 'critical', tags: ['allowlisted'] },
        { value: '10.0.0.1', type: 'ipv4', severity: 'critical' },
      ]);
      await cte.ingest('edr', [{ value: 'from-edr.xyz', type: 'domain', severity: 'critical' }]);
      await addRule({ filter: 'severity >= "high"', exceptions: ['tags contains "allowlisted"'] });
      await cte.share('to-edr');
      expect([...edr.held.keys()]).toEqual(['domain:high.xyz']);

      const why = await cte.explain('red.xyz', { ruleId: 'to-edr' });
      expect(why).toEqual([expect.objectContaining({ eligible: false, step: 'tlp' })]);
      expect((await cte.explain('from-edr.xyz'))[0]).toMatchObject({ step: 'echo' });
      expect((await cte.explain('10.0.0.1'))[0]).toMatchObject({ step: 'suppressed' });
      expect((await cte.explain('allowed.xyz'))[0]).toMatchObject({ step: 'exception' });
      expect((await cte.explain('low.xyz'))[0]).toMatchObject({
        step: 'filter',
        filter: expect.anything(),
      });
      expect((await cte.explain('high.xyz'))[0]).toMatchObject({
        eligible: true,
        state: expect.objectContaining({ status: 'shared' }),
      });

      const preview = await cte.previewSharing({
        id: 'p',
        destination: { configId: 'edr', action: 'block' },
        filter: 'severity >= "high"',
      });
      expect(preview).toMatchObject({
        total: 2,
        wouldShare: { domain: 2 },
        excluded: { tlp: 1, test: 1, echo: 1, filter: 1 },
      });
    });

    it('retracts what expired or was marked safe, and purges after retention', async () => {
      await cte.ingest('feed', [
        { value: 'old.xyz', type: 'domain' },
        { value: 'soon-safe.xyz', type: 'domain' },
      ]);
      await addRule();
      await cte.share('to-edr');
      expect(edr.held.size).toBe(2);

      await cte.ingest('feed', [{ value: 'soon-safe.xyz', type: 'domain', safe: true }]);
      await clock.advance(91 * day);
      const aging = await cte.runAging();
      expect(aging.expired).toBe(1);
      expect(events.some(([name]) => name === 'indicator-expired')).toBe(true);
      const run = await cte.share('to-edr');
      expect(run.retracted).toBe(2);
      expect(edr.held.size).toBe(0);
      expect((await cte.get('old.xyz'))?.destinations[0]).toMatchObject({ status: 'retracted' });

      await clock.advance(31 * day);
      expect(await cte.runAging()).toMatchObject({ purged: 2, retained: 0 });
      expect(await cte.get('old.xyz')).toBeUndefined();
    });

    it('keeps an expired indicator past retention while a retraction is owed', async () => {
      await cte.ingest('feed', [{ value: 'owed.xyz', type: 'domain' }]);
      await addRule();
      await cte.share('to-edr');
      await clock.advance(200 * day);
      expect(await cte.runAging()).toMatchObject({ expired: 1, purged: 0, retained: 0 });
      await clock.advance(31 * day);
      expect(await cte.runAging()).toMatchObject({ expired: 0, purged: 0, retained: 1 });
      expect(await cte.get('owed.xyz')).toBeDefined();
      expect((await cte.share('to-edr')).retracted).toBe(1);
      expect(await cte.runAging()).toMatchObject({ purged: 1, retained: 0 });
    });

    it('replaces the whole list of a replace destination, caps it, and retracts by omission', async () => {
      await cte.ingest('feed', [
        { value: 'http://one.xyz/', severity: 'low' },
        { value: 'two.xyz', type: 'domain', severity: 'critical' },
        { value: 'three.xyz', type: 'domain', severity: 'high' },
        { value: 'four.xyz', type: 'domain', severity: 'medium' },
        { value: '198.51.100.9', type: 'ipv4' },
      ]);
      await cte.putSharingRule({
        id: 'to-gw',
        destination: { configId: 'gateway', action: 'block' },
        interval: '1h',
      });
      const run = await cte.share('to-gw');
      expect(run).toMatchObject({ mode: 'full', shared: 3, overCapacity: 1 });
      expect(gateway.pushes).toHaveLength(1);
      expect([...gateway.held.keys()].sort()).toEqual([
        'domain:four.xyz',
        'domain:three.xyz',
        'domain:two.xyz',
      ]);
      expect((await cte.get('http://one.xyz/'))?.destinations[0]).toMatchObject({
        status: 'failed',
        lastError: { code: 'CONFLICT' },
      });

      expect((await cte.share('to-gw')).shared).toBe(0);
      expect(gateway.pushes).toHaveLength(1);

      await cte.setActive('two.xyz', false);
      const after = await cte.share('to-gw');
      expect(gateway.pushes).toHaveLength(2);
      expect(after.retracted).toBe(1);
      expect([...gateway.held.keys()].sort()).toEqual([
        'domain:four.xyz',
        'domain:three.xyz',
        'url:http://one.xyz/',
      ]);
    });

    it('validates rules and their action parameters, naming the field', async () => {
      await expect(
        cte.putSharingRule({ id: 'x', destination: { configId: 'edr', action: 'nuke' } }),
      ).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        issues: [{ path: 'destination.action', reason: '"edr" offers no action "nuke"' }],
      });
      await expect(
        cte.putSharingRule({ id: 'x', destination: { configId: 'feed', action: 'block' } }),
      ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      await expect(
        cte.putSharingRule({
          id: 'x',
          destination: { configId: 'edr', action: 'block', parameters: { list: 5 } },
        }),
      ).rejects.toMatchObject({
        issues: [{ path: 'destination.parameters.list', reason: expect.any(String) }],
      });
      await expect(
        cte.putSharingRule({
          id: 'x',
          filter: 'severity >=',
          destination: { configId: 'edr', action: 'block' },
        }),
      ).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        issues: [expect.objectContaining({ path: 'filter' })],
      });
      await expect(
        cte.putSharingRule({ id: 'x', list: 'missing', destination: { configId: 'edr', action: 'block' } }),
      ).rejects.toMatchObject({
        issues: [{ path: 'list', reason: 'no list named "missing"' }],
      });
    });

    it('deleting a rule retracts what it shared', async () => {
      await cte.ingest('feed', [{ value: 'gone.xyz', type: 'domain' }]);
      await addRule();
      await cte.share('to-edr');
      await cte.deleteSharingRule('to-edr');
      expect(edr.held.size).toBe(0);
      expect(await cte.listSharingRules()).toEqual([]);
      expect((await cte.get('gone.xyz'))?.destinations).toEqual([]);
    });
  });

  describe('pulls', () => {
    it('stores checkpoints per batch and resumes after a crash mid-pull', async () => {
      feed.nextPull = [
        { indicators: [{ value: 'one.xyz' }], checkpoint: 'c1' },
        { indicators: [{ value: 'two.xyz' }], checkpoint: 'c2' },
        { indicators: [{ value: 'three.xyz' }], checkpoint: 'c3' },
      ];
      feed.failAfter = 2;
      await expect(cte.pull('feed')).rejects.toMatchObject({ code: 'PLUGIN_FAILED' });
      expect(await cte.count()).toBe(2);
      feed.failAfter = undefined;
      feed.nextPull = [{ indicators: [{ value: 'three.xyz' }], checkpoint: 'c3' }];
      const report = await cte.pull('feed');
      expect(feed.startedFrom).toEqual([undefined, 'c2']);
      expect(report).toMatchObject({ batches: 1, new: 1, checkpoint: 'c3' });
    });

    it('withdraws entries that vanish from a full-list source and retracts them', async () => {
      list.nextPull = [{ indicators: [{ value: 'keep.xyz' }, { value: 'drop.xyz' }] }];
      await cte.pull('list');
      await addRuleFor('list');
      await cte.share('from-list');
      expect(edr.held.size).toBe(2);
      await clock.advance(60_000);
      list.nextPull = [{ indicators: [{ value: 'keep.xyz' }] }];
      const report = await cte.pull('list');
      expect(report.withdrawn).toBe(1);
      expect((await cte.get('drop.xyz'))?.indicator).toMatchObject({
        active: false,
        inactiveReason: 'withdrawn',
      });
      expect((await cte.share('from-list')).retracted).toBe(1);
      expect([...edr.held.keys()]).toEqual(['domain:keep.xyz']);
      // A pull that yields no batch (the feed was not modified) withdraws nothing.
      list.nextPull = [];
      expect((await cte.pull('list')).withdrawn).toBe(0);
      expect((await cte.get('keep.xyz'))?.indicator.active).toBe(true);
    });

    it('withdraws what an incremental source says it no longer reports', async () => {
      feed.nextPull = [{ indicators: [{ value: 'revoked.xyz' }, { value: 'kept.xyz' }], checkpoint: 'c1' }];
      await cte.pull('feed');
      feed.retracted.add('revoked.xyz');
      feed.nextPull = [];
      const report = await cte.pull('feed');
      expect(report.withdrawn).toBe(1);
      expect((await cte.get('revoked.xyz'))?.indicator).toMatchObject({
        active: false,
        inactiveReason: 'withdrawn',
      });
      expect((await cte.get('kept.xyz'))?.indicator.active).toBe(true);
    });

    const addRuleFor = (source: string) =>
      cte.putSharingRule({
        id: `from-${source}`,
        sources: [source],
        destination: { configId: 'edr', action: 'block' },
      });
  });

  describe('lists, sightings and search', () => {
    it('pages a list in change order, members only, with retracted members and a bounded scan', async () => {
      await cte.ingest('feed', [
        { value: 'http://a.xyz/', tags: ['phishing'] },
        { value: 'http://not-a-member.xyz/', tags: ['malware'] },
        { value: 'http://b.xyz/', tags: ['phishing'] },
        { value: '10.0.0.1', tags: ['phishing'] },
        { value: 'http://c.xyz/', tags: ['phishing'] },
      ]);
      await cte.putList({ name: 'phish', rule: 'type = "url" and tags contains "phishing"' });
      const first = await cte.listChanges('phish', { limit: 2 });
      expect(first.items.map((item) => item.value)).toEqual(['http://a.xyz/', 'http://b.xyz/']);
      expect(first.more).toBe(true);
      const second = await cte.listChanges('phish', { after: first.lastSequence, limit: 2 });
      expect(second.items.map((item) => item.value)).toEqual(['http://c.xyz/']);
      expect(second.more).toBe(false);
      // A retraction comes back as a newer change of the same member, inactive.
      await cte.setActive('http://a.xyz/', false);
      const third = await cte.listChanges('phish', { after: second.lastSequence });
      expect(third.items.map((item) => [item.value, item.active])).toEqual([['http://a.xyz/', false]]);
      // A scan limit below the non-members in the way returns no items yet, and says so.
      await cte.ingest('feed', [
        { value: 'http://x1.xyz/' },
        { value: 'http://x2.xyz/' },
        { value: 'http://d.xyz/', tags: ['phishing'] },
      ]);
      const bounded = await cte.listChanges('phish', { after: third.lastSequence, limit: 1, scanLimit: 1 });
      expect(bounded).toMatchObject({ items: [], more: true });
      const rest = await cte.listChanges('phish', { after: bounded.lastSequence });
      expect(rest.items.map((item) => item.value)).toEqual(['http://d.xyz/']);
      await expect(cte.listChanges('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('exports saved lists as text, CSV and JSON', async () => {
      await cte.ingest('feed', [
        { value: 'http://phish.xyz/login', tags: ['phishing'], severity: 'high' },
        { value: 'http://other.xyz/', tags: ['malware'] },
        { value: 'http://cmd.xyz/', tags: ['phishing', '=cmd'] },
      ]);
      await cte.putList({ name: 'Phishing_URLs', rule: 'type = "url" and tags contains "phishing"' });
      expect(await cte.exportList('Phishing_URLs', 'text')).toBe('http://cmd.xyz/\nhttp://phish.xyz/login\n');
      const csv = await cte.exportList('Phishing_URLs', 'csv');
      expect(csv.split('\r\n')[0]).toBe(
        'type,value,severity,reputation,confidence,tags,sources,first_seen,last_seen,expires_at',
      );
      expect(csv).toContain('url,http://phish.xyz/login,high,5,,phishing,feed,');
      expect(csv).toContain(`url,http://cmd.xyz/,unknown,5,,"'=cmd;phishing",feed,`);
      const json = JSON.parse(await cte.exportList('Phishing_URLs', 'json'));
      expect(json.map((row: { value: string }) => row.value)).toEqual([
        'http://cmd.xyz/',
        'http://phish.xyz/login',
      ]);
      await cte.putSharingRule({
        id: 'phish',
        list: 'Phishing_URLs',
        destination: { configId: 'edr', action: 'block' },
      });
      await cte.share('phish');
      expect([...edr.held.keys()].sort()).toEqual(['url:http://cmd.xyz/', 'url:http://phish.xyz/login']);
      await expect(cte.deleteList('Phishing_URLs')).rejects.toMatchObject({ code: 'CONFLICT' });
    });

    it('records sightings per system and finds sighted indicators', async () => {
      await cte.ingest('feed', [
        { value: 'seen.xyz', type: 'domain' },
        { value: 'unseen.xyz', type: 'domain' },
      ]);
      await cte.reportSighting({ value: 'seen.xyz', system: 'proxy-1', count: 3 });
      await clock.advance(1_000);
      const indicator = await cte.reportSighting({ value: 'SEEN.xyz', type: 'domain', system: 'edr' });
      expect(indicator?.sightings).toEqual({
        total: 4,
        systems: [
          { system: 'edr', count: 1, firstSeen: clock.now(), lastSeen: clock.now() },
          { system: 'proxy-1', count: 3, firstSeen: clock.now() - 1_000, lastSeen: clock.now() - 1_000 },
        ],
      });
      expect(await cte.reportSighting({ value: 'never.xyz', system: 'x' })).toBeUndefined();
      expect((await cte.search({ sighted: true })).items.map((i) => i.value)).toEqual(['seen.xyz']);
      expect(events.filter(([name]) => name === 'indicator-sighted')).toHaveLength(2);
      await expect(cte.reportSighting({ value: 'seen.xyz', system: 'x', count: 0 })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    });

    it('suppresses by user allowlists and MISP-style warninglists, re-checking stored indicators', async () => {
      await cte.ingest('feed', [
        { value: 'corp.xyz', type: 'domain' },
        { value: 'www.corp.xyz', type: 'hostname' },
      ]);
      await cte.putAllowlist({
        id: 'corp',
        name: 'Our domains',
        entries: [{ type: 'domain', value: 'corp.xyz' }],
      });
      expect((await cte.get('www.corp.xyz', 'hostname'))?.indicator.suppressedBy).toMatchObject({
        listId: 'corp',
        listName: 'Our domains',
      });
      await cte.removeWarninglist('corp');
      expect((await cte.get('www.corp.xyz', 'hostname'))?.indicator.suppressedBy).toBeUndefined();
    });
  });
});
