import { CeError, redactText } from '@ce/core';

/** What Nodemailer puts on a failed send. */
interface NodemailerFailure {
  message?: string;
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

/** Removes the password, and its base64 forms as AUTH PLAIN and LOGIN send it, from a text. */
function scrub(text: string, secrets: ReadonlyArray<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    for (const form of [secret, Buffer.from(secret).toString('base64')])
      out = out.split(form).join('[redacted]');
  }
  return redactText(out);
}

const connectionCodes = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPROTOCOL',
]);

/**
 * Maps a Nodemailer failure to a typed error:
 * - 535/534/530 or `EAUTH` (login refused): `CONFIG_INVALID`, not retryable (the credentials must change);
 * - other 5xx (550 mailbox unavailable, 552 too large, 553 mailbox name not allowed, 554
 *   transaction failed): `CONFIG_INVALID`, not retryable (a permanent refusal: fix the recipients or
 *   the message);
 * - 4xx (421 closing, 450 mailbox busy, 451 local error, 452 insufficient storage): `NETWORK_FAILED`, retryable;
 * - a certificate that does not verify, or STARTTLS required and refused: `TLS_FAILED`, not retryable;
 * - connection failures and timeouts: `NETWORK_FAILED` / `TIMEOUT`, retryable.
 * The password never appears in the message: it is removed in plain and base64 form.
 */
export function smtpFailure(error: unknown, secrets: ReadonlyArray<string>): CeError {
  if (CeError.isInstance(error)) return error;
  const failure = (typeof error === 'object' && error !== null ? error : {}) as NodemailerFailure;
  const responseCode = typeof failure.responseCode === 'number' ? failure.responseCode : undefined;
  const text = scrub(failure.response ?? failure.message ?? String(error), secrets);
  const details = {
    ...(responseCode !== undefined ? { smtpCode: responseCode } : {}),
    ...(failure.command ? { command: scrub(failure.command.split(' ').slice(0, 2).join(' '), secrets) } : {}),
    ...(failure.code ? { nodemailerCode: failure.code } : {}),
  };
  if (failure.code === 'EAUTH' || responseCode === 535 || responseCode === 534 || responseCode === 530)
    return new CeError('CONFIG_INVALID', `the SMTP server refused the login: ${text}`, {
      retryable: false,
      details: { ...details, reason: 'auth' },
    });
  const lower = text.toLowerCase();
  const transient = responseCode !== undefined && responseCode >= 400 && responseCode < 500;
  if (
    !transient &&
    (failure.code === 'ETLS' ||
      (responseCode === undefined &&
        /certificate|self[- ]signed|unable to verify|altnames|unable to get local issuer/.test(lower)))
  )
    return new CeError('TLS_FAILED', `TLS with the SMTP server failed: ${text}`, {
      retryable: false,
      details: { ...details, reason: 'tls' },
    });
  if (responseCode !== undefined && responseCode >= 500)
    return new CeError('CONFIG_INVALID', `the SMTP server refused the message permanently: ${text}`, {
      retryable: false,
      details: { ...details, reason: 'permanent' },
    });
  if (responseCode !== undefined && responseCode >= 400)
    return new CeError('NETWORK_FAILED', `the SMTP server refused the message for now: ${text}`, {
      retryable: true,
      details: { ...details, reason: 'transient' },
    });
  if (failure.code === 'ETIMEDOUT' || /timeout|timed out/.test(lower))
    return new CeError('TIMEOUT', `the SMTP server did not answer in time: ${text}`, {
      retryable: true,
      details: { ...details, reason: 'timeout' },
    });
  if (
    (failure.code && connectionCodes.has(failure.code)) ||
    /ECONNREFUSED|ECONNRESET|EPIPE|closed/i.test(text)
  )
    return new CeError('NETWORK_FAILED', `could not talk to the SMTP server: ${text}`, {
      retryable: true,
      details: { ...details, reason: 'connection' },
    });
  return new CeError('NETWORK_FAILED', `sending the message failed: ${text}`, {
    retryable: true,
    details: { ...details, reason: 'unknown' },
  });
}
