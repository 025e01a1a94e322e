import {
  CeError,
  ConfigError,
  configuredCapability,
  type DestinationState,
  type IndicatorKey,
  type IndicatorPageRequest,
  type IndicatorQuery,
  type IndicatorSeriesField,
  type IndicatorType,
  indicatorKeyString,
  issuesFromZod,
  type ModuleHost,
  type Page,
  type Rule,
  RuleEngine,
  type SourceCheckpoint,
  type StoredIndicator,
  type ThreatDestinationCapability,
  type ThreatSourceCapability,
} from '@ce/core';
import { type AgingReport, runAging, withdrawUnreported } from '../aging/aging-run.js';
import { type DecayModel, decayModelSchema } from '../aging/decay.js';
import { type ExportFormat, exportIndicators } from '../lists/export-indicators.js';
import { normalizeIndicator } from '../normalize/normalize-indicator.js';
import { compileSharingRule, type EligibilityStep, sharingView } from '../sharing/eligibility.js';
import {
  destinationIdOf,
  notADestination,
  runSharingRule,
  type ShareRunReport,
} from '../sharing/share-run.js';
import {
  type IndicatorList,
  type IndicatorListInput,
  indicatorListInputSchema,
  type SharingRule,
  type SharingRuleInput,
  sharingRuleInputSchema,
} from '../sharing/sharing-rule.js';
import { builtinWarninglists } from '../warninglists/builtin-warninglists.js';
import type {
  AllowlistDefinition,
  WarninglistDefinition,
  WarninglistSummary,
} from '../warninglists/warninglist.js';
import {
  type AddWarninglistOptions,
  type AddWarninglistResult,
  WarninglistIndex,
} from '../warninglists/warninglist-index.js';
import { AsyncMutex } from './async-mutex.js';
import { type IngestContext, ingestBatch, rebuild } from './ingest.js';
import { addIngestReport, emptyIngestReport, type IngestReport } from './ingest-report.js';
import { parseIndicatorText } from './parse-indicator-text.js';
import type { SourcePolicyLookup } from './reconcile.js';
import { scanIndicators } from './scan-indicators.js';
import {
  defaultSourcePolicy,
  type IndicatorPolicy,
  type IndicatorPolicyInput,
  indicatorPolicySchema,
  type SourcePolicy,
  type SourcePolicyInput,
  sourcePolicySchema,
} from './source-policy.js';

/** Options of the threat exchange module. */
export interface ThreatExchangeOptions {
  /** Merge strategies, expiry per type, retention. */
  policy?: IndicatorPolicyInput;
  /** The decay model; without it indicators expire by age alone. */
  decay?: DecayModel | false;
  /**
   * Built-in warninglists (private, reserved, documentation ranges, empty-content hashes).
   * @default true
   */
  builtInWarninglists?: boolean;
  /** Warninglists to load at start (MISP lists parsed with `parseMispWarninglist`). */
  warninglists?: ReadonlyArray<WarninglistDefinition>;
  /**
   * How often expiry and purge run.
   * @default '5m' (300000)
   */
  agingIntervalMs?: number;
  /**
   * How often a source is pulled when its configuration sets no interval.
   * @default 3600000 (1 hour)
   */
  defaultPullIntervalMs?: number;
  /**
   * Indicators per ingest transaction. Larger transactions write SQLite's index pages fewer
   * times (10,000 ingest about 20% faster than 2,000) and cost the memory store nothing.
   * @default 10000
   */
  batchSize?: number;
  /**
   * Schedule pulls, sharing runs and aging on the exchange's scheduler. Turn it off when your
   * own job system calls `pull`, `share` and `runAging`.
   * @default true
   */
  schedule?: boolean;
}

/** An indicator with everything known about it. */
export interface IndicatorDetails {
  indicator: StoredIndicator;
  destinations: DestinationState[];
}

/** Why an indicator was or was not shared by a rule. */
export interface SharingExplanation {
  ruleId: string;
  destinationId: string;
  eligible: boolean;
  /** The check that excluded it. */
  step?: EligibilityStep;
  reason?: string;
  /** What the rule's filter said, condition by condition, when it was evaluated. */
  filter?: unknown;
  state?: DestinationState;
}

/** What `previewSharing` finds. */
export interface SharingPreview {
  /** Active indicators looked at. */
  considered: number;
  /** How many would be sent, per type. */
  wouldShare: Partial<Record<IndicatorType, number>>;
  total: number;
  /** Why the others would not, per check. */
  excluded: Partial<Record<EligibilityStep, number>>;
  /** Up to 20 indicators that would be sent. */
  sample: Array<{ type: IndicatorType; value: string }>;
}

/** A sighting report. */
export interface SightingInput {
  value: string;
  type?: IndicatorType;
  /** The system that saw it. */
  system: string;
  /** @default 1 */
  count?: number;
  /** @default now */
  at?: number;
}

/** What a pull did. */
export interface PullReport extends IngestReport {
  batches: number;
  /** For full-list sources: indicators the source no longer lists. */
  withdrawn: number;
  checkpoint?: SourceCheckpoint;
}

