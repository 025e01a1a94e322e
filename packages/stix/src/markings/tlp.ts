import { type Tlp, tlpRank, tlpSchema } from '@ce/core';
import type { StixMarkingDefinition } from '../objects/marking-definition.js';
import { tlp1Created, tlp1MarkingIds, tlp2Created, tlp2ExtensionId, tlp2MarkingIds } from './tlp-ids.js';

/**
 * Traffic Light Protocol markings: the predefined TLP 1.0 and TLP 2.0 marking definitions, and
 * reading the TLP of a STIX object from its markings.
 *
 * @module
 */

/** A TLP 1.0 level. */
export type Tlp1Level = keyof typeof tlp1MarkingIds;

/** Which TLP version to mark with. */
export type TlpVersion = '1.0' | '2.0';

function tlp1Definition(level: Tlp1Level): StixMarkingDefinition {
  return {
    type: 'marking-definition',
    spec_version: '2.1',
    id: tlp1MarkingIds[level],
    created: tlp1Created,
    definition_type: 'tlp',
    name: `TLP:${level.toUpperCase()}`,
    definition: { tlp: level },
  };
}

function tlp2Definition(level: Tlp): StixMarkingDefinition {
  return {
    type: 'marking-definition',
    spec_version: '2.1',
    id: tlp2MarkingIds[level],
    created: tlp2Created,
    name: `TLP:${level.toUpperCase()}`,
    extensions: { [tlp2ExtensionId]: { extension_type: 'property-extension', tlp_2_0: level } },
  };
}

/** The TLP 1.0 marking definitions STIX 2.1 predefines (section 7.2.1.4), by level. */
export const tlp1MarkingDefinitions: Readonly<Record<Tlp1Level, StixMarkingDefinition>> = {
  white: tlp1Definition('white'),
  green: tlp1Definition('green'),
  amber: tlp1Definition('amber'),
  red: tlp1Definition('red'),
};

/** The TLP 2.0 marking definitions published with the TLP 2.0 extension, by level. */
export const tlp2MarkingDefinitions: Readonly<Record<Tlp, StixMarkingDefinition>> = {
  clear: tlp2Definition('clear'),
  green: tlp2Definition('green'),
  amber: tlp2Definition('amber'),
  'amber+strict': tlp2Definition('amber+strict'),
  red: tlp2Definition('red'),
};

// TLP 1.0 has no CLEAR and no AMBER+STRICT: CLEAR is its WHITE, and AMBER+STRICT (the
// recipient's organization only) is what TLP 1.0 AMBER meant.
const tlp1For: Readonly<Record<Tlp, Tlp1Level>> = {
  clear: 'white',
  green: 'green',
  amber: 'amber',
  'amber+strict': 'amber',
  red: 'red',
};

const knownTlpById: ReadonlyMap<string, Tlp> = new Map<string, Tlp>([
  [tlp1MarkingIds.white, 'clear'],
  [tlp1MarkingIds.green, 'green'],
  [tlp1MarkingIds.amber, 'amber'],
  [tlp1MarkingIds.red, 'red'],
  ...(Object.entries(tlp2MarkingIds) as Array<[Tlp, string]>).map(([level, id]): [string, Tlp] => [
    id,
    level,
  ]),
]);

/**
 * The id of the marking definition for `tlp`. TLP 1.0 has four levels: `clear` maps to WHITE and
 * `amber+strict` to AMBER.
 *
 * @example
 * ```ts
 * tlpMarkingRef('amber'); // 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421'
 * tlpMarkingRef('clear', '1.0'); // TLP:WHITE, 'marking-definition--613f2e26-…'
 * ```
 */
export function tlpMarkingRef(tlp: Tlp, version: TlpVersion = '2.0'): string {
  return version === '1.0' ? tlp1MarkingIds[tlp1For[tlp]] : tlp2MarkingIds[tlp];
}

/** The marking definition object for `tlp`, to ship in a bundle beside the objects it marks. */
export function tlpMarkingDefinition(tlp: Tlp, version: TlpVersion = '2.0'): StixMarkingDefinition {
  return version === '1.0' ? tlp1MarkingDefinitions[tlp1For[tlp]] : tlp2MarkingDefinitions[tlp];
}

function readLevel(value: unknown): Tlp | undefined {
  if (typeof value !== 'string') return undefined;
  const parsed = tlpSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The TLP a marking definition states: a predefined id, a TLP 1.0 `definition.tlp`, a TLP 2.0
 * extension `tlp_2_0`, or (as some producers write) `definition_type: 'TLP:GREEN'`. TLP 1.0 WHITE
 * reads as `clear`. `undefined` when it is not a TLP marking.
 */
export function tlpOfMarkingDefinition(marking: {
  id?: unknown;
  definition_type?: unknown;
  definition?: unknown;
  extensions?: unknown;
}): Tlp | undefined {
  const known = typeof marking.id === 'string' ? knownTlpById.get(marking.id) : undefined;
  if (known) return known;
  const extension = (marking.extensions as Record<string, unknown> | undefined)?.[tlp2ExtensionId];
  const fromExtension = readLevel((extension as Record<string, unknown> | undefined)?.tlp_2_0);
  if (fromExtension) return fromExtension;
  if (marking.definition_type === 'tlp')
    return readLevel((marking.definition as Record<string, unknown> | undefined)?.tlp);
  if (typeof marking.definition_type === 'string' && /^tlp:/i.test(marking.definition_type))
    return readLevel(marking.definition_type);
  return undefined;
}

/**
 * The most restrictive TLP among an object's markings (`object_marking_refs`, and the
 * `marking_ref`s of its granular markings, which may restrict part of it), resolved through the
 * predefined TLP ids and `markingDefinitions` (e.g. the marking definitions of the same bundle).
 * `undefined` when no TLP marking applies.
 *
 * @example
 * ```ts
 * tlpOfObject(indicator, bundle.objects.filter((o) => o.type === 'marking-definition'));
 * ```
 */
export function tlpOfObject(
  stixObject: object,
  markingDefinitions?: Iterable<{ id?: unknown }> | ReadonlyMap<string, { id?: unknown }>,
): Tlp | undefined {
  const object = stixObject as { object_marking_refs?: unknown; granular_markings?: unknown };
  const refs: string[] = [];
  if (Array.isArray(object.object_marking_refs))
    for (const ref of object.object_marking_refs) if (typeof ref === 'string') refs.push(ref);
  if (Array.isArray(object.granular_markings))
    for (const marking of object.granular_markings) {
      const ref = (marking as { marking_ref?: unknown } | null)?.marking_ref;
      if (typeof ref === 'string') refs.push(ref);
    }
  if (refs.length === 0) return undefined;
  let lookup: ReadonlyMap<string, { id?: unknown }> | undefined;
  if (markingDefinitions instanceof Map) lookup = markingDefinitions;
  else if (markingDefinitions) {
    const byId = new Map<string, { id?: unknown }>();
    for (const definition of markingDefinitions as Iterable<{ id?: unknown }>)
      if (typeof definition.id === 'string') byId.set(definition.id, definition);
    lookup = byId;
  }
  let strictest: Tlp | undefined;
  for (const ref of refs) {
    const definition = lookup?.get(ref);
    const level = knownTlpById.get(ref) ?? (definition ? tlpOfMarkingDefinition(definition) : undefined);
    if (level && (strictest === undefined || tlpRank(level) > tlpRank(strictest))) strictest = level;
  }
  return strictest;
}
