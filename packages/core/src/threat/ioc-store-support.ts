/**
 * Building blocks for {@link IocStore} implementations, so that every backend validates, pages and
 * counts the same way: input checks, page limits, cursors, UTC days and destination states.
 *
 * @module
 */

import { Buffer } from 'node:buffer';
import { type FieldIssue, formatPath, ValidationError } from '../errors/validation-error.js';
import { compareCodePoints } from '../storage/storage-support.js';
import {
  type DestinationState,
  type DestinationStatus,
  type IndicatorKey,
  type IndicatorType,
  indicatorSeverities,
  indicatorTypes,
  type StoredIndicator,
} from './indicator-model.js';
import type { DestinationStateQuery, IndicatorQuery, IndicatorSeriesField } from './ioc-store.js';

const knownTypes = new Set<string>(indicatorTypes);
const knownSeverities = new Set<string>(indicatorSeverities);
const knownStatuses = new Set<string>(['pending', 'shared', 'failed', 'retracted']);
const dayMs = 86_400_000;

/** Indicator types in the order stores list them: by code point. */
export const indicatorTypesInOrder: readonly IndicatorType[] = [...indicatorTypes].sort(compareCodePoints);

/** Longest page any {@link IocStore} method returns. */
export const maxIocPageLimit = 10_000;

/** Most days one {@link IocStore.dailyCounts} call may span (ten years). */
export const maxDailyCountDays = 3_660;

/**
 * The page size for a `limit` option: `fallback` when absent, cut to 10,000 when larger; throws a
 * {@link ValidationError} naming `field` unless it is a positive integer.
 */
export function resolveIocLimit(limit: number | undefined, fallback: number, field = 'limit'): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new ValidationError('invalid page options', [
      { path: field, reason: 'must be a positive integer' },
    ]);
  }
  return Math.min(limit, maxIocPageLimit);
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** `String.prototype.isWellFormed` (Node 20+, several times faster than the expression) when there is one. */
const nativeWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;

function isWellFormed(value: string): boolean {
  return nativeWellFormed ? nativeWellFormed.call(value) : !loneSurrogate.test(value);
}

/** Why `key` is not an indicator key (`undefined` when it is one), as issues under `path`. */
function keyIssues(key: unknown, path: PropertyKey[]): FieldIssue[] {
  if (typeof key !== 'object' || key === null)
    return [{ path: formatPath(path), reason: 'must be an object' }];
  const { type, value } = key as Partial<IndicatorKey>;
  const issues: FieldIssue[] = [];
  if (typeof type !== 'string' || !knownTypes.has(type)) {
    issues.push({
      path: formatPath([...path, 'type']),
      reason: `must be one of ${indicatorTypes.join(', ')}`,
    });
  }
  if (typeof value !== 'string' || value.length === 0) {
    issues.push({ path: formatPath([...path, 'value']), reason: 'must be a non-empty string' });
  } else if (!isWellFormed(value)) {
    issues.push({ path: formatPath([...path, 'value']), reason: 'must not contain a lone surrogate' });
  }
  return issues;
}

/**
 * Checks the fields a store relies on in every record of a `putMany` batch: a known `type`, a
 * non-empty, well-formed `value`, `sources` an array, `merged` and `sightings` objects, `active` a
 * boolean, `createdAt` and `updatedAt` finite numbers, optional timestamps numbers. Throws one
 * {@link ValidationError} listing the problems with their index (`[3].type`); the store then
 * writes nothing.
 */
