import {
  CeError,
  type CloudExchange,
  createCloudExchange,
  createMemoryStorage,
  FakeClock,
  type RiskObservationInput,
  type RiskStore,
  type StorageAdapter,
} from '@ce/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultCategoricalTable } from '../normalize/normalization-schema.js';
import type { RiskExchange, RiskExchangeOptions } from './risk-exchange.js';
import type { RiskScoresChangedEvent } from './risk-exchange-events.js';
import { riskExchange } from './risk-exchange-module.js';
import type { RiskScoreChange } from './score-batch.js';
import { type ScriptedRiskSource, scriptedRiskSource } from './test-plugins.js';
import { createTestRiskStore } from './test-risk-store.js';

const day = 86_400_000;
const start = Date.parse('2026-03-01T08:00:00Z');

type TestStore = ReturnType<typeof createTestRiskStore>;

interface Setup {
  clock: FakeClock;
  exchange: CloudExchange;
  cre: RiskExchange;
  store: TestStore;
  storage: StorageAdapter;
  knowBe4: ScriptedRiskSource;
  events: RiskScoresChangedEvent[];
}

const running: CloudExchange[] = [];

async function setup(options: RiskExchangeOptions = {}): Promise<Setup> {
  const clock = new FakeClock(start);
  const storage = createMemoryStorage({ clock });
  const store = createTestRiskStore();
  let next = 0;
  const knowBe4 = scriptedRiskSource('knowbe4', {
    user: { strategy: 'linear', min: 0, max: 100, invert: true, version: 'kb4-1' },
  });
  const exchange = await createCloudExchange({
    storage,
    clock,
    plugins: [knowBe4.plugin],
    modules: [
      riskExchange({
        schedule: false,
        store: store as RiskStore,
        createId: () => `e${++next}`,
        normalization: {
          okta: { user: { strategy: 'categorical', table: defaultCategoricalTable } },
          zta: { device: { strategy: 'linear', min: 0, max: 100 } },
          mimecast: { user: { strategy: 'grade', grades: { A: 800, B: 600, C: 400, D: 200, F: 1 } } },
          edr: { device: { strategy: 'identity' } },
        },
        ...options,
      }),
    ],
    checkIntervalMs: 0,
  });
  const events: RiskScoresChangedEvent[] = [];
  exchange.events.on('risk-scores-changed', (event) => events.push(event as RiskScoresChangedEvent));
  await exchange.start();
  running.push(exchange);
  await exchange.configurations.add({ id: 'knowbe4', pluginId: 'knowbe4', config: {}, interval: '1d' });
  return { clock, exchange, cre: exchange.modules.cre as RiskExchange, store, storage, knowBe4, events };
}

afterEach(async () => {
  for (const exchange of running.splice(0)) await exchange.stop({ timeoutMs: 100 });
});

const user = (
  email: string,
  value: RiskObservationInput['value'],
  extra: Partial<RiskObservationInput> = {},
) =>
  ({ entityType: 'user', identity: { email }, value, observedAt: start, ...extra }) as RiskObservationInput;

