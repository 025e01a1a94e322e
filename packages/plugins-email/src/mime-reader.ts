/**
 * Just enough MIME (RFC 5322, 2045-2047) to read back what the plugin sends: unfolded headers with
 * encoded words decoded, and the text and HTML parts of a (possibly multipart) body, decoded from
 * quoted-printable or base64. For tests and the test server; not a general mail parser.
 *
 * @module
 */

/** A message read back. */
export interface ReadMessage {
  /** Header values by lower-case name, in order, unfolded and decoded. */
  headers: ReadonlyMap<string, string[]>;
  /** The `text/plain` part, decoded. */
  text: string | undefined;
  /** The `text/html` part, decoded. */
  html: string | undefined;
}

function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_, _charset: string, encoding: string, text: string) => {
      if (encoding.toUpperCase() === 'B') return Buffer.from(text, 'base64').toString('utf8');
      const bytes = text
        .replace(/_/g, ' ')
        .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
      return Buffer.from(bytes, 'latin1').toString('utf8');
    });
}

function splitHead(raw: string): { head: string; body: string } {
  const at = raw.search(/\r?\n\r?\n/);
  if (at < 0) return { head: raw, body: '' };
  const separator = /\r?\n\r?\n/.exec(raw.slice(at))?.[0] ?? '\n\n';
  return { head: raw.slice(0, at), body: raw.slice(at + separator.length) };
}

/** Parses a header block: unfolds continuation lines and decodes encoded words. */
export function readHeaders(head: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const values = headers.get(name) ?? [];
    values.push(decodeWords(line.slice(colon + 1).trim()));
    headers.set(name, values);
  }
  return headers;
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch (encoding?.toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable': {
      const bytes = body
        .replace(/=\r?\n/g, '')
        .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
      return Buffer.from(bytes, 'latin1').toString('utf8');
    }
    default:
      return body;
  }
}

function parameter(value: string | undefined, name: string): string | undefined {
  const found = new RegExp(`;\\s*${name}="?([^";]+)"?`, 'i').exec(value ?? '');
  return found?.[1];
}

function walk(raw: string, into: { text?: string; html?: string }): void {
  const { head, body } = splitHead(raw);
  const headers = readHeaders(head);
  const type = headers.get('content-type')?.[0] ?? 'text/plain';
  const mediaType = type.split(';')[0]?.trim().toLowerCase() ?? 'text/plain';
  if (mediaType.startsWith('multipart/')) {
    const boundary = parameter(type, 'boundary');
    if (!boundary) return;
    const parts = body.split(
      new RegExp(`\\r?\\n?--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:--)?\\r?\\n?`),
    );
    for (const part of parts) if (part.trim() !== '') walk(part, into);
    return;
  }
  const decoded = decodeBody(body, headers.get('content-transfer-encoding')?.[0]).replace(/\r?\n$/, '');
  if (mediaType === 'text/plain' && into.text === undefined) into.text = decoded;
  else if (mediaType === 'text/html' && into.html === undefined) into.html = decoded;
}

/** Reads a whole message. */
export function readMessage(raw: string): ReadMessage {
  const { head } = splitHead(raw);
  const parts: { text?: string; html?: string } = {};
  walk(raw, parts);
  return { headers: readHeaders(head), text: parts.text, html: parts.html };
}
