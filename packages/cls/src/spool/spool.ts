import { CeError } from '@ce/core';

/** One entry held by a {@link Spool}: the sequence it was given on append and its bytes. */
export interface SpoolEntry {
  /** Strictly increasing, never reused (also across restarts of a disk spool). */
  sequence: number;
  /** The bytes appended, unchanged. */
  payload: Buffer;
}

/**
 * A bounded first-in, first-out queue of opaque entries that the shipper writes a batch to before
 * it moves its source checkpoint, and removes the batch from once a sink acknowledged it. Entries
 * stay until acknowledged: {@link Spool.peek} reads without removing, so a crash between delivery
 * and {@link Spool.ack} redelivers the entry (at least once) instead of losing it.
 *
 * The bound is in bytes; when it is reached {@link Spool.append} fails with `SPOOL_FULL` and the
 * caller applies backpressure with {@link Spool.waitForRoom} rather than dropping data or growing
 * memory. Every entry counts its payload plus {@link spoolFrameBytes} of framing.
 *
 * Two implementations: {@link openDiskSpool} (durable, survives crashes and restarts) and
 * {@link createMemorySpool} (same semantics, for tests and for sinks that need no durability).
 */
export interface Spool {
  /** Entries appended (the append resolved) and not acknowledged. */
  readonly count: number;
  /** Bytes of those entries: payload bytes plus {@link spoolFrameBytes} per entry. */
  readonly bytes: number;
  /** The bound on {@link Spool.bytes} (appends still in flight count against it too). */
  readonly maxBytes: number;
  /**
   * Whether an entry of `payloadBytes` fits now, counting held entries and appends in flight.
   * An entry larger than the whole bound never fits.
   */
  hasRoom(payloadBytes: number): boolean;
  /**
   * Appends one entry and resolves with its sequence once it is stored (for a disk spool with
   * `fsync: 'always'`: written and fsynced). Appends are stored in call order. The payload must
   * not be modified until the promise settles.
   *
   * Rejects with a `CeError`: `SPOOL_FULL` when the entry does not fit now (retryable; wait with
   * {@link Spool.waitForRoom}), or never fits (larger than `maxBytes`; not retryable);
   * `STORAGE_FAILED` on I/O errors or after {@link Spool.close}.
   */
  append(payload: Buffer | string): Promise<number>;
  /**
   * The oldest unacknowledged entries, in order, without removing them: at most `max` entries
   * and, when `maxBytes` is given, at most that many payload bytes, but always at least one entry
   * when any is held (so an entry larger than `maxBytes` still comes out, alone).
   */
  peek(max: number, maxBytes?: number): Promise<SpoolEntry[]>;
  /**
   * Acknowledges every entry up to and including `sequence` and reclaims their space. Idempotent;
   * a sequence beyond the last stored entry acknowledges everything stored so far, never entries
   * appended later. Resolves once the acknowledgement is durable (disk spool).
   */
  ack(sequence: number): Promise<void>;
  /**
   * Resolves when {@link Spool.hasRoom} becomes true for `payloadBytes` (immediately if it is
   * already). Rejects with `ABORTED` (or the signal's reason when it is a `CeError`) when `signal`
   * aborts or the spool closes, and with a non-retryable `SPOOL_FULL` when the entry can never fit.
   */
  waitForRoom(payloadBytes: number, signal?: AbortSignal): Promise<void>;
  /**
   * Lets appends in flight finish, rejects waiters and releases resources (a disk spool's files
   * and lock). Later calls other than `close` fail with `STORAGE_FAILED`. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Bytes of framing each entry costs on top of its payload (length, CRC-32 and sequence), counted
 * in {@link Spool.bytes} by both implementations so that the bound means the same everywhere.
 */
export const spoolFrameBytes = 16;

/** @internal Checks a byte bound option. */
export function checkByteOption(name: string, value: unknown, minimum: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    throw new CeError('CONFIG_INVALID', `spool option ${name} must be an integer >= ${minimum}`, {
      details: { option: name },
    });
  }
  return value;
}

/** @internal Checks a caller-supplied count or sequence. */
export function checkCount(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new CeError('VALIDATION_FAILED', `${name} must be a non-negative integer`, {
      details: { argument: name },
    });
  }
  return value;
}

/** @internal The payload as bytes. */
export function toPayload(payload: Buffer | string): Buffer {
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (Buffer.isBuffer(payload)) return payload;
  throw new CeError('VALIDATION_FAILED', 'a spool payload must be a Buffer or a string', {
    details: { argument: 'payload' },
  });
}

/** @internal The error for an entry that does not fit. */
export function spoolFullError(frameBytes: number, used: number, maxBytes: number): CeError {
  const never = frameBytes > maxBytes;
  return new CeError(
    'SPOOL_FULL',
    never
      ? `a spool entry of ${frameBytes} bytes can never fit in a spool of ${maxBytes} bytes`
      : `the spool is full (${used} of ${maxBytes} bytes used, the entry needs ${frameBytes})`,
    {
      retryable: !never,
      ...(never ? { kind: 'config' as const } : {}),
      details: { frameBytes, used, maxBytes },
    },
  );
}

/** @internal The error for any call on a closed spool. */
export function spoolClosedError(): CeError {
  return new CeError('STORAGE_FAILED', 'the spool is closed', { retryable: false });
}

/** @internal The error for room waiters still pending when the spool closes. */
export function spoolClosingError(): CeError {
  return new CeError('ABORTED', 'the spool closed while waiting for room');
}

interface RoomWaiter {
  frameBytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
}

function abortError(signal: AbortSignal): CeError {
  const reason: unknown = signal.reason;
  if (CeError.isInstance(reason)) return reason;
  return new CeError('ABORTED', 'waiting for spool room was aborted', { cause: reason });
}

/**
 * @internal The waiters of {@link Spool.waitForRoom}, shared by both implementations. `fits`
 * answers for a frame size; {@link RoomWaiters.notify} runs after anything frees room.
 */
export class RoomWaiters {
  readonly #waiters = new Set<RoomWaiter>();
  readonly #fits: (frameBytes: number) => boolean;
  readonly #maxBytes: number;

  constructor(maxBytes: number, fits: (frameBytes: number) => boolean) {
    this.#maxBytes = maxBytes;
    this.#fits = fits;
  }

  wait(payloadBytes: number, used: number, signal?: AbortSignal): Promise<void> {
    const frameBytes = spoolFrameBytes + payloadBytes;
    if (frameBytes > this.#maxBytes) return Promise.reject(spoolFullError(frameBytes, used, this.#maxBytes));
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.#fits(frameBytes)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters.delete(waiter);
        reject(abortError(signal as AbortSignal));
      };
      const waiter: RoomWaiter = {
        frameBytes,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  notify(): void {
    for (const waiter of this.#waiters) {
      if (!this.#fits(waiter.frameBytes)) continue;
      this.#waiters.delete(waiter);
      waiter.cleanup();
      waiter.resolve();
    }
  }

  rejectAll(error: unknown): void {
    for (const waiter of this.#waiters) {
      waiter.cleanup();
      waiter.reject(error);
    }
    this.#waiters.clear();
  }
}
