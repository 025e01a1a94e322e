import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { crashScenario } from './__fixtures__/crash-scenario.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const script = fileURLToPath(new URL('./__fixtures__/crash-child.ts', import.meta.url));
const crashes = 5;

/** mulberry32, so the kill moments vary but a failing run can be told apart by its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function run(
  directory: string,
  mode: 'crash' | 'finish',
): { child: ChildProcess; ready: Promise<void>; exit: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@ce/source', script, directory, mode],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready\n')) resolve();
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`child exited (${code ?? signal}) before it was ready: ${errors}`)),
    );
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  ready.catch(() => undefined);
  return { child, ready, exit };
}

describe('LogShipper crash safety (a real process, killed with SIGKILL)', () => {
  const directories: string[] = [];
  afterAll(async () => {
    for (const directory of directories) await rm(directory, { recursive: true, force: true });
  });

  it('loses no record and duplicates at most one page per stream and crash, in order per stream', {
    timeout: 120_000,
  }, async () => {
    const directory = await mkdtemp(join(tmpdir(), 'cls-crash-'));
    directories.push(directory);
    const seed = Date.now() % 1_000_000;
    const next = random(seed);
    const progress: number[] = [];
    for (let crash = 0; crash < crashes; crash++) {
      const { child, ready, exit } = run(directory, 'crash');
      await ready;
      // Random moments: fetches take 20 ms and deliveries 3 ms, so kills land mid-page, mid-delivery
      // and between the spool append and the checkpoint.
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.floor(next() * 300)));
      child.kill('SIGKILL');
      await exit;
      const received = await readFile(join(directory, 'received.log'), 'utf8').catch(() => '');
      progress.push(received.split('\n').filter(Boolean).length);
    }
    // Every kill came before the end, so each restart had work left.
    expect(progress.at(-1)).toBeLessThan(crashScenario.streams.length * crashScenario.total);
    const last = run(directory, 'finish');
    await last.ready;
    expect(await last.exit).toBe(0);

    const lines = (await readFile(join(directory, 'received.log'), 'utf8')).split('\n').filter(Boolean);
    const requests = (await readFile(join(directory, 'requests.log'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { redeliver: boolean });
    const counts = new Map<string, number>();
    for (const id of lines) counts.set(id, (counts.get(id) ?? 0) + 1);
    const missing: string[] = [];
    for (const stream of crashScenario.streams)
      for (let index = 0; index < crashScenario.total; index++)
        if (!counts.has(`${stream}#${index}`)) missing.push(`${stream}#${index}`);
    const duplicates = lines.length - counts.size;
    const context = `seed ${seed}, lines after each kill ${progress.join(' ')}, ${lines.length} lines in the end, ${duplicates} duplicates, ${requests.filter((request) => request.redeliver).length} redelivered fetches`;
    expect(missing, context).toEqual([]);
    expect(counts.size, context).toBe(crashScenario.streams.length * crashScenario.total);
    // Per stream and crash: at most the page in flight (a fetch that never reached the server is
    // answered by a resend of the page before, as Netskope does) and the one batch being delivered.
    for (const stream of crashScenario.streams) {
      let extra = 0;
      for (const [id, count] of counts) if (id.startsWith(`${stream}#`)) extra += count - 1;
      expect(extra, `${stream}: ${context}`).toBeLessThanOrEqual(
        crashes * (crashScenario.pageSize + crashScenario.maxBatchItems),
      );
    }
    // In order per stream: first arrivals only move forward.
    for (const stream of crashScenario.streams) {
      const seen = new Set<string>();
      const firsts: number[] = [];
      for (const id of lines) {
        if (!id.startsWith(`${stream}#`) || seen.has(id)) continue;
        seen.add(id);
        firsts.push(Number(id.slice(stream.length + 1)));
      }
      expect(
        firsts.every((value, index) => index === 0 || value > (firsts[index - 1] as number)),
        context,
      ).toBe(true);
    }
    console.info(`crash test: ${context}`);
  });
});
