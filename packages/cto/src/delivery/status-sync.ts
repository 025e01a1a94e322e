/**
 * Reads open tickets' statuses back from their destinations in batches, within each
 * destination's rate limit, and records what changed (a ticket deleted remotely becomes
 * `deleted`), writing the new status back to the sources of its alerts where they support it.
 *
 * @module
 */
import {
  type AnyPluginDefinition,
  type OutboxEntry,
  openTicketStatuses,
  type PluginConfigRecord,
  type Ticket,
  type TicketStatus,
  type TicketSyncResult,
  toCeError,
} from '@ce/core';
import type { DeliveryOptions, SyncRunReport } from './delivery-options.js';
import {
  checkSyncResults,
  type DestinationProfile,
  describeDestination,
  mapRemoteStatus,
  withStatus,
} from './delivery-support.js';
import { type DestinationLimiters, sharedDestinationLimiters } from './destination-limiters.js';

const openStatuses = [...openTicketStatuses];

/** A ticket as a sync result leaves it, and what goes with it into the same commit. */
interface SyncChange {
  readonly ticket: Ticket;
  readonly outbox: OutboxEntry[];
  readonly changed: boolean;
  readonly deleted: boolean;
}

/**
 * The status sync. For each enabled destination configuration of kind `ticket` with a `sync`
 * method, it reads the open tickets not read within `syncIntervalMs` (oldest first; a read
 * 90% of the interval old counts as due, so that runs on the same schedule miss none), in batches of the destination's `maxSyncBatch`, and maps each remote status through
 * the queue's status map over the plugin's defaults (`other` when neither names it). A failed
 * batch is counted and the others go on.
 *
 * A status change is not applied while the ticket has writes of its own waiting (a reopen or a
 * resolve on its way): the remote status is about to change, and the ticket is read again on the
 * next run.
 *
 * @example
 * ```ts
 * const sync = new StatusSync({ store, plugins, clock, logger, queue: (id) => queues.get(id) });
 * scheduler.every('cto-sync', 60_000, () => sync.runOnce());
 * ```
 */
export class StatusSync {
  private readonly limiters: DestinationLimiters;
  private running: Promise<unknown> = Promise.resolve();

  /** See {@link DeliveryOptions}. */
  constructor(private readonly options: DeliveryOptions) {
    this.limiters = options.limiters ?? sharedDestinationLimiters(options.plugins, options.clock);
  }

  /** Syncs every destination once. Runs one at a time: a call during a run starts when it ends. */
  runOnce(): Promise<SyncRunReport> {
    const run = this.running.then(() => this.run());
    this.running = run.catch(() => undefined);
    return run;
  }

  private async run(): Promise<SyncRunReport> {
    const { plugins, logger } = this.options;
    const report: SyncRunReport = { checked: 0, changed: 0, deleted: 0, failed: 0 };
    const configurations = await plugins.enabledConfigurations('cto');
    const writeBackSources: string[] = [];
    const destinations: PluginConfigRecord[] = [];
    for (const configuration of configurations) {
      let capabilities: AnyPluginDefinition['cto'];
      try {
        capabilities = plugins.definition(configuration.pluginId).cto;
      } catch (error) {
        logger.warn('status sync skips a configuration whose plugin is not registered', {
          configId: configuration.id,
          code: toCeError(error).code,
        });
        continue;
      }
      if (capabilities?.source?.writeBack) writeBackSources.push(configuration.id);
      if (capabilities?.destination?.kind === 'ticket' && capabilities.destination.sync)
        destinations.push(configuration);
    }
    await Promise.all(
      destinations.map((configuration) => this.syncDestination(configuration.id, writeBackSources, report)),
    );
    return report;
  }

