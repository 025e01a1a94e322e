import { describe, expect, it } from 'vitest';
import { normalizeIndicator } from './normalize-indicator.js';

function normal(value: string, type: 'domain' | 'hostname'): string | undefined {
  const result = normalizeIndicator(value, type);
  return result.ok ? result.value : undefined;
}

function code(value: string, type: 'domain' | 'hostname'): string | undefined {
  const result = normalizeIndicator(value, type);
  return result.ok ? undefined : result.code;
}

describe.each(['domain', 'hostname'] as const)('%s', (type) => {
  it.each([
    ['example.com', 'example.com'],
    ['Example.COM', 'example.com'],
    ['www.example.com.', 'www.example.com'],
    ['  evil.example \t', 'evil.example'],
    ['evil[.]example', 'evil.example'],
    ['evil(dot)example', 'evil.example'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['BÜCHER.example', 'xn--bcher-kva.example'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['XN--BCHER-KVA.example', 'xn--bcher-kva.example'],
    ['bücher.example.', 'xn--bcher-kva.example'],
    ['例え。テスト', 'xn--r8jz45g.xn--zckzah'],
    ['faß.de', 'xn--fa-hia.de'],
    ['_dmarc.example.com', '_dmarc.example.com'],
    ['my_host.dyndns.example', 'my_host.dyndns.example'],
    ['a-b--c.example', 'a-b--c.example'],
    ['1.example', '1.example'],
    ['123.456.example', '123.456.example'],
    ['example.c0m', 'example.c0m'],
    [`${'a'.repeat(63)}.example`, `${'a'.repeat(63)}.example`],
  ])('%s → %s', (input, expected) => {
    expect(normal(input, type)).toBe(expected);
  });

  it('returns an already-normal name as the same string', () => {
    const value = 'sub.example.org';
    const result = normalizeIndicator(value, type);
    expect(result.ok && result.value).toBe(value);
  });

  it.each([
    ['localhost', `invalid-${type}`],
    ['com', `invalid-${type}`],
    ['example..com', `invalid-${type}`],
    ['.example.com', `invalid-${type}`],
    ['example.com..', `invalid-${type}`],
    ['-example.com', `invalid-${type}`],
    ['example-.com', `invalid-${type}`],
    ['exa mple.com', `invalid-${type}`],
    ['exa%41mple.com', `invalid-${type}`],
    ['bü%41cher.example', `invalid-${type}`],
    ['*.example.com', `invalid-${type}`],
    ['example.com:80', `invalid-${type}`],
    ['http://example.com/', `invalid-${type}`],
    ['example.123', `invalid-${type}`],
    ['127.1', `invalid-${type}`],
    ['010.1.1.1', `invalid-${type}`],
    ['xn--zz.example', `invalid-${type}`],
    [`${'a'.repeat(64)}.example`, `invalid-${type}`],
    [`${`${'a'.repeat(62)}.`.repeat(4)}com`, `invalid-${type}`],
    ['1.2.3.4', 'ip-literal'],
    ['192.0.2.1.', 'ip-literal'],
    ['１２７.０.０.１', 'ip-literal'],
  ])('%s is rejected with %s', (input, expected) => {
    expect(code(input, type)).toBe(expected);
  });

  it('explains an IP literal', () => {
    expect(normalizeIndicator('1.2.3.4', type)).toEqual({
      ok: false,
      code: 'ip-literal',
      reason: '"1.2.3.4" is an IPv4 address, not a DNS name',
    });
  });

  it('accepts a name of exactly 253 characters', () => {
    const name = `${`${'a'.repeat(63)}.`.repeat(3)}${'b'.repeat(61)}`;
    expect(name.length).toBe(253);
    expect(normal(name, type)).toBe(name);
    expect(code(`${name}x`, type)).toBe(`invalid-${type}`);
  });
});
