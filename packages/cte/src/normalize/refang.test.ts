import { describe, expect, it } from 'vitest';
import { refang } from './refang.js';

describe('refang', () => {
  it.each([
    ['hxxp://evil.example/', 'http://evil.example/'],
    ['hxxps://evil.example/', 'https://evil.example/'],
    ['hXXp://evil.example/', 'http://evil.example/'],
    ['HXXPS://evil.example/', 'https://evil.example/'],
    ['hxtp://evil.example/', 'http://evil.example/'],
    ['htxps://evil.example/', 'https://evil.example/'],
    ['h**p://evil.example/', 'http://evil.example/'],
    ['h__ps://evil.example/', 'https://evil.example/'],
    ['fxp://files.example/x', 'ftp://files.example/x'],
    ['fxxp://files.example/x', 'ftp://files.example/x'],
    ['hxxp[:]//evil.example/', 'http://evil.example/'],
    ['hxxps[://]evil.example', 'https://evil.example'],
    ['http[://]evil.example', 'http://evil.example'],
    ['https(:)//evil.example', 'https://evil.example'],
    ['evil[.]example', 'evil.example'],
    ['evil(.)example', 'evil.example'],
    ['evil{.}example', 'evil.example'],
    ['evil[dot]example', 'evil.example'],
    ['evil(DOT)example', 'evil.example'],
    ['evil [dot] example', 'evil.example'],
    ['evil[ . ]example', 'evil.example'],
    ['evil\\.example', 'evil.example'],
    ['192[.]0[.]2[.]1', '192.0.2.1'],
    ['user[at]evil.example', 'user@evil.example'],
    ['user(at)evil.example', 'user@evil.example'],
    ['user [AT] evil [DOT] example', 'user@evil.example'],
    ['user[@]evil.example', 'user@evil.example'],
    ['evil.example[/]path', 'evil.example/path'],
    ['hxxp://evil[.]example[:]8080[/]a[.]php', 'http://evil.example:8080/a.php'],
    ['2001[:]db8[:][:]1', '2001:db8::1'],
  ])('%s → %s', (input, expected) => {
    expect(refang(input)).toBe(expected);
  });

  it('returns the same string when there is nothing to refang', () => {
    const value = 'https://example.com/a(b)c[d]{e}';
    expect(refang(value)).toBe(value);
  });

  it.each([
    ['http://[2001:db8::1]/', 'an IPv6 literal'],
    ['http://[::1]/', 'the loopback literal'],
    ['https://example.com/(S(abc))/Main', 'parentheses in a path'],
    ['https://example.com/a[1]', 'brackets around other text'],
    ['hxxpexample.com', 'a defanged-looking word without a separator'],
    ['https://hxxp.example/', 'hxxp as a host label'],
    ['evil dot example', 'an unbracketed dot word'],
    ['evil[.example', 'a half bracket'],
  ])('leaves %s alone (%s)', (input) => {
    expect(refang(input)).toBe(input);
  });

  it('handles the empty string', () => {
    expect(refang('')).toBe('');
  });
});
