import {
  CeError,
  ConfigError,
  type EventRecord,
  type LogCheckpoint,
  type LogPage,
  type LogSourceCapability,
  type LogStream,
  type PluginContext,
} from '@ce/core';
import { definePlugin } from '@ce/plugin-kit';
import { z } from 'zod';
import { netskopeTenantLimiters, type TenantLimiterRegistry } from '../tenant/tenant-limiter.js';
import {
  netskopeBaseUrl,
  netskopeHttpSettings,
  netskopeTenantSettingsShape,
} from '../tenant/tenant-settings.js';
import {
  createDataExportClient,
  DataExportError,
  type DataExportPageResult,
  refusedWithoutServing,
} from './data-export-client.js';
import {
  type DataExportIteratorOperation,
  type DataExportKind,
  dataExportTypePattern,
  nextOnlyType,
} from './data-export-types.js';

const typeList = (what: string) =>
  z
    .array(z.string().regex(dataExportTypePattern, 'a type name such as page or dlp'))
    .default([])
    .refine((types) => new Set(types).size === types.length, `each ${what} type once`)
    .describe(`${what} types to read (dataexport.yaml)`);

/** A point in time: an ISO 8601 date-time, or epoch seconds. */
const instant = z.union([
  z.iso.datetime({ offset: true }).transform((text) => Math.floor(Date.parse(text) / 1_000)),
  z.number().int().nonnegative(),
]);

const { v1Token: _v1Token, ...tenantShape } = netskopeTenantSettingsShape;

/** Settings of the Netskope log source: the shared tenant settings plus what to read. */
export const netskopeLogSourceConfigSchema = z
  .object({
    ...tenantShape,
    /** Event types, one stream each (`page`, `application`, `network`, ...). @default [] */
    events: typeList('event'),
    /** Alert types, one stream each (`dlp`, `malware`, `malsite`, ...). @default [] */
    alerts: typeList('alert'),
    /** How far back a stream's first fetch starts, in hours. @default 24 */
    initialLookbackHours: z
      .number()
      .min(0)
      .max(24 * 90)
      .default(24)
      .describe('Hours back the first fetch of a stream starts'),
    /**
     * Records in a full page: the tenant serves up to 10,000 per page; a page this full says
     * more are ready. @default 10000
     */
    pageSize: z.number().int().min(1).max(10_000).default(10_000).describe('Records in a full page'),
    /**
     * Iterator index name: the tenant keeps one cursor per index and endpoint, and two consumers
     * must never share one. A backfill uses `<indexPrefix>_backfill`. @default `ce_<configuration id>`
     */
    indexPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,48}$/, 'use 1 to 48 letters, digits, "_" and "-"')
      .optional()
      .describe('Data export index name'),
    /**
     * A historical range read on its own index alongside the live streams, one stream per type
     * (`backfill/events/page`), each finishing once past `to`.
     */
    backfill: z
      .object({
        /** Start: ISO 8601 date-time or epoch seconds. */
        from: instant,
        /** End (inclusive): ISO 8601 date-time or epoch seconds. */
        to: instant,
      })
      .refine((range) => range.from < range.to, { message: 'from must be before to', path: ['to'] })
      .optional()
      .describe('Historical range to read on its own index'),
  })
  .refine((config) => config.events.length + config.alerts.length > 0, {
    message: 'name at least one event or alert type',
    path: ['events'],
  });

/** The Netskope log source's configuration type. */
export type NetskopeLogSourceConfig = z.output<typeof netskopeLogSourceConfigSchema>;

/**
 * Where a stream stands. `page` counts the pages made durable on `index`; `timestampHwm` is the
 * tenant's high-water mark after the last of them (epoch seconds), kept so that a lost index can
 * be started again where it was; `done` marks a finished backfill.
 */
export interface NetskopeStreamCheckpoint {
  [key: string]: LogCheckpoint;
  version: 1;
  index: string;
  page: number;
  timestampHwm: number | null;
  done: boolean;
}

