import { describe, expect, it } from 'vitest';
import { CeError } from '../errors/ce-error.js';
import { createMemoryLogger } from '../logging/logger.js';
import { FakeClock } from '../time/clock.js';
import { createInProcessScheduler, type InProcessSchedulerOptions } from './in-process-scheduler.js';
import { createMemoryLeaseProvider, type LeaseProvider } from './lease-provider.js';
import type { Scheduler, TaskRunFinishedEvent, TaskRunResult } from './scheduler.js';

function setup(options: Omit<InProcessSchedulerOptions, 'clock'> = {}) {
  const clock = new FakeClock();
  const scheduler = createInProcessScheduler({ clock, ...options });
  const finished: TaskRunFinishedEvent[] = [];
  scheduler.events.on('task-run-finished', (event) => finished.push(event));
  return { clock, scheduler, finished, start: clock.now() };
}

/** A task whose calls are counted and which tracks how many of its runs overlap. */
function counter(body: (signal: AbortSignal) => Promise<void> = async () => {}) {
  const state = { calls: 0, active: 0, maxActive: 0, signals: [] as AbortSignal[] };
  const task = async ({ signal }: { signal: AbortSignal }): Promise<void> => {
    state.calls += 1;
    state.active += 1;
    state.maxActive = Math.max(state.maxActive, state.active);
    state.signals.push(signal);
    try {
      await body(signal);
    } finally {
      state.active -= 1;
    }
  };
  return { state, task };
}

