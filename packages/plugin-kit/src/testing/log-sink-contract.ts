import {
  type AnyPluginDefinition,
  CeError,
  type LogBatch,
  type LogDelivery,
  type LogFormat,
  type LogSinkCapability,
  type LogSinkSession,
} from '@ce/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPluginHarness, type PluginHarness, type PluginHarnessOptions } from '../plugin-harness.js';

/** What the log sink contract needs for each test: a configuration pointing at a fresh destination. */
export interface LogSinkContractSetup {
  /** The plugin's configuration for this test. */
  config: Record<string, unknown>;
  /**
   * What the destination has received so far, one payload string per record, in the order it
   * received them: the message a syslog receiver parsed out of its frame, the `event` of a HEC
   * request, the lines of a file. The suite polls it until the records it expects have arrived.
   */
  read(): Promise<string[]>;
  /** Stops the destination. */
  teardown?: () => Promise<void>;
}

/** Options of {@link runLogSinkContract}. */
export interface LogSinkContractOptions {
  /** Starts a fresh destination (a receiver, a mock server, a temporary directory) for each test. */
  setup: () => Promise<LogSinkContractSetup>;
  /**
   * The format of the batches the suite delivers.
   * @default the first of the sink's `formats`
   */
  format?: LogFormat;
  /**
   * How the destination is expected to hold a payload that the sink must escape on its way, e.g.
   * a syslog sink with newline framing turns a raw LF into `\n`. Whatever it returns, a payload
   * must still arrive as exactly one record.
   * @default the payload unchanged
   */
  expectedPayload?: (payload: string) => string;
  /**
   * The largest batch the suite builds for the "a full batch is accepted" test; a sink declaring
   * more records per batch is tested with this many, to keep the suite fast.
   * @default 10000
   */
  maxItemsTested?: number;
  /**
   * How long the suite waits for records to show up at the destination, in ms.
   * @default 5000
   */
  readTimeoutMs?: number;
  /** Harness settings (a clock, HTTP overrides) merged into each test's harness. */
  harness?: Omit<PluginHarnessOptions<unknown>, 'config'>;
}

/**
 * Payloads that break naive sinks: line breaks that could start a second syslog message or NDJSON
 * line, text that looks like an octet count or a syslog header, CEF and LEEF separators, and
 * non-ASCII text. Every one is under 480 bytes of UTF-8, the smallest message RFC 5426 requires a
 * syslog receiver to accept over UDP.
 */
export const logSinkContractPayloads: ReadonlyArray<string> = [
  'plain ascii payload',
  'line one\nline two',
  'carriage\rreturn and crlf\r\nin the middle',
  'ends with a newline\n',
  'legit message\n<13>1 2026-01-01T00:00:00Z forged-host forged-app - - - injected second message',
  '42 <13>1 - - - - - - looks like an octet-counted frame',
  'CEF:0|Vendor\\|Inc|Product|1.0|100|name with \\| pipe|5|msg=a\\=b c=d|e act=blocked',
  'LEEF:2.0|Vendor|Product|1.0|100|^|src=192.0.2.1^dst=198.51.100.2^usrName=a=b|c',
  '{"json":"value with \\"quotes\\" and \\\\ backslash","n":1}',
  'tab\tseparated\tvalues',
  'café ünïcödé 日本語 Ελληνικά עברית 🛡️🔒 done',
  '  leading and trailing spaces  ',
];

let sequence = 0;

function delivery(payload: string, index: number, batchId: string): LogDelivery {
  return {
    id: `${batchId}:${index}`,
    stream: 'events/contract',
    payload,
    record: { index, payload, batch: batchId },
    timestamp: Date.parse('2026-01-01T00:00:00.000Z') + index,
  };
}

