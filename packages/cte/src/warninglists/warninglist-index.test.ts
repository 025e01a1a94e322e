import { CeError, ValidationError } from '@ce/core';
import { describe, expect, it } from 'vitest';
import type { AllowlistDefinition, WarninglistDefinition } from './warninglist.js';
import { createWarninglistMatcher, skippedIssueLimit, WarninglistIndex } from './warninglist-index.js';

const hostnames: WarninglistDefinition = {
  id: 'popular',
  name: 'Popular sites',
  matchType: 'hostname',
  entries: ['example.com', '.Google.COM.', 'co.uk'],
};

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('WarninglistIndex: hostname lists', () => {
  const index = new WarninglistIndex();
  index.add(hostnames);

  it('matches a host and its subdomains by whole labels', () => {
    expect(index.match('domain', 'example.com')).toEqual({
      listId: 'popular',
      listName: 'Popular sites',
      listKind: 'warninglist',
      entry: 'example.com',
      matchedOn: 'value',
    });
    expect(index.match('hostname', 'sub.example.com')?.entry).toBe('example.com');
    expect(index.match('hostname', 'a.b.c.example.com')?.entry).toBe('example.com');
    expect(index.match('hostname', 'notexample.com')).toBeUndefined();
    expect(index.match('hostname', 'example.com.attacker.net')).toBeUndefined();
    expect(index.match('hostname', 'com')).toBeUndefined();
  });

  it('normalizes entries (case, surrounding dots) but expects normalized values', () => {
    expect(index.match('domain', 'mail.google.com')?.entry).toBe('google.com');
    expect(index.match('domain', 'mail.google.com.')?.entry).toBe('google.com');
  });

  it('reports the most specific suffix first', () => {
    const nested = new WarninglistIndex();
    nested.add({ id: 'n', name: 'n', matchType: 'hostname', entries: ['uk', 'bbc.co.uk'] });
    expect(nested.match('domain', 'www.bbc.co.uk')?.entry).toBe('bbc.co.uk');
    expect(nested.match('domain', 'www.gov.uk')?.entry).toBe('uk');
  });

  it('checks the host of URLs and the domain of e-mail addresses', () => {
    expect(index.match('url', 'https://user:pw@www.example.com:8443/path?q=example.org#frag')).toMatchObject({
      entry: 'example.com',
      matchedOn: 'host',
    });
    expect(index.match('url', 'https://evil.net/example.com')).toBeUndefined();
    expect(index.match('url', 'mailto:someone')).toBeUndefined();
    expect(index.match('email', 'bob@news.co.uk')).toMatchObject({ entry: 'co.uk', matchedOn: 'host' });
    expect(index.match('email', 'example.com@evil.net')).toBeUndefined();
  });

  it('does not apply host entries to addresses or hashes', () => {
    const numeric = new WarninglistIndex();
    numeric.add({ id: 'n', name: 'n', matchType: 'hostname', entries: ['1', '0.1'] });
    expect(numeric.match('ipv4', '10.0.0.1')).toBeUndefined();
    expect(numeric.match('url', 'http://10.0.0.1/')).toBeUndefined();
  });
});

