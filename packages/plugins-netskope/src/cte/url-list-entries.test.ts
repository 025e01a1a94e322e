import { describe, expect, it } from 'vitest';
import { capacityOrder, chunkEntries, fitList, jsonArrayEntryBytes } from './list-capacity.js';
import { escapeRegex, toUrlListEntries } from './url-list-entries.js';

const exact = { listType: 'exact', includeSubdomains: true } as const;
const regex = { listType: 'regex', includeSubdomains: true } as const;

function entries(result: ReturnType<typeof toUrlListEntries>): string[] {
  if (!result.ok) throw new Error(result.reason);
  return result.entries;
}

describe('toUrlListEntries (exact lists)', () => {
  it('drops the scheme and lower-cases the host of a URL, keeping the path as given', () => {
    expect(
      entries(toUrlListEntries({ type: 'url', value: 'HTTPS://Evil.Example.com/Login?x=1' }, exact)),
    ).toEqual(['evil.example.com/Login?x=1']);
    expect(entries(toUrlListEntries({ type: 'url', value: 'evil.example.com:8443/a' }, exact))).toEqual([
      'evil.example.com:8443/a',
    ]);
  });

  it('percent-encodes what the path syntax does not allow, including a "*" that may only lead', () => {
    expect(entries(toUrlListEntries({ type: 'url', value: 'http://a.test/x y/é*' }, exact))).toEqual([
      'a.test/x%20y/%C3%A9%2A',
    ]);
  });

  it('pushes a domain as itself and a *. wildcard for its subdomains, or alone when subdomains are off', () => {
    expect(entries(toUrlListEntries({ type: 'domain', value: 'Example.com.' }, exact))).toEqual([
      'example.com',
      '*.example.com',
    ]);
    expect(
      entries(
        toUrlListEntries({ type: 'domain', value: 'example.com' }, { ...exact, includeSubdomains: false }),
      ),
    ).toEqual(['example.com']);
  });

  it('pushes host names and IPv4 addresses as they are, never with a wildcard', () => {
    expect(entries(toUrlListEntries({ type: 'hostname', value: 'www.example.com' }, exact))).toEqual([
      'www.example.com',
    ]);
    expect(entries(toUrlListEntries({ type: 'ipv4', value: '203.0.113.7' }, exact))).toEqual(['203.0.113.7']);
  });

  it('refuses what a URL list cannot hold, with a reason', () => {
    const userInfo = toUrlListEntries({ type: 'url', value: 'https://user:pw@a.test/' }, exact);
    expect(userInfo).toEqual({ ok: false, reason: expect.stringContaining('user:password@host') });
    expect(toUrlListEntries({ type: 'hostname', value: 'bad_host.test' }, exact).ok).toBe(false);
    expect(toUrlListEntries({ type: 'md5', value: '0'.repeat(32) }, exact)).toEqual({
      ok: false,
      reason: 'a URL list cannot hold md5 indicators',
    });
  });
});

describe('toUrlListEntries (regex lists)', () => {
  it('escapes every metacharacter so a value matches only itself', () => {
    expect(escapeRegex('a.b*c+d?e^f$g{h}i(j)k|l[m]n\\o')).toBe(
      'a\\.b\\*c\\+d\\?e\\^f\\$g\\{h\\}i\\(j\\)k\\|l\\[m\\]n\\\\o',
    );
  });

  it('anchors a domain pattern that matches the domain, its subdomains, any port and path', () => {
    const [pattern] = entries(toUrlListEntries({ type: 'domain', value: 'example.com' }, regex));
    expect(pattern).toBe('^(https?://)?([a-z0-9-]+\\.)*example\\.com(:[0-9]+)?([/?#].*)?$');
    const re = new RegExp(pattern as string);
    expect(re.test('example.com')).toBe(true);
    expect(re.test('https://www.example.com:8443/login')).toBe(true);
    expect(re.test('exampleXcom')).toBe(false);
    expect(re.test('example.com.evil.test')).toBe(false);
    expect(re.test('notexample.com')).toBe(false);
  });

  it('matches a host name without its subdomains, and a URL as a prefix', () => {
    const [host] = entries(toUrlListEntries({ type: 'hostname', value: 'cdn.example.com' }, regex));
    expect(new RegExp(host as string).test('http://cdn.example.com/a')).toBe(true);
    expect(new RegExp(host as string).test('x.cdn.example.com')).toBe(false);
    const [url] = entries(toUrlListEntries({ type: 'url', value: 'https://a.test/p?q=(1)' }, regex));
    expect(url).toBe('^(https?://)?a\\.test/p\\?q=\\(1\\)');
    expect(new RegExp(url as string).test('a.test/p?q=(1)&more')).toBe(true);
    expect(new RegExp(url as string).test('a.test/p?q=11')).toBe(false);
  });
});

describe('list capacity', () => {
  const caps = { maxEntries: 4, maxBytes: 1_000, entryBytes: jsonArrayEntryBytes, baseBytes: 2 };

  it('keeps a candidate whole or not at all, counts shared entries once and sorts the result', () => {
    const fit = fitList(
      [
        { key: 'domain:b.test', entries: ['b.test', '*.b.test'] },
        { key: 'hostname:b.test', entries: ['b.test'] },
        { key: 'domain:a.test', entries: ['a.test', '*.a.test'] },
        { key: 'hostname:c.test', entries: ['c.test'] },
      ],
      caps,
    );
    expect(fit.entries).toEqual(['*.a.test', '*.b.test', 'a.test', 'b.test']);
    expect([...fit.fitted]).toEqual(['domain:b.test', 'hostname:b.test', 'domain:a.test']);
    expect(fit.overflow).toEqual([{ key: 'hostname:c.test', cap: 'entries' }]);
  });

  it('skips what exceeds the byte cap and still fits smaller candidates after it', () => {
    const fit = fitList(
      [
        { key: 'url:long', entries: ['x'.repeat(30)] },
        { key: 'url:short', entries: ['y'] },
      ],
      { ...caps, maxBytes: 20 },
    );
    expect(fit.overflow).toEqual([{ key: 'url:long', cap: 'bytes' }]);
    expect(fit.entries).toEqual(['y']);
    expect(fit.bytes).toBe(2 + jsonArrayEntryBytes('y'));
  });

  it('orders by severity, then last seen, then key', () => {
    const ordered = capacityOrder([
      { key: 'b', severity: 'low', lastSeen: 5 },
      { key: 'a', severity: 'low', lastSeen: 5 },
      { key: 'c', severity: 'critical', lastSeen: 1 },
      { key: 'd', severity: 'low', lastSeen: 9 },
    ] as const);
    expect(ordered.map((item) => item.key)).toEqual(['c', 'd', 'a', 'b']);
  });

  it('chunks entries so that each JSON array stays under the request size', () => {
    const chunks = chunkEntries(['aaaa', 'bbbb', 'cccc', 'dddd', 'eeee'], 2 + 7 * 2);
    expect(chunks).toEqual([['aaaa', 'bbbb'], ['cccc', 'dddd'], ['eeee']]);
    expect(chunkEntries([], 100)).toEqual([[]]);
  });
});
