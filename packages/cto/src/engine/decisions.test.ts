import {
  alertInputSchema,
  createMemoryStorage,
  FakeClock,
  type OutboxEntry,
  type TicketStore,
} from '@ce/core';
import { describe, expect, it } from 'vitest';
import { alert, boot, start, ticketSystem } from './__fixtures__/orchestrator-harness.js';
import { fastHash, parseAlert, stableHash } from './alert-fields.js';
import { maintenanceEnd } from './orchestrator-config.js';
import type { TicketOrchestrator } from './ticket-orchestrator.js';

const minute = 60_000;
const hour = 60 * minute;

async function pending(store: TicketStore, ticketId?: string): Promise<OutboxEntry[]> {
  return (await store.queryOutbox({ states: ['pending'], ...(ticketId ? { ticketId } : {}) })).items;
}

async function setup(options: Parameters<typeof boot>[3] = {}) {
  const remote = ticketSystem();
  const clock = new FakeClock(start);
  const storage = createMemoryStorage({ clock });
  const booted = await boot([remote.plugin], storage, clock, options);
  return { ...booted, remote, storage, store: storage.tickets as TicketStore };
}

describe('deduplication', () => {
  it('folds equal alerts of one batch into the create, comments later ones, and opens a new ticket once the window has passed', async () => {
    const { cto, clock, store, remote } = await setup();
    await cto.putRule({
      id: 'dlp',
      condition: 'type = "dlp"',
      queueId: 'soc',
      dedup: { fields: ['user'], window: '30m' },
    });
    expect(await cto.submit([alert('a1'), alert('a2'), alert('a3')], { sourceConfigId: 'ns' })).toMatchObject(
      {
        ticketed: 1,
        deduplicated: 2,
      },
    );
    const [entry, ...others] = await pending(store);
    expect(others).toEqual([]);
    expect(entry).toMatchObject({ operation: 'create', payload: { alertCount: 3 } });
    expect(entry?.payload.alerts).toHaveLength(3);
    const [ticket] = (await cto.listTickets()).items;
    expect(ticket).toMatchObject({ alertCount: 3, dedupeCount: 2, lastAlertAt: start });
    await cto.deliver();
    // Within the window from the last alert (not from the creation): one comment for two alerts.
    await clock.advance(25 * minute);
    await cto.submit([alert('a4'), alert('a5')], { sourceConfigId: 'ns' });
    await clock.advance(25 * minute);
    await cto.submit([alert('a6')], { sourceConfigId: 'ns' });
    await cto.deliver();
    expect(remote.issues.get('SEC-1')?.comments).toEqual([
      expect.stringMatching(/^Seen again 2 times \(4 repeat\(s\) in all\)/),
      expect.stringMatching(/^Seen again \(5 repeat\(s\)\)/),
    ]);
    // 31 minutes of quiet: the window has passed and the next alert opens another ticket.
    await clock.advance(31 * minute);
    expect(await cto.submit([alert('a7')], { sourceConfigId: 'ns' })).toMatchObject({ ticketed: 1 });
    const tickets = (await cto.listTickets({ sort: 'createdAt', order: 'asc' })).items;
    expect(tickets).toHaveLength(2);
    expect(tickets[0]?.dedupeKey).toBe(tickets[1]?.dedupeKey);
    expect(tickets[0]?.id).not.toBe(tickets[1]?.id);
  });

  it('reopens a closed ticket inside the reopen window with a reopen entry', async () => {
    const { cto, clock, store } = await setup();
    await cto.putRule({
      id: 'dlp',
      condition: { always: true },
      queueId: 'soc',
      dedup: { fields: ['user'], window: '1h', reopenWindow: '2h' },
    });
    await cto.submit([alert('a1')], { sourceConfigId: 'ns' });
    await cto.deliver();
    const [ticket] = (await cto.listTickets()).items;
    await clock.advance(10 * minute);
    const closed = await cto.resolve(ticket!.id, 'false positive');
    expect(closed).toMatchObject({ status: 'closed', closedAt: start + 10 * minute });
    await cto.deliver();
    await clock.advance(hour);
    const explained = await cto.explain(alert('a2'), { sourceConfigId: 'ns' });
    expect(explained).toMatchObject({
      outcome: 'deduplicated',
      dedupe: { ticketId: ticket!.id, action: 'reopen' },
    });
    expect(await cto.submit([alert('a2')], { sourceConfigId: 'ns' })).toMatchObject({ deduplicated: 1 });
    const reopened = await cto.getTicket(ticket!.id);
    expect(reopened).toMatchObject({ status: 'new', dedupeCount: 1, alertCount: 2 });
    expect((await pending(store, ticket!.id)).map((entry) => entry.operation)).toEqual(['reopen']);
    expect((await cto.getAlert('ns', 'a2'))?.disposition).toMatchObject({ reopened: true });
  });
});

