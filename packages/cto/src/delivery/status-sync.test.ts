import type { FakeClock, Ticket, TicketStore } from '@ce/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  boot,
  fakeDestination,
  fakeSource,
  makeAlert,
  makeEntry,
  makeTicket,
  start,
  stopAll,
} from './__fixtures__/delivery-harness.js';
import { OutboxProcessor } from './outbox-processor.js';
import { StatusSync } from './status-sync.js';

afterEach(stopAll);

async function setup(count: number, options: Parameters<typeof fakeDestination>[1] = {}) {
  const base = await boot([], {});
  const remote = fakeDestination(base.clock, { maxSyncBatch: 100, ...options });
  const source = fakeSource();
  const env = await boot(
    [remote.plugin, source.plugin],
    { tickets: remote.plugin.id, netskope: source.plugin.id },
    base.clock,
  );
  const tickets: Ticket[] = [];
  for (let i = 0; i < count; i++) {
    const key = `SEC-${i}`;
    remote.issues.set(key, { key, label: `ce-t${i}`, fields: {}, comments: [], status: 'Open' });
    tickets.push(
      makeTicket(`t${i}`, {
        idempotencyKey: `ce-t${i}`,
        remoteId: key,
        remoteStatus: 'Open',
        createdAt: start + i,
        alertRefs: [`netskope/a${i}`, `api/b${i}`],
        alertCount: 2,
      }),
    );
  }
  for (let offset = 0; offset < count; offset += 500)
    await env.store.commit({
      tickets: tickets.slice(offset, offset + 500).map((ticket) => ({ ticket, expectedVersion: null })),
      alerts: tickets
        .slice(offset, offset + 500)
        .flatMap((ticket, i) => [
          makeAlert('netskope', `a${offset + i}`, ticket.id),
          makeAlert('api', `b${offset + i}`, ticket.id),
        ]),
    });
  return { ...env, remote, source };
}

async function drive<T>(clock: FakeClock, promise: Promise<T>, stepMs = 100): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  for (let i = 0; i < 100_000 && !settled; i++) await clock.advance(stepMs);
  return watched;
}

async function ticket(store: TicketStore, id: string): Promise<Ticket> {
  return (await store.getTicket(id)) as Ticket;
}

