import { gunzipSync } from 'node:zlib';
import {
  type RawMockRequest,
  type RawMockResponse,
  type RawMockServer,
  startRawMockServer,
} from './raw-mock-server.js';
import { splunkHecCodes, splunkHecPaths } from './splunk-hec-sink.js';

/** Options of {@link startSplunkHecMockServer}. */
export interface SplunkHecMockServerOptions {
  /** The valid token. */
  token: string;
  /** Tokens that exist but are disabled (code 1). */
  disabledTokens?: ReadonlyArray<string>;
  /** Indexer acknowledgement on for the token: a channel is required and replies carry `ackId`. */
  ackEnabled?: boolean;
  /** Acknowledgement polls answered `false` before an ack id turns `true`. @default 0 */
  ackAfterPolls?: number;
  /** Indexes the token may write to; any index when absent. */
  allowedIndexes?: ReadonlyArray<string>;
  /** Largest accepted body (after decompression), bytes. @default 1000000 */
  maxContentLength?: number;
}

/** An event the collector indexed. */
export interface SplunkHecIndexedEvent {
  /** The channel it came on. */
  channel: string | undefined;
  /** The event object as sent (`time`, `host`, `source`, `sourcetype`, `index`, `event`, `fields`). */
  envelope: Record<string, unknown>;
}

/** A Splunk HEC on loopback. */
export interface SplunkHecMockServer {
  /** Base URL (the sink's `url`). */
  readonly url: string;
  /** The raw server (requests, fault injection). */
  readonly server: RawMockServer;
  /** Events indexed, in order. */
  readonly events: SplunkHecIndexedEvent[];
  /**
   * Answers `count` event requests with `Server is busy` (503, code 9), after letting `after`
   * more through first.
   */
  busy(count?: number, after?: number): void;
  /** Stops the server. */
  close(): Promise<void>;
}

const reply = (code: number, extra: Record<string, unknown> = {}): RawMockResponse => {
  const known = splunkHecCodes[code];
  return { status: known?.status ?? 400, body: { text: known?.text ?? 'Unknown', code, ...extra } };
};

const channelPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Splits a body of concatenated JSON objects (the HEC event protocol allows any whitespace, or
 * none, between them) into the objects' texts. Returns the texts and, if something that is not an
 * object follows, the position of that malformed event.
 */
export function splitConcatenatedJson(text: string): { objects: string[]; malformedAt?: number } {
  const objects: string[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text.charCodeAt(index);
    if (char === 0x20 || char === 0x0a || char === 0x0d || char === 0x09) {
      index++;
      continue;
    }
    if (char !== 0x7b) return { objects, malformedAt: objects.length };
    let depth = 0;
    let inString = false;
    let end = -1;
    for (let at = index; at < text.length; at++) {
      const c = text.charCodeAt(at);
      if (inString) {
        if (c === 0x5c) at++;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) {
          end = at + 1;
          break;
        }
      }
    }
    if (end < 0) return { objects, malformedAt: objects.length };
    objects.push(text.slice(index, end));
    index = end;
  }
  return { objects };
}

/**
 * Starts a mock Splunk HTTP Event Collector speaking the documented protocol: `Authorization:
 * Splunk <token>` (codes 1-4 with 401/403), `X-Splunk-Request-Channel` (codes 10 and 11 when
 * acknowledgement is on), gzip bodies, concatenated event objects checked one by one (codes 6, 7,
 * 12, 13 with `invalid-event-number`; the events before the refused one are indexed, as HEC
 * does), `ackId`s and `/services/collector/ack`, and `/services/collector/health` (code 17).
 *
 * @example
 * ```ts
 * const hec = await startSplunkHecMockServer({ token: '11111111-2222-3333-4444-555555555555' });
 * // configure the sink with url: hec.url, then inspect hec.events
 * await hec.close();
 * ```
 */
