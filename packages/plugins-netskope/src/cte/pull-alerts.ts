import type { Clock } from '@ce/core';
import {
  CeError,
  type IndicatorBatch,
  type Logger,
  type PluginStateStore,
  type SourceCheckpoint,
} from '@ce/core';
import type { DataExportOperation, NetskopeAlertType } from '../tenant/netskope-api.js';
import type { NetskopeTenantClient } from '../tenant/tenant-client.js';
import { alertIndicators, type PulledIndicatorType } from './alert-indicators.js';

/**
 * Where a stream (one alert type) stands: `page` counts the pages stored so far; the next call is
 * `operation` (always `next` once a page was stored).
 */
export interface AlertStreamCheckpoint {
  [key: string]: SourceCheckpoint;
  page: number;
  operation: 'next';
  /** The tenant's `timestamp_hwm` after the last stored page, epoch seconds (informational). */
  timestampHwm: number | null;
}

/** The checkpoint of the alert source: the iterator index and one stream per alert type. */
export interface AlertSourceCheckpoint {
  [key: string]: SourceCheckpoint;
  version: 1;
  index: string;
  streams: { [alertType: string]: AlertStreamCheckpoint };
}

/** Settings of {@link pullAlerts}. */
export interface PullAlertsOptions {
  /** The iterator index name; the tenant keeps one cursor per index and endpoint. */
  index: string;
  /** Alert types to read, in order. */
  alertTypes: ReadonlyArray<NetskopeAlertType>;
  /** Indicator types to produce. */
  indicatorTypes: ReadonlySet<PulledIndicatorType>;
  /** How far back the first pull of a stream starts, in days. */
  initialRangeDays: number;
  /** Most pages per stream per pull; the next pull continues. */
  maxPagesPerPull: number;
  /**
   * A `wait_time` above this ends the stream's pull instead of holding the worker, in seconds; the
   * next pull starts the stream only once the wait is over.
   */
  maxWaitSeconds: number;
}

/** What {@link pullAlerts} needs from a plugin context. */
export interface PullAlertsContext {
  readonly clock: Clock;
  readonly state: PluginStateStore;
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

function parseCheckpoint(value: SourceCheckpoint | undefined, index: string): AlertSourceCheckpoint {
  const fresh: AlertSourceCheckpoint = { version: 1, index, streams: {} };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fresh;
  // A different index is a different cursor on the tenant: start over rather than `next` on it.
  if (value.version !== 1 || value.index !== index) return fresh;
  const streams: AlertSourceCheckpoint['streams'] = {};
  const raw = value.streams;
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    for (const [type, stream] of Object.entries(raw)) {
      if (typeof stream !== 'object' || stream === null || Array.isArray(stream)) continue;
      if (typeof stream.page !== 'number' || stream.page < 1) continue;
      streams[type] = {
        page: stream.page,
        operation: 'next',
        timestampHwm: typeof stream.timestampHwm === 'number' ? stream.timestampHwm : null,
      };
    }
  }
  return { version: 1, index, streams };
}

/** State key of the last page requested from the tenant for a stream. */
export function requestedPageKey(index: string, alertType: NetskopeAlertType): string {
  return `dataexport:${index}:${alertType}:requested`;
}

/**
 * Reads malsite and malware alerts from the data export iterator as indicator batches, one batch
 * per page, each carrying the checkpoint to resume after it.
 *
 * The tenant keeps the cursor: `next` serves the page after the last one it served, whether or
 * not the answer reached us. So before each request the number of the page asked for is written
 * to state, and the checkpoint (persisted by the engine only after the batch is stored) counts the
 * pages stored. On start, a stream with no checkpoint begins at an epoch `initialRangeDays` back;
 * one whose last requested page was never stored (a crash, a lost answer) asks for `resend`, which
 * serves that page again; otherwise `next`. Between pages it waits the `wait_time` the tenant asks
 * for on the context's clock (a longer wait than `maxWaitSeconds` ends the stream's pull and is
 * owed by the next one), and it stops a stream at the first empty page (caught up).
 */
export async function* pullAlerts(
  tenant: NetskopeTenantClient,
  context: PullAlertsContext,
  checkpoint: SourceCheckpoint | undefined,
  options: PullAlertsOptions,
): AsyncGenerator<IndicatorBatch> {
  const current = parseCheckpoint(checkpoint, options.index);
  for (const alertType of options.alertTypes) {
    const stateKey = requestedPageKey(options.index, alertType);
    let stored = current.streams[alertType]?.page ?? 0;
    const requested = (await context.state.get<number>(stateKey)) ?? 0;
    let operation: DataExportOperation;
    if (stored === 0) {
      const start = context.clock.now() - options.initialRangeDays * 86_400_000;
      operation = Math.floor(start / 1_000);
    } else {
      operation = requested > stored ? 'resend' : 'next';
    }
    if (operation === 'resend') {
      context.logger.info('resending the page requested but never stored', { alertType, page: stored + 1 });
    }
    // A wait the previous pull did not sit out is honoured now, or the stream waits another pull.
    const notBeforeKey = `${stateKey}:notBefore`;
    const notBefore = (await context.state.get<number>(notBeforeKey)) ?? 0;
    const owed = notBefore - context.clock.now();
    if (owed > options.maxWaitSeconds * 1_000) continue;
    if (owed > 0) await context.clock.sleep(owed, context.signal);
    for (let pages = 0; pages < options.maxPagesPerPull; pages++) {
      context.signal.throwIfAborted();
      await context.state.set(stateKey, stored + 1);
      const page = await tenant.exportAlerts(alertType, options.index, operation);
      if (page.ok !== undefined && page.ok !== 1) {
        throw new CeError(
          'HTTP_RESPONSE_INVALID',
          `Netskope export ${alertType} alerts answered ok=${page.ok}`,
        );
      }
      stored += 1;
      const { indicators, dropped } = alertIndicators(alertType, page.result, options.indicatorTypes);
      if (dropped > 0)
        context.logger.debug('alert values skipped as invalid indicators', { alertType, dropped });
      current.streams[alertType] = {
        page: stored,
        operation: 'next',
        timestampHwm: page.timestamp_hwm ?? null,
      };
      yield { indicators, checkpoint: structuredClone(current) };
      const waitSeconds = page.wait_time ?? 0;
      // An empty resent page is old news: only an empty fresh page says the stream is caught up.
      const caughtUp = page.result.length === 0 && operation !== 'resend';
      if (caughtUp || waitSeconds > options.maxWaitSeconds || pages + 1 >= options.maxPagesPerPull) {
        // Sitting out the wait here would hold the worker: the next pull waits what is left of it.
        if (waitSeconds > 0) await context.state.set(notBeforeKey, context.clock.now() + waitSeconds * 1_000);
        break;
      }
      operation = 'next';
      if (waitSeconds > 0) await context.clock.sleep(waitSeconds * 1_000, context.signal);
    }
  }
}
