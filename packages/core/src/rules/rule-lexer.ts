/**
 * Tokens of the rule text syntax.
 *
 * @module
 */
import { RuleError } from './rule-error.js';

/** Kinds of token. */
export type TokenKind = 'word' | 'field' | 'string' | 'number' | 'duration' | 'regex' | 'symbol' | 'end';

/** One token and where it starts. */
export interface Token {
  /** Kind. */
  kind: TokenKind;
  /** Source text of symbols and words; decoded value of strings, quoted fields and durations. */
  text: string;
  /** Numeric value of numbers. */
  number?: number;
  /** Flags after a regex literal. */
  flags?: string;
  /** 0-based offset of the first character. */
  offset: number;
}

const wordStart = /[A-Za-z_$]/;
const wordPart = /[\w$.-]/;
const numberPattern = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/;
const durationUnit = /^(ms|s|m|h|d|w)(?![\w$.-])/;
const symbols = ['==', '!=', '>=', '<=', '=', '>', '<', '(', ')', '[', ']', ','];
const escapes: Record<string, string> = {
  '"': '"',
  "'": "'",
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** Splits rule text into tokens; throws {@link RuleError} at the first character it cannot read. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (c === '"' || c === "'") {
      const [value, end] = readString(text, i, c);
      tokens.push({ kind: 'string', text: value, offset: start });
      i = end;
    } else if (c === '`') {
      const [value, end] = readString(text, i, '`');
      tokens.push({ kind: 'field', text: value, offset: start });
      i = end;
    } else if (c === '/') {
      i = readRegex(text, i, tokens);
    } else if (/[\d-]/.test(c)) {
      const match = numberPattern.exec(text.slice(i, i + 400));
      if (!match) throw RuleError.at(text, i, `unexpected character "${c}"`);
      i += match[0].length;
      const unit = durationUnit.exec(text.slice(i, i + 3));
      if (unit) {
        i += unit[0].length;
        tokens.push({ kind: 'duration', text: text.slice(start, i), offset: start });
      } else if (i < text.length && wordPart.test(text[i] as string)) {
        throw RuleError.at(text, start, `invalid number "${text.slice(start, i + 1)}"`);
      } else tokens.push({ kind: 'number', text: match[0], number: Number(match[0]), offset: start });
    } else if (wordStart.test(c)) {
      while (i < text.length && wordPart.test(text[i] as string)) i++;
      tokens.push({ kind: 'word', text: text.slice(start, i), offset: start });
    } else {
      const symbol = symbols.find((s) => text.startsWith(s, i));
      if (!symbol) throw RuleError.at(text, i, `unexpected character "${c}"`);
      tokens.push({ kind: 'symbol', text: symbol, offset: start });
      i += symbol.length;
    }
  }
  tokens.push({ kind: 'end', text: '', offset: text.length });
  return tokens;
}

function readString(text: string, start: number, quote: string): [string, number] {
  let out = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === quote) return [out, i + 1];
    if (c === '\n') break;
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === 'u') {
      const hex = /^[0-9a-fA-F]{4}/.exec(text.slice(i + 2, i + 6));
      if (!hex) throw RuleError.at(text, i, 'invalid \\u escape: expected four hex digits');
      out += String.fromCharCode(Number.parseInt(hex[0], 16));
      i += 6;
    } else if (next !== undefined && (escapes[next] !== undefined || next === quote)) {
      out += escapes[next] ?? next;
      i += 2;
    } else throw RuleError.at(text, i, `invalid escape "\\${next ?? ''}"`);
  }
  throw RuleError.at(text, start, quote === '`' ? 'unterminated quoted field' : 'unterminated string');
}

function readRegex(text: string, start: number, tokens: Token[]): number {
  // The source is kept verbatim (escapes included) so it means the same as in JavaScript.
  let i = start + 1;
  while (i < text.length && text[i] !== '/') {
    if (text[i] === '\n') break;
    i += text[i] === '\\' ? 2 : 1;
  }
  if (i >= text.length || text[i] !== '/') throw RuleError.at(text, start, 'unterminated regular expression');
  const source = text.slice(start + 1, i);
  i++;
  const flagsStart = i;
  while (i < text.length && /[A-Za-z]/.test(text[i] as string)) i++;
  const flags = text.slice(flagsStart, i);
  if (flags !== '' && flags !== 'i')
    throw RuleError.at(
      text,
      flagsStart,
      `unsupported regular expression flags "${flags}"; only i is allowed`,
    );
  tokens.push({ kind: 'regex', text: source, flags, offset: start });
  return i;
}
