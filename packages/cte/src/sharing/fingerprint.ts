import type { SharedIndicator, StoredIndicator } from '@ce/core';

const weekMs = 7 * 86_400_000;

/** What a destination receives for a stored indicator. */
export function toSharedIndicator(indicator: StoredIndicator): SharedIndicator {
  const { merged } = indicator;
  const shared: SharedIndicator = {
    type: indicator.type,
    value: indicator.value,
    severity: merged.severity,
    reputation: merged.reputation,
    tags: merged.tags,
    firstSeen: merged.firstSeen,
    lastSeen: merged.lastSeen,
    sources: indicator.sources
      .filter((record) => record.withdrawnAt === undefined)
      .map((record) => record.sourceId),
  };
  if (merged.confidence !== undefined) shared.confidence = merged.confidence;
  if (merged.comments !== undefined) shared.comments = merged.comments;
  if (merged.externalUrl !== undefined) shared.externalUrl = merged.externalUrl;
  if (merged.tlp !== undefined) shared.tlp = merged.tlp;
  if (indicator.expiresAt !== undefined) shared.expiresAt = indicator.expiresAt;
  return shared;
}

/**
 * A fingerprint of what a destination would receive, to skip indicators whose content has not
 * changed since they were last sent. Last seen is left out (a feed re-pull moves it every time)
 * and the expiry counts by the week, so an indicator seen again is re-sent at most weekly to
 * refresh its expiry at the destination.
 */
export function sharedFingerprint(shared: SharedIndicator): string {
  const text = [
    shared.type,
    shared.value,
    shared.severity,
    shared.reputation,
    shared.confidence ?? '',
    shared.tags.join(','),
    shared.comments ?? '',
    shared.externalUrl ?? '',
    shared.tlp ?? '',
    shared.expiresAt === undefined ? '' : Math.floor(shared.expiresAt / weekMs),
    shared.sources.join(','),
  ].join('\u0001');
  return contentHash(text);
}

/**
 * A 64-bit content hash as text: two 32-bit multiplicative hashes (FNV-1a and a Murmur-style
 * multiplier) over UTF-16 code units. Fast and stable across runs; not for security.
 */
export function contentHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
  }
  return `${(a >>> 0).toString(36)}.${(b >>> 0).toString(36)}`;
}
