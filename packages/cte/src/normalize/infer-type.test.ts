import { describe, expect, it } from 'vitest';
import { inferIndicatorType } from './infer-type.js';

describe('inferIndicatorType', () => {
  it.each([
    ['http://example.com/', 'url'],
    ['hxxps://evil[.]example/login', 'url'],
    ['ftp://files.example/x', 'url'],
    ['example.com/path', 'url'],
    ['192.0.2.1:8080/x', 'url'],
    ['user@example.com/x', 'url'],
    ['mailto:user@example.com', 'email'],
    ['user@example.com', 'email'],
    ['user[at]example[.]com', 'email'],
    ['a/b@example.com', 'email'],
    ['10.0.0.0/8', 'ipv4-cidr'],
    ['010.0.0.0/8', 'ipv4-cidr'],
    ['2001:db8::/32', 'ipv6-cidr'],
    ['[2001:db8::]/32', 'ipv6-cidr'],
    ['2001:db8::1', 'ipv6'],
    ['::', 'ipv6'],
    ['::ffff:192.0.2.1', 'ipv6'],
    ['[2001:db8::1]', 'ipv6'],
    ['fe80::1%eth0', 'ipv6'],
    ['d41d8cd98f00b204e9800998ecf8427e', 'md5'],
    ['DA39A3EE5E6B4B0D3255BFEF95601890AFD80709', 'sha1'],
    ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'sha256'],
    ['192.0.2.1', 'ipv4'],
    ['192[.]0[.]2[.]1', 'ipv4'],
    ['010.1.1.1', 'ipv4'],
    ['127.1', 'ipv4'],
    ['0x7f.0.0.1', 'ipv4'],
    ['example.com', 'domain'],
    ['example.com.', 'domain'],
    ['evil(dot)example', 'domain'],
    ['bücher.example', 'domain'],
    ['例え。テスト', 'domain'],
    ['www.example.com', 'hostname'],
    ['example.co.uk', 'hostname'],
    ['cafe.be', 'domain'],
  ])('%s is %s', (input, expected) => {
    expect(inferIndicatorType(input)).toBe(expected);
  });

  it.each([
    '',
    '   ',
    'localhost',
    'example.com:8080',
    '2130706433',
    'd41d8cd98f00b204e9800998ecf8427',
    'just some words',
  ])('%j has no type', (input) => {
    expect(inferIndicatorType(input)).toBeUndefined();
  });
});
