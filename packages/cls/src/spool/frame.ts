import * as zlib from 'node:zlib';
import { spoolFrameBytes } from './spool.js';

// Frame layout, little-endian: [payload length u32][crc32 u32][sequence u64][payload]. The CRC
// covers the length, the sequence and the payload, so a damaged length or sequence is caught too.

const crcTable = /* @__PURE__ */ (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** @internal CRC-32 (IEEE 802.3, as zlib), table-driven; the fallback where zlib lacks crc32. */
export function crc32Table(data: Uint8Array, previous = 0): number {
  let crc = ~previous;
  for (let i = 0; i < data.length; i++)
    crc = (crcTable[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

// zlib.crc32 exists from Node 20.15 and 22.2 (native, several GB/s); the engines field asks for
// 20.18, the table keeps other runtimes working.
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** @internal CRC-32 of `data`, continuing from `previous`. */
export const crc32: (data: Uint8Array, previous?: number) => number =
  typeof nativeCrc32 === 'function' ? (data, previous = 0) => nativeCrc32(data, previous) : crc32Table;

const twoPow32 = 0x1_0000_0000;

/** @internal The CRC of a frame whose 16-byte header starts at `header[at]`. */
export function frameCrc(header: Buffer, at: number, payload: Uint8Array): number {
  let crc = crc32(header.subarray(at, at + 4));
  crc = crc32(header.subarray(at + 8, at + 16), crc);
  return crc32(payload, crc);
}

/** @internal Writes the header of a frame for `payload` at `target[at]`. */
export function writeFrameHeader(target: Buffer, at: number, sequence: number, payload: Uint8Array): void {
  target.writeUInt32LE(payload.length, at);
  target.writeUInt32LE(sequence % twoPow32, at + 8);
  target.writeUInt32LE(Math.floor(sequence / twoPow32), at + 12);
  target.writeUInt32LE(frameCrc(target, at, payload), at + 4);
}

/** @internal What {@link readFrame} found at an offset. */
export type FrameRead =
  | { ok: true; sequence: number; payloadBytes: number; end: number }
  | {
      ok: false;
      reason: 'torn header' | 'length beyond end' | 'checksum mismatch' | 'sequence out of order';
    };

/**
 * @internal Reads and verifies the frame at `buffer[at]` (the buffer ends at `end`). A frame is
 * valid when it is complete, its CRC matches and its sequence exceeds `after` and is at least
 * `atLeast` (the first sequence its segment is named after).
 */
export function readFrame(
  buffer: Buffer,
  at: number,
  end: number,
  after: number,
  atLeast: number,
): FrameRead {
  if (end - at < spoolFrameBytes) return { ok: false, reason: 'torn header' };
  const payloadBytes = buffer.readUInt32LE(at);
  if (payloadBytes > end - at - spoolFrameBytes) return { ok: false, reason: 'length beyond end' };
  const payloadStart = at + spoolFrameBytes;
  const payload = buffer.subarray(payloadStart, payloadStart + payloadBytes);
  if (frameCrc(buffer, at, payload) !== buffer.readUInt32LE(at + 4))
    return { ok: false, reason: 'checksum mismatch' };
  const sequence = buffer.readUInt32LE(at + 12) * twoPow32 + buffer.readUInt32LE(at + 8);
  if (!Number.isSafeInteger(sequence) || sequence <= after || sequence < atLeast) {
    return { ok: false, reason: 'sequence out of order' };
  }
  return { ok: true, sequence, payloadBytes, end: payloadStart + payloadBytes };
}

/**
 * @internal Counts valid frames after a damaged one (a forward scan for a plausible header with a
 * matching CRC), so that recovery can tell a torn tail (nothing valid follows) from damage with
 * good entries behind it.
 */
export function countValidFramesAfter(buffer: Buffer, from: number, end: number, after: number): number {
  let found = 0;
  let at = from;
  let last = after;
  while (at + spoolFrameBytes <= end) {
    // Cheap rejection first (a plausible sequence and length), so that scanning megabytes of
    // zeros or garbage does not compute a CRC at every offset.
    const high = buffer.readUInt32LE(at + 12);
    const sequence = high * twoPow32 + buffer.readUInt32LE(at + 8);
    if (
      sequence <= last ||
      sequence - last > twoPow32 ||
      buffer.readUInt32LE(at) > end - at - spoolFrameBytes
    ) {
      at++;
      continue;
    }
    const frame = readFrame(buffer, at, end, last, 0);
    if (frame.ok) {
      found++;
      last = frame.sequence;
      at = frame.end;
    } else {
      at++;
    }
  }
  return found;
}
