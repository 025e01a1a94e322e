import type { IndicatorReportInput, IndicatorSeverity, IndicatorType } from '@ce/core';
import { indicatorSeveritySchema, indicatorTypes } from '@ce/core';
import type { FeedFields } from './feed-config.js';

/** One record of a feed: a line, a CSV row or a JSON object, with field access by name, index or path. */
export interface FeedRecord {
  /** Reads a field: a CSV header name or index, a JSON path (`$` the record, `$key` its key). */
  get(field: string | number): unknown;
  /** 1-based line (or, for a JSON document, record) number, for error samples. */
  readonly line: number;
}

/**
 * What mapping one record gives: its indicators (none for a record to ignore, such as a metadata
 * line), or why the record is invalid.
 */
export type MapResult = ReadonlyArray<IndicatorReportInput> | { invalid: string; kind?: SkipKind };

/** Why a record was skipped, as counted in the pull summary. */
export type SkipKind = 'malformed' | 'oversized' | 'unsupported-type' | 'invalid-value' | 'invalid-indicator';

/** Turns one record into indicators. */
export type RecordMapper = (record: FeedRecord) => MapResult;

/** Settings the mappers share. */
export interface MappingSettings {
  /** Lower-cased values that mean "no value". */
  nullValues: ReadonlySet<string>;
  /** Separator of tags given as one string. */
  tagSeparator: string;
  /** User type names → indicator types or `skip`. */
  typeMap: Readonly<Record<string, IndicatorType | 'skip'>>;
}

/** Reads a field as trimmed text; `undefined` for absent, non-scalar and "no value" markers. */
export function readText(value: unknown, settings: MappingSettings): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return undefined;
  const text = String(value).trim();
  return settings.nullValues.has(text.toLowerCase()) ? undefined : text;
}

