import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/validation-error.js';
import { createIndicatorCodec, createIndicatorStringDictionary } from './indicator-codec.js';
import type { StoredIndicator } from './indicator-model.js';

/** A record using every field of the model, extras at each level and non-Latin-1 text. */
const full = {
  type: 'domain',
  value: 'evil.example',
  sources: [
    {
      sourceId: 'feed-a',
      firstSeen: 1767225600000,
      lastSeen: 1767225600001,
      severity: 'high',
      reputation: 8,
      confidence: 80,
      tags: ['c2', 'malware'],
      comments: 'seen in ä campaign ☃',
      externalUrl: 'https://intel.example/x',
      safe: false,
      test: false,
      tlp: 'amber',
      hits: 3,
      expiresAt: 1769817600000,
      reportedAt: 1767225600002,
      withdrawnAt: 1767225600003,
      vendorScore: -2.5,
    },
  ],
  merged: {
    severity: 'high',
    reputation: 8,
    confidence: 80,
    tags: ['c2', 'malware'],
    safe: false,
    test: false,
    tlp: 'amber',
    firstSeen: 1767225600000,
    lastSeen: 1767225600001,
    verdict: { sourceId: 'feed-a', verdict: 'malicious', overruled: ['feed-b'], reason: 'policy' },
  },
  active: false,
  inactiveReason: 'withdrawn',
  inactiveSince: 1767225600004,
  expiresAt: 1769817600000,
  decayScore: 42.5,
  suppressedBy: { listId: 'l1', listName: 'List one', entry: 'example' },
  sightings: { total: 2, systems: [{ system: 'edr', count: 2, firstSeen: 1, lastSeen: 2 }] },
  createdAt: 1767225600000,
  updatedAt: 1767225600005,
  custom: { nested: [1, null, true, 'x'] },
} as unknown as Omit<StoredIndicator, 'sequence'>;

const minimal: Omit<StoredIndicator, 'sequence'> = {
  type: 'ipv4',
  value: '10.0.0.1',
  sources: [],
  merged: {
    severity: 'unknown',
    reputation: 5,
    tags: [],
    safe: false,
    test: false,
    firstSeen: 1,
    lastSeen: 2,
  },
  active: true,
  sightings: { total: 0, systems: [] },
  createdAt: 1,
  updatedAt: 2,
};

/** The same two records as written by format version 1, which stores may still hold. */
const version1 = {
  full: 'AQsBCQZmZWVkLWEEgNDqtrczBIHQ6ra3MwcDBAgEUAsCCQJjMgkHbWFsd2FyZQoUcwBlAGUAbgAgAGkAbgAgAOQAIABjAGEAbQBwAGEAaQBnAG4AIAADJgkXaHR0cHM6Ly9pbnRlbC5leGFtcGxlL3gCAgcHBAMEgODlisEzBIPQ6ra3MwwJCnJlcG9ydGVkQXQEgtDqtrczCQt2ZW5kb3JTY29yZQYAAAAAAAAEwA0HAwQIBFALAgkCYzIJB21hbHdhcmUAAAICBwcEgNDqtrczBIHQ6ra3MwwHGwkGZmVlZC1hBzwHDwc9CwEJBmZlZWQtYgc+CQZwb2xpY3kNAAIHCwSE0Oq2tzMEgODlisEzBgAAAAAAQEVADAc5CQJsMQc6CQhMaXN0IG9uZQc7CQdleGFtcGxlDQwHNQQCBzYLAQwHNwkDZWRyBzgEAgccBAEHHQQCDQ0EgNDqtrczBIXQ6ra3MwwJBmN1c3RvbQwJBm5lc3RlZAsEBAEBAwkBeA0N',
  minimal: 'AQsABwAEBQALAAAAAgIABAEEAgAAAwAAAAAADAc1BAAHNgsADQQBBAIA',
};