/** The live index of a configuration. */
export function netskopeLogIndex(
  config: Pick<NetskopeLogSourceConfig, 'indexPrefix'>,
  configId: string,
): string {
  return config.indexPrefix ?? `ce_${configId.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 48);
}

/** The backfill index of a configuration. */
export function netskopeBackfillIndex(
  config: Pick<NetskopeLogSourceConfig, 'indexPrefix'>,
  configId: string,
): string {
  return `${netskopeLogIndex(config, configId)}_backfill`;
}

/** State key of the page last asked of the tenant for a stream on an index. */
export function requestedPageStateKey(index: string, kind: DataExportKind, type: string): string {
  return `dataexport:${index}:${kind}/${type}:requested`;
}

interface ParsedStream {
  backfill: boolean;
  kind: DataExportKind;
  type: string;
}

function parseStreamId(id: string): ParsedStream | undefined {
  const match = /^(backfill\/)?(events|alerts)\/([^/]+)$/.exec(id);
  if (!match) return undefined;
  return { backfill: match[1] !== undefined, kind: match[2] as DataExportKind, type: match[3] as string };
}

function parseCheckpoint(value: LogCheckpoint | undefined): NetskopeStreamCheckpoint | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  if (value.version !== 1 || typeof value.index !== 'string' || typeof value.page !== 'number')
    return undefined;
  const hwm = value.timestampHwm;
  return {
    version: 1,
    index: value.index,
    page: value.page,
    timestampHwm: typeof hwm === 'number' && hwm >= 0 ? hwm : null,
    done: value.done === true,
  };
}

/** Epoch ms of a record's `timestamp` (epoch seconds, ms, or an ISO string). */
function recordTime(record: EventRecord): number | undefined {
  const value = record.timestamp;
  if (typeof value === 'number' && Number.isFinite(value)) return value > 1e12 ? value : value * 1_000;
  if (typeof value === 'string') {
    if (/^\d+$/.test(value)) return recordTime({ timestamp: Number(value) });
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

/** Options of {@link createNetskopeLogSource}. */
export interface NetskopeLogSourceOptions {
  /**
   * Where the per-tenant limiters come from.
   * @default netskopeTenantLimiters (one per tenant host in the process)
   */
  limiters?: TenantLimiterRegistry;
}

/**
 * The log shipper source for Netskope's data export iterator
 * (`GET /api/v2/events/dataexport/{events|alerts}/{type}?index=&operation=`).
 *
 * One stream per configured type, plus `backfill/...` streams for a historical range on an index
 * of their own. A fetch asks for:
 * - the first page of a stream: an epoch `initialLookbackHours` back (the backfill's `from`);
 * - a page that was asked for but never made durable (`redeliver`, or a request recorded in the
 *   plugin state beyond the checkpoint: a crash, a lost answer, a cut page): `resend`;
 * - otherwise `next`.
 * When the tenant says the index is gone (expired, or nothing to resend), the stream starts again
 * from the checkpoint's `timestamp_hwm`, which loses nothing and repeats at most a few records.
 * `more` is true when the tenant says `wait_time` 0 (or, without one, when the page is full);
 * `waitMs` carries `wait_time`. Every request takes a grant from the tenant's shared limiter.
 *
 * @example
 * ```ts
 * const source = createNetskopeLogSource();
 * const page = await source.fetch(ctx, { stream: source.streams(ctx.config)[0], checkpoint: undefined, redeliver: false });
 * ```
 */
export function createNetskopeLogSource(
  options: NetskopeLogSourceOptions = {},
): LogSourceCapability<NetskopeLogSourceConfig> {
  const limiters = options.limiters ?? netskopeTenantLimiters;

  const streams = (config: NetskopeLogSourceConfig): LogStream[] => {
    const live: LogStream[] = [
      ...config.events.map((type) => ({ id: `events/${type}`, kind: 'event' as const, type })),
      ...config.alerts.map((type) => ({ id: `alerts/${type}`, kind: 'alert' as const, type })),
    ];
    if (!config.backfill) return live;
    return [...live, ...live.map((stream) => ({ ...stream, id: `backfill/${stream.id}` }))];
  };

  const fetch = async (
    context: PluginContext<NetskopeLogSourceConfig>,
    request: { stream: LogStream; checkpoint: LogCheckpoint | undefined; redeliver: boolean },
  ): Promise<LogPage> => {
    const { config, state, logger, signal } = context;
    const parsed = parseStreamId(request.stream.id);
    const configured = streams(config).some((stream) => stream.id === request.stream.id);
    if (!parsed || !configured) {
      throw new ConfigError(`stream "${request.stream.id}" is not one of this configuration's`, [
        { path: 'stream', reason: 'unknown stream' },
      ]);
    }
    const { kind, type, backfill } = parsed;
    const range = backfill ? config.backfill : undefined;
    const index = backfill
      ? netskopeBackfillIndex(config, context.configId)
      : netskopeLogIndex(config, context.configId);
    const current = parseCheckpoint(request.checkpoint);
    if (current?.done) return { records: [], checkpoint: current, more: false, finished: true };

    const nextOnly = nextOnlyType(kind, type);
    const start = range
      ? range.from
      : Math.floor(context.clock.now() / 1_000 - config.initialLookbackHours * 3_600);
    const sameIndex = current !== undefined && current.index === index;
    const stateKey = requestedPageStateKey(index, kind, type);
    const stored = sameIndex ? current.page : 0;
    // Where to start when the tenant has no usable cursor for us: the last high-water mark we made
    // durable (a changed or lost index), else the configured start.
    const seed = (): DataExportIteratorOperation => (nextOnly ? 'next' : (current?.timestampHwm ?? start));
    let operation: DataExportIteratorOperation;
    if (!sameIndex) operation = seed();
    else {
      const requested = (await state.get<number>(stateKey)) ?? 0;
      operation = request.redeliver || requested > stored ? 'resend' : 'next';
    }
    if (operation === 'resend')
      logger.info('asking the tenant to resend a page never made durable', {
        stream: request.stream.id,
        index,
      });

    const client = createDataExportClient({
      http: context.http,
      limiter: limiters.forTenant(netskopeBaseUrl(config.tenant), config.requestsPerSecond),
      logger,
    });
    // Written before asking: if the answer is lost, the next fetch knows the tenant may have moved.
    await state.set(stateKey, stored + 1);
    let page: DataExportPageResult;
    try {
      try {
        page = await client.fetchPage({ kind, type, index, operation, signal });
      } catch (error) {
        if (
          !(error instanceof DataExportError) ||
          error.reason !== 'index-lost' ||
          typeof operation === 'number'
        ) {
          throw error;
        }
        operation = seed();
        logger.warn('the tenant lost the iterator index; starting it again from the last high-water mark', {
          stream: request.stream.id,
          index,
          operation,
        });
        page = await client.fetchPage({ kind, type, index, operation, signal });
      }
    } catch (error) {
      // An error status (or ok=0) means the tenant served nothing and kept its cursor: the retry
      // asks for `next` again. A broken or garbled 200 moved the cursor: the retry asks for `resend`.
      if (refusedWithoutServing(error)) await state.set(stateKey, stored);
      throw error;
    }

    const raw = page.records;
    let records: EventRecord[] = raw;
    let done = false;
    if (range) {
      records = raw.filter((record) => {
        const time = recordTime(record);
        return time === undefined || time <= range.to * 1_000;
      });
      const hwm = page.timestampHwm;
      done =
        (hwm !== undefined && hwm > range.to) ||
        records.length < raw.length ||
        (raw.length === 0 && (hwm === undefined || hwm === current?.timestampHwm));
    }
    let latest: number | undefined;
    for (const record of records) {
      const time = recordTime(record);
      if (time !== undefined && (latest === undefined || time > latest)) latest = time;
    }
    const checkpoint: NetskopeStreamCheckpoint = {
      version: 1,
      index,
      page: stored + 1,
      timestampHwm: page.timestampHwm ?? current?.timestampHwm ?? null,
      done,
    };
    const waitTime = page.waitTime;
    const more =
      !done && (waitTime !== undefined ? waitTime === 0 && raw.length > 0 : raw.length >= config.pageSize);
    const result: LogPage = { records, checkpoint, more };
    if (waitTime !== undefined && waitTime > 0 && !done) result.waitMs = waitTime * 1_000;
    if (latest !== undefined) result.latestTimestamp = latest;
    if (done) result.finished = true;
    return result;
  };

  return {
    streams,
    fetch,
    recordId(record) {
      const id = record._id;
      if (typeof id === 'string' && id !== '') return id;
      if (typeof id === 'number' && Number.isFinite(id)) return String(id);
      return undefined;
    },
  };
}

