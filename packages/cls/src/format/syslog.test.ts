import { ConfigError } from '@ce/core';
import { describe, expect, it } from 'vitest';
import dlpAlert from '../__fixtures__/dlp-alert.json' with { type: 'json' };
import { defaultMappings } from '../mapping/default-mappings.js';
import { resolveMapping } from '../mapping/load-mapping.js';
import type { CefMapping, SyslogMapping } from '../mapping/mapping-schema.js';
import { compileCefFormatter } from './cef.js';
import { frameNewline, frameOctetCounting } from './framing.js';
import { createSyslogWrapper, formatStructuredData, toSyslog } from './syslog.js';
import { compileSyslogMapping } from './syslog-mapping.js';

const at = Date.UTC(2024, 0, 5, 3, 4, 5, 678);

describe('toSyslog RFC 5424', () => {
  it('writes the header, structured data and message (golden)', () => {
    expect(
      toSyslog('CEF:0|Netskope|acme|v2|page|x|Unknown|suser=alice', {
        facility: 'local0',
        severity: 'warning',
        hostname: 'ce-1.example.com',
        appName: 'netskope',
        procId: '4242',
        msgId: 'page',
        timestamp: at,
        structuredData: [
          { id: 'netskope@32473', params: { tenant: 'acme', count: 3, ok: true, skip: undefined } },
        ],
      }),
    ).toBe(
      '<132>1 2024-01-05T03:04:05.678Z ce-1.example.com netskope 4242 page [netskope@32473 tenant="acme" count="3" ok="true"] CEF:0|Netskope|acme|v2|page|x|Unknown|suser=alice',
    );
  });

  it('uses the NILVALUE for missing fields and leaves out an empty message', () => {
    expect(toSyslog('', { hostname: 'h', timestamp: at })).toBe('<14>1 2024-01-05T03:04:05.678Z h - - - -');
    expect(toSyslog('m', { hostname: '', timestamp: Number.NaN })).toBe('<14>1 - - - - - - m');
  });

  it('cuts header fields to their limits and keeps them printable ASCII', () => {
    const line = toSyslog('m', {
      hostname: `h${'o'.repeat(300)}`,
      appName: `a pp\u00e9${'p'.repeat(60)}`,
      procId: 'p'.repeat(200),
      msgId: 'm'.repeat(40),
      timestamp: at,
    });
    const [, , host, app, proc, msgId] = line.split(' ');
    expect(host).toHaveLength(255);
    expect(app).toHaveLength(48);
    expect(app?.startsWith('a_pp_')).toBe(true);
    expect(proc).toHaveLength(128);
    expect(msgId).toHaveLength(32);
    expect(line).toMatch(/^[\x21-\x7e ]+$/);
  });

  it('escapes ", \\ and ] in structured data values and keeps them on one line', () => {
    expect(formatStructuredData([{ id: 'x@1', params: { v: 'a"b\\c]d\ne' } }])).toBe(
      '[x@1 v="a\\"b\\\\c\\]d\\ne"]',
    );
    expect(
      formatStructuredData([
        { id: 'x@1', params: {} },
        { id: 'y@2', params: { a: '' } },
      ]),
    ).toBe('[x@1][y@2 a=""]');
  });

  it('rejects SD-IDs and PARAM-NAMEs that break the grammar, naming the path', () => {
    for (const id of ['has space', 'a=b', 'a]b', 'a"b', '', 'x'.repeat(33), 'é']) {
      expect(() => formatStructuredData([{ id, params: {} }])).toThrow(ConfigError);
    }
    try {
      formatStructuredData([{ id: 'ok@1', params: { 'bad name': 'v' } }]);
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).issues[0]?.path).toBe('structuredData[0].params.bad name');
    }
  });

  it('escapes line breaks in the message so a record can never become two', () => {
    const line = toSyslog('first\n<13>1 2024-01-01T00:00:00Z evil - - - - forged\r\n', {
      hostname: 'h',
      timestamp: at,
    });
    expect(line).not.toMatch(/[\r\n]/);
    expect(line.endsWith('first\\n<13>1 2024-01-01T00:00:00Z evil - - - - forged\\r\\n')).toBe(true);
  });

  it('adds a BOM when asked and cuts the message to maxLineBytes', () => {
    expect(toSyslog('é', { hostname: 'h', timestamp: at, bom: true })).toBe(
      '<14>1 2024-01-05T03:04:05.678Z h - - - - \uFEFFé',
    );
    const long = toSyslog('€'.repeat(100_000), { hostname: 'h', timestamp: at, maxLineBytes: 2048 });
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(2048);
    expect(Buffer.byteLength(long)).toBeGreaterThan(2040);
  });

  it('rejects unknown facilities and severities', () => {
    expect(() => toSyslog('m', { facility: 24 })).toThrow(ConfigError);
    expect(() => toSyslog('m', { facility: 'nope' as 'user' })).toThrow(/facility/);
    expect(() => toSyslog('m', { severity: 8 })).toThrow(/severity/);
  });
});

