import { randomUUID } from 'node:crypto';
import {
  CeError,
  configuredCapability,
  type EntityType,
  type ModuleHost,
  type Page,
  type RiskEntity,
  type RiskEntityQuery,
  type RiskNormalizationSpec,
  type RiskObservationInput,
  type RiskSourceCapability,
  type RiskStore,
  type RiskStoreCommit,
  type SourceCheckpoint,
  toCeError,
} from '@ce/core';
import {
  type BandClassifier,
  compileBands,
  defaultRiskBands,
  parseRiskBands,
  type RiskBand,
} from '../aggregate/risk-bands.js';
import {
  type Aggregator,
  createAggregator,
  defaultRiskWeights,
  parseRiskWeights,
  type RiskWeights,
  type RiskWeightsInput,
  type SourceContribution,
} from '../aggregate/risk-weights.js';
import {
  type CompiledEntityType,
  compileEntityTypes,
  type EntityTypeDefinition,
} from '../entities/entity-types.js';
import { addDays, type RiskHistory, summarizeHistory, utcDay } from '../history/risk-history.js';
import { parseNormalizationSpec } from '../normalize/normalization-schema.js';
import { type CompiledNormalizer, compileNormalizer } from '../normalize/risk-normalizer.js';
import { AsyncMutex } from './async-mutex.js';
import type { RiskScoreChangedItem } from './risk-exchange-events.js';
import {
  createRollupCache,
  finishDrafts,
  type PreparedBatch,
  prepareBatch,
  type RiskIdentityConflict,
  type RiskRejection,
  type RiskScoreChange,
  type RollupCache,
  type ScoreBatchContext,
} from './score-batch.js';

/** What a commit extension sees besides the changes. */
export interface RiskCommitContext {
  /** The time of the batch, epoch milliseconds. */
  readonly now: number;
  /** The store, to read rule states and actions (write nothing: return it instead). */
  readonly store: RiskStore;
  /** The source configuration whose observations caused the batch; absent for a rescore. */
  readonly sourceConfigId?: string;
}

/**
 * Adds writes to each batch's commit, so that they are stored with the scores or not at all: the
 * rules engine returns the rule states and action log entries that the changes trigger.
 */
export interface RiskCommitExtension {
  /** Names it in logs. */
  readonly name: string;
  /**
   * Called with every entity the batch writes (created, or changed in any way), before the
   * commit. An error fails the batch: nothing is written.
   */
  beforeCommit(
    changes: ReadonlyArray<RiskScoreChange>,
    context: RiskCommitContext,
  ):
    | Promise<Pick<RiskStoreCommit, 'ruleStates' | 'actions'> | undefined>
    | Pick<RiskStoreCommit, 'ruleStates' | 'actions'>
    | undefined;
}

/** Told after each committed batch which entities' score or band changed. */
export type RiskScoresChangedListener = (
  changes: ReadonlyArray<RiskScoreChange>,
  context: RiskCommitContext,
) => void | Promise<void>;

/** Options of the risk exchange module. */
export interface RiskExchangeOptions {
  /** Custom entity types, or replacements of the built-in `user`, `device` and `application`. */
  entityTypes?: ReadonlyArray<EntityTypeDefinition>;
  /** Weights used until some are set through {@link RiskExchange.setWeights}. */
  weights?: RiskWeightsInput;
  /** Bands used until some are set through {@link RiskExchange.setBands}. @default defaultRiskBands */
  bands?: ReadonlyArray<RiskBand>;
  /**
   * Normalization per source configuration and entity type, over the plugin's default; stored
   * overrides ({@link RiskExchange.setNormalization}) win over these.
   */
  normalization?: Readonly<Record<string, Partial<Record<EntityType, RiskNormalizationSpec>>>>;
  /**
   * An observation whose identity points to two entities: `reject` it, or `link` it to the entity
   * of its first key (the other identities are not attached). Both are reported as conflicts.
   * @default 'reject'
   */
  conflictPolicy?: 'reject' | 'link';
  /** Observations per commit. @default 10000 */
  batchSize?: number;
  /** Days of rollups kept. @default 90 */
  retentionDays?: number;
  /** Days finished action log entries are kept. @default 90 */
  actionRetentionDays?: number;
  /** Days in the trend window. @default 30 */
  trendDays?: number;
  /** Slope (points per day) beyond which a trend is improving or worsening. @default 5 */
  trendThreshold?: number;
  /** How often a source is pulled when its configuration sets no interval. @default 3600000 (1 hour) */
  defaultPullIntervalMs?: number;
  /** Most pages per entity type in one pull. @default 1000 */
  maxPagesPerPull?: number;
  /** How often every entity is rescored so that stale sources drop out. @default 3600000 (1 hour) */
  rescoreIntervalMs?: number;
  /** Entities' rollups of the day remembered between batches. @default 100000 */
  rollupCacheSize?: number;
  /** Extensions whose writes join every commit (see {@link RiskExchange.use}). */
  extensions?: ReadonlyArray<RiskCommitExtension>;
  /** The store; `host.storage.risk` when absent. */
  store?: RiskStore;
  /** New entity ids. @default crypto.randomUUID */
  createId?: () => string;
  /** Schedule pulls, rescoring and pruning on the host's scheduler. @default true */
  schedule?: boolean;
}

