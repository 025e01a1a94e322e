import type { SharedIndicator } from '@ce/core';
import { indicatorReportSchema } from '@ce/core';
import { describe, expect, it } from 'vitest';
import restSearch from './__fixtures__/attributes-rest-search.json' with { type: 'json' };
import manifest from './__fixtures__/feed-manifest.json' with { type: 'json' };
import { attributesRestSearchResponseSchema, feedManifestSchema } from './misp-api.js';
import {
  attributeToReports,
  attributeValues,
  indicatorToAttribute,
  mispTypeOf,
  parseSeen,
  severityFromThreatLevel,
  tlpOfTag,
} from './misp-mapping.js';

const push = { ipType: 'ip-dst', emailType: 'email-src' } as const;

describe('attributeValues', () => {
  it('maps single types, telling IPv4, IPv6 and networks apart by value', () => {
    expect(attributeValues('ip-src', '192.0.2.1')).toEqual([{ type: 'ipv4', value: '192.0.2.1' }]);
    expect(attributeValues('ip-dst', '2001:db8::1')).toEqual([{ type: 'ipv6', value: '2001:db8::1' }]);
    expect(attributeValues('ip-dst', '198.51.100.0/24')).toEqual([
      { type: 'ipv4-cidr', value: '198.51.100.0/24' },
    ]);
    expect(attributeValues('ip-dst', '2001:db8::/48')).toEqual([
      { type: 'ipv6-cidr', value: '2001:db8::/48' },
    ]);
    expect(attributeValues('email-dst', 'a@b.test')).toEqual([{ type: 'email', value: 'a@b.test' }]);
    expect(attributeValues('hostname', 'www.b.test')).toEqual([{ type: 'hostname', value: 'www.b.test' }]);
    expect(attributeValues('sha1', 'a'.repeat(40))).toEqual([{ type: 'sha1', value: 'a'.repeat(40) }]);
  });

  it('splits composite attributes into their indicator parts', () => {
    expect(attributeValues('domain|ip', 'evil.test|192.0.2.5')).toEqual([
      { type: 'domain', value: 'evil.test' },
      { type: 'ipv4', value: '192.0.2.5' },
    ]);
    expect(attributeValues('ip-dst|port', '2001:db8::5|443')).toEqual([
      { type: 'ipv6', value: '2001:db8::5' },
    ]);
    expect(attributeValues('hostname|port', 'mail.evil.test|25')).toEqual([
      { type: 'hostname', value: 'mail.evil.test' },
    ]);
    expect(attributeValues('filename|sha256', `drop.exe|${'b'.repeat(64)}`)).toEqual([
      { type: 'sha256', value: 'b'.repeat(64) },
    ]);
    expect(attributeValues('filename|md5', `a|b.exe|${'c'.repeat(32)}`)).toEqual([
      { type: 'md5', value: 'c'.repeat(32) },
    ]);
  });

  it('gives nothing for types the exchange cannot hold and for garbage', () => {
    expect(attributeValues('text', 'anything')).toEqual([]);
    expect(attributeValues('link', 'https://report.test')).toEqual([]);
    expect(attributeValues('ip-dst', 'not-an-ip')).toEqual([]);
    expect(attributeValues('domain|ip', 'evil.test|not-an-ip')).toEqual([
      { type: 'domain', value: 'evil.test' },
    ]);
    expect(attributeValues('url', '   ')).toEqual([]);
  });
});

