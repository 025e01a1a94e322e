import { createMemoryIocStore } from '../threat/memory-ioc-store.js';
import { createMemoryTicketStore } from '../tickets/memory-ticket-store.js';
import { type Clock, systemClock } from '../time/clock.js';
import type {
  AuditEntry,
  AuditLog,
  AuditQuery,
  KeyValueStore,
  ListOptions,
  Page,
  PluginConfigRecord,
  PluginConfigStore,
  StorageAdapter,
  StorageStores,
  VersionedEntry,
  WriteOptions,
} from './storage-adapter.js';
import {
  checkExpectedVersion,
  checkStorageName,
  compareCodePoints,
  createStorageGate,
  normalizeAuditInput,
  normalizePluginConfigInput,
  resolvePageLimit,
  type TransactionScope,
  toStoredJson,
} from './storage-support.js';

/** Options of {@link createMemoryStorage}. */
export interface MemoryStorageOptions {
  /**
   * Time source for `updatedAt`, `createdAt` and audit entries without `at`.
   * @default systemClock
   */
  clock?: Clock;
}

interface StoredEntry {
  /** JSON text: every read parses a fresh copy. */
  text: string;
  version: number;
  updatedAt: number;
}

/** Restores one change; a transaction that throws runs its journal backwards. */
type Undo = () => void;

/**
 * Storage held in process memory: for tests, examples and hosts that need no durability
 * (`durable` is false). It behaves like the durable adapters, down to JSON-only values, copies,
 * compare-and-set and atomic, serialized transactions, so code tested on it runs unchanged on
 * SQLite or PostgreSQL.
 *
 * Transactions write in place and keep an undo journal, replayed backwards when `work` throws.
 * Every call, reads included, waits for a running transaction, so nothing outside it sees its
 * uncommitted writes.
 *
 * @example
 * ```ts
 * const storage = createMemoryStorage({ clock: new FakeClock() });
 * await storage.init();
 * await storage.transaction(async (tx) => {
 *   const version = await tx.keyValue.set('checkpoints', 'netskope-prod', { cursor: 'abc' });
 *   await tx.audit.append({ actor: 'system', action: 'checkpoint-saved', target: 'netskope-prod', details: { version } });
 * });
 * ```
 */
