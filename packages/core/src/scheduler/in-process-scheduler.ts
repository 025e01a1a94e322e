import { CeError } from '../errors/ce-error.js';
import { toCeError } from '../errors/to-ce-error.js';
import { createEventBus, type EventBus } from '../events/event-bus.js';
import { createNoopLogger, type Logger } from '../logging/logger.js';
import { formatDuration, parseDuration } from '../schemas/common.js';
import { type Clock, systemClock } from '../time/clock.js';
import type { LeaseProvider, TaskLease } from './lease-provider.js';
import type {
  ScheduledTask,
  ScheduledTaskContext,
  ScheduledTaskFunction,
  ScheduledTaskStatus,
  Scheduler,
  SchedulerEvents,
  ScheduleTaskOptions,
  SkippedTaskRun,
  TaskRunOutcome,
  TaskRunRecord,
  TaskRunResult,
  TaskRunTrigger,
} from './scheduler.js';

/** Options of {@link createInProcessScheduler}. */
export interface InProcessSchedulerOptions {
  /**
   * Source of time and timers; pass a `FakeClock` in tests.
   * @default systemClock
   */
  clock?: Clock;
  /**
   * Receives run failures and lease problems; each task gets a child logger with `task` bound.
   * @default a no-op logger
   */
  logger?: Logger;
  /**
   * Random numbers in `[0, 1)` for jitter; inject a fixed function in tests.
   * @default Math.random
   */
  random?: () => number;
  /**
   * Bus the scheduler publishes its events on, e.g. the host's.
   * @default a new bus, exposed as `scheduler.events`
   */
  events?: EventBus<SchedulerEvents>;
  /**
   * Shared leases that make each run happen on one host only (see `LeaseProvider`). Without
   * one, every scheduler runs its tasks on its own.
   * @default none
   */
  leases?: LeaseProvider;
  /**
   * Lease length while a run is in flight; renewed every third of it. A host that dies mid-run
   * frees its tasks after this long.
   * @default 30000
   */
  leaseTtlMs?: number;
  /**
   * How long an aborted run may take to settle before the scheduler records it and moves on
   * without it.
   * @default 1000
   */
  abortGraceMs?: number;
}

interface AbortCause {
  kind: 'timeout' | 'cancel' | 'stop' | 'lease-lost';
  error: CeError;
}

interface ActiveRun {
  promise: Promise<TaskRunResult>;
  cause?: AbortCause;
  abort(cause: AbortCause): void;
  onAbort(listener: (cause: AbortCause) => void): void;
  readonly signal: AbortSignal;
}

interface TaskEntry {
  readonly name: string;
  readonly intervalMs: number;
  readonly jitter: number;
  readonly timeoutMs: number | undefined;
  readonly backoff: { initialMs: number; maxMs: number; factor: number } | undefined;
  readonly task: ScheduledTaskFunction;
  readonly logger: Logger;
  cancelled: boolean;
  cancelTimer?: () => void;
  nextRunAt?: number;
  current?: ActiveRun;
  runningSince?: number;
  consecutiveFailures: number;
  lastRun?: TaskRunRecord;
  lease?: TaskLease;
}

type Settled = { ok: true } | { ok: false; error: unknown };

const noop = (): void => {};

function invalid(name: string, message: string, cause?: unknown): CeError {
  return new CeError('CONFIG_INVALID', `task "${name}": ${message}`, { cause, details: { task: name } });
}

function parseInterval(name: string, interval: number | string): number {
  let ms: number;
  try {
    ms = typeof interval === 'string' ? parseDuration(interval) : interval;
  } catch (error) {
    throw invalid(name, `invalid interval "${interval}"`, error);
  }
  if (!Number.isFinite(ms) || ms <= 0) throw invalid(name, 'interval must be a positive duration');
  return ms;
}

function resolveBackoff(
  name: string,
  intervalMs: number,
  options: ScheduleTaskOptions,
): TaskEntry['backoff'] {
  if (options.backoff === false) return undefined;
  const initialMs = options.backoff?.initialMs ?? intervalMs;
  const maxMs = options.backoff?.maxMs ?? Math.max(intervalMs, 3_600_000);
  const factor = options.backoff?.factor ?? 2;
  if (!(initialMs > 0) || !(maxMs >= initialMs) || !(factor >= 1))
    throw invalid(name, 'backoff needs initialMs > 0, maxMs >= initialMs and factor >= 1');
  return { initialMs, maxMs, factor };
}

