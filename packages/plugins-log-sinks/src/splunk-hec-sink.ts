import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  CeError,
  type LogBatch,
  type LogDelivery,
  type LogDeliveryResult,
  type LogRejection,
  type LogSinkCapability,
  type LogSinkSession,
  type PluginContext,
  secretString,
} from '@ce/core';
import { definePlugin } from '@ce/plugin-kit';
import { z } from 'zod';
import { notJsonReason, payloadAsJson } from './batch-encoding.js';
import { BatchProgress } from './batch-progress.js';
import {
  excerpt,
  httpTransportSchema,
  type SinkResponse,
  sendOnce,
  sinkCapability,
  statusError,
  transportOptions,
} from './sink-http.js';

/** Paths of the HEC REST endpoints the sink uses. */
export const splunkHecPaths = {
  /** Events in the JSON event protocol, several per request. */
  event: '/services/collector/event',
  /** Indexer acknowledgement status of a channel's ack ids. */
  ack: '/services/collector/ack',
  /** Health of the collector (code 17 when healthy). */
  health: '/services/collector/health',
} as const;

/**
 * The HEC status codes (the `code` of every response body) and what the sink makes of them:
 * `ok`, `auth` (stop, a credential must change), `retry` (the shipper retries the batch),
 * `event` (one event is refused: `invalid-event-number` names it), `config` (stop: the token,
 * index or channel settings are wrong).
 */
export const splunkHecCodes: Readonly<Record<number, { text: string; status: number; action: string }>> = {
  0: { text: 'Success', status: 200, action: 'ok' },
  1: { text: 'Token disabled', status: 403, action: 'auth' },
  2: { text: 'Token is required', status: 401, action: 'auth' },
  3: { text: 'Invalid authorization', status: 401, action: 'auth' },
  4: { text: 'Invalid token', status: 403, action: 'auth' },
  5: { text: 'No data', status: 400, action: 'config' },
  6: { text: 'Invalid data format', status: 400, action: 'event' },
  7: { text: 'Incorrect index', status: 400, action: 'config' },
  8: { text: 'Internal server error', status: 500, action: 'retry' },
  9: { text: 'Server is busy', status: 503, action: 'retry' },
  10: { text: 'Data channel is missing', status: 400, action: 'config' },
  11: { text: 'Invalid data channel', status: 400, action: 'config' },
  12: { text: 'Event field is required', status: 400, action: 'event' },
  13: { text: 'Event field cannot be blank', status: 400, action: 'event' },
  14: { text: 'ACK is disabled', status: 400, action: 'config' },
  15: { text: 'Error in handling indexed fields', status: 400, action: 'event' },
  16: { text: 'Query string authorization is not enabled', status: 400, action: 'config' },
  17: { text: 'HEC is healthy', status: 200, action: 'ok' },
  18: { text: 'HEC is unhealthy, queues are full', status: 503, action: 'retry' },
  19: { text: 'HEC is unhealthy, ack service unavailable', status: 503, action: 'retry' },
  20: { text: 'HEC is unhealthy, queues are full, ack service unavailable', status: 503, action: 'retry' },
};

