import { CeError, type EventRecord, type LogBatch, type LogDelivery, type LogFormat } from '@ce/core';

/** What a spool entry holds besides the batch: where it came from, for dead letters and metrics. */
export interface SpooledBatch extends LogBatch {
  /** The route that formatted it (`redrive` for a re-driven dead letter). */
  route: string;
  /** UTF-8 bytes of all payloads, known from the entry without measuring the strings. */
  payloadBytes: number;
}

/** One record on its way into a spool entry. */
export interface PendingDelivery {
  id: string;
  payload: string;
  /** UTF-8 length of `payload`, measured once. */
  payloadBytes: number;
  /** The record as JSON, or `undefined` when no sink of the route wants records. */
  recordJson: string | undefined;
  timestamp: number | undefined;
}

const version = 2;
const formats: ReadonlyArray<LogFormat> = ['cef', 'leef', 'syslog', 'json'];
const emptyRecord: EventRecord = Object.freeze({});
const noRecord = 0xffffffff;

/**
 * Encoded size of one delivery (ids are short; payload bytes are known), so batches can be cut to
 * a byte limit before encoding.
 */
export function deliveryBytes(item: PendingDelivery, withRecords: boolean): number {
  return (
    20 +
    item.id.length * 3 +
    item.payloadBytes +
    (withRecords && item.recordJson !== undefined ? item.recordJson.length * 3 : 0)
  );
}

/**
 * Encodes a batch as one spool entry: a version byte, a small JSON header (batch id, format,
 * route, stream) and length-prefixed UTF-8 strings per item. Payloads are not JSON-escaped, so
 * writing and reading a batch costs little more than copying its bytes; the record is kept as JSON
 * (only when `withRecords`) and parsed only if a sink reads it.
 */
export function encodeBatch(
  header: { id: string; format: LogFormat; route: string; stream: string },
  items: ReadonlyArray<PendingDelivery>,
  withRecords = true,
): Buffer {
  const head = JSON.stringify(header);
  let size = 1 + 4 + head.length * 3 + 4;
  for (const item of items) size += deliveryBytes(item, withRecords);
  const buffer = Buffer.allocUnsafe(size);
  let offset = buffer.writeUInt8(version, 0);
  offset = writeString(buffer, head, offset);
  offset = buffer.writeUInt32BE(items.length, offset);
  for (const item of items) {
    offset = writeString(buffer, item.id, offset);
    offset = buffer.writeDoubleBE(item.timestamp ?? Number.NaN, offset);
    offset = buffer.writeUInt32BE(item.payloadBytes, offset);
    offset += buffer.write(item.payload, offset, 'utf8');
    if (!withRecords || item.recordJson === undefined) offset = buffer.writeUInt32BE(noRecord, offset);
    else offset = writeString(buffer, item.recordJson, offset);
  }
  return buffer.subarray(0, offset);
}

function writeString(buffer: Buffer, text: string, offset: number): number {
  const written = buffer.write(text, offset + 4, 'utf8');
  buffer.writeUInt32BE(written, offset);
  return offset + 4 + written;
}

/** A delivery read back from the spool; its record is parsed on first use. */
class SpooledDelivery implements LogDelivery {
  private parsed: EventRecord | undefined;

  constructor(
    readonly id: string,
    readonly stream: string,
    readonly payload: string,
    private readonly recordJson: string | undefined,
    readonly timestamp: number | undefined,
  ) {}

  get record(): EventRecord {
    if (this.parsed === undefined)
      this.parsed =
        this.recordJson === undefined ? emptyRecord : (JSON.parse(this.recordJson) as EventRecord);
    return this.parsed;
  }

  toJSON(): Record<string, unknown> {
    return { id: this.id, stream: this.stream, payload: this.payload, timestamp: this.timestamp };
  }
}

/**
 * Decodes a spool entry written by {@link encodeBatch}.
 *
 * @throws CeError (`VALIDATION_FAILED`) when the entry is not one (a damaged or foreign file).
 */
export function decodeBatch(buffer: Buffer): SpooledBatch {
  try {
    if (buffer.readUInt8(0) !== version) throw new Error(`unknown entry version ${buffer.readUInt8(0)}`);
    let offset = 1;
    let payloadBytes = 0;
    const read = (): string => {
      const length = buffer.readUInt32BE(offset);
      const end = offset + 4 + length;
      if (end > buffer.length) throw new Error('a string runs past the end of the entry');
      const text = buffer.toString('utf8', offset + 4, end);
      offset = end;
      return text;
    };
    const head = JSON.parse(read()) as { id?: unknown; format?: unknown; route?: unknown; stream?: unknown };
    if (
      typeof head.id !== 'string' ||
      typeof head.route !== 'string' ||
      typeof head.stream !== 'string' ||
      !formats.includes(head.format as LogFormat)
    )
      throw new Error('the entry header is not a batch header');
    const stream = head.stream;
    const count = buffer.readUInt32BE(offset);
    offset += 4;
    const items: LogDelivery[] = [];
    for (let i = 0; i < count; i++) {
      const id = read();
      const timestamp = buffer.readDoubleBE(offset);
      offset += 8;
      payloadBytes += buffer.readUInt32BE(offset);
      const payload = read();
      let recordJson: string | undefined;
      if (buffer.readUInt32BE(offset) === noRecord) offset += 4;
      else recordJson = read();
      items.push(
        new SpooledDelivery(id, stream, payload, recordJson, Number.isNaN(timestamp) ? undefined : timestamp),
      );
    }
    if (offset !== buffer.length) throw new Error('bytes follow the last item');
    return { id: head.id, format: head.format as LogFormat, route: head.route, items, payloadBytes };
  } catch (error) {
    throw new CeError('VALIDATION_FAILED', `a spool entry is damaged: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
