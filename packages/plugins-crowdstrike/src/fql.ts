/**
 * The subset of the Falcon Query Language (FQL) the mock server evaluates: terms `field:value`,
 * with the operators `!` (not), `>`, `>=`, `<`, `<=`, `*` wildcards in values, lists
 * `field:['a','b']`, quoted strings with backslash escapes, and terms joined by `+` (and) or
 * `,` (or, binding looser). A space between terms reads as `+`, since a `+` sent unencoded in a
 * query string decodes to a space.
 *
 * @module
 */

/** One `field:value` term. */
export interface FqlTerm {
  field: string;
  operator: '' | '!' | '>' | '>=' | '<' | '<=';
  values: string[];
}

/** A parsed filter: alternatives (or) of conjunctions (and) of terms. */
export type FqlFilter = FqlTerm[][];

/** A filter that FQL cannot parse. */
export class FqlSyntaxError extends Error {
  override readonly name = 'FqlSyntaxError';
}

/** Parses an FQL filter; throws {@link FqlSyntaxError}. An empty filter matches everything. */
export function parseFql(text: string): FqlFilter {
  let position = 0;
  const peek = (): string => text[position] ?? '';
  const skipSpaces = (): void => {
    while (peek() === ' ' || peek() === '\t') position += 1;
  };
  const fail = (message: string): never => {
    throw new FqlSyntaxError(`${message} at position ${position}`);
  };
  const readQuoted = (): string => {
    const quote = peek();
    position += 1;
    let out = '';
    for (;;) {
      const char = peek();
      if (char === '') fail('unterminated string');
      position += 1;
      if (char === '\\') {
        out += peek();
        position += 1;
      } else if (char === quote) return out;
      else out += char;
    }
  };
  const readBare = (): string => {
    const start = position;
    while (position < text.length && !/[+,\]\s]/.test(peek())) position += 1;
    if (position === start) fail('expected a value');
    return text.slice(start, position);
  };
  const readValue = (): string => (peek() === "'" || peek() === '"' ? readQuoted() : readBare());
  const readTerm = (): FqlTerm => {
    skipSpaces();
    const start = position;
    while (/[A-Za-z0-9_.]/.test(peek())) position += 1;
    const field = text.slice(start, position);
    if (!field) fail('expected a field name');
    skipSpaces();
    if (peek() !== ':') fail(`expected ":" after "${field}"`);
    position += 1;
    skipSpaces();
    let operator: FqlTerm['operator'] = '';
    for (const candidate of ['>=', '<=', '>', '<', '!'] as const) {
      if (text.startsWith(candidate, position)) {
        operator = candidate;
        position += candidate.length;
        break;
      }
    }
    skipSpaces();
    const values: string[] = [];
    if (peek() === '[') {
      position += 1;
      for (;;) {
        skipSpaces();
        if (peek() === ']') {
          position += 1;
          break;
        }
        values.push(readValue());
        skipSpaces();
        if (peek() === ',') position += 1;
        else if (peek() !== ']') fail('expected "," or "]" in a list');
      }
    } else values.push(readValue());
    return { field, operator, values };
  };

  const filter: FqlFilter = [];
  skipSpaces();
  if (position >= text.length) return filter;
  let conjunction: FqlTerm[] = [readTerm()];
  for (;;) {
    const before = position;
    skipSpaces();
    const char = peek();
    if (char === '') break;
    if (char === '+') {
      position += 1;
      conjunction.push(readTerm());
    } else if (char === ',') {
      position += 1;
      filter.push(conjunction);
      conjunction = [readTerm()];
    } else if (position > before) conjunction.push(readTerm());
    else fail(`unexpected "${char}"`);
  }
  filter.push(conjunction);
  return filter;
}

function globToRegex(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}

function compareScalars(actual: unknown, expected: string): number | undefined {
  if (typeof actual === 'number') {
    const number = Number(expected);
    return Number.isFinite(number) ? actual - number : undefined;
  }
  if (typeof actual !== 'string') return undefined;
  const isoDate = /^\d{4}-\d{2}-\d{2}/;
  if (isoDate.test(actual) && isoDate.test(expected)) {
    const left = Date.parse(actual);
    const right = Date.parse(expected);
    if (Number.isFinite(left) && Number.isFinite(right)) return left - right;
  }
  return actual.localeCompare(expected);
}

function equals(actual: unknown, expected: string): boolean {
  if (typeof actual === 'boolean') return String(actual) === expected.toLowerCase();
  if (typeof actual === 'number') return actual === Number(expected);
  if (typeof actual !== 'string') return false;
  if (expected.includes('*')) return globToRegex(expected).test(actual);
  return actual.toLowerCase() === expected.toLowerCase();
}

function termMatches(term: FqlTerm, record: Record<string, unknown>): boolean {
  const raw = record[term.field];
  const actuals: unknown[] = Array.isArray(raw) ? raw : [raw];
  if (term.operator === '' || term.operator === '!') {
    const hit = actuals.some((actual) => term.values.some((value) => equals(actual, value)));
    return term.operator === '' ? hit : !hit;
  }
  const expected = term.values[0] ?? '';
  return actuals.some((actual) => {
    const order = compareScalars(actual, expected);
    if (order === undefined) return false;
    switch (term.operator) {
      case '>':
        return order > 0;
      case '>=':
        return order >= 0;
      case '<':
        return order < 0;
      default:
        return order <= 0;
    }
  });
}

/** Whether a record matches a parsed filter. */
export function matchesFql(filter: FqlFilter, record: Record<string, unknown>): boolean {
  if (filter.length === 0) return true;
  return filter.some((conjunction) => conjunction.every((term) => termMatches(term, record)));
}

/** Whether a filter names a field anywhere. */
export function fqlMentions(filter: FqlFilter, field: string): boolean {
  return filter.some((conjunction) => conjunction.some((term) => term.field === field));
}
