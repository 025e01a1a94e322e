/**
 * Warninglists and allowlists: what they are, as data.
 *
 * A warninglist names values that are known not to be threats (private networks, documentation
 * ranges, popular sites, hashes of empty files) so that an indicator carrying one is flagged as a
 * likely false positive. A list has one way of matching, as in MISP's format:
 *
 * | match type | an indicator matches when |
 * | --- | --- |
 * | `string` | its value equals an entry |
 * | `substring` | its value contains an entry (case-sensitive, as in MISP) |
 * | `hostname` | its host (a domain or hostname, a URL's host, an e-mail's domain) is an entry or a subdomain of one |
 * | `cidr` | its address (an IP, a URL's IP host) lies in an entry's block, or its CIDR block lies wholly inside one |
 * | `regex` | its value matches an entry's regular expression |
 *
 * An allowlist is a user's list of typed entries (domains, hosts, IPs and CIDR blocks, hashes, URL
 * prefixes, e-mail addresses) that can be changed at runtime.
 *
 * @module
 */
import { identifierSchema } from '@ce/core';
import { z } from 'zod';
import { type IndicatorType, indicatorTypeSchema } from '../normalize/indicator-types.js';

/** The ways a warninglist matches, named as in MISP's format. */
export const warninglistMatchTypes = ['string', 'substring', 'hostname', 'cidr', 'regex'] as const;

/** How a warninglist's entries are compared with an indicator; see the module's table. */
export type WarninglistMatchType = (typeof warninglistMatchTypes)[number];

/** MISP's categories: a `false-positive` list flags mistakes, a `known` list flags known things. */
export const warninglistCategories = ['false-positive', 'known'] as const;

/** A warninglist's category. */
export type WarninglistCategory = (typeof warninglistCategories)[number];

/** A warninglist as data: one match type, string entries. */
export interface WarninglistDefinition {
  /** Unique within an index; letters, digits, `.`, `_`, `-`. */
  id: string;
  /** Human name, shown with every match. */
  name: string;
  /** What the list holds and why matching it matters. */
  description?: string;
  /** The list's own version (MISP lists carry one; a higher version replaces a lower). */
  version?: number;
  /** How entries are compared with indicators. */
  matchType: WarninglistMatchType;
  /**
   * Indicator types the list applies to; absent means every type.
   * @default every indicator type
   */
  indicatorTypes?: ReadonlyArray<IndicatorType>;
  /** @default 'false-positive' */
  category?: WarninglistCategory;
  /** The entries, in the form the match type expects (hosts, CIDR blocks, patterns...). */
  entries: ReadonlyArray<string>;
}

/** Types of allowlist entries. */
export const allowlistEntryTypes = ['domain', 'hostname', 'ip', 'hash', 'url-prefix', 'email'] as const;

/**
 * A type of allowlist entry:
 * - `domain`: the domain and all its subdomains (`example.com` allows `a.b.example.com`);
 * - `hostname`: that exact host only;
 * - `ip`: an IPv4 or IPv6 address or CIDR block (host bits must be clear);
 * - `hash`: an MD5, SHA-1 or SHA-256 hex digest;
 * - `url-prefix`: URLs starting with it (scheme and host compared case-insensitively);
 * - `email`: that exact address.
 */
export type AllowlistEntryType = (typeof allowlistEntryTypes)[number];

/** One typed allowlist entry. */
export interface AllowlistEntry {
  /** What the value is. */
  type: AllowlistEntryType;
  /** The value; normalized on insertion (lowercase hosts and hashes, canonical IPs). */
  value: string;
}

/** A user allowlist: typed entries, changeable at runtime. */
export interface AllowlistDefinition {
  /** Unique within an index; letters, digits, `.`, `_`, `-`. */
  id: string;
  /** Human name, shown with every match. */
  name: string;
  /** Why these values are allowed. */
  description?: string;
  /**
   * Indicator types the list applies to; absent means every type.
   * @default every indicator type
   */
  indicatorTypes?: ReadonlyArray<IndicatorType>;
  /** @default [] */
  entries?: ReadonlyArray<AllowlistEntry>;
}

/** One list's verdict on an indicator. */
export interface WarninglistMatch {
  /** The list's id. */
  listId: string;
  /** The list's name. */
  listName: string;
  /** Whether the list is a warninglist or a user allowlist. */
  listKind: 'warninglist' | 'allowlist';
  /**
   * The entry that matched, in its stored form: the suffix for host lists, the outermost block
   * for CIDR lists (`10.0.0.0/8`), the pattern as written for regex lists.
   */
  entry: string;
  /** Whether the entry matched the whole value or its host (a URL's host, an e-mail's domain). */
  matchedOn: 'value' | 'host';
}

/** What an index knows about one of its lists. */
export interface WarninglistSummary {
  /** The list's id. */
  id: string;
  /** The list's name. */
  name: string;
  /** The list's description; empty when none was given. */
  description: string;
  /** Whether the list is a warninglist or a user allowlist. */
  kind: 'warninglist' | 'allowlist';
  /** The match type of a warninglist; absent for allowlists, whose entries are typed. */
  matchType?: WarninglistMatchType;
  /** The list's version, when it has one. */
  version?: number;
  /** The list's category (allowlists: `known`). */
  category: WarninglistCategory;
  /** Indicator types the list applies to, resolved (every type when none was given). */
  indicatorTypes: ReadonlyArray<IndicatorType>;
  /** Entries held after normalization and de-duplication. */
  entryCount: number;
}

/** Longest accepted entry, in characters. */
export const warninglistEntryMaxLength = 4_096;

const entrySchema = z.string().min(1, 'entries must not be empty').max(warninglistEntryMaxLength);

/** zod schema of a {@link WarninglistDefinition}. Entries are checked further when compiled. */
export const warninglistDefinitionSchema = z.object({
  id: identifierSchema,
  name: z.string().trim().min(1).max(256),
  description: z.string().max(4_096).optional(),
  version: z.number().int().nonnegative().optional(),
  matchType: z.enum(warninglistMatchTypes),
  indicatorTypes: z.array(indicatorTypeSchema).optional(),
  category: z.enum(warninglistCategories).optional(),
  entries: z.array(entrySchema),
});

/** zod schema of an {@link AllowlistEntry}. */
export const allowlistEntrySchema = z.object({
  type: z.enum(allowlistEntryTypes),
  value: entrySchema,
});

/** zod schema of an {@link AllowlistDefinition}. */
export const allowlistDefinitionSchema = z.object({
  id: identifierSchema,
  name: z.string().trim().min(1).max(256),
  description: z.string().max(4_096).optional(),
  indicatorTypes: z.array(indicatorTypeSchema).optional(),
  entries: z.array(allowlistEntrySchema).optional(),
});
