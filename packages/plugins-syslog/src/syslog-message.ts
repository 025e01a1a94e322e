import type { LogDelivery, LogFormat } from '@ce/core';

/** How messages are delimited on the wire. */
export type SyslogFraming = 'octet-counting' | 'newline' | 'datagram';

/** What the encoder needs to know; a subset of the resolved configuration. */
export interface SyslogEncoderOptions {
  /** How messages are delimited: decides the escaping and the frame. */
  framing: SyslogFraming;
  /** Largest message in UTF-8 bytes, framing excluded. */
  maxMessageBytes: number;
  /** Whether a longer message is cut at a character boundary or refused. */
  oversize: 'truncate' | 'reject';
  /** PRI value (facility × 8 + severity) of the header written in front of non-syslog payloads. */
  pri: number;
  /** HOSTNAME of that header. */
  hostname: string;
  /** APP-NAME of that header. */
  appName: string;
  /** Time of a header when the record carries none, in ms since the epoch. */
  now: () => number;
}

/** One encoded message: the framed text, or why the record was refused. */
export type EncodedSyslogMessage =
  | { ok: true; framed: string; bytes: number; truncated: boolean }
  | { ok: false; reason: string };

/**
 * The RFC 5424 header (section 6) the sink writes in front of a CEF, LEEF or JSON payload:
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME - - - `, with no PROCID, MSGID or structured data, and no
 * BOM before the message (a BOM in front of `CEF:0|` breaks most CEF parsers; without it RFC 5424
 * reads the MSG as MSG-ANY). The timestamp is the record's own time when known, so a replayed
 * record is sent byte for byte as before.
 */
export function rfc5424Header(pri: number, timestamp: number, hostname: string, appName: string): string {
  const time = Number.isFinite(timestamp) ? new Date(timestamp) : undefined;
  const iso = time && !Number.isNaN(time.getTime()) ? time.toISOString() : '-';
  return `<${pri}>1 ${iso} ${hostname} ${appName} - - - `;
}

// Only LF, CR and NUL can end a frame: LF by RFC 6587 section 3.4.2, NUL on receivers that
// accept it as an extra delimiter (rsyslog's AddtlFrameDelimiter). Same escapes as @ce/cls.
const frameBreaking = /[\n\r\0]/;
const frameBreakingAll = /[\n\r\0]/g;
const escapes: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\0': ' ' };

/**
 * Makes a message safe for newline framing: LF becomes the two characters `\n`, CR becomes `\r`
 * and NUL a space, so a payload can never end its frame early and start a forged second message.
 * Everything else, backslashes included, is left as it is.
 */
export function escapeFrameBreaks(message: string): string {
  return frameBreaking.test(message) ? message.replace(frameBreakingAll, (c) => escapes[c] ?? ' ') : message;
}

/**
 * Cuts UTF-8 text to at most `maxBytes` bytes without splitting a character: the cut moves back
 * over continuation bytes (`10xxxxxx`) to the start of the character it would have halved.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * Returns a function that turns one record into its framed message:
 * - a `syslog` payload is already a whole syslog message and is sent as it is; a `cef`, `leef` or
 *   `json` payload becomes the MSG of an RFC 5424 header ({@link rfc5424Header});
 * - with newline framing, CR, LF and NUL are escaped ({@link escapeFrameBreaks});
 * - a message over `maxMessageBytes` is cut at a character boundary, or refused;
 * - octet counting writes the UTF-8 byte length (RFC 6587 section 3.4.1), newline framing a
 *   trailing LF, and a datagram nothing (RFC 5426: one message per datagram).
 * An empty message is refused: octet counting has no frame for it (MSG-LEN starts at 1).
 */
export function createSyslogEncoder(
  options: SyslogEncoderOptions,
): (delivery: LogDelivery, format: LogFormat) => EncodedSyslogMessage {
  const { framing, maxMessageBytes, oversize, pri, hostname, appName, now } = options;
  return (delivery, format) => {
    let message =
      format === 'syslog'
        ? delivery.payload
        : rfc5424Header(pri, delivery.timestamp ?? now(), hostname, appName) + delivery.payload;
    if (framing === 'newline') message = escapeFrameBreaks(message);
    if (message.length === 0) return { ok: false, reason: 'empty message' };
    // A UTF-16 unit is at most 3 UTF-8 bytes: most messages skip the exact count.
    let bytes = message.length * 3 <= maxMessageBytes ? -1 : Buffer.byteLength(message, 'utf8');
    let truncated = false;
    if (bytes > maxMessageBytes) {
      if (oversize === 'reject')
        return {
          ok: false,
          reason: `message of ${bytes} bytes exceeds maxMessageBytes (${maxMessageBytes})`,
        };
      message = truncateUtf8(message, maxMessageBytes);
      bytes = Buffer.byteLength(message, 'utf8');
      truncated = true;
    }
    if (framing === 'octet-counting') {
      if (bytes < 0) bytes = Buffer.byteLength(message, 'utf8');
      return { ok: true, framed: `${bytes} ${message}`, bytes, truncated };
    }
    if (framing === 'newline') return { ok: true, framed: `${message}\n`, bytes, truncated };
    return { ok: true, framed: message, bytes, truncated };
  };
}
