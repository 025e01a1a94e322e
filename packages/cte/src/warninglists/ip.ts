/**
 * Allocation-light IP parsing for the warninglist hot path. Core's `parseIp` builds objects and
 * bigints for every call; lookups here run millions of times, so IPv4 stays a plain number and
 * IPv6 becomes a bigint only once per lookup.
 *
 * @module
 */

/** Parses dotted-quad IPv4 into an unsigned 32-bit number, or -1. Leading zeros are refused. */
export function parseIpv4(text: string): number {
  const length = text.length;
  if (length < 7 || length > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (code >= 48 && code <= 57) {
      if (digits > 0 && part === 0) return -1;
      part = part * 10 + (code - 48);
      if (part > 255) return -1;
      digits++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/** Formats an unsigned 32-bit number as dotted-quad IPv4. */
export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

function parseGroups(part: string, out: number[]): boolean {
  if (part === '') return true;
  const pieces = part.split(':');
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] as string;
    if (piece.includes('.')) {
      if (i !== pieces.length - 1) return false;
      const v4 = parseIpv4(piece);
      if (v4 < 0) return false;
      out.push(Math.floor(v4 / 65_536), v4 % 65_536);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return false;
      out.push(Number.parseInt(piece, 16));
    }
  }
  return true;
}

/**
 * Parses an IPv6 address (any valid textual form, embedded IPv4 allowed, a `%zone` ignored) into a
 * 128-bit bigint, or `undefined`.
 */
export function parseIpv6(text: string): bigint | undefined {
  const percent = text.indexOf('%');
  const bare = percent < 0 ? text : text.slice(0, percent);
  if (bare.length < 2 || bare.length > 45 || !bare.includes(':')) return undefined;
  const double = bare.indexOf('::');
  if (double >= 0 && bare.indexOf('::', double + 1) >= 0) return undefined;
  const left: number[] = [];
  const right: number[] = [];
  if (double < 0) {
    if (!parseGroups(bare, left) || left.length !== 8) return undefined;
  } else {
    if (!parseGroups(bare.slice(0, double), left) || !parseGroups(bare.slice(double + 2), right))
      return undefined;
    if (left.length + right.length > 7) return undefined;
  }
  let value = 0n;
  const fill = 8 - left.length - right.length;
  for (const group of left) value = (value << 16n) | BigInt(group);
  value <<= BigInt(16 * fill);
  for (const group of right) value = (value << 16n) | BigInt(group);
  return value;
}

/** Formats a 128-bit bigint as IPv6 in the RFC 5952 form (mapped IPv4 in dotted notation). */
export function formatIpv6(value: bigint): string {
  if (value >> 32n === 0xffffn) return `::ffff:${formatIpv4(Number(value & 0xffffffffn))}`;
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), or -1. */
export function mappedIpv4(value: bigint): number {
  return value >> 32n === 0xffffn ? Number(value & 0xffffffffn) : -1;
}

/** A parsed CIDR block (or single address), host bits cleared. */
export type ParsedBlock =
  | { version: 4; network: number; prefix: number }
  | { version: 6; network: bigint; prefix: number };

const all128 = (1n << 128n) - 1n;

/** The network mask of an IPv6 prefix length, as a bigint. */
export function ipv6Mask(prefix: number): bigint {
  return prefix === 0 ? 0n : all128 ^ ((1n << BigInt(128 - prefix)) - 1n);
}

/** The network mask of an IPv4 prefix length, as an unsigned number. */
export function ipv4Mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/**
 * Parses `a.b.c.d/n`, `x::/n` or a bare address. With `strict`, host bits below the prefix are an
 * error (a typo in a user's entry); without it they are cleared, as MISP does with published lists.
 * Returns the block, or why it is not one.
 */
export function parseBlock(text: string, strict: boolean): ParsedBlock | string {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const address = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const suffix = slash < 0 ? undefined : trimmed.slice(slash + 1);
  const v4 = parseIpv4(address);
  const v6 = v4 >= 0 ? undefined : parseIpv6(address);
  if (v4 < 0 && v6 === undefined) return 'not an IPv4 or IPv6 address or CIDR block';
  const bits = v4 >= 0 ? 32 : 128;
  let prefix = bits;
  if (suffix !== undefined) {
    if (!/^\d{1,3}$/.test(suffix) || Number(suffix) > bits)
      return `invalid prefix length; expected 0 to ${bits}`;
    prefix = Number(suffix);
  }
  if (v4 >= 0) {
    const network = (v4 & ipv4Mask(prefix)) >>> 0;
    if (strict && network !== v4) return `host bits set; did you mean ${formatIpv4(network)}/${prefix}?`;
    return { version: 4, network, prefix };
  }
  const value = v6 as bigint;
  const network = value & ipv6Mask(prefix);
  if (strict && network !== value) return `host bits set; did you mean ${formatIpv6(network)}/${prefix}?`;
  return { version: 6, network, prefix };
}

/** Formats a block as `network/prefix`. */
export function formatBlock(block: ParsedBlock): string {
  return block.version === 4
    ? `${formatIpv4(block.network)}/${block.prefix}`
    : `${formatIpv6(block.network)}/${block.prefix}`;
}
