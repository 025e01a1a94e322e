/**
 * The warninglist matcher: lists compiled into hash sets, sorted ranges and automata, consulted in
 * the order they were added.
 *
 * Cost of a lookup, per list that applies to the indicator's type: one set probe for exact
 * entries; one probe per label for host entries (`a.b.example.com`, `b.example.com`,
 * `example.com`, `com`); one binary search for IPv4 blocks; one probe per distinct prefix length
 * for IPv6 blocks; one pass over the value for many substrings (Aho-Corasick), a loop of
 * `includes` for a few; one run of a joined alternation for regexes. List size barely matters:
 * a million entries cost what a thousand do.
 *
 * @module
 */
import { CeError, type FieldIssue, ValidationError } from '@ce/core';
import { type IndicatorType, indicatorTypes } from '../normalize/indicator-types.js';
import { builtinWarninglists } from './builtin-warninglists.js';
import { CompiledList, probeIndicator } from './compiled-list.js';
import {
  type AllowlistDefinition,
  type AllowlistEntry,
  allowlistDefinitionSchema,
  allowlistEntrySchema,
  type WarninglistCategory,
  type WarninglistDefinition,
  type WarninglistMatch,
  type WarninglistMatchType,
  type WarninglistSummary,
  warninglistDefinitionSchema,
  warninglistEntryMaxLength,
} from './warninglist.js';

/** Options of {@link WarninglistIndex.add} and {@link WarninglistIndex.addEntries}. */
export interface AddWarninglistOptions {
  /**
   * What to do with entries that cannot be used (an unparsable CIDR block, an unsafe regex):
   * `throw` a {@link ValidationError} naming each one and change nothing, or `skip` them and
   * report them in the result. Published lists (MISP) are best added with `skip`.
   * @default 'throw'
   */
  invalidEntries?: 'throw' | 'skip';
  /**
   * Replace a list with the same id (keeping its place in the matching order) instead of failing
   * with `CONFLICT`.
   * @default false
   */
  replace?: boolean;
}

/** The outcome of adding a list or entries. */
export interface AddWarninglistResult {
  /** The list's id. */
  listId: string;
  /** Entries the list holds now, after normalization and de-duplication. */
  entryCount: number;
  /** How many entries were skipped as unusable. */
  skippedCount: number;
  /** The first {@link skippedIssueLimit} skipped entries, with where they were and why. */
  skipped: FieldIssue[];
}

/** At most this many skipped entries are described in an {@link AddWarninglistResult}. */
export const skippedIssueLimit = 100;

/** Options of {@link createWarninglistMatcher}. */
export interface WarninglistMatcherOptions {
  /**
   * Start with the built-in lists ({@link builtinWarninglists}), ahead of the given ones.
   * @default true
   */
  builtins?: boolean;
  /**
   * How the given lists treat unusable entries; see {@link AddWarninglistOptions.invalidEntries}.
   * @default 'throw'
   */
  invalidEntries?: 'throw' | 'skip';
}

interface IndexedList {
  id: string;
  name: string;
  description: string;
  kind: 'warninglist' | 'allowlist';
  matchType: WarninglistMatchType | undefined;
  version: number | undefined;
  category: WarninglistCategory;
  indicatorTypes: ReadonlyArray<IndicatorType>;
  compiled: CompiledList;
}

interface Collected {
  skippedCount: number;
  skipped: FieldIssue[];
}

function record(collected: Collected, path: string, reason: string): void {
  collected.skippedCount++;
  if (collected.skipped.length < skippedIssueLimit) collected.skipped.push({ path, reason });
}

function isAllowlist(list: WarninglistDefinition | AllowlistDefinition): list is AllowlistDefinition {
  return !('matchType' in list);
}

