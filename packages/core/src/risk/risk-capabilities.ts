/**
 * What a plugin offers the risk exchange: a source of scores and entities, actions on entities,
 * or both.
 *
 * @module
 */
import type { z } from 'zod';
import type { PluginContext } from '../plugin/plugin-context.js';
import type { SourceCheckpoint } from '../threat/threat-capabilities.js';
import type { EntityType, RiskNormalizationSpec, RiskObservationInput } from './risk-model.js';

/** What the exchange asks a risk source for. */
export interface RiskPullRequest {
  /** The entity type to read. */
  entityType: EntityType;
  /** Where the last stored page left off; `undefined` on the first pull. */
  checkpoint: SourceCheckpoint | undefined;
}

/** One page of observations. */
export interface RiskPage {
  /** Observations; invalid ones are rejected with a reason and the rest of the page goes through. */
  observations: ReadonlyArray<RiskObservationInput>;
  /** Where to continue; stored once the page is stored. */
  checkpoint: SourceCheckpoint;
  /** Whether more pages are ready now. */
  more: boolean;
}

/** A source of risk scores (a user confidence index, a device score, a vendor rating). */
export interface RiskSourceCapability<Config> {
  /** The entity types it scores. */
  entityTypes(config: Config): ReadonlyArray<EntityType>;
  /**
   * How its raw values become normalized scores unless the configuration overrides it, per entity
   * type: for example KnowBe4's 0-100 risk, higher riskier, is `linear` inverted.
   */
  defaultNormalization(config: Config, entityType: EntityType): RiskNormalizationSpec;
  /** Pulls the page after `request.checkpoint`. */
  pull(context: PluginContext<Config>, request: RiskPullRequest): Promise<RiskPage>;
}

/** An action a plugin can run on entities, as rules and user interfaces see it. */
export interface RiskActionDescriptor {
  /** Stable id within the plugin (`add-to-group`, `remove-from-group`, `apply-impact`). */
  id: string;
  /** Display name. */
  name: string;
  /** The entity types it applies to. */
  entityTypes: ReadonlyArray<EntityType>;
  /** Schema of its parameters (a group, an impact); validated when a rule is saved. */
  parameters?: z.ZodType;
  /** Whether {@link RiskActionCapability.execute} can undo it (`revert: true` items). */
  revertible: boolean;
  /** Most items per execute call. @default 100 */
  maxBatch?: number;
}

/** One entity to act on, within an execute call. */
export interface RiskActionItem {
  /** Stable for this (rule, entity, action, edge): the plugin may use it to skip a repeat. */
  idempotencyKey: string;
  /** The entity as the exchange knows it. */
  entity: {
    id: string;
    type: EntityType;
    keys: Readonly<Record<string, string>>;
    aliases: ReadonlyArray<string>;
    fields: Readonly<Record<string, unknown>>;
  };
  /** Undo the action instead of applying it. */
  revert: boolean;
}

/** The outcome of one item; a whole-call failure is a thrown `CeError` instead. */
export type RiskActionResult =
  | { idempotencyKey: string; ok: true; message?: string }
  | { idempotencyKey: string; ok: false; error: { code: string; message: string; retryable: boolean } };

/** Actions on entities: move a user between groups, apply an impact to a score. */
export interface RiskActionCapability<Config> {
  /** The actions a configuration offers. */
  actions(config: Config): ReadonlyArray<RiskActionDescriptor>;
  /**
   * Runs one action on up to its `maxBatch` entities. Applying an action already in effect (the
   * user is in the group) succeeds; so does reverting one not in effect.
   */
  execute(
    context: PluginContext<Config>,
    request: {
      action: string;
      parameters: Readonly<Record<string, unknown>>;
      items: ReadonlyArray<RiskActionItem>;
    },
  ): Promise<RiskActionResult[]>;
}

/** What a plugin offers the risk exchange. */
export interface RiskExchangeCapabilities<Config> {
  /** Reads scores and entities. */
  source?: RiskSourceCapability<Config>;
  /** Acts on entities. */
  actions?: RiskActionCapability<Config>;
}
