import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Clock, systemClock } from '@ce/core';
import {
  type RawMockRequest,
  type RawMockResponse,
  type RawMockServer,
  startRawMockServer,
} from './raw-mock-server.js';

/** Options of {@link startS3MockServer}. */
export interface S3MockServerOptions {
  /** Accepted credentials (a session token, when given, must accompany its key). */
  credentials: ReadonlyArray<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
  /** Buckets that exist. */
  buckets: ReadonlyArray<string>;
  /** The store's region: requests signed for another are refused. @default 'us-east-1' */
  region?: string;
  /** Clock against which `x-amz-date` is checked (15 minutes of skew allowed). @default systemClock */
  clock?: Clock;
  /** Buckets where the key may only read (`AccessDenied` on PutObject). */
  readOnlyBuckets?: ReadonlyArray<string>;
}

/** An object the store holds. */
export interface S3MockObject {
  /** The body bytes. */
  body: Buffer;
  /** The request headers it was stored with. */
  headers: Record<string, string>;
  /** How many times it was written. */
  writes: number;
}

/** An S3-compatible store on loopback. */
export interface S3MockServer {
  /** Endpoint URL (path-style addressing: `<url>/<bucket>/<key>`). */
  readonly url: string;
  /** The raw server (requests, fault injection). */
  readonly server: RawMockServer;
  /** Objects by `<bucket>/<key>`. */
  readonly objects: Map<string, S3MockObject>;
  /** Answers the next `count` requests with 503 `SlowDown`. */
  slowDown(count?: number): void;
  /** Stops the server. */
  close(): Promise<void>;
}

