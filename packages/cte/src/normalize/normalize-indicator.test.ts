import { describe, expect, it } from 'vitest';
import { type IndicatorType, indicatorTypeSchema, indicatorTypes } from './indicator-types.js';
import { normalizeIndicator } from './normalize-indicator.js';
import { indicatorValueLimits, normalizeFailureCodes } from './normalize-result.js';

describe('normalizeIndicator', () => {
  it('normalizes a mixed feed with inferred types', () => {
    const feed = [
      'hxxps://Evil[.]Example:443/Login?next=%2fhome#top',
      'evil[.]example/drop.exe',
      'Evil.Example.',
      'www.evil.example',
      '198.51.100.7',
      '198.51.100.77/24',
      '2001:0DB8:0000:0000:0000:0000:0000:0001',
      '2001:db8:1::/48',
      'D41D8CD98F00B204E9800998ECF8427E',
      'da39a3ee5e6b4b0d3255bfef95601890afd80709',
      'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855',
      'Phisher[at]Evil[.]Example',
      'bücher.example',
      '010.1.1.1',
      'localhost',
      '',
    ];
    expect(feed.map((value) => normalizeIndicator(value))).toEqual([
      { ok: true, type: 'url', value: 'https://evil.example/Login?next=%2Fhome' },
      { ok: true, type: 'url', value: 'http://evil.example/drop.exe' },
      { ok: true, type: 'domain', value: 'evil.example' },
      { ok: true, type: 'hostname', value: 'www.evil.example' },
      { ok: true, type: 'ipv4', value: '198.51.100.7' },
      { ok: true, type: 'ipv4-cidr', value: '198.51.100.0/24' },
      { ok: true, type: 'ipv6', value: '2001:db8::1' },
      { ok: true, type: 'ipv6-cidr', value: '2001:db8:1::/48' },
      { ok: true, type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e' },
      { ok: true, type: 'sha1', value: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' },
      { ok: true, type: 'sha256', value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
      { ok: true, type: 'email', value: 'Phisher@evil.example' },
      { ok: true, type: 'domain', value: 'xn--bcher-kva.example' },
      expect.objectContaining({ ok: false, code: 'ambiguous-ipv4' }),
      expect.objectContaining({ ok: false, code: 'unknown-type' }),
      expect.objectContaining({ ok: false, code: 'empty' }),
    ]);
  });

  it('is idempotent: a normal value normalizes to itself with the same type', () => {
    const samples = [
      'hxxp://Example.com:80',
      'HTTPS://[2001:DB8::1]:443/a%2f#x',
      'example.com/a',
      'Example.org.',
      'a.b.Example.org',
      '2001:0db8::0001',
      '::ffff:c000:0201',
      '10.9.8.7/12',
      'fd00:abcd::1/16',
      'ABCDEF0123456789ABCDEF0123456789',
      'X@Bücher.Example',
    ];
    for (const sample of samples) {
      const first = normalizeIndicator(sample);
      expect(first.ok, sample).toBe(true);
      if (!first.ok) continue;
      expect(normalizeIndicator(first.value)).toEqual(first);
      expect(normalizeIndicator(first.value, first.type)).toEqual(first);
    }
  });

  it('maps equivalent spellings to one identity', () => {
    const spellings = [
      'https://example.com/',
      'HTTPS://EXAMPLE.COM',
      'https://example.com.:443/#x',
      'hxxps://example[.]com',
      'https[:]//example(dot)com/',
    ];
    const values = new Set(spellings.map((value) => JSON.stringify(normalizeIndicator(value))));
    expect([...values]).toEqual([JSON.stringify({ ok: true, type: 'url', value: 'https://example.com/' })]);
  });

  it('checks the value against a given type', () => {
    expect(normalizeIndicator('1.2.3.4', 'domain')).toEqual({
      ok: false,
      code: 'ip-literal',
      reason: '"1.2.3.4" is an IPv4 address, not a DNS name',
    });
    const asIpv4 = normalizeIndicator('10.0.0.0/8', 'ipv4');
    expect(asIpv4.ok ? '' : asIpv4.reason).toMatch(/looks like ipv4-cidr, not ipv4$/);
    const asUrl = normalizeIndicator('d41d8cd98f00b204e9800998ecf8427e', 'url');
    expect(asUrl.ok ? '' : asUrl.code).toBe('invalid-url');
    const asEmail = normalizeIndicator('example.com', 'email');
    expect(asEmail.ok ? '' : asEmail.reason).toMatch(/looks like domain, not email$/);
  });

  it('accepts a DNS name as either domain or hostname when the type is given', () => {
    expect(normalizeIndicator('www.example.com', 'domain')).toEqual({
      ok: true,
      type: 'domain',
      value: 'www.example.com',
    });
    expect(normalizeIndicator('example.com', 'hostname')).toEqual({
      ok: true,
      type: 'hostname',
      value: 'example.com',
    });
  });

  it('rejects oversized values', () => {
    const longPath = `http://example.com/${'a'.repeat(indicatorValueLimits.url)}`;
    expect(normalizeIndicator(longPath)).toMatchObject({ ok: false, code: 'too-long' });
    expect(normalizeIndicator(longPath, 'url')).toMatchObject({ ok: false, code: 'too-long' });
    const fits = `http://example.com/${'a'.repeat(indicatorValueLimits.url - 19)}`;
    expect(fits.length).toBe(indicatorValueLimits.url);
    expect(normalizeIndicator(fits)).toMatchObject({ ok: true, type: 'url' });

    const longName = `${'a.'.repeat(600)}example`;
    expect(normalizeIndicator(longName)).toMatchObject({ ok: false, code: 'too-long' });
    expect(normalizeIndicator(longName, 'hostname')).toMatchObject({ ok: false, code: 'too-long' });
    expect(normalizeIndicator('a'.repeat(indicatorValueLimits.raw + 1))).toMatchObject({
      ok: false,
      code: 'too-long',
    });
    // Surrounding whitespace does not count.
    expect(normalizeIndicator(`${' '.repeat(2_000)}example.com${' '.repeat(2_000)}`)).toEqual({
      ok: true,
      type: 'domain',
      value: 'example.com',
    });
  });

  it('rejects empty values, unknown types and non-strings', () => {
    expect(normalizeIndicator(' \t\n')).toMatchObject({ ok: false, code: 'empty' });
    expect(normalizeIndicator('', 'md5')).toMatchObject({ ok: false, code: 'empty' });
    expect(normalizeIndicator('example.com', 'fqdn' as IndicatorType)).toEqual({
      ok: false,
      code: 'invalid-type',
      reason: '"fqdn" is not an indicator type',
    });
    expect(normalizeIndicator(42 as unknown as string)).toEqual({
      ok: false,
      code: 'invalid-input',
      reason: 'expected a string, got number',
    });
  });

  it('only returns documented failure codes, and quotes long input briefly', () => {
    const junk = ['%%%', 'http://', 'a b c.example', ':::::', '999.999.999.999', 'x'.repeat(900)];
    for (const value of junk) {
      for (const type of [undefined, ...indicatorTypes]) {
        const result = normalizeIndicator(value, type);
        if (result.ok) continue;
        expect(normalizeFailureCodes).toContain(result.code);
        expect(result.reason.length).toBeLessThan(400);
      }
    }
  });

  it('never throws on arbitrary input, and every success is a fixed point', () => {
    // Deterministic pseudo-random strings over the characters the parsers care about.
    const alphabet = [
      'a',
      'F',
      'x',
      '0',
      '1',
      '9',
      '.',
      ':',
      '/',
      '@',
      '[',
      ']',
      '(',
      ')',
      '%',
      '-',
      '_',
      ' ',
      'ü',
      '。',
    ];
    const pieces = [
      'http://',
      'hxxps[:]//',
      '[.]',
      '::',
      'ffff',
      '255',
      '010',
      'example',
      '.com',
      ':80',
      '#',
      '?q=%2f',
    ];
    let seed = 42;
    const next = (limit: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % limit;
    };
    for (let n = 0; n < 3_000; n++) {
      let value = '';
      const length = 1 + next(12);
      for (let k = 0; k < length; k++)
        value +=
          next(3) === 0
            ? (pieces[next(pieces.length)] as string)
            : (alphabet[next(alphabet.length)] as string);
      for (const type of [undefined, ...indicatorTypes]) {
        const result = normalizeIndicator(value, type);
        if (!result.ok) {
          expect(normalizeFailureCodes, value).toContain(result.code);
          continue;
        }
        expect(normalizeIndicator(result.value, result.type), `${value} as ${type}`).toEqual(result);
      }
    }
  });

  it('shares the indicator types with @ce/core', async () => {
    const core = await import('@ce/core');
    expect(indicatorTypes).toBe(core.indicatorTypes);
    expect(indicatorTypeSchema).toBe(core.indicatorTypeSchema);
  });
});