/** A page of {@link ThreatExchange.listChanges}. */
export interface ListChangesPage {
  /** Members of the list, in change order; inactive ones are retracted members. */
  items: StoredIndicator[];
  /** The sequence to continue after. */
  lastSequence: number;
  /** Whether changes remain after `lastSequence` (they may or may not be members). */
  more: boolean;
}

const namespace = 'cte';
const keys = {
  sourcePolicy: (id: string) => `source-policy:${id}`,
  rule: (id: string) => `sharing-rule:${id}`,
  list: (name: string) => `list:${name}`,
  warninglist: (id: string) => `warninglist:${id}`,
  allowlist: (id: string) => `allowlist:${id}`,
  checkpoint: (configId: string) => `checkpoint:${configId}`,
};

/**
 * The threat exchange engine: ingest, reconciliation, warninglists, aging, sharing and
 * retraction, lists and sightings. Create it through `threatExchange()` in `createCloudExchange`;
 * it is `exchange.modules.cte`.
 */
export class ThreatExchange {
  private readonly rules = new RuleEngine();
  private readonly policy: IndicatorPolicy;
  private readonly decay: DecayModel | undefined;
  private readonly warninglists = new WarninglistIndex();
  private readonly sourcePolicyCache = new Map<string, SourcePolicy>();
  private readonly writes = new AsyncMutex();
  private readonly ruleRuns = new Map<string, AsyncMutex>();
  private readonly batchSize: number;
  private started = false;

  /** Creates the engine; `threatExchange()` does this for you. */
  constructor(
    private readonly host: ModuleHost,
    private readonly options: ThreatExchangeOptions = {},
  ) {
    const policy = indicatorPolicySchema.safeParse(options.policy ?? {});
    if (!policy.success)
      throw ConfigError.fromZod('invalid threat exchange policy', policy.error, ['policy']);
    this.policy = policy.data;
    if (options.decay) {
      const decay = decayModelSchema.safeParse(options.decay);
      if (!decay.success) throw ConfigError.fromZod('invalid decay model', decay.error, ['decay']);
      this.decay = decay.data;
    }
    this.batchSize = options.batchSize ?? 10_000;
    if (options.builtInWarninglists ?? true)
      for (const list of builtinWarninglists) this.warninglists.add(list);
    for (const list of options.warninglists ?? [])
      this.warninglists.add(list, { replace: true, invalidEntries: 'skip' });
  }

  private get store() {
    const store = this.host.storage.iocs;
    if (!store)
      throw new CeError('CONFIG_INVALID', `storage "${this.host.storage.kind}" has no indicator store`);
    return store;
  }

  private readonly suppression = {
    match: (type: IndicatorType, value: string) => {
      const match = this.warninglists.match(type, value);
      return match ? { listId: match.listId, listName: match.listName, entry: match.entry } : undefined;
    },
  };

  private readonly sourcePolicies: SourcePolicyLookup = (sourceId) =>
    this.sourcePolicyCache.get(sourceId) ?? defaultSourcePolicy;

  private ingestContext(): IngestContext {
    return {
      store: this.store,
      now: this.host.clock.now(),
      policy: this.policy,
      sourcePolicies: this.sourcePolicies,
      decay: this.decay,
      warninglists: this.suppression,
    };
  }

  // ---- lifecycle ------------------------------------------------------------------------

  /** Loads stored policies, rules and lists, and schedules pulls, sharing and aging. */
  async start(): Promise<void> {
    for (const entry of await this.listNamespace<SourcePolicy>('source-policy:')) {
      this.sourcePolicyCache.set(entry.key.slice('source-policy:'.length), entry.value);
    }
    for (const entry of await this.listNamespace<WarninglistDefinition>('warninglist:')) {
      this.warninglists.add(entry.value, { replace: true, invalidEntries: 'skip' });
    }
    for (const entry of await this.listNamespace<AllowlistDefinition>('allowlist:')) {
      this.warninglists.add(entry.value, { replace: true, invalidEntries: 'skip' });
    }
    this.started = true;
    if (this.options.schedule === false) return;
    this.host.scheduler.every('cte-aging', this.options.agingIntervalMs ?? 300_000, async () => {
      await this.runAging();
    });
    for (const record of await this.host.plugins.enabledConfigurations('cte'))
      this.schedulePull(record.id, record.pluginId, record.intervalMs);
    for (const rule of await this.listSharingRules()) this.scheduleRule(rule);
  }

  /** Cancels the module's tasks; the scheduler drains running ones. */
  async stop(): Promise<void> {
    this.started = false;
    for (const task of this.host.scheduler.list()) {
      if (task.name.startsWith('cte-')) await this.host.scheduler.cancel(task.name);
    }
  }

  /** Reschedules a source's pulls when its configuration changes. */
  async onConfigurationChanged(change: { kind: string; configId: string; pluginId: string }): Promise<void> {
    const name = `cte-pull:${change.configId}`;
    await this.host.scheduler.cancel(name);
    if (
      !this.started ||
      this.options.schedule === false ||
      change.kind === 'removed' ||
      change.kind === 'disabled'
    )
      return;
    const records = await this.host.plugins.enabledConfigurations('cte');
    const record = records.find((candidate) => candidate.id === change.configId);
    if (record) this.schedulePull(record.id, record.pluginId, record.intervalMs);
  }

