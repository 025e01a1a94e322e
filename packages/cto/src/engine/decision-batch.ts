/**
 * The decision path of the orchestrator: a batch of alerts is decided against what the store
 * holds (fetched up front, once per batch), and everything decided (the alerts with their
 * dispositions, the tickets with the versions they were read at, the outbox entries) becomes one
 * `TicketStore.commit`, so a crash never leaves half a decision.
 *
 * Ticket and outbox ids are deterministic: a ticket opened for an alert is named after the
 * alert, one opened for a dedupe or group key after the key and the ticket it follows, and an
 * outbox entry after its ticket, its operation and the ticket version it was written with. Two
 * deciders racing over the same key therefore write the same ids and one of them gets a
 * `CONFLICT` (and decides again) instead of opening a second ticket.
 *
 * @module
 */
import {
  type Alert,
  type AlertDisposition,
  type OutboxEntry,
  openTicketStatuses,
  type RulePredicate,
  type Severity,
  type StoredAlert,
  type Ticket,
  type TicketStore,
  type TicketStoreCommit,
  toCeError,
} from '@ce/core';
import { type FieldReader, fastHash, type KeyCache, stableHash } from './alert-fields.js';
import { type BusinessRule, maintenanceEnd, type Queue } from './orchestrator-config.js';
import type { CompiledSilence } from './silences.js';
import { type CompiledTemplate, MissingTemplateField } from './template.js';

/** What the orchestrator knows of a destination configuration. */
export interface DestinationInfo {
  readonly kind: 'ticket' | 'notification';
  /** The plugin's default field templates. */
  readonly mapping: Readonly<Record<string, string>>;
  /** The plugin's default severity names. */
  readonly severityMap: Readonly<Partial<Record<Severity, string>>>;
}

/** A business rule compiled for the decision path. */
export interface CompiledRule {
  readonly rule: BusinessRule;
  readonly predicate: RulePredicate;
  /** Readers of the dedup fields or group-by fields. */
  readonly keyReaders?: ReadonlyArray<FieldReader>;
}

/** The configuration a batch decides by, compiled once per change. */
export interface DecisionConfig {
  readonly rules: ReadonlyArray<CompiledRule>;
  readonly silences: ReadonlyArray<CompiledSilence>;
  readonly queues: ReadonlyMap<string, Queue>;
  readonly fingerprint: ReadonlyArray<FieldReader>;
  readonly keys: KeyCache;
  /** Alerts listed on a ticket (`alertRefs`). */
  readonly maxAlertRefs: number;
  /**
   * The newest ticket id of each `d:`/`g:` key (`null`: none), as earlier batches of this
   * process stored them. Only the decision path opens tickets for a key, so the map saves a
   * query per key; a ticket itself is always read fresh. Another process opening a ticket for a
   * key names it as this one would (after the key and its predecessor), so a stale entry ends
   * in a `CONFLICT`, after which the caller clears the map and decides again.
   */
  readonly newestByKey?: Map<string, string | null>;
  /** A destination's description, or why it could not be described. */
  destination(configId: string): DestinationInfo | { unavailable: string } | undefined;
  /** The queue's mapping over the destination's defaults, compiled. */
  templates(queue: Queue, destination: DestinationInfo): ReadonlyArray<readonly [string, CompiledTemplate]>;
}

/** What applied to an alert on its way, for `explain`. */
export interface DecisionTrace {
  /** Every rule that acted on the alert, in order (more than one where a rule continues). */
  ruleIds: string[];
  /** The silence in force that matched. */
  silenceId?: string;
  /** The rule muted at the time. */
  mutedRuleId?: string;
  /** The dedupe key, the ticket it updates or reopens, or `new`. */
  dedupe?: { key: string; ticketId?: string; action: 'update' | 'reopen' | 'new' };
  /** The group key and the ticket it joins, or `open`. */
  group?: { key: string; ticketId?: string; action: 'join' | 'open' };
  /** The queue holds new tickets for an approval. */
  approvalRequired?: boolean;
  /** The end of the maintenance window that defers the ticket. */
  deferredUntil?: number;
}

