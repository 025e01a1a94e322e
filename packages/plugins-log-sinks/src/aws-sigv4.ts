import { createHash, createHmac } from 'node:crypto';

/** AWS credentials for Signature Version 4. */
export interface AwsCredentials {
  /** Access key id (`AKIA...`, `ASIA...` for temporary credentials). */
  accessKeyId: string;
  /** Secret access key. */
  secretAccessKey: string;
  /** Session token of temporary credentials; sent as `x-amz-security-token` and signed. */
  sessionToken?: string;
}

/** A request to sign. */
export interface SigV4Request {
  /** HTTP method. */
  method: string;
  /** `Host` header value (with the port when it is not the scheme's default). */
  host: string;
  /** The request path exactly as it will be sent, already URI-encoded (see {@link uriEncode}). */
  path: string;
  /** The raw query string (without `?`), if any. */
  query?: string;
  /** Other headers to sign and send (`content-md5`, `x-amz-storage-class`...). */
  headers?: Record<string, string>;
  /** Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`. */
  payloadHash: string;
}

/** Where and when a request is signed. */
export interface SigV4Scope {
  /** Region, e.g. `us-east-1`. */
  region: string;
  /** Service, `s3`. */
  service: string;
  /** Signing time, epoch milliseconds. */
  now: number;
}

/** The result of {@link signV4}. */
export interface SigV4Signature {
  /** The headers to send: the given ones plus `host`, `x-amz-date`, `x-amz-content-sha256`, `authorization` (and `x-amz-security-token`). */
  headers: Record<string, string>;
  /** The canonical request, for diagnostics (holds no secret). */
  canonicalRequest: string;
  /** The string to sign. */
  stringToSign: string;
  /** The hex signature. */
  signature: string;
}

/** Hex SHA-256 of bytes. */
export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * URI-encodes as SigV4 requires: every byte except the unreserved `A-Z a-z 0-9 - . _ ~` becomes
 * `%XX` (upper-case hex); `/` is kept when `keepSlash` (object key paths).
 */
export function uriEncode(value: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(char) || (keepSlash && char === '/')) out += char;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The canonical query string: parameters decoded, re-encoded, sorted by name then value. */
export function canonicalQueryString(query: string | undefined): string {
  if (!query) return '';
  const pairs = query
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const at = part.indexOf('=');
      const decode = (text: string) => decodeURIComponent(text.replace(/\+/g, '%20'));
      const name = decode(at < 0 ? part : part.slice(0, at));
      const value = at < 0 ? '' : decode(part.slice(at + 1));
      return [uriEncode(name), uriEncode(value)] as const;
    });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/** `YYYYMMDDTHHMMSSZ` for an epoch-milliseconds time. */
export function amzDate(now: number): string {
  return new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** The SigV4 signing key: HMAC chain over date, region, service and `aws4_request`. */
export function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  return hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
}

/**
 * Signs a request with AWS Signature Version 4 (header-based authentication), as documented in
 * "Authenticating Requests: Using the Authorization Header (AWS Signature Version 4)" of the S3
 * API reference: canonical request, string to sign with the credential scope, derived signing
 * key, hex HMAC-SHA256.
 *
 * @example
 * ```ts
 * const signed = signV4(
 *   { method: 'PUT', host: 'logs.s3.eu-west-1.amazonaws.com', path: '/a/b.ndjson.gz', payloadHash: sha256Hex(body) },
 *   { accessKeyId, secretAccessKey },
 *   { region: 'eu-west-1', service: 's3', now: Date.now() },
 * );
 * // send with signed.headers
 * ```
 */
export function signV4(
  request: SigV4Request,
  credentials: AwsCredentials,
  scope: SigV4Scope,
): SigV4Signature {
  const datetime = amzDate(scope.now);
  const date = datetime.slice(0, 8);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  headers.host = request.host;
  headers['x-amz-date'] = datetime;
  headers['x-amz-content-sha256'] = request.payloadHash;
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names
    .map((name) => `${name}:${(headers[name] as string).trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    request.method.toUpperCase(),
    request.path,
    canonicalQueryString(request.query),
    canonicalHeaders,
    signedHeaders,
    request.payloadHash,
  ].join('\n');
  const credentialScope = `${date}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', datetime, credentialScope, sha256Hex(canonicalRequest)].join(
    '\n',
  );
  const signature = createHmac(
    'sha256',
    signingKey(credentials.secretAccessKey, date, scope.region, scope.service),
  )
    .update(stringToSign)
    .digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialScope},SignedHeaders=${signedHeaders},Signature=${signature}`;
  return { headers, canonicalRequest, stringToSign, signature };
}
