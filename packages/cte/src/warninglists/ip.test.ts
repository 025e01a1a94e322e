import { describe, expect, it } from 'vitest';
import { formatBlock, formatIpv4, formatIpv6, mappedIpv4, parseBlock, parseIpv4, parseIpv6 } from './ip.js';

describe('parseIpv4', () => {
  it('reads dotted quads, edges included', () => {
    expect(parseIpv4('0.0.0.0')).toBe(0);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIpv4('10.1.2.3')).toBe(0x0a010203);
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1..2.3', '1.2.3.', 'a.b.c.d', ' 1.2.3.4'])(
    'refuses %j',
    (text) => expect(parseIpv4(text)).toBe(-1),
  );

  it('round-trips through formatIpv4', () => {
    expect(formatIpv4(parseIpv4('192.168.100.254'))).toBe('192.168.100.254');
  });
});

describe('parseIpv6', () => {
  it('reads every textual form to the same number', () => {
    const full = parseIpv6('2001:0db8:0000:0000:0000:0000:0000:0001');
    expect(parseIpv6('2001:db8::1')).toBe(full);
    expect(parseIpv6('2001:DB8:0:0:0:0:0:1')).toBe(full);
    expect(parseIpv6('2001:db8::1%eth0')).toBe(full);
    expect(parseIpv6('::')).toBe(0n);
    expect(parseIpv6('::1')).toBe(1n);
    expect(parseIpv6('::ffff:10.0.0.1')).toBe(0xffff0a000001n);
  });

  it.each(['1:2:3:4:5:6:7', '1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9', '::1.2.3', '1.2.3.4', ':'])(
    'refuses %j',
    (text) => expect(parseIpv6(text)).toBeUndefined(),
  );

  it('formats per RFC 5952: lowercase, longest zero run compressed, first on a tie, mapped IPv4 dotted', () => {
    expect(formatIpv6(parseIpv6('2001:DB8:0:0:1:0:0:1') as bigint)).toBe('2001:db8::1:0:0:1');
    expect(formatIpv6(parseIpv6('2001:db8:0:1:1:1:1:1') as bigint)).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIpv6(0n)).toBe('::');
    expect(formatIpv6(1n)).toBe('::1');
    expect(formatIpv6(parseIpv6('fe80::') as bigint)).toBe('fe80::');
    expect(formatIpv6(parseIpv6('::ffff:0a00:0001') as bigint)).toBe('::ffff:10.0.0.1');
  });

  it('extracts the IPv4 address of a mapped address only', () => {
    expect(mappedIpv4(parseIpv6('::ffff:192.168.1.1') as bigint)).toBe(parseIpv4('192.168.1.1'));
    expect(mappedIpv4(parseIpv6('::192.168.1.1') as bigint)).toBe(-1);
  });
});

describe('parseBlock', () => {
  it('reads blocks and bare addresses', () => {
    expect(parseBlock('10.0.0.0/8', true)).toEqual({ version: 4, network: 0x0a000000, prefix: 8 });
    expect(parseBlock('192.0.2.1', true)).toEqual({ version: 4, network: 0xc0000201, prefix: 32 });
    expect(formatBlock(parseBlock('FE80::/10', true) as never)).toBe('fe80::/10');
    expect(formatBlock(parseBlock('0.0.0.0/0', true) as never)).toBe('0.0.0.0/0');
  });

  it('refuses host bits in strict mode, with a suggestion, and clears them otherwise', () => {
    expect(parseBlock('10.20.30.40/16', true)).toBe('host bits set; did you mean 10.20.0.0/16?');
    expect(formatBlock(parseBlock('10.20.30.40/16', false) as never)).toBe('10.20.0.0/16');
    expect(parseBlock('2001:db8::1/32', true)).toBe('host bits set; did you mean 2001:db8::/32?');
  });

  it('explains what is wrong', () => {
    expect(parseBlock('example.com', true)).toBe('not an IPv4 or IPv6 address or CIDR block');
    expect(parseBlock('10.0.0.0/33', true)).toBe('invalid prefix length; expected 0 to 32');
    expect(parseBlock('::/129', true)).toBe('invalid prefix length; expected 0 to 128');
    expect(parseBlock('10.0.0.0/x', true)).toBe('invalid prefix length; expected 0 to 32');
  });
});
