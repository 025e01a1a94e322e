import type { LogDelivery } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { createSyslogEncoder, escapeFrameBreaks, rfc5424Header, truncateUtf8 } from './syslog-message.js';

const at = Date.parse('2026-03-04T05:06:07.089Z');
const item = (payload: string, timestamp: number | null = at): LogDelivery => ({
  id: 'r1',
  stream: 'events/page',
  payload,
  record: {},
  ...(timestamp === null ? {} : { timestamp }),
});
const encoder = (overrides: Partial<Parameters<typeof createSyslogEncoder>[0]> = {}) =>
  createSyslogEncoder({
    framing: 'octet-counting',
    maxMessageBytes: 65_536,
    oversize: 'truncate',
    pri: 14,
    hostname: 'ce-1',
    appName: 'cloud-exchange',
    now: () => Date.parse('2030-01-01T00:00:00Z'),
    ...overrides,
  });

describe('rfc5424Header', () => {
  it('writes PRI, version, timestamp, host and app, with nil PROCID, MSGID and structured data', () => {
    expect(rfc5424Header(134, at, 'host', 'app')).toBe('<134>1 2026-03-04T05:06:07.089Z host app - - - ');
  });
  it('writes the nil value for a time that is not one', () => {
    expect(rfc5424Header(14, Number.NaN, 'h', 'a')).toBe('<14>1 - h a - - - ');
  });
});

describe('escapeFrameBreaks', () => {
  it('turns LF and CR into backslash escapes and NUL into a space, leaving backslashes alone', () => {
    expect(escapeFrameBreaks('a\nb\r\nc\0d \\n')).toBe('a\\nb\\r\\nc d \\n');
    expect(escapeFrameBreaks('no breaks | = é')).toBe('no breaks | = é');
  });
});

describe('truncateUtf8', () => {
  it('never cuts a character in half', () => {
    // "é" is 2 bytes, "日" 3 bytes, "🛡" 4 bytes.
    expect(truncateUtf8('aé', 2)).toBe('a');
    expect(truncateUtf8('aé', 3)).toBe('aé');
    expect(truncateUtf8('ab日', 4)).toBe('ab');
    expect(truncateUtf8('a🛡', 4)).toBe('a');
    expect(truncateUtf8('a🛡', 5)).toBe('a🛡');
    for (let max = 0; max < 40; max++) {
      const cut = truncateUtf8('héllo 日本 🛡️ wörld', max);
      expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(max);
      expect(cut).not.toContain('\uFFFD');
      expect('héllo 日本 🛡️ wörld'.startsWith(cut)).toBe(true);
    }
  });
});

describe('createSyslogEncoder', () => {
  it('sends a syslog payload as it is, and counts octets as UTF-8 bytes', () => {
    const encoded = encoder()(item('<13>1 - h a - - - café 日本'), 'syslog');
    expect(encoded).toEqual({
      ok: true,
      framed: '30 <13>1 - h a - - - café 日本',
      bytes: 30,
      truncated: false,
    });
  });

  it('wraps CEF, LEEF and JSON in an RFC 5424 header stamped with the record time, or now', () => {
    const cef = 'CEF:0|Netskope|NSC|1.0|page|Page|3|src=192.0.2.1';
    expect(encoder({ framing: 'newline' })(item(cef), 'cef')).toMatchObject({
      framed: `<14>1 2026-03-04T05:06:07.089Z ce-1 cloud-exchange - - - ${cef}\n`,
    });
    expect(encoder({ framing: 'datagram' })(item('{"a":1}', null), 'json')).toMatchObject({
      framed: '<14>1 2030-01-01T00:00:00.000Z ce-1 cloud-exchange - - - {"a":1}',
    });
  });

  it('keeps line breaks inside an octet-counted frame and escapes them under newline framing', () => {
    expect(encoder()(item('a\nb'), 'syslog')).toMatchObject({ framed: '3 a\nb' });
    expect(encoder({ framing: 'newline' })(item('a\n<13>1 forged'), 'syslog')).toMatchObject({
      framed: 'a\\n<13>1 forged\n',
    });
  });

  it('writes the replacement character for a lone surrogate, and counts its three bytes', () => {
    const encoded = encoder()(item('x\ud800y'), 'syslog');
    expect(encoded).toMatchObject({ framed: '5 x\ud800y', bytes: 5 });
    expect(Buffer.from('x\ud800y').toString()).toBe('x\uFFFDy');
  });

  it('truncates an oversized message at a character boundary, or refuses it', () => {
    const long = `${'é'.repeat(300)}`; // 600 bytes
    const cut = encoder({ maxMessageBytes: 481, framing: 'datagram' })(item(long), 'syslog');
    expect(cut).toMatchObject({ ok: true, bytes: 480, truncated: true, framed: 'é'.repeat(240) });
    expect(encoder({ maxMessageBytes: 480, oversize: 'reject' })(item(long), 'syslog')).toEqual({
      ok: false,
      reason: 'message of 600 bytes exceeds maxMessageBytes (480)',
    });
  });

  it('refuses an empty message, which octet counting cannot frame', () => {
    expect(encoder()(item(''), 'syslog')).toEqual({ ok: false, reason: 'empty message' });
  });
});
