/**
 * The ticket orchestrator's Netskope source: alerts (and DLP incidents) from the data export
 * iterator, and ticket statuses written back to DLP incidents.
 *
 * @module
 */
import {
  type AlertInput,
  type AlertPage,
  type AlertSourceCapability,
  type PluginContext,
  type SourceCheckpoint,
  ticketStatuses,
} from '@ce/core';
import { z } from 'zod';
import {
  createDataExportClient,
  DataExportError,
  type DataExportPageResult,
  refusedWithoutServing,
} from '../cls/data-export-client.js';
import {
  type DataExportIteratorOperation,
  type DataExportKind,
  dataExportTypePattern,
} from '../cls/data-export-types.js';
import {
  createTenantLimiterRegistry,
  netskopeTenantLimiters,
  type TenantLimiterRegistry,
} from '../tenant/tenant-limiter.js';
import { netskopeBaseUrl } from '../tenant/tenant-settings.js';
import { netskopeAlertEventTypes, netskopeRecordToAlert } from './alert-mapping.js';
import {
  type NetskopeIncidentStatus,
  netskopeIncidentBatchSize,
  netskopeIncidentStatuses,
  normalizeIncidentStatus,
  planIncidentStatusUpdates,
  sendIncidentUpdates,
} from './incident-update.js';

const unique = (types: ReadonlyArray<string>) => new Set(types).size === types.length;

/** The ticket orchestrator's settings of a Netskope configuration (the `cto` object). */
export const netskopeAlertSourceSettingsSchema = z.object({
  /**
   * Alert types to pull, one iterator stream each (`dlp`, `malware`, `malsite`, `policy`,
   * `compromisedcredential`, `uba`, `securityassessment`, `quarantine`, `remediation`,
   * `watchlist`, `ctep`, or any other the tenant offers). None by default, so that a threat
   * exchange configuration of the same plugin pulls nothing for the orchestrator until asked.
   * @default []
   */
  alertTypes: z
    .array(z.string().regex(dataExportTypePattern, 'an alert type such as dlp or malware'))
    .default([])
    .refine(unique, 'each alert type once')
    .describe('Alert types to pull for tickets (dataexport.yaml)'),
  /**
   * Event types to pull as alerts: `incident` (DLP incidents, whose status can be written back)
   * and `endpoint`. @default []
   */
  eventTypes: z
    .array(z.enum(netskopeAlertEventTypes))
    .default([])
    .refine(unique, 'each event type once')
    .describe('Event types to pull as alerts (incident, endpoint)'),
  /** How far back the first pull of a type starts, in days. @default 7 */
  initialRangeDays: z.number().int().min(0).max(365).default(7).describe('Days to read on the first pull'),
  /**
   * Prefix of the iterator indexes, one per type (`<prefix>_<type>`). Distinct from the log
   * shipper's and the threat exchange's, so that all can read one tenant. @default `ce_cto_<configuration id>`
   */
  indexPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, 'use 1 to 40 letters, digits, "_" and "-"')
    .optional()
    .describe('Data export index prefix'),
  /** Records in a full page; used to tell "more" when the tenant sends no `wait_time`. @default 10000 */
  pageSize: z.number().int().min(1).max(10_000).default(10_000).describe('Records in a full page'),
  /**
   * Writing ticket statuses back to DLP incidents (`PATCH /api/v2/incidents/update`); off
   * without it.
   */
  incidentUpdate: z
    .object({
      /** The email the tenant logs as having made each change. */
      user: z.email().describe('Email the tenant records as the author of incident updates'),
      /** Ticket status to incident status, over the defaults; `null` skips a status. */
      statusMap: z
        .partialRecord(z.enum(ticketStatuses), z.enum(netskopeIncidentStatuses).nullable())
        .optional()
        .describe('Ticket status to incident status (new, in_progress, closed)'),
    })
    .optional()
    .describe('Write ticket statuses back to DLP incidents'),
});

/** The `cto` settings, parsed. */
export type NetskopeAlertSourceSettings = z.output<typeof netskopeAlertSourceSettingsSchema>;

/** What the source reads of a configuration: the tenant and the `cto` settings. */
export interface NetskopeAlertSourceConfig {
  /** The tenant's name, host or base URL. */
  readonly tenant: string;
  /** The tenant's shared request budget. */
  readonly requestsPerSecond?: number;
  /** The ticket orchestrator's settings. */
  readonly cto: NetskopeAlertSourceSettings;
}

