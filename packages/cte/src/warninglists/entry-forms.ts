/**
 * Brings list entries to the form indicator values have after normalization (lowercase hosts and
 * hashes, canonical IPs), so that a lookup is a plain set probe. Values themselves are never
 * rewritten here: the matcher receives them already normalized.
 *
 * @module
 */
import { domainToASCII } from 'node:url';
import { formatBlock, formatIpv6, parseBlock, parseIpv4, parseIpv6 } from './ip.js';

const hexHash = /^[0-9a-fA-F]+$/;
const hashLengths = new Set([32, 40, 56, 64, 96, 128]);
const hostLike = /^[A-Za-z0-9._-]+$/;
const schemePrefix = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)/;

/**
 * Lowercases, drops surrounding dots and converts an internationalized name to punycode, as
 * normalization does to values: `.Bücher.Example.` → `xn--bcher-kva.example`.
 */
export function canonicalHost(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) === 46) start++;
  while (end > start && text.charCodeAt(end - 1) === 46) end--;
  const trimmed = start === 0 && end === text.length ? text : text.slice(start, end);
  if (/[\u0080-\uffff]/.test(trimmed)) return domainToASCII(trimmed) || trimmed.toLowerCase();
  return /[A-Z]/.test(trimmed) ? trimmed.toLowerCase() : trimmed;
}

/** Lowercases the scheme and authority of a URL (or URL prefix), leaving path and query alone. */
export function canonicalUrlPrefix(text: string): string {
  const match = schemePrefix.exec(text);
  if (!match) return text;
  const head = `${match[1]}${match[2]}`;
  return head.toLowerCase() + text.slice(head.length);
}

/**
 * The normalized form of an exact-match entry of unknown type: hashes and hosts lowercased, IPs
 * and CIDR blocks canonical, the domain of an e-mail address and the scheme and host of a URL
 * lowercased. Anything else is kept as written (minus surrounding whitespace).
 */
export function canonicalExactEntry(entry: string): string {
  const text = entry.trim();
  if (hashLengths.has(text.length) && hexHash.test(text)) return text.toLowerCase();
  if (parseIpv4(text) >= 0) return text;
  if (text.includes(':') && !text.includes('/')) {
    const v6 = parseIpv6(text);
    if (v6 !== undefined) return formatIpv6(v6);
  }
  if (text.includes('/') && !text.includes('://')) {
    const block = parseBlock(text, false);
    if (typeof block !== 'string') return formatBlock(block);
  }
  if (schemePrefix.test(text)) return canonicalUrlPrefix(text);
  const at = text.lastIndexOf('@');
  if (at > 0 && hostLike.test(text.slice(at + 1)))
    return `${text.slice(0, at)}@${canonicalHost(text.slice(at + 1))}`;
  if (hostLike.test(text)) return /[A-Z]/.test(text) ? text.toLowerCase() : text;
  return text;
}

/**
 * The host of a normalized URL: after `scheme://`, without user info, port or IPv6 brackets.
 * Returns `undefined` for a URL without an authority (`mailto:`).
 */
export function urlHost(url: string): string | undefined {
  const colon = url.indexOf('://');
  if (colon < 0) return undefined;
  const start = colon + 3;
  let end = url.length;
  for (let i = start; i < url.length; i++) {
    const code = url.charCodeAt(i);
    if (code === 47 || code === 63 || code === 35) {
      end = i;
      break;
    }
  }
  let authority = url.slice(start, end);
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    return close > 0 ? authority.slice(1, close) : undefined;
  }
  const port = authority.lastIndexOf(':');
  const host = port >= 0 ? authority.slice(0, port) : authority;
  return host === '' ? undefined : host;
}

/** The domain of an e-mail address, or `undefined`. */
export function emailDomain(email: string): string | undefined {
  const at = email.lastIndexOf('@');
  return at >= 0 && at < email.length - 1 ? email.slice(at + 1) : undefined;
}
