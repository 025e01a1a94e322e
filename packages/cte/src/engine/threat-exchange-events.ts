import type { IndicatorKey } from '@ce/core';

/** Indicators a source reported for the first time. */
export interface IndicatorsAddedEvent {
  sourceId: string;
  keys: IndicatorKey[];
}

/** Indicators whose content changed (merged view, state, suppression). */
export interface IndicatorsUpdatedEvent {
  sourceId?: string;
  keys: IndicatorKey[];
}

/** Indicators that became inactive because they expired or decayed. */
export interface IndicatorsExpiredEvent {
  keys: IndicatorKey[];
}

/** Indicators a destination accepted. */
export interface IndicatorsSharedEvent {
  ruleId: string;
  destinationId: string;
  keys: IndicatorKey[];
}

/** Indicators removed from a destination. */
export interface IndicatorsRetractedEvent {
  ruleId: string;
  destinationId: string;
  keys: IndicatorKey[];
}

/** An indicator was seen by a system. */
export interface IndicatorSightedEvent extends IndicatorKey {
  system: string;
  count: number;
  at: number;
}

/**
 * Threat exchange events, on the exchange's bus. Events carry batches: one ingest batch or one
 * destination batch is one event.
 */
export interface ThreatExchangeEvents {
  'indicator-added': IndicatorsAddedEvent;
  'indicator-updated': IndicatorsUpdatedEvent;
  'indicator-expired': IndicatorsExpiredEvent;
  'indicator-shared': IndicatorsSharedEvent;
  'indicator-retracted': IndicatorsRetractedEvent;
  'indicator-sighted': IndicatorSightedEvent;
}

declare module '@ce/core' {
  interface CloudExchangeEvents extends ThreatExchangeEvents {}
}
