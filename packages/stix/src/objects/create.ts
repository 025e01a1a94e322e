import { type Clock, ValidationError } from '@ce/core';
import { generateObservableId } from '../identifiers/observable-id.js';
import { randomId } from '../identifiers/uuid.js';
import { formatStixTimestamp } from './common.js';
import type { StixIndicator, StixRelationship, StixSighting } from './domain-objects.js';
import {
  isObservableType,
  type StixCustomObject,
  type StixModelledType,
  type StixObject,
  type StixObjectTypeMap,
  type StixObservable,
  validateStixObject,
} from './validate.js';

/**
 * Helpers that build valid STIX 2.1 objects: they fill `spec_version`, `id`, `created` and
 * `modified`, then validate, so that what they return can be sent as is.
 *
 * @module
 */

/** Options of the creation helpers. */
export interface CreateStixObjectOptions {
  /**
   * Source of `created` and `modified`.
   * @default the system clock
   */
  clock?: Pick<Clock, 'now'>;
  /**
   * Treat a custom type as an SCO (deterministic id, no `created`/`modified`). STIX 2.1 SCO types
   * are recognized without it.
   * @default false
   */
  observable?: boolean;
}

/** Properties the caller gives: everything but `type`; `id`, `created`, `modified` are filled when absent. */
export type StixObjectProperties = Record<string, unknown>;

function now(options: CreateStixObjectOptions): string {
  return formatStixTimestamp(options.clock ? options.clock.now() : Date.now());
}

function reject(subject: string, result: ReturnType<typeof validateStixObject>): never {
  const issues = result.ok ? [] : result.errors.map(({ path, reason }) => ({ path, reason }));
  throw new ValidationError(subject, issues);
}

/**
 * Builds and validates a STIX object of `type`. SCOs get a deterministic id
 * ({@link generateObservableId}) and no timestamps; marking definitions get `created`; every other
 * type gets `created` and `modified` (both "now" unless given). Throws a `ValidationError`
 * listing every invalid property.
 *
 * @example
 * ```ts
 * const actor = createStixObject('threat-actor', { name: 'Adversary Bravo' }, { clock });
 * const widget = createStixObject('x-acme-widget', { x_acme_color: 'blue' });
 * ```
 */
export function createStixObject<Type extends StixModelledType>(
  type: Type,
  properties: StixObjectProperties,
  options?: CreateStixObjectOptions,
): StixObjectTypeMap[Type];
export function createStixObject(
  type: string,
  properties: StixObjectProperties,
  options?: CreateStixObjectOptions,
): StixObject;
export function createStixObject(
  type: string,
  properties: StixObjectProperties,
  options: CreateStixObjectOptions = {},
): StixObject {
  const { type: _ignored, ...rest } = properties;
  let object: Record<string, unknown>;
  if (isObservableType(type) || options.observable) {
    object = { type, spec_version: '2.1', ...rest };
    if (object.id === undefined) object.id = generateObservableId(object as StixCustomObject);
  } else if (type === 'marking-definition') {
    object = { type, spec_version: '2.1', id: randomId(type), created: now(options), ...rest };
  } else {
    const created = (rest.created as string | undefined) ?? now(options);
    object = { type, spec_version: '2.1', id: randomId(type), created, modified: created, ...rest };
  }
  const result = validateStixObject(object);
  if (!result.ok) reject(`invalid STIX ${type}`, result);
  return result.object;
}

/** Properties of {@link createIndicator}: `pattern` is required; `pattern_type` defaults to `stix`. */
export interface CreateIndicatorProperties extends StixObjectProperties {
  pattern: string;
  /** @default 'stix' */
  pattern_type?: string;
  /** @default '2.1' for STIX patterns */
  pattern_version?: string;
  /** @default the indicator's `created` */
  valid_from?: string;
}

/**
 * Builds and validates an `indicator`.
 *
 * @example
 * ```ts
 * const indicator = createIndicator({ pattern: "[url:value = 'https://evil.example/']", name: 'Phish' });
 * ```
 */
export function createIndicator(
  properties: CreateIndicatorProperties,
  options: CreateStixObjectOptions = {},
): StixIndicator {
  const created = (properties.created as string | undefined) ?? now(options);
  const patternType = properties.pattern_type ?? 'stix';
  return createStixObject(
    'indicator',
    {
      created,
      pattern_type: patternType,
      ...(patternType === 'stix' ? { pattern_version: '2.1' } : {}),
      valid_from: created,
      ...properties,
    },
    options,
  );
}

/**
 * Builds and validates an SCO with its deterministic id.
 *
 * @example
 * ```ts
 * createObservable('ipv4-addr', { value: '198.51.100.3' });
 * // { type: 'ipv4-addr', spec_version: '2.1', id: 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4', value: '198.51.100.3' }
 * ```
 */
export function createObservable<Type extends StixObservable['type']>(
  type: Type,
  properties: StixObjectProperties,
  options: CreateStixObjectOptions = {},
): StixObjectTypeMap[Type] {
  return createStixObject(type, properties, { ...options, observable: true });
}

function idOf(reference: string | { id: string }): string {
  return typeof reference === 'string' ? reference : reference.id;
}

/**
 * Builds and validates a `relationship` from `source` to `target` (objects or ids).
 *
 * @example
 * ```ts
 * createRelationship(indicator, 'indicates', malware);
 * ```
 */
export function createRelationship(
  source: string | { id: string },
  relationshipType: string,
  target: string | { id: string },
  properties: StixObjectProperties = {},
  options: CreateStixObjectOptions = {},
): StixRelationship {
  return createStixObject(
    'relationship',
    {
      relationship_type: relationshipType,
      source_ref: idOf(source),
      target_ref: idOf(target),
      ...properties,
    },
    options,
  );
}

/**
 * Builds and validates a `sighting` of `sightingOf` (an object or id).
 *
 * @example
 * ```ts
 * createSighting(indicator, { count: 3, where_sighted_refs: [identity.id] });
 * ```
 */
export function createSighting(
  sightingOf: string | { id: string },
  properties: StixObjectProperties = {},
  options: CreateStixObjectOptions = {},
): StixSighting {
  return createStixObject('sighting', { sighting_of_ref: idOf(sightingOf), ...properties }, options);
}

/** A STIX bundle. */
export interface StixBundle {
  type: 'bundle';
  id: string;
  objects: StixObject[];
}

/**
 * Wraps objects in a bundle with a new id, validating each object first; throws a
 * `ValidationError` whose paths name each bad object (`objects[2].pattern`).
 *
 * @example
 * ```ts
 * const bundle = createBundle([identity, indicator, relationship]);
 * ```
 */
export function createBundle(objects: ReadonlyArray<StixObject>, options: { id?: string } = {}): StixBundle {
  const issues: Array<{ path: string; reason: string }> = [];
  objects.forEach((object, index) => {
    const result = validateStixObject(object, { pathPrefix: ['objects', index] });
    if (!result.ok) issues.push(...result.errors.map(({ path, reason }) => ({ path, reason })));
  });
  if (issues.length > 0) throw new ValidationError('invalid STIX bundle', issues);
  return { type: 'bundle', id: options.id ?? randomId('bundle'), objects: [...objects] };
}
