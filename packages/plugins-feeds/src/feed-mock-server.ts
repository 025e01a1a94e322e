import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createMockServer, type MockResponse, type MockServer } from '@ce/plugin-kit';
import type { FeedPresetId } from './feed-config.js';

/** One document the feed server serves. */
export interface FeedDocument {
  /** The body as stored (already gzipped for a `.gz` file). */
  body: string | Buffer;
  /**
   * Content type.
   * @default 'text/plain; charset=utf-8'
   */
  contentType?: string;
  /**
   * `Last-Modified` of the document; `false` sends none.
   * @default the time it was set
   */
  lastModified?: Date | false;
  /**
   * Send an `ETag` (a hash of the body).
   * @default true
   */
  etag?: boolean;
  /** Compress the response with `Content-Encoding: gzip` when the client accepts it. */
  contentEncoding?: 'gzip';
}

/** The feed server: a mock server that serves documents with validators and conditional GETs. */
export interface FeedServer extends MockServer {
  /** Serves (or replaces) the document at `path`. */
  setFeed(path: string, document: FeedDocument | string | Buffer): void;
  /** The full URL of a path. */
  feedUrl(path: string): string;
}

/**
 * Where each preset's fixture is served, mirroring the public URL under its host name, e.g.
 * `/urlhaus.abuse.ch/downloads/csv_recent/` for `https://urlhaus.abuse.ch/downloads/csv_recent/`.
 */
export const feedFixturePaths: Readonly<
  Record<FeedPresetId, { path: string; fixture: string; contentType: string }>
> = {
  urlhaus: {
    path: '/urlhaus.abuse.ch/downloads/csv_recent/',
    fixture: 'urlhaus-csv-recent.csv',
    contentType: 'text/csv',
  },
  'threatfox-csv': {
    path: '/threatfox.abuse.ch/export/csv/recent/',
    fixture: 'threatfox-csv-recent.csv',
    contentType: 'text/csv',
  },
  'threatfox-json': {
    path: '/threatfox.abuse.ch/export/json/recent/',
    fixture: 'threatfox-json-recent.json',
    contentType: 'application/json',
  },
  malwarebazaar: {
    path: '/bazaar.abuse.ch/export/csv/recent/',
    fixture: 'malwarebazaar-csv-recent.csv',
    contentType: 'text/csv',
  },
  'feodo-csv': {
    path: '/feodotracker.abuse.ch/downloads/ipblocklist.csv',
    fixture: 'feodo-ipblocklist.csv',
    contentType: 'text/csv',
  },
  'feodo-text': {
    path: '/feodotracker.abuse.ch/downloads/ipblocklist_recommended.txt',
    fixture: 'feodo-ipblocklist.txt',
    contentType: 'text/plain',
  },
  openphish: { path: '/openphish.com/feed.txt', fixture: 'openphish-feed.txt', contentType: 'text/plain' },
  'spamhaus-drop-json': {
    path: '/www.spamhaus.org/drop/drop_v4.json',
    fixture: 'spamhaus-drop-v4.json',
    contentType: 'application/json',
  },
  'spamhaus-drop-text': {
    path: '/www.spamhaus.org/drop/drop.txt',
    fixture: 'spamhaus-drop.txt',
    contentType: 'text/plain',
  },
};

/**
 * The directory of the bundled fixtures: `src/__fixtures__` next to this module when run from
 * source, or from the package root when run from `dist`.
 */
export function feedFixturesDirectory(): string {
  const candidates = [
    new URL('./__fixtures__/', import.meta.url),
    new URL('../src/__fixtures__/', import.meta.url),
  ];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error('the feed fixtures are not installed next to @ce/plugins-feeds');
  return fileURLToPath(found);
}

/** Reads one bundled fixture by file name (`urlhaus-csv-recent.csv`). */
export function readFeedFixture(name: string): Buffer {
  return readFileSync(`${feedFixturesDirectory()}${name}`);
}

