import type { IndicatorKey } from '@ce/core';
import type { UrlListType } from '../tenant/netskope-api.js';

/**
 * Turning indicators into URL list entries, following "URL List Best Practices" and "URL Lists" in
 * the Netskope documentation:
 *
 * - Exact lists hold URLs without a scheme (the scheme is ignored), host names made of letters,
 *   digits and dashes (punycode for international names), an optional port, and a path, query and
 *   fragment of unreserved characters, percent-encodings and the delimiters `!$&'()*+,;=`. An entry
 *   matches itself and everything below it (`example.com` matches `example.com/path/a`).
 * - A `*` is allowed once, as the first character, followed by a dot: `*.example.com` matches the
 *   subdomains. Whether it also matches `example.com` depends on the tenant's release (the
 *   documentation says both), so a domain is pushed as two entries, `example.com` and
 *   `*.example.com`, unless subdomains are turned off.
 * - Regex lists hold regular expressions matched against the URL. Values are escaped, so an
 *   indicator never becomes a pattern by accident, and anchored: a URL matches as a prefix (as an
 *   exact entry does), a domain or host name matches that host (and, for a domain, its subdomains)
 *   with any port and path.
 *
 * @module
 */

/** Options of {@link toUrlListEntries}. */
export interface UrlListEntryOptions {
  /** The list's match type. */
  listType: UrlListType;
  /** For domains: also match subdomains. */
  includeSubdomains: boolean;
}

/** Entries for one indicator, or why it cannot be listed. */
export type UrlListEntriesResult = { ok: true; entries: string[] } | { ok: false; reason: string };

const labelPattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const ipv4Pattern = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const allowedPathCharacter = /[A-Za-z0-9\-._~%!$&'()+,;=/?#:@]/;

/** Escapes every regular expression metacharacter, so `text` matches only itself. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isHostName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  return host.split('.').every((label) => labelPattern.test(label));
}

function isHost(host: string): boolean {
  return ipv4Pattern.test(host) || isHostName(host);
}

/** Percent-encodes what the documented path syntax does not allow (spaces, non-ASCII, `*`, ...). */
function encodePath(path: string): string {
  let out = '';
  for (const character of path) {
    if (allowedPathCharacter.test(character)) out += character;
    else
      out += [...Buffer.from(character, 'utf8')]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join('');
  }
  return out;
}

/** `scheme://host:port/path` split into the lower-cased host (with port) and the encoded rest. */
function splitUrl(value: string): { authority: string; host: string; rest: string } | { reason: string } {
  const withoutScheme = value.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const cut = withoutScheme.search(/[/?#]/);
  const authority = (cut < 0 ? withoutScheme : withoutScheme.slice(0, cut)).toLowerCase();
  const rest = cut < 0 ? '' : withoutScheme.slice(cut);
  if (authority.includes('@')) return { reason: 'user:password@host URLs are not supported by URL lists' };
  const portMatch = /^(.*?)(:\d{1,5})?$/.exec(authority);
  const host = portMatch?.[1] ?? authority;
  if (!isHost(host)) return { reason: `"${host}" is not a valid host name or IPv4 address for a URL list` };
  return { authority, host, rest: encodePath(rest) };
}

function hostPattern(host: string, subdomains: boolean): string {
  return `^(https?://)?${subdomains ? '([a-z0-9-]+\\.)*' : ''}${escapeRegex(host)}(:[0-9]+)?([/?#].*)?$`;
}

/**
 * The URL list entries for one indicator (`url`, `domain`, `hostname` or `ipv4`), or the reason it
 * cannot be listed.
 */
export function toUrlListEntries(
  indicator: IndicatorKey,
  options: UrlListEntryOptions,
): UrlListEntriesResult {
  const regex = options.listType === 'regex';
  switch (indicator.type) {
    case 'url': {
      const parts = splitUrl(indicator.value);
      if ('reason' in parts) return { ok: false, reason: parts.reason };
      const entry = `${parts.authority}${parts.rest}`;
      return { ok: true, entries: [regex ? `^(https?://)?${escapeRegex(entry)}` : entry] };
    }
    case 'domain':
    case 'hostname':
    case 'ipv4': {
      const host = indicator.value.trim().toLowerCase().replace(/\.$/, '');
      if (!isHost(host))
        return { ok: false, reason: `"${host}" is not a valid ${indicator.type} for a URL list` };
      const subdomains = indicator.type === 'domain' && options.includeSubdomains;
      if (regex) return { ok: true, entries: [hostPattern(host, subdomains)] };
      return { ok: true, entries: subdomains ? [host, `*.${host}`] : [host] };
    }
    default:
      return { ok: false, reason: `a URL list cannot hold ${indicator.type} indicators` };
  }
}