  private schedulePull(configId: string, pluginId: string, intervalMs: number | undefined): void {
    const definition = this.host.plugins.definition(pluginId);
    if (!definition.cte?.source) return;
    this.host.scheduler.every(
      `cte-pull:${configId}`,
      intervalMs ?? this.options.defaultPullIntervalMs ?? 3_600_000,
      async ({ signal }) => {
        await this.pull(configId, { signal });
      },
      { runImmediately: true, jitter: 0.1 },
    );
  }

  private scheduleRule(rule: SharingRule): void {
    const name = `cte-share:${rule.id}`;
    if (!this.started || this.options.schedule === false || !rule.enabled) return;
    this.host.scheduler.every(
      name,
      rule.interval,
      async ({ signal }) => {
        await this.share(rule.id, { signal });
      },
      { runImmediately: true, jitter: 0.1 },
    );
  }

  // ---- ingest ---------------------------------------------------------------------------

  /**
   * Ingests indicators from a source: objects (see `IndicatorReportInput`) or text with one
   * value per line. Bad entries are rejected with reasons; the rest is stored in batches.
   */
  async ingest(sourceId: string, input: ReadonlyArray<unknown> | string): Promise<IngestReport> {
    const reports = typeof input === 'string' ? parseIndicatorText(input) : input;
    const total = emptyIngestReport(sourceId);
    for (let start = 0; start < reports.length; start += this.batchSize) {
      const part = await this.ingestOne(sourceId, reports.slice(start, start + this.batchSize));
      addIngestReport(total, part);
    }
    return total;
  }

  private async ingestOne(sourceId: string, reports: ReadonlyArray<unknown>): Promise<IngestReport> {
    return this.writes.run(async () => {
      const { report, changes } = await ingestBatch(this.ingestContext(), sourceId, reports);
      if (changes.added.length > 0)
        this.host.events.emit('indicator-added', { sourceId, keys: changes.added });
      if (changes.updated.length > 0)
        this.host.events.emit('indicator-updated', { sourceId, keys: changes.updated });
      return report;
    });
  }

  /**
   * Pulls a source configuration now: every batch is ingested and its checkpoint stored after
   * it, so a crash resumes after the last stored batch. For full-list sources, indicators the
   * source no longer lists are withdrawn after a complete pull.
   */
  async pull(configId: string, options: { signal?: AbortSignal } = {}): Promise<PullReport> {
    const { record, capability: source } = await configuredCapability(
      this.host,
      configId,
      'threat exchange source',
      (plugin) => plugin.cte?.source as ThreatSourceCapability<unknown> | undefined,
    );
    const checkpointKey = keys.checkpoint(configId);
    const startedAt = this.host.clock.now();
    const report: PullReport = { ...emptyIngestReport(configId), batches: 0, withdrawn: 0 };
    await this.host.plugins.invoke(
      configId,
      'cte.pull',
      async (context) => {
        const checkpoint = (await this.host.storage.keyValue.get<SourceCheckpoint>(namespace, checkpointKey))
          ?.value;
        for await (const batch of source.pull(
          context,
          source.mode === 'full' ? undefined : (checkpoint ?? undefined),
        )) {
          context.signal.throwIfAborted();
          if (!batch || !Array.isArray(batch.indicators)) {
            throw new CeError(
              'PLUGIN_FAILED',
              `${record.pluginId} cte.pull yielded a batch without an indicators array`,
            );
          }
          addIngestReport(report, await this.ingest(configId, batch.indicators));
          report.batches++;
          if (batch.checkpoint !== undefined) {
            await this.host.storage.keyValue.set(namespace, checkpointKey, batch.checkpoint);
            report.checkpoint = batch.checkpoint;
          }
        }
      },
      { ...(options.signal ? { signal: options.signal } : {}), timeoutMs: 3_600_000 },
    );
    // A full-list pull that yielded nothing means "not modified" (an HTTP 304): nothing vanished.
    if (source.mode === 'full' && report.batches > 0) {
      const withdrawn = await this.writes.run(() =>
        withdrawUnreported(this.ingestContext(), configId, startedAt),
      );
      report.withdrawn = withdrawn.length;
      if (withdrawn.length > 0)
        this.host.events.emit('indicator-updated', { sourceId: configId, keys: withdrawn.map(keyOf) });
    }
    const listRetracted = source.listRetracted;
    if (source.mode === 'incremental' && listRetracted) {
      const withdrawn = await this.withdrawRetracted(configId, (keys) =>
        this.host.plugins.invoke(configId, 'cte.listRetracted', (context) => listRetracted(context, keys), {
          ...(options.signal ? { signal: options.signal } : {}),
        }),
      );
      report.withdrawn += withdrawn;
    }
    this.host.logger.info('source pulled', {
      configId,
      received: report.received,
      new: report.new,
      updated: report.updated,
      rejected: report.rejected.count,
      withdrawn: report.withdrawn,
    });
    return report;
  }