export function checkIndicatorRecords(records: ReadonlyArray<Omit<StoredIndicator, 'sequence'>>): void {
  if (!Array.isArray(records)) {
    throw new ValidationError('invalid indicators', [{ path: '', reason: 'must be an array' }]);
  }
  let issues: FieldIssue[] | undefined;
  const report = (index: number, field: string, reason: string): void => {
    issues ??= [];
    if (issues.length < 20) issues.push({ path: formatPath([index, field]), reason });
  };
  for (let index = 0; index < records.length; index++) {
    const record = records[index] as Omit<StoredIndicator, 'sequence'>;
    if (typeof record !== 'object' || record === null) {
      issues ??= [];
      issues.push({ path: formatPath([index]), reason: 'must be an object' });
      continue;
    }
    if (!knownTypes.has(record.type)) report(index, 'type', `must be one of ${indicatorTypes.join(', ')}`);
    const value = record.value;
    if (typeof value !== 'string' || value.length === 0) report(index, 'value', 'must be a non-empty string');
    else if (!isWellFormed(value)) report(index, 'value', 'must not contain a lone surrogate');
    if (!Array.isArray(record.sources)) report(index, 'sources', 'must be an array');
    if (typeof record.merged !== 'object' || record.merged === null)
      report(index, 'merged', 'must be an object');
    if (typeof record.sightings !== 'object' || record.sightings === null) {
      report(index, 'sightings', 'must be an object');
    }
    if (typeof record.active !== 'boolean') report(index, 'active', 'must be a boolean');
    if (!Number.isFinite(record.createdAt)) report(index, 'createdAt', 'must be epoch milliseconds');
    if (!Number.isFinite(record.updatedAt)) report(index, 'updatedAt', 'must be epoch milliseconds');
    if (record.expiresAt !== undefined && !Number.isFinite(record.expiresAt)) {
      report(index, 'expiresAt', 'must be epoch milliseconds');
    }
    if (record.inactiveSince !== undefined && !Number.isFinite(record.inactiveSince)) {
      report(index, 'inactiveSince', 'must be epoch milliseconds');
    }
  }
  if (issues) throw new ValidationError('invalid indicators', issues);
}

/** Checks the keys of a `getMany`, `deleteMany` or `getDestinationStates` call. */
export function checkIndicatorKeys(keys: ReadonlyArray<IndicatorKey>): void {
  if (!Array.isArray(keys))
    throw new ValidationError('invalid keys', [{ path: '', reason: 'must be an array' }]);
  const issues: FieldIssue[] = [];
  for (let index = 0; index < keys.length && issues.length < 20; index++) {
    const key = keys[index];
    // Fast path: the usual well-formed key.
    if (
      typeof key === 'object' &&
      key !== null &&
      knownTypes.has(key.type) &&
      typeof key.value === 'string' &&
      key.value.length > 0
    ) {
      continue;
    }
    issues.push(...keyIssues(key, [index]));
  }
  if (issues.length > 0) throw new ValidationError('invalid indicator keys', issues);
}

/** Checks a single key. */
export function checkIndicatorKey(key: IndicatorKey): void {
  const issues = keyIssues(key, []);
  if (issues.length > 0) throw new ValidationError('invalid indicator key', issues);
}

/**
 * Checks an {@link IndicatorQuery}: known types and severities, booleans, finite numbers, a string
 * prefix. Unknown properties are ignored.
 */
export function checkIndicatorQuery(filter: IndicatorQuery | undefined): IndicatorQuery {
  if (filter === undefined) return {};
  const issues: FieldIssue[] = [];
  if (typeof filter !== 'object' || filter === null) {
    throw new ValidationError('invalid indicator query', [{ path: '', reason: 'must be an object' }]);
  }
  const list = (field: 'types' | 'severities', known: ReadonlySet<string>): void => {
    const items = filter[field];
    if (items === undefined) return;
    if (!Array.isArray(items)) issues.push({ path: field, reason: 'must be an array' });
    else {
      items.forEach((item, index) => {
        if (!known.has(item)) {
          issues.push({
            path: formatPath([field, index]),
            reason: `must be one of ${[...known].join(', ')}`,
          });
        }
      });
    }
  };
  list('types', knownTypes);
  list('severities', knownSeverities);
  for (const field of ['active', 'suppressed', 'sighted'] as const) {
    if (filter[field] !== undefined && typeof filter[field] !== 'boolean') {
      issues.push({ path: field, reason: 'must be a boolean' });
    }
  }
  for (const field of ['sourceId', 'tag', 'valuePrefix'] as const) {
    if (filter[field] !== undefined && typeof filter[field] !== 'string') {
      issues.push({ path: field, reason: 'must be a string' });
    }
  }
  for (const field of [
    'createdFrom',
    'createdTo',
    'lastSeenFrom',
    'lastSeenTo',
    'expiresBefore',
    'inactiveBefore',
  ] as const) {
    if (filter[field] !== undefined && !Number.isFinite(filter[field])) {
      issues.push({ path: field, reason: 'must be epoch milliseconds' });
    }
  }
  if (issues.length > 0) throw new ValidationError('invalid indicator query', issues);
  return filter;
}

