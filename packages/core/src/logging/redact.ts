/** What a redacted value is replaced with. */
export const redactedMarker = '[REDACTED]';

const secretKeyPattern =
  /(pass(word|phrase)?|secret|token|api[-_]?key|apikey|authorization|auth[-_]?header|cookie|credential|private[-_]?key|client[-_]?secret|session[-_]?id|signature|bearer)/i;

/** Whether a field name looks like it holds a secret (password, token, api key, ...). */
export function isSecretKey(key: string): boolean {
  return secretKeyPattern.test(key);
}

const knownSecretValues = new Set<string>();

/**
 * Registers a secret value (a resolved API token, a password) so that it is scrubbed from every
 * message, log line and error the SDK produces, wherever it appears. The host's secret resolver
 * calls this for every secret it hands out. Values shorter than 6 characters are not registered:
 * scrubbing them would mangle ordinary text.
 */
export function registerSecretValue(value: string): void {
  if (value.length >= 6) knownSecretValues.add(value);
}

const textPatterns: ReadonlyArray<[RegExp, string]> = [
  // Authorization-style schemes followed by a credential.
  [/\b(Bearer|Basic|Token|Digest)\s+[A-Za-z0-9._~+/=-]{6,}/gi, `$1 ${redactedMarker}`],
  // key=value and key: value pairs whose key looks secret (query strings, headers, logs).
  [
    /((?:pass(?:word)?|secret|token|api[-_]?key|apikey|client[-_]?secret|access[-_]?key|signature|sig)["']?\s*[=:]\s*["']?)([^\s&"',;}]{3,})/gi,
    `$1${redactedMarker}`,
  ],
  // user:password@ in URLs.
  [/(\/\/[^/\s:@]+):[^/\s@]+@/g, `$1:${redactedMarker}@`],
];

/** Scrubs registered secret values and secret-looking patterns from free text. */
export function redactText(text: string): string {
  let out = text;
  for (const secret of knownSecretValues) {
    if (out.includes(secret)) out = out.split(secret).join(redactedMarker);
  }
  for (const [pattern, replacement] of textPatterns) out = out.replace(pattern, replacement);
  return out;
}

/** Redacts the password of a URL and the values of query parameters whose names look secret. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactText(url);
  }
  if (parsed.password) parsed.password = redactedMarker;
  for (const key of [...parsed.searchParams.keys()]) {
    if (isSecretKey(key)) parsed.searchParams.set(key, redactedMarker);
  }
  return redactText(parsed.toString());
}

/**
 * Deep-copies a value, replacing the values of secret-looking keys (and any key listed in
 * `extraKeys`) with {@link redactedMarker}, and scrubbing registered secrets from strings. Cycles
 * are cut, depth is bounded.
 */
export function redactValue(value: unknown, extraKeys: ReadonlyArray<string> = []): unknown {
  const extra = new Set(extraKeys.map((k) => k.toLowerCase()));
  const seen = new WeakSet<object>();
  const walk = (current: unknown, depth: number): unknown => {
    if (typeof current === 'string') return redactText(current);
    if (typeof current !== 'object' || current === null) return current;
    if (depth > 12) return '[Truncated]';
    if (seen.has(current)) return '[Circular]';
    seen.add(current);
    if (current instanceof Error) {
      const out: Record<string, unknown> = { name: current.name, message: redactText(current.message) };
      const code = (current as { code?: unknown }).code;
      if (code !== undefined) out.code = code;
      if (current.cause !== undefined) out.cause = walk(current.cause, depth + 1);
      return out;
    }
    if (current instanceof Date) return current.toISOString();
    if (Array.isArray(current)) return current.map((item) => walk(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(current)) {
      out[key] =
        (isSecretKey(key) || extra.has(key.toLowerCase())) &&
        item !== undefined &&
        item !== null &&
        item !== ''
          ? redactedMarker
          : walk(item, depth + 1);
    }
    return out;
  };
  return walk(value, 0);
}
