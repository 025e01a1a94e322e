/**
 * Type inference for untyped values (a line of a plain-text feed). It looks at the shape only;
 * the normalizer of the inferred type then validates, so a value that merely looks like an IPv4
 * address (`010.1.1.1`) is inferred as `ipv4` and rejected with the precise reason.
 *
 * @module
 */
import { hashTypeOfLength, isHex } from './hash.js';
import type { IndicatorType } from './indicator-types.js';
import { looksLikeIpv4, parseIpv4 } from './ip.js';
import { refang } from './refang.js';

function isDigits(text: string, start: number, end: number): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

/** Hex digits, colons and dots with at least two colons, optionally in brackets; anything after `%`. */
function looksLikeIpv6(text: string, start: number, end: number): boolean {
  let colons = 0;
  let from = start;
  let to = end;
  if (text.charCodeAt(from) === 91 && text.charCodeAt(to - 1) === 93) {
    from++;
    to--;
  }
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code === 58) colons++;
    else if (code === 37) break;
    else if (!((code >= 48 && code <= 57) || ((code | 32) >= 97 && (code | 32) <= 102) || code === 46))
      return false;
  }
  return colons >= 2;
}

function isDot(code: number): boolean {
  // ASCII full stop and the ideographic and full-width stops IDNA maps to it.
  return code === 46 || code === 0x3002 || code === 0xff0e || code === 0xff61;
}

/** Infers the type of a trimmed, refanged value; see {@link inferIndicatorType}. */
export function inferRefangedType(text: string): IndicatorType | undefined {
  const length = text.length;
  if (length === 0) return undefined;
  if (text.indexOf('://') > 0) return 'url';
  const at = text.indexOf('@');
  const slash = text.indexOf('/');
  if (at >= 0) return slash > at ? 'url' : 'email';
  if (slash >= 0) {
    if (isDigits(text, slash + 1, length) && length - slash <= 4) {
      if (parseIpv4(text, 0, slash) >= 0) return 'ipv4-cidr';
      if (looksLikeIpv6(text, 0, slash)) return 'ipv6-cidr';
      if (looksLikeIpv4(text.slice(0, slash))) return 'ipv4-cidr';
    }
    return 'url';
  }
  if (text.indexOf(':') >= 0) return looksLikeIpv6(text, 0, length) ? 'ipv6' : undefined;
  const hash = hashTypeOfLength(length);
  if (hash !== undefined && isHex(text)) return hash;
  if (parseIpv4(text) >= 0 || looksLikeIpv4(text)) return 'ipv4';
  let dots = 0;
  const end = isDot(text.charCodeAt(length - 1)) ? length - 1 : length;
  for (let i = 0; i < end; i++) if (isDot(text.charCodeAt(i))) dots++;
  if (dots === 0) return undefined;
  return dots === 1 ? 'domain' : 'hostname';
}

/**
 * Infers the indicator type of an untyped value by its shape, after trimming and refanging:
 *
 * | shape | type |
 * | --- | --- |
 * | contains `://`, or a host followed by `/…` | `url` |
 * | `local@domain` | `email` |
 * | address `/` 1 to 3 digits | `ipv4-cidr` or `ipv6-cidr` |
 * | hex and colons | `ipv6` |
 * | 32, 40 or 64 hex characters | `md5`, `sha1`, `sha256` |
 * | dotted decimal (or hex) numbers | `ipv4` |
 * | a DNS name with one dot | `domain` |
 * | a DNS name with more dots | `hostname` |
 *
 * Without a public suffix list `domain` versus `hostname` goes by the number of labels, as MISP's
 * free-text import does: `example.co.uk` is inferred as a `hostname`. Callers that know better
 * pass the type. A bare `host:port` and a bare number are not inferred (they are more often
 * something else than an indicator). The value is not validated; that is
 * {@link normalizeIndicator}'s job.
 *
 * @returns the type, or `undefined` when the value fits none.
 * @example
 * inferIndicatorType('hxxp://evil[.]example/x'); // 'url'
 * inferIndicatorType('10.0.0.0/8'); // 'ipv4-cidr'
 * inferIndicatorType('d41d8cd98f00b204e9800998ecf8427e'); // 'md5'
 */
export function inferIndicatorType(value: string): IndicatorType | undefined {
  return inferRefangedType(refang(value.trim()));
}
