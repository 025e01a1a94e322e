import { isIP } from 'node:net';
import type { IndicatorReportInput, IndicatorSeverity, IndicatorType, SharedIndicator, Tlp } from '@ce/core';
import { tlpRank } from '@ce/core';
import type { MispAttribute, MispTag } from './misp-api.js';
import type { MispAttributeCreate } from './misp-client.js';
import type { MispConfig } from './misp-config.js';

/**
 * Conversions between MISP attributes and the exchange's indicators, in both directions. Pure
 * functions: the capabilities call them and the tests exercise them directly.
 *
 * @module
 */

/** What the mapping needs to know of an attribute's event. */
export interface MispEventContext {
  /** The event's numeric id, for the link back to MISP. */
  id?: string;
  info?: string;
  /** `1` high, `2` medium, `3` low, `4` undefined. */
  threatLevelId?: string;
  /** The event's tags (read when the attribute does not carry them as `inherited`). */
  tags?: ReadonlyArray<MispTag>;
}

/** Options of {@link attributeToReports}. */
export interface AttributeMappingOptions {
  /** The MISP base URL, for `externalUrl` (`<baseUrl>/events/view/<id>`). */
  baseUrl?: string;
  /** The attribute's event, when known. */
  event?: MispEventContext;
}

/** Event threat level → exchange severity. */
export const severityFromThreatLevel: Readonly<Record<string, IndicatorSeverity>> = {
  '1': 'high',
  '2': 'medium',
  '3': 'low',
  '4': 'unknown',
};

const tlpFromTag: Readonly<Record<string, Tlp>> = {
  'tlp:white': 'clear',
  'tlp:clear': 'clear',
  'tlp:green': 'green',
  'tlp:amber': 'amber',
  'tlp:amber+strict': 'amber+strict',
  'tlp:red': 'red',
};

/** The TLP label a tag names (`tlp:white` reads as `clear`), or `undefined`. */
export function tlpOfTag(name: string): Tlp | undefined {
  return tlpFromTag[name.trim().toLowerCase()];
}

function ipType(value: string): IndicatorType | undefined {
  const slash = value.indexOf('/');
  const address = slash >= 0 ? value.slice(0, slash) : value;
  const family = isIP(address);
  if (family === 0) return undefined;
  if (slash >= 0) return family === 4 ? 'ipv4-cidr' : 'ipv6-cidr';
  return family === 4 ? 'ipv4' : 'ipv6';
}

/**
 * The indicator values an attribute holds: one for plain types, the meaningful parts of a
 * composite (`domain|ip` gives the domain and the address; `ip-dst|port` the address;
 * `filename|sha256` the hash). Types the exchange cannot hold give none.
 */
export function attributeValues(type: string, value: string): Array<{ type: IndicatorType; value: string }> {
  const trimmed = value.trim();
  if (trimmed === '') return [];
  const parts = trimmed.split('|').map((part) => part.trim());
  const one = (indicatorType: IndicatorType | undefined, indicatorValue: string | undefined) =>
    indicatorType && indicatorValue ? [{ type: indicatorType, value: indicatorValue }] : [];
  switch (type) {
    case 'url':
      return one('url', trimmed);
    case 'domain':
      return one('domain', trimmed);
    case 'hostname':
      return one('hostname', trimmed);
    case 'ip-src':
    case 'ip-dst':
      return one(ipType(trimmed), trimmed);
    case 'md5':
    case 'sha1':
    case 'sha256':
      return one(type, trimmed);
    case 'email':
    case 'email-src':
    case 'email-dst':
      return one('email', trimmed);
    case 'domain|ip': {
      const [domain, address] = parts;
      return [...one('domain', domain), ...one(address ? ipType(address) : undefined, address)];
    }
    case 'hostname|port':
      return one('hostname', parts[0]);
    case 'ip-src|port':
    case 'ip-dst|port':
      return one(parts[0] ? ipType(parts[0]) : undefined, parts[0]);
    case 'filename|md5':
    case 'filename|sha1':
    case 'filename|sha256':
      return one(type.slice('filename|'.length) as IndicatorType, parts[parts.length - 1]);
    default:
      return [];
  }
}

