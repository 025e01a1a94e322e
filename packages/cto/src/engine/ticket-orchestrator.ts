/**
 * The ticket orchestrator: alerts in, tickets and notifications out, by ordered business rules,
 * with deduplication, grouping, silences, muted rules, approvals and maintenance windows. Every
 * decision about a batch of alerts (the alerts and what was done with them, the tickets, the
 * outbox entries of their remote writes) is stored in one commit; the `OutboxProcessor` then makes
 * the remote writes and the `StatusSync` reads statuses back.
 *
 * @module
 */
import {
  type Alert,
  type AlertDisposition,
  type AlertDispositionKind,
  type AlertQuery,
  CeError,
  type ModuleHost,
  type OutboxEntry,
  type Page,
  RuleEngine,
  type RuleExplanation,
  type StoredAlert,
  type Ticket,
  type TicketQuery,
  type TicketStatus,
  type TicketStore,
  toCeError,
  ValidationError,
} from '@ce/core';
import type { z } from 'zod';
import type { DeliveryOptions, OutboxRunReport, SyncRunReport } from '../delivery/delivery-options.js';
import { OutboxProcessor } from '../delivery/outbox-processor.js';
import { StatusSync } from '../delivery/status-sync.js';
import { AlertPuller, type AlertPullResult } from '../intake/alert-puller.js';
import { fieldReader, KeyCache, parseAlert } from './alert-fields.js';
import {
  type CompiledRule,
  DecisionBatch,
  type DecisionConfig,
  type DecisionTrace,
  type DestinationInfo,
  fingerprintOf,
  renderFields,
  titleOf,
} from './decision-batch.js';
import {
  type BusinessRule,
  type BusinessRuleInput,
  businessRuleSchema,
  type MaintenanceWindow,
  maintenanceEnd,
  maintenanceWindowSchema,
  type Queue,
  type QueueInput,
  queueSchema,
  type Silence,
  type SilenceInput,
  silenceSchema,
} from './orchestrator-config.js';
import { compileSilence } from './silences.js';
import { type CompiledTemplate, compileTemplate } from './template.js';

/** Options of {@link TicketOrchestrator}. */
export interface TicketOrchestratorOptions {
  /** Alert fields the fingerprint covers. @default ['sourceConfigId', 'type', 'subtype', 'name', 'user', 'app'] */
  fingerprintFields?: ReadonlyArray<string>;
  /** How often due outbox entries are sent, in ms. @default 5000 */
  deliveryIntervalMs?: number;
  /** How often open tickets' statuses are read back, in ms. @default 300000 */
  syncIntervalMs?: number;
  /** How often each alert source is pulled, in ms. @default 60000 */
  pullIntervalMs?: number;
  /** Alerts listed on a ticket (`alertRefs`); all are counted. @default 100 */
  maxAlertRefs?: number;
  /** Alerts decided and stored per commit. @default 1000 */
  batchSize?: number;
  /** Whether `start()` schedules delivery, sync and pulls. @default true */
  schedule?: boolean;
  /**
   * Delivery settings passed to the outbox processor and the status sync (retry policy,
   * attempts, timeouts, batch sizes); the store, plugins, clock, logger and queues are the
   * orchestrator's.
   */
  delivery?: Omit<DeliveryOptions, 'store' | 'plugins' | 'clock' | 'logger' | 'queue'>;
}

/** Who changes the configuration, for the audit log. */
export interface ChangeOptions {
  /** @default 'system' */
  actor?: string;
}

/** What {@link TicketOrchestrator.submit} did with a batch. */
export interface SubmitReport {
  /** Inputs received. */
  received: number;
  /** Alerts that opened a ticket. */
  ticketed: number;
  /** Alerts that updated (or reopened) an open ticket instead of opening another. */
  deduplicated: number;
  /** Alerts that joined or opened a group ticket. */
  grouped: number;
  /** Alerts held back by a silence or a muted rule (stored, not lost). */
  muted: number;
  /** Alerts no business rule matched (stored). */
  unrouted: number;
  /** Alerts whose ticket waits for a person's approval. */
  pendingApproval: number;
  /** Alerts whose ticket a maintenance window defers. */
  deferred: number;
  /** Alerts stored as failed (listed in `failures`). */
  failed: number;
  /** Alerts already stored (a replay): nothing was done again. */
  duplicates: number;
  /** Inputs that could not be stored at all (no usable id), with their position and reason. */
  rejected: Array<{ index: number; reason: string }>;
  /** Stored alerts that failed, as `sourceConfigId/id`, with the reason. */
  failures: Array<{ alert: string; reason: string }>;
}

/** What {@link TicketOrchestrator.explain} found for an alert, without writing anything. */
export interface AlertExplanation {
  /** Each enabled rule in order, whether it matched, and the rule engine's explanation. */
  rules: Array<{ ruleId: string; matched: boolean; explanation: RuleExplanation }>;
  /** The rule that routes the alert (the first that matched), if any. */
  ruleId?: string;
  /** Every rule that acts on it (more than one where a rule says `continue`). */
  routedBy?: string[];
  /** The queue of `ruleId`. */
  queueId?: string;
  /** The silence or muted rule that holds it back, if any. */
  mutedBy?: { silenceId?: string; ruleId?: string };
  /** The open ticket a dedup rule updates, the closed one it reopens, or `new`. */
  dedupe?: { key: string; ticketId?: string; action: 'update' | 'reopen' | 'new' };
  /** The group it joins or opens. */
  group?: { key: string; ticketId?: string; action: 'join' | 'open' };
  /** Whether the queue needs an approval. */
  approvalRequired?: boolean;
  /** The end of the maintenance window in force, if one is. */
  deferredUntil?: number;
  /** What was done (an alert already received) or would be done. */
  disposition: AlertDisposition;
  /** `disposition.kind`. */
  outcome: AlertDispositionKind;
  /** Whether the alert was received before: then this is what was done, and nothing is done again. */
  received: boolean;
  /** Why, in a sentence. */
  reason: string;
}

