/**
 * The risk exchange's records: entities with their identities and per-source scores, daily
 * rollups, rule states and the action log. The types live in core so that stores and plugins
 * depend on core only.
 *
 * @module
 */

/** The entity types every host knows; custom types are declared by name next to them. */
export const builtInEntityTypes = ['user', 'device', 'application'] as const;

/**
 * An entity type: `user`, `device`, `application`, or a custom type's name (lowercase letters,
 * digits and `-`).
 */
export type EntityType = (typeof builtInEntityTypes)[number] | (string & {});

/** A normalized score: 0 to 1000, higher is safer; `null` when unknown (never 0). */
export type NormalizedScore = number | null;

/**
 * How a vendor's raw value becomes a normalized score, as data so that it can be stored,
 * versioned and shown. `version` names the mapping's revision; each observation records it.
 * - `identity`: the vendor already reports 0-1000, higher safer;
 * - `linear`: min-max onto 0-1000, `invert` when the vendor's higher means riskier;
 * - `piecewise`: straight segments through `points` (`[raw, normalized]`, raw ascending), so that
 *   a vendor's own severity bands land inside the matching bands;
 * - (`linear` and `piecewise` reject raw values outside their range unless `clamp` is set);
 * - `categorical`: a table of labels (`low`, `medium`, `high`) to scores;
 * - `grade`: letter grades (`A` to `F`) to scores, with `+` and `-` moved by `modifierStep`;
 * - `saturating`: unbounded additive risk (0 upward) mapped to `1000 * halfRisk / (halfRisk + x)`,
 *   so that `halfRisk` scores 500 and more risk approaches 0 without reaching it;
 * - `population`: a value's percentile within a frozen reference sample, scaled to 0-1000
 *   (`invert` when higher raw values mean riskier).
 */
export type RiskNormalizationSpec =
  | { strategy: 'identity'; version?: string }
  | {
      strategy: 'linear';
      min: number;
      max: number;
      invert?: boolean;
      /** Map raw values outside `min`-`max` to the nearest end instead of rejecting them. */
      clamp?: boolean;
      version?: string;
    }
  | {
      strategy: 'piecewise';
      points: ReadonlyArray<readonly [raw: number, normalized: number]>;
      /** Map raw values outside the first and last point to the nearest end instead of rejecting them. */
      clamp?: boolean;
      version?: string;
    }
  | {
      strategy: 'categorical';
      table: Readonly<Record<string, number>>;
      caseSensitive?: boolean;
      version?: string;
    }
  | {
      strategy: 'grade';
      grades: Readonly<Record<string, number>>;
      modifierStep?: number;
      version?: string;
    }
  | { strategy: 'saturating'; halfRisk: number; version?: string }
  | {
      strategy: 'population';
      reference: ReadonlyArray<number>;
      invert?: boolean;
      frozenAt?: string;
      version?: string;
    };

/** The name of a normalization strategy. */
export type RiskNormalizationStrategy = RiskNormalizationSpec['strategy'];

/** A score as a vendor plugin reports it, before identity resolution and normalization. */
export interface RiskObservationInput {
  /** The entity type. */
  entityType: EntityType;
  /**
   * The identifying fields as this vendor knows the entity (`{ email }`, `{ deviceId, hostname }`,
   * `{ domain }`). The exchange resolves them to one entity through the type's key fields and
   * aliases.
   */
  identity: Readonly<Record<string, string>>;
  /** Other fields of the entity the vendor knows (department, operating system, owner). */
  fields?: Readonly<Record<string, unknown>>;
  /** The raw score: a number, a label or grade, or `null` when the vendor does not know. */
  value: number | string | null;
  /** When the vendor observed it: epoch milliseconds or ISO 8601 with a zone. */
  observedAt: number | string;
}

/** The latest observation of one entity by one source configuration. */
export interface RiskSourceScore {
  /** The raw value as reported. */
  readonly raw: number | string | null;
  readonly normalized: NormalizedScore;
  /** The mapping that produced `normalized`: strategy and version. */
  readonly mapping: { readonly strategy: RiskNormalizationStrategy; readonly version: string };
  /** Epoch milliseconds. */
  readonly observedAt: number;
  /** When the exchange received it, epoch milliseconds. */
  readonly receivedAt: number;
}

