/**
 * Pulls alerts from source plugins (`cto.source`) with at-least-once delivery across crashes.
 *
 * @module
 */
import {
  type AlertInput,
  type AlertPage,
  CeError,
  type Clock,
  type Logger,
  type PluginRuntime,
  type SourceCheckpoint,
  type StorageAdapter,
} from '@ce/core';
import { z } from 'zod';

/** The key-value namespace of the intake's state. */
export const alertIntakeNamespace = 'cto.intake';

/** The key of a source configuration's pull state in {@link alertIntakeNamespace}. */
export function alertPullStateKey(configId: string): string {
  return `source:${configId}`;
}

/** What the puller keeps per source configuration. */
export interface AlertPullState {
  /** Layout of the stored value. */
  version: 1;
  /** Where the last page whose alerts were submitted left off; absent before the first. */
  checkpoint?: SourceCheckpoint;
  /**
   * Set before a pull, cleared once its alerts were submitted. Found set, the page pulled last may
   * never have reached the orchestrator, so the next pull asks the source to redeliver it.
   */
  inFlight: boolean;
  /** When the pull in flight started, epoch ms. */
  inFlightSince?: number;
  /** When a page was last submitted, epoch ms. */
  lastSubmittedAt?: number;
  /** Pages submitted so far. */
  pages: number;
}

/** Options of {@link AlertPuller}. */
export interface AlertPullerOptions {
  /** Calls into the source plugins. */
  plugins: PluginRuntime;
  /** Its `keyValue` keeps the checkpoint and the in-flight flag ({@link alertIntakeNamespace}). */
  storage: StorageAdapter;
  /** Times the in-flight flag and the last submission. */
  clock: Clock;
  /** Receives a warning for each redelivery, and a debug record per page. */
  logger: Logger;
  /**
   * Hands a page's alerts to the orchestrator, which stores each one (deduplicating replays by
   * `(sourceConfigId, id)`) before it resolves. The checkpoint moves only once it has resolved.
   */
  submit(alerts: AlertInput[], sourceConfigId: string): Promise<unknown>;
  /**
   * Deadline of one plugin pull.
   * @default 300000 (5 minutes)
   */
  pullTimeoutMs?: number;
}

/** What one {@link AlertPuller.pullOnce} did. */
export interface AlertPullResult {
  /** Alerts pulled and submitted. */
  alerts: number;
  /** Whether the source has more ready now (pull again at once). */
  more: boolean;
  /** How long the source asks to wait before the next pull, in ms. */
  waitMs?: number;
  /** Whether the page was a redelivery of one whose submission was never confirmed. */
  redelivered: boolean;
}

const pageSchema = z.object({
  alerts: z.array(z.record(z.string(), z.unknown())),
  checkpoint: z.unknown().refine((value) => value !== undefined, 'a checkpoint is required'),
  more: z.boolean(),
  waitMs: z.number().nonnegative().optional(),
});

function parseState(value: unknown): AlertPullState {
  const state: AlertPullState = { version: 1, inFlight: false, pages: 0 };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return state;
  const stored = value as Partial<AlertPullState>;
  if (stored.checkpoint !== undefined) state.checkpoint = stored.checkpoint;
  state.inFlight = stored.inFlight === true;
  if (typeof stored.inFlightSince === 'number') state.inFlightSince = stored.inFlightSince;
  if (typeof stored.lastSubmittedAt === 'number') state.lastSubmittedAt = stored.lastSubmittedAt;
  if (typeof stored.pages === 'number') state.pages = stored.pages;
  return state;
}

