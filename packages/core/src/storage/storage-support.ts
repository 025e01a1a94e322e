/**
 * Building blocks for `StorageAdapter` implementations, so that every backend validates,
 * orders and fails the same way: JSON checks, key rules, page limits, code-point ordering, input
 * normalization and a transaction gate for single-connection backends.
 *
 * @module
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { CeError } from '../errors/ce-error.js';
import { type FieldIssue, formatPath, ValidationError } from '../errors/validation-error.js';
import type { AuditEntry, PluginConfigRecord } from './storage-adapter.js';

/** Longest namespace, key or configuration id, in UTF-16 code units. */
const maxNameLength = 512;
const defaultPageLimit = 100;
const maxPageLimit = 1_000;
const maxReportedIssues = 20;

/**
 * Checks a namespace, key or id: a non-empty, well-formed string of at most 512 code units.
 * Throws a {@link ValidationError} naming `field` otherwise.
 */
export function checkStorageName(value: unknown, field: string): string {
  let reason: string | undefined;
  if (typeof value !== 'string') reason = `must be a string, got ${describeType(value)}`;
  else if (value.length === 0) reason = 'must not be empty';
  else if (value.length > maxNameLength) reason = `must be at most ${maxNameLength} characters`;
  else if (!isWellFormed(value)) reason = 'must not contain a lone surrogate';
  if (reason !== undefined) throw new ValidationError(`invalid ${field}`, [{ path: field, reason }]);
  return value as string;
}

function isWellFormed(value: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/**
 * Validates `value` as JSON and returns its JSON text. Throws a {@link ValidationError} listing
 * every offending path (functions, symbols, bigints, cycles, non-finite numbers, `undefined` at the
 * top level or in an array, class instances without `toJSON`); `subject` names what was written,
 * e.g. `value of key "state/cursor"`.
 */
export function toStoredJson(value: unknown, subject: string, details?: Record<string, unknown>): string {
  const issues = jsonIssues(value, []);
  if (issues.length > 0) {
    throw new ValidationError(`${subject} is not JSON`, issues, details ? { details } : {});
  }
  return JSON.stringify(value);
}

function jsonIssues(value: unknown, path: PropertyKey[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  collectJsonIssues(value, path, new Set(), true, issues);
  return issues;
}

function collectJsonIssues(
  input: unknown,
  path: PropertyKey[],
  ancestors: Set<object>,
  required: boolean,
  issues: FieldIssue[],
): void {
  if (issues.length >= maxReportedIssues) return;
  const report = (reason: string): void => {
    issues.push({ path: formatPath(path), reason });
  };
  let value = input;
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    value = (value as { toJSON: (key: string) => unknown }).toJSON(String(path.at(-1) ?? ''));
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) report(`${value} is not a JSON number`);
      return;
    case 'undefined':
      if (required) report('undefined is not JSON; use null');
      return;
    case 'function':
      report('a function is not JSON');
      return;
    case 'symbol':
      report('a symbol is not JSON');
      return;
    case 'bigint':
      report('a bigint is not JSON; store it as a string');
      return;
  }
  if (value === null) return;
  const object = value as object;
  if (ancestors.has(object)) {
    report('circular reference');
    return;
  }
  ancestors.add(object);
  if (Array.isArray(object)) {
    object.forEach((item, index) => {
      collectJsonIssues(item, [...path, index], ancestors, true, issues);
    });
  } else {
    const prototype = Object.getPrototypeOf(object);
    if (prototype !== null && prototype !== Object.prototype) {
      const name = (object as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      report(`a ${name} is not JSON; convert it to a plain object or array`);
    } else {
      for (const [key, item] of Object.entries(object)) {
        collectJsonIssues(item, [...path, key], ancestors, false, issues);
      }
    }
  }
  ancestors.delete(object);
}

/**
 * The page size to use for a `limit` option: 100 when absent, cut to 1,000 when larger; throws a
 * {@link ValidationError} unless it is a positive integer.
 */
export function resolvePageLimit(limit: number | undefined): number {
  if (limit === undefined) return defaultPageLimit;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new ValidationError('invalid list options', [
      { path: 'limit', reason: 'must be a positive integer' },
    ]);
  }
  return Math.min(limit, maxPageLimit);
}

