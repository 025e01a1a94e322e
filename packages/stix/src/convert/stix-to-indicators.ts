import {
  type IndicatorKey,
  type IndicatorReportInput,
  type IndicatorSeverity,
  type IndicatorType,
  indicatorKeyString,
  indicatorSeveritySchema,
  type Tlp,
} from '@ce/core';
import { specHashName } from '../identifiers/observable-id.js';
import { tlpOfObject } from '../markings/tlp.js';
import { compareStixTimestamps } from '../objects/common.js';
import type { StixIndicator } from '../objects/domain-objects.js';
import type { StixIssue, StixObject } from '../objects/validate.js';
import { extractPatternIndicators } from '../pattern/extract-pattern-indicators.js';

/**
 * From STIX to Cloud Exchange indicators: indicator objects with STIX patterns are reduced to
 * their values, and (optionally) the bundle's own observables become indicators too.
 *
 * @module
 */

/** Options of {@link stixToIndicators}. */
export interface StixToIndicatorsOptions {
  /**
   * Also turn plain SCOs (`url`, `domain-name`, `ipv4-addr`, `ipv6-addr`, `email-addr`, `file`
   * hashes) into indicators. Values an indicator object already reported are not repeated.
   * @default true
   */
  includeObservables?: boolean;
  /**
   * Marking definitions to resolve TLP markings with, besides the predefined TLP ids and the
   * marking definitions among `objects`.
   */
  markingDefinitions?: Iterable<{ id?: unknown }>;
}

/** What {@link stixToIndicators} found. */
export interface StixToIndicatorsResult {
  /** One report per indicator value, in object order. */
  indicators: IndicatorReportInput[];
  /** Values of indicator objects marked `revoked: true`: retract them. */
  revoked: IndicatorKey[];
  /** Indicator objects whose pattern is not a plain "any of these values" (and why). */
  notReducible: Array<{ id: string; reason: string }>;
  /** Problems with individual objects (an unparsable pattern, a value the exchange rejects). */
  issues: StixIssue[];
}

/**
 * Severity an `indicator_types` entry implies; the highest applies. Documented in
 * docs/stix-taxii.md.
 */
export const severityByIndicatorType: Readonly<Record<string, IndicatorSeverity>> = {
  'malicious-activity': 'high',
  compromised: 'high',
  'anomalous-activity': 'medium',
  attribution: 'medium',
  anonymization: 'low',
  benign: 'low',
  unknown: 'unknown',
};

const severityOrder: ReadonlyArray<IndicatorSeverity> = ['unknown', 'low', 'medium', 'high', 'critical'];

function readSeverity(value: unknown): IndicatorSeverity | undefined {
  if (typeof value !== 'string') return undefined;
  const parsed = indicatorSeveritySchema.safeParse(value.trim().toLowerCase());
  return parsed.success ? parsed.data : undefined;
}

/**
 * The severity of a STIX indicator: `x_ce_severity`, else another custom property whose name
 * ends in `severity` (`x_acme_severity`), else the highest {@link severityByIndicatorType} of its
 * `indicator_types`; `undefined` when none says anything.
 */
export function severityOfStixIndicator(object: Record<string, unknown>): IndicatorSeverity | undefined {
  const own = readSeverity(object.x_ce_severity);
  if (own) return own;
  for (const [key, value] of Object.entries(object)) {
    if (key.startsWith('x_') && key.endsWith('severity')) {
      const found = readSeverity(value);
      if (found) return found;
    }
  }
  let highest: IndicatorSeverity | undefined;
  if (Array.isArray(object.indicator_types))
    for (const type of object.indicator_types) {
      const implied = typeof type === 'string' ? severityByIndicatorType[type] : undefined;
      if (
        implied &&
        (highest === undefined || severityOrder.indexOf(implied) > severityOrder.indexOf(highest))
      )
        highest = implied;
    }
  return highest;
}

/**
 * The reputation (1 benign to 10 malicious) of a STIX indicator: `x_ce_reputation` when it is an
 * integer 1-10; 1 when `indicator_types` says `benign`; otherwise from `confidence` (how sure the
 * producer is that this malicious indicator is right): `5 + round(confidence / 20)`, so 0-9 → 5,
 * 10-29 → 6, 30-49 → 7, 50-69 → 8, 70-89 → 9, 90-100 → 10; `undefined` without any of them (the
 * exchange's default, 5, applies).
 */
