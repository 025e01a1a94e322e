import { CeError, formatPath } from '@ce/core';
import type { z } from 'zod';
import { validatePattern } from '../pattern/validate-pattern.js';
import { checkOrder, domainObjectCommonShape, observableCommonShape, stixObjectSchema } from './common.js';
import {
  attackPatternSchema,
  domainObjectTypes,
  identitySchema,
  indicatorSchema,
  intrusionSetSchema,
  malwareSchema,
  relationshipObjectTypes,
  relationshipSchema,
  reportSchema,
  type StixAttackPattern,
  type StixIdentity,
  type StixIndicator,
  type StixIntrusionSet,
  type StixMalware,
  type StixRelationship,
  type StixReport,
  type StixSighting,
  type StixThreatActor,
  sightingSchema,
  threatActorSchema,
} from './domain-objects.js';
import {
  bundleEnvelopeSchema,
  markingDefinitionSchema,
  type StixMarkingDefinition,
} from './marking-definition.js';
import {
  domainNameSchema,
  emailAddressSchema,
  fileSchema,
  ipv4AddressSchema,
  ipv6AddressSchema,
  observableTypes,
  type StixDomainName,
  type StixEmailAddress,
  type StixFile,
  type StixIpv4Address,
  type StixIpv6Address,
  type StixUrl,
  urlSchema,
} from './observables.js';

/** One problem found in a STIX object: which object, where in it, and why. */
export interface StixIssue {
  /** The `id` of the object the problem is in, when it has a string id. */
  objectId?: string;
  /** Path of the offending property, e.g. `objects[3].valid_until` or `hashes.SHA-256`; empty for the whole object. */
  path: string;
  /** Why the value was rejected. */
  reason: string;
}

/**
 * An object of a type this package does not model: a custom `x-…` object, or a STIX type such as
 * `campaign` that is validated on its common properties only. Every property passes through.
 */
export interface StixCustomObject {
  type: string;
  id: string;
  [property: string]: unknown;
}

/** The object types this package models, by `type`. */
export interface StixObjectTypeMap {
  indicator: StixIndicator;
  malware: StixMalware;
  'threat-actor': StixThreatActor;
  'intrusion-set': StixIntrusionSet;
  'attack-pattern': StixAttackPattern;
  identity: StixIdentity;
  report: StixReport;
  relationship: StixRelationship;
  sighting: StixSighting;
  'marking-definition': StixMarkingDefinition;
  url: StixUrl;
  'domain-name': StixDomainName;
  'ipv4-addr': StixIpv4Address;
  'ipv6-addr': StixIpv6Address;
  'email-addr': StixEmailAddress;
  file: StixFile;
}

/** A modelled STIX object type name. */
export type StixModelledType = keyof StixObjectTypeMap;

/** Any valid STIX object: a modelled one or a pass-through {@link StixCustomObject}. */
export type StixObject = StixObjectTypeMap[StixModelledType] | StixCustomObject;

/** The SCOs that carry an indicator value. */
export type StixObservable =
  | StixUrl
  | StixDomainName
  | StixIpv4Address
  | StixIpv6Address
  | StixEmailAddress
  | StixFile;

const modelledSchemas: Record<StixModelledType, z.ZodType> = {
  indicator: indicatorSchema,
  malware: malwareSchema,
  'threat-actor': threatActorSchema,
  'intrusion-set': intrusionSetSchema,
  'attack-pattern': attackPatternSchema,
  identity: identitySchema,
  report: reportSchema,
  relationship: relationshipSchema,
  sighting: sightingSchema,
  'marking-definition': markingDefinitionSchema,
  url: urlSchema,
  'domain-name': domainNameSchema,
  'ipv4-addr': ipv4AddressSchema,
  'ipv6-addr': ipv6AddressSchema,
  'email-addr': emailAddressSchema,
  file: fileSchema,
};

const genericDomainObjectSchema = stixObjectSchema(domainObjectCommonShape, (object, ctx) =>
  checkOrder(object, 'created', 'modified', false, ctx),
);
const genericObservableSchema = stixObjectSchema(observableCommonShape);

const domainTypes: ReadonlySet<string> = new Set<string>([
  ...domainObjectTypes,
  ...relationshipObjectTypes,
  'language-content',
  'extension-definition',
]);
const observableTypeSet: ReadonlySet<string> = new Set<string>(observableTypes);

/** Whether `object` is a valid STIX object of the modelled `type` (narrows its TypeScript type). */
export function isStixType<Type extends StixModelledType>(
  object: StixObject | undefined,
  type: Type,
): object is StixObjectTypeMap[Type] {
  return object?.type === type;
}

