import { StixPatternError } from './pattern-error.js';

// Token types. Plain numbers (not an enum) so that comparisons stay integer compares.
export const T_EOF: number = 0;
export const T_LBRACK: number = 1;
export const T_RBRACK: number = 2;
export const T_LPAREN: number = 3;
export const T_RPAREN: number = 4;
export const T_COLON: number = 5;
export const T_DOT: number = 6;
export const T_COMMA: number = 7;
export const T_STAR: number = 8;
export const T_EQ: number = 9;
export const T_NEQ: number = 10;
export const T_LT: number = 11;
export const T_LE: number = 12;
export const T_GT: number = 13;
export const T_GE: number = 14;
export const T_IDENT: number = 15;
export const T_STRING: number = 16;
export const T_INT: number = 17;
export const T_FLOAT: number = 18;
export const T_BINARY: number = 19;
export const T_HEX: number = 20;
export const T_TIMESTAMP: number = 21;
export const T_TRUE: number = 22;
export const T_FALSE: number = 23;
export const T_AND: number = 24;
export const T_OR: number = 25;
export const T_NOT: number = 26;
export const T_FOLLOWEDBY: number = 27;
export const T_LIKE: number = 28;
export const T_MATCHES: number = 29;
export const T_ISSUPERSET: number = 30;
export const T_ISSUBSET: number = 31;
export const T_EXISTS: number = 32;
export const T_LAST: number = 33;
export const T_IN: number = 34;
export const T_START: number = 35;
export const T_STOP: number = 36;
export const T_SECONDS: number = 37;
export const T_WITHIN: number = 38;
export const T_REPEATS: number = 39;
export const T_TIMES: number = 40;

const keywordNames = [
  'AND',
  'OR',
  'NOT',
  'FOLLOWEDBY',
  'LIKE',
  'MATCHES',
  'ISSUPERSET',
  'ISSUBSET',
  'EXISTS',
  'LAST',
  'IN',
  'START',
  'STOP',
  'SECONDS',
  'WITHIN',
  'REPEATS',
  'TIMES',
] as const;

/** Keywords of the grammar (case-sensitive), plus the boolean literals; never bare names. */
export const reservedWords: ReadonlySet<string> = new Set<string>([...keywordNames, 'true', 'false']);

const CH_TAB = 9;
const CH_LF = 10;
const CH_CR = 13;
const CH_SPACE = 32;
const CH_BANG = 33;
const CH_QUOTE = 39;
const CH_LPAREN = 40;
const CH_RPAREN = 41;
const CH_STAR = 42;
const CH_PLUS = 43;
const CH_COMMA = 44;
const CH_MINUS = 45;
const CH_DOT = 46;
const CH_SLASH = 47;
const CH_0 = 48;
const CH_9 = 57;
const CH_COLON = 58;
const CH_LT = 60;
const CH_EQ = 61;
const CH_GT = 62;
const CH_LBRACK = 91;
const CH_BACKSLASH = 92;
const CH_RBRACK = 93;
const CH_UNDERSCORE = 95;

// Character classes as a table: bit 1 identifier start, 2 identifier part, 4 digit, 8 hex digit,
// 16 base64 character.
const IDENT_START = 1;
const IDENT_PART = 2;
const DIGIT = 4;
const HEX = 8;
const BASE64 = 16;
const charClass = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  let bits = 0;
  const upper = c >= 65 && c <= 90;
  const lower = c >= 97 && c <= 122;
  const digit = c >= CH_0 && c <= CH_9;
  if (upper || lower || c === CH_UNDERSCORE) bits |= IDENT_START | IDENT_PART;
  if (digit || c === CH_MINUS) bits |= IDENT_PART;
  if (digit) bits |= DIGIT | HEX;
  if ((c >= 65 && c <= 70) || (c >= 97 && c <= 102)) bits |= HEX;
  if (upper || lower || digit || c === CH_PLUS || c === CH_SLASH) bits |= BASE64;
  charClass[c] = bits;
}

function isClass(c: number, bits: number): boolean {
  return c < 128 && ((charClass[c] as number) & bits) !== 0;
}

