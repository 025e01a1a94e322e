import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CeError } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { compareStixTimestamps, isStixTimestamp } from './common.js';
import { isStixType, parseStixBundle, validateStixObject } from './validate.js';

const mixedBundle = readFileSync(new URL('./__fixtures__/mixed-bundle.json', import.meta.url), 'utf8');

const base = {
  spec_version: '2.1',
  created: '2016-04-06T20:03:48.000Z',
  modified: '2016-04-06T20:03:48.000Z',
};

const indicator = {
  ...base,
  type: 'indicator',
  id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
  pattern: "[ipv4-addr:value = '198.51.100.1']",
  pattern_type: 'stix',
  valid_from: '2016-01-01T00:00:00Z',
};

function reasons(value: unknown): Array<[string, string]> {
  const result = validateStixObject(value);
  return result.ok ? [] : result.errors.map((error) => [error.path, error.reason]);
}

function paths(value: unknown): string[] {
  return reasons(value).map(([path]) => path);
}

describe('timestamps', () => {
  it('accepts RFC 3339 UTC with any precision and real dates only', () => {
    expect(isStixTimestamp('2016-01-01T00:00:00Z')).toBe(true);
    expect(isStixTimestamp('2016-01-01T00:00:00.123456Z')).toBe(true);
    expect(isStixTimestamp('2016-02-30T00:00:00Z')).toBe(false);
    expect(isStixTimestamp('2016-01-01T00:00:00+00:00')).toBe(false);
    expect(isStixTimestamp('2016-01-01 00:00:00Z')).toBe(false);
  });

  it('compares at sub-millisecond precision', () => {
    expect(compareStixTimestamps('2016-01-01T00:00:00.0001Z', '2016-01-01T00:00:00Z')).toBeGreaterThan(0);
    expect(compareStixTimestamps('2016-01-01T00:00:00.100Z', '2016-01-01T00:00:00.1Z')).toBe(0);
    expect(compareStixTimestamps('2015-12-31T23:59:59.999Z', '2016-01-01T00:00:00Z')).toBeLessThan(0);
  });
});

