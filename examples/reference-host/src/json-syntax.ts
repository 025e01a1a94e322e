/**
 * Locates the first syntax error of a JSON text. `JSON.parse` reports positions differently on
 * each Node version (and sometimes echoes the input, which may hold a secret), so the host finds
 * the position itself and reports only line, column and a short reason.
 *
 * @module
 */

/** Where a JSON text stops being valid, and why. */
export interface JsonSyntaxProblem {
  /** Zero-based offset into the text, in UTF-16 code units. */
  offset: number;
  /** One-based line. */
  line: number;
  /** One-based column. */
  column: number;
  /** What was wrong, without quoting the input beyond one character. */
  reason: string;
}

/** One-based line and column of an offset. */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let index = 0; index < end; index++) {
    if (text.charCodeAt(index) === 10) {
      line++;
      lineStart = index + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

class JsonSyntaxFailure extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/**
 * Scans `text` as strict JSON (RFC 8259) and returns its first error, or `undefined` when it is
 * valid.
 */
export function findJsonSyntaxError(text: string): JsonSyntaxProblem | undefined {
  let position = 0;

  const describe = (at: number): string =>
    at >= text.length ? 'unexpected end of input' : `unexpected character ${JSON.stringify(text[at])}`;
  const fail = (reason?: string): never => {
    throw new JsonSyntaxFailure(position, reason ?? describe(position));
  };
  const skipWhitespace = (): void => {
    while (position < text.length && ' \t\n\r'.includes(text[position] as string)) position++;
  };
  const expectWord = (word: string): void => {
    for (const character of word) {
      if (text[position] !== character) fail();
      position++;
    }
  };
  const digits = (): void => {
    if (!/[0-9]/.test(text[position] ?? '')) fail(`${describe(position)}, expected a digit`);
    while (/[0-9]/.test(text[position] ?? '')) position++;
  };
  const number = (): void => {
    if (text[position] === '-') position++;
    if (text[position] === '0') position++;
    else digits();
    if (text[position] === '.') {
      position++;
      digits();
    }
    if (text[position] === 'e' || text[position] === 'E') {
      position++;
      if (text[position] === '+' || text[position] === '-') position++;
      digits();
    }
  };
  const stringValue = (): void => {
    position++;
    while (position < text.length) {
      const code = text.charCodeAt(position);
      if (code === 0x22) {
        position++;
        return;
      }
      if (code < 0x20) fail('control character in string; escape it');
      if (code === 0x5c) {
        position++;
        const escaped = text[position];
        if (escaped === 'u') {
          for (let index = 1; index <= 4; index++) {
            if (!/[0-9a-fA-F]/.test(text[position + index] ?? '')) {
              position += index;
              fail('invalid \\u escape');
            }
          }
          position += 5;
          continue;
        }
        if (escaped === undefined || !'"\\/bfnrt'.includes(escaped)) fail('invalid escape sequence');
      }
      position++;
    }
    fail('unterminated string');
  };
  const value = (depth: number): void => {
    if (depth > 1_000) fail('nesting is too deep');
    skipWhitespace();
    const character = text[position];
    if (character === '{') {
      position++;
      skipWhitespace();
      if (text[position] === '}') {
        position++;
        return;
      }
      for (;;) {
        skipWhitespace();
        if (text[position] !== '"') fail(`${describe(position)}, expected a property name in double quotes`);
        stringValue();
        skipWhitespace();
        if (text[position] !== ':') fail(`${describe(position)}, expected ":"`);
        position++;
        value(depth + 1);
        skipWhitespace();
        if (text[position] === ',') {
          position++;
          continue;
        }
        if (text[position] === '}') {
          position++;
          return;
        }
        fail(`${describe(position)}, expected "," or "}"`);
      }
    }
    if (character === '[') {
      position++;
      skipWhitespace();
      if (text[position] === ']') {
        position++;
        return;
      }
      for (;;) {
        value(depth + 1);
        skipWhitespace();
        if (text[position] === ',') {
          position++;
          continue;
        }
        if (text[position] === ']') {
          position++;
          return;
        }
        fail(`${describe(position)}, expected "," or "]"`);
      }
    }
    if (character === '"') stringValue();
    else if (character === 't') expectWord('true');
    else if (character === 'f') expectWord('false');
    else if (character === 'n') expectWord('null');
    else if (character === '-' || /[0-9]/.test(character ?? '')) number();
    else fail(`${describe(position)}, expected a value`);
  };

  try {
    value(0);
    skipWhitespace();
    if (position < text.length) fail(`${describe(position)} after the end of the value`);
    return undefined;
  } catch (error) {
    if (!(error instanceof JsonSyntaxFailure)) throw error;
    return { offset: error.offset, ...lineColumnAt(text, error.offset), reason: error.reason };
  }
}