function batchOf(format: LogFormat, payloads: ReadonlyArray<string>, label: string): LogBatch {
  const id = `contract-${label}-${++sequence}`;
  return { id, format, items: payloads.map((payload, index) => delivery(payload, index, id)) };
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * The log shipper contract for sink plugins. It checks that formats and limits are declared and
 * sane; that a session opens, delivers and closes; that records arrive in order within and across
 * batches; that a batch of `maxBatchItems` records is accepted; that payloads holding line breaks,
 * `|`, `=` and non-ASCII text arrive intact (or as `expectedPayload` says) and never split into
 * two records; that `close` is idempotent; that a delivery after `close` fails with a typed
 * `CeError`; and that delivering the same batch twice is allowed (at least once: one or two
 * copies arrive).
 *
 * Each test delivers a final sentinel batch and waits for it, so records that arrive late or
 * split in two are caught without timed waits. Call it inside a test file; it defines its own
 * `describe` block.
 *
 * @example
 * ```ts
 * runLogSinkContract(acmeSinkPlugin, {
 *   setup: async () => {
 *     const receiver = await startAcmeReceiver();
 *     return {
 *       config: { url: receiver.url, token: 'token-123456' },
 *       read: async () => receiver.events.map((event) => event.payload),
 *       teardown: () => receiver.close(),
 *     };
 *   },
 * });
 * ```
 */
export function runLogSinkContract(plugin: AnyPluginDefinition, options: LogSinkContractOptions): void {
  describe(`log sink contract: ${plugin.id}`, () => {
    let current: { setup: LogSinkContractSetup; harness: PluginHarness<unknown> } | undefined;
    const sessions: LogSinkSession[] = [];

    beforeEach(async () => {
      const started = await options.setup();
      current = {
        setup: started,
        harness: createPluginHarness(plugin, { ...options.harness, config: started.config }),
      };
    });
    afterEach(async () => {
      for (const session of sessions.splice(0)) await session.close().catch(() => undefined);
      await current?.harness.close();
      await current?.setup.teardown?.();
      current = undefined;
    });

    const state = () => {
      if (!current) throw new Error('the contract harness is only available inside a test');
      return current;
    };
    const sink = (): LogSinkCapability<unknown> => {
      const capability = plugin.cls?.sink;
      if (!capability) throw new Error(`plugin "${plugin.id}" has no cls.sink capability`);
      return capability;
    };
    const format = (): LogFormat => {
      const chosen = options.format ?? sink().formats[0];
      if (!chosen) throw new Error(`plugin "${plugin.id}" declares no formats`);
      return chosen;
    };
    const expected = (payload: string) =>
      options.expectedPayload ? options.expectedPayload(payload) : payload;
    const open = async (): Promise<LogSinkSession> => {
      const session = await state().harness.run((context) => sink().open(context));
      sessions.push(session);
      return session;
    };
    const deliver = async (session: LogSinkSession, batch: LogBatch) => {
      const result = await session.deliver(batch, new AbortController().signal);
      expect(result.rejected ?? [], `batch ${batch.id} had records rejected`).toEqual([]);
    };

    /**
     * Delivers a sentinel batch, waits until it arrives, and returns what arrived before it. Order
     * is part of the contract, so everything delivered earlier has arrived by then.
     */
    const settle = async (session: LogSinkSession): Promise<string[]> => {
      const sentinel = `contract sentinel ${++sequence}`;
      await deliver(session, batchOf(format(), [sentinel], 'sentinel'));
      const timeoutMs = options.readTimeoutMs ?? 5_000;
      const deadline = Date.now() + timeoutMs;
      const wanted = expected(sentinel);
      for (;;) {
        const received = await state().setup.read();
        const at = received.lastIndexOf(wanted);
        if (at >= 0) return received.slice(0, at);
        if (Date.now() > deadline)
          throw new Error(
            `the sentinel record did not arrive within ${timeoutMs} ms; received ${received.length} records`,
          );
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };

    it('declares the module, its formats and sane limits', () => {
      expect(plugin.modules).toContain('cls');
      const formats = sink().formats;
      expect(formats.length, 'a sink must carry at least one format').toBeGreaterThan(0);
      expect(new Set(formats).size, 'formats must not repeat').toBe(formats.length);
      for (const declared of formats) expect(['cef', 'leef', 'syslog', 'json']).toContain(declared);
      if (options.format) expect(formats).toContain(options.format);
      const limits = sink().limits(state().harness.context.config);
      expect(Number.isSafeInteger(limits.maxBatchItems) && limits.maxBatchItems >= 1).toBe(true);
      if (limits.maxBatchBytes !== undefined) {
        expect(Number.isSafeInteger(limits.maxBatchBytes)).toBe(true);
        // A batch limit below one ordinary record would stall the shipper on the first event.
        expect(limits.maxBatchBytes).toBeGreaterThanOrEqual(1_024);
      }
    });

    it('opens, delivers a batch in order and closes', async () => {
      const session = await open();
      const payloads = ['first record', 'second record', 'third record'];
      await deliver(session, batchOf(format(), payloads, 'basic'));
      expect(await settle(session)).toEqual(payloads.map(expected));
      await session.close();
    });

    it('keeps order within and across batches', async () => {
      const session = await open();
      const all: string[] = [];
      for (let batch = 0; batch < 4; batch++) {
        const payloads = Array.from({ length: 25 }, (_, i) => `batch ${batch} record ${i}`);
        all.push(...payloads);
        await deliver(session, batchOf(format(), payloads, `order-${batch}`));
      }
      expect(await settle(session)).toEqual(all.map(expected));
    });

    it('accepts a batch of maxBatchItems records', async () => {
      const limits = sink().limits(state().harness.context.config);
      const payload = (i: number) => `full batch record ${String(i).padStart(6, '0')}`;
      let count = Math.min(limits.maxBatchItems, options.maxItemsTested ?? 10_000);
      if (limits.maxBatchBytes !== undefined)
        count = Math.min(count, Math.floor(limits.maxBatchBytes / utf8Length(payload(0))));
      const payloads = Array.from({ length: count }, (_, i) => payload(i));
      const session = await open();
      await deliver(session, batchOf(format(), payloads, 'full'));
      const received = await settle(session);
      expect(received.length).toBe(count);
      expect(received).toEqual(payloads.map(expected));
    });

    it('delivers separators, line breaks and non-ASCII text intact, one record per payload', async () => {
      const session = await open();
      await deliver(session, batchOf(format(), logSinkContractPayloads, 'hostile'));
      const received = await settle(session);
      expect(received.length, 'a payload split into several records, or records went missing').toBe(
        logSinkContractPayloads.length,
      );
      expect(received).toEqual(logSinkContractPayloads.map(expected));
    });

    it('closes idempotently and refuses to deliver after close with a typed error', async () => {
      const session = await open();
      await deliver(session, batchOf(format(), ['before close'], 'close'));
      await session.close();
      await session.close();
      const error = await session
        .deliver(batchOf(format(), ['after close'], 'closed'), new AbortController().signal)
        .then(
          () => undefined,
          (reason: unknown) => reason,
        );
      expect(error, 'deliver after close must reject').toBeDefined();
      expect(CeError.isInstance(error), `expected a CeError, got ${String(error)}`).toBe(true);
      // The record delivered before close must have been flushed by it.
      const deadline = Date.now() + (options.readTimeoutMs ?? 5_000);
      let received = await state().setup.read();
      while (!received.includes(expected('before close')) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        received = await state().setup.read();
      }
      expect(received).toEqual([expected('before close')]);
    });

    it('allows the same batch to be delivered twice (at least once)', async () => {
      const session = await open();
      const payloads = ['replayed one', 'replayed two', 'replayed three'];
      const batch = batchOf(format(), payloads, 'replay');
      await deliver(session, batch);
      await deliver(session, batch);
      const received = await settle(session);
      const once = payloads.map(expected);
      // An idempotent sink (deterministic ids or keys) keeps one copy, any other sink two.
      expect([once, [...once, ...once]]).toContainEqual(received);
    });
  });
}
