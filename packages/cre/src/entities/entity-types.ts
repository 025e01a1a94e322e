import { ConfigError, type EntityType } from '@ce/core';
import { z } from 'zod';

/**
 * How an identity value is made comparable before it is stored or looked up:
 * - `trim`: surrounding whitespace removed (the default);
 * - `lowercase` / `uppercase`: trimmed and case-folded;
 * - `email`: trimmed, lowercased, and must look like `local@domain`;
 * - `hostname`: trimmed, lowercased, a trailing dot removed;
 * - `domain`: as `hostname`, and must be a dotted name without spaces, scheme or path;
 * - `mac`: any of `AA:BB:..`, `aa-bb-..`, `aabb.ccdd.eeff` or bare hex, as `aa:bb:cc:dd:ee:ff`.
 */
export type IdentityFormat = 'trim' | 'lowercase' | 'uppercase' | 'email' | 'hostname' | 'domain' | 'mac';

/**
 * How a field's values from several sources merge into the entity:
 * - `overwrite`: one value; the latest observation wins, unless `priority` ranks the sources
 *   (a value from a higher-ranked source is not replaced by a lower-ranked one; sources not
 *   listed rank last);
 * - `append`: the set union of every value seen (arrays are merged element by element), the
 *   newest `cap` kept.
 */
export interface FieldMergeStrategy {
  readonly merge: 'overwrite' | 'append';
  /** Source configuration ids, highest priority first (`overwrite` only). */
  readonly priority?: ReadonlyArray<string>;
  /** Most values kept (`append` only). @default 100 */
  readonly cap?: number;
}

/** An entity type: how its records are identified and how their fields merge. */
export interface EntityTypeDefinition {
  /** `user`, `device`, `application`, or a custom name (lowercase letters, digits and `-`). */
  readonly name: EntityType;
  /**
   * Unique key fields: each value identifies one entity. A new entity needs at least one. When a
   * source reports a second value for a key field the entity already has (another vendor's device
   * id), it is kept as an alias.
   */
  readonly keyFields: ReadonlyArray<string>;
  /** Fields that also identify the entity (hostname, serial, MAC), so two vendors meet on one record. */
  readonly aliasFields?: ReadonlyArray<string>;
  /** How each key or alias field's values are normalized. @default 'trim' */
  readonly identityFormats?: Readonly<Record<string, IdentityFormat>>;
  /** Merge strategies per field of `fields`. */
  readonly fields?: Readonly<Record<string, FieldMergeStrategy>>;
  /** The strategy of fields not in `fields`. @default { merge: 'overwrite' } */
  readonly defaultMerge?: FieldMergeStrategy;
  /**
   * Refuse observations whose identity has a field that is neither a key nor an alias field.
   * Otherwise such a field (a vendor's own user id) is kept as an alias.
   * @default false
   */
  readonly strictIdentity?: boolean;
  /** Most aliases per entity; further ones are not added. @default 100 */
  readonly aliasCap?: number;
}

/** The built-in entity types. */
export const builtInEntityTypeDefinitions: ReadonlyArray<EntityTypeDefinition> = Object.freeze<
  EntityTypeDefinition[]
>([
  {
    name: 'user',
    keyFields: ['email'],
    aliasFields: ['upn', 'login', 'username'],
    identityFormats: { email: 'email', upn: 'lowercase', login: 'lowercase', username: 'lowercase' },
    fields: { groups: { merge: 'append' } },
  },
  {
    name: 'device',
    keyFields: ['deviceId'],
    aliasFields: ['hostname', 'serial', 'mac'],
    identityFormats: { hostname: 'hostname', serial: 'uppercase', mac: 'mac' },
    fields: { ipAddresses: { merge: 'append', cap: 20 }, users: { merge: 'append' } },
  },
  {
    name: 'application',
    keyFields: ['domain', 'appId'],
    aliasFields: [],
    identityFormats: { domain: 'domain' },
  },
]);

const fieldName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'must be a letter then letters, digits, _ or - (at most 64)');
const mergeSchema = z.strictObject({
  merge: z.enum(['overwrite', 'append']),
  priority: z.array(z.string().min(1).max(512)).max(100).optional(),
  cap: z.number().int().min(1).max(10_000).optional(),
});

/** Validates an {@link EntityTypeDefinition}. */
export const entityTypeDefinitionSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be lowercase letters, digits and -, starting with a letter'),
    keyFields: z.array(fieldName).min(1, 'needs at least one key field').max(16),
    aliasFields: z.array(fieldName).max(32).optional(),
    identityFormats: z
      .record(fieldName, z.enum(['trim', 'lowercase', 'uppercase', 'email', 'hostname', 'domain', 'mac']))
      .optional(),
    fields: z.record(fieldName, mergeSchema).optional(),
    defaultMerge: mergeSchema.optional(),
    strictIdentity: z.boolean().optional(),
    aliasCap: z.number().int().min(0).max(10_000).optional(),
  })
  .superRefine((definition, context) => {
    const identity = new Set<string>();
    for (const [list, path] of [
      [definition.keyFields, 'keyFields'],
      [definition.aliasFields ?? [], 'aliasFields'],
    ] as const)
      list.forEach((field, i) => {
        if (identity.has(field))
          context.addIssue({ code: 'custom', path: [path, i], message: `"${field}" is declared twice` });
        identity.add(field);
      });
    for (const field of Object.keys(definition.identityFormats ?? {}))
      if (!identity.has(field))
        context.addIssue({
          code: 'custom',
          path: ['identityFormats', field],
          message: `"${field}" is neither a key nor an alias field`,
        });
  });

