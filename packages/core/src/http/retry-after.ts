/**
 * Parses an HTTP `Retry-After` value into a wait in milliseconds from `now`. The header is either
 * a number of seconds (`120`) or an HTTP-date (`Wed, 21 Oct 2026 07:28:00 GMT`); a date in the
 * past means "now" (0). Returns `undefined` for a missing or malformed value, so the caller falls
 * back to its own backoff.
 *
 * @param value - the raw header value
 * @param now - epoch milliseconds to measure a date against (pass the client's clock)
 * @example
 * ```ts
 * parseRetryAfter('3', Date.now()); // 3000
 * parseRetryAfter(new Date(Date.now() + 5_000).toUTCString(), Date.now()); // about 5000
 * ```
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) {
    const seconds = Number(text);
    return Number.isFinite(seconds) ? Math.ceil(seconds * 1_000) : undefined;
  }
  // Only RFC 9110 date shapes: Date.parse alone would accept "1" or "tomorrow"-ish strings.
  if (!/[a-z]{3}/i.test(text) || !/\d{1,2}:\d{2}:\d{2}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
