import { stat } from 'node:fs/promises';
import {
  CeError,
  type HttpClientOptions,
  type IndicatorBatch,
  type IndicatorReportInput,
  type PluginContext,
  type SourceCheckpoint,
} from '@ce/core';
import { type DefinedPlugin, definePlugin } from '@ce/plugin-kit';
import { maybeGunzip } from './feed-body.js';
import { type FeedConfig, feedConfigSchema } from './feed-config.js';
import { createFeedParser } from './feed-parser.js';
import { FeedStats, notFormatError, readFeedIndicators } from './feed-reader.js';
import {
  checkFile,
  type FeedCheckpoint,
  type FeedFileAccess,
  openFeed,
  parseFeedCheckpoint,
  resolveLocation,
  toSourceCheckpoint,
} from './feed-source.js';

/** Options of {@link createFeedPlugin}: what the host lets the plugin do. */
export interface FeedPluginOptions extends FeedFileAccess {}

/** HTTP client settings of a feed configuration: headers, credentials, rate limit, time and size limits. */
export function feedHttpOptions(config: FeedConfig): Partial<HttpClientOptions> {
  const headers: Record<string, string> = { ...config.headers };
  const auth = config.auth;
  if (auth?.scheme === 'bearer') headers.authorization = `Bearer ${auth.token}`;
  if (auth?.scheme === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${auth.username ?? ''}:${auth.token}`).toString('base64')}`;
  }
  if (auth?.scheme === 'header' && auth.name) headers[auth.name.toLowerCase()] = auth.token;
  return {
    headers,
    timeoutMs: config.timeoutMs,
    maxResponseBytes: config.maxBytes,
    ...(config.requestsPerSecond
      ? {
          rateLimit: {
            requestsPerSecond: config.requestsPerSecond,
            burst: Math.max(1, Math.ceil(config.requestsPerSecond)),
          },
        }
      : {}),
  };
}

function aborted(signal: AbortSignal, cause?: unknown): CeError {
  return new CeError('ABORTED', 'feed pull aborted', { cause: cause ?? signal.reason });
}

/**
 * Pulls a feed as one full list: opens it (a conditional GET, or a local file), reads it in
 * batches of `batchSize`, and puts the new validators only in the checkpoint of the last batch, so
 * a pull that stops half way is repeated in full. A feed that has not changed yields no batches.
 */
export async function* pullFeed(
  context: PluginContext<FeedConfig>,
  checkpoint: SourceCheckpoint | undefined,
  access: FeedFileAccess = {},
): AsyncGenerator<IndicatorBatch> {
  const config = context.config;
  const parser = createFeedParser(config);
  const previous = parseFeedCheckpoint(checkpoint);
  const opened = await openFeed(context, previous, access);
  if (opened.notModified) {
    context.logger.info('feed not modified', { preset: config.preset, format: parser.format });
    return;
  }
  const stats = new FeedStats();
  let batch: IndicatorReportInput[] = [];
  const body = maybeGunzip(opened.chunks, config.compression, config.maxBytes);
  try {
    for await (const indicator of readFeedIndicators(body, parser, stats)) {
      if (batch.length >= config.batchSize) {
        if (context.signal.aborted) throw aborted(context.signal);
        yield { indicators: batch };
        batch = [];
      }
      batch.push(indicator);
    }
  } catch (error) {
    if (context.signal.aborted && !(CeError.isInstance(error) && error.code === 'ABORTED')) {
      throw aborted(context.signal, error);
    }
    throw error;
  }
  if (context.signal.aborted) throw aborted(context.signal);
  const skipped = stats.skippedTotal;
  const summary = {
    preset: config.preset,
    format: parser.format,
    records: stats.records,
    indicators: stats.indicators,
    ignored: stats.ignored,
    skipped,
  };
  if (stats.indicators === 0 && skipped > 0) {
    throw notFormatError(parser.format, `none of its ${stats.records} records could be read`, {
      skipped: stats.skipped,
      samples: stats.samples,
    });
  }
  if (stats.indicators === 0 && !config.allowEmpty) {
    throw new CeError(
      'VALIDATION_FAILED',
      'feed has no indicators; refusing to withdraw everything it reported before (set allowEmpty to accept an empty feed)',
      { kind: 'transient', retryable: true, details: { reason: 'empty-feed', ...summary } },
    );
  }
  if (skipped > 0) {
    context.logger.warn('feed records skipped', {
      ...summary,
      byKind: stats.skipped,
      samples: stats.samples,
    });
  }
  context.logger.info('feed pulled', summary);
  const next: FeedCheckpoint = {
    ...opened.version,
    pulledAt: context.clock.now(),
    indicators: stats.indicators,
    skipped,
  };
  yield { indicators: batch, checkpoint: toSourceCheckpoint(next) };
}