/**
 * Holds warninglists and allowlists and says whether an indicator is on one. Values must already
 * be normalized (lowercase hosts, canonical IPs, lowercase hashes); entries are brought to the same
 * form when added.
 *
 * Matching by indicator type:
 * - `domain`, `hostname`: exact entries, host entries (with subdomains for `hostname` lists and
 *   `domain` allowlist entries), substrings, regexes;
 * - `url`: exact entries, substrings and regexes see the whole URL, host entries see its host, CIDR
 *   entries its host when that is an IP literal, URL prefixes the whole URL;
 * - `email`: exact entries, substrings and regexes see the address, host entries its domain;
 * - `ipv4`, `ipv6`: exact and CIDR entries; an IPv4-mapped IPv6 address also meets IPv4 blocks;
 * - `ipv4-cidr`, `ipv6-cidr`: a block matches when it lies wholly inside a listed block (a block
 *   that merely overlaps one, such as `0.0.0.0/0`, is not a false positive of that list);
 * - hashes: exact entries, substrings, regexes.
 *
 * Lists are consulted in the order they were added (a replaced list keeps its place), so the first
 * match is deterministic. Only lists whose indicator types include the value's type are consulted.
 *
 * Not safe for concurrent mutation from worker threads; within one event loop every method is
 * synchronous and atomic.
 */
export class WarninglistIndex {
  private readonly lists = new Map<string, IndexedList>();
  private byType: Map<IndicatorType, IndexedList[]> | undefined;

  /** Number of lists held. */
  get size(): number {
    return this.lists.size;
  }

  /**
   * Adds a warninglist or an allowlist (told apart by `matchType`). Throws a
   * {@link ValidationError} when the definition is malformed (or, by default, when entries are
   * unusable) and a `CONFLICT` {@link CeError} when the id is taken and `replace` is not set.
   */
  add(
    list: WarninglistDefinition | AllowlistDefinition,
    options: AddWarninglistOptions = {},
  ): AddWarninglistResult {
    const subject = isAllowlist(list) ? 'allowlist' : 'warninglist';
    const existing = this.lists.get(String(list.id));
    if (existing && options.replace !== true)
      throw new CeError(
        'CONFLICT',
        `a list with id "${list.id}" already exists; pass replace: true to replace it`,
        {
          details: { listId: list.id },
        },
      );
    const collected: Collected = { skippedCount: 0, skipped: [] };
    const compiled = new CompiledList();
    let indexed: IndexedList;
    if (isAllowlist(list)) {
      const parsed = allowlistDefinitionSchema.safeParse(list);
      if (!parsed.success) throw ValidationError.fromZod(`invalid ${subject}`, parsed.error);
      const definition = parsed.data;
      (definition.entries ?? []).forEach((entry, i) => {
        const problem = compiled.addAllowlistEntry(entry);
        if (problem) record(collected, `entries[${i}].value`, problem);
      });
      indexed = {
        id: definition.id,
        name: definition.name,
        description: definition.description ?? '',
        kind: 'allowlist',
        matchType: undefined,
        version: undefined,
        category: 'known',
        indicatorTypes: resolveTypes(definition.indicatorTypes),
        compiled,
      };
    } else {
      const parsed = warninglistDefinitionSchema.safeParse(list);
      if (!parsed.success) throw ValidationError.fromZod(`invalid ${subject}`, parsed.error);
      const definition = parsed.data;
      const { matchType } = definition;
      const entries = definition.entries;
      for (let i = 0; i < entries.length; i++) {
        const problem = compiled.addWarninglistEntry(matchType, entries[i] as string);
        if (problem) record(collected, `entries[${i}]`, problem);
      }
      indexed = {
        id: definition.id,
        name: definition.name,
        description: definition.description ?? '',
        kind: 'warninglist',
        matchType,
        version: definition.version,
        category: definition.category ?? 'false-positive',
        indicatorTypes: resolveTypes(definition.indicatorTypes),
        compiled,
      };
    }
    if (collected.skippedCount > 0 && (options.invalidEntries ?? 'throw') === 'throw')
      throw new ValidationError(`${subject} "${list.id}" has unusable entries`, collected.skipped, {
        details: { listId: list.id, invalidCount: collected.skippedCount },
      });
    this.lists.set(indexed.id, indexed);
    this.byType = undefined;
    return { listId: indexed.id, entryCount: compiled.size, ...collected };
  }

