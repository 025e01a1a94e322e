import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FakeClock, indicatorReportSchema, type SharedIndicator } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { tlpMarkingRef } from '../markings/tlp.js';
import { createBundle, createStixObject } from '../objects/create.js';
import { parseStixBundle, type StixObject, validateStixObject } from '../objects/validate.js';
import { indicatorStixId, indicatorToStix, retractionToStix } from './indicator-to-stix.js';
import {
  reputationOfStixIndicator,
  severityOfStixIndicator,
  stixToIndicators,
} from './stix-to-indicators.js';

const clock = new FakeClock(Date.parse('2026-03-01T12:00:00.000Z'));
const base = {
  spec_version: '2.1',
  created: '2026-01-01T00:00:00.000Z',
  modified: '2026-01-01T00:00:00.000Z',
};
let counter = 0;
function stixIndicator(pattern: string, extra: Record<string, unknown> = {}): StixObject {
  counter++;
  const object = {
    ...base,
    type: 'indicator',
    id: `indicator--00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    pattern,
    pattern_type: 'stix',
    valid_from: '2026-01-01T00:00:00Z',
    ...extra,
  };
  const result = validateStixObject(object);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.object;
}

const shared: SharedIndicator = {
  type: 'url',
  value: "https://evil.example/login?user='admin'",
  severity: 'critical',
  reputation: 9,
  confidence: 80,
  tags: ['phishing', 'finance'],
  comments: 'Credential phishing page',
  externalUrl: 'https://intel.example/reports/42',
  tlp: 'amber+strict',
  firstSeen: Date.parse('2026-02-01T00:00:00.000Z'),
  lastSeen: Date.parse('2026-02-20T00:00:00.000Z'),
  expiresAt: Date.parse('2026-05-01T00:00:00.000Z'),
  sources: ['feed-1'],
};

describe('stixToIndicators', () => {
  it('reduces STIX patterns to values and maps the indicator fields', () => {
    const objects = [
      stixIndicator("[domain-name:value = 'evil.example'] OR [ipv4-addr:value = '198.51.100.0/24']", {
        confidence: 60,
        labels: ['c2'],
        indicator_types: ['malicious-activity', 'c2'],
        description: 'C2 infrastructure',
        valid_until: '2026-06-01T00:00:00Z',
        object_marking_refs: [tlpMarkingRef('green', '1.0'), tlpMarkingRef('amber')],
        external_references: [
          { source_name: 'capec', external_id: 'CAPEC-98' },
          { source_name: 'acme', url: 'https://intel.example/c2' },
        ],
      }),
    ];
    const result = stixToIndicators(objects);
    expect(result.notReducible).toEqual([]);
    expect(result.issues).toEqual([]);
    const common = {
      severity: 'high',
      reputation: 8,
      confidence: 60,
      tags: ['c2', 'malicious-activity'],
      comments: 'C2 infrastructure',
      externalUrl: 'https://intel.example/c2',
      tlp: 'amber',
      firstSeen: Date.parse('2026-01-01T00:00:00Z'),
      expiresAt: Date.parse('2026-06-01T00:00:00Z'),
    };
    expect(result.indicators).toEqual([
      { value: 'evil.example', type: 'domain', ...common },
      { value: '198.51.100.0/24', type: 'ipv4-cidr', ...common },
    ]);
    for (const report of result.indicators)
      expect(indicatorReportSchema.safeParse(report).success).toBe(true);
  });

  it('lists patterns it cannot reduce, with the reason', () => {
    const and = stixIndicator("[ipv4-addr:value = '198.51.100.1' AND ipv4-addr:value = '198.51.100.2']");
    const yara = stixIndicator('rule x { condition: true }', { pattern_type: 'yara' });
    const result = stixToIndicators([and, yara]);
    expect(result.indicators).toEqual([]);
    expect(result.notReducible).toEqual([
      { id: and.id, reason: expect.any(String) },
      { id: yara.id, reason: 'pattern_type "yara" cannot be reduced to indicator values' },
    ]);
  });

  it('turns revoked indicators into retractions, reading the latest version of each id', () => {
    const v1 = stixIndicator("[url:value = 'https://old.example/']");
    const v2 = { ...v1, modified: '2026-02-01T00:00:00.000Z', revoked: true } as StixObject;
    const result = stixToIndicators([v2, v1]);
    expect(result.indicators).toEqual([]);
    expect(result.revoked).toEqual([{ type: 'url', value: 'https://old.example/' }]);
  });

  it('reads observables (optionally), their TLP, and does not repeat values', () => {
    const amberMarking = createStixObject('marking-definition', {
      definition_type: 'TLP:AMBER',
      definition: { note: 'producer-specific TLP marking' },
    });
    const objects: StixObject[] = [
      amberMarking,
      stixIndicator("[ipv4-addr:value = '198.51.100.7']"),
      createStixObject('ipv4-addr', { value: '198.51.100.7' }),
      createStixObject('email-addr', { value: 'bad@evil.example', object_marking_refs: [amberMarking.id] }),
      createStixObject('file', {
        name: 'x.exe',
        hashes: {
          md5: 'd41d8cd98f00b204e9800998ecf8427e',
          'SHA-256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
          TLSH: 'T1'.padEnd(70, '0'),
        },
      }),
      createStixObject('mutex', { name: 'Global\\x' }),
    ];
    const result = stixToIndicators(objects);
    expect(result.indicators.map(({ type, value, tlp }) => ({ type, value, tlp }))).toEqual([
      { type: 'ipv4', value: '198.51.100.7', tlp: undefined },
      { type: 'email', value: 'bad@evil.example', tlp: 'amber' },
      { type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e', tlp: undefined },
      {
        type: 'sha256',
        value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        tlp: undefined,
      },
    ]);
    expect(stixToIndicators(objects, { includeObservables: false }).indicators).toHaveLength(1);
  });

  it('documents its severity and reputation mappings', () => {
    expect(severityOfStixIndicator({ x_ce_severity: 'critical', indicator_types: ['benign'] })).toBe(
      'critical',
    );
    expect(severityOfStixIndicator({ x_acme_severity: 'Medium' })).toBe('medium');
    expect(severityOfStixIndicator({ x_acme_severity: 'informational' })).toBe('low');
    expect(severityOfStixIndicator({ indicator_types: ['anonymization', 'compromised'] })).toBe('high');
    expect(severityOfStixIndicator({ indicator_types: ['custom'] })).toBeUndefined();
    expect(reputationOfStixIndicator({ x_ce_reputation: 3, confidence: 100 })).toBe(3);
    expect(reputationOfStixIndicator({ indicator_types: ['benign'], confidence: 100 })).toBe(1);
    expect(
      [0, 9, 10, 29, 30, 50, 69, 70, 90, 100].map((confidence) => reputationOfStixIndicator({ confidence })),
    ).toEqual([5, 5, 6, 6, 7, 8, 8, 9, 10, 10]);
    expect(reputationOfStixIndicator({})).toBeUndefined();
    const benign = stixToIndicators([
      stixIndicator("[domain-name:value = 'ok.example']", { indicator_types: ['benign'] }),
    ]);
    expect(benign.indicators[0]).toMatchObject({ safe: true, reputation: 1, severity: 'low' });
  });
});

describe('indicatorToStix', () => {
  it('builds a valid indicator with a stable id, pattern, validity, markings and exchange fields', () => {
    const { indicator, markings, observables } = indicatorToStix(shared, { clock });
    expect(validateStixObject(indicator).ok).toBe(true);
    expect(indicator).toMatchObject({
      type: 'indicator',
      id: indicatorStixId(shared),
      created: '2026-02-01T00:00:00.000Z',
      modified: '2026-03-01T12:00:00.000Z',
      pattern: "[url:value = 'https://evil.example/login?user=\\'admin\\'']",
      pattern_type: 'stix',
      pattern_version: '2.1',
      valid_from: '2026-02-01T00:00:00.000Z',
      valid_until: '2026-05-01T00:00:00.000Z',
      confidence: 80,
      labels: ['phishing', 'finance'],
      description: 'Credential phishing page',
      external_references: [{ source_name: 'cloud-exchange', url: 'https://intel.example/reports/42' }],
      object_marking_refs: ['marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003'],
      x_ce_severity: 'critical',
      x_ce_reputation: 9,
    });
    expect(markings.map((marking) => marking.id)).toEqual([
      'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
    ]);
    expect(observables).toBeUndefined();
    expect(indicatorToStix(shared, { clock, tlpVersion: '1.0' }).indicator.object_marking_refs).toEqual([
      'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82',
    ]);
  });

  it('keeps the id per (type, value), scoped by the producer identity', () => {
    const again = indicatorToStix({ ...shared, severity: 'low', tags: [] }, { clock }).indicator;
    expect(again.id).toBe(indicatorToStix(shared, { clock }).indicator.id);
    expect(indicatorStixId({ type: 'domain', value: 'a.example' })).not.toBe(
      indicatorStixId({ type: 'hostname', value: 'a.example' }),
    );
    const identity = createStixObject('identity', { name: 'ACME' }, { clock });
    const mine = indicatorToStix(shared, { clock, identity }).indicator;
    expect(mine.id).not.toBe(again.id);
    expect(mine.created_by_ref).toBe(identity.id);
    expect(indicatorStixId(shared, identity.id)).toBe(mine.id);
  });

  it('returns the observable when asked, with its deterministic id', () => {
    const { observables } = indicatorToStix(
      {
        ...shared,
        type: 'sha256',
        value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      },
      { clock, observables: true },
    );
    expect(observables).toEqual([
      {
        type: 'file',
        spec_version: '2.1',
        id: 'file--22f8ff52-8f62-5f03-a53a-6f50f54fd74c',
        hashes: { 'SHA-256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
        object_marking_refs: ['marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003'],
      },
    ]);
  });

  it('retracts with the same id, revoked and a newer modified', () => {
    const first = indicatorToStix(shared, { clock }).indicator;
    const fromPrevious = retractionToStix(first, { clock });
    expect(fromPrevious).toMatchObject({ id: first.id, created: first.created, revoked: true });
    expect(fromPrevious.modified > first.modified).toBe(true);
    const fromShared = retractionToStix(shared, { clock });
    expect(fromShared).toMatchObject({ id: first.id, created: first.created, revoked: true });
    expect(fromShared.modified > first.modified).toBe(true);
    const fromKey = retractionToStix({ type: 'url', value: shared.value }, { clock });
    expect(fromKey).toMatchObject({ id: first.id, revoked: true, pattern: first.pattern });
    expect(validateStixObject(fromKey).ok).toBe(true);
  });
});

describe('round trip', () => {
  it('exchange indicator → STIX bundle → exchange report keeps every mapped field', () => {
    const indicators: SharedIndicator[] = [
      shared,
      { ...shared, type: 'ipv6-cidr', value: '2001:db8::/32', tlp: 'clear', tags: [], comments: undefined },
      {
        ...shared,
        type: 'sha1',
        value: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
        expiresAt: undefined,
        tlp: undefined,
      },
      { ...shared, type: 'email', value: 'ceo@evil.example', confidence: undefined, externalUrl: undefined },
    ];
    const converted = indicators.map((indicator) => indicatorToStix(indicator, { clock }));
    const markings = [...new Map(converted.flatMap((c) => c.markings).map((m) => [m.id, m])).values()];
    const bundle = createBundle([...markings, ...converted.map((c) => c.indicator)]);
    const parsed = parseStixBundle(JSON.stringify(bundle));
    expect(parsed.errors).toEqual([]);
    const back = stixToIndicators(parsed.objects);
    expect(back.notReducible).toEqual([]);
    expect(back.indicators).toHaveLength(indicators.length);
    back.indicators.forEach((report, index) => {
      const original = indicators[index] as SharedIndicator;
      expect(report).toEqual({
        type: original.type,
        value: original.value,
        severity: original.severity,
        reputation: original.reputation,
        ...(original.confidence === undefined ? {} : { confidence: original.confidence }),
        ...(original.tags.length === 0 ? {} : { tags: original.tags }),
        ...(original.comments === undefined ? {} : { comments: original.comments }),
        ...(original.externalUrl === undefined ? {} : { externalUrl: original.externalUrl }),
        ...(original.tlp === undefined ? {} : { tlp: original.tlp }),
        firstSeen: original.firstSeen,
        ...(original.expiresAt === undefined ? {} : { expiresAt: original.expiresAt }),
      });
    });
    const retracted = stixToIndicators([retractionToStix(indicators[0] as SharedIndicator, { clock })]);
    expect(retracted.revoked).toEqual([{ type: 'url', value: shared.value }]);
  });
});

const examples = fileURLToPath(
  new URL('../../../../../shared/fixtures/stix2-json-schemas/examples/', import.meta.url),
);
const haveExamples = existsSync(examples);
if (!haveExamples) console.warn(`skipping the OASIS example conversions: ${examples} is absent`);

describe.skipIf(!haveExamples)('the OASIS example bundles', () => {
  it('convert to exchange indicators', () => {
    const read = (name: string) => parseStixBundle(readFileSync(`${examples}${name}`, 'utf8')).objects;
    const c2 = stixToIndicators(read('indicator-for-c2-ip-address.json'));
    expect(c2.indicators).toMatchObject([
      { type: 'ipv4', value: '10.0.0.0', severity: 'high', comments: 'Test description C2 channel.' },
    ]);
    const apt1 = stixToIndicators(read('threat-reports/apt1.json'));
    const count = (reports: Array<{ type?: string }>) => {
      const counts: Record<string, number> = {};
      for (const { type } of reports) counts[String(type)] = (counts[String(type)] ?? 0) + 1;
      return counts;
    };
    expect(count(apt1.indicators)).toEqual({ 'ipv4-cidr': 4, domain: 3, md5: 3 });
    expect(apt1.notReducible).toContainEqual({
      id: 'indicator--b3b6b540-d838-41e2-853b-005056c00008',
      reason: 'AND of comparisons',
    });
    const poisonIvy = stixToIndicators(read('threat-reports/poisonivy.json'));
    expect(count(poisonIvy.indicators)).toEqual({ ipv4: 40, domain: 25 });
    expect(poisonIvy.notReducible.every((entry) => entry.reason.length > 0)).toBe(true);
    for (const report of [...apt1.indicators, ...poisonIvy.indicators])
      expect(indicatorReportSchema.safeParse(report).success).toBe(true);
  });
});
