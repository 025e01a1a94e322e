/**
 * JSON parsing that keeps 64-bit integers. Netskope's records carry identifiers such as
 * `transaction_id` as JSON numbers up to 2^63, which `JSON.parse` rounds to the nearest double:
 * `7379289410245673217` becomes `7379289410245673000`, and a SIEM then correlates the wrong
 * session. `JSON.parse` does the parsing; a walk over its result then puts back the exact digits
 * of each rounded integer, found by its key in the text. Where that cannot be certain, an exact
 * scanner that skips strings wraps the unsafe integer literals in quotes before parsing instead.
 *
 * @module
 */

/** Options of {@link parseJsonLossless}. */
export interface LosslessJsonOptions {
  /**
   * Keys whose integer values (whole numbers, `12` or `12.0` alike) always become their decimal
   * strings, whatever their size, so that a field has one type in every record (a SIEM index maps
   * a field once). Integers beyond
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

/** Whether the value at `start` follows `:` and the last string closed, a key in `keys`. */
function valueOfKey(
  text: string,
  start: number,
  keys: ReadonlySet<string>,
  keyStart: number,
  keyEnd: number,
): boolean {
  let j = start - 1;
  while (j >= 0 && isSpace(text.charCodeAt(j))) j--;
  return text.charCodeAt(j) === COLON && keys.has(text.slice(keyStart, keyEnd));
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
        // A fraction or an exponent: a float, kept as a number, unless it is a whole number under
        // one of the keys (`1.0`, `2e3`), which becomes its decimal string as an integer would.
        i++;
        while (i < length) {
          const c = text.charCodeAt(i);
          if (isDigit(c) || c === DOT || c === LOWER_E || c === UPPER_E || c === PLUS || c === MINUS) i++;
          else break;
        }
        const number = Number(text.slice(start, i));
        if (
          keys !== undefined &&
          Number.isSafeInteger(number) &&
          keyEnd >= 0 &&
          valueOfKey(text, start, keys, keyStart, keyEnd)
        ) {
          parts ??= [];
          parts.push(text.slice(copied, start), '"', String(number), '"');
          copied = i;
        }
        continue;
      }
      if (digitsEnd === digitsStart) continue; // a lone '-': invalid, JSON.parse reports it
      const quote =
        unsafeDigits(text, digitsStart, digitsEnd) ||
        (keys !== undefined && keyEnd >= 0 && valueOfKey(text, start, keys, keyStart, keyEnd));
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

/** Thrown inside the fast path when it cannot be sure; the exact scanner then decides. */
class NotSure extends Error {}

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/**
 * Finds, at or after `from`, the integer literal of `"key": <digits>` that `JSON.parse` turned
 * into `value`, and returns its digits; `end` receives the offset after them. In valid JSON an
 * unescaped `"key"` followed by `:` is always that key (inside a string every quote is escaped),
 * so the only candidates to skip are escaped ones and other values under the same key.
 */
function digitsOf(text: string, key: string, value: number, from: number, end: { at: number }): string {
  const needle = `"${key}"`;
  for (let at = text.indexOf(needle, from); at >= 0; at = text.indexOf(needle, at + 1)) {
    let slashes = 0;
    for (let j = at - 1; text.charCodeAt(j) === BACKSLASH; j--) slashes++;
    if ((slashes & 1) === 1) continue;
    let i = at + needle.length;
    while (isBlank(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) !== COLON) continue;
    i++;
    while (isBlank(text.charCodeAt(i))) i++;
    const start = i;
    if (text.charCodeAt(i) === MINUS) i++;
    while (isDigit(text.charCodeAt(i))) i++;
    const next = text.charCodeAt(i);
    if (i === start || next === DOT || next === LOWER_E || next === UPPER_E) continue;
    const digits = text.slice(start, i);
    if (Number(digits) === value) {
      end.at = i;
      return digits;
    }
  }
  throw new NotSure();
}

/**
 * The fast path: `JSON.parse`, then one walk over the result that puts back the exact digits of
 * every integer it rounded, found by key in the text from a cursor that only moves forward (the
 * walk visits keys in document order). Anything it cannot place for certain (an unsafe integer in
 * an array, a rounded float, object keys that are array indexes, which `JSON.parse` reorders)
 * throws {@link NotSure}.
 */
function parseThenRestore(text: string, keys: ReadonlySet<string> | undefined): unknown {
  const value: unknown = JSON.parse(text);
  const unsafePossible = longDigitRun.test(text);
  if (!unsafePossible && keys === undefined) return value;
  const end = { at: 0 };
  const walk = (node: object): void => {
    if (Array.isArray(node)) {
      for (const item of node) {
        if (typeof item === 'number') {
          if (!Number.isSafeInteger(item) && Number.isInteger(item)) throw new NotSure();
        } else if (typeof item === 'object' && item !== null) walk(item);
      }
      return;
    }
    const record = node as Record<string, unknown>;
    for (const key in record) {
      const item = record[key];
      if (typeof item === 'number') {
        if (Number.isSafeInteger(item)) {
          if (keys?.has(key)) record[key] = String(item);
        } else if (Number.isInteger(item)) {
          const first = key.charCodeAt(0);
          if (first >= ZERO && first <= NINE) throw new NotSure();
          record[key] = digitsOf(text, key, item, end.at, end);
        }
      } else if (typeof item === 'object' && item !== null) walk(item);
    }
  };
  if (typeof value === 'object' && value !== null) walk(value);
  return value;
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
  const keys =
    options.stringKeys !== undefined && options.stringKeys.size > 0 ? options.stringKeys : undefined;
  try {
    return parseThenRestore(text, keys);
  } catch (error) {
    if (!(error instanceof NotSure)) throw error;
    return JSON.parse(quoteUnsafeIntegers(text, options));
  }
}
