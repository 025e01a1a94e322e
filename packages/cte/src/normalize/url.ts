/**
 * URLs in one canonical form, for identity. Deliberately not the WHATWG `URL` parser: it resolves
 * `..` segments, percent-encodes and decodes, and reads `http://0x7f.1/` as 127.0.0.1, all of
 * which change or guess at what the feed reported.
 *
 * What is normalized:
 * - the scheme must be `http`, `https` or `ftp` and is lowercased; a value without a scheme
 *   (`example.com/path`, `//example.com/path`, `192.0.2.1:8080/x`) is read as `http://…`;
 * - the host follows the host-name rules (lowercase, punycode, no trailing dot) or is a strict IPv4 address or a bracketed IPv6 address in RFC 5952 form;
 *   ambiguous IPv4 forms are refused, not guessed;
 * - a default port (80 for http, 443 for https, 21 for ftp) and an empty port are dropped, and
 *   leading zeros of a port removed;
 * - the fragment is dropped (it never reaches the server);
 * - an empty path becomes `/`;
 * - percent-encodings get uppercase hex digits (`%2f` is `%2F`, RFC 3986 6.2.2.1); nothing is
 *   encoded or decoded.
 *
 * What is kept exactly: the path and query (case included, `..` segments, non-ASCII characters)
 * and the userinfo. Credentials in `user:pass@host` are part of what was observed (phishing URLs
 * use `https://bank.example@evil.example/`), so dropping them would merge distinct indicators;
 * failure reasons never quote them. Whitespace and control characters anywhere are refused.
 *
 * @module
 */
import { normalizeHostName } from './host.js';
import { ipv4Problem, looksLikeIpv4, normalizeIpv6Range, parseIpv4 } from './ip.js';
import { fail, type Normalized, quote } from './normalize-result.js';

type UrlScheme = 'http' | 'https' | 'ftp';

// A host that is one number: an IPv4 address in integer form to WHATWG parsers.
const numberHost = /^(?:[0-9]+|0[xX][0-9a-fA-F]*)$/;

function defaultPort(scheme: UrlScheme): number {
  return scheme === 'http' ? 80 : scheme === 'https' ? 443 : 21;
}

function isAlpha(code: number): boolean {
  const lower = code | 32;
  return lower >= 97 && lower <= 122;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isSchemeChar(code: number): boolean {
  return isAlpha(code) || (code >= 48 && code <= 57) || code === 43 || code === 45 || code === 46;
}

function isHexDigit(code: number): boolean {
  return (code >= 48 && code <= 57) || ((code | 32) >= 97 && (code | 32) <= 102);
}

function isLowerHexLetter(code: number): boolean {
  return code >= 97 && code <= 102;
}

/** Whether `text[from…]` is a port: one or more digits up to the end of the authority. */
function isPortAfter(text: string, from: number): boolean {
  let i = from;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === 47 || code === 63 || code === 35) break;
    if (code < 48 || code > 57) return false;
    i++;
  }
  return i > from;
}

function uppercasePercentHex(path: string): string {
  let out = '';
  let last = 0;
  for (let i = path.indexOf('%'); i >= 0 && i + 2 < path.length; i = path.indexOf('%', i + 1)) {
    const high = path.charCodeAt(i + 1);
    const low = path.charCodeAt(i + 2);
    if (!isHexDigit(high) || !isHexDigit(low) || !(isLowerHexLetter(high) || isLowerHexLetter(low))) continue;
    out += path.slice(last, i + 1) + path.slice(i + 1, i + 3).toUpperCase();
    last = i + 3;
  }
  return last === 0 ? path : out + path.slice(last);
}

