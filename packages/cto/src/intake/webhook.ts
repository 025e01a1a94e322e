/**
 * Webhook intake: signature verification for alerts pushed to the orchestrator, and the mapping of
 * a JSON body to `AlertInput`s.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  type AlertInput,
  alertInputSchema,
  formatPath,
  type Severity,
  severityLevels,
  ValidationError,
} from '@ce/core';

/**
 * How a sender signs its requests:
 * - `sha256`: `<signatureHeader>: sha256=<hex>`, HMAC-SHA256 over the raw body (GitHub's
 *   `X-Hub-Signature-256`); with `timestampHeader`, over `${timestamp}.${body}` instead;
 * - `stripe`: `Stripe-Signature: t=<seconds>,v1=<hex>[,v1=<hex>]`, HMAC over `${t}.${body}`;
 * - `slack`: `X-Slack-Signature: v0=<hex>` with `X-Slack-Request-Timestamp`, HMAC over
 *   `v0:${timestamp}:${body}`.
 */
export type WebhookSignatureScheme = 'sha256' | 'stripe' | 'slack';

/** Options of {@link verifyWebhookSignature}. */
export interface WebhookSignatureOptions {
  /** The raw request body, exactly as received (a re-serialized body never verifies). */
  body: string | Uint8Array;
  /** Request headers; names are matched case-insensitively, an array value counts by its first item. */
  headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>;
  /**
   * The shared secret, or several during a rotation (any one verifies).
   */
  secret: string | ReadonlyArray<string>;
  /** @default 'sha256' */
  scheme?: WebhookSignatureScheme;
  /**
   * Header that carries the signature.
   * @default 'x-signature-256' (sha256), 'stripe-signature' (stripe), 'x-slack-signature' (slack)
   */
  signatureHeader?: string;
  /**
   * Header that carries the signing time in epoch seconds. Required by `slack`; with `sha256` it
   * turns on replay protection (the timestamp is signed with the body). Unused by `stripe`, whose
   * time travels in its signature header.
   * @default 'x-slack-request-timestamp' (slack), none otherwise
   */
  timestampHeader?: string;
  /**
   * How far the signing time may be from `now`, either way, in seconds; older (or future)
   * requests are refused as replays.
   * @default 300
   */
  toleranceSeconds?: number;
  /** Now, epoch milliseconds (pass the clock's time). @default Date.now() */
  now?: number;
}

/** Why a signature was refused. */
export type WebhookSignatureFailure =
  /** The signature header is absent or empty. */
  | 'missing-signature'
  /** The signature header does not have the scheme's shape (prefix, hex digest, `t=`). */
  | 'bad-format'
  /** The scheme needs a timestamp and none was sent. */
  | 'missing-timestamp'
  /** The timestamp is not a number of seconds. */
  | 'bad-timestamp'
  /** The timestamp is outside the tolerance window: a replay, or a badly skewed clock. */
  | 'stale-timestamp'
  /** Well-formed, but no secret produces this signature. */
  | 'mismatch';

/**
 * The outcome of a verification: data, not an exception, so that the intake can answer 401 with
 * the reason. `message` names what was wrong and never contains the secret or the expected digest.
 */
export type WebhookVerification = WebhookVerified | WebhookRefused;

/** A signature that verified. */
export interface WebhookVerified {
  /** Verified. */
  ok: true;
  /** The scheme checked. */
  scheme: WebhookSignatureScheme;
  /** Signing time, epoch seconds, when the scheme signs one. */
  timestamp?: number;
}

/** A signature that did not verify, and why. */
export interface WebhookRefused {
  /** Refused. */
  ok: false;
  /** The scheme checked. */
  scheme: WebhookSignatureScheme;
  /** What was wrong, for the caller to act on. */
  reason: WebhookSignatureFailure;
  /** The same in words, safe to return to the sender (no secret, no expected digest). */
  message: string;
}

const defaultSignatureHeaders: Record<WebhookSignatureScheme, string> = {
  sha256: 'x-signature-256',
  stripe: 'stripe-signature',
  slack: 'x-slack-signature',
};

