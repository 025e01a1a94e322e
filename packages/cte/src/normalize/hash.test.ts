import { describe, expect, it } from 'vitest';
import { hashTypeOfLength, scanHex } from './hash.js';
import type { HashType } from './indicator-types.js';
import { normalizeIndicator } from './normalize-indicator.js';

const md5 = 'd41d8cd98f00b204e9800998ecf8427e';
const sha1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
const sha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('hashes', () => {
  it.each([
    ['md5', md5, md5],
    ['md5', md5.toUpperCase(), md5],
    ['md5', ` ${md5}\n`, md5],
    ['sha1', sha1, sha1],
    ['sha1', sha1.toUpperCase(), sha1],
    ['sha256', sha256, sha256],
    ['sha256', `${sha256.slice(0, 10).toUpperCase()}${sha256.slice(10)}`, sha256],
  ] as [HashType, string, string][])('%s %s → %s', (type, input, expected) => {
    expect(normalizeIndicator(input, type)).toEqual({ ok: true, type, value: expected });
  });

  it('returns an already-lowercase hash as the same string', () => {
    const result = normalizeIndicator(sha256, 'sha256');
    expect(result.ok && result.value).toBe(sha256);
  });

  it.each([
    ['md5', md5.slice(1)],
    ['md5', `${md5}0`],
    ['md5', sha1],
    ['sha1', sha256],
    ['sha256', md5],
    ['md5', `${md5.slice(0, 31)}g`],
    ['sha1', `0x${sha1.slice(2)}`],
    ['sha256', `${sha256.slice(0, 32)} ${sha256.slice(33)}`],
    ['md5', `md5:${md5.slice(4)}`],
  ] as [HashType, string][])('%s %s is rejected', (type, input) => {
    const result = normalizeIndicator(input, type);
    expect(result.ok ? undefined : result.code).toBe('invalid-hash');
  });

  it('explains a length mismatch and names the type the length fits', () => {
    const result = normalizeIndicator(sha256, 'md5');
    expect(result).toEqual({
      ok: false,
      code: 'invalid-hash',
      reason:
        'md5 must be 32 hex characters; got 64 (the length of sha256); the value looks like sha256, not md5',
    });
  });

  it('points at the first character that is not hex', () => {
    const result = normalizeIndicator(`${md5.slice(0, 5)}z${md5.slice(6)}`, 'md5');
    expect(result.ok ? '' : result.reason).toBe('md5 must be hexadecimal; character 6 is "z"');
  });

  it('scans hex and maps lengths', () => {
    expect(scanHex('0123456789abcdef')).toBe(0);
    expect(scanHex('ABCDEF')).toBe(1);
    expect(scanHex('abg')).toBe(-3);
    expect(hashTypeOfLength(32)).toBe('md5');
    expect(hashTypeOfLength(40)).toBe('sha1');
    expect(hashTypeOfLength(64)).toBe('sha256');
    expect(hashTypeOfLength(128)).toBeUndefined();
  });
});