  /**
   * Asks a source which of the indicators it reported it no longer reports (revoked, deleted at
   * the vendor), in chunks, and withdraws them for that source. Returns how many were withdrawn.
   */
  private async withdrawRetracted(
    sourceId: string,
    ask: (keys: IndicatorKey[]) => Promise<IndicatorKey[]>,
  ): Promise<number> {
    let withdrawn = 0;
    for await (const page of scanIndicators(this.store, { sourceId, active: true }, 1_000)) {
      const retracted = new Set((await ask(page.map(keyOf))).map(indicatorKeyString));
      const affected = page.filter((indicator) => retracted.has(indicatorKeyString(indicator)));
      if (affected.length === 0) continue;
      const written = await this.writes.run(async () => {
        const context = this.ingestContext();
        const current = await this.store.getMany(affected.map(keyOf));
        const writes = current.flatMap((indicator) => {
          if (!indicator) return [];
          const sources = indicator.sources.map((record) =>
            record.sourceId === sourceId && record.withdrawnAt === undefined
              ? { ...record, withdrawnAt: context.now }
              : record,
          );
          return [rebuild(context, indicator, indicator, sources)];
        });
        return writes.length > 0 ? this.store.putMany(writes) : [];
      });
      withdrawn += written.length;
      if (written.length > 0)
        this.host.events.emit('indicator-updated', { sourceId, keys: written.map(keyOf) });
    }
    return withdrawn;
  }

  // ---- reading --------------------------------------------------------------------------

  /** Searches indicators; results ordered by (type, value), cursor-paginated. */
  search(filter: IndicatorQuery = {}, page: IndicatorPageRequest = {}): Promise<Page<StoredIndicator>> {
    return this.store.query(filter, page);
  }

  /** Counts indicators matching a filter. */
  count(filter: IndicatorQuery = {}): Promise<number> {
    return this.store.count(filter);
  }

  /** Indicators per UTC day of `field`, for days in [from, to). */
  dailyCounts(field: IndicatorSeriesField, from: number, to: number, filter?: IndicatorQuery) {
    return this.store.dailyCounts(field, from, to, filter);
  }

  /** One indicator, found by its value (normalized first), with its destination states. */
  async get(value: string, type?: IndicatorType): Promise<IndicatorDetails | undefined> {
    const key = this.keyFor(value, type);
    const indicator = await this.store.get(key);
    if (!indicator) return undefined;
    return { indicator, destinations: await this.store.destinationStatesOf(key) };
  }

  private keyFor(value: string, type?: IndicatorType): IndicatorKey {
    const normalized = normalizeIndicator(value, type);
    if (!normalized.ok)
      throw new CeError(
        'VALIDATION_FAILED',
        `invalid indicator "${value.slice(0, 200)}": ${normalized.reason}`,
        { details: { code: normalized.code } },
      );
    return { type: normalized.type, value: normalized.value };
  }

  // ---- source policies ------------------------------------------------------------------

  /** Sets how far a source is trusted and how its reports are treated. */
  async setSourcePolicy(sourceId: string, input: SourcePolicyInput, actor = 'system'): Promise<SourcePolicy> {
    const parsed = sourcePolicySchema.safeParse(input);
    if (!parsed.success) throw ConfigError.fromZod(`invalid policy for source "${sourceId}"`, parsed.error);
    await this.host.storage.transaction(async (tx) => {
      await tx.keyValue.set(namespace, keys.sourcePolicy(sourceId), parsed.data);
      await tx.audit.append({
        at: this.host.clock.now(),
        actor,
        action: 'source-policy-updated',
        target: `source:${sourceId}`,
        details: parsed.data,
      });
    });
    this.sourcePolicyCache.set(sourceId, parsed.data);
    return parsed.data;
  }

  /** The policy of a source (the default when none was set). */
  getSourcePolicy(sourceId: string): SourcePolicy {
    return this.sourcePolicies(sourceId);
  }

  // ---- sharing rules --------------------------------------------------------------------

