import type { Clock, IndicatorKey, IndicatorType, SharedIndicator } from '@ce/core';
import { uuidV5 } from '../identifiers/uuid.js';
import { type TlpVersion, tlpMarkingDefinition, tlpMarkingRef } from '../markings/tlp.js';
import { compareStixTimestamps, formatStixTimestamp } from '../objects/common.js';
import { createObservable, createStixObject } from '../objects/create.js';
import type { StixIndicator } from '../objects/domain-objects.js';
import type { StixMarkingDefinition } from '../objects/marking-definition.js';
import type { StixObservable } from '../objects/validate.js';
import { buildPattern } from '../pattern/build-pattern.js';

/**
 * From Cloud Exchange indicators to STIX: one `indicator` object per (type, value) with a stable
 * id, so sharing the same indicator again produces a new version of the same STIX object, and a
 * retraction revokes it.
 *
 * @module
 */

/**
 * The namespace of the UUIDv5 behind indicator ids made by {@link indicatorToStix}. It is ours
 * alone (never the SCO namespace), so the ids collide with nobody else's.
 */
export const indicatorIdNamespace = '808cb0b5-9aba-4cd0-b8c6-bd46ed2dd9df';

/** Options of {@link indicatorToStix} and {@link retractionToStix}. */
export interface IndicatorToStixOptions {
  /** The producer: its id becomes `created_by_ref` and scopes the indicator ids (see {@link indicatorStixId}). */
  identity?: string | { id: string };
  /**
   * Source of `modified` (and of `created` for a bare key).
   * @default the system clock
   */
  clock?: Pick<Clock, 'now'>;
  /**
   * TLP marking version for `object_marking_refs`.
   * @default '2.0'
   */
  tlpVersion?: TlpVersion;
  /**
   * Also return the SCO the indicator's value is (`url`, `domain-name`, `ipv4-addr`, …, a `file`
   * with the hash) with its deterministic id.
   * @default false
   */
  observables?: boolean;
}

/** What {@link indicatorToStix} returns. */
export interface IndicatorToStixResult {
  /** The STIX indicator. */
  indicator: StixIndicator;
  /** The TLP marking definition the indicator references, to ship in the same bundle. */
  markings: StixMarkingDefinition[];
  /** The SCO of the value, when `observables` is set. */
  observables?: StixObservable[];
}

function identityId(identity: IndicatorToStixOptions['identity']): string | undefined {
  return typeof identity === 'string' ? identity : identity?.id;
}

/**
 * The stable id of the STIX indicator for an exchange indicator: `indicator--` + UUIDv5 over
 * `<type>:<value>` in {@link indicatorIdNamespace}, or, when a producer identity is given, in a
 * namespace derived from that identity's id (two producers sharing one value into the same TAXII
 * collection keep separate objects).
 */
export function indicatorStixId(key: IndicatorKey, identity?: string | { id: string }): string {
  const owner = identityId(identity);
  const namespace = owner === undefined ? indicatorIdNamespace : uuidV5(indicatorIdNamespace, owner);
  return `indicator--${uuidV5(namespace, `${key.type}:${key.value}`)}`;
}

const observableOf: Readonly<
  Record<IndicatorType, (value: string) => [StixObservable['type'], Record<string, unknown>]>
> = {
  url: (value) => ['url', { value }],
  domain: (value) => ['domain-name', { value }],
  hostname: (value) => ['domain-name', { value }],
  ipv4: (value) => ['ipv4-addr', { value }],
  'ipv4-cidr': (value) => ['ipv4-addr', { value }],
  ipv6: (value) => ['ipv6-addr', { value }],
  'ipv6-cidr': (value) => ['ipv6-addr', { value }],
  md5: (value) => ['file', { hashes: { MD5: value } }],
  sha1: (value) => ['file', { hashes: { 'SHA-1': value } }],
  sha256: (value) => ['file', { hashes: { 'SHA-256': value } }],
  email: (value) => ['email-addr', { value }],
};

/**
 * Converts an indicator as destinations receive it to a STIX 2.1 `indicator`: stable id
 * ({@link indicatorStixId}), `pattern` from the value, `valid_from` = firstSeen, `valid_until` =
 * expiresAt (when later), `created` = firstSeen (stable across versions), `modified` = now,
 * `confidence`, `labels` = tags, `description` = comments, `external_references` from
 * externalUrl, `object_marking_refs` from tlp, and `x_ce_severity`, `x_ce_reputation`.
 *
 * @example
 * ```ts
 * const { indicator, markings } = indicatorToStix(shared, { identity, clock });
 * await taxii.addObjects(createBundle([identity, ...markings, indicator]));
 * ```
 */
