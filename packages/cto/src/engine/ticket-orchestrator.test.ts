import { createMemoryStorage, FakeClock } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { alert, boot, running, start, ticketSystem } from './__fixtures__/orchestrator-harness.js';

describe('TicketOrchestrator', () => {
  it('routes by the first matching rule, renders the mapping and creates the ticket once', async () => {
    const remote = ticketSystem();
    const { cto } = await boot([remote.plugin]);
    await cto.putRule({
      id: 'low',
      condition: 'severity lt "medium"',
      queueId: 'soc',
      mutedUntil: start + 1,
    });
    await cto.putRule({ id: 'dlp', condition: 'type = "dlp" and raw.policy = "PCI"', queueId: 'soc' });
    const report = await cto.submit([alert('a1'), alert('a2', { type: 'malware' }), { name: 'no id' }], {
      sourceConfigId: 'netskope',
    });
    expect(report).toMatchObject({ received: 3, ticketed: 1, unrouted: 1, failed: 0 });
    expect(report.rejected).toEqual([{ index: 2, reason: expect.stringContaining('id') }]);
    expect(await cto.deliver()).toMatchObject({ sent: 1 });
    const issue = remote.issues.get('SEC-1');
    expect(issue?.fields).toEqual({
      summary: '[HIGH] PCI data uploaded',
      description: expect.stringContaining('User alice@example.com'),
    });
    const [ticket] = (await cto.listTickets()).items;
    expect(ticket).toMatchObject({
      remoteId: 'SEC-1',
      status: 'new',
      link: 'https://tickets.example/browse/SEC-1',
      title: '[HIGH] PCI data uploaded',
    });
    // A replay of the same alerts does nothing again.
    expect(await cto.submit([alert('a1')], { sourceConfigId: 'netskope' })).toMatchObject({
      duplicates: 1,
      ticketed: 0,
    });
    expect(await cto.deliver()).toMatchObject({ sent: 0 });
    expect(remote.issues.size).toBe(1);
  });

  it('deduplicates within the window, reopens within the reopen window, and opens anew after it', async () => {
    const remote = ticketSystem();
    const { cto, clock } = await boot([remote.plugin]);
    await cto.putRule({
      id: 'dlp',
      condition: 'type = "dlp"',
      queueId: 'soc',
      dedup: { fields: ['user', 'type'], window: '1h', reopenWindow: '1d' },
    });
    await cto.submit([alert('a1')], { sourceConfigId: 'ns' });
    await clock.advance(10 * 60_000);
    expect(
      await cto.submit([alert('a2'), alert('a3', { user: 'bob@example.com' })], { sourceConfigId: 'ns' }),
    ).toMatchObject({
      deduplicated: 1,
      ticketed: 1,
    });
    await cto.deliver();
    await cto.deliver();
    expect(remote.issues.get('SEC-1')?.comments).toEqual([
      expect.stringContaining('Seen again (1 repeat(s))'),
    ]);
    const first = (await cto.listTickets({ remoteId: 'SEC-1' })).items[0];
    expect(first).toMatchObject({ alertCount: 2, dedupeCount: 1 });
    // Closed remotely; an equal alert within a day reopens it.
    remote.issues.get('SEC-1')!.status = 'Done';
    await clock.advance(10 * 60_000);
    expect(await cto.sync()).toMatchObject({ changed: 1 });
    expect((await cto.getTicket(first!.id))?.status).toBe('closed');
    await clock.advance(60 * 60_000);
    expect(await cto.submit([alert('a4')], { sourceConfigId: 'ns' })).toMatchObject({ deduplicated: 1 });
    await cto.deliver();
    expect(remote.issues.get('SEC-1')?.status).toBe('To Do');
    expect(remote.calls).toContain('update:reopen');
    // Closed again and older than the reopen window: a new ticket.
    await cto.resolve(first!.id, 'fixed');
    await cto.deliver();
    await clock.advance(2 * 86_400_000);
    expect(await cto.submit([alert('a5')], { sourceConfigId: 'ns' })).toMatchObject({ ticketed: 1 });
  });

  it('groups alerts within the wait into one ticket with a summary, then sends later members as one comment per interval', async () => {
    const remote = ticketSystem();
    const { cto, clock } = await boot([remote.plugin]);
    await cto.putRule({
      id: 'by-user',
      condition: { always: true },
      queueId: 'soc',
      grouping: { by: ['user'], wait: '30s', interval: '5m' },
    });
    await cto.submit([alert('a1', { name: 'first' }), alert('a2', { name: 'second' })], {
      sourceConfigId: 'ns',
    });
    expect(await cto.deliver()).toMatchObject({ sent: 0 });
    await clock.advance(30_000);
    expect(await cto.deliver()).toMatchObject({ sent: 1 });
    expect(String(remote.issues.get('SEC-1')?.fields.description)).toMatch(/first[\s\S]*second/);
    expect(
      await cto.submit([alert('a3', { name: 'third' }), alert('a4', { name: 'fourth' })], {
        sourceConfigId: 'ns',
      }),
    ).toMatchObject({ grouped: 2 });
    expect(await cto.deliver()).toMatchObject({ sent: 0 });
    await clock.advance(5 * 60_000);
    expect(await cto.deliver()).toMatchObject({ sent: 1 });
    expect(remote.issues.get('SEC-1')?.comments).toEqual([
      expect.stringMatching(/2 more alert\(s\)[\s\S]*third[\s\S]*fourth/),
    ]);
    expect(remote.issues.size).toBe(1);
  });

  it('records muted alerts under silences and muted rules, and never loses them', async () => {
    const remote = ticketSystem();
    const { cto, clock } = await boot([remote.plugin]);
    await cto.putRule({ id: 'dlp', condition: { always: true }, queueId: 'soc' });
    await cto.putSilence({
      id: 'change-window',
      matchers: [{ field: 'user', op: '=~', value: 'alice@.*' }],
      startsAt: start,
      endsAt: start + 3_600_000,
      createdBy: 'soc-lead',
      comment: 'planned test',
    });
    const report = await cto.submit([alert('a1'), alert('a2', { user: 'bob@example.com' })], {
      sourceConfigId: 'ns',
    });
    expect(report).toMatchObject({ muted: 1, ticketed: 1 });
    const muted = (await cto.listAlerts({ dispositions: ['muted'] })).items;
    expect(muted.map((item) => item.id)).toEqual(['a1']);
    expect(muted[0]?.disposition).toMatchObject({ kind: 'muted', silenceId: 'change-window' });
    await clock.advance(3_600_000);
    expect(await cto.submit([alert('a3')], { sourceConfigId: 'ns' })).toMatchObject({ ticketed: 1 });
    expect((await cto.listSilences())[0]?.active).toBe(false);
    await expect(
      cto.putSilence({
        id: 'bad',
        matchers: [{ field: 'user', op: '=~', value: '(a+)+$' }],
        startsAt: start,
        endsAt: start + 1,
        createdBy: 'x',
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('holds tickets for approval and maintenance windows, and fails a template that names a missing field', async () => {
    const remote = ticketSystem();
    const { cto, clock } = await boot([remote.plugin]);
    await cto.putQueue({
      id: 'approve',
      destinationConfigId: 'tickets',
      target: { project: 'SEC' },
      approval: true,
    });
    await cto.putQueue({
      id: 'quiet',
      destinationConfigId: 'tickets',
      target: { project: 'OPS' },
      maintenanceWindows: [{ start, end: start + 3_600_000 }],
      mapping: { summary: '{{raw.missing}}' },
    });
    await cto.putQueue({
      id: 'maint',
      destinationConfigId: 'tickets',
      target: { project: 'OPS' },
      maintenanceWindows: [{ start, end: start + 3_600_000 }],
    });
    await cto.putRule({ id: 'vip', condition: 'user = "ceo@example.com"', queueId: 'approve' });
    await cto.putRule({ id: 'broken', condition: 'type = "broken"', queueId: 'quiet' });
    await cto.putRule({ id: 'ops', condition: { always: true }, queueId: 'maint' });
    const report = await cto.submit(
      [alert('a1', { user: 'ceo@example.com' }), alert('a2', { type: 'broken' }), alert('a3')],
      { sourceConfigId: 'ns' },
    );
    expect(report).toMatchObject({ pendingApproval: 1, failed: 1, deferred: 1 });
    expect(report.failures[0]?.reason).toContain('raw.missing');
    expect(await cto.deliver()).toMatchObject({ sent: 0 });
    const waiting = (await cto.listTickets({ approvalPending: true })).items[0];
    expect(waiting).toBeDefined();
    await cto.approve(waiting!.id, { approve: true, by: 'soc-lead' });
    expect(await cto.deliver()).toMatchObject({ sent: 1 });
    await clock.advance(3_600_000);
    expect(await cto.deliver()).toMatchObject({ sent: 1 });
    expect(remote.issues.size).toBe(2);
    const explained = await cto.explain(alert('a9', { type: 'broken' }), { sourceConfigId: 'ns' });
    expect(explained).toMatchObject({ ruleId: 'broken', queueId: 'quiet' });
    expect(explained.rules.map((rule) => [rule.ruleId, rule.matched])).toEqual([
      ['vip', false],
      ['broken', true],
      ['ops', true],
    ]);
  });

  it('retries 503 with backoff, fails 400 for good and visibly, and retries a failed ticket on demand', async () => {
    const remote = ticketSystem();
    const { cto, clock } = await boot([remote.plugin]);
    await cto.putRule({ id: 'all', condition: { always: true }, queueId: 'soc' });
    await cto.submit([alert('a1')], { sourceConfigId: 'ns' });
    remote.failures.push(503);
    expect(await cto.deliver()).toMatchObject({ retried: 1 });
    expect(await cto.deliver()).toMatchObject({ sent: 0 });
    await clock.advance(5_000);
    expect(await cto.deliver()).toMatchObject({ sent: 1 });
    await cto.submit([alert('a2', { user: 'bob@example.com' })], { sourceConfigId: 'ns' });
    remote.failures.push(400);
    expect(await cto.deliver()).toMatchObject({ failed: 1 });
    const [failed] = (await cto.listTickets({ statuses: ['failed'] })).items;
    expect(failed?.lastError).toMatchObject({ code: 'HTTP_ERROR', retryable: false });
    expect(await cto.retry(failed!.id)).toBe(1);
    expect(await cto.deliver()).toMatchObject({ sent: 1 });
    expect((await cto.getTicket(failed!.id))?.status).toBe('new');
    expect(remote.issues.size).toBe(2);
  });

  it('never opens a second ticket after a crash or a timeout between the create and its record', async () => {
    const remote = ticketSystem();
    const clock = new FakeClock(start);
    const storage = createMemoryStorage({ clock });
    const first = await boot([remote.plugin], storage, clock);
    await first.cto.putRule({ id: 'all', condition: { always: true }, queueId: 'soc' });
    await first.cto.submit([alert('a1')], { sourceConfigId: 'ns' });
    // The create reaches the destination, then the answer is lost.
    remote.failures.push('hang-after-create');
    expect(await first.cto.deliver()).toMatchObject({ retried: 1 });
    expect(remote.issues.size).toBe(1);
    // The process dies here (nothing is stopped cleanly); a new one on the same storage finds the
    // write pending after an attempt and looks the ticket up before creating.
    running.splice(running.indexOf(first.exchange), 1);
    const second = await boot([remote.plugin], storage, clock);
    await clock.advance(60_000);
    expect(await second.cto.deliver()).toMatchObject({ sent: 1 });
    expect(remote.issues.size).toBe(1);
    expect(remote.calls.filter((call) => call === 'create')).toHaveLength(1);
    expect(remote.calls).toContain('find');
    expect((await second.cto.listTickets()).items[0]).toMatchObject({ remoteId: 'SEC-1' });
  });

  it('recovers a write left in flight by a crash: finds the ticket by its key instead of creating it again', async () => {
    const remote = ticketSystem();
    const clock = new FakeClock(start);
    const storage = createMemoryStorage({ clock });
    const first = await boot([remote.plugin], storage, clock);
    await first.cto.putRule({ id: 'all', condition: { always: true }, queueId: 'soc' });
    await first.cto.submit([alert('a1')], { sourceConfigId: 'ns' });
    const tickets = storage.tickets!;
    const [entry] = (await tickets.queryOutbox({ states: ['pending'] })).items;
    const [ticket] = (await tickets.queryTickets()).items;
    // The process marked the write in flight, the destination created the issue, and then it died.
    await tickets.commit({ outbox: [{ ...entry!, state: 'in_flight', attempts: 1 }] });
    remote.issues.set('SEC-1', {
      key: 'SEC-1',
      label: ticket!.idempotencyKey,
      fields: {},
      comments: [],
      status: 'In Progress',
    });
    running.splice(running.indexOf(first.exchange), 1);
    const second = await boot([remote.plugin], storage, clock);
    expect(await second.cto.deliver()).toMatchObject({ sent: 1 });
    expect(remote.calls).toEqual(['find']);
    expect(await second.cto.getTicket(ticket!.id)).toMatchObject({
      remoteId: 'SEC-1',
      status: 'in_progress',
    });
  });

  it('syncs statuses in batches, marks a ticket deleted remotely as deleted', async () => {
    const remote = ticketSystem();
    const { cto, clock } = await boot([remote.plugin]);
    await cto.putRule({ id: 'all', condition: { always: true }, queueId: 'soc' });
    await cto.submit(
      [1, 2, 3, 4, 5].map((n) => alert(`a${n}`, { user: `u${n}@example.com` })),
      { sourceConfigId: 'ns' },
    );
    await cto.deliver();
    remote.issues.get('SEC-2')!.status = 'In Progress';
    remote.issues.delete('SEC-3');
    await clock.advance(600_000);
    expect(await cto.sync()).toMatchObject({ checked: 5, changed: 2, deleted: 1 });
    expect(remote.calls.filter((call) => call.startsWith('sync:'))).toEqual(['sync:2', 'sync:2', 'sync:1']);
    expect((await cto.listTickets({ remoteId: 'SEC-2' })).items[0]?.status).toBe('in_progress');
    expect((await cto.listTickets({ remoteId: 'SEC-3' })).items[0]?.status).toBe('deleted');
    expect(await cto.sync()).toMatchObject({ checked: 0 });
  });

  it('refuses bad configuration with the field named', async () => {
    const remote = ticketSystem();
    const { cto } = await boot([remote.plugin]);
    await expect(
      cto.putRule({ id: 'x', condition: 'severity >>> "high"', queueId: 'soc' }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(
      cto.putRule({ id: 'y', condition: { always: true }, queueId: 'nowhere' }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [{ path: 'queueId', reason: 'no queue "nowhere"' }],
    });
    await expect(
      cto.putQueue({ id: 'q', destinationConfigId: 'tickets', mapping: { summary: '{{name | shout}}' } }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [{ path: 'mapping.summary', reason: expect.stringContaining('shout') }],
    });
    await cto.putRule({ id: 'z', condition: { always: true }, queueId: 'soc' });
    await expect(cto.deleteQueue('soc')).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});
