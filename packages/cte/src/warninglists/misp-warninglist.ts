/**
 * Reading lists in the MISP warninglist format (github.com/MISP/misp-warninglists):
 * `{ name, version, description, matching_attributes?, type, list, category? }`.
 *
 * Loading follows MISP's own importer where the published schema is silent: a missing `type` is
 * `string`, a missing `version` is 1, a `type` given as an array uses its first element, `list`
 * may be an object mapping each value to a comment, empty values are dropped, and unknown keys are
 * ignored. Hostname entries lose surrounding dots (`.google.com` is `google.com`).
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { ValidationError } from '@ce/core';
import { z } from 'zod';
import { type IndicatorType, indicatorTypes } from '../normalize/indicator-types.js';
import {
  type WarninglistDefinition,
  warninglistCategories,
  warninglistEntryMaxLength,
  warninglistMatchTypes,
} from './warninglist.js';

const all: ReadonlyArray<IndicatorType> = indicatorTypes;
const ips: ReadonlyArray<IndicatorType> = ['ipv4', 'ipv6', 'ipv4-cidr', 'ipv6-cidr'];
const hosts: ReadonlyArray<IndicatorType> = ['domain', 'hostname'];

/**
 * MISP attribute types mapped to the indicator types they correspond to. Composite types
 * (`domain|ip`, `filename|md5`) map to the types of their parts that we have. MISP's `domain` and
 * `hostname` both map to both of ours: our split is by shape, not by role. Certificate
 * fingerprints (`x509-fingerprint-sha1`) are deliberately absent: a list of certificate hashes
 * must not flag file hashes. Types not listed (`sha512`, `ssdeep`, `AS`, `phone-number`...) have
 * no indicator type and are ignored.
 */
export const mispAttributeIndicatorTypes: Readonly<Record<string, ReadonlyArray<IndicatorType>>> = {
  'ip-src': ips,
  'ip-dst': ips,
  'ip-src|port': ['ipv4', 'ipv6'],
  'ip-dst|port': ['ipv4', 'ipv6'],
  'domain|ip': [...hosts, 'ipv4', 'ipv6'],
  domain: hosts,
  hostname: hosts,
  'hostname|port': hosts,
  url: ['url'],
  uri: ['url'],
  link: ['url'],
  md5: ['md5'],
  'filename|md5': ['md5'],
  sha1: ['sha1'],
  'filename|sha1': ['sha1'],
  sha256: ['sha256'],
  'filename|sha256': ['sha256'],
  email: ['email'],
  'email-src': ['email'],
  'email-dst': ['email'],
  'email-reply-to': ['email'],
  'target-email': ['email'],
  'whois-registrant-email': ['email'],
};

/** The result of mapping a list's `matching_attributes`. */
export interface MispAttributeMapping {
  /** Indicator types covered, in the order of {@link indicatorTypes}. */
  indicatorTypes: IndicatorType[];
  /** Attribute types that have no indicator type and were ignored. */
  unmapped: string[];
}

/**
 * Maps MISP `matching_attributes` to indicator types. An absent or empty list, or one holding
 * `ALL`, means every type (MISP's rule).
 */
export function mapMispAttributes(attributes: ReadonlyArray<string> | undefined): MispAttributeMapping {
  if (!attributes || attributes.length === 0 || attributes.includes('ALL'))
    return { indicatorTypes: [...all], unmapped: [] };
  const covered = new Set<IndicatorType>();
  const unmapped: string[] = [];
  for (const attribute of attributes) {
    const types = mispAttributeIndicatorTypes[attribute];
    if (types) for (const type of types) covered.add(type);
    else unmapped.push(attribute);
  }
  return { indicatorTypes: all.filter((type) => covered.has(type)), unmapped };
}

/** zod schema of a MISP warninglist file, after the importer's leniencies are applied. */
export const mispWarninglistSchema = z.object({
  name: z.string().trim().min(1).max(256),
  version: z.number().int().nonnegative(),
  description: z.string().max(4_096),
  matching_attributes: z.array(z.string().min(1)).optional(),
  type: z.enum(warninglistMatchTypes),
  category: z.enum(warninglistCategories).optional(),
  list: z.array(z.string().max(warninglistEntryMaxLength)),
});