describe('WarninglistIndex: other match types', () => {
  it('string lists match exactly, with entries brought to normalized form', () => {
    const index = new WarninglistIndex();
    index.add({
      id: 's',
      name: 'Strings',
      matchType: 'string',
      entries: [
        'D41D8CD98F00B204E9800998ECF8427E',
        'Mail.Example.COM',
        '2001:DB8:0:0:0:0:0:1',
        'HTTPS://Example.COM/A/B',
        'Bob@Example.COM',
        '.google.ad',
      ],
    });
    expect(index.match('md5', 'd41d8cd98f00b204e9800998ecf8427e')?.entry).toBe(
      'd41d8cd98f00b204e9800998ecf8427e',
    );
    expect(index.match('hostname', 'mail.example.com')).toBeDefined();
    expect(index.match('hostname', 'x.mail.example.com')).toBeUndefined();
    expect(index.match('ipv6', '2001:db8::1')).toBeDefined();
    expect(index.match('url', 'https://example.com/A/B')).toBeDefined();
    expect(index.match('url', 'https://example.com/a/b')).toBeUndefined();
    expect(index.match('email', 'Bob@example.com')).toBeDefined();
    // As in MISP, a leading dot in a string list is literal.
    expect(index.match('domain', 'www.google.ad')).toBeUndefined();
  });

  it('substring lists match anywhere in the value, case-sensitively', () => {
    const index = new WarninglistIndex();
    index.add({ id: 'sub', name: 'Sub', matchType: 'substring', entries: ['sandbox', 'any.run'] });
    expect(index.match('domain', 'capesandbox.com')?.entry).toBe('sandbox');
    expect(index.match('url', 'https://app.any.run/tasks/1')?.entry).toBe('any.run');
    expect(index.match('domain', 'SANDBOX.com')).toBeUndefined();
  });

  it('regex lists test the whole value and skip unsafe patterns with a reason', () => {
    const index = new WarninglistIndex();
    const result = index.add(
      { id: 'r', name: 'Re', matchType: 'regex', entries: ['/^abuse@/i', '/(a+)+$/', '/b/x'] },
      { invalidEntries: 'skip' },
    );
    expect(result.entryCount).toBe(1);
    expect(result.skippedCount).toBe(2);
    expect(result.skipped[0]).toMatchObject({ path: 'entries[1]' });
    expect(result.skipped[0]?.reason).toMatch(/catastrophic backtracking/);
    expect(result.skipped[1]).toEqual({
      path: 'entries[2]',
      reason: 'unsupported regular expression flag "x"',
    });
    expect(index.match('email', 'Abuse@example.com')?.entry).toBe('/^abuse@/i');
  });

  it('cidr lists match addresses, URL hosts and CIDR blocks inside them', () => {
    const index = new WarninglistIndex();
    index.add({
      id: 'c',
      name: 'Cidr',
      matchType: 'cidr',
      entries: ['203.0.113.7/24', '2001:db8::/48', '8.8.8.8'],
    });
    expect(index.match('ipv4', '203.0.113.255')?.entry).toBe('203.0.113.0/24');
    expect(index.match('ipv4', '8.8.8.8')?.entry).toBe('8.8.8.8/32');
    expect(index.match('ipv4', '8.8.4.4')).toBeUndefined();
    expect(index.match('ipv4-cidr', '203.0.113.128/25')?.entry).toBe('203.0.113.0/24');
    expect(index.match('ipv4-cidr', '203.0.112.0/23')).toBeUndefined();
    expect(index.match('ipv6', '2001:db8:0:ffff::1')?.entry).toBe('2001:db8::/48');
    expect(index.match('ipv6-cidr', '2001:db8::/64')?.entry).toBe('2001:db8::/48');
    expect(index.match('url', 'https://8.8.8.8/dns-query')).toMatchObject({
      entry: '8.8.8.8/32',
      matchedOn: 'host',
    });
    expect(index.match('domain', 'dns.google')).toBeUndefined();
  });
});

