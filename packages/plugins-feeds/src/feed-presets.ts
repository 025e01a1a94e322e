import type { IndicatorReportInput, IndicatorType } from '@ce/core';
import type { FeedConfig, FeedFormat, FeedPresetId } from './feed-config.js';
import {
  cleanTags,
  hasInnerWhitespace,
  type MappingSettings,
  type RecordMapper,
  readNumber,
  readTags,
  readText,
  readTimestamp,
  readType,
  stripPort,
} from './feed-mapping.js';

/** A built-in preset: how to read one well-known public feed. */
export interface FeedPreset {
  id: FeedPresetId;
  /** Display name. */
  name: string;
  /** What the feed holds. */
  description: string;
  /** The public URL of the feed, used when the configuration gives none. */
  url: string;
  /** Where the format is documented. */
  documentation: string;
  format: FeedFormat;
  /** Where CSV column names are. */
  header?: 'row' | 'comment';
  /** Comment prefixes of the format. */
  commentPrefixes: ReadonlyArray<string>;
  /** The column (CSV) of the value, to find the header by. */
  valueColumn?: string;
  /** Builds the record mapper. */
  mapper(settings: MappingSettings, config: FeedConfig): RecordMapper;
}

function confidenceSeverity(confidence: number | undefined): IndicatorReportInput['severity'] {
  if (confidence === undefined) return 'high';
  if (confidence >= 75) return 'high';
  if (confidence >= 50) return 'medium';
  return 'low';
}

function withoutWhitespace(value: string | undefined): value is string {
  return value !== undefined && !hasInnerWhitespace(value);
}

/**
 * URLhaus CSV dumps (`csv_recent`, `csv_online`): a `#` banner whose last line names the columns
 * `id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter`, then quoted rows.
 */
const urlhaus: FeedPreset = {
  id: 'urlhaus',
  name: 'abuse.ch URLhaus',
  description: 'Malware distribution URLs (csv_recent: added in the past 30 days; csv_online: online now).',
  url: 'https://urlhaus.abuse.ch/downloads/csv_recent/',
  documentation: 'https://urlhaus.abuse.ch/api/#csv',
  format: 'csv',
  header: 'comment',
  commentPrefixes: ['#'],
  valueColumn: 'url',
  mapper: (settings) => (record) => {
    const value = readText(record.get('url'), settings);
    if (!withoutWhitespace(value)) return { invalid: 'no usable url', kind: 'invalid-value' };
    const online = readText(record.get('url_status'), settings)?.toLowerCase() === 'online';
    const threat = readText(record.get('threat'), settings);
    const indicator: IndicatorReportInput = {
      value,
      type: 'url',
      severity: online ? 'high' : 'medium',
      reputation: online ? 9 : 7,
      tags: cleanTags(['urlhaus', threat, ...readTags(record.get('tags'), settings)]),
      comments: `URLhaus: ${threat ?? 'malware URL'} (${online ? 'online' : 'offline'})`,
    };
    const firstSeen = readTimestamp(record.get('dateadded'), settings);
    if (firstSeen !== undefined) indicator.firstSeen = firstSeen;
    const lastSeen = readTimestamp(record.get('last_online'), settings);
    if (lastSeen !== undefined) indicator.lastSeen = lastSeen;
    const link = readText(record.get('urlhaus_link'), settings);
    if (link?.startsWith('https://')) indicator.externalUrl = link;
    return [indicator];
  },
};

/**
 * One ThreatFox IOC, from either export: `ioc_value`/`ioc_type` (`ip:port`, `domain`, `url`,
 * `md5_hash`, `sha1_hash`, `sha256_hash`; others are unsupported), `confidence_level` 0-100,
 * `threat_type`, `malware_printable`, comma-separated `tags`.
 */
