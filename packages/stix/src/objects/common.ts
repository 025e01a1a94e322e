import { z } from 'zod';

/**
 * Building blocks shared by every STIX 2.1 object schema: identifiers, timestamps, external
 * references, markings, hashes and extensions. The rules follow the OASIS JSON schemas
 * (`cti-stix2-json-schemas`, `schemas/common/*.json`) and, where the schemas are silent, the
 * normative text of the specification.
 *
 * @module
 */

/** The STIX version this package reads and writes. */
export const stixSpecVersion = '2.1';

// Same language as the schema's `^([a-z][a-z0-9]*)+(-[a-z0-9]+)*\-?$`, without the nested quantifier
// that backtracks exponentially on hostile input.
const typeNamePattern = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*-?$/;
const uuidPattern =
  '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}';
const identifierPattern = new RegExp(`^[a-z][a-z0-9-]+[a-z0-9]--${uuidPattern}$`);
const timestampPattern =
  /^(\d{4})-(0[1-9]|1[012])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)(\.\d+)?Z$/;
const millisecondPattern = /T\d{2}:\d{2}:\d{2}\.\d{3,}Z$/;
const hexPattern = /^(?:[a-fA-F0-9]{2})+$/;
const customPropertyNamePattern = /^[a-z0-9_]{3,250}$/;
const uriPattern = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s\p{Cc}]*$/u;

/** Whether `text` is a STIX type name (`indicator`, `x-acme-widget`): 3 to 250 characters. */
export function isStixTypeName(text: string): boolean {
  return text.length >= 3 && text.length <= 250 && text !== 'action' && typeNamePattern.test(text);
}

/** Whether `text` is a STIX identifier, `<type>--<RFC 4122 UUID>`. */
export function isStixIdentifier(text: string): boolean {
  return text.length <= 300 && identifierPattern.test(text);
}

/** The type part of an identifier (`indicator` of `indicator--…`), or `undefined` for a malformed one. */
export function identifierType(id: string): string | undefined {
  const at = id.indexOf('--');
  return at > 0 ? id.slice(0, at) : undefined;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Whether `text` is a STIX timestamp: RFC 3339, UTC (`Z`), any fractional precision, a real date. */
export function isStixTimestamp(text: string): boolean {
  const match = timestampPattern.exec(text);
  if (!match) return false;
  return Number(match[3]) <= daysInMonth(Number(match[1]), Number(match[2]));
}

/**
 * Compares two valid STIX timestamps at full precision (sub-millisecond digits included):
 * negative when `a` is earlier, 0 when equal, positive when later.
 */
export function compareStixTimestamps(a: string, b: string): number {
  // Both are `YYYY-MM-DDTHH:MM:SS[.fff…]Z`: the fixed-width head sorts as text, the fraction as digits.
  const headA = a.slice(0, 19);
  const headB = b.slice(0, 19);
  if (headA !== headB) return headA < headB ? -1 : 1;
  const fractionA = a.slice(20, -1);
  const fractionB = b.slice(20, -1);
  const width = Math.max(fractionA.length, fractionB.length);
  const paddedA = fractionA.padEnd(width, '0');
  const paddedB = fractionB.padEnd(width, '0');
  return paddedA === paddedB ? 0 : paddedA < paddedB ? -1 : 1;
}

/** Formats epoch milliseconds as a STIX timestamp with millisecond precision. */
export function formatStixTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** Whether `text` is an absolute URI (RFC 3986: a scheme, then no spaces or control characters). */
export function isUri(text: string): boolean {
  return uriPattern.test(text);
}

/** zod schema of a STIX type name. */
export const typeNameSchema = z
  .string()
  .refine(isStixTypeName, 'must be a STIX type name: 3-250 of a-z, 0-9 and "-", starting with a letter');

/** zod schema of any STIX identifier. */
export const identifierSchema = z
  .string()
  .refine(isStixIdentifier, 'must be an identifier "<type>--<RFC 4122 UUID>"');

/** zod schema of an identifier whose type is one of `types`. */
export function identifierOfSchema(...types: string[]): z.ZodType<string> {
  const list = types.map((type) => `"${type}"`).join(' or ');
  return z.string().superRefine((value, ctx) => {
    if (!isStixIdentifier(value)) {
      ctx.addIssue({ code: 'custom', message: 'must be an identifier "<type>--<RFC 4122 UUID>"' });
    } else if (!types.includes(identifierType(value) as string)) {
      ctx.addIssue({ code: 'custom', message: `must reference an object of type ${list}` });
    }
  });
}

/** zod schema of an identifier whose type is none of `types`. */
export function identifierNotOfSchema(...types: string[]): z.ZodType<string> {
  return z.string().superRefine((value, ctx) => {
    if (!isStixIdentifier(value)) {
      ctx.addIssue({ code: 'custom', message: 'must be an identifier "<type>--<RFC 4122 UUID>"' });
    } else if (types.includes(identifierType(value) as string)) {
      ctx.addIssue({ code: 'custom', message: `must not reference a ${identifierType(value)}` });
    }
  });
}

/** zod schema of a STIX timestamp (any precision). */
export const timestampSchema = z
  .string()
  .refine(isStixTimestamp, 'must be an RFC 3339 UTC timestamp such as 2026-01-01T00:00:00.000Z');

/** zod schema of `created` and `modified`: a STIX timestamp with at least millisecond precision. */
export const millisecondTimestampSchema = z.string().superRefine((value, ctx) => {
  if (!isStixTimestamp(value)) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be an RFC 3339 UTC timestamp such as 2026-01-01T00:00:00.000Z',
    });
  } else if (!millisecondPattern.test(value)) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be precise to the millisecond (three or more fraction digits)',
    });
  }
});