/** One entity: its identities, merged fields, per-source scores and aggregate score. */
export interface RiskEntity {
  /** Stable local id. */
  readonly id: string;
  readonly type: EntityType;
  /**
   * Values of the type's unique key fields, normalized (a user's email lowercased): each pair
   * identifies this entity and no other.
   */
  readonly keys: Readonly<Record<string, string>>;
  /** Other identities (`field:value`, normalized) that resolve to this entity. */
  readonly aliases: ReadonlyArray<string>;
  /** Merged fields from every source, by each field's merge strategy. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** The latest score per source configuration. */
  readonly sources: Readonly<Record<string, RiskSourceScore>>;
  /** The aggregate over the present, non-stale sources; `null` when none is. */
  readonly score: NormalizedScore;
  /** The band of `score` (`critical`, `high`, `medium`, `low` by default); `null` when unscored. */
  readonly band: string | null;
  /** When `score` last changed, epoch milliseconds. */
  readonly scoreChangedAt?: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Optimistic concurrency: the store increments it on every write. */
  readonly version: number;
}

/**
 * Score statistics of one day (UTC): of one entity, or of every entity of a type (the
 * organization's rollup, `entityId` absent).
 */
export interface RiskDailyRollup {
  readonly entityType: EntityType;
  /** The entity, or absent for the organization-wide rollup of the type. */
  readonly entityId?: string;
  /** `YYYY-MM-DD`, UTC. */
  readonly day: string;
  /** Sum and count of the scores recorded that day, so that averages merge exactly. */
  readonly sum: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
}

/** Whether a rule currently matches an entity, for edge-triggered actions. */
export interface RiskRuleState {
  readonly ruleId: string;
  readonly entityId: string;
  readonly matched: boolean;
  /** When `matched` last changed, epoch milliseconds. */
  readonly since: number;
  /** Per action of the rule (by its id), when it last fired or was reverted, for flap suppression. */
  readonly lastFired: Readonly<Record<string, number>>;
}

/** What an action log entry does: apply an action, or revert one applied before. */
export type RiskActionKind = 'apply' | 'revert';

/**
 * One action on one entity, logged before it runs and updated after:
 * - `pending`: to run at `nextAttemptAt`;
 * - `awaiting-approval`: waits for a person; `declined` when refused;
 * - `deferred`: a maintenance window holds it until `nextAttemptAt`;
 * - `in_flight`: handed to the plugin and not known to have completed;
 * - `done` or `failed` (with `error`), or `skipped` (muted, superseded by a revert) with a reason.
 */
export interface RiskActionLogEntry {
  readonly id: string;
  /** Stable for the (rule, entity, action, edge): running it twice is harmless. */
  readonly idempotencyKey: string;
  readonly ruleId: string;
  readonly entityId: string;
  readonly entityType: EntityType;
  /** The plugin configuration that runs it. */
  readonly actionConfigId: string;
  /** The plugin's action id (`add-to-group`, `apply-impact`). */
  readonly action: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly kind: RiskActionKind;
  /** For a revert, the entry it undoes. */
  readonly revertOf?: string;
  readonly state:
    | 'pending'
    | 'awaiting-approval'
    | 'declined'
    | 'deferred'
    | 'in_flight'
    | 'done'
    | 'failed'
    | 'skipped';
  /** What the plugin said, or why it was skipped. */
  readonly outcome?: string;
  readonly error?: { readonly code: string; readonly message: string; readonly retryable: boolean };
  readonly attempts: number;
  readonly nextAttemptAt: number;
  /** The score and band that triggered it. */
  readonly trigger: { readonly score: NormalizedScore; readonly band: string | null };
  readonly approval?: { readonly by: string; readonly comment?: string; readonly at: number };
  readonly createdAt: number;
  readonly updatedAt: number;
}
