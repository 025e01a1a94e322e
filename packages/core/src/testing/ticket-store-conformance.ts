import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CeError } from '../errors/ce-error.js';
import type { OutboxEntry, StoredAlert, Ticket } from '../tickets/ticket-model.js';
import type { TicketStore } from '../tickets/ticket-store.js';

/** What a conformance test gets from the factory. */
export interface TicketStoreConformanceSubject {
  /** A new store over empty storage. */
  store: TicketStore;
  /** Closes the store and opens it again over the same data, for durable backends. */
  reopen?: () => Promise<TicketStore>;
  /** Closes whatever backs the store; called after every test. */
  close?: () => Promise<void>;
}

/** Creates a fresh subject for each test. */
export type TicketStoreConformanceFactory = () => Promise<TicketStoreConformanceSubject>;

const base = Date.parse('2026-01-01T00:00:00.000Z');

/** A valid ticket, overridable field by field. */
function ticket(id: string, overrides: Partial<Ticket> = {}): Ticket {
  return {
    id,
    idempotencyKey: `key-${id}`,
    queueId: 'soc',
    ruleId: 'dlp',
    destinationConfigId: 'jira',
    target: { project: 'SEC' },
    status: 'new',
    severity: 'high',
    title: `Ticket ${id}`,
    alertRefs: [],
    alertCount: 1,
    dedupeCount: 0,
    createdAt: base,
    updatedAt: base,
    statusHistory: [{ status: 'new', at: base, by: 'local' }],
    version: 0,
    ...overrides,
  };
}

function alert(id: string, overrides: Partial<StoredAlert> = {}): StoredAlert {
  return {
    id,
    sourceConfigId: 'netskope',
    type: 'dlp',
    name: `Alert ${id}`,
    severity: 'high',
    timestamp: base,
    raw: { policy: 'p' },
    fingerprint: `fp-${id}`,
    receivedAt: base,
    disposition: { kind: 'unrouted' },
    ...overrides,
  };
}

function entry(id: string, ticketId: string, overrides: Partial<OutboxEntry> = {}): OutboxEntry {
  return {
    id,
    ticketId,
    operation: 'create',
    payload: { fields: { summary: 's' } },
    state: 'pending',
    attempts: 0,
    nextAttemptAt: base,
    createdAt: base,
    updatedAt: base,
    ...overrides,
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return CeError.isInstance(error) ? error.code : 'not a CeError';
  }
}

/**
 * The `TicketStore` conformance suite: atomic commits with optimistic versions, unique
 * idempotency keys, every query filter, order and cursor, alert and outbox queries, pruning,
 * validation that names the field, and (for durable backends, given `reopen`) data that survives
 * a restart. Call it inside a test file; it defines its own `describe` block.
 *
 * @example
 * ```ts
 * runTicketStoreConformance('memory', async () => ({ store: createMemoryTicketStore() }));
 * ```
 */
