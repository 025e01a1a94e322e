import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signs a webhook body. The signed string is `<unix seconds>.<body bytes>` (the body as the
 * receiver reads it, before any `Content-Encoding`); the header value is `t=<seconds>,v1=<hex
 * HMAC-SHA256>`. Binding the time into the MAC lets a receiver refuse replays older than its
 * tolerance without trusting an unsigned timestamp.
 *
 * @example
 * ```ts
 * signWebhookBody('whsec-0123456789', Buffer.from('[{"a":1}]'), 1767225600);
 * // 't=1767225600,v1=5c0e...'
 * ```
 */
export function signWebhookBody(secret: string, body: Buffer | string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.`).update(body).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** Options of {@link verifyWebhookSignature}. */
export interface VerifyWebhookSignatureOptions {
  /** The receiver's time, unix seconds. */
  nowSeconds: number;
  /**
   * Largest accepted distance between the signed time and now, in seconds.
   * @default 300
   */
  toleranceSeconds?: number;
}

/**
 * Checks a signature header made by {@link signWebhookBody}, for receivers (and the mock). Several
 * `v1=` values are accepted, so a sender can sign with the old and the new secret while it is
 * rotated. Comparison is constant-time.
 *
 * @example
 * ```ts
 * const ok = verifyWebhookSignature(secret, req.headers['x-ce-signature'], rawBody, {
 *   nowSeconds: Math.floor(Date.now() / 1000),
 * });
 * ```
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  body: Buffer | string,
  options: VerifyWebhookSignatureOptions,
): boolean {
  if (!header) return false;
  let time: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value && /^\d{1,12}$/.test(value)) time = Number(value);
    else if (key === 'v1' && value && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (time === undefined || candidates.length === 0) return false;
  if (Math.abs(options.nowSeconds - time) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(
    createHmac('sha256', secret).update(`${time}.`).update(body).digest('hex'),
    'latin1',
  );
  return candidates.some((candidate) => timingSafeEqual(Buffer.from(candidate, 'latin1'), expected));
}
