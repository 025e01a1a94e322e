import { describe, expect, it } from 'vitest';
import {
  escapeCefValue,
  escapeHeader,
  escapeLeefValue,
  escapeLineBreaks,
  escapeSdParamValue,
  toPrintUsAscii,
  truncateChars,
  truncateEscapedUtf8,
  utf8Length,
} from './escape.js';

describe('escapers', () => {
  it('return the same string when nothing needs escaping', () => {
    const clean = 'alice@example.com Google Drive 10.0.0.1 😀 ü';
    expect(escapeCefValue(clean)).toBe(clean);
    expect(escapeHeader(clean)).toBe(clean);
    expect(escapeLeefValue(clean, 9)).toBe(clean);
    expect(escapeLineBreaks(clean)).toBe(clean);
    expect(escapeSdParamValue(clean)).toBe(clean);
  });

  it('escape CEF values per the specification', () => {
    expect(escapeCefValue('a=b\\c\nd\re|f\tg')).toBe('a\\=b\\\\c\\nd\\re|f\tg');
  });

  it('escape CEF/LEEF headers per the specification', () => {
    expect(escapeHeader('a|b\\c\nd=e')).toBe('a\\|b\\\\c d=e');
  });

  it('replace lone surrogates everywhere and keep pairs', () => {
    for (const escapeText of [
      escapeCefValue,
      escapeHeader,
      escapeLineBreaks,
      escapeSdParamValue,
      (v: string) => escapeLeefValue(v, 9),
    ]) {
      expect(escapeText('\uD83D\uDE00|\uD83D|\uDE00|\uDBFF')).toMatch(/^😀(\\?\|)\uFFFD\1\uFFFD\1\uFFFD$/);
    }
  });

  it('make syslog header fields printable ASCII', () => {
    expect(toPrintUsAscii('a b\u00e9c', 10)).toBe('a_b_c');
    expect(toPrintUsAscii('', 10)).toBe('-');
    expect(toPrintUsAscii('abcdef', 3)).toBe('abc');
  });
});

describe('truncation', () => {
  it('does not split surrogate pairs', () => {
    expect(truncateChars('ab😀', 3)).toBe('ab');
    expect(truncateChars('ab😀', 4)).toBe('ab😀');
  });

  it('counts UTF-8 bytes like Buffer does', () => {
    for (const text of ['a', 'é', '€', '😀', 'a\uD800b', 'mixed é € 😀']) {
      expect(utf8Length(text)).toBe(Buffer.byteLength(text));
    }
  });

  it('cuts escaped text on a character and escape boundary', () => {
    expect(truncateEscapedUtf8('ab\\\\cd', 3)).toBe('ab');
    expect(truncateEscapedUtf8('ab\\\\cd', 4)).toBe('ab\\\\');
    expect(truncateEscapedUtf8('aé', 2)).toBe('a');
    expect(truncateEscapedUtf8('a😀', 4)).toBe('a');
    expect(truncateEscapedUtf8('short', 100)).toBe('short');
  });
});
