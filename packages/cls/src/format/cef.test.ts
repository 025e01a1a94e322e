import { describe, expect, it } from 'vitest';
import dlpAlert from '../__fixtures__/dlp-alert.json' with { type: 'json' };
import pageEvent from '../__fixtures__/page-event.json' with { type: 'json' };
import { defaultMappings } from '../mapping/default-mappings.js';
import { resolveMapping } from '../mapping/load-mapping.js';
import type { CefMapping } from '../mapping/mapping-schema.js';
import { compileCefFormatter, toCef } from './cef.js';

const page = resolveMapping(defaultMappings, 'events', 'page').cef as CefMapping;
const dlp = resolveMapping(defaultMappings, 'alerts', 'dlp').cef as CefMapping;

const small: CefMapping = {
  header: {
    vendor: { constant: 'Netskope' },
    product: { template: '{{tenant}}' },
    version: { constant: '1.0' },
    eventClassId: { field: 'type' },
    name: { field: 'name' },
    severity: { field: 'severity' },
  },
  extension: {
    msg: { field: 'msg' },
    suser: { field: 'user' },
    src: { field: 'srcip', transform: 'ip' },
  },
};

/** Splits a CEF line the way a strict receiver does: 7 unescaped pipes, then unescaped `key=`. */
function parseCef(line: string): { header: string[]; extension: Record<string, string> } {
  const header: string[] = [];
  let field = '';
  let i = 0;
  for (; i < line.length && header.length < 7; i++) {
    const c = line[i];
    if (c === '\\') {
      field += line[i + 1];
      i++;
    } else if (c === '|') {
      header.push(field);
      field = '';
    } else field += c;
  }
  const rest = line.slice(i);
  const extension: Record<string, string> = {};
  const keyAt = /(?:^| )([A-Za-z0-9_.-]+)=/g;
  const starts: Array<{ key: string; at: number; valueAt: number }> = [];
  for (const match of rest.matchAll(keyAt)) {
    const before = rest.slice(0, match.index + (match[0].startsWith(' ') ? 1 : 0));
    const trailing = /\\*$/.exec(before)?.[0].length ?? 0;
    if (trailing % 2 === 1) continue;
    starts.push({ key: match[1] as string, at: match.index, valueAt: match.index + match[0].length });
  }
  starts.forEach((start, n) => {
    const end = n + 1 < starts.length ? (starts[n + 1] as { at: number }).at : rest.length;
    extension[start.key] = rest
      .slice(start.valueAt, end)
      .replace(/\\(.)/g, (_m, ch: string) => (ch === 'n' ? '\n' : ch === 'r' ? '\r' : ch));
  });
  return { header, extension };
}

describe('compileCefFormatter', () => {
  it('formats a page event with the default mapping (golden)', () => {
    expect(compileCefFormatter(page, { tenant: 'acme' })(pageEvent)).toBe(
      'CEF:0|Netskope|acme|v2|page|Google Drive Upload|Unknown|rt=1717243200000 externalId=f1e2d3c4b5a6978877665544 suser=alice@example.com src=10.1.2.3 dst=2001:db8::5 request=https://drive.google.com/file/d/abc?export\\=download dhost=drive.google.com dpt=443 act=block cat=Cloud Storage destinationServiceName=Google Drive requestClientApplication=Mozilla/5.0 (Windows NT 10.0; Win64; x64) in=1834 out=20480 cs1Label=activity cs1=Upload cs2Label=accessMethod cs2=Client cs3Label=site cs3=Google Drive cs4Label=trafficType cs4=CloudApp cs5Label=transactionId cs5=7379289410245673216 cs6Label=requestId cs6=3812938457783848193 shost=LAPTOP-7Q2 os=Windows 11 browser=Chrome device=Windows Device policy=Block uploads to personal drives',
    );
  });

  it('formats a DLP alert with the default mapping (golden)', () => {
    expect(compileCefFormatter(dlp, { tenant: 'acme' })(dlpAlert)).toBe(
      'CEF:0|Netskope|acme|v2|DLP|PCI data upload|Very-High|rt=1717245005250 externalId=0a9b8c7d6e5f403122334455 suser=bob@example.com src=192.0.2.10 dst=198.51.100.7 act=block destinationServiceName=Box cat=Cloud Storage request=https://app.box.com/folder/1 cs1Label=policy cs1=DLP | PCI cs2Label=activity cs2=Upload cs3Label=dlpIncidentId cs3=4096734523984562311 cs4Label=dlpProfile cs4=PCI-DSS cs5Label=dlpRule cs5=Credit card numbers cs6Label=dlpRuleSeverity cs6=High fname=cards\\=2024.xlsx filePath=C:\\\\Users\\\\bob\\\\cards\\=2024.xlsx fileType=Microsoft Excel fsize=48213 fileHash=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 accessMethod=API Connector transactionId=123456789',
    );
  });

  it('uses the product default when no tenant is given, and CEF:1 on request', () => {
    const line = compileCefFormatter(page, { cefVersion: 1 })({ _id: 'x' });
    expect(line).toBe('CEF:1|Netskope|Security Cloud|v2|page|Page event|Unknown|externalId=x');
  });

  it('leaves out missing keys and uses defaults', () => {
    const format = compileCefFormatter({
      header: { vendor: { constant: 'V' } },
      extension: {
        a: { field: 'a' },
        b: { field: 'b', default: 'none' },
        c: { field: 'c' },
        d: { field: 'd' },
      },
    });
    expect(format({ c: 'x', d: '' })).toBe('CEF:0|V|||||Unknown|b=none c=x');
    expect(format({})).toBe('CEF:0|V|||||Unknown|b=none');
  });

  it('normalises severity words and numbers', () => {
    const format = compileCefFormatter(small);
    const severity = (value: unknown) => parseCef(format({ severity: value })).header[6];
    expect(severity('critical')).toBe('Very-High');
    expect(severity('HIGH')).toBe('High');
    expect(severity('med')).toBe('Medium');
    expect(severity('info')).toBe('Low');
    expect(severity(7)).toBe('7');
    expect(severity(12)).toBe('10');
    expect(severity('bogus')).toBe('Unknown');
    expect(severity(undefined)).toBe('Unknown');
  });

  it('fills {{tenant}} in templates at compile time', () => {
    const format = compileCefFormatter(
      { header: { name: { template: '{{tenant}}: {{app}} {{activity}}' } }, extension: {} },
      { tenant: 'acme' },
    );
    expect(parseCef(format({ app: 'Box', activity: 'Upload' })).header[5]).toBe('acme: Box Upload');
    expect(parseCef(format({ app: 'Box' })).header[5]).toBe('acme: Box');
  });

  it('toCef formats the same as the compiled formatter', () => {
    expect(toCef(pageEvent, page, { tenant: 'acme' })).toBe(
      compileCefFormatter(page, { tenant: 'acme' })(pageEvent),
    );
    expect(toCef(pageEvent, page, { tenant: 'acme' })).toBe(toCef(pageEvent, page, { tenant: 'acme' }));
  });
});