function errorOf(action: () => unknown): CeError {
  try {
    action();
  } catch (error) {
    if (CeError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a CeError');
}

async function settledState<T>(promise: Promise<T>): Promise<'pending' | 'settled'> {
  let state: 'pending' | 'settled' = 'pending';
  promise.then(
    () => {
      state = 'settled';
    },
    () => {
      state = 'settled';
    },
  );
  await new Promise<void>((resolve) => setImmediate(resolve));
  return state;
}

describe('createInProcessScheduler: schedule', () => {
  it('runs a task once per interval, starting one interval after registration', async () => {
    const { clock, scheduler, finished, start } = setup();
    const { state, task } = counter();
    scheduler.every('pull', '1s', task);
    expect(scheduler.status('pull')).toMatchObject({
      intervalMs: 1000,
      nextRunAt: start + 1000,
      running: false,
    });

    await clock.advance(999);
    expect(state.calls).toBe(0);
    await clock.advance(1);
    expect(state.calls).toBe(1);
    await clock.advance(3000);
    expect(state.calls).toBe(4);

    expect(finished.map((run) => run.startedAt - start)).toEqual([1000, 2000, 3000, 4000]);
    expect(scheduler.status('pull')?.lastRun).toEqual({
      name: 'pull',
      trigger: 'schedule',
      attempt: 1,
      scheduledAt: start + 4000,
      startedAt: start + 4000,
      endedAt: start + 4000,
      outcome: 'succeeded',
    });
  });

  it('runs at once with runImmediately and hands the task its context', async () => {
    const logger = createMemoryLogger();
    const { clock, scheduler, start } = setup({ logger });
    const contexts: unknown[] = [];
    scheduler.every(
      'pull',
      1000,
      async (context) => {
        contexts.push({ ...context, signal: context.signal.aborted });
        context.logger.info('pulling');
      },
      { runImmediately: true },
    );
    await clock.advance(0);
    expect(contexts).toEqual([
      {
        name: 'pull',
        signal: false,
        attempt: 1,
        scheduledAt: start,
        trigger: 'schedule',
        logger: expect.anything(),
      },
    ]);
    expect(logger.records.find((r) => r.message === 'pulling')?.fields).toMatchObject({ task: 'pull' });
    expect(scheduler.status('pull')?.nextRunAt).toBe(start + 1000);
  });

  it('never overlaps a slow task with itself; the next run is due one interval after the last ended', async () => {
    const { clock, scheduler, finished, start } = setup();
    const { state, task } = counter((signal) => clock.sleep(2500, signal));
    scheduler.every('slow', 1000, task);

    await clock.advance(1500);
    expect(scheduler.status('slow')).toMatchObject({ running: true, runningSince: start + 1000 });
    expect(scheduler.status('slow')?.nextRunAt).toBeUndefined();

    for (let i = 0; i < 100; i++) await clock.advance(100);
    expect(state.maxActive).toBe(1);
    // starts at 1000, 4500, 8000: each 2500 of work plus 1000 of interval apart
    expect(finished.map((run) => [run.startedAt - start, run.endedAt - start])).toEqual([
      [1000, 3500],
      [4500, 7000],
      [8000, 10500],
    ]);
  });

  it('accepts a task whose function throws synchronously', async () => {
    const { clock, scheduler } = setup();
    const task = (() => {
      throw new Error('sync boom');
    }) as unknown as () => Promise<void>;
    scheduler.every('sync', 1000, task, { runImmediately: true });
    await clock.advance(0);
    expect(scheduler.status('sync')?.lastRun).toMatchObject({
      outcome: 'failed',
      error: { code: 'INTERNAL', message: 'sync boom' },
    });
  });
});

describe('createInProcessScheduler: runNow', () => {
  it('runs an idle task now and reschedules one interval after it', async () => {
    const { clock, scheduler, start } = setup();
    const { state, task } = counter();
    scheduler.every('pull', 1000, task);
    await clock.advance(400);

    const result = await scheduler.runNow('pull');
    expect(result).toMatchObject({ outcome: 'succeeded', trigger: 'manual', scheduledAt: start + 400 });
    expect(state.calls).toBe(1);
    expect(scheduler.status('pull')?.nextRunAt).toBe(start + 1400);
    await clock.advance(600);
    expect(state.calls).toBe(1);
    await clock.advance(400);
    expect(state.calls).toBe(2);
  });

  it('coalesces with the run in flight instead of starting another', async () => {
    const { clock, scheduler } = setup();
    const { state, task } = counter((signal) => clock.sleep(500, signal));
    const handle = scheduler.every('slow', 1000, task);

    const first = handle.runNow();
    await clock.advance(100);
    const second = scheduler.runNow('slow');
    await clock.advance(400);
    const [a, b] = await Promise.all([first, second]);
    expect(a).toBe(b);
    expect(a).toMatchObject({ outcome: 'succeeded', trigger: 'manual' });
    expect(state.calls).toBe(1);
    expect(state.maxActive).toBe(1);
  });

  it('rejects with NOT_FOUND for an unknown task', async () => {
    const { scheduler } = setup();
    await expect(scheduler.runNow('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('createInProcessScheduler: jitter and backoff', () => {
  it('adds between 0 and jitter × delay, never less', async () => {
    const draws = [0, 0.999, 0.5];
    const { clock, scheduler, finished, start } = setup({ random: () => draws.shift() ?? 0 });
    scheduler.every('pull', 1000, async () => {}, { jitter: 0.5 });
    expect(scheduler.status('pull')?.nextRunAt).toBe(start + 1000);
    await clock.advance(1000);
    expect(finished[0]?.nextRunAt).toBe(start + 1000 + 1499);
    await clock.advance(1499);
    expect(finished[1]?.nextRunAt).toBe(start + 2499 + 1250);
  });

  it('rejects jitter outside 0..1', () => {
    const { scheduler } = setup();
    expect(errorOf(() => scheduler.every('pull', 1000, async () => {}, { jitter: 1.5 })).code).toBe(
      'CONFIG_INVALID',
    );
    expect(errorOf(() => scheduler.every('pull', 'often', async () => {})).code).toBe('CONFIG_INVALID');
    expect(errorOf(() => scheduler.every('pull', 0, async () => {})).code).toBe('CONFIG_INVALID');
  });

  it('backs off exponentially up to the maximum after consecutive failures and resets on success', async () => {
    const { clock, scheduler, finished } = setup();
    let calls = 0;
    scheduler.every(
      'flaky',
      1000,
      async () => {
        calls += 1;
        if (calls <= 5) throw new CeError('HTTP_NETWORK', 'connection refused');
      },
      { backoff: { initialMs: 1000, maxMs: 8000, factor: 2 } },
    );
    for (let i = 0; i < 40 && finished.length < 7; i++) await clock.advance(1000);

    expect(finished.map((run) => run.outcome)).toEqual([
      'failed',
      'failed',
      'failed',
      'failed',
      'failed',
      'succeeded',
      'succeeded',
    ]);
    expect(finished.map((run) => run.attempt)).toEqual([1, 2, 3, 4, 5, 6, 1]);
    expect(finished.map((run) => run.consecutiveFailures)).toEqual([1, 2, 3, 4, 5, 0, 0]);
    expect(finished.map((run) => (run.nextRunAt as number) - run.endedAt)).toEqual([
      1000, 2000, 4000, 8000, 8000, 1000, 1000,
    ]);
    expect(finished[0]?.error).toEqual({ code: 'HTTP_NETWORK', message: 'connection refused' });
  });

  it('never backs off below the interval, and not at all with backoff: false', async () => {
    const { clock, scheduler, finished } = setup();
    const fail = async (): Promise<void> => {
      throw new Error('down');
    };
    scheduler.every('short-backoff', 5000, fail, { backoff: { initialMs: 100, maxMs: 20_000 } });
    scheduler.every('no-backoff', 5000, fail, { backoff: false });
    for (let i = 0; i < 30; i++) await clock.advance(1000);
    const delays = (name: string) =>
      finished.filter((run) => run.name === name).map((run) => (run.nextRunAt as number) - run.endedAt);
    expect(delays('short-backoff')).toEqual([5000, 5000, 5000, 5000, 5000, 5000]);
    expect(delays('no-backoff')).toEqual([5000, 5000, 5000, 5000, 5000, 5000]);
  });
});

describe('createInProcessScheduler: containment', () => {
  it('times out a hung task, aborts its signal, and keeps other tasks running', async () => {
    const { clock, scheduler, finished, start } = setup({ abortGraceMs: 100 });
    const hung = counter(() => new Promise<void>(() => {}));
    const healthy = counter();
    scheduler.every('hung', 1000, hung.task, { timeoutMs: 500 });
    scheduler.every('healthy', 300, healthy.task);

    await clock.advance(1499);
    expect(hung.state.signals[0]?.aborted).toBe(false);
    await clock.advance(1);
    expect(hung.state.signals[0]?.aborted).toBe(true);
    expect(hung.state.signals[0]?.reason).toMatchObject({ code: 'TIMEOUT' });
    await clock.advance(99);
    expect(scheduler.status('hung')?.running).toBe(true); // the grace period
    await clock.advance(1);
    expect(scheduler.status('hung')).toMatchObject({ running: false, consecutiveFailures: 1 });
    expect(scheduler.status('hung')?.lastRun).toMatchObject({
      outcome: 'timed-out',
      startedAt: start + 1000,
      endedAt: start + 1600, // timeout plus the grace it ignored
      error: { code: 'TIMEOUT' },
    });

    await clock.advance(1400);
    expect(hung.state.calls).toBe(2);
    expect(healthy.state.calls).toBe(10);
    expect(finished.filter((run) => run.name === 'healthy').every((run) => run.outcome === 'succeeded')).toBe(
      true,
    );
  });

  it('records a cooperative task at its timeout without waiting for the grace period', async () => {
    const { clock, scheduler, start } = setup({ abortGraceMs: 10_000 });
    scheduler.every('cooperative', 1000, ({ signal }) => clock.sleep(60_000, signal), { timeoutMs: 500 });
    await clock.advance(1500);
    expect(scheduler.status('cooperative')?.lastRun).toMatchObject({
      outcome: 'timed-out',
      endedAt: start + 1500,
    });
  });

  it('contains a task that throws and records it as the last run', async () => {
    const { clock, scheduler } = setup();
    const calls: number[] = [];
    scheduler.every('broken', 1000, async () => {
      calls.push(clock.now());
      throw new Error('boom');
    });
    await clock.advance(1000);
    expect(scheduler.status('broken')).toMatchObject({
      running: false,
      consecutiveFailures: 1,
      lastRun: { outcome: 'failed', error: { code: 'INTERNAL', message: 'boom' } },
    });
    await clock.advance(1000);
    expect(calls).toHaveLength(2);
    expect(scheduler.status('broken')?.consecutiveFailures).toBe(2);
  });
});

describe('createInProcessScheduler: cancel, stop and errors', () => {
  it('cancel aborts the run in flight, resolves once it is recorded, and frees the name', async () => {
    const { clock, scheduler, finished } = setup();
    const { state, task } = counter((signal) => clock.sleep(5000, signal));
    const handle = scheduler.every('pull', 1000, task);
    await clock.advance(1200);
    expect(handle.status()?.running).toBe(true);

    await handle.cancel();
    expect(state.signals[0]?.aborted).toBe(true);
    expect(finished.at(-1)).toMatchObject({ outcome: 'aborted', error: { code: 'ABORTED' } });
    expect(finished.at(-1)?.nextRunAt).toBeUndefined();
    expect(scheduler.status('pull')).toBeUndefined();
    expect(scheduler.list()).toEqual([]);

    await clock.advance(10_000);
    expect(state.calls).toBe(1);
    await expect(scheduler.cancel('pull')).resolves.toBeUndefined();
    expect(() => scheduler.every('pull', 1000, task)).not.toThrow();
  });

  it('cancel of an idle task stops its future runs', async () => {
    const { clock, scheduler } = setup();
    const { state, task } = counter();
    scheduler.every('pull', 1000, task);
    await clock.advance(1000);
    await scheduler.cancel('pull');
    await clock.advance(5000);
    expect(state.calls).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('stop waits for running tasks to finish and schedules nothing more', async () => {
    const { clock, scheduler } = setup();
    const slow = counter(() => clock.sleep(2000));
    const idle = counter();
    scheduler.every('slow', 1000, slow.task);
    scheduler.every('idle', 5000, idle.task);
    await clock.advance(1000);

    const stopped = scheduler.stop({ timeoutMs: 5000 });
    await clock.advance(1000);
    expect(await settledState(stopped)).toBe('pending');
    await clock.advance(1000);
    await stopped;
    expect(scheduler.status('slow')?.lastRun).toMatchObject({ outcome: 'succeeded' });
    expect(slow.state.signals[0]?.aborted).toBe(false);
    expect(scheduler.list().map((task) => task.nextRunAt)).toEqual([undefined, undefined]);

    await clock.advance(20_000);
    expect(slow.state.calls).toBe(1);
    expect(idle.state.calls).toBe(0);
    expect(scheduler.stop()).toBe(stopped);
  });

  it('stop aborts tasks still running after its timeout', async () => {
    const { clock, scheduler, start } = setup();
    const { state, task } = counter((signal) => clock.sleep(1_000_000, signal));
    scheduler.every('endless', 1000, task);
    await clock.advance(1000);

    const stopped = scheduler.stop({ timeoutMs: 3000 });
    await clock.advance(2999);
    expect(await settledState(stopped)).toBe('pending');
    await clock.advance(1);
    await stopped;
    expect(state.signals[0]?.aborted).toBe(true);
    expect(scheduler.status('endless')?.lastRun).toMatchObject({
      outcome: 'aborted',
      endedAt: start + 4000,
      error: { code: 'ABORTED' },
    });
  });

  it('refuses new work after stop with SCHEDULER_STOPPED', async () => {
    const { scheduler } = setup();
    scheduler.every('pull', 1000, async () => {});
    await scheduler.stop();
    expect(errorOf(() => scheduler.every('other', 1000, async () => {})).code).toBe('SCHEDULER_STOPPED');
    await expect(scheduler.runNow('pull')).rejects.toMatchObject({ code: 'SCHEDULER_STOPPED' });
  });

  it('rejects a duplicate name with CONFLICT', () => {
    const { scheduler } = setup();
    scheduler.every('pull', 1000, async () => {});
    const error = errorOf(() => scheduler.every('pull', 2000, async () => {}));
    expect(error.code).toBe('CONFLICT');
    expect(scheduler.status('pull')?.intervalMs).toBe(1000);
  });

  it('publishes task-run-started before task-run-finished', async () => {
    const { clock, scheduler } = setup();
    const seen: string[] = [];
    scheduler.events.on('task-run-started', (event) => seen.push(`started ${event.name} #${event.attempt}`));
    scheduler.events.on('task-run-finished', (event) => seen.push(`finished ${event.name} ${event.outcome}`));
    scheduler.every('pull', 1000, async () => {
      seen.push('task');
    });
    await clock.advance(1000);
    expect(seen).toEqual(['started pull #1', 'task', 'finished pull succeeded']);
  });
});

describe('createInProcessScheduler: leases', () => {
  function pair() {
    const clock = new FakeClock();
    const leases = createMemoryLeaseProvider({ clock });
    const a = createInProcessScheduler({ clock, leases });
    const b = createInProcessScheduler({ clock, leases });
    const runs: string[] = [];
    const skips: string[] = [];
    const register = (scheduler: Scheduler, host: string) => {
      scheduler.events.on('task-run-skipped', (event) => skips.push(`${host} ${event.reason}`));
      return scheduler.every('pull', 1000, async () => {
        runs.push(host);
      });
    };
    return { clock, a, b, runs, skips, handles: [register(a, 'a'), register(b, 'b')] as const };
  }

  it('two schedulers sharing a lease provider run the task once per interval between them', async () => {
    const { clock, runs, skips } = pair();
    for (let i = 0; i < 5; i++) await clock.advance(1000);
    expect(runs).toHaveLength(5);
    expect(skips).toHaveLength(5);
    expect(skips.every((skip) => skip.endsWith('lease-held'))).toBe(true);
  });

  it('the other scheduler takes over when the holder cancels the task', async () => {
    const { clock, runs, handles } = pair();
    await clock.advance(1000);
    const first = runs[0];
    await (first === 'a' ? handles[0] : handles[1]).cancel();
    runs.length = 0;
    for (let i = 0; i < 4; i++) await clock.advance(1000);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.every((host) => host !== first)).toBe(true);
  });

  it('runNow on the host not holding the lease is skipped', async () => {
    const { clock, a, b, runs } = pair();
    await clock.advance(1000);
    const [holder, other] = runs[0] === 'a' ? [a, b] : [b, a];
    const skipped: TaskRunResult = await other.runNow('pull');
    expect(skipped).toMatchObject({ outcome: 'skipped', reason: 'lease-held', trigger: 'manual' });
    expect(await holder.runNow('pull')).toMatchObject({ outcome: 'succeeded' });
    expect(runs).toHaveLength(2);
  });

  it('aborts a run whose lease was taken by another holder', async () => {
    const clock = new FakeClock();
    const memory = createMemoryLeaseProvider({ clock });
    const leases: LeaseProvider = { ...memory, renew: async () => undefined };
    const scheduler = createInProcessScheduler({ clock, leases, leaseTtlMs: 300 });
    const { state, task } = counter((signal) => clock.sleep(5000, signal));
    scheduler.every('pull', 1000, task, { runImmediately: true });
    await clock.advance(100);
    expect(state.signals[0]?.aborted).toBe(true);
    expect(scheduler.status('pull')?.lastRun).toMatchObject({
      outcome: 'aborted',
      error: { code: 'ABORTED', message: 'task "pull" lost its lease to another scheduler' },
    });
    expect(scheduler.status('pull')?.consecutiveFailures).toBe(0);
  });

  it('skips the run and logs when the lease provider fails', async () => {
    const clock = new FakeClock();
    const logger = createMemoryLogger();
    const leases: LeaseProvider = {
      acquire: async () => {
        throw new Error('database unavailable');
      },
      renew: async () => undefined,
      release: async () => {},
    };
    const scheduler = createInProcessScheduler({ clock, leases, logger });
    const { state, task } = counter();
    scheduler.every('pull', 1000, task);
    expect(await scheduler.runNow('pull')).toMatchObject({ outcome: 'skipped', reason: 'lease-error' });
    expect(state.calls).toBe(0);
    expect(logger.records.some((record) => record.level === 'warn')).toBe(true);
  });
});
