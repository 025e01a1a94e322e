import { hostname as osHostname } from 'node:os';
import { secretString } from '@ce/core';
import { z } from 'zod';

/** Syslog facilities by name (RFC 5424 section 6.2.1, table 1). */
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
  audit: 13,
  alert: 14,
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

/** Syslog severities by name (RFC 5424 section 6.2.1, table 2). */
export const syslogSeverities = {
  emergency: 0,
  alert: 1,
  critical: 2,
  error: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
} as const;

type Names<T> = [keyof T & string, ...Array<keyof T & string>];

// RFC 5424 section 6: header fields are PRINTUSASCII (33-126), no spaces.
const printUsAscii = /^[\x21-\x7e]+$/;

/** TLS settings (RFC 5425). */
export const syslogTlsSchema = z
  .object({
    /** CA certificates (PEM) that may sign the receiver's certificate; the system store when absent. */
    ca: z.string().min(1).optional().describe('CA certificates (PEM) trusted for the receiver'),
    /** Client certificate chain (PEM), for receivers that authenticate senders (RFC 5425 section 4.2). */
    cert: z.string().min(1).optional().describe('Client certificate (PEM)'),
    /** Private key of the client certificate (PEM). */
    key: secretString('Client private key (PEM)').optional(),
    /** Passphrase of an encrypted private key. */
    passphrase: secretString('Passphrase of the client key').optional(),
    /** Name checked against the receiver's certificate and sent as SNI. @default the host */
    servername: z.string().min(1).max(253).optional().describe('Name expected in the receiver certificate'),
    /**
     * Refuse a receiver whose certificate does not verify. Turning it off makes the connection
     * readable by anyone on the path; it exists for lab setups only.
     * @default true
     */
    rejectUnauthorized: z.boolean().default(true).describe('Verify the receiver certificate'),
    /** Oldest TLS version accepted. @default 'TLSv1.2' */
    minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2').describe('Oldest TLS version'),
    /**
     * TLS 1.3 only: how long to wait after the handshake for the receiver to accept this client
     * (it sends a session ticket) before writing, in ms. In TLS 1.3 a receiver that refuses the
     * client certificate says so with an alert after the client's handshake is done; without the
     * wait the first batch would be written into a connection about to be dropped and reported as
     * delivered. A receiver that issues no tickets costs this wait once per connection; 0 skips it.
     * @default 1000
     */
    acceptanceWaitMs: z
      .number()
      .int()
      .min(0)
      .max(60_000)
      .default(1_000)
      .describe('TLS 1.3: wait for the receiver to accept the client (ms)'),
  })
  .refine((tls) => (tls.cert === undefined) === (tls.key === undefined), {
    message: 'a client certificate needs its key, and a key its certificate',
    path: ['cert'],
  });

/** RFC 5424 header fields the sink writes in front of CEF, LEEF and JSON payloads. */
export const syslogHeaderSchema = z.object({
  /** Facility of the PRI field. @default 'user' */
  facility: z
    .enum(Object.keys(syslogFacilities) as Names<typeof syslogFacilities>)
    .default('user')
    .describe('Syslog facility'),
  /** Severity of the PRI field. @default 'info' */
  severity: z
    .enum(Object.keys(syslogSeverities) as Names<typeof syslogSeverities>)
    .default('info')
    .describe('Syslog severity'),
  /** HOSTNAME field. @default this machine's host name */
  hostname: z.string().max(255).regex(printUsAscii, 'printable ASCII, no spaces').optional(),
  /** APP-NAME field. @default 'cloud-exchange' */
  appName: z
    .string()
    .max(48)
    .regex(printUsAscii, 'printable ASCII, no spaces')
    .default('cloud-exchange')
    .describe('Syslog APP-NAME'),
});

