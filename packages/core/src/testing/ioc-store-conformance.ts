import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CeError } from '../errors/ce-error.js';
import type { ValidationError } from '../errors/validation-error.js';
import type {
  DestinationState,
  IndicatorKey,
  IndicatorType,
  SourceRecord,
  StoredIndicator,
} from '../threat/indicator-model.js';
import type { IndicatorQuery, IocStore } from '../threat/ioc-store.js';
import { FakeClock } from '../time/clock.js';

/** What an {@link IocStoreConformanceFactory} returns: a fresh, empty store and how to reopen it. */
export interface IocStoreConformanceSubject {
  /** A new store over empty storage. */
  store: IocStore;
  /** Closes whatever backs the store; called after every test. */
  close?: () => Promise<void>;
  /**
   * Opens a new store over the same data, after the suite has called `close`. Without it the
   * durability test is skipped.
   */
  reopen?: () => Promise<Pick<IocStoreConformanceSubject, 'store' | 'close'>>;
  /** Removes what the subject left behind (a temporary file), after `close`. */
  cleanup?: () => Promise<void>;
}

/** What the suite hands its factory. */
export interface IocStoreConformanceContext {
  /** A clock for backends that want one; the store itself takes times from the records. */
  clock: FakeClock;
}

/** Creates the store under test; called once before every test. */
export type IocStoreConformanceFactory = (
  context: IocStoreConformanceContext,
) => Promise<IocStoreConformanceSubject>;

type IndicatorInput = Omit<StoredIndicator, 'sequence'>;

const day = 86_400_000;
const t0 = Date.UTC(2026, 0, 1);

function source(sourceId: string, overrides: Partial<SourceRecord> = {}): SourceRecord {
  return {
    sourceId,
    firstSeen: t0,
    lastSeen: t0,
    severity: 'high',
    reputation: 8,
    confidence: 80,
    tags: ['malware', 'c2'],
    safe: false,
    test: false,
    tlp: 'amber',
    hits: 1,
    ...overrides,
  };
}

function indicator(
  type: IndicatorType,
  value: string,
  overrides: Partial<IndicatorInput> = {},
): IndicatorInput {
  return {
    type,
    value,
    sources: [source('feed-a')],
    merged: {
      severity: 'high',
      reputation: 8,
      confidence: 80,
      tags: ['malware', 'c2'],
      safe: false,
      test: false,
      tlp: 'amber',
      firstSeen: t0,
      lastSeen: t0,
    },
    active: true,
    sightings: { total: 0, systems: [] },
    createdAt: t0,
    updatedAt: t0,
    ...overrides,
  };
}

function state(
  destinationId: string,
  key: IndicatorKey,
  overrides: Partial<DestinationState> = {},
): DestinationState {
  return {
    destinationId,
    type: key.type,
    value: key.value,
    status: 'shared',
    attempts: 1,
    sharedAt: t0,
    updatedAt: t0,
    ...overrides,
  };
}

const keyOf = (item: IndicatorKey): string => `${item.type}:${item.value}`;

