import {
  type ConfigValidationResult,
  type PluginDefinition,
  pluginSpecVersion,
  validateConfig,
} from '@ce/core';
import type { z } from 'zod';

/** What {@link definePlugin} takes: a definition whose `Config` is inferred from `configSchema`. */
export type PluginDefinitionInput<Schema extends z.ZodType> = Omit<
  PluginDefinition<z.output<Schema>>,
  'specVersion' | 'configSchema'
> & {
  /** @default the version this kit implements */
  specVersion?: typeof pluginSpecVersion;
  configSchema: Schema;
};

/** A defined plugin: the definition plus `validate(config)`. */
export type DefinedPlugin<Schema extends z.ZodType> = PluginDefinition<z.output<Schema>> & {
  /** Validates settings against the schema; never throws on bad input. */
  validate(config: unknown): ConfigValidationResult<z.output<Schema>>;
};

/**
 * Defines a plugin. The configuration type of every capability method is inferred from the zod
 * `configSchema`, and the definition is frozen so a host cannot be changed from under it.
 *
 * @example
 * ```ts
 * export const acmePlugin = definePlugin({
 *   id: 'acme',
 *   name: 'Acme Threat Feed',
 *   version: '1.0.0',
 *   description: 'Pulls indicators from the Acme API.',
 *   modules: ['cte'],
 *   configSchema: z.object({ baseUrl: z.url(), apiToken: secretString() }),
 *   http: (config) => ({ baseUrl: config.baseUrl, headers: { authorization: `Bearer ${config.apiToken}` } }),
 *   async check(ctx) {
 *     await ctx.http.get('/v1/status');
 *     return { ok: true };
 *   },
 * });
 * ```
 */
export function definePlugin<Schema extends z.ZodType>(
  definition: PluginDefinitionInput<Schema>,
): DefinedPlugin<Schema> {
  const defined = {
    ...definition,
    specVersion: definition.specVersion ?? pluginSpecVersion,
    validate: (config: unknown) => validateConfig(definition.configSchema, config),
  } as DefinedPlugin<Schema>;
  return Object.freeze(defined);
}