/**
 * Checks a {@link DestinationStateQuery} and returns its statuses as a set (`undefined`: any
 * status) and its page size (default 1,000, at most 10,000).
 */
export function checkDestinationStateQuery(query: DestinationStateQuery): {
  statuses: ReadonlySet<DestinationStatus> | undefined;
  limit: number;
  after: IndicatorKey | undefined;
} {
  if (typeof query !== 'object' || query === null) {
    throw new ValidationError('invalid destination state query', [{ path: '', reason: 'must be an object' }]);
  }
  checkDestinationId(query.destinationId, 'destinationId');
  let statuses: Set<DestinationStatus> | undefined;
  if (query.statuses !== undefined) {
    if (!Array.isArray(query.statuses) || !query.statuses.every((status) => knownStatuses.has(status))) {
      throw new ValidationError('invalid destination state query', [
        { path: 'statuses', reason: `must be an array of ${[...knownStatuses].join(', ')}` },
      ]);
    }
    statuses = new Set(query.statuses);
  }
  return {
    statuses,
    limit: resolveIocLimit(query.limit, 1_000),
    after: query.cursor === undefined ? undefined : decodeIndicatorCursor(query.cursor),
  };
}

/** Checks a destination id: a non-empty string of at most 512 code units. */
export function checkDestinationId(destinationId: unknown, field = 'destinationId'): string {
  if (typeof destinationId !== 'string' || destinationId.length === 0 || destinationId.length > 512) {
    throw new ValidationError('invalid destination', [
      { path: field, reason: 'must be a non-empty string of at most 512 characters' },
    ]);
  }
  return destinationId;
}

/**
 * Validates destination states for `putDestinationStates` and returns copies holding only the
 * fields of {@link DestinationState}. Throws one {@link ValidationError} naming the index and
 * field of every problem; the store then writes nothing.
 */
export function normalizeDestinationStates(states: ReadonlyArray<DestinationState>): DestinationState[] {
  if (!Array.isArray(states)) {
    throw new ValidationError('invalid destination states', [{ path: '', reason: 'must be an array' }]);
  }
  const issues: FieldIssue[] = [];
  const copies: DestinationState[] = [];
  const optionalString = ['ruleId', 'sentFingerprint'] as const;
  const optionalTime = ['sharedAt', 'retractedAt', 'lastAttemptAt'] as const;
  states.forEach((state, index) => {
    const found = keyIssues(state, [index]);
    if (found.length > 0) {
      issues.push(...found);
      return;
    }
    const at = (field: string, reason: string) => issues.push({ path: formatPath([index, field]), reason });
    if (
      typeof state.destinationId !== 'string' ||
      state.destinationId.length === 0 ||
      state.destinationId.length > 512
    ) {
      at('destinationId', 'must be a non-empty string of at most 512 characters');
    }
    if (!knownStatuses.has(state.status)) at('status', `must be one of ${[...knownStatuses].join(', ')}`);
    if (!Number.isInteger(state.attempts) || state.attempts < 0)
      at('attempts', 'must be a non-negative integer');
    if (!Number.isFinite(state.updatedAt)) at('updatedAt', 'must be epoch milliseconds');
    for (const field of optionalString) {
      if (state[field] !== undefined && typeof state[field] !== 'string') at(field, 'must be a string');
    }
    for (const field of optionalTime) {
      if (state[field] !== undefined && !Number.isFinite(state[field]))
        at(field, 'must be epoch milliseconds');
    }
    const error = state.lastError;
    if (
      error !== undefined &&
      (typeof error !== 'object' ||
        error === null ||
        typeof error.code !== 'string' ||
        typeof error.message !== 'string')
    ) {
      at('lastError', 'must be { code, message } strings');
    }
    const copy: DestinationState = {
      destinationId: state.destinationId,
      type: state.type,
      value: state.value,
      status: state.status,
      attempts: state.attempts,
      updatedAt: state.updatedAt,
    };
    for (const field of optionalString) if (state[field] !== undefined) copy[field] = state[field];
    for (const field of optionalTime) if (state[field] !== undefined) copy[field] = state[field];
    if (error !== undefined) copy.lastError = { code: error.code, message: error.message };
    copies.push(copy);
  });
  if (issues.length > 0) throw new ValidationError('invalid destination states', issues.slice(0, 20));
  return copies;
}