export function reputationOfStixIndicator(object: Record<string, unknown>): number | undefined {
  const own = object.x_ce_reputation;
  if (typeof own === 'number' && Number.isInteger(own) && own >= 1 && own <= 10) return own;
  if (Array.isArray(object.indicator_types) && object.indicator_types.includes('benign')) return 1;
  const confidence = object.confidence;
  if (typeof confidence === 'number' && confidence >= 0 && confidence <= 100)
    return 5 + Math.round(confidence / 20);
  return undefined;
}

function epochMs(timestamp: unknown): number | undefined {
  if (typeof timestamp !== 'string') return undefined;
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? undefined : ms;
}

function tagsOf(object: Record<string, unknown>): string[] {
  const tags: string[] = [];
  for (const list of [object.labels, object.indicator_types]) {
    if (!Array.isArray(list)) continue;
    for (const entry of list) {
      if (typeof entry !== 'string') continue;
      const tag = entry.trim().slice(0, 128);
      if (tag && !tags.includes(tag)) tags.push(tag);
    }
  }
  return tags.slice(0, 64);
}

function externalUrlOf(object: Record<string, unknown>): string | undefined {
  if (!Array.isArray(object.external_references)) return undefined;
  for (const reference of object.external_references) {
    const url = (reference as { url?: unknown } | null)?.url;
    if (
      typeof url === 'string' &&
      url.length <= 2048 &&
      /^https?:\/\/[^\s]+$/i.test(url) &&
      URL.canParse(url)
    )
      return url;
  }
  return undefined;
}

const observableHashTypes: Readonly<Record<string, IndicatorType>> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
};

/** The indicator values an SCO carries (none for SCO types the exchange does not handle). */
export function observableIndicators(object: StixObject): Array<{ type: IndicatorType; value: string }> {
  const value = (object as { value?: unknown }).value;
  switch (object.type) {
    case 'url':
      return typeof value === 'string' ? [{ type: 'url', value }] : [];
    case 'domain-name':
      return typeof value === 'string' ? [{ type: 'domain', value }] : [];
    case 'ipv4-addr':
      return typeof value === 'string' ? [{ type: value.includes('/') ? 'ipv4-cidr' : 'ipv4', value }] : [];
    case 'ipv6-addr':
      return typeof value === 'string' ? [{ type: value.includes('/') ? 'ipv6-cidr' : 'ipv6', value }] : [];
    case 'email-addr':
      return typeof value === 'string' ? [{ type: 'email', value }] : [];
    case 'file': {
      const hashes = (object as { hashes?: unknown }).hashes;
      if (typeof hashes !== 'object' || hashes === null) return [];
      const found: Array<{ type: IndicatorType; value: string }> = [];
      for (const [name, digest] of Object.entries(hashes)) {
        const type = observableHashTypes[specHashName(name)];
        if (type && typeof digest === 'string') found.push({ type, value: digest });
      }
      return found;
    }
    default:
      return [];
  }
}

/**
 * Converts STIX objects (typically a parsed bundle's) to Cloud Exchange indicator reports.
 *
 * - `indicator` objects with `pattern_type: 'stix'` whose pattern means "any of these values"
 *   give one report per value; other patterns land in `notReducible` with the reason.
 * - Revoked indicator objects give `revoked` keys instead of reports.
 * - Fields: `confidence` → confidence; `valid_from` → firstSeen; `valid_until` → expiresAt;
 *   `labels` and `indicator_types` → tags; TLP markings → tlp (most restrictive); `description` →
 *   comments; the first http(s) `external_references[].url` → externalUrl; severity from
 *   {@link severityOfStixIndicator}; reputation from {@link reputationOfStixIndicator};
 *   `indicator_types` containing `benign` → `safe: true`.
 * - With `includeObservables` (default), SCOs give reports with their TLP.
 *
 * @example
 * ```ts
 * const { objects } = parseStixBundle(text);
 * const { indicators, revoked, notReducible } = stixToIndicators(objects);
 * ```
 */