/** Whether `type` names an SCO: a STIX 2.1 observable type. */
export function isObservableType(type: string): boolean {
  return observableTypeSet.has(type);
}

/** A check the caller adds to {@link validateStixObject}, e.g. pattern validation. */
export type StixObjectCheck = (object: StixObject) => ReadonlyArray<Omit<StixIssue, 'objectId'>>;

/** Options of {@link validateStixObject}. */
export interface ValidateStixObjectOptions {
  /** Prefix of every issue path, e.g. `objects[3]`. */
  pathPrefix?: ReadonlyArray<PropertyKey>;
  /** Extra checks run on an object that passed its schema; their issues make it invalid. */
  checks?: ReadonlyArray<StixObjectCheck>;
  /**
   * Check the pattern of indicators with `pattern_type: 'stix'` with the STIX pattern grammar
   * and its semantic rules; an invalid pattern makes the indicator invalid.
   * @default true
   */
  validatePatterns?: boolean;
}

/** The outcome of {@link validateStixObject}. */
export type StixValidationResult = { ok: true; object: StixObject } | { ok: false; errors: StixIssue[] };

function schemaFor(object: Record<string, unknown>): z.ZodType {
  const type = object.type as string;
  const modelled = modelledSchemas[type as StixModelledType];
  if (modelled) return modelled;
  if (domainTypes.has(type)) return genericDomainObjectSchema;
  if (observableTypeSet.has(type)) return genericObservableSchema;
  // A custom object: SDO-like when it carries the SDO timestamps, SCO-like otherwise.
  return 'created' in object || 'modified' in object ? genericDomainObjectSchema : genericObservableSchema;
}

function readableReason(message: string): string {
  return message.endsWith('received undefined') ? 'is required' : message;
}

function issue(objectId: string | undefined, path: ReadonlyArray<PropertyKey>, reason: string): StixIssue {
  return objectId === undefined
    ? { path: formatPath(path), reason }
    : { objectId, path: formatPath(path), reason };
}

/**
 * Validates one STIX 2.1 object against its type's rules (the OASIS JSON schemas plus the spec's
 * cross-property rules: id prefix equals type, `modified >= created`, `valid_until > valid_from`…).
 * Objects of unmodelled or custom types are checked on their common properties. The object is
 * returned as given: unknown and custom (`x_…`) properties are never stripped or rewritten.
 *
 * @example
 * ```ts
 * const result = validateStixObject(JSON.parse(text));
 * if (!result.ok) for (const e of result.errors) console.log(e.path, e.reason);
 * ```
 */
export function validateStixObject(
  value: unknown,
  options: ValidateStixObjectOptions = {},
): StixValidationResult {
  const prefix = options.pathPrefix ?? [];
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, errors: [issue(undefined, prefix, 'must be a JSON object')] };
  const object = value as Record<string, unknown>;
  const objectId = typeof object.id === 'string' ? object.id : undefined;
  if (typeof object.type !== 'string')
    return { ok: false, errors: [issue(objectId, [...prefix, 'type'], 'is required and must be a string')] };
  if (object.type === 'bundle')
    return { ok: false, errors: [issue(objectId, [...prefix, 'type'], 'a bundle is not a STIX object')] };
  const parsed = schemaFor(object).safeParse(object);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((zodIssue) =>
        issue(objectId, [...prefix, ...(zodIssue.path as PropertyKey[])], readableReason(zodIssue.message)),
      ),
    };
  }
  const stixObject = object as StixObject;
  if (options.validatePatterns !== false && object.type === 'indicator' && object.pattern_type === 'stix') {
    const checked = validatePattern(object.pattern as string);
    if (!checked.ok)
      return {
        ok: false,
        errors: checked.errors.map((found) => issue(objectId, [...prefix, 'pattern'], found.message)),
      };
  }
  if (options.checks) {
    const errors: StixIssue[] = [];
    for (const check of options.checks) {
      for (const found of check(stixObject))
        errors.push({
          ...(objectId === undefined ? {} : { objectId }),
          ...found,
          path: joinPath(prefix, found.path),
        });
    }
    if (errors.length > 0) return { ok: false, errors };
  }
  return { ok: true, object: stixObject };
}

function joinPath(prefix: ReadonlyArray<PropertyKey>, path: string): string {
  const head = formatPath(prefix);
  if (!head) return path;
  if (!path) return head;
  return path.startsWith('[') ? head + path : `${head}.${path}`;
}

/** Limits that keep hostile input from exhausting memory or the stack. */
export interface StixInputLimits {
  /**
   * Deepest nesting of arrays and objects accepted; the bundle itself is depth 1.
   * @default 64
   */
  maxDepth?: number;
  /**
   * Largest JSON text accepted, in UTF-8 bytes.
   * @default 268435456 (256 MiB)
   */
  maxBytes?: number;
}