describe('toSyslog RFC 3164', () => {
  it('writes <PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG (golden)', () => {
    expect(
      toSyslog('hello', {
        format: 'rfc3164',
        facility: 'auth',
        severity: 'err',
        hostname: 'ce-1',
        appName: 'netskope',
        procId: '77',
        timestamp: at,
      }),
    ).toBe('<35>Jan  5 03:04:05 ce-1 netskope[77]: hello');
    expect(
      toSyslog('hello', {
        format: 'rfc3164',
        hostname: 'ce 1',
        appName: 'a:b[c]',
        timestamp: Date.UTC(2024, 10, 25),
      }),
    ).toBe('<14>Nov 25 00:00:00 ce_1 abc: hello');
    expect(toSyslog('x\ny', { format: 'rfc3164', hostname: 'h', timestamp: at })).toBe(
      '<14>Jan  5 03:04:05 h x\\ny',
    );
  });
});

describe('createSyslogWrapper with a mapping', () => {
  it('wraps a default-mapped DLP alert in RFC 5424 with per-record fields (golden)', () => {
    const mapping = resolveMapping(defaultMappings, 'alerts', 'dlp');
    const cef = compileCefFormatter(mapping.cef as CefMapping, { tenant: 'acme' });
    const fields = compileSyslogMapping(mapping.syslog as SyslogMapping, { tenant: 'acme' });
    const wrap = createSyslogWrapper({ facility: 'local4', hostname: 'ce-1', appName: 'fallback' });
    expect(fields(dlpAlert).timestamp).toBe(Date.parse(dlpAlert.timestamp));
    const line = wrap(cef(dlpAlert), fields(dlpAlert));
    expect(
      line.startsWith(
        '<162>1 2024-06-01T12:30:05.250Z ce-1 netskope - dlp [netskope@32473 tenant="acme" type="alerts" subtype="dlp" id="0a9b8c7d6e5f403122334455"] CEF:0|Netskope|acme|v2|DLP|PCI data upload|Very-High|rt=1717245005250 ',
      ),
    ).toBe(true);
    expect(wrap('m', { timestamp: at })).toBe('<166>1 2024-01-05T03:04:05.678Z ce-1 fallback - - - m');
  });

  it('maps Netskope severities to syslog severities and omits missing parameters', () => {
    const fields = compileSyslogMapping({
      severity: { field: 'severity' },
      msgId: { field: 'type' },
      structuredData: { 'a@1': { id: { field: '_id' } }, 'b@1': { x: { field: 'missing' } } },
    });
    expect(fields({ severity: 'high', _id: '1' })).toEqual({
      severity: 3,
      structuredData: [{ id: 'a@1', params: { id: '1' } }],
    });
    expect(fields({ severity: 'whatever' })).toEqual({});
  });
});

describe('framing', () => {
  it('counts octets in UTF-8 bytes', () => {
    expect(frameOctetCounting('<14>1 - h - - - - é')).toBe('20 <14>1 - h - - - - é');
  });

  it('ends a line with LF and escapes any line break inside', () => {
    expect(frameNewline('a')).toBe('a\n');
    expect(frameNewline('a\nb\rc')).toBe('a\\nb\\rc\n');
  });
});
