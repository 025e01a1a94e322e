import type { IndicatorReportInput } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { maybeGunzip } from './feed-body.js';
import { feedConfigSchema } from './feed-config.js';
import { readFeedFixture } from './feed-mock-server.js';
import { createFeedParser } from './feed-parser.js';
import { FeedStats, readFeedIndicators } from './feed-reader.js';

/** One buffer as a chunk stream, as an HTTP body or a file arrives. */
async function* singleChunk(buffer: Buffer): AsyncGenerator<Buffer> {
  if (buffer.length > 0) yield buffer;
}

async function read(config: Record<string, unknown>, body: string | Buffer) {
  const parser = createFeedParser(feedConfigSchema.parse({ url: 'https://feeds.example.com/x', ...config }));
  const stats = new FeedStats();
  const indicators: IndicatorReportInput[] = [];
  const chunks = maybeGunzip(singleChunk(Buffer.from(body)), 'auto', 10_000_000);
  for await (const indicator of readFeedIndicators(chunks, parser, stats)) indicators.push(indicator);
  return { indicators, stats };
}

const utc = (text: string) => Date.parse(`${text.replace(' ', 'T')}Z`);

describe('presets read the documented public formats', () => {
  it('urlhaus: the csv_recent dump with its # banner and commented header', async () => {
    const { indicators, stats } = await read(
      { preset: 'urlhaus' },
      readFeedFixture('urlhaus-csv-recent.csv'),
    );
    expect(stats.skippedTotal).toBe(0);
    expect(indicators).toEqual([
      {
        value: 'http://192.0.2.15:46375/i',
        type: 'url',
        severity: 'high',
        reputation: 9,
        tags: ['urlhaus', 'malware_download', '32-bit', 'elf', 'mips', 'Mozi'],
        comments: 'URLhaus: malware_download (online)',
        firstSeen: utc('2025-03-01 11:58:12'),
        lastSeen: utc('2025-03-01 11:58:12'),
        externalUrl: 'https://urlhaus.abuse.ch/url/3400101/',
      },
      expect.objectContaining({
        value: 'https://files.example.com/invoice/INV-2291.exe',
        tags: ['urlhaus', 'malware_download', 'exe', 'RemcosRAT'],
      }),
      {
        value: 'http://198.51.100.23/bins/x86',
        type: 'url',
        severity: 'medium',
        reputation: 7,
        tags: ['urlhaus', 'malware_download'],
        comments: 'URLhaus: malware_download (offline)',
        firstSeen: utc('2025-03-01 10:02:55'),
        externalUrl: 'https://urlhaus.abuse.ch/url/3400097/',
      },
      expect.objectContaining({ value: 'http://update.example.net/wp-content/load.php?id=77,78' }),
    ]);
  });

  it('threatfox-csv: ip:port becomes ipv4, confidence drives severity and reputation, unknown types are skipped', async () => {
    const { indicators, stats } = await read(
      { preset: 'threatfox-csv' },
      readFeedFixture('threatfox-csv-recent.csv'),
    );
    expect(indicators[0]).toEqual({
      value: '192.0.2.44',
      type: 'ipv4',
      severity: 'high',
      reputation: 10,
      confidence: 100,
      tags: ['threatfox', 'botnet_cc', 'Cobalt Strike', 'c2', 'CobaltStrike'],
      comments: 'ThreatFox: Cobalt Strike (botnet_cc)',
      firstSeen: utc('2025-03-01 11:50:02'),
      lastSeen: utc('2025-03-01 11:55:00'),
      externalUrl: 'https://threatfox.abuse.ch/ioc/1450001/',
    });
    expect(indicators.map((i) => [i.type, i.value, i.severity, i.confidence])).toEqual([
      ['ipv4', '192.0.2.44', 'high', 100],
      ['domain', 'login-verify.example.org', 'high', 75],
      ['url', 'http://203.0.113.9/gate.php', 'medium', 50],
      ['md5', 'b93d10b371828e6cfa46e0aa886e60f8', 'high', 100],
      ['sha256', '06ada57c26aa5cf429e9f2c0a99e3e4a42daecd45fc4c955d7c1399ab4227ae8', 'low', 25],
    ]);
    expect(indicators[1]?.tags).toEqual(['threatfox', 'payload_delivery', 'ClearFake', 'compromised']);
    expect(stats.skipped).toEqual({ 'unsupported-type': 1 });
    expect(stats.samples[0]?.reason).toBe('unsupported ioc_type "sha3_384_hash"');
  });

  it('threatfox-csv: reads columns by name, so the older export without is_compromised works too', async () => {
    const body = [
      '# "first_seen_utc","ioc_id","ioc_value","ioc_type","threat_type","fk_malware","malware_alias","malware_printable","last_seen_utc","confidence_level","reference","tags","anonymous","reporter"',
      '"2024-05-01 10:00:00", "1200", "c2.example.net", "domain", "botnet_cc", "win.x", "None", "XBot", "", "90", "None", "None", "0", "r"',
    ].join('\n');
    const { indicators } = await read({ preset: 'threatfox-csv' }, body);
    expect(indicators).toEqual([
      expect.objectContaining({ value: 'c2.example.net', type: 'domain', confidence: 90, reputation: 9 }),
    ]);
  });

  it('threatfox-json: the export keyed by IOC id', async () => {
    const { indicators, stats } = await read(
      { preset: 'threatfox-json' },
      readFeedFixture('threatfox-json-recent.json'),
    );
    expect(stats.skippedTotal).toBe(0);
    expect(indicators.map((i) => [i.type, i.value, i.externalUrl])).toEqual([
      [
        'sha256',
        '06ada57c26aa5cf429e9f2c0a99e3e4a42daecd45fc4c955d7c1399ab4227ae8',
        'https://threatfox.abuse.ch/ioc/1449995/',
      ],
      ['domain', 'login-verify.example.org', 'https://threatfox.abuse.ch/ioc/1450000/'],
      ['ipv4', '192.0.2.44', 'https://threatfox.abuse.ch/ioc/1450001/'],
    ]);
    expect(indicators[2]).toMatchObject({
      confidence: 100,
      tags: ['threatfox', 'botnet_cc', 'Cobalt Strike', 'c2', 'CobaltStrike'],
    });
    expect(indicators[0]).toMatchObject({
      severity: 'low',
      reputation: 3,
      tags: ['threatfox', 'payload', 'Remcos'],
    });
  });

  it('malwarebazaar: sha256 per sample by default, md5 and sha1 on request', async () => {
    const fixture = readFeedFixture('malwarebazaar-csv-recent.csv');
    const { indicators } = await read({ preset: 'malwarebazaar' }, fixture);
    expect(indicators[0]).toEqual({
      value: '06ada57c26aa5cf429e9f2c0a99e3e4a42daecd45fc4c955d7c1399ab4227ae8',
      type: 'sha256',
      severity: 'high',
      reputation: 9,
      tags: ['malwarebazaar', 'RemcosRAT', 'exe'],
      comments: 'MalwareBazaar sample INV-2291.exe (RemcosRAT)',
      firstSeen: utc('2025-03-01 11:59:01'),
    });
    expect(indicators.map((i) => i.type)).toEqual(['sha256', 'sha256', 'sha256']);
    expect(indicators[2]?.tags).toEqual(['malwarebazaar', 'js']);
    const all = await read({ preset: 'malwarebazaar', hashTypes: ['sha256', 'md5', 'sha1'] }, fixture);
    expect(all.indicators.slice(0, 3).map((i) => [i.type, i.value])).toEqual([
      ['sha256', '06ada57c26aa5cf429e9f2c0a99e3e4a42daecd45fc4c955d7c1399ab4227ae8'],
      ['md5', 'b93d10b371828e6cfa46e0aa886e60f8'],
      ['sha1', '53fcd5fea6207d2e3be667547062dd9f2999b4de'],
    ]);
    expect(all.indicators).toHaveLength(9);
  });

  it('feodo-csv: quoted header row, family as a tag, online servers critical', async () => {
    const { indicators } = await read({ preset: 'feodo-csv' }, readFeedFixture('feodo-ipblocklist.csv'));
    expect(indicators).toEqual([
      {
        value: '192.0.2.81',
        type: 'ipv4',
        severity: 'critical',
        reputation: 10,
        tags: ['feodotracker', 'botnet-c2', 'QakBot'],
        comments: 'Feodo Tracker: QakBot C2 on port 443 (online)',
        firstSeen: utc('2024-11-02 08:14:51'),
        lastSeen: Date.UTC(2025, 2, 1),
      },
      expect.objectContaining({
        value: '198.51.100.140',
        severity: 'high',
        reputation: 8,
        tags: ['feodotracker', 'botnet-c2', 'Emotet'],
      }),
      expect.objectContaining({ value: '203.0.113.200', tags: ['feodotracker', 'botnet-c2', 'Pikabot'] }),
    ]);
  });

  it('feodo-text and openphish: one value per line', async () => {
    const feodo = await read({ preset: 'feodo-text' }, readFeedFixture('feodo-ipblocklist.txt'));
    expect(feodo.indicators).toEqual([
      {
        value: '192.0.2.81',
        type: 'ipv4',
        severity: 'critical',
        reputation: 10,
        tags: ['feodotracker', 'botnet-c2'],
      },
      {
        value: '203.0.113.200',
        type: 'ipv4',
        severity: 'critical',
        reputation: 10,
        tags: ['feodotracker', 'botnet-c2'],
      },
    ]);
    const phish = await read({ preset: 'openphish' }, readFeedFixture('openphish-feed.txt'));
    expect(phish.indicators.map((i) => i.value)).toEqual([
      'https://secure-login.example.com/account/verify.php',
      'http://198.51.100.77/~bank/signin/',
      'https://wallet-support.example.net/recover?session=8841',
      'https://docs-share.example.org/view/d/1AbC',
    ]);
    expect(phish.indicators[0]).toEqual({
      value: 'https://secure-login.example.com/account/verify.php',
      type: 'url',
      severity: 'high',
      reputation: 8,
      tags: ['openphish', 'phishing'],
    });
  });

  it('spamhaus-drop-json: JSON Lines with a metadata line that is ignored, not counted as bad', async () => {
    const { indicators, stats } = await read(
      { preset: 'spamhaus-drop-json' },
      readFeedFixture('spamhaus-drop-v4.json'),
    );
    expect(indicators).toEqual([
      {
        value: '192.0.2.0/24',
        type: 'ipv4-cidr',
        severity: 'high',
        reputation: 10,
        tags: ['spamhaus-drop', 'arin'],
        comments: 'Spamhaus DROP SBL000101',
      },
      expect.objectContaining({ value: '198.51.100.0/24', tags: ['spamhaus-drop', 'ripencc'] }),
      expect.objectContaining({ value: '203.0.113.0/24', comments: 'Spamhaus DROP SBL000103' }),
    ]);
    expect(stats).toMatchObject({ ignored: 1, records: 4 });
    expect(stats.skippedTotal).toBe(0);
  });

  it('spamhaus-drop-text: ; comments and "cidr ; SBL" lines', async () => {
    const { indicators, stats } = await read(
      { preset: 'spamhaus-drop-text' },
      readFeedFixture('spamhaus-drop.txt'),
    );
    expect(stats.skippedTotal).toBe(0);
    expect(indicators).toEqual([
      {
        value: '192.0.2.0/24',
        type: 'ipv4-cidr',
        severity: 'high',
        reputation: 10,
        tags: ['spamhaus-drop'],
        comments: 'Spamhaus DROP SBL000101',
      },
      expect.objectContaining({ value: '198.51.100.0/24', comments: 'Spamhaus DROP SBL000102' }),
      expect.objectContaining({ value: '203.0.113.0/24', comments: 'Spamhaus DROP SBL000103' }),
    ]);
  });

  it('lets the configuration override severity and add tags and a TLP', async () => {
    const { indicators } = await read(
      { preset: 'feodo-text', severity: 'medium', tags: ['partner-feed'], tlp: 'amber' },
      readFeedFixture('feodo-ipblocklist.txt'),
    );
    expect(indicators[0]).toEqual({
      value: '192.0.2.81',
      type: 'ipv4',
      severity: 'medium',
      reputation: 10,
      tlp: 'amber',
      tags: ['feodotracker', 'botnet-c2', 'partner-feed'],
    });
  });
});

