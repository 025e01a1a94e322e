import { describe, expect, it } from 'vitest';
import { normalizeIndicator } from './normalize-indicator.js';

function normal(value: string): string | undefined {
  const result = normalizeIndicator(value, 'url');
  return result.ok ? result.value : `${result.code}: ${result.reason}`;
}

function code(value: string): string | undefined {
  const result = normalizeIndicator(value, 'url');
  return result.ok ? undefined : result.code;
}

describe('url', () => {
  it.each([
    // scheme and host case, path case kept
    ['HTTP://Example.COM/Path/File.PHP?Q=Value', 'http://example.com/Path/File.PHP?Q=Value'],
    ['https://example.com/', 'https://example.com/'],
    ['ftp://files.example/pub/x.bin', 'ftp://files.example/pub/x.bin'],
    // refang
    ['hxxp://evil[.]example/login', 'http://evil.example/login'],
    ['hXXps://evil[.]example[/]login', 'https://evil.example/login'],
    ['hxxp[:]//evil[.]example', 'http://evil.example/'],
    ['https[://]evil.example/a', 'https://evil.example/a'],
    ['fxp://files[.]example/x', 'ftp://files.example/x'],
    // empty path
    ['http://example.com', 'http://example.com/'],
    ['http://example.com?q=1', 'http://example.com/?q=1'],
    ['http://example.com#top', 'http://example.com/'],
    // default and explicit ports
    ['http://example.com:80/a', 'http://example.com/a'],
    ['https://example.com:443/a', 'https://example.com/a'],
    ['ftp://example.com:21/a', 'ftp://example.com/a'],
    ['http://example.com:443/a', 'http://example.com:443/a'],
    ['https://example.com:80/a', 'https://example.com:80/a'],
    ['http://example.com:8080/a', 'http://example.com:8080/a'],
    ['http://example.com:08080/a', 'http://example.com:8080/a'],
    ['http://example.com:0080/a', 'http://example.com/a'],
    ['http://example.com:/a', 'http://example.com/a'],
    ['http://example.com:65535/', 'http://example.com:65535/'],
    // fragments
    ['https://example.com/a?b=1#frag', 'https://example.com/a?b=1'],
    ['https://example.com/a#', 'https://example.com/a'],
    // host forms
    ['http://Example.com./a', 'http://example.com/a'],
    ['http://bücher.example/Straße', 'http://xn--bcher-kva.example/Straße'],
    ['http://192.0.2.1/x', 'http://192.0.2.1/x'],
    ['http://192.0.2.1:8080', 'http://192.0.2.1:8080/'],
    ['http://[2001:DB8:0:0::1]/x', 'http://[2001:db8::1]/x'],
    ['http://[2001:db8::1]:8443/x', 'http://[2001:db8::1]:8443/x'],
    ['http://[2001:db8::1]:80/x', 'http://[2001:db8::1]/x'],
    ['http://[::ffff:192.0.2.1]/', 'http://[::ffff:192.0.2.1]/'],
    // userinfo kept
    ['http://user:secret@Example.com/a', 'http://user:secret@example.com/a'],
    ['https://bank.example@evil.example/', 'https://bank.example@evil.example/'],
    // percent-encoding: hex uppercased, nothing decoded
    ['http://example.com/a%2fb%3Fc', 'http://example.com/a%2Fb%3Fc'],
    ['http://example.com/%e2%82%ac?x=%7e', 'http://example.com/%E2%82%AC?x=%7E'],
    ['http://example.com/%41%zz%4', 'http://example.com/%41%zz%4'],
    // kept exactly
    ['http://example.com/a/../b/./c', 'http://example.com/a/../b/./c'],
    ['http://example.com/a?', 'http://example.com/a?'],
    ['http://example.com/a?b=1&b=2&A=3', 'http://example.com/a?b=1&b=2&A=3'],
    ['http://example.com/@user', 'http://example.com/@user'],
    // without a scheme
    ['example.com/path', 'http://example.com/path'],
    ['Example.com/Path', 'http://example.com/Path'],
    ['//example.com/path', 'http://example.com/path'],
    ['example.com', 'http://example.com/'],
    ['example.com:8080/x', 'http://example.com:8080/x'],
    ['192.0.2.1:8080', 'http://192.0.2.1:8080/'],
    ['evil[.]example/x', 'http://evil.example/x'],
  ])('%s → %s', (input, expected) => {
    expect(normal(input)).toBe(expected);
  });

  it('returns an already-normal URL as the same string', () => {
    const value = 'https://example.com/a/b?c=d';
    const result = normalizeIndicator(value, 'url');
    expect(result.ok && result.value).toBe(value);
  });

  it.each([
    ['mailto:user@example.com', 'unsupported-scheme'],
    ['javascript:alert(1)', 'unsupported-scheme'],
    ['file:///etc/passwd', 'unsupported-scheme'],
    ['ws://example.com/', 'unsupported-scheme'],
    ['data:text/html,hi', 'unsupported-scheme'],
    ['http:/example.com/', 'invalid-url'],
    ['http:example.com', 'invalid-url'],
    ['http://', 'missing-host'],
    ['http:///path', 'missing-host'],
    ['http://user@/path', 'missing-host'],
    ['http://:8080/', 'missing-host'],
    ['http://example.com:0/', 'invalid-port'],
    ['http://example.com:65536/', 'invalid-port'],
    ['http://example.com:99999999999/', 'invalid-port'],
    ['http://example.com:8o/', 'invalid-port'],
    ['http://exa mple.com/', 'invalid-url'],
    ['http://example.com/a b', 'invalid-url'],
    ['http://example.com/a\tb', 'invalid-url'],
    ['http://example.com/a\u0000', 'invalid-url'],
    ['http:\\\\example.com\\', 'invalid-url'],
    ['http://localhost/', 'invalid-url'],
    ['http://-bad.example/', 'invalid-url'],
    ['http://*.example.com/', 'invalid-url'],
    ['http://0x7f.1/', 'ambiguous-ipv4'],
    ['http://127.1/', 'ambiguous-ipv4'],
    ['http://010.0.0.1/', 'ambiguous-ipv4'],
    ['http://2130706433/', 'ambiguous-ipv4'],
    ['http://0x7f000001/', 'ambiguous-ipv4'],
    ['http://256.1.1.1/', 'invalid-ipv4'],
    ['http://[2001:db8::1/', 'invalid-url'],
    ['http://[2001:db8::1]x/', 'invalid-url'],
    ['http://[fe80::1%25eth0]/', 'ipv6-zone'],
    ['http://[1::2::3]/', 'invalid-ipv6'],
  ])('%j is rejected with %s', (input, expected) => {
    expect(code(input)).toBe(expected);
  });

  it('never quotes credentials in a reason', () => {
    for (const value of [
      'http://user:hunter2@exa mple.com/',
      'http://user:hunter2@example.com:99999/',
      'http://user:hunter2@localhost/',
      'http://user:hunter2@/x',
      'http://user:hunter2@example.com/a b',
    ]) {
      const result = normalizeIndicator(value, 'url');
      expect(result.ok).toBe(false);
      expect(result.ok ? '' : result.reason).not.toContain('hunter2');
    }
  });
});
