import { describe, expect, it } from 'vitest';
import {
  type CompiledRegexEntry,
  compileRegexEntry,
  RegexMatcher,
  regexInputLimit,
} from './regex-matcher.js';

function compiled(entry: string): CompiledRegexEntry {
  const result = compileRegexEntry(entry);
  if (typeof result === 'string') throw new Error(result);
  return result;
}

describe('compileRegexEntry', () => {
  it('reads PHP delimiters and flags', () => {
    const entry = compiled('/^(security|noc|soc|abuse)\\@.*\\..*$/i');
    expect(entry.regex.flags).toBe('i');
    expect(entry.regex.test('ABUSE@example.com')).toBe(true);
    expect(entry.regex.test('john@example.com')).toBe(false);
    const hash = compiled('#^a\\#b$#');
    expect(hash.regex.test('a#b')).toBe(true);
  });

  it('treats an undelimited entry as a bare pattern', () => {
    expect(compiled('^abuse@').regex.test('abuse@x.org')).toBe(true);
    expect(compiled('[0-9]+').regex.source).toBe('[0-9]+');
  });

  it('maps PCRE flags without a JavaScript meaning to nothing and refuses unknown ones', () => {
    expect(compiled('/a/u').regex.flags).toBe('');
    expect(compileRegexEntry('/a/x')).toBe('unsupported regular expression flag "x"');
    expect(compileRegexEntry('/a/e')).toBe('unsupported regular expression flag "e"');
  });

  it('refuses patterns prone to catastrophic backtracking, invalid ones and long ones', () => {
    expect(compileRegexEntry('/(a+)+$/')).toMatch(/catastrophic backtracking/);
    expect(compileRegexEntry('/(x|x)*y/')).toMatch(/catastrophic backtracking/);
    expect(compileRegexEntry('/(?i)abc/')).toMatch(/^invalid regular expression/);
    expect(compileRegexEntry(`/${'a'.repeat(600)}/`)).toBe(
      'regular expression is longer than 512 characters',
    );
  });
});

describe('RegexMatcher', () => {
  it('reports the first matching entry in list order across flag groups', () => {
    const matcher = new RegexMatcher();
    matcher.add(compiled('/^noreply@/'));
    matcher.add(compiled('/^NO/i'));
    matcher.add(compiled('/example\\.com$/'));
    expect(matcher.find('noreply@example.com')).toBe('/^noreply@/');
    expect(matcher.find('Notice@example.com')).toBe('/^NO/i');
    expect(matcher.find('x@example.com')).toBe('/example\\.com$/');
    expect(matcher.find('x@example.org')).toBeUndefined();
  });

  it('still works when patterns cannot share one expression', () => {
    const matcher = new RegexMatcher();
    matcher.add(compiled('/(?<user>\\w+)@a/'));
    matcher.add(compiled('/(?<user>\\w+)@b/'));
    expect(matcher.find('x@b')).toBe('/(?<user>\\w+)@b/');
    expect(matcher.find('x@c')).toBeUndefined();
  });

  it('only looks at the first characters of a huge value', () => {
    const matcher = new RegexMatcher();
    matcher.add(compiled('/needle/'));
    expect(matcher.find(`${'a'.repeat(regexInputLimit)}needle`)).toBeUndefined();
    expect(matcher.find(`needle${'a'.repeat(regexInputLimit)}`)).toBe('/needle/');
  });

  it('deletes entries', () => {
    const matcher = new RegexMatcher();
    matcher.add(compiled('/a/'));
    expect(matcher.add(compiled('/a/'))).toBe(false);
    expect(matcher.delete('/a/')).toBe(true);
    expect(matcher.find('a')).toBeUndefined();
    expect(matcher.size).toBe(0);
  });
});
