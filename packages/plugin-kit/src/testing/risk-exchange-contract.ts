import {
  type AnyPluginDefinition,
  CeError,
  type EntityType,
  type RiskActionCapability,
  type RiskActionItem,
  type RiskObservationInput,
  type RiskSourceCapability,
  type SourceCheckpoint,
  toCeError,
} from '@ce/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPluginHarness, type PluginHarness, type PluginHarnessOptions } from '../plugin-harness.js';

/** What the risk source contract needs for each test: a configuration pointing at a fresh mock holding scores. */
export interface RiskSourceContractSetup {
  /** The plugin's configuration for this test. */
  config: Record<string, unknown>;
  /** Secret values of the configuration, which must never appear in an error or a log. */
  secrets?: ReadonlyArray<string>;
  /** Makes the next request answer `status` (with `Retry-After` when given). */
  failNext?(status: number, retryAfterSeconds?: number): void;
  /** Stops the mock. */
  teardown?: () => Promise<void>;
}

/** Options of {@link runRiskSourceContract}. */
export interface RiskSourceContractOptions {
  /** Starts a mock holding at least a few scored entities of every type the plugin reads. */
  setup: () => Promise<RiskSourceContractSetup>;
  /** Stop after this many pages per entity type. @default 50 */
  maxPages?: number;
  /** Harness settings merged into each test's harness. */
  harness?: Omit<PluginHarnessOptions<unknown>, 'config'>;
}

/** What the risk action contract needs for each test. */
export interface RiskActionContractSetup {
  /** The plugin's configuration for this test. */
  config: Record<string, unknown>;
  /** Parameters for each action the suite runs (a group that exists on the mock); actions left out get `{}`. */
  parameters?: Record<string, Record<string, unknown>>;
  /** An entity per type that exists on the mock, as the exchange would hand it over. */
  entities: Partial<Record<EntityType, RiskActionItem['entity']>>;
  /**
   * Whether the action is in effect on the mock for the entity (the user is in the group), so the
   * suite can check that apply and revert took effect.
   */
  inEffect?(
    action: string,
    parameters: Record<string, unknown>,
    entity: RiskActionItem['entity'],
  ): Promise<boolean>;
  /** Secret values of the configuration, which must never appear in an error or a log. */
  secrets?: ReadonlyArray<string>;
  /** Stops the mock. */
  teardown?: () => Promise<void>;
}

/** Options of {@link runRiskActionContract}. */
export interface RiskActionContractOptions {
  /** Starts a fresh mock for each test. */
  setup: () => Promise<RiskActionContractSetup>;
  /** Harness settings merged into each test's harness. */
  harness?: Omit<PluginHarnessOptions<unknown>, 'config'>;
}