  /** Creates or replaces a sharing rule; a new rule back-fills every active indicator it matches. */
  async putSharingRule(input: SharingRuleInput, actor = 'system'): Promise<SharingRule> {
    const parsed = sharingRuleInputSchema.safeParse(input);
    if (!parsed.success) throw ConfigError.fromZod('invalid sharing rule', parsed.error);
    const destination = await this.destinationOf(parsed.data);
    const action = destination.capability
      .getActions(destination.config)
      .find((candidate) => candidate.id === parsed.data.destination.action);
    if (!action) {
      throw new ConfigError('invalid sharing rule', [
        {
          path: 'destination.action',
          reason: `"${parsed.data.destination.configId}" offers no action "${parsed.data.destination.action}"`,
        },
      ]);
    }
    if (action.parameters) {
      const parameters = action.parameters.safeParse(parsed.data.destination.parameters);
      if (!parameters.success)
        throw new ConfigError(
          'invalid sharing rule',
          issuesFromZod(parameters.error, ['destination', 'parameters']),
        );
      parsed.data.destination.parameters = parameters.data as Record<string, unknown>;
    }
    if (parsed.data.list && !(await this.getList(parsed.data.list))) {
      throw new ConfigError('invalid sharing rule', [
        { path: 'list', reason: `no list named "${parsed.data.list}"` },
      ]);
    }
    const now = this.host.clock.now();
    const previous = await this.getSharingRule(parsed.data.id);
    const rule: SharingRule = { ...parsed.data, createdAt: previous?.createdAt ?? now, updatedAt: now };
    await this.host.storage.transaction(async (tx) => {
      await tx.keyValue.set(namespace, keys.rule(rule.id), rule);
      // A changed rule is re-evaluated against every indicator from the start of the feed.
      await tx.keyValue.delete(namespace, `share-hwm:${rule.id}`);
      await tx.keyValue.delete(namespace, `share-set:${rule.id}`);
      await tx.audit.append({
        at: now,
        actor,
        action: previous ? 'sharing-rule-updated' : 'sharing-rule-created',
        target: `sharing-rule:${rule.id}`,
        details: { destination: rule.destination.configId, action: rule.destination.action },
      });
    });
    await this.host.scheduler.cancel(`cte-share:${rule.id}`);
    this.scheduleRule(rule);
    return rule;
  }

  /** A sharing rule, or `undefined`. */
  async getSharingRule(id: string): Promise<SharingRule | undefined> {
    return (await this.host.storage.keyValue.get<SharingRule>(namespace, keys.rule(id)))?.value;
  }

  /** Every sharing rule, ordered by id. */
  async listSharingRules(): Promise<SharingRule[]> {
    return (await this.listNamespace<SharingRule>('sharing-rule:')).map((entry) => entry.value);
  }

  /**
   * Deletes a sharing rule. With `retract` (the default), what the rule shared is first removed
   * from the destination.
   */
  async deleteSharingRule(id: string, options: { retract?: boolean; actor?: string } = {}): Promise<void> {
    const rule = await this.getSharingRule(id);
    if (!rule) throw new CeError('NOT_FOUND', `no sharing rule "${id}"`);
    await this.host.scheduler.cancel(`cte-share:${id}`);
    if (options.retract ?? true) {
      await this.share(id, { retractAll: true });
    }
    await this.store.deleteDestination(destinationIdOf(rule));
    await this.host.storage.transaction(async (tx) => {
      await tx.keyValue.delete(namespace, keys.rule(id));
      await tx.keyValue.delete(namespace, `share-hwm:${id}`);
      await tx.keyValue.delete(namespace, `share-set:${id}`);
      await tx.audit.append({
        at: this.host.clock.now(),
        actor: options.actor ?? 'system',
        action: 'sharing-rule-deleted',
        target: `sharing-rule:${id}`,
      });
    });
  }

  /** Runs a sharing rule now; a run already under way for the rule finishes first. */
  async share(
    ruleId: string,
    options: { signal?: AbortSignal; retractAll?: boolean } = {},
  ): Promise<ShareRunReport> {
    let mutex = this.ruleRuns.get(ruleId);
    if (!mutex) {
      mutex = new AsyncMutex();
      this.ruleRuns.set(ruleId, mutex);
    }
    return mutex.run(() => this.shareNow(ruleId, options));
  }

  private async shareNow(
    ruleId: string,
    options: { signal?: AbortSignal; retractAll?: boolean },
  ): Promise<ShareRunReport> {
    const rule = await this.getSharingRule(ruleId);
    if (!rule) throw new CeError('NOT_FOUND', `no sharing rule "${ruleId}"`);
    const destination = await this.destinationOf(rule);
    const action = destination.capability
      .getActions(destination.config)
      .find((candidate) => candidate.id === rule.destination.action);
    const compiled = compileSharingRule(
      options.retractAll ? { ...rule, filter: { not: { always: true } } as Rule } : rule,
      this.rules,
      action?.indicatorTypes ?? [],
      rule.list ? (await this.getList(rule.list))?.rule : undefined,
    );
    const destinationId = destinationIdOf(rule);
    const report = await runSharingRule(
      {
        store: this.store,
        keyValue: this.host.storage.keyValue,
        runtime: this.host.plugins,
        logger: this.host.logger.child({ ruleId }),
        now: () => this.host.clock.now(),
        ...(options.signal ? { signal: options.signal } : {}),
        onShared: (sharedKeys) =>
          this.host.events.emit('indicator-shared', { ruleId, destinationId, keys: sharedKeys }),
        onRetracted: (retractedKeys) =>
          this.host.events.emit('indicator-retracted', { ruleId, destinationId, keys: retractedKeys }),
      },
      options.retractAll
        ? { ...compiled, rule: { ...compiled.rule, mode: 'full', mutedUntil: undefined } as SharingRule }
        : compiled,
      destination.capability,
    );
    this.host.logger.info('sharing rule ran', { ...report });
    return report;
  }

