import { z } from 'zod';
import type { FieldIssue } from '../errors/validation-error.js';
import type { HttpClientOptions } from '../http/http-client.js';
import type { LogShipperCapabilities } from '../logs/log-capabilities.js';
import type { RiskExchangeCapabilities } from '../risk/risk-capabilities.js';
import type { ModuleName } from '../schemas/common.js';
import type { ThreatExchangeCapabilities } from '../threat/threat-capabilities.js';
import type { TicketOrchestratorCapabilities } from '../tickets/ticket-capabilities.js';
import type { PluginContext } from './plugin-context.js';

/**
 * The plugin contract version this host implements. A plugin declares the version it was written
 * against; the registry refuses any other, so a contract change can never silently misbehave.
 */
export const pluginSpecVersion = 1;

/** Result of a connection check (`check`): whether the configuration can reach its service. */
export type PluginCheckResult =
  | { ok: true; message?: string }
  | { ok: false; message: string; retryable?: boolean };

/**
 * Per-module capability methods. The capability types live in core, so that plugins depend on
 * core and the kit only; a module package that needs more adds members by declaration merging.
 *
 * @example
 * ```ts
 * declare module '@ce/core' {
 *   interface PluginModuleCapabilities<Config> {
 *     acme?: AcmeModuleCapabilities<Config>;
 *   }
 * }
 * ```
 */
export interface PluginModuleCapabilities<Config> {
  /** Threat exchange: pull indicators, push and retract them. */
  cte?: ThreatExchangeCapabilities<Config>;
  /** Log shipper: read events and alerts, deliver formatted records. */
  cls?: LogShipperCapabilities<Config>;
  /** Ticket orchestrator: pull alerts, create and sync tickets, send notifications. */
  cto?: TicketOrchestratorCapabilities<Config>;
  /** Risk exchange: read scores and entities, act on entities. */
  cre?: RiskExchangeCapabilities<Config>;
}

/** Capability flags a plugin declares so that hosts and user interfaces know what it can do. */
export interface PluginCapabilityFlags {
  /** The plugin implements `check` and can test a connection. */
  check?: boolean;
  /** Other flags, named by the module issues (`cte.pull`, `cte.push`, `cte.retract`, ...). */
  [flag: string]: boolean | undefined;
}

/**
 * What a plugin is: identity, the modules it serves, its configuration schema and its capability
 * methods. Create one with `definePlugin()` from `@ce/plugin-kit`, which infers `Config` from the
 * schema.
 */
export interface PluginDefinitionBase<Config = unknown> {
  /** Must equal {@link pluginSpecVersion}. */
  specVersion: typeof pluginSpecVersion;
  /** Stable identifier, e.g. `netskope`, `crowdstrike-falcon`. */
  id: string;
  /** Display name. */
  name: string;
  /** The plugin's own semantic version. */
  version: string;
  /** One or two sentences for a catalogue. */
  description: string;
  /** Modules this plugin serves. */
  modules: ReadonlyArray<ModuleName>;
  /**
   * Schema of the settings. Mark secret fields with `secretString()` (or `.meta({ secret: true })`)
   * so that the host stores them apart and never returns them.
   */
  configSchema: z.ZodType<Config>;
  /** What the plugin can do, for catalogues and user interfaces. */
  capabilities?: PluginCapabilityFlags;
  /**
   * Builds the HTTP client settings (base URL, auth headers, rate limit) from the resolved
   * configuration. The host adds proxy, TLS and user-agent settings.
   */
  http?: (config: Config) => Partial<HttpClientOptions>;
  /** Tests a configuration against the real service, e.g. one authenticated request. */
  check?: (context: PluginContext<Config>) => Promise<PluginCheckResult>;
}

/** A plugin definition with the module capabilities installed in this host. */
export type PluginDefinition<Config = unknown> = PluginDefinitionBase<Config> &
  PluginModuleCapabilities<Config>;

/** A plugin definition of any configuration type, as kept in a registry. */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds plugins of every configuration type.
export type AnyPluginDefinition = PluginDefinition<any>;

/** Result of validating a configuration: the parsed value, or every problem with its field. */
export type ConfigValidationResult<Config> =
  | { ok: true; config: Config }
  | { ok: false; issues: FieldIssue[] };

/** Metadata key that marks a schema field as secret. */
export const secretMetaKey = 'secret';

/**
 * A string field that holds a secret (a token, a password). The host stores it in the secret
 * store, shows it to nobody, and redacts it from logs and errors.
 *
 * @example
 * ```ts
 * const configSchema = z.object({ tenant: z.string(), apiToken: secretString('Netskope REST v2 token') });
 * ```
 */
export function secretString(description?: string): z.ZodString {
  const schema = z
    .string()
    .min(1)
    .meta({ [secretMetaKey]: true, writeOnly: true });
  return description ? schema.describe(description) : schema;
}

const metadataSchema = z.object({
  specVersion: z.number().int(),
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'use lowercase letters, digits and "-"'),
  name: z.string().min(1).max(128),
  version: z
    .string()
    .regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/, 'expected a semantic version such as 1.2.0'),
  description: z.string().max(2_000),
  modules: z.array(z.enum(['cte', 'cto', 'cre', 'cls'])),
});

/** Checks a definition's metadata; returns every problem found. Used by the registry. */
export function checkPluginMetadata(definition: unknown): FieldIssue[] {
  const parsed = metadataSchema.safeParse(definition);
  const issues: FieldIssue[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), reason: issue.message }));
  const schema = (definition as { configSchema?: unknown } | undefined)?.configSchema;
  if (!isZodSchema(schema)) issues.push({ path: 'configSchema', reason: 'must be a zod schema' });
  return issues;
}

/** Duck-typed check, so that a plugin built against another copy of zod is still accepted. */
export function isZodSchema(value: unknown): value is z.ZodType {
  return (
    typeof value === 'object' &&
    value !== null &&
    '_zod' in value &&
    typeof (value as { safeParse?: unknown }).safeParse === 'function'
  );
}
