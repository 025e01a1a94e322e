import type { ErrorCode } from '../errors/error-codes.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logging/logger.js';

/** Why a run started: its interval came due (`schedule`) or someone called `runNow` (`manual`). */
export type TaskRunTrigger = 'schedule' | 'manual';

/**
 * How a run ended.
 *
 * - `succeeded`: the task's promise resolved.
 * - `failed`: the task threw or its promise rejected.
 * - `timed-out`: the task outlived `timeoutMs`; its signal was aborted.
 * - `aborted`: the run was cancelled, the scheduler stopped, or this host lost the task's lease.
 */
export type TaskRunOutcome = 'succeeded' | 'failed' | 'timed-out' | 'aborted';

/** What the scheduler passes to each run of a task. */
export interface ScheduledTaskContext {
  /** The task's name. */
  readonly name: string;
  /**
   * Aborted when the run times out, is cancelled, the scheduler stops, or the lease is lost. Its
   * `reason` is a `CeError` (`TIMEOUT` or `ABORTED`). Pass it to every HTTP call and sleep.
   */
  readonly signal: AbortSignal;
  /** 1 for a run after a success (or the first run), `n + 1` after `n` consecutive failures. */
  readonly attempt: number;
  /** Epoch milliseconds at which the run was due (for `runNow`, when it was called). */
  readonly scheduledAt: number;
  /** What started the run. */
  readonly trigger: TaskRunTrigger;
  /** The scheduler's logger with the task name bound; a no-op logger when none was given. */
  readonly logger: Logger;
}

/** The work of a task. Resolve to succeed; throw or reject to fail. */
export type ScheduledTaskFunction = (context: ScheduledTaskContext) => Promise<void>;

/** Exponential backoff applied to the delay after consecutive failures. */
export interface SchedulerBackoffOptions {
  /**
   * Backoff after the first failure; the delay is never shorter than the interval.
   * @default the task's interval
   */
  initialMs?: number;
  /**
   * Longest backoff.
   * @default the larger of the interval and one hour
   */
  maxMs?: number;
  /**
   * Growth per further consecutive failure; at least 1.
   * @default 2
   */
  factor?: number;
}

/** Options of {@link Scheduler.every}. */
export interface ScheduleTaskOptions {
  /**
   * Random extra delay, as a fraction (0 to 1) of each delay: a delay `d` becomes a value in
   * `[d, d·(1 + jitter))`. Spreads hosts and tasks that started together; never shortens a delay.
   * @default 0
   */
  jitter?: number;
  /**
   * Start the first run right away instead of one interval after `every`.
   * @default false
   */
  runImmediately?: boolean;
  /**
   * Longest a run may take; then its signal is aborted and the run recorded as `timed-out`.
   * @default no limit
   */
  timeoutMs?: number;
  /**
   * Backoff after consecutive failures, or `false` to keep the plain interval.
   * @default `{ initialMs: interval, maxMs: max(interval, 1h), factor: 2 }`
   */
  backoff?: SchedulerBackoffOptions | false;
}

/** The error of a run, reduced to what is safe and useful to show. */
export interface TaskRunError {
  /** Stable code, normalized with `toCeError` (`INTERNAL` for foreign errors). */
  code: ErrorCode;
  /** Message, with secrets redacted. */
  message: string;
}

/** The record of one run that started. */
export interface TaskRunRecord {
  /** The task's name. */
  name: string;
  /** What started the run. */
  trigger: TaskRunTrigger;
  /** The run's attempt number (see {@link ScheduledTaskContext.attempt}). */
  attempt: number;
  /** Epoch milliseconds at which the run was due. */
  scheduledAt: number;
  /** Epoch milliseconds at which the task was called. */
  startedAt: number;
  /** Epoch milliseconds at which the scheduler recorded the end of the run. */
  endedAt: number;
  /** How it ended. */
  outcome: TaskRunOutcome;
  /** Why it did not succeed; absent on success. */
  error?: TaskRunError;
}