describe('CEF injection safety', () => {
  const format = compileCefFormatter(small, { tenant: 'ten|ant' });

  it('escapes pipes and backslashes in the header and strips line breaks from it', () => {
    const line = format({ type: 'a|b\\c', name: 'evil\nCEF:0|fake|x|y|z|n|10|', severity: 'high' });
    expect(line).not.toMatch(/[\r\n]/);
    const { header } = parseCef(line);
    expect(header).toEqual([
      'CEF:0',
      'Netskope',
      'ten|ant',
      '1.0',
      'a|b\\c',
      'evil CEF:0|fake|x|y|z|n|10|',
      'High',
    ]);
  });

  it('escapes =, \\ and newlines in values so no value forges a key', () => {
    const msg = 'x suser=admin src=1.2.3.4 \\ end\r\nnext line';
    const line = format({ msg, user: 'alice\\=bob', srcip: '10.0.0.1' });
    expect(line).not.toMatch(/[\r\n]/);
    expect(line).toContain('msg=x suser\\=admin src\\=1.2.3.4 \\\\ end\\r\\nnext line suser=alice\\\\\\=bob');
    expect(parseCef(line).extension).toEqual({ msg, suser: 'alice\\=bob', src: '10.0.0.1' });
  });

  it('keeps pipes and quotes in values as they are', () => {
    expect(parseCef(format({ msg: 'a|b "c" ]d' })).extension.msg).toBe('a|b "c" ]d');
  });

  it('replaces lone surrogates with U+FFFD and keeps valid pairs', () => {
    const line = format({ msg: 'bad \uD800 pair 😀 end \uDC00', name: 'x\uDBFF' });
    expect(line).toContain('msg=bad \uFFFD pair 😀 end \uFFFD');
    expect(parseCef(line).header[5]).toBe('x\uFFFD');
    expect(Buffer.from(line, 'utf8').toString('utf8')).toBe(line);
  });

  it('turns other control characters into spaces', () => {
    expect(parseCef(format({ msg: 'a\u0000b\u001bc\u007fd\te' })).extension.msg).toBe('a b c d\te');
  });

  it('drops a value that is not an IP for an ip key', () => {
    expect(parseCef(format({ srcip: '10.0.0.1 dst=6.6.6.6' })).extension).toEqual({});
  });

  it('cuts values to the key limit of the CEF dictionary', () => {
    const line = format({ msg: 'm'.repeat(5000), user: 'u'.repeat(2000) });
    const { extension } = parseCef(line);
    expect(extension.msg).toHaveLength(1023);
    expect(extension.suser).toHaveLength(1023);
  });

  it('cuts a 1 MB value and keeps the line within maxLineBytes', () => {
    const huge = `${'\\='.repeat(250_000)}${'é'.repeat(250_000)}`;
    const long = compileCefFormatter(
      {
        header: { vendor: { constant: 'V' } },
        extension: { a: { field: 'a', maxLength: 2_000_000 }, b: { field: 'b' } },
      },
      { maxLineBytes: 65_536 },
    );
    const line = long({ a: huge, b: 'tail' });
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(65_536);
    expect(Buffer.byteLength(line)).toBeGreaterThan(65_000);
    // Whole `\\\=` units, possibly ending with one complete `\\` escape; never printed on failure.
    expect(/^CEF:0\|V\|\|\|\|\|Unknown\|a=(\\\\\\=)+(\\\\)?$/.test(line)).toBe(true);
    expect(line.includes('b=tail')).toBe(false);
  });

  it('never splits a multi-byte character or an escape when cutting the line', () => {
    const long = compileCefFormatter(
      { extension: { a: { field: 'a', maxLength: 10_000 } } },
      { maxLineBytes: 200 },
    );
    for (const filler of ['é', '😀', '\\', '=', 'x\\']) {
      const line = long({ a: filler.repeat(500) });
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(200);
      expect(Buffer.from(line, 'utf8').toString('utf8')).toBe(line);
      const value = line.slice(line.indexOf('a=') + 2);
      expect((/\\*$/.exec(value)?.[0].length ?? 0) % 2).toBe(0);
    }
  });
});