function perTest<Setup extends { config: Record<string, unknown>; teardown?: () => Promise<void> }>(
  plugin: AnyPluginDefinition,
  setup: () => Promise<Setup>,
  harnessOptions: Omit<PluginHarnessOptions<unknown>, 'config'> | undefined,
): () => { setup: Setup; harness: PluginHarness<unknown> } {
  let current: { setup: Setup; harness: PluginHarness<unknown> } | undefined;
  beforeEach(async () => {
    const started = await setup();
    current = {
      setup: started,
      harness: createPluginHarness(plugin, { ...harnessOptions, config: started.config }),
    };
  });
  afterEach(async () => {
    await current?.harness.close();
    await current?.setup.teardown?.();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('setup did not run');
    return current;
  };
}

function isJson(value: unknown): boolean {
  try {
    return JSON.stringify(JSON.parse(JSON.stringify(value))) === JSON.stringify(value);
  } catch {
    return false;
  }
}

/**
 * The risk exchange contract for source plugins. It checks that entity types and default
 * normalizations are declared; that every entity type yields well-formed observations (an entity
 * type the plugin declared, a non-empty identity of strings, a numeric, text or `null` value, a
 * valid observation time) with JSON checkpoints, and ends; that resuming from a page's checkpoint
 * does not start over; and that a refused request fails with a typed error that holds no secret.
 *
 * @example
 * ```ts
 * runRiskSourceContract(acmeRiskPlugin, {
 *   setup: async () => {
 *     const mock = await startAcmeMock({ users: 30 });
 *     return { config: { url: mock.url, apiKey: 'key-123456' }, secrets: ['key-123456'], teardown: () => mock.close() };
 *   },
 * });
 * ```
 */
export function runRiskSourceContract(plugin: AnyPluginDefinition, options: RiskSourceContractOptions): void {
  describe(`risk source contract: ${plugin.id}`, () => {
    const current = perTest(plugin, options.setup, options.harness);
    const source = (): RiskSourceCapability<unknown> => {
      const capability = plugin.cre?.source;
      if (!capability) throw new Error(`plugin "${plugin.id}" has no cre.source capability`);
      return capability;
    };
    const maxPages = options.maxPages ?? 50;
    const pullAll = async (entityType: EntityType) => {
      const pages: Array<{
        observations: ReadonlyArray<RiskObservationInput>;
        checkpoint: SourceCheckpoint;
      }> = [];
      let checkpoint: SourceCheckpoint | undefined;
      for (let index = 0; index < maxPages; index++) {
        const page = await current().harness.run((context) =>
          source().pull(context, { entityType, checkpoint }),
        );
        pages.push(page);
        checkpoint = page.checkpoint;
        if (!page.more) break;
      }
      return pages;
    };

    it('declares the module, its entity types and a normalization for each', () => {
      expect(plugin.modules).toContain('cre');
      const config = current().harness.context.config;
      const types = source().entityTypes(config);
      expect(types.length).toBeGreaterThan(0);
      for (const type of types) {
        const spec = source().defaultNormalization(config, type);
        expect([
          'identity',
          'linear',
          'piecewise',
          'categorical',
          'grade',
          'saturating',
          'population',
        ]).toContain(spec.strategy);
      }
    });

    it('yields well-formed observations with JSON checkpoints for every entity type', async () => {
      const config = current().harness.context.config;
      for (const type of source().entityTypes(config)) {
        const pages = await pullAll(type);
        const observations = pages.flatMap((page) => page.observations);
        expect(observations.length, `observations of ${type}`).toBeGreaterThan(0);
        for (const page of pages) expect(isJson(page.checkpoint)).toBe(true);
        for (const observation of observations) {
          expect(observation.entityType).toBe(type);
          const identity = Object.entries(observation.identity);
          expect(identity.length).toBeGreaterThan(0);
          for (const [, value] of identity) {
            expect(typeof value).toBe('string');
            expect(value.length).toBeGreaterThan(0);
          }
          expect(
            observation.value === null ||
              typeof observation.value === 'number' ||
              typeof observation.value === 'string',
          ).toBe(true);
          if (typeof observation.value === 'number') expect(Number.isFinite(observation.value)).toBe(true);
          const at =
            typeof observation.observedAt === 'number'
              ? observation.observedAt
              : Date.parse(observation.observedAt);
          expect(Number.isFinite(at)).toBe(true);
          if (observation.fields) expect(isJson(observation.fields)).toBe(true);
        }
      }
    });

    it('resumes from the checkpoint of its first page without starting over', async () => {
      const config = current().harness.context.config;
      for (const type of source().entityTypes(config)) {
        const first = await current().harness.run((context) =>
          source().pull(context, { entityType: type, checkpoint: undefined }),
        );
        if (!first.more) continue;
        const second = await current().harness.run((context) =>
          source().pull(context, { entityType: type, checkpoint: first.checkpoint }),
        );
        const key = (observation: RiskObservationInput) => JSON.stringify(observation.identity);
        const seen = new Set(first.observations.map(key));
        expect(second.observations.every((observation) => !seen.has(key(observation)))).toBe(true);
      }
    });

    it('fails a refused request with a typed error that holds no secret', async () => {
      const failNext = current().setup.failNext;
      if (!failNext) return;
      const [type] = source().entityTypes(current().harness.context.config);
      failNext(403);
      const error = await current()
        .harness.run((context) =>
          source().pull(context, { entityType: type as EntityType, checkpoint: undefined }),
        )
        .then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
      expect(CeError.isInstance(error), 'a 403 must fail the pull with a CeError').toBe(true);
      expect(toCeError(error).retryable).toBe(false);
      const text = `${toCeError(error).message} ${JSON.stringify(toCeError(error).toJSON())} ${JSON.stringify(current().harness.logs)}`;
      for (const secret of current().setup.secrets ?? []) expect(text).not.toContain(secret);
    });
  });
}

/**
 * The risk exchange contract for action plugins. It checks that actions are well formed (unique
 * ids, known entity types, parameters that validate); that running an action returns exactly one
 * result per item, keyed by idempotency key; that applying and reverting take effect where the
 * mock can tell; that applying twice and reverting twice both succeed (actions are idempotent);
 * and that nothing logged holds a secret.
 */
export function runRiskActionContract(plugin: AnyPluginDefinition, options: RiskActionContractOptions): void {
  describe(`risk action contract: ${plugin.id}`, () => {
    const current = perTest(plugin, options.setup, options.harness);
    const actions = (): RiskActionCapability<unknown> => {
      const capability = plugin.cre?.actions;
      if (!capability) throw new Error(`plugin "${plugin.id}" has no cre.actions capability`);
      return capability;
    };
    const parametersOf = (id: string): Record<string, unknown> => current().setup.parameters?.[id] ?? {};
    let sequence = 0;
    const run = (action: string, entity: RiskActionItem['entity'], revert: boolean) => {
      const key = `contract-${action}-${entity.id}-${revert ? 'revert' : 'apply'}-${++sequence}`;
      return current()
        .harness.run((context) =>
          actions().execute(context, {
            action,
            parameters: parametersOf(action),
            items: [{ idempotencyKey: key, entity, revert }],
          }),
        )
        .then((results) => ({ key, results }));
    };

    it('declares well-formed actions', () => {
      expect(plugin.modules).toContain('cre');
      const declared = actions().actions(current().harness.context.config);
      expect(declared.length).toBeGreaterThan(0);
      expect(new Set(declared.map((action) => action.id)).size).toBe(declared.length);
      for (const action of declared) {
        expect(action.entityTypes.length).toBeGreaterThan(0);
        if (action.maxBatch !== undefined) expect(action.maxBatch).toBeGreaterThanOrEqual(1);
        if (action.parameters) {
          const parsed = action.parameters.safeParse(parametersOf(action.id));
          expect(parsed.success, `parameters of action "${action.id}": ${parsed.error?.message}`).toBe(true);
        }
      }
    });

    it('applies and reverts each action, idempotently, one result per item', async () => {
      const { entities, inEffect } = current().setup;
      for (const action of actions().actions(current().harness.context.config)) {
        const entity = action.entityTypes.map((type) => entities[type]).find((found) => found !== undefined);
        if (!entity) continue;
        for (let twice = 0; twice < 2; twice++) {
          const { key, results } = await run(action.id, entity, false);
          expect(results).toHaveLength(1);
          expect(results[0]).toMatchObject({ idempotencyKey: key, ok: true });
        }
        if (inEffect) expect(await inEffect(action.id, parametersOf(action.id), entity)).toBe(true);
        if (!action.revertible) continue;
        for (let twice = 0; twice < 2; twice++) {
          const { key, results } = await run(action.id, entity, true);
          expect(results).toHaveLength(1);
          expect(results[0]).toMatchObject({ idempotencyKey: key, ok: true });
        }
        if (inEffect) expect(await inEffect(action.id, parametersOf(action.id), entity)).toBe(false);
      }
      const logs = JSON.stringify(current().harness.logs);
      for (const secret of current().setup.secrets ?? []) expect(logs).not.toContain(secret);
    });
  });
}