/** Alerts kept in a create's or comment's payload; all are counted. */
const maxPayloadAlerts = 20;
/**
 * A stored pending write is changed (a group member added) only while it is due this much later
 * than now, so that the delivery worker cannot have picked it up between this batch's read and
 * its commit.
 */
const editMarginMs = 2_000;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type TicketDraft = Mutable<Ticket> & { alertRefs: string[] };

interface TicketSlot {
  ticket: TicketDraft | Ticket;
  expectedVersion: number | null;
  dirty: boolean;
}

interface CreateDraft {
  entry: OutboxEntry;
  members: Alert[];
  fields: Record<string, string>;
  rerender: boolean;
  /** Written by this batch (or changed): part of its commit. */
  changed: boolean;
  queue: Queue;
  destination: DestinationInfo | undefined;
}

interface CommentDraft {
  entry: OutboxEntry | undefined;
  kind: 'dedup' | 'group';
  listed: Alert[];
  /** Alerts this comment tells of, listed or not. */
  count: number;
  maxListed: number;
  due: number;
}

const unrouted: CompiledRule[] = [];
const noKeys: Array<string | undefined> = [];

/** A batch's view of the alert: its key per rule, computed once. */
interface Plan {
  alert: Alert;
  rules: CompiledRule[];
  keys: Array<string | undefined>;
}

function describeAlert(alert: Alert): string {
  const who = alert.user && alert.app ? `${alert.user} / ${alert.app}` : (alert.user ?? alert.app);
  return `${new Date(alert.timestamp).toISOString()} ${alert.severity} ${alert.name}${who ? ` (${who})` : ''}`;
}

/** The text variables a ticket's templates render over. */
function variablesOf(
  alert: Alert,
  queue: Queue,
  destination: DestinationInfo,
  ticket: Ticket,
  members: ReadonlyArray<Alert>,
): Record<string, unknown> {
  let summary = '';
  for (const member of members) summary += `${summary ? '\n' : ''}- ${describeAlert(member)}`;
  if (ticket.alertCount > members.length) summary += `\n(and ${ticket.alertCount - members.length} more)`;
  return {
    ...alert,
    tenant: alert.sourceConfigId,
    queue: queue.id,
    queueName: queue.name ?? queue.id,
    rule: ticket.ruleId,
    mappedSeverity:
      queue.severityMap[alert.severity] ?? destination.severityMap[alert.severity] ?? alert.severity,
    alertCount: ticket.alertCount,
    dedupeCount: ticket.dedupeCount,
    summary,
    ticketId: ticket.id,
  };
}

/** Renders a queue's templates for a ticket; throws {@link MissingTemplateField}. */
export function renderFields(
  templates: ReadonlyArray<readonly [string, CompiledTemplate]>,
  alert: Alert,
  queue: Queue,
  destination: DestinationInfo,
  ticket: Ticket,
  members: ReadonlyArray<Alert>,
): Record<string, string> {
  const variables = variablesOf(alert, queue, destination, ticket, members);
  const fields: Record<string, string> = {};
  for (const [field, template] of templates) {
    try {
      fields[field] = template(variables);
    } catch (error) {
      if (error instanceof MissingTemplateField)
        throw new MissingTemplateField(error.field, `${field}: ${error.template}`);
      throw error;
    }
  }
  return fields;
}

/** The title a ticket keeps locally: the rendered summary or title, or the alert's name. */
export function titleOf(fields: Readonly<Record<string, string>>, alert: Alert): string {
  return (fields.summary ?? fields.title ?? fields.short_description ?? alert.name).slice(0, 1_024);
}

/** The stable hash of an alert's fingerprint fields. */
export function fingerprintOf(readers: ReadonlyArray<FieldReader>, alert: Alert): string {
  const values: Array<string | undefined> = [];
  for (const read of readers) values.push(read(alert));
  return fastHash(values);
}

