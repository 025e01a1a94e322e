import { isIpv4AddressOrCidr, isIpv6AddressOrCidr } from './ip-address.js';
import { type ParsePatternOptions, parsePattern } from './parse-pattern.js';
import type {
  ComparisonExpression,
  ObjectPathNode,
  ObservationExpression,
  PatternAst,
  PatternLiteral,
  PatternQualifier,
  TimestampLiteralNode,
} from './pattern-ast.js';
import { type PatternIssueCode, StixPatternError } from './pattern-error.js';

/** One problem in a pattern: where, what, and its {@link PatternIssueCode}. */
export interface PatternIssue {
  /** 0-based offset (UTF-16 code units) of the offending token or node. */
  position: number;
  /** Offset just past the offending node, when the problem is a whole node. */
  end?: number;
  /** What is wrong, in words a user can act on; includes the offset. */
  message: string;
  /** The kind of problem. */
  code: PatternIssueCode;
}

/**
 * The outcome of {@link validatePattern}: the tree when the pattern is valid, otherwise every
 * problem found (only the first one for a syntax error, which stops parsing). `ast` is also given
 * on failure when the syntax was fine and only meaning checks failed.
 */
export type PatternValidation =
  | { ok: true; ast: PatternAst }
  | { ok: false; errors: PatternIssue[]; ast?: PatternAst };

// Hash algorithms with a fixed digest length, keyed by the name upper-cased without '-' or '_'
// (so 'SHA-256', 'SHA256' and 'sha_256' meet), with the spelling used in messages.
const hashLengths = new Map<string, readonly [number, string]>([
  ['MD5', [32, 'MD5']],
  ['SHA1', [40, 'SHA-1']],
  ['SHA224', [56, 'SHA-224']],
  ['SHA256', [64, 'SHA-256']],
  ['SHA384', [96, 'SHA-384']],
  ['SHA512', [128, 'SHA-512']],
  ['SHA3224', [56, 'SHA3-224']],
  ['SHA3256', [64, 'SHA3-256']],
  ['SHA3384', [96, 'SHA3-384']],
  ['SHA3512', [128, 'SHA3-512']],
  ['RIPEMD160', [40, 'RIPEMD-160']],
  ['WHIRLPOOL', [128, 'WHIRLPOOL']],
]);
// The spec's own spellings ('SHA-256'), so the common case needs no normalization.
for (const entry of [...hashLengths.values()]) hashLengths.set(entry[1], entry);

/** The hash algorithm's lookup key: upper case, without `-` and `_`. */
export function hashAlgorithmKey(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 45 || c === 95) continue;
    out += c >= 97 && c <= 122 ? String.fromCharCode(c - 32) : name[i];
  }
  return out;
}

function isHexOfLength(value: string, length: number): boolean {
  if (value.length !== length) return false;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function isStixTypeName(name: string): boolean {
  if (name.length < 3 || name.length > 250) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45)) return false;
  }
  return true;
}

function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) value = value * 10 + (text.charCodeAt(i) - 48);
  return value;
}

/**
 * Whether a timestamp the lexer accepted (its shape is already right) names a real instant: the
 * day exists in its month, and second 60 only as a leap second at 23:59.
 */
function isRealTimestamp(value: string): boolean {
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  if (day > monthDays) return false;
  if (digits(value, 17, 2) === 60) return digits(value, 11, 2) === 23 && digits(value, 14, 2) === 59;
  return true;
}