describe('generic formats', () => {
  it('lines: skips comments and blanks, takes inline comments and hosts-file lines, leaves the type to inference', async () => {
    const { indicators, stats } = await read({ format: 'lines' }, readFeedFixture('generic-list.txt'));
    expect(indicators).toEqual([
      { value: 'malicious.example.com' },
      { value: '192.0.2.200', comments: 'seen in the 2025-02 incident' },
      { value: 'https://download.example.net/payload.bin' },
      { value: 'ads.example.org' },
      { value: 'e0ef56d6eb603d9ffe87e74c28b8210b0ea93839e2ea4fb64f1fc2c66e95e391' },
    ]);
    expect(stats.skipped).toEqual({ 'invalid-value': 1 });
    expect(stats.samples).toEqual([
      {
        line: 9,
        kind: 'invalid-value',
        reason: 'the value contains whitespace',
        excerpt: 'this line is not an indicator',
      },
    ]);
  });

  it('lines: one type for every line', async () => {
    const { indicators } = await read(
      { format: 'lines', type: 'domain' },
      'a.example.com\r\nb.example.com\r\n',
    );
    expect(indicators).toEqual([
      { value: 'a.example.com', type: 'domain' },
      { value: 'b.example.com', type: 'domain' },
    ]);
  });

  it('csv: header row, delimiter, quoted fields with quotes, delimiters and line breaks, type names, tags, dates', async () => {
    const { indicators, stats } = await read(
      {
        format: 'csv',
        csv: { delimiter: ';' },
        tagSeparator: '|',
        fields: {
          value: 'indicator',
          type: 'kind',
          severity: 'risk',
          tags: 'labels',
          firstSeen: 'first',
          lastSeen: 'last',
          comment: 'note',
        },
      },
      readFeedFixture('generic-semicolon.csv'),
    );
    expect(stats.skippedTotal).toBe(0);
    expect(indicators).toEqual([
      {
        value: 'evil.example.com',
        type: 'domain',
        severity: 'high',
        tags: ['phishing', 'kit'],
        firstSeen: Date.parse('2025-02-01T10:00:00Z'),
        lastSeen: Date.parse('2025-03-01T10:00:00Z'),
        comments: 'seen in "spring" campaign; reported twice',
      },
      {
        value: '192.0.2.10',
        type: 'ipv4',
        severity: 'medium',
        tags: ['scanner'],
        firstSeen: 1_738_400_000_000,
        lastSeen: 1_740_800_000_000,
      },
      {
        value: 'https://cdn.example.net/a.js',
        type: 'url',
        severity: 'critical',
        tags: ['magecart'],
        firstSeen: Date.UTC(2025, 1, 10),
        comments: 'line one\nline two',
      },
      {
        value: 'f6441161b5da9315df77b8a7908bb2ef396e39ae545ae8cf728e8fb74d17294c',
        type: 'sha256',
        severity: 'low',
      },
    ]);
  });

  it('csv: columns by index with a fixed type, no header', async () => {
    const { indicators } = await read(
      { format: 'csv', type: 'ipv4', fields: { value: 1, comment: 2 } },
      '1,192.0.2.1,scanner\n2,192.0.2.2,"brute force, ssh"\n',
    );
    expect(indicators).toEqual([
      { value: '192.0.2.1', type: 'ipv4', comments: 'scanner' },
      { value: '192.0.2.2', type: 'ipv4', comments: 'brute force, ssh' },
    ]);
  });

  it('json: records at a path, nested field paths, non-objects counted as bad', async () => {
    const { indicators, stats } = await read(
      {
        format: 'json',
        json: { records: 'data.items' },
        fields: {
          value: 'indicator.value',
          type: 'indicator.kind',
          confidence: 'score',
          tags: 'labels',
          firstSeen: 'seen.first',
          lastSeen: 'seen.last',
        },
      },
      readFeedFixture('generic-nested.json'),
    );
    expect(indicators).toEqual([
      {
        value: 'bad.example.com',
        type: 'domain',
        confidence: 90,
        tags: ['c2', 'apt-x'],
        firstSeen: Date.parse('2025-02-01T00:00:00Z'),
        lastSeen: 1_740_830_400_000,
      },
      { value: '198.51.100.9', type: 'ipv4', confidence: 40, firstSeen: Date.parse('2025-02-15T00:00:00Z') },
      { value: 'user@phish.example.org', type: 'email', confidence: 70, tags: ['phishing'] },
    ]);
    expect(stats.skipped).toEqual({ 'invalid-value': 1 });
  });

  it('jsonl: bad lines are skipped and counted by kind, good ones kept', async () => {
    const { indicators, stats } = await read(
      { format: 'jsonl', fields: { value: 'value', type: 'type', tags: 'tags' } },
      readFeedFixture('generic.jsonl'),
    );
    expect(indicators).toEqual([
      { value: 'a.example.com', type: 'domain', tags: ['one'] },
      { value: '192.0.2.33', type: 'ipv4' },
      { value: '198.51.100.34', type: 'ipv4' },
    ]);
    expect(stats.skipped).toEqual({ malformed: 2, 'unsupported-type': 1 });
    expect(stats.samples.map((sample) => [sample.line, sample.reason])).toEqual([
      [3, 'not valid JSON'],
      [5, 'not a JSON object'],
      [6, 'unsupported type "mutex"'],
    ]);
  });

  it('typeMap maps vendor type names, or skips them', async () => {
    const { indicators, stats } = await read(
      {
        format: 'jsonl',
        fields: { value: 'v', type: 't' },
        typeMap: { 'Registry-Key': 'skip', hash: 'sha1' },
      },
      '{"v":"HKLM\\\\Run","t":"Registry-Key"}\n{"v":"53fcd5fea6207d2e3be667547062dd9f2999b4de","t":"hash"}\n',
    );
    expect(indicators).toEqual([{ value: '53fcd5fea6207d2e3be667547062dd9f2999b4de', type: 'sha1' }]);
    expect(stats).toMatchObject({ ignored: 1 });
  });
});

