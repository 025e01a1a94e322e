import { CeError, ConfigError } from '@ce/core';
import {
  type CefMapping,
  type KeyMap,
  type LeefMapping,
  type MappingSet,
  mappingSetSchema,
  type SourceType,
  type SubtypeMapping,
  type SyslogMapping,
} from './mapping-schema.js';

/**
 * Validates a mapping document (parsed JSON, or JSON text) and returns it typed. Every problem is
 * reported at once with its path, e.g. `events.page.cef.extension.src.transform`.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming each bad path.
 * @example
 * ```ts
 * const mine = loadMapping(await readFile('cls-mapping.json', 'utf8'));
 * const mappings = mergeMappings(defaultMappings, mine);
 * ```
 */
export function loadMapping(input: unknown): MappingSet {
  let document = input;
  if (typeof input === 'string') {
    try {
      document = JSON.parse(input);
    } catch (error) {
      throw new ConfigError(
        'invalid log shipper mapping',
        [{ path: '', reason: `not JSON: ${(error as Error).message}` }],
        { cause: error },
      );
    }
  }
  const parsed = mappingSetSchema.safeParse(document);
  if (!parsed.success) throw ConfigError.fromZod('invalid log shipper mapping', parsed.error);
  return parsed.data as MappingSet;
}

function mergeKeyMaps(base: KeyMap | undefined, override: KeyMap | undefined): KeyMap | undefined {
  if (!override) return base && dropNulls(base);
  const baseMap = base ?? {};
  // Keys the override redefines keep the base's position; new keys come last.
  const merged: KeyMap = {};
  for (const [key, value] of Object.entries(baseMap)) {
    const chosen = Object.hasOwn(override, key) ? override[key] : value;
    if (chosen) merged[key] = chosen;
  }
  for (const [key, value] of Object.entries(override)) {
    if (value && !Object.hasOwn(baseMap, key)) merged[key] = value;
  }
  return merged;
}

function dropNulls(map: KeyMap): KeyMap {
  const out: KeyMap = {};
  for (const [key, value] of Object.entries(map)) if (value) out[key] = value;
  return out;
}

function mergeCef(base: CefMapping | undefined, override: CefMapping | undefined): CefMapping | undefined {
  if (!override) return base;
  if (!base) return { header: override.header, extension: mergeKeyMaps(undefined, override.extension) };
  return {
    header: { ...base.header, ...override.header },
    extension: mergeKeyMaps(base.extension, override.extension),
  };
}

function mergeLeef(
  base: LeefMapping | undefined,
  override: LeefMapping | undefined,
): LeefMapping | undefined {
  if (!override) return base;
  if (!base) return { header: override.header, attributes: mergeKeyMaps(undefined, override.attributes) };
  return {
    header: { ...base.header, ...override.header },
    attributes: mergeKeyMaps(base.attributes, override.attributes),
  };
}

function mergeSyslog(
  base: SyslogMapping | undefined,
  override: SyslogMapping | undefined,
): SyslogMapping | undefined {
  if (!override) return base;
  const { structuredData: baseSd, ...baseRest } = base ?? {};
  const { structuredData: overrideSd, ...overrideRest } = override;
  const merged: SyslogMapping = { ...baseRest, ...overrideRest };
  if (baseSd || overrideSd) {
    const sd: Record<string, KeyMap> = {};
    for (const id of new Set([...Object.keys(baseSd ?? {}), ...Object.keys(overrideSd ?? {})])) {
      const params = mergeKeyMaps(baseSd?.[id], overrideSd?.[id]);
      if (params && Object.keys(params).length > 0) sd[id] = params;
    }
    merged.structuredData = sd;
  }
  return merged;
}

function mergeSubtype(base: SubtypeMapping | undefined, override: SubtypeMapping): SubtypeMapping {
  if (!base || override.replace) {
    return mergeSubtype({}, { ...override, replace: false });
  }
  const out: SubtypeMapping = {};
  const cef = mergeCef(base.cef, override.cef);
  const leef = mergeLeef(base.leef, override.leef);
  const syslog = mergeSyslog(base.syslog, override.syslog);
  if (cef) out.cef = cef;
  if (leef) out.leef = leef;
  if (syslog) out.syslog = syslog;
  return out;
}

function mergeType(
  base: Record<string, SubtypeMapping> | undefined,
  override: Record<string, SubtypeMapping> | undefined,
): Record<string, SubtypeMapping> | undefined {
  if (!override) return base;
  const out: Record<string, SubtypeMapping> = { ...base };
  for (const [subtype, mapping] of Object.entries(override))
    out[subtype] = mergeSubtype(base?.[subtype], mapping);
  return out;
}

/**
 * Overlays a user's mapping on a base (usually {@link defaultMappings}), per type and subtype:
 * header fields and keys the override names replace the base's (keeping the base's key order),
 * new keys are appended, a key set to `null` is removed, and a subtype with `"replace": true`
 * replaces the base's subtype whole. Neither input is modified.
 *
 * @example
 * ```ts
 * const mappings = mergeMappings(defaultMappings, loadMapping({
 *   events: { page: { cef: { extension: { cs6: null, dvchost: { field: 'hostname' } } } } },
 * }));
 * ```
 */
export function mergeMappings(base: MappingSet, override: MappingSet): MappingSet {
  const out: MappingSet = { version: 1 };
  const events = mergeType(base.events, override.events);
  const alerts = mergeType(base.alerts, override.alerts);
  if (events) out.events = events;
  if (alerts) out.alerts = alerts;
  return out;
}

/**
 * The mapping for one type/subtype.
 *
 * @throws CeError (`NOT_FOUND`) when the set has no mapping for it.
 */
export function resolveMapping(set: MappingSet, type: SourceType, subtype: string): SubtypeMapping {
  const mapping = Object.hasOwn(set[type] ?? {}, subtype) ? set[type]?.[subtype] : undefined;
  if (!mapping) {
    throw new CeError('NOT_FOUND', `no log shipper mapping for ${type}/${subtype}`, {
      details: { type, subtype },
    });
  }
  return mapping;
}
