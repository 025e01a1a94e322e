import { hostname as osHostname } from 'node:os';
import { ConfigError } from '@ce/core';
import {
  escapeLineBreaks,
  escapeSdParamValue,
  toPrintUsAscii,
  truncateEscapedUtf8,
  utf8Length,
} from './escape.js';

/** Syslog facility codes (RFC 5424 table 1). */
export const syslogFacilities = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  ntp: 12,
  security: 13,
  console: 14,
  clock: 15,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;

/** Syslog severity codes (RFC 5424 table 2). */
export const syslogSeverities = {
  emerg: 0,
  alert: 1,
  crit: 2,
  err: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
} as const;

/** A facility by name or code (0-23). */
export type SyslogFacility = keyof typeof syslogFacilities | number;

/** A severity by name or code (0-7). */
export type SyslogSeverity = keyof typeof syslogSeverities | number;

/** A structured data parameter value; `undefined` and `null` leave the parameter out. */
export type SdParamValue = string | number | boolean | null | undefined;

/** One RFC 5424 SD-ELEMENT: `[id name="value" ...]`. */
export interface StructuredDataElement {
  /** SD-ID: an IANA-registered name (`timeQuality`, `origin`, `meta`) or `name@<enterprise number>`. */
  id: string;
  /** PARAM-NAME → value. */
  params: Readonly<Record<string, SdParamValue>>;
}

/** Header values that may change from record to record. */
export interface SyslogEventFields {
  /** APP-NAME (RFC 5424) or TAG (RFC 3164). */
  appName?: string;
  /** PROCID. */
  procId?: string;
  /** MSGID (RFC 5424 only). */
  msgId?: string;
  /** Severity of this record. */
  severity?: SyslogSeverity;
  /** The record's time: a Date, epoch milliseconds or a date string. */
  timestamp?: Date | number | string;
  /** STRUCTURED-DATA (RFC 5424 only). */
  structuredData?: ReadonlyArray<StructuredDataElement>;
}

/** Options of {@link toSyslog} and {@link createSyslogWrapper}. */
export interface SyslogOptions extends SyslogEventFields {
  /** Header format. @default 'rfc5424' */
  format?: 'rfc5424' | 'rfc3164';
  /** Facility. @default 'user' */
  facility?: SyslogFacility;
  /** HOSTNAME (255 printable ASCII characters). @default os.hostname() */
  hostname?: string;
  /** Put a UTF-8 BOM before MSG (RFC 5424 MSG-UTF8); many receivers display it, so it is off. @default false */
  bom?: boolean;
  /** Longest line, in UTF-8 bytes, header included; a longer MSG is cut. @default 65536 */
  maxLineBytes?: number;
}

/** Wraps a formatted message (CEF, LEEF, JSON) in a syslog header; one line, no framing. */
export type SyslogWrapper = (message: string, fields?: SyslogEventFields) => string;

function facilityCode(facility: SyslogFacility): number {
  const code = typeof facility === 'number' ? facility : syslogFacilities[facility];
  if (!Number.isInteger(code) || code < 0 || code > 23) {
    throw new ConfigError('invalid syslog options', [
      { path: 'facility', reason: `unknown facility ${JSON.stringify(facility)} (0-23 or a name)` },
    ]);
  }
  return code;
}

const severityWords: Readonly<Record<string, number>> = {
  ...syslogSeverities,
  emergency: 0,
  panic: 0,
  critical: 2,
  error: 3,
  warn: 4,
  informational: 6,
  'very-high': 2,
  high: 3,
  medium: 4,
  low: 5,
};

/**
 * A syslog severity code from a number 0-7, a syslog name or a Netskope word (`critical` 2,
 * `high` 3, `medium` 4, `low` 5, `info` 6); `undefined` for anything else.
 */
export function toSyslogSeverity(value: unknown): number | undefined {
  if (typeof value === 'number')
    return Number.isInteger(value) && value >= 0 && value <= 7 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (/^[0-7]$/.test(text)) return Number(text);
  return Object.hasOwn(severityWords, text) ? severityWords[text] : undefined;
}

