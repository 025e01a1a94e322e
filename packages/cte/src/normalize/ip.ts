/**
 * IP addresses and CIDR blocks in one canonical text form each.
 *
 * - IPv4: dotted quad, decimal, no leading zeros. Forms that parsers read differently (`010.1.1.1`
 *   is 8.1.1.1 to inet_aton and 10.1.1.1 to others; `0x7f.1`, `127.1`, `2130706433`) are
 *   rejected as `ambiguous-ipv4` instead of guessed, because a wrong guess blocks the wrong host.
 * - IPv6: RFC 5952 (lowercase, no leading zeros, the longest run of two or more zero groups
 *   compressed, the first on a tie); IPv4-mapped addresses keep the dotted tail
 *   (`::ffff:1.2.3.4`). A zone (`fe80::1%eth0`) is rejected (`ipv6-zone`): it names an interface
 *   of the host that saw the address and means nothing elsewhere, and stripping it would merge
 *   unrelated values. A value wrapped in brackets (`[2001:db8::1]`) is accepted.
 * - CIDR: the network address (host bits cleared: `10.1.2.3/8` is `10.0.0.0/8`) and a prefix
 *   without leading zeros. `/32` and `/128` are fine; `/0` is refused, as a block covering every
 *   address is never a meaningful indicator and blocking it would cut a destination off. A bare
 *   address given as a CIDR type is read as a single-host block.
 *
 * Parsing runs on char codes with no allocation until the result is built; an input already in
 * canonical form is returned as is.
 *
 * @module
 */
import { fail, type Normalized, type NormalizeFailure, quote } from './normalize-result.js';

/**
 * Parses a strict dotted-quad IPv4 address in `text[start, end)` into an unsigned 32-bit number.
 * Returns -1 for anything else (leading zeros included); {@link ipv4Problem} says why.
 */
