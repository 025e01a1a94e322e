import { describe, expect, it } from 'vitest';
import { Ipv4BlockSet, Ipv6BlockSet } from './cidr-index.js';
import { parseIpv4, parseIpv6 } from './ip.js';

const ip = (text: string): number => parseIpv4(text);
const ip6 = (text: string): bigint => parseIpv6(text) as bigint;

describe('Ipv4BlockSet', () => {
  it('finds the block holding an address, at both edges and not one past', () => {
    const set = new Ipv4BlockSet();
    set.add(ip('172.16.0.0'), 12);
    set.add(ip('8.8.8.8'), 32);
    expect(set.entryAt(set.find(ip('172.16.0.0')))).toBe('172.16.0.0/12');
    expect(set.entryAt(set.find(ip('172.31.255.255')))).toBe('172.16.0.0/12');
    expect(set.find(ip('172.15.255.255'))).toBe(-1);
    expect(set.find(ip('172.32.0.0'))).toBe(-1);
    expect(set.entryAt(set.find(ip('8.8.8.8')))).toBe('8.8.8.8/32');
    expect(set.find(ip('8.8.8.9'))).toBe(-1);
  });

  it('keeps the outermost of nested blocks, whatever the insertion order', () => {
    const set = new Ipv4BlockSet();
    set.add(ip('10.1.2.0'), 24);
    set.add(ip('10.0.0.0'), 8);
    set.add(ip('10.1.0.0'), 16);
    set.add(ip('10.0.0.0'), 8);
    expect(set.size).toBe(3);
    expect(set.entryAt(set.find(ip('10.1.2.3')))).toBe('10.0.0.0/8');
  });

  it('handles the whole address space and the top address', () => {
    const set = new Ipv4BlockSet();
    set.add(ip('255.255.255.255'), 32);
    expect(set.find(ip('255.255.255.255'))).toBe(0);
    expect(set.find(ip('255.255.255.254'))).toBe(-1);
    set.add(0, 0);
    expect(set.entryAt(set.find(ip('1.2.3.4')))).toBe('0.0.0.0/0');
  });

  it('answers containment of blocks: inside yes, overlapping no', () => {
    const set = new Ipv4BlockSet();
    set.add(ip('192.168.0.0'), 16);
    expect(set.findContaining(ip('192.168.4.0'), ip('192.168.7.255'))).toBeGreaterThanOrEqual(0);
    expect(set.findContaining(ip('192.168.0.0'), ip('192.168.255.255'))).toBeGreaterThanOrEqual(0);
    expect(set.findContaining(ip('192.0.0.0'), ip('192.255.255.255'))).toBe(-1);
  });

  it('deletes a block, revealing the nested ones it hid', () => {
    const set = new Ipv4BlockSet();
    set.add(ip('10.0.0.0'), 8);
    set.add(ip('10.1.0.0'), 16);
    expect(set.delete(ip('10.0.0.0'), 8)).toBe(true);
    expect(set.delete(ip('10.0.0.0'), 8)).toBe(false);
    expect(set.find(ip('10.2.0.1'))).toBe(-1);
    expect(set.entryAt(set.find(ip('10.1.0.1')))).toBe('10.1.0.0/16');
    expect(set.size).toBe(1);
  });

  it('agrees with a naive scan on random blocks', () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const set = new Ipv4BlockSet();
    const blocks: Array<[number, number]> = [];
    for (let i = 0; i < 300; i++) {
      const prefix = 8 + Math.floor(random() * 25);
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      const network = (Math.floor(random() * 2 ** 32) & mask) >>> 0;
      blocks.push([network, prefix]);
      set.add(network, prefix);
    }
    for (let i = 0; i < 2_000; i++) {
      const probe =
        i % 2 === 0 ? Math.floor(random() * 2 ** 32) : (blocks[i % blocks.length] as [number, number])[0];
      const naive = blocks.some(
        ([network, prefix]) => Math.floor(probe / 2 ** (32 - prefix)) === network / 2 ** (32 - prefix),
      );
      expect(set.find(probe) >= 0).toBe(naive);
    }
  });
});

describe('Ipv6BlockSet', () => {
  it('finds the outermost block holding an address', () => {
    const set = new Ipv6BlockSet();
    set.add(ip6('2001:db8:1::'), 48);
    set.add(ip6('2001:db8::'), 32);
    expect(set.find(ip6('2001:db8:1::5'))).toBe('2001:db8::/32');
    expect(set.find(ip6('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'))).toBe('2001:db8::/32');
    expect(set.find(ip6('2001:db9::'))).toBeUndefined();
    expect(set.size).toBe(2);
  });

  it('answers containment and deletes', () => {
    const set = new Ipv6BlockSet();
    set.add(ip6('fe80::'), 10);
    expect(set.findContaining(ip6('fe80::'), 64)).toBe('fe80::/10');
    expect(set.findContaining(ip6('fe80::'), 9)).toBeUndefined();
    expect(set.delete(ip6('fe80::'), 10)).toBe(true);
    expect(set.find(ip6('fe80::1'))).toBeUndefined();
    expect(set.size).toBe(0);
  });
});

describe('Ipv6BlockSet at scale', () => {
  it('stays a hash lookup for many networks whose low bits are all zero', () => {
    const set = new Ipv6BlockSet();
    for (let i = 0; i < 20_000; i++) set.add(BigInt(0x2a000000 + i) << 96n, 48);
    expect(set.size).toBe(20_000);
    expect(set.find((BigInt(0x2a000000 + 19_999) << 96n) | 1n)).toBe('2a00:4e1f::/48');
    expect(set.delete(BigInt(0x2a000000 + 19_999) << 96n, 48)).toBe(true);
    expect(set.find((BigInt(0x2a000000 + 19_999) << 96n) | 1n)).toBeUndefined();
  });
});