/** Reads a number (a JSON number or numeric text). */
export function readNumber(value: unknown, settings: MappingSettings): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const text = readText(value, settings);
  if (text === undefined || !/^-?\d+(\.\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/** Reads tags from a JSON array or a separated string: trimmed, de-duplicated, at most 64. */
export function readTags(value: unknown, settings: MappingSettings): string[] {
  const parts = Array.isArray(value)
    ? value.map((item) => readText(item, settings))
    : (readText(value, settings)?.split(settings.tagSeparator) ?? []).map((item) => readText(item, settings));
  return cleanTags(parts);
}

/** Trims, drops empty and duplicate tags, cuts each to 128 characters and the list to 64. */
export function cleanTags(tags: ReadonlyArray<string | undefined>): string[] {
  const out = new Set<string>();
  for (const tag of tags) {
    const text = tag?.trim().slice(0, 128).trim();
    if (text) out.add(text);
    if (out.size >= 64) break;
  }
  return [...out];
}

const dateTime =
  /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?(?:\s*UTC)?$/i;

/**
 * Reads a timestamp as epoch milliseconds: ISO 8601 with a zone, `YYYY-MM-DD[ HH:MM[:SS]]` (read as
 * UTC, as abuse.ch writes it), or epoch seconds or milliseconds. Anything else is `undefined`.
 */
export function readTimestamp(value: unknown, settings: MappingSettings): number | undefined {
  const number = typeof value === 'number' ? value : undefined;
  const text = number === undefined ? readText(value, settings) : undefined;
  const numeric = number ?? (text && /^\d{9,13}$/.test(text) ? Number(text) : undefined);
  if (numeric !== undefined) {
    if (!Number.isFinite(numeric) || numeric < 0) return undefined;
    // Ten digits of seconds reach 2286; anything larger is already milliseconds.
    return Math.round(numeric < 1e11 ? numeric * 1_000 : numeric);
  }
  if (!text) return undefined;
  const parts = dateTime.exec(text);
  if (parts) {
    const [, year, month, day, hour, minute, second, millisecond] = parts;
    const time = Date.UTC(
      Number(year),
      Number(month) - 1,
      Number(day),
      Number(hour ?? 0),
      Number(minute ?? 0),
      Number(second ?? 0),
      Number((millisecond ?? '0').padEnd(3, '0')),
    );
    return Number.isNaN(time) ? undefined : time;
  }
  if (/^\d{4}-\d{2}-\d{2}T.+(Z|[+-]\d{2}:?\d{2})$/i.test(text)) {
    const time = Date.parse(text);
    return Number.isNaN(time) || time < 0 ? undefined : time;
  }
  return undefined;
}

/** Reads a severity; `informational` reads as `low`. */
export function readSeverity(value: unknown, settings: MappingSettings): IndicatorSeverity | undefined {
  const text = readText(value, settings)?.toLowerCase();
  if (!text) return undefined;
  const parsed = indicatorSeveritySchema.safeParse(text);
  return parsed.success ? parsed.data : undefined;
}

/** How a feed's type name reads: an indicator type, and whether the value carries a port to strip. */
export interface TypeReading {
  type: IndicatorType;
  /** The value is `address:port`; keep the address. */
  stripPort?: boolean;
}

const builtinTypeNames: Readonly<Record<string, TypeReading | 'ip' | 'cidr'>> = {
  url: { type: 'url' },
  uri: { type: 'url' },
  link: { type: 'url' },
  domain: { type: 'domain' },
  'domain-name': { type: 'domain' },
  fqdn: { type: 'domain' },
  hostname: { type: 'hostname' },
  host: { type: 'hostname' },
  ip: 'ip',
  'ip-addr': 'ip',
  'ip-dst': 'ip',
  'ip-src': 'ip',
  ipv4: { type: 'ipv4' },
  'ipv4-addr': { type: 'ipv4' },
  ipv6: { type: 'ipv6' },
  'ipv6-addr': { type: 'ipv6' },
  'ip:port': { type: 'ipv4', stripPort: true },
  'ip-dst|port': { type: 'ipv4', stripPort: true },
  cidr: 'cidr',
  netblock: 'cidr',
  'ip-range': 'cidr',
  'ipv4-cidr': { type: 'ipv4-cidr' },
  'ipv6-cidr': { type: 'ipv6-cidr' },
  md5: { type: 'md5' },
  md5_hash: { type: 'md5' },
  'filehash-md5': { type: 'md5' },
  sha1: { type: 'sha1' },
  sha1_hash: { type: 'sha1' },
  'filehash-sha1': { type: 'sha1' },
  sha256: { type: 'sha256' },
  sha256_hash: { type: 'sha256' },
  'filehash-sha256': { type: 'sha256' },
  email: { type: 'email' },
  'email-addr': { type: 'email' },
  'email-src': { type: 'email' },
};

/**
 * Reads a feed's type name (`ip:port`, `sha256_hash`, `FileHash-SHA256`, `IPv4`, ...). The user's
 * `typeMap` comes first; `ip` and `cidr` pick the IPv4 or IPv6 form from the value. Returns `skip`
 * for names mapped to skip and `undefined` for names it does not know.
 */
export function readType(
  name: string,
  value: string,
  settings: MappingSettings,
): TypeReading | 'skip' | undefined {
  const mapped = settings.typeMap[name] ?? settings.typeMap[name.toLowerCase()];
  if (mapped === 'skip') return 'skip';
  if (mapped) return { type: mapped };
  const lower = name.toLowerCase();
  if ((indicatorTypes as ReadonlyArray<string>).includes(lower)) return { type: lower as IndicatorType };
  const builtin = builtinTypeNames[lower];
  if (builtin === 'ip') return { type: value.includes(':') ? 'ipv6' : 'ipv4' };
  if (builtin === 'cidr') return { type: value.includes(':') ? 'ipv6-cidr' : 'ipv4-cidr' };
  return builtin;
}

/** `192.0.2.1:443` → `192.0.2.1`, `[2001:db8::1]:443` → `2001:db8::1`; other values unchanged. */
export function stripPort(value: string): string {
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(value);
  if (v4?.[1]) return v4[1];
  const v6 = /^\[([0-9A-Fa-f:.]+)\]:\d{1,5}$/.exec(value);
  return v6?.[1] ?? value;
}

/** A value with whitespace inside cannot be an indicator (it is a sentence, or two values). */
export function hasInnerWhitespace(value: string): boolean {
  return /\s/.test(value);
}

/**
 * The mapper of a feed described by `fields` (no preset): reads each part from its field, reads
 * the type name through {@link readType}, and leaves the type unset when the feed gives none, for
 * the engine to infer.
 */
export function createFieldMapper(
  fields: FeedFields,
  settings: MappingSettings,
  fixedType: IndicatorType | undefined,
): RecordMapper {
  return (record) => {
    let value = readText(record.get(fields.value), settings);
    if (value === undefined) return { invalid: 'no value', kind: 'invalid-value' };
    if (hasInnerWhitespace(value)) return { invalid: 'the value contains whitespace', kind: 'invalid-value' };
    let type = fixedType;
    if (!type && fields.type !== undefined) {
      const name = readText(record.get(fields.type), settings);
      if (name !== undefined) {
        const reading = readType(name, value, settings);
        if (reading === 'skip') return [];
        if (!reading) return { invalid: `unsupported type "${name.slice(0, 64)}"`, kind: 'unsupported-type' };
        type = reading.type;
        if (reading.stripPort) value = stripPort(value);
      }
    }
    const indicator: IndicatorReportInput = { value };
    if (type) indicator.type = type;
    const read = <T>(field: string | number | undefined, reader: (raw: unknown) => T | undefined) =>
      field === undefined ? undefined : reader(record.get(field));
    const severity = read(fields.severity, (raw) => readSeverity(raw, settings));
    if (severity) indicator.severity = severity;
    const confidence = read(fields.confidence, (raw) => readNumber(raw, settings));
    if (confidence !== undefined && confidence >= 0 && confidence <= 100) {
      indicator.confidence = Math.round(confidence);
    }
    const reputation = read(fields.reputation, (raw) => readNumber(raw, settings));
    if (reputation !== undefined && reputation >= 1 && reputation <= 10) {
      indicator.reputation = Math.round(reputation);
    }
    const tags = read(fields.tags, (raw) => readTags(raw, settings));
    if (tags && tags.length > 0) indicator.tags = tags;
    const firstSeen = read(fields.firstSeen, (raw) => readTimestamp(raw, settings));
    if (firstSeen !== undefined) indicator.firstSeen = firstSeen;
    const lastSeen = read(fields.lastSeen, (raw) => readTimestamp(raw, settings));
    if (lastSeen !== undefined) indicator.lastSeen = lastSeen;
    const comment = read(fields.comment, (raw) => readText(raw, settings));
    if (comment) indicator.comments = comment.slice(0, 4_096);
    const externalUrl = read(fields.externalUrl, (raw) => readText(raw, settings));
    if (externalUrl && /^https?:\/\//i.test(externalUrl)) indicator.externalUrl = externalUrl;
    return [indicator];
  };
}