/** zod schema of a URI (RFC 3986, absolute). */
export const uriSchema = z.string().refine(isUri, 'must be an absolute URI such as https://example.com/');

/** zod schema of the STIX `hex` type. */
export const hexSchema = z.string().regex(hexPattern, 'must be an even number of hexadecimal digits');

/** zod schema of a non-empty list of strings (the schemas' `minItems: 1`). */
export const stringListSchema = z.array(z.string()).min(1, 'must not be empty when present');

/**
 * The hash algorithm names the STIX 2.1 vocabulary defines, with the value each must match.
 * Other names (3-250 of `A-Za-z0-9_-`) are custom hashes and take any string.
 */
export const hashAlgorithms: Readonly<Record<string, RegExp>> = {
  MD5: /^[a-fA-F0-9]{32}$/,
  'SHA-1': /^[a-fA-F0-9]{40}$/,
  'SHA-256': /^[a-fA-F0-9]{64}$/,
  'SHA-512': /^[a-fA-F0-9]{128}$/,
  'SHA3-256': /^[a-fA-F0-9]{64}$/,
  'SHA3-512': /^[a-fA-F0-9]{128}$/,
  SSDEEP: /^[a-zA-Z0-9/+:.]{1,128}$/,
  TLSH: /^[a-zA-Z0-9]{70}$/,
};

const hashDigits: Readonly<Record<string, string>> = {
  MD5: '32 hexadecimal digits',
  'SHA-1': '40 hexadecimal digits',
  'SHA-256': '64 hexadecimal digits',
  'SHA-512': '128 hexadecimal digits',
  'SHA3-256': '64 hexadecimal digits',
  'SHA3-512': '128 hexadecimal digits',
  SSDEEP: 'an ssdeep digest (1-128 of A-Za-z0-9/+:.)',
  TLSH: '70 alphanumeric characters',
};

const customHashNamePattern = /^[a-zA-Z0-9_-]{3,250}$/;

/** zod schema of the STIX `hashes` dictionary: algorithm name to digest. */
export const hashesSchema = z.record(z.string(), z.string()).superRefine((hashes, ctx) => {
  const names = Object.keys(hashes);
  if (names.length === 0) ctx.addIssue({ code: 'custom', message: 'must hold at least one hash' });
  for (const name of names) {
    const pattern = hashAlgorithms[name];
    const value = hashes[name] as string;
    if (pattern) {
      if (!pattern.test(value))
        ctx.addIssue({ code: 'custom', path: [name], message: `${name} must be ${hashDigits[name]}` });
    } else if (!customHashNamePattern.test(name)) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: 'hash names are 3-250 of A-Za-z0-9_- (or a name from the hash algorithm vocabulary)',
      });
    }
  }
});

