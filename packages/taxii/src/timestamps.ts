const timestampPattern = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/i;

/**
 * A key that sorts STIX/TAXII timestamps by time with plain string comparison: the fraction is
 * padded to nanoseconds. Raw strings do not sort (`…:00Z` sorts after `…:00.5Z`), and `Date`
 * keeps only milliseconds. Returns `undefined` for text that is not a UTC RFC 3339 timestamp.
 */
export function timestampKey(text: string): string | undefined {
  const match = timestampPattern.exec(text);
  if (!match) return undefined;
  const base = match[1] as string;
  if (Number.isNaN(Date.parse(`${base}Z`))) return undefined;
  const fraction = (match[2] ?? '').slice(0, 9).padEnd(9, '0');
  return `${base}.${fraction}Z`;
}

/** Epoch microseconds of a UTC RFC 3339 timestamp, or `undefined` when it is not one. */
export function timestampMicros(text: string): number | undefined {
  const match = timestampPattern.exec(text);
  if (!match) return undefined;
  const ms = Date.parse(`${match[1]}Z`);
  if (Number.isNaN(ms)) return undefined;
  const micros = Number((match[2] ?? '').slice(0, 6).padEnd(6, '0'));
  return ms * 1000 + micros;
}

/** Formats epoch microseconds as a TAXII timestamp with six fraction digits. */
export function formatMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 23)}${String(micros - ms * 1000).padStart(3, '0')}Z`;
}
