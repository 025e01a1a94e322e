import { describe, expect, it } from 'vitest';
import { specPatterns } from './__fixtures__/spec-patterns.js';
import { parsePattern } from './parse-pattern.js';
import type { PatternIssueCode } from './pattern-error.js';
import { checkPattern, type PatternIssue, validatePattern } from './validate-pattern.js';

function issuesOf(text: string): PatternIssue[] {
  const result = validatePattern(text);
  if (result.ok) return [];
  return result.errors;
}

function only(text: string): PatternIssue {
  const issues = issuesOf(text);
  expect(issues).toHaveLength(1);
  return issues[0] as PatternIssue;
}

const md5 = 'cead3f77f6cda6ec00f57d76c9a6879f';
const sha1 = 'a'.repeat(40);
const sha256 = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f';

describe('validatePattern', () => {
  it.each(specPatterns)('accepts the spec example %s', (text) => {
    const result = validatePattern(text);
    expect(result.ok ? [] : result.errors).toEqual([]);
    expect(result.ok && result.ast.kind).toBeTruthy();
  });

  it.each([
    `[file:hashes.MD5 = '${md5}' OR file:hashes.'SHA-1' = '${sha1}' OR file:hashes.SHA256 = '${sha256.toUpperCase()}']`,
    `[file:hashes.'SHA3-256' = '${sha256}' AND file:hashes.'SHA-512' = '${'b'.repeat(128)}']`,
    "[file:hashes.SSDEEP = '3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C']",
    "[file:hashes.TLSH = 'anything']",
    "[file:hashes[*] = 'f00']",
    "[file:hashes.MD5 LIKE 'cead%']",
    "[x-t:p = t'2024-02-29T12:00:00Z' AND x-t:q = t'2000-02-29T00:00:00.123456Z' AND x-t:r = t'2016-12-31T23:59:60Z']",
    "[ipv4-addr:value = '198.51.100.1' OR ipv4-addr:value = '198.51.100.0/24' OR ipv4-addr:value ISSUBSET '10.0.0.0/8']",
    "[ipv6-addr:value = '::1' OR ipv6-addr:value = '2001:db8::/32' OR ipv6-addr:value = '::ffff:192.0.2.1' OR ipv6-addr:value = '1:2:3:4:5:6:7:8']",
    "[ipv4-addr:value LIKE '10.%' AND ipv4-addr:value MATCHES '^10\\\\.']",
    "[file:name MATCHES '(?i)^invoice.*\\\\.exe$']",
    "[x-t:a = 1] START t'2016-01-01T00:00:00.1Z' STOP t'2016-01-01T00:00:00.10001Z'",
    '([x-t:a = 1] WITHIN 5 SECONDS) WITHIN 6 SECONDS',
    '([x-t:a = 1] REPEATS 2 TIMES) REPEATS 2 TIMES',
    '[x-t:a = 1] WITHIN 0.5 SECONDS',
  ])('accepts %s', (text) => {
    expect(issuesOf(text)).toEqual([]);
  });

  it.each<[string, PatternIssueCode, number, string]>([
    [
      "[file:hashes.'SHA-256' = 'f00']",
      'invalid-hash',
      25,
      "'f00' is not a valid SHA-256 hash (64 hex digits) at 25",
    ],
    [
      `[file:hashes.MD5 = '${md5}0']`,
      'invalid-hash',
      19,
      `'${md5}0' is not a valid MD5 hash (32 hex digits) at 19`,
    ],
    [
      `[file:hashes.'SHA-1' != '${'g'.repeat(40)}']`,
      'invalid-hash',
      24,
      `'${'g'.repeat(40)}' is not a valid SHA-1 hash (40 hex digits) at 24`,
    ],
    [
      `[file:hashes.'SHA-512' = '${md5}']`,
      'invalid-hash',
      25,
      `'${md5}' is not a valid SHA-512 hash (128 hex digits) at 25`,
    ],
    [
      `[file:hashes.'SHA3-256' IN ('${sha256}', 'x')]`,
      'invalid-hash',
      96,
      "'x' is not a valid SHA3-256 hash (64 hex digits) at 96",
    ],
    [
      "[x-t:created = t'2024-02-30T12:00:00Z']",
      'invalid-timestamp',
      15,
      "t'2024-02-30T12:00:00Z' is not a real date and time at 15",
    ],
    [
      "[x-t:created = t'2023-02-29T12:00:00Z']",
      'invalid-timestamp',
      15,
      "t'2023-02-29T12:00:00Z' is not a real date and time at 15",
    ],
    [
      "[x-t:created = t'2024-04-31T12:00:00Z']",
      'invalid-timestamp',
      15,
      "t'2024-04-31T12:00:00Z' is not a real date and time at 15",
    ],
    [
      "[x-t:created = t'2024-04-30T12:00:60Z']",
      'invalid-timestamp',
      15,
      "t'2024-04-30T12:00:60Z' is not a real date and time at 15",
    ],
    [
      "[x-t:a = 1] START t'2016-06-01T02:00:00Z' STOP t'2016-06-01T01:00:00Z'",
      'invalid-qualifier',
      12,
      "START t'2016-06-01T02:00:00Z' is not before STOP t'2016-06-01T01:00:00Z' at 12",
    ],
    [
      "[x-t:a = 1] START t'2016-06-01T02:00:00.5Z' STOP t'2016-06-01T02:00:00.50Z'",
      'invalid-qualifier',
      12,
      "START t'2016-06-01T02:00:00.5Z' is not before STOP t'2016-06-01T02:00:00.50Z' at 12",
    ],
    [
      "[x-t:a = 1] START t'2016-02-30T02:00:00Z' STOP t'2016-06-01T01:00:00Z'",
      'invalid-timestamp',
      18,
      "t'2016-02-30T02:00:00Z' is not a real date and time at 18",
    ],
    ['[x-t:a = 1] WITHIN 0 SECONDS', 'invalid-qualifier', 12, 'WITHIN must be more than 0 seconds at 12'],
    ['[x-t:a = 1] WITHIN .0 SECONDS', 'invalid-qualifier', 12, 'WITHIN must be more than 0 seconds at 12'],
    ['[x-t:a = 1] REPEATS 0 TIMES', 'invalid-qualifier', 12, 'REPEATS must be 1 or more times at 12'],
    [
      '[x-t:a = 1] WITHIN 5 SECONDS WITHIN 6 SECONDS',
      'duplicate-qualifier',
      29,
      'WITHIN appears more than once on the same expression at 29',
    ],
    [
      '([x-t:a = 1] REPEATS 2 TIMES REPEATS 3 TIMES)',
      'duplicate-qualifier',
      29,
      'REPEATS appears more than once on the same expression at 29',
    ],
    [
      "[x-t:a = 1] START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z' START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z'",
      'duplicate-qualifier',
      79,
      'START/STOP appears more than once on the same expression at 79',
    ],
    [
      '[x_whatever:detected = 1]',
      'invalid-object-type',
      1,
      "object type 'x_whatever' is not a STIX type name (a-z, 0-9 and '-', 3 to 250 characters) at 1",
    ],
    [
      '[ab:c = 1]',
      'invalid-object-type',
      1,
      "object type 'ab' is not a STIX type name (a-z, 0-9 and '-', 3 to 250 characters) at 1",
    ],
    [
      '[File:name = 1]',
      'invalid-object-type',
      1,
      "object type 'File' is not a STIX type name (a-z, 0-9 and '-', 3 to 250 characters) at 1",
    ],
    [
      "[file:name MATCHES '(unclosed']",
      'invalid-regex',
      19,
      'regular expression does not compile (Unterminated group) at 19',
    ],
    [
      "[file:name MATCHES 'a++']",
      'invalid-regex',
      19,
      'regular expression does not compile (Nothing to repeat) at 19',
    ],
    ['[file:name IN ()]', 'empty-set', 14, 'IN list is empty at 14'],
    [
      "[ipv4-addr:value = '198.51.100.256']",
      'invalid-address',
      19,
      "'198.51.100.256' is not an IPv4 address or CIDR block at 19",
    ],
    [
      "[ipv4-addr:value = '198.51.100.1/33']",
      'invalid-address',
      19,
      "'198.51.100.1/33' is not an IPv4 address or CIDR block at 19",
    ],
    [
      "[ipv4-addr:value = 'example.com']",
      'invalid-address',
      19,
      "'example.com' is not an IPv4 address or CIDR block at 19",
    ],
    [
      "[ipv4-addr:value ISSUBSET '10.0.0/8']",
      'invalid-address',
      26,
      "'10.0.0/8' is not an IPv4 address or CIDR block at 26",
    ],
    ['[ipv4-addr:value = 5]', 'invalid-address', 19, 'ipv4-addr:value takes a string IPv4 address at 19'],
    [
      "[ipv6-addr:value = '2001:db8:::1']",
      'invalid-address',
      19,
      "'2001:db8:::1' is not an IPv6 address or CIDR block at 19",
    ],
    [
      "[ipv6-addr:value = '1:2:3:4:5:6:7:8:9']",
      'invalid-address',
      19,
      "'1:2:3:4:5:6:7:8:9' is not an IPv6 address or CIDR block at 19",
    ],
    [
      "[ipv6-addr:value IN ('::1', '198.51.100.1')]",
      'invalid-address',
      28,
      "'198.51.100.1' is not an IPv6 address or CIDR block at 28",
    ],
    [
      "[ipv6-addr:value = '::1/129']",
      'invalid-address',
      19,
      "'::1/129' is not an IPv6 address or CIDR block at 19",
    ],
  ])('reports %s as %s at %i', (text, code, position, message) => {
    expect(only(text)).toMatchObject({ code, position, message });
  });

  it('reports every problem of meaning at once, in text order, with the tree', () => {
    const text =
      "[file:hashes.MD5 = 'x' AND ab:c = 1] WITHIN 0 SECONDS OR [x-t:p = t'2023-02-29T00:00:00Z' AND x-t:q IN ()]";
    const result = validatePattern(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => [e.code, e.position])).toEqual([
      ['invalid-hash', 19],
      ['invalid-object-type', 27],
      ['invalid-qualifier', 37],
      ['invalid-timestamp', 66],
      ['empty-set', 103],
    ]);
    expect(result.ast?.kind).toBe('observation-op');
    for (const issue of result.errors) expect(issue.end).toBeGreaterThan(issue.position);
  });

  it('reports a syntax error as one issue with its position, never throwing', () => {
    expect(validatePattern('[file:size = ]')).toEqual({
      ok: false,
      errors: [{ position: 13, message: "expected a literal at 13, found ']'", code: 'syntax' }],
    });
    const deep = `${'('.repeat(10_000)}[file:name = 'a']${')'.repeat(10_000)}`;
    expect(validatePattern(deep)).toMatchObject({ ok: false, errors: [{ code: 'too-deep', position: 256 }] });
    expect(validatePattern("[url:value = 'http://x.example/']", { maxLength: 10 })).toMatchObject({
      ok: false,
      errors: [{ code: 'too-long', position: 10 }],
    });
  });

  it('checks a tree that is already parsed', () => {
    expect(checkPattern(parsePattern('[file:size = 1]'))).toEqual([]);
    expect(checkPattern(parsePattern('[file:name IN ()]'))).toMatchObject([{ code: 'empty-set' }]);
  });
});
