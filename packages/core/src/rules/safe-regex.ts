/**
 * A static check that rejects regular expressions prone to catastrophic backtracking.
 *
 * JavaScript's regex engine backtracks, so a pattern that can match the same text in many ways
 * (`(a+)+$`, `(x|x)*y`, `(.*a){20}`) takes exponential time on an input that almost matches.
 * Rules come from users and run on every record, so such patterns are refused up front. The check
 * is conservative: under a quantifier that repeats more than once it rejects
 * - a body that can match the empty string (`(a*)*`);
 * - a nested variable quantifier whose end is not pinned down by what follows it, cyclically, in
 *   the repeated body (`(a+)+`, `(\w+\s?)+`, `(.*a){3}`), while accepting the common separated
 *   forms (`([a-z0-9-]+\.)+`, `(\d{1,3}\.){3}`);
 * - alternatives that can start with the same character, or be empty (`(a|a)*`, `(a|ab)+`);
 * - a quantified alternation whose alternatives hold variable quantifiers;
 * and it rejects backreferences everywhere. Polynomial cases (`.*.*x`) pass; the engine bounds
 * them by matching at most the first 64 KiB of a value.
 *
 * @module
 */
import {
  anySet,
  type CharSet,
  complement,
  digitSet,
  dotSet,
  foldCase,
  noneSet,
  overlaps,
  single,
  spaceSet,
  union,
  wordSet,
} from './char-set.js';

type RegexNode =
  | { type: 'char'; set: CharSet }
  | { type: 'zero'; alternatives?: RegexNode[][] }
  | { type: 'group'; alternatives: RegexNode[][] }
  | { type: 'repeat'; body: RegexNode; min: number; max: number; start: number; end: number }
  | { type: 'backref' };

class RegexReader {
  private index = 0;

  constructor(
    private readonly source: string,
    private readonly ignoreCase: boolean,
  ) {}

  parse(): RegexNode[][] {
    return this.alternatives();
  }

  private alternatives(): RegexNode[][] {
    const out: RegexNode[][] = [this.sequence()];
    while (this.source[this.index] === '|') {
      this.index++;
      out.push(this.sequence());
    }
    return out;
  }

  private sequence(): RegexNode[] {
    const items: RegexNode[] = [];
    while (
      this.index < this.source.length &&
      this.source[this.index] !== '|' &&
      this.source[this.index] !== ')'
    ) {
      const start = this.index;
      const atom = this.atom();
      items.push(this.quantified(atom, start));
    }
    return items;
  }

  private quantified(atom: RegexNode, start: number): RegexNode {
    const rest = this.source.slice(this.index);
    let min: number;
    let max: number;
    const brace = /^\{(\d+)(,(\d*))?\}/.exec(rest);
    if (rest[0] === '*') [min, max] = [0, Number.POSITIVE_INFINITY];
    else if (rest[0] === '+') [min, max] = [1, Number.POSITIVE_INFINITY];
    else if (rest[0] === '?') [min, max] = [0, 1];
    else if (brace) {
      min = Number(brace[1]);
      max = brace[2] === undefined ? min : brace[3] ? Number(brace[3]) : Number.POSITIVE_INFINITY;
    } else return atom;
    this.index += brace ? brace[0].length : 1;
    if (this.source[this.index] === '?') this.index++;
    return { type: 'repeat', body: atom, min, max, start, end: this.index };
  }

  private char(set: CharSet): RegexNode {
    return { type: 'char', set: this.ignoreCase ? foldCase(set) : set };
  }

  private atom(): RegexNode {
    const c = this.source[this.index++] as string;
    if (c === '(') {
      let zeroWidth = false;
      const head = /^\?(?::|=|!|<=|<!|<[^>]*>)?/.exec(this.source.slice(this.index))?.[0] ?? '';
      if (head === '?=' || head === '?!' || head === '?<=' || head === '?<!') zeroWidth = true;
      this.index += head.length;
      const alternatives = this.alternatives();
      this.index++; // ')'
      return zeroWidth ? { type: 'zero', alternatives } : { type: 'group', alternatives };
    }
    if (c === '[') return this.char(this.charClass());
    if (c === '.') return this.char(dotSet);
    if (c === '^' || c === '$') return { type: 'zero' };
    if (c === '\\') return this.escape();
    return this.char(single(c.charCodeAt(0)));
  }

