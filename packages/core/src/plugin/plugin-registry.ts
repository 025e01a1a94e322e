import type { z } from 'zod';
import { CeError } from '../errors/ce-error.js';
import { ConfigError } from '../errors/validation-error.js';
import { configJsonSchema, findSecretPaths, validateConfig } from './config-schema.js';
import {
  type AnyPluginDefinition,
  type ConfigValidationResult,
  checkPluginMetadata,
  pluginSpecVersion,
} from './plugin-definition.js';

/** A plugin as a catalogue shows it: metadata and the JSON Schema of its settings. */
export interface PluginManifest {
  id: string;
  name: string;
  version: string;
  description: string;
  specVersion: number;
  modules: string[];
  capabilities: Record<string, boolean>;
  /** JSON Schema (draft 2020-12) of the settings; secret fields carry `secret: true`. */
  configJsonSchema: Record<string, unknown>;
  /** Dotted paths of secret fields. */
  secretFields: string[];
}

/**
 * Holds the plugin definitions a host knows. Registration checks the contract version and the
 * metadata, so a broken or incompatible plugin fails when it is loaded, not when it first runs.
 */
export class PluginRegistry {
  private readonly definitions = new Map<string, AnyPluginDefinition>();

  /** Creates a registry holding `definitions`. */
  constructor(definitions: Iterable<AnyPluginDefinition> = []) {
    for (const definition of definitions) this.register(definition);
  }

  /**
   * Adds a definition. Fails with `PLUGIN_INCOMPATIBLE` for another `specVersion`, with
   * `CONFIG_INVALID` for bad metadata, with `CONFLICT` for an id already registered.
   */
  register(definition: AnyPluginDefinition): void {
    const declared = (definition as { specVersion?: unknown }).specVersion;
    if (declared !== pluginSpecVersion) {
      throw new CeError(
        'PLUGIN_INCOMPATIBLE',
        `plugin "${String((definition as { id?: unknown }).id)}" targets plugin contract version ${String(declared)}, this host implements version ${pluginSpecVersion}`,
        { details: { declared, supported: pluginSpecVersion } },
      );
    }
    const issues = checkPluginMetadata(definition);
    if (issues.length > 0)
      throw new ConfigError(`invalid plugin definition "${String(definition.id)}"`, issues);
    if (this.definitions.has(definition.id)) {
      throw new CeError('CONFLICT', `a plugin with id "${definition.id}" is already registered`);
    }
    this.definitions.set(definition.id, definition);
  }

  /** Whether a plugin with that id is registered. */
  has(id: string): boolean {
    return this.definitions.has(id);
  }

  /** The definition, or a `PLUGIN_NOT_FOUND` error. */
  get(id: string): AnyPluginDefinition {
    const definition = this.definitions.get(id);
    if (!definition) throw new CeError('PLUGIN_NOT_FOUND', `no plugin with id "${id}" is registered`);
    return definition;
  }

  /** Every definition, ordered by id. */
  list(): AnyPluginDefinition[] {
    return [...this.definitions.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The catalogue view of a plugin. */
  manifest(id: string): PluginManifest {
    const definition = this.get(id);
    const schema = definition.configSchema as z.ZodType;
    return {
      id: definition.id,
      name: definition.name,
      version: definition.version,
      description: definition.description,
      specVersion: definition.specVersion,
      modules: [...definition.modules],
      capabilities: Object.fromEntries(
        Object.entries(definition.capabilities ?? {}).filter(
          (entry): entry is [string, boolean] => entry[1] !== undefined,
        ),
      ),
      configJsonSchema: configJsonSchema(schema),
      secretFields: findSecretPaths(schema).map((path) => path.join('.')),
    };
  }

  /** Validates a configuration for a plugin. Never throws on bad input. */
  validate(id: string, config: unknown): ConfigValidationResult<unknown> {
    const definition = this.definitions.get(id);
    if (!definition)
      return { ok: false, issues: [{ path: 'pluginId', reason: `no plugin with id "${id}" is registered` }] };
    return validateConfig(definition.configSchema as z.ZodType, config);
  }
}
