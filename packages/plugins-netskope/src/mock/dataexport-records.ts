/**
 * Realistic data export records for the mock tenant and the benchmarks: every event and alert
 * type the iterator serves, with the fields dataexport.yaml documents for it, 64-bit identifiers
 * beyond 2^53 (held as `bigint` and written as bare JSON numbers, as the tenant sends them), and
 * values that break naive formatters (newlines, `|`, `=`, backslashes, non-ASCII). Generation is
 * a pure function of (type, position, seed), so a tenant of millions of records needs no memory.
 *
 * @module
 */

/** A record as the mock keeps it: JSON values, with `bigint` for 64-bit integers. */
export type MockDataExportRecord = Record<string, unknown>;

/** Options of {@link generateDataExportRecord}. */
export interface GenerateRecordOptions {
  /** Epoch seconds of the record (`timestamp`). */
  timestamp: number;
  /**
   * Seed, so two tenants generate different data.
   * @default 1
   */
  seed?: number;
}

const users = [
  'alice@example.com',
  'bob@example.com',
  'zoë.müller@exämple.ch',
  'carol@example.com',
  '渡辺@example.jp',
  'dave@example.com',
];
const apps = [
  ['Google Drive', 'Cloud Storage'],
  ['Box', 'Cloud Storage'],
  ['Microsoft Office 365 OneDrive for Business', 'Cloud Storage'],
  ['Slack', 'Collaboration'],
  ['GitHub', 'Development Tools'],
  ['ChatGPT', 'Generative AI'],
] as const;
const activities = ['Upload', 'Download', 'Share', 'Login Successful', 'Edit', 'Delete', 'View'];
const actions = ['allow', 'block', 'alert', 'bypass', 'useralert'];
const severities = ['critical', 'high', 'medium', 'low', 'informational'];
const countries = ['US', 'CH', 'DE', 'JP', 'IN', 'BR'];
const browsers = ['Chrome', 'Firefox', 'Edge', 'Safari', 'Native'];
const oses = ['Windows 11', 'macOS 14.5', 'iOS 17', 'Ubuntu 22.04', 'Android 14'];
const policies = [
  'Block uploads to personal drives',
  'DLP | PCI = strict',
  'Allow corp apps; alert "others"',
  'Coach users\non risky AI apps',
  'C:\\Policies\\Legacy=1',
];

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  return (h ^ (h >>> 15)) >>> 0;
}

function hex(random: () => number, length: number): string {
  let out = '';
  while (out.length < length) out += random().toString(16).padStart(8, '0');
  return out.slice(0, length);
}

/** An identifier in [2^62, 2^63): always beyond Number.MAX_SAFE_INTEGER, like Netskope's. */
function id64(random: () => number): bigint {
  return (1n << 62n) | (BigInt(random() & 0x3fffffff) << 32n) | BigInt(random());
}