export async function startSplunkHecMockServer(
  options: SplunkHecMockServerOptions,
): Promise<SplunkHecMockServer> {
  const events: SplunkHecIndexedEvent[] = [];
  const acks = new Map<string, Map<number, number>>();
  let busyLeft = 0;
  let busyAfter = 0;
  let nextAck = 0;
  const maxContentLength = options.maxContentLength ?? 1_000_000;

  const authenticate = (request: RawMockRequest): RawMockResponse | undefined => {
    const header = request.headers.authorization;
    if (header === undefined) return reply(2);
    const match = /^Splunk (\S+)$/.exec(header);
    if (!match) return reply(3);
    if (options.disabledTokens?.includes(match[1] as string)) return reply(1);
    if (match[1] !== options.token) return reply(4);
    return undefined;
  };
  const channelOf = (request: RawMockRequest): string | undefined =>
    request.headers['x-splunk-request-channel'] ?? request.query.channel;

  const handle = (request: RawMockRequest): RawMockResponse => {
    if (request.method === 'GET' && request.path === splunkHecPaths.health) return reply(17);
    const isEvent =
      request.path === splunkHecPaths.event ||
      request.path === `${splunkHecPaths.event}/1.0` ||
      request.path === '/services/collector';
    if (request.method !== 'POST' || (!isEvent && request.path !== splunkHecPaths.ack))
      return { status: 404, body: { text: 'The requested URL was not found on this server.', code: 404 } };
    const refused = authenticate(request);
    if (refused) return refused;
    const channel = channelOf(request);
    if (options.ackEnabled && channel === undefined) return reply(10);
    if (channel !== undefined && !channelPattern.test(channel)) return reply(11);

    if (request.path === splunkHecPaths.ack) {
      if (!options.ackEnabled) return reply(14);
      const body = JSON.parse(request.body.toString('utf8')) as { acks?: number[] };
      const pending = acks.get(channel as string) ?? new Map<number, number>();
      const result: Record<string, boolean> = {};
      for (const id of body.acks ?? []) {
        const polls = pending.get(id);
        if (polls === undefined) result[String(id)] = false;
        else if (polls >= (options.ackAfterPolls ?? 0)) result[String(id)] = true;
        else {
          pending.set(id, polls + 1);
          result[String(id)] = false;
        }
      }
      return { status: 200, body: { acks: result } };
    }

    if (busyLeft > 0 && busyAfter > 0) busyAfter--;
    else if (busyLeft > 0) {
      busyLeft--;
      return reply(9);
    }
    let content: Buffer;
    try {
      content = request.headers['content-encoding'] === 'gzip' ? gunzipSync(request.body) : request.body;
    } catch {
      return reply(6, { 'invalid-event-number': 0 });
    }
    if (content.length > maxContentLength)
      return {
        status: 413,
        body: { text: 'Content-Length of request exceeds max_content_length', code: 413 },
      };
    const text = content.toString('utf8');
    if (text.trim() === '') return reply(5);
    const { objects, malformedAt } = splitConcatenatedJson(text);
    for (let number = 0; number < objects.length; number++) {
      let envelope: Record<string, unknown>;
      try {
        envelope = JSON.parse(objects[number] as string) as Record<string, unknown>;
      } catch {
        return reply(6, { 'invalid-event-number': number });
      }
      if (!('event' in envelope)) return reply(12, { 'invalid-event-number': number });
      if (envelope.event === '' || envelope.event === null)
        return reply(13, { 'invalid-event-number': number });
      const index = envelope.index;
      if (typeof index === 'string' && options.allowedIndexes && !options.allowedIndexes.includes(index))
        return reply(7, { 'invalid-event-number': number });
      events.push({ channel, envelope });
    }
    if (malformedAt !== undefined) return reply(6, { 'invalid-event-number': malformedAt });
    if (!options.ackEnabled) return reply(0);
    const ackId = nextAck++;
    const pending = acks.get(channel as string) ?? new Map<number, number>();
    pending.set(ackId, 0);
    acks.set(channel as string, pending);
    return reply(0, { ackId });
  };

  const server = await startRawMockServer(handle);
  return {
    url: server.url,
    server,
    events,
    busy(count = 1, after = 0) {
      busyLeft += count;
      busyAfter = after;
    },
    close: () => server.close(),
  };
}