export function createMemoryStorage(options: MemoryStorageOptions = {}): StorageAdapter {
  const clock = options.clock ?? systemClock;
  const gate = createStorageGate('memory');
  const namespaces = new Map<string, Map<string, StoredEntry>>();
  const configs = new Map<string, string>();
  const auditEntries: string[] = [];
  let lastSequence = 0;

  const keySubject = (namespace: string, key: string): string => `key "${key}" in namespace "${namespace}"`;

  const kv = {
    get<T>(namespace: string, key: string): VersionedEntry<T> | undefined {
      checkStorageName(namespace, 'namespace');
      checkStorageName(key, 'key');
      const entry = namespaces.get(namespace)?.get(key);
      return entry ? toVersionedEntry<T>(key, entry) : undefined;
    },
    set(
      namespace: string,
      key: string,
      value: unknown,
      write: WriteOptions | undefined,
      journal?: Undo[],
    ): number {
      checkStorageName(namespace, 'namespace');
      checkStorageName(key, 'key');
      const text = toStoredJson(value, `value of ${keySubject(namespace, key)}`, { namespace, key });
      let entries = namespaces.get(namespace);
      const previous = entries?.get(key);
      checkExpectedVersion(keySubject(namespace, key), write?.expectedVersion, previous?.version);
      if (!entries) {
        entries = new Map();
        namespaces.set(namespace, entries);
      }
      const version = (previous?.version ?? 0) + 1;
      entries.set(key, { text, version, updatedAt: clock.now() });
      journal?.push(restoreEntry(namespace, key, previous));
      return version;
    },
    delete(namespace: string, key: string, write: WriteOptions | undefined, journal?: Undo[]): boolean {
      checkStorageName(namespace, 'namespace');
      checkStorageName(key, 'key');
      const previous = namespaces.get(namespace)?.get(key);
      if (write?.expectedVersion !== 0 || previous) {
        checkExpectedVersion(keySubject(namespace, key), write?.expectedVersion, previous?.version);
      }
      if (!previous) return false;
      const entries = namespaces.get(namespace);
      entries?.delete(key);
      if (entries?.size === 0) namespaces.delete(namespace);
      journal?.push(restoreEntry(namespace, key, previous));
      return true;
    },
    list<T>(namespace: string, list: ListOptions = {}): Page<VersionedEntry<T>> {
      checkStorageName(namespace, 'namespace');
      const limit = resolvePageLimit(list.limit);
      const prefix = list.prefix ?? '';
      const after = list.after;
      const keys: string[] = [];
      for (const key of namespaces.get(namespace)?.keys() ?? []) {
        if (key.startsWith(prefix) && (after === undefined || compareCodePoints(key, after) > 0))
          keys.push(key);
      }
      keys.sort(compareCodePoints);
      const entries = namespaces.get(namespace);
      const items = keys
        .slice(0, limit)
        .map((key) => toVersionedEntry<T>(key, entries?.get(key) as StoredEntry));
      const last = items.at(-1);
      return keys.length > limit && last ? { items, nextCursor: last.key } : { items };
    },
  };

  const restoreEntry =
    (namespace: string, key: string, previous: StoredEntry | undefined): Undo =>
    () => {
      let entries = namespaces.get(namespace);
      if (!entries) {
        entries = new Map();
        namespaces.set(namespace, entries);
      }
      if (previous) entries.set(key, previous);
      else entries.delete(key);
      if (entries.size === 0) namespaces.delete(namespace);
    };

  const pluginConfigs = {
    get(id: string): PluginConfigRecord | undefined {
      checkStorageName(id, 'id');
      const text = configs.get(id);
      return text === undefined ? undefined : (JSON.parse(text) as PluginConfigRecord);
    },
    list(): PluginConfigRecord[] {
      return [...configs.keys()]
        .sort(compareCodePoints)
        .map((id) => JSON.parse(configs.get(id) as string) as PluginConfigRecord);
    },
    put(
      input: Omit<PluginConfigRecord, 'version' | 'createdAt' | 'updatedAt'>,
      write: WriteOptions | undefined,
      journal?: Undo[],
    ): PluginConfigRecord {
      const record = normalizePluginConfigInput(input);
      const previousText = configs.get(record.id);
      const previous =
        previousText === undefined ? undefined : (JSON.parse(previousText) as PluginConfigRecord);
      checkExpectedVersion(`plugin configuration "${record.id}"`, write?.expectedVersion, previous?.version);
      const now = clock.now();
      const stored: PluginConfigRecord = {
        ...record,
        version: (previous?.version ?? 0) + 1,
        createdAt: previous?.createdAt ?? now,
        updatedAt: now,
      };
      const text = JSON.stringify(stored);
      configs.set(record.id, text);
      journal?.push(restoreConfig(record.id, previousText));
      return JSON.parse(text) as PluginConfigRecord;
    },
    delete(id: string, write: WriteOptions | undefined, journal?: Undo[]): boolean {
      checkStorageName(id, 'id');
      const previousText = configs.get(id);
      const previous =
        previousText === undefined ? undefined : (JSON.parse(previousText) as PluginConfigRecord);
      if (write?.expectedVersion !== 0 || previous) {
        checkExpectedVersion(`plugin configuration "${id}"`, write?.expectedVersion, previous?.version);
      }
      if (previousText === undefined) return false;
      configs.delete(id);
      journal?.push(restoreConfig(id, previousText));
      return true;
    },
  };

  const restoreConfig =
    (id: string, previousText: string | undefined): Undo =>
    () => {
      if (previousText === undefined) configs.delete(id);
      else configs.set(id, previousText);
    };

  const audit = {
    append(input: Omit<AuditEntry, 'sequence' | 'at'> & { at?: number }, journal?: Undo[]): AuditEntry {
      const entry: AuditEntry = { sequence: lastSequence + 1, ...normalizeAuditInput(input, clock.now()) };
      lastSequence = entry.sequence;
      const text = JSON.stringify(entry);
      auditEntries.push(text);
      journal?.push(() => {
        auditEntries.pop();
        lastSequence = entry.sequence - 1;
      });
      return JSON.parse(text) as AuditEntry;
    },
    list(query: AuditQuery = {}): AuditEntry[] {
      const limit = resolvePageLimit(query.limit);
      const after = query.afterSequence ?? 0;
      const found: AuditEntry[] = [];
      for (const text of auditEntries) {
        if (found.length >= limit) break;
        const entry = JSON.parse(text) as AuditEntry;
        if (entry.sequence > after && (query.target === undefined || entry.target === query.target)) {
          found.push(entry);
        }
      }
      return found;
    },
  };

  const iocs = createMemoryIocStore({ gate });
  const tickets = createMemoryTicketStore({ gate });

  const outside: StorageStores = {
    keyValue: {
      get: (namespace, key) => gate.run(() => kv.get(namespace, key)),
      set: (namespace, key, value, write) => gate.run(() => kv.set(namespace, key, value, write)),
      delete: (namespace, key, write) => gate.run(() => kv.delete(namespace, key, write)),
      list: (namespace, list) => gate.run(() => kv.list(namespace, list)),
    } satisfies KeyValueStore,
    pluginConfigs: {
      get: (id) => gate.run(() => pluginConfigs.get(id)),
      list: () => gate.run(() => pluginConfigs.list()),
      put: (record, write) => gate.run(() => pluginConfigs.put(record, write)),
      delete: (id, write) => gate.run(() => pluginConfigs.delete(id, write)),
    } satisfies PluginConfigStore,
    audit: {
      append: (entry) => gate.run(() => audit.append(entry)),
      list: (query) => gate.run(() => audit.list(query)),
    } satisfies AuditLog,
  };

  const transactionStores = (scope: TransactionScope, journal: Undo[]): StorageStores => {
    // Async so that a failed check or write becomes a rejection, like every other call.
    const inside = async <T>(operation: () => T): Promise<T> => {
      scope.assertActive();
      return operation();
    };
    return {
      keyValue: {
        get: (namespace, key) => inside(() => kv.get(namespace, key)),
        set: (namespace, key, value, write) => inside(() => kv.set(namespace, key, value, write, journal)),
        delete: (namespace, key, write) => inside(() => kv.delete(namespace, key, write, journal)),
        list: (namespace, list) => inside(() => kv.list(namespace, list)),
      },
      pluginConfigs: {
        get: (id) => inside(() => pluginConfigs.get(id)),
        list: () => inside(() => pluginConfigs.list()),
        put: (record, write) => inside(() => pluginConfigs.put(record, write, journal)),
        delete: (id, write) => inside(() => pluginConfigs.delete(id, write, journal)),
      },
      audit: {
        append: (entry) => inside(() => audit.append(entry, journal)),
        list: (query) => inside(() => audit.list(query)),
      },
    };
  };

  return {
    kind: 'memory',
    durable: false,
    ...outside,
    iocs,
    tickets,
    init: () => gate.run(() => undefined),
    transaction: (work) =>
      gate.transaction(async (scope) => {
        const journal: Undo[] = [];
        try {
          return await work(transactionStores(scope, journal));
        } catch (error) {
          for (let i = journal.length - 1; i >= 0; i--) journal[i]?.();
          throw error;
        }
      }),
    close: () => gate.close(),
  };
}

function toVersionedEntry<T>(key: string, entry: StoredEntry): VersionedEntry<T> {
  return { key, value: JSON.parse(entry.text) as T, version: entry.version, updatedAt: entry.updatedAt };
}
