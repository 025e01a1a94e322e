/**
 * Alerts raised by the other modules: an indicator of the threat exchange seen in an event, and a
 * risk score crossing a threshold. Their ids are derived from what makes them the same alert, so
 * that a module reporting the same hit twice (a retry, a replayed page) raises one alert.
 *
 * @module
 */
import type { AlertInput, Severity } from '@ce/core';
import { deterministicAlertId } from './webhook.js';

/** An indicator hit: which indicator was seen, and in which event. */
export interface IndicatorHitInput {
  /** The indicator, as the threat exchange holds it. */
  indicator: {
    /** `url`, `domain`, `sha256`... */
    type: string;
    /** The indicator's value (the URL, the hash). */
    value: string;
    /** @default 'unknown' */
    severity?: Severity;
    /** Reputation 1-10, kept in `raw`. */
    reputation?: number;
    /** Source configurations that reported it, kept in `raw`. */
    sources?: ReadonlyArray<string>;
    /** Tags, kept in `raw`. */
    tags?: ReadonlyArray<string>;
  };
  /** The event it was seen in. */
  event: {
    /** The event's id at its source; without one, its timestamp tells hits apart. */
    id?: string;
    /** Where the event came from (a log source configuration). */
    source?: string;
    /** When it happened, epoch milliseconds. */
    timestamp: number;
    /** The user in the event. */
    user?: string;
    /** The application in the event. */
    app?: string;
    /** The event as received, kept in `raw.event`. */
    raw?: Readonly<Record<string, unknown>>;
  };
}

/**
 * The alert for an indicator seen in an event (type `indicator-hit`, subtype the indicator type).
 * The same indicator in the same event always gives the same id.
 *
 * @example
 * ```ts
 * const alert = alertFromIndicatorHit({
 *   indicator: { type: 'domain', value: 'bad.example', severity: 'high' },
 *   event: { id: 'evt-1', source: 'netskope-logs', timestamp: Date.now(), user: 'alice@example.com' },
 * });
 * await orchestrator.submit([alert], 'cte');
 * ```
 */
export function alertFromIndicatorHit(input: IndicatorHitInput): AlertInput {
  const { indicator, event } = input;
  const id = deterministicAlertId('indicator-hit', [
    indicator.type,
    indicator.value,
    event.source ?? null,
    event.id ?? event.timestamp,
  ]);
  const who = event.user ? ` by ${event.user}` : '';
  const alert: AlertInput = {
    id,
    type: 'indicator-hit',
    subtype: indicator.type.slice(0, 256),
    name: `Indicator ${indicator.type} ${indicator.value}${who}`.slice(0, 1_024),
    severity: indicator.severity ?? 'unknown',
    timestamp: event.timestamp,
    raw: {
      indicator: {
        type: indicator.type,
        value: indicator.value,
        ...(indicator.severity ? { severity: indicator.severity } : {}),
        ...(indicator.reputation !== undefined ? { reputation: indicator.reputation } : {}),
        ...(indicator.sources ? { sources: [...indicator.sources] } : {}),
        ...(indicator.tags ? { tags: [...indicator.tags] } : {}),
      },
      event: {
        ...(event.id !== undefined ? { id: event.id } : {}),
        ...(event.source !== undefined ? { source: event.source } : {}),
        ...(event.raw ?? {}),
      },
    },
  };
  if (event.user) alert.user = event.user.slice(0, 512);
  if (event.app) alert.app = event.app.slice(0, 512);
  return alert;
}

/** A risk score that crossed a threshold. */
export interface RiskThresholdInput {
  /** The entity whose score crossed it. */
  entity: {
    /** The risk exchange's id of the entity. */
    id: string;
    /** `user`, `device`, `application`, or a custom type. */
    type: string;
    /** Its key fields (`email`); a user's `email` (else `upn`, `login`) becomes the alert's user. */
    keys?: Readonly<Record<string, string>>;
    /** A display name. */
    name?: string;
  };
  /** The score now: 0-1000, higher is safer. */
  score: number;
  /** The score before the crossing, when known. */
  previousScore?: number | null;
  /** The threshold crossed. */
  threshold: number;
  /**
   * Which way: `below` (the score fell to or under the threshold: riskier) or `above`.
   * @default 'below'
   */
  direction?: 'below' | 'above';
  /** The rule that watched it, when a rule did; part of the identity of the alert. */
  ruleId?: string;
  /** The band the score is in (`critical`, `high`, `medium`, `low`), when the risk exchange named it. */
  band?: string | null;
  /**
   * When the crossing happened, epoch milliseconds. Part of the identity: the same crossing
   * reported again is the same alert, and a later crossing (after the score recovered) is another.
   */
  crossedAt: number;
}

const bandSeverities: Readonly<Record<string, Severity>> = {
  critical: 'critical',
  high: 'high',
  medium: 'medium',
  low: 'low',
};

/** The risk exchange's default bands: 0-250 critical, 251-500 high, 501-750 medium, 751-1000 low. */
function severityOfScore(score: number): Severity {
  if (!Number.isFinite(score)) return 'unknown';
  if (score <= 250) return 'critical';
  if (score <= 500) return 'high';
  if (score <= 750) return 'medium';
  return 'low';
}

/**
 * The alert for a risk score crossing a threshold (type `risk-threshold`, subtype the entity
 * type). Its severity is the score's band (the one given, else the default bands).
 *
 * @example
 * ```ts
 * const alert = alertFromRiskThreshold({
 *   entity: { id: 'u-1', type: 'user', keys: { email: 'bob@example.com' } },
 *   score: 230, previousScore: 610, threshold: 250, ruleId: 'critical-users', crossedAt: Date.now(),
 * });
 * ```
 */
export function alertFromRiskThreshold(input: RiskThresholdInput): AlertInput {
  const direction = input.direction ?? 'below';
  const { entity } = input;
  const id = deterministicAlertId('risk-threshold', [
    entity.type,
    entity.id,
    input.ruleId ?? null,
    input.threshold,
    direction,
    input.crossedAt,
  ]);
  const keys = entity.keys ?? {};
  const user = entity.type === 'user' ? (keys.email ?? keys.upn ?? keys.login ?? entity.name) : undefined;
  const label = entity.name ?? user ?? Object.values(keys)[0] ?? entity.id;
  const band = input.band?.toLowerCase();
  const severity = (band ? bandSeverities[band] : undefined) ?? severityOfScore(input.score);
  const alert: AlertInput = {
    id,
    type: 'risk-threshold',
    subtype: entity.type.slice(0, 256),
    name: `Risk score of ${entity.type} ${label} went ${direction} ${input.threshold} (${input.score})`.slice(
      0,
      1_024,
    ),
    severity,
    timestamp: input.crossedAt,
    raw: {
      entity: {
        id: entity.id,
        type: entity.type,
        keys: { ...keys },
        ...(entity.name ? { name: entity.name } : {}),
      },
      score: input.score,
      previousScore: input.previousScore ?? null,
      threshold: input.threshold,
      direction,
      ...(input.ruleId !== undefined ? { ruleId: input.ruleId } : {}),
      ...(input.band !== undefined ? { band: input.band } : {}),
    },
  };
  if (user) alert.user = user.slice(0, 512);
  return alert;
}