/** Options of {@link parseStixBundle}. */
export interface ParseStixBundleOptions extends StixInputLimits {
  /** Extra checks run on each object, as in {@link ValidateStixObjectOptions.checks}. */
  checks?: ReadonlyArray<StixObjectCheck>;
  /**
   * Validate STIX patterns of indicators, as in {@link ValidateStixObjectOptions.validatePatterns}.
   * @default true
   */
  validatePatterns?: boolean;
}

/** The outcome of {@link parseStixBundle}: the valid objects and a list of problems with the rest. */
export interface ParsedStixBundle {
  /** The bundle's id. */
  id: string;
  /** The objects that passed validation, in bundle order. */
  objects: StixObject[];
  /** One or more issues per invalid object (paths start with `objects[i]`), plus bundle-level ones. */
  errors: StixIssue[];
}

/** Default of {@link StixInputLimits.maxDepth}. */
export const defaultMaxDepth = 64;
/** Default of {@link StixInputLimits.maxBytes}. */
export const defaultMaxBytes = 256 * 1024 * 1024;

function invalid(message: string, details: Record<string, unknown> = {}, cause?: unknown): CeError {
  return new CeError('STIX_INVALID', message, { details, ...(cause === undefined ? {} : { cause }) });
}

/** Throws `STIX_INVALID` when JSON `text` nests deeper than `maxDepth` (a linear scan, no recursion). */
export function assertJsonTextDepth(text: string, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) i++;
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x7b || code === 0x5b) {
      if (++depth > maxDepth)
        throw invalid(`STIX input nests deeper than ${maxDepth} levels (at character ${i})`, {
          offset: i,
          maxDepth,
        });
    } else if (code === 0x7d || code === 0x5d) depth--;
  }
}

/** Throws `STIX_INVALID` when a parsed value nests deeper than `maxDepth` (iterative walk). */
export function assertValueDepth(value: unknown, maxDepth: number): void {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    if (depth > maxDepth) throw invalid(`STIX input nests deeper than ${maxDepth} levels`, { maxDepth });
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
}

/**
 * Parses and validates a STIX 2.1 bundle. Valid objects are returned even when others are not;
 * each invalid object contributes issues naming its id and property. Throws a `STIX_INVALID`
 * `CeError` for malformed JSON, a value that is not a bundle, or input over the limits.
 *
 * @example
 * ```ts
 * const { objects, errors } = parseStixBundle(await readFile('bundle.json', 'utf8'));
 * ```
 */
export function parseStixBundle(input: unknown, options: ParseStixBundleOptions = {}): ParsedStixBundle {
  const maxDepth = options.maxDepth ?? defaultMaxDepth;
  const maxBytes = options.maxBytes ?? defaultMaxBytes;
  let value: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
    if (size > maxBytes)
      throw invalid(`STIX input is ${size} bytes, over the ${maxBytes}-byte limit`, { size, maxBytes });
    const text = typeof input === 'string' ? input : new TextDecoder('utf-8').decode(input);
    assertJsonTextDepth(text, maxDepth);
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw invalid(`STIX input is not valid JSON: ${(error as Error).message}`, {}, error);
    }
  } else {
    assertValueDepth(value, maxDepth);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid('STIX input is not a bundle: expected a JSON object');
  const envelope = value as Record<string, unknown>;
  if (envelope.type !== 'bundle')
    throw invalid(`STIX input is not a bundle: type is ${JSON.stringify(envelope.type) ?? 'missing'}`);
  if (envelope.objects !== undefined && !Array.isArray(envelope.objects))
    throw invalid('STIX bundle "objects" must be an array');
  const errors: StixIssue[] = [];
  const checked = bundleEnvelopeSchema.safeParse(envelope);
  if (!checked.success)
    for (const zodIssue of checked.error.issues)
      if (zodIssue.path[0] !== 'objects')
        errors.push(issue(undefined, zodIssue.path as PropertyKey[], zodIssue.message));
  const objects: StixObject[] = [];
  const items = (envelope.objects as unknown[] | undefined) ?? [];
  for (let index = 0; index < items.length; index++) {
    const result = validateStixObject(items[index], {
      pathPrefix: ['objects', index],
      ...(options.checks ? { checks: options.checks } : {}),
      ...(options.validatePatterns === false ? { validatePatterns: false } : {}),
    });
    if (result.ok) objects.push(result.object);
    else errors.push(...result.errors);
  }
  return { id: typeof envelope.id === 'string' ? envelope.id : '', objects, errors };
}
