/**
 * The ticket orchestrator: alerts in, tickets and notifications out, by ordered business rules,
 * with deduplication, grouping, silences, muted rules, approvals and maintenance windows. Every
 * decision about one alert (the alert and what was done with it, the ticket, the outbox entry of
 * its remote write) is stored in one commit; the {@link OutboxWorker} then makes the remote
 * writes.
 *
 * @module
 */
import { hash as digest } from 'node:crypto';
import {
  type Alert,
  type AlertDisposition,
  alertInputSchema,
  CeError,
  type ModuleHost,
  type OutboxEntry,
  openTicketStatuses,
  type Page,
  RuleEngine,
  type RuleExplanation,
  type Severity,
  type StoredAlert,
  type Ticket,
  type TicketStatus,
  type TicketStore,
  toCeError,
  ValidationError,
} from '@ce/core';
import type { z } from 'zod';
import { AlertPuller } from '../intake/alert-puller.js';
import {
  type BusinessRule,
  type BusinessRuleInput,
  businessRuleSchema,
  maintenanceEnd,
  type Queue,
  type QueueInput,
  queueSchema,
  type Silence,
  type SilenceInput,
  silenceSchema,
} from './orchestrator-config.js';
import { type DeliveryRunReport, OutboxWorker, type StatusSyncReport } from './outbox-worker.js';
import { fieldText, silenceMatches } from './silences.js';
import { type CompiledTemplate, compileTemplate, MissingTemplateField } from './template.js';

/** Options of {@link TicketOrchestrator}. */
export interface TicketOrchestratorOptions {
  /** Alert fields the fingerprint covers. @default ['sourceConfigId', 'type', 'subtype', 'name', 'user', 'app'] */
  fingerprintFields?: ReadonlyArray<string>;
  /** How often due outbox entries are sent. @default 5000 */
  deliveryIntervalMs?: number;
  /** How often open tickets' statuses are read back. @default 300000 */
  syncIntervalMs?: number;
  /** How often each alert source is pulled. @default 60000 */
  pullIntervalMs?: number;
  /** Alerts listed on a ticket (`alertRefs`); all are counted. @default 100 */
  maxAlertRefs?: number;
  /** Whether `start()` schedules delivery, sync and pulls. @default true */
  schedule?: boolean;
}

/** What {@link TicketOrchestrator.submit} did with a batch. */
export interface SubmitReport {
  received: number;
  ticketed: number;
  deduplicated: number;
  grouped: number;
  muted: number;
  unrouted: number;
  pendingApproval: number;
  deferred: number;
  failed: number;
  /** Alerts already stored (a replay): nothing was done again. */
  duplicates: number;
  /** Inputs that could not be stored at all (no usable id), with their position and reason. */
  rejected: Array<{ index: number; reason: string }>;
  /** Stored alerts that failed, with their key and reason. */
  failures: Array<{ alert: string; reason: string }>;
}

/** What {@link TicketOrchestrator.explain} found for an alert, without writing anything. */
export interface AlertExplanation {
  /** Each enabled rule in order, whether it matched, and the rule engine's explanation. */
  rules: Array<{ ruleId: string; matched: boolean; explanation: RuleExplanation }>;
  /** The rule that routes the alert, if any. */
  ruleId?: string;
  queueId?: string;
  /** The silence or muted rule that holds it back, if any. */
  mutedBy?: { silenceId?: string; ruleId?: string };
  /** The open ticket a dedup rule would update, or the closed one it would reopen. */
  dedupe?: { key: string; ticketId?: string; action: 'update' | 'reopen' | 'new' };
  /** The group it would join. */
  group?: { key: string; ticketId?: string };
  /** Whether the queue needs an approval, and the maintenance window's end if one is in force. */
  approvalRequired?: boolean;
  deferredUntil?: number;
  /** What would be done: the disposition kind. */
  outcome: AlertDisposition['kind'];
  /** Why, in a sentence. */
  reason: string;
}

interface DestinationInfo {
  kind: 'ticket' | 'notification';
  mapping: Record<string, string>;
  severityMap: Partial<Record<Severity, string>>;
}

interface Working {
  /** Tickets read or written during the batch, by id, with the version they were read at. */
  tickets: Map<string, { ticket: Ticket; expectedVersion: number | null; dirty: boolean }>;
  outbox: Map<string, OutboxEntry>;
  alerts: StoredAlert[];
  /** The newest ticket of each dedupe and group key seen in the batch; `null` when the store has none. */
  byKey: Map<string, string | null>;
  /** Outbox entry ids of the batch, by ticket. */
  outboxByTicket: Map<string, Set<string>>;
  /** Stored tickets whose pending writes were fetched into `outbox`. */
  loaded: Set<string>;
  /** Destination configurations that could not be described, with why. */
  unavailable: Map<string, string>;
}

/** One alert of a batch, with what deciding it reads: its view, the rules it matches, its keys. */
interface AlertPlan {
  alert: Alert;
  view: Record<string, unknown>;
  rules: BusinessRule[];
  /** Dedupe or group key by rule id. */
  keys: Map<string, string>;
}

const namespace = 'cto';
const defaultFingerprint = ['sourceConfigId', 'type', 'subtype', 'name', 'user', 'app'];

function emptyReport(received: number): SubmitReport {
  return {
    received,
    ticketed: 0,
    deduplicated: 0,
    grouped: 0,
    muted: 0,
    unrouted: 0,
    pendingApproval: 0,
    deferred: 0,
    failed: 0,
    duplicates: 0,
    rejected: [],
    failures: [],
  };
}

function hash(...parts: ReadonlyArray<unknown>): string {
  return digest('sha1', JSON.stringify(parts), 'hex').slice(0, 32);
}

/** The record rules, silences and templates read. */
function viewOf(alert: Alert): Record<string, unknown> {
  return { ...alert };
}

function parse<T>(schema: z.ZodType<T, unknown>, input: unknown, subject: string): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    `invalid ${subject}`,
    parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || subject, reason: issue.message })),
  );
}

