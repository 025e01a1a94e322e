import { gzipSync } from 'node:zlib';
import {
  type LogBatch,
  type LogDeliveryResult,
  type LogRejection,
  type LogSinkCapability,
  type LogSinkSession,
  type PluginContext,
  secretString,
} from '@ce/core';
import { definePlugin } from '@ce/plugin-kit';
import { z } from 'zod';
import {
  encodeItems,
  envelopeJson,
  isSingleLine,
  lineBreakReason,
  notJsonReason,
  payloadAsJson,
} from './batch-encoding.js';
import {
  excerpt,
  headerNameSchema,
  headerValueSchema,
  httpTransportSchema,
  scrubSecrets,
  sendOnce,
  sinkCapability,
  statusError,
  transportOptions,
} from './sink-http.js';
import { signWebhookBody } from './webhook-signature.js';

/** Header names the sink sets itself; custom headers cannot override them. */
const reservedHeaders = new Set([
  'content-type',
  'content-encoding',
  'content-length',
  'host',
  'idempotency-key',
]);

/** Settings of {@link webhookSinkPlugin}. */
export const webhookConfigSchema = httpTransportSchema.extend({
  /** The receiver's URL. */
  url: z.url({ protocol: /^https?$/ }),
  /** HTTP method. */
  method: z.enum(['POST', 'PUT']).default('POST'),
  /**
   * Body layout: `json` (a JSON array), `ndjson` (one JSON value per line) or `lines` (the
   * payloads as text lines, for CEF/LEEF/syslog receivers).
   */
  body: z.enum(['json', 'ndjson', 'lines']).default('json'),
  /** Wrap each record as `{ id, stream, timestamp, event }` (json and ndjson bodies). */
  envelope: z.boolean().default(false),
  /** Compress the body (`Content-Encoding: gzip`). */
  gzip: z.boolean().default(false),
  /** HMAC-SHA256 key; when set every request carries the signature header. */
  signingSecret: secretString('HMAC-SHA256 key of the signature header').optional(),
  /** Name of the signature header. */
  signatureHeader: headerNameSchema.default('X-CE-Signature'),
  /** One credential header, e.g. `Authorization: Bearer ...` or `X-Api-Key: ...`. */
  authHeader: z
    .object({
      name: headerNameSchema.default('Authorization'),
      value: secretString('value of the credential header'),
    })
    .optional(),
  /** Other headers (not secret: they may appear in diagnostics). */
  headers: z.record(headerNameSchema, headerValueSchema).default({}),
  /** Most records per request. */
  maxBatchItems: z.number().int().positive().max(100_000).default(500),
  /** Most payload bytes per request (before compression). */
  maxBatchBytes: z
    .number()
    .int()
    .positive()
    .max(256 * 1024 * 1024)
    .default(1024 * 1024),
});

/** The validated settings of the webhook sink. */
export type WebhookConfig = z.output<typeof webhookConfigSchema>;

/** Statuses meaning "the receiver refuses this content": every record is rejected with the reason. */
const contentRefusals = new Set([400, 409, 422]);

/** Builds the request body of a batch, refusing records that cannot be encoded. */
export function encodeWebhookBody(
  batch: LogBatch,
  config: Pick<WebhookConfig, 'body' | 'envelope'>,
): { body: string; contentType: string; included: number[]; rejected: LogRejection[] } {
  if (config.body === 'lines') {
    const encoded = encodeItems(batch.items, (item) =>
      isSingleLine(item.payload) ? item.payload : { reject: lineBreakReason },
    );
    return {
      body: encoded.parts.length === 0 ? '' : `${encoded.parts.join('\n')}\n`,
      contentType: 'text/plain; charset=utf-8',
      included: encoded.included,
      rejected: encoded.rejected,
    };
  }
  const encoded = encodeItems(batch.items, (item) => {
    const json = payloadAsJson(item, batch.format);
    if (json === undefined) return { reject: notJsonReason };
    return config.envelope ? envelopeJson(item, json) : json;
  });
  const body =
    config.body === 'json'
      ? `[${encoded.parts.join(',')}]`
      : encoded.parts.length === 0
        ? ''
        : `${encoded.parts.join('\n')}\n`;
  return {
    body,
    contentType: config.body === 'json' ? 'application/json' : 'application/x-ndjson',
    included: encoded.included,
    rejected: encoded.rejected,
  };
}