describe('grouping', () => {
  it('adds members to the waiting create across batches and re-renders the summary, then batches later members into one comment per interval', async () => {
    const { cto, clock, store, remote } = await setup();
    await cto.putRule({
      id: 'by-app',
      condition: { always: true },
      queueId: 'soc',
      grouping: { by: ['app'], wait: '1m', interval: '10m' },
    });
    await cto.submit([alert('a1', { name: 'first' })], { sourceConfigId: 'ns' });
    await clock.advance(20_000);
    expect(await cto.submit([alert('a2', { name: 'second' })], { sourceConfigId: 'ns' })).toMatchObject({
      grouped: 1,
    });
    const [create] = await pending(store);
    expect(create).toMatchObject({
      operation: 'create',
      nextAttemptAt: start + minute,
      payload: { alertCount: 2 },
    });
    expect(String((create?.payload.fields as Record<string, string> | undefined)?.description)).toMatch(
      /first[\s\S]*second/,
    );
    expect(await cto.deliver()).toMatchObject({ sent: 0 });
    await clock.advance(40_000);
    expect(await cto.deliver()).toMatchObject({ sent: 1 });
    // Three members after the create: one comment entry due an interval later.
    await cto.submit([alert('a3', { name: 'third' })], { sourceConfigId: 'ns' });
    await clock.advance(minute);
    await cto.submit([alert('a4', { name: 'fourth' }), alert('a5', { name: 'fifth' })], {
      sourceConfigId: 'ns',
    });
    const comments = (await pending(store)).filter((entry) => entry.operation === 'comment');
    expect(comments).toHaveLength(1);
    expect(comments[0]).toMatchObject({
      nextAttemptAt: start + minute + 10 * minute,
      payload: { joined: 3 },
    });
    await clock.advance(9 * minute);
    expect(await cto.deliver()).toMatchObject({ sent: 1 });
    expect(remote.issues.get('SEC-1')?.comments).toEqual([
      expect.stringMatching(/^3 more alert\(s\)[\s\S]*third[\s\S]*fourth[\s\S]*fifth/),
    ]);
    expect((await cto.listTickets()).items[0]).toMatchObject({ alertCount: 5 });
    expect(remote.issues.size).toBe(1);
  });

  it('opens a new group ticket when one holds maxAlerts, and separates groups by key', async () => {
    const { cto } = await setup();
    await cto.putRule({
      id: 'by-user',
      condition: { always: true },
      queueId: 'soc',
      grouping: { by: ['user'], wait: '1m', interval: '10m', maxAlerts: 2 },
    });
    const report = await cto.submit(
      [alert('a1'), alert('a2'), alert('a3'), alert('b1', { user: 'bob@example.com' })],
      { sourceConfigId: 'ns' },
    );
    expect(report).toMatchObject({ grouped: 4 });
    const tickets = (await cto.listTickets({ sort: 'createdAt', order: 'asc' })).items;
    expect(tickets.map((ticket) => ticket.alertCount).sort()).toEqual([1, 1, 2]);
    expect(new Set(tickets.map((ticket) => ticket.groupKey)).size).toBe(2);
  });
});