/** Counters the host can read. */
export interface TicketOrchestratorMetrics {
  /** Alerts decided by this instance since it was created, by disposition. */
  dispositions: Partial<Record<AlertDispositionKind, number>>;
  /** Inputs refused without an id, and replays, since created. */
  rejected: number;
  duplicates: number;
  /** Remote writes pending or in flight (counted up to 10,000). */
  backlog: number;
  /** Of those, writes already due. */
  due: number;
  /** Tickets whose creation failed. */
  failedTickets: number;
  /** Tickets waiting for an approval. */
  pendingApprovals: number;
}

const namespace = 'cto';
const defaultFingerprint = ['sourceConfigId', 'type', 'subtype', 'name', 'user', 'app'];
const reportFields = {
  ticketed: 'ticketed',
  deduplicated: 'deduplicated',
  grouped: 'grouped',
  muted: 'muted',
  unrouted: 'unrouted',
  'pending-approval': 'pendingApproval',
  declined: 'failed',
  deferred: 'deferred',
  failed: 'failed',
} as const satisfies Record<AlertDispositionKind, keyof SubmitReport>;
/** How long a destination's description is reused, and a failure to describe it remembered. */
const describeTtlMs = 60_000;
const describeFailureTtlMs = 5_000;

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

function parse<T>(schema: z.ZodType<T, unknown>, input: unknown, subject: string): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    `invalid ${subject}`,
    parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || subject, reason: issue.message })),
  );
}

/** JSON-safe copy of whatever an invalid input held, so that it can be stored as failed. */
function jsonCopy(input: unknown): Record<string, unknown> {
  try {
    const copy = JSON.parse(JSON.stringify(input)) as unknown;
    return typeof copy === 'object' && copy !== null && !Array.isArray(copy)
      ? (copy as Record<string, unknown>)
      : { value: copy };
  } catch (error) {
    return { unreadable: toCeError(error).message };
  }
}

/** What could be read of an invalid input that has an id: it is stored as failed, never lost. */
function invalidAlert(
  input: Record<string, unknown>,
  id: string,
  sourceConfigId: string,
  now: number,
): Alert {
  const text = (value: unknown, max: number): string | undefined =>
    typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;
  return {
    id,
    sourceConfigId,
    type: text(input.type, 128) ?? 'invalid',
    name: text(input.name, 1_024) ?? '(invalid alert)',
    severity: 'unknown',
    timestamp:
      typeof input.timestamp === 'number' && Number.isSafeInteger(input.timestamp) && input.timestamp >= 0
        ? input.timestamp
        : now,
    raw: jsonCopy(input),
  };
}

function sentence(disposition: AlertDisposition, trace: DecisionTrace): string {
  switch (disposition.kind) {
    case 'unrouted':
      return 'no enabled business rule matched';
    case 'muted':
      return disposition.reason;
    case 'failed':
      return disposition.reason;
    case 'deduplicated':
      return disposition.reopened
        ? `reopens closed ticket ${disposition.ticketId} (within the reopen window)`
        : `updates open ticket ${disposition.ticketId} (same values on the dedup fields within the window)`;
    case 'grouped':
      return trace.group?.action === 'join'
        ? `joins group ticket ${disposition.ticketId}`
        : `opens group ticket ${disposition.ticketId}, created once the group wait ends`;
    case 'pending-approval':
      return `ticket ${disposition.ticketId} waits for an approval in queue "${disposition.queueId}"`;
    case 'declined':
      return `the approval of ticket ${disposition.ticketId} was declined`;
    case 'deferred':
      return `a maintenance window defers ticket ${disposition.ticketId} until ${new Date(disposition.until).toISOString()}`;
    default:
      return `opens ticket ${disposition.ticketId} in queue "${disposition.queueId}"`;
  }
}

/**
 * The ticket orchestrator module's API (`exchange.modules.cto`). Create it with
 * `ticketOrchestrator()`; every method but `fingerprint` needs a storage adapter with a
 * ticket store (`storage.tickets`).
 */
export class TicketOrchestrator {
  private readonly rulesEngine: RuleEngine;
  private readonly outbox: OutboxProcessor;
  private readonly statusSync: StatusSync;
  private readonly puller: AlertPuller;
  private queues = new Map<string, Queue>();
  private rules: BusinessRule[] = [];
  private silences = new Map<string, Silence>();
  private compiled: DecisionConfig | undefined;
  private readonly destinations = new Map<
    string,
    { info: DestinationInfo | { unavailable: string }; at: number }
  >();
  private readonly templateCache = new WeakMap<
    Queue,
    WeakMap<DestinationInfo, ReadonlyArray<readonly [string, CompiledTemplate]>>
  >();
  private readonly keys = new KeyCache();
  private readonly newestByKey = new Map<string, string | null>();
  private loaded: Promise<void> | undefined;
  private started = false;
  private submitting: Promise<unknown> = Promise.resolve();
  private readonly counters = {
    dispositions: {} as Partial<Record<AlertDispositionKind, number>>,
    rejected: 0,
    duplicates: 0,
  };