/** Settings of {@link splunkHecSinkPlugin}. */
export const splunkHecConfigSchema = httpTransportSchema.extend({
  /** Base URL of the collector, e.g. `https://splunk.example.com:8088` (no path). */
  url: z.url({ protocol: /^https?$/ }),
  /** The HEC token. */
  token: secretString('HEC token (a GUID)'),
  /**
   * Channel identifier (a GUID) sent as `X-Splunk-Request-Channel`. Required by Splunk when the
   * token has indexer acknowledgement on; by default one is made per configuration and kept in
   * the plugin state.
   */
  channel: z.uuid().optional(),
  /** Target index; the token's default index when absent. */
  index: z.string().min(1).max(1_024).optional(),
  /** `source` of the events. */
  source: z.string().min(1).max(1_024).optional(),
  /** `sourcetype`; by default `_json` for JSON records and the token's default otherwise. */
  sourcetype: z.string().min(1).max(1_024).optional(),
  /** `host` of the events. */
  host: z.string().min(1).max(1_024).optional(),
  /**
   * What goes in `event`: `payload` (a JSON payload as an object, any other as a string) or
   * `record` (the source record as an object, whatever the route's format).
   */
  event: z.enum(['payload', 'record']).default('payload'),
  /** Add indexed `fields` `ce_id` and `ce_stream` (the record id and stream) to each event. */
  indexedFields: z.boolean().default(false),
  /** Compress request bodies (`Content-Encoding: gzip`). */
  gzip: z.boolean().default(false),
  /** Wait for indexer acknowledgement (`/services/collector/ack`) before a batch counts as delivered. */
  useAck: z.boolean().default(false),
  /** How long to wait for an acknowledgement before the batch is retried, ms. */
  ackTimeoutMs: z.number().int().positive().default(120_000),
  /** Pause between acknowledgement polls, ms. */
  ackPollIntervalMs: z.number().int().positive().default(1_000),
  /**
   * When HEC refuses one event of a request, it has already taken the events before it; set this
   * to send those again too (duplicates in Splunk instead of trusting that behaviour).
   */
  resendPrecedingOnInvalid: z.boolean().default(false),
  /** Most events per request. */
  maxBatchItems: z.number().int().positive().max(100_000).default(1_000),
  /** Most payload bytes per request; keep under the collector's `max_content_length`. */
  maxBatchBytes: z
    .number()
    .int()
    .positive()
    .max(512 * 1024 * 1024)
    .default(1024 * 1024),
});

/** The validated settings of the Splunk HEC sink. */
export type SplunkHecConfig = z.output<typeof splunkHecConfigSchema>;

/** A HEC response body. */
interface HecReply {
  text?: string;
  code?: number;
  'invalid-event-number'?: number;
  ackId?: number;
}

