/**
 * The delivery side of the orchestrator: sends due outbox entries to their destinations, and
 * reads the status of open tickets back.
 *
 * Every remote write is marked `in_flight` in the store before the plugin is called and completed
 * after. An entry still `in_flight` when the worker starts (the process stopped in between) is
 * ambiguous: for a create, the destination is asked for the ticket by its idempotency key before
 * anything is created again, so a crash or a timeout never opens a second ticket.
 *
 * @module
 */
import {
  type Alert,
  type AnyPluginDefinition,
  CeError,
  type Clock,
  type Logger,
  type OutboxEntry,
  type PluginContext,
  type PluginRuntime,
  type RemoteTicket,
  type StoredAlert,
  type Ticket,
  type TicketDestinationCapability,
  type TicketError,
  type TicketStatus,
  type TicketStore,
  TokenBucket,
  toCeError,
} from '@ce/core';

/** How the worker reads a queue's status map. */
export interface QueueDeliverySettings {
  /** The destination's status names to canonical statuses, over the plugin's defaults. */
  readonly statusMap?: Readonly<Record<string, TicketStatus>>;
}

/** What the worker is built from. */
export interface OutboxWorkerOptions {
  store: TicketStore;
  plugins: PluginRuntime;
  clock: Clock;
  logger: Logger;
  /** A queue's delivery settings, by id. */
  queue(queueId: string): QueueDeliverySettings | undefined;
  /** Attempts of a retryable failure before the entry fails for good. @default 8 */
  maxAttempts?: number;
  /** First retry delay; it doubles per attempt, up to an hour. @default 5000 */
  retryDelayMs?: number;
  /** How long after failing for good a failed create is tried again. @default 3600000 (1 hour) */
  failedRetryIntervalMs?: number;
  /** How often an open ticket's status is read from its destination. @default 300000 */
  syncIntervalMs?: number;
}

/** What one delivery run did. */
export interface DeliveryRunReport {
  sent: number;
  retried: number;
  failed: number;
  /** Entries left waiting for an earlier write of the same ticket. */
  waiting: number;
}

/** What one status sync did. */
export interface StatusSyncReport {
  checked: number;
  changed: number;
  deleted: number;
  failed: number;
}

const closedStatuses: ReadonlySet<TicketStatus> = new Set(['closed', 'deleted']);

function ticketError(error: unknown, at: number): TicketError {
  const typed = toCeError(error);
  return { code: typed.code, message: typed.message, at, retryable: typed.retryable };
}

/** A write that must wait for the ticket's create: retried soon, without counting an attempt. */
function waitingForCreate(): CeError {
  return new CeError('CONFLICT', 'waiting for the ticket to be created first', {
    retryable: true,
    details: { reason: 'waiting' },
  });
}

function retryAfterOf(error: unknown): number | undefined {
  const value = toCeError(error).details.retryAfterMs;
  return typeof value === 'number' && value >= 0 ? value : undefined;
}

/** Delivers outbox entries and syncs ticket statuses; see the module comment. */
export class OutboxWorker {
  private readonly limiters = new Map<string, TokenBucket | null>();

  constructor(private readonly options: OutboxWorkerOptions) {}

  /**
   * Returns entries found `in_flight` to `pending`, marked ambiguous (`payload.ambiguous`), so the
   * next run looks before it writes. Call it once at start. Returns how many were found.
   */
  async recover(): Promise<number> {
    const { store, clock } = this.options;
    let recovered = 0;
    for (;;) {
      const page = await store.queryOutbox({ states: ['in_flight'], limit: 500 });
      if (page.items.length === 0) return recovered;
      const now = clock.now();
      await store.commit({
        outbox: page.items.map((entry) => ({
          ...entry,
          state: 'pending' as const,
          payload: { ...entry.payload, ambiguous: true },
          nextAttemptAt: now,
          updatedAt: now,
        })),
      });
      recovered += page.items.length;
    }
  }

