/**
 * Character-level escaping shared by the formatters. Every function scans once and returns its
 * input unchanged (no allocation) when nothing needs escaping, which is the common case for
 * Netskope values; only then does it build a new string from slices.
 *
 * Common to all: a lone UTF-16 surrogate (text that was not valid UTF-8 upstream) becomes U+FFFD,
 * and no output ever contains a raw CR or LF, so no value can start a second syslog line.
 */

const replacement = '\uFFFD';

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * Escapes a CEF extension value: `\` → `\\`, `=` → `\=`, LF → `\n`, CR → `\r` (the two-character
 * sequences the CEF specification defines), other control characters → space, lone surrogates →
 * U+FFFD. A pipe needs no escape in the extension.
 */
export function escapeCefValue(value: string): string {
  const length = value.length;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c < 128 ? cefValueSpecial[c] === 1 : c >= 0xd800 && c <= 0xdfff) return escapeCefValueFrom(value, i);
  }
  return value;
}

/** ASCII characters a CEF value must escape or replace, as a table: one load per character. */
const cefValueSpecial = new Uint8Array(128);
for (let c = 0; c < 32; c++) cefValueSpecial[c] = 1;
cefValueSpecial[61] = 1;
cefValueSpecial[92] = 1;
cefValueSpecial[127] = 1;

function escapeCefValueFrom(value: string, start: number): string {
  let out = value.slice(0, start);
  let last = start;
  const length = value.length;
  for (let i = start; i < length; i++) {
    const c = value.charCodeAt(i);
    let rep: string | undefined;
    if (c === 92) rep = '\\\\';
    else if (c === 61) rep = '\\=';
    else if (c === 10) rep = '\\n';
    else if (c === 13) rep = '\\r';
    else if (c === 9) continue;
    else if (c < 32 || c === 127) rep = ' ';
    else if (c >= 0xd800 && c <= 0xdfff) {
      if (isHighSurrogate(c) && i + 1 < length && isLowSurrogate(value.charCodeAt(i + 1))) {
        i++;
        continue;
      }
      rep = replacement;
    } else continue;
    out += value.slice(last, i) + rep;
    last = i + 1;
  }
  return out + value.slice(last);
}

/**
 * Escapes a CEF (or LEEF) header field: `\` → `\\`, `|` → `\|`. The header is one line and the
 * specification has no newline escape there, so CR, LF, tabs and other control characters become
 * spaces; lone surrogates become U+FFFD.
 */
export function escapeHeader(value: string): string {
  const length = value.length;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c === 92 || c === 124 || c < 32 || c === 127 || (c >= 0xd800 && c <= 0xdfff)) {
      return escapeHeaderFrom(value, i);
    }
  }
  return value;
}

function escapeHeaderFrom(value: string, start: number): string {
  let out = value.slice(0, start);
  let last = start;
  const length = value.length;
  for (let i = start; i < length; i++) {
    const c = value.charCodeAt(i);
    let rep: string;
    if (c === 92) rep = '\\\\';
    else if (c === 124) rep = '\\|';
    else if (c < 32 || c === 127) rep = ' ';
    else if (c >= 0xd800 && c <= 0xdfff) {
      if (isHighSurrogate(c) && i + 1 < length && isLowSurrogate(value.charCodeAt(i + 1))) {
        i++;
        continue;
      }
      rep = replacement;
    } else continue;
    out += value.slice(last, i) + rep;
    last = i + 1;
  }
  return out + value.slice(last);
}

/**
 * Makes a LEEF attribute value safe. LEEF defines no escape inside attribute values and QRadar
 * splits on the delimiter blindly, so an escape would not stop a value from forging a field: the
 * delimiter is replaced (by a space unless told otherwise). LF and CR become the two-character
 * `\n` and `\r`, as in CEF; other control characters become spaces; lone surrogates U+FFFD.
 */
export function escapeLeefValue(value: string, delimiterCode: number, delimiterReplacement = ' '): string {
  const length = value.length;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c === delimiterCode || c < 32 || c === 127 || (c >= 0xd800 && c <= 0xdfff)) {
      return escapeLeefValueFrom(value, i, delimiterCode, delimiterReplacement);
    }
  }
  return value;
}

function escapeLeefValueFrom(
  value: string,
  start: number,
  delimiterCode: number,
  delimiterReplacement: string,
) {
  let out = value.slice(0, start);
  let last = start;
  const length = value.length;
  for (let i = start; i < length; i++) {
    const c = value.charCodeAt(i);
    let rep: string;
    if (c === delimiterCode) rep = delimiterReplacement;
    else if (c === 10) rep = '\\n';
    else if (c === 13) rep = '\\r';
    else if (c === 9) continue;
    else if (c < 32 || c === 127) rep = ' ';
    else if (c >= 0xd800 && c <= 0xdfff) {
      if (isHighSurrogate(c) && i + 1 < length && isLowSurrogate(value.charCodeAt(i + 1))) {
        i++;
        continue;
      }
      rep = replacement;
    } else continue;
    out += value.slice(last, i) + rep;
    last = i + 1;
  }
  return out + value.slice(last);
}

/**
 * Makes free text safe as a syslog MSG (or any line-oriented payload): LF → `\n`, CR → `\r`, NUL
 * and other control characters except tab → space, lone surrogates → U+FFFD. Backslashes are left
 * alone, so an already escaped CEF or LEEF message passes through unchanged.
 */
export function escapeLineBreaks(value: string): string {
  // Messages are whole formatted lines (about 1 KB): irregexp's native scan beats a charCodeAt loop there.
  return lineBreakSpecial.test(value) ? escapeLineBreaksFrom(value, 0) : value;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its purpose.
const lineBreakSpecial = /[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]/;

function escapeLineBreaksFrom(value: string, start: number): string {
  let out = value.slice(0, start);
  let last = start;
  const length = value.length;
  for (let i = start; i < length; i++) {
    const c = value.charCodeAt(i);
    let rep: string;
    if (c === 10) rep = '\\n';
    else if (c === 13) rep = '\\r';
    else if (c === 9) continue;
    else if (c < 32 || c === 127) rep = ' ';
    else if (c >= 0xd800 && c <= 0xdfff) {
      if (isHighSurrogate(c) && i + 1 < length && isLowSurrogate(value.charCodeAt(i + 1))) {
        i++;
        continue;
      }
      rep = replacement;
    } else continue;
    out += value.slice(last, i) + rep;
    last = i + 1;
  }
  return out + value.slice(last);
}

/**
 * Escapes an RFC 5424 PARAM-VALUE: `"`, `\` and `]` get a backslash (the three escapes the RFC
 * defines). The RFC has no newline escape; LF and CR become the text `\n` and `\r` so that the
 * record stays on one line.
 */