describe('StatusSync', () => {
  it('reads 250 tickets in batches of 100, records changes and deletions, and queues write-backs', async () => {
    const { store, options, remote, source, clock } = await setup(250);
    (remote.issues.get('SEC-5') as { status: string }).status = 'In Progress';
    (remote.issues.get('SEC-7') as { status: string }).status = 'Done';
    (remote.issues.get('SEC-8') as { status: string }).status = 'Waiting for vendor';
    remote.issues.delete('SEC-9');
    await clock.advance(1_000);
    const sync = new StatusSync(options());
    expect(await sync.runOnce()).toEqual({ checked: 250, changed: 4, deleted: 1, failed: 0 });
    expect(remote.count('sync')).toBe(3);

    expect(await ticket(store, 't5')).toMatchObject({ status: 'in_progress', remoteStatus: 'In Progress' });
    const closed = await ticket(store, 't7');
    expect(closed).toMatchObject({ status: 'closed', remoteStatus: 'Done', closedAt: start + 1_000 });
    expect(closed.statusHistory.at(-1)).toMatchObject({
      status: 'closed',
      by: 'remote',
      remoteStatus: 'Done',
    });
    // A status neither map names is `other`, not dropped.
    expect(await ticket(store, 't8')).toMatchObject({ status: 'other', remoteStatus: 'Waiting for vendor' });
    expect(await ticket(store, 't9')).toMatchObject({ status: 'deleted', closedAt: start + 1_000 });
    const unchanged = await ticket(store, 't100');
    expect(unchanged).toMatchObject({ status: 'new', lastSyncedAt: start + 1_000, updatedAt: start });
    expect(await store.countTickets({ syncedBefore: start + 1_000 })).toBe(0);

    // One write-back per changed ticket, to the source that can take it (not the API intake).
    const writeBacks = await store.queryOutbox({ states: ['pending'] });
    expect(writeBacks.items.map((entry) => [entry.ticketId, entry.payload.status]).sort()).toEqual([
      ['t5', 'in_progress'],
      ['t7', 'closed'],
      ['t8', 'other'],
      ['t9', 'deleted'],
    ]);
    expect(writeBacks.items.find((entry) => entry.ticketId === 't7')?.payload).toEqual({
      sourceConfigId: 'netskope',
      status: 'closed',
      alertRefs: ['netskope/a7'],
    });
    expect(await new OutboxProcessor(options()).runOnce()).toMatchObject({ sent: 4 });
    expect(source.written.find((call) => call.ticketId === 't7')).toEqual({
      status: 'closed',
      alertIds: ['a7'],
      ticketId: 't7',
    });

    // Read recently: nothing to do until the interval passes; then only the open ones.
    expect(await sync.runOnce()).toMatchObject({ checked: 0 });
    await clock.advance(300_000);
    expect(await sync.runOnce()).toEqual({ checked: 248, changed: 0, deleted: 0, failed: 0 });
  });

  it('goes on after a failed batch and a malformed answer, counting their tickets as failed', async () => {
    const { store, options, remote, logger } = await setup(250);
    remote.failNext('sync', { status: 503 });
    remote.failNext('sync', 'malformed');
    const report = await new StatusSync(options()).runOnce();
    expect(report).toEqual({ checked: 50, changed: 0, deleted: 0, failed: 200 });
    expect(await store.countTickets({ syncedBefore: start })).toBe(200);
    expect(
      logger.records.filter((record) => record.message === 'status sync of a batch failed'),
    ).toHaveLength(2);
  });

  it('keeps within the rate limit, shared with the outbox', async () => {
    const { options, remote, clock } = await setup(500, { requestsPerSecond: 2 });
    const report = await drive(clock, new StatusSync(options({ concurrency: 3 })).runOnce());
    expect(report).toMatchObject({ checked: 500 });
    const times = remote.requests.map((request) => request.at);
    expect(times).toHaveLength(5);
    for (let i = 1; i < times.length; i++)
      expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(500);
  });

  it("applies the queue's status map, and leaves a ticket whose own write is on its way", async () => {
    const { store, options, remote } = await setup(2);
    (remote.issues.get('SEC-0') as { status: string }).status = 'Done';
    (remote.issues.get('SEC-1') as { status: string }).status = 'Done';
    // t1 was reopened locally; the reopen has not reached the destination yet.
    await store.commit({ outbox: [makeEntry('t1', 'reopen', { comment: 'again' })] });
    const sync = new StatusSync(options({ queue: () => ({ statusMap: { Done: 'on_hold' } }) }));
    expect(await sync.runOnce()).toEqual({ checked: 2, changed: 1, deleted: 0, failed: 0 });
    expect(await ticket(store, 't0')).toMatchObject({ status: 'on_hold' });
    const waiting = await ticket(store, 't1');
    expect(waiting.status).toBe('new');
    expect(waiting.lastSyncedAt).toBeUndefined();
  });

  it('applies a reading to the ticket as it is now when it changed during the request', async () => {
    const { store, options, remote } = await setup(3);
    (remote.issues.get('SEC-1') as { status: string }).status = 'In Progress';
    const plugins = options().plugins;
    const racing = {
      enabledConfigurations: plugins.enabledConfigurations.bind(plugins),
      definition: plugins.definition.bind(plugins),
      invoke: (async (configId: string, operation: string, call: never, invokeOptions: never) => {
        const result = await plugins.invoke(configId, operation, call, invokeOptions);
        if (operation === 'cto.sync') {
          const current = await ticket(store, 't1');
          await store.commit({
            tickets: [{ ticket: { ...current, dedupeCount: 3 }, expectedVersion: current.version }],
          });
        }
        return result;
      }) as typeof plugins.invoke,
    };
    expect(await new StatusSync(options({ plugins: racing })).runOnce()).toEqual({
      checked: 3,
      changed: 1,
      deleted: 0,
      failed: 0,
    });
    expect(await ticket(store, 't1')).toMatchObject({ status: 'in_progress', dedupeCount: 3 });
    expect((await ticket(store, 't2')).lastSyncedAt).toBe(start);
  });
});