function header(headers: WebhookSignatureOptions['headers'], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    const text = typeof value === 'string' ? value : value?.[0];
    const trimmed = text?.trim();
    return trimmed ? trimmed : undefined;
  }
  return undefined;
}

const hexDigest = /^[0-9a-f]{64}$/i;

function hmac(secret: string, parts: ReadonlyArray<string | Uint8Array>): Buffer {
  const mac = createHmac('sha256', secret);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** What the sender signed, for each scheme. */
function signedParts(
  scheme: WebhookSignatureScheme,
  body: string | Uint8Array,
  timestamp: string | undefined,
): Array<string | Uint8Array> {
  if (scheme === 'slack') return [`v0:${timestamp}:`, body];
  if (timestamp !== undefined) return [`${timestamp}.`, body];
  return [body];
}

/**
 * Verifies a webhook request's HMAC-SHA256 signature over its raw body, in constant time, with an
 * optional replay window. Returns why it failed instead of throwing.
 *
 * @example
 * ```ts
 * const verdict = verifyWebhookSignature({ body: rawBody, headers: req.headers, secret, scheme: 'slack', now: clock.now() });
 * if (!verdict.ok) return reply(401, { error: verdict.reason, message: verdict.message });
 * ```
 */
export function verifyWebhookSignature(options: WebhookSignatureOptions): WebhookVerification {
  const scheme = options.scheme ?? 'sha256';
  const secrets = (typeof options.secret === 'string' ? [options.secret] : [...options.secret]).filter(
    (secret) => secret.length > 0,
  );
  const fail = (reason: WebhookSignatureFailure, message: string): WebhookVerification => ({
    ok: false,
    scheme,
    reason,
    message,
  });
  if (secrets.length === 0) return fail('mismatch', 'no webhook secret is configured');
  const signatureHeader = (options.signatureHeader ?? defaultSignatureHeaders[scheme]).toLowerCase();
  const timestampHeader = (
    options.timestampHeader ?? (scheme === 'slack' ? 'x-slack-request-timestamp' : undefined)
  )?.toLowerCase();
  const value = header(options.headers, signatureHeader);
  if (value === undefined) return fail('missing-signature', `the ${signatureHeader} header is missing`);

  let timestampText: string | undefined;
  let digests: string[];
  if (scheme === 'stripe') {
    const pairs = value.split(',').map((pair) => {
      const at = pair.indexOf('=');
      return at < 0 ? ['', ''] : [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
    });
    timestampText = pairs.find(([key]) => key === 't')?.[1];
    digests = pairs.filter(([key]) => key === 'v1').map(([, digest]) => digest as string);
    if (timestampText === undefined)
      return fail('bad-format', `the ${signatureHeader} header has no t= timestamp`);
    if (digests.length === 0) return fail('bad-format', `the ${signatureHeader} header has no v1= signature`);
  } else {
    const prefix = scheme === 'slack' ? 'v0=' : 'sha256=';
    if (!value.toLowerCase().startsWith(prefix)) {
      return fail('bad-format', `the ${signatureHeader} header must be ${prefix}<hex digest>`);
    }
    digests = [value.slice(prefix.length)];
    if (timestampHeader !== undefined) {
      timestampText = header(options.headers, timestampHeader);
      if (timestampText === undefined)
        return fail('missing-timestamp', `the ${timestampHeader} header is missing`);
    }
  }
  if (!digests.every((digest) => hexDigest.test(digest))) {
    return fail('bad-format', `the ${signatureHeader} header does not hold a SHA-256 hex digest`);
  }

  let timestamp: number | undefined;
  if (timestampText !== undefined) {
    if (!/^\d{1,13}$/.test(timestampText))
      return fail('bad-timestamp', 'the signing timestamp is not a number of seconds');
    timestamp = Number(timestampText);
    // Tolerate senders that sign with milliseconds.
    const seconds = timestamp > 1e11 ? timestamp / 1_000 : timestamp;
    const now = (options.now ?? Date.now()) / 1_000;
    const tolerance = options.toleranceSeconds ?? 300;
    if (Math.abs(now - seconds) > tolerance) {
      return fail(
        'stale-timestamp',
        `the signing timestamp is ${Math.round(Math.abs(now - seconds))} s away from now (tolerance ${tolerance} s)`,
      );
    }
  }

  const provided = digests.map((digest) => Buffer.from(digest, 'hex'));
  const parts = signedParts(scheme, options.body, timestampText);
  let matched = false;
  // Every secret and every digest is compared, so the time taken says nothing about which matched.
  for (const secret of secrets) {
    const expected = hmac(secret, parts);
    for (const candidate of provided) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true;
    }
  }
  if (!matched) return fail('mismatch', 'the signature does not match the body');
  return timestamp === undefined ? { ok: true, scheme } : { ok: true, scheme, timestamp };
}

/** Options of {@link signWebhookBody}. */
export interface SignWebhookOptions {
  /** The exact body that will be sent. */
  body: string | Uint8Array;
  /** The shared secret. */
  secret: string;
  /** @default 'sha256' */
  scheme?: WebhookSignatureScheme;
  /** Signing time, epoch seconds; required by `stripe` and `slack`, optional for `sha256`. */
  timestamp?: number;
  /** @default as in {@link WebhookSignatureOptions.signatureHeader} */
  signatureHeader?: string;
  /** @default as in {@link WebhookSignatureOptions.timestampHeader} */
  timestampHeader?: string;
}

/**
 * The headers a sender adds to sign a body, in the format {@link verifyWebhookSignature} checks;
 * for tests, demos and the SDK's own outgoing webhooks.
 *
 * @example
 * ```ts
 * const headers = signWebhookBody({ body, secret, scheme: 'stripe', timestamp: Math.floor(Date.now() / 1000) });
 * ```
 */
export function signWebhookBody(options: SignWebhookOptions): Record<string, string> {
  const scheme = options.scheme ?? 'sha256';
  const signatureHeader = (options.signatureHeader ?? defaultSignatureHeaders[scheme]).toLowerCase();
  const timestampHeader = (
    options.timestampHeader ?? (scheme === 'slack' ? 'x-slack-request-timestamp' : undefined)
  )?.toLowerCase();
  const timestamp = options.timestamp === undefined ? undefined : String(options.timestamp);
  if ((scheme === 'stripe' || scheme === 'slack') && timestamp === undefined) {
    throw new ValidationError('webhook signature', [{ path: 'timestamp', reason: `required by ${scheme}` }]);
  }
  const signedTimestamp = scheme === 'sha256' && timestampHeader === undefined ? undefined : timestamp;
  const digest = hmac(options.secret, signedParts(scheme, options.body, signedTimestamp)).toString('hex');
  if (scheme === 'stripe') return { [signatureHeader]: `t=${timestamp},v1=${digest}` };
  const headers: Record<string, string> = {
    [signatureHeader]: `${scheme === 'slack' ? 'v0' : 'sha256'}=${digest}`,
  };
  if (timestampHeader !== undefined && signedTimestamp !== undefined)
    headers[timestampHeader] = signedTimestamp;
  return headers;
}

/** Where each canonical field of an alert is read from in a webhook item: dotted paths (`alert.id`, `items[0].name`). */
export interface WebhookFieldPaths {
  /** The alert's id; a number is taken as its decimal text. */
  id: string;
  /** The alert's name or title. */
  name: string;
  /** The alert family; without it, {@link WebhookAlertMapping.defaultType}. */
  type?: string;
  /** The finer kind inside the type. */
  subtype?: string;
  /** Read through {@link WebhookAlertMapping.severityMap}, then as a canonical severity name. */
  severity?: string;
  /** The user involved. */
  user?: string;
  /** The application involved. */
  app?: string;
  /**
   * When it happened: ISO 8601 with a zone, epoch seconds or epoch milliseconds (numbers below
   * 10^11 are seconds). Without it, the time of reception.
   */
  timestamp?: string;
}

/** How a webhook body becomes alerts. */
export interface WebhookAlertMapping {
  /**
   * Path to the list of alerts in the body (`data.alerts`). Without it, a body that is an array is
   * the list, and an object is one alert.
   */
  itemsPath?: string;
  /** Where each field is read from, relative to an item. */
  fields: WebhookFieldPaths;
  /** Type of alerts whose `type` path is absent or empty. @default 'webhook' */
  defaultType?: string;
  /**
   * The sender's severity values to canonical ones, matched case-insensitively
   * (`{ P1: 'critical', warning: 'medium' }`); a value not listed is read as a canonical name, else
   * `unknown`.
   */
  severityMap?: Readonly<Record<string, Severity>>;
  /**
   * An item without an id gets one from a hash of its content, so that a resend is still the same
   * alert; otherwise such an item is an error.
   * @default false
   */
  idFromContent?: boolean;
}

/** One item that could not be turned into an alert. */
export interface WebhookItemError {
  /** Position in the list (0 for a single-object body). */
  index: number;
  /** The field at fault, as a path of the alert (`timestamp`, `id`), when one is. */
  field?: string;
  /** What was wrong, in words the sender can act on. */
  reason: string;
}

/** What {@link parseWebhookAlerts} made of a body. */
export interface WebhookParseResult {
  /** The valid alerts, in body order. */
  alerts: AlertInput[];
  /** Every item that was not, with its position and why. */
  errors: WebhookItemError[];
  /** Items seen (alerts plus errors). */
  total: number;
}

/** Options of {@link parseWebhookAlerts}. */
export interface ParseWebhookOptions {
  /** Time of reception, epoch ms: the timestamp of items without one. @default Date.now() */
  receivedAt?: number;
  /** Most items per body; a longer list is refused whole. @default 10000 */
  maxItems?: number;
}

type PathSegment = string | number;

function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  for (const part of path.split('.')) {
    const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!match) throw new ValidationError('webhook mapping', [{ path, reason: 'not a dotted path' }]);
    if (match[1]) segments.push(/^\d+$/.test(match[1]) ? Number(match[1]) : match[1]);
    for (const index of match[2]?.matchAll(/\[(\d+)\]/g) ?? []) segments.push(Number(index[1]));
  }
  return segments;
}

