import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  type LogBatch,
  type LogDeliveryResult,
  type LogSinkCapability,
  type LogSinkSession,
  type PluginContext,
  secretString,
} from '@ce/core';
import { definePlugin } from '@ce/plugin-kit';
import { z } from 'zod';
import { type AwsCredentials, sha256Hex, signV4, uriEncode } from './aws-sigv4.js';
import { encodeItems, envelopeJson, notJsonReason, payloadAsJson } from './batch-encoding.js';
import {
  excerpt,
  httpTransportSchema,
  type SinkResponse,
  sendOnce,
  sinkCapability,
  statusError,
  transportOptions,
} from './sink-http.js';

/** Settings of {@link s3SinkPlugin}. */
export const s3ConfigSchema = httpTransportSchema.extend({
  /** Bucket name. */
  bucket: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      'not a valid bucket name (3-63 lowercase letters, digits, "." and "-")',
    ),
  /** Region of the bucket (the signing region; `us-east-1` for most S3-compatible stores). */
  region: z
    .string()
    .regex(/^[a-z0-9-]{2,32}$/)
    .default('us-east-1'),
  /** Access key id. */
  accessKeyId: z.string().min(3).max(128),
  /** Secret access key. */
  secretAccessKey: secretString('secret access key'),
  /** Session token of temporary credentials. */
  sessionToken: secretString('session token of temporary credentials').optional(),
  /** Endpoint of an S3-compatible store (`http://minio.local:9000`); AWS's regional endpoint when absent. */
  endpoint: z.url({ protocol: /^https?$/ }).optional(),
  /** Address the bucket in the path (`/bucket/key`) instead of the host name; default on with `endpoint`. */
  pathStyle: z.boolean().optional(),
  /** Key prefix (no leading or trailing slash). */
  prefix: z
    .string()
    .max(512)
    .regex(
      /^(?:[A-Za-z0-9!_.*'()=-]+(?:\/[A-Za-z0-9!_.*'()=-]+)*)?$/,
      'use safe key characters and "/" between segments',
    )
    .refine(
      (value) => !value.split('/').some((segment) => segment === '.' || segment === '..'),
      'no "." or ".." segments',
    )
    .default('ce-logs'),
  /** Integrity headers: `Content-MD5`, `x-amz-checksum-sha256`, or both. */
  checksum: z.enum(['md5', 'sha256', 'md5+sha256']).default('md5'),
  /** Wrap each line as `{ id, stream, timestamp, event }`. */
  envelope: z.boolean().default(false),
  /** `x-amz-storage-class`, e.g. `STANDARD_IA`. */
  storageClass: z
    .string()
    .regex(/^[A-Z_]{2,40}$/)
    .optional(),
  /** `x-amz-server-side-encryption`. */
  serverSideEncryption: z.enum(['AES256', 'aws:kms', 'aws:kms:dsse']).optional(),
  /** KMS key for `aws:kms`. */
  kmsKeyId: z.string().min(1).max(2_048).optional(),
  /** Most records per object. */
  maxBatchItems: z.number().int().positive().max(1_000_000).default(10_000),
  /** Most payload bytes per object (before compression). */
  maxBatchBytes: z
    .number()
    .int()
    .positive()
    .max(1024 * 1024 * 1024)
    .default(16 * 1024 * 1024),
});

/** The validated settings of the S3 sink. */
export type S3Config = z.output<typeof s3ConfigSchema>;

const pad = (value: number): string => String(value).padStart(2, '0');

