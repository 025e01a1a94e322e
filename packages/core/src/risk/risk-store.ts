/**
 * The risk exchange's storage interface. A storage adapter offers one as `StorageAdapter.risk`;
 * the memory and SQLite adapters both do, and `runRiskStoreConformance` from `@ce/core/testing`
 * checks any implementation.
 *
 * @module
 */
import type { Page } from '../storage/storage-adapter.js';
import type {
  EntityType,
  RiskActionLogEntry,
  RiskDailyRollup,
  RiskEntity,
  RiskRuleState,
} from './risk-model.js';

/** An entity to write, with the version it must have now: `null` when it must not exist yet. */
export interface RiskEntityWrite {
  readonly entity: RiskEntity;
  readonly expectedVersion: number | null;
}

/**
 * Changes written together: all of them or none. Entities are written only if their version
 * still is `expectedVersion` (each written entity's version becomes `expectedVersion + 1`, 1 when
 * created); rollups are upserted by (entityType, entityId, day), rule states by (ruleId,
 * entityId), action log entries by id. Deleting entities removes their rollups and rule states.
 */
export interface RiskStoreCommit {
  readonly entities?: ReadonlyArray<RiskEntityWrite>;
  readonly deleteEntities?: ReadonlyArray<string>;
  readonly rollups?: ReadonlyArray<RiskDailyRollup>;
  readonly ruleStates?: ReadonlyArray<RiskRuleState>;
  readonly actions?: ReadonlyArray<RiskActionLogEntry>;
}

/** Entity filters and order for {@link RiskStore.queryEntities}. Every filter given must hold. */
export interface RiskEntityQuery {
  readonly type?: EntityType;
  readonly bands?: ReadonlyArray<string>;
  /** Score at least, inclusive. */
  readonly scoreFrom?: number;
  /** Score at most, inclusive. */
  readonly scoreTo?: number;
  /** `false`: only unscored entities; `true`: only scored ones. */
  readonly scored?: boolean;
  /** Only entities with a score from this source configuration. */
  readonly sourceConfigId?: string;
  /** Prefix of any key value or alias value, case-insensitive (a find box). */
  readonly search?: string;
  /** Updated at or after, epoch milliseconds. */
  readonly updatedFrom?: number;
  /**
   * Order by `score` (unscored last), `updatedAt` or `id`, ties broken by id.
   * @default 'id'
   */
  readonly sort?: 'score' | 'updatedAt' | 'id';
  /** @default 'asc' */
  readonly order?: 'asc' | 'desc';
  /** A `nextCursor` from the previous page of the same query. */
  readonly cursor?: string;
  /** @default 100, at most 10,000 */
  readonly limit?: number;
}

/** Rollup filters for {@link RiskStore.queryRollups}, oldest day first. */
export interface RiskRollupQuery {
  readonly entityType: EntityType;
  /** One entity's rollups; absent for the organization-wide ones. */
  readonly entityId?: string;
  /** First day, `YYYY-MM-DD`, inclusive. */
  readonly fromDay?: string;
  /** Last day, `YYYY-MM-DD`, inclusive. */
  readonly toDay?: string;
}

/** Action log filters for {@link RiskStore.queryActions}, oldest `nextAttemptAt` first. */
export interface RiskActionQuery {
  readonly ruleId?: string;
  readonly entityId?: string;
  readonly actionConfigId?: string;
  readonly states?: ReadonlyArray<RiskActionLogEntry['state']>;
  readonly idempotencyKey?: string;
  /** Only entries whose `nextAttemptAt` is at or before this time. */
  readonly dueBy?: number;
  readonly cursor?: string;
  /** @default 100, at most 1,000 */
  readonly limit?: number;
}

/**
 * Where entities, their rollups, rule states and the action log live. Every write goes through
 * {@link RiskStore.commit}, so a batch of scores (the entities, their day's rollups, the rule
 * states and actions they trigger) is stored whole or not at all.
 */
export interface RiskStore {
  /**
   * Writes the changes atomically. Throws `CONFLICT` (and writes nothing) when an entity's version
   * is not its `expectedVersion`, when an entity with `expectedVersion: null` exists, or when two
   * entities of a type would share a key value or alias; `VALIDATION_FAILED` for a record that
   * breaks the model (a score outside 0-1000, a day not `YYYY-MM-DD`). Resolves with the entities
   * as stored, with their new versions.
   */
  commit(changes: RiskStoreCommit): Promise<RiskEntity[]>;
  /** An entity by local id. */
  getEntity(id: string): Promise<RiskEntity | undefined>;
  /**
   * The entity of `type` that a `field:value` identity resolves to, through its keys or its
   * aliases. `value` is compared as stored (normalize it first).
   */
  findEntity(type: EntityType, field: string, value: string): Promise<RiskEntity | undefined>;
  /** Resolves many identities at once: `field:value` to entity, for those found. */
  findEntities(type: EntityType, identities: ReadonlyArray<string>): Promise<Map<string, RiskEntity>>;
  /** A page of entities. */
  queryEntities(query?: RiskEntityQuery): Promise<Page<RiskEntity>>;
  /** How many entities match (cursor, sort and limit ignored). */
  countEntities(query?: RiskEntityQuery): Promise<number>;
  /** Rollups of one entity or of the organization, by day. */
  queryRollups(query: RiskRollupQuery): Promise<RiskDailyRollup[]>;
  /** Rule states of a rule, for the given entities or all of them. */
  ruleStates(ruleId: string, entityIds?: ReadonlyArray<string>): Promise<RiskRuleState[]>;
  /** An action log entry by id. */
  getAction(id: string): Promise<RiskActionLogEntry | undefined>;
  /** A page of action log entries. */
  queryActions(query?: RiskActionQuery): Promise<Page<RiskActionLogEntry>>;
  /**
   * Deletes rollups of days before `beforeDay` (`YYYY-MM-DD`) and finished action log entries
   * (`done`, `failed`, `skipped`, `declined`) last updated before `actionsBefore`. Returns how many
   * of each.
   */
  prune(beforeDay: string, actionsBefore: number): Promise<{ rollups: number; actions: number }>;
}
