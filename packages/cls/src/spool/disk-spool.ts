import { type FileHandle, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CeError, createNoopLogger, type Logger } from '@ce/core';
import { countValidFramesAfter, readFrame, writeFrameHeader } from './frame.js';
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
import { acquireSpoolLock, type SpoolLock } from './spool-lock.js';

/** Options of {@link openDiskSpool}. */
export interface DiskSpoolOptions {
  /** The spool's own directory (created if missing). One process at a time may open it. */
  directory: string;
  /**
   * The bound on unacknowledged bytes (payload plus {@link spoolFrameBytes} per entry). The disk
   * holds up to about one segment more: acknowledged entries wait in their segment until the
   * whole segment is acknowledged.
   */
  maxBytes: number;
  /**
   * Size at which a segment file is closed and a new one started; a segment is deleted once all
   * its entries are acknowledged. An entry larger than this gets a segment of its own.
   * @default 16 MiB
   */
  segmentBytes?: number;
  /**
   * `'always'`: an append resolves after its bytes are fsynced (concurrent appends share one
   * fsync), and acknowledgements are fsynced too, so nothing acknowledged to the caller is lost
   * on a power failure. `'never'`: the operating system writes back when it likes; a crash of the
   * process loses nothing, a crash of the machine may lose recent appends and acknowledgements.
   * @default 'always'
   */
  fsync?: 'always' | 'never';
  /** Receives recovery warnings (a torn tail cut off, leftovers removed). @default a no-op logger */
  logger?: Logger;
}

/** What {@link openDiskSpool} found and repaired when it opened the directory. */
export interface DiskSpoolRecovery {
  /** Unacknowledged entries found. */
  entries: number;
  /** Segment files read. */
  segments: number;
  /** Fully acknowledged or empty segment files removed. */
  removedSegments: number;
  /**
   * Damaged tails cut off: where (file and byte offset), why, how many bytes, and how many frames
   * that still verified were found behind the damage (non-zero means data was lost, not just an
   * append that never completed).
   */
  truncated: Array<{ file: string; offset: number; bytes: number; reason: string; validFramesAfter: number }>;
}

/** A {@link Spool} on disk, as returned by {@link openDiskSpool}. */
export interface DiskSpool extends Spool {
  /** The directory holding the segment, acknowledgement and lock files. */
  readonly directory: string;
  /** What opening found and repaired. */
  readonly recovery: DiskSpoolRecovery;
  /** Segment files currently on disk. */
  readonly segmentCount: number;
  /** The sequence the next append gets. */
  readonly nextSequence: number;
}

interface Segment {
  readonly firstSequence: number;
  readonly path: string;
  readonly name: string;
  /** Highest sequence stored in it; 0 while empty. */
  lastSequence: number;
  /** Bytes of complete frames. */
  size: number;
  reader: Promise<FileHandle> | undefined;
}

interface IndexEntry {
  readonly sequence: number;
  readonly segment: Segment;
  readonly offset: number;
  readonly payloadBytes: number;
}

interface PendingAppend {
  readonly payload: Buffer;
  readonly frameBytes: number;
  readonly resolve: (sequence: number) => void;
  readonly reject: (error: unknown) => void;
}

const segmentPattern = /^(\d{20})\.seg$/;
const ackFileName = 'ack';
const ackTempName = 'ack.tmp';
const maxGroupEntries = 512;
const maxPayloadBytes = 0xffff_ffff;

function segmentName(firstSequence: number): string {
  return `${String(firstSequence).padStart(20, '0')}.seg`;
}

function storageError(message: string, cause: unknown, details: Record<string, unknown> = {}): CeError {
  if (CeError.isInstance(cause)) return cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  return new CeError('STORAGE_FAILED', message, {
    cause,
    details: { ...details, ...(code ? { errno: code } : {}) },
  });
}

function corruptError(file: string, offset: number, reason: string): CeError {
  return new CeError(
    'STORAGE_FAILED',
    `spool file ${file} is damaged at byte ${offset} (${reason}) with entries behind it; move the file away to accept losing them`,
    { retryable: false, details: { file, offset, reason } },
  );
}

