import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from '../time/clock.js';

/** A time-limited, exclusive claim on a task, held by one scheduler. */
export interface TaskLease {
  /** The task's name; one lease per name at a time. */
  readonly name: string;
  /** Identifies this holder's claim; renew and release only act when it still matches. */
  readonly token: string;
  /** Epoch milliseconds after which anyone may acquire the lease again. */
  readonly expiresAt: number;
}

/**
 * Hands out exclusive, expiring leases on task names, so that several schedulers sharing one
 * provider run each task on one host at a time. A scheduler given a provider (see
 * `InProcessSchedulerOptions.leases`) acquires the task's lease before each run, renews it while
 * the run lasts, and then keeps it for one interval after the run ended; another host that comes
 * due meanwhile skips. The effect cluster-wide is the single-host rule: a run starts at least one
 * interval after the previous run, wherever it ran, ended. A host that dies mid-run frees the task
 * once its lease expires.
 *
 * Implementations must make `acquire` atomic. A PostgreSQL implementation fits one table
 * `task_leases(name text primary key, token text, expires_at timestamptz)` and the database's
 * clock (so hosts with skewed clocks agree):
 *
 * - acquire: `INSERT ... ON CONFLICT (name) DO UPDATE SET token = $2, expires_at = now() + $3
 *   WHERE task_leases.expires_at <= now() RETURNING *` (no row back: held elsewhere);
 * - renew: `UPDATE ... SET expires_at = now() + $3 WHERE name = $1 AND token = $2 RETURNING *`;
 * - release: `DELETE ... WHERE name = $1 AND token = $2`.
 *
 * Errors (the database is down) are thrown; the scheduler then skips the run rather than risk a
 * duplicate, and logs a warning.
 */
export interface LeaseProvider {
  /**
   * Claims the lease on `name` for `ttlMs` when nobody holds it or the last lease expired.
   * Resolves to `undefined` when another holder has it.
   */
  acquire(name: string, ttlMs: number): Promise<TaskLease | undefined>;
  /**
   * Extends a lease to `ttlMs` from now. Succeeds while nobody else has acquired the name, even
   * just after expiry; resolves to `undefined` when the lease was lost to another holder.
   */
  renew(lease: TaskLease, ttlMs: number): Promise<TaskLease | undefined>;
  /** Gives the lease up early; does nothing when it was already lost or released. */
  release(lease: TaskLease): Promise<void>;
}

/** Options of {@link createMemoryLeaseProvider}. */
export interface MemoryLeaseProviderOptions {
  /**
   * Time source for expiry; share the schedulers' clock in tests.
   * @default systemClock
   */
  clock?: Clock;
}

/**
 * A {@link LeaseProvider} in memory: exclusive between schedulers in one process. For tests and
 * for showing how a shared provider (PostgreSQL) behaves.
 *
 * @example
 * ```ts
 * const clock = new FakeClock();
 * const leases = createMemoryLeaseProvider({ clock });
 * const a = createInProcessScheduler({ clock, leases });
 * const b = createInProcessScheduler({ clock, leases });
 * // a task registered on both runs once per interval between them
 * ```
 */
export function createMemoryLeaseProvider(options: MemoryLeaseProviderOptions = {}): LeaseProvider {
  const clock = options.clock ?? systemClock;
  const held = new Map<string, TaskLease>();
  const grant = (name: string, token: string, ttlMs: number): TaskLease => {
    const lease: TaskLease = { name, token, expiresAt: clock.now() + Math.max(0, ttlMs) };
    held.set(name, lease);
    return { ...lease };
  };
  return {
    async acquire(name, ttlMs) {
      const current = held.get(name);
      if (current && current.expiresAt > clock.now()) return undefined;
      return grant(name, randomUUID(), ttlMs);
    },
    async renew(lease, ttlMs) {
      if (held.get(lease.name)?.token !== lease.token) return undefined;
      return grant(lease.name, lease.token, ttlMs);
    },
    async release(lease) {
      if (held.get(lease.name)?.token === lease.token) held.delete(lease.name);
    },
  };
}