/** One batch of decisions. Create it, `prefetch`, `decide` each alert in order, then `commit`. */
export class DecisionBatch {
  private readonly tickets = new Map<string, TicketSlot>();
  /** The newest ticket of each `d:`/`g:` key; `null` when there is none. */
  private readonly byKey = new Map<string, string | null>();
  private readonly creates = new Map<string, CreateDraft>();
  private readonly comments = new Map<string, CommentDraft>();
  private readonly reopens: OutboxEntry[] = [];
  private readonly stored: StoredAlert[] = [];
  private readonly plans: Plan[] = [];
  private activeSilences: CompiledSilence[] = [];

  constructor(
    private readonly config: DecisionConfig,
    private readonly store: TicketStore,
    readonly now: number,
  ) {
    for (const silence of config.silences)
      if (now >= silence.silence.startsAt && now < silence.silence.endsAt) this.activeSilences.push(silence);
  }

  /** Routes an alert (rules only) and remembers what its decision will read. */
  plan(alert: Alert): number {
    let rules = unrouted;
    let keys: Array<string | undefined> = noKeys;
    for (const compiled of this.config.rules) {
      if (!compiled.predicate(alert)) continue;
      if (rules === unrouted) {
        rules = [];
        keys = [];
      }
      rules.push(compiled);
      const { rule, keyReaders } = compiled;
      if (keyReaders) {
        const values: Array<string | undefined> = [rule.queueId, rule.id];
        for (const read of keyReaders) values.push(read(alert));
        keys.push(this.config.keys.key(values));
      } else keys.push(undefined);
      if (!rule.continue) break;
    }
    this.plans.push({ alert, rules, keys });
    return this.plans.length - 1;
  }

  /**
   * Reads what the planned alerts' decisions need: the newest ticket of each dedupe and group
   * key, and the pending writes of the group tickets among them.
   */
  async prefetch(): Promise<void> {
    const wanted = new Map<string, { dedupeKey?: string; groupKey?: string }>();
    for (const plan of this.plans)
      plan.rules.forEach((compiled, index) => {
        const key = plan.keys[index];
        if (key === undefined) return;
        if (compiled.rule.dedup) wanted.set(`d:${key}`, { dedupeKey: key });
        else wanted.set(`g:${key}`, { groupKey: key });
      });
    const known = this.config.newestByKey;
    for (const [name, query] of wanted) {
      if (this.byKey.has(name)) continue;
      const id = known?.get(name);
      const ticket =
        id === null
          ? undefined
          : id !== undefined
            ? await this.store.getTicket(id)
            : (await this.store.queryTickets({ ...query, sort: 'createdAt', order: 'desc', limit: 1 }))
                .items[0];
      this.byKey.set(name, ticket ? ticket.id : null);
      if (!ticket || this.tickets.has(ticket.id)) continue;
      this.tickets.set(ticket.id, { ticket, expectedVersion: ticket.version, dirty: false });
      // Writes that may still take a member: a group's create or comment, a deferred create.
      if (
        openTicketStatuses.has(ticket.status) &&
        (query.groupKey !== undefined || (ticket.deferredUntil ?? 0) > this.now + editMarginMs)
      )
        await this.loadPending(ticket);
    }
  }

  /** A group ticket's pending create or comment, while it is safe to change. */
  private async loadPending(ticket: Ticket): Promise<void> {
    const pending = await this.store.queryOutbox({ ticketId: ticket.id, states: ['pending'] });
    const editable = this.now + editMarginMs;
    for (const entry of pending.items) {
      if (entry.attempts > 0 || entry.nextAttemptAt <= editable) continue;
      const alerts = Array.isArray(entry.payload.alerts) ? (entry.payload.alerts as Alert[]) : [];
      if (entry.operation === 'create' && !this.creates.has(ticket.id)) {
        const queue = this.config.queues.get(ticket.queueId);
        const destination = queue ? this.config.destination(queue.destinationConfigId) : undefined;
        if (!queue) continue;
        this.creates.set(ticket.id, {
          entry,
          members: [...alerts],
          fields: { ...((entry.payload.fields as Record<string, string> | undefined) ?? {}) },
          rerender: false,
          changed: false,
          queue,
          destination: destination && !('unavailable' in destination) ? destination : undefined,
        });
      } else if (entry.operation === 'comment' && !this.comments.has(ticket.id)) {
        this.comments.set(ticket.id, {
          entry,
          kind: 'group',
          listed: [...alerts],
          count: Number(entry.payload.joined ?? alerts.length) || alerts.length,
          maxListed: maxPayloadAlerts,
          due: entry.nextAttemptAt,
        });
      }
    }
  }

