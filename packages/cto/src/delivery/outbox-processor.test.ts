import type { FakeClock, OutboxEntry } from '@ce/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  boot,
  fakeDestination,
  makeEntry,
  makeTicket,
  seed,
  start,
  stopAll,
} from './__fixtures__/delivery-harness.js';
import { OutboxProcessor } from './outbox-processor.js';

afterEach(stopAll);

const createPayload = { fields: { summary: 'PCI data uploaded' }, alerts: [], alertCount: 1 };

async function setup(options: Parameters<typeof fakeDestination>[1] = {}) {
  const base = await boot([], {});
  const remote = fakeDestination(base.clock, options);
  const env = await boot([remote.plugin], { tickets: remote.plugin.id }, base.clock);
  return { ...env, remote };
}

/** Advances the fake clock in steps until `promise` settles. */
async function drive<T>(clock: FakeClock, promise: Promise<T>, stepMs = 100): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  for (let i = 0; i < 100_000 && !settled; i++) await clock.advance(stepMs);
  return watched;
}

async function entry(store: { getOutbox(id: string): Promise<OutboxEntry | undefined> }, id: string) {
  return (await store.getOutbox(id)) as OutboxEntry;
}

describe('OutboxProcessor', () => {
  it('creates the ticket, records remote id, link and mapped status, and clears the last error', async () => {
    const { store, options, remote } = await setup();
    const previous = { code: 'HTTP_ERROR', message: 'status 503', at: start - 1, retryable: true };
    await seed(store, makeTicket('t1', { lastError: previous }), [makeEntry('t1', 'create', createPayload)]);
    const outbox = new OutboxProcessor(
      options({ queue: (id) => (id === 'soc' ? { statusMap: { Open: 'in_progress' } } : undefined) }),
    );
    expect(await outbox.runOnce()).toMatchObject({ sent: 1, failed: 0, retried: 0 });
    const ticket = await store.getTicket('t1');
    expect(ticket).toMatchObject({
      remoteId: 'SEC-1',
      link: 'https://tickets.example/browse/SEC-1',
      remoteStatus: 'Open',
      // The queue's map wins over the plugin's `Open: new`.
      status: 'in_progress',
    });
    expect(ticket?.lastError).toBeUndefined();
    expect(ticket?.statusHistory.at(-1)).toMatchObject({
      status: 'in_progress',
      remoteStatus: 'Open',
      by: 'local',
    });
    expect((await entry(store, `t1:create:${start}`)).state).toBe('done');
    expect(remote.issues.get('SEC-1')?.fields).toEqual({ summary: 'PCI data uploaded' });
    // Nothing is due any more.
    expect(await outbox.runOnce()).toMatchObject({ sent: 0 });
    expect(remote.count('create')).toBe(1);
  });

  it("maps with the plugin's defaults, and marks a notification destination's tickets as notifications", async () => {
    const tickets = await setup();
    await seed(tickets.store, makeTicket('t1'), [makeEntry('t1', 'create', createPayload)]);
    await new OutboxProcessor(tickets.options()).runOnce();
    expect((await tickets.store.getTicket('t1'))?.status).toBe('new');

    const notifications = await setup({ kind: 'notification', id: 'fake-chat' });
    await seed(notifications.store, makeTicket('n1'), [makeEntry('n1', 'create', createPayload)]);
    await new OutboxProcessor(notifications.options()).runOnce();
    expect((await notifications.store.getTicket('n1'))?.status).toBe('notification');
  });

  it("sends a ticket's writes in order: a comment decided in the same instant waits for its create", async () => {
    const { store, options, remote } = await setup();
    // The comment's id sorts before the create's; creation order must still win.
    await seed(store, makeTicket('t1'), [
      makeEntry('t1', 'comment', { comment: 'seen again', alerts: [] }, start, { id: 't1:a-comment' }),
      makeEntry('t1', 'create', createPayload, start, { id: 't1:b-create' }),
    ]);
    const report = await new OutboxProcessor(options()).runOnce();
    expect(report).toMatchObject({ sent: 2, waiting: 0 });
    expect(remote.requests.map((request) => request.operation)).toEqual(['create', 'update:comment']);
    expect(remote.issues.get('SEC-1')?.comments).toEqual(['seen again']);
  });

  it('holds the writes behind a create that is not due yet (a group waiting) until it is', async () => {
    const { store, options, remote, clock } = await setup();
    await seed(store, makeTicket('t1'), [
      makeEntry('t1', 'create', createPayload, start, { nextAttemptAt: start + 30_000 }),
      makeEntry('t1', 'comment', { comment: 'joined', alerts: [] }, start + 1, { nextAttemptAt: start }),
    ]);
    const outbox = new OutboxProcessor(options());
    expect(await outbox.runOnce()).toMatchObject({ sent: 0, waiting: 1 });
    // Not due again before its create: it no longer takes a place in every run's batch.
    expect((await entry(store, `t1:comment:${start + 1}`)).nextAttemptAt).toBe(start + 30_000);
    expect(await outbox.runOnce()).toMatchObject({ sent: 0, waiting: 0 });
    await clock.advance(30_000);
    expect(await outbox.runOnce()).toMatchObject({ sent: 2 });
    expect(remote.requests.map((request) => request.operation)).toEqual(['create', 'update:comment']);
  });

  it('holds a comment whose create failed, and sends it right after the create succeeds', async () => {
    const { store, options, remote, clock } = await setup();
    remote.failNext('create', { status: 400 });
    await seed(store, makeTicket('t1'), [
      makeEntry('t1', 'create', createPayload),
      makeEntry('t1', 'comment', { comment: 'again', alerts: [] }, start + 1, { nextAttemptAt: start }),
    ]);
    const outbox = new OutboxProcessor(options());
    expect(await outbox.runOnce()).toMatchObject({ failed: 1, waiting: 1 });
    expect(remote.count('update:comment')).toBe(0);
    const held = await entry(store, `t1:comment:${start + 1}`);
    expect(held).toMatchObject({ state: 'pending', attempts: 0 });
    await clock.advance(1_000);
    expect(await outbox.retry('t1')).toBe(1);
    expect(await outbox.runOnce()).toMatchObject({ sent: 2 });
    expect(remote.issues.get('SEC-1')?.comments).toEqual(['again']);
  });

  it('retries a 503 with exponential backoff and jitter, then succeeds without a second ticket', async () => {
    const { store, options, remote, clock } = await setup();
    remote.failNext('create', { status: 503 });
    await seed(store, makeTicket('t1'), [makeEntry('t1', 'create', createPayload)]);
    const outbox = new OutboxProcessor(options({ retry: { baseDelayMs: 4_000, jitter: 0.5 } }));
    expect(await outbox.runOnce()).toMatchObject({ retried: 1, sent: 0 });
    const waiting = await entry(store, `t1:create:${start}`);
    // 4 s, half of it drawn at random (0.5 here): 3 s.
    expect(waiting).toMatchObject({ state: 'pending', attempts: 1, nextAttemptAt: start + 3_000 });
    expect(waiting.lastError).toMatchObject({ code: 'HTTP_ERROR', retryable: true });
    expect((await store.getTicket('t1'))?.lastError).toMatchObject({ code: 'HTTP_ERROR' });
    await clock.advance(2_999);
    expect(await outbox.runOnce()).toMatchObject({ sent: 0 });
    await clock.advance(1);
    expect(await outbox.runOnce()).toMatchObject({ sent: 1 });
    expect(remote.count('create')).toBe(2);
    expect(remote.createsByKey.get('ce-t1')).toBe(1);
    expect(await store.getTicket('t1')).toMatchObject({ remoteId: 'SEC-1', status: 'new' });
    expect((await store.getTicket('t1'))?.lastError).toBeUndefined();
  });

  it('doubles the wait per attempt and fails for good after maxAttempts', async () => {
    const { store, options, remote, clock } = await setup();
    remote.failNext('create', { status: 502 }, 3);
    await seed(store, makeTicket('t1'), [makeEntry('t1', 'create', createPayload)]);
    const outbox = new OutboxProcessor(options({ maxAttempts: 3, retry: { baseDelayMs: 1_000, jitter: 0 } }));
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      await outbox.runOnce();
      const current = await entry(store, `t1:create:${start}`);
      if (current.state === 'pending') {
        waits.push(current.nextAttemptAt - clock.now());
        await clock.advance(current.nextAttemptAt - clock.now());
      }
    }
    expect(waits).toEqual([1_000, 2_000]);
    expect(await entry(store, `t1:create:${start}`)).toMatchObject({ state: 'failed', attempts: 3 });
    expect(await store.getTicket('t1')).toMatchObject({ status: 'failed', lastError: { retryable: true } });
  });

  it('honours Retry-After', async () => {
    const { store, options, remote, clock } = await setup();
    remote.failNext('create', { status: 429, retryAfterSeconds: 120 });
    await seed(store, makeTicket('t1'), [makeEntry('t1', 'create', createPayload)]);
    const outbox = new OutboxProcessor(options());
    expect(await outbox.runOnce()).toMatchObject({ retried: 1 });
    expect(await entry(store, `t1:create:${start}`)).toMatchObject({
      nextAttemptAt: start + 120_000,
      lastError: { code: 'HTTP_RATE_LIMITED' },
    });
    await clock.advance(119_999);
    expect(await outbox.runOnce()).toMatchObject({ sent: 0 });
    expect(remote.count('create')).toBe(1);
    await clock.advance(1);
    expect(await outbox.runOnce()).toMatchObject({ sent: 1 });
  });

  it.each([
    [400, 'HTTP_ERROR'],
    [401, 'HTTP_AUTH_FAILED'],
    [403, 'HTTP_AUTH_FAILED'],
    [404, 'HTTP_ERROR'],
  ])(
    'does not retry %i: the ticket shows as failed with the error, without secrets',
    async (status, code) => {
      const { store, options, remote, logger } = await setup();
      remote.failNext('create', { status });
      await seed(store, makeTicket('t1'), [makeEntry('t1', 'create', createPayload)]);
      expect(await new OutboxProcessor(options()).runOnce()).toMatchObject({ failed: 1, retried: 0 });
      const failed = await store.queryTickets({ statuses: ['failed'] });
      expect(failed.items.map((ticket) => ticket.id)).toEqual(['t1']);
      const ticket = failed.items[0];
      expect(ticket?.lastError).toMatchObject({ code, retryable: false });
      expect(ticket?.statusHistory.at(-1)).toMatchObject({ status: 'failed', by: 'local' });
      expect(JSON.stringify(ticket)).not.toContain('s3cr3t-value');
      expect(JSON.stringify(logger.records)).not.toContain('s3cr3t-value');
      expect(await entry(store, `t1:create:${start}`)).toMatchObject({ state: 'failed', attempts: 1 });
      expect(remote.count('create')).toBe(1);
    },
  );

  it('tries a failed create again after failedRetryIntervalMs, and at once through retry()', async () => {
    const { store, options, remote, clock } = await setup();
    remote.failNext('create', { status: 400 }, 2);
    await seed(store, makeTicket('t1'), [makeEntry('t1', 'create', createPayload)]);
    await seed(store, makeTicket('t2', { idempotencyKey: 'ce-t2' }), [
      makeEntry('t2', 'create', createPayload),
    ]);
    const outbox = new OutboxProcessor(options({ failedRetryIntervalMs: 3_600_000 }));
    expect(await outbox.runOnce()).toMatchObject({ failed: 2 });

    expect(await outbox.retry('t2')).toBe(1);
    expect(await outbox.runOnce()).toMatchObject({ sent: 1, requeued: 0 });
    expect(await store.getTicket('t2')).toMatchObject({ status: 'new', remoteId: 'SEC-1' });
    expect(await store.getTicket('t1')).toMatchObject({ status: 'failed' });

    await clock.advance(3_599_999);
    expect(await outbox.runOnce()).toMatchObject({ requeued: 0, sent: 0 });
    await clock.advance(1);
    expect(await outbox.runOnce()).toMatchObject({ requeued: 1, sent: 1 });
    const ticket = await store.getTicket('t1');
    expect(ticket).toMatchObject({ status: 'new', remoteId: 'SEC-2' });
    expect(ticket?.lastError).toBeUndefined();
    expect(ticket?.statusHistory.map((change) => change.status)).toEqual(['new', 'failed', 'new']);
    // The failed attempt had an answer (400), but a requeued create still looks before it writes.
    expect(remote.count('find')).toBe(2);
  });

  it('after a crash between in_flight and done, finds the ticket by its key instead of creating it twice', async () => {
    const { store, options, remote } = await setup();
    await seed(store, makeTicket('t1'), [makeEntry('t1', 'create', createPayload)]);
    // The first process marked the create in flight, the destination created it, then the process died.
    const first = new OutboxProcessor(options());
    remote.failNext('create', 'hang');
    void first.runOnce();
    for (let i = 0; i < 200 && (await entry(store, `t1:create:${start}`)).state !== 'in_flight'; i++)
      await new Promise((resolve) => setImmediate(resolve));
    expect((await entry(store, `t1:create:${start}`)).state).toBe('in_flight');
    remote.issues.set('SEC-9', {
      key: 'SEC-9',
      label: 'ce-t1',
      fields: {},
      comments: [],
      status: 'In Progress',
    });

    const second = new OutboxProcessor(options());
    expect(await second.recover()).toBe(1);
    const recovered = await entry(store, `t1:create:${start}`);
    expect(recovered).toMatchObject({
      state: 'pending',
      payload: { ambiguous: true },
      lastError: { code: 'ABORTED' },
    });
    expect(await second.runOnce()).toMatchObject({ sent: 1, adopted: 1 });
    expect(remote.count('create')).toBe(1); // the hung call only
    expect(await store.getTicket('t1')).toMatchObject({ remoteId: 'SEC-9', status: 'in_progress' });
    expect((await entry(store, `t1:create:${start}`)).state).toBe('done');
  });

  it('looks up a create that timed out after reaching the destination, and adopts it', async () => {
    const { store, options, remote } = await setup();
    remote.failNext('create', 'timeout-after-create');
    await seed(store, makeTicket('t1'), [makeEntry('t1', 'create', createPayload)]);
    const outbox = new OutboxProcessor(options({ retry: { baseDelayMs: 0 } }));
    expect(await outbox.runOnce()).toMatchObject({ retried: 1 });
    expect((await entry(store, `t1:create:${start}`)).payload).toMatchObject({ ambiguous: true });
    expect(await outbox.runOnce()).toMatchObject({ adopted: 1 });
    expect(remote.createsByKey.get('ce-t1')).toBe(1);
    expect(remote.issues.size).toBe(1);
  });

  it('treats a call that outlives callTimeoutMs as of unknown outcome', async () => {
    const { store, options, remote, clock } = await setup();
    remote.failNext('create', 'hang');
    await seed(store, makeTicket('t1'), [makeEntry('t1', 'create', createPayload)]);
    const outbox = new OutboxProcessor(
      options({ callTimeoutMs: 10_000, retry: { baseDelayMs: 1_000, jitter: 0 } }),
    );
    expect(await drive(clock, outbox.runOnce(), 1_000)).toMatchObject({ retried: 1 });
    expect(await entry(store, `t1:create:${start}`)).toMatchObject({
      payload: { ambiguous: true },
      lastError: { code: 'TIMEOUT' },
    });
    await clock.advance(1_000);
    expect(await outbox.runOnce()).toMatchObject({ sent: 1, adopted: 0 });
    expect(remote.count('find')).toBe(1);
    expect(remote.createsByKey.get('ce-t1')).toBe(1);
  });

  it('without find, fails an unknown-outcome create visibly instead of risking a duplicate', async () => {
    const { store, options, remote, clock } = await setup({ withFind: false });
    remote.failNext('create', 'timeout-after-create');
    await seed(store, makeTicket('t1'), [makeEntry('t1', 'create', createPayload)]);
    const outbox = new OutboxProcessor(options({ retry: { baseDelayMs: 0 } }));
    expect(await outbox.runOnce()).toMatchObject({ retried: 1 });
    expect(await outbox.runOnce()).toMatchObject({ failed: 1 });
    const ticket = await store.getTicket('t1');
    expect(ticket).toMatchObject({ status: 'failed', lastError: { code: 'CONFLICT', retryable: false } });
    expect(ticket?.lastError?.message).toContain('outcome unknown');
    // Not put back by the interval: a person checks and retries.
    await clock.advance(10 * 3_600_000);
    expect(await outbox.runOnce()).toMatchObject({ requeued: 0, sent: 0 });
    expect(remote.count('create')).toBe(1);
    expect(await outbox.retry('t1')).toBe(1);
    expect(await outbox.runOnce()).toMatchObject({ sent: 1 });
    expect(remote.createsByKey.get('ce-t1')).toBe(2);
  });

  it('repeats an unknown-outcome create on a destination whose create is idempotent by key', async () => {
    const { store, options, remote } = await setup({ withFind: false, idempotentCreate: true });
    remote.failNext('create', 'timeout-after-create');
    await seed(store, makeTicket('t1'), [makeEntry('t1', 'create', createPayload)]);
    const outbox = new OutboxProcessor(options({ retry: { baseDelayMs: 0 } }));
    expect(await outbox.runOnce()).toMatchObject({ retried: 1 });
    expect(await outbox.runOnce()).toMatchObject({ sent: 1 });
    expect(remote.count('create')).toBe(2);
    expect(remote.issues.size).toBe(1);
    expect(await store.getTicket('t1')).toMatchObject({ remoteId: 'SEC-1' });
  });

  it('records a malformed answer as PLUGIN_FAILED and looks the ticket up before any repeat', async () => {
    const { store, options, remote } = await setup();
    remote.failNext('create', 'malformed');
    await seed(store, makeTicket('t1'), [makeEntry('t1', 'create', createPayload)]);
    const outbox = new OutboxProcessor(options());
    expect(await outbox.runOnce()).toMatchObject({ failed: 1 });
    const ticket = await store.getTicket('t1');
    expect(ticket).toMatchObject({
      status: 'failed',
      lastError: { code: 'PLUGIN_FAILED', retryable: false },
    });
    expect(ticket?.lastError?.message).toContain('remoteId');
    expect((await entry(store, `t1:create:${start}`)).payload).toMatchObject({ ambiguous: true });
    await outbox.retry('t1');
    expect(await outbox.runOnce()).toMatchObject({ sent: 1 });
    expect(remote.count('find')).toBe(1);

    await store.commit({
      outbox: [makeEntry('t1', 'comment', { comment: 'x', alerts: [] }, start + 5, { nextAttemptAt: start })],
    });
    remote.failNext('update:comment', 'malformed');
    expect(await outbox.runOnce()).toMatchObject({ failed: 1 });
    expect(await entry(store, `t1:comment:${start + 5}`)).toMatchObject({
      state: 'failed',
      lastError: { code: 'PLUGIN_FAILED' },
    });
    // A failed comment leaves the ticket's status alone.
    expect((await store.getTicket('t1'))?.status).toBe('new');
  });

  it('resolves and reopens, and fails an entry whose ticket does not exist', async () => {
    const { store, options, remote } = await setup();
    await seed(store, makeTicket('t1'), [
      makeEntry('t1', 'create', createPayload),
      makeEntry('t1', 'resolve', { comment: 'done' }, start + 1, { nextAttemptAt: start }),
    ]);
    await store.commit({ outbox: [makeEntry('ghost', 'create', createPayload)] });
    const outbox = new OutboxProcessor(options());
    expect(await outbox.runOnce()).toMatchObject({ sent: 2, failed: 1 });
    expect(remote.issues.get('SEC-1')?.status).toBe('Done');
    const ticket = await store.getTicket('t1');
    expect(ticket).toMatchObject({ status: 'closed', closedAt: start });
    expect(await entry(store, `ghost:create:${start}`)).toMatchObject({
      state: 'failed',
      lastError: { code: 'NOT_FOUND' },
    });
    await store.commit({
      outbox: [makeEntry('t1', 'reopen', { comment: 'again' }, start + 2, { nextAttemptAt: start })],
    });
    expect(await outbox.runOnce()).toMatchObject({ sent: 1 });
    expect(await store.getTicket('t1')).toMatchObject({ status: 'new', remoteStatus: 'Open' });
  });

  it('keeps the result of a write when the ticket changed meanwhile (version conflict)', async () => {
    const { store, options, remote } = await setup();
    await seed(store, makeTicket('t1'), [makeEntry('t1', 'create', createPayload)]);
    remote.failNext('create', 'hang');
    // Instead of hanging, the orchestrator updates the ticket while the call is out.
    const plugins = options().plugins;
    const racing = {
      ...plugins,
      enabledConfigurations: plugins.enabledConfigurations.bind(plugins),
      definition: plugins.definition.bind(plugins),
      invoke: (async (configId: string, operation: string, call: never, invokeOptions: never) => {
        if (operation === 'cto.create') {
          const ticket = await store.getTicket('t1');
          if (ticket)
            await store.commit({
              tickets: [{ ticket: { ...ticket, dedupeCount: 5 }, expectedVersion: ticket.version }],
            });
          return { remoteId: 'SEC-7', remoteStatus: 'Open' };
        }
        return plugins.invoke(configId, operation, call, invokeOptions);
      }) as typeof plugins.invoke,
    };
    expect(await new OutboxProcessor(options({ plugins: racing })).runOnce()).toMatchObject({ sent: 1 });
    expect(await store.getTicket('t1')).toMatchObject({ remoteId: 'SEC-7', dedupeCount: 5, version: 3 });
  });

  it('stays within the destination rate limit and its concurrency', async () => {
    const { store, options, remote, clock } = await setup({ requestsPerSecond: 2 });
    for (let i = 0; i < 10; i++)
      await seed(store, makeTicket(`t${i}`, { idempotencyKey: `ce-t${i}` }), [
        makeEntry(`t${i}`, 'create', createPayload),
      ]);
    const report = await drive(clock, new OutboxProcessor(options({ concurrency: 3 })).runOnce(), 50);
    expect(report).toMatchObject({ sent: 10 });
    const times = remote.requests.map((request) => request.at);
    expect(times).toHaveLength(10);
    for (let i = 0; i < times.length; i++) {
      const inWindow = times.filter((at) => at >= (times[i] as number) && at < (times[i] as number) + 1_000);
      expect(inWindow.length).toBeLessThanOrEqual(2);
    }
    // 10 requests at 2 a second take at least 4.5 s after the first.
    expect((times.at(-1) as number) - (times[0] as number)).toBeGreaterThanOrEqual(4_500);
  });
});
