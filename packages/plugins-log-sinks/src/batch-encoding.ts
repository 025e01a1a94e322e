import type { LogDelivery, LogFormat, LogRejection } from '@ce/core';

/**
 * A payload as one line of JSON text. A `json` payload is used as is when it already is a single
 * line that looks like an object or array (the formatters' output), so 64-bit integers and key
 * order survive byte for byte; otherwise it is parsed and re-serialised. Payloads of the other
 * formats (CEF, LEEF, syslog lines) become JSON strings. Returns `undefined` for a `json` payload
 * that is not JSON.
 */
export function payloadAsJson(item: LogDelivery, format: LogFormat): string | undefined {
  const payload = item.payload;
  if (format !== 'json') return JSON.stringify(payload);
  const first = payload.charCodeAt(0);
  const last = payload.charCodeAt(payload.length - 1);
  const looksWhole =
    (first === 0x7b && last === 0x7d) || // { }
    (first === 0x5b && last === 0x5d); // [ ]
  if (looksWhole && !payload.includes('\n') && !payload.includes('\r')) return payload;
  try {
    return JSON.stringify(JSON.parse(payload));
  } catch {
    return undefined;
  }
}

/** Why a `json` payload was refused before sending. */
export const notJsonReason = 'the payload is not valid JSON';

/** Why a raw line was refused before sending. */
export const lineBreakReason =
  'the payload holds a line break, which would split it into two records in a line-framed body';

/** Items encoded for one request: the parts to send, the batch positions they came from, refusals. */
export interface EncodedItems {
  /** One encoded element per sent item, in order. */
  parts: string[];
  /** `included[i]` is the batch position of `parts[i]`. */
  included: number[];
  /** Items refused before sending, with the reason. */
  rejected: LogRejection[];
}

/** How an item becomes one element; return `undefined` plus a reason to refuse it. */
export type ItemEncoder = (item: LogDelivery, index: number) => string | { reject: string };

/** Encodes every item of a batch, collecting refusals instead of failing the batch. */
export function encodeItems(items: ReadonlyArray<LogDelivery>, encode: ItemEncoder): EncodedItems {
  const parts: string[] = [];
  const included: number[] = [];
  const rejected: LogRejection[] = [];
  for (let index = 0; index < items.length; index++) {
    const encoded = encode(items[index] as LogDelivery, index);
    if (typeof encoded === 'string') {
      parts.push(encoded);
      included.push(index);
    } else {
      rejected.push({ index, reason: encoded.reject });
    }
  }
  return { parts, included, rejected };
}

/** The envelope of a record in webhook and S3 bodies: its id, stream and time around the event. */
export function envelopeJson(item: LogDelivery, event: string): string {
  const timestamp = item.timestamp === undefined ? '' : `,"timestamp":${item.timestamp}`;
  return `{"id":${JSON.stringify(item.id)},"stream":${JSON.stringify(item.stream)}${timestamp},"event":${event}}`;
}

/** Whether a raw payload can be sent as one line. */
export function isSingleLine(payload: string): boolean {
  return !payload.includes('\n') && !payload.includes('\r');
}