  private async destinationOf(
    rule: Pick<SharingRule, 'destination'>,
  ): Promise<{ capability: ThreatDestinationCapability<unknown>; config: unknown }> {
    const record = await this.host.storage.pluginConfigs.get(rule.destination.configId);
    if (!record)
      throw new ConfigError('invalid sharing rule', [
        { path: 'destination.configId', reason: `no plugin configuration "${rule.destination.configId}"` },
      ]);
    const capability = this.host.plugins.definition(record.pluginId).cte?.destination as
      | ThreatDestinationCapability<unknown>
      | undefined;
    if (!capability) throw notADestination(record.id, record.pluginId);
    return { capability, config: record.config };
  }

  /** What a rule would send now: counts per type, a sample, and why the rest would not go. */
  async previewSharing(input: SharingRuleInput): Promise<SharingPreview> {
    const parsed = sharingRuleInputSchema.safeParse(input);
    if (!parsed.success) throw ConfigError.fromZod('invalid sharing rule', parsed.error);
    const destination = await this.destinationOf(parsed.data);
    const action = destination.capability
      .getActions(destination.config)
      .find((candidate) => candidate.id === parsed.data.destination.action);
    const now = this.host.clock.now();
    const compiled = compileSharingRule(
      { ...parsed.data, createdAt: now, updatedAt: now },
      this.rules,
      action?.indicatorTypes ?? [],
      parsed.data.list ? (await this.getList(parsed.data.list))?.rule : undefined,
    );
    const preview: SharingPreview = { considered: 0, wouldShare: {}, total: 0, excluded: {}, sample: [] };
    for await (const page of scanIndicators(this.store, { active: true })) {
      for (const indicator of page) {
        preview.considered++;
        const result = compiled.check(indicator);
        if (result.eligible) {
          preview.total++;
          preview.wouldShare[indicator.type] = (preview.wouldShare[indicator.type] ?? 0) + 1;
          if (preview.sample.length < 20)
            preview.sample.push({ type: indicator.type, value: indicator.value });
        } else {
          preview.excluded[result.step] = (preview.excluded[result.step] ?? 0) + 1;
        }
      }
    }
    return preview;
  }

  /**
   * Why an indicator was or was not shared, per sharing rule (or for one rule, or for the rules
   * sending to one destination configuration).
   */
  async explain(
    value: string,
    options: { type?: IndicatorType; ruleId?: string; configId?: string } = {},
  ): Promise<SharingExplanation[]> {
    const key = this.keyFor(value, options.type);
    const indicator = await this.store.get(key);
    if (!indicator) throw new CeError('NOT_FOUND', `no indicator ${indicatorKeyString(key)}`);
    const rules = (await this.listSharingRules()).filter(
      (rule) =>
        (!options.ruleId || rule.id === options.ruleId) &&
        (!options.configId || rule.destination.configId === options.configId),
    );
    const explanations: SharingExplanation[] = [];
    for (const rule of rules) {
      const destinationId = destinationIdOf(rule);
      let acceptedTypes: ReadonlyArray<IndicatorType> = [];
      try {
        const destination = await this.destinationOf(rule);
        acceptedTypes =
          destination.capability.getActions(destination.config).find((a) => a.id === rule.destination.action)
            ?.indicatorTypes ?? [];
      } catch {
        // A rule whose destination is gone explains as "type not accepted".
      }
      const listRule = rule.list ? (await this.getList(rule.list))?.rule : undefined;
      const result = compileSharingRule(rule, this.rules, acceptedTypes, listRule).check(indicator);
      const [state] = await this.store.getDestinationStates(destinationId, [key]);
      const explanation: SharingExplanation = { ruleId: rule.id, destinationId, eligible: result.eligible };
      if (!result.eligible) {
        explanation.step = result.step;
        explanation.reason = result.reason;
      }
      if (rule.filter && (result.eligible || result.step === 'filter'))
        explanation.filter = this.rules.explain(rule.filter, sharingView(indicator));
      if (state) explanation.state = state;
      explanations.push(explanation);
    }
    return explanations;
  }

  // ---- lists ----------------------------------------------------------------------------

  /** Creates or replaces a saved list. */
  async putList(input: IndicatorListInput, actor = 'system'): Promise<IndicatorList> {
    const parsed = indicatorListInputSchema.safeParse(input);
    if (!parsed.success) throw ConfigError.fromZod('invalid list', parsed.error);
    const now = this.host.clock.now();
    const previous = await this.getList(parsed.data.name);
    const list: IndicatorList = { ...parsed.data, createdAt: previous?.createdAt ?? now, updatedAt: now };
    await this.host.storage.transaction(async (tx) => {
      await tx.keyValue.set(namespace, keys.list(list.name), list);
      await tx.audit.append({
        at: now,
        actor,
        action: previous ? 'list-updated' : 'list-created',
        target: `list:${list.name}`,
      });
    });
    return list;
  }

  /** A saved list, or `undefined`. */
  async getList(name: string): Promise<IndicatorList | undefined> {
    return (await this.host.storage.keyValue.get<IndicatorList>(namespace, keys.list(name)))?.value;
  }

