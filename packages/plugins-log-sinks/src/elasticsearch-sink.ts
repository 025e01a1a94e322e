import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  CeError,
  type LogBatch,
  type LogDelivery,
  type LogDeliveryResult,
  type LogRejection,
  type LogSinkCapability,
  type LogSinkSession,
  type PluginContext,
  secretString,
} from '@ce/core';
import { definePlugin } from '@ce/plugin-kit';
import { z } from 'zod';
import { notJsonReason, payloadAsJson } from './batch-encoding.js';
import { BatchProgress } from './batch-progress.js';
import {
  excerpt,
  httpTransportSchema,
  sendOnce,
  sinkCapability,
  statusError,
  transportOptions,
} from './sink-http.js';

/**
 * Index name template: `%Y`, `%m`, `%d`, `%H` (UTC, from the record's time) and `%%`. The rest
 * must be a valid index name: lowercase, none of `\ / * ? " < > | , #` or spaces, not starting
 * with `-`, `_` or `+`.
 */
const indexTemplateSchema = z
  .string()
  .min(1)
  .max(200)
  .refine(
    (value) => !/%([^YmdH%]|$)/.test(value.replace(/%%/g, '')),
    'only %Y, %m, %d, %H and %% are expanded',
  )
  .refine(
    (value) => /^[^-_+A-Z\\/*?"<>|,# ][^A-Z\\/*?"<>|,# ]*$/.test(value.replace(/%[YmdH%]/g, '0')),
    'not a valid index name (lowercase, no \\ / * ? " < > | , # or spaces)',
  );

/** Settings of {@link elasticsearchSinkPlugin}. */
export const elasticsearchConfigSchema = httpTransportSchema
  .extend({
    /** Base URL of the cluster (or of a proxy path in front of it), e.g. `https://es.example.com:9200`. */
    url: z.url({ protocol: /^https?$/ }),
    /** User for basic authentication. */
    username: z.string().min(1).optional(),
    /** Password for basic authentication. */
    password: secretString('password for basic authentication').optional(),
    /** API key in its encoded form (base64 of `id:api_key`), sent as `Authorization: ApiKey ...`. */
    apiKey: secretString('encoded API key').optional(),
    /** Index (or data stream) name template, expanded per record from its time (UTC). */
    index: indexTemplateSchema.default('ce-logs-%Y.%m.%d'),
    /** What is indexed: `payload` (the JSON payload, or `{ message }` for text formats) or `record`. */
    document: z.enum(['payload', 'record']).default('payload'),
    /** Field that receives the record time (ISO 8601) when the document lacks it; `null` to add none. */
    timestampField: z.string().min(1).max(256).nullable().default('@timestamp'),
    /** Ingest pipeline to run the documents through. */
    pipeline: z.string().min(1).max(256).optional(),
    /** Compress request bodies (`Content-Encoding: gzip`). */
    gzip: z.boolean().default(false),
    /** Most documents per `_bulk` request. */
    maxBatchItems: z.number().int().positive().max(100_000).default(1_000),
    /** Most payload bytes per request (Elastic suggests bulk bodies of a few MB). */
    maxBatchBytes: z
      .number()
      .int()
      .positive()
      .max(100 * 1024 * 1024)
      .default(5 * 1024 * 1024),
  })
  .refine((config) => !(config.apiKey && (config.username || config.password)), {
    message: 'use either apiKey or username/password, not both',
    path: ['apiKey'],
  })
  .refine((config) => (config.username === undefined) === (config.password === undefined), {
    message: 'username and password go together',
    path: ['password'],
  });

/** The validated settings of the Elasticsearch sink. */
export type ElasticsearchConfig = z.output<typeof elasticsearchConfigSchema>;

const pad = (value: number): string => String(value).padStart(2, '0');

/** Expands an index template for a time (ms since the epoch, UTC). */
export function expandIndexName(template: string, time: number): string {
  const date = new Date(time);
  return template.replace(/%([YmdH%])/g, (_, field: string) => {
    if (field === 'Y') return String(date.getUTCFullYear());
    if (field === 'm') return pad(date.getUTCMonth() + 1);
    if (field === 'd') return pad(date.getUTCDate());
    if (field === 'H') return pad(date.getUTCHours());
    return '%';
  });
}

/**
 * The document `_id`: the delivery id, which is deterministic, so that a replay of a record
 * meets its earlier copy (409 on `create`) instead of adding a second one. Ids beyond
 * Elasticsearch's 512-byte limit are replaced by their SHA-256, which is just as deterministic.
 */
export function documentId(id: string): string {
  return Buffer.byteLength(id, 'utf8') <= 512
    ? id
    : `sha256-${createHash('sha256').update(id).digest('hex')}`;
}

/** The document source of a record, or `undefined` when a JSON payload is not JSON. */
export function elasticsearchDocument(
  item: LogDelivery,
  format: LogBatch['format'],
  config: Pick<ElasticsearchConfig, 'document' | 'timestampField'>,
): string | undefined {
  let source: string;
  if (config.document === 'record') source = JSON.stringify(item.record);
  else if (format === 'json') {
    const json = payloadAsJson(item, format);
    if (json === undefined) return undefined;
    source = json.charCodeAt(0) === 0x7b ? json : `{"message":${json}}`;
  } else source = `{"message":${JSON.stringify(item.payload)}}`;
  const field = config.timestampField;
  if (field === null || item.timestamp === undefined) return source;
  const key = JSON.stringify(field);
  // A key is only ever unescaped quotes; seeing it anywhere means the document has it already
  // (a duplicate key would fail the document with a parsing exception).
  if (source.includes(`${key}:`)) return source;
  const stamp = `${key}:${JSON.stringify(new Date(item.timestamp).toISOString())}`;
  return source === '{}' ? `{${stamp}}` : `{${stamp},${source.slice(1)}`;
}

interface BulkItemResult {
  status?: number;
  error?: { type?: string; reason?: string; caused_by?: { type?: string; reason?: string } };
}

function itemResult(entry: Record<string, unknown>): BulkItemResult {
  const value = entry.create ?? entry.index ?? Object.values(entry)[0];
  return (typeof value === 'object' && value !== null ? value : {}) as BulkItemResult;
}

function itemReason(result: BulkItemResult): string {
  const error = result.error;
  const cause = error?.caused_by?.reason
    ? `; caused by ${error.caused_by.type}: ${error.caused_by.reason}`
    : '';
  return `Elasticsearch refused the document (status ${result.status}): ${error?.type ?? 'error'}: ${
    error?.reason ?? 'no reason given'
  }${cause}`.slice(0, 1_000);
}

async function openElasticsearchSession(
  context: PluginContext<ElasticsearchConfig>,
): Promise<LogSinkSession> {
  const config = context.config;
  const base = config.url.replace(/\/+$/, '');
  const secrets = [config.password, config.apiKey];
  const authorization = config.apiKey
    ? `ApiKey ${config.apiKey}`
    : config.username && config.password
      ? `Basic ${Buffer.from(`${config.username}:${config.password}`).toString('base64')}`
      : undefined;
  const query = new URLSearchParams({
    filter_path: 'errors,items.*.status,items.*.error.type,items.*.error.reason,items.*.error.caused_by',
  });
  if (config.pipeline) query.set('pipeline', config.pipeline);
  const path = `${base}/_bulk?${query.toString()}`;
  const progress = new BatchProgress();

  return {
    async deliver(batch: LogBatch, signal: AbortSignal): Promise<LogDeliveryResult> {
      const now = context.clock.now();
      const lines: string[] = [];
      const positions: number[] = [];
      const refused: LogRejection[] = [];
      for (const index of progress.pending(batch)) {
        const item = batch.items[index] as LogDelivery;
        const source = elasticsearchDocument(item, batch.format, config);
        if (source === undefined) {
          refused.push({ index, reason: notJsonReason });
          continue;
        }
        const target = expandIndexName(config.index, item.timestamp ?? now);
        lines.push(
          `{"create":{"_index":${JSON.stringify(target)},"_id":${JSON.stringify(documentId(item.id))}}}`,
          source,
        );
        positions.push(index);
      }
      progress.settle(batch, [], refused);
      if (positions.length === 0) return { rejected: progress.finish(batch) };

      const content = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
      const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
      if (authorization) headers.authorization = authorization;
      if (config.gzip) headers['content-encoding'] = 'gzip';
      const response = await sendOnce(context, {
        method: 'POST',
        path,
        headers,
        body: config.gzip ? gzipSync(content) : content,
        signal,
      });
      const fail = (message: string, options: { retryable?: boolean; code?: 'CONFIG_INVALID' } = {}) =>
        statusError({ message, response, method: 'POST', now: context.clock.now(), secrets, ...options });
      if (response.status === 413)
        throw fail(
          `Elasticsearch refused a ${content.length}-byte bulk body as too large; lower maxBatchBytes`,
          {
            retryable: false,
          },
        );
      if (response.status !== 200) throw fail('Elasticsearch _bulk request failed');

      let parsed: { errors?: unknown; items?: unknown };
      try {
        parsed = JSON.parse(response.body.toString('utf8')) as typeof parsed;
        if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
      } catch (error) {
        throw new CeError(
          'HTTP_RESPONSE_INVALID',
          `Elasticsearch _bulk answered 200 with a body that is not a bulk response: ${excerpt(response.body, 200)}`,
          { cause: error, retryable: true },
        );
      }
      // `errors: false` is the cluster saying every action succeeded: no item needs reading.
      if (parsed.errors === false) {
        progress.settle(batch, positions);
        return { rejected: progress.finish(batch) };
      }
      const items = (Array.isArray(parsed.items) ? parsed.items : []) as Array<Record<string, unknown>>;
      if (items.length !== positions.length) {
        throw new CeError(
          'HTTP_RESPONSE_INVALID',
          `Elasticsearch _bulk answered ${items.length} item results for ${positions.length} documents`,
          { retryable: true },
        );
      }
      const accepted: number[] = [];
      const rejected: LogRejection[] = [];
      let retry = 0;
      let rateLimited = false;
      let stop: { status: number; reason: string } | undefined;
      items.forEach((entry, at) => {
        const result = itemResult(entry);
        const status = result.status ?? 0;
        const index = positions[at] as number;
        // 409 on create: the document is already there (an earlier attempt took it), as wanted.
        if ((status >= 200 && status < 300) || status === 409) accepted.push(index);
        else if (status === 429 || status >= 500 || status === 0) {
          retry++;
          if (status === 429) rateLimited = true;
        } else if (status === 401 || status === 403 || result.error?.type === 'index_not_found_exception') {
          stop ??= { status, reason: itemReason(result) };
          retry++;
        } else rejected.push({ index, reason: itemReason(result) });
      });
      progress.settle(batch, accepted, rejected);
      if (stop) {
        throw new CeError(
          stop.status === 401 || stop.status === 403 ? 'HTTP_AUTH_FAILED' : 'CONFIG_INVALID',
          `Elasticsearch refused writing to the index: ${stop.reason}`,
          { retryable: false, details: { status: stop.status } },
        );
      }
      if (retry > 0) {
        throw new CeError(
          rateLimited ? 'HTTP_RATE_LIMITED' : 'HTTP_ERROR',
          `Elasticsearch could not take ${retry} of ${positions.length} documents now (429/5xx); the batch is retried with only those`,
          { retryable: true, details: { retryItems: retry } },
        );
      }
      return { rejected: progress.finish(batch) };
    },
    async close() {},
  };
}

/** The Elasticsearch/OpenSearch sink capability (see {@link elasticsearchSinkPlugin}). */
export const elasticsearchSink: LogSinkCapability<ElasticsearchConfig> = sinkCapability(
  'Elasticsearch',
  openElasticsearchSession,
);

/**
 * Log shipper sink for Elasticsearch and OpenSearch: `_bulk` requests of `create` actions whose
 * `_id` is the record's deterministic delivery id, into an index named from the record's date
 * (`ce-logs-%Y.%m.%d`). A replayed record answers 409 (already there), which counts as delivered,
 * so retrying a whole batch is safe. Documents refused for their content (mapping errors) are
 * rejected with Elasticsearch's reason; documents refused for load (429, 5xx) make the batch fail
 * retryably, and the retry sends only those. Basic or API-key authentication, optional gzip and
 * ingest pipeline.
 *
 * @example
 * ```ts
 * const config = {
 *   url: 'https://es.example.com:9200',
 *   apiKey: { secretRef: 'es-api-key' },
 *   index: 'netskope-events-%Y.%m.%d',
 * };
 * ```
 */
export const elasticsearchSinkPlugin = definePlugin({
  id: 'elasticsearch-sink',
  name: 'Elasticsearch / OpenSearch',
  version: '0.1.0',
  description:
    'Indexes log records into Elasticsearch or OpenSearch with _bulk create actions and deterministic ids, so replays never duplicate.',
  modules: ['cls'],
  configSchema: elasticsearchConfigSchema,
  capabilities: { check: true, 'cls.sink': true },
  http: (config) => transportOptions(config),
  async check(context) {
    const config = context.config;
    const headers: Record<string, string> = {};
    if (config.apiKey) headers.authorization = `ApiKey ${config.apiKey}`;
    else if (config.username && config.password)
      headers.authorization = `Basic ${Buffer.from(`${config.username}:${config.password}`).toString('base64')}`;
    const response = await sendOnce(context, {
      method: 'GET',
      path: `${config.url.replace(/\/+$/, '')}/`,
      headers,
      signal: context.signal,
    });
    if (response.status === 200) {
      const info = JSON.parse(response.body.toString('utf8')) as {
        cluster_name?: string;
        version?: { number?: string };
      };
      return {
        ok: true,
        message: `connected to cluster ${info.cluster_name ?? '?'} (version ${info.version?.number ?? '?'})`,
      };
    }
    return {
      ok: false,
      retryable: response.status >= 500 || response.status === 429,
      message:
        response.status === 401 || response.status === 403
          ? `Elasticsearch refused the credentials (status ${response.status})`
          : `Elasticsearch answered status ${response.status}`,
    };
  },
  cls: { sink: elasticsearchSink },
});
