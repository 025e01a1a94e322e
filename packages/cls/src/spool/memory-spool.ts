import {
  checkByteOption,
  checkCount,
  RoomWaiters,
  type Spool,
  type SpoolEntry,
  spoolClosedError,
  spoolClosingError,
  spoolFrameBytes,
  spoolFullError,
  toPayload,
} from './spool.js';

/** Options of {@link createMemorySpool}. */
export interface MemorySpoolOptions {
  /** The bound on held bytes (payload plus {@link spoolFrameBytes} per entry). */
  maxBytes: number;
}

/**
 * A {@link Spool} in memory, with the semantics of the disk spool (sequences, bound, framing
 * bytes, peek and acknowledgement, waiting for room) but nothing survives the process. For tests
 * and for deployments that accept losing the spooled backlog on a crash.
 *
 * @example
 * ```ts
 * const spool = createMemorySpool({ maxBytes: 64 * 1024 * 1024 });
 * const sequence = await spool.append(JSON.stringify(batch));
 * const [entry] = await spool.peek(1);
 * await spool.ack(sequence);
 * ```
 */
export function createMemorySpool(options: MemorySpoolOptions): Spool {
  const maxBytes = checkByteOption('maxBytes', options.maxBytes, spoolFrameBytes + 1);
  // Acknowledged entries become holes, so their payloads are freed at once; the array itself is
  // compacted once the holes are more than half of it.
  let entries: Array<SpoolEntry | undefined> = [];
  let head = 0;
  let bytes = 0;
  let nextSequence = 1;
  let closed = false;
  const waiters = new RoomWaiters(maxBytes, (frameBytes) => bytes + frameBytes <= maxBytes);

  return {
    get count() {
      return entries.length - head;
    },
    get bytes() {
      return bytes;
    },
    maxBytes,
    hasRoom(payloadBytes) {
      return bytes + spoolFrameBytes + payloadBytes <= maxBytes;
    },
    async append(payload) {
      if (closed) throw spoolClosedError();
      const data = toPayload(payload);
      const frameBytes = spoolFrameBytes + data.length;
      if (bytes + frameBytes > maxBytes) throw spoolFullError(frameBytes, bytes, maxBytes);
      // A copy, so that the caller reusing its buffer cannot change what was spooled.
      const sequence = nextSequence++;
      entries.push({ sequence, payload: Buffer.from(data) });
      bytes += frameBytes;
      return sequence;
    },
    async peek(max, maxPayloadBytes) {
      if (closed) throw spoolClosedError();
      checkCount('max', max);
      if (maxPayloadBytes !== undefined) checkCount('maxBytes', maxPayloadBytes);
      const out: SpoolEntry[] = [];
      let total = 0;
      for (let i = head; i < entries.length && out.length < max; i++) {
        const entry = entries[i] as SpoolEntry;
        if (maxPayloadBytes !== undefined && out.length > 0 && total + entry.payload.length > maxPayloadBytes)
          break;
        total += entry.payload.length;
        out.push({ sequence: entry.sequence, payload: entry.payload });
      }
      return out;
    },
    async ack(sequence) {
      if (closed) throw spoolClosedError();
      checkCount('sequence', sequence);
      let freed = false;
      while (head < entries.length && (entries[head] as SpoolEntry).sequence <= sequence) {
        bytes -= spoolFrameBytes + (entries[head] as SpoolEntry).payload.length;
        entries[head] = undefined;
        head++;
        freed = true;
      }
      if (head > 1024 && head * 2 > entries.length) {
        entries = entries.slice(head);
        head = 0;
      }
      if (freed) waiters.notify();
    },
    waitForRoom(payloadBytes, signal) {
      try {
        if (closed) throw spoolClosedError();
        return waiters.wait(checkCount('payloadBytes', payloadBytes), bytes, signal);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      waiters.rejectAll(spoolClosingError());
      entries = [];
      head = 0;
      bytes = 0;
    },
  };
}