describe('silences and muted rules', () => {
  it('mutes while a silence is in force, by every matcher, and stops when it expires or is expired', async () => {
    const { cto, clock } = await setup();
    await cto.putRule({ id: 'all', condition: { always: true }, queueId: 'soc' });
    await cto.putSilence({
      id: 'later',
      matchers: [
        { field: 'app', op: '=', value: 'Dropbox' },
        { field: 'raw.policy', op: '!~', value: 'SOX|HIPAA' },
        { field: 'subtype', op: '!=', value: 'x' },
      ],
      startsAt: start + hour,
      endsAt: start + 2 * hour,
      createdBy: 'soc-lead',
      comment: 'migration',
    });
    expect((await cto.listSilences())[0]).toMatchObject({ state: 'pending', active: false });
    expect(await cto.submit([alert('a1')], { sourceConfigId: 'ns' })).toMatchObject({
      ticketed: 1,
      muted: 0,
    });
    await clock.advance(hour);
    const report = await cto.submit(
      [
        alert('a2', { user: 'u2' }),
        alert('a3', { user: 'u3', raw: { policy: 'SOX' } }),
        alert('a4', { user: 'u4', app: 'Box' }),
      ],
      { sourceConfigId: 'ns' },
    );
    expect(report).toMatchObject({ muted: 1, ticketed: 2 });
    const [muted] = (await cto.listAlerts({ dispositions: ['muted'] })).items;
    expect(muted?.disposition).toEqual({
      kind: 'muted',
      ruleId: 'all',
      silenceId: 'later',
      reason: 'silence "later" by soc-lead: migration',
    });
    expect((await cto.explain(alert('z1', { user: 'z' }), { sourceConfigId: 'ns' })).mutedBy).toEqual({
      silenceId: 'later',
    });
    await clock.advance(10 * minute);
    await cto.expireSilence('later', { actor: 'soc-lead' });
    expect((await cto.listSilences())[0]).toMatchObject({
      state: 'expired',
      endsAt: start + hour + 10 * minute,
    });
    expect(await cto.submit([alert('a5', { user: 'u5' })], { sourceConfigId: 'ns' })).toMatchObject({
      ticketed: 1,
    });
  });

  it('mutes a rule until a time, and unmutes', async () => {
    const { cto, clock } = await setup();
    await cto.putRule({ id: 'all', condition: { always: true }, queueId: 'soc' });
    await cto.muteRule('all', start + hour);
    expect(await cto.submit([alert('a1')], { sourceConfigId: 'ns' })).toMatchObject({ muted: 1 });
    expect((await cto.explain(alert('z'), { sourceConfigId: 'ns' })).mutedBy).toEqual({ ruleId: 'all' });
    await clock.advance(hour);
    expect(await cto.submit([alert('a2')], { sourceConfigId: 'ns' })).toMatchObject({ ticketed: 1 });
    await cto.muteRule('all', start + 5 * hour);
    await cto.muteRule('all', 0);
    expect((await cto.getRule('all'))?.mutedUntil).toBeUndefined();
  });
});

