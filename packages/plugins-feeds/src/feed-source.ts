import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CeError, type PluginContext, type SourceCheckpoint } from '@ce/core';
import { z } from 'zod';
import { limitBytes, tooLargeError } from './feed-body.js';
import type { FeedConfig } from './feed-config.js';
import { feedLocation } from './feed-parser.js';

/**
 * What the `feed` plugin stores as its checkpoint. `source` is a hash of the feed's location, so
 * a changed URL never sends the old validators; `etag` and `lastModified` are the server's
 * validators for the conditional GET; `fileVersion` is a local file's modification time and size.
 */
export type FeedCheckpoint = {
  source: string;
  etag?: string;
  lastModified?: string;
  fileVersion?: string;
  /** When the pull that stored it finished (the plugin's clock). */
  pulledAt: number;
  /** Indicators that pull produced. */
  indicators: number;
  /** Records that pull skipped as bad. */
  skipped: number;
};

const checkpointSchema = z.object({
  source: z.string(),
  etag: z.string().optional(),
  lastModified: z.string().optional(),
  fileVersion: z.string().optional(),
  pulledAt: z.number(),
  indicators: z.number(),
  skipped: z.number(),
});

/** Reads a stored checkpoint; anything that is not one (an older shape, garbage) reads as none. */
export function parseFeedCheckpoint(checkpoint: SourceCheckpoint | undefined): FeedCheckpoint | undefined {
  const parsed = checkpointSchema.safeParse(checkpoint);
  return parsed.success ? (stripUndefined(parsed.data) as FeedCheckpoint) : undefined;
}