export function runTicketStoreConformance(name: string, factory: TicketStoreConformanceFactory): void {
  describe(`TicketStore conformance: ${name}`, () => {
    let subject: TicketStoreConformanceSubject;
    let store: TicketStore;
    beforeEach(async () => {
      subject = await factory();
      store = subject.store;
    });
    afterEach(async () => {
      await subject.close?.();
    });

    it('creates tickets at version 1 and updates them only from the expected version', async () => {
      const [created] = await store.commit({ tickets: [{ ticket: ticket('t1'), expectedVersion: null }] });
      expect(created?.version).toBe(1);
      expect(await codeOf(store.commit({ tickets: [{ ticket: ticket('t1'), expectedVersion: null }] }))).toBe(
        'CONFLICT',
      );
      const [updated] = await store.commit({
        tickets: [{ ticket: ticket('t1', { status: 'in_progress' }), expectedVersion: 1 }],
      });
      expect(updated).toMatchObject({ version: 2, status: 'in_progress' });
      expect(
        await codeOf(
          store.commit({ tickets: [{ ticket: ticket('t1', { status: 'closed' }), expectedVersion: 1 }] }),
        ),
      ).toBe('CONFLICT');
      expect(await store.getTicket('t1')).toMatchObject({ version: 2, status: 'in_progress' });
      expect(await store.getTicket('missing')).toBeUndefined();
    });

    it('writes a commit whole or not at all', async () => {
      await store.commit({ tickets: [{ ticket: ticket('t1'), expectedVersion: null }] });
      const failing = store.commit({
        alerts: [alert('a1')],
        outbox: [entry('o1', 't2')],
        tickets: [
          { ticket: ticket('t2'), expectedVersion: null },
          { ticket: ticket('t1'), expectedVersion: 7 },
        ],
      });
      expect(await codeOf(failing)).toBe('CONFLICT');
      expect(await store.getTicket('t2')).toBeUndefined();
      expect(await store.getAlert('netskope', 'a1')).toBeUndefined();
      expect(await store.getOutbox('o1')).toBeUndefined();
      const invalid = store.commit({
        alerts: [alert('a2')],
        tickets: [{ ticket: ticket('t3', { status: 'bogus' as Ticket['status'] }), expectedVersion: null }],
      });
      expect(await codeOf(invalid)).toBe('VALIDATION_FAILED');
      expect(await store.getAlert('netskope', 'a2')).toBeUndefined();
    });

    it('names the field that breaks the model', async () => {
      const error = await store.commit({ outbox: [entry('o1', 't1', { attempts: -1 })] }).then(
        () => undefined,
        (thrown: unknown) => thrown as CeError & { issues?: Array<{ path: string }> },
      );
      expect(error?.code).toBe('VALIDATION_FAILED');
      expect(error?.issues?.map((issue) => issue.path)).toContain('outbox[0].attempts');
    });

    it('keeps an idempotency key to one ticket', async () => {
      await store.commit({
        tickets: [{ ticket: ticket('t1', { idempotencyKey: 'k' }), expectedVersion: null }],
      });
      expect(
        await codeOf(
          store.commit({
            tickets: [{ ticket: ticket('t2', { idempotencyKey: 'k' }), expectedVersion: null }],
          }),
        ),
      ).toBe('CONFLICT');
      expect(
        await codeOf(
          store.commit({
            tickets: [
              { ticket: ticket('t3', { idempotencyKey: 'j' }), expectedVersion: null },
              { ticket: ticket('t4', { idempotencyKey: 'j' }), expectedVersion: null },
            ],
          }),
        ),
      ).toBe('CONFLICT');
      expect((await store.queryTickets({ idempotencyKey: 'k' })).items.map((found) => found.id)).toEqual([
        't1',
      ]);
    });

    it('keeps what it stored safe from changes by the caller, before or after reading', async () => {
      const input = ticket('t1');
      await store.commit({ tickets: [{ ticket: input, expectedVersion: null }] });
      // A store may copy what it is given or freeze it: either way the change cannot reach it.
      try {
        (input as { title: string }).title = 'changed after commit';
      } catch {
        // frozen: fine
      }
      const read = await store.getTicket('t1');
      expect(read?.title).toBe('Ticket t1');
      try {
        (read as { title: string }).title = 'changed after read';
        (read?.alertRefs as string[] | undefined)?.push('injected');
      } catch {
        // frozen: fine
      }
      expect(await store.getTicket('t1')).toMatchObject({ title: 'Ticket t1', alertRefs: [] });
    });

    it('filters tickets by every field it offers', async () => {
      await store.commit({
        tickets: [
          {
            ticket: ticket('a', { dedupeKey: 'd1', severity: 'critical', title: 'Data Leak' }),
            expectedVersion: null,
          },
          {
            ticket: ticket('b', {
              status: 'closed',
              queueId: 'it',
              groupKey: 'g1',
              remoteId: 'SEC-2',
              createdAt: base + 10,
            }),
            expectedVersion: null,
          },
          {
            ticket: ticket('c', {
              destinationConfigId: 'slack',
              ruleId: 'malware',
              approval: { state: 'pending' },
              lastSyncedAt: base + 5,
              updatedAt: base + 20,
              createdAt: base + 20,
            }),
            expectedVersion: null,
          },
        ],
      });
      const ids = async (query: Parameters<TicketStore['queryTickets']>[0]) =>
        (await store.queryTickets(query)).items.map((found) => found.id).sort();
      expect(await ids({ statuses: ['closed'] })).toEqual(['b']);
      expect(await ids({ queueId: 'soc' })).toEqual(['a', 'c']);
      expect(await ids({ ruleId: 'malware' })).toEqual(['c']);
      expect(await ids({ destinationConfigId: 'slack' })).toEqual(['c']);
      expect(await ids({ severities: ['critical'] })).toEqual(['a']);
      expect(await ids({ dedupeKey: 'd1' })).toEqual(['a']);
      expect(await ids({ groupKey: 'g1' })).toEqual(['b']);
      expect(await ids({ remoteId: 'SEC-2' })).toEqual(['b']);
      expect(await ids({ approvalPending: true })).toEqual(['c']);
      expect(await ids({ createdFrom: base + 10 })).toEqual(['b', 'c']);
      expect(await ids({ createdTo: base + 10 })).toEqual(['a']);
      expect(await ids({ updatedFrom: base + 1 })).toEqual(['c']);
      expect(await ids({ syncedBefore: base + 5 })).toEqual(['a', 'b']);
      expect(await ids({ titleContains: 'data leak' })).toEqual(['a']);
      expect(await store.countTickets({ queueId: 'soc' })).toBe(2);
      expect(await store.countTickets()).toBe(3);
    });

    it('pages tickets in order with cursors, unaffected by inserts between pages', async () => {
      const all = Array.from({ length: 25 }, (_, i) =>
        ticket(`t${String(i).padStart(2, '0')}`, { createdAt: base + (i % 5), updatedAt: base + i }),
      );
      await store.commit({ tickets: all.map((one) => ({ ticket: one, expectedVersion: null })) });
      const seen: string[] = [];
      let cursor: string | undefined;
      let page = 0;
      do {
        const result = await store.queryTickets({
          sort: 'createdAt',
          order: 'asc',
          limit: 10,
          ...(cursor ? { cursor } : {}),
        });
        seen.push(...result.items.map((found) => found.id));
        cursor = result.nextCursor;
        if (page++ === 0)
          await store.commit({
            tickets: [{ ticket: ticket('late', { createdAt: base + 100 }), expectedVersion: null }],
          });
      } while (cursor);
      const expected = [...all, ticket('late', { createdAt: base + 100 })]
        .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
        .map((one) => one.id);
      expect(seen).toEqual(expected);
      const newest = await store.queryTickets({ sort: 'updatedAt', order: 'desc', limit: 1 });
      expect(newest.items[0]?.id).toBe('t24');
      expect(await codeOf(store.queryTickets({ cursor: 'not-a-cursor' }))).toBe('VALIDATION_FAILED');
    });

    it('upserts alerts by source and id, and finds them by ticket, disposition and time', async () => {
      await store.commit({
        alerts: [
          alert('a1', { disposition: { kind: 'ticketed', ruleId: 'r', queueId: 'q', ticketId: 't1' } }),
          alert('a2', { disposition: { kind: 'muted', reason: 'silenced' }, receivedAt: base + 5 }),
          alert('a1', { sourceConfigId: 'other' }),
        ],
      });
      await store.commit({
        alerts: [
          alert('a2', {
            disposition: { kind: 'deduplicated', ruleId: 'r', queueId: 'q', ticketId: 't1' },
            receivedAt: base + 5,
          }),
        ],
      });
      const keys = (page: { items: StoredAlert[] }) =>
        page.items.map((found) => `${found.sourceConfigId}/${found.id}`);
      expect(keys(await store.queryAlerts({ ticketId: 't1' })).sort()).toEqual([
        'netskope/a1',
        'netskope/a2',
      ]);
      expect(keys(await store.queryAlerts({ dispositions: ['unrouted'] }))).toEqual(['other/a1']);
      expect(keys(await store.queryAlerts({ receivedFrom: base + 1 }))).toEqual(['netskope/a2']);
      expect(keys(await store.queryAlerts({ sourceConfigId: 'other' }))).toEqual(['other/a1']);
      expect(keys(await store.queryAlerts({ fingerprint: 'fp-a2' }))).toEqual(['netskope/a2']);
      expect(await store.countAlerts()).toBe(3);
      expect(
        [
          ...(await store.knownAlerts([
            ['netskope', 'a1'],
            ['netskope', 'zz'],
            ['other', 'a1'],
          ])),
        ].sort(),
      ).toEqual(['netskope/a1', 'other/a1']);
      expect((await store.getAlert('netskope', 'a2'))?.disposition.kind).toBe('deduplicated');
    });

    it('lists outbox entries due, oldest first, by state and ticket', async () => {
      await store.commit({
        outbox: [
          entry('o1', 't1', { nextAttemptAt: base + 30 }),
          entry('o2', 't1', { nextAttemptAt: base + 10, operation: 'comment' }),
          entry('o3', 't2', { state: 'done' }),
          entry('o4', 't2', { state: 'in_flight', nextAttemptAt: base + 20 }),
        ],
      });
      const ids = (page: { items: OutboxEntry[] }) => page.items.map((found) => found.id);
      expect(ids(await store.queryOutbox({ states: ['pending'], dueBy: base + 30 }))).toEqual(['o2', 'o1']);
      expect(ids(await store.queryOutbox({ states: ['pending'], dueBy: base + 15 }))).toEqual(['o2']);
      expect(ids(await store.queryOutbox({ states: ['in_flight'] }))).toEqual(['o4']);
      expect(ids(await store.queryOutbox({ ticketId: 't2' }))).toEqual(['o3', 'o4']);
      await store.commit({ outbox: [entry('o2', 't1', { state: 'done', nextAttemptAt: base + 10 })] });
      expect(ids(await store.queryOutbox({ states: ['pending', 'in_flight'] }))).toEqual(['o4', 'o1']);
      expect((await store.getOutbox('o2'))?.state).toBe('done');
    });

    it('prunes old alerts of finished tickets and old finished outbox entries only', async () => {
      await store.commit({
        tickets: [
          { ticket: ticket('open'), expectedVersion: null },
          { ticket: ticket('closed', { status: 'closed' }), expectedVersion: null },
        ],
        alerts: [
          alert('a-open', { disposition: { kind: 'ticketed', ruleId: 'r', queueId: 'q', ticketId: 'open' } }),
          alert('a-closed', {
            disposition: { kind: 'ticketed', ruleId: 'r', queueId: 'q', ticketId: 'closed' },
          }),
          alert('a-muted', { disposition: { kind: 'muted', reason: 'x' } }),
          alert('a-new', { receivedAt: base + 100 }),
        ],
        outbox: [entry('done', 'closed', { state: 'done' }), entry('pending', 'open')],
      });
      expect(await store.prune(base + 50)).toEqual({ alerts: 2, outbox: 1 });
      expect(await store.getAlert('netskope', 'a-open')).toBeDefined();
      expect(await store.getAlert('netskope', 'a-new')).toBeDefined();
      expect(await store.getAlert('netskope', 'a-closed')).toBeUndefined();
      expect(await store.getOutbox('pending')).toBeDefined();
    });

    it('keeps everything across a restart, when the backend is durable', async () => {
      if (!subject.reopen) return;
      await store.commit({
        tickets: [{ ticket: ticket('t1', { dedupeKey: 'd' }), expectedVersion: null }],
        alerts: [alert('a1')],
        outbox: [entry('o1', 't1')],
      });
      store = await subject.reopen();
      expect(await store.getTicket('t1')).toMatchObject({
        version: 1,
        dedupeKey: 'd',
        target: { project: 'SEC' },
      });
      expect(await store.getAlert('netskope', 'a1')).toMatchObject({ raw: { policy: 'p' } });
      expect((await store.queryOutbox({ states: ['pending'] })).items).toHaveLength(1);
      expect(
        await codeOf(
          store.commit({
            tickets: [{ ticket: ticket('t2', { idempotencyKey: 'key-t1' }), expectedVersion: null }],
          }),
        ),
      ).toBe('CONFLICT');
    });
  });
}