/**
 * Pulls one page at a time from a configuration's `cto.source` and submits it, at least once:
 *
 * 1. reads the checkpoint and the in-flight flag;
 * 2. sets the flag (a conditional write, so two processes pulling one configuration collide with
 *    `CONFLICT` instead of interleaving), then asks the plugin for the page after the checkpoint,
 *    with `redeliver` true when the flag was already set: the previous pull's page was perhaps
 *    served by the source but never submitted (a crash, a failed submit), and a source whose API
 *    advances on read must serve it again;
 * 3. submits the page's alerts, every one of them, valid or not (the orchestrator records invalid
 *    ones as failed);
 * 4. only then stores the new checkpoint and clears the flag.
 *
 * A crash or failure anywhere before step 4 leaves the old checkpoint and the flag set, so the page
 * comes again; the orchestrator deduplicates the replay by `(sourceConfigId, id)`. Pulls of one
 * configuration in this process run one after another.
 *
 * @example
 * ```ts
 * const puller = new AlertPuller({ plugins, storage, clock, logger, submit: (alerts, id) => orchestrator.submit(alerts, id) });
 * let result;
 * do result = await puller.pullOnce('netskope-prod'); while (result.more);
 * ```
 */
export class AlertPuller {
  readonly #options: AlertPullerOptions;
  readonly #running = new Map<string, Promise<unknown>>();

  constructor(options: AlertPullerOptions) {
    this.#options = options;
  }

  /** The stored pull state of a configuration (checkpoint, in-flight flag), for status pages. */
  async state(configId: string): Promise<AlertPullState> {
    const entry = await this.#options.storage.keyValue.get(alertIntakeNamespace, alertPullStateKey(configId));
    return parseState(entry?.value);
  }

  /**
   * Forgets a configuration's checkpoint, so the next pull starts where the source starts (its
   * configured lookback). For a reconfigured or deleted source.
   */
  async reset(configId: string): Promise<void> {
    await this.#options.storage.keyValue.delete(alertIntakeNamespace, alertPullStateKey(configId));
  }

  /** Pulls and submits one page of `configId`'s alerts. */
  async pullOnce(configId: string): Promise<AlertPullResult> {
    const previous = this.#running.get(configId) ?? Promise.resolve();
    const run = previous.then(
      () => this.#pull(configId),
      () => this.#pull(configId),
    );
    const tracked = run.catch(() => undefined);
    this.#running.set(configId, tracked);
    try {
      return await run;
    } finally {
      if (this.#running.get(configId) === tracked) this.#running.delete(configId);
    }
  }

  async #pull(configId: string): Promise<AlertPullResult> {
    const { plugins, storage, clock, submit } = this.#options;
    const logger = this.#options.logger.child({ configId, component: 'alert-puller' });
    const key = alertPullStateKey(configId);
    const entry = await storage.keyValue.get(alertIntakeNamespace, key);
    const state = parseState(entry?.value);
    const redeliver = state.inFlight;
    if (redeliver) {
      logger.warn(
        'the last pulled page was never confirmed as submitted; asking the source to redeliver it',
        {
          inFlightSince: state.inFlightSince,
        },
      );
    }
    const started: AlertPullState = { ...state, inFlight: true, inFlightSince: clock.now() };
    const version = await storage.keyValue.set(alertIntakeNamespace, key, started, {
      expectedVersion: entry?.version ?? 0,
    });

    const page = (await plugins.invoke(
      configId,
      'cto.pull',
      async (context, definition) => {
        const source = definition.cto?.source;
        if (!source) {
          throw new CeError(
            'NOT_SUPPORTED',
            `plugin "${definition.id}" is not an alert source (no cto.source)`,
          );
        }
        return source.pull(context, { checkpoint: state.checkpoint, redeliver });
      },
      {
        output: pageSchema as unknown as z.ZodType<AlertPage>,
        ...(this.#options.pullTimeoutMs === undefined ? {} : { timeoutMs: this.#options.pullTimeoutMs }),
      },
    )) as AlertPage;

    const alerts = [...page.alerts] as AlertInput[];
    if (alerts.length > 0) await submit(alerts, configId);

    const done: AlertPullState = {
      version: 1,
      checkpoint: page.checkpoint,
      inFlight: false,
      pages: state.pages + 1,
      lastSubmittedAt: clock.now(),
    };
    await storage.keyValue.set(alertIntakeNamespace, key, done, { expectedVersion: version });
    logger.debug('alert page submitted', { alerts: alerts.length, more: page.more, redelivered: redeliver });
    const result: AlertPullResult = { alerts: alerts.length, more: page.more, redelivered: redeliver };
    if (page.waitMs !== undefined && page.waitMs > 0) result.waitMs = page.waitMs;
    return result;
  }
}
