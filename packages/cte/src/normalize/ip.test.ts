import { describe, expect, it } from 'vitest';
import type { IndicatorType } from './indicator-types.js';
import { formatIpv4, looksLikeIpv4, parseIpv4 } from './ip.js';
import { normalizeIndicator } from './normalize-indicator.js';

function normal(value: string, type: IndicatorType): string | undefined {
  const result = normalizeIndicator(value, type);
  return result.ok ? result.value : undefined;
}

function code(value: string, type?: IndicatorType): string | undefined {
  const result = normalizeIndicator(value, type);
  return result.ok ? undefined : result.code;
}

describe('ipv4', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['  10.20.30.40\n', '10.20.30.40'],
    ['192[.]0[.]2[.]1', '192.0.2.1'],
  ])('%j → %s', (input, expected) => {
    expect(normal(input, 'ipv4')).toBe(expected);
  });

  it('returns an already-normal address as the same string', () => {
    const value = '198.51.100.7';
    const result = normalizeIndicator(value, 'ipv4');
    expect(result.ok && result.value).toBe(value);
  });

  it.each([
    ['010.1.1.1', 'ambiguous-ipv4'],
    ['1.2.3.04', 'ambiguous-ipv4'],
    ['00.1.1.1', 'ambiguous-ipv4'],
    ['0x7f.0.0.1', 'ambiguous-ipv4'],
    ['0x7f.1', 'ambiguous-ipv4'],
    ['127.1', 'ambiguous-ipv4'],
    ['127.0.1', 'ambiguous-ipv4'],
    ['2130706433', 'ambiguous-ipv4'],
    ['256.1.1.1', 'invalid-ipv4'],
    ['1.2.3.999', 'invalid-ipv4'],
    ['1.2.3.4.5', 'invalid-ipv4'],
    ['1.2..4', 'invalid-ipv4'],
    ['1.2.3.', 'invalid-ipv4'],
    ['1.2.3.a', 'invalid-ipv4'],
    ['-1.2.3.4', 'invalid-ipv4'],
    ['1.2.3.4/32', 'invalid-ipv4'],
    ['example.com', 'invalid-ipv4'],
  ])('%s is rejected with %s', (input, expected) => {
    expect(code(input, 'ipv4')).toBe(expected);
  });

  it('explains a leading zero', () => {
    expect(normalizeIndicator('010.1.1.1', 'ipv4')).toEqual({
      ok: false,
      code: 'ambiguous-ipv4',
      reason: 'IPv4 octet "010" has a leading zero, which is ambiguous (octal to some parsers)',
    });
  });

  it('parses and formats numbers', () => {
    expect(parseIpv4('192.0.2.1')).toBe(0xc0000201);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIpv4('x192.0.2.1', 1)).toBe(0xc0000201);
    expect(parseIpv4('1.2.3')).toBe(-1);
    expect(formatIpv4(0xc0000201)).toBe('192.0.2.1');
    expect(formatIpv4(0xffffffff)).toBe('255.255.255.255');
  });

  it('tells IPv4-like text from names', () => {
    expect(looksLikeIpv4('0x7f.1')).toBe(true);
    expect(looksLikeIpv4('127.1')).toBe(true);
    expect(looksLikeIpv4('cafe.be')).toBe(false);
    expect(looksLikeIpv4('0xcafe.be')).toBe(false);
    expect(looksLikeIpv4('a.1')).toBe(false);
    expect(looksLikeIpv4('2130706433')).toBe(false);
  });
});