/** A checkpoint as JSON, without absent members. */
export function toSourceCheckpoint(checkpoint: FeedCheckpoint): SourceCheckpoint {
  return stripUndefined(checkpoint) as SourceCheckpoint;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

/**
 * How a host lets the plugin read local files. File access is the host's decision, not the
 * configuration's: a configuration comes from users, and a path can name any file the process can
 * read.
 */
export interface FeedFileAccess {
  /**
   * Allow `file://` URLs and absolute paths.
   * @default false
   */
  allowFileSources?: boolean;
  /** When set, only files inside these directories (after resolving symbolic links) may be read. */
  fileRoots?: ReadonlyArray<string>;
}

/** The feed's version markers, as known after opening it. */
export interface FeedVersion {
  source: string;
  etag?: string;
  lastModified?: string;
  fileVersion?: string;
}

/** An opened feed: unchanged since the checkpoint, or a body to read. */
export type OpenedFeed =
  | { notModified: true; version: FeedVersion }
  | { notModified: false; version: FeedVersion; chunks: AsyncIterable<Buffer>; bytes?: number };

/** A feed location: an HTTP(S) URL or a local path. */
export type FeedLocation = { kind: 'http'; url: string } | { kind: 'file'; path: string };

/** Reads the configured location. */
export function resolveLocation(config: FeedConfig): FeedLocation {
  const location = feedLocation(config);
  if (/^https?:\/\//i.test(location)) return { kind: 'http', url: location };
  return { kind: 'file', path: /^file:/i.test(location) ? fileURLToPath(location) : location };
}

/** A short, stable id of a location; a location may carry credentials, so it is hashed, never stored. */
export function sourceId(location: FeedLocation): string {
  const text = location.kind === 'http' ? location.url : `file:${location.path}`;
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * Opens the feed: a conditional GET (If-None-Match, If-Modified-Since from the checkpoint) over
 * `context.http`, or a stream of a local file, unchanged when its modification time and size are.
 */
export async function openFeed(
  context: PluginContext<FeedConfig>,
  previous: FeedCheckpoint | undefined,
  access: FeedFileAccess,
): Promise<OpenedFeed> {
  const config = context.config;
  const location = resolveLocation(config);
  const source = sourceId(location);
  const same = previous?.source === source ? previous : undefined;
  if (location.kind === 'file') {
    const path = await checkFile(location.path, access);
    const info = await stat(path);
    if (info.size > config.maxBytes) throw tooLargeError(config.maxBytes, 'size-limit');
    const fileVersion = `${Math.trunc(info.mtimeMs)}:${info.size}`;
    const version = { source, fileVersion };
    if (same?.fileVersion === fileVersion) return { notModified: true, version };
    const stream = createReadStream(path, { signal: context.signal, highWaterMark: 64 * 1024 });
    return {
      notModified: false,
      version,
      bytes: info.size,
      chunks: limitBytes(stream as AsyncIterable<Buffer>, config.maxBytes, 'size-limit'),
    };
  }
  const headers: Record<string, string> = {};
  if (same?.etag) headers['if-none-match'] = same.etag;
  if (same?.lastModified) headers['if-modified-since'] = same.lastModified;
  const auth = config.auth;
  // Streamed: a feed of hundreds of megabytes is parsed as it arrives, never held whole.
  const response = await context.http.get(location.url, {
    responseType: 'stream',
    headers,
    ...(auth?.scheme === 'query' && auth.name ? { query: { [auth.name]: auth.token } } : {}),
    expectStatus: [200, 203, 204, 304],
    maxResponseBytes: config.maxBytes,
    signal: context.signal,
  });
  const version: FeedVersion = { source };
  const etag = response.headers.etag;
  const lastModified = response.headers['last-modified'];
  if (response.status === 304) {
    // Ends the (empty) body so the connection is released.
    await response.body[Symbol.asyncIterator]().return?.();
    // A 304 may omit the validators; the ones we sent are still the current ones.
    return {
      notModified: true,
      version: { ...version, ...pick(etag ?? same?.etag, lastModified ?? same?.lastModified) },
    };
  }
  return {
    notModified: false,
    version: { ...version, ...pick(etag, lastModified) },
    ...(response.headers['content-length'] && response.headers['content-encoding'] === undefined
      ? { bytes: Number(response.headers['content-length']) }
      : {}),
    chunks: response.body,
  };
}

function pick(etag: string | undefined, lastModified: string | undefined): Partial<FeedVersion> {
  return {
    ...(etag ? { etag: etag.slice(0, 512) } : {}),
    ...(lastModified ? { lastModified: lastModified.slice(0, 128) } : {}),
  };
}

/** Resolves a local path and checks the host allows it; returns the real path. */
export async function checkFile(path: string, access: FeedFileAccess): Promise<string> {
  if (!access.allowFileSources) {
    throw new CeError(
      'CONFIG_INVALID',
      'file sources are disabled in this host; it must create the plugin with createFeedPlugin({ allowFileSources: true })',
      { details: { reason: 'file-sources-disabled' } },
    );
  }
  if (!isAbsolute(path)) {
    throw new CeError('CONFIG_INVALID', 'a feed file must be given by an absolute path or a file:// URL');
  }
  let real: string;
  try {
    real = await realpath(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new CeError(
      code === 'ENOENT' ? 'NOT_FOUND' : 'CONFIG_INVALID',
      `feed file ${path} cannot be read (${code})`,
      {
        cause: error,
        kind: code === 'ENOENT' ? 'transient' : 'config',
        retryable: code === 'ENOENT',
      },
    );
  }
  if (access.fileRoots && access.fileRoots.length > 0) {
    const roots = await Promise.all(access.fileRoots.map((root) => realpath(root).catch(() => root)));
    const inside = roots.some((root) => {
      const rest = relative(root, real);
      return rest !== '' && !rest.startsWith('..') && !isAbsolute(rest);
    });
    if (!inside) {
      throw new CeError('CONFIG_INVALID', `feed file ${path} is outside the directories this host allows`, {
        details: { reason: 'outside-file-roots' },
      });
    }
  }
  const info = await stat(real);
  if (!info.isFile()) throw new CeError('CONFIG_INVALID', `feed path ${path} is not a regular file`);
  return real;
}