export function parseIpv4(text: string, start = 0, end = text.length): number {
  const length = end - start;
  if (length < 7 || length > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      const digit = code - 48;
      if (digit < 0 || digit > 9 || (digits > 0 && part === 0)) return -1;
      part = part * 10 + digit;
      if (part > 255) return -1;
      digits++;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/** Formats an unsigned 32-bit number as a dotted quad. */
export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

const decimalPart = /^[0-9]+$/;
const hexPart = /^0[xX][0-9a-fA-F]*$/;

/**
 * Whether `text` is written like an IPv4 address in some parser's eyes: one to four dot-separated
 * parts, each decimal or `0x` hex, and at least one dot. Used to report `ambiguous-ipv4` instead
 * of a puzzling host-name error.
 */
export function looksLikeIpv4(text: string): boolean {
  // Cheap exit first: real host names end in a label that starts with a letter.
  const lastDot = text.lastIndexOf('.');
  if (lastDot < 0 || text.length > 64) return false;
  const afterDot = text.charCodeAt(lastDot + 1);
  if (!(afterDot >= 48 && afterDot <= 57)) return false;
  const parts = text.split('.');
  if (parts.length > 4) return false;
  for (const part of parts) if (!decimalPart.test(part) && !hexPart.test(part)) return false;
  return true;
}

/** Why `text` is not a strict IPv4 address (failure path only; it allocates freely). */
export function ipv4Problem(text: string): NormalizeFailure {
  const parts = text.split('.');
  for (const part of parts) {
    if (part === '') return fail('invalid-ipv4', `IPv4 address ${quote(text)} has an empty octet`);
    if (hexPart.test(part))
      return fail(
        'ambiguous-ipv4',
        `IPv4 octet ${quote(part)} is hexadecimal, which only some parsers accept; write it in decimal`,
      );
    if (!decimalPart.test(part))
      return fail('invalid-ipv4', `IPv4 octet ${quote(part)} is not a decimal number`);
    if (part.length > 1 && part.charCodeAt(0) === 48)
      return fail(
        'ambiguous-ipv4',
        `IPv4 octet ${quote(part)} has a leading zero, which is ambiguous (octal to some parsers)`,
      );
  }
  if (parts.length < 4)
    return fail(
      'ambiguous-ipv4',
      `IPv4 address ${quote(text)} has ${parts.length} part${parts.length === 1 ? '' : 's'}; ` +
        'short and integer forms such as 127.1 are ambiguous, write all four octets',
    );
  if (parts.length > 4)
    return fail('invalid-ipv4', `IPv4 address ${quote(text)} has ${parts.length} parts; expected 4`);
  for (const part of parts)
    if (Number(part) > 255)
      return fail('invalid-ipv4', `IPv4 octet ${quote(part)} is out of range (0 to 255)`);
  return fail('invalid-ipv4', `${quote(text)} is not an IPv4 address`);
}

/** Normalizes an IPv4 address: valid input is already canonical and is returned as is. */
export function normalizeIpv4(text: string): Normalized {
  return parseIpv4(text) >= 0 ? text : ipv4Problem(text);
}

// IPv6 parse errors, kept as numbers so the hot path allocates nothing.
const ipv6Ok = 0;
const ipv6Malformed = -1;
const ipv6BadIpv4 = -2;
const ipv6Zone = -3;

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 32;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/**
 * Parses an IPv6 address in `text[start, end)` into eight 16-bit groups written to `out`.
 * Returns 0, or a negative error number.
 */
function parseIpv6Into(text: string, start: number, end: number, out: Uint16Array): number {
  if (end - start < 2 || end - start > 45) return ipv6Malformed;
  let count = 0;
  let gap = -1;
  let i = start;
  if (text.charCodeAt(i) === 58) {
    if (text.charCodeAt(i + 1) !== 58) return ipv6Malformed;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    const groupStart = i;
    let value = 0;
    let digits = 0;
    while (i < end) {
      const digit = hexValue(text.charCodeAt(i));
      if (digit < 0) break;
      value = value * 16 + digit;
      digits++;
      i++;
    }
    const next = i < end ? text.charCodeAt(i) : -1;
    if (next === 46) {
      if (count > 6) return ipv6Malformed;
      const v4 = parseIpv4(text, groupStart, end);
      if (v4 < 0) return ipv6BadIpv4;
      out[count++] = v4 >>> 16;
      out[count++] = v4 & 0xffff;
      i = end;
      break;
    }
    if (digits === 0 || digits > 4 || count === 8) return next === 37 ? ipv6Zone : ipv6Malformed;
    out[count++] = value;
    if (next === -1) break;
    if (next === 37) return ipv6Zone;
    if (next !== 58) return ipv6Malformed;
    i++;
    if (i < end && text.charCodeAt(i) === 58) {
      if (gap >= 0) return ipv6Malformed;
      gap = count;
      i++;
    } else if (i === end) return ipv6Malformed;
  }
  if (gap < 0) return count === 8 ? ipv6Ok : ipv6Malformed;
  if (count > 7) return ipv6Malformed;
  const tail = count - gap;
  for (let k = 1; k <= tail; k++) out[8 - k] = out[count - k] as number;
  for (let k = gap; k < 8 - tail; k++) out[k] = 0;
  return ipv6Ok;
}

function hex16(value: number): string {
  return value.toString(16);
}

/** Formats eight groups per RFC 5952, with a dotted tail for IPv4-mapped addresses. */
function formatIpv6(groups: Uint16Array): string {
  if (
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff
  )
    return `::ffff:${formatIpv4((((groups[6] as number) << 16) | (groups[7] as number)) >>> 0)}`;
  let bestStart = -1;
  let bestLength = 1;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    if (groups[i] !== 0) {
      runStart = -1;
      continue;
    }
    if (runStart < 0) runStart = i;
    if (i - runStart + 1 > bestLength) {
      bestStart = runStart;
      bestLength = i - runStart + 1;
    }
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLength - 1;
      continue;
    }
    if (i > 0 && i !== bestStart + bestLength) out += ':';
    out += hex16(groups[i] as number);
  }
  return out;
}

// One scratch buffer: normalization is synchronous, so calls never interleave.
const scratch = new Uint16Array(8);

function ipv6Problem(text: string, error: number): NormalizeFailure {
  if (error === ipv6Zone)
    return fail(
      'ipv6-zone',
      `IPv6 address ${quote(text)} has a zone (%…), which only means something on one host; remove it`,
    );
  if (error === ipv6BadIpv4) {
    const tail = text.slice(text.lastIndexOf(':') + 1);
    const problem = ipv4Problem(tail);
    return fail(
      'invalid-ipv6',
      `IPv6 address ${quote(text)} ends in an invalid IPv4 part: ${problem.reason}`,
    );
  }
  return fail('invalid-ipv6', `${quote(text)} is not an IPv6 address`);
}