describe('ipv6', () => {
  it.each([
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['::', '::'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::1', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1::', '1::'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['1:0:0:1:0:0:0:1', '1:0:0:1::1'],
    ['1:0:0:0:1:0:0:1', '1::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:db8::0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['fe80::0001', 'fe80::1'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['::FFFF:c000:0201', '::ffff:192.0.2.1'],
    ['0:0:0:0:0:ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['2001[:]db8[:][:]1', '2001:db8::1'],
  ])('%s → %s', (input, expected) => {
    expect(normal(input, 'ipv6')).toBe(expected);
  });

  it('returns an already-normal address as the same string', () => {
    const value = '2001:db8::1';
    const result = normalizeIndicator(value, 'ipv6');
    expect(result.ok && result.value).toBe(value);
  });

  it.each([
    ['fe80::1%eth0', 'ipv6-zone'],
    ['fe80::1%25eth0', 'ipv6-zone'],
    ['fe80::%1', 'ipv6-zone'],
    ['1:2:3:4:5:6:7:8:9', 'invalid-ipv6'],
    ['1:2:3:4:5:6:7', 'invalid-ipv6'],
    ['1::2::3', 'invalid-ipv6'],
    [':::', 'invalid-ipv6'],
    [':1', 'invalid-ipv6'],
    ['1:', 'invalid-ipv6'],
    ['1:2:3:4:5:6:7::8', 'invalid-ipv6'],
    ['12345::', 'invalid-ipv6'],
    ['g::1', 'invalid-ipv6'],
    ['::ffff:1.2.3', 'invalid-ipv6'],
    ['::ffff:01.2.3.4', 'invalid-ipv6'],
    ['1:2:3:4:5:6:7:1.2.3.4', 'invalid-ipv6'],
    ['192.0.2.1', 'invalid-ipv6'],
    ['[::1', 'invalid-ipv6'],
  ])('%s is rejected with %s', (input, expected) => {
    expect(code(input, 'ipv6')).toBe(expected);
  });

  it('explains a bad embedded IPv4 tail', () => {
    const result = normalizeIndicator('::ffff:01.2.3.4', 'ipv6');
    expect(result.ok ? '' : result.reason).toContain('leading zero');
  });
});

describe('ipv4-cidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['192.168.1.77/24', '192.168.1.0/24'],
    ['192.168.1.77/25', '192.168.1.0/25'],
    ['192.168.1.200/25', '192.168.1.128/25'],
    ['255.255.255.255/1', '128.0.0.0/1'],
    ['127.255.255.255/1', '0.0.0.0/1'],
    ['192.0.2.1/32', '192.0.2.1/32'],
    ['192.0.2.1/31', '192.0.2.0/31'],
    ['192.0.2.1', '192.0.2.1/32'],
    ['192[.]0[.]2[.]0/24', '192.0.2.0/24'],
  ])('%s → %s', (input, expected) => {
    expect(normal(input, 'ipv4-cidr')).toBe(expected);
  });

  it.each([
    ['10.0.0.0/0', 'invalid-prefix'],
    ['10.0.0.0/33', 'invalid-prefix'],
    ['10.0.0.0/08', 'invalid-prefix'],
    ['10.0.0.0/', 'invalid-prefix'],
    ['10.0.0.0/-1', 'invalid-prefix'],
    ['10.0.0.0/8/8', 'invalid-prefix'],
    ['10.0.0.0/1000', 'invalid-prefix'],
    ['/8', 'invalid-cidr'],
    ['010.0.0.0/8', 'ambiguous-ipv4'],
    ['10.0.0/8', 'ambiguous-ipv4'],
    ['300.0.0.0/8', 'invalid-ipv4'],
    ['2001:db8::/32', 'invalid-ipv4'],
  ])('%s is rejected with %s', (input, expected) => {
    expect(code(input, 'ipv4-cidr')).toBe(expected);
  });
});

describe('ipv6-cidr', () => {
  it.each([
    ['2001:db8::/32', '2001:db8::/32'],
    ['2001:DB8:1234::/32', '2001:db8::/32'],
    ['2001:db8:abcd:ef01::1/48', '2001:db8:abcd::/48'],
    ['2001:db8:abcd:ef01::1/52', '2001:db8:abcd:e000::/52'],
    ['2001:db8::1/128', '2001:db8::1/128'],
    ['2001:db8::1/127', '2001:db8::/127'],
    ['ffff::/1', '8000::/1'],
    ['::ffff:192.0.2.77/120', '::ffff:192.0.2.0/120'],
    ['2001:db8::1', '2001:db8::1/128'],
    ['[2001:db8::1]', '2001:db8::1/128'],
  ])('%s → %s', (input, expected) => {
    expect(normal(input, 'ipv6-cidr')).toBe(expected);
  });

  it.each([
    ['2001:db8::/0', 'invalid-prefix'],
    ['2001:db8::/129', 'invalid-prefix'],
    ['2001:db8::/032', 'invalid-prefix'],
    ['/64', 'invalid-cidr'],
    ['2001:db8::1%eth0/64', 'ipv6-zone'],
    ['2001:db8:::/64', 'invalid-ipv6'],
    ['10.0.0.0/8', 'invalid-ipv6'],
  ])('%s is rejected with %s', (input, expected) => {
    expect(code(input, 'ipv6-cidr')).toBe(expected);
  });
});