describe('attributeToReports', () => {
  const parsed = attributesRestSearchResponseSchema.parse(restSearch);
  const attribute = parsed.response.Attribute[0];

  it('reads the documented restSearch answer into valid reports', () => {
    expect(attribute).toBeDefined();
    const reports = attributeToReports(attribute as NonNullable<typeof attribute>, {
      baseUrl: 'https://misp.example.org/',
      event: { id: '12', info: 'Phishing wave December', threatLevelId: '1' },
    });
    expect(reports).toHaveLength(2);
    for (const report of reports) expect(indicatorReportSchema.safeParse(report).success).toBe(true);
    expect(reports[0]).toEqual({
      value: 'bad.example.test',
      type: 'domain',
      severity: 'high',
      confidence: 73,
      reputation: 8,
      tags: ['misp-galaxy:threat-actor="Sofacy"'],
      // tlp:amber on the attribute outranks the event's inherited tlp:white.
      tlp: 'amber',
      comments: 'C2 seen in the phishing wave',
      externalUrl: 'https://misp.example.org/events/view/12',
      firstSeen: Date.parse('2025-12-29T08:00:00Z'),
      lastSeen: 1_767_088_800_000,
    });
    expect(reports[1]).toMatchObject({ value: '192.0.2.44', type: 'ipv4', severity: 'high' });
  });

  it('maps threat levels to severities and tlp:white to clear', () => {
    expect(severityFromThreatLevel).toEqual({ '1': 'high', '2': 'medium', '3': 'low', '4': 'unknown' });
    expect(tlpOfTag('tlp:white')).toBe('clear');
    expect(tlpOfTag('TLP:AMBER+STRICT')).toBe('amber+strict');
    expect(tlpOfTag('tlp:red')).toBe('red');
    expect(tlpOfTag('pap:red')).toBeUndefined();
  });

  it('falls back to the event info for comments and leaves unknown context out', () => {
    const [report] = attributeToReports(
      { type: 'url', value: 'http://x.test/a', comment: '', timestamp: 1_700_000_000 },
      { event: { info: 'Campaign X' } },
    );
    expect(report).toEqual({
      value: 'http://x.test/a',
      type: 'url',
      comments: 'MISP event: Campaign X',
      lastSeen: 1_700_000_000_000,
    });
  });
});

describe('parseSeen', () => {
  it('reads MISP microsecond ISO strings and microsecond epochs', () => {
    expect(parseSeen('2025-12-29T08:00:00.123456+00:00')).toBe(Date.parse('2025-12-29T08:00:00.123Z'));
    expect(parseSeen('1581984000000000')).toBe(1_581_984_000_000);
    expect(parseSeen(null)).toBeUndefined();
    expect(parseSeen('soon')).toBeUndefined();
  });
});

describe('indicatorToAttribute', () => {
  const indicator = (extra: Partial<SharedIndicator>): SharedIndicator => ({
    type: 'domain',
    value: 'evil.test',
    severity: 'high',
    reputation: 9,
    tags: ['phishing'],
    firstSeen: Date.parse('2025-12-01T00:00:00Z'),
    lastSeen: Date.parse('2025-12-02T00:00:00Z'),
    sources: ['feed'],
    ...extra,
  });

  it('writes type, category, IDS flag, seen times and tags with the TLP and marker', () => {
    expect(
      indicatorToAttribute(indicator({ tlp: 'clear', comments: 'from feed' }), {
        push,
        toIds: true,
        extraTags: ['cloud-exchange'],
      }),
    ).toEqual({
      type: 'domain',
      category: 'Network activity',
      value: 'evil.test',
      to_ids: true,
      distribution: '5',
      comment: 'from feed',
      first_seen: '2025-12-01T00:00:00.000+00:00',
      last_seen: '2025-12-02T00:00:00.000+00:00',
      Tag: [{ name: 'phishing' }, { name: 'tlp:clear' }, { name: 'cloud-exchange' }],
    });
  });

  it('maps every exchange type to a MISP type', () => {
    expect(mispTypeOf('ipv4', push).type).toBe('ip-dst');
    expect(mispTypeOf('ipv6-cidr', push).type).toBe('ip-dst');
    expect(mispTypeOf('ipv4-cidr', { ipType: 'ip-src', emailType: 'email-dst' }).type).toBe('ip-src');
    expect(mispTypeOf('email', push)).toEqual({ type: 'email-src', category: 'Payload delivery' });
    expect(mispTypeOf('email', { ipType: 'ip-dst', emailType: 'email-dst' })).toEqual({
      type: 'email-dst',
      category: 'Network activity',
    });
    expect(mispTypeOf('sha256', push)).toEqual({ type: 'sha256', category: 'Payload delivery' });
    expect(mispTypeOf('hostname', push).type).toBe('hostname');
    expect(mispTypeOf('url', push).type).toBe('url');
  });
});

describe('feed manifest', () => {
  it('reads the documented manifest shape', () => {
    const parsed = feedManifestSchema.parse(manifest);
    expect(parsed['988ce14e-0802-4aa3-92ca-8ca1104e0b38']).toMatchObject({
      timestamp: 1_766_966_400,
      threat_level_id: '2',
      info: 'OSINT - New campaign',
    });
  });
});
