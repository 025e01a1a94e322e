/**
 * Sends the orchestrator's outbox to destinations: every remote write is marked `in_flight` in
 * the store before its plugin is called and completed, with the ticket's new state, in one commit
 * after. A write whose outcome is unknown (found in flight after a crash, a timeout, a malformed
 * answer) never opens a second ticket: the create looks the ticket up by its idempotency key
 * first, repeats only where the destination says a repeat is harmless, and otherwise fails
 * visibly for a person to check.
 *
 * @module
 */
import {
  type Alert,
  CeError,
  type OutboxEntry,
  type RemoteTicket,
  type StoredAlert,
  type Ticket,
  type TicketStatus,
  toCeError,
} from '@ce/core';
import type { DeliveryOptions, OutboxRunReport } from './delivery-options.js';
import {
  backoffMs,
  checkRemoteTicket,
  commitWithTicket,
  type DestinationProfile,
  describeDestination,
  isOutcomeUnknown,
  mapRemoteStatus,
  retryAfterOf,
  ticketErrorOf,
  withoutError,
  withStatus,
} from './delivery-support.js';
import { type DestinationLimiters, sharedDestinationLimiters } from './destination-limiters.js';

/** `nextAttemptAt` of an entry nothing should pick up again by itself (the largest valid date). */
const never = 8_640_000_000_000_000;
/** The longest `Retry-After` honoured as given; a server asking for more is asked again after this. */
const longestRetryAfterMs = 86_400_000;
const waitingForCreate = 'waiting for the ticket to be created on its destination';

type Outcome = 'sent' | 'adopted' | 'retried' | 'failed' | 'deferred';

/** What one run resolves once per destination configuration. */
type Profiles = Map<string, Promise<DestinationProfile | CeError>>;

const operationOrder = (entry: OutboxEntry): number => (entry.operation === 'create' ? 0 : 1);

