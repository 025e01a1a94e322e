import { CeError } from '../errors/ce-error.js';
import type { AnyPluginDefinition } from '../plugin/plugin-definition.js';
import type { PluginConfigRecord } from '../storage/storage-adapter.js';
import type { ModuleHost } from './module-contract.js';

/**
 * A stored plugin configuration and the capability a module needs from its plugin, so that every
 * module refuses a wrong configuration the same way: `NOT_FOUND` when no configuration has the id,
 * `CONFIG_INVALID` naming the configuration, its plugin and `role` when the plugin lacks the
 * capability.
 *
 * @example
 * ```ts
 * const { capability } = await configuredCapability(host, 'feed-1', 'threat exchange source', (plugin) => plugin.cte?.source);
 * ```
 */
export async function configuredCapability<T>(
  host: Pick<ModuleHost, 'storage' | 'plugins'>,
  configId: string,
  role: string,
  pick: (definition: AnyPluginDefinition) => T | undefined,
): Promise<{ record: PluginConfigRecord; capability: T }> {
  const record = await host.storage.pluginConfigs.get(configId);
  if (!record) throw new CeError('NOT_FOUND', `no plugin configuration with id "${configId}"`);
  const capability = pick(host.plugins.definition(record.pluginId));
  if (capability === undefined)
    throw new CeError(
      'CONFIG_INVALID',
      `configuration "${configId}" (plugin "${record.pluginId}") is not a ${role}`,
    );
  return { record, capability };
}
