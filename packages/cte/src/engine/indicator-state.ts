import type { StoredIndicator } from '@ce/core';
import { type DecayModel, decayExpiry, decayScore } from '../aging/decay.js';
import type { SourcePolicyLookup } from './reconcile.js';
import { expiryFor, type IndicatorPolicy } from './source-policy.js';

/** The lifecycle fields of a stored indicator. */
export type IndicatorState = Pick<
  StoredIndicator,
  'active' | 'inactiveReason' | 'inactiveSince' | 'expiresAt' | 'decayScore'
>;

/**
 * Works out whether an indicator is active and until when, from its source records and merged
 * view: it expires when every current source's expiry has passed (a source's own expiry, or last
 * seen plus the source's or the type's expiry) or when its decay score falls under the threshold;
 * it is inactive while the merged verdict is safe or every source has withdrawn it, and while a
 * user has deactivated it.
 */
export function computeState(
  indicator: Pick<StoredIndicator, 'type' | 'sources' | 'merged'>,
  previous: Pick<StoredIndicator, 'active' | 'inactiveReason' | 'inactiveSince'> | undefined,
  policy: IndicatorPolicy,
  policies: SourcePolicyLookup,
  decay: DecayModel | undefined,
  now: number,
): IndicatorState {
  let currentCount = 0;
  let expiresAt = 0;
  for (const record of indicator.sources) {
    if (record.withdrawnAt !== undefined) continue;
    currentCount++;
    const expiry =
      record.expiresAt ?? record.lastSeen + expiryFor(policy, policies(record.sourceId), indicator.type);
    if (expiry > expiresAt) expiresAt = expiry;
  }
  let score: number | undefined;
  let decayed = false;
  if (decay) {
    score = decayScore(decay, now - indicator.merged.lastSeen);
    const decayedAt = indicator.merged.lastSeen + decayExpiry(decay);
    if (currentCount > 0 && decayedAt < expiresAt) expiresAt = decayedAt;
    decayed = score < decay.threshold;
  }
  let reason: StoredIndicator['inactiveReason'];
  if (previous?.inactiveReason === 'manual') reason = 'manual';
  else if (currentCount === 0) reason = 'withdrawn';
  else if (indicator.merged.safe) reason = 'safe';
  else if (decayed) reason = 'decayed';
  else if (expiresAt <= now) reason = 'expired';
  const state: IndicatorState = { active: reason === undefined };
  if (currentCount > 0) state.expiresAt = expiresAt;
  if (score !== undefined) state.decayScore = score;
  if (reason !== undefined) {
    state.inactiveReason = reason;
    state.inactiveSince =
      previous && !previous.active && previous.inactiveSince !== undefined ? previous.inactiveSince : now;
  }
  return state;
}
