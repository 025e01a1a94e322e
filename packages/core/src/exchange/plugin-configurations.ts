import { z } from 'zod';
import { CeError } from '../errors/ce-error.js';
import {
  ConfigError,
  type FieldIssue,
  issuesFromZod,
  PluginConfigError,
} from '../errors/validation-error.js';
import type { EventBus } from '../events/event-bus.js';
import { redactedMarker, redactValue } from '../logging/redact.js';
import { findSecretPaths, getAtPath, setAtPath, validateConfig } from '../plugin/config-schema.js';
import type { PluginRegistry } from '../plugin/plugin-registry.js';
import { durationSchema, identifierSchema, moduleNameSchema } from '../schemas/common.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { PluginConfigRecord, StorageAdapter } from '../storage/storage-adapter.js';
import type { Clock } from '../time/clock.js';
import type { CloudExchangeEvents, PluginConfigChangedEvent } from './exchange-events.js';

/** A reference to a secret held elsewhere, as configurations store and return secret fields. */
export interface SecretReference {
  secretRef: string;
}

const secretReferenceSchema = z.object({ secretRef: z.string().min(1) }).strict();

/** What a user submits to add a plugin configuration. */
export const pluginConfigInputSchema = z
  .object({
    id: identifierSchema,
    pluginId: z.string().min(1),
    name: z.string().min(1).max(200).optional(),
    modules: z.array(moduleNameSchema).optional(),
    enabled: z.boolean().default(true),
    /** How often the configuration's scheduled work runs; a duration (`5m`) or milliseconds. */
    interval: durationSchema.optional(),
    /**
     * The plugin's settings. A secret field takes the secret itself (stored in the secret store)
     * or `{ "secretRef": "env:NAME" }`.
     */
    config: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** Input of {@link PluginConfigurations.add}. */
export type PluginConfigInput = z.input<typeof pluginConfigInputSchema>;

/** Input of {@link PluginConfigurations.update}: any field but `id` and `pluginId`. */
export type PluginConfigPatch = Partial<Omit<PluginConfigInput, 'id' | 'pluginId'>>;

/**
 * A configuration as returned to callers: secret fields are `{ secretRef }` objects, never
 * values, so the view is safe to log, return from an API or export.
 */
export type PluginConfigView = PluginConfigRecord;

/** Who makes a change, for the audit log. */
export interface ChangeOptions {
  /** @default 'system' */
  actor?: string;
  /** Apply only if the stored version still equals this. */
  expectedVersion?: number;
}

/** Validation outcome of a configuration input. */
export type PluginConfigValidation = { ok: true } | { ok: false; issues: FieldIssue[] };

/** What {@link PluginConfigurations} is built from. */
export interface PluginConfigurationsDependencies {
  storage: StorageAdapter;
  registry: PluginRegistry;
  secrets: SecretStore;
  clock: Clock;
  events: EventBus<CloudExchangeEvents>;
  onChange: (change: PluginConfigChangedEvent) => Promise<void>;
}

function isSecretReference(value: unknown): value is SecretReference {
  return secretReferenceSchema.safeParse(value).success;
}

/**
 * Manages plugin configurations: add, update, validate, enable, disable, remove. Secrets go to
 * the secret store; every change is validated against the plugin's schema with the secrets
 * resolved, written with its audit entry in one transaction, and announced to the modules.
 */
export class PluginConfigurations {
  /** Creates the manager; `createCloudExchange` does this for you. */
  constructor(private readonly deps: PluginConfigurationsDependencies) {}

  /** Every configuration, ordered by id; secret fields are references. */
  list(): Promise<PluginConfigView[]> {
    return this.deps.storage.pluginConfigs.list();
  }

  /** One configuration, or a `NOT_FOUND` error. */
  async get(id: string): Promise<PluginConfigView> {
    const record = await this.deps.storage.pluginConfigs.get(id);
    if (!record) throw new CeError('NOT_FOUND', `no plugin configuration with id "${id}"`);
    return record;
  }

  /** Checks an input without storing anything. Never throws on bad input. */
  async validate(input: unknown): Promise<PluginConfigValidation> {
    try {
      await this.prepare(input, undefined);
      return { ok: true };
    } catch (error) {
      if (error instanceof ConfigError) return { ok: false, issues: [...error.issues] };
      throw error;
    }
  }

  /** Adds a configuration; fails with `CONFLICT` if the id is taken, `CONFIG_INVALID` if it is invalid. */
  async add(input: PluginConfigInput, options: ChangeOptions = {}): Promise<PluginConfigView> {
    const prepared = await this.prepare(input, undefined);
    return this.persist(prepared, 'added', { ...options, expectedVersion: 0 });
  }

  /**
   * Changes a configuration. Secret fields left out, or given as `"[REDACTED]"` or as their
   * current reference, keep their current secret.
   */
  async update(id: string, patch: PluginConfigPatch, options: ChangeOptions = {}): Promise<PluginConfigView> {
    const current = await this.get(id);
    const input = {
      id,
      pluginId: current.pluginId,
      name: patch.name ?? current.name,
      modules: patch.modules ?? current.modules,
      enabled: patch.enabled ?? current.enabled,
      ...(patch.interval !== undefined
        ? { interval: patch.interval }
        : current.intervalMs !== undefined
          ? { interval: current.intervalMs }
          : {}),
      config: patch.config ?? current.config,
    };
    const prepared = await this.prepare(input, current);
    if (options.expectedVersion !== undefined && options.expectedVersion !== current.version) {
      throw new CeError('CONFLICT', `plugin configuration "${id}" changed since it was read`);
    }
    if (unchanged(prepared, current)) return current;
    return this.persist(prepared, 'updated', {
      ...options,
      expectedVersion: options.expectedVersion ?? current.version,
    });
  }

  /** Enables a configuration. */
  enable(id: string, options: ChangeOptions = {}): Promise<PluginConfigView> {
    return this.setEnabled(id, true, options);
  }

  /** Disables a configuration; its scheduled work stops. */
  disable(id: string, options: ChangeOptions = {}): Promise<PluginConfigView> {
    return this.setEnabled(id, false, options);
  }

  /** Removes a configuration and the secrets it owns. */
  async remove(id: string, options: ChangeOptions = {}): Promise<void> {
    const current = await this.get(id);
    const at = this.deps.clock.now();
    await this.deps.storage.transaction(async (tx) => {
      const stored = await tx.pluginConfigs.get(id);
      if (!stored || (options.expectedVersion !== undefined && stored.version !== options.expectedVersion)) {
        throw new CeError('CONFLICT', `plugin configuration "${id}" changed since it was read`);
      }
      await tx.pluginConfigs.delete(id);
      await tx.audit.append({
        at,
        actor: options.actor ?? 'system',
        action: 'plugin-config-removed',
        target: `plugin-config:${id}`,
      });
    });
    for (const reference of ownedSecretReferences(current)) await this.deps.secrets.delete(reference);
    await this.announce({
      kind: 'removed',
      configId: id,
      pluginId: current.pluginId,
      actor: options.actor ?? 'system',
      at,
    });
  }

  /**
   * The configuration with secret fields resolved to their values and validated against the
   * plugin's schema, for the plugin runtime. Never return this to a user.
   */
  async resolve(record: PluginConfigRecord): Promise<unknown> {
    const definition = this.deps.registry.get(record.pluginId);
    let config: Record<string, unknown> = record.config;
    const issues: FieldIssue[] = [];
    for (const path of findSecretPaths(definition.configSchema)) {
      const value = getAtPath(config, path);
      if (!isSecretReference(value)) continue;
      const resolved = await this.deps.secrets.resolve(value.secretRef);
      if (resolved === undefined)
        issues.push({ path: `config.${path.join('.')}`, reason: 'the secret it refers to does not exist' });
      else config = setAtPath(config, path, resolved);
    }
    if (issues.length > 0) throw new PluginConfigError(record.pluginId, issues);
    const result = validateConfig(definition.configSchema, config);
    if (!result.ok)
      throw new PluginConfigError(
        record.pluginId,
        result.issues.map((i) => ({ ...i, path: `config.${i.path}` })),
      );
    return result.config;
  }

  /** Every configuration with secrets removed and settings redacted: safe to write to a file. */
  async exportAll(): Promise<Array<Omit<PluginConfigView, 'version' | 'createdAt' | 'updatedAt'>>> {
    const records = await this.list();
    return records.map(({ version: _v, createdAt: _c, updatedAt: _u, ...rest }) => ({
      ...rest,
      config: redactValue(rest.config) as Record<string, unknown>,
    }));
  }

  private async setEnabled(id: string, enabled: boolean, options: ChangeOptions): Promise<PluginConfigView> {
    const current = await this.get(id);
    if (current.enabled === enabled) return current;
    const { version: _v, createdAt: _c, updatedAt: _u, ...rest } = current;
    return this.persist(
      { record: { ...rest, enabled }, newSecrets: [], replacedSecrets: [] },
      enabled ? 'enabled' : 'disabled',
      {
        ...options,
        expectedVersion: options.expectedVersion ?? current.version,
      },
    );
  }

  private async prepare(input: unknown, current: PluginConfigRecord | undefined): Promise<Prepared> {
    const envelope = pluginConfigInputSchema.safeParse(input);
    if (!envelope.success)
      throw new ConfigError('invalid plugin configuration', issuesFromZod(envelope.error));
    const { id, pluginId, name, modules, enabled, interval, config } = envelope.data;
    if (!this.deps.registry.has(pluginId)) {
      throw new ConfigError('invalid plugin configuration', [
        { path: 'pluginId', reason: `no plugin with id "${pluginId}" is registered` },
      ]);
    }
    const definition = this.deps.registry.get(pluginId);
    const unsupported = (modules ?? []).filter((module) => !definition.modules.includes(module));
    if (unsupported.length > 0) {
      throw new ConfigError('invalid plugin configuration', [
        { path: 'modules', reason: `plugin "${pluginId}" does not serve ${unsupported.join(', ')}` },
      ]);
    }

    let stored: Record<string, unknown> = config;
    let resolved: Record<string, unknown> = config;
    const newSecrets: Array<{ path: string[]; value: string }> = [];
    const replacedSecrets: string[] = [];
    const issues: FieldIssue[] = [];
    for (const path of findSecretPaths(definition.configSchema)) {
      const given = getAtPath(config, path);
      const existing = current ? getAtPath(current.config, path) : undefined;
      const keepExisting =
        isSecretReference(existing) &&
        (given === undefined ||
          given === redactedMarker ||
          (isSecretReference(given) && given.secretRef === existing.secretRef));
      if (keepExisting) {
        stored = setAtPath(stored, path, existing);
        const value = await this.deps.secrets.resolve(existing.secretRef);
        if (value !== undefined) resolved = setAtPath(resolved, path, value);
        continue;
      }
      if (isSecretReference(existing)) replacedSecrets.push(existing.secretRef);
      if (isSecretReference(given)) {
        const value = await this.deps.secrets.resolve(given.secretRef).catch(() => undefined);
        if (value === undefined)
          issues.push({
            path: `config.${path.join('.')}`,
            reason: `secret reference "${given.secretRef.split(':')[0]}:..." does not resolve`,
          });
        else resolved = setAtPath(resolved, path, value);
      } else if (typeof given === 'string' && given !== redactedMarker) {
        newSecrets.push({ path, value: given });
        stored = setAtPath(stored, path, { secretRef: '' });
      }
    }
    const checked = validateConfig(definition.configSchema, resolved);
    if (!checked.ok) {
      // A field whose secret reference did not resolve is reported once, for the reference.
      const reported = new Set(issues.map((issue) => issue.path));
      for (const issue of checked.issues) {
        const path = issue.path ? `config.${issue.path}` : 'config';
        if (!reported.has(path)) issues.push({ ...issue, path });
      }
    }
    if (issues.length > 0) throw new PluginConfigError(pluginId, issues);

    return {
      record: {
        id,
        pluginId,
        pluginVersion: definition.version,
        name: name ?? id,
        modules: modules ?? [...definition.modules],
        enabled,
        config: stored,
        ...(interval !== undefined ? { intervalMs: interval } : {}),
      },
      newSecrets,
      replacedSecrets,
    };
  }

  private async persist(
    prepared: Prepared,
    kind: PluginConfigChangedEvent['kind'],
    options: ChangeOptions,
  ): Promise<PluginConfigView> {
    const { record } = prepared;
    // Secrets are written first under a name unique to this change, so a failed transaction
    // leaves only values that nothing refers to, which are then deleted.
    const written: string[] = [];
    let config = record.config;
    try {
      const stamp = `${this.deps.clock.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
      for (const secret of prepared.newSecrets) {
        const reference = await this.deps.secrets.put(
          `plugin-config/${record.id}/${secret.path.join('.')}/${stamp}`,
          secret.value,
        );
        written.push(reference);
        config = setAtPath(config, secret.path, { secretRef: reference });
      }
      const at = this.deps.clock.now();
      const saved = await this.deps.storage.transaction(async (tx) => {
        const result = await tx.pluginConfigs.put(
          { ...record, config },
          { expectedVersion: options.expectedVersion ?? 0 },
        );
        await tx.audit.append({
          at,
          actor: options.actor ?? 'system',
          action: `plugin-config-${kind}`,
          target: `plugin-config:${record.id}`,
          details: { pluginId: record.pluginId, enabled: record.enabled, config: redactValue(config) },
        });
        return result;
      });
      for (const reference of prepared.replacedSecrets) await this.deps.secrets.delete(reference);
      await this.announce({
        kind,
        configId: record.id,
        pluginId: record.pluginId,
        actor: options.actor ?? 'system',
        at,
      });
      return saved;
    } catch (error) {
      for (const reference of written) await this.deps.secrets.delete(reference).catch(() => undefined);
      if (CeError.isInstance(error) && error.code === 'CONFLICT') {
        throw new CeError(
          'CONFLICT',
          options.expectedVersion === 0
            ? `a plugin configuration with id "${record.id}" already exists`
            : `plugin configuration "${record.id}" changed since it was read`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  private async announce(change: PluginConfigChangedEvent): Promise<void> {
    this.deps.events.emit('plugin-config-changed', change);
    await this.deps.onChange(change);
  }
}

interface Prepared {
  record: Omit<PluginConfigRecord, 'version' | 'createdAt' | 'updatedAt'>;
  newSecrets: Array<{ path: string[]; value: string }>;
  replacedSecrets: string[];
}

function ownedSecretReferences(record: PluginConfigRecord): string[] {
  const references: string[] = [];
  const walk = (value: unknown): void => {
    if (isSecretReference(value)) {
      if (value.secretRef.startsWith('secret://')) references.push(value.secretRef);
      return;
    }
    if (typeof value === 'object' && value !== null) for (const child of Object.values(value)) walk(child);
  };
  walk(record.config);
  return references;
}

/** Whether an update would store exactly what is stored: then nothing is written or announced. */
function unchanged(prepared: Prepared, current: PluginConfigRecord): boolean {
  if (prepared.newSecrets.length > 0 || prepared.replacedSecrets.length > 0) return false;
  const { record } = prepared;
  return (
    record.name === current.name &&
    record.enabled === current.enabled &&
    record.pluginVersion === current.pluginVersion &&
    record.intervalMs === current.intervalMs &&
    sameJson(record.modules, current.modules) &&
    sameJson(record.config, current.config)
  );
}

/** Deep equality of JSON values, ignoring the order of object keys. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, index) => sameJson(item, b[index]));
  const left = Object.entries(a as Record<string, unknown>).filter(([, value]) => value !== undefined);
  const right = b as Record<string, unknown>;
  const rightCount = Object.values(right).filter((value) => value !== undefined).length;
  return left.length === rightCount && left.every(([key, value]) => sameJson(value, right[key]));
}