function threatFoxMapper(settings: MappingSettings, idField: string): RecordMapper {
  return (record) => {
    let value = readText(record.get('ioc_value'), settings);
    if (!withoutWhitespace(value)) return { invalid: 'no usable ioc_value', kind: 'invalid-value' };
    const typeName = readText(record.get('ioc_type'), settings) ?? '';
    const reading = readType(typeName, value, settings);
    if (reading === 'skip') return [];
    if (!reading)
      return { invalid: `unsupported ioc_type "${typeName.slice(0, 64)}"`, kind: 'unsupported-type' };
    if (reading.stripPort) value = stripPort(value);
    const raw = readNumber(record.get('confidence_level'), settings);
    const confidence = raw !== undefined && raw >= 0 && raw <= 100 ? Math.round(raw) : undefined;
    const threatType = readText(record.get('threat_type'), settings);
    const malware = readText(record.get('malware_printable'), settings);
    const compromised = readText(record.get('is_compromised'), settings)?.toLowerCase() === 'true';
    const indicator: IndicatorReportInput = {
      value,
      type: reading.type,
      severity: confidenceSeverity(confidence),
      reputation: confidence === undefined ? 8 : Math.min(10, Math.max(1, Math.round(confidence / 10))),
      tags: cleanTags([
        'threatfox',
        threatType,
        malware,
        compromised ? 'compromised' : undefined,
        ...readTags(record.get('tags'), settings),
      ]),
      comments: `ThreatFox: ${malware ?? 'unknown malware'}${threatType ? ` (${threatType})` : ''}`,
    };
    if (confidence !== undefined) indicator.confidence = confidence;
    const firstSeen = readTimestamp(record.get('first_seen_utc'), settings);
    if (firstSeen !== undefined) indicator.firstSeen = firstSeen;
    const lastSeen = readTimestamp(record.get('last_seen_utc'), settings);
    if (lastSeen !== undefined) indicator.lastSeen = lastSeen;
    const id = readText(record.get(idField), settings);
    if (id && /^\d+$/.test(id)) indicator.externalUrl = `https://threatfox.abuse.ch/ioc/${id}/`;
    return [indicator];
  };
}

const threatFoxDocumentation = 'https://threatfox.abuse.ch/export/';

/**
 * ThreatFox CSV export: a `#` banner whose last line names the quoted columns (`first_seen_utc`,
 * `ioc_id`, `ioc_value`, `ioc_type`, `threat_type`, `fk_malware`, `malware_alias`,
 * `malware_printable`, `last_seen_utc`, `confidence_level`, [`is_compromised`,] `reference`,
 * `tags`, `anonymous`, `reporter`), then rows written as `"a", "b"`. Columns are read by name, so
 * exports with and without `is_compromised` both work.
 */
const threatFoxCsv: FeedPreset = {
  id: 'threatfox-csv',
  name: 'abuse.ch ThreatFox (CSV)',
  description: 'Malware IOCs (C2 addresses, payload URLs, hashes) shared with ThreatFox, CSV export.',
  url: 'https://threatfox.abuse.ch/export/csv/recent/',
  documentation: threatFoxDocumentation,
  format: 'csv',
  header: 'comment',
  commentPrefixes: ['#'],
  valueColumn: 'ioc_value',
  mapper: (settings) => threatFoxMapper(settings, 'ioc_id'),
};

/**
 * ThreatFox JSON export: an object keyed by IOC id whose values are one-element arrays of
 * `{ ioc_value, ioc_type, threat_type, malware, malware_printable, first_seen_utc, last_seen_utc,
 * confidence_level, tags, ... }`.
 */
const threatFoxJson: FeedPreset = {
  id: 'threatfox-json',
  name: 'abuse.ch ThreatFox (JSON)',
  description: 'Malware IOCs (C2 addresses, payload URLs, hashes) shared with ThreatFox, JSON export.',
  url: 'https://threatfox.abuse.ch/export/json/recent/',
  documentation: threatFoxDocumentation,
  format: 'json',
  commentPrefixes: [],
  mapper: (settings) => threatFoxMapper(settings, '$key'),
};

/**
 * MalwareBazaar CSV export: a `#` banner whose last line names the quoted columns
 * `first_seen_utc, sha256_hash, md5_hash, sha1_hash, reporter, file_name, file_type_guess,
 * mime_type, signature, clamav, vtpercent, imphash, ssdeep, tlsh`; `n/a` means no value.
 */