/** What an ingest or a pull did. */
export interface RiskIngestReport {
  readonly sourceConfigId: string;
  received: number;
  accepted: number;
  entitiesCreated: number;
  entitiesUpdated: number;
  /** Accepted observations older than the source's score already held (fields merged only). */
  outdated: number;
  /** Refused observations with the reason, by index in the input; the rest went through. */
  rejected: RiskRejection[];
  /** Identities that point to more than one entity. */
  conflicts: RiskIdentityConflict[];
}

/** What a pull did: the ingest report of every page, per entity type. */
export interface RiskPullReport extends RiskIngestReport {
  pages: number;
  /** Entity types whose pull failed, with the error; the other types went through. */
  failures: Array<{ entityType: EntityType; code: string; message: string }>;
}

/** What a rescore did. */
export interface RiskRescoreReport {
  scanned: number;
  changed: number;
}

/** Each source's part in an entity's score. */
export interface RiskScoreBreakdown {
  readonly entity: RiskEntity;
  readonly method: RiskWeights['method'];
  /** The score as the current weights compute it now (stale sources may have dropped since it was stored). */
  readonly score: number | null;
  readonly band: string | null;
  readonly sources: ReadonlyArray<SourceContribution>;
}

/** What {@link RiskExchange.previewWeights} finds. */
export interface RiskWeightsPreview {
  /** Entities looked at. */
  readonly scanned: number;
  /** Entities per band as stored now (`unscored` for those without a score). */
  readonly current: Readonly<Record<string, number>>;
  /** Entities per band under the proposed weights. */
  readonly proposed: Readonly<Record<string, number>>;
  /** How many would change band. */
  readonly changed: number;
  /** Up to `limit` of them. */
  readonly entities: ReadonlyArray<{
    id: string;
    type: EntityType;
    keys: Readonly<Record<string, string>>;
    score: number | null;
    band: string | null;
    newScore: number | null;
    newBand: string | null;
  }>;
}

/** Options of the history queries. */
export interface RiskHistoryQuery {
  /** Days in the window, ending today. @default the module's `trendDays` */
  days?: number;
  /** @default the module's `trendThreshold` */
  trendThreshold?: number;
}

/** Who makes a configuration change, for the audit log. */
export interface ChangeActor {
  /** @default 'system' */
  actor?: string;
}

const namespace = 'cre';
const keys = {
  weights: 'weights',
  bands: 'bands',
  normalization: (configId: string) => `normalization:${configId}`,
  checkpoint: (configId: string, type: string) => `checkpoint:${configId}:${type}`,
};
const dayMs = 86_400_000;

/**
 * The risk exchange engine: normalizes vendors' scores, resolves identities into entities,
 * aggregates one score per entity under weights and bands, keeps daily history, and tells rules
 * what changed. Create it through `riskExchange()` in `createCloudExchange`; it is
 * `exchange.modules.cre`.
 */
export class RiskExchange {
  private readonly types: ReadonlyMap<string, CompiledEntityType>;
  private readonly writes = new AsyncMutex();
  private readonly rollupCache: RollupCache;
  private readonly normalizers = new Map<string, CompiledNormalizer>();
  private readonly extensions: RiskCommitExtension[];
  private readonly listeners = new Set<RiskScoresChangedListener>();
  private readonly createId: () => string;
  private readonly batchSize: number;
  private weights: RiskWeights;
  private aggregator: Aggregator;
  private bands: ReadonlyArray<RiskBand>;
  private classify: BandClassifier;
  private storedNormalization = new Map<string, Partial<Record<string, RiskNormalizationSpec>>>();
  private loaded: Promise<void> | undefined;
  private started = false;