/** A ticket's writes in the order they were decided; a create made in the same instant goes first. */
function inOrder(a: OutboxEntry, b: OutboxEntry): number {
  return (
    a.createdAt - b.createdAt ||
    operationOrder(a) - operationOrder(b) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

function isWaitingForCreate(entry: OutboxEntry): boolean {
  return entry.lastError?.message === waitingForCreate;
}

function asAlerts(value: unknown): Alert[] {
  return Array.isArray(value) ? (value as Alert[]) : [];
}

function asFields(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function emptyReport(): OutboxRunReport {
  return { sent: 0, adopted: 0, retried: 0, failed: 0, waiting: 0, requeued: 0, recovered: 0 };
}

/**
 * Delivers due outbox entries: each ticket's writes one at a time in the order they were
 * decided (a comment waits for its create), up to `concurrency` calls at once per destination,
 * within the destination's declared rate limit. Retryable failures (429, 5xx, network, timeouts)
 * back off exponentially with jitter or as `Retry-After` asks; others (400, 401, 403, 404,
 * validation, a plugin's malformed answer) fail the write at once, and a failed create marks its
 * ticket `failed` with the error and is tried again every `failedRetryIntervalMs`.
 *
 * @example
 * ```ts
 * const outbox = new OutboxProcessor({ store, plugins, clock, logger, queue: (id) => queues.get(id) });
 * await outbox.recover(); // once, at start
 * scheduler.every('cto-deliver', 5_000, () => outbox.runOnce());
 * ```
 */
export class OutboxProcessor {
  private readonly limiters: DestinationLimiters;
  private readonly active = new Set<string>();
  private running: Promise<unknown> = Promise.resolve();

  /** See {@link DeliveryOptions}. */
  constructor(private readonly options: DeliveryOptions) {
    this.limiters = options.limiters ?? sharedDestinationLimiters(options.plugins, options.clock);
  }

  private get callTimeoutMs(): number {
    return this.options.callTimeoutMs ?? 60_000;
  }

  /**
   * Marks every entry left `in_flight` (the process stopped during its call) as of unknown
   * outcome and due now, so that the next run looks before it writes. Call it once at start,
   * before the first {@link OutboxProcessor.runOnce}. Resolves with how many it found.
   */
  async recover(): Promise<number> {
    return this.recoverInFlight(undefined);
  }

  /**
   * Sends the entries due now (at most `limit`, default `batchSize`), after putting back failed
   * creates whose retry interval has passed and recovering writes stuck in flight. Runs one at a
   * time: a call while a run is under way starts when it ends.
   */
  runOnce(options: { limit?: number } = {}): Promise<OutboxRunReport> {
    const run = this.running.then(() => this.run(options.limit ?? this.options.batchSize ?? 500));
    this.running = run.catch(() => undefined);
    return run;
  }

  /**
   * Sends a ticket's failed writes again now, for a person who fixed the cause (a permission, a
   * field) or checked that a create of unknown outcome did not arrive. A create is still looked
   * up by key first where the destination can. Resolves with how many writes were put back.
   */
  async retry(ticketId: string): Promise<number> {
    const { store, clock } = this.options;
    const failed = await store.queryOutbox({ ticketId, states: ['failed'], limit: 1_000 });
    if (failed.items.length === 0) return 0;
    const now = clock.now();
    await store.commit({
      outbox: failed.items.map((entry) => {
        const { ambiguous: _checked, ...payload } = entry.payload;
        return {
          ...entry,
          payload,
          state: 'pending' as const,
          attempts: 0,
          nextAttemptAt: now,
          updatedAt: now,
        };
      }),
    });
    return failed.items.length;
  }

  // ---- a run ---------------------------------------------------------------------------------

  private async run(limit: number): Promise<OutboxRunReport> {
    const { store, clock } = this.options;
    const report = emptyReport();
    const now = clock.now();
    report.recovered = await this.recoverInFlight(now);
    report.requeued = await this.requeueFailed(now);
    const due = await store.queryOutbox({ states: ['pending'], dueBy: now, limit: Math.max(1, limit) });
    const byTicket = new Map<string, OutboxEntry[]>();
    for (const entry of due.items) {
      const list = byTicket.get(entry.ticketId);
      if (list) list.push(entry);
      else byTicket.set(entry.ticketId, [entry]);
    }
    const profiles: Profiles = new Map();
    await Promise.all(
      [...byTicket].map(([ticketId, entries]) =>
        this.lane(ticketId, entries.length, now, profiles, report).catch((error: unknown) => {
          // The store failed under this ticket's writes; they stay as stored and the next run resumes them.
          report.waiting += entries.length;
          this.options.logger.error('delivery of a ticket stopped', {
            ticketId,
            code: toCeError(error).code,
          });
        }),
      ),
    );
    return report;
  }

  /** Delivers one ticket's due writes in order, stopping at the first that must wait. */
  private async lane(
    ticketId: string,
    dueCount: number,
    now: number,
    profiles: Profiles,
    report: OutboxRunReport,
  ): Promise<void> {
    if (this.active.has(ticketId)) {
      report.waiting += dueCount;
      return;
    }
    this.active.add(ticketId);
    try {
      const open = await this.options.store.queryOutbox({
        ticketId,
        states: ['pending', 'in_flight'],
        limit: 1_000,
      });
      const entries = [...open.items].sort(inOrder);
      let created = false;
      for (let index = 0; index < entries.length; index++) {
        const entry = entries[index] as OutboxEntry;
        const due = entry.nextAttemptAt <= now || (created && isWaitingForCreate(entry));
        if (entry.state === 'in_flight' || !due) {
          const blocked = entries
            .slice(index + 1)
            .filter((e) => e.state === 'pending' && e.nextAttemptAt <= now);
          report.waiting += blocked.length;
          // Not due before the write they wait for: left due, they would fill every run's batch.
          if (blocked.length > 0)
            await this.options.store.commit({
              outbox: blocked.map((e) => ({ ...e, nextAttemptAt: entry.nextAttemptAt })),
            });
          return;
        }
        const outcome = await this.deliver(entry, profiles);
        report[outcome === 'deferred' ? 'waiting' : outcome]++;
        if (outcome === 'adopted') report.sent++;
        if (entry.operation === 'create' && (outcome === 'sent' || outcome === 'adopted')) created = true;
        if (outcome === 'retried' || outcome === 'deferred') {
          report.waiting += entries
            .slice(index + 1)
            .filter((e) => e.state === 'pending' && e.nextAttemptAt <= now).length;
          return;
        }
      }
    } finally {
      this.active.delete(ticketId);
    }
  }

  /**
   * In-flight entries not being sent by this process: all of them (`olderThan` undefined, at
   * start) or those whose call should have ended by `olderThan`.
   */
  private async recoverInFlight(olderThan: number | undefined): Promise<number> {
    const { store, clock, logger } = this.options;
    let recovered = 0;
    let cursor: string | undefined;
    do {
      const page = await store.queryOutbox({
        states: ['in_flight'],
        ...(olderThan !== undefined ? { dueBy: olderThan } : {}),
        limit: 500,
        ...(cursor ? { cursor } : {}),
      });
      cursor = page.nextCursor;
      const lost = page.items.filter((entry) => !this.active.has(entry.ticketId));
      if (lost.length === 0) continue;
      const now = clock.now();
      await store.commit({
        outbox: lost.map((entry) => ({
          ...entry,
          state: 'pending' as const,
          payload: entry.operation === 'create' ? { ...entry.payload, ambiguous: true } : entry.payload,
          nextAttemptAt: now,
          updatedAt: now,
          lastError: {
            code: 'ABORTED',
            message: 'outcome unknown: the write was in flight when the process stopped or the call was lost',
            at: now,
            retryable: true,
          },
        })),
      });
      for (const entry of lost)
        logger.warn('outbox write found in flight; its outcome is unknown', {
          ticketId: entry.ticketId,
          entryId: entry.id,
          operation: entry.operation,
        });
      recovered += lost.length;
    } while (cursor);
    return recovered;
  }

  /** Failed creates whose retry interval has passed go back to pending, attempts reset. */
  private async requeueFailed(now: number): Promise<number> {
    const { store } = this.options;
    let requeued = 0;
    for (let page = 0; page < 10; page++) {
      const due = await store.queryOutbox({ states: ['failed'], dueBy: now, limit: 200 });
      if (due.items.length === 0) break;
      await store.commit({
        outbox: due.items.map((entry) =>
          entry.operation === 'create'
            ? { ...entry, state: 'pending' as const, attempts: 0, nextAttemptAt: now, updatedAt: now }
            : // Only creates come back by themselves; anything else waits for retry().
              { ...entry, nextAttemptAt: never },
        ),
      });
      requeued += due.items.filter((entry) => entry.operation === 'create').length;
      if (!due.nextCursor) break;
    }
    return requeued;
  }

  private profile(profiles: Profiles, configId: string): Promise<DestinationProfile | CeError> {
    let profile = profiles.get(configId);
    if (!profile) {
      profile = describeDestination(this.options.plugins, configId, this.callTimeoutMs).catch(toCeError);
      profiles.set(configId, profile);
    }
    return profile;
  }

  /**
   * Calls a plugin for one request: waits for a concurrency slot and a token of the
   * configuration's rate limit, runs `before` (the in-flight commit), then the call.
   */
  private async call<T>(
    configId: string,
    requestsPerSecond: number | undefined,
    operation: string,
    before: (() => Promise<void>) | undefined,
    body: Parameters<DeliveryOptions['plugins']['invoke']>[2],
  ): Promise<T> {
    const release = await this.limiters.slot(configId, this.options.concurrency ?? 4);
    try {
      await this.limiters.throttle(configId, requestsPerSecond);
      await before?.();
      return (await this.options.plugins.invoke(configId, operation, body, {
        timeoutMs: this.callTimeoutMs,
      })) as T;
    } finally {
      release();
    }
  }

  private inFlight(entry: OutboxEntry): OutboxEntry {
    const now = this.options.clock.now();
    // While in flight, nextAttemptAt is when the call must have ended: later, it was lost.
    return {
      ...entry,
      state: 'in_flight',
      attempts: entry.attempts + 1,
      nextAttemptAt: now + 2 * this.callTimeoutMs,
      updatedAt: now,
    };
  }

  private done(entry: OutboxEntry): OutboxEntry {
    const now = this.options.clock.now();
    const { lastError: _cleared, ...rest } = entry;
    return { ...rest, state: 'done', updatedAt: now };
  }

  // ---- one entry -------------------------------------------------------------------------------

  private async deliver(entry: OutboxEntry, profiles: Profiles): Promise<Outcome> {
    const { store } = this.options;
    const ticket = await store.getTicket(entry.ticketId);
    if (!ticket) {
      const error = new CeError('NOT_FOUND', `ticket ${entry.ticketId} does not exist`);
      return this.fail(entry, undefined, error, false);
    }
    if (entry.operation === 'write-back') return this.writeBack(entry, ticket);
    const profile = await this.profile(profiles, ticket.destinationConfigId);
    if (CeError.isInstance(profile)) return this.fail(entry, ticket, profile, false);
    if (entry.operation === 'create') return this.create(entry, ticket, profile);
    return this.change(entry, ticket, profile);
  }

  private async create(entry: OutboxEntry, ticket: Ticket, profile: DestinationProfile): Promise<Outcome> {
    const { capability } = profile;
    // Created already (an adopted or repeated entry): nothing to send.
    if (ticket.remoteId) {
      await commitWithTicket(this.options.store, ticket.id, () => undefined, [this.done(entry)]);
      return 'sent';
    }
    const ambiguous = entry.payload.ambiguous === true;
    if (capability.find && (ambiguous || entry.attempts > 0 || entry.lastError !== undefined)) {
      let found: RemoteTicket | undefined;
      try {
        const answer = await this.call<unknown>(
          profile.configId,
          profile.requestsPerSecond,
          'cto.find',
          undefined,
          async (context) =>
            capability.find?.(context, { target: ticket.target, idempotencyKey: ticket.idempotencyKey }),
        );
        found =
          answer === undefined || answer === null
            ? undefined
            : checkRemoteTicket(answer, profile.pluginId, 'cto.find');
      } catch (error) {
        return this.fail(entry, ticket, error, false);
      }
      if (found) {
        await this.completeCreate(
          entry,
          ticket,
          profile,
          found,
          'found by its idempotency key, not created again',
        );
        this.options.logger.info('ticket found by its idempotency key instead of created again', {
          ticketId: ticket.id,
          destinationConfigId: profile.configId,
        });
        return 'adopted';
      }
    } else if (ambiguous && !capability.find && !this.mayRepeatCreate(profile)) {
      const error = new CeError(
        'CONFLICT',
        `outcome unknown: an earlier attempt to create this ticket may have reached ${profile.pluginId}, which cannot look tickets up by key; it is not created again until a person checks and retries it`,
        { retryable: false, details: { reason: 'outcome-unknown' } },
      );
      return this.fail(entry, ticket, error, false);
    }
    const flight = this.inFlight(entry);
    let answer: unknown;
    try {
      answer = await this.call<unknown>(
        profile.configId,
        profile.requestsPerSecond,
        'cto.create',
        () => this.options.store.commit({ outbox: [flight] }).then(() => undefined),
        async (context) =>
          capability.create(context, {
            ticketId: ticket.id,
            idempotencyKey: ticket.idempotencyKey,
            target: ticket.target,
            fields: asFields(entry.payload.fields) ?? {},
            severity: ticket.severity,
            alerts: asAlerts(entry.payload.alerts),
            alertCount: Math.max(ticket.alertCount, Number(entry.payload.alertCount) || 0),
          }),
      );
    } catch (error) {
      return this.fail(flight, ticket, error, true);
    }
    let remote: RemoteTicket;
    try {
      remote = checkRemoteTicket(answer, profile.pluginId, 'cto.create');
    } catch (error) {
      // The destination answered, so the ticket may well exist: look it up before any repeat.
      return this.fail({ ...flight, payload: { ...flight.payload, ambiguous: true } }, ticket, error, true);
    }
    await this.completeCreate(flight, ticket, profile, remote, 'created');
    return 'sent';
  }

  private mayRepeatCreate(profile: DestinationProfile): boolean {
    return (
      this.options.repeatUnknownCreate?.(profile.configId, profile.pluginId) ??
      profile.capability.idempotentCreate === true
    );
  }

  private async completeCreate(
    entry: OutboxEntry,
    known: Ticket,
    profile: DestinationProfile,
    remote: RemoteTicket,
    note: string,
  ): Promise<void> {
    const { store, clock } = this.options;
    const now = clock.now();
    // Writes that waited for this create may go now rather than at their deferred time.
    const waiting = await store.queryOutbox({ ticketId: known.id, states: ['pending'], limit: 1_000 });
    const released = waiting.items
      .filter((other) => other.id !== entry.id && isWaitingForCreate(other))
      .map((other) => ({ ...other, nextAttemptAt: now, updatedAt: now }));
    await commitWithTicket(
      store,
      known.id,
      (ticket) => {
        let next: Ticket = withoutError({
          ...ticket,
          remoteId: remote.remoteId,
          ...(remote.link ? { link: remote.link } : {}),
          ...(remote.remoteStatus !== undefined ? { remoteStatus: remote.remoteStatus } : {}),
          lastSyncedAt: now,
          updatedAt: now,
        });
        const status: TicketStatus =
          profile.capability.kind === 'notification'
            ? 'notification'
            : remote.remoteStatus !== undefined
              ? (mapRemoteStatus(
                  remote.remoteStatus,
                  this.options.queue(ticket.queueId)?.statusMap,
                  profile.defaultStatusMap,
                ) ?? 'new')
              : 'new';
        // A ticket resolved before its create arrived stays resolved; the resolve follows.
        if (ticket.status !== 'closed' && ticket.status !== 'deleted')
          next = withStatus(next, status, now, 'local', note, remote.remoteStatus);
        return next;
      },
      [this.done(entry), ...released],
      known,
    );
  }

  /** `update`, `comment`, `reopen` and `resolve` of a ticket that exists remotely. */
  private async change(entry: OutboxEntry, ticket: Ticket, profile: DestinationProfile): Promise<Outcome> {
    const { store, clock } = this.options;
    const { capability } = profile;
    if (!ticket.remoteId) {
      // The create has not arrived (it failed, or waits): so does this, without using an attempt.
      const now = clock.now();
      const deferred: OutboxEntry = {
        ...entry,
        nextAttemptAt: now + (this.options.failedRetryIntervalMs ?? 3_600_000),
        updatedAt: now,
        lastError: { code: 'NOT_FOUND', message: waitingForCreate, at: now, retryable: true },
      };
      await store.commit({ outbox: [deferred] });
      return 'deferred';
    }
    const remoteId = ticket.remoteId;
    const resolving = entry.operation === 'resolve';
    // A destination without the operation (a notification that cannot be edited) has nothing to do.
    if (resolving ? !capability.resolve : !capability.update) {
      await commitWithTicket(store, ticket.id, () => undefined, [this.done(entry)]);
      return 'sent';
    }
    const flight = this.inFlight(entry);
    const comment = typeof entry.payload.comment === 'string' ? entry.payload.comment : undefined;
    let answer: unknown;
    try {
      answer = await this.call<unknown>(
        profile.configId,
        profile.requestsPerSecond,
        `cto.${entry.operation}`,
        () => store.commit({ outbox: [flight] }).then(() => undefined),
        async (context) => {
          if (resolving)
            return capability.resolve?.(context, {
              ticketId: ticket.id,
              idempotencyKey: ticket.idempotencyKey,
              target: ticket.target,
              remoteId,
              ...(comment !== undefined ? { comment } : {}),
            });
          const fields = asFields(entry.payload.fields);
          return capability.update?.(context, {
            ticketId: ticket.id,
            idempotencyKey: ticket.idempotencyKey,
            target: ticket.target,
            remoteId,
            kind: entry.operation === 'update' ? 'fields' : (entry.operation as 'comment' | 'reopen'),
            ...(comment !== undefined ? { comment } : {}),
            ...(fields ? { fields } : {}),
            severity: ticket.severity,
            dedupeCount: ticket.dedupeCount,
            alerts: asAlerts(entry.payload.alerts),
          });
        },
      );
    } catch (error) {
      return this.fail(flight, ticket, error, true);
    }
    let remote: RemoteTicket | undefined;
    try {
      remote =
        resolving || answer === undefined || answer === null
          ? undefined
          : checkRemoteTicket(
              typeof answer === 'object' && !Array.isArray(answer) ? { remoteId, ...answer } : answer,
              profile.pluginId,
              `cto.${entry.operation}`,
            );
    } catch (error) {
      return this.fail(flight, ticket, error, true);
    }
    const now = clock.now();
    await commitWithTicket(
      store,
      ticket.id,
      (current) => {
        let next = withoutError({ ...current, updatedAt: now });
        if (current.status === 'notification') return next;
        if (resolving)
          return current.status === 'closed' ? next : withStatus(next, 'closed', now, 'local', 'resolved');
        if (remote?.remoteStatus === undefined) return next;
        const status =
          mapRemoteStatus(
            remote.remoteStatus,
            this.options.queue(current.queueId)?.statusMap,
            profile.defaultStatusMap,
          ) ?? 'other';
        next = { ...next, remoteStatus: remote.remoteStatus };
        return status === current.status
          ? next
          : withStatus(next, status, now, 'remote', `after ${entry.operation}`, remote.remoteStatus);
      },
      [this.done(flight)],
    );
    return 'sent';
  }

  /** Writes a ticket's status back to the source configuration its alerts came from. */
  private async writeBack(entry: OutboxEntry, ticket: Ticket): Promise<Outcome> {
    const { store } = this.options;
    const sourceConfigId = entry.payload.sourceConfigId;
    const status = entry.payload.status;
    if (typeof sourceConfigId !== 'string' || typeof status !== 'string') {
      const error = new CeError('VALIDATION_FAILED', 'write-back entry without sourceConfigId or status');
      return this.fail(entry, ticket, error, false);
    }
    const prefix = `${sourceConfigId}/`;
    const refs = Array.isArray(entry.payload.alertRefs)
      ? (entry.payload.alertRefs as unknown[])
      : ticket.alertRefs;
    const alerts: Alert[] = [];
    for (const ref of refs) {
      if (typeof ref !== 'string' || !ref.startsWith(prefix)) continue;
      const stored = await store.getAlert(sourceConfigId, ref.slice(prefix.length));
      if (!stored) continue;
      const { fingerprint: _f, receivedAt: _r, disposition: _d, ...alert }: StoredAlert = stored;
      alerts.push(alert);
    }
    const flight = this.inFlight(entry);
    try {
      await this.call<void>(
        sourceConfigId,
        undefined,
        'cto.write-back',
        () => store.commit({ outbox: [flight] }).then(() => undefined),
        async (context, definition) => {
          const writeBack = definition.cto?.source?.writeBack;
          if (!writeBack)
            throw new CeError('NOT_SUPPORTED', `plugin ${definition.id} cannot write statuses back`);
          await writeBack(context, {
            alerts,
            status: status as TicketStatus,
            ticket: {
              id: ticket.id,
              ...(ticket.remoteId ? { remoteId: ticket.remoteId } : {}),
              ...(ticket.link ? { link: ticket.link } : {}),
            },
          });
        },
      );
    } catch (error) {
      return this.fail(flight, undefined, error, true);
    }
    await store.commit({ outbox: [this.done(flight)] });
    return 'sent';
  }

  /**
   * Records a failure: back to pending after a backoff when it is retryable and attempts remain,
   * otherwise failed for good (a failed create marks its ticket `failed`). `sent` says whether the
   * entry was marked in flight (its attempt counted) before the failure.
   */
  private async fail(
    entry: OutboxEntry,
    ticket: Ticket | undefined,
    thrown: unknown,
    sent: boolean,
  ): Promise<Outcome> {
    const { store, clock, logger } = this.options;
    const error = toCeError(thrown);
    const now = clock.now();
    const attempts = sent ? entry.attempts : entry.attempts + 1;
    const creating = entry.operation === 'create';
    const ambiguous = entry.payload.ambiguous === true || (creating && sent && isOutcomeUnknown(error));
    const payload = ambiguous && creating ? { ...entry.payload, ambiguous: true } : entry.payload;
    // Cancelled by a stopping host: worth another attempt after the restart.
    const retryable = error.retryable || error.code === 'ABORTED';
    const context = {
      ticketId: entry.ticketId,
      entryId: entry.id,
      operation: entry.operation,
      code: error.code,
      attempts,
    };
    if (retryable && attempts < (this.options.maxAttempts ?? 8)) {
      const asked = retryAfterOf(error);
      const delay =
        asked !== undefined
          ? Math.min(asked, longestRetryAfterMs)
          : backoffMs(attempts, this.options.retry ?? {}, this.options.random ?? Math.random);
      const lastError = ticketErrorOf(error, now, true);
      const retried: OutboxEntry = {
        ...entry,
        payload,
        state: 'pending',
        attempts,
        nextAttemptAt: now + delay,
        updatedAt: now,
        lastError,
      };
      await commitWithTicket(
        store,
        entry.ticketId,
        (current) =>
          entry.operation === 'write-back' ? undefined : { ...current, lastError, updatedAt: now },
        [retried],
        ticket,
      );
      logger.warn('ticket write failed; it will be retried', { ...context, delayMs: delay });
      return 'retried';
    }
    const lastError = ticketErrorOf(error, now, retryable);
    const canRepeat = error.details.reason !== 'outcome-unknown';
    const failed: OutboxEntry = {
      ...entry,
      payload,
      state: 'failed',
      attempts,
      // A failed create comes back after the interval, unless repeating it could duplicate it.
      nextAttemptAt: creating && canRepeat ? now + (this.options.failedRetryIntervalMs ?? 3_600_000) : never,
      updatedAt: now,
      lastError,
    };
    await commitWithTicket(
      store,
      entry.ticketId,
      (current) => {
        if (entry.operation === 'write-back') return undefined;
        const marked = { ...current, lastError, updatedAt: now };
        return creating && current.status !== 'failed' && !current.remoteId
          ? withStatus(marked, 'failed', now, 'local', error.message.slice(0, 500))
          : marked;
      },
      [failed],
      ticket,
    );
    logger.error('ticket write failed for good', context);
    return 'failed';
  }
}