describe('WarninglistIndex: order, applicability and lifecycle', () => {
  it('returns the first list in insertion order, and all of them from matchAll', () => {
    const index = createWarninglistMatcher(
      [
        { id: 'b', name: 'B', matchType: 'hostname', entries: ['example.com'] },
        { id: 'a', name: 'A', matchType: 'string', entries: ['www.example.com'] },
      ],
      { builtins: false },
    );
    expect(index.match('hostname', 'www.example.com')?.listId).toBe('b');
    expect(index.matchAll('hostname', 'www.example.com').map((match) => match.listId)).toEqual(['b', 'a']);
    expect(index.matchAll('hostname', 'nothing.net')).toEqual([]);
  });

  it('consults a list only for its indicator types', () => {
    const index = new WarninglistIndex();
    index.add({ id: 'h', name: 'H', matchType: 'string', indicatorTypes: ['md5'], entries: ['abc'] });
    expect(index.match('md5', 'abc')).toBeDefined();
    expect(index.match('domain', 'abc')).toBeUndefined();
    expect(index.get('h')?.indicatorTypes).toEqual(['md5']);
  });

  it('refuses a duplicate id unless replacing, and a replaced list keeps its place', () => {
    const index = createWarninglistMatcher([], { builtins: false });
    index.add({ id: 'one', name: 'One', matchType: 'string', entries: ['x'] });
    index.add({ id: 'two', name: 'Two', matchType: 'string', entries: ['x'] });
    const error = caught(() => index.add({ id: 'one', name: 'Again', matchType: 'string', entries: [] }));
    expect(CeError.isInstance(error) && error.code).toBe('CONFLICT');
    index.add(
      { id: 'one', name: 'One v2', matchType: 'string', version: 2, entries: ['x'] },
      { replace: true },
    );
    expect(index.list().map((list) => [list.id, list.name])).toEqual([
      ['one', 'One v2'],
      ['two', 'Two'],
    ]);
    expect(index.match('md5', 'x')?.listName).toBe('One v2');
    expect(index.remove('one')).toBe(true);
    expect(index.remove('one')).toBe(false);
    expect(index.match('md5', 'x')?.listId).toBe('two');
    expect(index.size).toBe(1);
  });

  it('adds and removes entries at runtime', () => {
    const index = new WarninglistIndex();
    index.add({ id: 'c', name: 'C', matchType: 'cidr', entries: ['10.0.0.0/8'] });
    expect(index.addEntries('c', ['192.0.2.0/24']).entryCount).toBe(2);
    expect(index.match('ipv4', '192.0.2.1')?.entry).toBe('192.0.2.0/24');
    expect(index.removeEntries('c', ['10.0.0.0/8', '11.0.0.0/8'])).toBe(1);
    expect(index.match('ipv4', '10.0.0.1')).toBeUndefined();
    const error = caught(() => index.addEntries('missing', ['1.2.3.4']));
    expect(CeError.isInstance(error) && error.code).toBe('NOT_FOUND');
  });
});

