import { CeError } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { specPatterns } from './__fixtures__/spec-patterns.js';
import { stripSpans } from './__fixtures__/strip-spans.js';
import { parsePattern } from './parse-pattern.js';
import type { ComparisonNode, ObservationNode, PatternLiteral } from './pattern-ast.js';
import { StixPatternError } from './pattern-error.js';

function errorOf(text: string, options?: Parameters<typeof parsePattern>[1]): StixPatternError {
  try {
    parsePattern(text, options);
  } catch (error) {
    expect(error).toBeInstanceOf(StixPatternError);
    return error as StixPatternError;
  }
  throw new Error(`expected ${text} to fail`);
}

function comparisonOf(text: string): ComparisonNode {
  const ast = parsePattern(text);
  expect(ast.kind).toBe('observation');
  const comparison = (ast as ObservationNode).comparison;
  expect(comparison.kind).toBe('comparison');
  return comparison as ComparisonNode;
}

function literalOf(text: string): PatternLiteral {
  const comparison = comparisonOf(`[x-test:p = ${text}]`);
  if (comparison.operator === 'EXISTS' || comparison.operator === 'IN') throw new Error('no literal');
  return comparison.value;
}

describe('parsePattern', () => {
  it.each(specPatterns)('parses the spec example %s', (text) => {
    const ast = parsePattern(text);
    expect(ast.start).toBe(0);
    expect(ast.end).toBe(text.length);
  });

  it('gives a typed tree with offsets', () => {
    const text = "[url:value = 'http://x.example/a'] OR [domain-name:value = 'x.example']";
    expect(parsePattern(text)).toEqual({
      kind: 'observation-op',
      op: 'OR',
      start: 0,
      end: 71,
      operands: [
        {
          kind: 'observation',
          start: 0,
          end: 34,
          comparison: {
            kind: 'comparison',
            operator: '=',
            negated: false,
            start: 1,
            end: 33,
            path: {
              kind: 'path',
              objectType: 'url',
              start: 1,
              end: 10,
              steps: [{ kind: 'property', name: 'value', start: 5, end: 10 }],
            },
            value: { kind: 'string', value: 'http://x.example/a', start: 13, end: 33 },
          },
        },
        {
          kind: 'observation',
          start: 38,
          end: 71,
          comparison: {
            kind: 'comparison',
            operator: '=',
            negated: false,
            start: 39,
            end: 70,
            path: {
              kind: 'path',
              objectType: 'domain-name',
              start: 39,
              end: 56,
              steps: [{ kind: 'property', name: 'value', start: 51, end: 56 }],
            },
            value: { kind: 'string', value: 'x.example', start: 59, end: 70 },
          },
        },
      ],
    });
  });

  it('binds AND tighter than OR, and OR tighter than FOLLOWEDBY, flattening each chain', () => {
    const ast = stripSpans(
      parsePattern('[a-a:x = 1] AND [b-b:x = 2] OR [c-c:x = 3] FOLLOWEDBY [d-d:x = 4] OR [e-e:x = 5]'),
    );
    const obs = (type: string, value: number) => ({
      kind: 'observation',
      comparison: {
        kind: 'comparison',
        operator: '=',
        negated: false,
        path: { kind: 'path', objectType: type, steps: [{ kind: 'property', name: 'x' }] },
        value: { kind: 'integer', value },
      },
    });
    expect(ast).toEqual({
      kind: 'observation-op',
      op: 'FOLLOWEDBY',
      operands: [
        {
          kind: 'observation-op',
          op: 'OR',
          operands: [
            { kind: 'observation-op', op: 'AND', operands: [obs('a-a', 1), obs('b-b', 2)] },
            obs('c-c', 3),
          ],
        },
        { kind: 'observation-op', op: 'OR', operands: [obs('d-d', 4), obs('e-e', 5)] },
      ],
    });
  });

  it('keeps a long OR chain flat', () => {
    const text = Array.from({ length: 5000 }, (_, i) => `[url:value = 'http://x${i}.example/']`).join(' OR ');
    const ast = parsePattern(text);
    expect(ast.kind === 'observation-op' && ast.operands.length).toBe(5000);
  });

  it('keeps the grouping of parentheses as nested nodes whose spans include them', () => {
    const ast = parsePattern('[a-a:x = 1] OR ([b-b:x = 2] OR [c-c:x = 3])');
    expect(ast.kind).toBe('observation-op');
    if (ast.kind !== 'observation-op') return;
    expect(ast.operands).toHaveLength(2);
    expect(ast.operands[1]).toMatchObject({ kind: 'observation-op', op: 'OR', start: 15, end: 43 });
  });

  it('binds qualifiers to the nearest expression and collects several in order', () => {
    const text =
      "[a-a:x = 1] AND [b-b:x = 2] REPEATS 5 TIMES WITHIN 2.5 SECONDS START t'2016-01-01T00:00:00Z' STOP t'2016-01-02T00:00:00.5Z'";
    const ast = parsePattern(text);
    expect(ast.kind).toBe('observation-op');
    if (ast.kind !== 'observation-op') return;
    expect(ast.operands[0]?.kind).toBe('observation');
    expect(stripSpans(ast.operands[1])).toMatchObject({
      kind: 'qualified',
      expression: { kind: 'observation' },
      qualifiers: [
        { kind: 'repeats', times: 5 },
        { kind: 'within', seconds: 2.5 },
        {
          kind: 'start-stop',
          startTime: { kind: 'timestamp', value: '2016-01-01T00:00:00Z' },
          stopTime: { kind: 'timestamp', value: '2016-01-02T00:00:00.5Z' },
        },
      ],
    });
    expect(ast.operands[1]).toMatchObject({ start: 16, end: text.length });
  });

  it('qualifies a parenthesized group, and a qualified group again', () => {
    const ast = parsePattern('([a-a:x = 1] WITHIN 5 SECONDS) WITHIN 6 SECONDS');
    expect(stripSpans(ast)).toMatchObject({
      kind: 'qualified',
      expression: { kind: 'qualified', qualifiers: [{ kind: 'within', seconds: 5 }] },
      qualifiers: [{ kind: 'within', seconds: 6 }],
    });
  });

  it('reads every comparison operator, with NOT', () => {
    const cases: Array<[string, string]> = [
      ['=', '='],
      ['==', '='],
      ['!=', '!='],
      ['<>', '!='],
      ['<', '<'],
      ['<=', '<='],
      ['>', '>'],
      ['>=', '>='],
    ];
    for (const [written, operator] of cases) {
      expect(comparisonOf(`[file:size ${written} 5]`).operator).toBe(operator);
      expect(comparisonOf(`[file:size NOT ${written} 5]`)).toMatchObject({ operator, negated: true });
    }
    for (const operator of ['LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET']) {
      expect(comparisonOf(`[file:name ${operator} 'a%']`)).toMatchObject({ operator, negated: false });
      expect(comparisonOf(`[file:name NOT ${operator} 'a%']`)).toMatchObject({ operator, negated: true });
    }
    expect(comparisonOf("[file:name NOT IN ('a', 'b')]")).toMatchObject({ operator: 'IN', negated: true });
    expect(comparisonOf('[EXISTS file:name]')).toMatchObject({ operator: 'EXISTS', negated: false });
    expect(comparisonOf('[NOT EXISTS file:name]')).toMatchObject({
      operator: 'EXISTS',
      negated: true,
      start: 1,
      end: 21,
    });
  });

  it('reads IN lists, including empty ones and mixed literals', () => {
    const node = comparisonOf('[network-traffic:dst_port IN(443,6443 , 8443)]');
    expect(node.operator === 'IN' && node.value.values.map((v) => v.value)).toEqual([443, 6443, 8443]);
    const empty = comparisonOf('[file:name IN ()]');
    expect(empty.operator === 'IN' && empty.value).toMatchObject({
      kind: 'set',
      values: [],
      start: 14,
      end: 16,
    });
    const mixed = comparisonOf("[x-t:p IN ('a', 1, 2.5, true, h'00', b'AAAA', t'2020-01-01T00:00:00Z')]");
    expect(mixed.operator === 'IN' && mixed.value.values.map((v) => v.kind)).toEqual([
      'string',
      'integer',
      'float',
      'boolean',
      'hex',
      'binary',
      'timestamp',
    ]);
  });

  it('reads every literal kind', () => {
    expect(stripSpans(literalOf("'it\\'s C:\\\\temp'"))).toEqual({ kind: 'string', value: "it's C:\\temp" });
    expect(stripSpans(literalOf("''"))).toEqual({ kind: 'string', value: '' });
    expect(stripSpans(literalOf("'line\nbreak'"))).toEqual({ kind: 'string', value: 'line\nbreak' });
    expect(stripSpans(literalOf('0'))).toEqual({ kind: 'integer', value: 0 });
    expect(stripSpans(literalOf('+42'))).toEqual({ kind: 'integer', value: 42 });
    expect(stripSpans(literalOf('-42'))).toEqual({ kind: 'integer', value: -42 });
    expect(stripSpans(literalOf('18446744073709551615'))).toEqual({
      kind: 'integer',
      value: 18446744073709551615n,
    });
    expect(stripSpans(literalOf('-18446744073709551615'))).toEqual({
      kind: 'integer',
      value: -18446744073709551615n,
    });
    expect(stripSpans(literalOf('7.0'))).toEqual({ kind: 'float', value: 7 });
    expect(stripSpans(literalOf('.5'))).toEqual({ kind: 'float', value: 0.5 });
    expect(stripSpans(literalOf('-.25'))).toEqual({ kind: 'float', value: -0.25 });
    expect(stripSpans(literalOf('+007.5'))).toEqual({ kind: 'float', value: 7.5 });
    expect(stripSpans(literalOf('true'))).toEqual({ kind: 'boolean', value: true });
    expect(stripSpans(literalOf('false'))).toEqual({ kind: 'boolean', value: false });
    expect(stripSpans(literalOf("h'0a1B'"))).toEqual({ kind: 'hex', value: '0a1B' });
    expect(stripSpans(literalOf("h''"))).toEqual({ kind: 'hex', value: '' });
    expect(stripSpans(literalOf("b'dGhpcyBpcyBhIHRlc3Q='"))).toEqual({
      kind: 'binary',
      value: 'dGhpcyBpcyBhIHRlc3Q=',
    });
    expect(stripSpans(literalOf("b'YQ=='"))).toEqual({ kind: 'binary', value: 'YQ==' });
    expect(stripSpans(literalOf("t'2016-01-20T12:31:12.123Z'"))).toEqual({
      kind: 'timestamp',
      value: '2016-01-20T12:31:12.123Z',
    });
  });

  it('reads object paths with quoted components, list indexes and dashed types', () => {
    const node = comparisonOf("[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0 ]");
    expect(stripSpans(node.path)).toEqual({
      kind: 'path',
      objectType: 'file',
      steps: [
        { kind: 'property', name: 'extensions' },
        { kind: 'property', name: 'windows-pebinary-ext' },
        { kind: 'property', name: 'sections' },
        { kind: 'index', index: '*' },
        { kind: 'property', name: 'entropy' },
      ],
    });
    expect(stripSpans(comparisonOf("[x-custom-type:x_prop[0][-1].'a b' = 1]").path)).toEqual({
      kind: 'path',
      objectType: 'x-custom-type',
      steps: [
        { kind: 'property', name: 'x_prop' },
        { kind: 'index', index: 0 },
        { kind: 'index', index: -1 },
        { kind: 'property', name: 'a b' },
      ],
    });
    expect(comparisonOf("[file:'name' = 'a']").path.steps[0]).toEqual({
      kind: 'property',
      name: 'name',
      start: 6,
      end: 12,
    });
    // The grammar skips whitespace between the tokens of a path too.
    expect(stripSpans(comparisonOf('[file : hashes . MD5 = 1]').path)).toEqual(
      stripSpans(comparisonOf('[file:hashes.MD5 = 1]').path),
    );
  });

  it('skips comments and every kind of whitespace the grammar lists', () => {
    const text = "/* lead */[file:name /* mid */ = 'a'] // trailing\n\u00a0\u2003OR\u3000[file:name = 'b']\t";
    const ast = parsePattern(text);
    expect(ast.kind === 'observation-op' && ast.op).toBe('OR');
  });

  it('reads comment markers and keywords inside strings as text', () => {
    expect(literalOf("'/* not a comment */ // nor this AND OR ]'")).toMatchObject({
      kind: 'string',
      value: '/* not a comment */ // nor this AND OR ]',
    });
  });

  it('reads t, h and b as names unless a quote follows at once', () => {
    expect(comparisonOf('[t:h = 1]').path).toMatchObject({
      objectType: 't',
      steps: [{ kind: 'property', name: 'h' }],
    });
    expect(comparisonOf("[b:x = t'2020-01-01T00:00:00Z']")).toMatchObject({
      path: { objectType: 'b' },
      value: { kind: 'timestamp' },
    });
  });

  it('nests parentheses inside brackets and around comparisons', () => {
    const ast = parsePattern(
      '( [(network-traffic:dst_port IN(443,6443,8443) AND network-traffic:src_packets != 0) ])',
    );
    expect(stripSpans(ast)).toMatchObject({
      kind: 'observation',
      comparison: { kind: 'comparison-op', op: 'AND' },
    });
  });

  describe('errors', () => {
    it.each([
      ['file:size = 1280', 0, "expected '[' or '(' at 0, found 'file'"],
      ['[file:size = ]', 13, "expected a literal at 13, found ']'"],
      [
        '[file:hashes.MD5 = cead3f77f6cda6ec00f57d76c9a6879f]',
        19,
        "expected a literal at 19, found 'cead3f77f6cda6ec00f57d76c9a6879f'",
      ],
      ['[file.size = 1280]', 5, "expected ':' after the object type at 5, found '.'"],
      ['[file:name MATCHES /.*\\.dll/]', 19, "unexpected character '/' at 19"],
      ["[file:name = 'x'] WITHIN ]", 25, "expected a positive number of seconds at 25, found ']'"],
      ["[file:name = 'x'] WITHIN 5 HOURS", 27, "expected 'SECONDS' at 27, found 'HOURS'"],
      ["[file:name = 'x'] WITHIN -5 SECONDS", 25, "expected a positive number of seconds at 25, found '-5'"],
      ["[file:name = 'x'] REPEATS 1.5 TIMES", 26, "expected a positive integer at 26, found '1.5'"],
      ['[network-traffic:dst_ref.value ISSUBSET ]', 40, "expected a string literal at 40, found ']'"],
      ["[file:hashes.MD5 =? 'a']", 18, "unexpected character '?' at 18"],
      [
        "[x_whatever:detected == t'2457-73-22T32:81:84.1Z']",
        24,
        "invalid timestamp literal at 24: expected t'YYYY-MM-DDTHH:MM:SS[.s+]Z'",
      ],
      ["[x:created = t'2024-01-15T12:30:45']", 13, undefined],
      ["[x:created = t'2024-13-01T12:00:00Z']", 13, undefined],
      ["[x:created = t'2024-01-15T12:30:61Z']", 13, undefined],
      ["[artifact:payload_bin = b'====']", 24, undefined],
      ["[artifact:payload_bin = b'YQ=']", 24, undefined],
      ["[artifact:payload_bin = b'']", 24, undefined],
      ["[file:magic_number_hex = h'abc']", 25, 'invalid hex literal at 25: odd number of hex digits'],
      ["[file:magic_number_hex = h'zz']", 27, "invalid hex literal at 25: 'z' at 27 is not a hex digit"],
      [
        '[foo:bar=1] within 2 seconds',
        12,
        "expected end of pattern at 12, found 'within' (keywords are upper case: 'WITHIN')",
      ],
      ["[file:name = 'a' and file:size = 1]", 17, undefined],
      ["[file:name = 'a'] AND [file:size = 1", 36, "expected ']' at 36, found end of pattern"],
      ["[file:name = 'a']]", 17, "expected end of pattern at 17, found ']'"],
      ["[(file:name = 'a']", 17, "expected ')' at 17, found ']'"],
      ["[file:name = 'a' AND]", 20, "expected an object path such as file:name at 20, found ']'"],
      ["[file:name = 'abc", 13, 'unterminated string literal at 13'],
      [
        "[file:name = 'a\\nb']",
        15,
        "invalid escape at 15: only \\' and \\\\ are allowed in a string literal",
      ],
      ['[file:size = 007]', 13, 'invalid integer at 13: leading zero'],
      ['[file:size = 5.]', 15, "expected a digit after '.' at 15"],
      [`[file:size = ${'9'.repeat(400)}.0]`, 13, 'number out of range at 13'],
      [
        '[file:size > true]',
        13,
        "expected an orderable literal (not a boolean) after '>' at 13, found 'true'",
      ],
      ['[file:name LIKE 5]', 16, "expected a string literal at 16, found '5'"],
      ['[file:AND = 1]', 6, "expected a property name after ':' at 6, found 'AND'"],
      [
        '[file:extensions.windows-pebinary-ext.x = 1]',
        17,
        "expected a property name at 17, found 'windows-pebinary-ext': quote names that contain '-'",
      ],
      ['[file:list[x] = 1]', 11, "expected a list index or '*' at 11, found 'x'"],
      ['[file:name IN 5]', 14, "expected '(' to open the IN list at 14, found '5'"],
      ["[file:name IN ('a' 'b')]", 19, "expected ',' or ')' at 19, found ''b''"],
      ['[NOT file:name = 1]', 5, "expected 'EXISTS' at 5, found 'file'"],
      ['[file:name ~ 1]', 11, "unexpected character '~' at 11"],
      ['[file:name = 1] /* open', 16, 'unterminated comment at 16'],
      ['', 0, "expected '[' or '(' at 0, found end of pattern"],
      ['[]', 1, "expected an object path such as file:name at 1, found ']'"],
      ["[file:name = 'a'] START t'2016-01-01T00:00:00Z'", 47, "expected 'STOP' at 47, found end of pattern"],
      ["[file:name = 'a'] START '2016'", 24, "expected a timestamp literal t'...' at 24, found ''2016''"],
    ])('rejects %j at %i', (text, position, message) => {
      const error = errorOf(text);
      expect(error.position).toBe(position);
      if (message !== undefined) expect(error.message).toBe(message);
      expect(error.code).toBe('STIX_PATTERN_INVALID');
      expect(error.issue).toBe('syntax');
      expect(CeError.isInstance(error)).toBe(true);
      expect(error.details).toMatchObject({ position, issue: 'syntax' });
    });

    it('gives the line and column of the problem', () => {
      const error = errorOf("[file:name = 'a']\n  AND\n  [file:size = ]");
      expect(error).toMatchObject({ position: 39, line: 3, column: 16 });
    });

    it('caps nesting at 256 by default, so 10,000 parentheses fail cleanly', () => {
      const deep = `${'('.repeat(10_000)}[file:name = 'a']${')'.repeat(10_000)}`;
      const error = errorOf(deep);
      expect(error.issue).toBe('too-deep');
      expect(error.position).toBe(256);
      const deepComparison = `[${'('.repeat(10_000)}file:name = 'a'${')'.repeat(10_000)}]`;
      expect(errorOf(deepComparison)).toMatchObject({ issue: 'too-deep', position: 257 });
      // Exactly at the limit is fine.
      expect(parsePattern(`${'('.repeat(256)}[file:name = 'a']${')'.repeat(256)}`).kind).toBe('observation');
    });

    it('honours a lower maxDepth, and turns a stack overflow into an error when it is raised too far', () => {
      expect(errorOf("(([file:name = 'a']))", { maxDepth: 1 })).toMatchObject({
        issue: 'too-deep',
        position: 1,
      });
      const veryDeep = `${'('.repeat(200_000)}[file:name = 'a']${')'.repeat(200_000)}`;
      expect(errorOf(veryDeep, { maxDepth: Number.POSITIVE_INFINITY }).issue).toBe('too-deep');
    });

    it('rejects text over maxLength before scanning it', () => {
      const text = `[url:value = '${'a'.repeat(100)}']`;
      expect(errorOf(text, { maxLength: 50 })).toMatchObject({ issue: 'too-long', position: 50 });
      expect(parsePattern(text, { maxLength: text.length }).kind).toBe('observation');
    });
  });
});