/**
 * Compares two strings by Unicode code point, the order every store lists keys in (the UTF-8
 * byte order of SQLite's `BINARY` collation, unlike `Array.prototype.sort`'s UTF-16 order).
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800-0xDFFF) encode code points above 0xFFFF, so they sort after 0xE000-0xFFFF.
    const xHigh = x >= 0xd800 && x <= 0xdfff;
    const yHigh = y >= 0xd800 && y <= 0xdfff;
    if (xHigh !== yHigh) return xHigh ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * The smallest string greater than every string that starts with `prefix`, or `undefined` when
 * there is none. A store selects keys with a prefix as `key >= prefix AND key < bound`, which an
 * index can serve, instead of `LIKE`, which has wildcards and case rules.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const codePoints = Array.from(prefix, (char) => char.codePointAt(0) as number);
  while (codePoints.length > 0) {
    const last = codePoints.pop() as number;
    if (last < 0x10ffff) {
      codePoints.push(last === 0xd7ff ? 0xe000 : last + 1);
      return String.fromCodePoint(...codePoints);
    }
  }
  return undefined;
}

/** The `CONFLICT` error of a compare-and-set whose expected version did not match. */
export function versionConflictError(subject: string, expected: number, actual: number | undefined): CeError {
  const found = actual === undefined ? 'it does not exist' : `it is at version ${actual}`;
  const wanted = expected === 0 ? 'to not exist' : `version ${expected}`;
  return new CeError('CONFLICT', `${subject} changed: expected ${wanted}, but ${found}`, {
    details: { expectedVersion: expected, actualVersion: actual ?? 0 },
  });
}

/**
 * Checks `expectedVersion` against the stored version (`undefined`: no such record) and throws
 * {@link versionConflictError} on a mismatch. Also rejects an `expectedVersion` that is not a
 * non-negative integer.
 */
export function checkExpectedVersion(
  subject: string,
  expected: number | undefined,
  actual: number | undefined,
): void {
  if (expected === undefined) return;
  if (!Number.isInteger(expected) || expected < 0) {
    throw new ValidationError('invalid write options', [
      { path: 'expectedVersion', reason: 'must be a non-negative integer' },
    ]);
  }
  if (expected !== (actual ?? 0)) throw versionConflictError(subject, expected, actual);
}

/**
 * Validates the input of `PluginConfigStore.put` and returns a copy holding only the record's
 * own fields (`config` deep-copied through JSON). Throws a {@link ValidationError} listing every
 * problem.
 */
export function normalizePluginConfigInput(
  input: Omit<PluginConfigRecord, 'version' | 'createdAt' | 'updatedAt'>,
): Omit<PluginConfigRecord, 'version' | 'createdAt' | 'updatedAt'> {
  const issues: FieldIssue[] = [];
  const record = (typeof input === 'object' && input !== null ? input : {}) as Partial<PluginConfigRecord>;
  try {
    checkStorageName(record.id, 'id');
  } catch (error) {
    issues.push(...(error as ValidationError).issues);
  }
  for (const field of ['pluginId', 'pluginVersion', 'name'] as const) {
    if (typeof record[field] !== 'string' || record[field] === '') {
      issues.push({ path: field, reason: 'must be a non-empty string' });
    }
  }
  if (!Array.isArray(record.modules) || !record.modules.every((m) => typeof m === 'string')) {
    issues.push({ path: 'modules', reason: 'must be an array of strings' });
  }
  if (typeof record.enabled !== 'boolean') issues.push({ path: 'enabled', reason: 'must be a boolean' });
  if (
    record.intervalMs !== undefined &&
    (typeof record.intervalMs !== 'number' || !Number.isFinite(record.intervalMs) || record.intervalMs <= 0)
  ) {
    issues.push({ path: 'intervalMs', reason: 'must be a positive number of milliseconds' });
  }
  if (typeof record.config !== 'object' || record.config === null || Array.isArray(record.config)) {
    issues.push({ path: 'config', reason: 'must be an object' });
  } else {
    issues.push(...jsonIssues(record.config, ['config']));
  }
  if (issues.length > 0) {
    const name = typeof record.id === 'string' ? ` "${record.id}"` : '';
    throw new ValidationError(`invalid plugin configuration${name}`, issues);
  }
  return {
    id: record.id as string,
    pluginId: record.pluginId as string,
    pluginVersion: record.pluginVersion as string,
    name: record.name as string,
    modules: [...(record.modules as string[])],
    enabled: record.enabled as boolean,
    config: JSON.parse(JSON.stringify(record.config)) as Record<string, unknown>,
    ...(record.intervalMs === undefined ? {} : { intervalMs: record.intervalMs }),
  };
}

/**
 * Validates the input of `AuditLog.append` and returns the entry to store, without its
 * sequence: `at` defaults to `now`, `details` is deep-copied through JSON and left out when absent.
 */
export function normalizeAuditInput(
  input: Omit<AuditEntry, 'sequence' | 'at'> & { at?: number },
  now: number,
): Omit<AuditEntry, 'sequence'> {
  const issues: FieldIssue[] = [];
  const entry = (typeof input === 'object' && input !== null ? input : {}) as Partial<AuditEntry>;
  for (const field of ['actor', 'action', 'target'] as const) {
    if (typeof entry[field] !== 'string' || entry[field] === '') {
      issues.push({ path: field, reason: 'must be a non-empty string' });
    }
  }
  if (entry.at !== undefined && (typeof entry.at !== 'number' || !Number.isFinite(entry.at))) {
    issues.push({ path: 'at', reason: 'must be epoch milliseconds' });
  }
  if (entry.details !== undefined) {
    if (typeof entry.details !== 'object' || entry.details === null || Array.isArray(entry.details)) {
      issues.push({ path: 'details', reason: 'must be an object' });
    } else {
      issues.push(...jsonIssues(entry.details, ['details']));
    }
  }
  if (issues.length > 0) throw new ValidationError('invalid audit entry', issues);
  return {
    at: entry.at ?? now,
    actor: entry.actor as string,
    action: entry.action as string,
    target: entry.target as string,
    ...(entry.details === undefined
      ? {}
      : { details: JSON.parse(JSON.stringify(entry.details)) as Record<string, unknown> }),
  };
}

