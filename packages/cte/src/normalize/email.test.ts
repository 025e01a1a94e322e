import { describe, expect, it } from 'vitest';
import { normalizeIndicator } from './normalize-indicator.js';

function normal(value: string): string | undefined {
  const result = normalizeIndicator(value, 'email');
  return result.ok ? result.value : `${result.code}: ${result.reason}`;
}

describe('email', () => {
  it.each([
    ['user@example.com', 'user@example.com'],
    ['User.Name@Example.COM', 'User.Name@example.com'],
    ['user+tag@example.com.', 'user+tag@example.com'],
    ["o'brien@example.com", "o'brien@example.com"],
    ['a!#$%&*+/=?^_`{|}~-z@example.com', 'a!#$%&*+/=?^_`{|}~-z@example.com'],
    ['user@bücher.example', 'user@xn--bcher-kva.example'],
    ['josé@example.com', 'josé@example.com'],
    ['user[at]evil[.]example', 'user@evil.example'],
    ['user (at) evil (dot) example', 'user@evil.example'],
    ['  user@example.com\r\n', 'user@example.com'],
    [`${'a'.repeat(64)}@example.com`, `${'a'.repeat(64)}@example.com`],
  ])('%s → %s', (input, expected) => {
    expect(normal(input)).toBe(expected);
  });

  it('returns an already-normal address as the same string', () => {
    const value = 'Mixed.Case@example.org';
    const result = normalizeIndicator(value, 'email');
    expect(result.ok && result.value).toBe(value);
  });

  it.each([
    'user.example.com',
    '@example.com',
    'user@',
    'a@b@example.com',
    '"a@b"@example.com',
    '.user@example.com',
    'user.@example.com',
    'us..er@example.com',
    'us er@example.com',
    'us(er@example.com',
    'user@[192.0.2.1]',
    'user@192.0.2.1',
    'user@localhost',
    'user@exa_mple..com',
    'user@-example.com',
    `${'a'.repeat(65)}@example.com`,
    `user@${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}`,
  ])('%s is rejected', (input) => {
    const result = normalizeIndicator(input, 'email');
    expect(result.ok ? undefined : result.code).toBe('invalid-email');
  });

  it('explains a domain problem', () => {
    const result = normalizeIndicator('user@192.0.2.1', 'email');
    expect(result.ok ? '' : result.reason).toBe(
      'the domain part: "192.0.2.1" is an IPv4 address, not a DNS name',
    );
  });
});