  /**
   * Adds entries to a list: strings to a warninglist (read as its match type says), typed
   * entries to an allowlist. Throws `NOT_FOUND` for an unknown list.
   */
  addEntries(
    listId: string,
    entries: ReadonlyArray<string> | ReadonlyArray<AllowlistEntry>,
    options: Pick<AddWarninglistOptions, 'invalidEntries'> = {},
  ): AddWarninglistResult {
    const list = this.require(listId);
    const collected: Collected = { skippedCount: 0, skipped: [] };
    const valid = this.checkEntries(list, entries, collected);
    if (collected.skippedCount > 0 && (options.invalidEntries ?? 'throw') === 'throw')
      throw new ValidationError(`entries for list "${listId}" are unusable`, collected.skipped, {
        details: { listId, invalidCount: collected.skippedCount },
      });
    for (const entry of valid) {
      if (typeof entry === 'string')
        list.compiled.addWarninglistEntry(list.matchType as WarninglistMatchType, entry);
      else list.compiled.addAllowlistEntry(entry);
    }
    return { listId, entryCount: list.compiled.size, ...collected };
  }

  /** Removes entries from a list; returns how many were there. Throws `NOT_FOUND` for an unknown list. */
  removeEntries(listId: string, entries: ReadonlyArray<string> | ReadonlyArray<AllowlistEntry>): number {
    const list = this.require(listId);
    let removed = 0;
    for (const entry of entries) {
      const done =
        typeof entry === 'string'
          ? list.kind === 'warninglist' &&
            list.compiled.removeWarninglistEntry(list.matchType as WarninglistMatchType, entry)
          : list.kind === 'allowlist' && list.compiled.removeAllowlistEntry(entry);
      if (done) removed++;
    }
    return removed;
  }

  /** Removes a list; returns whether it was there. */
  remove(listId: string): boolean {
    const removed = this.lists.delete(listId);
    if (removed) this.byType = undefined;
    return removed;
  }

  /** Whether a list with this id is held. */
  has(listId: string): boolean {
    return this.lists.has(listId);
  }

  /** What the index knows about one list. */
  get(listId: string): WarninglistSummary | undefined {
    const list = this.lists.get(listId);
    return list ? summarize(list) : undefined;
  }

  /** Every list, in matching order. */
  list(): WarninglistSummary[] {
    return [...this.lists.values()].map(summarize);
  }

  /** The first list, in matching order, holding the (normalized) value; `undefined` when none does. */
  match(type: IndicatorType, value: string): WarninglistMatch | undefined {
    const lists = this.listsFor(type);
    if (lists.length === 0) return undefined;
    const probe = probeIndicator(type, value);
    for (const list of lists) {
      const hit = list.compiled.match(probe);
      if (hit)
        return {
          listId: list.id,
          listName: list.name,
          listKind: list.kind,
          entry: hit.entry,
          matchedOn: hit.matchedOn,
        };
    }
    return undefined;
  }

  /** Every list holding the value, in matching order, one match per list. */
  matchAll(type: IndicatorType, value: string): WarninglistMatch[] {
    const lists = this.listsFor(type);
    if (lists.length === 0) return [];
    const probe = probeIndicator(type, value);
    const out: WarninglistMatch[] = [];
    for (const list of lists) {
      const hit = list.compiled.match(probe);
      if (hit)
        out.push({
          listId: list.id,
          listName: list.name,
          listKind: list.kind,
          entry: hit.entry,
          matchedOn: hit.matchedOn,
        });
    }
    return out;
  }