/**
 * A run that was due but did not start: another host holds the task's lease (`lease-held`), the
 * lease provider failed (`lease-error`), or the task or scheduler stopped first (`stopped`).
 * Skips do not count as failures and do not replace {@link ScheduledTaskStatus.lastRun}.
 */
export interface SkippedTaskRun {
  /** Discriminates a skip from a {@link TaskRunRecord}. */
  outcome: 'skipped';
  /** The task's name. */
  name: string;
  /** What asked for the run. */
  trigger: TaskRunTrigger;
  /** Epoch milliseconds at which the run was due. */
  scheduledAt: number;
  /** Epoch milliseconds at which the scheduler gave up on it. */
  at: number;
  /** Why it did not start. */
  reason: 'lease-held' | 'lease-error' | 'stopped';
}

/** What {@link Scheduler.runNow} resolves to: the run's record, or why it did not start. */
export type TaskRunResult = TaskRunRecord | SkippedTaskRun;

/** A task's state, as reported by {@link Scheduler.status} and {@link Scheduler.list}. */
export interface ScheduledTaskStatus {
  /** The task's name. */
  name: string;
  /** The interval between the end of one run and the start of the next, before jitter and backoff. */
  intervalMs: number;
  /** Epoch milliseconds of the next scheduled run; absent while a run is in flight or once stopped. */
  nextRunAt?: number;
  /** Whether a run is in flight. */
  running: boolean;
  /** Epoch milliseconds at which the in-flight run started. */
  runningSince?: number;
  /** `failed` and `timed-out` runs since the last success. */
  consecutiveFailures: number;
  /** The last run that started on this host, once there is one. */
  lastRun?: TaskRunRecord;
}

/** Payload of `task-run-started`. */
export interface TaskRunStartedEvent {
  /** The task's name. */
  name: string;
  /** What started the run. */
  trigger: TaskRunTrigger;
  /** The run's attempt number. */
  attempt: number;
  /** Epoch milliseconds at which the run was due. */
  scheduledAt: number;
  /** Epoch milliseconds at which the task was called. */
  startedAt: number;
}

/** Payload of `task-run-finished`: the run's record and the task's state after it. */
export interface TaskRunFinishedEvent extends TaskRunRecord {
  /** Consecutive failures including this run. */
  consecutiveFailures: number;
  /** When the task runs next; absent when it was cancelled or the scheduler is stopping. */
  nextRunAt?: number;
}

/** Events a scheduler emits, named noun-verb. */
export type SchedulerEvents = {
  /** A run started (its task function is being called). */
  'task-run-started': TaskRunStartedEvent;
  /** A run that started has ended, whatever the outcome. */
  'task-run-finished': TaskRunFinishedEvent;
  /** A due run did not start (lease held elsewhere, lease error, stopping). */
  'task-run-skipped': SkippedTaskRun;
};

/** A handle on one task, returned by {@link Scheduler.every}. */
export interface ScheduledTask {
  /** The task's name. */
  readonly name: string;
  /** Same as `scheduler.runNow(name)`. */
  runNow(): Promise<TaskRunResult>;
  /** Same as `scheduler.cancel(name)`. */
  cancel(): Promise<void>;
  /** Same as `scheduler.status(name)`. */
  status(): ScheduledTaskStatus | undefined;
}

/** Options of {@link Scheduler.stop}. */
export interface SchedulerStopOptions {
  /**
   * How long to let in-flight runs finish before aborting them through their signals.
   * @default 30000
   */
  timeoutMs?: number;
}