/**
 * Creates a {@link Scheduler} that runs tasks in this process on the given clock. With a shared
 * `leases` provider several such schedulers (on several hosts) run each task once between them.
 *
 * @example
 * ```ts
 * const scheduler = createInProcessScheduler({ logger });
 * const pull = scheduler.every('cte-pull', '5m', async ({ signal }) => plugin.pull(signal), {
 *   jitter: 0.1,
 *   timeoutMs: 120_000,
 *   runImmediately: true,
 * });
 * const result = await pull.runNow(); // coalesced with a run already in flight
 * await scheduler.stop({ timeoutMs: 10_000 });
 * ```
 */
export function createInProcessScheduler(options: InProcessSchedulerOptions = {}): Scheduler {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createNoopLogger();
  const random = options.random ?? Math.random;
  const leases = options.leases;
  const leaseTtlMs = options.leaseTtlMs ?? 30_000;
  const abortGraceMs = options.abortGraceMs ?? 1_000;
  const events =
    options.events ??
    createEventBus<SchedulerEvents>({
      onListenerError: (error, eventName) =>
        logger.warn('scheduler event listener threw', { event: eventName, error: toCeError(error).toJSON() }),
    });
  const tasks = new Map<string, TaskEntry>();
  const inFlight = new Set<ActiveRun>();
  let stopping = false;
  let stopped: Promise<void> | undefined;

  function stoppedError(): CeError {
    return new CeError('SCHEDULER_STOPPED', 'the scheduler is stopped and accepts no new work');
  }

  function nextDelay(entry: TaskEntry): number {
    let base = entry.intervalMs;
    if (entry.backoff && entry.consecutiveFailures > 0) {
      const { initialMs, maxMs, factor } = entry.backoff;
      const backoff = Math.min(maxMs, initialMs * factor ** (entry.consecutiveFailures - 1));
      base = Math.max(base, backoff);
    }
    return base + Math.floor(base * entry.jitter * random());
  }

  function clearTimer(entry: TaskEntry): void {
    entry.cancelTimer?.();
    entry.cancelTimer = undefined;
    entry.nextRunAt = undefined;
  }

  function scheduleNext(entry: TaskEntry, delay: number): void {
    clearTimer(entry);
    if (stopping || entry.cancelled) return;
    const dueAt = clock.now() + delay;
    entry.nextRunAt = dueAt;
    entry.cancelTimer = clock.setTimer(delay, () => {
      entry.cancelTimer = undefined;
      void trigger(entry, 'schedule', dueAt);
    });
  }

  function createRun(): ActiveRun {
    const controller = new AbortController();
    const listeners: Array<(cause: AbortCause) => void> = [];
    const run: ActiveRun = {
      promise: Promise.resolve() as unknown as Promise<TaskRunResult>,
      signal: controller.signal,
      abort(cause) {
        if (run.cause) return;
        run.cause = cause;
        controller.abort(cause.error);
        for (const listener of listeners.splice(0)) listener(cause);
      },
      onAbort(listener) {
        if (run.cause) listener(run.cause);
        else listeners.push(listener);
      },
    };
    return run;
  }

  function trigger(entry: TaskEntry, kind: TaskRunTrigger, scheduledAt: number): Promise<TaskRunResult> {
    if (entry.current) return entry.current.promise;
    clearTimer(entry);
    const run = createRun();
    entry.current = run;
    inFlight.add(run);
    run.promise = execute(entry, run, kind, scheduledAt).catch((error: unknown) => {
      // Only a bug in this file gets here; keep the task alive rather than lose its schedule.
      entry.logger.error('scheduler failed to run task', { error: toCeError(error).toJSON() });
      finish(entry, run);
      scheduleNext(entry, nextDelay(entry));
      return skipped(entry, kind, scheduledAt, 'stopped');
    });
    return run.promise;
  }

  function finish(entry: TaskEntry, run: ActiveRun): void {
    if (entry.current === run) {
      entry.current = undefined;
      entry.runningSince = undefined;
    }
    inFlight.delete(run);
  }

  function skipped(
    entry: TaskEntry,
    kind: TaskRunTrigger,
    scheduledAt: number,
    reason: SkippedTaskRun['reason'],
  ): SkippedTaskRun {
    return { outcome: 'skipped', name: entry.name, trigger: kind, scheduledAt, at: clock.now(), reason };
  }

  async function obtainLease(entry: TaskEntry): Promise<'ok' | 'lease-held' | 'lease-error'> {
    if (!leases) return 'ok';
    try {
      if (entry.lease) {
        const renewed = await leases.renew(entry.lease, leaseTtlMs);
        entry.lease = renewed;
        if (renewed) return 'ok';
      }
      entry.lease = await leases.acquire(entry.name, leaseTtlMs);
      return entry.lease ? 'ok' : 'lease-held';
    } catch (error) {
      entry.logger.warn('could not acquire task lease; skipping run', { error: toCeError(error).toJSON() });
      return 'lease-error';
    }
  }

  /** Renews the lease while the run lasts; aborts the run when another holder took it. */
  function keepLease(entry: TaskEntry, run: ActiveRun): () => void {
    if (!leases) return noop;
    const every = Math.max(1, Math.floor(leaseTtlMs / 3));
    let active = true;
    let cancel = noop;
    const lost = (): void =>
      run.abort({
        kind: 'lease-lost',
        error: new CeError('ABORTED', `task "${entry.name}" lost its lease to another scheduler`),
      });
    const tick = async (): Promise<void> => {
      const lease = entry.lease;
      if (!active || !lease) return;
      try {
        const renewed = await leases.renew(lease, leaseTtlMs);
        if (!active) return;
        entry.lease = renewed;
        if (!renewed) return lost();
      } catch (error) {
        entry.logger.warn('could not renew task lease', { error: toCeError(error).toJSON() });
        if (clock.now() >= lease.expiresAt) return lost();
      }
      if (active) cancel = clock.setTimer(every, () => void tick());
    };
    cancel = clock.setTimer(every, () => void tick());
    return () => {
      active = false;
      cancel();
    };
  }

  /** After a run: give the lease up if the run was cut short, else hold it for one interval. */
  async function settleLease(entry: TaskEntry, cause: AbortCause | undefined): Promise<void> {
    const lease = entry.lease;
    if (!leases || !lease || cause?.kind === 'lease-lost') return;
    try {
      if (cause?.kind === 'cancel' || cause?.kind === 'stop') {
        entry.lease = undefined;
        await leases.release(lease);
      } else {
        entry.lease = await leases.renew(lease, entry.intervalMs);
      }
    } catch (error) {
      entry.logger.warn('could not update task lease after run', { error: toCeError(error).toJSON() });
    }
  }

  async function execute(
    entry: TaskEntry,
    run: ActiveRun,
    kind: TaskRunTrigger,
    scheduledAt: number,
  ): Promise<TaskRunResult> {
    // Start asynchronously so `every` and `runNow` return before any task code or event runs.
    await Promise.resolve();
    const lease = await obtainLease(entry);
    if (lease !== 'ok' || run.cause || stopping || entry.cancelled) {
      if (lease === 'ok') await settleLease(entry, { kind: 'cancel', error: stoppedError() });
      const result = skipped(entry, kind, scheduledAt, lease === 'ok' ? 'stopped' : lease);
      finish(entry, run);
      scheduleNext(entry, nextDelay(entry));
      events.emit('task-run-skipped', result);
      return result;
    }

    const attempt = entry.consecutiveFailures + 1;
    const startedAt = clock.now();
    entry.runningSince = startedAt;
    events.emit('task-run-started', { name: entry.name, trigger: kind, attempt, scheduledAt, startedAt });

    const releaseLease = keepLease(entry, run);
    const cancelTimeout =
      entry.timeoutMs === undefined
        ? noop
        : clock.setTimer(entry.timeoutMs, () =>
            run.abort({
              kind: 'timeout',
              error: new CeError(
                'TIMEOUT',
                `task "${entry.name}" did not finish within ${formatDuration(entry.timeoutMs as number)}`,
              ),
            }),
          );
    const context: ScheduledTaskContext = {
      name: entry.name,
      signal: run.signal,
      attempt,
      scheduledAt,
      trigger: kind,
      logger: entry.logger,
    };
    const settled: Promise<Settled> = Promise.resolve()
      .then(() => entry.task(context))
      .then(
        () => ({ ok: true }) as const,
        (error: unknown) => ({ ok: false, error }) as const,
      );
    const first = await new Promise<Settled | { aborted: AbortCause }>((resolve) => {
      void settled.then(resolve);
      run.onAbort((cause) => resolve({ aborted: cause }));
    });
    cancelTimeout();
    if ('aborted' in first) {
      // Give a cooperative task the chance to clean up; a task that ignores its signal is abandoned.
      await new Promise<void>((resolve) => {
        const cancelGrace = clock.setTimer(abortGraceMs, resolve);
        void settled.then(() => {
          cancelGrace();
          resolve();
        });
      });
    }
    releaseLease();

    let outcome: TaskRunOutcome;
    let error: CeError | undefined;
    if ('aborted' in first) {
      outcome = first.aborted.kind === 'timeout' ? 'timed-out' : 'aborted';
      error = first.aborted.error;
    } else if (first.ok) {
      outcome = 'succeeded';
    } else {
      outcome = 'failed';
      error = toCeError(first.error);
    }
    const record: TaskRunRecord = {
      name: entry.name,
      trigger: kind,
      attempt,
      scheduledAt,
      startedAt,
      endedAt: clock.now(),
      outcome,
      ...(error ? { error: { code: error.code, message: error.message } } : {}),
    };
    if (outcome === 'succeeded') entry.consecutiveFailures = 0;
    else if (outcome !== 'aborted') entry.consecutiveFailures += 1;
    entry.lastRun = record;

    await settleLease(entry, run.cause);
    finish(entry, run);
    scheduleNext(entry, nextDelay(entry));

    const fields = { outcome, attempt, consecutiveFailures: entry.consecutiveFailures, error: record.error };
    if (outcome === 'succeeded') entry.logger.debug('task run succeeded', fields);
    else entry.logger.warn(`task run ${outcome}`, fields);
    events.emit('task-run-finished', {
      ...record,
      consecutiveFailures: entry.consecutiveFailures,
      ...(entry.nextRunAt === undefined ? {} : { nextRunAt: entry.nextRunAt }),
    });
    return record;
  }

  function statusOf(entry: TaskEntry): ScheduledTaskStatus {
    return {
      name: entry.name,
      intervalMs: entry.intervalMs,
      ...(entry.nextRunAt === undefined ? {} : { nextRunAt: entry.nextRunAt }),
      running: entry.current !== undefined,
      ...(entry.runningSince === undefined ? {} : { runningSince: entry.runningSince }),
      consecutiveFailures: entry.consecutiveFailures,
      ...(entry.lastRun ? { lastRun: { ...entry.lastRun } } : {}),
    };
  }

  const scheduler: Scheduler = {
    events,

    every(name, interval, task, taskOptions = {}) {
      if (stopping) throw stoppedError();
      if (typeof name !== 'string' || name.length === 0)
        throw invalid(String(name), 'name must not be empty');
      if (tasks.has(name))
        throw new CeError('CONFLICT', `a task named "${name}" is already scheduled`, {
          details: { task: name },
        });
      const intervalMs = parseInterval(name, interval);
      const jitter = taskOptions.jitter ?? 0;
      if (!(jitter >= 0 && jitter <= 1)) throw invalid(name, 'jitter must be a fraction between 0 and 1');
      const timeoutMs = taskOptions.timeoutMs;
      if (timeoutMs !== undefined && !(timeoutMs > 0)) throw invalid(name, 'timeoutMs must be positive');
      const entry: TaskEntry = {
        name,
        intervalMs,
        jitter,
        timeoutMs,
        backoff: resolveBackoff(name, intervalMs, taskOptions),
        task,
        logger: logger.child({ task: name }),
        cancelled: false,
        consecutiveFailures: 0,
      };
      tasks.set(name, entry);
      if (taskOptions.runImmediately) void trigger(entry, 'schedule', clock.now());
      else scheduleNext(entry, nextDelay(entry));
      return {
        name,
        runNow: () => scheduler.runNow(name),
        cancel: () => scheduler.cancel(name),
        status: () => scheduler.status(name),
      } satisfies ScheduledTask;
    },

    async runNow(name) {
      if (stopping) throw stoppedError();
      const entry = tasks.get(name);
      if (!entry) throw new CeError('NOT_FOUND', `no task named "${name}"`, { details: { task: name } });
      return trigger(entry, 'manual', clock.now());
    },

    async cancel(name) {
      const entry = tasks.get(name);
      if (!entry) return;
      tasks.delete(name);
      entry.cancelled = true;
      clearTimer(entry);
      const run = entry.current;
      if (!run) return;
      run.abort({ kind: 'cancel', error: new CeError('ABORTED', `task "${name}" was cancelled`) });
      await run.promise;
    },

    stop(stopOptions = {}) {
      if (stopped) return stopped;
      stopping = true;
      for (const entry of tasks.values()) clearTimer(entry);
      const runs = [...inFlight];
      stopped = (async () => {
        if (runs.length === 0) return;
        const cancelDeadline = clock.setTimer(stopOptions.timeoutMs ?? 30_000, () => {
          const error = new CeError('ABORTED', 'the scheduler stopped before the task finished');
          for (const run of runs) run.abort({ kind: 'stop', error });
        });
        await Promise.all(runs.map((run) => run.promise));
        cancelDeadline();
      })();
      return stopped;
    },

    status(name) {
      const entry = tasks.get(name);
      return entry ? statusOf(entry) : undefined;
    },

    list() {
      return [...tasks.values()].map(statusOf);
    },
  };
  return scheduler;
}
