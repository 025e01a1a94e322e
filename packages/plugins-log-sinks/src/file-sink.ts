import { constants, type FileHandle, mkdir, open, readdir, realpath, stat, unlink } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import {
  CeError,
  type LogBatch,
  type LogDeliveryResult,
  type LogSinkCapability,
  type LogSinkSession,
  type PluginContext,
} from '@ce/core';
import { type DefinedPlugin, definePlugin } from '@ce/plugin-kit';
import { z } from 'zod';
import {
  encodeItems,
  isSingleLine,
  lineBreakReason,
  notJsonReason,
  payloadAsJson,
} from './batch-encoding.js';
import { sinkCapability } from './sink-http.js';

/** Settings of the file sink. */
export const fileSinkConfigSchema = z.object({
  /** Directory of the files: relative to the first allowed directory, or absolute inside an allowed one. */
  directory: z.string().min(1).max(4_096).default('.'),
  /** File name stem; files are `<stem>-<YYYYMMDDTHHMMSSZ>-<seq>.<ext>`. */
  fileName: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "_" and "-" only')
    .default('ce-logs'),
  /** `ndjson`: one JSON value per line (text payloads as JSON strings); `lines`: the payloads as text lines. */
  content: z.enum(['ndjson', 'lines']).default('ndjson'),
  /** Start a new file once the current one reaches this size, bytes. */
  maxFileBytes: z
    .number()
    .int()
    .min(1_024)
    .default(100 * 1024 * 1024),
  /** Start a new file once the current one is this old, ms; 0 rotates by size only. */
  rotateEveryMs: z.number().int().nonnegative().default(3_600_000),
  /** Files kept (the current one included); older ones are deleted at rotation. */
  keepFiles: z.number().int().min(1).max(100_000).default(24),
  /** Flush each batch to stable storage (`fsync`) before acknowledging it. */
  fsync: z.boolean().default(true),
  /** Most records per batch. */
  maxBatchItems: z.number().int().positive().max(1_000_000).default(10_000),
  /** Most payload bytes per batch. */
  maxBatchBytes: z
    .number()
    .int()
    .min(1_024)
    .max(256 * 1024 * 1024)
    .default(8 * 1024 * 1024),
});

/** The validated settings of the file sink. */
export type FileSinkConfig = z.output<typeof fileSinkConfigSchema>;