/** A key segment from free text: safe characters kept, anything else `_`, a hash when changed. */
function keySegment(text: string): string {
  if (/^[A-Za-z0-9._=-]+$/.test(text) && text !== '.' && text !== '..') return text;
  const safe = text.replace(/[^A-Za-z0-9._=-]/g, '_').replace(/^\.+/, '_');
  // The hash keeps two different ids from mapping to one key.
  return `${safe.slice(0, 100)}-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
}

/**
 * The object key of a batch: `<prefix>/<stream>/YYYY/MM/DD/HH/<batch id>.ndjson.gz`, the time
 * being the earliest record time of the batch (UTC). Both are functions of the batch, so a
 * replayed batch overwrites its object instead of adding a second one; only a batch with no
 * record time falls back to the current time.
 */
export function s3ObjectKey(batch: LogBatch, prefix: string, now: number): string {
  let time: number | undefined;
  for (const item of batch.items) {
    if (item.timestamp !== undefined && (time === undefined || item.timestamp < time)) time = item.timestamp;
  }
  const date = new Date(time ?? now);
  const stream = (batch.items[0]?.stream ?? 'unknown')
    .split('/')
    .filter((segment) => segment !== '')
    .map(keySegment)
    .join('/');
  const path = [
    stream || 'unknown',
    String(date.getUTCFullYear()),
    pad(date.getUTCMonth() + 1),
    pad(date.getUTCDate()),
    pad(date.getUTCHours()),
    `${keySegment(batch.id)}.ndjson.gz`,
  ].join('/');
  return prefix ? `${prefix}/${path}` : path;
}

/**
 * S3 error codes (the `<Code>` of an `<Error>` body) and what the sink makes of them; any other
 * code is judged by its status (5xx retried, 4xx a configuration error).
 */
export const s3ErrorCodes: Readonly<Record<string, 'retry' | 'auth' | 'config'>> = {
  SlowDown: 'retry',
  InternalError: 'retry',
  ServiceUnavailable: 'retry',
  RequestTimeout: 'retry',
  OperationAborted: 'retry',
  BadDigest: 'retry',
  XAmzContentSHA256Mismatch: 'retry',
  IncompleteBody: 'retry',
  AccessDenied: 'auth',
  InvalidAccessKeyId: 'auth',
  SignatureDoesNotMatch: 'auth',
  ExpiredToken: 'auth',
  InvalidToken: 'auth',
  TokenRefreshRequired: 'auth',
  AllAccessDisabled: 'auth',
  AccountProblem: 'auth',
  RequestTimeTooSkewed: 'config',
  NoSuchBucket: 'config',
  PermanentRedirect: 'config',
  AuthorizationHeaderMalformed: 'config',
  InvalidBucketName: 'config',
  InvalidArgument: 'config',
  InvalidRequest: 'config',
  EntityTooLarge: 'config',
  KMS_DisabledException: 'config',
};

/** Reads `<Code>` and `<Message>` of an S3 XML error body. */
export function parseS3Error(body: Buffer | string): { code?: string; message?: string } {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const code = /<Code>([^<]{1,128})<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]{0,1000})<\/Message>/.exec(text)?.[1];
  return { ...(code ? { code } : {}), ...(message ? { message } : {}) };
}

interface Target {
  origin: string;
  host: string;
  basePath: string;
}

function targetOf(config: S3Config): Target {
  const pathStyle = config.pathStyle ?? config.endpoint !== undefined;
  const endpoint = new URL(config.endpoint ?? `https://s3.${config.region}.amazonaws.com`);
  const basePath = endpoint.pathname.replace(/\/+$/, '');
  if (pathStyle)
    return {
      origin: endpoint.origin,
      host: endpoint.host,
      basePath: `${basePath}/${uriEncode(config.bucket)}`,
    };
  const host = `${config.bucket}.${endpoint.host}`;
  return { origin: `${endpoint.protocol}//${host}`, host, basePath };
}

async function openS3Session(context: PluginContext<S3Config>): Promise<LogSinkSession> {
  const config = context.config;
  const target = targetOf(config);
  const credentials: AwsCredentials = {
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
    ...(config.sessionToken ? { sessionToken: config.sessionToken } : {}),
  };
  const secrets = [config.secretAccessKey, config.sessionToken];

  const failure = (response: SinkResponse, key: string): Error => {
    const parsed = parseS3Error(response.body);
    const action = parsed.code ? s3ErrorCodes[parsed.code] : undefined;
    const details = { s3Code: parsed.code, key };
    const message = `S3 PutObject failed${parsed.code ? `: ${parsed.code}` : ''}${
      parsed.message
        ? ` (${parsed.message})`
        : response.body.length > 0 && !parsed.code
          ? ` (${excerpt(response.body, 120)})`
          : ''
    }`;
    const options = { response, method: 'PUT', now: context.clock.now(), secrets, details, message };
    if (action === 'retry') return statusError({ ...options, retryable: true });
    if (action === 'auth') return statusError({ ...options, code: 'HTTP_AUTH_FAILED', retryable: false });
    if (action === 'config') return statusError({ ...options, code: 'CONFIG_INVALID', retryable: false });
    return statusError(options);
  };

  return {
    async deliver(batch: LogBatch, signal: AbortSignal): Promise<LogDeliveryResult> {
      const encoded = encodeItems(batch.items, (item) => {
        const json = payloadAsJson(item, batch.format);
        if (json === undefined) return { reject: notJsonReason };
        return config.envelope ? envelopeJson(item, json) : json;
      });
      if (encoded.parts.length === 0) return { rejected: encoded.rejected };
      const now = context.clock.now();
      const key = s3ObjectKey(batch, config.prefix, now);
      const body = gzipSync(Buffer.from(`${encoded.parts.join('\n')}\n`, 'utf8'));
      const headers: Record<string, string> = {
        // The object is the compressed file itself (like Firehose's), not a compressed transfer.
        'content-type': 'application/gzip',
      };
      if (config.checksum !== 'sha256')
        headers['content-md5'] = createHash('md5').update(body).digest('base64');
      if (config.checksum !== 'md5')
        headers['x-amz-checksum-sha256'] = createHash('sha256').update(body).digest('base64');
      if (config.storageClass) headers['x-amz-storage-class'] = config.storageClass;
      if (config.serverSideEncryption) headers['x-amz-server-side-encryption'] = config.serverSideEncryption;
      if (config.kmsKeyId) headers['x-amz-server-side-encryption-aws-kms-key-id'] = config.kmsKeyId;
      const path = `${target.basePath}/${uriEncode(key, true)}`;
      const signed = signV4(
        { method: 'PUT', host: target.host, path, headers, payloadHash: sha256Hex(body) },
        credentials,
        { region: config.region, service: 's3', now },
      );
      const { host: _host, ...sent } = signed.headers;
      const response = await sendOnce(context, {
        method: 'PUT',
        path: `${target.origin}${path}`,
        headers: sent,
        body,
        signal,
      });
      if (response.status >= 200 && response.status < 300) return { rejected: encoded.rejected };
      throw failure(response, key);
    },
    async close() {},
  };
}