/** zod schema of a kill chain phase. */
export const killChainPhaseSchema = z.looseObject({
  kill_chain_name: z.string(),
  phase_name: z.string(),
});

const cvePattern = /^CVE-\d{4}-(0\d{3}|[1-9]\d{3,})$/;
const capecPattern = /^CAPEC-\d+$/;

/** zod schema of an external reference. */
export const externalReferenceSchema = z
  .looseObject({
    source_name: z.string(),
    description: z.string().optional(),
    url: uriSchema.optional(),
    hashes: hashesSchema.optional(),
    external_id: z.string().optional(),
  })
  .superRefine((reference, ctx) => {
    const { source_name: source, external_id: externalId } = reference;
    if (source === 'cve' || source === 'capec') {
      const pattern = source === 'cve' ? cvePattern : capecPattern;
      if (externalId === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['external_id'],
          message: `is required for source "${source}"`,
        });
      else if (!pattern.test(externalId))
        ctx.addIssue({
          code: 'custom',
          path: ['external_id'],
          message:
            source === 'cve'
              ? 'must be a CVE id such as CVE-2024-0001'
              : 'must be a CAPEC id such as CAPEC-66',
        });
    } else if (
      externalId === undefined &&
      reference.description === undefined &&
      reference.url === undefined
    ) {
      ctx.addIssue({ code: 'custom', message: 'needs at least one of external_id, description or url' });
    }
  });

const selectorPattern = /^([a-z0-9_-]{3,249}(\.(\[\d+\]|[a-z0-9_-]{1,250}))*|id)$/;

/** zod schema of a granular marking. */
export const granularMarkingSchema = z
  .looseObject({
    selectors: z
      .array(z.string().regex(selectorPattern, 'must be a selector such as description or labels.[0]'))
      .min(1),
    lang: z.string().optional(),
    marking_ref: identifierOfSchema('marking-definition').optional(),
  })
  .refine((marking) => marking.lang !== undefined || marking.marking_ref !== undefined, {
    message: 'needs marking_ref or lang',
  });

const extensionDefinitionKeyPattern = new RegExp(`^extension-definition--${uuidPattern}$`);
const predefinedExtensionKeyPattern = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*-ext$/;

/** The `extension_type` values of an extension definition. */
export const extensionTypes = [
  'new-sdo',
  'new-sco',
  'new-sro',
  'property-extension',
  'toplevel-property-extension',
] as const;

function checkExtensions(
  extensions: Record<string, unknown>,
  ctx: z.RefinementCtx,
  allowPredefined: boolean,
): void {
  const keys = Object.keys(extensions);
  if (keys.length === 0) ctx.addIssue({ code: 'custom', message: 'must hold at least one extension' });
  for (const key of keys) {
    const value = extensions[key];
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    if (extensionDefinitionKeyPattern.test(key)) {
      const type = isObject ? (value as Record<string, unknown>).extension_type : undefined;
      if (!isObject) ctx.addIssue({ code: 'custom', path: [key], message: 'must be an object' });
      else if (!extensionTypes.includes(type as (typeof extensionTypes)[number]))
        ctx.addIssue({
          code: 'custom',
          path: [key, 'extension_type'],
          message: `must be one of ${extensionTypes.join(', ')}`,
        });
    } else if (allowPredefined && predefinedExtensionKeyPattern.test(key)) {
      if (!isObject || Object.keys(value as object).length === 0)
        ctx.addIssue({ code: 'custom', path: [key], message: 'must be a non-empty object' });
    } else {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: allowPredefined
          ? 'extension keys are "<name>-ext" or "extension-definition--<uuid>"'
          : 'extension keys are "extension-definition--<uuid>"',
      });
    }
  }
}

/** zod schema of `extensions` on SDOs, SROs and SCOs. */
export const extensionsSchema = z
  .record(z.string(), z.unknown())
  .superRefine((extensions, ctx) => checkExtensions(extensions, ctx, true));

/** zod schema of `extensions` on a marking definition (extension definitions only). */
export const markingExtensionsSchema = z
  .record(z.string(), z.unknown())
  .superRefine((extensions, ctx) => checkExtensions(extensions, ctx, false));