/** Options of {@link createFileSinkPlugin}. */
export interface FileSinkPluginOptions {
  /**
   * Directories the sink may write in (absolute). A configuration naming anything outside them,
   * by `..`, an absolute path or a symbolic link, is refused. The host sets this, not the
   * configuration: whoever edits a configuration must not be able to write anywhere.
   */
  allowedDirectories: ReadonlyArray<string>;
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

function stamp(time: number): string {
  const d = new Date(time);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(
    d.getUTCMinutes(),
  )}${pad(d.getUTCSeconds())}Z`;
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Resolves the configured directory against the allowed ones and proves it stays inside one,
 * following symbolic links (the nearest existing ancestor is resolved with `realpath`).
 */
export async function resolveSinkDirectory(
  directory: string,
  allowed: ReadonlyArray<string>,
): Promise<string> {
  const roots = allowed.map((root) => resolve(root));
  const first = roots[0];
  if (first === undefined)
    throw new CeError(
      'CONFIG_INVALID',
      'the file sink has no allowed directories; the host must configure some',
    );
  const wanted = isAbsolute(directory) ? resolve(directory) : resolve(first, directory);
  const root = roots.find((candidate) => inside(candidate, wanted));
  if (!root)
    throw new CeError(
      'CONFIG_INVALID',
      `directory "${directory}" is outside the directories the file sink may write in`,
      {
        details: { allowed: roots },
      },
    );
  await mkdir(root, { recursive: true, mode: 0o750 });
  const realRoot = await realpath(root);
  await mkdir(wanted, { recursive: true, mode: 0o750 });
  const real = await realpath(wanted);
  if (!inside(realRoot, real))
    throw new CeError(
      'CONFIG_INVALID',
      `directory "${directory}" leads outside the allowed directories through a link`,
    );
  return real;
}

interface CurrentFile {
  handle: FileHandle;
  path: string;
  size: number;
  openedAt: number;
}

async function openFileSession(
  context: PluginContext<FileSinkConfig>,
  allowed: ReadonlyArray<string>,
): Promise<LogSinkSession> {
  const config = context.config;
  const directory = await resolveSinkDirectory(config.directory, allowed);
  const extension = config.content === 'ndjson' ? 'ndjson' : 'log';
  const pattern = new RegExp(
    `^${config.fileName.replace(/[.]/g, '\\.')}-\\d{8}T\\d{6}Z-\\d{4}\\.${extension}$`,
  );
  let current: CurrentFile | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let lastSequence = { stamp: '', value: 0 };

  const ours = async (): Promise<string[]> =>
    (await readdir(directory)).filter((name) => pattern.test(name)).sort();

  // A crash during a write can leave the newest file ending in part of a batch that was never
  // acknowledged (the shipper will deliver it again): cut the file back to its last full line.
  const repairNewest = async (): Promise<void> => {
    const newest = (await ours()).pop();
    if (!newest) return;
    const handle = await open(join(directory, newest), constants.O_RDWR);
    try {
      const { size } = await handle.stat();
      if (size === 0) return;
      const window = Buffer.alloc(Math.min(size, 64 * 1024));
      let end = size;
      while (end > 0) {
        const start = Math.max(0, end - window.length);
        const { bytesRead } = await handle.read(window, 0, end - start, start);
        const at = window.subarray(0, bytesRead).lastIndexOf(0x0a);
        if (at >= 0) {
          end = start + at + 1;
          break;
        }
        end = start;
      }
      if (end !== size) {
        await handle.truncate(end);
        await handle.sync();
        context.logger.warn('file sink cut an incomplete batch from the end of a file', {
          file: newest,
          removedBytes: size - end,
        });
      }
    } finally {
      await handle.close();
    }
  };

  const prune = async (): Promise<void> => {
    const names = await ours();
    for (const name of names.slice(0, Math.max(0, names.length - config.keepFiles))) {
      await unlink(join(directory, name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
  };

  const startFile = async (): Promise<CurrentFile> => {
    const now = context.clock.now();
    const prefix = `${config.fileName}-${stamp(now)}-`;
    // Names sort in creation order: the sequence continues after every file of the same second,
    // including ones already pruned away in this session.
    let sequence = 1;
    for (const name of await ours()) {
      if (name.startsWith(prefix))
        sequence = Math.max(sequence, Number(name.slice(prefix.length, prefix.length + 4)) + 1);
    }
    sequence = Math.max(sequence, lastSequence.stamp === prefix ? lastSequence.value + 1 : 1);
    for (; sequence < 10_000; sequence++) {
      const path = join(directory, `${prefix}${pad(sequence, 4)}.${extension}`);
      try {
        // O_EXCL: never append to a file another session (or a restart in the same second) owns.
        const handle = await open(
          path,
          constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_APPEND,
          0o640,
        );
        const file = { handle, path, size: 0, openedAt: now };
        lastSequence = { stamp: prefix, value: sequence };
        await prune();
        return file;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    throw new CeError('STORAGE_FAILED', 'could not find a free file name for the file sink');
  };

  const rotateIfDue = async (incoming: number): Promise<CurrentFile> => {
    const now = context.clock.now();
    if (current) {
      const full = current.size > 0 && current.size + incoming > config.maxFileBytes;
      const old = config.rotateEveryMs > 0 && now - current.openedAt >= config.rotateEveryMs;
      if (!full && !old) return current;
      await current.handle.close();
      current = undefined;
    }
    current = await startFile();
    return current;
  };

  const write = async (batch: LogBatch): Promise<LogDeliveryResult> => {
    const encoded = encodeItems(batch.items, (item) => {
      if (config.content === 'lines')
        return isSingleLine(item.payload) ? item.payload : { reject: lineBreakReason };
      return payloadAsJson(item, batch.format) ?? { reject: notJsonReason };
    });
    if (encoded.parts.length === 0) return { rejected: encoded.rejected };
    const data = Buffer.from(`${encoded.parts.join('\n')}\n`, 'utf8');
    const file = await rotateIfDue(data.length);
    try {
      // One buffer per batch, appended with as few write calls as the kernel allows (one for
      // regular files); a failure part-way is cut back, so a file never keeps half a batch.
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await file.handle.write(data, written, data.length - written);
        written += bytesWritten;
      }
      if (config.fsync) await file.handle.sync();
    } catch (error) {
      await file.handle.truncate(file.size).catch(() => undefined);
      throw new CeError(
        'STORAGE_FAILED',
        `the file sink could not write ${file.path}: ${(error as Error).message}`,
        {
          cause: error,
          retryable: true,
        },
      );
    }
    file.size += data.length;
    return { rejected: encoded.rejected };
  };

  await repairNewest();
  return {
    deliver(batch) {
      const run = queue.then(() => write(batch));
      queue = run.catch(() => undefined);
      return run;
    },
    async close() {
      await queue;
      if (current) {
        const file = current;
        current = undefined;
        if (config.fsync) await file.handle.sync().catch(() => undefined);
        await file.handle.close();
      }
    },
  };
}

/**
 * Creates the file sink plugin for a host, with the directories it may write in. The sink
 * appends each batch as NDJSON (or raw text lines) to the current file of a directory, rotates
 * by size and by age, keeps the newest `keepFiles` files, and `fsync`s each batch before
 * acknowledging it. A batch is encoded into one buffer and appended in one go; if the process
 * dies in the middle, the next session cuts the newest file back to its last complete line (that
 * batch was never acknowledged, so the shipper sends it again), so a file never holds a partial
 * record.
 *
 * @example
 * ```ts
 * const fileSink = createFileSinkPlugin({ allowedDirectories: ['/var/log/cloud-exchange'] });
 * const config = { directory: 'netskope', fileName: 'events', maxFileBytes: 50_000_000, keepFiles: 48 };
 * ```
 */
export function createFileSinkPlugin(
  options: FileSinkPluginOptions,
): DefinedPlugin<typeof fileSinkConfigSchema> {
  const allowed = options.allowedDirectories.map((directory) => resolve(directory));
  // Files hold payloads only: the shipper need not spool the records.
  const sink: LogSinkCapability<FileSinkConfig> = sinkCapability(
    'file',
    (context) => openFileSession(context, allowed),
    { records: false },
  );
  return definePlugin({
    id: 'file-sink',
    name: 'Rotating local files',
    version: '0.1.0',
    description:
      'Appends log batches to rotating NDJSON or text files in a local directory, with fsync and retention.',
    modules: ['cls'],
    configSchema: fileSinkConfigSchema,
    capabilities: { check: true, 'cls.sink': true },
    async check(context) {
      try {
        const directory = await resolveSinkDirectory(context.config.directory, allowed);
        const info = await stat(directory);
        return {
          ok: true,
          message: `writing to ${directory}${info.isDirectory() ? '' : ' (not a directory!)'}`,
        };
      } catch (error) {
        return { ok: false, retryable: false, message: (error as Error).message };
      }
    },
    cls: { sink },
  });
}

/**
 * The file sink with the default allowed directory: `logs` under the process's working
 * directory. Hosts that write elsewhere create their own with {@link createFileSinkPlugin}.
 */
export const fileSinkPlugin = createFileSinkPlugin({ allowedDirectories: [resolve('logs')] });