function parseReply(response: SinkResponse): HecReply | undefined {
  try {
    const value = JSON.parse(response.body.toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null ? (value as HecReply) : undefined;
  } catch {
    return undefined;
  }
}

/** The metadata part of every event, serialised once per session. */
function metadataJson(config: SplunkHecConfig, format: LogBatch['format']): string {
  const sourcetype =
    config.sourcetype ?? (format === 'json' || config.event === 'record' ? '_json' : undefined);
  let out = '';
  if (config.host) out += `,"host":${JSON.stringify(config.host)}`;
  if (config.source) out += `,"source":${JSON.stringify(config.source)}`;
  if (sourcetype) out += `,"sourcetype":${JSON.stringify(sourcetype)}`;
  if (config.index) out += `,"index":${JSON.stringify(config.index)}`;
  return out;
}

/**
 * One event in the HEC JSON event protocol: `{"time":<seconds.millis>,"host":...,"source":...,
 * "sourcetype":...,"index":...,"event":...}`. Returns `undefined` for a JSON payload that is not
 * JSON.
 */
export function hecEventJson(
  item: LogDelivery,
  format: LogBatch['format'],
  config: SplunkHecConfig,
  metadata = metadataJson(config, format),
): string | undefined {
  const event =
    config.event === 'record'
      ? JSON.stringify(item.record)
      : format === 'json'
        ? payloadAsJson(item, format)
        : JSON.stringify(item.payload);
  if (event === undefined) return undefined;
  const time = item.timestamp === undefined ? '' : `"time":${(item.timestamp / 1_000).toFixed(3)},`;
  const fields = config.indexedFields
    ? `,"fields":{"ce_id":${JSON.stringify(item.id)},"ce_stream":${JSON.stringify(item.stream)}}`
    : '';
  return `{${time}"event":${event}${metadata}${fields}}`;
}

async function channelFor(context: PluginContext<SplunkHecConfig>): Promise<string> {
  if (context.config.channel) return context.config.channel;
  const stored = await context.state.get<string>('splunk-hec-channel');
  if (typeof stored === 'string') return stored;
  const channel = randomUUID();
  await context.state.set('splunk-hec-channel', channel);
  return channel;
}

async function openSplunkHecSession(context: PluginContext<SplunkHecConfig>): Promise<LogSinkSession> {
  const config = context.config;
  const channel = await channelFor(context);
  const base = config.url.replace(/\/+$/, '');
  const secrets = [config.token];
  const progress = new BatchProgress();
  const headers = (gzip: boolean): Record<string, string> => ({
    authorization: `Splunk ${config.token}`,
    'x-splunk-request-channel': channel,
    'content-type': 'application/json',
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  });

  const failure = (response: SinkResponse, reply: HecReply | undefined, message: string): Error => {
    const known = reply?.code === undefined ? undefined : splunkHecCodes[reply.code];
    const details = reply?.code === undefined ? {} : { hecCode: reply.code, hecText: reply.text };
    const options = { response, method: 'POST', now: context.clock.now(), secrets, details };
    if (known?.action === 'auth')
      return statusError({ ...options, message, code: 'HTTP_AUTH_FAILED', retryable: false });
    if (known?.action === 'retry') return statusError({ ...options, message, retryable: true });
    if (known?.action === 'config' || known?.action === 'event')
      return statusError({ ...options, message, code: 'CONFIG_INVALID', retryable: false });
    if (response.status === 413)
      return statusError({
        ...options,
        message: `${message}: request too large, lower maxBatchBytes`,
        retryable: false,
      });
    return statusError({ ...options, message });
  };

  const waitForAck = async (ackId: number, signal: AbortSignal): Promise<void> => {
    const deadline = context.clock.now() + config.ackTimeoutMs;
    for (;;) {
      const response = await sendOnce(context, {
        method: 'POST',
        path: `${base}${splunkHecPaths.ack}`,
        headers: headers(false),
        body: JSON.stringify({ acks: [ackId] }),
        signal,
      });
      const reply = parseReply(response) as (HecReply & { acks?: Record<string, boolean> }) | undefined;
      if (response.status !== 200) throw failure(response, reply, 'Splunk HEC acknowledgement query failed');
      if (reply?.acks?.[String(ackId)] === true) return;
      if (context.clock.now() >= deadline) {
        throw new CeError(
          'TIMEOUT',
          `Splunk HEC did not acknowledge indexing of ack id ${ackId} within ${config.ackTimeoutMs} ms`,
          { retryable: true, details: { ackId, channel } },
        );
      }
      await context.clock.sleep(config.ackPollIntervalMs, signal);
    }
  };

  return {
    async deliver(batch: LogBatch, signal: AbortSignal): Promise<LogDeliveryResult> {
      const metadata = metadataJson(config, batch.format);
      const refused: LogRejection[] = [];
      const events: string[] = [];
      const positions: number[] = [];
      for (const index of progress.pending(batch)) {
        const json = hecEventJson(batch.items[index] as LogDelivery, batch.format, config, metadata);
        if (json === undefined) refused.push({ index, reason: notJsonReason });
        else {
          events.push(json);
          positions.push(index);
        }
      }
      progress.settle(batch, [], refused);
      let start = 0;
      while (start < events.length) {
        const content = Buffer.from(events.slice(start).join('\n'), 'utf8');
        const response = await sendOnce(context, {
          method: 'POST',
          path: `${base}${splunkHecPaths.event}`,
          headers: headers(config.gzip),
          body: config.gzip ? gzipSync(content) : content,
          signal,
        });
        const reply = parseReply(response);
        if (response.status === 200 && (reply?.code ?? 0) === 0) {
          if (config.useAck) {
            if (typeof reply?.ackId !== 'number')
              throw new CeError(
                'CONFIG_INVALID',
                'Splunk HEC returned no ackId: indexer acknowledgement is off for this token; set useAck to false',
                {
                  retryable: false,
                },
              );
            await waitForAck(reply.ackId, signal);
          }
          progress.settle(batch, positions.slice(start));
          break;
        }
        const action = reply?.code === undefined ? undefined : splunkHecCodes[reply.code]?.action;
        const invalid = reply?.['invalid-event-number'];
        if (
          action === 'event' &&
          typeof invalid === 'number' &&
          invalid >= 0 &&
          start + invalid < events.length
        ) {
          const at = start + invalid;
          const reason = `Splunk HEC refused the event: ${reply?.text ?? 'invalid'} (code ${reply?.code})`;
          // HEC has taken the events before the refused one; only what follows is sent again.
          if (!config.resendPrecedingOnInvalid) progress.settle(batch, positions.slice(start, at));
          progress.settle(batch, [], [{ index: positions[at] as number, reason }]);
          if (config.resendPrecedingOnInvalid) {
            events.splice(at, 1);
            positions.splice(at, 1);
          } else {
            start = at + 1;
          }
          continue;
        }
        if (action === 'event') {
          // Refused without naming the event: nothing left in this request can be told apart.
          const reason = `Splunk HEC refused the request: ${reply?.text ?? 'invalid'} (code ${reply?.code})`;
          progress.settle(
            batch,
            [],
            positions.slice(start).map((index) => ({ index, reason })),
          );
          break;
        }
        throw failure(
          response,
          reply,
          `Splunk HEC refused the request${reply?.text ? `: ${reply.text}` : response.body.length > 0 ? `: ${excerpt(response.body, 120)}` : ''}`,
        );
      }
      return { rejected: progress.finish(batch) };
    },
    async close() {},
  };
}

/** The Splunk HEC sink capability (see {@link splunkHecSinkPlugin}). */
export const splunkHecSink: LogSinkCapability<SplunkHecConfig> = sinkCapability(
  'Splunk HEC',
  openSplunkHecSession,
);

/**
 * Log shipper sink for the Splunk HTTP Event Collector: batches of events in the JSON event
 * protocol to `/services/collector/event` (`Authorization: Splunk <token>`, a
 * `X-Splunk-Request-Channel`), optional gzip and indexer acknowledgement, with the documented
 * status codes mapped: invalid or disabled tokens stop the shipper, a busy server is retried, an
 * invalid event (`invalid-event-number`) is rejected alone and the events after it are sent again.
 *
 * @example
 * ```ts
 * const config = {
 *   url: 'https://splunk.example.com:8088',
 *   token: { secretRef: 'splunk-hec-token' },
 *   index: 'netskope',
 *   sourcetype: 'netskope:event',
 *   ca: caPem,
 * };
 * ```
 */
export const splunkHecSinkPlugin = definePlugin({
  id: 'splunk-hec-sink',
  name: 'Splunk HTTP Event Collector',
  version: '0.1.0',
  description:
    'Delivers log batches to a Splunk HTTP Event Collector (event endpoint, token, channel, optional indexer acknowledgement and gzip).',
  modules: ['cls'],
  configSchema: splunkHecConfigSchema,
  capabilities: { check: true, 'cls.sink': true },
  http: (config) => transportOptions(config),
  async check(context) {
    // An empty POST with the token: HEC answers code 5 (No data) when the token is good, and the
    // token codes (1-4) when it is not; the health endpoint alone would not test the token.
    const response = await sendOnce(context, {
      method: 'POST',
      path: `${context.config.url.replace(/\/+$/, '')}${splunkHecPaths.event}`,
      headers: {
        authorization: `Splunk ${context.config.token}`,
        'x-splunk-request-channel': await channelFor(context),
      },
      body: '',
      signal: context.signal,
    });
    const reply = parseReply(response);
    const known = reply?.code === undefined ? undefined : splunkHecCodes[reply.code];
    if (reply?.code === 5 || reply?.code === 0) return { ok: true, message: 'Splunk HEC accepted the token' };
    return {
      ok: false,
      retryable: known?.action === 'retry' || response.status >= 500,
      message: `Splunk HEC: ${known?.text ?? reply?.text ?? `status ${response.status}`}`,
    };
  },
  cls: { sink: splunkHecSink },
});
