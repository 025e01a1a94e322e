import type { AnyPluginDefinition, LogPage, LogSourceCapability, LogStream } from '@ce/core';
import { createMemoryStorage, toCeError } from '@ce/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPluginHarness, type PluginHarness } from '../plugin-harness.js';
import type { ContractSetup } from './threat-exchange-contract.js';

/** Options of {@link runLogSourceContract}. */
export interface LogSourceContractOptions {
  /**
   * Starts a mock server and returns the configuration for it. The first stream (or the one
   * {@link LogSourceContractOptions.stream} picks) must hold at least two pages of records.
   */
  setup: () => Promise<ContractSetup>;
  /** The stream the paging tests read. @default the first stream */
  stream?: (streams: ReadonlyArray<LogStream>) => LogStream;
}

/** Whether a value is plain JSON: what `JSON.stringify` would keep exactly. */
function isPlainJson(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((item) => isPlainJson(item, depth + 1));
  if (typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  return Object.values(value as Record<string, unknown>).every((item) => isPlainJson(item, depth + 1));
}

function checkPage(page: LogPage): void {
  expect(Array.isArray(page.records)).toBe(true);
  for (const record of page.records) {
    expect(typeof record === 'object' && record !== null && !Array.isArray(record)).toBe(true);
    expect(isPlainJson(record)).toBe(true);
  }
  expect(isPlainJson(page.checkpoint)).toBe(true);
  expect(JSON.parse(JSON.stringify(page.checkpoint))).toEqual(page.checkpoint);
  expect(typeof page.more).toBe('boolean');
  if (page.waitMs !== undefined) expect(page.waitMs >= 0 && Number.isFinite(page.waitMs)).toBe(true);
  if (page.latestTimestamp !== undefined) expect(Number.isFinite(page.latestTimestamp)).toBe(true);
}

/**
 * The log shipper contract for source plugins: streams are stable and unique, every page holds
 * plain JSON records and a JSON checkpoint, a fetch can resume from a checkpoint that went through
 * JSON and a fresh process, `redeliver` returns the same records again, record ids are stable,
 * and an aborted fetch rejects. Call it inside a test file; it defines its own `describe` block.
 *
 * @example
 * ```ts
 * runLogSourceContract(acmeLogPlugin, {
 *   setup: async () => {
 *     const server = await startAcmeMockServer({ events: 500 });
 *     return { config: { baseUrl: server.url, apiToken: 'token-123456' }, teardown: () => server.close() };
 *   },
 * });
 * ```
 */
export function runLogSourceContract(plugin: AnyPluginDefinition, options: LogSourceContractOptions): void {
  describe(`log source contract: ${plugin.id}`, () => {
    let current: { setup: ContractSetup; harnesses: PluginHarness<unknown>[] } | undefined;
    beforeEach(async () => {
      current = { setup: await options.setup(), harnesses: [] };
    });
    afterEach(async () => {
      for (const harness of current?.harnesses ?? []) await harness.close();
      await current?.setup.teardown?.();
      current = undefined;
    });
    const keyValue = () => createMemoryStorage().keyValue;
    const harness = (shared?: ReturnType<typeof keyValue>): PluginHarness<unknown> => {
      if (!current) throw new Error('the contract harness is only available inside a test');
      const created = createPluginHarness(plugin, {
        config: current.setup.config,
        ...(shared ? { keyValue: shared } : {}),
      });
      current.harnesses.push(created);
      return created;
    };
    const source = (): LogSourceCapability<unknown> => {
      const capability = plugin.cls?.source;
      if (!capability) throw new Error(`plugin "${plugin.id}" has no cls.source capability`);
      return capability;
    };
    const pickStream = (h: PluginHarness<unknown>): LogStream => {
      const streams = source().streams(h.context.config);
      return options.stream ? options.stream(streams) : (streams[0] as LogStream);
    };

    it('declares the module and stable, unique streams', () => {
      expect(plugin.modules).toContain('cls');
      const h = harness();
      const streams = source().streams(h.context.config);
      expect(streams.length).toBeGreaterThan(0);
      expect(new Set(streams.map((stream) => stream.id)).size).toBe(streams.length);
      for (const stream of streams) {
        expect(['event', 'alert']).toContain(stream.kind);
        expect(stream.id.length).toBeGreaterThan(0);
        expect(stream.type.length).toBeGreaterThan(0);
      }
      expect(source().streams(h.context.config)).toEqual(streams);
    });

    it('returns pages of plain JSON records with JSON checkpoints, and continues from them', async () => {
      const h = harness();
      const stream = pickStream(h);
      const first = await h.run((ctx) =>
        source().fetch(ctx, { stream, checkpoint: undefined, redeliver: false }),
      );
      checkPage(first);
      expect(first.records.length).toBeGreaterThan(0);
      const second = await h.run((ctx) =>
        source().fetch(ctx, {
          stream,
          checkpoint: JSON.parse(JSON.stringify(first.checkpoint)),
          redeliver: false,
        }),
      );
      checkPage(second);
      expect(second.records.length).toBeGreaterThan(0);
      expect(second.records).not.toEqual(first.records);
    });

    it('returns the same records again on redeliver, also in a fresh process', async () => {
      const shared = keyValue();
      const before = harness(shared);
      const stream = pickStream(before);
      const first = await before.run((ctx) =>
        source().fetch(ctx, { stream, checkpoint: undefined, redeliver: false }),
      );
      const durable = JSON.parse(JSON.stringify(first.checkpoint));
      const inFlight = await before.run((ctx) =>
        source().fetch(ctx, { stream, checkpoint: durable, redeliver: false }),
      );
      expect(inFlight.records.length).toBeGreaterThan(0);
      // The process stops before the page is made durable; a new one starts from the last checkpoint.
      const after = harness(shared);
      const again = await after.run((ctx) =>
        source().fetch(ctx, { stream, checkpoint: durable, redeliver: true }),
      );
      checkPage(again);
      expect(again.records).toEqual(inFlight.records);
      const recordId = source().recordId;
      if (recordId) {
        const ids = inFlight.records.map((record) => recordId(record));
        for (const id of ids)
          expect(id === undefined || (typeof id === 'string' && id.length > 0)).toBe(true);
        expect(again.records.map((record) => recordId(record))).toEqual(ids);
      }
    });

    it('rejects a fetch whose signal is aborted', async () => {
      const h = harness();
      const stream = pickStream(h);
      const controller = new AbortController();
      controller.abort(new Error('stopped by the contract'));
      const failure = await source()
        .fetch(h.newContext(controller.signal), { stream, checkpoint: undefined, redeliver: false })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failure).toBeDefined();
      const code = toCeError(failure).code;
      expect(failure === controller.signal.reason || code === 'ABORTED').toBe(true);
    });
  });
}
