import type { EventRecord } from '@ce/core';
import type { ValueSource } from './mapping-schema.js';
import {
  stringifyValue,
  toFloatText,
  toIntegerText,
  toIpText,
  toMacText,
  toTimestampText,
} from './transforms.js';

/** A record as the formatters see it: parsed JSON, values of any JSON type. */
export type { EventRecord };

/** Reads one value from a record; `undefined` means missing. */
export type FieldGetter = (event: EventRecord) => unknown;

/** Produces one formatted (not yet escaped) value from a record; `undefined` means leave it out. */
export type ValueGetter = (event: EventRecord) => string | undefined;

/** Values a template can use besides event fields, e.g. `{ tenant: 'acme' }`. */
export type TemplateVariables = Readonly<Record<string, string | undefined>>;

/**
 * A getter for a dot path (`host_info.hostname`, `users.0.username`). A key that itself contains
 * dots is found too: the whole path is tried first as one key.
 */
export function compileFieldPath(path: string): FieldGetter {
  const segments = path.split('.');
  if (segments.length === 1) return (event) => event[path];
  const [first, second, third] = segments as [string, string, string | undefined];
  const nested: FieldGetter =
    segments.length === 2
      ? (event) => {
          const parent = event[first];
          return typeof parent === 'object' && parent !== null
            ? (parent as Record<string, unknown>)[second]
            : undefined;
        }
      : segments.length === 3 && third !== undefined
        ? (event) => {
            const parent = event[first];
            if (typeof parent !== 'object' || parent === null) return undefined;
            const child = (parent as Record<string, unknown>)[second];
            return typeof child === 'object' && child !== null
              ? (child as Record<string, unknown>)[third]
              : undefined;
          }
        : (event) => {
            let current: unknown = event;
            for (const segment of segments) {
              if (typeof current !== 'object' || current === null) return undefined;
              current = (current as Record<string, unknown>)[segment];
            }
            return current;
          };
  return (event) => {
    const whole = event[path];
    return whole === undefined ? nested(event) : whole;
  };
}

/** The conversion a source's `transform` (and `format`) asks for, from a raw value to text. */
export function compileTransform(source: ValueSource): (raw: unknown) => string | undefined {
  switch (source.transform) {
    case 'integer':
      return toIntegerText;
    case 'float':
      return toFloatText;
    case 'ip':
      return toIpText;
    case 'mac':
      return toMacText;
    case 'timestamp': {
      const format = source.format ?? 'ms';
      return (raw) => toTimestampText(raw, format);
    }
    default:
      return stringifyValue;
  }
}

type TemplatePart = string | FieldGetter;

/**
 * Splits a template into literal text and field getters. Variables are known when the mapping is
 * compiled, so they become literal text here and cost nothing per event.
 */
export function compileTemplate(template: string, variables: TemplateVariables): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{{', i);
    const end = open < 0 ? -1 : template.indexOf('}}', open + 2);
    if (open < 0 || end < 0) {
      literal += template.slice(i);
      break;
    }
    literal += template.slice(i, open);
    const name = template.slice(open + 2, end).trim();
    if (Object.hasOwn(variables, name)) literal += variables[name] ?? '';
    else {
      if (literal) parts.push(literal);
      literal = '';
      parts.push(compileFieldPath(name));
    }
    i = end + 2;
  }
  if (literal) parts.push(literal);
  return parts;
}

/**
 * Compiles a value source into a getter. Variables (`tenant`) take precedence over event fields
 * of the same name in templates. A template whose placeholders are all missing counts as missing;
 * template output is trimmed.
 */
export function compileValueSource(source: ValueSource, variables: TemplateVariables = {}): ValueGetter {
  const transform = compileTransform(source);
  const fallback = source.default === undefined ? undefined : transform(source.default);
  if (source.constant !== undefined) {
    const value = transform(source.constant) ?? fallback;
    return () => value;
  }
  if (source.field !== undefined) {
    const get = compileFieldPath(source.field);
    if (fallback === undefined) return (event) => transform(get(event));
    return (event) => transform(get(event)) ?? fallback;
  }
  const parts = compileTemplate(source.template ?? '', variables);
  if (parts.every((part) => typeof part === 'string')) {
    const value = transform(parts.join('').trim()) ?? fallback;
    return () => value;
  }
  return (event) => {
    let out = '';
    let found = false;
    for (const part of parts) {
      if (typeof part === 'string') out += part;
      else {
        const text = stringifyValue(part(event));
        if (text !== undefined) {
          out += text;
          found = true;
        }
      }
    }
    // A template's missing placeholders leave stray spaces at its ends ("Box " for "{{app}} {{activity}}").
    return found ? (transform(out.trim()) ?? fallback) : fallback;
  };
}
