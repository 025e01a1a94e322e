import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { CeError } from '@ce/core';

/** @internal The name of the lock file inside a spool directory. */
export const lockFileName = 'spool.lock';

/** @internal What a lock file holds. */
export interface LockOwner {
  pid: number;
  /** The owner's start time in clock ticks since boot (Linux), to see through pid reuse. */
  start?: string;
  host?: string;
  token: string;
}

/** @internal A held lock. */
export interface SpoolLock {
  readonly path: string;
  release(): Promise<void>;
}

// Locks this process holds, so a second open of the same directory in the same process is refused
// (the pid in the file is ours then, which would otherwise look like a lock left by a crash of a
// previous process that happened to have our pid).
const heldHere = new Set<string>();

/** @internal Start time of a process from /proc (Linux only; undefined elsewhere or if gone). */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may itself hold spaces and parentheses):
    // state is field 3, starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid !== 'number' || !Number.isSafeInteger(value.pid) || value.pid <= 0) return undefined;
    if (typeof value.token !== 'string') return undefined;
    return {
      pid: value.pid,
      token: value.token,
      ...(typeof value.start === 'string' ? { start: value.start } : {}),
      ...(typeof value.host === 'string' ? { host: value.host } : {}),
    };
  } catch {
    return undefined;
  }
}

function isAlive(owner: LockOwner, path: string): boolean {
  if (owner.pid === process.pid) return heldHere.has(path);
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (owner.start !== undefined) {
    const start = processStartTicks(owner.pid);
    // The pid exists but was started at another time: it was reused by an unrelated process.
    if (start !== undefined && start !== owner.start) return false;
  }
  return true;
}

async function readOwner(path: string): Promise<{ text: string; owner: LockOwner | undefined } | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    return { text, owner: parseOwner(text) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function lockError(message: string, cause: unknown, details: Record<string, unknown>): CeError {
  return new CeError('STORAGE_FAILED', message, { cause, details });
}

/**
 * @internal Takes the exclusive lock of a spool directory: a `spool.lock` file holding the owner's
 * pid. The file appears atomically with its content (written aside, then hard-linked into place,
 * which fails if it exists), so a reader never sees a half-written lock. A lock whose process is
 * gone (or whose pid now names a process started at another time) is stale and taken over; a live
 * one is a `CONFLICT`.
 */
export async function acquireSpoolLock(directory: string): Promise<SpoolLock> {
  const path = resolve(join(directory, lockFileName));
  const start = processStartTicks(process.pid);
  const mine: LockOwner = {
    pid: process.pid,
    ...(start !== undefined ? { start } : {}),
    host: hostname(),
    token: randomUUID(),
  };
  const aside = `${path}.${process.pid}.${mine.token}.tmp`;
  try {
    await writeFile(aside, `${JSON.stringify(mine)}\n`, { flag: 'wx' });
  } catch (error) {
    throw lockError(`cannot write the spool lock in ${directory}`, error, { directory });
  }
  try {
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        await link(aside, path);
        heldHere.add(path);
        return { path, release: () => releaseLock(path, mine.token) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw lockError(`cannot take the spool lock in ${directory}`, error, { directory });
        }
      }
      const found = await readOwner(path);
      if (found === undefined) continue; // Released meanwhile: try again.
      if (found.owner !== undefined && isAlive(found.owner, path)) {
        throw new CeError(
          'CONFLICT',
          `the spool in ${directory} is in use by process ${found.owner.pid}${found.owner.host ? ` on ${found.owner.host}` : ''}`,
          { details: { directory, pid: found.owner.pid } },
        );
      }
      // Stale (or unreadable). Move it aside rather than unlink it, and check that what moved is
      // what was judged stale: another process may have replaced it in between.
      const moved = `${path}.${process.pid}.${randomUUID()}.stale`;
      try {
        await rename(path, moved);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw lockError(`cannot take over the stale spool lock in ${directory}`, error, { directory });
      }
      const movedOwner = await readOwner(moved);
      if (movedOwner !== undefined && movedOwner.text !== found.text) {
        // A fresh lock of another process: put it back (link fails if yet another one took its
        // place, which is then the owner) and let the next round report the conflict.
        await link(moved, path).catch(() => undefined);
      }
      await unlink(moved).catch(() => undefined);
    }
    throw new CeError('CONFLICT', `the spool lock in ${directory} keeps changing hands`, {
      details: { directory },
    });
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

async function releaseLock(path: string, token: string): Promise<void> {
  heldHere.delete(path);
  const found = await readOwner(path).catch(() => undefined);
  // Only remove our own lock: after a takeover by mistake the file may belong to someone else.
  if (found?.owner?.token === token) await unlink(path).catch(() => undefined);
}