describe('bad input', () => {
  const csvConfig = { format: 'csv', fields: { value: 'url', tags: 'tags' } };

  it('skips rows whose column count changes half way and counts them', async () => {
    const body = [
      'url,tags',
      'http://a.example.com/,x',
      'http://b.example.com/,y',
      'id,url,tags,extra',
      '7,http://c.example.com/,z,1',
      'http://d.example.com/,w',
    ].join('\n');
    const { indicators, stats } = await read(csvConfig, body);
    expect(indicators.map((i) => i.value)).toEqual([
      'http://a.example.com/',
      'http://b.example.com/',
      'http://d.example.com/',
    ]);
    expect(stats.skipped).toEqual({ malformed: 2 });
    expect(stats.samples[0]).toEqual({
      line: 4,
      kind: 'malformed',
      reason: 'expected 2 fields, got 4',
      excerpt: 'id,url,tags,extra',
    });
  });

  it('rejects lines over maxLineBytes without keeping them, and goes on', async () => {
    const long = `https://long.example.com/${'a'.repeat(400)}`;
    const { indicators, stats } = await read(
      { format: 'lines', maxLineBytes: 256 },
      `https://ok.example.com/\n${long}\nhttps://ok2.example.com/\n`,
    );
    expect(indicators.map((i) => i.value)).toEqual(['https://ok.example.com/', 'https://ok2.example.com/']);
    expect(stats.skipped).toEqual({ oversized: 1 });
    expect(stats.samples[0]?.excerpt).toBe(long.slice(0, 80));
  });

  it('skips a quoted record that runs past the line limit, and one left open at the end', async () => {
    const body = `url,tags\nhttp://a.example.com/,"open\n${'x'.repeat(300)}\n${'y'.repeat(300)}\nhttp://b.example.com/,ok\nhttp://c.example.com/,"never closed\n`;
    const { indicators, stats } = await read({ ...csvConfig, maxLineBytes: 512 }, body);
    expect(indicators).toEqual([{ value: 'http://b.example.com/', tags: ['ok'] }]);
    expect(stats.skipped).toEqual({ oversized: 1, malformed: 1 });
    expect(stats.samples.map((sample) => [sample.line, sample.reason])).toEqual([
      [2, 'quoted field runs past 512 bytes'],
      [6, 'unterminated quoted field'],
    ]);
  });

  it('throws VALIDATION_FAILED for an HTML page in place of JSON, CSV or a list', async () => {
    const page = '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>oops</body></html>';
    for (const config of [
      { format: 'json', fields: { value: 'v' } },
      csvConfig,
      { format: 'lines' },
      { format: 'jsonl', fields: { value: 'v' } },
    ]) {
      await expect(read(config, page)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        retryable: true,
        details: { reason: 'html-body' },
      });
    }
  });

  it('throws VALIDATION_FAILED for JSON that does not parse or has no records at the path', async () => {
    await expect(read({ format: 'json', fields: { value: 'v' } }, '{"data": [1, 2')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('feed body is not JSON'),
    });
    await expect(
      read({ format: 'json', json: { records: 'data.items' }, fields: { value: 'v' } }, '{"data": {}}'),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'feed body is not JSON: nothing at "data.items"',
    });
  });

  it('throws VALIDATION_FAILED when the CSV header lacks the value column', async () => {
    await expect(read(csvConfig, 'id,link\n1,http://a.example.com/\n')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'feed body is not CSV: the header has no column "url"',
    });
  });
});
