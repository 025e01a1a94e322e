import { ConfigError } from '@ce/core';
import type { EventRecord } from '../mapping/compile-value.js';
import type { LeefMapping } from '../mapping/mapping-schema.js';
import { templateVariables } from './cef.js';
import { compileHeaderPart, type HeaderPart, joinHeaderParts, renderHeader } from './compile-header.js';
import { compilePairs, type PairStep } from './compile-pairs.js';
import { escapeHeader, escapeLeefValue, truncateChars, utf8Length } from './escape.js';
import { type EscapedPair, fitLine } from './fit-line.js';

/** Options of the LEEF formatter. */
export interface LeefFormatOptions {
  /** LEEF version: 1.0 separates attributes with tabs; 2.0 names its delimiter in the header. @default '1.0' */
  version?: '1.0' | '2.0';
  /**
   * Attribute delimiter (LEEF 2.0 only): one character, or its hex code as `x5E` / `0x5E`. It may
   * not be `=`, `|`, `\`, CR or LF. @default '\t' (written `x09` in the header)
   */
  delimiter?: string;
  /** What replaces the delimiter inside a value (LEEF has no escape there). @default ' ' */
  delimiterReplacement?: string;
  /** Tenant name, the `{{tenant}}` template variable. @default '' */
  tenant?: string;
  /** More template variables; they win over event fields of the same name. @default {} */
  variables?: Readonly<Record<string, string>>;
  /** Longest line, in UTF-8 bytes; longer lines lose trailing attributes. @default 65536 */
  maxLineBytes?: number;
  /** Value limit, in characters, for attributes without a `maxLength`. @default 4000 */
  defaultValueLimit?: number;
}

/** Formats one record as a LEEF line (no syslog header, no newline). */
export type LeefFormatter = (event: EventRecord) => string;

function parseDelimiter(options: LeefFormatOptions): string {
  const version = options.version ?? '1.0';
  const raw = options.delimiter ?? '\t';
  let delimiter = raw;
  if (/^(0x|x)[0-9a-fA-F]{1,4}$/.test(raw))
    delimiter = String.fromCharCode(Number.parseInt(raw.replace(/^0?x/, ''), 16));
  const problem =
    [...delimiter].length !== 1 || delimiter.length !== 1
      ? 'the delimiter must be one character or its hex code (x09, 0x5E)'
      : '=|\\\r\n'.includes(delimiter)
        ? 'the delimiter may not be "=", "|", "\\", CR or LF'
        : version === '1.0' && delimiter !== '\t'
          ? 'LEEF 1.0 separates attributes with a tab; use version 2.0 for another delimiter'
          : undefined;
  if (problem) throw new ConfigError('invalid LEEF options', [{ path: 'delimiter', reason: problem }]);
  return delimiter;
}

function delimiterInHeader(delimiter: string): string {
  const code = delimiter.charCodeAt(0);
  return code > 32 && code < 127 ? delimiter : `x${code.toString(16).padStart(2, '0')}`;
}

/**
 * Compiles a LEEF mapping into a formatter. The delimiter never appears inside a value (it is
 * replaced), and no value contains a raw line break.
 *
 * @throws ConfigError when the delimiter is not allowed.
 * @example
 * ```ts
 * const format = compileLeefFormatter(mapping.leef!, { version: '2.0', delimiter: '^' });
 * format(event); // LEEF:2.0|Netskope|acme|1.0|page|^|devTime=...^usrName=alice@example.com
 * ```
 */
export function compileLeefFormatter(mapping: LeefMapping, options: LeefFormatOptions = {}): LeefFormatter {
  const version = options.version ?? '1.0';
  const delimiter = parseDelimiter(options);
  const delimiterCode = delimiter.charCodeAt(0);
  const replacement = options.delimiterReplacement ?? ' ';
  if (replacement.includes(delimiter) || /[\r\n]/.test(replacement)) {
    throw new ConfigError('invalid LEEF options', [
      {
        path: 'delimiterReplacement',
        reason: 'the replacement may not contain the delimiter or a line break',
      },
    ]);
  }
  const variables = templateVariables(options);
  const maxLineBytes = options.maxLineBytes ?? 65_536;
  const defaultValueLimit = options.defaultValueLimit ?? 4000;
  const header = mapping.header ?? {};
  const finish = (limit: number) => (value: string | undefined) =>
    value === undefined ? '' : escapeHeader(truncateChars(value, limit));
  const headerParts = joinHeaderParts([
    `LEEF:${version}|`,
    compileHeaderPart(header.vendor, variables, finish(255)),
    '|',
    compileHeaderPart(header.product, variables, finish(255)),
    '|',
    compileHeaderPart(header.version, variables, finish(255)),
    '|',
    compileHeaderPart(header.eventId, variables, finish(255)),
    version === '2.0' ? `|${delimiterInHeader(delimiter)}|` : '|',
  ]);
  const fixedHeader = headerParts.length === 1 ? (headerParts[0] as string) : undefined;

  const pairSteps: PairStep[] = [];
  for (const [key, source] of Object.entries(mapping.attributes ?? {})) {
    if (!source) continue;
    pairSteps.push({
      first: `${key}=`,
      next: `${delimiter}${key}=`,
      source,
      limit: Math.min(source.maxLength ?? defaultValueLimit, maxLineBytes),
    });
  }
  // Transforms write digits, hex, dots, colons, dashes, plus signs, letters and spaces only.
  const delimiterSafe = !/[0-9A-Za-z.:+\- ]/.test(delimiter);
  const escapeValue = (value: string) => escapeLeefValue(value, delimiterCode, replacement);
  const { write, steps } = compilePairs(pairSteps, variables, {
    escape: escapeValue,
    isSafeTransform: (source) =>
      delimiterSafe && source.transform !== undefined && source.transform !== 'string',
  });
  const quickLimit = Math.floor(maxLineBytes / 3);

  return (event) => {
    const headerText = fixedHeader ?? renderHeader(headerParts as HeaderPart[], event);
    const out = headerText + write(event);
    if (out.length > quickLimit && utf8Length(out) > maxLineBytes) {
      const pairs: EscapedPair[] = [];
      for (const step of steps) {
        const value = step.get(event);
        if (value === undefined) continue;
        pairs.push({ key: step.first, value: escapeValue(truncateChars(value, step.limit)) });
      }
      return fitLine(headerText, pairs, delimiter, maxLineBytes);
    }
    return out;
  };
}

const compiled = new WeakMap<LeefMapping, Map<string, LeefFormatter>>();

/**
 * Formats one record as a LEEF line, caching the compiled mapping per mapping object and options;
 * a pipeline should hold a {@link compileLeefFormatter} instead.
 *
 * @example
 * ```ts
 * toLeef(event, mapping.leef!, { version: '2.0', delimiter: '^' });
 * ```
 */
export function toLeef(event: EventRecord, mapping: LeefMapping, options: LeefFormatOptions = {}): string {
  let byOptions = compiled.get(mapping);
  if (!byOptions) {
    byOptions = new Map();
    compiled.set(mapping, byOptions);
  }
  const key = JSON.stringify(options);
  let format = byOptions.get(key);
  if (!format) {
    format = compileLeefFormatter(mapping, options);
    if (byOptions.size < 64) byOptions.set(key, format);
  }
  return format(event);
}