/** A MISP warninglist file as validated. */
export type MispWarninglist = z.infer<typeof mispWarninglistSchema>;

/** Options of {@link parseMispWarninglist}. */
export interface ParseMispWarninglistOptions {
  /**
   * The list's id in an index.
   * @default derived from the name: lowercase, runs of other characters as `-`
   */
  id?: string;
  /**
   * Names the input in error messages (a file name).
   * @default the list's id
   */
  source?: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function applyImporterLeniency(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  if (out.version === undefined) out.version = 1;
  else if (typeof out.version === 'string' && /^\d+$/.test(out.version)) out.version = Number(out.version);
  if (out.type === undefined) out.type = 'string';
  else if (Array.isArray(out.type) && out.type.length > 0) out.type = out.type[0];
  if (isPlainObject(out.list)) out.list = Object.keys(out.list);
  if (Array.isArray(out.list) && out.list.some((entry) => entry === '' || entry === null))
    out.list = out.list.filter((entry) => entry !== '' && entry !== null);
  return out;
}

/** Derives a list id from a name: `List of RFC 1918 CIDR blocks` → `list-of-rfc-1918-cidr-blocks`. */
export function warninglistIdFromName(name: string): string {
  const id = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 128)
    .replace(/-+$/, '');
  return id === '' ? 'warninglist' : id;
}

/**
 * Validates a MISP warninglist (an object, or its JSON text) and turns it into a
 * {@link WarninglistDefinition}. Throws a {@link ValidationError} listing every problem with its
 * path (`list[3]`, `type`). Entries are checked further when the list is added to an index; add
 * MISP lists with `invalidEntries: 'skip'` to keep a list whose few entries are unusable.
 *
 * @example
 * ```ts
 * const definition = parseMispWarninglist(await readFile('rfc1918.json', 'utf8'), { id: 'rfc1918' });
 * index.add(definition, { invalidEntries: 'skip' });
 * ```
 */
export function parseMispWarninglist(
  input: unknown,
  options: ParseMispWarninglistOptions = {},
): WarninglistDefinition {
  const subject = `MISP warninglist ${JSON.stringify(options.source ?? options.id ?? 'input')}`;
  let raw = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (error) {
      throw new ValidationError(
        subject,
        [{ path: '', reason: `invalid JSON: ${(error as Error).message}` }],
        {
          cause: error,
        },
      );
    }
  }
  if (!isPlainObject(raw))
    throw new ValidationError(subject, [
      { path: '', reason: 'expected a JSON object with name, type and list' },
    ]);
  const parsed = mispWarninglistSchema.safeParse(applyImporterLeniency(raw));
  if (!parsed.success) throw ValidationError.fromZod(subject, parsed.error);
  const list = parsed.data;
  const id = options.id ?? warninglistIdFromName(list.name);
  const mapping = mapMispAttributes(list.matching_attributes);
  return {
    id,
    name: list.name,
    description: list.description,
    version: list.version,
    matchType: list.type,
    indicatorTypes: mapping.indicatorTypes,
    ...(list.category ? { category: list.category } : {}),
    entries: list.list,
  };
}

/**
 * Reads and parses a MISP warninglist file. The id defaults to the file's name without `.json`
 * (or, for MISP's `lists/<name>/list.json` layout, the directory's name).
 *
 * @example
 * ```ts
 * const definition = await readMispWarninglistFile('misp-warninglists/lists/rfc1918/list.json');
 * ```
 */
export async function readMispWarninglistFile(
  path: string,
  options: ParseMispWarninglistOptions = {},
): Promise<WarninglistDefinition> {
  const text = await readFile(path, 'utf8');
  let stem = basename(path, extname(path));
  if (stem === 'list') stem = basename(path.slice(0, -basename(path).length - 1)) || stem;
  const id = options.id ?? warninglistIdFromName(stem);
  return parseMispWarninglist(text, { id, source: options.source ?? path });
}