async function openWebhookSession(context: PluginContext<WebhookConfig>): Promise<LogSinkSession> {
  const config = context.config;
  const secrets = [config.signingSecret, config.authHeader?.value];
  const fixedHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.headers)) {
    if (!reservedHeaders.has(name.toLowerCase())) fixedHeaders[name.toLowerCase()] = value;
  }
  if (config.authHeader) fixedHeaders[config.authHeader.name.toLowerCase()] = config.authHeader.value;
  return {
    async deliver(batch: LogBatch, signal: AbortSignal): Promise<LogDeliveryResult> {
      const encoded = encodeWebhookBody(batch, config);
      if (encoded.included.length === 0) return { rejected: encoded.rejected };
      const content = Buffer.from(encoded.body, 'utf8');
      const headers: Record<string, string> = {
        ...fixedHeaders,
        'content-type': encoded.contentType,
        'idempotency-key': batch.id,
      };
      if (config.signingSecret) {
        headers[config.signatureHeader.toLowerCase()] = signWebhookBody(
          config.signingSecret,
          content,
          Math.floor(context.clock.now() / 1_000),
        );
      }
      let body = content;
      if (config.gzip) {
        body = gzipSync(content);
        headers['content-encoding'] = 'gzip';
      }
      const response = await sendOnce(context, {
        method: config.method,
        path: config.url,
        headers,
        body,
        signal,
      });
      if (response.status >= 200 && response.status < 300) return { rejected: encoded.rejected };
      const singleTooLarge = response.status === 413 && encoded.included.length === 1;
      if (contentRefusals.has(response.status) || singleTooLarge) {
        const reason = `webhook refused the batch with status ${response.status}${
          response.body.length > 0 ? `: ${scrubSecrets(excerpt(response.body, 200), secrets)}` : ''
        }`;
        return {
          rejected: [...encoded.rejected, ...encoded.included.map((index) => ({ index, reason }))].sort(
            (a, b) => a.index - b.index,
          ),
        };
      }
      if (response.status === 413) {
        throw statusError({
          message: `webhook refused a ${content.length}-byte body as too large; lower maxBatchBytes`,
          response,
          method: config.method,
          now: context.clock.now(),
          retryable: false,
          secrets,
        });
      }
      throw statusError({
        message: 'webhook delivery failed',
        response,
        method: config.method,
        now: context.clock.now(),
        secrets,
      });
    },
    async close() {},
  };
}

/** The webhook sink capability (see {@link webhookSinkPlugin}). */
export const webhookSink: LogSinkCapability<WebhookConfig> = sinkCapability('webhook', openWebhookSession);

/**
 * Log shipper sink that POSTs batches to an HTTP receiver: a JSON array, NDJSON or text lines,
 * optionally gzip-compressed, with `Idempotency-Key: <batch id>` (a replayed batch carries the
 * same key) and an optional HMAC-SHA256 signature header `t=<unix>,v1=<hex>` over the body.
 *
 * 2xx accepts the batch; 400, 409 and 422 reject every record with the receiver's reason (dead
 * letters); 401 and 403 stop the shipper (`HTTP_AUTH_FAILED`, not retryable); 408, 429, 5xx and
 * network failures are retried by the shipper; other statuses are configuration errors.
 *
 * @example
 * ```ts
 * const config = {
 *   url: 'https://siem.example.com/ingest',
 *   body: 'ndjson',
 *   gzip: true,
 *   signingSecret: { secretRef: 'webhook-hmac' },
 *   authHeader: { name: 'Authorization', value: { secretRef: 'webhook-token' } },
 * };
 * ```
 */
export const webhookSinkPlugin = definePlugin({
  id: 'webhook-sink',
  name: 'HTTP webhook',
  version: '0.1.0',
  description:
    'Delivers log batches to an HTTP receiver as JSON, NDJSON or text lines, with gzip, an HMAC-SHA256 signature and an idempotency key.',
  modules: ['cls'],
  configSchema: webhookConfigSchema,
  capabilities: { 'cls.sink': true },
  http: (config) => transportOptions(config),
  cls: { sink: webhookSink },
});