export function stixToIndicators(
  objects: ReadonlyArray<StixObject>,
  options: StixToIndicatorsOptions = {},
): StixToIndicatorsResult {
  const markings = new Map<string, { id?: unknown }>();
  for (const object of objects) if (object.type === 'marking-definition') markings.set(object.id, object);
  if (options.markingDefinitions)
    for (const definition of options.markingDefinitions)
      if (typeof definition.id === 'string') markings.set(definition.id, definition);

  const result: StixToIndicatorsResult = { indicators: [], revoked: [], notReducible: [], issues: [] };
  const reported = new Set<string>();

  // A bundle (or a TAXII page) may hold several versions of one indicator: the latest one counts.
  const latest = new Map<string, StixIndicator>();
  for (const object of objects) {
    if (object.type !== 'indicator') continue;
    const indicator = object as StixIndicator;
    const seen = latest.get(indicator.id);
    if (!seen || compareStixTimestamps(indicator.modified, seen.modified) > 0)
      latest.set(indicator.id, indicator);
  }

  for (const object of objects) {
    if (object.type !== 'indicator' || latest.get(object.id) !== object) continue;
    const indicator = object as StixIndicator;
    if (indicator.pattern_type !== 'stix') {
      result.notReducible.push({
        id: indicator.id,
        reason: `pattern_type "${indicator.pattern_type}" cannot be reduced to indicator values`,
      });
      continue;
    }
    let extraction: ReturnType<typeof extractPatternIndicators>;
    try {
      extraction = extractPatternIndicators(indicator.pattern);
    } catch (error) {
      result.issues.push({ objectId: indicator.id, path: 'pattern', reason: (error as Error).message });
      continue;
    }
    if (!extraction.reducible) {
      result.notReducible.push({ id: indicator.id, reason: extraction.reason });
      continue;
    }
    if (indicator.revoked === true) {
      for (const { type, value } of extraction.indicators) result.revoked.push({ type, value });
      continue;
    }
    const shared = sharedFields(indicator, markings);
    for (const { type, value } of extraction.indicators) {
      if (value.length > 16_384) {
        result.issues.push({
          objectId: indicator.id,
          path: 'pattern',
          reason: 'a value is over 16,384 characters',
        });
        continue;
      }
      reported.add(indicatorKeyString({ type, value }));
      result.indicators.push({ value, type, ...shared });
    }
  }

  if (options.includeObservables ?? true) {
    for (const object of objects) {
      const found = observableIndicators(object);
      if (found.length === 0) continue;
      const tlp: Tlp | undefined = tlpOfObject(object, markings);
      for (const { type, value } of found) {
        const key = indicatorKeyString({ type, value });
        if (reported.has(key) || value.length === 0 || value.length > 16_384) continue;
        reported.add(key);
        result.indicators.push(tlp ? { value, type, tlp } : { value, type });
      }
    }
  }
  return result;
}

function sharedFields(
  indicator: StixIndicator,
  markings: ReadonlyMap<string, { id?: unknown }>,
): Omit<IndicatorReportInput, 'value' | 'type'> {
  const object = indicator as Record<string, unknown>;
  const fields: Omit<IndicatorReportInput, 'value' | 'type'> = {};
  const severity = severityOfStixIndicator(object);
  if (severity) fields.severity = severity;
  const reputation = reputationOfStixIndicator(object);
  if (reputation !== undefined) fields.reputation = reputation;
  if (indicator.confidence !== undefined) fields.confidence = indicator.confidence;
  const tags = tagsOf(object);
  if (tags.length > 0) fields.tags = tags;
  if (indicator.description) fields.comments = indicator.description.slice(0, 4_096);
  const externalUrl = externalUrlOf(object);
  if (externalUrl) fields.externalUrl = externalUrl;
  if (Array.isArray(indicator.indicator_types) && indicator.indicator_types.includes('benign'))
    fields.safe = true;
  const tlp = tlpOfObject(indicator, markings);
  if (tlp) fields.tlp = tlp;
  const firstSeen = epochMs(indicator.valid_from);
  if (firstSeen !== undefined) fields.firstSeen = firstSeen;
  const expiresAt = epochMs(indicator.valid_until);
  if (expiresAt !== undefined) fields.expiresAt = expiresAt;
  return fields;
}