/** An S3 `<Error>` response. */
export function s3ErrorResponse(
  status: number,
  code: string,
  message: string,
  resource = '',
): RawMockResponse {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>${resource}</Resource><RequestId>${requestId}</RequestId><HostId>${randomBytes(24).toString('base64')}</HostId></Error>`,
  };
}

// The mock recomputes signatures from the request as received, with its own canonicalisation,
// so that a mistake in the signer cannot be mirrored here and pass unnoticed.
const encodeRfc3986 = (text: string): string =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function canonicalQuery(raw: string): string {
  if (raw === '') return '';
  return raw
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const [name = '', value = ''] = pair.split('=', 2);
      const decode = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));
      return `${encodeRfc3986(decode(name))}=${encodeRfc3986(decode(value))}`;
    })
    .sort()
    .join('&');
}

const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/**
 * Starts a mock S3 endpoint for `PutObject` and `HeadBucket`, path-style or virtual-hosted
 * (`Host: <bucket>.<host>`). It verifies every request the way S3 does: it recomputes the
 * AWS Signature Version 4 from the request as received (`SignatureDoesNotMatch`), checks the
 * access key (`InvalidAccessKeyId`), the session token (`InvalidToken`), the credential scope's
 * region (`AuthorizationHeaderMalformed`), the time (`RequestTimeTooSkewed`), the payload hash
 * (`XAmzContentSHA256Mismatch`), `Content-MD5` and `x-amz-checksum-sha256` (`BadDigest`,
 * `InvalidDigest`), and answers in the S3 XML error format.
 *
 * @example
 * ```ts
 * const s3 = await startS3MockServer({ credentials: [{ accessKeyId: 'AKIDMOCK', secretAccessKey: 'mock-secret-key' }], buckets: ['logs'] });
 * await s3.close();
 * ```
 */
export async function startS3MockServer(options: S3MockServerOptions): Promise<S3MockServer> {
  const region = options.region ?? 'us-east-1';
  const clock = options.clock ?? systemClock;
  const objects = new Map<string, S3MockObject>();
  let slowDownLeft = 0;

  const verify = (request: RawMockRequest): RawMockResponse | undefined => {
    const header = request.headers.authorization;
    if (!header) return s3ErrorResponse(403, 'AccessDenied', 'Access Denied');
    const match =
      /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/.exec(
        header,
      );
    if (!match)
      return s3ErrorResponse(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed.');
    const [, accessKeyId, date, scopeRegion, service, signedHeaders, signature] =
      match as unknown as string[];
    const credential = options.credentials.find((c) => c.accessKeyId === accessKeyId);
    if (!credential)
      return s3ErrorResponse(
        403,
        'InvalidAccessKeyId',
        'The AWS Access Key Id you provided does not exist in our records.',
      );
    if (scopeRegion !== region || service !== 's3')
      return s3ErrorResponse(
        400,
        'AuthorizationHeaderMalformed',
        `The authorization header is malformed; the region '${scopeRegion}' is wrong; expecting '${region}'`,
      );
    const amzDate = request.headers['x-amz-date'] ?? '';
    const at = Date.parse(
      amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
    );
    if (!Number.isFinite(at) || amzDate.slice(0, 8) !== date)
      return s3ErrorResponse(
        403,
        'AccessDenied',
        'AWS authentication requires a valid Date or x-amz-date header',
      );
    if (Math.abs(at - clock.now()) > 15 * 60_000)
      return s3ErrorResponse(
        403,
        'RequestTimeTooSkewed',
        'The difference between the request time and the current time is too large.',
      );
    if (
      credential.sessionToken !== undefined &&
      request.headers['x-amz-security-token'] !== credential.sessionToken
    )
      return s3ErrorResponse(403, 'InvalidToken', 'The provided token is malformed or otherwise invalid.');
    const names = (signedHeaders as string).split(';');
    if (!names.includes('host') || !names.includes('x-amz-date') || !names.includes('x-amz-content-sha256'))
      return s3ErrorResponse(
        403,
        'AccessDenied',
        'There were headers present in the request which were not signed',
      );
    for (const name of Object.keys(request.headers)) {
      if (name.startsWith('x-amz-') && !names.includes(name))
        return s3ErrorResponse(
          403,
          'AccessDenied',
          'There were headers present in the request which were not signed',
        );
    }
    const payloadHash = request.headers['x-amz-content-sha256'] ?? '';
    const canonical = [
      request.method,
      request.rawPath,
      canonicalQuery(request.rawQuery),
      names.map((name) => `${name}:${(request.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join(''),
      signedHeaders,
      payloadHash,
    ].join('\n');
    const scope = `${date}/${scopeRegion}/s3/aws4_request`;
    const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
    const key = hmac(
      hmac(hmac(hmac(`AWS4${credential.secretAccessKey}`, date as string), scopeRegion as string), 's3'),
      'aws4_request',
    );
    const expected = createHmac('sha256', key).update(toSign).digest('hex');
    if (!timingSafeEqual(Buffer.from(expected), Buffer.from(signature as string)))
      return s3ErrorResponse(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      );
    if (
      payloadHash !== 'UNSIGNED-PAYLOAD' &&
      payloadHash !== createHash('sha256').update(request.body).digest('hex')
    )
      return s3ErrorResponse(
        400,
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    return undefined;
  };

  const handle = (request: RawMockRequest): RawMockResponse => {
    if (slowDownLeft > 0) {
      slowDownLeft--;
      return s3ErrorResponse(503, 'SlowDown', 'Please reduce your request rate.');
    }
    const refused = verify(request);
    if (refused) return refused;
    const hostName = (request.headers.host ?? '').replace(/:\d+$/, '');
    const virtual = options.buckets.find((bucket) => hostName.startsWith(`${bucket}.`));
    let bucket: string;
    let key: string;
    if (virtual) {
      bucket = virtual;
      key = request.path.slice(1);
    } else {
      const slash = request.path.indexOf('/', 1);
      bucket = slash < 0 ? request.path.slice(1) : request.path.slice(1, slash);
      key = slash < 0 ? '' : request.path.slice(slash + 1);
    }
    if (!options.buckets.includes(bucket))
      return s3ErrorResponse(404, 'NoSuchBucket', 'The specified bucket does not exist', `/${bucket}`);
    if (request.method === 'HEAD' && key === '')
      return { status: 200, headers: { 'x-amz-bucket-region': region } };
    if (request.method !== 'PUT' || key === '')
      return s3ErrorResponse(
        405,
        'MethodNotAllowed',
        'The specified method is not allowed against this resource.',
      );
    if (options.readOnlyBuckets?.includes(bucket))
      return s3ErrorResponse(403, 'AccessDenied', 'Access Denied', `/${bucket}/${key}`);
    const md5 = request.headers['content-md5'];
    if (md5 !== undefined) {
      if (!/^[A-Za-z0-9+/]{22}==$/.test(md5))
        return s3ErrorResponse(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.');
      if (md5 !== createHash('md5').update(request.body).digest('base64'))
        return s3ErrorResponse(
          400,
          'BadDigest',
          'The Content-MD5 you specified did not match what we received.',
        );
    }
    const sha = request.headers['x-amz-checksum-sha256'];
    if (sha !== undefined && sha !== createHash('sha256').update(request.body).digest('base64'))
      return s3ErrorResponse(
        400,
        'BadDigest',
        'The SHA256 you specified did not match the calculated checksum.',
      );
    const id = `${bucket}/${key}`;
    const previous = objects.get(id);
    objects.set(id, { body: request.body, headers: request.headers, writes: (previous?.writes ?? 0) + 1 });
    return {
      status: 200,
      headers: {
        etag: `"${createHash('md5').update(request.body).digest('hex')}"`,
        ...(sha ? { 'x-amz-checksum-sha256': sha } : {}),
      },
    };
  };

  const server = await startRawMockServer(handle);
  return {
    url: server.url,
    server,
    objects,
    slowDown(count = 1) {
      slowDownLeft += count;
    },
    close: () => server.close(),
  };
}
