import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CeError } from '@ce/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openDiskSpool } from './disk-spool.js';
import { createMemorySpool } from './memory-spool.js';
import { type Spool, spoolFrameBytes } from './spool.js';

// The behaviour every spool shares, run against the memory spool and the disk spool in both
// fsync modes.

const directories: string[] = [];
const open: Spool[] = [];

afterEach(async () => {
  for (const spool of open.splice(0)) await spool.close();
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

type Make = (maxBytes: number, segmentBytes?: number) => Promise<Spool>;

const implementations: Array<[string, Make]> = [
  ['memory', async (maxBytes) => createMemorySpool({ maxBytes })],
  ...(['always', 'never'] as const).map((fsync): [string, Make] => [
    `disk, fsync ${fsync}`,
    async (maxBytes, segmentBytes) => {
      const directory = await mkdtemp(join(tmpdir(), 'ce-spool-'));
      directories.push(directory);
      return openDiskSpool({ directory, maxBytes, fsync, ...(segmentBytes ? { segmentBytes } : {}) });
    },
  ]),
];

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

describe.each(implementations)('%s spool', (_name, make) => {
  const spoolOf = async (maxBytes = 1024 * 1024, segmentBytes?: number) => {
    const spool = await make(maxBytes, segmentBytes);
    open.push(spool);
    return spool;
  };

  it('gives increasing sequences, peeks in order without removing, and acknowledges up to a sequence', async () => {
    const spool = await spoolOf();
    expect(await spool.append('one')).toBe(1);
    expect(await spool.append(Buffer.from('two'))).toBe(2);
    expect(await spool.append('thrée')).toBe(3);
    expect(spool.count).toBe(3);
    expect(spool.bytes).toBe(3 + 3 + 6 + 3 * spoolFrameBytes);

    expect(text(await spool.peek(10))).toEqual(['one', 'two', 'thrée']);
    expect((await spool.peek(2)).map((entry) => entry.sequence)).toEqual([1, 2]);
    expect(text(await spool.peek(10))).toEqual(['one', 'two', 'thrée']);

    await spool.ack(2);
    expect(spool.count).toBe(1);
    expect(spool.bytes).toBe(6 + spoolFrameBytes);
    expect(await spool.peek(10)).toEqual([{ sequence: 3, payload: Buffer.from('thrée') }]);

    await spool.ack(2);
    await spool.ack(1);
    expect(spool.count).toBe(1);
    await spool.ack(3);
    expect(spool.count).toBe(0);
    expect(spool.bytes).toBe(0);
    expect(await spool.peek(10)).toEqual([]);
    expect(await spool.append('four')).toBe(4);
  });

  it('limits a peek by payload bytes but always returns at least one entry', async () => {
    const spool = await spoolOf();
    await spool.append('a'.repeat(100));
    await spool.append('b'.repeat(10));
    await spool.append('c'.repeat(10));
    expect(text(await spool.peek(10, 50))).toEqual(['a'.repeat(100)]);
    await spool.ack(1);
    expect(text(await spool.peek(10, 20))).toEqual(['b'.repeat(10), 'c'.repeat(10)]);
    expect(text(await spool.peek(10, 19))).toEqual(['b'.repeat(10)]);
    expect(await spool.peek(0)).toEqual([]);
  });

  it('acknowledging beyond the last stored entry does not acknowledge later appends', async () => {
    const spool = await spoolOf();
    await spool.append('x');
    await spool.ack(1000);
    expect(spool.count).toBe(0);
    const sequence = await spool.append('y');
    expect(sequence).toBe(2);
    expect(text(await spool.peek(10))).toEqual(['y']);
  });

  it('keeps call order for concurrent appends', async () => {
    const spool = await spoolOf();
    const sequences = await Promise.all(Array.from({ length: 200 }, (_, i) => spool.append(`entry ${i}`)));
    expect(sequences).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const entries = await spool.peek(1000);
    expect(text(entries)).toEqual(Array.from({ length: 200 }, (_, i) => `entry ${i}`));
    expect(spool.count).toBe(200);
  });

  it('fails with SPOOL_FULL when the bound is reached and resumes waiters once entries are acknowledged', async () => {
    const frame = spoolFrameBytes + 10;
    const spool = await spoolOf(3 * frame);
    const payload = 'p'.repeat(10);
    await spool.append(payload);
    await spool.append(payload);
    await spool.append(payload);
    expect(spool.bytes).toBe(3 * frame);
    expect(spool.hasRoom(10)).toBe(false);
    expect(spool.hasRoom(0)).toBe(false);

    const full = await caught(spool.append(payload));
    expect(full.code).toBe('SPOOL_FULL');
    expect(full.retryable).toBe(true);
    expect(full.kind).toBe('transient');
    expect(spool.count).toBe(3);

    let resumed = false;
    const waiting = spool.waitForRoom(10).then(() => {
      resumed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(resumed).toBe(false);
    await spool.ack(1);
    await waiting;
    expect(resumed).toBe(true);
    expect(spool.hasRoom(10)).toBe(true);
    expect(spool.hasRoom(11)).toBe(false);
    expect(await spool.append(payload)).toBe(4);
  });

  it('counts appends in flight against the bound', async () => {
    const spool = await spoolOf(2 * (spoolFrameBytes + 10));
    const results = await Promise.allSettled([1, 2, 3].map(() => spool.append('q'.repeat(10))));
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(((results[2] as PromiseRejectedResult).reason as CeError).code).toBe('SPOOL_FULL');
    expect(spool.count).toBe(2);
    expect(spool.bytes).toBe(spool.maxBytes);
  });

  it('rejects an entry larger than the whole bound as never fitting', async () => {
    const spool = await spoolOf(100);
    const error = await caught(spool.append('z'.repeat(100 - spoolFrameBytes + 1)));
    expect(error.code).toBe('SPOOL_FULL');
    expect(error.retryable).toBe(false);
    expect((await caught(spool.waitForRoom(1000))).code).toBe('SPOOL_FULL');
    expect(await spool.append('z'.repeat(100 - spoolFrameBytes))).toBe(1);
  });

  it('stops waiting for room on abort and on close', async () => {
    const spool = await spoolOf(spoolFrameBytes + 1);
    await spool.append('x');
    const controller = new AbortController();
    const aborted = caught(spool.waitForRoom(1, controller.signal));
    controller.abort();
    expect((await aborted).code).toBe('ABORTED');

    const reason = new CeError('TIMEOUT', 'shipper stopping');
    const withReason = new AbortController();
    const byReason = caught(spool.waitForRoom(1, withReason.signal));
    withReason.abort(reason);
    expect(await byReason).toBe(reason);

    const closing = caught(spool.waitForRoom(1));
    await spool.close();
    expect((await closing).code).toBe('ABORTED');
    const after = await caught(spool.append('y'));
    expect(after.code).toBe('STORAGE_FAILED');
    expect(after.retryable).toBe(false);
    expect((await caught(spool.peek(1))).code).toBe('STORAGE_FAILED');
    await spool.close();
  });

  it('refuses bad arguments with VALIDATION_FAILED', async () => {
    const spool = await spoolOf();
    expect((await caught(spool.peek(-1))).code).toBe('VALIDATION_FAILED');
    expect((await caught(spool.peek(1, 1.5))).code).toBe('VALIDATION_FAILED');
    expect((await caught(spool.ack(Number.NaN))).code).toBe('VALIDATION_FAILED');
    expect((await caught(spool.append(42 as unknown as string))).code).toBe('VALIDATION_FAILED');
    expect((await caught(spool.waitForRoom(-3))).code).toBe('VALIDATION_FAILED');
  });

  it('copies or persists the payload, so reusing the caller buffer changes nothing', async () => {
    const spool = await spoolOf();
    const buffer = Buffer.from('first');
    await spool.append(buffer);
    buffer.write('later');
    expect(text(await spool.peek(1))).toEqual(['first']);
  });
});

describe('memory spool options', () => {
  it('refuses a bound too small for any entry', () => {
    expect(() => createMemorySpool({ maxBytes: spoolFrameBytes })).toThrow(/maxBytes/);
  });
});
