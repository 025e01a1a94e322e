/**
 * Regular expression entries. MISP writes them for PHP's `preg_match`, with delimiters and flags
 * (`/^abuse@/i`); they are translated to JavaScript where the meaning is the same and refused
 * otherwise. Every pattern passes core's backtracking analysis ({@link regexProblem}) first, and
 * texts are cut at {@link regexInputLimit} characters, so one list cannot stall matching.
 *
 * @module
 */
import { regexProblem } from '@ce/core';

/** Longest accepted pattern, in characters. */
export const regexMaxLength = 512;

/** Characters of a value a regex sees; indicator values are at most this long anyway. */
export const regexInputLimit = 16_384;

/** A regex entry ready to run. */
export interface CompiledRegexEntry {
  /** The entry as written in the list. */
  entry: string;
  regex: RegExp;
}

// PCRE flags with a JavaScript equivalent. `u` (UTF-8 subject) and `D` (dollar end only, which
// JavaScript's `$` already does without `m`) change nothing here.
const flagMap: Record<string, string> = { i: 'i', m: 'm', s: 's', u: '', D: '' };

/**
 * Compiles an entry written as `/pattern/flags` (any non-alphanumeric delimiter, as PHP accepts)
 * or as a bare pattern. Returns the compiled entry, or why it was refused.
 */
export function compileRegexEntry(entry: string): CompiledRegexEntry | string {
  let source = entry;
  let flags = '';
  const delimiter = entry[0];
  if (delimiter !== undefined && /[^A-Za-z0-9\\\s(^[.]/.test(delimiter)) {
    const end = entry.lastIndexOf(delimiter);
    if (end > 0) {
      source = entry.slice(1, end);
      for (const flag of entry.slice(end + 1)) {
        const mapped = flagMap[flag];
        if (mapped === undefined) return `unsupported regular expression flag "${flag}"`;
        if (!flags.includes(mapped)) flags += mapped;
      }
      if (delimiter !== '/') source = source.replaceAll(`\\${delimiter}`, delimiter);
    }
  }
  const problem = regexProblem(source, { ignoreCase: flags.includes('i'), maxLength: regexMaxLength });
  if (problem) return problem;
  return { entry, regex: new RegExp(source, flags) };
}

/**
 * A list of regexes. Patterns sharing flags are also joined into one alternation, tried first: a
 * miss (the usual case) then costs one engine run per flag set instead of one per pattern.
 */
export class RegexMatcher {
  private entries: CompiledRegexEntry[] = [];
  private combined: RegExp[] | undefined;

  /** Number of patterns held. */
  get size(): number {
    return this.entries.length;
  }

  add(compiled: CompiledRegexEntry): boolean {
    if (this.entries.some((existing) => existing.entry === compiled.entry)) return false;
    this.entries.push(compiled);
    this.combined = undefined;
    return true;
  }

  delete(entry: string): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((existing) => existing.entry !== entry);
    this.combined = undefined;
    return this.entries.length !== before;
  }

  /** The first entry, in insertion order, matching `text`. */
  find(text: string): string | undefined {
    const subject = text.length > regexInputLimit ? text.slice(0, regexInputLimit) : text;
    if (this.entries.length > 1) {
      this.combined ??= this.combine();
      if (!this.combined.some((regex) => regex.test(subject))) return undefined;
    }
    for (const { entry, regex } of this.entries) if (regex.test(subject)) return entry;
    return undefined;
  }

  private combine(): RegExp[] {
    const byFlags = new Map<string, string[]>();
    for (const { regex } of this.entries) {
      const sources = byFlags.get(regex.flags) ?? [];
      sources.push(`(?:${regex.source})`);
      byFlags.set(regex.flags, sources);
    }
    const out: RegExp[] = [];
    for (const [flags, sources] of byFlags) {
      try {
        out.push(new RegExp(sources.join('|'), flags));
      } catch {
        // Patterns that cannot share one expression (a repeated group name) are tried one by one.
        return this.entries.map(({ regex }) => regex);
      }
    }
    return out;
  }
}