  /** Use `ticketOrchestrator()` with `createCloudExchange` rather than calling this directly. */
  constructor(
    private readonly host: ModuleHost,
    private readonly options: TicketOrchestratorOptions = {},
  ) {
    this.rulesEngine = new RuleEngine({ clock: host.clock });
    const delivery: DeliveryOptions = {
      ...options.delivery,
      ...(options.syncIntervalMs !== undefined && options.delivery?.syncIntervalMs === undefined
        ? { syncIntervalMs: options.syncIntervalMs }
        : {}),
      store: host.storage.tickets ?? this.missingStore(),
      plugins: host.plugins,
      clock: host.clock,
      logger: host.logger.child({ component: 'cto-delivery' }),
      queue: (queueId) => this.queues.get(queueId),
    };
    this.outbox = new OutboxProcessor(delivery);
    this.statusSync = new StatusSync(delivery);
    this.puller = new AlertPuller({
      plugins: host.plugins,
      storage: host.storage,
      clock: host.clock,
      logger: host.logger.child({ component: 'cto-intake' }),
      submit: (alerts, sourceConfigId) => this.submit(alerts, { sourceConfigId }),
    });
  }

  /** Stands in for the ticket store a storage adapter lacks: every call fails clearly. */
  private missingStore(): TicketStore {
    return new Proxy({} as TicketStore, {
      get: () => () => Promise.reject(this.storeMissing()),
    });
  }

  private storeMissing(): CeError {
    return new CeError(
      'CONFIG_INVALID',
      `storage "${this.host.storage.kind}" has no ticket store (storage.tickets); the ticket orchestrator needs one`,
    );
  }

