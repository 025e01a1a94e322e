import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CeError } from '../errors/ce-error.js';
import type { ErrorCode } from '../errors/error-codes.js';
import type {
  AuditEntry,
  PluginConfigRecord,
  StorageAdapter,
  StorageStores,
  VersionedEntry,
} from '../storage/storage-adapter.js';
import { FakeClock } from '../time/clock.js';

/** What a {@link StorageConformanceFactory} returns: a fresh, empty adapter and how to reopen it. */
export interface StorageConformanceSubject {
  /** A new adapter over empty storage. The suite calls `init()` and `close()`. */
  storage: StorageAdapter;
  /**
   * Opens a new adapter over the same data, after the suite has closed `storage`. Without it, or
   * when `storage.durable` is false, the durability tests are skipped.
   */
  reopen?: () => Promise<StorageAdapter>;
  /** Removes what the subject left behind (a temporary file), after the adapter is closed. */
  cleanup?: () => Promise<void>;
}

/** What the suite hands its factory. */
export interface StorageConformanceContext {
  /**
   * The clock the adapter must use, so the suite can check `updatedAt`, `createdAt` and audit
   * times exactly.
   */
  clock: FakeClock;
}

/** Creates the adapter under test; called once before every test. */
export type StorageConformanceFactory = (
  context: StorageConformanceContext,
) => Promise<StorageConformanceSubject>;

const namespace = 'conformance';

