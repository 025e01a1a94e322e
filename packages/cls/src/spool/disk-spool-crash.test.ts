import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crashPayload, crashPayloadNumber } from './__fixtures__/crash-payload.js';
import { openDiskSpool } from './disk-spool.js';

const childScript = fileURLToPath(new URL('./__fixtures__/spool-crash-child.ts', import.meta.url));
const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'ce-spool-crash-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

interface ChildRun {
  appended: Array<[sequence: number, n: number]>;
  acknowledged: number[];
  ready: { nextSequence: number; count: number };
  lastN: number;
}

/** Runs the child until it reported `killAfter` appends, then kills it with SIGKILL. */
function runChild(fsync: 'always' | 'never', first: number, killAfter: number): Promise<ChildRun> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@ce/source', childScript, directory, fsync, String(first)],
    { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const run: ChildRun = {
    appended: [],
    acknowledged: [],
    ready: { nextSequence: 0, count: 0 },
    lastN: first,
  };
  let buffered = '';
  let stderr = '';
  let killed = false;
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const [kind, a, b] = line.split(' ');
      if (kind === 'ready') run.ready = { nextSequence: Number(a), count: Number(b) };
      else if (kind === 'a') {
        run.appended.push([Number(a), Number(b)]);
        run.lastN = Math.max(run.lastN, Number(b));
      } else if (kind === 'k') run.acknowledged.push(Number(a));
    }
    if (!killed && run.appended.length >= killAfter) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  return new Promise((resolve, reject) => {
    // Waiting for the exit also reaps the child, so its pid is really gone when the lock is checked.
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' && killed) resolve(run);
      else reject(new Error(`crash child ended by itself (code ${code}, signal ${signal}): ${stderr}`));
    });
  });
}

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describe('disk spool under SIGKILL', () => {
  it('keeps every entry whose append resolved, intact, across kills at random moments', async () => {
    const random = seeded(20260105);
    const appended = new Map<number, number>();
    let printedAck = 0;
    let possibleAck = 0;
    let first = 0;
    const rounds: Array<'always' | 'never'> = ['always', 'never', 'always'];
    for (const [round, fsync] of rounds.entries()) {
      const run = await runChild(fsync, first, 40 + Math.floor(random() * 300));
      first = run.lastN + 1000;
      for (const [sequence, n] of run.appended) {
        expect(appended.has(sequence), `sequence ${sequence} given twice`).toBe(false);
        appended.set(sequence, n);
        // The child acknowledges sequence - 100 right after printing such a sequence, so an
        // acknowledgement may have reached the disk without being reported.
        if (sequence % 40 === 0 && sequence > 100) possibleAck = Math.max(possibleAck, sequence - 100);
      }
      for (const sequence of run.acknowledged) printedAck = Math.max(printedAck, sequence);

      const spool = await openDiskSpool({ directory, maxBytes: 1024 * 1024 * 1024, segmentBytes: 64 * 1024 });
      try {
        for (const cut of spool.recovery.truncated) expect(cut.validFramesAfter).toBe(0);
        const entries = await spool.peek(1_000_000);
        expect(entries.length).toBe(spool.count);
        let previous = 0;
        const present = new Set<number>();
        for (const entry of entries) {
          expect(entry.sequence).toBeGreaterThan(previous);
          previous = entry.sequence;
          present.add(entry.sequence);
          // Durably acknowledged entries never come back.
          expect(entry.sequence).toBeGreaterThan(printedAck);
          const n = crashPayloadNumber(entry.payload);
          expect(entry.payload.equals(crashPayload(n)), `entry ${entry.sequence} is intact`).toBe(true);
          const reported = appended.get(entry.sequence);
          if (reported !== undefined) expect(n).toBe(reported);
        }
        const missing = [...appended.keys()].filter(
          (sequence) => sequence > possibleAck && !present.has(sequence),
        );
        expect(missing, `round ${round}: appends reported durable but missing`).toEqual([]);
        // Sequences continue after everything ever given out.
        expect(spool.nextSequence).toBeGreaterThan(Math.max(0, ...appended.keys()));
      } finally {
        await spool.close();
      }
    }
    expect(appended.size).toBeGreaterThan(100);
  }, 60_000);
});
