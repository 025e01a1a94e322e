import { ConfigError } from '@ce/core';
import { describe, expect, it } from 'vitest';
import dlpAlert from '../__fixtures__/dlp-alert.json' with { type: 'json' };
import pageEvent from '../__fixtures__/page-event.json' with { type: 'json' };
import { defaultMappings } from '../mapping/default-mappings.js';
import { resolveMapping } from '../mapping/load-mapping.js';
import type { LeefMapping } from '../mapping/mapping-schema.js';
import { compileLeefFormatter, toLeef } from './leef.js';

const page = resolveMapping(defaultMappings, 'events', 'page').leef as LeefMapping;
const dlp = resolveMapping(defaultMappings, 'alerts', 'dlp').leef as LeefMapping;

const small: LeefMapping = {
  header: {
    vendor: { constant: 'Netskope' },
    product: { template: '{{tenant}}' },
    version: { constant: '1.0' },
    eventId: { field: 'type' },
  },
  attributes: { usrName: { field: 'user' }, msg: { field: 'msg' }, src: { field: 'srcip', transform: 'ip' } },
};

/** Splits LEEF the way QRadar does: 5 (or 6) pipes, then the delimiter, then the first `=`. */
function parseLeef(line: string, delimiter = '\t'): { header: string[]; attributes: Record<string, string> } {
  const parts = line.split('|');
  const headerCount = parts[0] === 'LEEF:2.0' ? 6 : 5;
  const header = parts.slice(0, headerCount);
  const rest = parts.slice(headerCount).join('|');
  const attributes: Record<string, string> = {};
  for (const pair of rest.split(delimiter)) {
    const eq = pair.indexOf('=');
    attributes[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { header, attributes };
}

describe('compileLeefFormatter', () => {
  it('formats a DLP alert as LEEF 1.0 with tabs (golden)', () => {
    expect(compileLeefFormatter(dlp, { tenant: 'acme' })(dlpAlert)).toBe(
      [
        'LEEF:1.0|Netskope|acme|v2|DLP|devTime=Jun 01 2024 12:30:05.250 UTC',
        'devTimeFormat=MMM dd yyyy HH:mm:ss.SSS z',
        'externalId=0a9b8c7d6e5f403122334455',
        'usrName=bob@example.com',
        'src=192.0.2.10',
        'dst=198.51.100.7',
        'action=block',
        'app=Box',
        'cat=Cloud Storage',
        'url=https://app.box.com/folder/1',
        'policy=DLP | PCI',
        'activity=Upload',
        'dlpIncidentId=4096734523984562311',
        'dlpProfile=PCI-DSS',
        'dlpRule=Credit card numbers',
        'dlpRuleSeverity=High',
        'fileName=cards=2024.xlsx',
        'filePath=C:\\Users\\bob\\cards=2024.xlsx',
        'fileType=Microsoft Excel',
        'fileSize=48213',
        'fileHash=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
        'accessMethod=API Connector',
        'transactionId=123456789',
      ].join('\t'),
    );
  });

  it('formats a page event as LEEF 2.0 with a caret delimiter (golden)', () => {
    const line = compileLeefFormatter(page, { tenant: 'acme', version: '2.0', delimiter: '^' })(pageEvent);
    expect(
      line.startsWith('LEEF:2.0|Netskope|acme|v2|page|^|devTime=Jun 01 2024 12:00:00.000 UTC^devTimeFormat='),
    ).toBe(true);
    expect(line).toBe(
      'LEEF:2.0|Netskope|acme|v2|page|^|devTime=Jun 01 2024 12:00:00.000 UTC^devTimeFormat=MMM dd yyyy HH:mm:ss.SSS z^externalId=f1e2d3c4b5a6978877665544^usrName=alice@example.com^src=10.1.2.3^dst=2001:db8::5^url=https://drive.google.com/file/d/abc?export=download^dstHost=drive.google.com^dstPort=443^action=block^cat=Cloud Storage^app=Google Drive^userAgent=Mozilla/5.0 (Windows NT 10.0; Win64; x64)^srcBytes=1834^dstBytes=20480^activity=Upload^accessMethod=Client^site=Google Drive^trafficType=CloudApp^transactionId=7379289410245673216^requestId=3812938457783848193^identHostName=LAPTOP-7Q2^os=Windows 11^browser=Chrome^device=Windows Device^policy=Block uploads to personal drives',
    );
  });

  it('writes a non-printable delimiter as hex in the LEEF 2.0 header and accepts hex input', () => {
    expect(compileLeefFormatter(small, { version: '2.0' })({ type: 'x', user: 'u', msg: 'm' })).toBe(
      'LEEF:2.0|Netskope||1.0|x|x09|usrName=u\tmsg=m',
    );
    expect(compileLeefFormatter(small, { version: '2.0', delimiter: 'x5E' })({ user: 'u', msg: 'm' })).toBe(
      'LEEF:2.0|Netskope||1.0||^|usrName=u^msg=m',
    );
    expect(compileLeefFormatter(small, { version: '2.0', delimiter: '0x3B' })({ user: 'u' })).toBe(
      'LEEF:2.0|Netskope||1.0||;|usrName=u',
    );
  });

  it('rejects delimiters that would break the format, naming the option', () => {
    for (const delimiter of ['=', '|', '\\', '\n', 'ab', '']) {
      expect(() => compileLeefFormatter(small, { version: '2.0', delimiter })).toThrow(ConfigError);
    }
    expect(() => compileLeefFormatter(small, { version: '1.0', delimiter: '^' })).toThrow(/LEEF 1.0/);
    const error = (() => {
      try {
        compileLeefFormatter(small, { version: '2.0', delimiter: '=' });
      } catch (caught) {
        return caught as ConfigError;
      }
    })();
    expect(error?.issues[0]?.path).toBe('delimiter');
    expect(() =>
      compileLeefFormatter(small, { version: '2.0', delimiter: '^', delimiterReplacement: '^' }),
    ).toThrow(ConfigError);
  });

  it('toLeef matches the compiled formatter', () => {
    expect(toLeef(dlpAlert, dlp, { tenant: 'acme' })).toBe(
      compileLeefFormatter(dlp, { tenant: 'acme' })(dlpAlert),
    );
  });
});

describe('LEEF injection safety', () => {
  it('replaces the delimiter inside values so no value forges an attribute', () => {
    const tab = compileLeefFormatter(small);
    const line = tab({ user: 'alice\tusrName=admin', msg: 'a\tb', srcip: '10.0.0.1' });
    expect(parseLeef(line).attributes).toEqual({
      usrName: 'alice usrName=admin',
      msg: 'a b',
      src: '10.0.0.1',
    });
    const caret = compileLeefFormatter(small, { version: '2.0', delimiter: '^', delimiterReplacement: '_' });
    const caretLine = caret({ user: 'x^src=6.6.6.6', msg: 'tab\tstays' });
    expect(parseLeef(caretLine, '^').attributes).toEqual({ usrName: 'x_src=6.6.6.6', msg: 'tab\tstays' });
  });

  it('never writes a raw line break, and escapes pipes in the header', () => {
    const line = compileLeefFormatter(small, { tenant: 'a|b' })({
      type: 'evil\r\nLEEF:1.0|x|y|z|w|',
      msg: 'line1\nline2\r',
      user: 'bad\uD800',
    });
    expect(line).not.toMatch(/[\r\n]/);
    expect(line.startsWith('LEEF:1.0|Netskope|a\\|b|1.0|evil  LEEF:1.0\\|x\\|y\\|z\\|w\\||')).toBe(true);
    expect(parseLeef(line.replace(/\\\|/g, '¦')).attributes).toEqual({
      usrName: 'bad\uFFFD',
      msg: 'line1\\nline2\\r',
    });
  });

  it('keeps a 1 MB value within maxLineBytes', () => {
    const format = compileLeefFormatter(
      { attributes: { a: { field: 'a', maxLength: 2_000_000 }, b: { field: 'b' } } },
      { maxLineBytes: 4096 },
    );
    const line = format({ a: 'ü'.repeat(1_000_000), b: 'tail' });
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(4096);
    expect(Buffer.byteLength(line)).toBeGreaterThan(4000);
    expect(line.includes('b=tail')).toBe(false);
  });
});