/** The S3 sink capability (see {@link s3SinkPlugin}). */
export const s3Sink: LogSinkCapability<S3Config> = sinkCapability('S3', openS3Session);

/**
 * Log shipper sink for S3 and S3-compatible object stores (MinIO, Ceph, R2...): one
 * gzip-compressed NDJSON object per batch (`PutObject`), under a key derived from the batch
 * (`<prefix>/<stream>/YYYY/MM/DD/HH/<batch id>.ndjson.gz`) so that a replay overwrites the same
 * object. Requests are signed with AWS Signature Version 4 (optionally with a session token) and
 * carry `Content-MD5` and/or `x-amz-checksum-sha256`; S3 error codes are mapped (`SlowDown` and
 * `InternalError` retried, `AccessDenied` and `SignatureDoesNotMatch` stop the shipper).
 *
 * @example
 * ```ts
 * const config = {
 *   bucket: 'security-logs',
 *   region: 'eu-west-1',
 *   accessKeyId: 'AKIA...',
 *   secretAccessKey: { secretRef: 's3-secret' },
 *   prefix: 'netskope',
 * };
 * ```
 */
export const s3SinkPlugin = definePlugin({
  id: 's3-sink',
  name: 'Amazon S3 / S3-compatible storage',
  version: '0.1.0',
  description:
    'Writes each log batch as one gzip NDJSON object with a deterministic key to S3 or an S3-compatible store (SigV4).',
  modules: ['cls'],
  configSchema: s3ConfigSchema,
  capabilities: { check: true, 'cls.sink': true },
  http: (config) => transportOptions(config),
  async check(context) {
    const config = context.config;
    const target = targetOf(config);
    // HeadBucket: proves the endpoint, the region, the credentials and that the bucket exists.
    const path = target.basePath === '' ? '/' : target.basePath;
    const signed = signV4(
      { method: 'HEAD', host: target.host, path, payloadHash: sha256Hex('') },
      {
        accessKeyId: config.accessKeyId,
        secretAccessKey: config.secretAccessKey,
        ...(config.sessionToken ? { sessionToken: config.sessionToken } : {}),
      },
      { region: config.region, service: 's3', now: context.clock.now() },
    );
    const { host: _host, ...headers } = signed.headers;
    const response = await sendOnce(context, {
      method: 'HEAD',
      path: `${target.origin}${path}`,
      headers,
      signal: context.signal,
    });
    if (response.status === 200) return { ok: true, message: `bucket ${config.bucket} is reachable` };
    const reason =
      response.status === 404
        ? 'the bucket does not exist'
        : response.status === 403
          ? 'access denied (check the keys, the region and the bucket policy)'
          : response.status === 301 || response.status === 400
            ? 'wrong region or endpoint for this bucket'
            : `status ${response.status}`;
    return { ok: false, retryable: response.status >= 500, message: `S3: ${reason}` };
  },
  cls: { sink: s3Sink },
});
