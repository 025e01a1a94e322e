import { truncateEscapedUtf8, utf8Length } from './escape.js';

/** One escaped `key=value` pair of a CEF extension or LEEF attribute list. */
export interface EscapedPair {
  /** `key=` (or, for CEF after the first pair, ` key=`): written whole or not at all. */
  key: string;
  /** The escaped value, which may be cut. */
  value: string;
}

/**
 * Builds `header + pairs` within `maxBytes` UTF-8 bytes: pairs are kept in order while they fit;
 * the first one that does not fit has its value cut (never inside an escape or a character) if
 * its key and a few bytes of value still fit, and the rest are dropped. The slow path of the
 * formatters, taken only for lines over the limit.
 */
export function fitLine(
  header: string,
  pairs: ReadonlyArray<EscapedPair>,
  separator: string,
  maxBytes: number,
) {
  let out = header;
  let budget = maxBytes - utf8Length(header);
  let first = true;
  for (const pair of pairs) {
    const lead = first ? pair.key : separator + pair.key;
    const leadBytes = utf8Length(lead);
    const valueBytes = utf8Length(pair.value);
    if (leadBytes + valueBytes <= budget) {
      out += lead + pair.value;
      budget -= leadBytes + valueBytes;
      first = false;
      continue;
    }
    if (budget - leadBytes >= 16) out += lead + truncateEscapedUtf8(pair.value, budget - leadBytes);
    break;
  }
  return out;
}
