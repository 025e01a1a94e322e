import {
  type AnyPluginDefinition,
  type IndicatorType,
  indicatorKeyString,
  indicatorReportSchema,
  indicatorTypes,
  type SharedIndicator,
  type SourceCheckpoint,
  toCeError,
} from '@ce/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPluginHarness, type PluginHarness } from '../plugin-harness.js';

/** What a contract suite needs for each test: a configuration pointing at a fresh mock server. */
export interface ContractSetup {
  /** The plugin's configuration for this test. */
  config: Record<string, unknown>;
  /** Closes the mock server. */
  teardown?: () => Promise<void>;
}

/** Options of {@link runThreatSourceContract}. */
export interface ThreatSourceContractOptions {
  /** Starts a mock server holding at least a few indicators and returns the configuration for it. */
  setup: () => Promise<ContractSetup>;
  /** Stop after this many batches in tests that only need a start. @default 50 */
  maxBatches?: number;
}

/** Options of {@link runThreatDestinationContract}. */
export interface ThreatDestinationContractOptions {
  setup: () => Promise<ContractSetup>;
  /** Parameters for each action the contract pushes with; actions left out get `{}`. */
  actionParameters?: Record<string, Record<string, unknown>>;
}

const sampleValues: Record<IndicatorType, string> = {
  url: 'http://contract-test.example/path',
  domain: 'contract-test.example',
  hostname: 'www.contract-test.example',
  ipv4: '192.0.2.10',
  ipv6: '2001:db8::10',
  'ipv4-cidr': '192.0.2.0/24',
  'ipv6-cidr': '2001:db8::/48',
  md5: '0123456789abcdef0123456789abcdef',
  sha1: '0123456789abcdef0123456789abcdef01234567',
  sha256: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  email: 'contract@contract-test.example',
};

// A distinct value per index (0 to 255), so that a batch never holds one key twice, as the
// engine's batches never do: addresses and networks count up within the documentation ranges.
function sampleValue(type: IndicatorType, index: number | undefined): string {
  const base = sampleValues[type];
  if (index === undefined) return base;
  const hex = index.toString(16).padStart(2, '0');
  switch (type) {
    case 'md5':
    case 'sha1':
    case 'sha256':
      return base.slice(0, -hex.length) + hex;
    case 'ipv4':
      return `192.0.2.${index}`;
    case 'ipv6':
      return `2001:db8::${hex}`;
    case 'ipv4-cidr':
      return `198.51.100.${index}/32`;
    case 'ipv6-cidr':
      return `2001:db8:${hex}::/48`;
    default:
      return base.replace('contract-test', `contract-test${hex}`);
  }
}

function sampleIndicator(type: IndicatorType, index?: number): SharedIndicator {
  const value = sampleValue(type, index);
  return {
    type,
    value,
    severity: 'high',
    reputation: 8,
    confidence: 80,
    tags: ['contract'],
    firstSeen: Date.parse('2026-01-01T00:00:00Z'),
    lastSeen: Date.parse('2026-01-02T00:00:00Z'),
    expiresAt: Date.parse('2026-04-01T00:00:00Z'),
    sources: ['contract-source'],
  };
}