  private store(): TicketStore {
    const store = this.host.storage.tickets;
    if (!store) throw this.storeMissing();
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
      this.compiled = undefined;
    })().catch((error: unknown) => {
      this.loaded = undefined;
      throw error;
    });
    return this.loaded;
  }

  /** Reads the configuration from storage again, after another process changed it. */
  async reload(): Promise<void> {
    this.loaded = undefined;
    await this.load();
  }

  private async save(
    key: 'queues' | 'rules' | 'silences',
    value: unknown,
    audit: { action: string; target: string; actor: string | undefined; details?: Record<string, unknown> },
  ): Promise<void> {
    await this.host.storage.transaction(async (tx) => {
      await tx.keyValue.set(namespace, key, value);
      await tx.audit.append({
        at: this.host.clock.now(),
        actor: audit.actor ?? 'system',
        action: audit.action,
        target: audit.target,
        ...(audit.details ? { details: audit.details } : {}),
      });
    });
    this.compiled = undefined;
  }

  private checkQueue(queue: Queue): void {
    const issues: Array<{ path: string; reason: string }> = [];
    for (const [field, template] of Object.entries(queue.mapping)) {
      try {
        compileTemplate(template);
      } catch (error) {
        issues.push({ path: `mapping.${field}`, reason: toCeError(error).message });
      }
    }
    if (issues.length > 0) throw new ValidationError('invalid queue', issues);
  }

  /**
   * Adds or replaces a queue. Throws `VALIDATION_FAILED` naming the field (a template with an
   * unknown filter names `mapping.<field>`).
   */
  async putQueue(input: QueueInput, options: ChangeOptions = {}): Promise<Queue> {
    await this.load();
    const queue = parse(queueSchema, input, 'queue');
    this.checkQueue(queue);
    const existed = this.queues.has(queue.id);
    const next = new Map(this.queues).set(queue.id, queue);
    await this.save('queues', [...next.values()], {
      action: existed ? 'ticket-queue-updated' : 'ticket-queue-created',
      target: `queue:${queue.id}`,
      actor: options.actor,
      details: { destinationConfigId: queue.destinationConfigId, approval: queue.approval },
    });
    this.queues = next;
    return queue;
  }

  /** Removes a queue; refused with `CONFLICT` while a rule routes to it. Resolves false if unknown. */
  async deleteQueue(id: string, options: ChangeOptions = {}): Promise<boolean> {
    await this.load();
    const user = this.rules.find((rule) => rule.queueId === id);
    if (user) throw new CeError('CONFLICT', `queue "${id}" is used by rule "${user.id}"`);
    if (!this.queues.has(id)) return false;
    const next = new Map(this.queues);
    next.delete(id);
    await this.save('queues', [...next.values()], {
      action: 'ticket-queue-deleted',
      target: `queue:${id}`,
      actor: options.actor,
    });
    this.queues = next;
    return true;
  }

  /** A queue, or `undefined`. */
  async getQueue(id: string): Promise<Queue | undefined> {
    await this.load();
    return this.queues.get(id);
  }

  /** The queues. */
  async listQueues(): Promise<Queue[]> {
    await this.load();
    return [...this.queues.values()];
  }

  /**
   * Adds or replaces a maintenance window of a queue (matched by `id`). While one is in force,
   * the queue's new tickets are deferred to its end.
   */
  async putMaintenanceWindow(
    queueId: string,
    input: z.input<typeof maintenanceWindowSchema> & { id: string },
    options: ChangeOptions = {},
  ): Promise<MaintenanceWindow> {
    await this.load();
    const queue = this.queues.get(queueId);
    if (!queue) throw new CeError('NOT_FOUND', `no queue "${queueId}"`);
    const window = parse(maintenanceWindowSchema, input, 'maintenance window');
    if (!window.id)
      throw new ValidationError('invalid maintenance window', [{ path: 'id', reason: 'an id is required' }]);
    const windows = queue.maintenanceWindows.filter((existing) => existing.id !== window.id);
    const next = new Map(this.queues).set(queueId, { ...queue, maintenanceWindows: [...windows, window] });
    await this.save('queues', [...next.values()], {
      action:
        windows.length === queue.maintenanceWindows.length
          ? 'maintenance-window-created'
          : 'maintenance-window-updated',
      target: `queue:${queueId}/window:${window.id}`,
      actor: options.actor,
      details: { window },
    });
    this.queues = next;
    return window;
  }

  /** Removes a maintenance window of a queue. Resolves false if unknown. */
  async deleteMaintenanceWindow(
    queueId: string,
    windowId: string,
    options: ChangeOptions = {},
  ): Promise<boolean> {
    await this.load();
    const queue = this.queues.get(queueId);
    if (!queue) throw new CeError('NOT_FOUND', `no queue "${queueId}"`);
    const windows = queue.maintenanceWindows.filter((existing) => existing.id !== windowId);
    if (windows.length === queue.maintenanceWindows.length) return false;
    const next = new Map(this.queues).set(queueId, { ...queue, maintenanceWindows: windows });
    await this.save('queues', [...next.values()], {
      action: 'maintenance-window-deleted',
      target: `queue:${queueId}/window:${windowId}`,
      actor: options.actor,
    });
    this.queues = next;
    return true;
  }

  /** A queue's maintenance windows, with the end of the one in force now, if any. */
  async listMaintenanceWindows(
    queueId: string,
  ): Promise<{ windows: MaintenanceWindow[]; activeUntil?: number }> {
    await this.load();
    const queue = this.queues.get(queueId);
    if (!queue) throw new CeError('NOT_FOUND', `no queue "${queueId}"`);
    const activeUntil = maintenanceEnd(queue.maintenanceWindows, this.host.clock.now());
    return { windows: [...queue.maintenanceWindows], ...(activeUntil !== undefined ? { activeUntil } : {}) };
  }

  /**
   * Adds or replaces a business rule. A new rule goes last unless `position` says where; a
   * replaced one keeps its place unless `position` moves it. Rules are tried in order. Throws
   * `VALIDATION_FAILED` naming the field (`condition` for a rule the engine refuses, `queueId`
   * for an unknown queue).
   */
  async putRule(
    input: BusinessRuleInput,
    options: ChangeOptions & { position?: number } = {},
  ): Promise<BusinessRule> {
    await this.load();
    const rule = parse(businessRuleSchema, input, 'rule');
    try {
      this.rulesEngine.compile(rule.condition);
    } catch (error) {
      throw new ValidationError('invalid rule', [{ path: 'condition', reason: toCeError(error).message }]);
    }
    if (!this.queues.has(rule.queueId))
      throw new ValidationError('invalid rule', [{ path: 'queueId', reason: `no queue "${rule.queueId}"` }]);
    const at = this.rules.findIndex((existing) => existing.id === rule.id);
    const next = this.rules.filter((existing) => existing.id !== rule.id);
    const index = options.position ?? (at >= 0 ? at : next.length);
    next.splice(Math.max(0, Math.min(index, next.length)), 0, rule);
    await this.save('rules', next, {
      action: at >= 0 ? 'business-rule-updated' : 'business-rule-created',
      target: `rule:${rule.id}`,
      actor: options.actor,
      details: { queueId: rule.queueId, position: next.indexOf(rule), enabled: rule.enabled },
    });
    this.rules = next;
    return rule;
  }

  /** Removes a rule. Resolves false if unknown. */
  async deleteRule(id: string, options: ChangeOptions = {}): Promise<boolean> {
    await this.load();
    const next = this.rules.filter((rule) => rule.id !== id);
    if (next.length === this.rules.length) return false;
    await this.save('rules', next, {
      action: 'business-rule-deleted',
      target: `rule:${id}`,
      actor: options.actor,
    });
    this.rules = next;
    return true;
  }

  /** A rule, or `undefined`. */
  async getRule(id: string): Promise<BusinessRule | undefined> {
    await this.load();
    return this.rules.find((rule) => rule.id === id);
  }

  /** The rules, in the order they are tried. */
  async listRules(): Promise<BusinessRule[]> {
    await this.load();
    return [...this.rules];
  }

  /** Mutes a rule until a time (epoch ms): its alerts are recorded as muted, not lost. `0` unmutes. */
  async muteRule(id: string, until: number, options: ChangeOptions = {}): Promise<BusinessRule> {
    await this.load();
    const rule = this.rules.find((candidate) => candidate.id === id);
    if (!rule) throw new CeError('NOT_FOUND', `no rule "${id}"`);
    const { mutedUntil: _previous, ...rest } = rule;
    return this.putRule(until > 0 ? { ...rest, mutedUntil: until } : rest, options);
  }

  /**
   * Adds or replaces a silence. Regex matchers are anchored and checked for catastrophic
   * backtracking; a bad one is refused naming `matchers.<n>.value`.
   */
  async putSilence(input: SilenceInput, options: ChangeOptions = {}): Promise<Silence> {
    await this.load();
    const silence = parse(silenceSchema, input, 'silence');
    silence.matchers.forEach((matcher, index) => {
      try {
        compileSilence({ ...silence, matchers: [matcher] });
      } catch (error) {
        throw new ValidationError('invalid silence', [
          { path: `matchers.${index}.value`, reason: toCeError(error).message },
        ]);
      }
    });
    const existed = this.silences.has(silence.id);
    const next = new Map(this.silences).set(silence.id, silence);
    await this.save('silences', [...next.values()], {
      action: existed ? 'silence-updated' : 'silence-created',
      target: `silence:${silence.id}`,
      actor: options.actor ?? silence.createdBy,
      details: {
        matchers: silence.matchers,
        startsAt: silence.startsAt,
        endsAt: silence.endsAt,
        comment: silence.comment,
      },
    });
    this.silences = next;
    return silence;
  }

  /** Ends a silence now; it is kept for the record (as Alertmanager keeps expired silences). */
  async expireSilence(id: string, options: ChangeOptions = {}): Promise<Silence> {
    await this.load();
    const silence = this.silences.get(id);
    if (!silence) throw new CeError('NOT_FOUND', `no silence "${id}"`);
    const now = this.host.clock.now();
    if (silence.endsAt <= now) return silence;
    const expired: Silence = { ...silence, endsAt: Math.max(silence.startsAt + 1, now) };
    const next = new Map(this.silences).set(id, expired);
    await this.save('silences', [...next.values()], {
      action: 'silence-expired',
      target: `silence:${id}`,
      actor: options.actor,
    });
    this.silences = next;
    return expired;
  }

  /** The silences, expired ones included, with their state now. */
  async listSilences(): Promise<
    Array<Silence & { state: 'pending' | 'active' | 'expired'; active: boolean }>
  > {
    await this.load();
    const now = this.host.clock.now();
    return [...this.silences.values()].map((silence) => {
      const state = now < silence.startsAt ? 'pending' : now < silence.endsAt ? 'active' : 'expired';
      return { ...silence, state, active: state === 'active' };
    });
  }

  /** What the decision path reads, compiled once per configuration change. */
  private decisionConfig(): DecisionConfig {
    if (this.compiled) return this.compiled;
    const rules: CompiledRule[] = [];
    for (const rule of this.rules) {
      if (!rule.enabled) continue;
      const fields = rule.dedup?.fields ?? rule.grouping?.by;
      rules.push({
        rule,
        predicate: this.rulesEngine.compile(rule.condition),
        ...(fields ? { keyReaders: fields.map(fieldReader) } : {}),
      });
    }
    this.compiled = {
      rules,
      silences: [...this.silences.values()].map(compileSilence),
      queues: this.queues,
      fingerprint: (this.options.fingerprintFields ?? defaultFingerprint).map(fieldReader),
      keys: this.keys,
      newestByKey: this.newestByKey,
      maxAlertRefs: this.options.maxAlertRefs ?? 100,
      destination: (configId) => this.destinations.get(configId)?.info,
      templates: (queue, destination) => this.templatesOf(queue, destination),
    };
    return this.compiled;
  }

  private templatesOf(
    queue: Queue,
    destination: DestinationInfo,
  ): ReadonlyArray<readonly [string, CompiledTemplate]> {
    let byDestination = this.templateCache.get(queue);
    if (!byDestination) {
      byDestination = new WeakMap();
      this.templateCache.set(queue, byDestination);
    }
    let templates = byDestination.get(destination);
    if (!templates) {
      templates = Object.entries({ ...destination.mapping, ...queue.mapping }).map(
        ([field, template]) => [field, compileTemplate(template)] as const,
      );
      byDestination.set(destination, templates);
    }
    return templates;
  }

  /** Describes the destinations of every queue a rule routes to, reusing recent descriptions. */
  private async describeDestinations(): Promise<void> {
    const now = this.host.clock.now();
    const configIds = new Set<string>();
    for (const rule of this.rules) {
      const queue = this.queues.get(rule.queueId);
      if (rule.enabled && queue) configIds.add(queue.destinationConfigId);
    }
    for (const configId of configIds) {
      const cached = this.destinations.get(configId);
      const ttl = cached && 'unavailable' in cached.info ? describeFailureTtlMs : describeTtlMs;
      if (cached && now - cached.at < ttl) continue;
      this.destinations.set(configId, { info: await this.describe(configId), at: now });
    }
  }

  private async describe(configId: string): Promise<DestinationInfo | { unavailable: string }> {
    try {
      return await this.host.plugins.invoke(configId, 'cto.describe', async (context, definition) => {
        const destination = definition.cto?.destination;
        if (!destination)
          throw new CeError('CONFIG_INVALID', `configuration "${configId}" is not a ticket destination`);
        return {
          kind: destination.kind,
          mapping: { ...destination.defaultMapping(context.config) },
          severityMap: { ...destination.defaultSeverityMap?.(context.config) },
        } satisfies DestinationInfo;
      });
    } catch (error) {
      return { unavailable: `destination "${configId}": ${toCeError(error).message}` };
    }
  }

  // ---- intake and decisions ----------------------------------------------------------------

  /**
   * Takes alerts from a source: validates, routes, mutes, deduplicates, groups and decides, and
   * stores every decision of a batch in one commit (retried from a fresh read when another writer
   * changed a ticket it read). An alert already stored is a replay and is not acted on again; an
   * invalid one with an id is stored as failed with the reason; one without a usable id is
   * reported in `rejected` with its index. Submissions run one at a time.
   */
  submit(inputs: ReadonlyArray<unknown>, options: { sourceConfigId: string }): Promise<SubmitReport> {
    const run = this.submitting.then(() => this.submitNow(inputs, options.sourceConfigId));
    this.submitting = run.catch(() => undefined);
    return run;
  }

  private async submitNow(inputs: ReadonlyArray<unknown>, sourceConfigId: string): Promise<SubmitReport> {
    if (typeof sourceConfigId !== 'string' || sourceConfigId.length === 0 || sourceConfigId.length > 512)
      throw new ValidationError('invalid submission', [
        { path: 'sourceConfigId', reason: 'a non-empty string of at most 512 characters is required' },
      ]);
    if (!Array.isArray(inputs))
      throw new ValidationError('invalid submission', [{ path: 'alerts', reason: 'an array is required' }]);
    await this.load();
    const report = emptyReport(inputs.length);
    const size = Math.max(1, this.options.batchSize ?? 1_000);
    for (let start = 0; start < inputs.length; start += size) {
      const slice = inputs.slice(start, start + size);
      for (let attempt = 0; ; attempt++) {
        try {
          this.merge(report, await this.submitBatch(slice, start, sourceConfigId));
          break;
        } catch (error) {
          // Another writer changed a ticket this batch read: decide the batch again on fresh state.
          if (toCeError(error).code !== 'CONFLICT' || attempt >= 4) throw error;
        }
      }
    }
    const dispositions: Partial<Record<AlertDispositionKind, number>> = {};
    for (const [kind, field] of Object.entries(reportFields) as Array<
      [AlertDispositionKind, keyof SubmitReport]
    >)
      if (kind !== 'declined' && (report[field] as number) > 0) dispositions[kind] = report[field] as number;
    this.host.events.emit('alerts-decided', {
      sourceConfigId,
      received: report.received,
      dispositions,
      duplicates: report.duplicates,
      rejected: report.rejected.length,
      at: this.host.clock.now(),
    });
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
    for (const item of part.rejected) into.rejected.push(item);
    for (const item of part.failures) into.failures.push(item);
  }

  private async submitBatch(
    inputs: ReadonlyArray<unknown>,
    offset: number,
    sourceConfigId: string,
  ): Promise<SubmitReport> {
    const store = this.store();
    await this.describeDestinations();
    const now = this.host.clock.now();
    const report = emptyReport(inputs.length);
    const parsed: Array<{ alert: Alert; problem?: string }> = [];
    for (let index = 0; index < inputs.length; index++) {
      const input = inputs[index];
      const result = parseAlert(input, sourceConfigId);
      if (!('problem' in result)) {
        parsed.push({ alert: result });
        continue;
      }
      const id = typeof input === 'object' && input !== null ? (input as { id?: unknown }).id : undefined;
      if (typeof id !== 'string' || id.length === 0 || id.length > 512) {
        report.rejected.push({ index: offset + index, reason: result.problem });
        continue;
      }
      // Kept as failed, with what could be read, so that it is never lost.
      parsed.push({
        alert: invalidAlert(input as Record<string, unknown>, id, sourceConfigId, now),
        problem: result.problem,
      });
    }
    const known = await store.knownAlerts(
      parsed.map(({ alert }) => [alert.sourceConfigId, alert.id] as const),
    );
    const batch = new DecisionBatch(this.decisionConfig(), store, now);
    const seen = new Set<string>();
    const accepted: Array<{ alert: Alert; problem?: string; plan?: number }> = [];
    for (const item of parsed) {
      const key = `${item.alert.sourceConfigId}/${item.alert.id}`;
      if (known.has(key) || seen.has(key)) {
        report.duplicates++;
        continue;
      }
      seen.add(key);
      accepted.push(item.problem === undefined ? { alert: item.alert, plan: batch.plan(item.alert) } : item);
    }
    await batch.prefetch();
    const counted: AlertDisposition[] = [];
    for (const item of accepted) {
      const disposition =
        item.plan !== undefined ? batch.decide(item.plan) : batch.fail(item.alert, item.problem ?? 'invalid');
      counted.push(disposition);
      report[reportFields[disposition.kind]]++;
      if (disposition.kind === 'failed')
        report.failures.push({
          alert: `${item.alert.sourceConfigId}/${item.alert.id}`,
          reason: disposition.reason,
        });
    }
    try {
      await store.commit(batch.changes());
    } catch (error) {
      // A stale view of which ticket is newest for a key is one way to conflict: read it afresh.
      this.newestByKey.clear();
      throw error;
    }
    batch.committed();
    // Counted once stored: a batch decided again after a conflict is not counted twice.
    const { dispositions } = this.counters;
    for (const disposition of counted)
      dispositions[disposition.kind] = (dispositions[disposition.kind] ?? 0) + 1;
    this.counters.duplicates += report.duplicates;
    this.counters.rejected += report.rejected.length;
    return report;
  }

  /** The stable hash of an alert's fingerprint fields (`fingerprintFields`). */
  fingerprint(alert: Alert): string {
    return fingerprintOf(
      this.compiled?.fingerprint ?? (this.options.fingerprintFields ?? defaultFingerprint).map(fieldReader),
      alert,
    );
  }

  // ---- explain -----------------------------------------------------------------------------

  /**
   * What the orchestrator does with an alert and why, without writing anything: every rule with
   * the rule engine's explanation, the silence or muted rule, the dedup or group decision (and
   * the ticket it touches), the approval and maintenance window, and the disposition. For an
   * alert already received, the disposition it was given.
   */
  async explain(input: unknown, options: { sourceConfigId: string }): Promise<AlertExplanation> {
    await this.load();
    const rules: AlertExplanation['rules'] = [];
    const parsed = parseAlert(input, options.sourceConfigId);
    if ('problem' in parsed) {
      const disposition: AlertDisposition = { kind: 'failed', reason: parsed.problem };
      return { rules, disposition, outcome: 'failed', received: false, reason: parsed.problem };
    }
    for (const rule of this.rules) {
      if (!rule.enabled) continue;
      const explanation = this.rulesEngine.explain(rule.condition, parsed);
      rules.push({ ruleId: rule.id, matched: explanation.result, explanation });
    }
    const store = this.store();
    const known = await store.getAlert(parsed.sourceConfigId, parsed.id);
    if (known)
      return {
        rules,
        ...('ruleId' in known.disposition && known.disposition.ruleId
          ? { ruleId: known.disposition.ruleId }
          : {}),
        ...('queueId' in known.disposition && known.disposition.queueId
          ? { queueId: known.disposition.queueId }
          : {}),
        disposition: known.disposition,
        outcome: known.disposition.kind,
        received: true,
        reason: `already received at ${new Date(known.receivedAt).toISOString()}: ${sentence(known.disposition, { ruleIds: [] })}; it is not acted on again`,
      };
    await this.describeDestinations();
    const batch = new DecisionBatch(this.decisionConfig(), store, this.host.clock.now());
    const index = batch.plan(parsed);
    await batch.prefetch();
    const trace: DecisionTrace = { ruleIds: [] };
    const disposition = batch.decide(index, trace);
    const [first] = trace.ruleIds;
    const rule = first !== undefined ? this.rules.find((candidate) => candidate.id === first) : undefined;
    const mutedBy =
      trace.silenceId !== undefined
        ? { silenceId: trace.silenceId }
        : trace.mutedRuleId !== undefined
          ? { ruleId: trace.mutedRuleId }
          : undefined;
    return {
      rules,
      ...(rule ? { ruleId: rule.id, queueId: rule.queueId, routedBy: trace.ruleIds } : {}),
      ...(mutedBy ? { mutedBy } : {}),
      ...(trace.dedupe ? { dedupe: trace.dedupe } : {}),
      ...(trace.group ? { group: trace.group } : {}),
      ...(trace.approvalRequired ? { approvalRequired: true } : {}),
      ...(trace.deferredUntil !== undefined ? { deferredUntil: trace.deferredUntil } : {}),
      disposition,
      outcome: disposition.kind,
      received: false,
      reason: sentence(disposition, trace),
    };
  }

  // ---- approvals, lifecycle, queries -------------------------------------------------------

  /**
   * Approves or declines a ticket waiting for approval. An approved ticket's create is rendered
   * from its alerts and queued (at the end of a maintenance window in force); a declined one is
   * closed and its alerts become `declined`. Both are audited. `CONFLICT` if it is not waiting.
   */
  async approve(
    ticketId: string,
    decision: { approve: boolean; by: string; comment?: string },
  ): Promise<Ticket> {
    await this.load();
    const store = this.store();
    const ticket = await store.getTicket(ticketId);
    if (!ticket) throw new CeError('NOT_FOUND', `no ticket "${ticketId}"`);
    if (ticket.approval?.state !== 'pending')
      throw new CeError('CONFLICT', `ticket "${ticketId}" is not waiting for an approval`);
    if (typeof decision.by !== 'string' || decision.by.length === 0)
      throw new ValidationError('invalid approval', [{ path: 'by', reason: 'who decides is required' }]);
    const now = this.host.clock.now();
    const alerts = await this.heldAlerts(ticketId);
    const approval = {
      state: decision.approve ? ('approved' as const) : ('declined' as const),
      by: decision.by,
      decidedAt: now,
      ...(decision.comment ? { comment: decision.comment } : {}),
    };
    const outbox: OutboxEntry[] = [];
    let next: Ticket;
    let changed: StoredAlert[];
    if (decision.approve) {
      const queue = this.queues.get(ticket.queueId);
      if (!queue)
        throw new CeError('CONFLICT', `queue "${ticket.queueId}" of ticket "${ticketId}" no longer exists`);
      const destination = await this.describe(queue.destinationConfigId);
      if ('unavailable' in destination)
        throw new CeError('PLUGIN_FAILED', destination.unavailable, { retryable: true });
      const members = [...alerts].sort((a, b) => a.receivedAt - b.receivedAt || a.timestamp - b.timestamp);
      const first = members[0];
      if (!first) throw new CeError('CONFLICT', `ticket "${ticketId}" has no alerts to create it from`);
      const listed = members
        .slice(0, 20)
        .map(({ fingerprint: _f, receivedAt: _r, disposition: _d, ...alert }) => alert);
      const fields = renderFields(
        this.templatesOf(queue, destination),
        first,
        queue,
        destination,
        ticket,
        listed,
      );
      const windowEnd = maintenanceEnd(queue.maintenanceWindows, now);
      const group = this.rules.find((rule) => rule.id === ticket.ruleId)?.grouping;
      const due = Math.max(windowEnd ?? now, group ? ticket.createdAt + group.wait : now);
      next = {
        ...ticket,
        approval,
        title: titleOf(fields, first),
        updatedAt: now,
        ...(windowEnd !== undefined ? { deferredUntil: windowEnd } : {}),
        statusHistory: [
          ...ticket.statusHistory,
          { status: ticket.status, at: now, by: 'local', note: `approved by ${decision.by}` },
        ],
      };
      outbox.push({
        id: `${ticketId}:create`,
        ticketId,
        operation: 'create',
        payload: { fields, alerts: listed, alertCount: ticket.alertCount },
        state: 'pending',
        attempts: 0,
        nextAttemptAt: due,
        createdAt: now,
        updatedAt: now,
      });
      changed = alerts.map((alert) => ({
        ...alert,
        disposition:
          windowEnd !== undefined
            ? { kind: 'deferred', ruleId: ticket.ruleId, queueId: ticket.queueId, ticketId, until: windowEnd }
            : { kind: 'ticketed', ruleId: ticket.ruleId, queueId: ticket.queueId, ticketId },
      }));
    } else {
      const status: TicketStatus = 'closed';
      next = {
        ...ticket,
        approval,
        status,
        updatedAt: now,
        statusHistory: [
          ...ticket.statusHistory,
          {
            status,
            at: now,
            by: 'local',
            note: `declined by ${decision.by}${decision.comment ? `: ${decision.comment}` : ''}`,
          },
        ],
      };
      changed = alerts.map((alert) => ({
        ...alert,
        disposition: { kind: 'declined', ruleId: ticket.ruleId, queueId: ticket.queueId, ticketId },
      }));
    }
    const [stored] = await store.commit({
      tickets: [{ ticket: next, expectedVersion: ticket.version }],
      outbox,
      alerts: changed,
    });
    await this.host.storage.audit.append({
      at: now,
      actor: decision.by,
      action: decision.approve ? 'ticket-approved' : 'ticket-declined',
      target: `ticket:${ticketId}`,
      details: {
        queueId: ticket.queueId,
        alerts: alerts.length,
        ...(decision.comment ? { comment: decision.comment } : {}),
      },
    });
    this.host.events.emit('ticket-approval-decided', {
      ticketId,
      queueId: ticket.queueId,
      approved: decision.approve,
      by: decision.by,
      at: now,
    });
    return stored as Ticket;
  }

  /** Declines a ticket waiting for approval; see {@link TicketOrchestrator.approve}. */
  decline(ticketId: string, decision: { by: string; comment?: string }): Promise<Ticket> {
    return this.approve(ticketId, { ...decision, approve: false });
  }

  /** The alerts held on a ticket waiting for approval, every page. */
  private async heldAlerts(ticketId: string): Promise<StoredAlert[]> {
    const held: StoredAlert[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.store().queryAlerts({
        ticketId,
        dispositions: ['pending-approval'],
        limit: 1_000,
        ...(cursor ? { cursor } : {}),
      });
      held.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return held;
  }

  /**
   * Closes a ticket and queues the resolve on its destination (with `comment`). A ticket waiting
   * for approval is declined instead; one closed already is left as it is.
   */
  async resolve(ticketId: string, comment?: string, options: ChangeOptions = {}): Promise<Ticket> {
    const store = this.store();
    const ticket = await store.getTicket(ticketId);
    if (!ticket) throw new CeError('NOT_FOUND', `no ticket "${ticketId}"`);
    if (ticket.approval?.state === 'pending')
      return this.decline(ticketId, { by: options.actor ?? 'system', ...(comment ? { comment } : {}) });
    if (ticket.status === 'closed' || ticket.status === 'deleted') return ticket;
    const now = this.host.clock.now();
    const version = ticket.version + 1;
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
      outbox: [
        {
          id: `${ticketId}:resolve:${version}`,
          ticketId,
          operation: 'resolve',
          payload: comment ? { comment } : {},
          state: 'pending',
          attempts: 0,
          nextAttemptAt: now,
          createdAt: now,
          updatedAt: now,
        },
      ],
    });
    this.host.events.emit('ticket-resolved', { ticketId, queueId: ticket.queueId, at: now });
    return stored as Ticket;
  }

  /** Sends a ticket's failed writes again now (a person fixed the cause). Resolves with how many. */
  retry(ticketId: string): Promise<number> {
    return this.outbox.retry(ticketId);
  }

  /** A ticket by id. */
  getTicket(id: string): Promise<Ticket | undefined> {
    return this.store().getTicket(id);
  }

  /** A page of tickets: filter, sort (`createdAt`, `updatedAt`), order and cursor as `TicketQuery`. */
  listTickets(query: TicketQuery = {}): Promise<Page<Ticket>> {
    return this.store().queryTickets(query);
  }

  /** A stored alert with its disposition, by its source configuration and id. */
  getAlert(sourceConfigId: string, id: string): Promise<StoredAlert | undefined> {
    return this.store().getAlert(sourceConfigId, id);
  }

  /** A page of alerts, as `AlertQuery` filters them. */
  listAlerts(query: AlertQuery = {}): Promise<Page<StoredAlert>> {
    return this.store().queryAlerts(query);
  }

  /** A page of the alerts that went into a ticket. */
  ticketAlerts(ticketId: string, page: { cursor?: string; limit?: number } = {}): Promise<Page<StoredAlert>> {
    return this.store().queryAlerts({ ...page, ticketId });
  }

  /** A page of a ticket's remote writes (pending, in flight, done, failed). */
  ticketOutbox(ticketId: string, page: { cursor?: string; limit?: number } = {}): Promise<Page<OutboxEntry>> {
    return this.store().queryOutbox({ ...page, ticketId });
  }

  /** Sends due remote writes now. */
  deliver(options: { limit?: number } = {}): Promise<OutboxRunReport> {
    return this.outbox.runOnce(options);
  }

  /** Reads open tickets' statuses from their destinations now. */
  sync(): Promise<SyncRunReport> {
    return this.statusSync.runOnce();
  }

  /** Pulls one page from an alert source configuration now. */
  pull(configId: string): Promise<AlertPullResult> {
    return this.puller.pullOnce(configId);
  }

  /** Counters since this instance was created, and the outbox backlog now. */
  async metrics(): Promise<TicketOrchestratorMetrics> {
    const store = this.store();
    const now = this.host.clock.now();
    let backlog = 0;
    let due = 0;
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const entries = await store.queryOutbox({
        states: ['pending', 'in_flight'],
        limit: 1_000,
        ...(cursor ? { cursor } : {}),
      });
      backlog += entries.items.length;
      for (const entry of entries.items) if (entry.state === 'pending' && entry.nextAttemptAt <= now) due++;
      cursor = entries.nextCursor;
      if (!cursor) break;
    }
    return {
      dispositions: { ...this.counters.dispositions },
      rejected: this.counters.rejected,
      duplicates: this.counters.duplicates,
      backlog,
      due,
      failedTickets: await store.countTickets({ statuses: ['failed'] }),
      pendingApprovals: await store.countTickets({ approvalPending: true }),
    };
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /** Recovers writes left in flight, then schedules delivery, status sync and pulls. */
  async start(): Promise<void> {
    await this.load();
    if (this.host.storage.tickets) await this.outbox.recover();
    this.started = true;
    if (this.options.schedule === false) return;
    const scheduler = this.host.scheduler;
    scheduler.every('cto-deliver', this.options.deliveryIntervalMs ?? 5_000, async () => {
      await this.outbox.runOnce();
    });
    scheduler.every('cto-sync', this.options.syncIntervalMs ?? 300_000, async () => {
      await this.statusSync.runOnce();
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
    if (!this.started || this.options.schedule === false) return;
    await this.host.scheduler.cancel(`cto-pull:${change.configId}`);
    if (change.kind !== 'removed' && change.kind !== 'disabled')
      this.schedulePull(change.configId, change.pluginId);
  }

  private schedulePull(configId: string, pluginId: string): void {
    if (!this.host.plugins.definition(pluginId)?.cto?.source) return;
    this.host.scheduler.every(
      `cto-pull:${configId}`,
      this.options.pullIntervalMs ?? 60_000,
      async () => {
        // Follows `more` for a while; a source asking to wait is left until the next run.
        for (let page = 0; page < 100; page++) {
          const result = await this.puller.pullOnce(configId);
          if (!result.more || result.waitMs) break;
        }
      },
      { runImmediately: true, jitter: 0.1 },
    );
  }
}