  /**
   * Decides a planned alert. With `trace`, records what applied. The first matching rule's
   * disposition is the alert's; with `continue` rules, the others act too.
   */
  decide(index: number, trace?: DecisionTrace): AlertDisposition {
    const plan = this.plans[index] as Plan;
    const { alert } = plan;
    let disposition: AlertDisposition | undefined;
    if (plan.rules.length === 0) disposition = { kind: 'unrouted' };
    else {
      let silence: CompiledSilence | null = null;
      for (const candidate of this.activeSilences)
        if (candidate.matches(alert)) {
          silence = candidate;
          break;
        }
      for (let position = 0; position < plan.rules.length; position++) {
        const { rule } = plan.rules[position] as CompiledRule;
        trace?.ruleIds.push(rule.id);
        let result: AlertDisposition;
        try {
          result = this.route(rule, plan.keys[position], alert, silence, trace);
        } catch (error) {
          result = {
            kind: 'failed',
            ruleId: rule.id,
            queueId: rule.queueId,
            reason: toCeError(error).message,
          };
        }
        disposition ??= result;
      }
    }
    const decided = disposition as AlertDisposition;
    this.stored.push({
      ...alert,
      fingerprint: fingerprintOf(this.config.fingerprint, alert),
      receivedAt: this.now,
      disposition: decided,
    });
    return decided;
  }

  /** Records an alert that failed before it could be decided. */
  fail(alert: Alert, reason: string): AlertDisposition {
    const disposition: AlertDisposition = { kind: 'failed', reason };
    this.stored.push({
      ...alert,
      fingerprint: fingerprintOf(this.config.fingerprint, alert),
      receivedAt: this.now,
      disposition,
    });
    return disposition;
  }

