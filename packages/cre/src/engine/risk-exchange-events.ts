import type { EntityType } from '@ce/core';

/** One entity whose score or band changed in a committed batch. */
export interface RiskScoreChangedItem {
  entityId: string;
  entityType: EntityType;
  previousScore: number | null;
  score: number | null;
  previousBand: string | null;
  band: string | null;
}

/** Scores or bands that changed in one committed batch (`risk-scores-changed`). */
export interface RiskScoresChangedEvent {
  /** The source configuration whose observations caused it; absent for a rescore. */
  sourceConfigId?: string;
  changes: RiskScoreChangedItem[];
}

declare module '@ce/core' {
  interface CloudExchangeEvents {
    /** Entities' scores or bands changed; published after the batch is committed. */
    'risk-scores-changed': RiskScoresChangedEvent;
  }
}