/** Normalizes a URL (see the module notes for the rules). */
export function normalizeUrl(text: string): Normalized {
  const length = text.length;
  let changed = false;
  let scheme: UrlScheme = 'http';
  let authorityStart = 0;

  let schemeEnd = 0;
  if (isAlpha(text.charCodeAt(0))) {
    schemeEnd = 1;
    while (schemeEnd < length && isSchemeChar(text.charCodeAt(schemeEnd))) schemeEnd++;
  }
  if (schemeEnd > 0 && text.charCodeAt(schemeEnd) === 58 && !isPortAfter(text, schemeEnd + 1)) {
    const lower = schemeEnd <= 5 ? text.slice(0, schemeEnd).toLowerCase() : '';
    if (lower !== 'http' && lower !== 'https' && lower !== 'ftp')
      return fail(
        'unsupported-scheme',
        `scheme ${quote(text.slice(0, schemeEnd))} is not supported; use http, https or ftp`,
      );
    scheme = lower;
    if (!text.startsWith(lower)) changed = true;
    if (text.charCodeAt(schemeEnd + 1) !== 47 || text.charCodeAt(schemeEnd + 2) !== 47)
      return fail('invalid-url', `expected "//" after "${lower}:"`);
    authorityStart = schemeEnd + 3;
  } else {
    changed = true;
    if (text.charCodeAt(0) === 47 && text.charCodeAt(1) === 47) authorityStart = 2;
  }

  let authorityEnd = authorityStart;
  let at = -1;
  for (; authorityEnd < length; authorityEnd++) {
    const code = text.charCodeAt(authorityEnd);
    if (code === 47 || code === 63 || code === 35) break;
    if (code === 64) at = authorityEnd;
    else if (code <= 32 || code === 127 || code === 92)
      return fail('invalid-url', 'the URL authority contains a space, a control character or a backslash');
  }
  const hostStart = at >= 0 ? at + 1 : authorityStart;
  if (hostStart === authorityEnd) return fail('missing-host', 'the URL has no host');

  let host: string;
  let portColon = -1;
  if (text.charCodeAt(hostStart) === 91) {
    const close = text.indexOf(']', hostStart);
    if (close < 0 || close >= authorityEnd)
      return fail('invalid-url', 'the URL has an unclosed "[" in its host');
    const v6 = normalizeIpv6Range(text, hostStart + 1, close);
    if (typeof v6 !== 'string') return v6;
    host = `[${v6}]`;
    if (close + 1 < authorityEnd) {
      if (text.charCodeAt(close + 1) !== 58)
        return fail('invalid-url', 'the URL has characters after "]" that are not a port');
      portColon = close + 1;
    }
    if (host.length !== close + 1 - hostStart || !text.startsWith(host, hostStart)) changed = true;
  } else {
    const colon = text.lastIndexOf(':', authorityEnd - 1);
    if (colon >= hostStart) portColon = colon;
    const hostEnd = portColon >= 0 ? portColon : authorityEnd;
    if (hostEnd === hostStart) return fail('missing-host', 'the URL has no host');
    const raw = text.slice(hostStart, hostEnd);
    if (parseIpv4(raw) >= 0) host = raw;
    else if (looksLikeIpv4(raw) || (isDigit(raw.charCodeAt(0)) && numberHost.test(raw)))
      return ipv4Problem(raw);
    else {
      const name = normalizeHostName(raw, 'invalid-url');
      if (typeof name !== 'string') return name;
      host = name;
      if (name !== raw) changed = true;
    }
  }

  let port = -1;
  if (portColon >= 0) {
    const digits = authorityEnd - portColon - 1;
    if (digits === 0) changed = true;
    else {
      let value = 0;
      for (let i = portColon + 1; i < authorityEnd; i++) {
        const digit = text.charCodeAt(i) - 48;
        if (digit < 0 || digit > 9 || value > 65_535)
          return fail(
            'invalid-port',
            `URL port ${quote(text.slice(portColon + 1, authorityEnd))} is not a number`,
          );
        value = value * 10 + digit;
      }
      if (value === 0 || value > 65_535)
        return fail(
          'invalid-port',
          `URL port ${quote(text.slice(portColon + 1, authorityEnd))} is not 1 to 65535`,
        );
      if (value === defaultPort(scheme)) changed = true;
      else {
        port = value;
        if (digits !== String(value).length) changed = true;
      }
    }
  }

  let pathEnd = length;
  let lowerPercent = false;
  for (let i = authorityEnd; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === 35) {
      pathEnd = i;
      changed = true;
      break;
    }
    if (code <= 32 || code === 127)
      return fail('invalid-url', 'the URL path or query contains a space or a control character');
    if (
      code === 37 &&
      (isLowerHexLetter(text.charCodeAt(i + 1)) || isLowerHexLetter(text.charCodeAt(i + 2))) &&
      isHexDigit(text.charCodeAt(i + 1)) &&
      isHexDigit(text.charCodeAt(i + 2))
    )
      lowerPercent = true;
  }
  const emptyPath = authorityEnd === pathEnd || text.charCodeAt(authorityEnd) === 63;
  if (!changed && !emptyPath && !lowerPercent) return text;

  let out = `${scheme}://`;
  if (at >= 0) out += text.slice(authorityStart, at + 1);
  out += host;
  if (port >= 0) out += `:${port}`;
  if (emptyPath) out += '/';
  const path = text.slice(authorityEnd, pathEnd);
  return out + (lowerPercent ? uppercasePercentHex(path) : path);
}