/** Where one stream (a kind and type) stands. */
export interface NetskopeAlertStreamCheckpoint {
  [key: string]: SourceCheckpoint;
  /** The iterator index the pages were read from. */
  index: string;
  /** Pages of this index whose alerts were stored. */
  page: number;
  /** The tenant's `timestamp_hwm` after the last of them, epoch seconds; a lost index restarts there. */
  timestampHwm: number | null;
  /** Not before this time (epoch ms), as the tenant's `wait_time` asked; 0 when free. */
  readyAt: number;
  /** The last page said nothing more is ready now. */
  caughtUp: boolean;
}

/** The source's checkpoint: every stream, and the last one read (round robin). */
export interface NetskopeAlertSourceCheckpoint {
  [key: string]: SourceCheckpoint;
  /** Layout of the checkpoint. */
  version: 1;
  /** By stream id (`alerts/dlp`, `events/incident`). */
  streams: { [stream: string]: NetskopeAlertStreamCheckpoint };
  /** The stream read last; the next pull starts after it. */
  last: string | null;
}

/** The index prefix of a configuration. */
export function netskopeAlertIndexPrefix(
  settings: Pick<NetskopeAlertSourceSettings, 'indexPrefix'>,
  configId: string,
): string {
  return settings.indexPrefix ?? `ce_cto_${configId.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 40);
}

/** The iterator index of one type: one per configuration and type. */
export function netskopeAlertIndex(
  settings: Pick<NetskopeAlertSourceSettings, 'indexPrefix'>,
  configId: string,
  kind: DataExportKind,
  type: string,
): string {
  return `${netskopeAlertIndexPrefix(settings, configId)}_${kind === 'events' ? 'ev_' : ''}${type}`;
}

/** Plugin state key of the page last asked of the tenant on an index. */
export function netskopeAlertRequestedKey(index: string): string {
  return `cto:dataexport:${index}:requested`;
}

/** Plugin state key of the incident status last written for an incident. */
export function netskopeIncidentStatusKey(objectId: string): string {
  return `cto:incident-status:${objectId}`;
}

interface Stream {
  id: string;
  kind: DataExportKind;
  type: string;
}

function streamsOf(settings: NetskopeAlertSourceSettings): Stream[] {
  return [
    ...settings.alertTypes.map((type) => ({ id: `alerts/${type}`, kind: 'alerts' as const, type })),
    ...settings.eventTypes.map((type) => ({ id: `events/${type}`, kind: 'events' as const, type })),
  ];
}

function isObject(value: unknown): value is Record<string, SourceCheckpoint> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseCheckpoint(value: SourceCheckpoint | undefined): NetskopeAlertSourceCheckpoint {
  const checkpoint: NetskopeAlertSourceCheckpoint = { version: 1, streams: {}, last: null };
  if (!isObject(value) || value.version !== 1) return checkpoint;
  if (typeof value.last === 'string') checkpoint.last = value.last;
  if (isObject(value.streams)) {
    for (const [id, stream] of Object.entries(value.streams)) {
      if (!isObject(stream) || typeof stream.index !== 'string' || typeof stream.page !== 'number') continue;
      checkpoint.streams[id] = {
        index: stream.index,
        page: stream.page,
        timestampHwm: typeof stream.timestampHwm === 'number' ? stream.timestampHwm : null,
        readyAt: typeof stream.readyAt === 'number' ? stream.readyAt : 0,
        caughtUp: stream.caughtUp === true,
      };
    }
  }
  return checkpoint;
}

/** Options of {@link createNetskopeAlertSource}. */
export interface NetskopeAlertSourceOptions {
  /**
   * The per-tenant limiters the iterator calls share with the other Netskope modules.
   * @default netskopeTenantLimiters
   */
  limiters?: TenantLimiterRegistry;
  /**
   * Limiters of the incident update endpoint, which allows 10 requests a minute
   * (incident_update.yaml `x-netskope-params.rateLimit`).
   * @default netskopeIncidentUpdateLimiters (one request every 6 seconds per tenant)
   */
  incidentUpdateLimiters?: TenantLimiterRegistry;
}

/**
 * The process-wide limiters of the incident update endpoint: 10 requests a minute per tenant
 * (incident_update.yaml), spaced evenly, on top of the tenant's shared budget.
 */
export const netskopeIncidentUpdateLimiters: TenantLimiterRegistry = createTenantLimiterRegistry({
  requestsPerSecond: 10 / 60,
});

/**
 * Creates the alert source of the `netskope` plugin (`cto.source`).
 *
 * `pull` reads one page of one stream per call, from `GET /api/v2/events/dataexport/{alerts|events}/{type}`
 * through the shared data export client (lossless 64-bit ids, gzip, 429 with `Retry-After`) and
 * the tenant's shared limiter, each stream on an index of its own (`<prefix>_<type>`). It takes the
 * streams in turn, skipping one whose `wait_time` has not passed. Per stream, it asks for:
 * - the first page: an epoch `initialRangeDays` back (or the last `timestamp_hwm` when the index
 *   changed or was lost);
 * - `resend` when a page was asked for but never stored: `redeliver`, or its own record of the
 *   page requested beyond the checkpoint (a crash, a lost answer, a cut page);
 * - otherwise `next`.
 * `more` is true while some stream has records ready (the tenant said `wait_time` 0 after a
 * non-empty page, or, without one, the page was full); otherwise `waitMs` is the shortest wait
 * left. Every record becomes an alert, malformed ones included (see `netskopeRecordToAlert`).
 *
 * `writeBack` writes the ticket's status to the DLP incidents among its alerts (`incident`
 * records with an `object_id`), in batches of 10 within the endpoint's 10 requests a minute,
 * and logs every alert it skips with the reason.
 *
 * @example
 * ```ts
 * definePlugin({ ..., modules: ['cto'], cto: { source: createNetskopeAlertSource() } });
 * ```
 */
export function createNetskopeAlertSource(
  options: NetskopeAlertSourceOptions = {},
): AlertSourceCapability<NetskopeAlertSourceConfig> {
  const limiters = options.limiters ?? netskopeTenantLimiters;
  const incidentLimiters = options.incidentUpdateLimiters ?? netskopeIncidentUpdateLimiters;

  const pull = async (
    context: PluginContext<NetskopeAlertSourceConfig>,
    request: { checkpoint: SourceCheckpoint | undefined; redeliver: boolean },
  ): Promise<AlertPage> => {
    const { config, state, logger, signal, clock } = context;
    const settings = config.cto;
    const streams = streamsOf(settings);
    const current = parseCheckpoint(request.checkpoint);
    if (streams.length === 0) {
      logger.debug('no alert or event types chosen for the ticket orchestrator');
      return { alerts: [], checkpoint: current, more: false };
    }
    const now = clock.now();
    const indexOf = (stream: Stream) =>
      netskopeAlertIndex(settings, context.configId, stream.kind, stream.type);
    const storedPages = (stream: Stream): number => {
      const saved = current.streams[stream.id];
      return saved && saved.index === indexOf(stream) ? saved.page : 0;
    };

    // A page asked for and never stored is served again first, whatever its wait.
    let chosen: Stream | undefined;
    let pending = false;
    for (const stream of streams) {
      const requested = (await state.get<number>(netskopeAlertRequestedKey(indexOf(stream)))) ?? 0;
      const stored = storedPages(stream);
      if (stored > 0 && requested > stored) {
        chosen = stream;
        pending = true;
        break;
      }
    }
    if (!chosen) {
      const start = current.last === null ? 0 : streams.findIndex((stream) => stream.id === current.last) + 1;
      for (let offset = 0; offset < streams.length; offset++) {
        const stream = streams[(start + offset) % streams.length] as Stream;
        if ((current.streams[stream.id]?.readyAt ?? 0) <= now) {
          chosen = stream;
          break;
        }
      }
    }
    if (!chosen) {
      const waits = streams.map((stream) => (current.streams[stream.id]?.readyAt ?? 0) - now);
      return { alerts: [], checkpoint: current, more: false, waitMs: Math.max(1, Math.min(...waits)) };
    }

    const stream = chosen;
    const index = indexOf(stream);
    const saved = current.streams[stream.id];
    const stored = storedPages(stream);
    const start = Math.floor(now / 1_000 - settings.initialRangeDays * 86_400);
    const seed = (): DataExportIteratorOperation => saved?.timestampHwm ?? start;
    let operation: DataExportIteratorOperation = stored === 0 ? seed() : pending ? 'resend' : 'next';
    if (operation === 'resend') {
      logger.info('asking the tenant to resend a page never stored', {
        stream: stream.id,
        index,
        redeliver: request.redeliver,
      });
    }
    const client = createDataExportClient({
      http: context.http,
      limiter: limiters.forTenant(netskopeBaseUrl(config.tenant), config.requestsPerSecond),
      logger,
    });
    const requestedKey = netskopeAlertRequestedKey(index);
    // Written before asking: if the answer is lost, the next pull knows the tenant may have moved.
    await state.set(requestedKey, stored + 1);
    let page: DataExportPageResult;
    try {
      try {
        page = await client.fetchPage({ kind: stream.kind, type: stream.type, index, operation, signal });
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
          stream: stream.id,
          index,
          operation,
        });
        page = await client.fetchPage({ kind: stream.kind, type: stream.type, index, operation, signal });
      }
    } catch (error) {
      // An error status means the tenant served nothing and kept its cursor: ask `next` again.
      if (refusedWithoutServing(error)) await state.set(requestedKey, stored);
      throw error;
    }

    const alerts: AlertInput[] = [];
    let malformed = 0;
    page.records.forEach((record, position) => {
      const { alert, problems } = netskopeRecordToAlert(stream.kind, stream.type, record);
      if (problems.length > 0) {
        malformed += 1;
        if (malformed <= 10) {
          logger.warn('malformed Netskope record handed on as an alert', {
            stream: stream.id,
            position,
            id: alert.id,
            problems,
          });
        }
      }
      alerts.push(alert);
    });
    const waitTime = page.waitTime;
    const hasMore =
      waitTime !== undefined
        ? waitTime === 0 && page.records.length > 0
        : page.records.length >= settings.pageSize;
    current.streams[stream.id] = {
      index,
      page: stored + 1,
      timestampHwm: page.timestampHwm ?? saved?.timestampHwm ?? null,
      readyAt: waitTime !== undefined && waitTime > 0 ? now + waitTime * 1_000 : 0,
      caughtUp: !hasMore,
    };
    current.last = stream.id;
    // Streams of types no longer configured are dropped from the checkpoint.
    for (const id of Object.keys(current.streams)) {
      if (!streams.some((candidate) => candidate.id === id)) delete current.streams[id];
    }
    const more = streams.some((candidate) => {
      const cp = current.streams[candidate.id];
      return cp === undefined || (!cp.caughtUp && cp.readyAt <= now);
    });
    const result: AlertPage = { alerts, checkpoint: current, more };
    if (!more) {
      const waits = streams
        .map((candidate) => (current.streams[candidate.id]?.readyAt ?? 0) - now)
        .filter((wait) => wait > 0);
      if (waits.length === streams.length) result.waitMs = Math.min(...waits);
    }
    return result;
  };

  const writeBack: NonNullable<AlertSourceCapability<NetskopeAlertSourceConfig>['writeBack']> = async (
    context,
    request,
  ) => {
    const { config, state, logger, signal } = context;
    const update = config.cto.incidentUpdate;
    if (!update) {
      logger.debug('incident status write-back is off (no cto.incidentUpdate)', {
        ticketId: request.ticket.id,
      });
      return;
    }
    const lastWritten = new Map<string, NetskopeIncidentStatus>();
    for (const alert of request.alerts) {
      const objectId = typeof alert.raw.object_id === 'string' ? alert.raw.object_id : undefined;
      if (objectId === undefined || lastWritten.has(objectId)) continue;
      const known = normalizeIncidentStatus(await state.get(netskopeIncidentStatusKey(objectId)));
      if (known) lastWritten.set(objectId, known);
    }
    const plan = planIncidentStatusUpdates(request.alerts, request.status, {
      user: update.user,
      lastWritten,
      ...(update.statusMap ? { statusMap: update.statusMap } : {}),
    });
    for (const skipped of plan.skipped) {
      logger.info('incident status not written back', {
        ticketId: request.ticket.id,
        alertId: skipped.alertId,
        reason: skipped.reason,
      });
    }
    const limiter = limiters.forTenant(netskopeBaseUrl(config.tenant), config.requestsPerSecond);
    const endpointLimiter = incidentLimiters.forTenant(netskopeBaseUrl(config.tenant));
    for (let offset = 0; offset < plan.items.length; offset += netskopeIncidentBatchSize) {
      const batch = plan.items.slice(offset, offset + netskopeIncidentBatchSize);
      await endpointLimiter.take(signal);
      await limiter.take(signal);
      const outcome = await sendIncidentUpdates(context.http, batch, signal);
      if (outcome.updated !== undefined && outcome.updated < batch.length) {
        logger.warn('the tenant updated fewer incidents than sent', {
          ticketId: request.ticket.id,
          sent: batch.length,
          updated: outcome.updated,
          objectIds: batch.map((item) => item.object_id),
        });
      }
      for (const item of batch) await state.set(netskopeIncidentStatusKey(item.object_id), item.new_value);
      logger.info('incident statuses written back', {
        ticketId: request.ticket.id,
        status: request.status,
        incidents: batch.length,
      });
    }
  };

  return { pull, writeBack };
}