describe('ingest', () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup();
  });

  it('normalizes with the plugin default, creates entities, and reports', async () => {
    const report = await s.cre.ingest([user('ana@example.com', 20), user('bo@example.com', 80)], {
      sourceConfigId: 'knowbe4',
    });
    expect(report).toMatchObject({
      sourceConfigId: 'knowbe4',
      received: 2,
      accepted: 2,
      entitiesCreated: 2,
      entitiesUpdated: 0,
      rejected: [],
      conflicts: [],
    });
    const ana = await s.cre.findEntity('user', { email: ' Ana@Example.COM ' });
    expect(ana).toMatchObject({
      id: 'e1',
      type: 'user',
      keys: { email: 'ana@example.com' },
      score: 800,
      band: 'low',
      version: 1,
      sources: {
        knowbe4: {
          raw: 20,
          normalized: 800,
          mapping: { strategy: 'linear', version: 'kb4-1' },
          observedAt: start,
        },
      },
    });
    expect((await s.cre.findEntity('user', { email: 'bo@example.com' }))?.band).toBe('critical');
  });

  it('rejects bad observations with a reason and lets the rest through', async () => {
    const report = await s.cre.ingest(
      [
        user('ana@example.com', 130),
        user('bo@example.com', '42'),
        user('not-an-email', 10),
        { entityType: 'printer', identity: { id: 'p1' }, value: 1, observedAt: start },
        user('cy@example.com', 10, { observedAt: start + day }),
        user('di@example.com', 10, { observedAt: '2026-03-01T08:00:00' }),
        { entityType: 'user', identity: { upn: 'ed@example.com' }, value: 5, observedAt: start },
        user('fi@example.com', 10, { fields: { when: new Date() as unknown as string } }),
        user('ok@example.com', null),
      ],
      { sourceConfigId: 'knowbe4' },
    );
    expect(report.accepted).toBe(1);
    expect(report.rejected).toEqual([
      { index: 0, reason: 'value 130 is outside 0-100' },
      { index: 1, reason: 'expected a number, got the string "42"' },
      { index: 2, reason: 'identity.email must be an email address, got "not-an-email"' },
      { index: 3, reason: 'unknown entity type "printer" (known: user, device, application)' },
      { index: 4, reason: expect.stringMatching(/^observedAt 2026-03-02T08:00:00.000Z is in the future/) },
      { index: 5, reason: 'observedAt must be ISO 8601 with a zone, got "2026-03-01T08:00:00"' },
      {
        index: 6,
        reason: 'no user has the identity upn:ed@example.com, and a new user needs a key field (email)',
      },
      { index: 7, reason: 'fields.when is not JSON (object)' },
    ]);
    // Unknown stays unknown: no score, no band, never 0.
    const ok = await s.cre.findEntity('user', { email: 'ok@example.com' });
    expect(ok).toMatchObject({ score: null, band: null });
    expect(ok?.sources.knowbe4?.normalized).toBeNull();
  });

  it('rejects unknown grades and categories, and sources without a mapping', async () => {
    const mimecast = await s.cre.ingest([user('a@x.io', 'B+'), user('b@x.io', 'E')], {
      sourceConfigId: 'mimecast',
    });
    expect(mimecast.rejected).toEqual([
      { index: 1, reason: 'unknown grade "E" (expected one of A, B, C, D, F, optionally with + or -)' },
    ]);
    expect((await s.cre.findEntity('user', { email: 'a@x.io' }))?.score).toBe(650);
    const okta = await s.cre.ingest([user('a@x.io', 'hidden')], { sourceConfigId: 'okta' });
    expect(okta.rejected[0]?.reason).toMatch(/^unknown category "hidden"/);
    const unknown = await s.cre.ingest([user('a@x.io', 5)], { sourceConfigId: 'manual' });
    expect(unknown.rejected[0]?.reason).toBe(
      'no normalization for source "manual" and entity type "user": set one with setNormalization',
    );
  });

  it('merges one person seen by two vendors and weighs both scores', async () => {
    await s.cre.ingest([user('ana@example.com', 20)], { sourceConfigId: 'knowbe4' });
    const report = await s.cre.ingest(
      [{ ...user('ANA@example.com', 'high'), identity: { email: 'ANA@example.com', login: 'Ana.Lopez' } }],
      { sourceConfigId: 'okta' },
    );
    expect(report).toMatchObject({ entitiesCreated: 0, entitiesUpdated: 1 });
    const ana = await s.cre.findEntity('user', { login: 'ana.lopez' });
    expect(ana).toMatchObject({
      id: 'e1',
      aliases: ['login:ana.lopez'],
      score: 587.5,
      band: 'medium',
      version: 2,
    });
    const breakdown = await s.cre.scoreBreakdown('e1');
    expect(breakdown.sources.map((row) => [row.sourceConfigId, row.normalized, row.share])).toEqual([
      ['knowbe4', 800, 0.5],
      ['okta', 375, 0.5],
    ]);
  });

  it('joins devices through normalized aliases and keeps a second device id as an alias', async () => {
    await s.cre.ingest(
      [
        {
          entityType: 'device',
          identity: { deviceId: 'cs-1', hostname: 'LAPTOP-7.corp.example.', mac: 'AA-BB-CC-00-11-22' },
          value: 64,
          observedAt: start,
        },
      ],
      { sourceConfigId: 'zta' },
    );
    const report = await s.cre.ingest(
      [
        {
          entityType: 'device',
          identity: { deviceId: 'ns-9', mac: 'aabb.cc00.1122', serial: ' c02x ' },
          value: 300,
          observedAt: start,
        },
      ],
      { sourceConfigId: 'edr' },
    );
    expect(report.entitiesUpdated).toBe(1);
    const device = await s.cre.findEntity('device', { deviceId: 'ns-9' });
    expect(device).toMatchObject({
      keys: { deviceId: 'cs-1' },
      aliases: ['hostname:laptop-7.corp.example', 'mac:aa:bb:cc:00:11:22', 'deviceId:ns-9', 'serial:C02X'],
      score: 470,
      band: 'high',
    });
    const bad = await s.cre.ingest(
      [{ entityType: 'device', identity: { deviceId: 'x', mac: 'zz' }, value: 1, observedAt: start }],
      { sourceConfigId: 'edr' },
    );
    expect(bad.rejected[0]?.reason).toBe('identity.mac must be a MAC address (12 hex digits), got "zz"');
  });

  it('flags an identity that points to two entities and does not merge them', async () => {
    await s.cre.ingest(
      [
        {
          entityType: 'device',
          identity: { deviceId: 'd1', hostname: 'alpha' },
          value: 500,
          observedAt: start,
        },
        {
          entityType: 'device',
          identity: { deviceId: 'd2', hostname: 'beta' },
          value: 600,
          observedAt: start,
        },
      ],
      { sourceConfigId: 'edr' },
    );
    const report = await s.cre.ingest(
      [
        {
          entityType: 'device',
          identity: { deviceId: 'd1', hostname: 'beta' },
          value: 100,
          observedAt: start,
        },
        { entityType: 'device', identity: { deviceId: 'd3' }, value: 900, observedAt: start },
      ],
      { sourceConfigId: 'edr' },
    );
    expect(report.accepted).toBe(1);
    expect(report.conflicts).toEqual([
      {
        index: 0,
        entityType: 'device',
        identities: ['deviceId:d1', 'hostname:beta'],
        matches: { 'deviceId:d1': 'e1', 'hostname:beta': 'e2' },
        resolution: 'rejected',
        reason:
          'identity points to 2 different device entities (deviceId:d1 → e1, hostname:beta → e2); not merged',
      },
    ]);
    expect(report.rejected).toEqual([{ index: 0, reason: report.conflicts[0]?.reason }]);
    expect((await s.cre.getEntity('e1'))?.score).toBe(500);
  });

  it('links a conflicting identity to its first key when configured, without taking the other alias', async () => {
    const linked = await setup({ conflictPolicy: 'link' });
    await linked.cre.ingest(
      [
        {
          entityType: 'device',
          identity: { deviceId: 'd1', hostname: 'alpha' },
          value: 500,
          observedAt: start,
        },
        {
          entityType: 'device',
          identity: { deviceId: 'd2', hostname: 'beta' },
          value: 600,
          observedAt: start,
        },
      ],
      { sourceConfigId: 'edr' },
    );
    const report = await linked.cre.ingest(
      [
        {
          entityType: 'device',
          identity: { deviceId: 'd1', hostname: 'beta' },
          value: 100,
          observedAt: start + 1,
        },
      ],
      { sourceConfigId: 'edr' },
    );
    expect(report).toMatchObject({ accepted: 1, rejected: [] });
    expect(report.conflicts[0]).toMatchObject({ resolution: 'linked', entityId: 'e1' });
    expect(report.conflicts[0]?.reason).toMatch(/linked to e1 through deviceId:d1$/);
    expect(await linked.cre.getEntity('e1')).toMatchObject({ score: 100, aliases: ['hostname:alpha'] });
    expect(await linked.cre.getEntity('e2')).toMatchObject({ score: 600, aliases: ['hostname:beta'] });
  });

  it('merges duplicates within one batch deterministically: the latest observation wins', async () => {
    const report = await s.cre.ingest(
      [
        user('ana@example.com', 10, { observedAt: start - 2000, fields: { department: 'Sales' } }),
        user('ana@example.com', 50, { observedAt: start - 1000, fields: { department: 'Finance' } }),
        user('ana@example.com', 90, { observedAt: start - 3000, fields: { department: 'Legal' } }),
      ],
      { sourceConfigId: 'knowbe4' },
    );
    expect(report).toMatchObject({ accepted: 3, entitiesCreated: 1, outdated: 1 });
    const ana = await s.cre.getEntity('e1');
    expect(ana?.sources.knowbe4?.raw).toBe(50);
    expect(ana?.fields.department).toBe('Finance');
    expect(s.store.commits).toHaveLength(1);
  });

  it('merges fields: append as a capped set, overwrite by time or by source priority', async () => {
    const custom = await setup({
      entityTypes: [
        {
          name: 'user',
          keyFields: ['email'],
          identityFormats: { email: 'email' },
          fields: {
            groups: { merge: 'append', cap: 3 },
            manager: { merge: 'overwrite', priority: ['hr', 'okta'] },
          },
        },
      ],
      normalization: {
        hr: { user: { strategy: 'identity' } },
        okta: { user: { strategy: 'categorical', table: defaultCategoricalTable } },
      },
    });
    const ingest = (source: string, at: number, fields: Record<string, unknown>) =>
      custom.cre.ingest([user('ana@example.com', null, { observedAt: at, fields })], {
        sourceConfigId: source,
      });
    await ingest('okta', start - 500, { groups: ['a', 'b'], manager: 'okta-boss', title: 'Engineer' });
    await ingest('hr', start - 900, { groups: 'b', manager: 'hr-boss', title: 'Old title' });
    await ingest('okta', start, { groups: ['c', 'd'], manager: 'newer-okta-boss' });
    const ana = await custom.cre.getEntity('e1');
    expect(ana?.fields.groups).toEqual(['b', 'c', 'd']);
    expect(ana?.fields.manager).toBe('hr-boss');
    expect(ana?.fields.title).toBe('Engineer');
  });

  it('writes an unchanged re-observation once', async () => {
    await s.cre.ingest([user('ana@example.com', 20)], { sourceConfigId: 'knowbe4' });
    const again = await s.cre.ingest([user('ana@example.com', 20)], { sourceConfigId: 'knowbe4' });
    expect(again).toMatchObject({ accepted: 1, entitiesUpdated: 0, entitiesCreated: 0 });
    expect(s.store.commits).toHaveLength(1);
  });

  it('commits in batches and reports indices across them', async () => {
    const batched = await setup({ batchSize: 2 });
    const report = await batched.cre.ingest(
      [user('a@x.io', 1), user('b@x.io', 2), user('c@x.io', 300), user('d@x.io', 4), user('e@x.io', 5)],
      { sourceConfigId: 'knowbe4' },
    );
    expect(report.rejected).toEqual([{ index: 2, reason: 'value 300 is outside 0-100' }]);
    expect(batched.store.commits).toHaveLength(3);
  });

  it('retries a batch that lost a race with another writer', async () => {
    s.store.failNextCommit = new CeError('CONFLICT', 'entity e1 changed');
    const report = await s.cre.ingest([user('ana@example.com', 20)], { sourceConfigId: 'knowbe4' });
    expect(report.entitiesCreated).toBe(1);
    expect(await s.cre.countEntities()).toBe(1);
  });

  it('knows custom entity types with their own keys', async () => {
    const custom = await setup({
      entityTypes: [
        {
          name: 'vendor',
          keyFields: ['vendorId'],
          aliasFields: ['domain'],
          identityFormats: { domain: 'domain' },
        },
      ],
      normalization: { ratings: { vendor: { strategy: 'linear', min: 250, max: 900 } } },
    });
    const report = await custom.cre.ingest(
      [
        {
          entityType: 'vendor',
          identity: { vendorId: 'v-1', domain: 'ACME.example' },
          value: 740,
          observedAt: start,
        },
      ],
      { sourceConfigId: 'ratings' },
    );
    expect(report.entitiesCreated).toBe(1);
    expect(await custom.cre.findEntity('vendor', { domain: 'acme.example' })).toMatchObject({
      type: 'vendor',
      score: 753.85,
      band: 'low',
    });
    await expect(setup({ entityTypes: [{ name: 'Bad Name', keyFields: [] }] })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});

describe('commit hooks', () => {
  it('lets an extension add rule states to the same commit and tells listeners what changed', async () => {
    const s = await setup();
    const seen: RiskScoreChange[][] = [];
    s.cre.use({
      name: 'rules',
      beforeCommit: (changes, context) => ({
        ruleStates: changes
          .filter((change) => change.entity.band === 'critical')
          .map((change) => ({
            ruleId: 'r1',
            entityId: change.entity.id,
            matched: true,
            since: context.now,
            lastFired: {},
          })),
      }),
    });
    s.cre.onScoresChanged((changes) => {
      seen.push([...changes]);
    });
    await s.cre.ingest([user('ana@example.com', 90), user('bo@example.com', 10)], {
      sourceConfigId: 'knowbe4',
    });
    expect(s.store.commits[0]?.ruleStates).toEqual([
      { ruleId: 'r1', entityId: 'e1', matched: true, since: start, lastFired: {} },
    ]);
    expect(await s.store.ruleStates('r1')).toHaveLength(1);
    expect(seen[0]?.map((change) => [change.entity.id, change.created, change.bandChanged])).toEqual([
      ['e1', true, true],
      ['e2', true, true],
    ]);
    expect(s.events[0]?.changes[0]).toEqual({
      entityId: 'e1',
      entityType: 'user',
      previousScore: null,
      score: 100,
      previousBand: null,
      band: 'critical',
    });
    await s.cre.ingest([user('ana@example.com', 90, { observedAt: start + 1 })], {
      sourceConfigId: 'knowbe4',
    });
    expect(seen).toHaveLength(1);
  });

  it('writes nothing when an extension fails', async () => {
    const s = await setup();
    s.cre.use({
      name: 'broken',
      beforeCommit: () => {
        throw new CeError('RULE_INVALID', 'rule r9 is broken');
      },
    });
    await expect(
      s.cre.ingest([user('ana@example.com', 90)], { sourceConfigId: 'knowbe4' }),
    ).rejects.toMatchObject({
      code: 'RULE_INVALID',
    });
    expect(await s.cre.countEntities()).toBe(0);
  });
});

describe('staleness, history and retention', () => {
  it('drops a stale source when rescoring and records each day', async () => {
    const s = await setup({ weights: { sources: { edr: { staleAfter: '2d' } } } });
    const device = (id: string, value: number, at: number) =>
      ({ entityType: 'device', identity: { deviceId: id }, value, observedAt: at }) as RiskObservationInput;
    await s.cre.ingest([device('d1', 40, start)], { sourceConfigId: 'zta' });
    await s.cre.ingest([device('d1', 800, start)], { sourceConfigId: 'edr' });
    expect((await s.cre.getEntity('e1'))?.score).toBe(600);
    await s.clock.advance(day);
    await s.cre.ingest([device('d1', 60, s.clock.now())], { sourceConfigId: 'zta' });
    expect((await s.cre.getEntity('e1'))?.score).toBe(700);
    await s.clock.advance(2 * day);
    expect(await s.cre.rescore()).toEqual({ scanned: 1, changed: 1 });
    const stale = await s.cre.getEntity('e1');
    expect(stale).toMatchObject({ score: 600, band: 'medium', scoreChangedAt: s.clock.now() });
    const breakdown = await s.cre.scoreBreakdown('e1');
    expect(breakdown.sources.find((row) => row.sourceConfigId === 'edr')).toMatchObject({
      stale: true,
      included: false,
    });
    expect(await s.cre.rescore()).toEqual({ scanned: 1, changed: 0 });

    const history = await s.cre.history('e1', { days: 7 });
    expect(history.days.map((d) => [d.day, d.average, d.count])).toEqual([
      ['2026-03-01', 500, 2],
      ['2026-03-02', 700, 1],
      ['2026-03-04', 600, 1],
    ]);
    // The last day fell, but the fitted line over the window still rises.
    expect(history).toMatchObject({ delta: -100, slope: 21.43, trend: 'improving' });
  });

  it('keeps an organization rollup per type that counts each entity once a day', async () => {
    const s = await setup();
    await s.cre.ingest([user('a@x.io', 20), user('b@x.io', 60)], { sourceConfigId: 'knowbe4' });
    await s.cre.ingest([user('a@x.io', 40, { observedAt: start + 1 })], { sourceConfigId: 'knowbe4' });
    const org = await s.cre.organizationHistory('user', { days: 1 });
    // a: (800 + 600) / 2 = 700, b: 400; the day's average is the mean of the two.
    expect(org.current).toEqual({ day: '2026-03-01', average: 550, min: 400, max: 800, count: 2 });
    await s.clock.advance(day);
    await s.cre.ingest([user('a@x.io', 0, { observedAt: s.clock.now() })], { sourceConfigId: 'knowbe4' });
    const next = await s.cre.organizationHistory('user', { days: 2 });
    expect(next).toMatchObject({ delta: 450, current: { average: 1000, count: 1 } });
  });

  it('prunes rollups beyond the retention', async () => {
    const s = await setup({ retentionDays: 2 });
    for (let i = 0; i < 4; i++) {
      await s.cre.ingest([user('a@x.io', 10 * i, { observedAt: s.clock.now() })], {
        sourceConfigId: 'knowbe4',
      });
      await s.clock.advance(day);
    }
    await s.clock.advance(-day);
    expect(await s.cre.prune()).toEqual({ rollups: 4, actions: 0 });
    expect((await s.cre.history('e1', { days: 30 })).days.map((d) => d.day)).toEqual([
      '2026-03-03',
      '2026-03-04',
    ]);
  });
});

describe('weights, bands and mappings', () => {
  it('previews weights without saving, then sets them (stored, audited, rescored)', async () => {
    const s = await setup();
    await s.cre.ingest([user('a@x.io', 10), user('b@x.io', 50)], { sourceConfigId: 'knowbe4' });
    await s.cre.ingest([user('a@x.io', 'high'), user('b@x.io', 'low')], { sourceConfigId: 'okta' });
    // a: (900 + 375) / 2 = 637.5 medium; b: (500 + 875) / 2 = 687.5 medium
    // Under okta x3: a = (900 + 3 * 375) / 4 = 506.25 (still medium); b = (500 + 3 * 875) / 4 = 781.25 (low)
    const preview = await s.cre.previewWeights({ sources: { okta: { weight: 3 } } }, { limit: 1 });
    expect(preview).toEqual({
      scanned: 2,
      current: { critical: 0, high: 0, medium: 2, low: 0, unscored: 0 },
      proposed: { critical: 0, high: 0, medium: 1, low: 1, unscored: 0 },
      changed: 1,
      entities: [
        {
          id: 'e2',
          type: 'user',
          keys: { email: 'b@x.io' },
          score: 687.5,
          band: 'medium',
          newScore: 781.25,
          newBand: 'low',
        },
      ],
    });
    const capped = await s.cre.previewWeights({ method: 'worst-of' }, { limit: 1 });
    expect(capped).toMatchObject({ changed: 2, proposed: { high: 2, medium: 0 } });
    expect(capped.entities).toHaveLength(1);
    expect((await s.cre.getEntity('e1'))?.score).toBe(637.5);
    await expect(s.cre.previewWeights({ method: 'noisy-or', defaultWeight: 2 })).rejects.toBeInstanceOf(
      CeError,
    );

    const report = await s.cre.setWeights({ sources: { okta: { weight: 3 } } }, { actor: 'ana' });
    expect(report).toEqual({ scanned: 2, changed: 2 });
    expect(await s.cre.getWeights()).toMatchObject({ sources: { okta: { weight: 3 } } });
    expect((await s.storage.keyValue.get('cre', 'weights'))?.value).toMatchObject({
      sources: { okta: { weight: 3 } },
    });
    const audit = await s.storage.audit.list({ target: 'cre:weights' });
    expect(audit[0]).toMatchObject({ actor: 'ana', action: 'risk-weights-updated' });
    expect(await s.cre.countEntities({ bands: ['low'] })).toBe(1);
    await expect(s.cre.setWeights({ sources: { okta: { weight: -1 } } })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('sets bands (validated, stored, audited) and re-bands entities', async () => {
    const s = await setup();
    await s.cre.ingest([user('a@x.io', 45)], { sourceConfigId: 'knowbe4' });
    expect((await s.cre.getEntity('e1'))?.band).toBe('medium');
    await expect(s.cre.setBands([{ name: 'all', from: 0, to: 999 }])).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await s.cre.setBands([
      { name: 'risky', from: 0, to: 600 },
      { name: 'fine', from: 601, to: 1000 },
    ]);
    expect((await s.cre.getEntity('e1'))?.band).toBe('risky');
    expect(await s.cre.getBands()).toHaveLength(2);
    expect((await s.storage.audit.list({ target: 'cre:bands' }))[0]?.action).toBe('risk-bands-updated');
  });

  it('overrides a plugin mapping per configuration and records the mapping on each score', async () => {
    const s = await setup();
    expect(await s.cre.getNormalization('knowbe4', 'user')).toMatchObject({ version: 'kb4-1' });
    await expect(
      s.cre.setNormalization('knowbe4', 'user', { strategy: 'linear', min: 5, max: 5 } as never),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/normalization\.max/),
    });
    await s.cre.setNormalization('knowbe4', 'user', {
      strategy: 'saturating',
      halfRisk: 20,
      version: 'custom',
    });
    await s.cre.ingest([user('a@x.io', 20)], { sourceConfigId: 'knowbe4' });
    expect((await s.cre.getEntity('e1'))?.sources.knowbe4).toMatchObject({
      normalized: 500,
      mapping: { strategy: 'saturating', version: 'custom' },
    });
    await s.cre.setNormalization('knowbe4', 'user', null);
    expect(await s.cre.getNormalization('knowbe4', 'user')).toMatchObject({ version: 'kb4-1' });
  });
});

describe('pull', () => {
  it('pulls every page with checkpoints per entity type, and resumes after them', async () => {
    const s = await setup();
    s.knowBe4.pages.user = [[user('a@x.io', 10), user('b@x.io', 500)], [user('c@x.io', 30)]];
    const report = await s.cre.pull('knowbe4');
    expect(report).toMatchObject({ received: 3, accepted: 2, entitiesCreated: 2, pages: 2, failures: [] });
    expect(report.rejected).toEqual([{ index: 1, reason: 'value 500 is outside 0-100' }]);
    expect((await s.storage.keyValue.get('cre', 'checkpoint:knowbe4:user'))?.value).toBe(2);
    s.knowBe4.pages.user.push([user('d@x.io', 40)]);
    const next = await s.cre.pull('knowbe4');
    expect(next).toMatchObject({ received: 1, pages: 1 });
    expect(s.knowBe4.startedFrom.map(([, checkpoint]) => checkpoint)).toEqual([undefined, 1, 2]);
  });

  it('reports a failing entity type and refuses a configuration that is not a source', async () => {
    const s = await setup();
    s.knowBe4.failing.add('user');
    const report = await s.cre.pull('knowbe4');
    expect(report.failures).toEqual([
      { entityType: 'user', code: 'PLUGIN_FAILED', message: expect.stringMatching(/vendor API is down/) },
    ]);
    await expect(s.cre.pull('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