/** A fresh mock server and harness for every test of a suite; returns the current harness. */
function harnessPerTest(
  plugin: AnyPluginDefinition,
  setup: () => Promise<ContractSetup>,
): () => PluginHarness<unknown> {
  let current: { setup: ContractSetup; harness: PluginHarness<unknown> } | undefined;
  beforeEach(async () => {
    const started = await setup();
    current = { setup: started, harness: createPluginHarness(plugin, { config: started.config }) };
  });
  afterEach(async () => {
    await current?.harness.close();
    await current?.setup.teardown?.();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('the contract harness is only available inside a test');
    return current.harness;
  };
}

/**
 * The threat exchange contract for source plugins: every batch carries valid indicator reports
 * and a JSON checkpoint, a pull can resume from any checkpoint it gave, and a pull stops when its
 * signal is aborted. Call it inside a test file; it defines its own `describe` block.
 *
 * @example
 * ```ts
 * runThreatSourceContract(acmePlugin, {
 *   setup: async () => {
 *     const server = await startAcmeMockServer();
 *     return { config: { baseUrl: server.url, apiToken: 'token-123456' }, teardown: () => server.close() };
 *   },
 * });
 * ```
 */
export function runThreatSourceContract(
  plugin: AnyPluginDefinition,
  options: ThreatSourceContractOptions,
): void {
  describe(`threat exchange source contract: ${plugin.id}`, () => {
    const harness = harnessPerTest(plugin, options.setup);

    const source = () => {
      const capability = plugin.cte?.source;
      if (!capability) throw new Error(`plugin "${plugin.id}" has no cte.source capability`);
      return capability;
    };

    it('declares the module and a pull mode', () => {
      expect(plugin.modules).toContain('cte');
      expect(['incremental', 'full']).toContain(source().mode);
    });

    it('yields valid reports and JSON checkpoints', async () => {
      let batches = 0;
      let indicators = 0;
      await harness().run(async (context) => {
        for await (const batch of source().pull(context, undefined)) {
          expect(Array.isArray(batch.indicators)).toBe(true);
          for (const report of batch.indicators) {
            const parsed = indicatorReportSchema.safeParse(report);
            expect(parsed.success, `invalid report ${JSON.stringify(report)}: ${parsed.error?.message}`).toBe(
              true,
            );
          }
          if (batch.checkpoint !== undefined)
            expect(JSON.parse(JSON.stringify(batch.checkpoint))).toEqual(batch.checkpoint);
          indicators += batch.indicators.length;
          if (++batches >= (options.maxBatches ?? 50)) break;
        }
      });
      expect(indicators).toBeGreaterThan(0);
    });

    it('resumes from the checkpoint of its first batch', async () => {
      let first: SourceCheckpoint | undefined;
      await harness().run(async (context) => {
        for await (const batch of source().pull(context, undefined)) {
          first = batch.checkpoint;
          break;
        }
      });
      if (source().mode === 'incremental')
        expect(first, 'incremental sources must checkpoint every batch').not.toBeUndefined();
      await harness().run(async (context) => {
        let batches = 0;
        for await (const batch of source().pull(context, first)) {
          expect(Array.isArray(batch.indicators)).toBe(true);
          if (++batches >= (options.maxBatches ?? 50)) break;
        }
      });
    });

    it('stops when its signal is aborted', async () => {
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      const context = harness().newContext(controller.signal);
      const pulled = (async () => {
        for await (const _batch of source().pull(context, undefined)) {
          // A source may yield what it already holds, but must not go on fetching.
        }
      })();
      const error = await pulled.then(
        () => undefined,
        (reason: unknown) => reason ?? new Error('rejected without a reason'),
      );
      expect(error, 'an aborted pull must reject').toBeDefined();
      // Rethrowing the signal's reason passes on the host's own error (`throwIfAborted()`);
      // anything else must say it was aborted, not fail for an unrelated cause.
      if (error !== controller.signal.reason) expect(toCeError(error).code).toBe('ABORTED');
    });
  });
}

/**
 * The threat exchange contract for destination plugins: actions are well formed, limits are
 * sane, and `push` (and `retract`, when offered) returns exactly one result per indicator, keyed
 * `type:value`, for a batch as large as the declared count limit allows (up to 25).
 */
export function runThreatDestinationContract(
  plugin: AnyPluginDefinition,
  options: ThreatDestinationContractOptions,
): void {
  describe(`threat exchange destination contract: ${plugin.id}`, () => {
    const harness = harnessPerTest(plugin, options.setup);

    const destination = () => {
      const capability = plugin.cte?.destination;
      if (!capability) throw new Error(`plugin "${plugin.id}" has no cte.destination capability`);
      return capability;
    };

    it('declares well-formed actions and limits', () => {
      expect(plugin.modules).toContain('cte');
      expect(['incremental', 'replace']).toContain(destination().mode);
      expect(destination().limits.maxBatchCount).toBeGreaterThanOrEqual(1);
      const actions = destination().getActions(harness().context.config);
      expect(actions.length).toBeGreaterThan(0);
      expect(new Set(actions.map((action) => action.id)).size).toBe(actions.length);
      for (const action of actions) {
        expect(action.indicatorTypes.length).toBeGreaterThan(0);
        for (const type of action.indicatorTypes) expect(indicatorTypes).toContain(type);
        if (action.parameters) {
          const parsed = action.parameters.safeParse(options.actionParameters?.[action.id] ?? {});
          expect(parsed.success, `parameters of action "${action.id}": ${parsed.error?.message}`).toBe(true);
        }
      }
    });

    it('returns one result per pushed indicator, keyed type:value', async () => {
      for (const action of destination().getActions(harness().context.config)) {
        const count = Math.min(25, destination().limits.maxBatchCount);
        const batch = Array.from({ length: count }, (_, index) =>
          sampleIndicator(
            action.indicatorTypes[index % action.indicatorTypes.length] as IndicatorType,
            index,
          ),
        );
        const parameters = action.parameters?.parse(options.actionParameters?.[action.id] ?? {}) ?? {};
        const results = await harness().run((context) =>
          destination().push(context, batch, {
            id: action.id,
            parameters: parameters as Record<string, unknown>,
          }),
        );
        expect(results.map((result) => result.key).sort()).toEqual(batch.map(indicatorKeyString).sort());
        for (const result of results) {
          if (!result.ok) expect(result.error.message.length).toBeGreaterThan(0);
        }
        const retract = destination().retract;
        if (retract && destination().mode === 'incremental') {
          const retracted = await harness().run((context) =>
            retract(context, batch, { id: action.id, parameters: parameters as Record<string, unknown> }),
          );
          expect(retracted.map((result) => result.key).sort()).toEqual(batch.map(indicatorKeyString).sort());
        }
      }
    });
  });
}
