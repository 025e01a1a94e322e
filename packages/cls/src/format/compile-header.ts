import { compileValueSource, type EventRecord, type TemplateVariables } from '../mapping/compile-value.js';
import type { ValueSource } from '../mapping/mapping-schema.js';

/** A header field compiled: fixed text, or a function of the record. */
export type HeaderPart = string | ((event: EventRecord) => string);

/** True when a source yields the same value for every record (a constant, or a template of variables). */
export function isStaticSource(source: ValueSource | undefined, variables: TemplateVariables): boolean {
  if (!source || source.constant !== undefined) return true;
  if (source.field !== undefined) return false;
  return !hasFieldPlaceholder(source.template ?? '', variables);
}

/**
 * Compiles one header field: its source, then `finish` (normalise, cut, escape). Fields that do
 * not depend on the record are computed once, here.
 */
export function compileHeaderPart(
  source: ValueSource | undefined,
  variables: TemplateVariables,
  finish: (value: string | undefined) => string,
): HeaderPart {
  if (!source) return finish(undefined);
  const get = compileValueSource(source, variables);
  if (isStaticSource(source, variables)) {
    return finish(get({}));
  }
  return (event) => finish(get(event));
}

function hasFieldPlaceholder(template: string, variables: TemplateVariables): boolean {
  for (const match of template.matchAll(/\{\{([^}]*)\}\}/g)) {
    if (!Object.hasOwn(variables, (match[1] ?? '').trim())) return true;
  }
  return false;
}

/**
 * Joins header parts with fixed text between them into as few parts as possible: adjacent fixed
 * texts merge, so a header with only a dynamic Name is two concatenations per record.
 */
export function joinHeaderParts(parts: ReadonlyArray<HeaderPart>): HeaderPart[] {
  const out: HeaderPart[] = [];
  for (const part of parts) {
    const last = out[out.length - 1];
    if (typeof part === 'string' && typeof last === 'string') out[out.length - 1] = last + part;
    else out.push(part);
  }
  return out;
}

/** Evaluates joined header parts for one record. */
export function renderHeader(parts: ReadonlyArray<HeaderPart>, event: EventRecord): string {
  let out = '';
  for (const part of parts) out += typeof part === 'string' ? part : part(event);
  return out;
}