  /** Every saved list, ordered by name. */
  async listLists(): Promise<IndicatorList[]> {
    return (await this.listNamespace<IndicatorList>('list:')).map((entry) => entry.value);
  }

  /** Deletes a saved list; rules that refer to it must be changed first. */
  async deleteList(name: string, actor = 'system'): Promise<void> {
    const users = (await this.listSharingRules()).filter((rule) => rule.list === name).map((rule) => rule.id);
    if (users.length > 0)
      throw new CeError('CONFLICT', `list "${name}" is used by sharing rules ${users.join(', ')}`);
    await this.host.storage.transaction(async (tx) => {
      await tx.keyValue.delete(namespace, keys.list(name));
      await tx.audit.append({
        at: this.host.clock.now(),
        actor,
        action: 'list-deleted',
        target: `list:${name}`,
      });
    });
  }

  /** The active, unsuppressed indicators of a saved list, as text (one value a line), CSV or JSON. */
  async exportList(name: string, format: ExportFormat): Promise<string> {
    const list = await this.getList(name);
    if (!list) throw new CeError('NOT_FOUND', `no list named "${name}"`);
    const predicate = this.rules.compile(list.rule);
    const selected: StoredIndicator[] = [];
    for await (const page of scanIndicators(this.store, { active: true, suppressed: false })) {
      for (const indicator of page) if (predicate(sharingView(indicator))) selected.push(indicator);
    }
    return exportIndicators(selected, format);
  }

  /**
   * The indicators of a saved list in change order, for feeds that publish a list incrementally
   * (a TAXII collection): each indicator that matches the list's rule and is not suppressed, at
   * its latest version, after the change `after` (0 for the beginning). Inactive ones are included
   * so a consumer learns of the retraction. Reads at most `scanLimit` changes per call, so a call
   * stays short when few indicators match; continue from `lastSequence` while `more` is true.
   */
  async listChanges(
    name: string,
    options: { after?: number; limit?: number; scanLimit?: number } = {},
  ): Promise<ListChangesPage> {
    const list = await this.getList(name);
    if (!list) throw new CeError('NOT_FOUND', `no list named "${name}"`);
    const predicate = this.rules.compile(list.rule);
    const limit = Math.max(1, Math.trunc(options.limit ?? 1_000));
    const scanLimit = Math.max(limit, Math.trunc(options.scanLimit ?? 100_000));
    const items: StoredIndicator[] = [];
    let lastSequence = Math.max(0, Math.trunc(options.after ?? 0));
    let scanned = 0;
    while (items.length < limit && scanned < scanLimit) {
      const page = await this.store.changesSince(lastSequence, Math.min(10_000, scanLimit - scanned));
      if (page.length === 0) return { items, lastSequence, more: false };
      for (const indicator of page) {
        scanned++;
        lastSequence = indicator.sequence;
        if (!indicator.suppressedBy && predicate(sharingView(indicator))) {
          items.push(indicator);
          if (items.length === limit) break;
        }
      }
    }
    const rest = await this.store.changesSince(lastSequence, 1);
    return { items, lastSequence, more: rest.length > 0 };
  }

  // ---- warninglists ---------------------------------------------------------------------

  /** Adds or replaces a warninglist; existing indicators are re-checked. */
  putWarninglist(list: WarninglistDefinition, actor = 'system'): Promise<AddWarninglistResult> {
    return this.saveSuppressionList('warninglist', list, { replace: true, invalidEntries: 'skip' }, actor);
  }

  /** Adds or replaces a user allowlist; existing indicators are re-checked. */
  putAllowlist(list: AllowlistDefinition, actor = 'system'): Promise<AddWarninglistResult> {
    return this.saveSuppressionList('allowlist', list, { replace: true }, actor);
  }

  private async saveSuppressionList(
    kind: 'warninglist' | 'allowlist',
    list: WarninglistDefinition | AllowlistDefinition,
    options: AddWarninglistOptions,
    actor: string,
  ): Promise<AddWarninglistResult> {
    const result = this.warninglists.add(list, options);
    await this.host.storage.transaction(async (tx) => {
      await tx.keyValue.set(namespace, keys[kind](list.id), list);
      await tx.audit.append({
        at: this.host.clock.now(),
        actor,
        action: `${kind}-updated`,
        target: `${kind}:${list.id}`,
      });
    });
    await this.reapplyWarninglists();
    return result;
  }

  /** Removes a warninglist or allowlist; indicators it suppressed are re-checked. */
  async removeWarninglist(id: string, actor = 'system'): Promise<void> {
    if (!this.warninglists.remove(id)) throw new CeError('NOT_FOUND', `no warninglist "${id}"`);
    await this.host.storage.transaction(async (tx) => {
      await tx.keyValue.delete(namespace, keys.warninglist(id));
      await tx.keyValue.delete(namespace, keys.allowlist(id));
      await tx.audit.append({
        at: this.host.clock.now(),
        actor,
        action: 'warninglist-removed',
        target: `warninglist:${id}`,
      });
    });
    await this.reapplyWarninglists();
  }

