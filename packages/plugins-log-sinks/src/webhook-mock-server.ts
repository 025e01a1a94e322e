import { gunzipSync } from 'node:zlib';
import { type Clock, systemClock } from '@ce/core';
import {
  type RawMockRequest,
  type RawMockResponse,
  type RawMockServer,
  startRawMockServer,
} from './raw-mock-server.js';
import { verifyWebhookSignature } from './webhook-signature.js';

/** Options of {@link startWebhookMockServer}. */
export interface WebhookMockServerOptions {
  /** Path the receiver listens on. @default '/ingest' */
  path?: string;
  /** When set, requests must carry a valid signature made with this key. */
  signingSecret?: string;
  /** Signature header name. @default 'x-ce-signature' */
  signatureHeader?: string;
  /** When set, requests must carry this header with exactly this value. */
  requiredHeader?: { name: string; value: string };
  /** Clock for the signature's time check; share the sink's fake clock. @default systemClock */
  clock?: Clock;
  /** Refuse (400) any body holding one of these strings, to test content refusals. */
  refuseContaining?: string;
}

/** One batch the receiver stored. */
export interface WebhookReceivedBatch {
  /** The `Idempotency-Key` header. */
  idempotencyKey: string | undefined;
  /** The content type sent. */
  contentType: string;
  /** The body after removing `Content-Encoding`. */
  body: string;
  /** The records: array elements, NDJSON values or text lines. */
  records: unknown[];
}

/** A webhook receiver on loopback. */
export interface WebhookMockServer {
  /** The receiver URL (base URL plus path). */
  readonly url: string;
  /** The raw server (requests as received, fault injection). */
  readonly server: RawMockServer;
  /** Batches stored, one per idempotency key. */
  readonly batches: WebhookReceivedBatch[];
  /** Every record stored, in order. */
  records(): unknown[];
  /** Stops the server. */
  close(): Promise<void>;
}

/**
 * Starts a webhook receiver that behaves as a careful one should: it checks the credential
 * header and the HMAC signature (over the decompressed body, within 300 s of its clock), reads
 * JSON arrays, NDJSON and text lines, answers 400 to a body it cannot parse, and stores a batch
 * once per `Idempotency-Key` (a replay is acknowledged, not stored again).
 *
 * @example
 * ```ts
 * const receiver = await startWebhookMockServer({ signingSecret: 'whsec-0123456789' });
 * // deliver to receiver.url, then inspect receiver.records()
 * await receiver.close();
 * ```
 */
export async function startWebhookMockServer(
  options: WebhookMockServerOptions = {},
): Promise<WebhookMockServer> {
  const path = options.path ?? '/ingest';
  const clock = options.clock ?? systemClock;
  const signatureHeader = (options.signatureHeader ?? 'x-ce-signature').toLowerCase();
  const batches: WebhookReceivedBatch[] = [];
  const seen = new Set<string>();
  const handle = (request: RawMockRequest): RawMockResponse => {
    if (request.path !== path) return { status: 404, body: { error: 'not found' } };
    if (request.method !== 'POST' && request.method !== 'PUT')
      return { status: 405, body: { error: 'method not allowed' } };
    if (options.requiredHeader) {
      const actual = request.headers[options.requiredHeader.name.toLowerCase()];
      if (actual !== options.requiredHeader.value) return { status: 401, body: { error: 'unauthorized' } };
    }
    let content: Buffer;
    try {
      content = request.headers['content-encoding'] === 'gzip' ? gunzipSync(request.body) : request.body;
    } catch {
      return { status: 400, body: { error: 'body is not valid gzip' } };
    }
    if (options.signingSecret) {
      const ok = verifyWebhookSignature(options.signingSecret, request.headers[signatureHeader], content, {
        nowSeconds: Math.floor(clock.now() / 1_000),
      });
      if (!ok) return { status: 401, body: { error: 'invalid signature' } };
    }
    const text = content.toString('utf8');
    if (options.refuseContaining && text.includes(options.refuseContaining))
      return { status: 400, body: { error: 'content refused by policy' } };
    const contentType = request.headers['content-type'] ?? '';
    let records: unknown[];
    try {
      if (contentType.startsWith('application/json')) {
        const parsed = JSON.parse(text) as unknown;
        if (!Array.isArray(parsed)) return { status: 400, body: { error: 'expected a JSON array' } };
        records = parsed;
      } else if (contentType.startsWith('application/x-ndjson')) {
        if (text !== '' && !text.endsWith('\n'))
          return { status: 400, body: { error: 'NDJSON must end with a newline' } };
        records =
          text === ''
            ? []
            : text
                .slice(0, -1)
                .split('\n')
                .map((line) => JSON.parse(line) as unknown);
      } else if (contentType.startsWith('text/plain')) {
        records = text === '' ? [] : text.replace(/\n$/, '').split('\n');
      } else {
        return { status: 415, body: { error: `unsupported content type ${contentType}` } };
      }
    } catch {
      return { status: 400, body: { error: 'body does not parse' } };
    }
    const key = request.headers['idempotency-key'];
    if (key !== undefined && seen.has(key)) return { status: 200, body: { status: 'duplicate', stored: 0 } };
    if (key !== undefined) seen.add(key);
    batches.push({ idempotencyKey: key, contentType, body: text, records });
    return { status: 202, body: { status: 'accepted', stored: records.length } };
  };
  const server = await startRawMockServer(handle);
  return {
    url: `${server.url}${path}`,
    server,
    batches,
    records: () => batches.flatMap((batch) => batch.records),
    close: () => server.close(),
  };
}
