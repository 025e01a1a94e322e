/**
 * Refanging: undoing the "defanging" that analysts and feeds apply so that an indicator cannot be
 * clicked or resolved by accident (`hxxp://evil[.]example`).
 *
 * The conventions are those of public defang/refang tools (ioc-fanger's dataset, MISP and
 * ioc-finder), narrowed to forms that are unambiguous in a single indicator value:
 *
 * - a defanged scheme at the start: `hxxp`, `hXXps`, `hxtp`, `htxp`, `h**p`, `h__p` become
 *   `http`/`https`; `fxp` and `fxxp` become `ftp`;
 * - a separator wrapped in `[]`, `()` or `{}`, with optional spaces inside or around the brackets:
 *   `.` or `dot`, `:`, `://`, `/`, `//`, `@` or `at` (any case);
 * - a backslash-escaped dot `\.`.
 *
 * Free-text heuristics (`example dot com`, `user AT example`, a lone `[.`) are left out on purpose:
 * in one value they would corrupt real paths more often than they repair indicators.
 *
 * @module
 */

// Anchored alternation without nested quantifiers: constant time per value.
const defangedScheme = /^(?:h(?:xx|xt|tx|\*\*|__)p(s?)|fxx?p)(?=[:[({])/i;

// The bracket token must close within this many code units (`[ :// ]` is 7).
const maxTokenSpan = 8;

// Where refanging can start. A single character class: native, linear, no backtracking; it beats a
// char-code loop because most values contain none of these characters.
const refangStart = /[[({\\]/;

function bracketToken(text: string, start: number, end: number): string | undefined {
  let from = start;
  let to = end;
  while (from < to && text.charCodeAt(from) === 32) from++;
  while (to > from && text.charCodeAt(to - 1) === 32) to--;
  switch (to - from) {
    case 1: {
      const code = text.charCodeAt(from);
      if (code === 46) return '.';
      if (code === 58) return ':';
      if (code === 64) return '@';
      if (code === 47) return '/';
      return undefined;
    }
    case 2: {
      const inner = text.slice(from, to);
      if (inner === '//') return '//';
      return inner.toLowerCase() === 'at' ? '@' : undefined;
    }
    case 3: {
      const inner = text.slice(from, to);
      if (inner === '://') return '://';
      return inner.toLowerCase() === 'dot' ? '.' : undefined;
    }
    default:
      return undefined;
  }
}

function closerOf(code: number): number {
  if (code === 91) return 93; // [ ]
  if (code === 40) return 41; // ( )
  if (code === 123) return 125; // { }
  return 0;
}

/**
 * Refangs one indicator value. Returns the input itself when there is nothing to undo, so the
 * common case allocates nothing. Does not trim.
 *
 * @example
 * refang('hxxps://evil[.]example[/]login'); // 'https://evil.example/login'
 * refang('admin[at]evil(dot)example'); // 'admin@evil.example'
 */
export function refang(value: string): string {
  const length = value.length;
  let out = '';
  let last = 0;
  const first = value.charCodeAt(0) | 32;
  if (first === 104 || first === 102) {
    const match = defangedScheme.exec(value);
    if (match) {
      out = first === 104 ? (match[1] ? 'https' : 'http') : 'ftp';
      last = match[0].length;
    }
  }
  const start = value.search(refangStart);
  if (start < 0) return last === 0 ? value : out + value.slice(last);
  for (let i = start; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code === 92) {
      if (value.charCodeAt(i + 1) === 46) {
        out += value.slice(last, i) + '.';
        last = i + 2;
        i++;
      }
      continue;
    }
    const closer = closerOf(code);
    if (closer === 0) continue;
    const limit = Math.min(length, i + maxTokenSpan);
    let close = i + 1;
    while (close < limit && value.charCodeAt(close) !== closer) close++;
    if (close >= limit) continue;
    const token = bracketToken(value, i + 1, close);
    if (token === undefined) continue;
    let from = i;
    while (from > last && value.charCodeAt(from - 1) === 32) from--;
    let to = close + 1;
    while (to < length && value.charCodeAt(to) === 32) to++;
    out += value.slice(last, from) + token;
    last = to;
    i = to - 1;
  }
  if (last === 0) return value;
  return out + value.slice(last);
}