  private route(
    rule: BusinessRule,
    key: string | undefined,
    alert: Alert,
    silence: CompiledSilence | null,
    trace: DecisionTrace | undefined,
  ): AlertDisposition {
    const now = this.now;
    if (silence) {
      if (trace) trace.silenceId = silence.silence.id;
      return {
        kind: 'muted',
        ruleId: rule.id,
        silenceId: silence.silence.id,
        reason: `silence "${silence.silence.id}" by ${silence.silence.createdBy}${silence.silence.comment ? `: ${silence.silence.comment}` : ''}`,
      };
    }
    if (rule.mutedUntil !== undefined && now < rule.mutedUntil) {
      if (trace) trace.mutedRuleId = rule.id;
      return {
        kind: 'muted',
        ruleId: rule.id,
        reason: `rule "${rule.id}" is muted until ${new Date(rule.mutedUntil).toISOString()}`,
      };
    }
    const queue = this.config.queues.get(rule.queueId);
    if (!queue)
      return { kind: 'failed', ruleId: rule.id, queueId: rule.queueId, reason: `no queue "${rule.queueId}"` };
    const destination = this.config.destination(queue.destinationConfigId);
    if (!destination || 'unavailable' in destination)
      return {
        kind: 'failed',
        ruleId: rule.id,
        queueId: queue.id,
        reason: destination?.unavailable ?? `destination "${queue.destinationConfigId}" is not available`,
      };
    const base = { ruleId: rule.id, queueId: queue.id };
    const ref = `${alert.sourceConfigId}/${alert.id}`;

    if (rule.dedup && key !== undefined) {
      const existing = this.newest(`d:${key}`);
      if (
        existing &&
        openTicketStatuses.has(existing.status) &&
        now - (existing.lastAlertAt ?? existing.createdAt) <= rule.dedup.window
      ) {
        if (trace) trace.dedupe = { key, ticketId: existing.id, action: 'update' };
        const ticket = this.edit(existing);
        this.attach(ticket, ref);
        ticket.dedupeCount++;
        const create = this.creates.get(ticket.id);
        if (create) this.addMember(create, alert);
        const held = this.held(ticket, base);
        if (held) return held;
        if (!create) this.comment(ticket, 'dedup', alert, now, maxPayloadAlerts);
        return { kind: 'deduplicated', ...base, ticketId: ticket.id };
      }
      if (
        existing?.status === 'closed' &&
        existing.closedAt !== undefined &&
        now - existing.closedAt <= rule.dedup.reopenWindow
      ) {
        if (trace) trace.dedupe = { key, ticketId: existing.id, action: 'reopen' };
        const ticket = this.edit(existing);
        this.attach(ticket, ref);
        ticket.dedupeCount++;
        ticket.status = 'new';
        ticket.statusHistory = [
          ...ticket.statusHistory,
          { status: 'new', at: now, by: 'local', note: `reopened by alert ${ref}` },
        ];
        const slot = this.tickets.get(ticket.id) as TicketSlot;
        this.reopens.push(
          this.entry(ticket.id, 'reopen', (slot.expectedVersion ?? 0) + 1, now, {
            comment: `Reopened: seen again (${ticket.dedupeCount} repeat(s)): ${describeAlert(alert)}`,
            alerts: [alert],
          }),
        );
        return { kind: 'deduplicated', ...base, ticketId: ticket.id, reopened: true };
      }
      if (trace) trace.dedupe = { key, action: 'new' };
      return this.open(rule, queue, destination, alert, { dedupeKey: key }, existing, now, trace);
    }

    if (rule.grouping && key !== undefined) {
      const grouping = rule.grouping;
      const existing = this.newest(`g:${key}`);
      if (
        existing &&
        openTicketStatuses.has(existing.status) &&
        (grouping.maxAlerts === undefined || existing.alertCount < grouping.maxAlerts)
      ) {
        if (trace) trace.group = { key, ticketId: existing.id, action: 'join' };
        const ticket = this.edit(existing);
        this.attach(ticket, ref);
        const create = this.creates.get(ticket.id);
        if (create) this.addMember(create, alert);
        const held = this.held(ticket, base);
        if (held) return held;
        if (!create) this.comment(ticket, 'group', alert, now + grouping.interval, grouping.maxListed);
        return { kind: 'grouped', ...base, ticketId: ticket.id, groupKey: key };
      }
      if (trace) trace.group = { key, action: 'open' };
      const opened = this.open(
        rule,
        queue,
        destination,
        alert,
        { groupKey: key },
        existing,
        now + grouping.wait,
        trace,
      );
      return opened.kind === 'ticketed'
        ? { kind: 'grouped', ...base, ticketId: opened.ticketId, groupKey: key }
        : opened;
    }

    return this.open(rule, queue, destination, alert, {}, undefined, now, trace);
  }

  /** The disposition of an alert joining a ticket that is held: waiting for approval or a window. */
  private held(ticket: Ticket, base: { ruleId: string; queueId: string }): AlertDisposition | undefined {
    if (ticket.approval?.state === 'pending')
      return { kind: 'pending-approval', ...base, ticketId: ticket.id };
    if (ticket.deferredUntil !== undefined && ticket.deferredUntil > this.now && !ticket.remoteId)
      return { kind: 'deferred', ...base, ticketId: ticket.id, until: ticket.deferredUntil };
    return undefined;
  }