export function indicatorToStix(
  indicator: SharedIndicator,
  options: IndicatorToStixOptions = {},
): IndicatorToStixResult {
  const now = options.clock ? options.clock.now() : Date.now();
  const created = formatStixTimestamp(Math.min(indicator.firstSeen, now));
  const modified = formatStixTimestamp(Math.max(now, indicator.firstSeen));
  const validFrom = formatStixTimestamp(indicator.firstSeen);
  const owner = identityId(options.identity);
  const properties: Record<string, unknown> = {
    id: indicatorStixId(indicator, options.identity),
    created,
    modified,
    ...(owner === undefined ? {} : { created_by_ref: owner }),
    name: indicator.value,
    pattern: buildPattern([{ type: indicator.type, value: indicator.value }]),
    pattern_type: 'stix',
    pattern_version: '2.1',
    valid_from: validFrom,
  };
  if (indicator.expiresAt !== undefined && indicator.expiresAt > indicator.firstSeen)
    properties.valid_until = formatStixTimestamp(indicator.expiresAt);
  if (indicator.confidence !== undefined) properties.confidence = indicator.confidence;
  if (indicator.tags.length > 0) properties.labels = [...indicator.tags];
  if (indicator.comments) properties.description = indicator.comments;
  if (indicator.externalUrl)
    properties.external_references = [{ source_name: 'cloud-exchange', url: indicator.externalUrl }];
  const markings: StixMarkingDefinition[] = [];
  if (indicator.tlp) {
    const version = options.tlpVersion ?? '2.0';
    properties.object_marking_refs = [tlpMarkingRef(indicator.tlp, version)];
    markings.push(tlpMarkingDefinition(indicator.tlp, version));
  }
  properties.x_ce_severity = indicator.severity;
  properties.x_ce_reputation = indicator.reputation;
  const stixIndicator = createStixObject('indicator', properties);
  const result: IndicatorToStixResult = { indicator: stixIndicator, markings };
  if (options.observables) {
    const [type, observable] = observableOf[indicator.type](indicator.value);
    result.observables = [
      createObservable(type, {
        ...observable,
        ...(properties.object_marking_refs ? { object_marking_refs: properties.object_marking_refs } : {}),
      }),
    ];
  }
  return result;
}

/**
 * The STIX version that retracts a shared indicator: the same id, `revoked: true` and a newer
 * `modified`. Pass the previously sent STIX object when you have it (its `created` is kept and
 * `modified` is at least 1 ms after its own); a `SharedIndicator` rebuilds the object
 * (same `created`, from firstSeen); a bare key has no firstSeen, so `created` is now.
 *
 * @example
 * ```ts
 * const revoked = retractionToStix({ type: 'url', value: 'https://evil.example/' }, { identity, clock });
 * ```
 */
export function retractionToStix(
  indicator: StixIndicator | SharedIndicator | IndicatorKey,
  options: IndicatorToStixOptions = {},
): StixIndicator {
  const now = options.clock ? options.clock.now() : Date.now();
  let previous: StixIndicator;
  if ((indicator as { type: string }).type === 'indicator') previous = indicator as StixIndicator;
  else if ('firstSeen' in indicator)
    previous = indicatorToStix(indicator as SharedIndicator, options).indicator;
  else {
    const key = indicator as IndicatorKey;
    const stamp = formatStixTimestamp(now);
    previous = createStixObject('indicator', {
      id: indicatorStixId(key, options.identity),
      created: stamp,
      modified: stamp,
      ...(identityId(options.identity) === undefined ? {} : { created_by_ref: identityId(options.identity) }),
      name: key.value,
      pattern: buildPattern([{ type: key.type, value: key.value }]),
      pattern_type: 'stix',
      pattern_version: '2.1',
      valid_from: stamp,
    });
  }
  let modified = formatStixTimestamp(now);
  if (compareStixTimestamps(modified, previous.modified) <= 0)
    modified = formatStixTimestamp(Date.parse(previous.modified) + 1);
  return createStixObject('indicator', { ...previous, modified, revoked: true });
}
