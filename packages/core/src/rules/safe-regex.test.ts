import { describe, expect, it } from 'vitest';
import { isSafeRegex, regexProblem } from './safe-regex.js';

describe('regexProblem', () => {
  it.each([
    '(a+)+$',
    '(a*)*',
    '(a|a)*',
    '(x|x)*y',
    '(.*a){3}',
    '(a|ab)+c',
    '(\\w+\\s?)+$',
    '(a+,a+)*',
    '^(([a-z])+.)+[A-Z]([a-z])+$',
    '(?:a?)+',
    '((a|a)b)*c',
    '(\\d+|x)+',
    '(a|)+',
    '(.+)+x',
    '([a-z]+)*=',
  ])('rejects %s as prone to catastrophic backtracking', (source) => {
    expect(regexProblem(source)).toMatch(/catastrophic backtracking/);
  });

  it('rejects backreferences, invalid syntax and overlong patterns', () => {
    expect(regexProblem('(a)\\1')).toMatch(/backreference/);
    expect(regexProblem('(?<x>a)\\k<x>')).toMatch(/backreference/);
    expect(regexProblem('(a')).toMatch(/invalid regular expression/);
    expect(regexProblem('a'.repeat(513))).toMatch(/longer than 512/);
  });

  it('honours the case flag when comparing characters', () => {
    expect(isSafeRegex('([a-z]+A)+')).toBe(true);
    expect(isSafeRegex('([a-z]+A)+', { ignoreCase: true })).toBe(false);
  });

  it.each([
    'evil\\.(com|net)',
    '^https?://[^/]+/login',
    '\\b(?:\\d{1,3}\\.){3}\\d{1,3}\\b',
    '^([a-z0-9-]+\\.)+[a-z]{2,}$',
    '^[A-Fa-f0-9]{64}$',
    '(?:\\s*,\\s*\\w+)*',
    '(ab)+',
    '(a+b)+',
    '((ab)+c)+',
    '((a+)b)+',
    '(com|net|org)+',
    '[/\\]]+x',
    '.*\\.exe$',
    '^(?=.*admin).*$',
    'a{2,}b',
    '',
  ])('accepts %s', (source) => {
    expect(regexProblem(source)).toBeUndefined();
  });
});