const malwareBazaar: FeedPreset = {
  id: 'malwarebazaar',
  name: 'abuse.ch MalwareBazaar',
  description: 'Hashes of recent malware samples (sha256; md5 and sha1 on request with hashTypes).',
  url: 'https://bazaar.abuse.ch/export/csv/recent/',
  documentation: 'https://bazaar.abuse.ch/export/',
  format: 'csv',
  header: 'comment',
  commentPrefixes: ['#'],
  valueColumn: 'sha256_hash',
  mapper: (settings, config) => (record) => {
    const signature = readText(record.get('signature'), settings);
    const fileType = readText(record.get('file_type_guess'), settings);
    const fileName = readText(record.get('file_name'), settings);
    const firstSeen = readTimestamp(record.get('first_seen_utc'), settings);
    const columns: Record<string, string> = { sha256: 'sha256_hash', sha1: 'sha1_hash', md5: 'md5_hash' };
    const patterns: Record<string, RegExp> = {
      sha256: /^[0-9a-f]{64}$/i,
      sha1: /^[0-9a-f]{40}$/i,
      md5: /^[0-9a-f]{32}$/i,
    };
    const indicators: IndicatorReportInput[] = [];
    for (const hashType of config.hashTypes) {
      const value = readText(record.get(columns[hashType] as string), settings);
      if (!value || !patterns[hashType]?.test(value)) {
        if (hashType === 'sha256') return { invalid: 'no valid sha256_hash', kind: 'invalid-value' };
        continue;
      }
      const indicator: IndicatorReportInput = {
        value,
        type: hashType as IndicatorType,
        severity: 'high',
        reputation: 9,
        tags: cleanTags(['malwarebazaar', signature, fileType]),
        comments: `MalwareBazaar sample${fileName ? ` ${fileName.slice(0, 256)}` : ''}${signature ? ` (${signature})` : ''}`,
      };
      if (firstSeen !== undefined) indicator.firstSeen = firstSeen;
      indicators.push(indicator);
    }
    return indicators.length > 0
      ? indicators
      : { invalid: 'no hash of the requested types', kind: 'invalid-value' };
  },
};

/**
 * Feodo Tracker botnet C2 blocklist, CSV: a `#` banner, then a quoted header row
 * `first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware` and quoted rows.
 */
const feodoCsv: FeedPreset = {
  id: 'feodo-csv',
  name: 'abuse.ch Feodo Tracker (CSV)',
  description:
    'Botnet command-and-control servers (Dridex, Emotet, QakBot, Pikabot, ...) with port and family.',
  url: 'https://feodotracker.abuse.ch/downloads/ipblocklist.csv',
  documentation: 'https://feodotracker.abuse.ch/blocklist/',
  format: 'csv',
  header: 'row',
  commentPrefixes: ['#'],
  valueColumn: 'dst_ip',
  mapper: (settings) => (record) => {
    const value = readText(record.get('dst_ip'), settings);
    if (!withoutWhitespace(value)) return { invalid: 'no usable dst_ip', kind: 'invalid-value' };
    const online = readText(record.get('c2_status'), settings)?.toLowerCase() === 'online';
    const malware = readText(record.get('malware'), settings);
    const port = readText(record.get('dst_port'), settings);
    const indicator: IndicatorReportInput = {
      value,
      type: value.includes(':') ? 'ipv6' : 'ipv4',
      severity: online ? 'critical' : 'high',
      reputation: online ? 10 : 8,
      tags: cleanTags(['feodotracker', 'botnet-c2', malware]),
      comments: `Feodo Tracker: ${malware ?? 'botnet'} C2${port ? ` on port ${port}` : ''} (${online ? 'online' : 'offline'})`,
    };
    const firstSeen = readTimestamp(record.get('first_seen_utc'), settings);
    if (firstSeen !== undefined) indicator.firstSeen = firstSeen;
    const lastSeen = readTimestamp(record.get('last_online'), settings);
    if (lastSeen !== undefined) indicator.lastSeen = lastSeen;
    return [indicator];
  },
};

function plainListMapper(
  settings: MappingSettings,
  make: (value: string, comment: string | undefined) => IndicatorReportInput | undefined,
): RecordMapper {
  return (record) => {
    const value = readText(record.get('value'), settings);
    if (!withoutWhitespace(value))
      return { invalid: 'the line is not a single value', kind: 'invalid-value' };
    const indicator = make(value, readText(record.get('comment'), settings));
    return indicator ? [indicator] : { invalid: 'not a value of this feed', kind: 'invalid-value' };
  };
}

