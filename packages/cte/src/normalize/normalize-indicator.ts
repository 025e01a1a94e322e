/**
 * The entry point of normalization: one value in, its canonical form (the indicator's identity
 * together with the type) or a coded reason out.
 *
 * @module
 */
import { normalizeEmail } from './email.js';
import { normalizeHash } from './hash.js';
import { normalizeHostName } from './host.js';
import { type IndicatorType, isIndicatorType } from './indicator-types.js';
import { inferRefangedType } from './infer-type.js';
import { normalizeIpv4, normalizeIpv4Cidr, normalizeIpv6, normalizeIpv6Cidr } from './ip.js';
import {
  fail,
  indicatorValueLimits,
  type Normalized,
  type NormalizeFailure,
  type NormalizeResult,
  quote,
} from './normalize-result.js';
import { refang } from './refang.js';
import { normalizeUrl } from './url.js';

function normalizeAs(type: IndicatorType, text: string): Normalized {
  switch (type) {
    case 'url':
      return normalizeUrl(text);
    case 'domain':
      return normalizeHostName(text, 'invalid-domain');
    case 'hostname':
      return normalizeHostName(text, 'invalid-hostname');
    case 'ipv4':
      return normalizeIpv4(text);
    case 'ipv6':
      return normalizeIpv6(text);
    case 'ipv4-cidr':
      return normalizeIpv4Cidr(text);
    case 'ipv6-cidr':
      return normalizeIpv6Cidr(text);
    case 'md5':
    case 'sha1':
    case 'sha256':
      return normalizeHash(text, type);
    case 'email':
      return normalizeEmail(text);
  }
}

function withHint(failure: NormalizeFailure, type: IndicatorType, text: string): NormalizeFailure {
  if (failure.code === 'ip-literal') return failure;
  const guess = inferRefangedType(text);
  if (guess === undefined || guess === type) return failure;
  return fail(failure.code, `${failure.reason}; the value looks like ${guess}, not ${type}`);
}

/**
 * Normalizes one indicator value. With `type`, the value must be of that type; without, the type
 * is inferred ({@link inferIndicatorType}). The pair `(type, value)` of a success is the
 * indicator's identity. Never throws; a rejected value gets a stable code and a reason.
 *
 * Every value is trimmed and refanged ({@link refang}) first. Then, per type:
 *
 * - `url`: scheme `http`, `https` or `ftp`, lowercased; no scheme means `http://`. Host as for
 *   `hostname` (or a strict IPv4 address, or a bracketed IPv6 address in RFC 5952 form); the
 *   default port, an empty port and the fragment are dropped; an empty path becomes `/`;
 *   percent-encodings get uppercase hex. Path, query and userinfo are kept exactly (credentials
 *   included: they are part of what was observed; reasons never quote them).
 * - `domain`, `hostname`: a DNS name, lowercased, IDN to punycode, one trailing dot dropped;
 *   labels of 1 to 63 letters, digits, `-` (not at either end) and `_`; at most 253 characters;
 *   at least two labels; an IP address is refused (`ip-literal`).
 * - `ipv4`: strict dotted quad; leading zeros, hex, short and integer forms are `ambiguous-ipv4`.
 * - `ipv6`: RFC 5952 (lowercase, longest zero run compressed); IPv4-mapped as `::ffff:1.2.3.4`;
 *   brackets accepted; zones refused (`ipv6-zone`).
 * - `ipv4-cidr`, `ipv6-cidr`: host bits cleared (`10.1.2.3/8` is `10.0.0.0/8`); prefix 1 to 32
 *   or 128 without leading zeros (`/0` is refused); a bare address is a single-host block.
 * - `md5`, `sha1`, `sha256`: exactly 32, 40 or 64 hex characters, lowercased.
 * - `email`: `local@domain`; the domain as for `hostname`, the local part kept exactly (a
 *   dot-atom of at most 64 characters); quoted local parts and address literals refused.
 *
 * Values longer than {@link indicatorValueLimits} are refused (`too-long`). An input already in
 * normal form is returned as the same string, so the common case allocates only the result.
 *
 * @param value - the value as the source gave it.
 * @param type - the type the source declared, if any.
 * @example
 * normalizeIndicator('hxxps://Evil[.]Example:443/Login#top');
 * // { ok: true, type: 'url', value: 'https://evil.example/Login' }
 * normalizeIndicator('010.1.1.1', 'ipv4');
 * // { ok: false, code: 'ambiguous-ipv4', reason: 'IPv4 octet "010" has a leading zero, …' }
 */
export function normalizeIndicator(value: string, type?: IndicatorType): NormalizeResult {
  if (typeof value !== 'string') return fail('invalid-input', `expected a string, got ${typeof value}`);
  if (type !== undefined && !isIndicatorType(type))
    return fail('invalid-type', `${quote(String(type))} is not an indicator type`);
  if (value.length > indicatorValueLimits.raw)
    return fail(
      'too-long',
      `the value is ${value.length} characters long; at most ${indicatorValueLimits.url} are accepted`,
    );
  const trimmed = value.trim();
  if (trimmed === '') return fail('empty', 'the value is empty');
  const text = refang(trimmed);
  const resolved = type ?? inferRefangedType(text);
  if (resolved === undefined)
    return fail(
      'unknown-type',
      `cannot tell the indicator type of ${quote(text)}; expected a URL, DNS name, IP address, CIDR block, hash or e-mail address`,
    );
  const limit = resolved === 'url' ? indicatorValueLimits.url : indicatorValueLimits.other;
  if (trimmed.length > limit)
    return fail(
      'too-long',
      `the ${resolved} is ${trimmed.length} characters long; at most ${limit} are accepted`,
    );
  const normal = normalizeAs(resolved, text);
  if (typeof normal === 'string') return { ok: true, type: resolved, value: normal };
  return type === undefined ? normal : withHint(normal, type, text);
}
