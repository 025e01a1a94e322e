import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CeError, FakeClock, type LogBatch } from '@ce/core';
import { createPluginHarness } from '@ce/plugin-kit';
import { runLogSinkContract } from '@ce/plugin-kit/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeBatch, manyRecords, trickyRecords } from './__fixtures__/batches.js';
import { createFileSinkPlugin, resolveSinkDirectory } from './file-sink.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ce-file-sink-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function setup(config: Record<string, unknown> = {}) {
  const plugin = createFileSinkPlugin({ allowedDirectories: [join(root, 'allowed')] });
  const clock = new FakeClock();
  const harness = createPluginHarness(plugin, { clock, config: { directory: 'out', ...config } });
  const sink = plugin.cls?.sink;
  if (!sink) throw new Error('no sink');
  const session = await harness.run((ctx) => sink.open(ctx));
  const deliver = (batch: LogBatch) => session.deliver(batch, new AbortController().signal);
  const dir = join(root, 'allowed', (config.directory as string | undefined) ?? 'out');
  const files = async () => (await readdir(dir)).sort();
  const read = async (name: string) => readFile(join(dir, name), 'utf8');
  return { plugin, harness, session, deliver, clock, dir, files, read };
}

async function failure(promise: Promise<unknown>): Promise<CeError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!CeError.isInstance(error)) throw new Error(`expected a CeError, got ${String(error)}`);
  return error;
}

describe('file sink', () => {
  it('appends NDJSON lines to a timestamped file, records intact', async () => {
    const { deliver, files, read, session } = await setup();
    expect(await deliver(makeBatch('json'))).toEqual({ rejected: [] });
    await deliver(makeBatch('cef', trickyRecords.slice(0, 1), 'b2'));
    await session.close();
    const names = await files();
    expect(names).toEqual(['ce-logs-20260101T000000Z-0001.ndjson']);
    const lines = (await read(names[0] as string)).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.slice(0, 3).map((line) => JSON.parse(line))).toEqual(trickyRecords);
    expect(JSON.parse(lines[3] as string)).toBe(makeBatch('cef').items[0]?.payload);
  });

  it('writes raw lines and refuses a payload that would split into two lines', async () => {
    const { deliver, files, read } = await setup({ content: 'lines', fileName: 'cef' });
    const batch = makeBatch('cef');
    const items = [...batch.items, { ...batch.items[0]!, payload: 'CEF:0|a|b|1|x|y|1|msg=one\nforged' }];
    const result = await deliver({ ...batch, items });
    expect(result.rejected).toEqual([{ index: 3, reason: expect.stringContaining('line break') }]);
    const [name] = await files();
    expect(name).toMatch(/^cef-\d{8}T\d{6}Z-0001\.log$/);
    expect(await read(name as string)).toBe(`${batch.items.map((item) => item.payload).join('\n')}\n`);
  });

  it('rotates by size without splitting a batch, and keeps only the newest files', async () => {
    const { deliver, files, read, session } = await setup({ maxFileBytes: 1_024, keepFiles: 3 });
    for (let i = 0; i < 8; i++) await deliver(makeBatch('json', manyRecords(8, i * 8), `b${i}`));
    await session.close();
    const names = await files();
    expect(names).toEqual([
      'ce-logs-20260101T000000Z-0006.ndjson',
      'ce-logs-20260101T000000Z-0007.ndjson',
      'ce-logs-20260101T000000Z-0008.ndjson',
    ]);
    for (const name of names) {
      const lines = (await read(name)).split('\n');
      expect(lines.pop()).toBe('');
      // Whole batches only: each file holds a multiple of 8 records, in order.
      expect(lines.length % 8).toBe(0);
      const ids = lines.map((line) => (JSON.parse(line) as { _id: string })._id);
      expect(ids).toEqual([...ids].sort());
    }
  });

  it('rotates by age on the sink clock', async () => {
    const { deliver, files, clock } = await setup({ rotateEveryMs: 60_000 });
    await deliver(makeBatch('json'));
    await clock.advance(30_000);
    await deliver(makeBatch('json', trickyRecords, 'b2'));
    await clock.advance(30_000);
    await deliver(makeBatch('json', trickyRecords, 'b3'));
    expect(await files()).toEqual([
      'ce-logs-20260101T000000Z-0001.ndjson',
      'ce-logs-20260101T000100Z-0001.ndjson',
    ]);
  });

  it('cuts a partial batch left by a crash back to the last complete line when it opens', async () => {
    const dir = join(root, 'allowed', 'out');
    await mkdir(dir, { recursive: true });
    const name = 'ce-logs-20251231T230000Z-0001.ndjson';
    await writeFile(join(dir, name), '{"a":1}\n{"b":2}\n{"c":');
    const { files, read, harness } = await setup();
    expect(await read(name)).toBe('{"a":1}\n{"b":2}\n');
    expect(await files()).toEqual([name]);
    expect(harness.logs.some((log) => log.message.includes('incomplete batch'))).toBe(true);
  });

  it('refuses directories outside the allowed ones, by "..", absolute path or symbolic link', async () => {
    const allowed = [join(root, 'allowed')];
    await expect(resolveSinkDirectory('../escape', allowed)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    await expect(resolveSinkDirectory(join(root, 'elsewhere'), allowed)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    await mkdir(join(root, 'outside'), { recursive: true });
    await mkdir(join(root, 'allowed'), { recursive: true });
    await symlink(join(root, 'outside'), join(root, 'allowed', 'link'));
    await expect(resolveSinkDirectory('link/sub', allowed)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(await resolveSinkDirectory('ok/sub', allowed)).toBe(join(root, 'allowed', 'ok', 'sub'));
    const plugin = createFileSinkPlugin({ allowedDirectories: allowed });
    const harness = createPluginHarness(plugin, { config: { directory: '/etc' } });
    expect(await harness.check()).toMatchObject({ ok: false });
    await expect(harness.run((ctx) => plugin.cls!.sink!.open(ctx))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });

  it('refuses deliveries after close with a typed error', async () => {
    const { session, deliver } = await setup({ fsync: false });
    await session.close();
    await session.close();
    expect(await failure(deliver(makeBatch('json')))).toMatchObject({ code: 'ABORTED' });
  });
});

const contractRoot = join(tmpdir(), 'ce-file-sink-contract');
runLogSinkContract(createFileSinkPlugin({ allowedDirectories: [contractRoot] }), {
  format: 'cef',
  setup: async () => {
    await mkdir(contractRoot, { recursive: true });
    const directory = await mkdtemp(join(contractRoot, 'run-'));
    return {
      config: { directory },
      read: async () => {
        const names = (await readdir(directory)).sort();
        const texts = await Promise.all(names.map((name) => readFile(join(directory, name), 'utf8')));
        return texts
          .join('')
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as string);
      },
      teardown: () => rm(directory, { recursive: true, force: true }),
    };
  },
});