/** Orders two well-formed timestamps; fractions of any length compare by value. */
function compareTimestamps(a: string, b: string): number {
  const ha = a.slice(0, 19);
  const hb = b.slice(0, 19);
  if (ha !== hb) return ha < hb ? -1 : 1;
  const fa = a.length > 20 ? a.slice(20, -1) : '';
  const fb = b.length > 20 ? b.slice(20, -1) : '';
  const width = Math.max(fa.length, fb.length);
  const pa = fa.padEnd(width, '0');
  const pb = fb.padEnd(width, '0');
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

const qualifierNames = { within: 'WITHIN', repeats: 'REPEATS', 'start-stop': 'START/STOP' } as const;

/** Compiles a PCRE pattern as a JavaScript RegExp, best effort; returns the error, if any. */
function regexProblem(source: string): string | undefined {
  let body = source;
  let flags = '';
  // PCRE's leading inline options, e.g. (?i), have no JavaScript syntax; read them as flags.
  const inline = /^\(\?([imsx]+)\)/.exec(source);
  if (inline) {
    const options = inline[1] as string;
    if (options.includes('x')) return undefined; // extended mode: whitespace rules differ
    flags = options;
    body = source.slice(inline[0].length);
  }
  try {
    new RegExp(body, flags);
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const colon = message.lastIndexOf(': ');
    return colon >= 0 ? message.slice(colon + 2) : message;
  }
}

class PatternChecker {
  readonly issues: PatternIssue[] = [];

  add(code: PatternIssueCode, position: number, end: number, message: string): void {
    this.issues.push({ position, end, message: `${message} at ${position}`, code });
  }

  observation(node: ObservationExpression): void {
    switch (node.kind) {
      case 'observation':
        this.comparison(node.comparison);
        return;
      case 'observation-op':
        for (const operand of node.operands) this.observation(operand);
        return;
      case 'qualified':
        this.observation(node.expression);
        this.qualifiers(node.qualifiers);
        return;
    }
  }

  private qualifiers(qualifiers: PatternQualifier[]): void {
    let seen = 0;
    for (const qualifier of qualifiers) {
      const bit = qualifier.kind === 'within' ? 1 : qualifier.kind === 'repeats' ? 2 : 4;
      const name = qualifierNames[qualifier.kind];
      if ((seen & bit) !== 0) {
        this.add(
          'duplicate-qualifier',
          qualifier.start,
          qualifier.end,
          `${name} appears more than once on the same expression`,
        );
      }
      seen |= bit;
      if (qualifier.kind === 'within') {
        if (!(qualifier.seconds > 0)) {
          this.add('invalid-qualifier', qualifier.start, qualifier.end, 'WITHIN must be more than 0 seconds');
        }
      } else if (qualifier.kind === 'repeats') {
        if (!(qualifier.times >= 1) || !Number.isInteger(qualifier.times)) {
          this.add('invalid-qualifier', qualifier.start, qualifier.end, 'REPEATS must be 1 or more times');
        }
      } else {
        const startOk = this.timestamp(qualifier.startTime);
        const stopOk = this.timestamp(qualifier.stopTime);
        if (
          startOk &&
          stopOk &&
          compareTimestamps(qualifier.startTime.value, qualifier.stopTime.value) >= 0
        ) {
          this.add(
            'invalid-qualifier',
            qualifier.start,
            qualifier.end,
            `START t'${qualifier.startTime.value}' is not before STOP t'${qualifier.stopTime.value}'`,
          );
        }
      }
    }
  }

  private timestamp(literal: TimestampLiteralNode): boolean {
    if (isRealTimestamp(literal.value)) return true;
    this.add(
      'invalid-timestamp',
      literal.start,
      literal.end,
      `t'${literal.value}' is not a real date and time`,
    );
    return false;
  }

  private comparison(node: ComparisonExpression): void {
    if (node.kind === 'comparison-op') {
      for (const operand of node.operands) this.comparison(operand);
      return;
    }
    const path = node.path;
    if (!isStixTypeName(path.objectType)) {
      this.add(
        'invalid-object-type',
        path.start,
        path.start + path.objectType.length,
        `object type '${path.objectType}' is not a STIX type name (a-z, 0-9 and '-', 3 to 250 characters)`,
      );
    }
    if (node.operator === 'EXISTS') return;
    if (node.operator === 'IN') {
      const values = node.value.values;
      if (values.length === 0) {
        this.add('empty-set', node.value.start, node.value.end, 'IN list is empty');
      }
      for (const value of values) this.value(path, '=', value);
      return;
    }
    this.value(path, node.operator, node.value);
  }

  /** Checks one literal compared with a path; `IN` members arrive as `=`. */
  private value(path: ObjectPathNode, operator: string, literal: PatternLiteral): void {
    if (literal.kind === 'timestamp') {
      this.timestamp(literal);
      return;
    }
    if (operator === 'MATCHES' && literal.kind === 'string') {
      const problem = regexProblem(literal.value);
      if (problem !== undefined) {
        this.add(
          'invalid-regex',
          literal.start,
          literal.end,
          `regular expression does not compile (${problem})`,
        );
      }
      return;
    }
    const equality = operator === '=' || operator === '!=';
    const steps = path.steps;
    const last = steps[steps.length - 1];
    if (equality && steps.length >= 2 && last?.kind === 'property') {
      const parent = steps[steps.length - 2];
      if (parent?.kind === 'property' && parent.name === 'hashes') {
        const expected = hashLengths.get(last.name) ?? hashLengths.get(hashAlgorithmKey(last.name));
        if (expected && literal.kind === 'string' && !isHexOfLength(literal.value, expected[0])) {
          this.add(
            'invalid-hash',
            literal.start,
            literal.end,
            `'${literal.value.length > 140 ? `${literal.value.slice(0, 140)}…` : literal.value}' is not a valid ${expected[1]} hash (${expected[0]} hex digits)`,
          );
        }
        return;
      }
    }
    const ipv4 = path.objectType === 'ipv4-addr';
    if (
      (ipv4 || path.objectType === 'ipv6-addr') &&
      steps.length === 1 &&
      steps[0].name === 'value' &&
      (equality || operator === 'ISSUBSET' || operator === 'ISSUPERSET')
    ) {
      const family = ipv4 ? 'IPv4' : 'IPv6';
      if (literal.kind !== 'string') {
        this.add(
          'invalid-address',
          literal.start,
          literal.end,
          `${path.objectType}:value takes a string ${family} address`,
        );
      } else if (!(ipv4 ? isIpv4AddressOrCidr(literal.value) : isIpv6AddressOrCidr(literal.value))) {
        this.add(
          'invalid-address',
          literal.start,
          literal.end,
          `'${literal.value.length > 60 ? `${literal.value.slice(0, 60)}…` : literal.value}' is not an ${family} address or CIDR block`,
        );
      }
    }
  }
}

/**
 * Checks the meaning of a parsed pattern, beyond its syntax. Returns the problems in text order;
 * empty when there are none. See {@link validatePattern} for the list of checks.
 *
 * @param ast - a tree from {@link parsePattern}
 */
export function checkPattern(ast: PatternAst): PatternIssue[] {
  const checker = new PatternChecker();
  checker.observation(ast);
  const issues = checker.issues;
  if (issues.length > 1) issues.sort((a, b) => a.position - b.position);
  return issues;
}

/**
 * Validates a STIX 2.1 pattern: its syntax (see {@link parsePattern}) and its meaning together,
 * reporting each problem with its offset. Never throws for bad input.
 *
 * Meaning checks: object types are STIX type names (a-z, 0-9, `-`, 3 to 250 characters); hash
 * values compared with `=`/`!=`/`IN` on `hashes.<algorithm>` have the right number of hex digits
 * for fixed-length algorithms (MD5 32, SHA-1 40, SHA-256 and SHA3-256 64, SHA-512 and SHA3-512
 * 128, and the other SHA-2/SHA-3 sizes); timestamps are real dates; `START` is before `STOP`;
 * `WITHIN` and `REPEATS` are positive; no qualifier appears twice on one expression; `MATCHES`
 * expressions compile (as JavaScript regular expressions, best effort: PCRE-only syntax such as
 * possessive quantifiers is reported too, while a leading `(?i)` is accepted); `IN` lists are not
 * empty; `ipv4-addr:value` and `ipv6-addr:value` compare with addresses or CIDR blocks.
 *
 * @param text - the pattern
 * @param options - length and nesting limits, as for {@link parsePattern}
 * @returns `{ ok: true, ast }` or `{ ok: false, errors }`
 *
 * @example
 * ```ts
 * const result = validatePattern("[file:hashes.'SHA-256' = 'f00']");
 * if (!result.ok) console.log(result.errors[0]?.message);
 * // "'f00' is not a valid SHA-256 hash (64 hex digits) at 25"
 * ```
 */
export function validatePattern(text: string, options: ParsePatternOptions = {}): PatternValidation {
  let ast: PatternAst;
  try {
    ast = parsePattern(text, options);
  } catch (error) {
    if (error instanceof StixPatternError) {
      return {
        ok: false,
        errors: [{ position: error.position, message: error.message, code: error.issue }],
      };
    }
    throw error;
  }
  const errors = checkPattern(ast);
  return errors.length === 0 ? { ok: true, ast } : { ok: false, errors, ast };
}
