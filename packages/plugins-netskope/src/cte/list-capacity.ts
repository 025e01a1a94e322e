import { indicatorSeverities, type SharedIndicator } from '@ce/core';

/** One indicator's entries, keyed by `type:value`. */
export interface ListCandidate {
  key: string;
  entries: ReadonlyArray<string>;
}

/** The caps of one list. */
export interface ListCaps {
  /** Most entries the list holds. */
  maxEntries: number;
  /** Most bytes of the list's content, as counted by `entryBytes`. */
  maxBytes: number;
  /** Bytes one entry adds, separator included. */
  entryBytes: (entry: string) => number;
  /** Bytes of an empty list. @default 0 */
  baseBytes?: number;
}

/** What fitted a list and what did not. */
export interface FittedList {
  /** Distinct entries, in code-point order. */
  entries: string[];
  /** Keys of the candidates whose every entry is in the list. */
  fitted: Set<string>;
  /** Candidates left out, with the cap they hit. */
  overflow: Array<{ key: string; cap: 'entries' | 'bytes' }>;
  /** Bytes of the content, as counted by the caps. */
  bytes: number;
}

/** Bytes an entry adds to a JSON array of strings: its JSON form and a comma. */
export function jsonArrayEntryBytes(entry: string): number {
  return Buffer.byteLength(JSON.stringify(entry)) + 1;
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Orders indicators for filling a capped list, deterministically: most severe first, then most
 * recently seen, then by key (the engine keeps the same priority when it caps a set).
 */
export function capacityOrder<T extends Pick<SharedIndicator, 'severity' | 'lastSeen'> & { key: string }>(
  items: ReadonlyArray<T>,
): T[] {
  return [...items].sort(
    (a, b) =>
      indicatorSeverities.indexOf(b.severity) - indicatorSeverities.indexOf(a.severity) ||
      b.lastSeen - a.lastSeen ||
      byCodePoint(a.key, b.key),
  );
}

/**
 * Fills a list with candidates in the order given, all of a candidate's entries or none; an entry
 * two candidates share is stored and counted once. A candidate that does not fit is skipped and
 * later, smaller ones may still fit under the byte cap.
 */
export function fitList(candidates: ReadonlyArray<ListCandidate>, caps: ListCaps): FittedList {
  const seen = new Set<string>();
  const fitted = new Set<string>();
  const overflow: FittedList['overflow'] = [];
  let bytes = caps.baseBytes ?? 0;
  for (const candidate of candidates) {
    let added: string[] = [];
    let cost = 0;
    for (const entry of candidate.entries) {
      if (seen.has(entry) || added.includes(entry)) continue;
      added.push(entry);
      cost += caps.entryBytes(entry);
    }
    if (seen.size + added.length > caps.maxEntries) {
      overflow.push({ key: candidate.key, cap: 'entries' });
      continue;
    }
    if (bytes + cost > caps.maxBytes) {
      overflow.push({ key: candidate.key, cap: 'bytes' });
      continue;
    }
    for (const entry of added) seen.add(entry);
    added = [];
    bytes += cost;
    fitted.add(candidate.key);
  }
  // The default sort compares UTF-16 code units, the same order as `<`, and is much faster on strings.
  return { entries: [...seen].sort(), fitted, overflow, bytes };
}

/**
 * Splits entries into consecutive chunks whose JSON arrays stay under `maxBytes` each (at least
 * one entry per chunk).
 */
export function chunkEntries(entries: ReadonlyArray<string>, maxBytes: number): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let bytes = 2;
  for (const entry of entries) {
    const size = jsonArrayEntryBytes(entry);
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 2;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0 || chunks.length === 0) chunks.push(current);
  return chunks;
}