  private listsFor(type: IndicatorType): ReadonlyArray<IndexedList> {
    if (!this.byType) {
      const byType = new Map<IndicatorType, IndexedList[]>(indicatorTypes.map((t) => [t, []]));
      for (const list of this.lists.values())
        for (const listType of list.indicatorTypes) byType.get(listType)?.push(list);
      this.byType = byType;
    }
    return this.byType.get(type) ?? [];
  }

  private require(listId: string): IndexedList {
    const list = this.lists.get(listId);
    if (!list)
      throw new CeError('NOT_FOUND', `no warninglist or allowlist with id "${listId}"`, {
        details: { listId },
      });
    return list;
  }

  /** Validates entries against a scratch list, so that a throwing call changes nothing. */
  private checkEntries(
    list: IndexedList,
    entries: ReadonlyArray<string> | ReadonlyArray<AllowlistEntry>,
    collected: Collected,
  ): Array<string | AllowlistEntry> {
    const scratch = new CompiledList();
    const valid: Array<string | AllowlistEntry> = [];
    (entries as ReadonlyArray<string | AllowlistEntry>).forEach((entry, i) => {
      if (list.kind === 'warninglist') {
        if (typeof entry !== 'string' || entry === '' || entry.length > warninglistEntryMaxLength) {
          record(
            collected,
            `[${i}]`,
            `expected a non-empty string of at most ${warninglistEntryMaxLength} characters`,
          );
          return;
        }
        const problem = scratch.addWarninglistEntry(list.matchType as WarninglistMatchType, entry);
        if (problem) record(collected, `[${i}]`, problem);
        else valid.push(entry);
        return;
      }
      const parsed = allowlistEntrySchema.safeParse(entry);
      if (!parsed.success) {
        for (const issue of parsed.error.issues)
          record(collected, `[${i}]${issue.path.length ? `.${issue.path.join('.')}` : ''}`, issue.message);
        return;
      }
      const problem = scratch.addAllowlistEntry(parsed.data);
      if (problem) record(collected, `[${i}].value`, problem);
      else valid.push(parsed.data);
    });
    return valid;
  }
}

function resolveTypes(types: ReadonlyArray<IndicatorType> | undefined): ReadonlyArray<IndicatorType> {
  if (!types) return indicatorTypes;
  const wanted = new Set(types);
  return indicatorTypes.filter((type) => wanted.has(type));
}

function summarize(list: IndexedList): WarninglistSummary {
  return {
    id: list.id,
    name: list.name,
    description: list.description,
    kind: list.kind,
    ...(list.matchType ? { matchType: list.matchType } : {}),
    ...(list.version !== undefined ? { version: list.version } : {}),
    category: list.category,
    indicatorTypes: list.indicatorTypes,
    entryCount: list.compiled.size,
  };
}

/**
 * Creates a {@link WarninglistIndex} holding the built-in lists (unless `builtins: false`)
 * followed by the given ones.
 *
 * @example
 * ```ts
 * const matcher = createWarninglistMatcher([
 *   { id: 'corp', name: 'Our domains', entries: [{ type: 'domain', value: 'corp.example' }] },
 * ]);
 * matcher.match('ipv4', '10.1.2.3'); // { listId: 'ce-private-networks', entry: '10.0.0.0/8', ... }
 * matcher.match('url', 'https://www.corp.example/login'); // { listId: 'corp', matchedOn: 'host', ... }
 * ```
 */
export function createWarninglistMatcher(
  lists: Iterable<WarninglistDefinition | AllowlistDefinition> = [],
  options: WarninglistMatcherOptions = {},
): WarninglistIndex {
  const index = new WarninglistIndex();
  if (options.builtins !== false) for (const list of builtinWarninglists) index.add(list);
  for (const list of lists) index.add(list, { invalidEntries: options.invalidEntries ?? 'throw' });
  return index;
}
