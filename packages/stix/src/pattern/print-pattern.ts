import { ValidationError } from '@ce/core';
import type {
  ComparisonExpression,
  ObjectPathNode,
  ObservationExpression,
  PatternAst,
  PatternLiteral,
  PatternQualifier,
} from './pattern-ast.js';
import { reservedWords } from './pattern-lexer.js';

const CH_QUOTE = 39;
const CH_BACKSLASH = 92;

/**
 * Quotes text as a STIX pattern string literal: `'` becomes `\'`, `\` becomes `\\`; nothing else
 * is escaped (the grammar has no other escapes; newlines stand as they are).
 *
 * @example
 * ```ts
 * quotePatternString("it's C:\\temp"); // "'it\\'s C:\\\\temp'"
 * ```
 */
export function quotePatternString(value: string): string {
  let out = '';
  let chunkStart = 0;
  let escaped = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === CH_QUOTE || c === CH_BACKSLASH) {
      out += `${value.slice(chunkStart, i)}\\`;
      chunkStart = i;
      escaped = true;
    }
  }
  return escaped ? `'${out}${value.slice(chunkStart)}'` : `'${value}'`;
}

function invalid(reason: string): never {
  throw new ValidationError('STIX pattern syntax tree', [{ path: '', reason }]);
}

/** Writes a decimal without exponent, which the grammar does not have. */
function plainDecimal(text: string): string {
  const e = text.indexOf('e');
  if (e < 0) return text;
  const negative = text.charCodeAt(0) === 45;
  const mantissa = text.slice(negative ? 1 : 0, e);
  const exponent = Number(text.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const point = (dot < 0 ? mantissa.length : dot) + exponent;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}

function formatFloat(value: number): string {
  if (!Number.isFinite(value)) invalid(`float literal ${value} has no pattern form`);
  if (Object.is(value, -0)) return '-0.0';
  const text = plainDecimal(String(value));
  return text.includes('.') ? text : `${text}.0`;
}

function formatInteger(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (!Number.isInteger(value)) invalid(`integer literal ${value} is not an integer`);
  if (Object.is(value, -0)) return '-0';
  return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
}

/** A qualifier count: integers bare, fractions as decimals. */
function formatCount(value: number): string {
  if (!Number.isFinite(value) || value < 0) invalid(`qualifier value ${value} is not positive`);
  return Number.isSafeInteger(value) ? String(value) : formatFloat(value);
}

function isBareName(name: string, allowHyphen: boolean): boolean {
  if (name.length === 0) return false;
  const first = name.charCodeAt(0);
  if (!((first >= 65 && first <= 90) || (first >= 97 && first <= 122) || first === 95)) return false;
  for (let i = 1; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok =
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      (c >= 48 && c <= 57) ||
      c === 95 ||
      (allowHyphen && c === 45);
    if (!ok) return false;
  }
  return !reservedWords.has(name);
}

/**
 * Writes an object path as pattern text, e.g. `file:hashes.'SHA-256'`.
 *
 * @internal
 */
export function printObjectPath(path: ObjectPathNode): string {
  if (!isBareName(path.objectType, true)) {
    invalid(`object type '${path.objectType}' cannot be written in a pattern`);
  }
  let out = `${path.objectType}:`;
  let first = true;
  for (const step of path.steps) {
    if (step.kind === 'property') {
      if (!first) out += '.';
      out += isBareName(step.name, false) ? step.name : quotePatternString(step.name);
    } else {
      if (first) invalid('an object path must start with a property name');
      out += step.index === '*' ? '[*]' : `[${formatInteger(step.index)}]`;
    }
    first = false;
  }
  return out;
}

function printLiteral(literal: PatternLiteral): string {
  switch (literal.kind) {
    case 'string':
      return quotePatternString(literal.value);
    case 'integer':
      return formatInteger(literal.value);
    case 'float':
      return formatFloat(literal.value);
    case 'boolean':
      return literal.value ? 'true' : 'false';
    case 'binary':
      return `b'${literal.value}'`;
    case 'hex':
      return `h'${literal.value}'`;
    case 'timestamp':
      return `t'${literal.value}'`;
  }
}

const comparisonPrecedence = { OR: 1, AND: 2 } as const;
const observationPrecedence = { FOLLOWEDBY: 1, OR: 2, AND: 3 } as const;

function printComparison(node: ComparisonExpression): string {
  if (node.kind === 'comparison-op') {
    const precedence = comparisonPrecedence[node.op];
    let out = '';
    for (let i = 0; i < node.operands.length; i++) {
      const operand = node.operands[i] as ComparisonExpression;
      if (i > 0) out += ` ${node.op} `;
      // An operand chain of the same or a looser operator needs its parentheses back, or the
      // re-parse would flatten it into this chain.
      const group = operand.kind === 'comparison-op' && comparisonPrecedence[operand.op] <= precedence;
      out += group ? `(${printComparison(operand)})` : printComparison(operand);
    }
    return out;
  }
  if (node.operator === 'EXISTS') {
    return `${node.negated ? 'NOT ' : ''}EXISTS ${printObjectPath(node.path)}`;
  }
  const head = `${printObjectPath(node.path)}${node.negated ? ' NOT' : ''} ${node.operator} `;
  if (node.operator === 'IN') {
    let list = '';
    for (let i = 0; i < node.value.values.length; i++) {
      if (i > 0) list += ', ';
      list += printLiteral(node.value.values[i] as PatternLiteral);
    }
    return `${head}(${list})`;
  }
  return head + printLiteral(node.value);
}

function printQualifier(qualifier: PatternQualifier): string {
  switch (qualifier.kind) {
    case 'within':
      return ` WITHIN ${formatCount(qualifier.seconds)} SECONDS`;
    case 'repeats':
      return ` REPEATS ${formatCount(qualifier.times)} TIMES`;
    case 'start-stop':
      return ` START t'${qualifier.startTime.value}' STOP t'${qualifier.stopTime.value}'`;
  }
}

function printObservation(node: ObservationExpression): string {
  switch (node.kind) {
    case 'observation':
      return `[${printComparison(node.comparison)}]`;
    case 'qualified': {
      const inner = node.expression;
      let out = inner.kind === 'observation' ? printObservation(inner) : `(${printObservation(inner)})`;
      for (const qualifier of node.qualifiers) out += printQualifier(qualifier);
      return out;
    }
    case 'observation-op': {
      const precedence = observationPrecedence[node.op];
      let out = '';
      for (let i = 0; i < node.operands.length; i++) {
        const operand = node.operands[i] as ObservationExpression;
        if (i > 0) out += ` ${node.op} `;
        const group = operand.kind === 'observation-op' && observationPrecedence[operand.op] <= precedence;
        out += group ? `(${printObservation(operand)})` : printObservation(operand);
      }
      return out;
    }
  }
}

/**
 * Writes a pattern syntax tree back as canonical text: single spaces around operators, `=` and
 * `!=` for `==` and `<>`, bare property names where the grammar allows them and quoted ones
 * elsewhere, parentheses only where grouping needs them, no comments. Parsing the result gives a
 * tree equal to the input apart from offsets.
 *
 * @param ast - a tree from {@link parsePattern}, or one built by hand
 * @returns the pattern text
 * @throws `ValidationError` when a hand-built tree holds something no pattern text can express
 *   (an object type with a space, a non-finite number)
 *
 * @example
 * ```ts
 * printPattern(parsePattern("[file:hashes.'MD5' == '0a']")); // "[file:hashes.MD5 = '0a']"
 * ```
 */
export function printPattern(ast: PatternAst): string {
  return printObservation(ast);
}
