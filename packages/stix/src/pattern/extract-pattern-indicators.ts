import type { IndicatorType } from '@ce/core';
import { type ParsePatternOptions, parsePattern } from './parse-pattern.js';
import type {
  ComparisonExpression,
  ObjectPathNode,
  ObservationExpression,
  PatternAst,
} from './pattern-ast.js';
import { StixPatternError } from './pattern-error.js';
import { printObjectPath } from './print-pattern.js';
import { hashAlgorithmKey } from './validate-pattern.js';

/** An indicator read out of a pattern. */
export interface PatternIndicator {
  /** The Cloud Exchange indicator type the object path maps to. */
  type: IndicatorType;
  /** The literal compared with, as written in the pattern (unescaped, not normalized). */
  value: string;
}

/**
 * The outcome of {@link extractPatternIndicators}: either the pattern means exactly "any of these
 * indicators", or it does not, and `reason` says why (e.g. `AND of comparisons`,
 * `qualifier WITHIN`, `unsupported path process:name`).
 */
export type PatternIndicatorExtraction =
  | { reducible: true; indicators: PatternIndicator[] }
  | { reducible: false; reason: string };

type Typer = (value: string) => IndicatorType;

const valueTypers: Record<string, Typer> = {
  url: () => 'url',
  'domain-name': () => 'domain',
  'ipv4-addr': (value) => (value.includes('/') ? 'ipv4-cidr' : 'ipv4'),
  'ipv6-addr': (value) => (value.includes('/') ? 'ipv6-cidr' : 'ipv6'),
  'email-addr': () => 'email',
};

const hashTypers: Record<string, Typer> = {
  MD5: () => 'md5',
  SHA1: () => 'sha1',
  SHA256: () => 'sha256',
};

/** The path as pattern text, for a reason; never throws on a hand-built tree. */
function describePath(path: ObjectPathNode): string {
  try {
    return printObjectPath(path);
  } catch {
    return `${path.objectType}:…`;
  }
}

/** The indicator typer for a supported path; undefined for any other path. */
function typerFor(path: ObjectPathNode): Typer | undefined {
  const [first, second, ...rest] = path.steps;
  if (second === undefined) {
    return first.name === 'value' && Object.hasOwn(valueTypers, path.objectType)
      ? valueTypers[path.objectType]
      : undefined;
  }
  if (
    path.objectType === 'file' &&
    rest.length === 0 &&
    first.name === 'hashes' &&
    second.kind === 'property'
  ) {
    const key = hashAlgorithmKey(second.name);
    return Object.hasOwn(hashTypers, key) ? hashTypers[key] : undefined;
  }
  return undefined;
}

class Extractor {
  readonly indicators: PatternIndicator[] = [];
  private readonly seen = new Set<string>();

  /** Returns the reason the expression is not reducible, or undefined when it is. */
  observation(node: ObservationExpression): string | undefined {
    switch (node.kind) {
      case 'qualified': {
        const first = node.qualifiers[0]?.kind;
        return `qualifier ${first === 'within' ? 'WITHIN' : first === 'repeats' ? 'REPEATS' : 'START/STOP'}`;
      }
      case 'observation-op':
        if (node.op !== 'OR') return `${node.op} of observations`;
        for (const operand of node.operands) {
          const reason = this.observation(operand);
          if (reason !== undefined) return reason;
        }
        return undefined;
      case 'observation':
        return this.comparison(node.comparison);
    }
  }

  private comparison(node: ComparisonExpression): string | undefined {
    if (node.kind === 'comparison-op') {
      if (node.op !== 'OR') return 'AND of comparisons';
      for (const operand of node.operands) {
        const reason = this.comparison(operand);
        if (reason !== undefined) return reason;
      }
      return undefined;
    }
    if (node.negated) return `NOT ${node.operator} comparison`;
    if (node.operator !== '=' && node.operator !== 'IN') return `operator ${node.operator}`;
    const typer = typerFor(node.path);
    if (typer === undefined) return `unsupported path ${describePath(node.path)}`;
    const literals = node.operator === 'IN' ? node.value.values : [node.value];
    if (literals.length === 0) return 'empty IN list';
    for (const literal of literals) {
      if (literal.kind !== 'string') {
        return `${literal.kind} value for ${describePath(node.path)}`;
      }
      if (literal.value.length === 0) return `empty value for ${describePath(node.path)}`;
      const type = typer(literal.value);
      const key = `${type}\u0000${literal.value}`;
      if (!this.seen.has(key)) {
        this.seen.add(key);
        this.indicators.push({ type, value: literal.value });
      }
    }
    return undefined;
  }
}

/**
 * Reads the indicators out of a pattern when the pattern means no more than "any of these
 * values": a single equality comparison, or `OR`s of equality comparisons (inside one observation,
 * across observations joined by `OR`, or both), or `IN` lists of strings, on these paths:
 * `url:value` (url), `domain-name:value` (domain), `ipv4-addr:value` (ipv4, or ipv4-cidr with a
 * `/`), `ipv6-addr:value` (ipv6 or ipv6-cidr), `email-addr:value` (email) and
 * `file:hashes.MD5` / `'SHA-1'` / `'SHA-256'` (md5, sha1, sha256; `SHA1` and `SHA256` too).
 * Anything else (`AND`, `FOLLOWEDBY`, a qualifier, `NOT`, another operator or path, a non-string
 * value) is not reducible, with a reason. Repeated indicators are listed once. Never throws: an
 * invalid pattern text is not reducible either.
 *
 * @param pattern - pattern text or a tree from {@link parsePattern}
 * @param options - parsing limits when `pattern` is text
 *
 * @example
 * ```ts
 * extractPatternIndicators("[url:value = 'http://x.example/a'] OR [domain-name:value = 'x.example']");
 * // { reducible: true, indicators: [{ type: 'url', value: 'http://x.example/a' },
 * //                                 { type: 'domain', value: 'x.example' }] }
 * extractPatternIndicators("[process:name = 'evil.exe']");
 * // { reducible: false, reason: 'unsupported path process:name' }
 * ```
 */
export function extractPatternIndicators(
  pattern: string | PatternAst,
  options: ParsePatternOptions = {},
): PatternIndicatorExtraction {
  let ast: PatternAst;
  if (typeof pattern === 'string') {
    try {
      ast = parsePattern(pattern, options);
    } catch (error) {
      if (error instanceof StixPatternError) {
        return { reducible: false, reason: `invalid pattern: ${error.message}` };
      }
      throw error;
    }
  } else {
    ast = pattern;
  }
  const extractor = new Extractor();
  const reason = extractor.observation(ast);
  return reason === undefined
    ? { reducible: true, indicators: extractor.indicators }
    : { reducible: false, reason };
}