const ipv4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** Feodo Tracker botnet C2 blocklist, plain text: a `#` banner, then one IP address per line. */
const feodoText: FeedPreset = {
  id: 'feodo-text',
  name: 'abuse.ch Feodo Tracker (plain text)',
  description: 'Botnet command-and-control IP addresses, one per line (recommended or aggressive list).',
  url: 'https://feodotracker.abuse.ch/downloads/ipblocklist_recommended.txt',
  documentation: 'https://feodotracker.abuse.ch/blocklist/',
  format: 'lines',
  commentPrefixes: ['#'],
  mapper: (settings) =>
    plainListMapper(settings, (value) => ({
      value,
      type: ipv4.test(value) ? 'ipv4' : 'ipv6',
      severity: 'critical',
      reputation: 10,
      tags: ['feodotracker', 'botnet-c2'],
    })),
};

/** OpenPhish community feed: one phishing URL per line. */
const openPhish: FeedPreset = {
  id: 'openphish',
  name: 'OpenPhish community feed',
  description: 'Phishing URLs, one per line.',
  url: 'https://openphish.com/feed.txt',
  documentation: 'https://openphish.com/phishing_feeds.html',
  format: 'lines',
  commentPrefixes: ['#'],
  mapper: (settings) =>
    plainListMapper(settings, (value) =>
      /^[a-z][a-z0-9+.-]*:\/\//i.test(value)
        ? { value, type: 'url', severity: 'high', reputation: 8, tags: ['openphish', 'phishing'] }
        : undefined,
    ),
};

function dropIndicator(
  cidr: string,
  sblId: string | undefined,
  rir: string | undefined,
): IndicatorReportInput {
  const indicator: IndicatorReportInput = {
    value: cidr,
    type: cidr.includes(':') ? 'ipv6-cidr' : 'ipv4-cidr',
    severity: 'high',
    reputation: 10,
    tags: cleanTags(['spamhaus-drop', rir]),
  };
  if (sblId) indicator.comments = `Spamhaus DROP ${sblId}`;
  return indicator;
}

/**
 * Spamhaus DROP, JSON Lines (`drop_v4.json`, `drop_v6.json`): one `{"cidr", "sblid", "rir"}`
 * object per line and a final `{"type": "metadata", ...}` line, which is ignored.
 */
const spamhausDropJson: FeedPreset = {
  id: 'spamhaus-drop-json',
  name: 'Spamhaus DROP (JSON)',
  description: 'Netblocks hijacked or leased by spam and cyber-crime operations ("drop all traffic").',
  url: 'https://www.spamhaus.org/drop/drop_v4.json',
  documentation: 'https://www.spamhaus.org/blocklists/do-not-route-or-peer/',
  format: 'jsonl',
  commentPrefixes: [],
  mapper: (settings) => (record) => {
    if (readText(record.get('type'), settings) === 'metadata') return [];
    const cidr = readText(record.get('cidr'), settings);
    if (!cidr || !/^[0-9A-Fa-f:.]+\/\d{1,3}$/.test(cidr))
      return { invalid: 'no valid cidr', kind: 'invalid-value' };
    return [
      dropIndicator(cidr, readText(record.get('sblid'), settings), readText(record.get('rir'), settings)),
    ];
  },
};

/**
 * Spamhaus DROP, legacy text (`drop.txt`, `dropv6.txt`): `;` comment lines, then
 * `1.2.3.0/24 ; SBL123` per line.
 */
const spamhausDropText: FeedPreset = {
  id: 'spamhaus-drop-text',
  name: 'Spamhaus DROP (legacy text)',
  description: 'Netblocks hijacked or leased by spam and cyber-crime operations, legacy text format.',
  url: 'https://www.spamhaus.org/drop/drop.txt',
  documentation: 'https://www.spamhaus.org/blocklists/do-not-route-or-peer/',
  format: 'lines',
  commentPrefixes: [';', '#'],
  mapper: (settings) =>
    plainListMapper(settings, (value, comment) =>
      /^[0-9A-Fa-f:.]+\/\d{1,3}$/.test(value) ? dropIndicator(value, comment, undefined) : undefined,
    ),
};

/** The built-in presets by id. */
export const feedPresets: Readonly<Record<FeedPresetId, FeedPreset>> = {
  urlhaus,
  'threatfox-csv': threatFoxCsv,
  'threatfox-json': threatFoxJson,
  malwarebazaar: malwareBazaar,
  'feodo-csv': feodoCsv,
  'feodo-text': feodoText,
  openphish: openPhish,
  'spamhaus-drop-json': spamhausDropJson,
  'spamhaus-drop-text': spamhausDropText,
};
