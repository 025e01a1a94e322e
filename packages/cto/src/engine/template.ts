/**
 * Field templates over an alert: `{{user}}`, `{{raw.policy}}`, `{{severity | upper}}`,
 * `{{user | default: "unknown"}}`. Compiled once; a template naming a field that is absent fails
 * with the field's name unless it gives a default, never renders an empty string silently.
 *
 * @module
 */
import { CeError, ValidationError } from '@ce/core';

/** A compiled template: renders over variables, or throws {@link MissingTemplateField}. */
export type CompiledTemplate = (variables: Readonly<Record<string, unknown>>) => string;

/** A template named a field the alert does not have, and gave no default. */
export class MissingTemplateField extends CeError {
  /** The field path the template named. */
  readonly field: string;
  /** The template (or `field: template`) that named it. */
  readonly template: string;

  constructor(field: string, template: string) {
    super(
      'VALIDATION_FAILED',
      `the template "${template.slice(0, 80)}" names "${field}", which the alert does not have`,
      {
        details: { field },
      },
    );
    this.name = 'MissingTemplateField';
    this.field = field;
    this.template = template;
  }
}

type Filter = (value: string) => string;

const filters: Record<string, Filter> = {
  upper: (value) => value.toUpperCase(),
  lower: (value) => value.toLowerCase(),
  trim: (value) => value.trim(),
  json: (value) => JSON.stringify(value),
};

/** Reads a dotted path (`raw.a.b`) from variables. */
function read(variables: Readonly<Record<string, unknown>>, path: ReadonlyArray<string>): unknown {
  let value: unknown = variables;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function asText(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Array.isArray(value)) return value.map((item) => asText(item) ?? '').join(', ');
  return JSON.stringify(value);
}

const placeholder = /\{\{\s*([^}|]+?)\s*((?:\|\s*[^}|]+?\s*)*)\}\}/g;

/**
 * Compiles a template; throws `VALIDATION_FAILED` naming the filter for an unknown one.
 *
 * @example
 * ```ts
 * compileTemplate('{{name}} by {{user | default: "unknown"}}')({ name: 'DLP', raw: {} }); // 'DLP by unknown'
 * ```
 */
export function compileTemplate(template: string): CompiledTemplate {
  const parts: Array<string | { path: string[]; field: string; filters: Filter[]; fallback?: string }> = [];
  let last = 0;
  for (const match of template.matchAll(placeholder)) {
    const index = match.index ?? 0;
    if (index > last) parts.push(template.slice(last, index));
    last = index + match[0].length;
    const field = (match[1] as string).trim();
    const steps: Filter[] = [];
    let fallback: string | undefined;
    for (const raw of (match[2] ?? '').split('|').slice(1)) {
      const step = raw.trim();
      const defaulted = /^default\s*:\s*"((?:[^"\\]|\\.)*)"$/.exec(step);
      if (defaulted) fallback = (defaulted[1] as string).replace(/\\(.)/g, '$1');
      else {
        const filter = filters[step];
        if (!filter)
          throw new ValidationError('invalid template', [
            {
              path: 'template',
              reason: `unknown filter "${step}" (known: ${Object.keys(filters).join(', ')}, default: "...")`,
            },
          ]);
        steps.push(filter);
      }
    }
    parts.push({
      path: field.split('.'),
      field,
      filters: steps,
      ...(fallback !== undefined ? { fallback } : {}),
    });
  }
  if (last < template.length) parts.push(template.slice(last));
  if (parts.every((part) => typeof part === 'string')) return () => template;
  return (variables) => {
    let out = '';
    for (const part of parts) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      let value = asText(read(variables, part.path));
      if (value === undefined) {
        if (part.fallback === undefined) throw new MissingTemplateField(part.field, template);
        value = part.fallback;
      }
      for (const filter of part.filters) value = filter(value);
      out += value;
    }
    return out;
  };
}