async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch (error) {
    // Platforms without directory fsync (Windows) refuse it; there is nothing more to do there.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'ENOTSUP') throw error;
  } finally {
    await handle?.close();
  }
}

async function readAckFile(directory: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(join(directory, ackFileName), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw storageError(`cannot read the spool acknowledgement in ${directory}`, error, { directory });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const acknowledged = (value as { acknowledged?: unknown } | undefined)?.acknowledged;
  if (typeof acknowledged !== 'number' || !Number.isSafeInteger(acknowledged) || acknowledged < 0) {
    throw corruptError(join(directory, ackFileName), 0, 'unreadable acknowledgement');
  }
  return acknowledged;
}

async function writeAll(
  handle: FileHandle,
  buffers: Buffer[],
  position: number,
  total: number,
): Promise<void> {
  const { bytesWritten } = await handle.writev(buffers, position);
  if (bytesWritten === total) return;
  // A short write (rare: signals, quotas). Finish the rest from one buffer.
  const rest = Buffer.concat(buffers).subarray(bytesWritten);
  let done = 0;
  while (done < rest.length) {
    const { bytesWritten: n } = await handle.write(
      rest,
      done,
      rest.length - done,
      position + bytesWritten + done,
    );
    if (n <= 0) throw new Error('write made no progress');
    done += n;
  }
}

class DiskSpoolImpl implements DiskSpool {
  readonly directory: string;
  readonly maxBytes: number;
  readonly recovery: DiskSpoolRecovery;
  readonly #segmentBytes: number;
  readonly #fsync: boolean;
  readonly #logger: Logger;
  readonly #lock: SpoolLock;
  readonly #segments: Segment[];
  #entries: IndexEntry[];
  #head = 0;
  #bytes = 0;
  #reserved = 0;
  #nextSequence: number;
  #lastStored: number;
  #acknowledged: number;
  #durableAck: number;
  #tail: FileHandle | undefined;
  #tailSegment: Segment | undefined;
  readonly #pending: PendingAppend[] = [];
  #writer: Promise<void> | undefined;
  #ackWriter: Promise<void> | undefined;
  #activeReads = 0;
  #readsDone: (() => void) | undefined;
  #reclaimWanted = false;
  #reclaiming: Promise<void> | undefined;
  #broken: CeError | undefined;
  #closing: Promise<void> | undefined;
  readonly #waiters: RoomWaiters;

  constructor(init: {
    directory: string;
    maxBytes: number;
    segmentBytes: number;
    fsync: boolean;
    logger: Logger;
    lock: SpoolLock;
    segments: Segment[];
    entries: IndexEntry[];
    acknowledged: number;
    lastStored: number;
    tail: FileHandle | undefined;
    recovery: DiskSpoolRecovery;
  }) {
    this.directory = init.directory;
    this.maxBytes = init.maxBytes;
    this.#segmentBytes = init.segmentBytes;
    this.#fsync = init.fsync;
    this.#logger = init.logger;
    this.#lock = init.lock;
    this.#segments = init.segments;
    this.#entries = init.entries;
    for (const entry of init.entries) this.#bytes += spoolFrameBytes + entry.payloadBytes;
    this.#acknowledged = init.acknowledged;
    this.#durableAck = init.acknowledged;
    this.#lastStored = init.lastStored;
    this.#nextSequence = Math.max(init.lastStored, init.acknowledged) + 1;
    this.#tail = init.tail;
    this.#tailSegment = init.tail === undefined ? undefined : init.segments.at(-1);
    this.recovery = init.recovery;
    this.#waiters = new RoomWaiters(init.maxBytes, (frameBytes) => this.#fits(frameBytes));
  }

  get count(): number {
    return this.#entries.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get segmentCount(): number {
    return this.#segments.length;
  }

  get nextSequence(): number {
    return this.#nextSequence;
  }

  #fits(frameBytes: number): boolean {
    return this.#bytes + this.#reserved + frameBytes <= this.maxBytes;
  }

  // A broken spool (a failed fsync) refuses appends but still lets the backlog be read and
  // acknowledged: those entries were verified and their CRCs are checked again on every read.
  #usable(appending = false): void {
    if (this.#closing !== undefined) throw spoolClosedError();
    if (appending && this.#broken !== undefined) throw this.#broken;
  }

  hasRoom(payloadBytes: number): boolean {
    return this.#fits(spoolFrameBytes + payloadBytes);
  }

  async append(payload: Buffer | string): Promise<number> {
    this.#usable(true);
    const data = toPayload(payload);
    const frameBytes = spoolFrameBytes + data.length;
    if (data.length > maxPayloadBytes || !this.#fits(frameBytes)) {
      throw spoolFullError(frameBytes, this.#bytes + this.#reserved, this.maxBytes);
    }
    this.#reserved += frameBytes;
    return new Promise<number>((resolve, reject) => {
      this.#pending.push({ payload: data, frameBytes, resolve, reject });
      this.#startWriter();
    });
  }

  #startWriter(): void {
    if (this.#writer !== undefined) return;
    this.#writer = this.#drain()
      .catch((error: unknown) =>
        this.#failGroup(this.#pending.splice(0), storageError('spool writer failed', error)),
      )
      .finally(() => {
        this.#writer = undefined;
        // An append queued after the loop's last check but before this callback.
        if (this.#pending.length > 0) this.#startWriter();
      });
  }

  // Writes queued appends in groups: one writev and one fsync for everything that queued up
  // while the previous group was on its way to the disk (group commit).
  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const first = this.#pending[0] as PendingAppend;
      if (this.#broken !== undefined) {
        this.#failGroup(this.#pending.splice(0), this.#broken);
        break;
      }
      let segment: Segment;
      let handle: FileHandle;
      try {
        [segment, handle] = await this.#tailFor(first.frameBytes);
      } catch (error) {
        this.#failGroup(this.#pending.splice(0, 1), storageError('cannot start a spool segment', error));
        continue;
      }
      let groupBytes = 0;
      let take = 0;
      for (const next of this.#pending) {
        if (take === maxGroupEntries) break;
        if (take > 0 && segment.size + groupBytes + next.frameBytes > this.#segmentBytes) break;
        groupBytes += next.frameBytes;
        take++;
      }
      const group = this.#pending.splice(0, take);
      const buffers: Buffer[] = [];
      const headers = Buffer.allocUnsafe(spoolFrameBytes * group.length);
      const firstSequence = this.#nextSequence;
      this.#nextSequence += group.length;
      for (let i = 0; i < group.length; i++) {
        const item = group[i] as PendingAppend;
        writeFrameHeader(headers, i * spoolFrameBytes, firstSequence + i, item.payload);
        buffers.push(headers.subarray(i * spoolFrameBytes, (i + 1) * spoolFrameBytes), item.payload);
      }
      const position = segment.size;
      try {
        await writeAll(handle, buffers, position, groupBytes);
      } catch (error) {
        await this.#undoWrite(handle, segment, position, error);
        this.#failGroup(
          group,
          storageError(`cannot write to spool file ${segment.path}`, error, { file: segment.path }),
        );
        continue;
      }
      if (this.#fsync) {
        try {
          await handle.datasync();
        } catch (error) {
          // After a failed fsync the page cache no longer tells what reached the disk; stop
          // rather than report later appends as durable.
          this.#broken = storageError(`cannot fsync spool file ${segment.path}; reopen the spool`, error, {
            file: segment.path,
          });
          this.#failGroup(group, this.#broken);
          continue;
        }
      }
      let offset = position;
      for (let i = 0; i < group.length; i++) {
        const item = group[i] as PendingAppend;
        const sequence = firstSequence + i;
        this.#entries.push({ sequence, segment, offset, payloadBytes: item.payload.length });
        offset += item.frameBytes;
        this.#bytes += item.frameBytes;
        this.#reserved -= item.frameBytes;
      }
      segment.size += groupBytes;
      segment.lastSequence = firstSequence + group.length - 1;
      this.#lastStored = segment.lastSequence;
      for (let i = 0; i < group.length; i++) (group[i] as PendingAppend).resolve(firstSequence + i);
    }
  }

  #failGroup(group: PendingAppend[], error: unknown): void {
    for (const item of group) {
      this.#reserved -= item.frameBytes;
      item.reject(error);
    }
    this.#waiters.notify();
  }

  async #undoWrite(handle: FileHandle, segment: Segment, position: number, cause: unknown): Promise<void> {
    try {
      // Cut what part of the group reached the file, so the next frame starts on a boundary.
      await handle.truncate(position);
    } catch {
      this.#broken = storageError(
        `cannot repair spool file ${segment.path} after a failed write; reopen the spool`,
        cause,
        {
          file: segment.path,
        },
      );
    }
  }

  async #tailFor(frameBytes: number): Promise<[Segment, FileHandle]> {
    const current = this.#tailSegment;
    if (current !== undefined && this.#tail !== undefined) {
      if (current.size === 0 || current.size + frameBytes <= this.#segmentBytes) return [current, this.#tail];
      const old = this.#tail;
      this.#tail = undefined;
      this.#tailSegment = undefined;
      await old.close();
    }
    const firstSequence = this.#nextSequence;
    const name = segmentName(firstSequence);
    const segment: Segment = {
      firstSequence,
      name,
      path: join(this.directory, name),
      lastSequence: 0,
      size: 0,
      reader: undefined,
    };
    const handle = await open(segment.path, 'wx+');
    try {
      if (this.#fsync) await syncDirectory(this.directory);
    } catch (error) {
      await handle.close();
      await unlink(segment.path).catch(() => undefined);
      throw error;
    }
    this.#segments.push(segment);
    this.#tail = handle;
    this.#tailSegment = segment;
    return [segment, handle];
  }

  async peek(max: number, maxBytes?: number): Promise<SpoolEntry[]> {
    this.#usable();
    checkCount('max', max);
    if (maxBytes !== undefined) checkCount('maxBytes', maxBytes);
    const selected: IndexEntry[] = [];
    let total = 0;
    for (let i = this.#head; i < this.#entries.length && selected.length < max; i++) {
      const entry = this.#entries[i] as IndexEntry;
      if (maxBytes !== undefined && selected.length > 0 && total + entry.payloadBytes > maxBytes) break;
      total += entry.payloadBytes;
      selected.push(entry);
    }
    if (selected.length === 0) return [];
    this.#activeReads++;
    try {
      const out: SpoolEntry[] = [];
      let runStart = 0;
      for (let i = 1; i <= selected.length; i++) {
        const previous = selected[i - 1] as IndexEntry;
        const next = selected[i];
        if (
          next !== undefined &&
          next.segment === previous.segment &&
          next.offset === previous.offset + spoolFrameBytes + previous.payloadBytes
        ) {
          continue;
        }
        await this.#readRun(selected.slice(runStart, i), out);
        runStart = i;
      }
      return out;
    } finally {
      this.#activeReads--;
      if (this.#activeReads === 0) {
        this.#readsDone?.();
        if (this.#reclaimWanted && this.#closing === undefined) void this.#reclaim();
      }
    }
  }

  // Reads entries that lie back to back in one segment with a single read, and verifies each.
  async #readRun(run: IndexEntry[], out: SpoolEntry[]): Promise<void> {
    const first = run[0] as IndexEntry;
    const last = run.at(-1) as IndexEntry;
    const segment = first.segment;
    const length = last.offset + spoolFrameBytes + last.payloadBytes - first.offset;
    const buffer = Buffer.allocUnsafe(length);
    try {
      segment.reader ??= open(segment.path, 'r');
      const handle = await segment.reader;
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buffer, done, length - done, first.offset + done);
        if (bytesRead === 0) throw new Error('unexpected end of file');
        done += bytesRead;
      }
    } catch (error) {
      throw storageError(`cannot read spool file ${segment.path}`, error, { file: segment.path });
    }
    for (const entry of run) {
      const at = entry.offset - first.offset;
      const frame = readFrame(buffer, at, at + spoolFrameBytes + entry.payloadBytes, entry.sequence - 1, 0);
      if (!frame.ok || frame.sequence !== entry.sequence || frame.payloadBytes !== entry.payloadBytes) {
        throw new CeError(
          'STORAGE_FAILED',
          `spool file ${segment.path} changed under the spool at byte ${entry.offset} (${frame.ok ? 'wrong entry' : frame.reason})`,
          {
            retryable: false,
            details: { file: segment.path, offset: entry.offset, sequence: entry.sequence },
          },
        );
      }
      out.push({ sequence: entry.sequence, payload: buffer.subarray(at + spoolFrameBytes, frame.end) });
    }
  }

  async ack(sequence: number): Promise<void> {
    this.#usable();
    checkCount('sequence', sequence);
    const target = Math.min(sequence, this.#lastStored);
    if (target > this.#acknowledged) {
      this.#acknowledged = target;
      let freed = false;
      while (
        this.#head < this.#entries.length &&
        (this.#entries[this.#head] as IndexEntry).sequence <= target
      ) {
        this.#bytes -= spoolFrameBytes + (this.#entries[this.#head] as IndexEntry).payloadBytes;
        this.#head++;
        freed = true;
      }
      if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
        this.#entries = this.#entries.slice(this.#head);
        this.#head = 0;
      }
      if (freed) this.#waiters.notify();
    }
    // Loops because a writer that already passed its last check may still be settling.
    while (this.#durableAck < target) {
      this.#ackWriter ??= this.#writeAcks().finally(() => {
        this.#ackWriter = undefined;
      });
      await this.#ackWriter;
    }
  }

  async #writeAcks(): Promise<void> {
    while (this.#durableAck < this.#acknowledged) {
      const value = this.#acknowledged;
      const temp = join(this.directory, ackTempName);
      try {
        const handle = await open(temp, 'w');
        try {
          await handle.writeFile(`${JSON.stringify({ format: 1, acknowledged: value })}\n`);
          if (this.#fsync) await handle.datasync();
        } finally {
          await handle.close();
        }
        await rename(temp, join(this.directory, ackFileName));
        if (this.#fsync) await syncDirectory(this.directory);
      } catch (error) {
        throw storageError(`cannot write the spool acknowledgement in ${this.directory}`, error, {
          directory: this.directory,
        });
      }
      this.#durableAck = value;
      this.#reclaimWanted = true;
      if (this.#activeReads === 0) await this.#reclaim();
    }
  }

  // Deletes segments every entry of which is durably acknowledged (never the one being written).
  #reclaim(): Promise<void> {
    this.#reclaiming ??= (async () => {
      this.#reclaimWanted = false;
      while (this.#segments.length > 0) {
        if (this.#activeReads > 0) {
          // A peek may be reading a segment about to go; the last reader to finish comes back.
          this.#reclaimWanted = true;
          break;
        }
        const segment = this.#segments[0] as Segment;
        if (segment === this.#tailSegment || segment.lastSequence > this.#durableAck) break;
        try {
          const reader = segment.reader;
          segment.reader = undefined;
          if (reader !== undefined) await (await reader.catch(() => undefined))?.close();
          await unlink(segment.path);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
            // Left for the next acknowledgement or the next open, which deletes it too.
            this.#logger.warn('cannot delete an acknowledged spool segment', {
              file: segment.path,
              error: String(error),
            });
            break;
          }
        }
        this.#segments.shift();
      }
    })().finally(() => {
      this.#reclaiming = undefined;
    });
    return this.#reclaiming;
  }

  waitForRoom(payloadBytes: number, signal?: AbortSignal): Promise<void> {
    try {
      this.#usable();
      return this.#waiters.wait(
        checkCount('payloadBytes', payloadBytes),
        this.#bytes + this.#reserved,
        signal,
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#waiters.rejectAll(spoolClosingError());
      while (this.#writer !== undefined) await this.#writer;
      // Peeks in flight finish before their file handles close.
      if (this.#activeReads > 0) await new Promise<void>((resolve) => (this.#readsDone = resolve));
      await this.#ackWriter?.catch(() => undefined);
      await this.#reclaiming?.catch(() => undefined);
      const handles: Array<Promise<FileHandle> | FileHandle> = [];
      if (this.#tail !== undefined) handles.push(this.#tail);
      for (const segment of this.#segments) if (segment.reader !== undefined) handles.push(segment.reader);
      this.#tail = undefined;
      this.#tailSegment = undefined;
      for (const handle of handles)
        await (await Promise.resolve(handle).catch(() => undefined))?.close().catch(() => undefined);
      await this.#lock.release();
    })();
    return this.#closing;
  }
}

interface ScannedSegment {
  segment: Segment;
  entries: IndexEntry[];
}

/**
 * Opens (creating if needed) a durable spool in `directory`: a write-ahead queue of segment files
 * named by their first sequence, each entry framed with its length, CRC-32 and sequence, and an
 * `ack` file holding the last acknowledged sequence, replaced atomically. A segment is deleted once
 * all its entries are acknowledged.
 *
 * Opening takes the directory's lock (a second opener, in this process or another, gets
 * `CONFLICT`; a lock left by a dead process is taken over), then recovers: every frame's CRC is
 * checked; a damaged tail of the last segment (an append cut short by a crash) is cut off; damage
 * in an earlier segment fails with `STORAGE_FAILED` naming the file and offset (with `fsync:
 * 'never'`, where a machine crash can tear any recent segment, such a tail is cut off as well);
 * acknowledged entries are skipped, and sequences continue after the highest ever used.
 *
 * @example
 * ```ts
 * const spool = await openDiskSpool({ directory: '/var/lib/ce/spool/siem', maxBytes: 1024 ** 3 });
 * const sequence = await spool.append(batchBytes); // durable once resolved
 * for (const entry of await spool.peek(10)) await deliver(entry.payload);
 * await spool.ack(sequence);
 * await spool.close();
 * ```
 */
export async function openDiskSpool(options: DiskSpoolOptions): Promise<DiskSpool> {
  const maxBytes = checkByteOption('maxBytes', options.maxBytes, spoolFrameBytes + 1);
  const segmentBytes = checkByteOption(
    'segmentBytes',
    options.segmentBytes ?? 16 * 1024 * 1024,
    spoolFrameBytes + 1,
  );
  if (options.fsync !== undefined && options.fsync !== 'always' && options.fsync !== 'never') {
    throw new CeError('CONFIG_INVALID', "spool option fsync must be 'always' or 'never'", {
      details: { option: 'fsync' },
    });
  }
  if (typeof options.directory !== 'string' || options.directory === '') {
    throw new CeError('CONFIG_INVALID', 'spool option directory must be a path', {
      details: { option: 'directory' },
    });
  }
  const fsync = options.fsync !== 'never';
  const logger = options.logger ?? createNoopLogger();
  const directory = options.directory;
  try {
    await mkdir(directory, { recursive: true });
  } catch (error) {
    throw storageError(`cannot create the spool directory ${directory}`, error, { directory });
  }
  const lock = await acquireSpoolLock(directory);
  try {
    return await recover({ directory, maxBytes, segmentBytes, fsync, logger, lock });
  } catch (error) {
    await lock.release();
    throw storageError(`cannot open the spool in ${directory}`, error, { directory });
  }
}

async function recover(init: {
  directory: string;
  maxBytes: number;
  segmentBytes: number;
  fsync: boolean;
  logger: Logger;
  lock: SpoolLock;
}): Promise<DiskSpool> {
  const { directory, fsync, logger } = init;
  const recovery: DiskSpoolRecovery = { entries: 0, segments: 0, removedSegments: 0, truncated: [] };
  const names = await readdir(directory);
  if (names.includes(ackTempName)) await unlink(join(directory, ackTempName)).catch(() => undefined);
  const acknowledged = await readAckFile(directory);
  const found: Segment[] = names
    .map((name) => segmentPattern.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => {
      const name = match[0];
      return {
        firstSequence: Number(match[1]),
        name,
        path: join(directory, name),
        lastSequence: 0,
        size: 0,
        reader: undefined,
      };
    })
    .sort((a, b) => a.firstSequence - b.firstSequence);

  const remove = async (segment: Segment): Promise<void> => {
    await unlink(segment.path);
    recovery.removedSegments++;
  };

  const kept: ScannedSegment[] = [];
  let highest = 0;
  for (let i = 0; i < found.length; i++) {
    const segment = found[i] as Segment;
    const next = found[i + 1];
    // Everything in it precedes the next segment's first sequence: when that is acknowledged, the
    // segment is garbage left by a crash between the acknowledgement and the deletion.
    if (next !== undefined && next.firstSequence - 1 <= acknowledged) {
      await remove(segment);
      highest = Math.max(highest, next.firstSequence - 1);
      continue;
    }
    const scanned = await scanSegment(
      segment,
      highest,
      acknowledged,
      fsync,
      next === undefined || !fsync,
      recovery,
      logger,
    );
    recovery.segments++;
    if (segment.lastSequence > 0) highest = segment.lastSequence;
    if (segment.size === 0 || (segment.lastSequence <= acknowledged && next !== undefined)) {
      await remove(segment);
    } else if (segment.lastSequence <= acknowledged && next === undefined) {
      await remove(segment);
    } else {
      kept.push(scanned);
    }
  }

  const segments = kept.map((scanned) => scanned.segment);
  const entries = kept.flatMap((scanned) => scanned.entries);
  recovery.entries = entries.length;
  const last = segments.at(-1);
  let tail: FileHandle | undefined;
  if (last !== undefined && last.size < init.segmentBytes) tail = await open(last.path, 'r+');
  return new DiskSpoolImpl({
    directory,
    maxBytes: init.maxBytes,
    segmentBytes: init.segmentBytes,
    fsync,
    logger,
    lock: init.lock,
    segments,
    entries,
    acknowledged,
    lastStored: highest,
    tail,
    recovery,
  });
}

async function scanSegment(
  segment: Segment,
  after: number,
  acknowledged: number,
  fsync: boolean,
  mayTruncate: boolean,
  recovery: DiskSpoolRecovery,
  logger: Logger,
): Promise<ScannedSegment> {
  const data = await readFile(segment.path);
  const entries: IndexEntry[] = [];
  let at = 0;
  let previous = after;
  let failure: string | undefined;
  while (at < data.length) {
    const frame = readFrame(data, at, data.length, previous, segment.firstSequence);
    if (!frame.ok) {
      failure = frame.reason;
      break;
    }
    if (frame.sequence > acknowledged) {
      entries.push({ sequence: frame.sequence, segment, offset: at, payloadBytes: frame.payloadBytes });
    }
    previous = frame.sequence;
    segment.lastSequence = frame.sequence;
    at = frame.end;
  }
  segment.size = at;
  if (failure !== undefined) {
    if (!mayTruncate) throw corruptError(segment.path, at, failure);
    const validFramesAfter = countValidFramesAfter(data, at + 1, data.length, previous);
    const handle = await open(segment.path, 'r+');
    try {
      await handle.truncate(at);
      if (fsync) await handle.datasync();
    } finally {
      await handle.close();
    }
    const cut = {
      file: segment.path,
      offset: at,
      bytes: data.length - at,
      reason: failure,
      validFramesAfter,
    };
    recovery.truncated.push(cut);
    (validFramesAfter > 0 ? logger.error : logger.warn).call(
      logger,
      validFramesAfter > 0
        ? 'spool segment damaged: cut off at the damage, with verified entries behind it'
        : 'spool segment tail torn by a crash: cut off',
      cut,
    );
  }
  return { segment, entries };
}
