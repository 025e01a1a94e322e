import { describe, expect, it } from 'vitest';
import type { IndicatorType } from '../normalize/indicator-types.js';
import { builtinWarninglistIds, builtinWarninglists } from './builtin-warninglists.js';
import { createWarninglistMatcher } from './warninglist-index.js';

const matcher = createWarninglistMatcher();
const listOf = (type: IndicatorType, value: string): string | undefined => matcher.match(type, value)?.listId;

describe('built-in warninglists', () => {
  it('are all loaded, in the documented order, without unusable entries', () => {
    expect(builtinWarninglists.map((list) => list.id)).toEqual([...builtinWarninglistIds]);
    expect(matcher.list().map((list) => list.id)).toEqual([...builtinWarninglistIds]);
    for (const list of matcher.list()) expect(list.entryCount).toBeGreaterThan(0);
  });

  // Each row: a block's first and last address are in, the addresses just outside are not
  // (or belong to another list).
  it.each([
    ['ce-private-networks', '10.0.0.0', '10.255.255.255', '9.255.255.255', '11.0.0.0'],
    ['ce-private-networks', '172.16.0.0', '172.31.255.255', '172.15.255.255', '172.32.0.0'],
    ['ce-private-networks', '192.168.0.0', '192.168.255.255', '192.167.255.255', '192.169.0.0'],
    ['ce-loopback', '127.0.0.0', '127.255.255.255', '126.255.255.255', '128.0.0.0'],
    ['ce-link-local', '169.254.0.0', '169.254.255.255', '169.253.255.255', '169.255.0.0'],
    ['ce-multicast', '224.0.0.0', '239.255.255.255', '223.255.255.255', undefined],
    ['ce-shared-address-space', '100.64.0.0', '100.127.255.255', '100.63.255.255', '100.128.0.0'],
    ['ce-documentation-networks', '192.0.2.0', '192.0.2.255', '192.0.1.255', '192.0.3.0'],
    ['ce-documentation-networks', '198.51.100.0', '198.51.100.255', '198.51.99.255', '198.51.101.0'],
    ['ce-documentation-networks', '203.0.113.0', '203.0.113.255', '203.0.112.255', '203.0.114.0'],
    ['ce-reserved-networks', '198.18.0.0', '198.19.255.255', '198.17.255.255', '198.20.0.0'],
    ['ce-reserved-networks', '240.0.0.0', '255.255.255.254', undefined, undefined],
  ] as const)('%s holds %s to %s', (listId, first, last, below, above) => {
    expect(listOf('ipv4', first)).toBe(listId);
    expect(listOf('ipv4', last)).toBe(listId);
    if (below) expect(listOf('ipv4', below)).not.toBe(listId);
    if (above) expect(listOf('ipv4', above)).not.toBe(listId);
  });

  it('leaves public addresses alone', () => {
    for (const address of [
      '8.8.8.8',
      '1.1.1.1',
      '9.255.255.255',
      '11.0.0.0',
      '223.255.255.255',
      '100.128.0.0',
    ])
      expect(matcher.match('ipv4', address)).toBeUndefined();
    for (const address of ['2606:4700:4700::1111', '2001:4860:4860::8888', '2001:db9::', 'fbff:ffff::1'])
      expect(matcher.match('ipv6', address)).toBeUndefined();
  });

  it('flags the unspecified and broadcast addresses ahead of the reserved blocks holding them', () => {
    expect(matcher.match('ipv4', '0.0.0.0')).toMatchObject({
      listId: 'ce-unspecified-addresses',
      entry: '0.0.0.0/32',
    });
    expect(listOf('ipv4', '0.0.0.1')).toBe('ce-reserved-networks');
    expect(listOf('ipv4', '255.255.255.255')).toBe('ce-limited-broadcast');
    expect(matcher.matchAll('ipv4', '255.255.255.255').map((match) => match.listId)).toEqual([
      'ce-limited-broadcast',
      'ce-reserved-networks',
    ]);
  });

  it.each([
    [
      'ce-private-networks',
      'fc00::',
      'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      'fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      'fe00::',
    ],
    [
      'ce-link-local',
      'fe80::',
      'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      'fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      'fec0::',
    ],
    [
      'ce-multicast',
      'ff00::',
      'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      'feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      undefined,
    ],
    [
      'ce-documentation-networks',
      '2001:db8::',
      '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff',
      '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff',
      '2001:db9::',
    ],
    ['ce-loopback', '::1', '::1', '::2', undefined],
    ['ce-unspecified-addresses', '::', '::', undefined, undefined],
  ] as const)('%s holds IPv6 %s to %s', (listId, first, last, below, above) => {
    expect(listOf('ipv6', first)).toBe(listId);
    expect(listOf('ipv6', last)).toBe(listId);
    if (below) expect(listOf('ipv6', below)).not.toBe(listId);
    if (above) expect(listOf('ipv6', above)).not.toBe(listId);
  });

  it('matches IPv4-mapped IPv6 addresses as the IPv4 address they carry', () => {
    expect(matcher.match('ipv6', '::ffff:10.1.2.3')).toMatchObject({
      listId: 'ce-private-networks',
      entry: '10.0.0.0/8',
    });
    expect(listOf('ipv6', '::ffff:7f00:1')).toBe('ce-loopback');
    expect(matcher.match('ipv6', '::ffff:8.8.8.8')).toBeUndefined();
    expect(listOf('ipv6-cidr', '::ffff:192.168.0.0/112')).toBe('ce-private-networks');
  });

  it('flags CIDR indicators inside a listed block, not those merely overlapping one', () => {
    expect(listOf('ipv4-cidr', '10.20.0.0/16')).toBe('ce-private-networks');
    expect(listOf('ipv4-cidr', '10.0.0.0/8')).toBe('ce-private-networks');
    expect(matcher.match('ipv4-cidr', '10.0.0.0/7')).toBeUndefined();
    expect(matcher.match('ipv4-cidr', '0.0.0.0/0')).toBeUndefined();
    expect(listOf('ipv6-cidr', 'fe80::/64')).toBe('ce-link-local');
    expect(matcher.match('ipv6-cidr', '::/0')).toBeUndefined();
  });

  it('flags URLs whose host is a special address', () => {
    expect(matcher.match('url', 'http://192.168.1.1:8080/admin')).toMatchObject({
      listId: 'ce-private-networks',
      matchedOn: 'host',
    });
    expect(listOf('url', 'http://[::1]/x')).toBe('ce-loopback');
    expect(matcher.match('url', 'http://8.8.8.8/')).toBeUndefined();
  });

  it('flags special-use domain names and their subdomains, in domains, URLs and e-mail addresses', () => {
    for (const name of [
      'example',
      'example.com',
      'www.example.net',
      'a.b.example.org',
      'foo.test',
      'x.invalid',
      'localhost',
      'printer.local',
      'nas.home.arpa',
      'svc.internal',
    ])
      expect(listOf('hostname', name)).toBe('ce-special-use-domains');
    expect(matcher.match('domain', 'sub.example.com')).toMatchObject({
      entry: 'example.com',
      matchedOn: 'value',
    });
    expect(matcher.match('url', 'https://login.example.com/x')).toMatchObject({
      entry: 'example.com',
      matchedOn: 'host',
    });
    expect(matcher.match('email', 'alice@mail.example.org')).toMatchObject({
      entry: 'example.org',
      matchedOn: 'host',
    });
    for (const name of [
      'notexample.com',
      'example.co',
      'examples.com',
      'testing.com',
      'duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion',
      'example.com.evil.net',
    ])
      expect(matcher.match('domain', name)).toBeUndefined();
  });

  it('flags hashes of empty content, and only for hash types', () => {
    expect(listOf('md5', 'd41d8cd98f00b204e9800998ecf8427e')).toBe('ce-empty-content-hashes');
    expect(listOf('sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709')).toBe('ce-empty-content-hashes');
    expect(listOf('sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')).toBe(
      'ce-empty-content-hashes',
    );
    expect(matcher.match('md5', '44d88612fea8a8f36de82e1278abb02f')).toBeUndefined();
    expect(matcher.match('domain', 'd41d8cd98f00b204e9800998ecf8427e')).toBeUndefined();
  });
});