function roundTrip(record: Omit<StoredIndicator, 'sequence'>, withDictionary: boolean): StoredIndicator {
  const codec = createIndicatorCodec(withDictionary ? { dictionary: createIndicatorStringDictionary() } : {});
  const length = codec.encode(record, 0);
  const bytes = Buffer.from(codec.output().subarray(0, length));
  return codec.decode(bytes, 0, record.type, record.value, 7);
}

describe('createIndicatorCodec', () => {
  it.each([false, true])('round-trips every field, extras included (dictionary: %s)', (withDictionary) => {
    expect(roundTrip(full, withDictionary)).toStrictEqual({ ...full, sequence: 7 });
    expect(roundTrip(minimal, withDictionary)).toStrictEqual({ ...minimal, sequence: 7 });
  });

  it('keeps numbers exact: large, negative, fractional and -0 as 0', () => {
    const record = {
      ...minimal,
      createdAt: 2 ** 53 - 1,
      updatedAt: 268_435_456,
      decayScore: 0.1,
      sightings: { total: -3, systems: [], extra: -(2 ** 40) },
      inactiveSince: -0,
    } as Omit<StoredIndicator, 'sequence'>;
    const copy = roundTrip(record, false);
    expect(copy).toMatchObject({
      createdAt: 2 ** 53 - 1,
      updatedAt: 268_435_456,
      decayScore: 0.1,
      sightings: { total: -3, systems: [], extra: -(2 ** 40) },
    });
    expect(Object.is(copy.inactiveSince, 0)).toBe(true);
  });

  it('keeps sightings that are not the usual object', () => {
    const absentTotal = { ...minimal, sightings: { systems: [] } } as unknown as Omit<
      StoredIndicator,
      'sequence'
    >;
    expect(roundTrip(absentTotal, false).sightings).toStrictEqual({ systems: [] });
    const nullPrototype = Object.assign(Object.create(null), { total: 1, systems: [] });
    const copy = roundTrip({ ...minimal, sightings: nullPrototype }, false);
    expect({ ...copy.sightings }).toEqual({ total: 1, systems: [] });
  });

  it('ignores properties set to undefined, as JSON would', () => {
    const record = { ...minimal, merged: { ...minimal.merged, comments: undefined, other: undefined } };
    expect(roundTrip(record, false)).toStrictEqual({ ...minimal, sequence: 7 });
  });

  it('decodes version 1 bytes', () => {
    const codec = createIndicatorCodec();
    const decode = (base64: string, record: Omit<StoredIndicator, 'sequence'>) =>
      codec.decode(Buffer.from(base64, 'base64'), 0, record.type, record.value, 3);
    expect(decode(version1.full, full)).toStrictEqual({ ...full, sequence: 3 });
    expect(decode(version1.minimal, minimal)).toStrictEqual({ ...minimal, sequence: 3 });
  });

  it('reuses repeated short strings when decoding, and tells different ones apart', () => {
    const codec = createIndicatorCodec();
    const records = ['feed-a', 'feed-b', 'feed-a'].map((sourceId) => ({
      ...minimal,
      sources: [{ ...(full.sources[0] as StoredIndicator['sources'][number]), sourceId }],
    }));
    const ends = records.map((record, index) => {
      codec.encode(record, index);
      return codec.length;
    });
    const bytes = Buffer.from(codec.output().subarray(0, codec.length));
    const decoded = records.map((record, index) =>
      codec.decode(bytes, index === 0 ? 0 : (ends[index - 1] as number), record.type, record.value, index),
    );
    expect(decoded.map((record) => record.sources[0]?.sourceId)).toEqual(['feed-a', 'feed-b', 'feed-a']);
  });

  it('names the index and field of a value that is not JSON', () => {
    const codec = createIndicatorCodec();
    const bad = { ...minimal, merged: { ...minimal.merged, tags: ['a', undefined] } } as unknown as Omit<
      StoredIndicator,
      'sequence'
    >;
    try {
      codec.encode(bad, 4);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues[0]?.path).toBe('[4].merged.tags[1]');
    }
    const nan = { ...minimal, sightings: { total: Number.NaN, systems: [] } };
    expect(() => codec.encode(nan, 0)).toThrow(ValidationError);
  });
});