function unbracket(text: string): [number, number] {
  const end = text.length;
  if (end > 1 && text.charCodeAt(0) === 91 && text.charCodeAt(end - 1) === 93) return [1, end - 1];
  return [0, end];
}

/** Normalizes an IPv6 address to its RFC 5952 form. */
export function normalizeIpv6(text: string): Normalized {
  let start = 0;
  let end = text.length;
  if (text.charCodeAt(0) === 91) [start, end] = unbracket(text);
  const error = parseIpv6Into(text, start, end, scratch);
  if (error !== ipv6Ok) return ipv6Problem(text.slice(start, end), error);
  const formatted = formatIpv6(scratch);
  return formatted === text ? text : formatted;
}

/** Normalizes the IPv6 literal inside URL brackets (`text[start, end)`, brackets excluded). */
export function normalizeIpv6Range(text: string, start: number, end: number): Normalized {
  const error = parseIpv6Into(text, start, end, scratch);
  if (error !== ipv6Ok) {
    const inner = text.slice(start, end);
    // A URL carries the zone percent-encoded, as %25.
    return ipv6Problem(inner, inner.indexOf('%') >= 0 ? ipv6Zone : error);
  }
  return formatIpv6(scratch);
}

/** Parses a prefix length without sign or leading zeros in `text[start, end)`, or -1. */
function parsePrefix(text: string, start: number, end: number, max: number): number {
  const length = end - start;
  if (length < 1 || length > 3) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9 || (i > start && value === 0)) return -1;
    value = value * 10 + digit;
  }
  return value > max ? -1 : value;
}

function prefixProblem(text: string, slash: number, max: number): NormalizeFailure | undefined {
  const prefix = text.slice(slash + 1);
  if (prefix === '0' || /^0+$/.test(prefix))
    return fail(
      'invalid-prefix',
      `prefix /0 covers every address, which is never a meaningful indicator; use /1 to /${max}`,
    );
  if (parsePrefix(text, slash + 1, text.length, max) < 0)
    return fail(
      'invalid-prefix',
      `prefix ${quote(prefix)} is not a length from 1 to ${max} without leading zeros`,
    );
  return undefined;
}

/** Normalizes an IPv4 CIDR block to its network address; a bare address becomes `/32`. */
export function normalizeIpv4Cidr(text: string): Normalized {
  const slash = text.indexOf('/');
  if (slash < 0) {
    const single = normalizeIpv4(text);
    return typeof single === 'string' ? `${single}/32` : single;
  }
  const address = parseIpv4(text, 0, slash);
  if (address < 0) {
    if (slash === 0) return fail('invalid-cidr', `${quote(text)} has no address before the "/"`);
    return ipv4Problem(text.slice(0, slash));
  }
  const prefix = parsePrefix(text, slash + 1, text.length, 32);
  if (prefix <= 0)
    return prefixProblem(text, slash, 32) ?? fail('invalid-cidr', `${quote(text)} is not a CIDR block`);
  const mask = prefix === 32 ? 0xffffffff : ~(0xffffffff >>> prefix);
  const network = (address & mask) >>> 0;
  return network === address ? text : `${formatIpv4(network)}/${prefix}`;
}

/** Normalizes an IPv6 CIDR block to its RFC 5952 network address; a bare address becomes `/128`. */
export function normalizeIpv6Cidr(text: string): Normalized {
  const slash = text.indexOf('/');
  if (slash < 0) {
    const single = normalizeIpv6(text);
    return typeof single === 'string' ? `${single}/128` : single;
  }
  if (slash === 0) return fail('invalid-cidr', `${quote(text)} has no address before the "/"`);
  const error = parseIpv6Into(text, 0, slash, scratch);
  if (error !== ipv6Ok) return ipv6Problem(text.slice(0, slash), error);
  const prefix = parsePrefix(text, slash + 1, text.length, 128);
  if (prefix <= 0)
    return prefixProblem(text, slash, 128) ?? fail('invalid-cidr', `${quote(text)} is not a CIDR block`);
  for (let i = 0; i < 8; i++) {
    const kept = prefix - i * 16;
    if (kept >= 16) continue;
    scratch[i] = kept <= 0 ? 0 : (scratch[i] as number) & (0xffff << (16 - kept));
  }
  const formatted = `${formatIpv6(scratch)}/${prefix}`;
  return formatted === text ? text : formatted;
}