/** The running transaction a {@link StorageGate} hands to its work. */
export interface TransactionScope {
  /** False once the transaction has committed or rolled back. */
  readonly active: boolean;
  /** Throws `INTERNAL` when the transaction has ended: its `tx` stores must not be used any more. */
  assertActive(): void;
}

/**
 * Serializes the operations of a single-connection backend (memory, SQLite): one transaction or
 * one operation at a time, in call order. It also knows, through `AsyncLocalStorage`, whether the
 * caller runs inside one of its transactions, so a call that would wait for that very transaction
 * fails fast instead of hanging. A backend with a connection pool (PostgreSQL) does not need it.
 */
export interface StorageGate {
  /**
   * Runs one operation outside any transaction, after every operation and transaction called
   * before it. Fails with `STORAGE_FAILED` once closing, and with `INTERNAL` when called from
   * inside a running transaction of this gate.
   */
  run<T>(operation: () => T | Promise<T>): Promise<T>;
  /**
   * Runs `operation` inside the caller's running transaction when there is one, otherwise as
   * {@link StorageGate.run}. For stores built on the same connection that want to take part in
   * transactions without a `tx` handle of their own.
   */
  runOrJoin<T>(operation: () => T | Promise<T>): Promise<T>;
  /** Runs `work` exclusively, marking its async context as inside this transaction. */
  transaction<T>(work: (scope: TransactionScope) => Promise<T>): Promise<T>;
  /** Whether the caller runs inside a running transaction of this gate. */
  inTransaction(): boolean;
  /**
   * Refuses new calls, waits for those already queued, then runs `finalize` (closing the
   * connection). Calling it again returns the same promise.
   */
  close(finalize?: () => void | Promise<void>): Promise<void>;
  /** True from the moment {@link StorageGate.close} is called. */
  readonly closed: boolean;
}

/**
 * Creates a {@link StorageGate}; `kind` names the backend in errors.
 *
 * @example
 * ```ts
 * const gate = createStorageGate('sqlite');
 * const value = await gate.run(() => statement.get(key));
 * await gate.transaction(async (scope) => { ... });
 * ```
 */
export function createStorageGate(kind: string): StorageGate {
  const context = new AsyncLocalStorage<TransactionScope>();
  let tail: Promise<void> = Promise.resolve();
  let closing: Promise<void> | undefined;

  const acquire = (): Promise<() => void> => {
    let release!: () => void;
    const next = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = tail;
    tail = previous.then(() => next);
    return previous.then(() => release);
  };

  const currentScope = (): TransactionScope | undefined => {
    const scope = context.getStore();
    return scope?.active ? scope : undefined;
  };

  const checkOpen = (): void => {
    if (closing) throw new CeError('STORAGE_FAILED', `${kind} storage is closed`, { retryable: false });
    if (currentScope()) {
      throw new CeError(
        'INTERNAL',
        `${kind} storage was called from inside its own transaction; use the \`tx\` stores passed to transaction()`,
      );
    }
  };

  const run = async <T>(operation: () => T | Promise<T>): Promise<T> => {
    checkOpen();
    const release = await acquire();
    try {
      return await operation();
    } finally {
      release();
    }
  };

  return {
    run,
    runOrJoin: async (operation) => (currentScope() ? operation() : run(operation)),
    async transaction(work) {
      checkOpen();
      const release = await acquire();
      let active = true;
      const scope: TransactionScope = {
        get active() {
          return active;
        },
        assertActive() {
          if (!active) throw new CeError('INTERNAL', `${kind} storage transaction has already ended`);
        },
      };
      try {
        return await context.run(scope, () => work(scope));
      } finally {
        active = false;
        release();
      }
    },
    inTransaction: () => currentScope() !== undefined,
    close(finalize) {
      if (closing) return closing;
      if (currentScope()) {
        return Promise.reject(
          new CeError('INTERNAL', `${kind} storage cannot be closed from inside a transaction`),
        );
      }
      closing = (async () => {
        const release = await acquire();
        try {
          await finalize?.();
        } catch (cause) {
          throw new CeError('STORAGE_FAILED', `${kind} storage failed to close`, { cause, retryable: false });
        } finally {
          release();
        }
      })();
      return closing;
    },
    get closed() {
      return closing !== undefined;
    },
  };
}