export function escapeSdParamValue(value: string): string {
  const length = value.length;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c === 34 || c === 92 || c === 93 || c < 32 || c === 127 || (c >= 0xd800 && c <= 0xdfff)) {
      return escapeSdParamValueFrom(value, i);
    }
  }
  return value;
}

function escapeSdParamValueFrom(value: string, start: number): string {
  let out = value.slice(0, start);
  let last = start;
  const length = value.length;
  for (let i = start; i < length; i++) {
    const c = value.charCodeAt(i);
    let rep: string;
    if (c === 34) rep = '\\"';
    else if (c === 92) rep = '\\\\';
    else if (c === 93) rep = '\\]';
    else if (c === 10) rep = '\\n';
    else if (c === 13) rep = '\\r';
    else if (c === 9) continue;
    else if (c < 32 || c === 127) rep = ' ';
    else if (c >= 0xd800 && c <= 0xdfff) {
      if (isHighSurrogate(c) && i + 1 < length && isLowSurrogate(value.charCodeAt(i + 1))) {
        i++;
        continue;
      }
      rep = replacement;
    } else continue;
    out += value.slice(last, i) + rep;
    last = i + 1;
  }
  return out + value.slice(last);
}

/**
 * Restricts a syslog header field to PRINTUSASCII (`!` to `~`): anything else, space included,
 * becomes `_`, then the field is cut to `maxLength`. An empty result is the NILVALUE `-`.
 */
export function toPrintUsAscii(value: string, maxLength: number): string {
  let out = value.length > maxLength ? value.slice(0, maxLength) : value;
  for (let i = 0; i < out.length; i++) {
    const c = out.charCodeAt(i);
    if (c < 33 || c > 126) {
      let fixed = '';
      for (let j = 0; j < out.length; j++) {
        const d = out.charCodeAt(j);
        fixed += d < 33 || d > 126 ? '_' : out[j];
      }
      out = fixed;
      break;
    }
  }
  return out === '' ? '-' : out;
}

/**
 * Cuts `value` to at most `maxLength` UTF-16 code units without splitting a surrogate pair.
 */
export function truncateChars(value: string, maxLength: number): string {
  if (value.length <= maxLength) return value;
  let end = maxLength;
  if (end > 0 && isHighSurrogate(value.charCodeAt(end - 1))) end--;
  return value.slice(0, end);
}

/** The UTF-8 length of `value` in bytes, without encoding it (a lone surrogate counts 3, as U+FFFD). */
export function utf8Length(value: string): number {
  let bytes = 0;
  const length = value.length;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (isHighSurrogate(c) && i + 1 < length && isLowSurrogate(value.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Cuts an already escaped value to at most `maxBytes` UTF-8 bytes without splitting a character
 * or a backslash escape (a trailing odd backslash is dropped, so the cut cannot escape whatever
 * follows it).
 */
export function truncateEscapedUtf8(value: string, maxBytes: number): string {
  if (value.length * 3 <= maxBytes) return value;
  let bytes = 0;
  let end = 0;
  const length = value.length;
  while (end < length) {
    const c = value.charCodeAt(end);
    let size: number;
    let units = 1;
    if (c < 0x80) size = 1;
    else if (c < 0x800) size = 2;
    else if (isHighSurrogate(c) && end + 1 < length && isLowSurrogate(value.charCodeAt(end + 1))) {
      size = 4;
      units = 2;
    } else size = 3;
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += units;
  }
  if (end === length) return value;
  let backslashes = 0;
  while (backslashes < end && value.charCodeAt(end - 1 - backslashes) === 92) backslashes++;
  if (backslashes % 2 === 1) end--;
  return value.slice(0, end);
}
