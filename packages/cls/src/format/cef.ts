import { compileValueSource, type EventRecord, type TemplateVariables } from '../mapping/compile-value.js';
import type { CefMapping } from '../mapping/mapping-schema.js';
import { cefHeaderLimits, cefKeyLimits, normalizeCefSeverity } from './cef-limits.js';
import { compileHeaderPart, type HeaderPart, joinHeaderParts, renderHeader } from './compile-header.js';
import { compilePairs, type PairStep } from './compile-pairs.js';
import { escapeCefValue, escapeHeader, truncateChars, utf8Length } from './escape.js';
import { type EscapedPair, fitLine } from './fit-line.js';

/** Options of the CEF formatter. */
export interface CefFormatOptions {
  /** Tenant name, the `{{tenant}}` template variable. @default '' */
  tenant?: string;
  /** More template variables; they win over event fields of the same name. @default {} */
  variables?: Readonly<Record<string, string>>;
  /** The `CEF:<version>` prefix. @default 0 */
  cefVersion?: 0 | 1;
  /** Longest line, in UTF-8 bytes; longer lines lose trailing extension keys. @default 65536 */
  maxLineBytes?: number;
  /** Value limit (characters) for extension keys without a CEF dictionary limit. @default 4000 */
  defaultValueLimit?: number;
}

/** Formats one record as a CEF line (no syslog header, no newline). */
export type CefFormatter = (event: EventRecord) => string;

/** Template variables from formatter options: `tenant` is always defined. */
export function templateVariables(options: {
  tenant?: string;
  variables?: Readonly<Record<string, string>>;
}): TemplateVariables {
  return { ...options.variables, tenant: options.tenant ?? options.variables?.tenant ?? '' };
}

function headerFinisher(limit: number) {
  return (value: string | undefined) =>
    value === undefined ? '' : escapeHeader(truncateChars(value, limit));
}

/**
 * Compiles a CEF mapping into a formatter: sources, transforms, limits and the fixed parts of the
 * header are worked out once, so formatting a record is a field lookup, an escape scan and a
 * concatenation per key. Keys whose value is missing (and has no default) are left out. A label
 * key (`cs1Label`, `cn2Label`, `deviceCustomDate1Label`) goes just before its value key and only
 * with it; labels are fixed text (a constant or a template of variables).
 *
 * @example
 * ```ts
 * const format = compileCefFormatter(resolveMapping(defaultMappings, 'events', 'page').cef!, { tenant: 'acme' });
 * const line = format(event); // CEF:0|Netskope|acme|...|page|...|suser=alice@example.com src=...
 * ```
 */
export function compileCefFormatter(mapping: CefMapping, options: CefFormatOptions = {}): CefFormatter {
  const variables = templateVariables(options);
  const maxLineBytes = options.maxLineBytes ?? 65_536;
  const defaultValueLimit = options.defaultValueLimit ?? 4000;
  const header = mapping.header ?? {};
  const headerParts = joinHeaderParts([
    `CEF:${options.cefVersion ?? 0}|`,
    compileHeaderPart(header.vendor, variables, headerFinisher(cefHeaderLimits.vendor)),
    '|',
    compileHeaderPart(header.product, variables, headerFinisher(cefHeaderLimits.product)),
    '|',
    compileHeaderPart(header.version, variables, headerFinisher(cefHeaderLimits.version)),
    '|',
    compileHeaderPart(header.eventClassId, variables, headerFinisher(cefHeaderLimits.eventClassId)),
    '|',
    compileHeaderPart(header.name, variables, headerFinisher(cefHeaderLimits.name)),
    '|',
    compileHeaderPart(header.severity, variables, normalizeCefSeverity),
    '|',
  ]);
  const fixedHeader = headerParts.length === 1 ? (headerParts[0] as string) : undefined;

  const extension = mapping.extension ?? {};
  const pairSteps: PairStep[] = [];
  for (const [key, source] of Object.entries(extension)) {
    // A label (`cs1Label`) is written just before its value (`cs1`), and only when there is one.
    if (!source || (key.endsWith('Label') && extension[key.slice(0, -5)])) continue;
    const labelSource = extension[`${key}Label`];
    const label = labelSource ? compileValueSource(labelSource, variables)({}) : undefined;
    const labelText = label === undefined ? '' : `${key}Label=${escapeCefValue(truncateChars(label, 1023))} `;
    pairSteps.push({
      first: `${labelText}${key}=`,
      next: ` ${labelText}${key}=`,
      source,
      // A value longer than the line can never fit: cut it before escaping it.
      limit: Math.min(source.maxLength ?? cefKeyLimits[key] ?? defaultValueLimit, maxLineBytes),
    });
  }
  const { write, steps } = compilePairs(pairSteps, variables, {
    escape: escapeCefValue,
    isSafeTransform: (source) => source.transform !== undefined && source.transform !== 'string',
  });
  const quickLimit = Math.floor(maxLineBytes / 3);

  const overLimit = (event: EventRecord, headerText: string): string => {
    const pairs: EscapedPair[] = [];
    for (const step of steps) {
      const value = step.get(event);
      if (value === undefined) continue;
      pairs.push({ key: step.first, value: escapeCefValue(truncateChars(value, step.limit)) });
    }
    return fitLine(headerText, pairs, ' ', maxLineBytes);
  };

  return (event) => {
    const headerText = fixedHeader ?? renderHeader(headerParts as HeaderPart[], event);
    const out = headerText + write(event);
    if (out.length > quickLimit && utf8Length(out) > maxLineBytes) return overLimit(event, headerText);
    return out;
  };
}

const compiled = new WeakMap<CefMapping, Map<string, CefFormatter>>();

/**
 * Formats one record as a CEF line. Convenient for one-off use; it caches the compiled mapping
 * per mapping object and options, but a pipeline should hold a {@link compileCefFormatter}.
 *
 * @example
 * ```ts
 * toCef({ user: 'alice', srcip: '10.0.0.1' }, { header: { vendor: { constant: 'Netskope' } }, extension: { suser: { field: 'user' } } });
 * ```
 */
export function toCef(event: EventRecord, mapping: CefMapping, options: CefFormatOptions = {}): string {
  let byOptions = compiled.get(mapping);
  if (!byOptions) {
    byOptions = new Map();
    compiled.set(mapping, byOptions);
  }
  const key = JSON.stringify(options);
  let format = byOptions.get(key);
  if (!format) {
    format = compileCefFormatter(mapping, options);
    if (byOptions.size < 64) byOptions.set(key, format);
  }
  return format(event);
}