function readPath(value: unknown, segments: ReadonlyArray<PathSegment>): unknown {
  let current = value;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    if (Array.isArray(current)) {
      if (typeof segment !== 'number') return undefined;
      current = current[segment];
    } else
      current = Object.hasOwn(current, segment) ? (current as Record<string, unknown>)[segment] : undefined;
  }
  return current;
}

/**
 * `JSON.parse` that keeps integers beyond 2^53 as their exact digits (strings): a sender's 64-bit
 * alert or event id must not be rounded into another alert's id.
 */
function parseJsonKeepingBigIntegers(text: string): unknown {
  if (!/\d{16}/.test(text)) return JSON.parse(text);
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) {
      const start = i;
      i++;
      while (i < text.length && /[0-9.eE+-]/.test(text[i] as string)) i++;
      const literal = text.slice(start, i);
      if (/^-?\d{16,}$/.test(literal) && !Number.isSafeInteger(Number(literal))) {
        out += `${text.slice(copied, start)}"${literal}"`;
        copied = i;
      }
      continue;
    }
    i++;
  }
  return JSON.parse(out + text.slice(copied));
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A stable, bounded id from the parts that make an alert the same alert. */
export function deterministicAlertId(prefix: string, parts: ReadonlyArray<unknown>): string {
  const mac = createHmac('sha256', 'ce-alert-id');
  mac.update(canonicalJson(parts));
  return `${prefix}:${mac.digest('hex').slice(0, 40)}`;
}

