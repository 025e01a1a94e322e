/**
 * JSON parsing that keeps 64-bit integers. Netskope's records carry identifiers such as
 * `transaction_id` as JSON numbers up to 2^63, which `JSON.parse` rounds to the nearest double:
 * `7379289410245673217` becomes `7379289410245673000`, and a SIEM then correlates the wrong
 * session. One pass over the text wraps such integer literals in quotes, then the native parser
 * does the rest, so the cost over `JSON.parse` is one scan (strings are skipped with `indexOf`).
 *
 * @module
 */

/** Options of {@link parseJsonLossless}. */
export interface LosslessJsonOptions {
  /**
   * Keys whose integer values always become strings, whatever their size, so that a field has
   * one type in every record (a SIEM index maps a field once). Integers beyond
   * `Number.MAX_SAFE_INTEGER` become strings under any key.
   * @default none
   */
  stringKeys?: ReadonlySet<string>;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const DOT = 0x2e;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const PLUS = 0x2b;
const COLON = 0x3a;

// 2^53 has 16 digits: an integer of 15 digits or fewer is always exact as a double.
const safeDigits = 15;
const maxSafeText = String(Number.MAX_SAFE_INTEGER);

/** Whether an integer literal (digits only, sign apart) is beyond `Number.MAX_SAFE_INTEGER`. */
function unsafeDigits(text: string, start: number, end: number): boolean {
  // Leading zeros are invalid JSON anyway; the native parser reports them.
  const length = end - start;
  if (length <= safeDigits) return false;
  if (length > maxSafeText.length) return true;
  for (let i = 0; i < length; i++) {
    const a = text.charCodeAt(start + i);
    const b = maxSafeText.charCodeAt(i);
    if (a !== b) return a > b;
  }
  return false;
}

function isDigit(code: number): boolean {
  return code >= ZERO && code <= NINE;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/**
 * Rewrites `text` so that integer literals `JSON.parse` would round (and, with
 * `options.stringKeys`, integers under those keys) are JSON strings holding the exact digits.
 * Everything else, including numbers inside strings and non-integer numbers, is left as it is.
 * Invalid JSON stays invalid: the caller's `JSON.parse` reports it.
 */
export function quoteUnsafeIntegers(text: string, options: LosslessJsonOptions = {}): string {
  const keys = options.stringKeys;
  const length = text.length;
  let parts: string[] | undefined;
  let copied = 0;
  // Span of the last string closed, a candidate object key for the next value.
  let keyStart = -1;
  let keyEnd = -1;
  let i = 0;
  while (i < length) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      // Jump to the closing quote: a quote preceded by an odd run of backslashes is escaped.
      let end = text.indexOf('"', i + 1);
      for (;;) {
        if (end < 0) return text; // unterminated: let JSON.parse report it
        let slashes = 0;
        for (let j = end - 1; text.charCodeAt(j) === BACKSLASH; j--) slashes++;
        if ((slashes & 1) === 0) break;
        end = text.indexOf('"', end + 1);
      }
      keyStart = i + 1;
      keyEnd = end;
      i = end + 1;
      continue;
    }
    if (code === MINUS || isDigit(code)) {
      const start = i;
      let digitsStart = i;
      if (code === MINUS) {
        i++;
        digitsStart = i;
      }
      while (i < length && isDigit(text.charCodeAt(i))) i++;
      const digitsEnd = i;
      const next = i < length ? text.charCodeAt(i) : 0;
      if (next === DOT || next === LOWER_E || next === UPPER_E) {
        // A fraction or an exponent: a float, kept as a number.
        i++;
        while (i < length) {
          const c = text.charCodeAt(i);
          if (isDigit(c) || c === DOT || c === LOWER_E || c === UPPER_E || c === PLUS || c === MINUS) i++;
          else break;
        }
        continue;
      }
      if (digitsEnd === digitsStart) continue; // a lone '-': invalid, JSON.parse reports it
      let quote = unsafeDigits(text, digitsStart, digitsEnd);
      if (!quote && keys !== undefined && keyEnd >= 0) {
        let j = start - 1;
        while (j >= 0 && isSpace(text.charCodeAt(j))) j--;
        if (text.charCodeAt(j) === COLON) quote = keys.has(text.slice(keyStart, keyEnd));
      }
      if (quote) {
        parts ??= [];
        parts.push(text.slice(copied, start), '"', text.slice(start, digitsEnd), '"');
        copied = digitsEnd;
      }
      continue;
    }
    i++;
  }
  if (!parts) return text;
  parts.push(text.slice(copied));
  return parts.join('');
}

// Any run of 16 digits: without one, no integer can be unsafe.
const longDigitRun = /\d{16}/;
// An integer of 16 digits or more in a value position: after `:`, `[` or `,`, before `,`, `]` or `}`.
const unsafeCandidate = /([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g;
const keyPatterns = new WeakMap<ReadonlySet<string>, RegExp>();

function keyPattern(keys: ReadonlySet<string>): RegExp {
  let pattern = keyPatterns.get(keys);
  if (!pattern) {
    const names = [...keys].map((key) => key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
    pattern = new RegExp(`("(?:${names})"\\s*:\\s*)(-?\\d+)(?=\\s*[,\\]}])`, 'g');
    keyPatterns.set(keys, pattern);
  }
  return pattern;
}

/**
 * The fast path: two regular-expression passes instead of a walk over every string. A candidate
 * can also sit inside a string (`"a:12345678901234567,b"`); quoting it there always makes the
 * text invalid (the inserted quote closes the string and digits follow it, which JSON never
 * allows), so a clean `JSON.parse` of the result proves that no candidate was inside a string.
 */
function quoteCandidates(text: string, keys: ReadonlySet<string> | undefined): string {
  let out = text;
  if (keys !== undefined && keys.size > 0) {
    out = out.replace(keyPattern(keys), (match: string, prefix: string, digits: string, offset: number) =>
      // A key's opening quote follows `{`, `,` or blanks; after a backslash it is an escaped quote.
      text.charCodeAt(offset - 1) === BACKSLASH ? match : `${prefix}"${digits}"`,
    );
  }
  if (!longDigitRun.test(out)) return out;
  return out.replace(unsafeCandidate, (match: string, prefix: string, digits: string) => {
    const sign = digits.charCodeAt(0) === MINUS ? 1 : 0;
    return unsafeDigits(digits, sign, digits.length) ? `${prefix}"${digits}"` : match;
  });
}

/**
 * Parses JSON like `JSON.parse`, except that integers beyond `Number.MAX_SAFE_INTEGER` (and, with
 * `options.stringKeys`, integers under those keys) come back as strings holding the exact digits,
 * e.g. `{"transaction_id": 7379289410245673217}` gives `{ transaction_id: '7379289410245673217' }`.
 * Throws `SyntaxError` on invalid JSON, as `JSON.parse` does.
 *
 * @example
 * ```ts
 * parseJsonLossless('{"id": 18446744073709551615, "n": 1}'); // { id: '18446744073709551615', n: 1 }
 * ```
 */
export function parseJsonLossless(text: string, options: LosslessJsonOptions = {}): unknown {
  const keys = options.stringKeys;
  if ((keys === undefined || keys.size === 0) && !longDigitRun.test(text)) return JSON.parse(text);
  const quoted = quoteCandidates(text, keys);
  if (quoted === text) return JSON.parse(text);
  try {
    return JSON.parse(quoted);
  } catch {
    // A candidate was inside a string (or the text is invalid): the exact scanner decides.
    return JSON.parse(quoteUnsafeIntegers(text, options));
  }
}
