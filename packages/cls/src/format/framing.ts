import { escapeLineBreaks, utf8Length } from './escape.js';

/**
 * Frames one line for a stream transport with octet counting (RFC 6587 section 3.4.1, the framing
 * RFC 5425 mandates for TLS): `<length in bytes> <line>`. The line may then hold anything.
 *
 * @example
 * ```ts
 * socket.write(frameOctetCounting(toSyslog(cef, options))); // "123 <134>1 2024-..."
 * ```
 */
export function frameOctetCounting(line: string): string {
  return `${utf8Length(line)} ${line}`;
}

/**
 * Frames one line with a trailing LF (RFC 6587 non-transparent framing, NDJSON). A raw CR or LF
 * inside the line is escaped first, so a line can never be split in two by its own content.
 *
 * @example
 * ```ts
 * stream.write(frameNewline(toJsonLine(event)));
 * ```
 */
export function frameNewline(line: string): string {
  return `${escapeLineBreaks(line)}\n`;
}
