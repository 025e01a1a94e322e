import { CeError, FakeClock, ValidationError } from '@ce/core';
import { describe, expect, it } from 'vitest';
import {
  createBundle,
  createIndicator,
  createObservable,
  createRelationship,
  createSighting,
  createStixObject,
} from './create.js';
import { parseStixBundle } from './validate.js';

const clock = new FakeClock(Date.parse('2026-03-01T12:00:00.000Z'));

describe('creation helpers', () => {
  it('fill spec_version, a random id and created = modified = now', () => {
    const actor = createStixObject('threat-actor', { name: 'Adversary Bravo', x_acme_rank: 3 }, { clock });
    expect(actor).toMatchObject({
      type: 'threat-actor',
      spec_version: '2.1',
      created: '2026-03-01T12:00:00.000Z',
      modified: '2026-03-01T12:00:00.000Z',
      name: 'Adversary Bravo',
      x_acme_rank: 3,
    });
    expect(actor.id).toMatch(/^threat-actor--[0-9a-f-]{36}$/);
    expect(createStixObject('threat-actor', { name: 'x' }, { clock }).id).not.toBe(actor.id);
  });

  it('keep what the caller gives and validate it', () => {
    const given = createStixObject(
      'identity',
      {
        id: 'identity--311b2d2d-f010-4473-83ec-1edf84858f4c',
        name: 'ACME',
        created: '2020-01-01T00:00:00.000Z',
      },
      { clock },
    );
    expect(given).toMatchObject({
      id: 'identity--311b2d2d-f010-4473-83ec-1edf84858f4c',
      modified: given.created,
    });
    let error: unknown;
    try {
      createStixObject('identity', { confidence: 300 }, { clock });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect(CeError.isInstance(error) && error.code).toBe('VALIDATION_FAILED');
    expect((error as ValidationError).issues.map((issue) => issue.path).sort()).toEqual([
      'confidence',
      'name',
    ]);
  });

  it('create indicators with STIX defaults', () => {
    const indicator = createIndicator(
      { pattern: "[url:value = 'https://evil.example/']", name: 'Phish' },
      { clock },
    );
    expect(indicator).toMatchObject({
      type: 'indicator',
      pattern_type: 'stix',
      pattern_version: '2.1',
      valid_from: '2026-03-01T12:00:00.000Z',
    });
    const yara = createIndicator({ pattern: 'rule x { condition: true }', pattern_type: 'yara' }, { clock });
    expect(yara.pattern_version).toBeUndefined();
    expect(() =>
      createIndicator({
        pattern: 'x',
        valid_from: '2026-01-01T00:00:00Z',
        valid_until: '2025-01-01T00:00:00Z',
      }),
    ).toThrow(/valid_until/);
  });

  it('create observables with their deterministic id and no timestamps', () => {
    const ip = createObservable('ipv4-addr', { value: '198.51.100.3' });
    expect(ip).toEqual({
      type: 'ipv4-addr',
      spec_version: '2.1',
      id: 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4',
      value: '198.51.100.3',
    });
    const custom = createStixObject('x-acme-host', { name: 'h1' }, { observable: true });
    expect(custom).not.toHaveProperty('created');
    expect(() => createObservable('url', { value: 'not a url' })).toThrow(ValidationError);
  });

  it('create relationships, sightings and bundles that parse back cleanly', () => {
    const indicator = createIndicator({ pattern: "[ipv4-addr:value = '198.51.100.3']" }, { clock });
    const malware = createStixObject('malware', { name: 'Poison Ivy', is_family: true }, { clock });
    const identity = createStixObject('identity', { name: 'ACME SOC' }, { clock });
    const relationship = createRelationship(indicator, 'indicates', malware.id, {}, { clock });
    expect(relationship).toMatchObject({ source_ref: indicator.id, target_ref: malware.id });
    const sighting = createSighting(indicator, { count: 2, where_sighted_refs: [identity.id] }, { clock });
    expect(sighting.sighting_of_ref).toBe(indicator.id);
    const bundle = createBundle([identity, indicator, malware, relationship, sighting]);
    expect(bundle.id).toMatch(/^bundle--/);
    const parsed = parseStixBundle(JSON.stringify(bundle));
    expect(parsed.errors).toEqual([]);
    expect(parsed.objects).toEqual(bundle.objects);
    expect(() => createBundle([{ ...indicator, pattern_type: 1 } as never])).toThrow(
      /objects\[0\]\.pattern_type/,
    );
  });
});
