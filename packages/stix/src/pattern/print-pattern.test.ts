import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CeError } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { specPatterns } from './__fixtures__/spec-patterns.js';
import { stripSpans } from './__fixtures__/strip-spans.js';
import { parsePattern } from './parse-pattern.js';
import type { PatternAst } from './pattern-ast.js';
import { printPattern, quotePatternString } from './print-pattern.js';

const trickyPatterns = [
  "[file:name = 'it\\'s' AND file:parent_directory_ref.path = 'C:\\\\Windows\\\\']",
  "[x-custom-type:x_prop.'AND'.'true'.'a b'.'' = 'quoted names']",
  '[x-t:list[0][-1][*].deep = 1]',
  '[x-t:p = 18446744073709551615] OR [x-t:p = -18446744073709551615]',
  '[x-t:p > 0.0000001 AND x-t:p < 100000000000000000000000.0 AND x-t:p != -0.0 AND x-t:p != -0]',
  '[x-t:p = 7.0 OR x-t:p = .5 OR x-t:p = +3 OR x-t:p == -2 OR x-t:p <> 1]',
  "[x-t:p = h'' OR x-t:p = h'0A1b' OR x-t:p = b'YQ==' OR x-t:p = t'2016-01-20T12:31:12.123Z']",
  "[x-t:p IN ()] AND [x-t:p NOT IN ('a', 1, true, false)]",
  '[NOT EXISTS x-t:p] OR [EXISTS x-t:q]',
  "[x-t:p NOT = 'a' AND x-t:p NOT LIKE 'a%' AND x-t:p NOT MATCHES '^a' AND x-t:p NOT ISSUBSET '10.0.0.0/8' AND x-t:p NOT ISSUPERSET '10.0.0.1']",
  '[(x-t:a = 1 OR x-t:b = 2) AND x-t:c = 3 OR (x-t:d = 4 OR x-t:e = 5) OR x-t:f = 6]',
  '[(x-t:a = 1 AND x-t:b = 2) AND x-t:c = 3]',
  '([x-t:a = 1] OR [x-t:b = 2]) OR [x-t:c = 3]',
  '[x-t:a = 1] OR ([x-t:b = 2] OR [x-t:c = 3])',
  '([x-t:a = 1] FOLLOWEDBY [x-t:b = 2]) AND ([x-t:c = 3] OR [x-t:d = 4]) FOLLOWEDBY [x-t:e = 5]',
  '([x-t:a = 1] WITHIN 5 SECONDS) WITHIN 6 SECONDS',
  '([x-t:a = 1] OR [x-t:b = 2]) REPEATS 2 TIMES WITHIN 2.5 SECONDS',
  "[x-t:a = 1] START t'2016-01-01T00:00:00Z' STOP t'2016-01-01T00:00:01Z' WITHIN 1 SECONDS",
  "[x-t:a = 'line\nbreak\ttab']",
  '/* comment */ [ x-t:a=1 ]  // trailing',
];

function roundTrip(text: string): void {
  const ast = parsePattern(text);
  const printed = printPattern(ast);
  expect(stripSpans(parsePattern(printed))).toEqual(stripSpans(ast));
  // Canonical: printing the re-parsed tree gives the same text.
  expect(printPattern(parsePattern(printed))).toBe(printed);
}

const fixturesRoot = fileURLToPath(
  new URL('../../../../../shared/fixtures/stix2-json-schemas/', import.meta.url),
);
const haveFixtures = existsSync(join(fixturesRoot, 'examples'));
if (!haveFixtures) {
  console.warn(`skipping STIX example bundle patterns: ${fixturesRoot}examples is absent`);
}

function fixturePatterns(): string[] {
  const found: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
    } else if (value !== null && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if (
        record.type === 'indicator' &&
        typeof record.pattern === 'string' &&
        (record.pattern_type === undefined || record.pattern_type === 'stix')
      ) {
        found.push(record.pattern);
      }
      for (const child of Object.values(record)) visit(child);
    }
  };
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.json')) visit(JSON.parse(readFileSync(path, 'utf8')));
    }
  };
  for (const dir of ['examples', 'interop']) {
    if (existsSync(join(fixturesRoot, dir))) walk(join(fixturesRoot, dir));
  }
  return found;
}