/** Top-level property names STIX 2.1 reserves: no object may carry them. */
export const reservedPropertyNames: ReadonlySet<string> = new Set([
  'severity',
  'action',
  'username',
  'phone_numbers',
]);

/**
 * Adds issues for top-level properties a schema does not model: reserved names, and custom
 * names that break the spec's rule (3-250 of `a-z0-9_`). Well-named unknown properties pass.
 */
export function checkCustomPropertyNames(
  object: Record<string, unknown>,
  known: ReadonlySet<string>,
  ctx: z.RefinementCtx,
): void {
  for (const key of Object.keys(object)) {
    if (known.has(key)) continue;
    if (reservedPropertyNames.has(key))
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `"${key}" is a reserved property name in STIX 2.1`,
      });
    else if (key !== 'id' && !customPropertyNamePattern.test(key))
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: 'custom property names are 3-250 of a-z, 0-9 and _ (and should start with x_)',
      });
  }
}

/** Properties every SDO and SRO has (section 3.2 of the specification). */
export const domainObjectCommonShape = {
  type: typeNameSchema,
  spec_version: z.literal('2.1', { error: 'must be "2.1"' }),
  id: identifierSchema,
  created_by_ref: identifierOfSchema('identity').optional(),
  created: millisecondTimestampSchema,
  modified: millisecondTimestampSchema,
  revoked: z.boolean().optional(),
  labels: stringListSchema.optional(),
  confidence: z.number().int().min(0).max(100).optional(),
  lang: z.string().optional(),
  external_references: z.array(externalReferenceSchema).min(1).optional(),
  object_marking_refs: z.array(identifierOfSchema('marking-definition')).min(1).optional(),
  granular_markings: z.array(granularMarkingSchema).min(1).optional(),
  extensions: extensionsSchema.optional(),
};

/** Properties every SCO has (section 6.1 of the specification). */
export const observableCommonShape = {
  type: typeNameSchema,
  spec_version: z.literal('2.1', { error: 'must be "2.1"' }).optional(),
  id: identifierSchema,
  object_marking_refs: z.array(identifierOfSchema('marking-definition')).min(1).optional(),
  granular_markings: z.array(granularMarkingSchema).min(1).optional(),
  defanged: z.boolean().optional(),
  extensions: extensionsSchema.optional(),
};

/** Adds an issue when `id`'s type prefix is not `type`. */
export function checkIdMatchesType(object: { type?: unknown; id?: unknown }, ctx: z.RefinementCtx): void {
  if (typeof object.id !== 'string' || typeof object.type !== 'string') return;
  const prefix = identifierType(object.id);
  if (prefix !== undefined && prefix !== object.type)
    ctx.addIssue({
      code: 'custom',
      path: ['id'],
      message: `id prefix "${prefix}" must equal the type "${object.type}"`,
    });
}

/** Adds an issue at `laterKey` when both timestamps are present and `later` is before `earlier`. */
export function checkOrder(
  object: Record<string, unknown>,
  earlierKey: string,
  laterKey: string,
  strict: boolean,
  ctx: z.RefinementCtx,
): void {
  const earlier = object[earlierKey];
  const later = object[laterKey];
  if (typeof earlier !== 'string' || typeof later !== 'string') return;
  if (!isStixTimestamp(earlier) || !isStixTimestamp(later)) return;
  const order = compareStixTimestamps(later, earlier);
  if (order < 0 || (strict && order === 0))
    ctx.addIssue({
      code: 'custom',
      path: [laterKey],
      message: `must be ${strict ? 'later than' : 'the same as or later than'} ${earlierKey}`,
    });
}

/**
 * Builds a STIX object schema: a loose object (unknown properties pass through), with the
 * id/type agreement check, the custom property name check, and `refine` for type-specific rules.
 */
export function stixObjectSchema<Shape extends z.ZodRawShape>(
  shape: Shape,
  refine?: (object: z.output<z.ZodObject<Shape, z.core.$loose>>, ctx: z.RefinementCtx) => void,
) {
  const known = new Set(Object.keys(shape));
  return z.looseObject(shape).superRefine((object, ctx) => {
    checkIdMatchesType(object as { type?: unknown; id?: unknown }, ctx);
    checkCustomPropertyNames(object as Record<string, unknown>, known, ctx);
    refine?.(object, ctx);
  });
}