function sampleConfig(
  id: string,
  overrides: Partial<Omit<PluginConfigRecord, 'version' | 'createdAt' | 'updatedAt'>> = {},
): Omit<PluginConfigRecord, 'version' | 'createdAt' | 'updatedAt'> {
  return {
    id,
    pluginId: 'sample',
    pluginVersion: '1.0.0',
    name: `Sample ${id}`,
    modules: ['cte', 'cto'],
    enabled: true,
    config: {
      baseUrl: 'https://sample.example',
      token: { secretRef: 'secret://sample/token' },
      tags: ['a', 'b'],
    },
    ...overrides,
  };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<CeError> {
  const error = await rejectionOf(promise);
  expect(CeError.isInstance(error), `expected a CeError, got ${String(error)}`).toBe(true);
  expect((error as CeError).code).toBe(code);
  return error as CeError;
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await nextTurn();
}

/** A promise with its resolve function, for holding a transaction open. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

async function listAll(stores: StorageStores, ns: string, options: { prefix?: string; limit?: number } = {}) {
  const items: VersionedEntry[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await stores.keyValue.list(ns, { ...options, ...(after === undefined ? {} : { after }) });
    items.push(...page.items);
    if (page.nextCursor === undefined) return items;
    after = page.nextCursor;
  }
  throw new Error('list did not end after 100 pages');
}

/**
 * Defines the vitest suite every {@link StorageAdapter} must pass: key-value reads, writes,
 * listing order and paging, versions and compare-and-set, JSON-only values, copies, plugin
 * configurations, the audit log, atomic and serialized transactions, concurrency, durability
 * across a reopen, and failure after close. Call it at the top level of a test file.
 *
 * The factory gets a {@link FakeClock} the adapter must use, and returns a fresh, empty adapter
 * (plus `reopen` for durable ones, and `cleanup`). The suite calls `init()` itself.
 *
 * @example
 * ```ts
 * import { runStorageConformance } from '@ce/core/testing';
 *
 * runStorageConformance('sqlite file', async ({ clock }) => {
 *   const path = join(await mkdtemp(join(tmpdir(), 'ce-')), 'ce.db');
 *   return {
 *     storage: createSqliteStorage({ path, clock }),
 *     reopen: async () => createSqliteStorage({ path, clock }),
 *   };
 * });
 * ```
 */
export function runStorageConformance(name: string, factory: StorageConformanceFactory): void {
  describe(`storage conformance: ${name}`, () => {
    let clock: FakeClock;
    let subject: StorageConformanceSubject;
    let storage: StorageAdapter;

    beforeEach(async () => {
      clock = new FakeClock();
      subject = await factory({ clock });
      storage = subject.storage;
      await storage.init();
    });

    afterEach(async () => {
      await storage.close().catch(() => undefined);
      await subject.cleanup?.();
    });

    describe('adapter', () => {
      it('names its kind and says whether it is durable', () => {
        expect(typeof storage.kind).toBe('string');
        expect(storage.kind.length).toBeGreaterThan(0);
        expect(typeof storage.durable).toBe('boolean');
      });

      it('init is idempotent and keeps data', async () => {
        await storage.keyValue.set(namespace, 'k', 'v');
        await storage.init();
        await storage.init();
        expect((await storage.keyValue.get(namespace, 'k'))?.value).toBe('v');
      });
    });

    describe('key-value', () => {
      it('returns undefined for a missing key', async () => {
        expect(await storage.keyValue.get(namespace, 'missing')).toBeUndefined();
      });

      it('versions start at 1, grow by one and carry the clock time', async () => {
        expect(await storage.keyValue.set(namespace, 'k', { n: 1 })).toBe(1);
        await clock.advance(1_500);
        expect(await storage.keyValue.set(namespace, 'k', { n: 2 })).toBe(2);
        expect(await storage.keyValue.get(namespace, 'k')).toEqual({
          key: 'k',
          value: { n: 2 },
          version: 2,
          updatedAt: clock.now(),
        });
      });

      it('keeps namespaces apart', async () => {
        await storage.keyValue.set('one', 'k', 1);
        await storage.keyValue.set('two', 'k', 2);
        expect((await storage.keyValue.get('one', 'k'))?.value).toBe(1);
        expect((await storage.keyValue.get('two', 'k'))?.value).toBe(2);
        expect((await storage.keyValue.list('one')).items.map((e) => e.value)).toEqual([1]);
      });

      it('delete reports whether the key existed, and a re-created key starts at version 1', async () => {
        await storage.keyValue.set(namespace, 'k', 'a');
        await storage.keyValue.set(namespace, 'k', 'b');
        expect(await storage.keyValue.delete(namespace, 'k')).toBe(true);
        expect(await storage.keyValue.get(namespace, 'k')).toBeUndefined();
        expect(await storage.keyValue.delete(namespace, 'k')).toBe(false);
        expect(await storage.keyValue.set(namespace, 'k', 'c')).toBe(1);
      });

      it('lists keys in code-point order, not UTF-16 order', async () => {
        const keys = ['b', '😀', 'a', '\uE000', 'ab', 'A', 'a0', 'a b'];
        for (const key of keys) await storage.keyValue.set(namespace, key, key);
        const page = await storage.keyValue.list(namespace);
        expect(page.items.map((e) => e.key)).toEqual(['A', 'a', 'a b', 'a0', 'ab', 'b', '\uE000', '😀']);
        expect(page.items.every((e) => e.value === e.key && e.version === 1)).toBe(true);
        expect(page.nextCursor).toBeUndefined();
      });

      it('lists only keys with the prefix', async () => {
        const keys = ['job', 'job/1', 'job/2', 'job/\u{10FFFF}x', 'jobs/1', 'jo', 'other/1', 'JOB/3'];
        for (const key of keys) await storage.keyValue.set(namespace, key, true);
        const page = await storage.keyValue.list(namespace, { prefix: 'job/' });
        expect(page.items.map((e) => e.key)).toEqual(['job/1', 'job/2', 'job/\u{10FFFF}x']);
        expect((await storage.keyValue.list(namespace, { prefix: '%' })).items).toEqual([]);
        expect((await storage.keyValue.list(namespace, { prefix: '' })).items).toHaveLength(keys.length);
      });

      it('pages with after and limit until nextCursor is absent', async () => {
        const keys = Array.from({ length: 250 }, (_, i) => `item/${String(i).padStart(3, '0')}`);
        // 97 is coprime with 250, so this visits every key once, out of order.
        const shuffled = keys.map((_, i) => keys[(i * 97) % keys.length] as string);
        await storage.transaction(async (tx) => {
          for (const key of shuffled) await tx.keyValue.set(namespace, key, key);
          await tx.keyValue.set(namespace, 'items', 'not in the prefix');
          await tx.keyValue.set(namespace, 'zzz', 'after the prefix');
        });
        const first = await storage.keyValue.list(namespace, { prefix: 'item/', limit: 100 });
        expect(first.items.map((e) => e.key)).toEqual(keys.slice(0, 100));
        expect(first.nextCursor).toBe(keys[99]);
        const second = await storage.keyValue.list(namespace, {
          prefix: 'item/',
          limit: 100,
          after: first.nextCursor,
        });
        expect(second.items.map((e) => e.key)).toEqual(keys.slice(100, 200));
        const third = await storage.keyValue.list(namespace, {
          prefix: 'item/',
          limit: 100,
          after: second.nextCursor,
        });
        expect(third.items.map((e) => e.key)).toEqual(keys.slice(200));
        expect(third.nextCursor).toBeUndefined();
        expect((await listAll(storage, namespace, { prefix: 'item/', limit: 7 })).map((e) => e.key)).toEqual(
          keys,
        );
        const exact = await storage.keyValue.list(namespace, { prefix: 'item/', limit: 250 });
        expect(exact.items).toHaveLength(250);
        expect(exact.nextCursor).toBeUndefined();
      });

      it('starts after a cursor that is not itself a key', async () => {
        for (const key of ['a', 'c', 'e']) await storage.keyValue.set(namespace, key, key);
        expect((await storage.keyValue.list(namespace, { after: 'b' })).items.map((e) => e.key)).toEqual([
          'c',
          'e',
        ]);
        expect((await storage.keyValue.list(namespace, { after: 'e' })).items).toEqual([]);
      });

      it('returns 100 entries by default and at most 1,000', async () => {
        await storage.transaction(async (tx) => {
          for (let i = 0; i < 1_001; i++)
            await tx.keyValue.set(namespace, `k${String(i).padStart(4, '0')}`, i);
        });
        const byDefault = await storage.keyValue.list(namespace);
        expect(byDefault.items).toHaveLength(100);
        expect(byDefault.nextCursor).toBe('k0099');
        const capped = await storage.keyValue.list(namespace, { limit: 5_000 });
        expect(capped.items).toHaveLength(1_000);
        expect(capped.nextCursor).toBe('k0999');
      });

      it('lists an empty namespace as one empty page', async () => {
        expect(await storage.keyValue.list('empty')).toEqual({ items: [] });
      });

      it('rejects invalid names and options', async () => {
        await expectCode(storage.keyValue.set('', 'k', 1), 'VALIDATION_FAILED');
        await expectCode(storage.keyValue.set(namespace, '', 1), 'VALIDATION_FAILED');
        await expectCode(storage.keyValue.set(namespace, 'x'.repeat(513), 1), 'VALIDATION_FAILED');
        await expectCode(storage.keyValue.set(namespace, 'bad\uD800', 1), 'VALIDATION_FAILED');
        await expectCode(storage.keyValue.get(namespace, ''), 'VALIDATION_FAILED');
        await expectCode(storage.keyValue.list(namespace, { limit: 0 }), 'VALIDATION_FAILED');
        await expectCode(storage.keyValue.list(namespace, { limit: 1.5 }), 'VALIDATION_FAILED');
        expect(await storage.keyValue.set(namespace, 'x'.repeat(512), 1)).toBe(1);
        expect((await storage.keyValue.list(namespace)).items.map((e) => e.key)).toEqual(['x'.repeat(512)]);
      });
    });

    describe('compare-and-set', () => {
      it('expectedVersion 0 writes only a key that does not exist', async () => {
        expect(await storage.keyValue.set(namespace, 'k', 'first', { expectedVersion: 0 })).toBe(1);
        const error = await expectCode(
          storage.keyValue.set(namespace, 'k', 'second', { expectedVersion: 0 }),
          'CONFLICT',
        );
        expect(error.retryable).toBe(false);
        expect(await storage.keyValue.get(namespace, 'k')).toMatchObject({ value: 'first', version: 1 });
      });

      it('writes when the version matches', async () => {
        await storage.keyValue.set(namespace, 'k', 'a');
        expect(await storage.keyValue.set(namespace, 'k', 'b', { expectedVersion: 1 })).toBe(2);
        expect(await storage.keyValue.set(namespace, 'k', 'c', { expectedVersion: 2 })).toBe(3);
      });

      it('fails on a stale version and writes nothing', async () => {
        await storage.keyValue.set(namespace, 'k', 'a');
        await clock.advance(10);
        await storage.keyValue.set(namespace, 'k', 'b');
        const before = await storage.keyValue.get(namespace, 'k');
        await clock.advance(10);
        await expectCode(storage.keyValue.set(namespace, 'k', 'stale', { expectedVersion: 1 }), 'CONFLICT');
        await expectCode(storage.keyValue.set(namespace, 'k', 'ahead', { expectedVersion: 3 }), 'CONFLICT');
        expect(await storage.keyValue.get(namespace, 'k')).toEqual(before);
      });

      it('fails on a missing key when a version is expected', async () => {
        await expectCode(storage.keyValue.set(namespace, 'k', 'v', { expectedVersion: 1 }), 'CONFLICT');
        expect(await storage.keyValue.get(namespace, 'k')).toBeUndefined();
      });

      it('guards delete the same way', async () => {
        await storage.keyValue.set(namespace, 'k', 'a');
        await storage.keyValue.set(namespace, 'k', 'b');
        await expectCode(storage.keyValue.delete(namespace, 'k', { expectedVersion: 1 }), 'CONFLICT');
        await expectCode(storage.keyValue.delete(namespace, 'k', { expectedVersion: 0 }), 'CONFLICT');
        expect((await storage.keyValue.get(namespace, 'k'))?.version).toBe(2);
        expect(await storage.keyValue.delete(namespace, 'k', { expectedVersion: 2 })).toBe(true);
        expect(await storage.keyValue.get(namespace, 'k')).toBeUndefined();
        expect(await storage.keyValue.delete(namespace, 'k', { expectedVersion: 0 })).toBe(false);
        await expectCode(storage.keyValue.delete(namespace, 'k', { expectedVersion: 2 }), 'CONFLICT');
      });

      it('rejects an expectedVersion that is not a non-negative integer', async () => {
        await expectCode(
          storage.keyValue.set(namespace, 'k', 1, { expectedVersion: -1 }),
          'VALIDATION_FAILED',
        );
        await expectCode(
          storage.keyValue.set(namespace, 'k', 1, { expectedVersion: 0.5 }),
          'VALIDATION_FAILED',
        );
        expect(await storage.keyValue.get(namespace, 'k')).toBeUndefined();
      });
    });

    describe('JSON values', () => {
      it('round-trips JSON of every kind', async () => {
        const value = {
          text: 'héllo 😀 "quoted" \\ \n\u0000',
          integer: Number.MAX_SAFE_INTEGER,
          negative: -1.5e-7,
          yes: true,
          no: false,
          nothing: null,
          list: [1, 'two', [3], { four: null }],
          nested: { deep: { deeper: [] } },
          empty: {},
        };
        await storage.keyValue.set(namespace, 'doc', value);
        expect((await storage.keyValue.get(namespace, 'doc'))?.value).toEqual(value);
        for (const scalar of ['text', 0, -0.25, true, null, [], {}]) {
          await storage.keyValue.set(namespace, 'scalar', scalar);
          expect((await storage.keyValue.get(namespace, 'scalar'))?.value).toEqual(scalar);
        }
      });

      it('rejects values that are not JSON, naming the key, and writes nothing', async () => {
        const cyclic: Record<string, unknown> = { name: 'loop' };
        cyclic.self = { back: cyclic };
        const cases: Array<[string, unknown]> = [
          ['a function', () => 1],
          ['undefined', undefined],
          ['a bigint', 10n],
          ['NaN', Number.NaN],
          ['Infinity', Number.POSITIVE_INFINITY],
          ['a symbol', Symbol('s')],
          ['a nested function', { a: { b: () => 1 } }],
          ['a nested bigint', { a: [1, 2n] }],
          ['undefined in an array', [1, undefined]],
          ['a Map', new Map([['a', 1]])],
          ['a cycle', cyclic],
        ];
        await storage.keyValue.set(namespace, 'target-key', 'before');
        for (const [label, value] of cases) {
          const error = await expectCode(
            storage.keyValue.set(namespace, 'target-key', value),
            'VALIDATION_FAILED',
          );
          expect(error.message, label).toContain('target-key');
          await expectCode(storage.keyValue.set(namespace, 'fresh-key', value), 'VALIDATION_FAILED');
        }
        expect(await storage.keyValue.get(namespace, 'target-key')).toMatchObject({
          value: 'before',
          version: 1,
        });
        expect(await storage.keyValue.get(namespace, 'fresh-key')).toBeUndefined();
      });

      it('drops undefined properties and stores what toJSON returns, as JSON.stringify does', async () => {
        await storage.keyValue.set(namespace, 'k', { a: 1, gone: undefined, when: new Date(0) });
        const value = (await storage.keyValue.get<Record<string, unknown>>(namespace, 'k'))?.value;
        expect(value).toEqual({ a: 1, when: '1970-01-01T00:00:00.000Z' });
        expect(value && 'gone' in value).toBe(false);
      });

      it('accepts an object reached twice that is not a cycle', async () => {
        const shared = { x: 1 };
        await storage.keyValue.set(namespace, 'k', { a: shared, b: [shared, shared] });
        expect((await storage.keyValue.get(namespace, 'k'))?.value).toEqual({
          a: { x: 1 },
          b: [{ x: 1 }, { x: 1 }],
        });
      });
    });

    describe('copies', () => {
      it('is not changed by mutating a written value', async () => {
        const value = { list: [1], inner: { n: 1 } };
        await storage.keyValue.set(namespace, 'k', value);
        value.list.push(2);
        value.inner.n = 99;
        expect((await storage.keyValue.get(namespace, 'k'))?.value).toEqual({ list: [1], inner: { n: 1 } });
      });

      it('is not changed by mutating a value read back', async () => {
        await storage.keyValue.set(namespace, 'k', { list: [1] });
        const read = await storage.keyValue.get<{ list: number[] }>(namespace, 'k');
        read?.value.list.push(2);
        const listed = (await storage.keyValue.list<{ list: number[] }>(namespace)).items[0];
        listed?.value.list.push(3);
        expect((await storage.keyValue.get(namespace, 'k'))?.value).toEqual({ list: [1] });
      });

      it('hands out copies of plugin configurations and audit entries', async () => {
        const input = sampleConfig('c1');
        const stored = await storage.pluginConfigs.put(input);
        (input.config.tags as string[]).push('mutated-input');
        input.modules.push('cre');
        (stored.config.tags as string[]).push('mutated-result');
        const read = await storage.pluginConfigs.get('c1');
        (read as PluginConfigRecord).config.tags = ['mutated-read'];
        const [listed] = await storage.pluginConfigs.list();
        (listed as PluginConfigRecord).config.tags = ['mutated-list'];
        expect(await storage.pluginConfigs.get('c1')).toMatchObject({
          modules: ['cte', 'cto'],
          config: { tags: ['a', 'b'] },
        });

        const details = { changed: ['name'] };
        const entry = await storage.audit.append({
          actor: 'alice',
          action: 'x-updated',
          target: 't',
          details,
        });
        details.changed.push('mutated-input');
        (entry.details as { changed: string[] }).changed.push('mutated-result');
        const [listedEntry] = await storage.audit.list();
        ((listedEntry as AuditEntry).details as { changed: string[] }).changed.push('mutated-read');
        expect((await storage.audit.list())[0]?.details).toEqual({ changed: ['name'] });
      });
    });

    describe('plugin configurations', () => {
      it('returns undefined and an empty list when there are none', async () => {
        expect(await storage.pluginConfigs.get('none')).toBeUndefined();
        expect(await storage.pluginConfigs.list()).toEqual([]);
      });

      it('creates at version 1 with createdAt and updatedAt from the clock', async () => {
        const now = clock.now();
        const stored = await storage.pluginConfigs.put(sampleConfig('c1'));
        expect(stored).toEqual({ ...sampleConfig('c1'), version: 1, createdAt: now, updatedAt: now });
        expect('intervalMs' in stored).toBe(false);
        expect(await storage.pluginConfigs.get('c1')).toEqual(stored);
      });

      it('updates with a new version, keeping createdAt', async () => {
        const created = await storage.pluginConfigs.put(sampleConfig('c1'));
        await clock.advance(60_000);
        const updated = await storage.pluginConfigs.put(
          sampleConfig('c1', { enabled: false, intervalMs: 300_000, name: 'Renamed', config: { other: 1 } }),
        );
        expect(updated).toEqual({
          ...sampleConfig('c1', {
            enabled: false,
            intervalMs: 300_000,
            name: 'Renamed',
            config: { other: 1 },
          }),
          version: 2,
          createdAt: created.createdAt,
          updatedAt: created.createdAt + 60_000,
        });
        expect(await storage.pluginConfigs.get('c1')).toEqual(updated);
      });

      it('stores only the fields of a configuration', async () => {
        const input = { ...sampleConfig('c1'), version: 41, createdAt: 1, extra: 'dropped' };
        const stored = await storage.pluginConfigs.put(input);
        expect(stored.version).toBe(1);
        expect(stored.createdAt).toBe(clock.now());
        expect('extra' in stored).toBe(false);
        expect(await storage.pluginConfigs.get('c1')).toEqual(stored);
      });

      it('lists every configuration ordered by id', async () => {
        for (const id of ['b', '😀', 'a', '\uE000', 'A']) await storage.pluginConfigs.put(sampleConfig(id));
        expect((await storage.pluginConfigs.list()).map((c) => c.id)).toEqual([
          'A',
          'a',
          'b',
          '\uE000',
          '😀',
        ]);
      });

      it('supports compare-and-set on put and delete', async () => {
        await storage.pluginConfigs.put(sampleConfig('c1'), { expectedVersion: 0 });
        await expectCode(
          storage.pluginConfigs.put(sampleConfig('c1', { name: 'dup' }), { expectedVersion: 0 }),
          'CONFLICT',
        );
        await storage.pluginConfigs.put(sampleConfig('c1', { name: 'v2' }), { expectedVersion: 1 });
        await expectCode(
          storage.pluginConfigs.put(sampleConfig('c1', { name: 'stale' }), { expectedVersion: 1 }),
          'CONFLICT',
        );
        await expectCode(storage.pluginConfigs.put(sampleConfig('c2'), { expectedVersion: 1 }), 'CONFLICT');
        expect(await storage.pluginConfigs.get('c1')).toMatchObject({ name: 'v2', version: 2 });
        expect(await storage.pluginConfigs.get('c2')).toBeUndefined();
        await expectCode(storage.pluginConfigs.delete('c1', { expectedVersion: 1 }), 'CONFLICT');
        expect(await storage.pluginConfigs.get('c1')).toBeDefined();
        expect(await storage.pluginConfigs.delete('c1', { expectedVersion: 2 })).toBe(true);
      });

      it('delete reports whether the configuration existed', async () => {
        await storage.pluginConfigs.put(sampleConfig('c1'));
        await storage.pluginConfigs.put(sampleConfig('c2'));
        expect(await storage.pluginConfigs.delete('c1')).toBe(true);
        expect(await storage.pluginConfigs.delete('c1')).toBe(false);
        expect(await storage.pluginConfigs.get('c1')).toBeUndefined();
        expect((await storage.pluginConfigs.list()).map((c) => c.id)).toEqual(['c2']);
      });

      it('rejects an invalid configuration and stores nothing', async () => {
        await expectCode(storage.pluginConfigs.put(sampleConfig('')), 'VALIDATION_FAILED');
        await expectCode(
          storage.pluginConfigs.put(sampleConfig('c1', { pluginId: '' })),
          'VALIDATION_FAILED',
        );
        await expectCode(
          storage.pluginConfigs.put(sampleConfig('c1', { config: { fn: () => 1 } })),
          'VALIDATION_FAILED',
        );
        await expectCode(
          storage.pluginConfigs.put(sampleConfig('c1', { intervalMs: -5 })),
          'VALIDATION_FAILED',
        );
        expect(await storage.pluginConfigs.list()).toEqual([]);
      });
    });

    describe('audit log', () => {
      it('appends with a sequence and defaults at to the clock', async () => {
        const entry = await storage.audit.append({
          actor: 'alice',
          action: 'plugin-config-created',
          target: 'plugin-config:c1',
        });
        expect(entry).toEqual({
          sequence: entry.sequence,
          at: clock.now(),
          actor: 'alice',
          action: 'plugin-config-created',
          target: 'plugin-config:c1',
        });
        expect(Number.isInteger(entry.sequence)).toBe(true);
        expect('details' in entry).toBe(false);
        const dated = await storage.audit.append({
          at: 1234,
          actor: 'system',
          action: 'x-y',
          target: 't',
          details: { a: [1] },
        });
        expect(dated).toMatchObject({ at: 1234, details: { a: [1] } });
        expect(await storage.audit.list()).toEqual([entry, dated]);
      });

      it('assigns strictly increasing sequences and lists in ascending order', async () => {
        const appended = [];
        for (let i = 0; i < 5; i++) {
          appended.push(
            await storage.audit.append({ actor: 'a', action: 'thing-changed', target: `t${i % 2}` }),
          );
          await clock.advance(1);
        }
        for (let i = 1; i < appended.length; i++) {
          expect(appended[i]?.sequence).toBeGreaterThan(appended[i - 1]?.sequence as number);
        }
        expect(await storage.audit.list()).toEqual(appended);
      });

      it('filters by target and afterSequence and honours limit', async () => {
        const appended = [];
        for (let i = 0; i < 10; i++) {
          appended.push(
            await storage.audit.append({
              actor: 'a',
              action: 'thing-changed',
              target: i % 3 === 0 ? 'x' : 'y',
            }),
          );
        }
        const xs = appended.filter((e) => e.target === 'x');
        expect(await storage.audit.list({ target: 'x' })).toEqual(xs);
        expect(await storage.audit.list({ target: 'none' })).toEqual([]);
        const cut = appended[4]?.sequence as number;
        expect(await storage.audit.list({ afterSequence: cut })).toEqual(appended.slice(5));
        expect(await storage.audit.list({ limit: 3 })).toEqual(appended.slice(0, 3));
        expect(await storage.audit.list({ target: 'y', afterSequence: cut, limit: 2 })).toEqual(
          appended.filter((e) => e.target === 'y' && e.sequence > cut).slice(0, 2),
        );
        await expectCode(storage.audit.list({ limit: 0 }), 'VALIDATION_FAILED');
      });

      it('returns 100 entries by default and at most 1,000', async () => {
        await storage.transaction(async (tx) => {
          for (let i = 0; i < 1_001; i++)
            await tx.audit.append({ actor: 'a', action: 'thing-changed', target: 't' });
        });
        expect(await storage.audit.list()).toHaveLength(100);
        expect(await storage.audit.list({ limit: 5_000 })).toHaveLength(1_000);
      });

      it('rejects an invalid entry and appends nothing', async () => {
        await expectCode(
          storage.audit.append({ actor: '', action: 'a-b', target: 't' }),
          'VALIDATION_FAILED',
        );
        await expectCode(
          storage.audit.append({ actor: 'a', action: 'a-b', target: 't', details: { n: Number.NaN } }),
          'VALIDATION_FAILED',
        );
        expect(await storage.audit.list()).toEqual([]);
      });
    });

    describe('transactions', () => {
      it('commits writes to every store and resolves with the result of work', async () => {
        const result = await storage.transaction(async (tx) => {
          await tx.keyValue.set(namespace, 'k', 'v');
          await tx.pluginConfigs.put(sampleConfig('c1'));
          await tx.audit.append({ actor: 'a', action: 'plugin-config-created', target: 'plugin-config:c1' });
          return 'result';
        });
        expect(result).toBe('result');
        expect((await storage.keyValue.get(namespace, 'k'))?.value).toBe('v');
        expect((await storage.pluginConfigs.get('c1'))?.version).toBe(1);
        expect(await storage.audit.list()).toHaveLength(1);
      });

      it('sees its own writes', async () => {
        await storage.transaction(async (tx) => {
          await tx.keyValue.set(namespace, 'a', 1);
          await tx.keyValue.set(namespace, 'b', 2);
          await tx.keyValue.delete(namespace, 'a');
          expect(await tx.keyValue.get(namespace, 'a')).toBeUndefined();
          expect((await tx.keyValue.list(namespace)).items.map((e) => e.key)).toEqual(['b']);
          await tx.pluginConfigs.put(sampleConfig('c1'));
          expect((await tx.pluginConfigs.list()).map((c) => c.id)).toEqual(['c1']);
          await tx.audit.append({ actor: 'a', action: 'x-y', target: 't' });
          expect(await tx.audit.list({ target: 't' })).toHaveLength(1);
        });
      });

      it('keeps nothing from any store when work throws, and rethrows the same error', async () => {
        await storage.keyValue.set(namespace, 'kept', 'original');
        await storage.keyValue.set(namespace, 'deleted', 'original');
        await storage.pluginConfigs.put(sampleConfig('c1'));
        await storage.pluginConfigs.put(sampleConfig('c2'));
        const first = await storage.audit.append({ actor: 'a', action: 'x-y', target: 't' });
        const before = {
          kv: await storage.keyValue.list(namespace),
          configs: await storage.pluginConfigs.list(),
          audit: await storage.audit.list(),
        };
        await clock.advance(1_000);
        const failure = new Error('work failed');
        const outcome = await rejectionOf(
          storage.transaction(async (tx) => {
            await tx.keyValue.set(namespace, 'kept', 'changed');
            await tx.keyValue.set(namespace, 'added', 'new');
            await tx.keyValue.delete(namespace, 'deleted');
            await tx.keyValue.set(namespace, 'added', 'newer');
            await tx.pluginConfigs.put(sampleConfig('c1', { name: 'changed' }));
            await tx.pluginConfigs.put(sampleConfig('c3'));
            await tx.pluginConfigs.delete('c2');
            await tx.audit.append({ actor: 'a', action: 'x-y', target: 't' });
            await tx.audit.append({ actor: 'a', action: 'x-y', target: 'u' });
            throw failure;
          }),
        );
        expect(outcome).toBe(failure);
        expect(await storage.keyValue.list(namespace)).toEqual(before.kv);
        expect(await storage.pluginConfigs.list()).toEqual(before.configs);
        expect(await storage.audit.list()).toEqual(before.audit);
        const next = await storage.audit.append({ actor: 'a', action: 'x-y', target: 't' });
        expect(next.sequence).toBeGreaterThan(first.sequence);
        expect(await storage.keyValue.set(namespace, 'kept', 'again')).toBe(2);
      });

      it('rolls back when work throws something that is not an Error', async () => {
        const outcome = await rejectionOf(
          storage.transaction(async (tx) => {
            await tx.keyValue.set(namespace, 'k', 'v');
            throw 'plain string';
          }),
        );
        expect(outcome).toBe('plain string');
        expect(await storage.keyValue.get(namespace, 'k')).toBeUndefined();
      });

      it('rolls back when a write inside fails and work lets the error escape', async () => {
        await expectCode(
          storage.transaction(async (tx) => {
            await tx.keyValue.set(namespace, 'k', 'v');
            await tx.keyValue.set(namespace, 'other', () => 'not JSON');
          }),
          'VALIDATION_FAILED',
        );
        expect(await storage.keyValue.get(namespace, 'k')).toBeUndefined();
      });

      it('commits when work catches a conflict and carries on', async () => {
        await storage.transaction(async (tx) => {
          await tx.keyValue.set(namespace, 'a', 1);
          await expectCode(tx.keyValue.set(namespace, 'b', 1, { expectedVersion: 5 }), 'CONFLICT');
          await tx.keyValue.set(namespace, 'c', 1);
        });
        expect((await storage.keyValue.list(namespace)).items.map((e) => e.key)).toEqual(['a', 'c']);
      });

      it('two concurrent transactions that each increment a counter 50 times end at 100', async () => {
        const incrementFiftyTimes = () =>
          storage.transaction(async (tx) => {
            for (let i = 0; i < 50; i++) {
              const current = (await tx.keyValue.get<number>(namespace, 'counter'))?.value ?? 0;
              await nextTurn();
              await tx.keyValue.set(namespace, 'counter', current + 1);
            }
          });
        await Promise.all([incrementFiftyTimes(), incrementFiftyTimes()]);
        expect(await storage.keyValue.get(namespace, 'counter')).toMatchObject({ value: 100, version: 100 });
      });

      it('serializes concurrent read-modify-write transactions (2 × 50) without losing an update', async () => {
        const worker = async () => {
          for (let i = 0; i < 50; i++) {
            await storage.transaction(async (tx) => {
              const current = (await tx.keyValue.get<number>(namespace, 'counter'))?.value ?? 0;
              await nextTurn();
              await tx.keyValue.set(namespace, 'counter', current + 1);
            });
          }
        };
        await Promise.all([worker(), worker()]);
        expect(await storage.keyValue.get(namespace, 'counter')).toMatchObject({ value: 100, version: 100 });
      });

      it('makes writes outside the transaction wait for it', async () => {
        const hold = latch();
        const entered = latch();
        const running = storage.transaction(async (tx) => {
          await tx.keyValue.set(namespace, 'k', 'from-transaction');
          entered.open();
          await hold.promise;
          return 'committed';
        });
        await entered.promise;
        let outsideDone = false;
        const outside = storage.keyValue.set(namespace, 'k', 'from-outside').then((version) => {
          outsideDone = true;
          return version;
        });
        await turns(5);
        expect(outsideDone).toBe(false);
        hold.open();
        expect(await running).toBe('committed');
        expect(await outside).toBe(2);
        expect(await storage.keyValue.get(namespace, 'k')).toMatchObject({
          value: 'from-outside',
          version: 2,
        });
      });

      it('never shows its uncommitted writes to readers outside it', async () => {
        const hold = latch();
        const entered = latch();
        const running = storage.transaction(async (tx) => {
          await tx.keyValue.set(namespace, 'k', 'uncommitted');
          await tx.pluginConfigs.put(sampleConfig('c1'));
          entered.open();
          await hold.promise;
          throw new Error('roll back');
        });
        await entered.promise;
        const reads = Promise.all([
          storage.keyValue.get(namespace, 'k'),
          storage.keyValue.list(namespace),
          storage.pluginConfigs.get('c1'),
        ]);
        await turns(3);
        hold.open();
        await expect(running).rejects.toThrow('roll back');
        const [entry, page, config] = await reads;
        expect(entry).toBeUndefined();
        expect(page.items).toEqual([]);
        expect(config).toBeUndefined();
      });

      it('fails fast instead of hanging when work calls the adapter itself', async () => {
        await storage.transaction(async (tx) => {
          await tx.keyValue.set(namespace, 'k', 'inside');
          await expectCode(storage.keyValue.get(namespace, 'k'), 'INTERNAL');
          await expectCode(storage.keyValue.set(namespace, 'k', 'outside'), 'INTERNAL');
          await expectCode(
            storage.transaction(async () => 'nested'),
            'INTERNAL',
          );
        });
        expect(await storage.keyValue.get(namespace, 'k')).toMatchObject({ value: 'inside', version: 1 });
      });

      it('refuses a tx handle used after its transaction ended', async () => {
        let leaked: StorageStores | undefined;
        await storage.transaction(async (tx) => {
          leaked = tx;
        });
        await expectCode((leaked as StorageStores).keyValue.set(namespace, 'k', 'late'), 'INTERNAL');
        expect(await storage.keyValue.get(namespace, 'k')).toBeUndefined();
      });
    });

    describe('concurrency', () => {
      it('lands every one of many parallel writes to distinct keys', async () => {
        const keys = Array.from({ length: 200 }, (_, i) => `parallel/${String(i).padStart(3, '0')}`);
        const versions = await Promise.all(keys.map((key, i) => storage.keyValue.set(namespace, key, i)));
        expect(versions.every((v) => v === 1)).toBe(true);
        const listed = await listAll(storage, namespace, { prefix: 'parallel/', limit: 1_000 });
        expect(listed.map((e) => e.key)).toEqual(keys);
        expect(listed.map((e) => e.value)).toEqual(keys.map((_, i) => i));
      });

      it('gives parallel writes to one key distinct versions', async () => {
        const versions = await Promise.all(
          Array.from({ length: 50 }, (_, i) => storage.keyValue.set(namespace, 'k', i)),
        );
        expect([...versions].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
        expect((await storage.keyValue.get(namespace, 'k'))?.version).toBe(50);
      });

      it('lets exactly one of many parallel creates with expectedVersion 0 win', async () => {
        const outcomes = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) =>
            storage.keyValue.set(namespace, 'k', i, { expectedVersion: 0 }),
          ),
        );
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(rejected).toHaveLength(19);
        expect(rejected.every((o) => CeError.isInstance(o.reason) && o.reason.code === 'CONFLICT')).toBe(
          true,
        );
      });

      it('gives parallel audit appends distinct, listed sequences', async () => {
        const entries = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            storage.audit.append({ actor: 'a', action: 'x-y', target: `t${i}` }),
          ),
        );
        const sequences = entries.map((e) => e.sequence);
        expect(new Set(sequences).size).toBe(50);
        expect((await storage.audit.list()).map((e) => e.sequence)).toEqual(
          [...sequences].sort((a, b) => a - b),
        );
      });
    });

    describe('durability', () => {
      it('keeps committed data, versions and sequences across close and reopen', async (context) => {
        context.skip(!storage.durable, `${name} is not durable (durable=false): nothing survives a restart`);
        context.skip(subject.reopen === undefined, `the ${name} factory gives no reopen()`);
        await storage.keyValue.set(namespace, 'k', { n: 1 });
        await storage.keyValue.set(namespace, 'k', { n: 2 });
        const config = await storage.pluginConfigs.put(sampleConfig('c1', { intervalMs: 60_000 }));
        const entry = await storage.audit.append({
          actor: 'a',
          action: 'x-y',
          target: 't',
          details: { d: 1 },
        });
        await rejectionOf(
          storage.transaction(async (tx) => {
            await tx.keyValue.set(namespace, 'rolled-back', true);
            throw new Error('no');
          }),
        );
        await storage.close();

        const reopened = await (subject.reopen as () => Promise<StorageAdapter>)();
        try {
          await reopened.init();
          expect(await reopened.keyValue.get(namespace, 'k')).toMatchObject({ value: { n: 2 }, version: 2 });
          expect(await reopened.keyValue.get(namespace, 'rolled-back')).toBeUndefined();
          expect(await reopened.pluginConfigs.get('c1')).toEqual(config);
          expect(await reopened.audit.list()).toEqual([entry]);
          expect(await reopened.keyValue.set(namespace, 'k', { n: 3 })).toBe(3);
          const next = await reopened.audit.append({ actor: 'a', action: 'x-y', target: 't' });
          expect(next.sequence).toBeGreaterThan(entry.sequence);
        } finally {
          await reopened.close();
        }
      });
    });

    describe('close', () => {
      it('makes every later call fail with STORAGE_FAILED, and closing again does nothing', async () => {
        await storage.keyValue.set(namespace, 'k', 1);
        await storage.close();
        await storage.close();
        const calls: Array<Promise<unknown>> = [
          storage.init(),
          storage.keyValue.get(namespace, 'k'),
          storage.keyValue.set(namespace, 'k', 2),
          storage.keyValue.delete(namespace, 'k'),
          storage.keyValue.list(namespace),
          storage.pluginConfigs.get('c1'),
          storage.pluginConfigs.list(),
          storage.pluginConfigs.put(sampleConfig('c1')),
          storage.pluginConfigs.delete('c1'),
          storage.audit.append({ actor: 'a', action: 'x-y', target: 't' }),
          storage.audit.list(),
          storage.transaction(async () => 1),
        ];
        for (const call of calls) {
          const error = await expectCode(call, 'STORAGE_FAILED');
          expect(error.retryable).toBe(false);
        }
      });

      it('waits for a running transaction to finish', async () => {
        const hold = latch();
        const entered = latch();
        const running = storage.transaction(async (tx) => {
          await tx.keyValue.set(namespace, 'k', 'committed');
          entered.open();
          await hold.promise;
          return (await tx.keyValue.get(namespace, 'k'))?.value;
        });
        await entered.promise;
        let closed = false;
        const closing = storage.close().then(() => {
          closed = true;
        });
        await turns(3);
        expect(closed).toBe(false);
        await expectCode(storage.keyValue.get(namespace, 'k'), 'STORAGE_FAILED');
        hold.open();
        expect(await running).toBe('committed');
        await closing;
        expect(closed).toBe(true);
      });
    });
  });
}