/**
 * The ticket orchestrator module's API (`exchange.modules.cto`). Create it with
 * `ticketOrchestrator()`.
 */
export class TicketOrchestrator {
  private readonly rulesEngine: RuleEngine;
  private readonly worker: OutboxWorker;
  private readonly puller: AlertPuller;
  private queues = new Map<string, Queue>();
  private rules: BusinessRule[] = [];
  private silences = new Map<string, Silence>();
  private readonly templates = new Map<string, CompiledTemplate>();
  private loaded: Promise<void> | undefined;
  private started = false;
  private readonly counters = new Map<string, number>();

  constructor(
    private readonly host: ModuleHost,
    private readonly options: TicketOrchestratorOptions = {},
  ) {
    this.rulesEngine = new RuleEngine({ clock: host.clock });
    this.worker = new OutboxWorker({
      store: this.store(),
      plugins: host.plugins,
      clock: host.clock,
      logger: host.logger.child({ component: 'cto-delivery' }),
      queue: (queueId) => this.queues.get(queueId),
      ...(options.syncIntervalMs !== undefined ? { syncIntervalMs: options.syncIntervalMs } : {}),
    });
    this.puller = new AlertPuller({
      plugins: host.plugins,
      storage: host.storage,
      clock: host.clock,
      logger: host.logger.child({ component: 'cto-intake' }),
      submit: (alerts, sourceConfigId) => this.submit(alerts, { sourceConfigId }),
    });
  }

  private store(): TicketStore {
    const store = this.host.storage.tickets;
    if (!store)
      throw new CeError('CONFIG_INVALID', `storage "${this.host.storage.kind}" has no ticket store`);
    return store;
  }