/** MISP's `first_seen`/`last_seen` (ISO 8601 with microseconds, or microseconds) as epoch ms. */
export function parseSeen(text: string | null | undefined): number | undefined {
  if (text === null || text === undefined || text === '') return undefined;
  if (/^\d+$/.test(text)) {
    const micro = Number(text);
    return Number.isFinite(micro) ? Math.floor(micro / 1_000) : undefined;
  }
  // JavaScript reads milliseconds; MISP writes microseconds.
  const ms = Date.parse(text.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

function uniqueTags(tags: ReadonlyArray<MispTag>): { tags: string[]; tlp?: Tlp } {
  const names: string[] = [];
  let tlp: Tlp | undefined;
  for (const tag of tags) {
    const name = tag.name.trim();
    if (name === '') continue;
    const label = tlpOfTag(name);
    if (label) {
      if (!tlp || tlpRank(label) > tlpRank(tlp)) tlp = label;
      continue;
    }
    if (name.length <= 128 && !names.includes(name)) names.push(name);
  }
  return { tags: names.slice(0, 64), ...(tlp ? { tlp } : {}) };
}

function decayScore(attribute: MispAttribute): number | undefined {
  const scores = (attribute.decay_score ?? []).map((entry) => entry.score).filter(Number.isFinite);
  if (scores.length === 0) return undefined;
  return Math.min(100, Math.max(0, Math.max(...scores)));
}

/**
 * The indicator reports an attribute gives (none, one, or two for `domain|ip`). Severity comes
 * from the event's threat level, TLP from `tlp:*` tags (the most restrictive wins), tags from the
 * attribute's and the event's other tags, confidence and reputation from the best decay score.
 */
export function attributeToReports(
  attribute: MispAttribute,
  options: AttributeMappingOptions = {},
): IndicatorReportInput[] {
  const values = attributeValues(attribute.type, attribute.value);
  if (values.length === 0) return [];
  const event = options.event;
  const { tags, tlp } = uniqueTags([...(attribute.Tag ?? []), ...(event?.tags ?? [])]);
  const severity = event?.threatLevelId ? severityFromThreatLevel[event.threatLevelId] : undefined;
  const score = decayScore(attribute);
  const changed = attribute.timestamp === undefined ? undefined : attribute.timestamp * 1_000;
  const firstSeen = parseSeen(attribute.first_seen);
  const lastSeen = parseSeen(attribute.last_seen) ?? changed;
  const eventId = event?.id ?? (attribute.event_id === undefined ? undefined : String(attribute.event_id));
  const comment = attribute.comment?.trim() || (event?.info ? `MISP event: ${event.info}` : '');
  const externalUrl =
    options.baseUrl && eventId && /^\d+$/.test(eventId)
      ? `${options.baseUrl.replace(/\/+$/, '')}/events/view/${eventId}`
      : undefined;
  return values.map(({ type, value }) => ({
    value,
    type,
    ...(severity ? { severity } : {}),
    ...(score === undefined
      ? {}
      : { confidence: Math.round(score), reputation: Math.min(10, Math.max(1, Math.ceil(score / 10))) }),
    ...(tags.length > 0 ? { tags } : {}),
    ...(tlp ? { tlp } : {}),
    ...(comment ? { comments: comment.slice(0, 4_096) } : {}),
    ...(externalUrl ? { externalUrl } : {}),
    ...(firstSeen === undefined ? {} : { firstSeen }),
    ...(lastSeen === undefined ? {} : { lastSeen: Math.max(lastSeen, firstSeen ?? 0) }),
  }));
}

/** The MISP attribute type and category an indicator is written as. */
export function mispTypeOf(
  type: IndicatorType,
  push: Pick<MispConfig['push'], 'ipType' | 'emailType'>,
): { type: string; category: string } {
  switch (type) {
    case 'url':
    case 'domain':
    case 'hostname':
      return { type, category: 'Network activity' };
    case 'ipv4':
    case 'ipv6':
    case 'ipv4-cidr':
    case 'ipv6-cidr':
      // MISP's ip-src/ip-dst take CIDR blocks as well as addresses.
      return { type: push.ipType, category: 'Network activity' };
    case 'md5':
    case 'sha1':
    case 'sha256':
      return { type, category: 'Payload delivery' };
    case 'email':
      return {
        type: push.emailType,
        category: push.emailType === 'email-dst' ? 'Network activity' : 'Payload delivery',
      };
  }
}

/** Formats epoch ms as MISP's seen format (ISO 8601 with an offset). */
function seenText(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}

/** Options of {@link indicatorToAttribute}. */
export interface IndicatorMappingOptions {
  /** Push settings: address and email attribute types. */
  push: Pick<MispConfig['push'], 'ipType' | 'emailType'>;
  /** The IDS flag of the attribute. */
  toIds: boolean;
  /** Tags added to every attribute (the marker tag). */
  extraTags: ReadonlyArray<string>;
}

/**
 * The attribute an indicator is written as: type and category by indicator type, the IDS flag,
 * the indicator's comments, first and last seen, and its tags plus a `tlp:*` tag and the marker.
 * Distribution is left to the event (`5`, inherit).
 */
export function indicatorToAttribute(
  indicator: SharedIndicator,
  options: IndicatorMappingOptions,
): MispAttributeCreate {
  const { type, category } = mispTypeOf(indicator.type, options.push);
  const names = new Set<string>();
  for (const tag of [
    ...indicator.tags,
    ...(indicator.tlp ? [`tlp:${indicator.tlp}`] : []),
    ...options.extraTags,
  ]) {
    const name = tag.trim();
    if (name.length > 0 && name.length <= 255) names.add(name);
  }
  return {
    type,
    category,
    value: indicator.value,
    to_ids: options.toIds,
    distribution: '5',
    ...(indicator.comments ? { comment: indicator.comments.slice(0, 65_535) } : {}),
    first_seen: seenText(indicator.firstSeen),
    last_seen: seenText(Math.max(indicator.lastSeen, indicator.firstSeen)),
    Tag: [...names].map((name) => ({ name })),
  };
}