/** Options of {@link startFeedServer}. */
export interface FeedServerOptions {
  /**
   * Serve every preset's fixture at its path in {@link feedFixturePaths}, plus a gzipped copy at
   * the same path with `.gz` appended.
   * @default true
   */
  presets?: boolean;
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

/**
 * Starts an in-process feed server on 127.0.0.1 that serves static feed documents the way the
 * public feed hosts do: `ETag` and `Last-Modified` on each document, `304 Not Modified` for a
 * matching `If-None-Match` (or, without one, an `If-Modified-Since` not older than the document),
 * `Content-Encoding: gzip` on request, `.gz` files as `application/gzip`, and `HEAD`. Faults
 * (429 with `Retry-After`, 500) come from the mock server's `failNext`.
 *
 * @example
 * ```ts
 * const server = await startFeedServer();
 * // configure the feed plugin with { preset: 'urlhaus', url: server.feedUrl(feedFixturePaths.urlhaus.path) }
 * await server.close();
 * ```
 */
export async function startFeedServer(options: FeedServerOptions = {}): Promise<FeedServer> {
  const server = await createMockServer();
  const documents = new Map<string, FeedDocument & { body: Buffer; setAt: Date }>();
  const serve = (path: string, method: string, headers: Record<string, string>): MockResponse => {
    const document = documents.get(path);
    if (!document)
      return {
        status: 404,
        headers: { 'content-type': 'text/html' },
        body: '<html><body>404 Not Found</body></html>',
      };
    const etag = `"${createHash('sha1').update(document.body).digest('hex').slice(0, 20)}"`;
    const modified = document.lastModified === false ? undefined : (document.lastModified ?? document.setAt);
    const responseHeaders: Record<string, string> = {
      'content-type': document.contentType ?? 'text/plain; charset=utf-8',
      ...(document.etag === false ? {} : { etag }),
      ...(modified ? { 'last-modified': modified.toUTCString() } : {}),
    };
    const ifNoneMatch = headers['if-none-match'];
    const ifModifiedSince = headers['if-modified-since'];
    const notModified =
      document.etag !== false && ifNoneMatch !== undefined
        ? matchesEtag(ifNoneMatch, etag)
        : modified !== undefined &&
          ifModifiedSince !== undefined &&
          Math.floor(modified.getTime() / 1_000) <= Math.floor(Date.parse(ifModifiedSince) / 1_000);
    if (notModified) return { status: 304, headers: responseHeaders };
    const gzip = document.contentEncoding === 'gzip' && /\bgzip\b/.test(headers['accept-encoding'] ?? '');
    return {
      status: 200,
      headers: responseHeaders,
      body: method === 'HEAD' ? '' : document.body,
      ...(gzip ? { compress: 'gzip' as const } : {}),
    };
  };
  server.route('GET', /^\/.+/, (request) => serve(request.path, 'GET', request.headers));
  server.route('HEAD', /^\/.+/, (request) => serve(request.path, 'HEAD', request.headers));
  const feedServer = server as FeedServer;
  feedServer.setFeed = (path, document) => {
    const value: FeedDocument =
      typeof document === 'string' || Buffer.isBuffer(document) ? { body: document } : document;
    documents.set(path, {
      ...value,
      body: Buffer.from(value.body),
      setAt: new Date(Math.floor(Date.now() / 1_000) * 1_000),
    });
  };
  feedServer.feedUrl = (path) => `${server.url}${path}`;
  if (options.presets ?? true) {
    for (const { path, fixture, contentType } of Object.values(feedFixturePaths)) {
      const body = readFeedFixture(fixture);
      feedServer.setFeed(path, { body, contentType });
      feedServer.setFeed(`${path.replace(/\/$/, '')}.gz`, {
        body: gzipSync(body),
        contentType: 'application/gzip',
      });
    }
  }
  return feedServer;
}