describe('validateStixObject', () => {
  it('accepts a valid indicator and returns the very object, custom properties included', () => {
    const input = { ...indicator, x_acme_score: 87, x_acme_nested: { keep: ['me'] } };
    const result = validateStixObject(input);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.object).toBe(input);
      expect(result.object).toEqual(input);
      expect(isStixType(result.object, 'indicator') && result.object.pattern_type).toBe('stix');
    }
  });

  it('checks the common properties', () => {
    expect(paths({ ...indicator, spec_version: '2.0' })).toEqual(['spec_version']);
    expect(paths({ ...indicator, id: 'malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f' })).toEqual(['id']);
    expect(paths({ ...indicator, id: 'indicator--not-a-uuid' })).toEqual(['id']);
    expect(paths({ ...indicator, created: '2016-04-06T20:03:48Z' })).toEqual(['created']);
    expect(paths({ ...indicator, modified: '2016-04-06T20:03:47.999Z' })).toEqual(['modified']);
    expect(paths({ ...indicator, modified: '2016-04-06T20:03:48.0001Z' })).toEqual([]);
    expect(paths({ ...indicator, confidence: 101 })).toEqual(['confidence']);
    expect(paths({ ...indicator, confidence: 50.5 })).toEqual(['confidence']);
    expect(paths({ ...indicator, labels: [] })).toEqual(['labels']);
    expect(paths({ ...indicator, revoked: 'yes' })).toEqual(['revoked']);
    expect(paths({ ...indicator, created_by_ref: 'malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f' })).toEqual([
      'created_by_ref',
    ]);
    expect(
      paths({ ...indicator, object_marking_refs: ['identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f'] }),
    ).toEqual(['object_marking_refs[0]']);
    expect(
      paths({
        ...indicator,
        granular_markings: [{ selectors: ['description'] }, { selectors: ['Bad!'], lang: 'en' }],
      }),
    ).toEqual(['granular_markings[0]', 'granular_markings[1].selectors[0]']);
    expect(
      paths({
        ...indicator,
        external_references: [
          { source_name: 'cve', external_id: 'CVE-2016-1234' },
          { source_name: 'capec', external_id: 'CVE-2016-1234' },
          { source_name: 'acme' },
          { source_name: 'acme', url: 'not a url' },
        ],
      }),
    ).toEqual(['external_references[1].external_id', 'external_references[2]', 'external_references[3].url']);
    expect(paths({ ...indicator, extensions: { 'acme-ext': {}, bogus: {} } })).toEqual([
      'extensions.acme-ext',
      'extensions.bogus',
    ]);
    expect(
      paths({
        ...indicator,
        extensions: { 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d': { extension_type: 'x' } },
      }),
    ).toEqual(['extensions.extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d.extension_type']);
  });

  it('rejects reserved and badly named custom properties, keeps good ones', () => {
    expect(paths({ ...indicator, severity: 'high' })).toEqual(['severity']);
    expect(paths({ ...indicator, 'X-Bad': 1, x_good_one: 1 })).toEqual(['X-Bad']);
  });

  it('checks indicator rules', () => {
    const { pattern: _pattern, ...withoutPattern } = indicator;
    expect(reasons(withoutPattern)).toEqual([['pattern', 'is required']]);
    expect(paths({ ...indicator, valid_until: '2016-01-01T00:00:00Z' })).toEqual(['valid_until']);
    expect(paths({ ...indicator, valid_until: '2016-01-01T00:00:00.001Z' })).toEqual([]);
    expect(paths({ ...indicator, kill_chain_phases: [{ kill_chain_name: 'x' }] })).toEqual([
      'kill_chain_phases[0].phase_name',
    ]);
  });

  it('validates STIX patterns of indicators, unless told not to', () => {
    const bad = { ...indicator, pattern: "[ipv4-addr:value = '198.51.100.1'" };
    const result = validateStixObject(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors.map((error) => error.path)).toEqual(['pattern']);
      expect(result.errors[0]?.objectId).toBe(indicator.id);
    }
    expect(validateStixObject(bad, { validatePatterns: false }).ok).toBe(true);
    expect(validateStixObject({ ...bad, pattern_type: 'yara' }).ok).toBe(true);
    expect(
      parseStixBundle({ type: 'bundle', id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d', objects: [bad] })
        .errors,
    ).toMatchObject([{ path: 'objects[0].pattern' }]);
  });

  it('checks the observables', () => {
    const id = (type: string) => `${type}--7e567502-8994-53ff-9c69-79240cae362d`;
    expect(paths({ type: 'url', id: id('url'), value: 'https://example.com/a?b=c' })).toEqual([]);
    expect(paths({ type: 'url', id: id('url'), value: 'example.com/a' })).toEqual(['value']);
    expect(paths({ type: 'ipv4-addr', id: id('ipv4-addr'), value: '10.0.0.0/8' })).toEqual([]);
    expect(paths({ type: 'ipv4-addr', id: id('ipv4-addr'), value: '10.0.0.256' })).toEqual(['value']);
    expect(paths({ type: 'ipv6-addr', id: id('ipv6-addr'), value: '2001:db8::/32' })).toEqual([]);
    expect(paths({ type: 'ipv6-addr', id: id('ipv6-addr'), value: '2001:db8::g' })).toEqual(['value']);
    expect(paths({ type: 'email-addr', id: id('email-addr'), value: 'Jo <jo@example.com>' })).toEqual([
      'value',
    ]);
    expect(
      paths({ type: 'domain-name', id: id('domain-name'), value: 'example.com', spec_version: '2.0' }),
    ).toEqual(['spec_version']);
    expect(paths({ type: 'file', id: id('file'), size: 3 })).toEqual(['']);
    expect(
      reasons({
        type: 'file',
        id: id('file'),
        hashes: { 'SHA-256': 'abc', MD5: 'd41d8cd98f00b204e9800998ecf8427e' },
      }),
    ).toEqual([['hashes.SHA-256', 'SHA-256 must be 64 hexadecimal digits']]);
    expect(paths({ type: 'file', id: id('file'), hashes: { 'x-my-hash': 'anything' }, size: -1 })).toEqual([
      'size',
    ]);
    expect(paths({ type: 'file', id: id('file'), hashes: {} })).toEqual(['hashes']);
  });

  it('checks the other modelled SDOs and SROs', () => {
    const sdo = (type: string, extra: Record<string, unknown>) => ({
      ...base,
      type,
      id: `${type}--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f`,
      ...extra,
    });
    expect(paths(sdo('malware', { is_family: true }))).toEqual(['name']);
    expect(paths(sdo('malware', { is_family: false }))).toEqual([]);
    expect(
      paths(
        sdo('malware', {
          is_family: false,
          first_seen: '2016-01-02T00:00:00Z',
          last_seen: '2016-01-01T00:00:00Z',
        }),
      ),
    ).toEqual(['last_seen']);
    expect(paths(sdo('threat-actor', {}))).toEqual(['name']);
    expect(paths(sdo('intrusion-set', { name: 'APT1' }))).toEqual([]);
    expect(paths(sdo('attack-pattern', { name: 'Spearphishing' }))).toEqual([]);
    expect(paths(sdo('identity', { name: 'ACME', identity_class: 'organization' }))).toEqual([]);
    expect(paths(sdo('report', { name: 'r', published: '2016-01-01T00:00:00Z', object_refs: [] }))).toEqual([
      'object_refs',
    ]);
    const target = 'malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b';
    expect(
      paths(
        sdo('relationship', { relationship_type: 'indicates', source_ref: indicator.id, target_ref: target }),
      ),
    ).toEqual([]);
    expect(
      paths(
        sdo('relationship', {
          relationship_type: 'Indicates',
          source_ref: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da',
          target_ref: target,
          start_time: '2016-01-01T00:00:00Z',
          stop_time: '2016-01-01T00:00:00Z',
        }),
      ),
    ).toEqual(['relationship_type', 'source_ref', 'stop_time']);
    expect(
      paths(
        sdo('sighting', {
          sighting_of_ref: indicator.id,
          count: 1_000_000_000,
          where_sighted_refs: ['malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b'],
        }),
      ),
    ).toEqual(['count', 'where_sighted_refs[0]']);
  });

  it('checks marking definitions: statement, TLP 1.0 and TLP 2.0', () => {
    const marking = (extra: Record<string, unknown>) => ({
      type: 'marking-definition',
      spec_version: '2.1',
      id: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da',
      created: '2017-01-20T00:00:00.000Z',
      ...extra,
    });
    expect(
      paths(marking({ definition_type: 'tlp', definition: { tlp: 'green' }, name: 'TLP:GREEN' })),
    ).toEqual([]);
    expect(paths(marking({ definition_type: 'tlp', definition: { tlp: 'red' } }))).toEqual(['id']);
    expect(paths(marking({ definition_type: 'tlp', definition: { tlp: 'purple' } }))).toEqual([
      'definition.tlp',
    ]);
    expect(
      paths(
        marking({
          id: 'marking-definition--a4d70b75-6f4a-5d19-9137-da863edd33d7',
          definition_type: 'statement',
          definition: { statement: 'Copyright ACME' },
        }),
      ),
    ).toEqual([]);
    expect(paths(marking({ definition_type: 'statement', definition: {} }))).toEqual([
      'definition.statement',
    ]);
    expect(paths(marking({}))).toEqual(['definition_type', 'definition']);
    const tlp2 = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';
    expect(
      paths(
        marking({
          id: 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
          name: 'TLP:AMBER+STRICT',
          extensions: { [tlp2]: { extension_type: 'property-extension', tlp_2_0: 'amber+strict' } },
        }),
      ),
    ).toEqual([]);
    expect(
      paths(marking({ extensions: { [tlp2]: { extension_type: 'property-extension', tlp_2_0: 'white' } } })),
    ).toEqual([`extensions.${tlp2}.tlp_2_0`]);
    expect(paths(marking({ extensions: { 'acme-ext': { a: 1 } } }))).toEqual(['extensions.acme-ext']);
  });

  it('passes custom objects and unmodelled STIX types through on their common properties', () => {
    expect(
      paths({
        type: 'x-acme-widget',
        id: 'x-acme-widget--2ad5e8a1-4b59-4a91-9e0a-2e3b3c7b8a11',
        anything: [1],
      }),
    ).toEqual([]);
    expect(
      paths({ ...base, type: 'campaign', id: 'campaign--2ad5e8a1-4b59-4a91-9e0a-2e3b3c7b8a11', name: 'c' }),
    ).toEqual([]);
    expect(
      paths({
        ...base,
        type: 'campaign',
        id: 'campaign--2ad5e8a1-4b59-4a91-9e0a-2e3b3c7b8a11',
        modified: 'x',
      }),
    ).toEqual(['modified']);
    expect(paths({ type: 'mutex', id: 'mutex--2ad5e8a1-4b59-4a91-9e0a-2e3b3c7b8a11', name: 'm' })).toEqual(
      [],
    );
    expect(paths({ type: 'Bad_Type', id: 'x' })).toEqual(['type', 'id']);
    expect(reasons(42)).toEqual([['', 'must be a JSON object']]);
    expect(reasons({ type: 'bundle', id: 'bundle--2ad5e8a1-4b59-4a91-9e0a-2e3b3c7b8a11' })).toEqual([
      ['type', 'a bundle is not a STIX object'],
    ]);
  });
});