  private escape(): RegexNode {
    const c = this.source[this.index] ?? '\\';
    if (c === 'b' || c === 'B') {
      this.index++;
      return { type: 'zero' };
    }
    if (/[1-9]/.test(c) || (c === 'k' && this.source[this.index + 1] === '<')) return { type: 'backref' };
    return this.char(this.escapeSet());
  }

  /** Reads an escape after `\` as a character set (shared by atoms and classes). */
  private escapeSet(inClass = false): CharSet {
    const c = this.source[this.index++] ?? '\\';
    switch (c) {
      case 'd':
        return digitSet;
      case 'D':
        return complement(digitSet);
      case 'w':
        return wordSet;
      case 'W':
        return complement(wordSet);
      case 's':
        return spaceSet;
      case 'S':
        return complement(spaceSet);
      case 't':
        return single(9);
      case 'n':
        return single(10);
      case 'v':
        return single(11);
      case 'f':
        return single(12);
      case 'r':
        return single(13);
      case 'b':
        return inClass ? single(8) : single(98);
      case 'x':
      case 'u': {
        const hex = new RegExp(`^[0-9a-fA-F]{${c === 'x' ? 2 : 4}}`).exec(this.source.slice(this.index));
        if (!hex) return single(c.charCodeAt(0));
        this.index += hex[0].length;
        return single(Number.parseInt(hex[0], 16));
      }
      case 'c': {
        const letter = this.source[this.index];
        if (letter && /[A-Za-z]/.test(letter)) {
          this.index++;
          return single(letter.charCodeAt(0) % 32);
        }
        return single(92);
      }
      case '0':
        return single(0);
      default:
        // Octal escapes and identity escapes: a best guess at the character is good enough here.
        return single(c.charCodeAt(0));
    }
  }

  private charClass(): CharSet {
    const negated = this.source[this.index] === '^';
    if (negated) this.index++;
    const parts: CharSet[] = [];
    while (this.index < this.source.length && this.source[this.index] !== ']') {
      const low = this.classAtom();
      if (this.source[this.index] === '-' && this.source[this.index + 1] !== ']' && low.length === 1) {
        const save = this.index;
        this.index++;
        const high = this.classAtom();
        const [lowRange] = low;
        const [highRange] = high;
        if (
          high.length === 1 &&
          lowRange &&
          highRange &&
          lowRange[0] === lowRange[1] &&
          highRange[0] === highRange[1]
        ) {
          parts.push([[lowRange[0], highRange[0]]]);
          continue;
        }
        this.index = save;
      }
      parts.push(low);
    }
    this.index++; // ']'
    const set = union(...parts);
    return negated ? complement(set) : set;
  }

  private classAtom(): CharSet {
    const c = this.source[this.index++] as string;
    if (c === '\\') return this.escapeSet(true);
    return single(c.charCodeAt(0));
  }
}

function nullable(node: RegexNode): boolean {
  switch (node.type) {
    case 'char':
      return false;
    case 'group':
      return node.alternatives.some((seq) => seq.every(nullable));
    case 'repeat':
      return node.min === 0 || nullable(node.body);
    default:
      return true;
  }
}

function firstOfSequence(seq: ReadonlyArray<RegexNode>): CharSet {
  const parts: CharSet[] = [];
  for (const item of seq) {
    parts.push(first(item));
    if (!nullable(item)) break;
  }
  return union(...parts);
}

function first(node: RegexNode): CharSet {
  switch (node.type) {
    case 'char':
      return node.set;
    case 'group':
      return union(...node.alternatives.map(firstOfSequence));
    case 'repeat':
      return first(node.body);
    case 'backref':
      return anySet;
    default:
      return noneSet;
  }
}

function chars(node: RegexNode): CharSet {
  switch (node.type) {
    case 'char':
      return node.set;
    case 'group':
      return union(...node.alternatives.flat().map(chars));
    case 'repeat':
      return chars(node.body);
    case 'backref':
      return anySet;
    default:
      return noneSet;
  }
}

function variable(node: RegexNode): boolean {
  if (node.type === 'repeat') return node.min !== node.max || variable(node.body);
  if (node.type === 'group') return node.alternatives.some((seq) => seq.some(variable));
  return false;
}