  /** The warninglists and allowlists in force. */
  listWarninglists(): WarninglistSummary[] {
    return this.warninglists.list();
  }

  /** Re-checks every indicator against the warninglists and stores those whose suppression changed. */
  async reapplyWarninglists(): Promise<number> {
    return this.writes.run(async () => {
      let changed = 0;
      for await (const page of scanIndicators(this.store, {})) {
        const writes: Array<Omit<StoredIndicator, 'sequence'>> = [];
        for (const indicator of page) {
          const match = this.warninglists.match(indicator.type, indicator.value);
          if (match?.listId === indicator.suppressedBy?.listId) continue;
          const { sequence: _sequence, suppressedBy: _previous, ...rest } = indicator;
          writes.push(
            match
              ? {
                  ...rest,
                  suppressedBy: { listId: match.listId, listName: match.listName, entry: match.entry },
                }
              : rest,
          );
        }
        if (writes.length > 0) {
          const stored = await this.store.putMany(writes);
          changed += stored.length;
          this.host.events.emit('indicator-updated', { keys: stored.map(keyOf) });
        }
      }
      return changed;
    });
  }

  // ---- lifecycle of indicators ----------------------------------------------------------

  /** Expires what is due and purges what is past retention now. */
  async runAging(): Promise<AgingReport> {
    return this.writes.run(() =>
      runAging(this.ingestContext(), (expired) =>
        this.host.events.emit('indicator-expired', { keys: expired.map(keyOf) }),
      ),
    );
  }

  /** Deactivates an indicator by hand (it is retracted and no longer shared) or reactivates it. */
  async setActive(
    value: string,
    active: boolean,
    options: { type?: IndicatorType; actor?: string } = {},
  ): Promise<StoredIndicator> {
    const key = this.keyFor(value, options.type);
    return this.writes.run(async () => {
      const indicator = await this.store.get(key);
      if (!indicator) throw new CeError('NOT_FOUND', `no indicator ${indicatorKeyString(key)}`);
      const context = this.ingestContext();
      const base = active
        ? { ...indicator, active: true, inactiveReason: undefined }
        : { ...indicator, active: false, inactiveReason: 'manual' as const, inactiveSince: context.now };
      const [stored] = await this.store.putMany([rebuild(context, key, base, indicator.sources)]);
      await this.host.storage.audit.append({
        at: context.now,
        actor: options.actor ?? 'system',
        action: active ? 'indicator-activated' : 'indicator-deactivated',
        target: `indicator:${indicatorKeyString(key)}`,
      });
      this.host.events.emit('indicator-updated', { keys: [key] });
      return stored as StoredIndicator;
    });
  }

  /**
   * Records that a system saw an indicator: its hit count and the systems that saw it, to scope
   * an attack ("which indicators were seen, how often, on which systems"). Returns the indicator,
   * or `undefined` when the exchange does not know it.
   */
  async reportSighting(input: SightingInput): Promise<StoredIndicator | undefined> {
    const key = this.keyFor(input.value, input.type);
    const count = input.count ?? 1;
    if (!Number.isInteger(count) || count < 1)
      throw new CeError('VALIDATION_FAILED', 'count: must be a whole number of at least 1');
    if (!input.system || input.system.length > 256)
      throw new CeError('VALIDATION_FAILED', 'system: must be 1 to 256 characters');
    const at = input.at ?? this.host.clock.now();
    return this.writes.run(async () => {
      const indicator = await this.store.get(key);
      if (!indicator) return undefined;
      const systems = [...indicator.sightings.systems];
      const index = systems.findIndex((entry) => entry.system === input.system);
      const previous = systems[index];
      const entry = previous
        ? {
            ...previous,
            count: previous.count + count,
            firstSeen: Math.min(previous.firstSeen, at),
            lastSeen: Math.max(previous.lastSeen, at),
          }
        : { system: input.system, count, firstSeen: at, lastSeen: at };
      if (index >= 0) systems[index] = entry;
      else systems.push(entry);
      systems.sort((a, b) => (a.system < b.system ? -1 : a.system > b.system ? 1 : 0));
      const { sequence: _sequence, ...rest } = indicator;
      const [stored] = await this.store.putMany([
        {
          ...rest,
          sightings: { total: indicator.sightings.total + count, systems },
          updatedAt: this.host.clock.now(),
        },
      ]);
      this.host.events.emit('indicator-sighted', { ...key, system: input.system, count, at });
      return stored;
    });
  }

  private async listNamespace<T>(prefix: string): Promise<Array<{ key: string; value: T }>> {
    const entries: Array<{ key: string; value: T }> = [];
    let after: string | undefined;
    do {
      const page = await this.host.storage.keyValue.list<T>(namespace, {
        prefix,
        limit: 1_000,
        ...(after ? { after } : {}),
      });
      for (const entry of page.items) entries.push({ key: entry.key, value: entry.value });
      after = page.nextCursor;
    } while (after);
    return entries;
  }
}

function keyOf(indicator: StoredIndicator): IndicatorKey {
  return { type: indicator.type, value: indicator.value };
}