  /** Creates the engine; `riskExchange()` does this for you. Throws `CONFIG_INVALID` for bad options. */
  constructor(
    private readonly host: ModuleHost,
    private readonly options: RiskExchangeOptions = {},
  ) {
    this.types = compileEntityTypes(options.entityTypes);
    this.weights = options.weights ? configured(() => parseRiskWeights(options.weights)) : defaultRiskWeights;
    this.aggregator = createAggregator(this.weights);
    this.bands = options.bands ? configured(() => parseRiskBands(options.bands)) : defaultRiskBands;
    this.classify = compileBands(this.bands);
    for (const [configId, specs] of Object.entries(options.normalization ?? {}))
      for (const [type, spec] of Object.entries(specs ?? {}))
        configured(() => parseNormalizationSpec(spec, ['normalization', configId, type]));
    this.rollupCache = createRollupCache(options.rollupCacheSize ?? 100_000);
    this.extensions = [...(options.extensions ?? [])];
    this.createId = options.createId ?? randomUUID;
    this.batchSize = Math.max(1, options.batchSize ?? 10_000);
  }

  /** The store in use. */
  get store(): RiskStore {
    const store = this.options.store ?? this.host.storage.risk;
    if (!store) throw new CeError('CONFIG_INVALID', `storage "${this.host.storage.kind}" has no risk store`);
    return store;
  }

  /** The entity types this exchange knows, by name. */
  entityTypes(): EntityTypeDefinition[] {
    return [...this.types.values()].map((type) => type.definition);
  }