describe('approvals', () => {
  it('writes no create until approved; later equal alerts wait with it; approval renders the create from every alert', async () => {
    const { cto, store, storage, remote } = await setup();
    await cto.putQueue({
      id: 'vip',
      destinationConfigId: 'tickets',
      target: { project: 'SEC' },
      approval: true,
    });
    await cto.putRule({
      id: 'ceo',
      condition: { always: true },
      queueId: 'vip',
      dedup: { fields: ['user'], window: '1h' },
    });
    expect(await cto.submit([alert('a1'), alert('a2')], { sourceConfigId: 'ns' })).toMatchObject({
      pendingApproval: 2,
    });
    expect(await pending(store)).toEqual([]);
    const [ticket] = (await cto.listTickets({ approvalPending: true })).items;
    expect(ticket).toMatchObject({ approval: { state: 'pending' }, alertCount: 2 });
    expect((await cto.metrics()).pendingApprovals).toBe(1);
    await cto.approve(ticket!.id, { approve: true, by: 'ciso', comment: 'go' });
    const [create] = await pending(store);
    expect(create).toMatchObject({ operation: 'create', payload: { alertCount: 2 } });
    expect((await cto.ticketAlerts(ticket!.id)).items.map((item) => item.disposition.kind)).toEqual([
      'ticketed',
      'ticketed',
    ]);
    await expect(cto.approve(ticket!.id, { approve: false, by: 'x' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect(await cto.deliver()).toMatchObject({ sent: 1 });
    expect(remote.issues.size).toBe(1);
    const audit = await storage.audit.list();
    expect(audit.find((entry) => entry.action === 'ticket-approved')).toMatchObject({
      actor: 'ciso',
      target: `ticket:${ticket!.id}`,
    });
  });

  it('declines: the ticket closes, its alerts become declined, nothing is sent, and a new alert asks again', async () => {
    const { cto, store, remote } = await setup();
    await cto.putQueue({ id: 'vip', destinationConfigId: 'tickets', approval: true });
    await cto.putRule({
      id: 'ceo',
      condition: { always: true },
      queueId: 'vip',
      dedup: { fields: ['user'], window: '1h' },
    });
    await cto.submit([alert('a1')], { sourceConfigId: 'ns' });
    const [ticket] = (await cto.listTickets({ approvalPending: true })).items;
    const declined = await cto.decline(ticket!.id, { by: 'ciso', comment: 'noise' });
    expect(declined).toMatchObject({ status: 'closed', approval: { state: 'declined', by: 'ciso' } });
    expect((await cto.listAlerts({ dispositions: ['declined'] })).items.map((item) => item.id)).toEqual([
      'a1',
    ]);
    expect(await pending(store)).toEqual([]);
    expect(await cto.deliver()).toMatchObject({ sent: 0 });
    expect(remote.issues.size).toBe(0);
    expect(await cto.submit([alert('a2')], { sourceConfigId: 'ns' })).toMatchObject({ pendingApproval: 1 });
  });
});

describe('maintenance windows', () => {
  it('defers creation until the window ends; members join the deferred create; CRUD on windows', async () => {
    const { cto, clock, store, remote } = await setup();
    await cto.putMaintenanceWindow('soc', {
      id: 'upgrade',
      start: start - minute,
      end: start + hour,
      comment: 'Jira upgrade',
    });
    await cto.putRule({
      id: 'all',
      condition: { always: true },
      queueId: 'soc',
      dedup: { fields: ['user'], window: '2h' },
    });
    expect((await cto.listMaintenanceWindows('soc')).activeUntil).toBe(start + hour);
    expect(await cto.submit([alert('a1')], { sourceConfigId: 'ns' })).toMatchObject({ deferred: 1 });
    await clock.advance(10 * minute);
    expect(await cto.submit([alert('a2')], { sourceConfigId: 'ns' })).toMatchObject({ deferred: 1 });
    const [create, ...rest] = await pending(store);
    expect(rest).toEqual([]);
    expect(create).toMatchObject({ nextAttemptAt: start + hour, payload: { alertCount: 2 } });
    expect((await cto.listTickets()).items[0]).toMatchObject({ deferredUntil: start + hour });
    expect(await cto.deliver()).toMatchObject({ sent: 0 });
    await clock.advance(50 * minute);
    expect(await cto.deliver()).toMatchObject({ sent: 1 });
    expect(remote.issues.size).toBe(1);
    expect(await cto.deleteMaintenanceWindow('soc', 'upgrade')).toBe(true);
    expect((await cto.listMaintenanceWindows('soc')).windows).toEqual([]);
    await expect(
      cto.putMaintenanceWindow('soc', { id: 'bad', start: start + 5, end: start }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [{ path: 'end' }],
    });
  });

  it('computes weekly windows in UTC, including ones past midnight and back-to-back ones', () => {
    const monday = start - 10 * hour; // Monday 00:00 UTC
    const nightly = [{ weekly: { days: [1], start: '22:00', end: '02:00' } }];
    expect(maintenanceEnd(nightly, monday + 23 * hour)).toBe(monday + 26 * hour);
    expect(maintenanceEnd(nightly, monday + 25 * hour)).toBe(monday + 26 * hour);
    expect(maintenanceEnd(nightly, monday + 26 * hour)).toBeUndefined();
    expect(maintenanceEnd(nightly, monday + hour)).toBeUndefined(); // Sunday was not listed
    const chained = [
      { weekly: { days: [1], start: '09:00', end: '10:00' } },
      { start: monday + 10 * hour, end: monday + 12 * hour },
    ];
    expect(maintenanceEnd(chained, monday + 9.5 * hour)).toBe(monday + 12 * hour);
    expect(maintenanceEnd([{ weekly: { days: [0, 6], start: '00:00', end: '24:00' } }], monday - hour)).toBe(
      monday,
    );
  });
});

describe('idempotency and crashes', () => {
  it('replays do nothing again, within a batch and across batches', async () => {
    const { cto, store } = await setup();
    await cto.putRule({ id: 'all', condition: { always: true }, queueId: 'soc' });
    expect(
      await cto.submit([alert('a1'), alert('a1'), alert('a2', { user: 'b' })], { sourceConfigId: 'ns' }),
    ).toMatchObject({
      ticketed: 2,
      duplicates: 1,
    });
    expect(
      await cto.submit([alert('a1'), alert('a2', { user: 'b' })], { sourceConfigId: 'ns' }),
    ).toMatchObject({
      ticketed: 0,
      duplicates: 2,
    });
    // The same id from another source is another alert.
    expect(await cto.submit([alert('a1')], { sourceConfigId: 'other' })).toMatchObject({ ticketed: 1 });
    expect(await store.countTickets()).toBe(3);
    expect((await cto.metrics()).duplicates).toBe(3);
  });

  it('a crash before the commit leaves nothing, and the resubmission decides once', async () => {
    const { cto, store, remote } = await setup();
    await cto.putRule({
      id: 'all',
      condition: { always: true },
      queueId: 'soc',
      dedup: { fields: ['user'], window: '1h' },
    });
    const commit = store.commit.bind(store);
    let crash = true;
    (store as { commit: TicketStore['commit'] }).commit = async (changes) => {
      if (crash) throw new Error('process killed');
      return commit(changes);
    };
    await expect(cto.submit([alert('a1'), alert('a2')], { sourceConfigId: 'ns' })).rejects.toThrow(
      'process killed',
    );
    expect(await store.countAlerts()).toBe(0);
    crash = false;
    expect(await cto.submit([alert('a1'), alert('a2')], { sourceConfigId: 'ns' })).toMatchObject({
      ticketed: 1,
      deduplicated: 1,
    });
    expect(await cto.deliver()).toMatchObject({ sent: 1 });
    expect(remote.issues.size).toBe(1);
  });

  it('a restart between the decision and the delivery delivers once; a second orchestrator deciding the same key conflicts and joins the ticket', async () => {
    const remote = ticketSystem();
    const clock = new FakeClock(start);
    const storage = createMemoryStorage({ clock });
    const first = await boot([remote.plugin], storage, clock);
    await first.cto.putRule({
      id: 'all',
      condition: { always: true },
      queueId: 'soc',
      dedup: { fields: ['user'], window: '1h' },
    });
    await first.cto.submit([alert('a1')], { sourceConfigId: 'ns' });
    // A second process on the same storage (its own caches) decides an equal alert.
    const second = await boot([remote.plugin], storage, clock);
    expect(await second.cto.submit([alert('a2')], { sourceConfigId: 'ns' })).toMatchObject({
      deduplicated: 1,
    });
    // The first still believes a1's ticket is the newest, at its old version: its decision conflicts and is re-made.
    expect(await first.cto.submit([alert('a3')], { sourceConfigId: 'ns' })).toMatchObject({
      deduplicated: 1,
    });
    expect(await storage.tickets!.countTickets()).toBe(1);
    // The create, then one comment from each process.
    expect(await second.cto.deliver()).toMatchObject({ sent: 3 });
    expect(remote.calls.filter((call) => call === 'create')).toHaveLength(1);
    expect((await second.cto.listTickets()).items[0]).toMatchObject({ alertCount: 3, dedupeCount: 2 });
  });

  it('two deciders opening a ticket for the same new key name it alike, so the second conflicts instead of opening another', async () => {
    const remote = ticketSystem();
    const clock = new FakeClock(start);
    const storage = createMemoryStorage({ clock });
    const first = await boot([remote.plugin], storage, clock);
    await first.cto.putRule({
      id: 'all',
      condition: { always: true },
      queueId: 'soc',
      grouping: { by: ['user'], wait: '1m', interval: '5m' },
    });
    const second = await boot([remote.plugin], storage, clock);
    const [one, two] = await Promise.all([
      first.cto.submit([alert('a1')], { sourceConfigId: 'ns' }),
      second.cto.submit([alert('a2')], { sourceConfigId: 'ns' }),
    ]);
    expect(one.grouped + two.grouped).toBe(2);
    expect(await storage.tickets!.countTickets()).toBe(1);
    expect((await first.cto.listTickets()).items[0]).toMatchObject({ alertCount: 2 });
  });
});

describe('bad input', () => {
  it('stores invalid alerts with an id as failed with the reason, reports those without one by index, and never drops one', async () => {
    const { cto } = await setup();
    await cto.putRule({ id: 'all', condition: { always: true }, queueId: 'soc' });
    const report = await cto.submit(
      [
        alert('ok'),
        { id: 'bad-severity', type: 'dlp', name: 'x', severity: 'urgent', timestamp: start },
        { id: 'no-time', type: 'dlp', name: 'x' },
        { id: 'big', type: 'dlp', name: 'x', timestamp: start, raw: { n: 10n } },
        'not an object',
        null,
        { type: 'dlp', name: 'no id', timestamp: start },
      ],
      { sourceConfigId: 'ns' },
    );
    expect(report).toMatchObject({ received: 7, ticketed: 1, failed: 3 });
    expect(report.rejected.map((item) => item.index)).toEqual([4, 5, 6]);
    expect(report.failures.map((item) => item.alert)).toEqual(['ns/bad-severity', 'ns/no-time', 'ns/big']);
    expect(report.failures[0]?.reason).toContain('severity');
    expect(report.failures[1]?.reason).toContain('timestamp');
    const stored = await cto.getAlert('ns', 'big');
    expect(stored).toMatchObject({
      disposition: { kind: 'failed' },
      raw: { unreadable: expect.any(String) },
    });
    await expect(cto.submit([alert('x')], { sourceConfigId: '' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [{ path: 'sourceConfigId' }],
    });
  });

  it('fails an alert whose template names a missing field, naming it, unless the template gives a default', async () => {
    const { cto } = await setup();
    await cto.putQueue({
      id: 'strict',
      destinationConfigId: 'tickets',
      mapping: {
        summary: '{{raw.ticket.owner}}',
        description: '{{app | default: "no app"}} {{raw.policy | lower}}',
      },
    });
    await cto.putRule({ id: 'r', condition: { always: true }, queueId: 'strict' });
    const report = await cto.submit(
      [alert('a1'), alert('a2', { raw: { policy: 'PCI', ticket: { owner: 'ann' } }, app: undefined })],
      {
        sourceConfigId: 'ns',
      },
    );
    expect(report).toMatchObject({ failed: 1, ticketed: 1 });
    expect(report.failures[0]).toEqual({
      alert: 'ns/a1',
      reason: expect.stringMatching(/summary.*raw\.ticket\.owner.*queue "strict"/),
    });
    const [created] = (await cto.ticketOutbox((await cto.listTickets()).items[0]!.id)).items;
    expect(created?.payload.fields).toEqual({ summary: 'ann', description: 'no app pci' });
  });

  it('fails alerts routed to a destination that cannot be described, with the reason', async () => {
    const { cto } = await setup();
    await cto.putQueue({ id: 'ghost', destinationConfigId: 'nowhere' });
    await cto.putRule({ id: 'r', condition: { always: true }, queueId: 'ghost' });
    const report = await cto.submit([alert('a1')], { sourceConfigId: 'ns' });
    expect(report.failures[0]?.reason).toContain('nowhere');
  });
});

describe('explain, continue rules, events, metrics and persistence', () => {
  it('explains every rule and acts on each matching rule that continues', async () => {
    const { cto, exchange } = await setup();
    await cto.putQueue({ id: 'audit', destinationConfigId: 'tickets', target: { project: 'AUD' } });
    await cto.putRule({ id: 'copy', condition: 'severity gte "high"', queueId: 'audit', continue: true });
    await cto.putRule({ id: 'low', condition: 'severity lt "high"', queueId: 'soc' });
    await cto.putRule({
      id: 'dlp',
      condition: 'type = "dlp"',
      queueId: 'soc',
      grouping: { by: ['user'], wait: '1m', interval: '5m' },
    });
    const events: unknown[] = [];
    exchange.events.on('alerts-decided', (event) => events.push(event));
    const explained = await cto.explain(alert('a1'), { sourceConfigId: 'ns' });
    expect(explained).toMatchObject({
      ruleId: 'copy',
      queueId: 'audit',
      routedBy: ['copy', 'dlp'],
      outcome: 'ticketed',
      received: false,
      group: { action: 'open' },
    });
    expect(explained.rules.map((rule) => rule.matched)).toEqual([true, false, true]);
    expect(await cto.listTickets()).toMatchObject({ items: [] });
    expect(await cto.submit([alert('a1')], { sourceConfigId: 'ns' })).toMatchObject({ ticketed: 1 });
    expect((await cto.listTickets()).items.map((ticket) => ticket.queueId).sort()).toEqual(['audit', 'soc']);
    expect(await cto.explain(alert('a1'), { sourceConfigId: 'ns' })).toMatchObject({
      received: true,
      outcome: 'ticketed',
    });
    expect(events).toEqual([
      expect.objectContaining({ sourceConfigId: 'ns', received: 1, dispositions: { ticketed: 1 } }),
    ]);
    const metrics = await cto.metrics();
    expect(metrics).toMatchObject({ dispositions: { ticketed: 1 }, backlog: 2, due: 1 });
  });

  it('keeps its configuration in storage with audit entries, for the next process', async () => {
    const { cto, storage, clock, remote } = await setup();
    await cto.putRule({ id: 'r1', condition: { always: true }, queueId: 'soc' }, { actor: 'alice' });
    await cto.putRule({ id: 'r0', condition: 'type = "x"', queueId: 'soc' }, { position: 0 });
    await cto.putSilence({
      id: 's1',
      matchers: [{ field: 'user', op: '=', value: 'x' }],
      startsAt: start,
      endsAt: start + hour,
      createdBy: 'bob',
    });
    const next = await boot([remote.plugin], storage, clock);
    const other = next.cto as TicketOrchestrator;
    expect((await other.listRules()).map((rule) => rule.id)).toEqual(['r0', 'r1']);
    expect((await other.listSilences()).map((silence) => silence.id)).toEqual(['s1']);
    const actions = (await storage.audit.list()).map((entry) => [entry.action, entry.actor, entry.target]);
    expect(actions).toEqual(
      expect.arrayContaining([
        ['business-rule-created', 'alice', 'rule:r1'],
        ['silence-created', 'bob', 'silence:s1'],
        ['ticket-queue-created', 'system', 'queue:soc'],
      ]),
    );
    expect(await cto.deleteRule('r0')).toBe(true);
    expect(await cto.deleteRule('r0')).toBe(false);
  });
});

describe('alert fields', () => {
  it('parses exactly as the schema does, on the fast path and off it', () => {
    const inputs: unknown[] = [
      alert('a'),
      { ...alert('b'), severity: undefined, raw: undefined },
      { ...alert('c'), extra: 1 },
      { ...alert('d'), timestamp: '2026-03-02T10:00:00Z' },
      { ...alert('e'), timestamp: 1.5 },
      { ...alert('f'), name: '' },
      { ...alert('g'), user: null },
      { ...alert('h'), raw: [] },
      { ...alert('i'), id: 'x'.repeat(513) },
    ];
    for (const input of inputs) {
      const ours = parseAlert(input, 'src');
      const theirs = alertInputSchema.safeParse(input);
      if (theirs.success) expect(ours).toEqual({ ...theirs.data, sourceConfigId: 'src' });
      else expect(ours).toEqual({ problem: expect.any(String) });
    }
  });

  it('hashes stably, telling absent from empty and field boundaries apart', () => {
    expect(stableHash(['a', undefined])).not.toBe(stableHash(['a', '']));
    expect(fastHash(['ab', 'c'])).not.toBe(fastHash(['a', 'bc']));
    expect(fastHash(['a', undefined])).not.toBe(fastHash(['a', '']));
    expect(fastHash(['x'])).toBe(fastHash(['x']));
    expect(fastHash(['x'])).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('lifecycle', () => {
  it('start() schedules delivery and status sync on the host scheduler, and stop() cancels them', async () => {
    const remote = ticketSystem();
    const clock = new FakeClock(start);
    const storage = createMemoryStorage({ clock });
    const { exchange, cto } = await boot([remote.plugin], storage, clock, {
      schedule: true,
      deliveryIntervalMs: 1_000,
    });
    const names = exchange.scheduler.list().map((task) => task.name);
    expect(names).toEqual(expect.arrayContaining(['cto-deliver', 'cto-sync']));
    await cto.putRule({ id: 'all', condition: { always: true }, queueId: 'soc' });
    await cto.submit([alert('a1')], { sourceConfigId: 'ns' });
    await exchange.scheduler.runNow('cto-deliver');
    expect(remote.issues.size).toBe(1);
    await cto.stop();
    expect(exchange.scheduler.list().filter((task) => task.name.startsWith('cto-'))).toEqual([]);
  });
});