  private async syncDestination(
    configId: string,
    writeBackSources: ReadonlyArray<string>,
    report: SyncRunReport,
  ): Promise<void> {
    const { store, clock, logger } = this.options;
    // Due at 90% of the interval: a schedule of the same interval then reads every ticket on each
    // run, although the previous run's writes landed a little after its start.
    const syncedBefore = clock.now() - Math.floor((this.options.syncIntervalMs ?? 300_000) * 0.9) + 1;
    const query = { destinationConfigId: configId, statuses: openStatuses, syncedBefore };
    let profile: DestinationProfile;
    try {
      profile = await describeDestination(
        this.options.plugins,
        configId,
        this.options.callTimeoutMs ?? 60_000,
      );
    } catch (error) {
      report.failed += await store.countTickets(query);
      logger.warn('status sync could not read a destination configuration', {
        configId,
        code: toCeError(error).code,
      });
      return;
    }
    const size = Math.floor(profile.maxSyncBatch ?? this.options.syncBatch ?? 100) || 1;
    const concurrency = Math.max(1, this.options.concurrency ?? 4);
    const running = new Set<Promise<void>>();
    const dispatch = async (batch: Ticket[]): Promise<void> => {
      while (running.size >= concurrency) await Promise.race(running);
      const task = this.syncBatch(profile, batch, writeBackSources, report)
        .catch((error: unknown) => {
          // The store failed while applying the batch: none of it is counted as read.
          report.failed += batch.length;
          logger.warn('status sync could not apply a batch', { configId, code: toCeError(error).code });
        })
        .finally(() => running.delete(task));
      running.add(task);
    };
    let batch: Ticket[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.queryTickets({
        ...query,
        sort: 'createdAt',
        order: 'asc',
        limit: 1_000,
        ...(cursor ? { cursor } : {}),
      });
      cursor = page.nextCursor;
      for (const ticket of page.items) {
        // Not created remotely yet: nothing to read.
        if (!ticket.remoteId) continue;
        batch.push(ticket);
        if (batch.length >= size) {
          await dispatch(batch);
          batch = [];
        }
      }
    } while (cursor);
    if (batch.length > 0) await dispatch(batch);
    await Promise.all(running);
  }

  private async syncBatch(
    profile: DestinationProfile,
    batch: ReadonlyArray<Ticket>,
    writeBackSources: ReadonlyArray<string>,
    report: SyncRunReport,
  ): Promise<void> {
    const { plugins, logger } = this.options;
    let results: Map<string, TicketSyncResult>;
    try {
      const release = await this.limiters.slot(profile.configId, this.options.concurrency ?? 4);
      let answer: unknown;
      try {
        await this.limiters.throttle(profile.configId, profile.requestsPerSecond);
        answer = await plugins.invoke(
          profile.configId,
          'cto.sync',
          async (context) =>
            profile.capability.sync?.(context, {
              tickets: batch.map((ticket) => ({
                remoteId: ticket.remoteId as string,
                target: ticket.target,
              })),
            }),
          { timeoutMs: this.options.callTimeoutMs ?? 60_000 },
        );
      } finally {
        release();
      }
      const checked = checkSyncResults(answer, profile.pluginId);
      results = checked.results;
      if (checked.malformed > 0)
        logger.warn('status sync answer had malformed items', {
          configId: profile.configId,
          malformed: checked.malformed,
        });
    } catch (error) {
      report.failed += batch.length;
      logger.warn('status sync of a batch failed', {
        configId: profile.configId,
        tickets: batch.length,
        code: toCeError(error).code,
      });
      return;
    }
    const now = this.options.clock.now();
    const changes: Array<{ before: Ticket; change: SyncChange; result: TicketSyncResult }> = [];
    let read = 0;
    for (const ticket of batch) {
      const result = results.get(ticket.remoteId as string);
      if (!result) continue;
      read++;
      const change = await this.apply(ticket, result, profile, writeBackSources, now);
      if (change) changes.push({ before: ticket, change, result });
    }
    // Counted once the batch is decided, so a store failure above counts the batch failed once.
    report.checked += read;
    report.failed += batch.length - read;
    try {
      await this.options.store.commit({
        tickets: changes.map(({ before, change }) => ({
          ticket: change.ticket,
          expectedVersion: before.version,
        })),
        outbox: changes.flatMap(({ change }) => change.outbox),
      });
      for (const { change } of changes) this.count(change, report);
    } catch (error) {
      if (toCeError(error).code !== 'CONFLICT') {
        report.failed += changes.length;
        report.checked -= changes.length;
        logger.warn('status sync could not store a batch', {
          configId: profile.configId,
          code: toCeError(error).code,
        });
        return;
      }
      // Some ticket changed since it was read: store them one by one, each as it is now.
      for (const { before, result } of changes)
        await this.applyOne(before.id, result, profile, writeBackSources, now, report);
    }
  }