  // ---- configuration -----------------------------------------------------------------------

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      const kv = this.host.storage.keyValue;
      const queues = (await kv.get<QueueInput[]>(namespace, 'queues'))?.value ?? [];
      const rules = (await kv.get<BusinessRuleInput[]>(namespace, 'rules'))?.value ?? [];
      const silences = (await kv.get<SilenceInput[]>(namespace, 'silences'))?.value ?? [];
      this.queues = new Map(queues.map((queue) => [queue.id, parse(queueSchema, queue, 'queue')]));
      this.rules = rules.map((rule) => parse(businessRuleSchema, rule, 'rule'));
      this.silences = new Map(
        silences.map((silence) => [silence.id, parse(silenceSchema, silence, 'silence')]),
      );
    })();
    return this.loaded;
  }

  private async save(
    key: 'queues' | 'rules' | 'silences',
    value: unknown,
    action: string,
    target: string,
  ): Promise<void> {
    await this.host.storage.transaction(async (tx) => {
      await tx.keyValue.set(namespace, key, value);
      await tx.audit.append({ actor: 'cto', action, target });
    });
  }

  /** Adds or replaces a queue; throws `VALIDATION_FAILED` naming the field. */
  async putQueue(input: QueueInput): Promise<Queue> {
    await this.load();
    const queue = parse(queueSchema, input, 'queue');
    for (const [field, template] of Object.entries(queue.mapping)) {
      try {
        compileTemplate(template);
      } catch (error) {
        throw new ValidationError('invalid queue', [
          { path: `mapping.${field}`, reason: toCeError(error).message },
        ]);
      }
    }
    const next = new Map(this.queues).set(queue.id, queue);
    await this.save('queues', [...next.values()], 'cto.queue.put', `queue:${queue.id}`);
    this.queues = next;
    return queue;
  }

  /** Removes a queue; refused with `CONFLICT` while a rule routes to it. */
  async deleteQueue(id: string): Promise<boolean> {
    await this.load();
    const user = this.rules.find((rule) => rule.queueId === id);
    if (user) throw new CeError('CONFLICT', `queue "${id}" is used by rule "${user.id}"`);
    if (!this.queues.has(id)) return false;
    const next = new Map(this.queues);
    next.delete(id);
    await this.save('queues', [...next.values()], 'cto.queue.delete', `queue:${id}`);
    this.queues = next;
    return true;
  }

  /** The queues. */
  async listQueues(): Promise<Queue[]> {
    await this.load();
    return [...this.queues.values()];
  }

  /**
   * Adds or replaces a business rule. A new rule goes last unless `position` says where; rules
   * are tried in order. Throws `VALIDATION_FAILED` naming the field, `NOT_FOUND` for an unknown queue.
   */
  async putRule(input: BusinessRuleInput, position?: number): Promise<BusinessRule> {
    await this.load();
    const rule = parse(businessRuleSchema, input, 'rule');
    if (!this.queues.has(rule.queueId))
      throw new ValidationError('invalid rule', [{ path: 'queueId', reason: `no queue "${rule.queueId}"` }]);
    const next = this.rules.filter((existing) => existing.id !== rule.id);
    const at = this.rules.findIndex((existing) => existing.id === rule.id);
    const index = position ?? (at >= 0 ? at : next.length);
    next.splice(Math.max(0, Math.min(index, next.length)), 0, rule);
    await this.save('rules', next, 'cto.rule.put', `rule:${rule.id}`);
    this.rules = next;
    return rule;
  }

  /** Removes a rule. */
  async deleteRule(id: string): Promise<boolean> {
    await this.load();
    const next = this.rules.filter((rule) => rule.id !== id);
    if (next.length === this.rules.length) return false;
    await this.save('rules', next, 'cto.rule.delete', `rule:${id}`);
    this.rules = next;
    return true;
  }

  /** The rules, in the order they are tried. */
  async listRules(): Promise<BusinessRule[]> {
    await this.load();
    return [...this.rules];
  }

  /** Mutes a rule until a time: its alerts are recorded as muted, not lost. */
  async muteRule(id: string, until: number): Promise<BusinessRule> {
    await this.load();
    const rule = this.rules.find((candidate) => candidate.id === id);
    if (!rule) throw new CeError('NOT_FOUND', `no rule "${id}"`);
    return this.putRule({ ...rule, mutedUntil: until });
  }

  /** Adds or replaces a silence; regex matchers are checked for catastrophic backtracking. */
  async putSilence(input: SilenceInput): Promise<Silence> {
    await this.load();
    const silence = parse(silenceSchema, input, 'silence');
    silence.matchers.forEach((matcher, index) => {
      if (matcher.op !== '=~' && matcher.op !== '!~') return;
      try {
        silenceMatches({ ...silence, startsAt: 0, endsAt: 1 }, {}, 0);
      } catch (error) {
        throw new ValidationError('invalid silence', [
          { path: `matchers.${index}.value`, reason: toCeError(error).message },
        ]);
      }
    });
    const next = new Map(this.silences).set(silence.id, silence);
    await this.save('silences', [...next.values()], 'cto.silence.put', `silence:${silence.id}`);
    this.silences = next;
    return silence;
  }

  /** Ends a silence now; it is kept for the record. */
  async expireSilence(id: string): Promise<Silence> {
    await this.load();
    const silence = this.silences.get(id);
    if (!silence) throw new CeError('NOT_FOUND', `no silence "${id}"`);
    const now = this.host.clock.now();
    return this.putSilence({
      ...silence,
      endsAt: Math.max(silence.startsAt + 1, Math.min(silence.endsAt, now)),
    });
  }

  /** The silences, expired ones included, with whether each is in force now. */
  async listSilences(): Promise<Array<Silence & { active: boolean }>> {
    await this.load();
    const now = this.host.clock.now();
    return [...this.silences.values()].map((silence) => ({
      ...silence,
      active: now >= silence.startsAt && now < silence.endsAt,
    }));
  }

  // ---- intake and decisions ----------------------------------------------------------------

  /**
   * Takes alerts from a source: validates, routes, deduplicates, groups, mutes and decides, then
   * stores every decision in one commit per batch. An alert already stored is a replay and is
   * not acted on again; an invalid one with an id is stored as failed with the reason; one without
   * a usable id is reported in `rejected`.
   */
  async submit(inputs: ReadonlyArray<unknown>, options: { sourceConfigId: string }): Promise<SubmitReport> {
    await this.load();
    const report = emptyReport(inputs.length);
    for (let start = 0; start < inputs.length; start += 1_000) {
      const slice = inputs.slice(start, start + 1_000);
      for (let attempt = 0; ; attempt++) {
        try {
          const part = await this.submitBatch(slice, start, options.sourceConfigId);
          this.merge(report, part);
          break;
        } catch (error) {
          // Another writer changed a ticket this batch read: decide the batch again on fresh state.
          if (toCeError(error).code !== 'CONFLICT' || attempt >= 4) throw error;
        }
      }
    }
    return report;
  }

  private merge(into: SubmitReport, part: SubmitReport): void {
    for (const key of [
      'ticketed',
      'deduplicated',
      'grouped',
      'muted',
      'unrouted',
      'pendingApproval',
      'deferred',
      'failed',
      'duplicates',
    ] as const)
      into[key] += part[key];
    into.rejected.push(...part.rejected);
    into.failures.push(...part.failures);
  }

  private async submitBatch(
    inputs: ReadonlyArray<unknown>,
    offset: number,
    sourceConfigId: string,
  ): Promise<SubmitReport> {
    const store = this.store();
    const now = this.host.clock.now();
    const report = emptyReport(inputs.length);
    const parsed: Array<{ alert: Alert; problem?: string }> = [];
    inputs.forEach((input, index) => {
      const result = alertInputSchema.safeParse(input);
      if (result.success) {
        parsed.push({ alert: { ...result.data, sourceConfigId } as Alert });
        return;
      }
      const reason = result.error.issues
        .map((issue) => `${issue.path.join('.') || 'alert'}: ${issue.message}`)
        .join('; ');
      const id = (input as { id?: unknown } | null)?.id;
      if (typeof id !== 'string' || id.length === 0 || id.length > 512) {
        report.rejected.push({ index: offset + index, reason });
        return;
      }
      // Kept as failed, with what could be read, so that it is never lost.
      const raw =
        typeof input === 'object' && input !== null ? { ...(input as Record<string, unknown>) } : {};
      parsed.push({
        alert: {
          id,
          sourceConfigId,
          type: 'invalid',
          name: '(invalid alert)',
          severity: 'unknown',
          timestamp: now,
          raw,
        },
        problem: reason,
      });
    });
    const known = await store.knownAlerts(
      parsed.map(({ alert }) => [alert.sourceConfigId, alert.id] as const),
    );
    const working: Working = {
      tickets: new Map(),
      outbox: new Map(),
      alerts: [],
      byKey: new Map(),
      outboxByTicket: new Map(),
      loaded: new Set(),
      unavailable: new Map(),
    };
    const seen = new Set<string>();
    const accepted: Array<{ alert: Alert; problem?: string; plan?: AlertPlan }> = [];
    for (const { alert, problem } of parsed) {
      const key = `${alert.sourceConfigId}/${alert.id}`;
      if (known.has(key) || seen.has(key)) {
        report.duplicates++;
        continue;
      }
      seen.add(key);
      if (problem) accepted.push({ alert, problem });
      else {
        const view = viewOf(alert);
        accepted.push({ alert, plan: { alert, view, rules: this.matchingRules(view), keys: new Map() } });
      }
    }
    working.unavailable = await this.prefetch(
      accepted.flatMap((item) => (item.plan ? [item.plan] : [])),
      working,
    );
    for (const { alert, problem, plan } of accepted) {
      const disposition: AlertDisposition =
        problem !== undefined || !plan
          ? { kind: 'failed', reason: problem ?? 'invalid' }
          : this.dispose(plan, working, now);
      working.alerts.push({ ...alert, fingerprint: this.fingerprint(alert), receivedAt: now, disposition });
      this.count(report, disposition, `${alert.sourceConfigId}/${alert.id}`);
    }
    await store.commit({
      alerts: working.alerts,
      tickets: [...working.tickets.values()]
        .filter((entry) => entry.dirty)
        .map(({ ticket, expectedVersion }) => ({ ticket, expectedVersion })),
      outbox: [...working.outbox.values()],
    });
    return report;
  }

  private count(report: SubmitReport, disposition: AlertDisposition, key: string): void {
    const field = {
      ticketed: 'ticketed',
      deduplicated: 'deduplicated',
      grouped: 'grouped',
      muted: 'muted',
      unrouted: 'unrouted',
      'pending-approval': 'pendingApproval',
      declined: 'failed',
      deferred: 'deferred',
      failed: 'failed',
    } as const;
    report[field[disposition.kind]]++;
    if (disposition.kind === 'failed') report.failures.push({ alert: key, reason: disposition.reason });
    this.counters.set(disposition.kind, (this.counters.get(disposition.kind) ?? 0) + 1);
  }

  /** The stable hash of an alert's fingerprint fields. */
  fingerprint(alert: Alert): string {
    const view = viewOf(alert);
    return hash(
      (this.options.fingerprintFields ?? defaultFingerprint).map((field) => fieldText(view, field) ?? null),
    );
  }

  private matchingRules(view: Record<string, unknown>): BusinessRule[] {
    const matched: BusinessRule[] = [];
    for (const rule of this.rules) {
      if (!rule.enabled || !this.rulesEngine.test(rule.condition, view)) continue;
      matched.push(rule);
      if (!rule.continue) break;
    }
    return matched;
  }

  private mutedBy(
    rule: BusinessRule,
    view: Record<string, unknown>,
    now: number,
  ): { silenceId?: string; ruleId?: string } | undefined {
    for (const silence of this.silences.values())
      if (silenceMatches(silence, view, now)) return { silenceId: silence.id };
    if (rule.mutedUntil !== undefined && now < rule.mutedUntil) return { ruleId: rule.id };
    return undefined;
  }

  /** Decides one alert from what the batch fetched up front: no store call, no `await`. */
  private dispose(plan: AlertPlan, working: Working, now: number): AlertDisposition {
    if (plan.rules.length === 0) return { kind: 'unrouted' };
    let first: AlertDisposition | undefined;
    for (const rule of plan.rules) {
      let disposition: AlertDisposition;
      try {
        disposition = this.route(rule, plan, working, now);
      } catch (error) {
        disposition = {
          kind: 'failed',
          ruleId: rule.id,
          queueId: rule.queueId,
          reason: toCeError(error).message,
        };
      }
      first ??= disposition;
    }
    return first as AlertDisposition;
  }

  /** The dedupe or group key of an alert under a rule, once per plan. */
  private keyOf(plan: AlertPlan, rule: BusinessRule, queue: Queue): string | undefined {
    let key = plan.keys.get(rule.id);
    if (key === undefined) {
      const fields = rule.dedup?.fields ?? rule.grouping?.by;
      if (!fields) return undefined;
      key = hash(
        queue.id,
        rule.id,
        fields.map((field) => fieldText(plan.view, field) ?? null),
      );
      plan.keys.set(rule.id, key);
    }
    return key;
  }

  /**
   * Fetches, for a batch, everything its decisions read from elsewhere: the destinations of the
   * queues its rules route to, the newest ticket of each dedupe and group key, and the pending
   * writes of the group tickets found. Deciding then needs no store call per alert.
   */
  private async prefetch(plans: ReadonlyArray<AlertPlan>, working: Working): Promise<Map<string, string>> {
    const configIds = new Set<string>();
    const keys = new Map<string, { dedupeKey?: string; groupKey?: string }>();
    for (const plan of plans) {
      for (const rule of plan.rules) {
        const queue = this.queues.get(rule.queueId);
        if (!queue) continue;
        configIds.add(queue.destinationConfigId);
        const key = this.keyOf(plan, rule, queue);
        if (key === undefined) continue;
        if (rule.dedup) keys.set(`d:${key}`, { dedupeKey: key });
        else keys.set(`g:${key}`, { groupKey: key });
      }
    }
    const unavailable = new Map<string, string>();
    for (const configId of configIds) {
      try {
        await this.destination(configId);
      } catch (error) {
        unavailable.set(configId, toCeError(error).message);
      }
    }
    const store = this.store();
    for (const [name, key] of keys) {
      const ticket = await this.latest(working, key);
      if (!ticket || !name.startsWith('g:') || working.loaded.has(ticket.id)) continue;
      working.loaded.add(ticket.id);
      const pending = await store.queryOutbox({ ticketId: ticket.id, states: ['pending'] });
      for (const entry of pending.items) this.setOutbox(working, entry);
    }
    return unavailable;
  }

  private route(rule: BusinessRule, plan: AlertPlan, working: Working, now: number): AlertDisposition {
    const { alert, view } = plan;
    const muted = this.mutedBy(rule, view, now);
    if (muted) {
      return muted.silenceId
        ? {
            kind: 'muted',
            ruleId: rule.id,
            silenceId: muted.silenceId,
            reason: `silence "${muted.silenceId}"`,
          }
        : {
            kind: 'muted',
            ruleId: rule.id,
            reason: `rule "${rule.id}" is muted until ${new Date(rule.mutedUntil ?? 0).toISOString()}`,
          };
    }
    const queue = this.queues.get(rule.queueId);
    if (!queue)
      return { kind: 'failed', ruleId: rule.id, queueId: rule.queueId, reason: `no queue "${rule.queueId}"` };
    const destination = this.destinations.get(queue.destinationConfigId)?.info;
    if (!destination)
      return {
        kind: 'failed',
        ruleId: rule.id,
        queueId: queue.id,
        reason:
          working.unavailable.get(queue.destinationConfigId) ??
          `destination "${queue.destinationConfigId}" is not available`,
      };
    const base = { ruleId: rule.id, queueId: queue.id };
    const ref = `${alert.sourceConfigId}/${alert.id}`;

    if (rule.dedup) {
      const key = this.keyOf(plan, rule, queue) as string;
      const existing = this.latestKnown(working, `d:${key}`);
      if (
        existing &&
        openTicketStatuses.has(existing.status) &&
        now - existing.updatedAt <= rule.dedup.window
      ) {
        const ticket = this.attach(existing, ref, now, { dedupeCount: existing.dedupeCount + 1 });
        this.put(working, ticket);
        this.enqueue(
          working,
          ticket,
          'comment',
          { comment: this.commentFor(alert, ticket), alerts: [alert] },
          now,
        );
        return { kind: 'deduplicated', ...base, ticketId: ticket.id };
      }
      if (
        existing?.status === 'closed' &&
        existing.closedAt !== undefined &&
        now - existing.closedAt <= rule.dedup.reopenWindow
      ) {
        const reopened = this.attach(existing, ref, now, {
          dedupeCount: existing.dedupeCount + 1,
          status: 'new',
          statusHistory: [
            ...existing.statusHistory,
            { status: 'new', at: now, by: 'local', note: `reopened by ${ref}` },
          ],
        });
        this.put(working, reopened);
        this.enqueue(
          working,
          reopened,
          'reopen',
          { comment: `Reopened: ${this.commentFor(alert, reopened)}`, alerts: [alert] },
          now,
        );
        return { kind: 'deduplicated', ...base, ticketId: reopened.id, reopened: true };
      }
      return this.open(rule, queue, destination, alert, working, now, { dedupeKey: key });
    }

    if (rule.grouping) {
      const grouping = rule.grouping;
      const key = this.keyOf(plan, rule, queue) as string;
      const existing = this.latestKnown(working, `g:${key}`);
      if (existing && openTicketStatuses.has(existing.status)) {
        const ticket = this.attach(existing, ref, now, {});
        this.put(working, ticket);
        const pendingCreate = this.pendingKnown(working, ticket.id, 'create');
        if (pendingCreate) {
          const listed = (pendingCreate.payload.alerts as Alert[] | undefined) ?? [];
          // Once the list is full the create stays as it is: the count comes from the ticket.
          if (listed.length >= grouping.maxListed)
            return { kind: 'grouped', ...base, ticketId: ticket.id, groupKey: key };
          const members = [...listed, alert];
          const fields = this.render(queue, destination, members[0] ?? alert, ticket, members);
          this.setOutbox(working, {
            ...pendingCreate,
            payload: { ...pendingCreate.payload, fields, alerts: members, alertCount: ticket.alertCount },
            updatedAt: now,
          });
        } else {
          const pendingComment = this.pendingKnown(working, ticket.id, 'comment');
          const listed = (pendingComment?.payload.alerts as Alert[] | undefined) ?? [];
          const members = listed.length < grouping.maxListed ? [...listed, alert] : listed;
          const joined = Number(pendingComment?.payload.joined ?? 0) + 1;
          const comment = `${joined} more alert(s) in this group:\n${members
            .map((member) => `- ${this.describe(member)}`)
            .join('\n')}${joined > members.length ? `\n(and ${joined - members.length} more)` : ''}`;
          this.setOutbox(
            working,
            pendingComment
              ? { ...pendingComment, payload: { comment, alerts: members, joined }, updatedAt: now }
              : {
                  ...this.entry(
                    ticket,
                    'comment',
                    { comment, alerts: members, joined },
                    now,
                    now + grouping.interval,
                  ),
                },
          );
        }
        return { kind: 'grouped', ...base, ticketId: ticket.id, groupKey: key };
      }
      const opened = this.open(
        rule,
        queue,
        destination,
        alert,
        working,
        now,
        { groupKey: key },
        now + grouping.wait,
      );
      return opened.kind === 'ticketed'
        ? { kind: 'grouped', ...base, ticketId: opened.ticketId, groupKey: key }
        : opened;
    }

    return this.open(rule, queue, destination, alert, working, now, {});
  }

  private open(
    rule: BusinessRule,
    queue: Queue,
    destination: DestinationInfo,
    alert: Alert,
    working: Working,
    now: number,
    keys: { dedupeKey?: string; groupKey?: string },
    dueAt = now,
  ): AlertDisposition {
    const base = { ruleId: rule.id, queueId: queue.id };
    const ref = `${alert.sourceConfigId}/${alert.id}`;
    // Deterministic: a replay of the same decision names the same ticket and key.
    const id = hash('ticket', queue.id, rule.id, ref);
    const draft: Ticket = {
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
      createdAt: now,
      updatedAt: now,
      statusHistory: [{ status: 'new', at: now, by: 'local', note: `opened by rule "${rule.id}"` }],
      version: 0,
    };
    let fields: Record<string, string>;
    try {
      fields = this.render(queue, destination, alert, draft, [alert]);
    } catch (error) {
      if (error instanceof MissingTemplateField)
        return { kind: 'failed', ...base, reason: `${error.message} (queue "${queue.id}")` };
      throw error;
    }
    const title = fields.summary ?? fields.title ?? fields.short_description ?? alert.name;
    const ticket: Ticket = { ...draft, title: title.slice(0, 1_024) };
    if (queue.approval) {
      this.put(working, { ...ticket, approval: { state: 'pending' } }, null);
      // The create waits, never due, until the approval moves it to now (or a decline ends it).
      this.setOutbox(
        working,
        this.entry(
          ticket,
          'create',
          { fields, alerts: [alert], alertCount: 1, held: 'approval' },
          now,
          Number.MAX_SAFE_INTEGER,
        ),
      );
      return { kind: 'pending-approval', ...base, ticketId: ticket.id };
    }
    const windowEnd = maintenanceEnd(queue.maintenanceWindows, now);
    const due = windowEnd !== undefined ? Math.max(windowEnd, dueAt) : dueAt;
    const deferred = windowEnd !== undefined ? { ...ticket, deferredUntil: windowEnd } : ticket;
    this.put(working, deferred, null);
    this.setOutbox(
      working,
      this.entry(ticket, 'create', { fields, alerts: [alert], alertCount: 1 }, now, due),
    );
    return windowEnd !== undefined
      ? { kind: 'deferred', ...base, ticketId: ticket.id, until: windowEnd }
      : { kind: 'ticketed', ...base, ticketId: ticket.id };
  }

  private render(
    queue: Queue,
    destination: DestinationInfo,
    alert: Alert,
    ticket: Ticket,
    members: ReadonlyArray<Alert>,
  ): Record<string, string> {
    const variables: Record<string, unknown> = {
      ...viewOf(alert),
      tenant: alert.sourceConfigId,
      queue: queue.id,
      rule: ticket.ruleId,
      mappedSeverity: { ...destination.severityMap, ...queue.severityMap }[alert.severity] ?? alert.severity,
      alertCount: ticket.alertCount,
      dedupeCount: ticket.dedupeCount,
      summary: members.map((member) => `- ${this.describe(member)}`).join('\n'),
    };
    const mapping = { ...destination.mapping, ...queue.mapping };
    const fields: Record<string, string> = {};
    for (const [field, template] of Object.entries(mapping)) {
      let compiled = this.templates.get(template);
      if (!compiled) {
        compiled = compileTemplate(template);
        this.templates.set(template, compiled);
      }
      fields[field] = compiled(variables);
    }
    return fields;
  }

  private describe(alert: Alert): string {
    const who = [alert.user, alert.app].filter(Boolean).join(' / ');
    return `${new Date(alert.timestamp).toISOString()} ${alert.severity} ${alert.name}${who ? ` (${who})` : ''}`;
  }

  private commentFor(alert: Alert, ticket: Ticket): string {
    return `Seen again (${ticket.dedupeCount} repeat(s)): ${this.describe(alert)}`;
  }

  private attach(ticket: Ticket, ref: string, now: number, changes: Partial<Ticket>): Ticket {
    const cap = this.options.maxAlertRefs ?? 100;
    const refs = ticket.alertRefs.length < cap ? [...ticket.alertRefs, ref] : ticket.alertRefs;
    return { ...ticket, ...changes, alertRefs: refs, alertCount: ticket.alertCount + 1, updatedAt: now };
  }

  private put(working: Working, ticket: Ticket, expectedVersion?: number | null): void {
    const known = working.tickets.get(ticket.id);
    working.tickets.set(ticket.id, {
      ticket,
      expectedVersion: known
        ? known.expectedVersion
        : expectedVersion === undefined
          ? ticket.version
          : expectedVersion,
      dirty: true,
    });
    if (ticket.dedupeKey !== undefined) this.newest(working, `d:${ticket.dedupeKey}`, ticket);
    if (ticket.groupKey !== undefined) this.newest(working, `g:${ticket.groupKey}`, ticket);
  }

  private newest(working: Working, key: string, ticket: Ticket): void {
    const current = working.byKey.get(key);
    const known = current ? working.tickets.get(current)?.ticket : undefined;
    if (!known || known.id === ticket.id || ticket.createdAt >= known.createdAt)
      working.byKey.set(key, ticket.id);
  }

  /** The newest ticket of a key, from what the batch fetched or made. */
  private latestKnown(working: Working, name: string): Ticket | undefined {
    const id = working.byKey.get(name);
    return id ? working.tickets.get(id)?.ticket : undefined;
  }

  /** A ticket's pending write of one kind, from what the batch fetched or made. */
  private pendingKnown(
    working: Working,
    ticketId: string,
    operation: OutboxEntry['operation'],
  ): OutboxEntry | undefined {
    for (const id of working.outboxByTicket.get(ticketId) ?? []) {
      const entry = working.outbox.get(id);
      if (entry && entry.operation === operation && entry.state === 'pending') return entry;
    }
    return undefined;
  }

  private setOutbox(working: Working, entry: OutboxEntry): void {
    working.outbox.set(entry.id, entry);
    let ids = working.outboxByTicket.get(entry.ticketId);
    if (!ids) {
      ids = new Set();
      working.outboxByTicket.set(entry.ticketId, ids);
    }
    ids.add(entry.id);
  }

  private entry(
    ticket: Ticket,
    operation: OutboxEntry['operation'],
    payload: Record<string, unknown>,
    now: number,
    due: number,
  ): OutboxEntry {
    return {
      id: `${ticket.id}:${operation}:${now}`,
      ticketId: ticket.id,
      operation,
      payload,
      state: 'pending',
      attempts: 0,
      nextAttemptAt: due,
      createdAt: now,
      updatedAt: now,
    };
  }

  private enqueue(
    working: Working,
    ticket: Ticket,
    operation: OutboxEntry['operation'],
    payload: Record<string, unknown>,
    now: number,
  ): void {
    let id = `${ticket.id}:${operation}:${now}`;
    for (let n = 1; working.outbox.has(id); n++) id = `${ticket.id}:${operation}:${now}:${n}`;
    this.setOutbox(working, { ...this.entry(ticket, operation, payload, now, now), id });
  }

  private async latest(
    working: Working,
    key: { dedupeKey?: string; groupKey?: string },
  ): Promise<Ticket | undefined> {
    const name = key.dedupeKey !== undefined ? `d:${key.dedupeKey}` : `g:${key.groupKey}`;
    const known = working.byKey.get(name);
    if (known !== undefined) return known === null ? undefined : working.tickets.get(known)?.ticket;
    const page = await this.store().queryTickets({ ...key, sort: 'createdAt', order: 'desc', limit: 1 });
    const stored = page.items[0];
    if (stored && !working.tickets.has(stored.id))
      working.tickets.set(stored.id, { ticket: stored, expectedVersion: stored.version, dirty: false });
    working.byKey.set(name, stored ? stored.id : null);
    return stored ? working.tickets.get(stored.id)?.ticket : undefined;
  }

  private readonly destinations = new Map<string, { info: DestinationInfo; at: number }>();

  private async destination(configId: string): Promise<DestinationInfo> {
    const cached = this.destinations.get(configId);
    const now = this.host.clock.now();
    if (cached && now - cached.at < 60_000) return cached.info;
    const info = await this.host.plugins.invoke(configId, 'cto.describe', async (context, definition) => {
      const destination = definition.cto?.destination;
      if (!destination)
        throw new CeError('CONFIG_INVALID', `configuration "${configId}" is not a ticket destination`);
      return {
        kind: destination.kind,
        mapping: { ...destination.defaultMapping(context.config) },
        severityMap: { ...destination.defaultSeverityMap?.(context.config) },
      } satisfies DestinationInfo;
    });
    this.destinations.set(configId, { info, at: now });
    return info;
  }

  // ---- explain -----------------------------------------------------------------------------

  /** What the orchestrator would do with an alert, and why, without writing anything. */
  async explain(input: unknown, options: { sourceConfigId: string }): Promise<AlertExplanation> {
    await this.load();
    const parsed = alertInputSchema.safeParse(input);
    const rules: AlertExplanation['rules'] = [];
    if (!parsed.success)
      return {
        rules,
        outcome: 'failed',
        reason: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
      };
    const alert = { ...parsed.data, sourceConfigId: options.sourceConfigId } as Alert;
    const view = viewOf(alert);
    const now = this.host.clock.now();
    let chosen: BusinessRule | undefined;
    for (const rule of this.rules) {
      if (!rule.enabled) continue;
      const explanation = this.rulesEngine.explain(rule.condition, view);
      rules.push({ ruleId: rule.id, matched: explanation.result, explanation });
      if (explanation.result && !chosen) chosen = rule;
    }
    if (!chosen) return { rules, outcome: 'unrouted', reason: 'no enabled business rule matched' };
    const result: AlertExplanation = {
      rules,
      ruleId: chosen.id,
      queueId: chosen.queueId,
      outcome: 'ticketed',
      reason: '',
    };
    const known = await this.store().getAlert(alert.sourceConfigId, alert.id);
    if (known)
      return {
        ...result,
        outcome: known.disposition.kind,
        reason: 'already received: it is not acted on again',
      };
    const muted = this.mutedBy(chosen, view, now);
    if (muted)
      return {
        ...result,
        mutedBy: muted,
        outcome: 'muted',
        reason: muted.silenceId ? `silence "${muted.silenceId}" matches` : `rule "${chosen.id}" is muted`,
      };
    const queue = this.queues.get(chosen.queueId);
    if (!queue) return { ...result, outcome: 'failed', reason: `no queue "${chosen.queueId}"` };
    if (chosen.dedup) {
      const key = hash(
        queue.id,
        chosen.id,
        chosen.dedup.fields.map((field) => fieldText(view, field) ?? null),
      );
      const existing = (
        await this.store().queryTickets({ dedupeKey: key, sort: 'createdAt', order: 'desc', limit: 1 })
      ).items[0];
      if (
        existing &&
        openTicketStatuses.has(existing.status) &&
        now - existing.updatedAt <= chosen.dedup.window
      )
        return {
          ...result,
          dedupe: { key, ticketId: existing.id, action: 'update' },
          outcome: 'deduplicated',
          reason: `updates open ticket ${existing.id}`,
        };
      if (
        existing?.status === 'closed' &&
        existing.closedAt !== undefined &&
        now - existing.closedAt <= chosen.dedup.reopenWindow
      )
        return {
          ...result,
          dedupe: { key, ticketId: existing.id, action: 'reopen' },
          outcome: 'deduplicated',
          reason: `reopens ticket ${existing.id}`,
        };
      result.dedupe = { key, action: 'new' };
    }
    if (chosen.grouping) {
      const key = hash(
        queue.id,
        chosen.id,
        chosen.grouping.by.map((field) => fieldText(view, field) ?? null),
      );
      const existing = (
        await this.store().queryTickets({ groupKey: key, sort: 'createdAt', order: 'desc', limit: 1 })
      ).items[0];
      const open = existing && openTicketStatuses.has(existing.status) ? existing : undefined;
      return {
        ...result,
        group: { key, ...(open ? { ticketId: open.id } : {}) },
        outcome: 'grouped',
        reason: open ? `joins group ticket ${open.id}` : 'opens a group ticket',
      };
    }
    if (queue.approval)
      return {
        ...result,
        approvalRequired: true,
        outcome: 'pending-approval',
        reason: `queue "${queue.id}" needs an approval`,
      };
    const windowEnd = maintenanceEnd(queue.maintenanceWindows, now);
    if (windowEnd !== undefined)
      return {
        ...result,
        deferredUntil: windowEnd,
        outcome: 'deferred',
        reason: `a maintenance window defers creation until ${new Date(windowEnd).toISOString()}`,
      };
    return {
      ...result,
      reason: result.dedupe
        ? 'no open ticket with these values: opens one'
        : `opens a ticket in queue "${queue.id}"`,
    };
  }

  // ---- approvals, lifecycle, queries -------------------------------------------------------

  /** Approves or declines a ticket waiting for approval; an approved one is created next. */
  async approve(
    ticketId: string,
    decision: { approve: boolean; by: string; comment?: string },
  ): Promise<Ticket> {
    const store = this.store();
    const ticket = await store.getTicket(ticketId);
    if (!ticket) throw new CeError('NOT_FOUND', `no ticket "${ticketId}"`);
    if (ticket.approval?.state !== 'pending')
      throw new CeError('CONFLICT', `ticket "${ticketId}" is not waiting for an approval`);
    const now = this.host.clock.now();
    const approval = {
      state: decision.approve ? ('approved' as const) : ('declined' as const),
      by: decision.by,
      decidedAt: now,
      ...(decision.comment ? { comment: decision.comment } : {}),
    };
    const held = (await store.queryOutbox({ ticketId, states: ['pending'] })).items.find(
      (entry) => entry.payload.held === 'approval',
    );
    const queue = this.queues.get(ticket.queueId);
    const windowEnd = queue ? maintenanceEnd(queue.maintenanceWindows, now) : undefined;
    const status: TicketStatus = decision.approve ? ticket.status : 'closed';
    const next: Ticket = {
      ...ticket,
      approval,
      status,
      updatedAt: now,
      ...(windowEnd !== undefined && decision.approve ? { deferredUntil: windowEnd } : {}),
      statusHistory: [
        ...ticket.statusHistory,
        { status, at: now, by: 'local', note: `${approval.state} by ${decision.by}` },
      ],
    };
    const outbox: OutboxEntry[] = [];
    if (held) {
      const { held: _held, ...payload } = held.payload;
      outbox.push(
        decision.approve
          ? { ...held, payload, state: 'pending', nextAttemptAt: windowEnd ?? now, updatedAt: now }
          : { ...held, payload, state: 'done', updatedAt: now },
      );
    }
    const alerts = decision.approve
      ? []
      : (await store.queryAlerts({ ticketId, dispositions: ['pending-approval'], limit: 1_000 })).items.map(
          (alert) => ({
            ...alert,
            disposition: {
              kind: 'declined' as const,
              ruleId: ticket.ruleId,
              queueId: ticket.queueId,
              ticketId,
            },
          }),
        );
    const [stored] = await store.commit({
      tickets: [{ ticket: next, expectedVersion: ticket.version }],
      outbox,
      alerts,
    });
    return stored as Ticket;
  }

  /** Closes a ticket on its destination. */
  async resolve(ticketId: string, comment?: string): Promise<Ticket> {
    const store = this.store();
    const ticket = await store.getTicket(ticketId);
    if (!ticket) throw new CeError('NOT_FOUND', `no ticket "${ticketId}"`);
    const now = this.host.clock.now();
    const next: Ticket = {
      ...ticket,
      status: ticket.status === 'notification' ? ticket.status : 'closed',
      closedAt: now,
      updatedAt: now,
      statusHistory: [
        ...ticket.statusHistory,
        { status: 'closed', at: now, by: 'local', note: comment ?? 'resolved' },
      ],
    };
    const [stored] = await store.commit({
      tickets: [{ ticket: next, expectedVersion: ticket.version }],
      outbox: [this.entry(ticket, 'resolve', comment ? { comment } : {}, now, now)],
    });
    return stored as Ticket;
  }

  /** Sends a failed ticket's failed writes again now. Returns how many. */
  retry(ticketId: string): Promise<number> {
    return this.worker.retry(ticketId);
  }

  /** A ticket by id. */
  getTicket(id: string): Promise<Ticket | undefined> {
    return this.store().getTicket(id);
  }

  /** A page of tickets; see `TicketQuery`. */
  listTickets(query: Parameters<TicketStore['queryTickets']>[0] = {}): Promise<Page<Ticket>> {
    return this.store().queryTickets(query);
  }

  /** A page of alerts; see `AlertQuery`. */
  listAlerts(query: Parameters<TicketStore['queryAlerts']>[0] = {}): Promise<Page<StoredAlert>> {
    return this.store().queryAlerts(query);
  }

  /** Sends due remote writes now. */
  deliver(): Promise<DeliveryRunReport> {
    return this.worker.runOnce();
  }

  /** Reads open tickets' statuses from their destinations now. */
  sync(): Promise<StatusSyncReport> {
    return this.worker.syncOnce();
  }

  /** Pulls one alert source configuration once. */
  pull(configId: string): ReturnType<AlertPuller['pullOnce']> {
    return this.puller.pullOnce(configId);
  }

  /** Alerts decided since start, by disposition kind, and the outbox backlog. */
  async metrics(): Promise<{ dispositions: Record<string, number>; backlog: number; failedTickets: number }> {
    const store = this.store();
    return {
      dispositions: Object.fromEntries(this.counters),
      backlog: (await store.queryOutbox({ states: ['pending', 'in_flight'], limit: 1_000 })).items.length,
      failedTickets: await store.countTickets({ statuses: ['failed'] }),
    };
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /** Recovers writes left in flight, then schedules delivery, status sync and pulls. */
  async start(): Promise<void> {
    await this.load();
    await this.worker.recover();
    this.started = true;
    await this.refreshSources();
    if (this.options.schedule === false) return;
    const scheduler = this.host.scheduler;
    scheduler.every('cto-deliver', this.options.deliveryIntervalMs ?? 5_000, async () => {
      await this.worker.runOnce();
    });
    scheduler.every('cto-sync', this.options.syncIntervalMs ?? 300_000, async () => {
      await this.worker.syncOnce();
    });
    for (const configuration of await this.host.plugins.enabledConfigurations('cto'))
      this.schedulePull(configuration.id, configuration.pluginId);
  }

  /** Stops scheduling; the host's scheduler drains running work. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    const scheduler = this.host.scheduler;
    for (const task of scheduler.list()) if (task.name.startsWith('cto-')) await scheduler.cancel(task.name);
  }

  /** Follows configuration changes: sources to pull, destinations to describe again. */
  async onConfigurationChanged(change: { kind: string; configId: string; pluginId: string }): Promise<void> {
    this.destinations.delete(change.configId);
    await this.refreshSources();
    if (!this.started || this.options.schedule === false) return;
    await this.host.scheduler.cancel(`cto-pull:${change.configId}`);
    if (change.kind !== 'removed' && change.kind !== 'disabled')
      this.schedulePull(change.configId, change.pluginId);
  }

  private async refreshSources(): Promise<void> {
    this.worker.writeBackSources.clear();
    for (const configuration of await this.host.plugins.enabledConfigurations('cto')) {
      const source = this.host.plugins.definition(configuration.pluginId).cto?.source;
      if (source?.writeBack) this.worker.writeBackSources.add(configuration.id);
    }
  }

  private schedulePull(configId: string, pluginId: string): void {
    if (!this.host.plugins.definition(pluginId).cto?.source) return;
    this.host.scheduler.every(
      `cto-pull:${configId}`,
      this.options.pullIntervalMs ?? 60_000,
      async () => {
        for (let page = 0; page < 100; page++) {
          const result = await this.puller.pullOnce(configId);
          if (!result.more) break;
        }
      },
      { runImmediately: true, jitter: 0.1 },
    );
  }
}