/** An opaque cursor naming the last key of a page. */
export function encodeIndicatorCursor(key: IndicatorKey): string {
  return Buffer.from(JSON.stringify([key.type, key.value]), 'utf8').toString('base64url');
}

/** Reads a cursor made by {@link encodeIndicatorCursor}; throws a {@link ValidationError} otherwise. */
export function decodeIndicatorCursor(cursor: string): IndicatorKey {
  try {
    if (typeof cursor === 'string') {
      const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      if (
        Array.isArray(parsed) &&
        parsed.length === 2 &&
        knownTypes.has(parsed[0]) &&
        typeof parsed[1] === 'string'
      ) {
        return { type: parsed[0] as IndicatorType, value: parsed[1] };
      }
    }
  } catch {
    // Reported below.
  }
  throw new ValidationError('invalid cursor', [
    { path: 'cursor', reason: 'is not a cursor this store returned' },
  ]);
}

/** Orders keys by (type, value), both by code point. */
export function compareIndicatorKeys(a: IndicatorKey, b: IndicatorKey): number {
  return a.type === b.type ? compareCodePoints(a.value, b.value) : compareCodePoints(a.type, b.type);
}

/**
 * The UTC days of a {@link IocStore.dailyCounts} call: the index of the first day (days since
 * the epoch) and how many. Throws a {@link ValidationError} for a bad field or range, or one of
 * more than {@link maxDailyCountDays} days.
 */
export function dailyCountRange(
  field: IndicatorSeriesField,
  from: number,
  to: number,
): { firstDay: number; days: number } {
  const issues: FieldIssue[] = [];
  if (field !== 'createdAt' && field !== 'lastSeen') {
    issues.push({ path: 'field', reason: 'must be createdAt or lastSeen' });
  }
  if (!Number.isFinite(from)) issues.push({ path: 'from', reason: 'must be epoch milliseconds' });
  if (!Number.isFinite(to)) issues.push({ path: 'to', reason: 'must be epoch milliseconds' });
  else if (Number.isFinite(from) && to < from) issues.push({ path: 'to', reason: 'must not be before from' });
  if (issues.length > 0) throw new ValidationError('invalid daily counts', issues);
  const firstDay = Math.floor(from / dayMs);
  const days = to === from ? 0 : Math.floor((to - 1) / dayMs) - firstDay + 1;
  if (days > maxDailyCountDays) {
    throw new ValidationError('invalid daily counts', [
      { path: 'to', reason: `the range must span at most ${maxDailyCountDays} days` },
    ]);
  }
  return { firstDay, days };
}

/** `YYYY-MM-DD` of a day index (days since the epoch). */
export function utcDayString(day: number): string {
  return new Date(day * dayMs).toISOString().slice(0, 10);
}

/** Milliseconds in a UTC day. */
export const utcDayMs = dayMs;

/**
 * A shallow copy of a record with its sequence. Much faster than a spread for the model's fields;
 * a record with other properties must be spread instead (`IndicatorCodec.lastHadExtraFields`
 * tells).
 */
export function withSequence(record: Omit<StoredIndicator, 'sequence'>, sequence: number): StoredIndicator {
  const copy: StoredIndicator = {
    type: record.type,
    value: record.value,
    sources: record.sources,
    merged: record.merged,
    active: record.active,
    sightings: record.sightings,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    sequence,
  };
  if (record.inactiveReason !== undefined) copy.inactiveReason = record.inactiveReason;
  if (record.inactiveSince !== undefined) copy.inactiveSince = record.inactiveSince;
  if (record.expiresAt !== undefined) copy.expiresAt = record.expiresAt;
  if (record.decayScore !== undefined) copy.decayScore = record.decayScore;
  if (record.suppressedBy !== undefined) copy.suppressedBy = record.suppressedBy;
  return copy;
}