/** Checks a feed is reachable: a HEAD request, or that a local file exists and may be read. */
async function checkFeed(context: PluginContext<FeedConfig>, access: FeedFileAccess) {
  const location = resolveLocation(context.config);
  if (location.kind === 'file') {
    const path = await checkFile(location.path, access);
    const info = await stat(path);
    return { ok: true as const, message: `feed file readable (${info.size} bytes)` };
  }
  const auth = context.config.auth;
  const response = await context.http.request({
    method: 'HEAD',
    path: location.url,
    responseType: 'buffer',
    ...(auth?.scheme === 'query' && auth.name ? { query: { [auth.name]: auth.token } } : {}),
    // Some static hosts refuse HEAD; reaching them is still proof enough.
    expectStatus: [200, 203, 204, 304, 405, 501],
    signal: context.signal,
  });
  const type = response.headers['content-type'];
  const length = response.headers['content-length'];
  return {
    ok: true as const,
    message: `feed reachable (HTTP ${response.status}${type ? `, ${type}` : ''}${length ? `, ${length} bytes` : ''})`,
  };
}

/**
 * Creates the `feed` plugin: a threat-exchange source that reads a threat-intel feed (a plain
 * list, CSV, JSON or JSON Lines, over HTTP(S) or from a local file, gzip or not) as a full list,
 * either described field by field or through a preset for a well-known public feed. The options
 * are the host's: whether configurations may name local files, and which directories.
 *
 * @example
 * ```ts
 * const plugin = createFeedPlugin({ allowFileSources: true, fileRoots: ['/var/lib/feeds'] });
 * const exchange = await createCloudExchange({ storage, plugins: [plugin] });
 * await exchange.configurations.add({
 *   id: 'urlhaus',
 *   pluginId: 'feed',
 *   config: { preset: 'urlhaus', url: 'https://urlhaus.abuse.ch/downloads/csv_online/' },
 * });
 * ```
 */
export function createFeedPlugin(options: FeedPluginOptions = {}): DefinedPlugin<typeof feedConfigSchema> {
  const access: FeedFileAccess = { ...options };
  return definePlugin({
    id: 'feed',
    name: 'Threat intel feed',
    version: '0.1.0',
    description:
      'Reads a threat-intel feed (plain list, CSV, JSON, JSON Lines; HTTP(S) or a local file; gzip) as a full list, with presets for URLhaus, ThreatFox, MalwareBazaar, Feodo Tracker, OpenPhish and Spamhaus DROP.',
    modules: ['cte'],
    configSchema: feedConfigSchema,
    capabilities: { check: true, 'cte.pull': true },
    http: feedHttpOptions,
    check: (context) => checkFeed(context, access),
    cte: {
      source: {
        mode: 'full',
        pull: (context, checkpoint) => pullFeed(context, checkpoint, access),
      },
    },
  });
}

/** The `feed` plugin with file sources disabled: HTTP(S) feeds only. */
export const feedPlugin: DefinedPlugin<typeof feedConfigSchema> = createFeedPlugin();
