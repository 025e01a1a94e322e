/**
 * Applies the plugin configurations of the host's configuration file at startup: each is added
 * when new and updated when it differs from what is stored. The file wins for the configurations
 * it lists; configurations it does not list (made through the API) are left alone.
 *
 * @module
 */
import { type CloudExchange, ConfigError, type FieldIssue, type PluginConfigRecord } from '@ce/core';
import type { HostPluginConfig } from './config.js';

/** What {@link applyPluginConfigurations} did, by configuration id. */
export interface ApplyResult {
  added: string[];
  updated: string[];
  unchanged: string[];
}

/** Options of {@link applyPluginConfigurations}. */
export interface ApplyOptions {
  /**
   * Audit actor of the changes.
   * @default 'config-file'
   */
  actor?: string;
  /** Where the entries come from, for error messages. */
  source?: string;
  /**
   * Field path prefix of the entries in the file.
   * @default 'plugins'
   */
  pathPrefix?: string;
}

interface SecretReference {
  secretRef: string;
}

function isSecretReference(value: unknown): value is SecretReference {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.keys(value).length === 1 &&
    typeof (value as { secretRef?: unknown }).secretRef === 'string'
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(value: unknown, path: ReadonlyArray<string | number>): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/**
 * Whether the desired settings equal the stored ones. A stored secret is a reference: it equals
 * the same reference, or the plain value it resolves to.
 */
async function sameSettings(
  desired: unknown,
  stored: unknown,
  path: Array<string | number>,
  resolveCurrent: () => Promise<unknown>,
): Promise<boolean> {
  if (isSecretReference(stored)) {
    if (isSecretReference(desired)) return desired.secretRef === stored.secretRef;
    return typeof desired === 'string' && valueAt(await resolveCurrent(), path) === desired;
  }
  if (Array.isArray(desired) && Array.isArray(stored)) {
    if (desired.length !== stored.length) return false;
    for (let index = 0; index < desired.length; index++) {
      if (!(await sameSettings(desired[index], stored[index], [...path, index], resolveCurrent)))
        return false;
    }
    return true;
  }
  if (isPlainObject(desired) && isPlainObject(stored)) {
    const keys = Object.keys(desired);
    if (keys.length !== Object.keys(stored).length || !keys.every((key) => Object.hasOwn(stored, key)))
      return false;
    for (const key of keys) {
      if (!(await sameSettings(desired[key], stored[key], [...path, key], resolveCurrent))) return false;
    }
    return true;
  }
  return Object.is(desired, stored);
}

async function isUnchanged(
  exchange: CloudExchange,
  entry: HostPluginConfig,
  record: PluginConfigRecord,
): Promise<boolean> {
  if ((entry.name ?? entry.id) !== record.name || entry.enabled !== record.enabled) return false;
  if (
    entry.modules &&
    (entry.modules.length !== record.modules.length || entry.modules.some((m, i) => record.modules[i] !== m))
  ) {
    return false;
  }
  // An interval left out of the file keeps the stored one: an update cannot clear it.
  if (entry.interval !== undefined && entry.interval !== record.intervalMs) return false;
  let resolved: Promise<unknown> | undefined;
  const resolveCurrent = (): Promise<unknown> => {
    resolved ??= exchange.configurations.resolve(record).catch(() => undefined);
    return resolved;
  };
  return sameSettings(entry.config, record.config, [], resolveCurrent);
}

/**
 * Validates every entry first (so that a bad file changes nothing), then adds the new ones and
 * updates those that changed.
 *
 * @throws ConfigError naming each invalid field as `plugins[<index>].<field>`.
 *
 * @example
 * ```ts
 * const result = await applyPluginConfigurations(exchange, config.plugins, { source: config.source });
 * logger.info('plugin configurations applied', { ...result });
 * ```
 */
export async function applyPluginConfigurations(
  exchange: CloudExchange,
  entries: ReadonlyArray<HostPluginConfig>,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const actor = options.actor ?? 'config-file';
  const prefix = options.pathPrefix ?? 'plugins';
  const subject = options.source
    ? `invalid configuration file ${options.source}`
    : 'invalid plugin configurations';
  const issues: FieldIssue[] = [];
  const stored = new Map((await exchange.configurations.list()).map((record) => [record.id, record]));
  const records = new Map<string, PluginConfigRecord>();
  for (const [index, entry] of entries.entries()) {
    const at = (path: string): string => `${prefix}[${index}]${path ? `.${path}` : ''}`;
    const record = stored.get(entry.id);
    if (record && record.pluginId !== entry.pluginId) {
      issues.push({
        path: at('pluginId'),
        reason: `configuration "${entry.id}" exists for plugin "${record.pluginId}"; remove it first or choose another id`,
      });
      continue;
    }
    if (record) records.set(entry.id, record);
    const validation = await exchange.configurations.validate(entry);
    if (!validation.ok)
      issues.push(...validation.issues.map((issue) => ({ path: at(issue.path), reason: issue.reason })));
  }
  if (issues.length > 0) throw new ConfigError(subject, issues);

  const result: ApplyResult = { added: [], updated: [], unchanged: [] };
  for (const entry of entries) {
    const record = records.get(entry.id);
    if (!record) {
      await exchange.configurations.add(entry, { actor });
      result.added.push(entry.id);
    } else if (await isUnchanged(exchange, entry, record)) {
      result.unchanged.push(entry.id);
    } else {
      const { id: _id, pluginId: _pluginId, ...patch } = entry;
      await exchange.configurations.update(entry.id, patch, { actor, expectedVersion: record.version });
      result.updated.push(entry.id);
    }
  }
  return result;
}
