import { describe, expect, it } from 'vitest';
import { type CidrBlock, CidrSet, parseCidr, parseIp } from './cidr.js';

const set = (...blocks: string[]): CidrSet =>
  new CidrSet(
    blocks.map((text) => {
      const block = parseCidr(text);
      if (typeof block === 'string') throw new Error(block);
      return block as CidrBlock;
    }),
  );

describe('parseIp', () => {
  it('reads IPv4 and IPv6, including compressed, embedded-IPv4 and zoned forms', () => {
    expect(parseIp('255.255.255.255')).toEqual({ version: 4, value: 0xffffffff });
    expect(parseIp('::')).toEqual({ version: 6, value: 0n });
    expect(parseIp('::1')).toEqual({ version: 6, value: 1n });
    expect(parseIp('2001:db8::1')?.value).toBe(0x20010db8000000000000000000000001n);
    expect(parseIp('fe80::1%eth0')?.value).toBe(0xfe800000000000000000000000000001n);
    expect(parseIp('::ffff:10.0.0.1')).toMatchObject({ version: 6, mapped4: 0x0a000001 });
    expect(parseIp('1.2.3')).toBeUndefined();
    expect(parseIp('not an ip')).toBeUndefined();
  });
});

describe('parseCidr', () => {
  it('accepts blocks and bare addresses, and explains bad ones', () => {
    expect(parseCidr('0.0.0.0/0')).toEqual({ version: 4, network: 0, mask: 0 });
    expect(parseCidr('10.0.0.1')).toEqual({ version: 4, network: 0x0a000001, mask: 0xffffffff });
    expect(parseCidr('::/0')).toEqual({ version: 6, network: 0n, mask: 0n });
    expect(parseCidr('10.0.0.0/33')).toMatch(/prefix length; expected 0 to 32/);
    expect(parseCidr('2001:db8::/129')).toMatch(/expected 0 to 128/);
    expect(parseCidr('10.0.0.0/')).toMatch(/prefix length/);
    expect(parseCidr('10.1.0.0/8')).toMatch(/host bits set; did you mean 10.0.0.0\/8/);
    expect(parseCidr('2001:db8::1/32')).toMatch(/host bits set/);
    expect(parseCidr('300.0.0.0/8')).toMatch(/not an IPv4 or IPv6/);
  });
});

describe('CidrSet', () => {
  it('matches IPv4 at the edges of a block', () => {
    const blocks = set('10.0.0.0/8', '192.168.1.128/25');
    expect(blocks.has('10.0.0.0')).toBe(true);
    expect(blocks.has('10.255.255.255')).toBe(true);
    expect(blocks.has('11.0.0.0')).toBe(false);
    expect(blocks.has('9.255.255.255')).toBe(false);
    expect(blocks.has('192.168.1.128')).toBe(true);
    expect(blocks.has('192.168.1.127')).toBe(false);
    expect(blocks.has('192.168.1.255')).toBe(true);
  });

  it('handles /0, /32 and /128', () => {
    expect(set('0.0.0.0/0').has('203.0.113.9')).toBe(true);
    expect(set('0.0.0.0/0').has('::1')).toBe(false);
    expect(set('203.0.113.9/32').has('203.0.113.9')).toBe(true);
    expect(set('203.0.113.9/32').has('203.0.113.10')).toBe(false);
    expect(set('::/0').has('2001:db8::1')).toBe(true);
    expect(set('2001:db8::1/128').has('2001:db8::1')).toBe(true);
    expect(set('2001:db8::1/128').has('2001:db8::2')).toBe(false);
  });

  it('matches IPv6 at the edges of a block', () => {
    const blocks = set('2001:db8::/32', 'fd00::/8');
    expect(blocks.has('2001:db8::')).toBe(true);
    expect(blocks.has('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(true);
    expect(blocks.has('2001:db9::')).toBe(false);
    expect(blocks.has('2001:db7:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(false);
    expect(blocks.has('FD12:3456::1')).toBe(true);
    expect(blocks.has('fe00::1')).toBe(false);
  });

  it('matches IPv4-mapped IPv6 addresses against IPv4 blocks, never mixes families otherwise', () => {
    expect(set('10.0.0.0/8').has('::ffff:10.1.2.3')).toBe(true);
    expect(set('10.0.0.0/8').has('::ffff:11.1.2.3')).toBe(false);
    expect(set('::ffff:0:0/96').has('::ffff:10.1.2.3')).toBe(true);
    expect(set('::/0').has('10.1.2.3')).toBe(false);
  });

  it('ignores values that are not IP addresses', () => {
    const blocks = set('0.0.0.0/0');
    for (const value of [undefined, null, 167772161, 'localhost', '10.0.0.1/8', ''])
      expect(blocks.has(value)).toBe(false);
  });
});
