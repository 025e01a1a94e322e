import {
  compileTransform,
  compileValueSource,
  type EventRecord,
  type TemplateVariables,
  type ValueGetter,
} from '../mapping/compile-value.js';
import type { ValueSource } from '../mapping/mapping-schema.js';
import { stringifyValue } from '../mapping/transforms.js';
import { truncateChars } from './escape.js';

/** One `key=value` pair of a CEF extension or a LEEF attribute list, before compilation. */
export interface PairStep {
  /** Text written before the value when it is the first pair written (`suser=`). */
  first: string;
  /** Text written before the value otherwise (` suser=`, `\tusrName=`). */
  next: string;
  /** Where the value comes from. */
  source: ValueSource;
  /** Longest value, in characters, before escaping. */
  limit: number;
}

/** A compiled step: its getter, for the slow paths that need values one by one. */
export interface CompiledPairStep extends PairStep {
  /** Produces the value (transformed, not cut, not escaped). */
  get: ValueGetter;
}

/** What {@link compilePairs} needs to know about the output format. */
export interface PairFormat {
  /** Escapes one value. */
  escape: (value: string) => string;
  /**
   * True when the output of a transform can never need escaping (digits, hex, dots, colons), so
   * the escape scan is skipped for it.
   */
  isSafeTransform: (source: ValueSource) => boolean;
}

const simpleKey = /^[^.]+$/;

/**
 * Compiles a list of pairs into one function that writes all of them for a record. The function
 * is generated code, so that each field read is its own property access site with its own inline
 * cache: a generic loop reading `event[key]` for thirty different keys goes megamorphic and costs
 * several times more. Field names enter the code only as JSON string literals; everything else
 * (getters, transforms, defaults, escapes) is passed in as values. Where code generation is
 * disabled (`--disallow-code-generation-from-strings`), an equivalent loop is used.
 */
export function compilePairs(
  steps: ReadonlyArray<PairStep>,
  variables: TemplateVariables,
  format: PairFormat,
  generateCode = true,
): { write: (event: EventRecord) => string; steps: CompiledPairStep[] } {
  const compiled = steps.map((step) => ({ ...step, get: compileValueSource(step.source, variables) }));
  return {
    write: (generateCode ? generate(compiled, format) : undefined) ?? loop(compiled, format),
    steps: compiled,
  };
}

function loop(steps: ReadonlyArray<CompiledPairStep>, format: PairFormat): (event: EventRecord) => string {
  const escapes = steps.map((step) => (format.isSafeTransform(step.source) ? undefined : format.escape));
  return (event) => {
    let out = '';
    let first = true;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i] as CompiledPairStep;
      let value = step.get(event);
      if (value === undefined) continue;
      if (value.length > step.limit) value = truncateChars(value, step.limit);
      const escapeValue = escapes[i];
      out += (first ? step.first : step.next) + (escapeValue ? escapeValue(value) : value);
      first = false;
    }
    return out;
  };
}

function generate(steps: ReadonlyArray<CompiledPairStep>, format: PairFormat) {
  const getters: ValueGetter[] = [];
  const transforms: Array<(raw: unknown) => string | undefined> = [];
  const defaults: Array<string | undefined> = [];
  let body = '';
  steps.forEach((step, i) => {
    const source = step.source;
    const direct = source.field !== undefined && simpleKey.test(source.field);
    if (direct && (source.transform === undefined || source.transform === 'string')) {
      // The common case, inlined: a string field passes as it is.
      body += `r = e[${JSON.stringify(source.field)}];\n`;
      body += `v = typeof r === 'string' ? (r === '' ? undefined : r) : S(r);\n`;
    } else if (direct) {
      transforms[i] = compileTransform(source);
      body += `v = T[${i}](e[${JSON.stringify(source.field)}]);\n`;
    } else {
      getters[i] = step.get;
      body += `v = G[${i}](e);\n`;
    }
    if (direct && source.default !== undefined) {
      defaults[i] = step.get({});
      body += `if (v === undefined) v = D[${i}];\n`;
    }
    const written = format.isSafeTransform(source) ? 'v' : 'X(v)';
    body +=
      `if (v !== undefined) {\n` +
      `  if (v.length > ${step.limit}) v = C(v, ${step.limit});\n` +
      `  o += (f ? ${JSON.stringify(step.first)} : ${JSON.stringify(step.next)}) + ${written};\n` +
      `  f = false;\n}\n`;
  });
  const code = `'use strict';\nreturn function writePairs(e) {\nlet o = '', f = true, v, r;\n${body}return o;\n};`;
  try {
    const factory = new Function('S', 'T', 'G', 'D', 'X', 'C', code) as (
      ...args: unknown[]
    ) => (event: EventRecord) => string;
    return factory(stringifyValue, transforms, getters, defaults, format.escape, truncateChars);
  } catch {
    return undefined;
  }
}
