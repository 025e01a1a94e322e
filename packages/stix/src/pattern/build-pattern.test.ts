import { CeError, type IndicatorType, ValidationError } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { buildPattern } from './build-pattern.js';
import { extractPatternIndicators } from './extract-pattern-indicators.js';
import { validatePattern } from './validate-pattern.js';

const md5 = 'cead3f77f6cda6ec00f57d76c9a6879f';
const sha1 = 'a9993e364706816aba3e25717850c26c9cd0d89d';
const sha256 = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f';

describe('buildPattern', () => {
  it('writes one observation per indicator, joined by OR', () => {
    expect(
      buildPattern([
        { type: 'url', value: 'http://x.example/a' },
        { type: 'domain', value: 'x.example' },
      ]),
    ).toBe("[url:value = 'http://x.example/a'] OR [domain-name:value = 'x.example']");
  });

  it.each<[IndicatorType, string, string]>([
    ['url', 'http://x.example/', "[url:value = 'http://x.example/']"],
    ['domain', 'x.example', "[domain-name:value = 'x.example']"],
    ['hostname', 'www.x.example', "[domain-name:value = 'www.x.example']"],
    ['ipv4', '198.51.100.1', "[ipv4-addr:value = '198.51.100.1']"],
    ['ipv4-cidr', '198.51.100.0/24', "[ipv4-addr:value = '198.51.100.0/24']"],
    ['ipv6', '2001:db8::1', "[ipv6-addr:value = '2001:db8::1']"],
    ['ipv6-cidr', '2001:db8::/32', "[ipv6-addr:value = '2001:db8::/32']"],
    ['md5', md5, `[file:hashes.MD5 = '${md5}']`],
    ['sha1', sha1, `[file:hashes.'SHA-1' = '${sha1}']`],
    ['sha256', sha256, `[file:hashes.'SHA-256' = '${sha256}']`],
    ['email', 'jdoe@example.com', "[email-addr:value = 'jdoe@example.com']"],
  ])('writes %s on its path', (type, value, expected) => {
    const pattern = buildPattern([{ type, value }]);
    expect(pattern).toBe(expected);
    expect(validatePattern(pattern).ok).toBe(true);
  });

  it('escapes quotes and backslashes, and reads back to the same indicators', () => {
    const indicators = [
      { type: 'url' as const, value: "http://x.example/it's\\here" },
      { type: 'email' as const, value: "o'brien@example.com" },
      { type: 'ipv4-cidr' as const, value: '10.0.0.0/8' },
      { type: 'sha256' as const, value: sha256 },
    ];
    const pattern = buildPattern(indicators);
    expect(pattern).toContain("'http://x.example/it\\'s\\\\here'");
    expect(extractPatternIndicators(pattern)).toEqual({ reducible: true, indicators });
  });

  it('round-trips thousands of indicators', () => {
    const indicators = Array.from({ length: 3000 }, (_, i) => ({
      type: 'domain' as const,
      value: `host${i}.example`,
    }));
    const result = extractPatternIndicators(buildPattern(indicators));
    expect(result).toEqual({ reducible: true, indicators });
  });

  it('rejects an empty list, an unknown type and an empty value', () => {
    expect(() => buildPattern([])).toThrow(ValidationError);
    try {
      buildPattern([
        { type: 'url', value: 'http://x.example/' },
        { type: 'cve' as IndicatorType, value: 'CVE-2024-1' },
      ]);
      expect.unreachable();
    } catch (error) {
      expect(CeError.isInstance(error) && error.code).toBe('VALIDATION_FAILED');
      expect((error as ValidationError).issues).toEqual([
        { path: '[1].type', reason: "unknown indicator type 'cve'" },
      ]);
    }
    expect(() => buildPattern([{ type: 'url', value: '' }])).toThrow(
      /\[0\]\.value: value must be a non-empty string/,
    );
    expect(() => buildPattern([{ type: 'toString' as IndicatorType, value: 'x' }])).toThrow(ValidationError);
  });
});