  private open(
    rule: BusinessRule,
    queue: Queue,
    destination: DestinationInfo,
    alert: Alert,
    keys: { dedupeKey?: string; groupKey?: string },
    predecessor: Ticket | undefined,
    dueAt: number,
    trace: DecisionTrace | undefined,
  ): AlertDisposition {
    const now = this.now;
    const base = { ruleId: rule.id, queueId: queue.id };
    const ref = `${alert.sourceConfigId}/${alert.id}`;
    const key = keys.dedupeKey ?? keys.groupKey;
    // Named after the key and the ticket it follows, two deciders racing for the same key pick the
    // same id and the loser conflicts; a ticket of its own alert is named after the alert.
    const id =
      key !== undefined
        ? stableHash(['ticket', queue.id, rule.id, key, predecessor?.id])
        : stableHash(['ticket', queue.id, rule.id, alert.sourceConfigId, alert.id]);
    const ticket: TicketDraft = {
      id,
      idempotencyKey: `ce-${id}`,
      queueId: queue.id,
      ruleId: rule.id,
      destinationConfigId: queue.destinationConfigId,
      target: queue.target,
      status: destination.kind === 'notification' ? 'notification' : 'new',
      severity: alert.severity,
      title: alert.name,
      ...keys,
      alertRefs: [ref],
      alertCount: 1,
      dedupeCount: 0,
      lastAlertAt: now,
      createdAt: now,
      updatedAt: now,
      statusHistory: [{ status: 'new', at: now, by: 'local', note: `opened by rule "${rule.id}"` }],
      version: 0,
    };
    const templates = this.config.templates(queue, destination);
    let fields: Record<string, string>;
    try {
      fields = renderFields(templates, alert, queue, destination, ticket, [alert]);
    } catch (error) {
      if (error instanceof MissingTemplateField)
        return { kind: 'failed', ...base, reason: `${error.message} (queue "${queue.id}")` };
      throw error;
    }
    ticket.title = titleOf(fields, alert);
    if (queue.approval) {
      if (trace) trace.approvalRequired = true;
      // No create is written until a person approves: approve() renders it from the ticket's alerts.
      ticket.approval = { state: 'pending' };
      this.add(ticket);
      return { kind: 'pending-approval', ...base, ticketId: id };
    }
    const windowEnd = maintenanceEnd(queue.maintenanceWindows, now);
    if (windowEnd !== undefined) {
      if (trace) trace.deferredUntil = windowEnd;
      ticket.deferredUntil = windowEnd;
    }
    this.add(ticket);
    this.creates.set(id, {
      entry: this.entry(id, 'create', 1, windowEnd !== undefined ? Math.max(windowEnd, dueAt) : dueAt, {}),
      members: [alert],
      fields,
      rerender: false,
      changed: true,
      queue,
      destination,
    });
    return windowEnd !== undefined
      ? { kind: 'deferred', ...base, ticketId: id, until: windowEnd }
      : { kind: 'ticketed', ...base, ticketId: id };
  }

  private entry(
    ticketId: string,
    operation: OutboxEntry['operation'],
    version: number,
    due: number,
    payload: Record<string, unknown>,
  ): OutboxEntry {
    return {
      id: operation === 'create' ? `${ticketId}:create` : `${ticketId}:${operation}:${version}`,
      ticketId,
      operation,
      payload,
      state: 'pending',
      attempts: 0,
      nextAttemptAt: due,
      createdAt: this.now,
      updatedAt: this.now,
    };
  }

  private addMember(create: CreateDraft, alert: Alert): void {
    if (create.members.length < maxPayloadAlerts) create.members.push(alert);
    create.rerender = true;
    create.changed = true;
  }

  private comment(
    ticket: Ticket,
    kind: 'dedup' | 'group',
    alert: Alert,
    due: number,
    maxListed: number,
  ): void {
    let draft = this.comments.get(ticket.id);
    if (!draft) {
      draft = { entry: undefined, kind, listed: [], count: 0, maxListed, due };
      this.comments.set(ticket.id, draft);
    }
    if (draft.listed.length < draft.maxListed) draft.listed.push(alert);
    draft.count++;
  }

  private newest(name: string): Ticket | undefined {
    const id = this.byKey.get(name);
    return id ? this.tickets.get(id)?.ticket : undefined;
  }