/** The grammar's whitespace: ASCII blanks plus the Unicode spaces it lists. */
function isSpace(c: number): boolean {
  if (c <= CH_SPACE) return c === CH_SPACE || (c >= CH_TAB && c <= CH_CR);
  if (c < 0x85) return false;
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

function digitsAt(text: string, at: number, count: number): boolean {
  for (let i = at; i < at + count; i++) {
    const c = text.charCodeAt(i);
    if (c < CH_0 || c > CH_9) return false;
  }
  return true;
}

function twoDigits(text: string, at: number): number {
  return (text.charCodeAt(at) - CH_0) * 10 + (text.charCodeAt(at + 1) - CH_0);
}

/**
 * Whether `text[from, to)` has the shape the grammar gives a timestamp literal:
 * `YYYY-MM-DDTHH:MM:SS[.fraction]Z` with month 01-12, day 01-31, hour 00-23, minute 00-59 and
 * second 00-60. Whether the day exists in that month is a question of meaning, left to validation.
 */
export function isTimestampShape(text: string, from: number, to: number): boolean {
  const length = to - from;
  if (length < 20) return false;
  if (
    !digitsAt(text, from, 4) ||
    text.charCodeAt(from + 4) !== CH_MINUS ||
    !digitsAt(text, from + 5, 2) ||
    text.charCodeAt(from + 7) !== CH_MINUS ||
    !digitsAt(text, from + 8, 2) ||
    text.charCodeAt(from + 10) !== 84 /* T */ ||
    !digitsAt(text, from + 11, 2) ||
    text.charCodeAt(from + 13) !== CH_COLON ||
    !digitsAt(text, from + 14, 2) ||
    text.charCodeAt(from + 16) !== CH_COLON ||
    !digitsAt(text, from + 17, 2) ||
    text.charCodeAt(to - 1) !== 90 /* Z */
  ) {
    return false;
  }
  const month = twoDigits(text, from + 5);
  const day = twoDigits(text, from + 8);
  const hour = twoDigits(text, from + 11);
  const minute = twoDigits(text, from + 14);
  const second = twoDigits(text, from + 17);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  if (length === 20) return true;
  // A fraction: '.' and at least one digit before the 'Z'.
  if (text.charCodeAt(from + 19) !== CH_DOT || length < 22) return false;
  return digitsAt(text, from + 20, length - 21);
}

/**
 * The scanner. It keeps the current token in fields instead of allocating token objects, reads
 * the text with `charCodeAt`, and slices a value out only when the parser asks for it.
 *
 * @internal
 */
export class PatternLexer {
  /** Type of the current token (`T_*`). */
  type = T_EOF;
  /** Offset of the current token's first character. */
  start = 0;
  /** Offset just past the current token. */
  end = 0;
  /** Numeric value of an integer or float token. */
  number: number | bigint = 0;
  /** True when a number token carries a leading `-`. */
  negative = false;
  /** True when an identifier contains a `-` (allowed in object types only). */
  hyphen = false;
  /** Unescaped value of a string token; the content of binary, hex and timestamp tokens. */
  value = '';

  private pos = 0;
  /** Offset of the next backslash at or after the last string scanned; text length when none. */
  private nextBackslash = -1;

  constructor(readonly text: string) {}

  fail(message: string, position: number, issue: 'syntax' | 'too-deep' = 'syntax'): never {
    throw new StixPatternError(message, position, issue, this.text);
  }

  /** How the current token reads in an error message. */
  describe(): string {
    if (this.type === T_EOF) return 'end of pattern';
    const length = this.end - this.start;
    const shown = this.text.slice(this.start, this.start + Math.min(length, 40));
    return `'${shown}${length > 40 ? '…' : ''}'`;
  }

  /** Advances to the next token. */
  next(): void {
    const text = this.text;
    const length = text.length;
    let pos = this.pos;
    // Whitespace and comments.
    for (;;) {
      if (pos >= length) {
        this.type = T_EOF;
        this.start = this.end = this.pos = length;
        return;
      }
      const c = text.charCodeAt(pos);
      if (isSpace(c)) {
        pos++;
        continue;
      }
      if (c === CH_SLASH) {
        const d = text.charCodeAt(pos + 1);
        if (d === CH_STAR) {
          const close = text.indexOf('*/', pos + 2);
          if (close < 0) this.fail(`unterminated comment at ${pos}`, pos);
          pos = close + 2;
          continue;
        }
        if (d === CH_SLASH) {
          pos += 2;
          while (pos < length) {
            const e = text.charCodeAt(pos);
            if (e === CH_LF || e === CH_CR) break;
            pos++;
          }
          continue;
        }
      }
      break;
    }
    const start = pos;
    this.start = start;
    const c = text.charCodeAt(pos);
    const d = text.charCodeAt(pos + 1);
    let type: number;
    switch (c) {
      case CH_LBRACK:
        type = T_LBRACK;
        pos++;
        break;
      case CH_RBRACK:
        type = T_RBRACK;
        pos++;
        break;
      case CH_LPAREN:
        type = T_LPAREN;
        pos++;
        break;
      case CH_RPAREN:
        type = T_RPAREN;
        pos++;
        break;
      case CH_COLON:
        type = T_COLON;
        pos++;
        break;
      case CH_COMMA:
        type = T_COMMA;
        pos++;
        break;
      case CH_STAR:
        type = T_STAR;
        pos++;
        break;
      case CH_EQ:
        type = T_EQ;
        pos += d === CH_EQ ? 2 : 1;
        break;
      case CH_BANG:
        if (d !== CH_EQ) this.fail(`unexpected character '!' at ${pos}`, pos);
        type = T_NEQ;
        pos += 2;
        break;
      case CH_LT:
        if (d === CH_EQ) {
          type = T_LE;
          pos += 2;
        } else if (d === CH_GT) {
          type = T_NEQ;
          pos += 2;
        } else {
          type = T_LT;
          pos++;
        }
        break;
      case CH_GT:
        if (d === CH_EQ) {
          type = T_GE;
          pos += 2;
        } else {
          type = T_GT;
          pos++;
        }
        break;
      case CH_QUOTE:
        type = T_STRING;
        pos = this.scanString(pos);
        break;
      default:
        if (isClass(c, IDENT_START)) {
          if (d === CH_QUOTE && (c === 116 /* t */ || c === 104 /* h */ || c === 98) /* b */) {
            type = c === 116 ? T_TIMESTAMP : c === 104 ? T_HEX : T_BINARY;
            pos = this.scanPrefixed(pos, type);
          } else {
            let hyphen = false;
            pos++;
            for (;;) {
              const e = text.charCodeAt(pos);
              if (!isClass(e, IDENT_PART)) break;
              if (e === CH_MINUS) hyphen = true;
              pos++;
            }
            this.hyphen = hyphen;
            type = hyphen ? T_IDENT : this.keyword(start, pos - start);
          }
        } else if ((c >= CH_0 && c <= CH_9) || c === CH_DOT || c === CH_MINUS || c === CH_PLUS) {
          if (c === CH_DOT && !(d >= CH_0 && d <= CH_9)) {
            type = T_DOT;
            pos++;
          } else {
            pos = this.scanNumber(pos);
            type = this.type;
          }
        } else {
          const shown = String.fromCodePoint(text.codePointAt(pos) as number);
          this.fail(`unexpected character '${shown}' at ${pos}`, pos);
        }
    }
    this.type = type;
    this.end = pos;
    this.pos = pos;
  }

  /** The identifier's type: a keyword token when the text is one, otherwise `T_IDENT`. */
  private keyword(start: number, length: number): number {
    const text = this.text;
    switch (text.charCodeAt(start)) {
      case 65 /* A */:
        return length === 3 && text.startsWith('AND', start) ? T_AND : T_IDENT;
      case 79 /* O */:
        return length === 2 && text.startsWith('OR', start) ? T_OR : T_IDENT;
      case 78 /* N */:
        return length === 3 && text.startsWith('NOT', start) ? T_NOT : T_IDENT;
      case 70 /* F */:
        return length === 10 && text.startsWith('FOLLOWEDBY', start) ? T_FOLLOWEDBY : T_IDENT;
      case 76 /* L */:
        if (length !== 4) return T_IDENT;
        if (text.startsWith('LIKE', start)) return T_LIKE;
        return text.startsWith('LAST', start) ? T_LAST : T_IDENT;
      case 77 /* M */:
        return length === 7 && text.startsWith('MATCHES', start) ? T_MATCHES : T_IDENT;
      case 73 /* I */:
        if (length === 2) return text.startsWith('IN', start) ? T_IN : T_IDENT;
        if (length === 8) return text.startsWith('ISSUBSET', start) ? T_ISSUBSET : T_IDENT;
        if (length === 10) return text.startsWith('ISSUPERSET', start) ? T_ISSUPERSET : T_IDENT;
        return T_IDENT;
      case 69 /* E */:
        return length === 6 && text.startsWith('EXISTS', start) ? T_EXISTS : T_IDENT;
      case 83 /* S */:
        if (length === 5) return text.startsWith('START', start) ? T_START : T_IDENT;
        if (length === 4) return text.startsWith('STOP', start) ? T_STOP : T_IDENT;
        if (length === 7) return text.startsWith('SECONDS', start) ? T_SECONDS : T_IDENT;
        return T_IDENT;
      case 87 /* W */:
        return length === 6 && text.startsWith('WITHIN', start) ? T_WITHIN : T_IDENT;
      case 82 /* R */:
        return length === 7 && text.startsWith('REPEATS', start) ? T_REPEATS : T_IDENT;
      case 84 /* T */:
        return length === 5 && text.startsWith('TIMES', start) ? T_TIMES : T_IDENT;
      case 116 /* t */:
        return length === 4 && text.startsWith('true', start) ? T_TRUE : T_IDENT;
      case 102 /* f */:
        return length === 5 && text.startsWith('false', start) ? T_FALSE : T_IDENT;
      default:
        return T_IDENT;
    }
  }

  /** Scans `'...'` starting at the quote; only `\'` and `\\` are escapes. Returns the end. */
  private scanString(quote: number): number {
    const text = this.text;
    const length = text.length;
    // Fast path: no backslash before the closing quote, so the value is one slice. The position of
    // the next backslash is remembered, keeping a long pattern without any linear overall.
    const close = text.indexOf("'", quote + 1);
    if (close >= 0) {
      if (this.nextBackslash <= quote) {
        const backslash = text.indexOf('\\', quote + 1);
        this.nextBackslash = backslash < 0 ? length : backslash;
      }
      if (this.nextBackslash > close) {
        this.value = text.slice(quote + 1, close);
        return close + 1;
      }
    }
    let pos = quote + 1;
    let chunkStart = pos;
    let value = '';
    for (;;) {
      if (pos >= length) this.fail(`unterminated string literal at ${quote}`, quote);
      const c = text.charCodeAt(pos);
      if (c === CH_QUOTE) break;
      if (c === CH_BACKSLASH) {
        const e = text.charCodeAt(pos + 1);
        if (e !== CH_QUOTE && e !== CH_BACKSLASH) {
          this.fail(`invalid escape at ${pos}: only \\' and \\\\ are allowed in a string literal`, pos);
        }
        value += text.slice(chunkStart, pos);
        chunkStart = pos + 1;
        pos += 2;
        continue;
      }
      pos++;
    }
    this.value = chunkStart === quote + 1 ? text.slice(chunkStart, pos) : value + text.slice(chunkStart, pos);
    return pos + 1;
  }

  /** Scans `t'...'`, `h'...'` or `b'...'` starting at the prefix letter. Returns the end. */
  private scanPrefixed(start: number, type: number): number {
    const text = this.text;
    const from = start + 2;
    const close = text.indexOf("'", from);
    const name = type === T_TIMESTAMP ? 'timestamp' : type === T_HEX ? 'hex' : 'binary';
    if (close < 0) this.fail(`unterminated ${name} literal at ${start}`, start);
    if (type === T_TIMESTAMP) {
      if (!isTimestampShape(text, from, close)) {
        this.fail(`invalid timestamp literal at ${start}: expected t'YYYY-MM-DDTHH:MM:SS[.s+]Z'`, start);
      }
    } else if (type === T_HEX) {
      for (let i = from; i < close; i++) {
        if (!isClass(text.charCodeAt(i), HEX)) {
          this.fail(`invalid hex literal at ${start}: '${text[i]}' at ${i} is not a hex digit`, i);
        }
      }
      if ((close - from) % 2 !== 0) {
        this.fail(`invalid hex literal at ${start}: odd number of hex digits`, start);
      }
    } else {
      const count = close - from;
      let padding = 0;
      for (let i = from; i < close; i++) {
        const c = text.charCodeAt(i);
        if (c === CH_EQ) {
          padding++;
        } else if (padding > 0 || !isClass(c, BASE64)) {
          this.fail(`invalid binary literal at ${start}: not base64 at ${i}`, i);
        }
      }
      if (count === 0 || count % 4 !== 0 || padding > 2) {
        this.fail(
          `invalid binary literal at ${start}: base64 text must be a non-empty multiple of 4 characters`,
          start,
        );
      }
    }
    this.value = text.slice(from, close);
    return close + 1;
  }

  /** Scans an integer or a float (optional sign, no exponent). Sets `type`; returns the end. */
  private scanNumber(start: number): number {
    const text = this.text;
    let pos = start;
    let c = text.charCodeAt(pos);
    const negative = c === CH_MINUS;
    if (negative || c === CH_PLUS) c = text.charCodeAt(++pos);
    const digitsStart = pos;
    let value = 0;
    while (c >= CH_0 && c <= CH_9) {
      value = value * 10 + (c - CH_0);
      c = text.charCodeAt(++pos);
    }
    const digits = pos - digitsStart;
    this.negative = negative;
    if (c === CH_DOT) {
      const fractionStart = ++pos;
      c = text.charCodeAt(pos);
      while (c >= CH_0 && c <= CH_9) c = text.charCodeAt(++pos);
      if (pos === fractionStart) this.fail(`expected a digit after '.' at ${pos}`, pos);
      this.type = T_FLOAT;
      this.number = Number(text.slice(start, pos));
      if (!Number.isFinite(this.number)) this.fail(`number out of range at ${start}`, start);
    } else {
      if (digits === 0) {
        const shown = String.fromCharCode(text.charCodeAt(start));
        this.fail(`unexpected character '${shown}' at ${start}`, start);
      }
      if (digits > 1 && text.charCodeAt(digitsStart) === CH_0) {
        this.fail(`invalid integer at ${start}: leading zero`, start);
      }
      this.type = T_INT;
      if (digits > 15 && !Number.isSafeInteger(value)) {
        const big = BigInt(text.slice(digitsStart, pos));
        this.number = negative ? -big : big;
      } else {
        this.number = negative ? -value : value;
      }
    }
    return pos;
  }
}