/**
 * Runs named tasks at intervals, never overlapping a task with itself, with jitter, a timeout,
 * backoff after failures and a record of the last run.
 *
 * Engines depend on {@link Scheduler} only. Today `createInProcessScheduler` implements it
 * in one process; given a shared `LeaseProvider` (for example one backed by PostgreSQL) the
 * same implementation runs each task once cluster-wide, so callers do not change when a host
 * becomes several.
 *
 * Semantics every implementation keeps:
 *
 * - **Fixed delay.** The next run is due one delay after the previous run ended (not after it
 *   started), so a slow run pushes the schedule back instead of piling runs up.
 * - **No overlap.** A task has at most one run in flight. {@link Scheduler.runNow} while a run is
 *   in flight does not start a second one: it returns the in-flight run's promise.
 * - **Jitter only delays.** With `jitter: 0.1` a delay `d` becomes a value in `[d, 1.1·d)`. A task
 *   never runs more often than its interval, which matters for vendor APIs with quotas.
 * - **Backoff.** After `n` consecutive failures (`failed` or `timed-out`) the delay is
 *   `max(interval, min(backoff.maxMs, backoff.initialMs · backoff.factor^(n-1)))`; one success
 *   resets it. Failures are counted per host.
 * - **Containment.** A task that throws is recorded as `failed`; one that outlives `timeoutMs` has
 *   its signal aborted and is recorded as `timed-out`. Neither affects other tasks.
 * - **Aborting abandons.** When a run is aborted (timeout, {@link Scheduler.cancel},
 *   {@link Scheduler.stop} after its timeout, lost lease) its signal fires and the scheduler waits
 *   a short grace period for the task to settle, then records the run and moves on even if the
 *   task ignores the signal. Tasks should pass `ctx.signal` to everything that waits.
 *
 * @example
 * ```ts
 * const scheduler = createInProcessScheduler({ logger });
 * scheduler.every('cte-pull-netskope', '5m', async ({ signal }) => pull(signal), {
 *   jitter: 0.1,
 *   timeoutMs: 60_000,
 * });
 * scheduler.events.on('task-run-finished', (run) => metrics.count(run.name, run.outcome));
 * // on shutdown
 * await scheduler.stop({ timeoutMs: 10_000 });
 * ```
 */
export interface Scheduler {
  /** Where `task-run-started`, `task-run-finished` and `task-run-skipped` are published. */
  readonly events: EventBus<SchedulerEvents>;

  /**
   * Registers a task that runs every `interval` (milliseconds, or a duration such as `'5m'`).
   *
   * @throws CeError `CONFLICT` when a task of that name is registered, `CONFIG_INVALID` for a bad
   *   interval or option, `SCHEDULER_STOPPED` after {@link Scheduler.stop}.
   */
  every(
    name: string,
    interval: number | string,
    task: ScheduledTaskFunction,
    options?: ScheduleTaskOptions,
  ): ScheduledTask;

  /**
   * Starts a run now, unless one is in flight: then it returns that run's promise (the calls are
   * coalesced, no second run is queued). The next scheduled run is due one delay after this run
   * ends. Never rejects because the task failed: the outcome is in the result.
   *
   * Rejects with CeError `NOT_FOUND` for an unknown name, `SCHEDULER_STOPPED` after `stop`.
   */
  runNow(name: string): Promise<TaskRunResult>;

  /**
   * Removes a task: no further runs, and an in-flight run is aborted through its signal (recorded
   * as `aborted`). Resolves once the in-flight run has been recorded; the name is free again at
   * once. Resolves without effect for an unknown name.
   */
  cancel(name: string): Promise<void>;

  /**
   * Stops scheduling runs, waits for in-flight runs to finish, aborts those still running after
   * `timeoutMs`, and resolves once every run has been recorded. Calling it again returns the same
   * promise. Afterwards `every` throws and `runNow` rejects with `SCHEDULER_STOPPED`; `status` and
   * `list` keep working.
   */
  stop(options?: SchedulerStopOptions): Promise<void>;

  /** The state of one task, or `undefined` when no task has that name. */
  status(name: string): ScheduledTaskStatus | undefined;

  /** The state of every registered task, in registration order. */
  list(): ScheduledTaskStatus[];
}
