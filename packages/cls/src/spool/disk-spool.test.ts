import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CeError, createMemoryLogger } from '@ce/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DiskSpool, type DiskSpoolOptions, openDiskSpool } from './disk-spool.js';
import { crc32, crc32Table } from './frame.js';
import { spoolFrameBytes } from './spool.js';
import { lockFileName, processStartTicks } from './spool-lock.js';

let directory: string;
const opened: DiskSpool[] = [];

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'ce-disk-spool-'));
});

afterEach(async () => {
  for (const spool of opened.splice(0)) await spool.close();
  await rm(directory, { recursive: true, force: true });
});

async function openSpool(options: Partial<DiskSpoolOptions> = {}): Promise<DiskSpool> {
  const spool = await openDiskSpool({ directory, maxBytes: 1024 * 1024, ...options });
  opened.push(spool);
  return spool;
}

async function closeSpool(spool: DiskSpool): Promise<void> {
  await spool.close();
  opened.splice(opened.indexOf(spool), 1);
}

async function segments(): Promise<string[]> {
  return (await readdir(directory)).filter((name) => name.endsWith('.seg')).sort();
}

async function caught(promise: Promise<unknown>): Promise<CeError> {
  try {
    await promise;
  } catch (error) {
    if (CeError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

const text = (entries: Array<{ payload: Buffer }>) => entries.map((entry) => entry.payload.toString());
const payloadOf = (i: number, size = 30) => `${i}:`.padEnd(size, String.fromCharCode(97 + (i % 26)));

describe('CRC-32', () => {
  it('matches zlib, also continued over pieces', () => {
    const data = Buffer.from('The quick brown fox jumps over the lazy dog');
    expect(crc32Table(data)).toBe(0x414fa339);
    expect(crc32(data)).toBe(0x414fa339);
    expect(crc32Table(data.subarray(10), crc32Table(data.subarray(0, 10)))).toBe(0x414fa339);
    expect(crc32Table(Buffer.alloc(0))).toBe(0);
  });
});

describe('disk spool segments', () => {
  it('rolls segments over at segmentBytes and deletes each once all its entries are acknowledged', async () => {
    const frame = spoolFrameBytes + 30;
    const spool = await openSpool({ segmentBytes: 2 * frame });
    for (let i = 0; i < 7; i++) await spool.append(payloadOf(i));
    expect(await segments()).toEqual([1, 3, 5, 7].map((n) => `${String(n).padStart(20, '0')}.seg`));
    expect(spool.segmentCount).toBe(4);

    await spool.ack(1);
    expect(await segments()).toHaveLength(4); // Segment 1 still holds entry 2.
    await spool.ack(4);
    expect(await segments()).toEqual([5, 7].map((n) => `${String(n).padStart(20, '0')}.seg`));
    expect(spool.bytes).toBe(3 * frame);
    expect(text(await spool.peek(10))).toEqual([4, 5, 6].map((i) => payloadOf(i)));

    // The segment being written stays even when everything is acknowledged.
    await spool.ack(7);
    expect(await segments()).toEqual([`${String(7).padStart(20, '0')}.seg`]);
    expect(spool.count).toBe(0);
  });

  it('gives an entry larger than a segment a segment of its own', async () => {
    const spool = await openSpool({ segmentBytes: 100 });
    await spool.append('small');
    await spool.append('L'.repeat(500));
    await spool.append('after');
    expect(await segments()).toHaveLength(3);
    expect(text(await spool.peek(10))).toEqual(['small', 'L'.repeat(500), 'after']);
  });

  it('reopens with the unacknowledged entries and continues the sequences', async () => {
    let spool = await openSpool({ segmentBytes: 200 });
    for (let i = 0; i < 10; i++) await spool.append(payloadOf(i));
    await spool.ack(6);
    await closeSpool(spool);

    spool = await openSpool({ segmentBytes: 200 });
    expect(spool.count).toBe(4);
    expect(spool.bytes).toBe(4 * (spoolFrameBytes + 30));
    expect(spool.recovery).toMatchObject({ entries: 4, truncated: [] });
    const entries = await spool.peek(10);
    expect(entries.map((entry) => entry.sequence)).toEqual([7, 8, 9, 10]);
    expect(text(entries)).toEqual([6, 7, 8, 9].map((i) => payloadOf(i)));
    expect(await spool.append('next')).toBe(11);
    await closeSpool(spool);

    spool = await openSpool({ segmentBytes: 200 });
    expect(text(await spool.peek(10))).toEqual([...[6, 7, 8, 9].map((i) => payloadOf(i)), 'next']);
  });

  it('continues the sequences after everything was acknowledged and deleted', async () => {
    let spool = await openSpool();
    for (let i = 0; i < 3; i++) await spool.append(payloadOf(i));
    await spool.ack(3);
    await closeSpool(spool);

    spool = await openSpool();
    expect(await segments()).toEqual([]);
    expect(spool.count).toBe(0);
    expect(spool.recovery.removedSegments).toBe(1);
    expect(await spool.append('again')).toBe(4);
    expect(JSON.parse(await readFile(join(directory, 'ack'), 'utf8'))).toEqual({
      format: 1,
      acknowledged: 3,
    });
  });

  it('removes a fully acknowledged segment left by a crash before its deletion, without reading it', async () => {
    const frame = spoolFrameBytes + 30;
    let spool = await openSpool({ segmentBytes: 2 * frame });
    for (let i = 0; i < 4; i++) await spool.append(payloadOf(i));
    const first = (await segments())[0] as string;
    const saved = await readFile(join(directory, first));
    await spool.ack(2);
    await closeSpool(spool);
    // As if the process died between writing the ack file and deleting the segment, and the
    // acknowledged segment was then damaged: it is garbage either way.
    saved[20] = (saved[20] as number) ^ 0xff;
    await writeFile(join(directory, first), saved);
    await writeFile(join(directory, 'ack.tmp'), 'half');

    spool = await openSpool({ segmentBytes: 2 * frame });
    expect(spool.recovery.removedSegments).toBe(1);
    expect(await segments()).toHaveLength(1);
    expect((await readdir(directory)).includes('ack.tmp')).toBe(false);
    expect((await spool.peek(10)).map((entry) => entry.sequence)).toEqual([3, 4]);
  });

  it('reports a failed segment creation as STORAGE_FAILED and recovers once the cause is gone', async () => {
    const spool = await openSpool({ segmentBytes: 100 });
    await spool.append('L'.repeat(90));
    // A directory where the next segment file must go makes its creation fail.
    const blocker = join(directory, `${String(2).padStart(20, '0')}.seg`);
    await mkdir(blocker);
    const error = await caught(spool.append('L'.repeat(90)));
    expect(error.code).toBe('STORAGE_FAILED');
    expect(spool.count).toBe(1);
    expect(spool.hasRoom(1024 * 1024 - 200)).toBe(true);
    await rmdir(blocker);
    expect(await spool.append('ok')).toBe(2);
    expect(text(await spool.peek(10))).toEqual(['L'.repeat(90), 'ok']);
  });

  it('verifies entries again when reading them', async () => {
    const spool = await openSpool();
    await spool.append('intact');
    await spool.append('will be damaged');
    const file = join(directory, (await segments())[0] as string);
    const bytes = await readFile(file);
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0x01;
    await writeFile(file, bytes);
    const error = await caught(spool.peek(10));
    expect(error.code).toBe('STORAGE_FAILED');
    expect(error.details).toMatchObject({ file, sequence: 2 });
    expect(text(await spool.peek(1))).toEqual(['intact']);
  });

  it('refuses bad options with CONFIG_INVALID', async () => {
    expect((await caught(openDiskSpool({ directory, maxBytes: 0 }))).code).toBe('CONFIG_INVALID');
    expect((await caught(openDiskSpool({ directory, maxBytes: 1000, segmentBytes: 1.5 }))).code).toBe(
      'CONFIG_INVALID',
    );
    expect(
      (await caught(openDiskSpool({ directory, maxBytes: 1000, fsync: 'sometimes' as 'never' }))).code,
    ).toBe('CONFIG_INVALID');
  });
});

describe('disk spool recovery', () => {
  // Three segments of two entries each; the last frame of the last segment is the one cut.
  async function prepare(): Promise<{ file: string; bytes: Buffer; lastFrameStart: number }> {
    const frame = spoolFrameBytes + 30;
    const spool = await openSpool({ segmentBytes: 2 * frame });
    for (let i = 0; i < 6; i++) await spool.append(payloadOf(i));
    await closeSpool(spool);
    const file = join(directory, (await segments()).at(-1) as string);
    const bytes = await readFile(file);
    return { file, bytes, lastFrameStart: bytes.length - frame };
  }

  it('cuts a torn last frame at every byte offset, with or without garbage behind it, and keeps every complete entry', async () => {
    const { file, bytes, lastFrameStart } = await prepare();
    const garbage = [
      Buffer.alloc(0),
      Buffer.alloc(4096), // zeros, as a machine crash leaves in an extended file
      Buffer.from(Array.from({ length: 97 }, (_, i) => (i * 131 + 7) & 0xff)),
    ];
    for (let cut = lastFrameStart; cut < bytes.length; cut++) {
      for (const tail of garbage) {
        if (cut === lastFrameStart && tail.length === 0) continue; // Nothing torn.
        await writeFile(file, Buffer.concat([bytes.subarray(0, cut), tail]));
        // fsync never only to keep the 138 rounds quick; recovery is the same in both modes.
        const spool = await openSpool({ segmentBytes: 2 * (spoolFrameBytes + 30), fsync: 'never' });
        const entries = await spool.peek(10);
        expect(entries.map((entry) => entry.sequence)).toEqual([1, 2, 3, 4, 5]);
        expect(text(entries)).toEqual([0, 1, 2, 3, 4].map((i) => payloadOf(i)));
        expect(spool.recovery.truncated).toEqual([
          expect.objectContaining({
            file,
            offset: lastFrameStart,
            bytes: cut - lastFrameStart + tail.length,
            validFramesAfter: 0,
          }),
        ]);
        // The file was cut back to the last complete frame, and appending carries on after it.
        expect((await readFile(file)).length).toBe(lastFrameStart);
        expect(await spool.append('after the crash')).toBe(6);
        await closeSpool(spool);
        if (tail.length > 0) continue;
        const again = await openSpool({ segmentBytes: 2 * (spoolFrameBytes + 30), fsync: 'never' });
        expect(again.recovery.truncated).toEqual([]);
        expect(text(await again.peek(10)).at(-1)).toBe('after the crash');
        await closeSpool(again);
      }
    }
  });

  it('reports damage in the middle of an older segment with the file and offset', async () => {
    const { file: last } = await prepare();
    const names = await segments();
    const older = join(directory, names[1] as string);
    const bytes = await readFile(older);
    bytes[spoolFrameBytes + 5] = (bytes[spoolFrameBytes + 5] as number) ^ 0x40; // first frame's payload
    await writeFile(older, bytes);
    const error = await caught(openSpool());
    expect(error.code).toBe('STORAGE_FAILED');
    expect(error.retryable).toBe(false);
    expect(error.details).toEqual({ file: older, offset: 0, reason: 'checksum mismatch' });
    expect(error.message).toContain(older);
    // Nothing was changed, and the lock was released.
    expect(await readFile(older)).toEqual(bytes);
    expect((await readFile(last)).length).toBeGreaterThan(0);
    expect((await readdir(directory)).includes(lockFileName)).toBe(false);
  });

  it('reports a torn older segment too (fsync always: only the last one can be torn by a crash)', async () => {
    await prepare();
    const older = join(directory, (await segments())[0] as string);
    const bytes = await readFile(older);
    await writeFile(older, bytes.subarray(0, bytes.length - 3));
    const error = await caught(openSpool());
    expect(error.details).toMatchObject({
      file: older,
      offset: spoolFrameBytes + 30,
      reason: 'length beyond end',
    });
  });

  it('with fsync never, cuts a damaged older segment and logs what was lost', async () => {
    await prepare();
    const older = join(directory, (await segments())[0] as string);
    const bytes = await readFile(older);
    bytes[3] = 0x7f; // the first frame's length
    await writeFile(older, bytes);
    const logger = createMemoryLogger();
    const spool = await openSpool({ fsync: 'never', logger });
    expect((await spool.peek(10)).map((entry) => entry.sequence)).toEqual([3, 4, 5, 6]);
    expect(spool.recovery.truncated).toEqual([
      expect.objectContaining({ file: older, offset: 0, reason: 'length beyond end', validFramesAfter: 1 }),
    ]);
    expect(logger.records.map((record) => record.level)).toContain('error');
  });

  it('cuts damage inside the last segment but says loudly that verified entries were behind it', async () => {
    const { file } = await prepare();
    const bytes = await readFile(file);
    bytes[spoolFrameBytes + 2] = (bytes[spoolFrameBytes + 2] as number) ^ 0x10;
    await writeFile(file, bytes);
    const logger = createMemoryLogger();
    const spool = await openSpool({ logger });
    expect((await spool.peek(10)).map((entry) => entry.sequence)).toEqual([1, 2, 3, 4]);
    expect(spool.recovery.truncated).toEqual([
      expect.objectContaining({ file, offset: 0, reason: 'checksum mismatch', validFramesAfter: 1 }),
    ]);
    expect(logger.records.find((record) => record.level === 'error')?.fields).toMatchObject({
      file,
      offset: 0,
    });
  });

  it('refuses an unreadable ack file rather than guess', async () => {
    await prepare();
    await writeFile(join(directory, 'ack'), 'not json');
    const error = await caught(openSpool());
    expect(error.code).toBe('STORAGE_FAILED');
    expect(error.details).toMatchObject({ file: join(directory, 'ack') });
  });
});

describe('disk spool lock', () => {
  async function deadPid(): Promise<number> {
    const child = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => child.on('exit', resolve));
    return child.pid as number;
  }

  it('refuses a second open of the same directory in this process, until the first closes', async () => {
    const first = await openSpool();
    const error = await caught(openSpool());
    expect(error.code).toBe('CONFLICT');
    expect(error.details).toMatchObject({ pid: process.pid });
    await closeSpool(first);
    await closeSpool(await openSpool());
  });

  it('refuses a lock held by another live process', async () => {
    const pid = process.ppid;
    const start = processStartTicks(pid);
    await writeFile(
      join(directory, lockFileName),
      JSON.stringify({ pid, token: 'other', ...(start ? { start } : {}) }),
    );
    const error = await caught(openSpool());
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toContain(String(pid));
    expect(JSON.parse(await readFile(join(directory, lockFileName), 'utf8'))).toMatchObject({
      token: 'other',
    });
  });

  it('takes over a lock left by a dead process, by a reused pid, or unreadable', async () => {
    const stale = [
      { pid: await deadPid(), token: 'dead' },
      { pid: process.ppid, token: 'reused', start: '1' },
      'garbage',
    ];
    for (const content of stale) {
      await writeFile(
        join(directory, lockFileName),
        typeof content === 'string' ? content : JSON.stringify(content),
      );
      const spool = await openSpool();
      expect(JSON.parse(await readFile(join(directory, lockFileName), 'utf8'))).toMatchObject({
        pid: process.pid,
      });
      await closeSpool(spool);
      expect((await readdir(directory)).includes(lockFileName)).toBe(false);
    }
    expect((await readdir(directory)).filter((name) => name.startsWith(lockFileName))).toEqual([]);
  });
});

describe('disk spool close', () => {
  it('lets appends and peeks in flight finish, then refuses further calls', async () => {
    const spool = await openSpool();
    await spool.append('held');
    const appends = Array.from({ length: 20 }, (_, i) => spool.append(`in flight ${i}`));
    const peek = spool.peek(100);
    await closeSpool(spool);
    expect(await Promise.all(appends)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect(text(await peek)).toEqual(['held']);
    expect((await caught(spool.ack(1))).code).toBe('STORAGE_FAILED');

    const reopened = await openSpool();
    expect(reopened.count).toBe(21);
  });
});