describe('printPattern', () => {
  it.each(specPatterns)('round-trips the spec example %s', roundTrip);

  it.each(trickyPatterns)('round-trips %s', roundTrip);

  it.each([
    ["[file:hashes.'MD5' == 'a']", "[file:hashes.MD5 = 'a']"],
    ["[file:hashes.'SHA-256' <> 'a']", "[file:hashes.'SHA-256' != 'a']"],
    ['[file:size=+5]', '[file:size = 5]'],
    ['[file:size=7.0]', '[file:size = 7.0]'],
    ['[file:size=.5]', '[file:size = 0.5]'],
    ['[file:size > 0.0000001]', '[file:size > 0.0000001]'],
    ['[file:size < 100000000000000000000000.0]', '[file:size < 100000000000000000000000.0]'],
    ['[x-t:p IN(1,2 ,3)]', '[x-t:p IN (1, 2, 3)]'],
    ['(([x-t:p = 1]))', '[x-t:p = 1]'],
    ['[((x-t:p = 1))]', '[x-t:p = 1]'],
    ['([x-t:a = 1] AND [x-t:b = 2]) OR [x-t:c = 3]', '[x-t:a = 1] AND [x-t:b = 2] OR [x-t:c = 3]'],
    ['[x-t:a = 1] AND ([x-t:b = 2] OR [x-t:c = 3])', '[x-t:a = 1] AND ([x-t:b = 2] OR [x-t:c = 3])'],
    ['([x-t:a = 1]) WITHIN 5 SECONDS', '[x-t:a = 1] WITHIN 5 SECONDS'],
    ['[x-t:a = 1] WITHIN 5.0 SECONDS', '[x-t:a = 1] WITHIN 5 SECONDS'],
    ["[file:'name' = 'x']", "[file:name = 'x']"],
    ["[x-t:'NOT' = 'x']", "[x-t:'NOT' = 'x']"],
    ['/* c */[x-t:a=1]// c', '[x-t:a = 1]'],
  ])('writes %s canonically as %s', (text, expected) => {
    expect(printPattern(parsePattern(text))).toBe(expected);
  });

  it('prints a hand-built tree', () => {
    const ast: PatternAst = {
      kind: 'observation',
      start: 0,
      end: 0,
      comparison: {
        kind: 'comparison',
        operator: '=',
        negated: false,
        start: 0,
        end: 0,
        path: {
          kind: 'path',
          objectType: 'file',
          start: 0,
          end: 0,
          steps: [
            { kind: 'property', name: 'hashes', start: 0, end: 0 },
            { kind: 'property', name: 'SHA-1', start: 0, end: 0 },
          ],
        },
        value: { kind: 'integer', value: 1e21, start: 0, end: 0 },
      },
    };
    expect(printPattern(ast)).toBe("[file:hashes.'SHA-1' = 1000000000000000000000]");
  });

  it('refuses a hand-built tree that no text can express', () => {
    const bad: PatternAst = {
      kind: 'observation',
      start: 0,
      end: 0,
      comparison: {
        kind: 'comparison',
        operator: 'EXISTS',
        negated: false,
        start: 0,
        end: 0,
        path: {
          kind: 'path',
          objectType: 'not a type',
          start: 0,
          end: 0,
          steps: [{ kind: 'property', name: 'x', start: 0, end: 0 }],
        },
      },
    };
    expect(() => printPattern(bad)).toThrow(/object type 'not a type'/);
    try {
      printPattern(bad);
    } catch (error) {
      expect(CeError.isInstance(error) && error.code).toBe('VALIDATION_FAILED');
    }
  });

  describe.skipIf(!haveFixtures)('patterns of the STIX example bundles', () => {
    it('round-trips every indicator pattern', () => {
      const patterns = fixturePatterns();
      expect(patterns.length).toBeGreaterThan(10);
      for (const pattern of patterns) roundTrip(pattern);
    });
  });
});

describe('quotePatternString', () => {
  it('escapes only quotes and backslashes', () => {
    expect(quotePatternString('plain')).toBe("'plain'");
    expect(quotePatternString('')).toBe("''");
    expect(quotePatternString("it's")).toBe("'it\\'s'");
    expect(quotePatternString('C:\\temp\\')).toBe("'C:\\\\temp\\\\'");
    expect(quotePatternString("\\'")).toBe("'\\\\\\''");
    expect(quotePatternString('new\nline')).toBe("'new\nline'");
  });

  it('re-parses to the same value', () => {
    for (const value of ["'", '\\', "\\'\\'", "a'b\\c", "''''", 'ünïcødé 🙂']) {
      const ast = parsePattern(`[x-t:p = ${quotePatternString(value)}]`);
      expect(ast.kind === 'observation' && ast.comparison).toMatchObject({
        value: { kind: 'string', value },
      });
    }
  });
});