  private count(change: SyncChange, report: SyncRunReport): void {
    if (change.changed) report.changed++;
    if (change.deleted) report.deleted++;
  }

  private async applyOne(
    ticketId: string,
    result: TicketSyncResult,
    profile: DestinationProfile,
    writeBackSources: ReadonlyArray<string>,
    now: number,
    report: SyncRunReport,
  ): Promise<void> {
    const { store } = this.options;
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await store.getTicket(ticketId);
      // Closed, resolved or re-created locally meanwhile: this reading no longer applies.
      if (!current || current.remoteId !== result.remoteId || !openTicketStatuses.has(current.status)) return;
      const change = await this.apply(current, result, profile, writeBackSources, now);
      if (!change) return;
      try {
        await store.commit({
          tickets: [{ ticket: change.ticket, expectedVersion: current.version }],
          outbox: change.outbox,
        });
        this.count(change, report);
        return;
      } catch (error) {
        if (toCeError(error).code !== 'CONFLICT') break;
      }
    }
    report.failed++;
    report.checked--;
  }

  /** The ticket after one sync result; `undefined` to leave it as it is. */
  private async apply(
    ticket: Ticket,
    result: TicketSyncResult,
    profile: DestinationProfile,
    writeBackSources: ReadonlyArray<string>,
    now: number,
  ): Promise<SyncChange | undefined> {
    let status: TicketStatus;
    let remoteStatus: string | undefined;
    if (!result.exists) status = 'deleted';
    else {
      remoteStatus = result.remoteStatus;
      status =
        mapRemoteStatus(
          remoteStatus,
          this.options.queue(ticket.queueId)?.statusMap,
          profile.defaultStatusMap,
        ) ?? 'other';
    }
    const changed = status !== ticket.status;
    if (changed && (await this.hasPendingWrites(ticket.id))) return undefined;
    if (!changed) {
      const renamed = remoteStatus !== undefined && remoteStatus !== ticket.remoteStatus;
      return {
        ticket: {
          ...ticket,
          ...(renamed ? { remoteStatus, updatedAt: now } : {}),
          lastSyncedAt: now,
        },
        outbox: [],
        changed: false,
        deleted: false,
      };
    }
    const next: Ticket = {
      ...withStatus(
        ticket,
        status,
        now,
        'remote',
        status === 'deleted' ? 'no longer exists on its destination' : undefined,
        remoteStatus,
      ),
      lastSyncedAt: now,
    };
    return {
      ticket: next,
      outbox: await this.writeBacks(ticket, status, writeBackSources, now),
      changed: true,
      deleted: status === 'deleted',
    };
  }

  private async hasPendingWrites(ticketId: string): Promise<boolean> {
    const open = await this.options.store.queryOutbox({
      ticketId,
      states: ['pending', 'in_flight'],
      limit: 100,
    });
    return open.items.some((entry) => entry.operation !== 'write-back');
  }

  /** One write-back entry per source configuration of the ticket's alerts whose plugin writes back. */
  private async writeBacks(
    ticket: Ticket,
    status: TicketStatus,
    writeBackSources: ReadonlyArray<string>,
    now: number,
  ): Promise<OutboxEntry[]> {
    if (writeBackSources.length === 0) return [];
    const refs = new Set(ticket.alertRefs);
    // The ticket keeps a capped list of its alerts; the store has them all.
    if (ticket.alertCount > ticket.alertRefs.length) {
      const alerts = await this.options.store.queryAlerts({ ticketId: ticket.id, limit: 1_000 });
      for (const alert of alerts.items) refs.add(`${alert.sourceConfigId}/${alert.id}`);
    }
    const entries: OutboxEntry[] = [];
    for (const sourceConfigId of writeBackSources) {
      const prefix = `${sourceConfigId}/`;
      const alertRefs = [...refs].filter((ref) => ref.startsWith(prefix));
      if (alertRefs.length === 0) continue;
      entries.push({
        id: `${ticket.id}:write-back:${sourceConfigId}:${ticket.version + 1}`,
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
    return entries;
  }
}