function severityCode(severity: SyslogSeverity): number {
  const code = toSyslogSeverity(severity);
  if (code === undefined) {
    throw new ConfigError('invalid syslog options', [
      { path: 'severity', reason: `unknown severity ${JSON.stringify(severity)} (0-7 or a name)` },
    ]);
  }
  return code;
}

const sdName = /^[!#-<>-\\^-~]{1,32}$/;

/** Names already checked: structured data names come from a mapping, so the same few recur. */
const checkedSdNames = new Set<string>();

function checkSdName(name: string, path: string): void {
  if (checkedSdNames.has(name)) return;
  if (sdName.test(name)) {
    if (checkedSdNames.size < 4096) checkedSdNames.add(name);
  } else {
    throw new ConfigError('invalid syslog structured data', [
      {
        path,
        reason: `${JSON.stringify(name)} is not an SD-NAME: 1-32 printable ASCII characters other than "=", "]", '"' and space`,
      },
    ]);
  }
}

/**
 * Renders STRUCTURED-DATA, or the NILVALUE `-` when there is none.
 *
 * @throws ConfigError when an SD-ID or PARAM-NAME breaks the RFC 5424 rules.
 */
export function formatStructuredData(elements: ReadonlyArray<StructuredDataElement> | undefined): string {
  if (!elements || elements.length === 0) return '-';
  let out = '';
  for (let i = 0; i < elements.length; i++) {
    const element = elements[i] as StructuredDataElement;
    checkSdName(element.id, `structuredData[${i}].id`);
    out += `[${element.id}`;
    for (const [name, value] of Object.entries(element.params)) {
      if (value === undefined || value === null) continue;
      checkSdName(name, `structuredData[${i}].params.${name}`);
      out += ` ${name}="${escapeSdParamValue(String(value))}"`;
    }
    out += ']';
  }
  return out;
}

function toMs(timestamp: Date | number | string | undefined): number {
  if (timestamp === undefined) return Date.now();
  const ms =
    timestamp instanceof Date
      ? timestamp.getTime()
      : typeof timestamp === 'number'
        ? timestamp
        : Date.parse(timestamp);
  return Number.isFinite(ms) ? ms : Number.NaN;
}

const lastRfc5424Ms = 253_402_300_799_999;

let lastMs = Number.NaN;
let lastIso = '-';

function rfc5424Timestamp(ms: number): string {
  // Records of one batch often share a millisecond; formatting a date costs more than the compare.
  if (ms === lastMs) return lastIso;
  lastMs = ms;
  lastIso = ms >= 0 && ms <= lastRfc5424Ms ? new Date(ms).toISOString() : '-';
  return lastIso;
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function rfc3164Timestamp(ms: number): string {
  const date = new Date(Number.isNaN(ms) ? Date.now() : ms);
  const day = date.getUTCDate();
  const time = date.toISOString().slice(11, 19);
  return `${months[date.getUTCMonth()]} ${day < 10 ? ` ${day}` : day} ${time}`;
}

function rfc3164Tag(appName: string | undefined): string {
  if (!appName) return '';
  let tag = '';
  for (let i = 0; i < appName.length && tag.length < 32; i++) {
    const c = appName.charCodeAt(i);
    if (c > 32 && c < 127 && c !== 58 && c !== 91 && c !== 93) tag += appName[i];
  }
  return tag;
}

let cachedHostname: string | undefined;

/**
 * Precomputes the fixed parts of a syslog header (PRI, HOSTNAME, APP-NAME, ...) and returns a
 * function that wraps one message at a time; per-record fields override the fixed ones. Header
 * fields are cut to their RFC 5424 limits and anything outside printable ASCII becomes `_`; the
 * message never carries a raw CR or LF. No framing: a sink adds a newline or an octet count.
 *
 * @throws ConfigError for an unknown facility or severity, or a bad SD-ID.
 * @example
 * ```ts
 * const wrap = createSyslogWrapper({ facility: 'local0', hostname: 'ce-1', appName: 'netskope' });
 * wrap(cefLine, { timestamp: event.timestamp * 1000, msgId: 'page' });
 * ```
 */
export function createSyslogWrapper(options: SyslogOptions = {}): SyslogWrapper {
  const format = options.format ?? 'rfc5424';
  const facility = facilityCode(options.facility ?? 'user') * 8;
  const defaultSeverity = severityCode(options.severity ?? 'info');
  const defaultPri = `<${facility + defaultSeverity}>`;
  cachedHostname ??= osHostname();
  const host = toPrintUsAscii(options.hostname ?? cachedHostname, 255);
  const bom = options.bom ? '\uFEFF' : '';
  const maxLineBytes = options.maxLineBytes ?? 65_536;
  const base = options;
  const fixedSd = base.structuredData === undefined ? '-' : formatStructuredData(base.structuredData);
  const fixedApp = toPrintUsAscii(base.appName ?? '', 48);
  const fixedProc = toPrintUsAscii(base.procId ?? '', 128);
  const fixedMsgId = toPrintUsAscii(base.msgId ?? '', 32);
  const fixedTag = rfc3164Tag(base.appName);

  const fit = (header: string, message: string): string => {
    const safe = escapeLineBreaks(message);
    if (safe === '') return header;
    const line = `${header} ${bom}${safe}`;
    if (line.length * 3 <= maxLineBytes || utf8Length(line) <= maxLineBytes) return line;
    const room = maxLineBytes - utf8Length(header) - 1 - utf8Length(bom);
    return room > 0 ? `${header} ${bom}${truncateEscapedUtf8(safe, room)}` : header;
  };

  if (format === 'rfc3164') {
    return (message, fields) => {
      const pri =
        fields?.severity === undefined ? defaultPri : `<${facility + severityCode(fields.severity)}>`;
      const tag = fields?.appName === undefined ? fixedTag : rfc3164Tag(fields.appName);
      const procId = fields?.procId ?? base.procId;
      const procText = procId === undefined ? '' : toPrintUsAscii(procId, 128);
      const tagText =
        tag === '' ? '' : procText === '' || procText === '-' ? ` ${tag}:` : ` ${tag}[${procText}]:`;
      return fit(
        `${pri}${rfc3164Timestamp(toMs(fields?.timestamp ?? base.timestamp))} ${host}${tagText}`,
        message,
      );
    };
  }
  return (message, fields) => {
    if (!fields)
      return fit(
        `${defaultPri}1 ${rfc5424Timestamp(toMs(base.timestamp))} ${host} ${fixedApp} ${fixedProc} ${fixedMsgId} ${fixedSd}`,
        message,
      );
    const pri = fields.severity === undefined ? defaultPri : `<${facility + severityCode(fields.severity)}>`;
    const app = fields.appName === undefined ? fixedApp : toPrintUsAscii(fields.appName, 48);
    const proc = fields.procId === undefined ? fixedProc : toPrintUsAscii(fields.procId, 128);
    const msgId = fields.msgId === undefined ? fixedMsgId : toPrintUsAscii(fields.msgId, 32);
    const sd = fields.structuredData === undefined ? fixedSd : formatStructuredData(fields.structuredData);
    const ts = rfc5424Timestamp(toMs(fields.timestamp ?? base.timestamp));
    return fit(`${pri}1 ${ts} ${host} ${app} ${proc} ${msgId} ${sd}`, message);
  };
}

/**
 * Wraps one formatted message in a syslog header (RFC 5424 or RFC 3164). For many messages,
 * {@link createSyslogWrapper} does the fixed work once.
 *
 * @example
 * ```ts
 * toSyslog(cefLine, { format: 'rfc5424', facility: 'local0', severity: 'warning', hostname: 'ce-1',
 *   appName: 'netskope', msgId: 'dlp', timestamp: Date.UTC(2024, 0, 2) });
 * // <132>1 2024-01-02T00:00:00.000Z ce-1 netskope - dlp - CEF:0|...
 * ```
 */
export function toSyslog(message: string, options: SyslogOptions = {}): string {
  return createSyslogWrapper(options)(message);
}