/** A normalizer of identity values: the stored form, or `undefined` when the value is not valid. */
type FormatFunction = (value: string) => string | undefined;

const emailPattern = /^[^\s@]+@[^\s@]+$/;
const domainPattern = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$/;

const formats: Record<IdentityFormat, { apply: FormatFunction; expected: string }> = {
  trim: { apply: (value) => value.trim() || undefined, expected: 'a non-empty value' },
  lowercase: { apply: (value) => value.trim().toLowerCase() || undefined, expected: 'a non-empty value' },
  uppercase: { apply: (value) => value.trim().toUpperCase() || undefined, expected: 'a non-empty value' },
  email: {
    apply: (value) => {
      const email = value.trim().toLowerCase();
      return emailPattern.test(email) ? email : undefined;
    },
    expected: 'an email address',
  },
  hostname: {
    apply: (value) => {
      const host = value.trim().toLowerCase();
      const bare = host.endsWith('.') ? host.slice(0, -1) : host;
      return bare && !/\s/.test(bare) ? bare : undefined;
    },
    expected: 'a host name',
  },
  domain: {
    apply: (value) => {
      const host = value.trim().toLowerCase();
      const bare = host.endsWith('.') ? host.slice(0, -1) : host;
      return domainPattern.test(bare) ? bare : undefined;
    },
    expected: 'a domain name (no scheme, path or spaces)',
  },
  mac: {
    apply: (value) => {
      const hex = value.trim().toLowerCase().replace(/[:.-]/g, '');
      if (!/^[0-9a-f]{12}$/.test(hex)) return undefined;
      return hex.match(/../g)?.join(':');
    },
    expected: 'a MAC address (12 hex digits)',
  },
};

/** An entity type prepared for resolution: identity fields and their formats looked up once. */
export interface CompiledEntityType {
  readonly definition: EntityTypeDefinition;
  readonly name: EntityType;
  readonly keyFields: ReadonlyArray<string>;
  /** Field to `key` or `alias`. */
  readonly roles: ReadonlyMap<string, 'key' | 'alias'>;
  readonly aliasCap: number;
  /** The stored form of an identity value, or (as an object) the reason it is refused. */
  normalizeIdentity(field: string, value: unknown): string | { reason: string };
  /** The merge strategy of a field. */
  mergeOf(field: string): FieldMergeStrategy;
}

const defaultMerge: FieldMergeStrategy = Object.freeze({ merge: 'overwrite' });

/** Prepares a validated definition for resolution. */
export function compileEntityType(definition: EntityTypeDefinition): CompiledEntityType {
  const roles = new Map<string, 'key' | 'alias'>();
  for (const field of definition.keyFields) roles.set(field, 'key');
  for (const field of definition.aliasFields ?? []) roles.set(field, 'alias');
  const fieldFormats = new Map<string, (typeof formats)[IdentityFormat]>();
  for (const [field, format] of Object.entries(definition.identityFormats ?? {}))
    fieldFormats.set(field, formats[format]);
  const merges = new Map(Object.entries(definition.fields ?? {}));
  const fallback = definition.defaultMerge ?? defaultMerge;
  return {
    definition,
    name: definition.name,
    keyFields: definition.keyFields,
    roles,
    aliasCap: definition.aliasCap ?? 100,
    normalizeIdentity(field, value) {
      if (typeof value !== 'string')
        return {
          reason: `identity.${field} must be a string, got ${value === null ? 'null' : typeof value}`,
        };
      if (value.length > 512) return { reason: `identity.${field} is longer than 512 characters` };
      const format = fieldFormats.get(field) ?? formats.trim;
      const normalized = format.apply(value);
      if (normalized === undefined)
        return { reason: `identity.${field} must be ${format.expected}, got "${value.slice(0, 60)}"` };
      return normalized;
    },
    mergeOf(field) {
      return merges.get(field) ?? fallback;
    },
  };
}

/**
 * Validates custom entity types and joins them with the built-in ones; a custom type named like
 * a built-in one replaces it (to add alias fields to `user`, say). Throws `CONFIG_INVALID` naming
 * each field.
 */
export function compileEntityTypes(
  custom: ReadonlyArray<EntityTypeDefinition> = [],
): ReadonlyMap<string, CompiledEntityType> {
  const types = new Map<string, CompiledEntityType>();
  for (const definition of builtInEntityTypeDefinitions)
    types.set(definition.name, compileEntityType(definition));
  const seen = new Set<string>();
  custom.forEach((definition, i) => {
    const parsed = entityTypeDefinitionSchema.safeParse(definition);
    if (!parsed.success) throw ConfigError.fromZod('invalid entity type', parsed.error, ['entityTypes', i]);
    if (seen.has(parsed.data.name))
      throw new ConfigError('invalid entity type', [
        { path: `entityTypes[${i}].name`, reason: `"${parsed.data.name}" is declared twice` },
      ]);
    seen.add(parsed.data.name);
    types.set(parsed.data.name, compileEntityType(parsed.data));
  });
  return types;
}
