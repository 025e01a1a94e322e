import { describe, expect, it } from 'vitest';
import { linearScanLimit, SubstringMatcher } from './substring-matcher.js';

function naiveFirst(patterns: string[], text: string): string | undefined {
  return patterns.find((pattern) => text.includes(pattern));
}

describe('SubstringMatcher', () => {
  it('reports the first pattern in list order for a short list', () => {
    const matcher = new SubstringMatcher();
    for (const pattern of ['sandbox', 'virustotal.com', 'box']) matcher.add(pattern);
    expect(matcher.find('app.virustotal.com')).toBe('virustotal.com');
    expect(matcher.find('capesandbox.com')).toBe('sandbox');
    expect(matcher.find('dropbox.com')).toBe('box');
    expect(matcher.find('example.com')).toBeUndefined();
  });

  it('uses the automaton past the limit and gives the same answers as a naive scan', () => {
    let seed = 11;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const word = (length: number): string =>
      Array.from({ length }, () => 'abcde.'[random(6)] as string).join('');
    const patterns: string[] = [];
    const matcher = new SubstringMatcher();
    for (let i = 0; i < linearScanLimit * 4; i++) {
      const pattern = word(2 + random(5));
      if (matcher.add(pattern)) patterns.push(pattern);
    }
    expect(matcher.size).toBeGreaterThan(linearScanLimit);
    for (let i = 0; i < 1_000; i++) {
      const text = word(random(30));
      expect(matcher.find(text)).toBe(naiveFirst(patterns, text));
    }
  });

  it('handles patterns that are suffixes or prefixes of one another in the automaton', () => {
    const matcher = new SubstringMatcher();
    const patterns = [
      'he',
      'she',
      'his',
      'hers',
      ...Array.from({ length: linearScanLimit }, (_, i) => `zz${i}zz`),
    ];
    for (const pattern of patterns) matcher.add(pattern);
    expect(matcher.find('ushers')).toBe('he');
    expect(matcher.find('ushe')).toBe('he');
    expect(matcher.find('xshx')).toBeUndefined();
    expect(matcher.find('this')).toBe('his');
    expect(matcher.find('..zz7zz..')).toBe('zz7zz');
  });

  it('ignores empty and repeated patterns and deletes', () => {
    const matcher = new SubstringMatcher();
    expect(matcher.add('')).toBe(false);
    expect(matcher.add('abc')).toBe(true);
    expect(matcher.add('abc')).toBe(false);
    expect(matcher.delete('abc')).toBe(true);
    expect(matcher.delete('abc')).toBe(false);
    expect(matcher.find('abc')).toBeUndefined();
  });
});
