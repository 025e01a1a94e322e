/** The TAXII 2.1 media type, for every request and response. */
export const taxii21MediaType = 'application/taxii+json;version=2.1';
/** The STIX 2.1 media type, as collections announce it in `media_types`. */
export const stix21MediaType = 'application/stix+json;version=2.1';
/** The TAXII 2.0 media type (discovery, API roots, collections, status, manifests). */
export const taxii20MediaType = 'application/vnd.oasis.taxii+json; version=2.0';
/** The STIX 2.0 bundle media type (objects, on a TAXII 2.0 server). */
export const stix20MediaType = 'application/vnd.oasis.stix+json; version=2.0';

/** A parsed media range: `type/subtype` in lower case, its parameters and its quality. */
export interface MediaRange {
  /** `type/subtype`, lower case. */
  essence: string;
  /** Parameters, names lower case, quotes removed. */
  params: Record<string, string>;
  /** The `q` parameter, 1 when absent. */
  quality: number;
}

/** Parses one media type or media range (`application/taxii+json; version=2.1`). */
export function parseMediaType(text: string): MediaRange | undefined {
  const [head, ...rest] = text.split(';');
  const essence = head?.trim().toLowerCase() ?? '';
  if (!/^[\w.+*-]+\/[\w.+*-]+$/.test(essence)) return undefined;
  const params: Record<string, string> = {};
  for (const part of rest) {
    const index = part.indexOf('=');
    if (index < 0) continue;
    const name = part.slice(0, index).trim().toLowerCase();
    const value = part
      .slice(index + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (name) params[name] = value;
  }
  const q = params.q === undefined ? 1 : Number(params.q);
  return { essence, params, quality: Number.isFinite(q) ? q : 0 };
}

/** Splits an `Accept` header into its media ranges, dropping unparseable ones. */
export function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of header.split(',')) {
    const range = parseMediaType(part);
    if (range) ranges.push(range);
  }
  return ranges;
}

/**
 * Whether an `Accept` header admits TAXII 2.1 JSON. A missing header admits anything (RFC 9110);
 * `application/taxii+json` without a version means the latest, which is 2.1.
 */
export function acceptsTaxii21(header: string | undefined): boolean {
  if (header === undefined || header.trim() === '') return true;
  return parseAccept(header).some(
    (range) =>
      range.quality > 0 &&
      (range.essence === '*/*' ||
        range.essence === 'application/*' ||
        (range.essence === 'application/taxii+json' &&
          (range.params.version === undefined || range.params.version === '2.1'))),
  );
}

/** Whether a `Content-Type` header names TAXII 2.1 JSON (a missing version means 2.1). */
export function isTaxii21ContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const type = parseMediaType(header);
  return (
    type !== undefined &&
    type.essence === 'application/taxii+json' &&
    (type.params.version === undefined || type.params.version === '2.1')
  );
}

/** Whether a response `Content-Type` is one of the TAXII 2.0 / STIX 2.0 vendor types. */
export function isTaxii20ContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const type = parseMediaType(header);
  return (
    type !== undefined &&
    (type.essence === 'application/vnd.oasis.taxii+json' ||
      type.essence === 'application/vnd.oasis.stix+json')
  );
}