const canonicalSeverities = new Set<string>(severityLevels);

function readSeverity(value: unknown, map: ReadonlyMap<string, Severity>): Severity {
  const key = text(value)?.trim().toLowerCase();
  if (key === undefined) return 'unknown';
  const mapped = map.get(key);
  if (mapped) return mapped;
  if (key === 'info') return 'informational';
  return canonicalSeverities.has(key) ? (key as Severity) : 'unknown';
}

function readTimestamp(value: unknown): number | string | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) {
    return Math.round(value < 1e11 ? value * 1_000 : value);
  }
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) return readTimestamp(Number(trimmed));
    return trimmed === '' ? undefined : trimmed;
  }
  return undefined;
}

/**
 * Turns a webhook body (JSON text or an already parsed value) into alerts through a field
 * mapping. Each item is mapped and validated on its own: a bad item is reported with its index
 * and reason and never stops the others. A body that is not JSON, or whose `itemsPath` is not a
 * list, throws a `ValidationError`.
 *
 * @example
 * ```ts
 * const { alerts, errors } = parseWebhookAlerts(rawBody, {
 *   itemsPath: 'alerts',
 *   fields: { id: 'fingerprint', name: 'labels.alertname', severity: 'labels.severity', timestamp: 'startsAt' },
 *   severityMap: { warning: 'medium', page: 'critical' },
 * });
 * ```
 */
