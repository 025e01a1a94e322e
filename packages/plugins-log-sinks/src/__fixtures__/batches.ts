import type { EventRecord, LogBatch, LogDelivery, LogFormat } from '@ce/core';

/** Records whose values are hostile to framing: newlines, CEF separators, non-ASCII, 64-bit ids. */
export const trickyRecords: EventRecord[] = [
  {
    _id: 'f1c9a2b3c4d5e6f7a8b9c0d1',
    type: 'page',
    timestamp: 1767225600,
    user: 'alice@example.com',
    url: 'https://example.com/a?b=c|d',
    app_session_id: '3458764513820540929',
  },
  {
    _id: 'f1c9a2b3c4d5e6f7a8b9c0d2',
    type: 'page',
    timestamp: 1767225601,
    user: 'bob',
    note: 'line one\nline two\r\nthree',
    cef_like: 'a|b=c\\d',
  },
  {
    _id: 'f1c9a2b3c4d5e6f7a8b9c0d3',
    type: 'page',
    timestamp: 1767229261,
    user: 'Zoë Ångström 日本語 🚀',
    transaction_id: '18446744073709551615',
  },
];

/** A CEF line per record, escaped as the CEF formatter does (no raw line breaks). */
export function cefLine(record: EventRecord): string {
  const escape = (value: unknown) =>
    String(value).replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r?\n|\r/g, '\\n');
  const extension = Object.entries(record)
    .map(([key, value]) => `cs_${key}=${escape(value)}`)
    .join(' ');
  return `CEF:0|Netskope|Netskope|1.0|page|page event \\| test|3|${extension}`;
}

/** Builds a delivery for a record in a format. */
export function delivery(record: EventRecord, format: LogFormat, stream = 'events/page'): LogDelivery {
  const timestamp = typeof record.timestamp === 'number' ? record.timestamp * 1_000 : undefined;
  return {
    id: String(record._id),
    stream,
    payload: format === 'json' ? JSON.stringify(record) : cefLine(record),
    record,
    ...(timestamp === undefined ? {} : { timestamp }),
  };
}

/** A batch of the tricky records (or the given ones). */
export function makeBatch(
  format: LogFormat = 'json',
  records: ReadonlyArray<EventRecord> = trickyRecords,
  id = 'events-page:1767225600:0',
): LogBatch {
  return { id, format, items: records.map((record) => delivery(record, format)) };
}

/** `count` plain page events, for volume tests. */
export function manyRecords(count: number, start = 0): EventRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    _id: `rec-${String(start + index).padStart(8, '0')}`,
    type: 'page',
    timestamp: 1767225600 + index,
    user: `user${index}@example.com`,
    bytes: index * 17,
  }));
}