function ipv4(random: () => number, first: number): string {
  const n = random();
  return `${first}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

const alertTypeNames: Record<string, string> = {
  dlp: 'DLP',
  malware: 'Malware',
  malsite: 'malsite',
  policy: 'policy',
  compromisedcredential: 'Compromised Credential',
  uba: 'uba',
  securityassessment: 'Security Assessment',
  quarantine: 'quarantine',
  remediation: 'Remediation',
  watchlist: 'watchlist',
  ctep: 'ctep',
};

/**
 * One record of a stream, generated from its position: `kind` `events` or `alerts`, `type` the
 * endpoint's type (`page`, `dlp`...). The same arguments always give the same record.
 *
 * @example
 * ```ts
 * const record = generateDataExportRecord('alerts', 'dlp', 0, { timestamp: 1_767_225_600 });
 * typeof record.dlp_incident_id; // 'bigint'
 * ```
 */
export function generateDataExportRecord(
  kind: 'events' | 'alerts',
  type: string,
  position: number,
  options: GenerateRecordOptions,
): MockDataExportRecord {
  let counter = 0;
  const seed = mix(options.seed ?? 1, type.length * 131 + type.charCodeAt(0) + (kind === 'alerts' ? 7 : 0));
  const random = (): number => mix(seed ^ position, counter++);
  const pick = <T>(list: ReadonlyArray<T>): T => list[random() % list.length] as T;
  const user = pick(users);
  const [app, category] = pick(apps);
  const common: MockDataExportRecord = {
    _id: hex(random, 24),
    timestamp: options.timestamp,
    type: kind === 'alerts' ? 'nspolicy' : type === 'page' || type === 'connection' ? 'connection' : type,
    user,
    userkey: user,
    ur_normalized: user.toLowerCase(),
    organization_unit: position % 9 === 0 ? 'Zürich/Finance | Ops' : 'corp/engineering',
    srcip: ipv4(random, 10),
    userip: ipv4(random, 10),
    dstip: ipv4(random, 198),
    src_country: pick(countries),
    dst_country: pick(countries),
    src_location: 'Zürich',
    dst_location: 'Mountain View',
    src_latitude: 47.3769,
    src_longitude: 8.5417,
    hostname: `LAPTOP-${hex(random, 6).toUpperCase()}`,
    device: 'Windows Device',
    os: pick(oses),
    browser: pick(browsers),
    access_method: pick(['Client', 'Reverse Proxy', 'API Connector', 'IPSec']),
    traffic_type: 'CloudApp',
    app,
    appcategory: category,
    category,
    cci: 40 + (random() % 60),
    ccl: pick(['excellent', 'high', 'medium', 'low', 'poor']),
    site: app,
    url: `https://${app.toLowerCase().replace(/[^a-z0-9]+/g, '')}.example.com/file/${hex(random, 8)}?export=download&a=b`,
    domain: `${app.toLowerCase().replace(/[^a-z0-9]+/g, '')}.example.com`,
    useragent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36',
    transaction_id: id64(random),
    request_id: id64(random),
    app_session_id: id64(random),
    connection_id: id64(random),
    browser_session_id: id64(random),
  };
  if (kind === 'alerts') {
    Object.assign(common, {
      alert: 'yes',
      alert_type: alertTypeNames[type] ?? type,
      alert_name: position % 11 === 0 ? `${type} alert\nsecond line` : `${type} alert for ${app}`,
      acked: 'false',
      severity: pick(severities),
      policy: pick(policies),
      action: pick(actions),
      activity: pick(activities),
    });
  }
  switch (type) {
    case 'page':
    case 'connection':
      Object.assign(common, {
        page: common.url,
        page_duration: random() % 600,
        numbytes: random() % 10_000_000,
        client_bytes: random() % 100_000,
        server_bytes: random() % 10_000_000,
        http_transaction_count: 1 + (random() % 50),
        dstport: 443,
        protocol: 'HTTPS/1.1',
        referer: 'https://www.example.com/?q=a|b=c',
      });
      break;
    case 'application':
      Object.assign(common, {
        activity: pick(activities),
        action: pick(actions),
        policy: pick(policies),
        object: `Q${1 + (random() % 4)} report = final|v2.xlsx`,
        object_type: 'File',
        file_type: 'Microsoft Excel',
        file_size: random() % 50_000_000,
        instance_id: `${hex(random, 8)}.example.com`,
        dlp_incident_id: id64(random),
        dlp_parent_id: id64(random),
      });
      break;
    case 'network':
      Object.assign(common, {
        protocol: pick(['TCP', 'UDP']),
        srcport: 1024 + (random() % 60_000),
        dstport: pick([22, 53, 443, 3389, 8443]),
        numbytes: random() % 1_000_000,
        tunnel_id: hex(random, 12),
        action: pick(actions),
        network_session_id: id64(random),
      });
      break;
    case 'audit':
      Object.assign(common, {
        type: 'admin_audit_logs',
        audit_log_event: pick(['Login Successful', 'Edit Policy', 'Apply Changes', 'Created API token']),
        supporting_data: { data_type: 'policy', data_values: [pick(policies)] },
        severity_level: 1 + (random() % 4),
      });
      break;
    case 'infrastructure':
      Object.assign(common, {
        alarm_name: 'Publisher disconnected',
        alarm_description: 'Publisher "zrh-01" lost its tunnel\nretrying',
        severity: pick(severities),
        device_name: `publisher-${random() % 20}`,
        serial: hex(random, 16).toUpperCase(),
      });
      break;
    case 'incident':
    case 'endpoint':
      Object.assign(common, {
        dlp_incident_id: id64(random),
        incident_id: id64(random),
        object: 'customers=all.csv',
        file_path: 'C:\\Users\\zoë\\customers=all.csv',
        severity: pick(severities),
        title: 'Sensitive data | exfiltration',
        status: pick(['new', 'in_progress', 'closed']),
      });
      break;
    case 'clientstatus':
      Object.assign(common, {
        device_id: hex(random, 32),
        client_version: `12${random() % 10}.0.${random() % 100}`,
        status: pick(['Enabled', 'Disabled', 'Disabled due to error']),
        last_event: { actor: 'System', event: 'Tunnel Up', npa_status: 'Steering' },
      });
      break;
    case 'dlp':
      Object.assign(common, {
        dlp_incident_id: id64(random),
        dlp_parent_id: id64(random),
        dlp_profile: 'PCI-DSS',
        dlp_rule: 'Credit card numbers | Luhn',
        dlp_rule_count: 1 + (random() % 30),
        dlp_rule_severity: 'High',
        file_name: 'cards=2024.xlsx',
        file_path: 'C:\\Users\\bob\\cards=2024.xlsx',
        file_size: random() % 5_000_000,
        sha256: hex(random, 64),
      });
      break;
    case 'malware':
      Object.assign(common, {
        malware_name: 'Trojan.GenericKD.46542',
        malware_type: 'Trojan',
        malware_severity: pick(['high', 'medium']),
        md5: hex(random, 32),
        sha256: hex(random, 64),
        local_md5: hex(random, 32),
        local_sha256: hex(random, 64),
        file_name: 'invoice.pdf.exe',
      });
      break;
    case 'malsite':
      Object.assign(common, {
        dsthost: `bad-${hex(random, 6)}.example.net`,
        malsite_category: ['Phishing', 'Malware Distribution'],
        malsite_confidence: 50 + (random() % 50),
        malsite_id: hex(random, 16),
        threat_match_field: 'url',
      });
      break;
    case 'compromisedcredential':
      Object.assign(common, {
        breach_id: hex(random, 12),
        breach_date: options.timestamp - 86_400 * (random() % 400),
        breach_description: 'Credentials found in a public paste\n(pastebin)',
        matched_username: user,
        password_type: 'plaintext',
      });
      break;
    case 'ctep':
      Object.assign(common, {
        signature: 'ET MALWARE Possible C2 beacon',
        signature_id: 2_000_000 + (random() % 100_000),
        http_method: 'POST',
        http_port: 443,
      });
      break;
    case 'uba':
      Object.assign(common, {
        risk_level: pick(['high', 'medium', 'low']),
        uba_score: random() % 1000,
        activity: 'Bulk download',
      });
      break;
    default:
      Object.assign(common, { object: `object ${position}`, title: `${type} record` });
  }
  return common;
}

// Marks a bigint in JSON.stringify output; replaced by the bare digits afterwards.
const bigintMark = '\u2063big\u2063';
const bigintPattern = new RegExp(`"${bigintMark}(-?\\d+)${bigintMark}"`, 'g');
const replacer = (_key: string, value: unknown): unknown =>
  typeof value === 'bigint' ? `${bigintMark}${value}${bigintMark}` : value;

/**
 * `JSON.stringify` that writes `bigint` values as bare JSON numbers (`7379289410245673217`), the
 * way the tenant sends 64-bit identifiers.
 */
export function stringifyWithBigInts(value: unknown): string {
  return JSON.stringify(value, replacer).replace(bigintPattern, '$1');
}