/** The configuration of the syslog sink. */
export const syslogConfigSchema = z
  .object({
    /** Receiver host name or IP address. */
    host: z.string().min(1).max(253).describe('Syslog receiver host'),
    /** Receiver port. @default 514 for UDP and TCP, 6514 for TLS (RFC 5425) */
    port: z.number().int().min(1).max(65_535).optional().describe('Syslog receiver port'),
    /** `udp` (RFC 5426), `tcp` (RFC 6587) or `tls` (RFC 5425). */
    transport: z.enum(['udp', 'tcp', 'tls']).describe('Transport'),
    /**
     * Stream framing for TCP and TLS: `octet-counting` (`LEN SP MSG`, RFC 6587 section 3.4.1 and
     * RFC 5425) or `newline` (MSG LF, RFC 6587 section 3.4.2, CR and LF in messages escaped).
     * Ignored over UDP, where each datagram holds one message.
     * @default 'octet-counting'
     */
    framing: z.enum(['octet-counting', 'newline']).default('octet-counting').describe('TCP/TLS framing'),
    /** TLS settings, used when `transport` is `tls`. */
    tls: syslogTlsSchema.optional(),
    /**
     * Largest message in bytes (UTF-8, without framing). Longer messages are cut at a character
     * boundary (or rejected, see `oversize`).
     * @default 2048 for UDP (RFC 5426 section 3.2), 65536 for TCP and TLS
     */
    maxMessageBytes: z.number().int().min(480).max(16_777_216).optional().describe('Largest message (bytes)'),
    /** What happens to a message over `maxMessageBytes`: cut it, or send it to the dead letters. @default 'truncate' */
    oversize: z.enum(['truncate', 'reject']).default('truncate').describe('Oversized messages'),
    /** Header written in front of CEF, LEEF and JSON payloads. */
    header: syslogHeaderSchema.default({ facility: 'user', severity: 'info', appName: 'cloud-exchange' }),
    /** Most records per batch. @default 1000 */
    maxBatchItems: z.number().int().min(1).max(100_000).default(1_000).describe('Records per batch'),
    /** How long a connection attempt (TCP and TLS handshake included) may take, in ms. @default 10000 */
    connectTimeoutMs: z.number().int().min(100).max(300_000).default(10_000).describe('Connect timeout (ms)'),
    /** First wait before reconnecting after a failed attempt, in ms. @default 500 */
    reconnectInitialDelayMs: z
      .number()
      .int()
      .min(0)
      .max(600_000)
      .default(500)
      .describe('First reconnect delay (ms)'),
    /** Longest wait between reconnect attempts, in ms. @default 30000 */
    reconnectMaxDelayMs: z
      .number()
      .int()
      .min(0)
      .max(3_600_000)
      .default(30_000)
      .describe('Longest reconnect delay (ms)'),
  })
  .refine((config) => config.transport === 'tls' || config.tls === undefined, {
    message: 'TLS settings need transport "tls"',
    path: ['tls'],
  });

/** A validated syslog sink configuration. */
export type SyslogConfig = z.output<typeof syslogConfigSchema>;

/** The configuration with every default resolved. */
export interface ResolvedSyslogConfig {
  host: string;
  port: number;
  transport: 'udp' | 'tcp' | 'tls';
  framing: 'octet-counting' | 'newline' | 'datagram';
  maxMessageBytes: number;
  oversize: 'truncate' | 'reject';
  /** `<PRI>1 ` prefix and ` HOSTNAME APP-NAME - - - `-style parts of the wrapping header. */
  pri: number;
  hostname: string;
  appName: string;
  connectTimeoutMs: number;
  reconnectInitialDelayMs: number;
  reconnectMaxDelayMs: number;
  tls: z.output<typeof syslogTlsSchema> | undefined;
}

function defaultHostname(): string {
  const name = osHostname()
    .replace(/[^\x21-\x7e]/g, '_')
    .slice(0, 255);
  return name === '' ? '-' : name;
}

/** Resolves the transport-dependent defaults of a configuration. */
export function resolveSyslogConfig(config: SyslogConfig): ResolvedSyslogConfig {
  return {
    host: config.host,
    port: config.port ?? (config.transport === 'tls' ? 6514 : 514),
    transport: config.transport,
    framing: config.transport === 'udp' ? 'datagram' : config.framing,
    maxMessageBytes: config.maxMessageBytes ?? (config.transport === 'udp' ? 2_048 : 65_536),
    oversize: config.oversize,
    pri: syslogFacilities[config.header.facility] * 8 + syslogSeverities[config.header.severity],
    hostname: config.header.hostname ?? defaultHostname(),
    appName: config.header.appName,
    connectTimeoutMs: config.connectTimeoutMs,
    reconnectInitialDelayMs: config.reconnectInitialDelayMs,
    reconnectMaxDelayMs: Math.max(config.reconnectMaxDelayMs, config.reconnectInitialDelayMs),
    tls: config.transport === 'tls' ? (config.tls ?? syslogTlsSchema.parse({})) : undefined,
  };
}