export function parseWebhookAlerts(
  body: string | unknown,
  mapping: WebhookAlertMapping,
  options: ParseWebhookOptions = {},
): WebhookParseResult {
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = parseJsonKeepingBigIntegers(body);
    } catch {
      throw new ValidationError('webhook body', [{ path: '', reason: 'not valid JSON' }]);
    }
  }
  let items: unknown[];
  if (mapping.itemsPath !== undefined) {
    const found = readPath(value, parsePath(mapping.itemsPath));
    if (!Array.isArray(found))
      throw new ValidationError('webhook body', [
        { path: mapping.itemsPath, reason: 'expected a list of alerts' },
      ]);
    items = found;
  } else items = Array.isArray(value) ? value : [value];
  const maxItems = options.maxItems ?? 10_000;
  if (items.length > maxItems) {
    throw new ValidationError('webhook body', [
      { path: mapping.itemsPath ?? '', reason: `${items.length} alerts, more than the ${maxItems} allowed` },
    ]);
  }
  const paths = Object.fromEntries(
    Object.entries(mapping.fields)
      .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
      .map(([field, path]) => [field, parsePath(path)]),
  ) as Partial<Record<keyof WebhookFieldPaths, PathSegment[]>>;
  const severityMap = new Map(
    Object.entries(mapping.severityMap ?? {}).map(([key, severity]) => [key.trim().toLowerCase(), severity]),
  );
  const receivedAt = options.receivedAt ?? Date.now();
  const read = (item: unknown, field: keyof WebhookFieldPaths): unknown => {
    const path = paths[field];
    return path === undefined ? undefined : readPath(item, path);
  };

  const alerts: AlertInput[] = [];
  const errors: WebhookItemError[] = [];
  items.forEach((item, index) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      errors.push({ index, reason: 'not a JSON object' });
      return;
    }
    let id = text(read(item, 'id'));
    if (id === undefined && mapping.idFromContent) id = deterministicAlertId('webhook', [item]);
    if (id === undefined) {
      errors.push({ index, field: 'id', reason: `no id at ${mapping.fields.id}` });
      return;
    }
    const name = text(read(item, 'name'));
    if (name === undefined) {
      errors.push({ index, field: 'name', reason: `no name at ${mapping.fields.name}` });
      return;
    }
    let timestamp: number | string | undefined = receivedAt;
    if (mapping.fields.timestamp !== undefined) {
      timestamp = readTimestamp(read(item, 'timestamp'));
      if (timestamp === undefined) {
        errors.push({ index, field: 'timestamp', reason: `no timestamp at ${mapping.fields.timestamp}` });
        return;
      }
    }
    const candidate: Record<string, unknown> = {
      id,
      type: text(read(item, 'type')) ?? mapping.defaultType ?? 'webhook',
      name,
      severity: readSeverity(read(item, 'severity'), severityMap),
      timestamp,
      raw: item,
    };
    for (const field of ['subtype', 'user', 'app'] as const) {
      const found = text(read(item, field));
      if (found !== undefined) candidate[field] = found;
    }
    const parsed = alertInputSchema.safeParse(candidate);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue ? formatPath(issue.path as PropertyKey[]) : '';
      errors.push({ index, ...(field ? { field } : {}), reason: issue?.message ?? 'invalid alert' });
      return;
    }
    alerts.push(parsed.data);
  });
  return { alerts, errors, total: items.length };
}