/**
 * The Netskope log source as a plugin of its own (`netskope-logs`): events and alerts from the
 * REST API v2 data export iterator for the log shipper. It is a separate definition from the
 * threat exchange plugin (`netskope`) because its configuration (types, lookback, backfill) has
 * nothing in common with the threat exchange's beyond the tenant settings, and a log pipeline is
 * usually configured and scaled apart from indicator sharing. Both share the tenant client, the
 * mock tenant, and one rate budget per tenant in the process.
 *
 * @example
 * ```ts
 * await exchange.configurations.add({
 *   id: 'netskope-logs-prod',
 *   pluginId: 'netskope-logs',
 *   config: { tenant: 'acme', apiToken: { $secret: 'netskope-v2' }, events: ['page', 'application'], alerts: ['dlp'] },
 * });
 * ```
 */
export const netskopeLogSource = definePlugin({
  id: 'netskope-logs',
  name: 'Netskope log source',
  version: '0.1.0',
  description:
    'Reads Netskope events and alerts from the REST API v2 data export iterator for the log shipper, losslessly, within the tenant rate limit.',
  modules: ['cls'],
  configSchema: netskopeLogSourceConfigSchema,
  capabilities: { check: true, 'cls.source': true },
  http: (config) => netskopeHttpSettings(config),
  async check(context) {
    const { config } = context;
    const [kind, type] =
      config.events[0] !== undefined
        ? (['events', config.events[0]] as const)
        : (['alerts', config.alerts[0] as string] as const);
    // A check must not move the cursors the streams use: it reads the newest page of an index of its own.
    const client = createDataExportClient({
      http: context.http,
      limiter: netskopeTenantLimiters.forTenant(netskopeBaseUrl(config.tenant), config.requestsPerSecond),
      logger: context.logger,
    });
    const index = `${netskopeLogIndex(config, context.configId)}_check`.slice(0, 64);
    try {
      await client.fetchPage({
        kind,
        type,
        index,
        operation: nextOnlyType(kind, type) ? 'next' : 'tail',
        signal: context.signal,
      });
    } catch (error) {
      if (CeError.isInstance(error) && error.code === 'HTTP_AUTH_FAILED') {
        return { ok: false, message: `the token was refused on ${kind}/${type}: ${error.message}` };
      }
      throw error;
    }
    return { ok: true, message: `read ${kind}/${type} on ${netskopeBaseUrl(config.tenant)}` };
  },
  cls: { source: createNetskopeLogSource() },
});