/** The sequence with plain groups inlined and zero-width items dropped. */
function flatten(seq: ReadonlyArray<RegexNode>): RegexNode[] {
  return seq.flatMap((item) => {
    if (item.type === 'zero') return [];
    if (item.type === 'group' && item.alternatives.length === 1) return flatten(item.alternatives[0] ?? []);
    return [item];
  });
}

class RegexChecker {
  constructor(private readonly source: string) {}

  check(alternatives: RegexNode[][], underRepeat: boolean): string | undefined {
    if (underRepeat && alternatives.length > 1) {
      const problem = this.alternationProblem(alternatives);
      if (problem) return problem;
    }
    for (const seq of alternatives) {
      for (const node of seq) {
        const problem = this.node(node, underRepeat);
        if (problem) return problem;
      }
    }
    return undefined;
  }

  private node(node: RegexNode, underRepeat: boolean): string | undefined {
    if (node.type === 'backref') return 'backreferences are not allowed';
    if (node.type === 'group' || (node.type === 'zero' && node.alternatives))
      return this.check(node.alternatives ?? [], underRepeat);
    if (node.type !== 'repeat') return undefined;
    const repeats = node.max > 1;
    if (repeats) {
      const problem = this.repeatProblem(node);
      if (problem) return problem;
    }
    return this.node(node.body, underRepeat || repeats);
  }

  private quote(node: { start: number; end: number }): string {
    return `\`${this.source.slice(node.start, node.end)}\``;
  }

  private repeatProblem(repeat: Extract<RegexNode, { type: 'repeat' }>): string | undefined {
    const danger = 'can match the same text in many ways (catastrophic backtracking)';
    if (nullable(repeat.body))
      return `${this.quote(repeat)} repeats something that can be empty and ${danger}`;
    const alternatives = repeat.body.type === 'group' ? repeat.body.alternatives : [[repeat.body]];
    if (alternatives.length > 1) {
      if (alternatives.some((seq) => seq.some(variable)))
        return `${this.quote(repeat)} repeats alternatives holding quantifiers and ${danger}`;
      return undefined;
    }
    const items = flatten(alternatives[0] ?? []);
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as RegexNode;
      if (!variable(item)) continue;
      // The end of a variable item must be pinned: whatever follows it (wrapping round to the next
      // repetition) must start with a character it cannot match.
      const own = chars(item);
      let pinned = false;
      for (let step = 1; step <= items.length; step++) {
        const next = items[(i + step) % items.length] as RegexNode;
        if (step === items.length || overlaps(first(next), own)) break;
        if (!nullable(next)) {
          pinned = true;
          break;
        }
      }
      if (!pinned) return `nested quantifier in ${this.quote(repeat)} ${danger}`;
    }
    return undefined;
  }

  private alternationProblem(alternatives: RegexNode[][]): string | undefined {
    const firsts: CharSet[] = [];
    for (const seq of alternatives) {
      if (seq.every(nullable))
        return 'a repeated alternation has an empty alternative (catastrophic backtracking)';
      const set = firstOfSequence(seq);
      if (firsts.some((other) => overlaps(other, set)))
        return 'a repeated alternation has alternatives that can start with the same character (catastrophic backtracking)';
      firsts.push(set);
    }
    return undefined;
  }
}

/**
 * Why `source` is not an acceptable regular expression (invalid, too long, or prone to
 * catastrophic backtracking), or `undefined` when it is fine.
 */
export function regexProblem(
  source: string,
  options: { ignoreCase?: boolean; maxLength?: number } = {},
): string | undefined {
  const maxLength = options.maxLength ?? 512;
  if (source.length > maxLength) return `regular expression is longer than ${maxLength} characters`;
  try {
    new RegExp(source, options.ignoreCase ? 'i' : '');
  } catch (error) {
    return `invalid regular expression: ${(error as Error).message}`;
  }
  const tree = new RegexReader(source, options.ignoreCase === true).parse();
  return new RegexChecker(source).check(tree, false);
}

/** Whether `source` passes {@link regexProblem}. */
export function isSafeRegex(source: string, options: { ignoreCase?: boolean } = {}): boolean {
  return regexProblem(source, options) === undefined;
}
