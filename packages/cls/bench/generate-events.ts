/**
 * Deterministic generator of realistic Netskope page events and DLP/malware alerts for the format
 * benchmark: field names and value shapes follow the data export API (ids as hex, 64-bit ids as
 * strings, epoch seconds, IPv4 and some IPv6, URLs with query strings, a few values that need
 * escaping).
 */

/** mulberry32: small, fast, good enough to vary benchmark data reproducibly. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const apps = [
  'Google Drive',
  'Box',
  'Microsoft OneDrive for Business',
  'Slack',
  'Dropbox',
  'Salesforce',
  'GitHub',
  'ChatGPT',
];
const activities = ['Browse', 'Upload', 'Download', 'Login Successful', 'Share', 'Edit', 'Post', 'Delete'];
const actions = ['allow', 'block', 'alert', 'bypass'];
const categories = ['Cloud Storage', 'Collaboration', 'Webmail', 'Social', 'Generative AI', 'Development'];
const browsers = ['Chrome', 'Firefox', 'Edge', 'Safari', 'Native'];
const oses = ['Windows 11', 'Windows 10', 'Mac OS X 14.4', 'iOS 17.4', 'Android 14', 'Ubuntu'];
const methods = ['Client', 'API Connector', 'Reverse Proxy', 'IPsec', 'GRE'];
const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'];
const domains = [
  'drive.google.com',
  'app.box.com',
  'onedrive.live.com',
  'slack.com',
  'www.dropbox.com',
  'github.com',
];

function hex(random: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += '0123456789abcdef'[Math.floor(random() * 16)];
  return out;
}

function digits(random: () => number, length: number): string {
  let out = String(1 + Math.floor(random() * 9));
  for (let i = 1; i < length; i++) out += String(Math.floor(random() * 10));
  return out;
}

function pick<T>(random: () => number, list: ReadonlyArray<T>): T {
  return list[Math.floor(random() * list.length)] as T;
}

function ipv4(random: () => number): string {
  return `${10 + Math.floor(random() * 200)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`;
}

function common(random: () => number, index: number): Record<string, unknown> {
  const domain = pick(random, domains);
  const user = pick(random, users);
  return {
    _id: hex(random, 24),
    timestamp: 1_717_243_200 + index,
    type: 'nspolicy',
    user: `${user}@example.com`,
    userkey: `${user}@example.com`,
    srcip: ipv4(random),
    dstip: random() < 0.1 ? `2001:db8::${hex(random, 4)}` : ipv4(random),
    dstport: 443,
    url: `https://${domain}/files/${hex(random, 12)}?id=${digits(random, 8)}&view=list`,
    domain,
    app: pick(random, apps),
    appcategory: pick(random, categories),
    category: pick(random, categories),
    activity: pick(random, activities),
    action: pick(random, actions),
    access_method: pick(random, methods),
    site: pick(random, apps),
    browser: pick(random, browsers),
    os: pick(random, oses),
    device: random() < 0.5 ? 'Windows Device' : 'Mac Device',
    hostname: `LAPTOP-${hex(random, 6).toUpperCase()}`,
    traffic_type: 'CloudApp',
    transaction_id: digits(random, 19),
    request_id: digits(random, 19),
    nsdeviceuid: `${hex(random, 8)}-${hex(random, 4)}-${hex(random, 4)}-${hex(random, 12)}`,
    policy: random() < 0.05 ? 'Block uploads | personal = no' : 'Default allow',
    ccl: pick(random, ['low', 'medium', 'high', 'excellent']),
    src_country: 'CH',
    dst_country: 'US',
    src_location: 'Zurich',
    useragent:
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  };
}

/** A page event (about 40 fields, 1.2 KB of JSON). */
export function pageEvent(random: () => number, index: number): Record<string, unknown> {
  return {
    ...common(random, index),
    client_bytes: Math.floor(random() * 100_000),
    server_bytes: Math.floor(random() * 2_000_000),
    page: `https://${pick(random, domains)}/`,
    referer: `https://${pick(random, domains)}/home`,
    http_transaction_count: 1 + Math.floor(random() * 20),
    page_duration: Math.floor(random() * 600),
  };
}

/** A DLP alert (about 45 fields). */
export function dlpAlert(random: () => number, index: number): Record<string, unknown> {
  return {
    ...common(random, index),
    alert: 'yes',
    alert_type: 'DLP',
    alert_name: 'PCI data upload',
    severity: pick(random, ['low', 'medium', 'high', 'critical']),
    acked: 'false',
    dlp_incident_id: digits(random, 19),
    dlp_profile: 'PCI-DSS',
    dlp_rule: 'Credit card numbers',
    dlp_rule_severity: 'High',
    dlp_rule_count: 1 + Math.floor(random() * 10),
    file_name: `report-${hex(random, 6)}.xlsx`,
    file_path: `C:\\Users\\${pick(random, users)}\\Documents\\report.xlsx`,
    file_type: 'Microsoft Excel',
    file_size: Math.floor(random() * 5_000_000),
    sha256: hex(random, 64),
    md5: hex(random, 32),
    instance_id: `${pick(random, users)}.example.com`,
  };
}