describe('parseStixBundle', () => {
  it('returns the valid objects and one issue per problem of each invalid one', () => {
    const result = parseStixBundle(mixedBundle);
    expect(result.id).toBe('bundle--5d0092c5-5f74-4287-9642-33f4c354e56d');
    expect(result.objects.map((object) => object.type)).toEqual(['indicator', 'x-acme-widget', 'campaign']);
    expect(result.objects[0]).toMatchObject({ x_acme_score: 87 });
    expect(result.objects[1]).toMatchObject({ gadgets: [{ nested: { deep: true } }] });
    expect(result.errors).toEqual([
      {
        objectId: 'indicator--a932fcc6-e032-476c-826f-cb970a5a1ade',
        path: 'objects[1].valid_until',
        reason: 'must be later than valid_from',
      },
      {
        objectId: 'file--7e567502-8994-53ff-9c69-79240cae362d',
        path: 'objects[2].hashes.SHA-256',
        reason: 'SHA-256 must be 64 hexadecimal digits',
      },
      { path: 'objects[5]', reason: 'must be a JSON object' },
      {
        objectId: 'report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3',
        path: 'objects[6].object_refs',
        reason: 'must list at least one object',
      },
    ]);
  });

  it('accepts an already parsed value and bytes', () => {
    expect(parseStixBundle(JSON.parse(mixedBundle)).objects).toHaveLength(3);
    expect(parseStixBundle(new TextEncoder().encode(mixedBundle)).objects).toHaveLength(3);
  });

  it('throws STIX_INVALID for malformed JSON and for values that are not bundles', () => {
    const code = (input: unknown) => {
      try {
        parseStixBundle(input);
      } catch (error) {
        return CeError.isInstance(error) ? error.code : 'other';
      }
      return 'none';
    };
    expect(code('{"type": "bundle",')).toBe('STIX_INVALID');
    expect(code('[]')).toBe('STIX_INVALID');
    expect(code({ type: 'indicator' })).toBe('STIX_INVALID');
    expect(code({ type: 'bundle', id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d', objects: {} })).toBe(
      'STIX_INVALID',
    );
  });

  it('reports a bad bundle id as an issue and keeps going', () => {
    const result = parseStixBundle({ type: 'bundle', id: 'bundle-1', objects: [indicator] });
    expect(result.objects).toHaveLength(1);
    expect(result.errors.map((error) => error.path)).toEqual(['id']);
  });

  it('bounds nesting depth and size before anything recursive runs', () => {
    const deep = `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[${'['.repeat(100_000)}${']'.repeat(100_000)}]}`;
    expect(() => parseStixBundle(deep)).toThrow(/deeper than 64/);
    let value: unknown = 1;
    for (let i = 0; i < 100_000; i++) value = [value];
    expect(() => parseStixBundle({ type: 'bundle', id: 'bundle--x', objects: [value] })).toThrow(/deeper/);
    expect(() => parseStixBundle(mixedBundle, { maxBytes: 100 })).toThrow(/over the 100-byte limit/);
    expect(parseStixBundle(mixedBundle, { maxDepth: 6 }).objects).toHaveLength(3);
    expect(() => parseStixBundle(mixedBundle, { maxDepth: 5 })).toThrow(CeError);
  });
});

const sharedExamples = fileURLToPath(
  new URL('../../../../../shared/fixtures/stix2-json-schemas/examples/', import.meta.url),
);
const haveShared = existsSync(sharedExamples);
if (!haveShared) console.warn(`skipping the OASIS example bundles: ${sharedExamples} is absent`);

describe.skipIf(!haveShared)('the OASIS example bundles (cti-stix2-json-schemas/examples)', () => {
  it('parse with no issues', () => {
    const files = [
      ...readdirSync(sharedExamples).filter((name) => name.endsWith('.json')),
      ...readdirSync(`${sharedExamples}threat-reports`).map((name) => `threat-reports/${name}`),
    ];
    let objects = 0;
    for (const file of files) {
      const value = JSON.parse(readFileSync(`${sharedExamples}${file}`, 'utf8'));
      if (value.type !== 'bundle') {
        expect(validateStixObject(value), file).toMatchObject({ ok: true });
        continue;
      }
      const result = parseStixBundle(value);
      expect(result.errors, file).toEqual([]);
      expect(result.objects).toHaveLength(value.objects.length);
      objects += result.objects.length;
    }
    expect(objects).toBeGreaterThan(200);
  });
});