  /** Sends the entries due now, at most `limit` of them, each ticket's in order. */
  async runOnce(options: { limit?: number } = {}): Promise<DeliveryRunReport> {
    const { store, clock } = this.options;
    const report: DeliveryRunReport = { sent: 0, retried: 0, failed: 0, waiting: 0 };
    const due = await store.queryOutbox({
      states: ['pending'],
      dueBy: clock.now(),
      limit: options.limit ?? 500,
    });
    const done = new Set<string>();
    for (const entry of due.items) {
      if (done.has(entry.ticketId)) continue;
      // A ticket's writes go one at a time, oldest first: a comment waits for its create.
      const earlier = await store.queryOutbox({
        ticketId: entry.ticketId,
        states: ['pending', 'in_flight'],
        limit: 1_000,
      });
      const first = earlier.items.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))[0];
      if (first && first.id !== entry.id) {
        report.waiting++;
        continue;
      }
      done.add(entry.ticketId);
      const outcome = await this.deliver(entry);
      report[outcome]++;
    }
    await this.requeueFailed();
    return report;
  }

  /** Re-queues a failed ticket's failed entries now. Returns how many. */
  async retry(ticketId: string): Promise<number> {
    const { store, clock } = this.options;
    const failed = await store.queryOutbox({ ticketId, states: ['failed'] });
    if (failed.items.length === 0) return 0;
    const now = clock.now();
    await store.commit({
      outbox: failed.items.map((entry) => ({
        ...entry,
        state: 'pending' as const,
        attempts: 0,
        nextAttemptAt: now,
        updatedAt: now,
      })),
    });
    return failed.items.length;
  }

  private async requeueFailed(): Promise<void> {
    const { store, clock } = this.options;
    const interval = this.options.failedRetryIntervalMs ?? 3_600_000;
    const now = clock.now();
    const failed = await store.queryOutbox({ states: ['failed'], limit: 200 });
    const stale = failed.items.filter(
      (entry) =>
        entry.operation === 'create' &&
        now - entry.updatedAt >= interval &&
        // An unknown outcome without a way to look the ticket up stays failed for a person to decide.
        entry.lastError?.code !== 'CONFLICT',
    );
    if (stale.length > 0)
      await store.commit({
        outbox: stale.map((entry) => ({
          ...entry,
          state: 'pending' as const,
          attempts: 0,
          nextAttemptAt: now,
          updatedAt: now,
        })),
      });
  }

  private async limiter(
    configId: string,
    capability: TicketDestinationCapability<unknown>,
    config: unknown,
  ): Promise<void> {
    let bucket = this.limiters.get(configId);
    if (bucket === undefined) {
      const rate = capability.limits?.(config).requestsPerSecond;
      bucket = rate ? new TokenBucket({ requestsPerSecond: rate, clock: this.options.clock }) : null;
      this.limiters.set(configId, bucket);
    }
    await bucket?.take();
  }

  private async alertsOf(ticket: Ticket, limit = 20): Promise<Alert[]> {
    const page = await this.options.store.queryAlerts({ ticketId: ticket.id, limit });
    return page.items.map(
      ({ fingerprint: _f, receivedAt: _r, disposition: _d, ...alert }: StoredAlert) => alert,
    );
  }

  private async deliver(entry: OutboxEntry): Promise<'sent' | 'retried' | 'failed'> {
    const { store, clock, plugins, logger } = this.options;
    const ticket = await store.getTicket(entry.ticketId);
    const now = clock.now();
    if (!ticket) {
      await store.commit({
        outbox: [
          {
            ...entry,
            state: 'failed',
            updatedAt: now,
            lastError: {
              code: 'NOT_FOUND',
              message: `ticket ${entry.ticketId} does not exist`,
              at: now,
              retryable: false,
            },
          },
        ],
      });
      return 'failed';
    }
    const flight: OutboxEntry = {
      ...entry,
      state: 'in_flight',
      attempts: entry.attempts + 1,
      updatedAt: now,
    };
    await store.commit({ outbox: [flight] });
    const configId =
      entry.operation === 'write-back' ? String(entry.payload.sourceConfigId) : ticket.destinationConfigId;
    try {
      const result = await plugins.invoke(configId, `cto.${entry.operation}`, (context, definition) =>
        this.call(entry, ticket, context, definition),
      );
      const finished = clock.now();
      const tickets = result.ticket ? [{ ticket: result.ticket, expectedVersion: ticket.version }] : [];
      await store.commit({ tickets, outbox: [{ ...flight, state: 'done', updatedAt: finished }] });
      return 'sent';
    } catch (error) {
      const failedAt = clock.now();
      const typed = toCeError(error);
      const lastError = ticketError(error, failedAt);
      const maxAttempts = this.options.maxAttempts ?? 8;
      if (typed.details.reason === 'waiting') {
        // The create has not reached the destination yet: wait without counting an attempt.
        await store.commit({
          outbox: [
            {
              ...flight,
              state: 'pending',
              attempts: entry.attempts,
              nextAttemptAt: failedAt + 1_000,
              updatedAt: failedAt,
            },
          ],
        });
        return 'retried';
      }
      if (typed.retryable && flight.attempts < maxAttempts) {
        const backoff = Math.min(
          3_600_000,
          (this.options.retryDelayMs ?? 5_000) * 2 ** (flight.attempts - 1),
        );
        const delay = Math.max(retryAfterOf(error) ?? 0, backoff);
        await store.commit({
          outbox: [
            { ...flight, state: 'pending', nextAttemptAt: failedAt + delay, lastError, updatedAt: failedAt },
          ],
        });
        logger.warn('ticket write failed, will retry', {
          ticketId: ticket.id,
          operation: entry.operation,
          code: typed.code,
          delayMs: delay,
        });
        return 'retried';
      }
      const latest = (await store.getTicket(ticket.id)) ?? ticket;
      const failedTicket: Ticket | undefined =
        entry.operation === 'create'
          ? {
              ...latest,
              status: 'failed',
              lastError,
              updatedAt: failedAt,
              statusHistory: [
                ...latest.statusHistory,
                { status: 'failed', at: failedAt, by: 'local', note: typed.message },
              ],
            }
          : { ...latest, lastError, updatedAt: failedAt };
      await store.commit({
        tickets: failedTicket ? [{ ticket: failedTicket, expectedVersion: latest.version }] : [],
        outbox: [{ ...flight, state: 'failed', lastError, updatedAt: failedAt }],
      });
      logger.error('ticket write failed for good', {
        ticketId: ticket.id,
        operation: entry.operation,
        code: typed.code,
      });
      return 'failed';
    }
  }

  /** One plugin call for an entry; resolves with the ticket as it should be stored after it. */
  private async call(
    entry: OutboxEntry,
    ticket: Ticket,
    context: PluginContext<unknown>,
    definition: AnyPluginDefinition,
  ): Promise<{ ticket?: Ticket }> {
    const now = this.options.clock.now();
    if (entry.operation === 'write-back') {
      const writeBack = definition.cto?.source?.writeBack;
      if (!writeBack) return {};
      const refs = new Set((entry.payload.alertRefs as string[] | undefined) ?? []);
      const alerts = (await this.alertsOf(ticket, 1_000)).filter((alert) =>
        refs.has(`${alert.sourceConfigId}/${alert.id}`),
      );
      await writeBack(context, {
        alerts,
        status: entry.payload.status as TicketStatus,
        ticket: {
          id: ticket.id,
          ...(ticket.remoteId ? { remoteId: ticket.remoteId } : {}),
          ...(ticket.link ? { link: ticket.link } : {}),
        },
      });
      return {};
    }
    const destination = definition.cto?.destination;
    if (!destination) throw new CeError('NOT_SUPPORTED', `plugin ${definition.id} has no ticket destination`);
    await this.limiter(ticket.destinationConfigId, destination, context.config);
    const statusOf = (remote: RemoteTicket): TicketStatus => {
      if (destination.kind === 'notification') return 'notification';
      if (remote.remoteStatus === undefined) return 'new';
      const map = {
        ...destination.defaultStatusMap?.(context.config),
        ...this.options.queue(ticket.queueId)?.statusMap,
      };
      return map[remote.remoteStatus] ?? 'other';
    };
    const adopt = (remote: RemoteTicket, note: string): { ticket: Ticket } => {
      if (typeof remote?.remoteId !== 'string' || remote.remoteId.length === 0)
        throw new CeError('PLUGIN_FAILED', 'the destination answered without a remote id');
      const status = statusOf(remote);
      return {
        ticket: {
          ...ticket,
          remoteId: remote.remoteId,
          ...(remote.link ? { link: remote.link } : {}),
          ...(remote.remoteStatus ? { remoteStatus: remote.remoteStatus } : {}),
          status,
          updatedAt: now,
          lastSyncedAt: now,
          statusHistory: [
            ...ticket.statusHistory,
            {
              status,
              at: now,
              by: 'local',
              note,
              ...(remote.remoteStatus ? { remoteStatus: remote.remoteStatus } : {}),
            },
          ],
        },
      };
    };
    // A write that succeeds clears the previous error.
    const { lastError: _cleared, ...clean } = ticket;
    ticket = clean;
    switch (entry.operation) {
      case 'create': {
        if (ticket.remoteId) return {};
        if (entry.payload.ambiguous === true || entry.attempts > 0) {
          if (destination.find) {
            const found = await destination.find(context, {
              target: ticket.target,
              idempotencyKey: ticket.idempotencyKey,
            });
            if (found) return adopt(found, 'found by its idempotency key after an unknown outcome');
          } else if (entry.payload.ambiguous === true && destination.kind === 'ticket') {
            throw new CeError(
              'CONFLICT',
              'an earlier create may have reached the destination and it cannot look tickets up by key: not creating again; retry the ticket once checked',
              { retryable: false, details: { reason: 'outcome-unknown' } },
            );
          }
        }
        const remote = await destination.create(context, {
          ticketId: ticket.id,
          idempotencyKey: ticket.idempotencyKey,
          target: ticket.target,
          fields: (entry.payload.fields as Record<string, unknown>) ?? {},
          severity: ticket.severity,
          alerts: (entry.payload.alerts as Alert[]) ?? [],
          alertCount: Math.max(ticket.alertCount, Number(entry.payload.alertCount ?? 0)),
        });
        return adopt(remote, 'created');
      }
      case 'comment':
      case 'update':
      case 'reopen': {
        if (!ticket.remoteId) throw waitingForCreate();
        if (!destination.update) return {};
        const kind = entry.operation === 'update' ? 'fields' : entry.operation;
        const remote = await destination.update(context, {
          ticketId: ticket.id,
          idempotencyKey: ticket.idempotencyKey,
          target: ticket.target,
          remoteId: ticket.remoteId,
          kind,
          ...(typeof entry.payload.comment === 'string' ? { comment: entry.payload.comment } : {}),
          ...(entry.payload.fields ? { fields: entry.payload.fields as Record<string, unknown> } : {}),
          severity: ticket.severity,
          dedupeCount: ticket.dedupeCount,
          alerts: (entry.payload.alerts as Alert[]) ?? [],
        });
        if (remote?.remoteStatus === undefined) return {};
        const status = statusOf(remote);
        return status === ticket.status
          ? {}
          : adopt({ ...remote, remoteId: ticket.remoteId }, `after ${entry.operation}`);
      }
      case 'resolve': {
        if (!ticket.remoteId) throw waitingForCreate();
        if (destination.resolve)
          await destination.resolve(context, {
            ticketId: ticket.id,
            idempotencyKey: ticket.idempotencyKey,
            target: ticket.target,
            remoteId: ticket.remoteId,
            ...(typeof entry.payload.comment === 'string' ? { comment: entry.payload.comment } : {}),
          });
        return {};
      }
    }
  }

  /**
   * Reads the status of open tickets whose last sync is older than the sync interval, per
   * destination configuration, in batches of the destination's `maxSyncBatch`.
   */
  async syncOnce(): Promise<StatusSyncReport> {
    const { store, clock, plugins, logger } = this.options;
    const report: StatusSyncReport = { checked: 0, changed: 0, deleted: 0, failed: 0 };
    const syncedBefore = clock.now() - (this.options.syncIntervalMs ?? 300_000);
    for (const configuration of await plugins.enabledConfigurations('cto')) {
      const destination = plugins.definition(configuration.pluginId).cto?.destination;
      if (!destination?.sync || destination.kind !== 'ticket') continue;
      let cursor: string | undefined;
      do {
        const page = await store.queryTickets({
          destinationConfigId: configuration.id,
          statuses: ['new', 'in_progress', 'on_hold', 'other'],
          syncedBefore,
          sort: 'updatedAt',
          order: 'asc',
          limit: 1_000,
          ...(cursor ? { cursor } : {}),
        });
        cursor = page.nextCursor;
        const tickets = page.items.filter((ticket) => ticket.remoteId !== undefined);
        try {
          await plugins.invoke(configuration.id, 'cto.sync', async (context) => {
            const size = Math.max(1, destination.limits?.(context.config).maxSyncBatch ?? 100);
            for (let start = 0; start < tickets.length; start += size) {
              const batch = tickets.slice(start, start + size);
              await this.limiter(configuration.id, destination, context.config);
              try {
                const results = await destination.sync?.(context, {
                  tickets: batch.map((ticket) => ({
                    remoteId: ticket.remoteId as string,
                    target: ticket.target,
                  })),
                });
                const statusMap = destination.defaultStatusMap?.(context.config) ?? {};
                await this.applySync(batch, results ?? [], statusMap, report);
              } catch (error) {
                report.failed += batch.length;
                logger.warn('status sync of a batch failed', {
                  configId: configuration.id,
                  code: toCeError(error).code,
                });
              }
            }
          });
        } catch (error) {
          report.failed += tickets.length;
          logger.warn('status sync failed', { configId: configuration.id, code: toCeError(error).code });
        }
      } while (cursor);
    }
    return report;
  }

  private async applySync(
    batch: ReadonlyArray<Ticket>,
    results: ReadonlyArray<{ remoteId: string; exists: boolean; remoteStatus?: string }>,
    defaults: Readonly<Record<string, TicketStatus>>,
    report: StatusSyncReport,
  ): Promise<void> {
    const { store, clock } = this.options;
    const now = clock.now();
    const byRemote = new Map(results.map((result) => [result.remoteId, result]));
    const writes: Array<{ ticket: Ticket; expectedVersion: number }> = [];
    const outbox: OutboxEntry[] = [];
    for (const ticket of batch) {
      report.checked++;
      const result = byRemote.get(ticket.remoteId as string);
      let status = ticket.status;
      let remoteStatus = ticket.remoteStatus;
      if (result && !result.exists) status = 'deleted';
      else if (result?.remoteStatus !== undefined) {
        remoteStatus = result.remoteStatus;
        const map = { ...defaults, ...this.options.queue(ticket.queueId)?.statusMap };
        status = map[result.remoteStatus] ?? 'other';
      }
      const changed = status !== ticket.status;
      if (changed) {
        report.changed++;
        if (status === 'deleted') report.deleted++;
        const alerts = await store.queryAlerts({ ticketId: ticket.id, limit: 1_000 });
        const sources = new Map<string, string[]>();
        for (const alert of alerts.items) {
          const refs = sources.get(alert.sourceConfigId) ?? [];
          refs.push(`${alert.sourceConfigId}/${alert.id}`);
          sources.set(alert.sourceConfigId, refs);
        }
        for (const [sourceConfigId, alertRefs] of sources) {
          const source = this.sourceCanWriteBack(sourceConfigId);
          if (!source) continue;
          outbox.push({
            id: `${ticket.id}:write-back:${now}:${sourceConfigId}`,
            ticketId: ticket.id,
            operation: 'write-back',
            payload: { sourceConfigId, status, alertRefs },
            state: 'pending',
            attempts: 0,
            nextAttemptAt: now,
            createdAt: now,
            updatedAt: now,
          });
        }
      }
      writes.push({
        expectedVersion: ticket.version,
        ticket: {
          ...ticket,
          status,
          ...(remoteStatus !== undefined ? { remoteStatus } : {}),
          lastSyncedAt: now,
          ...(changed ? { updatedAt: now } : {}),
          ...(changed && closedStatuses.has(status) ? { closedAt: now } : {}),
          statusHistory: changed
            ? [
                ...ticket.statusHistory,
                {
                  status,
                  at: now,
                  by: 'remote' as const,
                  ...(remoteStatus !== undefined ? { remoteStatus } : {}),
                },
              ]
            : ticket.statusHistory,
        },
      });
    }
    // A ticket changed locally since it was read is left for the next sync.
    for (const write of writes) {
      try {
        await store.commit({
          tickets: [write],
          outbox: outbox.filter((entry) => entry.ticketId === write.ticket.id),
        });
      } catch (error) {
        if (toCeError(error).code !== 'CONFLICT') throw error;
      }
    }
  }

  /** Only configurations of plugins with a write-back; other sources (the API, webhooks) are skipped. */
  private sourceCanWriteBack(sourceConfigId: string): boolean {
    return this.writeBackSources.has(sourceConfigId);
  }

  /** Source configurations whose plugin writes statuses back; filled by the orchestrator. */
  readonly writeBackSources = new Set<string>();
}