  // ---- lifecycle ------------------------------------------------------------------------

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      const kv = this.host.storage.keyValue;
      const weights = await kv.get<RiskWeights>(namespace, keys.weights);
      if (weights) this.applyWeights(weights.value);
      const bands = await kv.get<RiskBand[]>(namespace, keys.bands);
      if (bands) this.applyBands(bands.value);
      let after: string | undefined;
      do {
        const page = await kv.list<Partial<Record<string, RiskNormalizationSpec>>>(namespace, {
          prefix: 'normalization:',
          limit: 1000,
          ...(after ? { after } : {}),
        });
        for (const entry of page.items)
          this.storedNormalization.set(entry.key.slice('normalization:'.length), entry.value);
        after = page.nextCursor;
      } while (after);
    })().catch((error) => {
      this.loaded = undefined;
      throw error;
    });
    return this.loaded;
  }

  /** Loads stored weights, bands and mappings, and schedules pulls, rescoring and pruning. */
  async start(): Promise<void> {
    await this.load();
    this.started = true;
    if (this.options.schedule === false) return;
    const scheduler = this.host.scheduler;
    scheduler.every('cre-rescore', this.options.rescoreIntervalMs ?? 3_600_000, async ({ signal }) => {
      await this.rescore({ signal });
    });
    scheduler.every('cre-prune', dayMs, async () => {
      await this.prune();
    });
    for (const record of await this.host.plugins.enabledConfigurations('cre'))
      this.schedulePull(record.id, record.pluginId, record.intervalMs);
  }

  /** Cancels the module's tasks; the scheduler drains running ones. */
  async stop(): Promise<void> {
    this.started = false;
    for (const task of this.host.scheduler.list())
      if (task.name.startsWith('cre-')) await this.host.scheduler.cancel(task.name);
  }

  /** Reschedules a source's pulls when its configuration changes. */
  async onConfigurationChanged(change: { kind: string; configId: string; pluginId: string }): Promise<void> {
    await this.host.scheduler.cancel(`cre-pull:${change.configId}`);
    if (
      !this.started ||
      this.options.schedule === false ||
      change.kind === 'removed' ||
      change.kind === 'disabled'
    )
      return;
    const record = (await this.host.plugins.enabledConfigurations('cre')).find(
      (candidate) => candidate.id === change.configId,
    );
    if (record) this.schedulePull(record.id, record.pluginId, record.intervalMs);
  }

  private schedulePull(configId: string, pluginId: string, intervalMs: number | undefined): void {
    if (!this.host.plugins.definition(pluginId).cre?.source) return;
    this.host.scheduler.every(
      `cre-pull:${configId}`,
      intervalMs ?? this.options.defaultPullIntervalMs ?? 3_600_000,
      async ({ signal }) => {
        await this.pull(configId, { signal });
      },
      { runImmediately: true, jitter: 0.1 },
    );
  }

  // ---- extension points -----------------------------------------------------------------

  /**
   * Adds a commit extension: its `beforeCommit` writes (rule states, action log entries) are
   * committed with every batch's scores. Returns a function that removes it.
   */
  use(extension: RiskCommitExtension): () => void {
    this.extensions.push(extension);
    return () => {
      const at = this.extensions.indexOf(extension);
      if (at >= 0) this.extensions.splice(at, 1);
    };
  }

  /**
   * Calls `listener` after each committed batch with the entities whose score or band changed.
   * A listener's failure is logged and does not affect the batch. Returns an unsubscribe function.
   */
  onScoresChanged(listener: RiskScoresChangedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Runs `work` while no batch, rescore or configuration change is being written, for code that
   * reads entities and commits to the store itself (the action runner).
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.writes.run(work);
  }

  // ---- ingest ---------------------------------------------------------------------------

  private normalizerFor(
    sourceConfigId: string,
    fallback: ((type: EntityType) => RiskNormalizationSpec | undefined) | undefined,
  ): (type: EntityType) => CompiledNormalizer | string {
    const resolved = new Map<string, CompiledNormalizer | string>();
    return (type) => {
      let normalizer = resolved.get(type);
      if (normalizer !== undefined) return normalizer;
      try {
        const spec =
          this.storedNormalization.get(sourceConfigId)?.[type] ??
          this.options.normalization?.[sourceConfigId]?.[type] ??
          fallback?.(type);
        if (spec === undefined)
          normalizer = `no normalization for source "${sourceConfigId}" and entity type "${type}": set one with setNormalization`;
        else normalizer = this.compiled(spec);
      } catch (error) {
        normalizer = `the normalization for source "${sourceConfigId}" and entity type "${type}" is invalid: ${toCeError(error).message}`;
      }
      resolved.set(type, normalizer);
      return normalizer;
    };
  }

  private compiled(spec: RiskNormalizationSpec): CompiledNormalizer {
    const key = JSON.stringify(spec);
    let normalizer = this.normalizers.get(key);
    if (normalizer === undefined) {
      normalizer = compileNormalizer(spec);
      if (this.normalizers.size > 1000) this.normalizers.clear();
      this.normalizers.set(key, normalizer);
    }
    return normalizer;
  }

  /** The plugin's default mapping for a configuration's entity type, if it is a risk source. */
  private async pluginDefaults(
    sourceConfigId: string,
  ): Promise<((type: EntityType) => RiskNormalizationSpec | undefined) | undefined> {
    const record = await this.host.storage.pluginConfigs.get(sourceConfigId);
    if (!record) return undefined;
    let source: RiskSourceCapability<unknown> | undefined;
    try {
      source = this.host.plugins.definition(record.pluginId).cre?.source as
        | RiskSourceCapability<unknown>
        | undefined;
    } catch {
      return undefined;
    }
    if (!source) return undefined;
    return (type) => source.defaultNormalization(record.config, type);
  }

  /**
   * Ingests observations from a source configuration: each is validated, normalized with the
   * source's mapping for its entity type, resolved to one entity through keys and aliases, merged
   * and scored, in commits of `batchSize`. Bad observations are rejected with a reason and the
   * rest go through. Throws only when the store fails (batches committed before stay committed).
   *
   * @example
   * ```ts
   * const report = await cre.ingest(
   *   [{ entityType: 'user', identity: { email: 'ana@example.com' }, value: 42, observedAt: Date.now() }],
   *   { sourceConfigId: 'knowbe4' },
   * );
   * ```
   */
  async ingest(
    observations: ReadonlyArray<RiskObservationInput>,
    options: { sourceConfigId: string },
  ): Promise<RiskIngestReport> {
    await this.load();
    const sourceConfigId = options.sourceConfigId;
    if (typeof sourceConfigId !== 'string' || sourceConfigId.length === 0 || sourceConfigId.length > 512)
      throw new CeError(
        'VALIDATION_FAILED',
        'sourceConfigId must be a non-empty string of at most 512 characters',
      );
    if (!Array.isArray(observations)) throw new CeError('VALIDATION_FAILED', 'observations must be an array');
    const normalizerFor = this.normalizerFor(sourceConfigId, await this.pluginDefaults(sourceConfigId));
    return this.ingestWith(sourceConfigId, observations, normalizerFor, 0);
  }

  private async ingestWith(
    sourceConfigId: string,
    observations: ReadonlyArray<RiskObservationInput>,
    normalizerFor: (type: EntityType) => CompiledNormalizer | string,
    indexOffset: number,
  ): Promise<RiskIngestReport> {
    const report = emptyReport(sourceConfigId);
    report.received = observations.length;
    for (let start = 0; start < observations.length; start += this.batchSize) {
      const batch = observations.slice(start, start + this.batchSize);
      const part = await this.writes.run(() =>
        this.commitWithRetry(
          (context) => prepareBatch(context, sourceConfigId, batch, indexOffset + start),
          normalizerFor,
          sourceConfigId,
        ),
      );
      report.accepted += part.accepted;
      report.entitiesCreated += part.created;
      report.entitiesUpdated += part.updated;
      report.outdated += part.outdated;
      report.rejected.push(...part.rejected);
      report.conflicts.push(...part.conflicts);
    }
    return report;
  }

  private batchContext(normalizerFor: (type: EntityType) => CompiledNormalizer | string): ScoreBatchContext {
    const now = this.host.clock.now();
    return {
      store: this.store,
      now,
      day: utcDay(now),
      types: this.types,
      aggregator: this.aggregator,
      classify: this.classify,
      conflictPolicy: this.options.conflictPolicy ?? 'reject',
      createId: this.createId,
      rollups: this.rollupCache,
      normalizerFor,
    };
  }

  /**
   * Prepares and commits one batch; when another writer got there first (`CONFLICT`), reads again
   * and retries, up to three times.
   */
  private async commitWithRetry(
    prepare: (
      context: ScoreBatchContext,
    ) => Promise<PreparedBatch | Omit<PreparedBatch, 'rejected' | 'conflicts' | 'accepted' | 'outdated'>>,
    normalizerFor: (type: EntityType) => CompiledNormalizer | string,
    sourceConfigId: string | undefined,
  ): Promise<PreparedBatch> {
    for (let attempt = 1; ; attempt++) {
      const context = this.batchContext(normalizerFor);
      const prepared = await prepare(context);
      try {
        await this.commitPrepared(prepared, context.now, sourceConfigId);
        return { rejected: [], conflicts: [], accepted: 0, outdated: 0, ...prepared };
      } catch (error) {
        const failure = toCeError(error);
        if (failure.code !== 'CONFLICT' || attempt >= 3) throw failure;
        this.host.logger.info('risk batch conflicted with another writer; retrying', {
          attempt,
          error: failure.message,
        });
      }
    }
  }

  private async commitPrepared(
    prepared: Pick<PreparedBatch, 'writes' | 'rollups' | 'changes' | 'remember'>,
    now: number,
    sourceConfigId: string | undefined,
  ): Promise<void> {
    if (prepared.writes.length === 0 && prepared.rollups.length === 0) return;
    const context: RiskCommitContext = {
      now,
      store: this.store,
      ...(sourceConfigId !== undefined ? { sourceConfigId } : {}),
    };
    const ruleStates: NonNullable<RiskStoreCommit['ruleStates']>[number][] = [];
    const actions: NonNullable<RiskStoreCommit['actions']>[number][] = [];
    for (const extension of this.extensions) {
      const extra = await extension.beforeCommit(prepared.changes, context);
      if (extra?.ruleStates) ruleStates.push(...extra.ruleStates);
      if (extra?.actions) actions.push(...extra.actions);
    }
    await this.store.commit({
      entities: prepared.writes,
      rollups: prepared.rollups,
      ...(ruleStates.length > 0 ? { ruleStates } : {}),
      ...(actions.length > 0 ? { actions } : {}),
    });
    prepared.remember();
    const changed = prepared.changes.filter((change) => change.scoreChanged || change.bandChanged);
    if (changed.length === 0) return;
    const items: RiskScoreChangedItem[] = changed.map((change) => ({
      entityId: change.entity.id,
      entityType: change.entity.type,
      previousScore: change.previous?.score ?? null,
      score: change.entity.score,
      previousBand: change.previous?.band ?? null,
      band: change.entity.band,
    }));
    this.host.events.emit('risk-scores-changed', {
      ...(sourceConfigId !== undefined ? { sourceConfigId } : {}),
      changes: items,
    });
    for (const listener of this.listeners) {
      try {
        await listener(changed, context);
      } catch (error) {
        this.host.logger.warn('a risk score listener failed', { error: toCeError(error).toJSON() });
      }
    }
  }

  /**
   * Pulls a source configuration now, entity type by entity type and page by page: each page is
   * ingested and its checkpoint stored after it, so a crash resumes after the last stored page.
   * A failing entity type is reported and the others still pulled.
   */
  async pull(configId: string, options: { signal?: AbortSignal } = {}): Promise<RiskPullReport> {
    await this.load();
    const { record, capability: source } = await configuredCapability(
      this.host,
      configId,
      'risk exchange source',
      (plugin) => plugin.cre?.source as RiskSourceCapability<unknown> | undefined,
    );
    const report: RiskPullReport = { ...emptyReport(configId), pages: 0, failures: [] };
    const maxPages = this.options.maxPagesPerPull ?? 1000;
    const types = await this.host.plugins.invoke(configId, 'cre.entityTypes', async (context) =>
      source.entityTypes(context.config),
    );
    for (const entityType of types) {
      try {
        await this.host.plugins.invoke(
          configId,
          'cre.pull',
          async (context) => {
            const normalizerFor = this.normalizerFor(configId, (type) =>
              source.defaultNormalization(context.config, type),
            );
            const checkpointKey = keys.checkpoint(configId, entityType);
            let checkpoint = (
              await this.host.storage.keyValue.get<SourceCheckpoint>(namespace, checkpointKey)
            )?.value;
            for (let page = 0; page < maxPages; page++) {
              context.signal.throwIfAborted();
              const result = await source.pull(context, { entityType, checkpoint });
              if (!result || !Array.isArray(result.observations))
                throw new CeError(
                  'PLUGIN_FAILED',
                  `${record.pluginId} cre.pull returned a page without observations`,
                );
              const part = await this.ingestWith(
                configId,
                result.observations,
                normalizerFor,
                report.received,
              );
              addReport(report, part);
              report.pages++;
              checkpoint = result.checkpoint;
              await this.host.storage.keyValue.set(namespace, checkpointKey, checkpoint ?? null);
              if (!result.more) break;
            }
          },
          { ...(options.signal ? { signal: options.signal } : {}), timeoutMs: 3_600_000 },
        );
      } catch (error) {
        const failure = toCeError(error);
        if (failure.code === 'ABORTED') throw failure;
        report.failures.push({ entityType, code: failure.code, message: failure.message });
      }
    }
    return report;
  }

  // ---- entities -------------------------------------------------------------------------

  /** An entity by id, or `undefined`. */
  async getEntity(id: string): Promise<RiskEntity | undefined> {
    return this.store.getEntity(id);
  }

  /**
   * The entity an identity resolves to (`{ email: 'Ana@Example.com ' }` finds `ana@example.com`):
   * values are normalized as the type's fields are. Several fields must all point to the same
   * entity; otherwise the result is `undefined`.
   */
  async findEntity(
    type: EntityType,
    identity: Readonly<Record<string, string>>,
  ): Promise<RiskEntity | undefined> {
    const compiled = this.types.get(type);
    if (!compiled) throw new CeError('VALIDATION_FAILED', `unknown entity type "${type}"`);
    const wanted: string[] = [];
    for (const [field, value] of Object.entries(identity)) {
      const normalized = compiled.normalizeIdentity(field, value);
      if (typeof normalized !== 'string') throw new CeError('VALIDATION_FAILED', normalized.reason);
      wanted.push(`${field}:${normalized}`);
    }
    if (wanted.length === 0) throw new CeError('VALIDATION_FAILED', 'identity is empty');
    const found = await this.store.findEntities(type, wanted);
    const ids = new Set([...found.values()].map((entity) => entity.id));
    return ids.size === 1 && found.size === wanted.length ? found.values().next().value : undefined;
  }

  /** A page of entities (filters, order and cursor as `RiskEntityQuery`). */
  async queryEntities(query: RiskEntityQuery = {}): Promise<Page<RiskEntity>> {
    return this.store.queryEntities(query);
  }

  /** How many entities match. */
  async countEntities(query: RiskEntityQuery = {}): Promise<number> {
    return this.store.countEntities(query);
  }

  /** An entity's score, source by source: weight, staleness, whether it counts and its share. */
  async scoreBreakdown(id: string): Promise<RiskScoreBreakdown> {
    await this.load();
    const entity = await this.store.getEntity(id);
    if (!entity) throw new CeError('NOT_FOUND', `no entity with id "${id}"`);
    const now = this.host.clock.now();
    const score = this.aggregator.score(entity.sources, now);
    return {
      entity,
      method: this.weights.method,
      score,
      band: this.classify(score),
      sources: this.aggregator.breakdown(entity.sources, now),
    };
  }

  // ---- history --------------------------------------------------------------------------

  /** An entity's daily averages, the latest day against the one before, and the trend. */
  async history(entityId: string, query: RiskHistoryQuery = {}): Promise<RiskHistory> {
    const entity = await this.store.getEntity(entityId);
    if (!entity) throw new CeError('NOT_FOUND', `no entity with id "${entityId}"`);
    return this.historyOf(entity.type, entityId, query);
  }

  /**
   * The organization's daily averages for an entity type (each entity's daily average counted
   * once), the latest day against the one before, and the trend.
   */
  async organizationHistory(type: EntityType, query: RiskHistoryQuery = {}): Promise<RiskHistory> {
    if (!this.types.has(type)) throw new CeError('VALIDATION_FAILED', `unknown entity type "${type}"`);
    return this.historyOf(type, undefined, query);
  }

  private async historyOf(
    type: EntityType,
    entityId: string | undefined,
    query: RiskHistoryQuery,
  ): Promise<RiskHistory> {
    const days = query.days ?? this.options.trendDays ?? 30;
    if (!Number.isInteger(days) || days < 1 || days > 3660)
      throw new CeError('VALIDATION_FAILED', 'days must be an integer from 1 to 3660');
    const today = utcDay(this.host.clock.now());
    const rollups = await this.store.queryRollups({
      entityType: type,
      ...(entityId !== undefined ? { entityId } : {}),
      fromDay: addDays(today, -(days - 1)),
      toDay: today,
    });
    return summarizeHistory(rollups, {
      today,
      days,
      trendThreshold: query.trendThreshold ?? this.options.trendThreshold ?? 5,
    });
  }

  /**
   * Deletes rollups older than `retentionDays` and finished action log entries older than
   * `actionRetentionDays`.
   */
  async prune(): Promise<{ rollups: number; actions: number }> {
    const now = this.host.clock.now();
    const retention = this.options.retentionDays ?? 90;
    const actionRetention = this.options.actionRetentionDays ?? 90;
    return this.store.prune(addDays(utcDay(now), -(retention - 1)), now - actionRetention * dayMs);
  }

  // ---- weights, bands, normalization ------------------------------------------------------

  /** The weights in effect. */
  async getWeights(): Promise<RiskWeights> {
    await this.load();
    return this.weights;
  }

  /**
   * Validates and stores new weights (audited), then rescores every entity under them. Throws
   * `VALIDATION_FAILED` naming the field for bad weights, and changes nothing then.
   */
  async setWeights(input: RiskWeightsInput, options: ChangeActor = {}): Promise<RiskRescoreReport> {
    await this.load();
    const weights = parseRiskWeights(input);
    await this.writes.run(async () => {
      const before = this.weights;
      await this.host.storage.transaction(async (tx) => {
        await tx.keyValue.set(namespace, keys.weights, weights);
        await tx.audit.append({
          actor: options.actor ?? 'system',
          action: 'risk-weights-updated',
          target: 'cre:weights',
          details: { before, after: weights },
        });
      });
      this.applyWeights(weights);
    });
    return this.rescore();
  }

  private applyWeights(weights: RiskWeights): void {
    this.weights = weights;
    this.aggregator = createAggregator(weights);
  }

  /** The bands in effect, riskiest first. */
  async getBands(): Promise<ReadonlyArray<RiskBand>> {
    await this.load();
    return this.bands;
  }

  /** Validates and stores new bands (audited), then re-bands every entity. */
  async setBands(input: ReadonlyArray<RiskBand>, options: ChangeActor = {}): Promise<RiskRescoreReport> {
    await this.load();
    const bands = parseRiskBands(input);
    await this.writes.run(async () => {
      const before = this.bands;
      await this.host.storage.transaction(async (tx) => {
        await tx.keyValue.set(namespace, keys.bands, bands);
        await tx.audit.append({
          actor: options.actor ?? 'system',
          action: 'risk-bands-updated',
          target: 'cre:bands',
          details: { before, after: bands },
        });
      });
      this.applyBands(bands);
    });
    return this.rescore();
  }

  private applyBands(bands: ReadonlyArray<RiskBand>): void {
    this.bands = bands;
    this.classify = compileBands(bands);
  }

  /**
   * The mapping a source's scores of an entity type go through: the stored override, the module
   * option, or the plugin's default; `undefined` when there is none.
   */
  async getNormalization(
    sourceConfigId: string,
    type: EntityType,
  ): Promise<RiskNormalizationSpec | undefined> {
    await this.load();
    const override =
      this.storedNormalization.get(sourceConfigId)?.[type] ??
      this.options.normalization?.[sourceConfigId]?.[type];
    if (override) return override;
    return (await this.pluginDefaults(sourceConfigId))?.(type);
  }

  /**
   * Overrides the mapping of a source's scores of an entity type (`null` removes the override),
   * stored and audited. Scores already held keep the mapping they were made with (each records
   * its strategy and version) until the source reports again.
   */
  async setNormalization(
    sourceConfigId: string,
    type: EntityType,
    spec: RiskNormalizationSpec | null,
    options: ChangeActor = {},
  ): Promise<void> {
    await this.load();
    if (!this.types.has(type)) throw new CeError('VALIDATION_FAILED', `unknown entity type "${type}"`);
    const parsed = spec === null ? null : parseNormalizationSpec(spec, ['normalization']);
    await this.writes.run(async () => {
      const current = { ...(this.storedNormalization.get(sourceConfigId) ?? {}) };
      const before = current[type];
      if (parsed === null) delete current[type];
      else current[type] = parsed;
      await this.host.storage.transaction(async (tx) => {
        if (Object.keys(current).length === 0)
          await tx.keyValue.delete(namespace, keys.normalization(sourceConfigId));
        else await tx.keyValue.set(namespace, keys.normalization(sourceConfigId), current);
        await tx.audit.append({
          actor: options.actor ?? 'system',
          action: 'risk-normalization-updated',
          target: `cre:normalization:${sourceConfigId}:${type}`,
          details: { before: before ?? null, after: parsed },
        });
      });
      this.storedNormalization.set(sourceConfigId, current);
    });
  }

  // ---- rescoring and preview ----------------------------------------------------------------

  private async *allEntities(
    type: EntityType | undefined,
    signal?: AbortSignal,
  ): AsyncGenerator<RiskEntity[]> {
    let cursor: string | undefined;
    do {
      signal?.throwIfAborted();
      const page = await this.store.queryEntities({
        ...(type !== undefined ? { type } : {}),
        sort: 'id',
        limit: 10_000,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      if (page.items.length > 0) yield page.items;
      cursor = page.nextCursor;
    } while (cursor !== undefined);
  }

  /**
   * Recomputes every entity's score and band under the current weights, bands and time (so that
   * stale sources drop out), page by page, committing those that changed with their rollups.
   */
  async rescore(options: { type?: EntityType; signal?: AbortSignal } = {}): Promise<RiskRescoreReport> {
    await this.load();
    const report: RiskRescoreReport = { scanned: 0, changed: 0 };
    for await (const page of this.allEntities(options.type, options.signal)) {
      report.scanned += page.length;
      const prepared = await this.writes.run(() =>
        this.commitWithRetry(
          async (context) => {
            // Read again inside the lock: the page may have changed since it was listed.
            const fresh = await Promise.all(page.map((entity) => this.store.getEntity(entity.id)));
            const drafts = fresh
              .filter((entity): entity is RiskEntity => entity !== undefined)
              .map((entity) => ({
                id: entity.id,
                type: { name: entity.type },
                original: entity,
                keys: entity.keys as Record<string, string>,
                aliases: entity.aliases as string[],
                fields: entity.fields as Record<string, unknown>,
                sources: entity.sources as Record<string, (typeof entity.sources)[string]>,
                dirty: false,
              }));
            return finishDrafts(context, drafts);
          },
          () => 'rescoring needs no normalizer',
          undefined,
        ),
      );
      report.changed += prepared.writes.length;
    }
    return report;
  }

  /**
   * What new weights would do, without saving anything: the band distribution now and under the
   * weights, and the entities that would change band (up to `limit`, with old and new score).
   */
  async previewWeights(
    input: RiskWeightsInput,
    options: { limit?: number; type?: EntityType; signal?: AbortSignal } = {},
  ): Promise<RiskWeightsPreview> {
    await this.load();
    const proposedAggregator = createAggregator(parseRiskWeights(input));
    const limit = Math.max(0, Math.min(options.limit ?? 100, 10_000));
    const now = this.host.clock.now();
    const current: Record<string, number> = {};
    const proposed: Record<string, number> = {};
    for (const band of this.bands) {
      current[band.name] = 0;
      proposed[band.name] = 0;
    }
    current.unscored = 0;
    proposed.unscored = 0;
    const entities: Array<RiskWeightsPreview['entities'][number]> = [];
    let scanned = 0;
    let changed = 0;
    for await (const page of this.allEntities(options.type, options.signal)) {
      for (const entity of page) {
        scanned++;
        const band = entity.band;
        const newScore = proposedAggregator.score(entity.sources, now);
        const newBand = this.classify(newScore);
        current[band ?? 'unscored'] = (current[band ?? 'unscored'] ?? 0) + 1;
        proposed[newBand ?? 'unscored'] = (proposed[newBand ?? 'unscored'] ?? 0) + 1;
        if (band === newBand) continue;
        changed++;
        if (entities.length < limit)
          entities.push({
            id: entity.id,
            type: entity.type,
            keys: entity.keys,
            score: entity.score,
            band: entity.band,
            newScore,
            newBand,
          });
      }
    }
    return { scanned, current, proposed, changed, entities };
  }
}

function configured<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const failure = toCeError(error);
    if (failure.code !== 'VALIDATION_FAILED') throw failure;
    throw new CeError('CONFIG_INVALID', failure.message, { cause: error, details: failure.details });
  }
}

function emptyReport(sourceConfigId: string): RiskIngestReport {
  return {
    sourceConfigId,
    received: 0,
    accepted: 0,
    entitiesCreated: 0,
    entitiesUpdated: 0,
    outdated: 0,
    rejected: [],
    conflicts: [],
  };
}

function addReport(total: RiskIngestReport, part: RiskIngestReport): void {
  total.received += part.received;
  total.accepted += part.accepted;
  total.entitiesCreated += part.entitiesCreated;
  total.entitiesUpdated += part.entitiesUpdated;
  total.outdated += part.outdated;
  total.rejected.push(...part.rejected);
  total.conflicts.push(...part.conflicts);
}
