import { isIPv4, isIPv6 } from 'node:net';

/** An IP address as a number: IPv4 as a 32-bit unsigned integer, IPv6 as a 128-bit bigint. */
export type IpAddress = { version: 4; value: number } | { version: 6; value: bigint; mapped4?: number };

/** A network block: address with the host bits cleared, and the prefix length. */
export type CidrBlock =
  | { version: 4; network: number; mask: number }
  | { version: 6; network: bigint; mask: bigint };

function parseIpv4(text: string): number {
  let value = 0;
  for (const part of text.split('.')) value = value * 256 + Number(part);
  return value;
}

function parseIpv6(text: string): bigint {
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const v4 = parseIpv4(piece);
        out.push(Math.floor(v4 / 65_536), v4 % 65_536);
      } else out.push(Number.parseInt(piece, 16));
    }
    return out;
  };
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  let value = 0n;
  for (const group of all) value = (value << 16n) | BigInt(group);
  return value;
}

/** Parses an IPv4 or IPv6 address (an IPv6 zone such as `%eth0` is ignored), or `undefined`. */
export function parseIp(text: string): IpAddress | undefined {
  if (isIPv4(text)) return { version: 4, value: parseIpv4(text) };
  const percent = text.indexOf('%');
  const bare = percent < 0 ? text : text.slice(0, percent);
  if (!isIPv6(bare)) return undefined;
  const value = parseIpv6(bare);
  // ::ffff:a.b.c.d is an IPv4 address seen through an IPv6 socket; IPv4 blocks must match it too.
  if (value >> 32n === 0xffffn) return { version: 6, value, mapped4: Number(value & 0xffffffffn) };
  return { version: 6, value };
}

/**
 * Parses `10.0.0.0/8`, `2001:db8::/32` or a bare address (a single host). Returns the block, or
 * the reason it is invalid. Host bits set below the prefix are an error: they usually hide a typo.
 */
export function parseCidr(text: string): CidrBlock | string {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const ip = isIPv4(address) ? parseIp(address) : isIPv6(address) ? parseIp(address) : undefined;
  if (!ip) return `"${text}" is not an IPv4 or IPv6 address or CIDR block`;
  const bits = ip.version === 4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const suffix = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(suffix) || Number(suffix) > bits)
      return `"${text}" has an invalid prefix length; expected 0 to ${bits}`;
    prefix = Number(suffix);
  }
  if (ip.version === 4) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const network = (ip.value & mask) >>> 0;
    if (network !== ip.value)
      return `"${text}" has host bits set; did you mean ${formatIpv4(network)}/${prefix}?`;
    return { version: 4, network, mask };
  }
  const mask = prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n);
  const network = ip.value & mask;
  if (network !== ip.value) return `"${text}" has host bits set below /${prefix}`;
  return { version: 6, network, mask };
}

function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** A set of CIDR blocks, tested against addresses found in records. */
export class CidrSet {
  private readonly v4: Array<{ network: number; mask: number }> = [];
  private readonly v6: Array<{ network: bigint; mask: bigint }> = [];

  constructor(blocks: Iterable<CidrBlock>) {
    for (const block of blocks) {
      if (block.version === 4) this.v4.push(block);
      else this.v6.push(block);
    }
  }

  /** Whether `value` is an IP address string inside one of the blocks. */
  has(value: unknown): boolean {
    if (typeof value !== 'string') return false;
    const ip = parseIp(value);
    if (!ip) return false;
    const v4 = ip.version === 4 ? ip.value : ip.mapped4;
    if (v4 !== undefined) {
      for (const block of this.v4) if ((v4 & block.mask) >>> 0 === block.network) return true;
    }
    if (ip.version === 6) {
      for (const block of this.v6) if ((ip.value & block.mask) === block.network) return true;
    }
    return false;
  }
}
