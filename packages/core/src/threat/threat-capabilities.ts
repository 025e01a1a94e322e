import type { z } from 'zod';
import type { PluginContext } from '../plugin/plugin-context.js';
import type { ItemResult } from '../schemas/common.js';
import type {
  IndicatorKey,
  IndicatorReportInput,
  IndicatorSeverity,
  IndicatorType,
  Tlp,
} from './indicator-model.js';

/** JSON a source stores as its checkpoint: a cursor, a timestamp, an ETag. */
export type SourceCheckpoint =
  | string
  | number
  | boolean
  | null
  | { [key: string]: SourceCheckpoint }
  | SourceCheckpoint[];

/**
 * One batch of a pull. The engine persists `checkpoint` only after the batch is stored, so a
 * crash resumes after the last stored batch, never skipping one.
 */
export interface IndicatorBatch {
  indicators: ReadonlyArray<IndicatorReportInput>;
  /** Where to resume after this batch. */
  checkpoint?: SourceCheckpoint;
}

/**
 * A source of indicators: a feed, a TAXII collection, a vendor API.
 *
 * - `incremental` sources report what is new or changed since the checkpoint.
 * - `full` sources return the complete current list on every pull (a feed file); after a pull
 *   that completes, indicators the source reported before and did not report now are withdrawn
 *   and retracted from destinations.
 */
export interface ThreatSourceCapability<Config> {
  mode: 'incremental' | 'full';
  /** Pulls batches, starting after `checkpoint` (undefined on the first pull). */
  pull(
    context: PluginContext<Config>,
    checkpoint: SourceCheckpoint | undefined,
  ): AsyncIterable<IndicatorBatch>;
  /**
   * Optional: of the given indicators, those the source no longer reports (revoked, deleted), so
   * they can be retracted.
   */
  listRetracted?(context: PluginContext<Config>, keys: ReadonlyArray<IndicatorKey>): Promise<IndicatorKey[]>;
}

/** What a destination receives for each indicator. */
export interface SharedIndicator extends IndicatorKey {
  severity: IndicatorSeverity;
  reputation: number;
  confidence?: number;
  tags: string[];
  comments?: string;
  externalUrl?: string;
  tlp?: Tlp;
  firstSeen: number;
  lastSeen: number;
  expiresAt?: number;
  /** Source configuration ids that reported it. */
  sources: string[];
}

/** An action a destination offers (`block`, `alert`, `add to list "phishing"`). */
export interface DestinationAction {
  id: string;
  label: string;
  description?: string;
  /** Schema of the action's parameters (a list name, a policy action); validated when a rule is saved. */
  parameters?: z.ZodType;
  /** Indicator types the action accepts; others are skipped with a reason. */
  indicatorTypes: ReadonlyArray<IndicatorType>;
}

/** The action chosen by a sharing rule, with its validated parameters. */
export interface ChosenAction {
  id: string;
  parameters: Record<string, unknown>;
}

/** Limits a destination declares; the engine never sends a batch over them. */
export interface DestinationLimits {
  /** Most indicators per `push`/`retract` call. */
  maxBatchCount: number;
  /** Most bytes of the JSON-encoded indicators per call, if the API bounds request size. */
  maxBatchBytes?: number;
  /** Most indicators the destination holds in total (a tenant cap); the rest are reported as not fitting. */
  maxTotal?: number;
}

/**
 * A destination of indicators: a gateway's URL list, an EDR's IOC store.
 *
 * - `incremental` destinations patch: `push` adds or updates, `retract` removes.
 * - `replace` destinations hold a whole list that each push replaces: the engine always sends the
 *   complete current set for the rule, and retraction happens by leaving indicators out.
 */
export interface ThreatDestinationCapability<Config> {
  mode: 'incremental' | 'replace';
  limits: DestinationLimits;
  /** The actions the destination offers. */
  getActions(config: Config): ReadonlyArray<DestinationAction>;
  /** Sends indicators; returns a result per indicator, keyed by `type:value`. */
  push(
    context: PluginContext<Config>,
    indicators: ReadonlyArray<SharedIndicator>,
    action: ChosenAction,
  ): Promise<ReadonlyArray<ItemResult>>;
  /** Removes indicators; for incremental destinations that support removal. */
  retract?(
    context: PluginContext<Config>,
    indicators: ReadonlyArray<IndicatorKey>,
    action: ChosenAction,
  ): Promise<ReadonlyArray<ItemResult>>;
}

/** The threat exchange capabilities of a plugin. */
export interface ThreatExchangeCapabilities<Config> {
  source?: ThreatSourceCapability<Config>;
  destination?: ThreatDestinationCapability<Config>;
}