describe('WarninglistIndex: user allowlists', () => {
  const corp: AllowlistDefinition = {
    id: 'corp',
    name: 'Corporate allowlist',
    description: 'Our own infrastructure.',
    entries: [
      { type: 'domain', value: 'Corp.Example' },
      { type: 'hostname', value: 'cdn.partner.example' },
      { type: 'ip', value: '198.51.100.0/24' },
      { type: 'ip', value: '2001:db8:cafe::/48' },
      { type: 'hash', value: '44D88612FEA8A8F36DE82E1278ABB02F' },
      { type: 'url-prefix', value: 'HTTPS://Files.Partner.Example/public/' },
      { type: 'email', value: 'soc@Corp.Example' },
    ],
  };

  it('matches each kind of entry', () => {
    const index = new WarninglistIndex();
    expect(index.add(corp).entryCount).toBe(7);
    const listOf = (type: Parameters<typeof index.match>[0], value: string) => index.match(type, value);
    expect(listOf('domain', 'corp.example')).toMatchObject({ listKind: 'allowlist', entry: 'corp.example' });
    expect(listOf('hostname', 'vpn.eu.corp.example')?.entry).toBe('corp.example');
    expect(listOf('hostname', 'cdn.partner.example')?.entry).toBe('cdn.partner.example');
    expect(listOf('hostname', 'x.cdn.partner.example')).toBeUndefined();
    expect(listOf('url', 'https://cdn.partner.example/x.js')).toMatchObject({ matchedOn: 'host' });
    expect(listOf('ipv4', '198.51.100.42')?.entry).toBe('198.51.100.0/24');
    expect(listOf('ipv6', '2001:db8:cafe:1::1')?.entry).toBe('2001:db8:cafe::/48');
    expect(listOf('md5', '44d88612fea8a8f36de82e1278abb02f')).toBeDefined();
    expect(listOf('url', 'https://files.partner.example/public/report.pdf')?.entry).toBe(
      'https://files.partner.example/public/',
    );
    expect(listOf('url', 'https://files.partner.example/private/x')).toBeUndefined();
    expect(listOf('email', 'soc@corp.example')?.entry).toBe('soc@corp.example');
    expect(index.get('corp')).toMatchObject({ kind: 'allowlist', category: 'known', entryCount: 7 });
  });

  it('adds and removes typed entries at runtime', () => {
    const index = new WarninglistIndex();
    index.add({ id: 'mine', name: 'Mine' });
    expect(index.match('domain', 'safe.example')).toBeUndefined();
    index.addEntries('mine', [{ type: 'domain', value: 'safe.example' }]);
    expect(index.match('domain', 'www.safe.example')?.listId).toBe('mine');
    expect(index.removeEntries('mine', [{ type: 'domain', value: 'SAFE.example' }])).toBe(1);
    expect(index.match('domain', 'www.safe.example')).toBeUndefined();
  });

  it('refuses bad entries precisely and changes nothing', () => {
    const index = new WarninglistIndex();
    const error = caught(() =>
      index.add({
        id: 'bad',
        name: 'Bad',
        entries: [
          { type: 'ip', value: '10.1.2.3/8' },
          { type: 'hash', value: 'xyz' },
          { type: 'domain', value: 'fine.example' },
          { type: 'url-prefix', value: '/relative' },
        ],
      }),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      { path: 'entries[0].value', reason: '"10.1.2.3/8": host bits set; did you mean 10.0.0.0/8?' },
      { path: 'entries[1].value', reason: '"xyz" is not an MD5, SHA-1 or SHA-256 hex digest' },
      { path: 'entries[3].value', reason: '"/relative" is not a URL prefix; expected scheme://host...' },
    ]);
    expect(index.has('bad')).toBe(false);

    index.add({ id: 'ok', name: 'OK' });
    const later = caught(() =>
      index.addEntries('ok', [
        { type: 'domain', value: 'a.example' },
        { type: 'domain', value: 'not a domain' },
        { type: 'phone', value: '123' } as never,
      ]),
    ) as ValidationError;
    expect(later.issues.map((issue) => issue.path)).toEqual(['[1].value', '[2].type']);
    expect(index.get('ok')?.entryCount).toBe(0);
  });

  it('validates definitions with paths', () => {
    const index = new WarninglistIndex();
    const error = caught(() =>
      index.add({ id: 'bad id!', name: '', matchType: 'glob', entries: ['x', 3] } as never),
    ) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.issues.map((issue) => issue.path)).toEqual(['id', 'name', 'matchType', 'entries[1]']);
  });

  it('caps the skipped entries it describes but counts them all', () => {
    const index = new WarninglistIndex();
    const entries = Array.from({ length: skippedIssueLimit + 50 }, (_, i) => `host-${i}`);
    const result = index.add({ id: 'c', name: 'C', matchType: 'cidr', entries }, { invalidEntries: 'skip' });
    expect(result.skippedCount).toBe(skippedIssueLimit + 50);
    expect(result.skipped).toHaveLength(skippedIssueLimit);
    expect(result.entryCount).toBe(0);
  });
});

describe('WarninglistIndex: internationalized names', () => {
  it('stores entries in punycode, the form normalized values have', () => {
    const index = new WarninglistIndex();
    index.add({ id: 'idn', name: 'IDN', matchType: 'hostname', entries: ['Bücher.Example'] });
    expect(index.match('hostname', 'shop.xn--bcher-kva.example')?.entry).toBe('xn--bcher-kva.example');
  });
});

describe('WarninglistIndex: host suffix shortcuts', () => {
  it('finds entries of any depth, beyond 30 labels too, and shares suffixes across lists', () => {
    const deep = Array.from({ length: 34 }, (_, i) => `l${i}`).join('.');
    const index = new WarninglistIndex();
    index.add({
      id: 'deep',
      name: 'Deep',
      matchType: 'hostname',
      entries: [deep.split('.').slice(1).join('.')],
    });
    index.add({ id: 'tld', name: 'TLD', matchType: 'hostname', entries: ['l33'] });
    index.add({ id: 'two', name: 'Two', matchType: 'hostname', entries: ['l32.l33'] });
    expect(index.matchAll('hostname', deep).map((match) => match.listId)).toEqual(['deep', 'tld', 'two']);
    expect(index.matchAll('hostname', 'x.l32.l33').map((match) => match.listId)).toEqual(['tld', 'two']);
    expect(index.matchAll('hostname', 'l33.l32')).toEqual([]);
  });
});