  /** The batch's own copy of a ticket, to change. */
  private edit(ticket: Ticket): TicketDraft {
    const slot = this.tickets.get(ticket.id);
    if (slot?.dirty) return slot.ticket as TicketDraft;
    const draft: TicketDraft = { ...ticket, alertRefs: [...ticket.alertRefs] };
    this.tickets.set(ticket.id, {
      ticket: draft,
      expectedVersion: slot ? slot.expectedVersion : ticket.version,
      dirty: true,
    });
    return draft;
  }

  private add(ticket: TicketDraft): void {
    this.tickets.set(ticket.id, { ticket, expectedVersion: null, dirty: true });
    if (ticket.dedupeKey !== undefined) this.byKey.set(`d:${ticket.dedupeKey}`, ticket.id);
    if (ticket.groupKey !== undefined) this.byKey.set(`g:${ticket.groupKey}`, ticket.id);
  }

  private attach(ticket: TicketDraft, ref: string): void {
    if (ticket.alertRefs.length < this.config.maxAlertRefs) ticket.alertRefs.push(ref);
    ticket.alertCount++;
    ticket.lastAlertAt = this.now;
    ticket.updatedAt = this.now;
  }

  /** Records, once the batch is stored, the newest ticket of each key it read or opened. */
  committed(): void {
    const known = this.config.newestByKey;
    if (!known) return;
    if (known.size + this.byKey.size > 200_000) known.clear();
    for (const [name, id] of this.byKey) known.set(name, id);
  }

  /** The alerts decided so far, in order. */
  get alerts(): ReadonlyArray<StoredAlert> {
    return this.stored;
  }

  /** Everything decided, as one commit: rendered creates and comments, tickets, alerts. */
  changes(): TicketStoreCommit {
    const outbox: OutboxEntry[] = [...this.reopens];
    for (const [ticketId, create] of this.creates) {
      const ticket = this.tickets.get(ticketId)?.ticket;
      if (!ticket || !create.changed) continue;
      let fields = create.fields;
      if (create.rerender && create.destination) {
        const first = create.members[0];
        try {
          if (first)
            fields = renderFields(
              this.config.templates(create.queue, create.destination),
              first,
              create.queue,
              create.destination,
              ticket,
              create.members,
            );
        } catch {
          // The fields rendered when the ticket opened stand; only the member list grows.
        }
      }
      outbox.push({
        ...create.entry,
        payload: { fields, alerts: create.members, alertCount: ticket.alertCount },
        updatedAt: this.now,
      });
    }
    for (const [ticketId, draft] of this.comments) {
      const slot = this.tickets.get(ticketId);
      if (!slot?.dirty) continue;
      const ticket = slot.ticket;
      let comment: string;
      if (draft.kind === 'dedup') {
        const [only] = draft.listed;
        comment =
          draft.count === 1 && only
            ? `Seen again (${ticket.dedupeCount} repeat(s)): ${describeAlert(only)}`
            : `Seen again ${draft.count} times (${ticket.dedupeCount} repeat(s) in all):\n${draft.listed
                .map((alert) => `- ${describeAlert(alert)}`)
                .join(
                  '\n',
                )}${draft.count > draft.listed.length ? `\n(and ${draft.count - draft.listed.length} more)` : ''}`;
      } else {
        comment = `${draft.count} more alert(s) in this group:\n${draft.listed
          .map((alert) => `- ${describeAlert(alert)}`)
          .join(
            '\n',
          )}${draft.count > draft.listed.length ? `\n(and ${draft.count - draft.listed.length} more)` : ''}`;
      }
      const payload = { comment, alerts: draft.listed, joined: draft.count };
      outbox.push(
        draft.entry
          ? { ...draft.entry, payload, updatedAt: this.now }
          : this.entry(ticketId, 'comment', (slot.expectedVersion ?? 0) + 1, draft.due, payload),
      );
    }
    const tickets: Array<{ ticket: Ticket; expectedVersion: number | null }> = [];
    for (const slot of this.tickets.values())
      if (slot.dirty) tickets.push({ ticket: slot.ticket, expectedVersion: slot.expectedVersion });
    return { alerts: this.stored, tickets, outbox };
  }
}