async function rejectionOf(promise: Promise<unknown>): Promise<CeError> {
  try {
    await promise;
  } catch (error) {
    expect(CeError.isInstance(error), `expected a CeError, got ${String(error)}`).toBe(true);
    return error as CeError;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

async function queryAll(
  store: IocStore,
  filter: IndicatorQuery = {},
  limit?: number,
): Promise<StoredIndicator[]> {
  const items: StoredIndicator[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1_000; pages++) {
    const page = await store.query(filter, { ...(cursor ? { cursor } : {}), ...(limit ? { limit } : {}) });
    items.push(...page.items);
    if (page.nextCursor === undefined) return items;
    cursor = page.nextCursor;
  }
  throw new Error('query did not end after 1,000 pages');
}

/**
 * Defines the vitest suite every {@link IocStore} must pass: atomic, validated batch writes with
 * strictly increasing sequences, upsert by (type, value), reads in input order, the change feed
 * (latest version only, never reused sequences), every query filter alone and combined, code-point
 * ordering and cursor paging without gaps or duplicates, counts, daily counts, deletes cascading
 * to destination states, destination states (reads, atomic writes, paging by status, per
 * indicator, per destination deletes), copies, and durability across a reopen. Call it at the top
 * level of a test file.
 *
 * @example
 * ```ts
 * import { runIocStoreConformance } from '@ce/core/testing';
 *
 * runIocStoreConformance('sqlite file', async () => {
 *   const path = join(await mkdtemp(join(tmpdir(), 'ce-')), 'ce.db');
 *   const storage = createSqliteStorage({ path });
 *   const open = () => {
 *     const storage = createSqliteStorage({ path });
 *     return { store: storage.iocs, close: () => storage.close() };
 *   };
 *   return { ...open(), reopen: async () => open() };
 * });
 * ```
 */
export function runIocStoreConformance(name: string, factory: IocStoreConformanceFactory): void {
  describe(`IocStore conformance: ${name}`, () => {
    let subject: IocStoreConformanceSubject;
    let store: IocStore;
    let closed = false;

    beforeEach(async () => {
      subject = await factory({ clock: new FakeClock(t0) });
      store = subject.store;
      closed = false;
    });

    afterEach(async () => {
      if (!closed) await subject.close?.();
      await subject.cleanup?.();
    });

    describe('writes and reads', () => {
      it('stores records with strictly increasing sequences and reads them back', async () => {
        expect(await store.lastSequence()).toBe(0);
        const input = [indicator('domain', 'a.example'), indicator('ipv4', '10.0.0.1')];
        const stored = await store.putMany(input);
        expect(stored.map(keyOf)).toEqual(['domain:a.example', 'ipv4:10.0.0.1']);
        const [first, second] = stored as [StoredIndicator, StoredIndicator];
        expect(first.sequence).toBeGreaterThan(0);
        expect(second.sequence).toBeGreaterThan(first.sequence);
        expect(await store.lastSequence()).toBe(second.sequence);
        expect(await store.get({ type: 'domain', value: 'a.example' })).toEqual({
          ...input[0],
          sequence: first.sequence,
        });
        expect(await store.get({ type: 'domain', value: 'missing.example' })).toBeUndefined();
        expect(await store.count()).toBe(2);
      });

      it('round-trips every field of the model, optional ones included', async () => {
        const full = indicator('url', 'http://evil.example/x?q=1', {
          sources: [
            source('feed-a', {
              comments: 'seen in phishing ✉️ campaign',
              externalUrl: 'https://feed-a.example/ioc/1',
              expiresAt: t0 + day,
              withdrawnAt: t0 + 2 * day,
              confidence: 0,
              reputation: 10,
              hits: 123_456_789_012,
            }),
            source('feed-b', { severity: 'low', tags: [], safe: true, tlp: 'clear', confidence: 55 }),
          ],
          merged: {
            severity: 'critical',
            reputation: 9,
            tags: ['phishing', 'ünïcödé', '😀'],
            comments: 'merged',
            externalUrl: 'https://feed-a.example/ioc/1',
            safe: false,
            test: true,
            tlp: 'red',
            firstSeen: t0 - 5,
            lastSeen: t0 + 0.5,
            verdict: {
              sourceId: 'feed-a',
              verdict: 'malicious',
              overruled: ['feed-b'],
              reason: 'higher trust',
            },
          },
          active: false,
          inactiveReason: 'withdrawn',
          inactiveSince: t0 + 3 * day,
          expiresAt: t0 + 30 * day,
          decayScore: 42.5,
          suppressedBy: { listId: 'top-sites', listName: 'Top sites', entry: 'evil.example' },
          sightings: { total: 3, systems: [{ system: 'edr', count: 3, firstSeen: t0, lastSeen: t0 + day }] },
          createdAt: t0 - day,
          updatedAt: t0 + day,
        });
        const [stored] = await store.putMany([full]);
        const read = await store.get(full);
        expect(read).toEqual({ ...full, sequence: stored?.sequence });
        expect(JSON.parse(JSON.stringify(read))).toEqual(
          JSON.parse(JSON.stringify({ ...full, sequence: stored?.sequence })),
        );
      });

      it('replaces a record written again under the same key, with a new sequence', async () => {
        const [first] = await store.putMany([indicator('domain', 'a.example')]);
        const [second] = await store.putMany([
          indicator('domain', 'a.example', { active: false, inactiveReason: 'manual', updatedAt: t0 + 1 }),
        ]);
        expect(second?.sequence).toBeGreaterThan(first?.sequence as number);
        const read = await store.get({ type: 'domain', value: 'a.example' });
        expect(read?.active).toBe(false);
        expect(read?.inactiveReason).toBe('manual');
        expect(read?.updatedAt).toBe(t0 + 1);
        expect(read?.sequence).toBe(second?.sequence);
        expect(await store.count()).toBe(1);
      });

      it('tells keys of different types apart', async () => {
        await store.putMany([indicator('domain', 'example.com'), indicator('hostname', 'example.com')]);
        expect(await store.count()).toBe(2);
        expect((await store.get({ type: 'hostname', value: 'example.com' }))?.type).toBe('hostname');
      });

      it('getMany answers in input order with undefined for missing keys', async () => {
        await store.putMany([indicator('domain', 'b.example'), indicator('domain', 'a.example')]);
        const found = await store.getMany([
          { type: 'domain', value: 'a.example' },
          { type: 'md5', value: 'nope' },
          { type: 'domain', value: 'b.example' },
          { type: 'domain', value: 'a.example' },
        ]);
        expect(found.map((item) => item?.value)).toEqual(['a.example', undefined, 'b.example', 'a.example']);
        expect(await store.getMany([])).toEqual([]);
      });

      it('rejects a batch with an invalid record, naming index and field, and writes nothing', async () => {
        await store.putMany([indicator('domain', 'kept.example')]);
        const before = await store.lastSequence();
        const badType = await rejectionOf(
          store.putMany([
            indicator('domain', 'new.example'),
            indicator('domain', 'kept.example', { active: false }),
            { ...indicator('domain', 'x.example'), type: 'bogus' as IndicatorType },
          ]),
        );
        expect(badType.code).toBe('VALIDATION_FAILED');
        expect((badType as ValidationError).issues.map((issue) => issue.path)).toContain('[2].type');
        const emptyValue = await rejectionOf(
          store.putMany([indicator('domain', 'y.example'), indicator('domain', '')]),
        );
        expect((emptyValue as ValidationError).issues.map((issue) => issue.path)).toContain('[1].value');
        const notJson = await rejectionOf(
          store.putMany([
            indicator('domain', 'z.example'),
            indicator('domain', 'w.example', { decayScore: Number.NaN }),
          ]),
        );
        expect(notJson.code).toBe('VALIDATION_FAILED');
        expect(notJson.message).toContain('[1].decayScore');
        const deepNotJson = await rejectionOf(
          store.putMany([
            indicator('domain', 'v.example', {
              sources: [source('feed-a', { tags: ['ok', undefined as unknown as string] })],
            }),
          ]),
        );
        expect(deepNotJson.message).toContain('[0].sources[0].tags[1]');
        expect(await store.count()).toBe(1);
        expect(await store.lastSequence()).toBe(before);
        expect((await store.get({ type: 'domain', value: 'kept.example' }))?.active).toBe(true);
        expect(await store.changesSince(before)).toEqual([]);
      });

      it('rejects invalid keys', async () => {
        expect((await rejectionOf(store.get({ type: 'nope' as IndicatorType, value: 'x' }))).code).toBe(
          'VALIDATION_FAILED',
        );
        expect((await rejectionOf(store.getMany([{ type: 'domain', value: '' }]))).code).toBe(
          'VALIDATION_FAILED',
        );
      });
    });

    describe('change feed', () => {
      it('lists changes after a sequence in order, each indicator once at its latest version', async () => {
        const [a, b] = await store.putMany([
          indicator('domain', 'a.example'),
          indicator('domain', 'b.example'),
        ]);
        const [c] = await store.putMany([indicator('domain', 'c.example')]);
        const [a2] = await store.putMany([indicator('domain', 'a.example', { updatedAt: t0 + 5 })]);
        const all = await store.changesSince(0);
        expect(all.map((item) => item.value)).toEqual(['b.example', 'c.example', 'a.example']);
        expect(all.map((item) => item.sequence)).toEqual([b?.sequence, c?.sequence, a2?.sequence]);
        expect(all[2]?.updatedAt).toBe(t0 + 5);
        expect((await store.changesSince(b?.sequence as number)).map((item) => item.value)).toEqual([
          'c.example',
          'a.example',
        ]);
        expect((await store.changesSince(a?.sequence as number, 1)).map((item) => item.value)).toEqual([
          'b.example',
        ]);
        expect(await store.changesSince(a2?.sequence as number)).toEqual([]);
      });

      it('pages through the feed by the last sequence seen, with duplicates in a batch kept once', async () => {
        const batch = Array.from({ length: 30 }, (_, i) => indicator('domain', `d${i}.example`));
        await store.putMany([...batch, indicator('domain', 'd0.example', { updatedAt: t0 + 1 })]);
        const seen: StoredIndicator[] = [];
        let after = 0;
        for (;;) {
          const page = await store.changesSince(after, 7);
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(7);
          seen.push(...page);
          after = page[page.length - 1]?.sequence as number;
        }
        expect(seen).toHaveLength(30);
        expect(new Set(seen.map(keyOf)).size).toBe(30);
        const sequences = seen.map((item) => item.sequence);
        expect([...sequences].sort((x, y) => x - y)).toEqual(sequences);
        expect(seen.at(-1)?.value).toBe('d0.example');
        expect(seen.at(-1)?.updatedAt).toBe(t0 + 1);
      });

      it('drops deleted indicators and never reuses a sequence', async () => {
        await store.putMany([indicator('domain', 'a.example'), indicator('domain', 'b.example')]);
        const last = await store.lastSequence();
        expect(await store.deleteMany([{ type: 'domain', value: 'b.example' }])).toBe(1);
        expect((await store.changesSince(0)).map((item) => item.value)).toEqual(['a.example']);
        expect(await store.lastSequence()).toBe(last);
        const [next] = await store.putMany([indicator('domain', 'b.example')]);
        expect(next?.sequence).toBeGreaterThan(last);
      });

      it('survives many rewrites of the same indicators', async () => {
        for (let round = 0; round < 30; round++) {
          await store.putMany(
            Array.from({ length: 200 }, (_, i) =>
              indicator('domain', `r${i}.example`, { updatedAt: t0 + round }),
            ),
          );
        }
        const feed = await store.changesSince(0, 10_000);
        expect(feed).toHaveLength(200);
        expect(feed.every((item) => item.updatedAt === t0 + 29)).toBe(true);
        expect(await store.count()).toBe(200);
        expect((await store.get({ type: 'domain', value: 'r7.example' }))?.updatedAt).toBe(t0 + 29);
      });
    });

    describe('queries', () => {
      const dataset = (): IndicatorInput[] => [
        indicator('domain', 'alpha.example', {
          createdAt: t0,
          merged: { ...indicator('domain', 'x').merged, lastSeen: t0 + day },
        }),
        indicator('domain', 'beta.example', {
          active: false,
          inactiveReason: 'expired',
          inactiveSince: t0 + 2 * day,
          expiresAt: t0 + day,
          createdAt: t0 + day,
        }),
        indicator('domain', 'alphabet.example', {
          suppressedBy: { listId: 'top', listName: 'Top sites' },
          createdAt: t0 + 2 * day,
          merged: { ...indicator('domain', 'x').merged, severity: 'low', tags: ['benign'] },
        }),
        indicator('ipv4', '10.0.0.1', {
          sources: [source('feed-b')],
          sightings: { total: 2, systems: [{ system: 'edr', count: 2, firstSeen: t0, lastSeen: t0 }] },
          expiresAt: t0 + 10 * day,
        }),
        indicator('ipv4-cidr', '10.0.0.0/8', {
          sources: [source('feed-a'), source('feed-b')],
          merged: { ...indicator('domain', 'x').merged, severity: 'critical', tags: ['scanner'] },
          active: false,
          inactiveReason: 'manual',
          inactiveSince: t0 + 5 * day,
        }),
        indicator('sha256', 'a'.repeat(64), { createdAt: t0 + 3 * day }),
      ];

      const values = (items: StoredIndicator[]) => items.map(keyOf);

      it('orders by type, then value, by code point', async () => {
        const weird = ['b', '😀', 'a', '\uE000', 'ab', 'A', 'a0', 'a b'];
        await store.putMany([
          ...weird.map((value) => indicator('hostname', value)),
          indicator('ipv4-cidr', '10.0.0.0/8'),
          indicator('ipv4', '10.0.0.1'),
          indicator('domain', 'z.example'),
          indicator('url', 'http://a.example/'),
        ]);
        expect(values((await store.query()).items)).toEqual([
          'domain:z.example',
          ...['A', 'a', 'a b', 'a0', 'ab', 'b', '\uE000', '😀'].map((value) => `hostname:${value}`),
          'ipv4:10.0.0.1',
          'ipv4-cidr:10.0.0.0/8',
          'url:http://a.example/',
        ]);
      });

      it('applies each filter, and every filter given', async () => {
        await store.putMany(dataset());
        const check = async (filter: IndicatorQuery, expected: string[]) => {
          expect(values(await queryAll(store, filter)), JSON.stringify(filter)).toEqual(expected);
          expect(await store.count(filter), JSON.stringify(filter)).toBe(expected.length);
        };
        const sha = `sha256:${'a'.repeat(64)}`;
        await check({}, [
          'domain:alpha.example',
          'domain:alphabet.example',
          'domain:beta.example',
          'ipv4:10.0.0.1',
          'ipv4-cidr:10.0.0.0/8',
          sha,
        ]);
        await check({ types: ['ipv4', 'sha256'] }, ['ipv4:10.0.0.1', sha]);
        await check({ types: [] }, []);
        await check({ sourceId: 'feed-b' }, ['ipv4:10.0.0.1', 'ipv4-cidr:10.0.0.0/8']);
        await check({ sourceId: 'feed' }, []);
        await check({ tag: 'scanner' }, ['ipv4-cidr:10.0.0.0/8']);
        await check({ tag: 'malware' }, [
          'domain:alpha.example',
          'domain:beta.example',
          'ipv4:10.0.0.1',
          sha,
        ]);
        await check({ severities: ['low', 'critical'] }, ['domain:alphabet.example', 'ipv4-cidr:10.0.0.0/8']);
        await check({ active: false }, ['domain:beta.example', 'ipv4-cidr:10.0.0.0/8']);
        await check({ suppressed: true }, ['domain:alphabet.example']);
        await check({ suppressed: false, active: true }, ['domain:alpha.example', 'ipv4:10.0.0.1', sha]);
        await check({ valuePrefix: 'alpha' }, ['domain:alpha.example', 'domain:alphabet.example']);
        await check({ valuePrefix: '10.0.0.' }, ['ipv4:10.0.0.1', 'ipv4-cidr:10.0.0.0/8']);
        await check({ valuePrefix: '10.0.0.1' }, ['ipv4:10.0.0.1']);
        await check({ sighted: true }, ['ipv4:10.0.0.1']);
        await check({ sighted: false, types: ['ipv4', 'ipv4-cidr'] }, ['ipv4-cidr:10.0.0.0/8']);
        await check({ createdFrom: t0 + day }, ['domain:alphabet.example', 'domain:beta.example', sha]);
        await check({ createdFrom: t0 + day, createdTo: t0 + 3 * day }, [
          'domain:alphabet.example',
          'domain:beta.example',
        ]);
        await check({ lastSeenFrom: t0 + 1 }, ['domain:alpha.example']);
        await check({ lastSeenTo: t0 + 1, types: ['domain'] }, [
          'domain:alphabet.example',
          'domain:beta.example',
        ]);
        await check({ expiresBefore: t0 + day }, ['domain:beta.example']);
        await check({ expiresBefore: t0 + 10 * day }, ['domain:beta.example', 'ipv4:10.0.0.1']);
        await check({ inactiveBefore: t0 + 2 * day }, ['domain:beta.example']);
        await check({ inactiveBefore: t0 + 5 * day }, ['domain:beta.example', 'ipv4-cidr:10.0.0.0/8']);
        await check({ types: ['domain'], active: true, tag: 'c2', valuePrefix: 'al' }, [
          'domain:alpha.example',
        ]);
        await check({ sourceId: 'feed-a', active: false, severities: ['critical'] }, [
          'ipv4-cidr:10.0.0.0/8',
        ]);
      });

      it('pages 2,500 records without gaps or duplicates, also under a filter', async () => {
        const all = Array.from({ length: 2_500 }, (_, i) =>
          indicator(i % 2 === 0 ? 'domain' : 'md5', `v${String((i * 7919) % 2_500).padStart(5, '0')}`, {
            active: i % 3 !== 0,
          }),
        );
        for (let i = 0; i < all.length; i += 1_000) await store.putMany(all.slice(i, i + 1_000));
        const expected = all.map(keyOf).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const paged = await queryAll(store, {}, 1_000);
        expect(values(paged)).toEqual(expected);
        const first = await store.query();
        expect(first.items).toHaveLength(100);
        expect(first.nextCursor).toBeDefined();
        const active = await queryAll(store, { active: true }, 333);
        expect(values(active)).toEqual(
          all
            .filter((item) => item.active)
            .map(keyOf)
            .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
        );
        expect(await store.count({ active: true })).toBe(active.length);
        const exact = await store.query({ types: ['md5'] }, { limit: 1_250 });
        expect(exact.items).toHaveLength(1_250);
        expect(exact.nextCursor).toBeUndefined();
      });

      it('keeps paging stable while records are written between pages', async () => {
        await store.putMany(
          Array.from({ length: 50 }, (_, i) => indicator('domain', `p${String(i).padStart(3, '0')}.example`)),
        );
        const first = await store.query({}, { limit: 20 });
        await store.putMany([
          indicator('domain', 'p000.example', { updatedAt: t0 + 9 }),
          indicator('domain', 'p999.example'),
        ]);
        const second = await store.query({}, { limit: 100, cursor: first.nextCursor as string });
        expect(values([...first.items, ...second.items])).toEqual([
          ...Array.from({ length: 50 }, (_, i) => `domain:p${String(i).padStart(3, '0')}.example`),
          'domain:p999.example',
        ]);
      });

      it('rejects bad limits, cursors and filters', async () => {
        expect((await rejectionOf(store.query({}, { limit: 0 }))).code).toBe('VALIDATION_FAILED');
        expect((await rejectionOf(store.query({}, { limit: 1.5 }))).code).toBe('VALIDATION_FAILED');
        expect((await rejectionOf(store.query({}, { cursor: 'garbage!' }))).code).toBe('VALIDATION_FAILED');
        expect((await rejectionOf(store.query({ types: ['nope' as IndicatorType] }))).code).toBe(
          'VALIDATION_FAILED',
        );
        expect((await rejectionOf(store.count({ createdFrom: Number.NaN }))).code).toBe('VALIDATION_FAILED');
        expect((await rejectionOf(store.changesSince(0, 0))).code).toBe('VALIDATION_FAILED');
      });

      it('counts indicators per UTC day in [from, to), every day listed, under a filter', async () => {
        await store.putMany([
          indicator('domain', 'a.example', { createdAt: t0 }),
          indicator('domain', 'b.example', { createdAt: t0 + day - 1 }),
          indicator('domain', 'c.example', { createdAt: t0 + 2 * day + 5, active: false }),
          indicator('domain', 'd.example', { createdAt: t0 + 3 * day }),
          indicator('domain', 'e.example', { createdAt: t0 - 1 }),
          indicator('ipv4', '10.0.0.9', {
            createdAt: t0 + day,
            merged: { ...indicator('ipv4', 'x').merged, lastSeen: t0 + 2 * day },
          }),
        ]);
        expect(await store.dailyCounts('createdAt', t0, t0 + 3 * day)).toEqual([
          { day: '2026-01-01', count: 2 },
          { day: '2026-01-02', count: 1 },
          { day: '2026-01-03', count: 1 },
        ]);
        expect(
          await store.dailyCounts('createdAt', t0, t0 + 3 * day, { active: true, types: ['domain'] }),
        ).toEqual([
          { day: '2026-01-01', count: 2 },
          { day: '2026-01-02', count: 0 },
          { day: '2026-01-03', count: 0 },
        ]);
        expect(await store.dailyCounts('lastSeen', t0 + day, t0 + 3 * day)).toEqual([
          { day: '2026-01-02', count: 0 },
          { day: '2026-01-03', count: 1 },
        ]);
        expect(await store.dailyCounts('createdAt', t0 + 12 * 3_600_000, t0 + 36 * 3_600_000)).toEqual([
          { day: '2026-01-01', count: 1 },
          { day: '2026-01-02', count: 1 },
        ]);
        expect(await store.dailyCounts('createdAt', t0, t0)).toEqual([]);
        expect((await rejectionOf(store.dailyCounts('createdAt', t0 + day, t0))).code).toBe(
          'VALIDATION_FAILED',
        );
      });
    });

    describe('deletes', () => {
      it('deletes indicators with their destination states and reports how many existed', async () => {
        const a = { type: 'domain' as const, value: 'a.example' };
        const b = { type: 'domain' as const, value: 'b.example' };
        await store.putMany([indicator('domain', a.value), indicator('domain', b.value)]);
        await store.putDestinationStates([state('dest-1', a), state('dest-2', a), state('dest-1', b)]);
        expect(await store.deleteMany([a, { type: 'md5', value: 'missing' }, a])).toBe(1);
        expect(await store.get(a)).toBeUndefined();
        expect(await store.count()).toBe(1);
        expect(await store.destinationStatesOf(a)).toEqual([]);
        expect((await store.getDestinationStates('dest-1', [a, b])).map((item) => item?.value)).toEqual([
          undefined,
          'b.example',
        ]);
        expect((await store.queryDestinationStates({ destinationId: 'dest-2' })).items).toEqual([]);
        expect((await store.query()).items.map((item) => item.value)).toEqual(['b.example']);
        await store.putMany([indicator('domain', a.value)]);
        expect((await store.query()).items.map((item) => item.value)).toEqual(['a.example', 'b.example']);
        expect(await store.destinationStatesOf(a)).toEqual([]);
      });
    });

    describe('destination states', () => {
      const keys = Array.from({ length: 25 }, (_, i) => ({
        type: 'domain' as const,
        value: `s${String(i).padStart(2, '0')}.example`,
      }));

      it('stores states, reads them in order and leaves indicator sequences alone', async () => {
        await store.putMany(keys.map((key) => indicator(key.type, key.value)));
        const before = await store.lastSequence();
        const full = state('dest-1', keys[0] as IndicatorKey, {
          status: 'failed',
          ruleId: 'rule-1',
          sentFingerprint: 'abc',
          retractedAt: t0 + 1,
          lastAttemptAt: t0 + 2,
          attempts: 3,
          lastError: { code: 'HTTP_ERROR', message: 'boom' },
        });
        await store.putDestinationStates([full, state('dest-1', keys[2] as IndicatorKey)]);
        const read = await store.getDestinationStates('dest-1', [
          keys[2],
          keys[1],
          keys[0],
        ] as IndicatorKey[]);
        expect(read).toEqual([state('dest-1', keys[2] as IndicatorKey), undefined, full]);
        expect(await store.getDestinationStates('other', [keys[0] as IndicatorKey])).toEqual([undefined]);
        expect(await store.lastSequence()).toBe(before);
        expect(await store.changesSince(before)).toEqual([]);
        await store.putDestinationStates([{ ...full, status: 'shared', attempts: 0, lastError: undefined }]);
        const replaced = (await store.getDestinationStates('dest-1', [keys[0] as IndicatorKey]))[0];
        expect(replaced?.status).toBe('shared');
        expect(replaced?.lastError).toBeUndefined();
      });

      it('accepts states of indicators it does not hold', async () => {
        const key = { type: 'md5' as const, value: 'f'.repeat(32) };
        await store.putDestinationStates([state('dest-1', key)]);
        expect((await store.getDestinationStates('dest-1', [key]))[0]?.value).toBe(key.value);
      });

      it('rejects an invalid batch, naming index and field, and writes nothing', async () => {
        const error = await rejectionOf(
          store.putDestinationStates([
            state('dest-1', keys[0] as IndicatorKey),
            state('dest-1', keys[1] as IndicatorKey, { status: 'gone' as DestinationState['status'] }),
          ]),
        );
        expect(error.code).toBe('VALIDATION_FAILED');
        expect((error as ValidationError).issues.map((issue) => issue.path)).toContain('[1].status');
        expect((await store.queryDestinationStates({ destinationId: 'dest-1' })).items).toEqual([]);
      });

      it('pages states of a destination by status, ordered by (type, value)', async () => {
        const statuses = ['pending', 'shared', 'failed', 'retracted'] as const;
        await store.putDestinationStates([
          ...keys.map((key, i) =>
            state('dest-1', key, { status: statuses[i % 4] as DestinationState['status'] }),
          ),
          state('dest-2', keys[0] as IndicatorKey),
          state('dest-1', { type: 'ipv4', value: '10.0.0.1' }),
          state('dest-1', { type: 'ipv4-cidr', value: '10.0.0.0/8' }),
        ]);
        const collect = async (query: { statuses?: DestinationState['status'][]; limit?: number }) => {
          const items: DestinationState[] = [];
          let cursor: string | undefined;
          for (let pages = 0; pages < 100; pages++) {
            const page = await store.queryDestinationStates({
              destinationId: 'dest-1',
              ...query,
              ...(cursor ? { cursor } : {}),
            });
            if (query.limit) expect(page.items.length).toBeLessThanOrEqual(query.limit);
            items.push(...page.items);
            if (!page.nextCursor) return items;
            cursor = page.nextCursor;
          }
          throw new Error('did not end');
        };
        const all = await collect({ limit: 4 });
        expect(all.map(keyOf)).toEqual([...keys.map(keyOf), 'ipv4:10.0.0.1', 'ipv4-cidr:10.0.0.0/8']);
        const failedOrRetracted = await collect({ statuses: ['failed', 'retracted'], limit: 3 });
        expect(failedOrRetracted.map(keyOf)).toEqual(keys.filter((_, i) => i % 4 >= 2).map(keyOf));
        expect(await collect({ statuses: [] })).toEqual([]);
        expect((await store.queryDestinationStates({ destinationId: 'nobody' })).items).toEqual([]);
        expect(
          (await rejectionOf(store.queryDestinationStates({ destinationId: 'dest-1', limit: -1 }))).code,
        ).toBe('VALIDATION_FAILED');
        expect(
          (
            await rejectionOf(
              store.queryDestinationStates({ destinationId: 'dest-1', statuses: ['nope' as 'shared'] }),
            )
          ).code,
        ).toBe('VALIDATION_FAILED');
      });

      it('lists the states of one indicator by destination and deletes a destination', async () => {
        const key = keys[0] as IndicatorKey;
        await store.putDestinationStates([
          state('dest-b', key),
          state('dest-a', key, { status: 'pending' }),
          state('dest-c', keys[1] as IndicatorKey),
          state('dest-b', keys[1] as IndicatorKey),
        ]);
        expect((await store.destinationStatesOf(key)).map((item) => item.destinationId)).toEqual([
          'dest-a',
          'dest-b',
        ]);
        expect(await store.deleteDestination('dest-b')).toBe(2);
        expect(await store.deleteDestination('dest-b')).toBe(0);
        expect((await store.destinationStatesOf(key)).map((item) => item.destinationId)).toEqual(['dest-a']);
        expect(
          (await store.getDestinationStates('dest-c', [keys[1] as IndicatorKey]))[0]?.destinationId,
        ).toBe('dest-c');
      });
    });

    describe('copies', () => {
      it('is not changed by mutating written or read records', async () => {
        const input = indicator('domain', 'a.example');
        const [stored] = await store.putMany([input]);
        input.merged.tags.push('mutated');
        (input.sources[0] as SourceRecord).sourceId = 'mutated';
        input.active = false;
        if (stored) stored.merged.severity = 'low';
        const read = (await store.get({ type: 'domain', value: 'a.example' })) as StoredIndicator;
        expect(read.merged.tags).toEqual(['malware', 'c2']);
        expect(read.sources[0]?.sourceId).toBe('feed-a');
        expect(read.active).toBe(true);
        expect(read.merged.severity).toBe('high');
        read.merged.tags.push('again');
        read.sightings.systems.push({ system: 'x', count: 1, firstSeen: 0, lastSeen: 0 });
        const [again] = await store.getMany([read]);
        expect(again?.merged.tags).toEqual(['malware', 'c2']);
        expect(again?.sightings.systems).toEqual([]);
        const [viaQuery] = (await store.query()).items;
        expect(viaQuery?.merged.tags).toEqual(['malware', 'c2']);
      });

      it('hands out copies of destination states', async () => {
        const key = { type: 'domain' as const, value: 'a.example' };
        const input = state('dest-1', key, { lastError: { code: 'X', message: 'm' } });
        await store.putDestinationStates([input]);
        input.status = 'failed';
        (input.lastError as { code: string }).code = 'mutated';
        const [read] = await store.getDestinationStates('dest-1', [key]);
        expect(read?.status).toBe('shared');
        expect(read?.lastError).toEqual({ code: 'X', message: 'm' });
        if (read?.lastError) read.lastError.message = 'changed';
        const [page] = (await store.queryDestinationStates({ destinationId: 'dest-1' })).items;
        expect(page?.lastError?.message).toBe('m');
      });
    });

    describe('durability', () => {
      it('keeps records, sequences and destination states across close and reopen', async (context) => {
        if (!subject.reopen) {
          context.skip();
          return;
        }
        const key = { type: 'domain' as const, value: 'a.example' };
        await store.putMany([indicator('domain', 'a.example'), indicator('ipv4', '10.0.0.1')]);
        await store.deleteMany([{ type: 'ipv4', value: '10.0.0.1' }]);
        await store.putDestinationStates([state('dest-1', key)]);
        const last = await store.lastSequence();
        const before = await store.get(key);
        await subject.close?.();
        closed = true;
        const next = await subject.reopen();
        const reopened = next.store;
        subject = { ...subject, ...next };
        closed = false;
        expect(await reopened.get(key)).toEqual(before);
        expect(await reopened.lastSequence()).toBe(last);
        expect((await reopened.getDestinationStates('dest-1', [key]))[0]?.status).toBe('shared');
        const [written] = await reopened.putMany([indicator('ipv4', '10.0.0.1')]);
        expect(written?.sequence).toBeGreaterThan(last);
      });
    });
  });
}
