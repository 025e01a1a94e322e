import { describe, expect, it } from 'vitest';
import { extractPatternIndicators } from './extract-pattern-indicators.js';
import { parsePattern } from './parse-pattern.js';

const md5 = 'cead3f77f6cda6ec00f57d76c9a6879f';
const sha1 = 'a9993e364706816aba3e25717850c26c9cd0d89d';
const sha256 = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f';

describe('extractPatternIndicators', () => {
  it.each([
    ["[url:value = 'http://x.example/a']", [{ type: 'url', value: 'http://x.example/a' }]],
    ["[domain-name:value = 'x.example']", [{ type: 'domain', value: 'x.example' }]],
    ["[ipv4-addr:value = '198.51.100.1']", [{ type: 'ipv4', value: '198.51.100.1' }]],
    ["[ipv4-addr:value = '198.51.100.0/24']", [{ type: 'ipv4-cidr', value: '198.51.100.0/24' }]],
    ["[ipv6-addr:value = '2001:db8::1']", [{ type: 'ipv6', value: '2001:db8::1' }]],
    ["[ipv6-addr:value = '2001:db8::/32']", [{ type: 'ipv6-cidr', value: '2001:db8::/32' }]],
    ["[email-addr:value = 'jdoe@example.com']", [{ type: 'email', value: 'jdoe@example.com' }]],
    [`[file:hashes.MD5 = '${md5}']`, [{ type: 'md5', value: md5 }]],
    [`[file:hashes.'MD5' = '${md5}']`, [{ type: 'md5', value: md5 }]],
    [`[file:hashes.'SHA-1' = '${sha1}']`, [{ type: 'sha1', value: sha1 }]],
    [`[file:hashes.SHA1 = '${sha1}']`, [{ type: 'sha1', value: sha1 }]],
    [`[file:hashes.'SHA-256' = '${sha256}']`, [{ type: 'sha256', value: sha256 }]],
    [`[file:hashes.SHA256 = '${sha256}']`, [{ type: 'sha256', value: sha256 }]],
    [
      "[url:value = 'http://x.example/a'] OR [domain-name:value = 'x.example']",
      [
        { type: 'url', value: 'http://x.example/a' },
        { type: 'domain', value: 'x.example' },
      ],
    ],
    [
      `[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar' OR file:hashes.MD5 = '${md5}']`,
      [
        { type: 'url', value: 'http://example.com/foo' },
        { type: 'url', value: 'http://example.com/bar' },
        { type: 'md5', value: md5 },
      ],
    ],
    [
      "([ipv4-addr:value = '10.0.0.1' OR (ipv4-addr:value = '10.0.0.2')] OR [ipv4-addr:value = '10.0.0.3']) OR [ipv4-addr:value = '10.0.0.1']",
      [
        { type: 'ipv4', value: '10.0.0.1' },
        { type: 'ipv4', value: '10.0.0.2' },
        { type: 'ipv4', value: '10.0.0.3' },
      ],
    ],
    [
      "[ipv4-addr:value IN ('10.0.0.1', '10.0.0.0/8')]",
      [
        { type: 'ipv4', value: '10.0.0.1' },
        { type: 'ipv4-cidr', value: '10.0.0.0/8' },
      ],
    ],
    [
      "[domain-name:value IN ('a.example', 'b.example')] OR [email-addr:value = 'it\\'s@example.com']",
      [
        { type: 'domain', value: 'a.example' },
        { type: 'domain', value: 'b.example' },
        { type: 'email', value: "it's@example.com" },
      ],
    ],
  ])('reduces %s', (pattern, indicators) => {
    expect(extractPatternIndicators(pattern)).toEqual({ reducible: true, indicators });
  });

  it.each([
    ["[url:value = 'a'] AND [url:value = 'b']", 'AND of observations'],
    ["[url:value = 'a'] FOLLOWEDBY [url:value = 'b']", 'FOLLOWEDBY of observations'],
    ["[url:value = 'a' AND url:value = 'b']", 'AND of comparisons'],
    ["[url:value = 'a'] WITHIN 5 SECONDS", 'qualifier WITHIN'],
    ["[url:value = 'a'] REPEATS 2 TIMES", 'qualifier REPEATS'],
    ["[url:value = 'a'] START t'2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z'", 'qualifier START/STOP'],
    ["[url:value = 'a'] OR [url:value = 'b'] WITHIN 5 SECONDS", 'qualifier WITHIN'],
    ["[url:value NOT = 'a']", 'NOT = comparison'],
    ["[url:value != 'a']", 'operator !='],
    ["[url:value LIKE 'http://%']", 'operator LIKE'],
    ["[url:value MATCHES '^http']", 'operator MATCHES'],
    ["[ipv4-addr:value ISSUBSET '10.0.0.0/8']", 'operator ISSUBSET'],
    ['[EXISTS url:value]', 'operator EXISTS'],
    ["[process:name = 'evil.exe']", 'unsupported path process:name'],
    ["[file:name = 'evil.exe']", 'unsupported path file:name'],
    ["[file:hashes.'SHA-512' = 'aa']", "unsupported path file:hashes.'SHA-512'"],
    ["[artifact:hashes.MD5 = 'aa']", 'unsupported path artifact:hashes.MD5'],
    ["[network-traffic:dst_ref.value = '10.0.0.1']", 'unsupported path network-traffic:dst_ref.value'],
    ["[url:value = 'a'] OR [process:name = 'b']", 'unsupported path process:name'],
    ['[ipv4-addr:value = 5]', 'integer value for ipv4-addr:value'],
    ["[domain-name:value IN ('a.example', 1)]", 'integer value for domain-name:value'],
    ['[domain-name:value IN ()]', 'empty IN list'],
    ["[domain-name:value = '']", 'empty value for domain-name:value'],
    ['[url:value = ', 'invalid pattern: expected a literal at 13, found end of pattern'],
  ])('does not reduce %s', (pattern, reason) => {
    expect(extractPatternIndicators(pattern)).toEqual({ reducible: false, reason });
  });

  it('accepts a parsed tree', () => {
    const ast = parsePattern("[url:value = 'http://x.example/']");
    expect(extractPatternIndicators(ast)).toEqual({
      reducible: true,
      indicators: [{ type: 'url', value: 'http://x.example/' }],
    });
  });

  it('passes parsing limits through', () => {
    expect(extractPatternIndicators("[url:value = 'http://x.example/']", { maxLength: 5 })).toMatchObject({
      reducible: false,
      reason: expect.stringMatching(/^invalid pattern: pattern is 33 characters long/),
    });
  });
});
