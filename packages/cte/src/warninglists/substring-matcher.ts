/**
 * Finds which of many patterns occur in a text. Up to {@link linearScanLimit} patterns a loop of
 * `includes` is faster than anything cleverer (V8's search is native and the lists are short:
 * MISP's substring lists hold a few dozen entries); past it an Aho-Corasick automaton scans the
 * text once, whatever the number of patterns.
 *
 * Either way the pattern reported is the first one in list order that occurs, so the answer does
 * not depend on which strategy ran.
 *
 * @module
 */

/** Pattern count up to which a plain loop is used. */
export const linearScanLimit = 32;

interface Automaton {
  /** Per state, its transitions by UTF-16 code unit. */
  next: Array<Map<number, number>>;
  fail: Int32Array;
  /** Per state, the lowest pattern index ending there or along its fail chain; -1 for none. */
  best: Int32Array;
}

function buildAutomaton(patterns: ReadonlyArray<string>): Automaton {
  const next: Array<Map<number, number>> = [new Map()];
  const ending: number[] = [-1];
  patterns.forEach((pattern, index) => {
    let state = 0;
    for (let i = 0; i < pattern.length; i++) {
      const code = pattern.charCodeAt(i);
      const transitions = next[state] as Map<number, number>;
      let target = transitions.get(code);
      if (target === undefined) {
        target = next.length;
        transitions.set(code, target);
        next.push(new Map());
        ending.push(-1);
      }
      state = target;
    }
    if (ending[state] === -1) ending[state] = index;
  });
  const fail = new Int32Array(next.length);
  const best = Int32Array.from(ending);
  // Breadth-first, so a state's fail target is final before the state is visited.
  const queue: number[] = [];
  for (const child of (next[0] as Map<number, number>).values()) queue.push(child);
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head] as number;
    const inherited = best[fail[state] as number] as number;
    const own = best[state] as number;
    if (inherited >= 0 && (own < 0 || inherited < own)) best[state] = inherited;
    for (const [code, child] of next[state] as Map<number, number>) {
      let back = fail[state] as number;
      while (back > 0 && !(next[back] as Map<number, number>).has(code)) back = fail[back] as number;
      const target = (next[back] as Map<number, number>).get(code);
      fail[child] = target !== undefined && target !== child ? target : 0;
      queue.push(child);
    }
  }
  return { next, fail, best };
}

/** A set of substrings tested against texts. */
export class SubstringMatcher {
  private patterns: string[] = [];
  private readonly known = new Set<string>();
  private automaton: Automaton | undefined;

  /** Number of patterns held. */
  get size(): number {
    return this.patterns.length;
  }

  add(pattern: string): boolean {
    if (pattern === '' || this.known.has(pattern)) return false;
    this.known.add(pattern);
    this.patterns.push(pattern);
    this.automaton = undefined;
    return true;
  }

  delete(pattern: string): boolean {
    if (!this.known.delete(pattern)) return false;
    this.patterns = this.patterns.filter((existing) => existing !== pattern);
    this.automaton = undefined;
    return true;
  }

  /** The first pattern, in insertion order, that occurs in `text`. */
  find(text: string): string | undefined {
    const patterns = this.patterns;
    if (patterns.length <= linearScanLimit) {
      for (const pattern of patterns) if (text.includes(pattern)) return pattern;
      return undefined;
    }
    this.automaton ??= buildAutomaton(patterns);
    const { next, fail, best } = this.automaton;
    let state = 0;
    let found = -1;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      let target = (next[state] as Map<number, number>).get(code);
      while (target === undefined && state > 0) {
        state = fail[state] as number;
        target = (next[state] as Map<number, number>).get(code);
      }
      state = target ?? 0;
      const hit = best[state] as number;
      if (hit >= 0 && (found < 0 || hit < found)) {
        found = hit;
        if (found === 0) break;
      }
    }
    return found < 0 ? undefined : patterns[found];
  }
}
