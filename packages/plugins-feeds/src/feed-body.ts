import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CeError } from '@ce/core';

/** One line of a feed body. */
export type FeedLine =
  | { line: number; text: string; oversized?: undefined }
  | { line: number; oversized: true; excerpt: string };

const gzipMagic = [0x1f, 0x8b] as const;

/** Whether a buffer starts with the gzip magic bytes. */
export function isGzip(buffer: Uint8Array): boolean {
  return buffer.length >= 2 && buffer[0] === gzipMagic[0] && buffer[1] === gzipMagic[1];
}

/** An error for a body over the size limit; `reason` tells a download from a decompression. */
export function tooLargeError(maxBytes: number, reason: 'size-limit' | 'decompressed-size-limit'): CeError {
  const message =
    reason === 'size-limit'
      ? `feed body exceeds the ${maxBytes}-byte limit (maxBytes)`
      : `feed body decompresses to more than ${maxBytes} bytes (maxBytes): rejected as a possible decompression bomb`;
  return new CeError('HTTP_RESPONSE_TOO_LARGE', message, { details: { reason, maxBytes } });
}

/** Counts bytes through a chunk stream and fails once there are more than `maxBytes`. */
export async function* limitBytes(
  chunks: AsyncIterable<Uint8Array>,
  maxBytes: number,
  reason: 'size-limit' | 'decompressed-size-limit',
): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.length;
    if (total > maxBytes) throw tooLargeError(maxBytes, reason);
    yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}

/**
 * Gunzips a chunk stream when it is gzip (by its magic bytes, or always with `mode: 'gzip'`),
 * stopping as soon as the output passes `maxBytes`: a decompression bomb costs at most the limit.
 * Bodies the HTTP client already decoded (`Content-Encoding: gzip`) carry no magic and pass through.
 */
export async function* maybeGunzip(
  chunks: AsyncIterable<Buffer>,
  mode: 'auto' | 'gzip' | 'none',
  maxBytes: number,
): AsyncGenerator<Buffer> {
  const iterator = chunks[Symbol.asyncIterator]();
  let first: Buffer | undefined;
  // Gather at least the two magic bytes; a file stream may hand out a one-byte first chunk.
  const head: Buffer[] = [];
  let headLength = 0;
  while (headLength < 2) {
    const next = await iterator.next();
    if (next.done) break;
    head.push(next.value);
    headLength += next.value.length;
  }
  if (head.length > 0) first = Buffer.concat(head);
  const rest = async function* (): AsyncGenerator<Buffer> {
    if (first) yield first;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  };
  if (mode === 'none' || !first || !isGzip(first)) {
    yield* rest();
    return;
  }
  const input = Readable.from(rest());
  const gunzip = createGunzip();
  input.on('error', (error) => gunzip.destroy(error));
  input.pipe(gunzip);
  let total = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) throw tooLargeError(maxBytes, 'decompressed-size-limit');
      yield chunk;
    }
  } catch (error) {
    if (CeError.isInstance(error)) throw error;
    if (
      (error as { code?: string }).code?.startsWith('Z_') ||
      /unexpected end of file/i.test(String(error))
    ) {
      throw new CeError('VALIDATION_FAILED', 'feed body is not valid gzip data (corrupt or truncated)', {
        cause: error,
        details: { reason: 'invalid-gzip' },
      });
    }
    throw error;
  } finally {
    input.destroy();
    gunzip.destroy();
  }
}

/**
 * Splits a chunk stream into lines at `\n` (a trailing `\r` is dropped, and a UTF-8 byte order
 * mark on the first line). A line longer than `maxLineBytes` is not kept in memory: it comes out
 * as `oversized` with an excerpt of its start.
 */
export async function* splitLines(
  chunks: AsyncIterable<Buffer>,
  maxLineBytes: number,
): AsyncGenerator<FeedLine> {
  let parts: Buffer[] = [];
  let length = 0;
  let oversized = false;
  let excerpt = '';
  let line = 0;
  const take = (piece: Buffer): void => {
    if (oversized) return;
    if (length + piece.length > maxLineBytes) {
      oversized = true;
      excerpt = Buffer.concat([...parts, piece])
        .subarray(0, 80)
        .toString('utf8');
      parts = [];
      return;
    }
    if (piece.length > 0) parts.push(piece);
    length += piece.length;
  };
  const emit = (): FeedLine => {
    line += 1;
    let result: FeedLine;
    if (oversized) result = { line, oversized: true, excerpt };
    else {
      let text = (parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)).toString('utf8');
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      result = { line, text };
    }
    parts = [];
    length = 0;
    oversized = false;
    excerpt = '';
    return result;
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      if (newline === -1) {
        take(chunk.subarray(start));
        break;
      }
      take(chunk.subarray(start, newline));
      yield emit();
      start = newline + 1;
    }
  }
  if (length > 0 || oversized) yield emit();
}

/** Collects a chunk stream into one string (the caller bounds its size upstream). */
export async function readAllText(chunks: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  const text = Buffer.concat(parts).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
