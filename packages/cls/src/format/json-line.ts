import { compileFieldPath, type EventRecord, type FieldGetter } from '../mapping/compile-value.js';
import { utf8Length } from './escape.js';

/** Options of the JSON line formatter. */
export interface JsonLineOptions {
  /**
   * Only these fields, by dot path (`user`, `host_info.hostname`); nested paths keep their
   * nesting in the output. Missing fields are left out. @default every field
   */
  fields?: ReadonlyArray<string>;
  /**
   * Longest line, in UTF-8 bytes. A longer record has its longest strings cut (with `…`) until it
   * fits. @default 65536
   */
  maxLineBytes?: number;
}

/** Formats one record as one NDJSON line (no trailing newline). */
export type JsonLineFormatter = (event: EventRecord) => string;

interface Selection {
  path: string[];
  get: FieldGetter;
}

function select(event: EventRecord, selections: ReadonlyArray<Selection>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { path, get } of selections) {
    const value = get(event);
    if (value === undefined) continue;
    let target = out;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i] as string;
      const next = target[key];
      if (typeof next === 'object' && next !== null && !Array.isArray(next))
        target = next as Record<string, unknown>;
      else {
        const created: Record<string, unknown> = {};
        target[key] = created;
        target = created;
      }
    }
    target[path[path.length - 1] as string] = value;
  }
  return out;
}

function stringify(value: unknown, limit?: number): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'bigint') return item.toString();
    if (limit !== undefined && typeof item === 'string' && item.length > limit)
      return `${item.slice(0, limit)}…`;
    return item;
  });
}

/**
 * Compiles a JSON line formatter. `JSON.stringify` escapes every control character and writes a
 * lone surrogate as a `\udXXX` escape, so a line is always one line of well-formed UTF-8.
 *
 * @example
 * ```ts
 * const format = compileJsonLineFormatter({ fields: ['_id', 'user', 'host_info.hostname'] });
 * format(event); // {"_id":"...","user":"alice","host_info":{"hostname":"laptop-1"}}
 * ```
 */
export function compileJsonLineFormatter(options: JsonLineOptions = {}): JsonLineFormatter {
  const maxLineBytes = options.maxLineBytes ?? 65_536;
  const selections = options.fields?.map((field) => ({
    path: field.split('.'),
    get: compileFieldPath(field),
  }));
  return (event) => {
    const value = selections ? select(event, selections) : event;
    let line: string;
    try {
      line = JSON.stringify(value);
    } catch {
      line = stringify(value);
    }
    if (line.length * 3 <= maxLineBytes || utf8Length(line) <= maxLineBytes) return line;
    // Halve the longest strings allowed until the record fits.
    for (let limit = Math.floor(maxLineBytes / 4); limit >= 16; limit = Math.floor(limit / 2)) {
      line = stringify(value, limit);
      if (utf8Length(line) <= maxLineBytes) return line;
    }
    return JSON.stringify({ truncated: true, bytes: utf8Length(line) });
  };
}

/**
 * Formats one record as one NDJSON line: the whole record or a subset of fields.
 *
 * @example
 * ```ts
 * toJsonLine(event, { fields: ['user', 'src_location.city'] });
 * ```
 */
export function toJsonLine(event: EventRecord, options: JsonLineOptions = {}): string {
  return compileJsonLineFormatter(options)(event);
}
