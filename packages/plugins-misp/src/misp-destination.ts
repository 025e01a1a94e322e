import {
  CeError,
  type ChosenAction,
  type DestinationAction,
  type HttpClient,
  type IndicatorKey,
  type ItemResult,
  indicatorKeyString,
  indicatorTypes,
  type PluginContext,
  type SharedIndicator,
  type ThreatDestinationCapability,
  toCeError,
} from '@ce/core';
import { z } from 'zod';
import { mispAnalysisLevels, mispDistributions, mispThreatLevels } from './misp-api.js';
import { createMispClient, type MispAttributeCreate, type MispClient } from './misp-client.js';
import type { MispConfig } from './misp-config.js';
import { indicatorToAttribute, mispTypeOf } from './misp-mapping.js';

/** Most indicators per `push` or `retract` call; each call is split by `push.batchSize`. */
export const mispMaxBatchCount = 5_000;
/** Values per restSearch when looking attributes up for retraction. */
const lookupChunkSize = 100;
const lookupPageSize = 1_000;
const statePrefix = 'event-id:';

const tagName = z.string().trim().min(1).max(255);
const distributionNames = Object.keys(mispDistributions) as [
  keyof typeof mispDistributions,
  ...Array<keyof typeof mispDistributions>,
];
const threatLevelNames = Object.keys(mispThreatLevels) as [
  keyof typeof mispThreatLevels,
  ...Array<keyof typeof mispThreatLevels>,
];
const analysisNames = Object.keys(mispAnalysisLevels) as [
  keyof typeof mispAnalysisLevels,
  ...Array<keyof typeof mispAnalysisLevels>,
];

/** Parameters of the `add-to-event` action. */
export const mispActionParametersSchema = z.object({
  /**
   * The event's title (`info`). The plugin finds the event it created with this title (and the
   * marker tag) and adds to it; it creates the event only when there is none.
   * @default 'Cloud Exchange shared indicators'
   */
  eventInfo: z.string().trim().min(1).max(1_024).default('Cloud Exchange shared indicators'),
  /** Who may see the event. @default 'organisation' */
  distribution: z.enum(distributionNames).default('organisation'),
  /** The event's threat level. @default 'undefined' */
  threatLevel: z.enum(threatLevelNames).default('undefined'),
  /** The event's analysis state. @default 'ongoing' */
  analysis: z.enum(analysisNames).default('ongoing'),
  /** Tags put on the event (besides the marker tag). @default [] */
  tags: z.array(tagName).max(20).default([]),
  /** Publish the event after each push that added attributes. @default false */
  publish: z.boolean().default(false),
  /** The IDS flag of the attributes. @default true */
  toIds: z.boolean().default(true),
});

/** Parameters of the `add-to-event` action, as validated. */
export type MispActionParameters = z.output<typeof mispActionParametersSchema>;

/** The destination's single action. */
export const mispActions: ReadonlyArray<DestinationAction> = [
  {
    id: 'add-to-event',
    label: 'Add to event',
    description:
      'Adds the indicators as attributes of a MISP event the exchange creates once and reuses; retraction deletes them.',
    parameters: mispActionParametersSchema,
    indicatorTypes,
  },
];

type Failure = { code: string; message: string; retryable: boolean };

function failure(code: string, message: string, retryable = false): Failure {
  return { code, message, retryable };
}

/** One MISP (type, value): the exchange keys that map to it share its outcome. */
interface Target {
  type: string;
  value: string;
  keys: string[];
  attribute?: MispAttributeCreate;
}

const targetKey = (type: string, value: string): string => `${type}|${value.toLowerCase()}`;

// One event resolution at a time per configuration (its HTTP client) and event title, so two
// pushes running together never create the event twice.
const resolutions = new WeakMap<HttpClient, Map<string, Promise<string | undefined>>>();

function today(context: PluginContext<MispConfig>): string {
  return new Date(context.clock.now()).toISOString().slice(0, 10);
}

async function findEvent(
  misp: MispClient,
  config: MispConfig,
  parameters: MispActionParameters,
): Promise<{ id: string; tags: string[] } | undefined> {
  const events = await misp.searchEvents({
    eventinfo: parameters.eventInfo,
    tags: [config.push.markerTag],
    metadata: true,
    page: 1,
    limit: 100,
  });
  // restSearch matches `eventinfo` loosely; only the exact title counts, the oldest event wins.
  const exact = events
    .filter((event) => event.info === parameters.eventInfo && event.id !== undefined)
    .sort((a, b) => Number(a.id) - Number(b.id))[0];
  if (!exact) return undefined;
  return { id: String(exact.id), tags: (exact.Tag ?? []).map((tag) => tag.name) };
}

async function resolveEventOnce(
  context: PluginContext<MispConfig>,
  misp: MispClient,
  parameters: MispActionParameters,
  create: boolean,
): Promise<string | undefined> {
  const stateKey = `${statePrefix}${parameters.eventInfo}`;
  const cached = await context.state.get<string>(stateKey);
  if (typeof cached === 'string' && cached.length > 0) return cached;
  const { push } = context.config;
  const wantedTags = [...new Set([push.markerTag, ...parameters.tags])];
  const found = await findEvent(misp, context.config, parameters);
  if (found) {
    for (const tag of wantedTags.filter((name) => !found.tags.includes(name)))
      await misp.addEventTag(found.id, tag);
    await context.state.set(stateKey, found.id);
    return found.id;
  }
  if (!create) return undefined;
  const event = await misp.addEvent({
    info: parameters.eventInfo,
    distribution: mispDistributions[parameters.distribution],
    threat_level_id: mispThreatLevels[parameters.threatLevel],
    analysis: mispAnalysisLevels[parameters.analysis],
    published: false,
    date: today(context),
    Tag: wantedTags.map((name) => ({ name })),
  });
  if (event.id === undefined) {
    throw new CeError('PLUGIN_FAILED', 'MISP created the event but did not return its id');
  }
  context.logger.info('misp event created', { eventId: event.id, info: parameters.eventInfo });
  await context.state.set(stateKey, String(event.id));
  return String(event.id);
}

/** The id of the action's event: remembered, found by title and marker tag, or created. */
function resolveEvent(
  context: PluginContext<MispConfig>,
  misp: MispClient,
  parameters: MispActionParameters,
  create: boolean,
): Promise<string | undefined> {
  let pending = resolutions.get(context.http);
  if (!pending) {
    pending = new Map();
    resolutions.set(context.http, pending);
  }
  const key = `${create ? 'create' : 'find'}:${parameters.eventInfo}`;
  const running = pending.get(key);
  if (running) return running;
  const owner = pending;
  const promise = resolveEventOnce(context, misp, parameters, create).finally(() => owner.delete(key));
  owner.set(key, promise);
  return promise;
}

async function forgetEvent(
  context: PluginContext<MispConfig>,
  parameters: MispActionParameters,
): Promise<void> {
  await context.state.delete(`${statePrefix}${parameters.eventInfo}`);
}

function parseParameters(
  action: ChosenAction,
): { ok: true; parameters: MispActionParameters } | { ok: false; message: string } {
  if (action.id !== 'add-to-event')
    return { ok: false, message: `unknown action "${action.id}" (expected add-to-event)` };
  const parsed = mispActionParametersSchema.safeParse(action.parameters ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      message: `invalid parameters for action "add-to-event": ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`,
    };
  }
  return { ok: true, parameters: parsed.data };
}

/** Errors that no per-item result can express: a refused key, a broken setting, a stop. */
function mustPropagate(error: unknown): boolean {
  const ce = toCeError(error);
  return ce.kind === 'config' && ce.code !== 'NOT_FOUND' ? true : ce.code === 'ABORTED';
}

function resultsFor(
  keys: ReadonlyArray<IndicatorKey>,
  outcomes: Map<string, ItemResult>,
): ReadonlyArray<ItemResult> {
  return keys.map((key) => {
    const keyString = indicatorKeyString(key);
    return (
      outcomes.get(keyString) ?? {
        key: keyString,
        ok: false,
        error: failure('INTERNAL', 'no outcome recorded'),
      }
    );
  });
}

/**
 * Adds indicators as attributes of the action's event (`POST /attributes/add/{eventId}` with an
 * array, `push.batchSize` per request). The event is created once (`POST /events/add`, tagged
 * with the marker tag) and found again by title after a restart (`POST /events/restSearch`).
 * An attribute MISP already holds ("A similar attribute already exists for this event.") counts
 * as shared; other per-attribute refusals fail that indicator only.
 */
export async function pushIndicators(
  context: PluginContext<MispConfig>,
  indicators: ReadonlyArray<SharedIndicator>,
  action: ChosenAction,
): Promise<ReadonlyArray<ItemResult>> {
  const outcomes = new Map<string, ItemResult>();
  const parsed = parseParameters(action);
  if (!parsed.ok) {
    return indicators.map((indicator) => ({
      key: indicatorKeyString(indicator),
      ok: false as const,
      error: failure('VALIDATION_FAILED', parsed.message),
    }));
  }
  const { parameters } = parsed;
  const { push } = context.config;
  const misp = createMispClient(context);
  const targets = new Map<string, Target>();
  for (const indicator of indicators) {
    const attribute = indicatorToAttribute(indicator, {
      push,
      toIds: parameters.toIds,
      extraTags: [push.markerTag],
    });
    const key = targetKey(attribute.type, attribute.value);
    const existing = targets.get(key);
    if (existing) existing.keys.push(indicatorKeyString(indicator));
    else
      targets.set(key, {
        type: attribute.type,
        value: attribute.value,
        keys: [indicatorKeyString(indicator)],
        attribute,
      });
  }
  const setOutcome = (target: Target, result: { ok: true } | { ok: false; error: Failure }): void => {
    for (const key of target.keys)
      outcomes.set(key, result.ok ? { key, ok: true } : { key, ok: false, error: result.error });
  };
  let eventId = await resolveEvent(context, misp, parameters, true);
  const all = [...targets.values()];
  let added = 0;
  for (let start = 0; start < all.length; start += push.batchSize) {
    const chunk = all.slice(start, start + push.batchSize);
    const attributes = chunk.map((target) => target.attribute as MispAttributeCreate);
    try {
      let results: Awaited<ReturnType<MispClient['addAttributes']>>;
      try {
        results = await misp.addAttributes(eventId as string, attributes);
      } catch (error) {
        // The event was deleted in MISP since it was remembered: find or create it again, once.
        if (toCeError(error).code !== 'NOT_FOUND') throw error;
        context.logger.warn('misp event gone, resolving it again', { eventId, info: parameters.eventInfo });
        await forgetEvent(context, parameters);
        eventId = await resolveEvent(context, misp, parameters, true);
        results = await misp.addAttributes(eventId as string, attributes);
      }
      chunk.forEach((target, index) => {
        const result = results[index];
        if (!result)
          setOutcome(target, { ok: false, error: failure('PLUGIN_FAILED', 'MISP gave no outcome', true) });
        else if (result.ok) {
          if (!result.duplicate) added += 1;
          setOutcome(target, { ok: true });
        } else {
          setOutcome(target, {
            ok: false,
            error: failure('VALIDATION_FAILED', `MISP refused the attribute: ${result.message}`),
          });
        }
      });
    } catch (error) {
      if (mustPropagate(error)) throw error;
      const ce = toCeError(error);
      for (const target of chunk)
        setOutcome(target, { ok: false, error: failure(ce.code, ce.message, ce.retryable) });
    }
  }
  if (parameters.publish && added > 0 && eventId) {
    try {
      await misp.publishEvent(eventId);
    } catch (error) {
      if (mustPropagate(error)) throw error;
      context.logger.warn('misp event not published', { eventId, code: toCeError(error).code });
    }
  }
  context.logger.info('misp push finished', {
    eventId,
    indicators: indicators.length,
    added,
    failed: [...outcomes.values()].filter((result) => !result.ok).length,
  });
  return resultsFor(indicators, outcomes);
}

/**
 * Deletes the attributes of the given indicators from the action's event: looks them up by value
 * within the event (`POST /attributes/restSearch` with `eventid` and `value`), then deletes each
 * (`POST /attributes/delete/{id}`, MISP's soft delete). An attribute, or an event, MISP no
 * longer holds counts as retracted.
 */
export async function retractIndicators(
  context: PluginContext<MispConfig>,
  keys: ReadonlyArray<IndicatorKey>,
  action: ChosenAction,
): Promise<ReadonlyArray<ItemResult>> {
  const outcomes = new Map<string, ItemResult>();
  const parsed = parseParameters(action);
  if (!parsed.ok) {
    return keys.map((key) => ({
      key: indicatorKeyString(key),
      ok: false as const,
      error: failure('VALIDATION_FAILED', parsed.message),
    }));
  }
  const { push } = context.config;
  const misp = createMispClient(context);
  const targets = new Map<string, Target>();
  for (const key of keys) {
    const { type } = mispTypeOf(key.type, push);
    const existing = targets.get(targetKey(type, key.value));
    if (existing) existing.keys.push(indicatorKeyString(key));
    else targets.set(targetKey(type, key.value), { type, value: key.value, keys: [indicatorKeyString(key)] });
  }
  const setOk = (target: Target): void => {
    for (const key of target.keys) outcomes.set(key, { key, ok: true });
  };
  const eventId = await resolveEvent(context, misp, parsed.parameters, false);
  if (!eventId) {
    for (const target of targets.values()) setOk(target);
    return resultsFor(keys, outcomes);
  }
  const all = [...targets.values()];
  for (let start = 0; start < all.length; start += lookupChunkSize) {
    const chunk = all.slice(start, start + lookupChunkSize);
    try {
      const ids = new Map<string, string[]>();
      for (let page = 1; ; page++) {
        const attributes = await misp.searchAttributes({
          eventid: eventId,
          value: [...new Set(chunk.map((target) => target.value))],
          page,
          limit: lookupPageSize,
        });
        for (const attribute of attributes) {
          if (attribute.deleted || attribute.id === undefined) continue;
          const key = targetKey(attribute.type, attribute.value);
          ids.set(key, [...(ids.get(key) ?? []), String(attribute.id)]);
        }
        if (attributes.length < lookupPageSize) break;
      }
      for (const target of chunk) {
        for (const id of ids.get(targetKey(target.type, target.value)) ?? []) await misp.deleteAttribute(id);
        setOk(target);
      }
    } catch (error) {
      if (mustPropagate(error)) throw error;
      const ce = toCeError(error);
      for (const target of chunk) {
        if (outcomes.has(target.keys[0] as string)) continue;
        for (const key of target.keys)
          outcomes.set(key, { key, ok: false, error: failure(ce.code, ce.message, ce.retryable) });
      }
    }
  }
  return resultsFor(keys, outcomes);
}

/** The destination capability: attributes of a MISP event, added and deleted incrementally. */
export const mispDestination: ThreatDestinationCapability<MispConfig> = {
  mode: 'incremental',
  limits: { maxBatchCount: mispMaxBatchCount },
  getActions: () => mispActions,
  push: pushIndicators,
  retract: retractIndicators,
};

/** A sighting to report with {@link reportMispSighting}. */
export interface MispSightingReport {
  /** The indicator's value; MISP records a sighting on every attribute holding it. */
  value: string;
  /** Who saw it (`netskope-prod`, a sensor name). */
  source?: string;
  /** When it was seen, epoch milliseconds. @default now (the context's clock) */
  timestamp?: number;
}

/**
 * Reports that an indicator was seen (`POST /sightings/add` with `{ values, source, timestamp }`).
 * MISP answers 200 even when no attribute holds the value; that comes back as
 * `{ recorded: false, message }` rather than an error.
 *
 * @example
 * ```ts
 * const outcome = await reportMispSighting(context, { value: '203.0.113.7', source: 'netskope-prod' });
 * if (!outcome.recorded) context.logger.info('not in MISP', { reason: outcome.message });
 * ```
 */
export function reportMispSighting(
  context: PluginContext<MispConfig>,
  sighting: MispSightingReport,
): ReturnType<MispClient['addSighting']> {
  const timestamp = Math.floor((sighting.timestamp ?? context.clock.now()) / 1_000);
  return createMispClient(context).addSighting({
    values: [sighting.value],
    timestamp,
    type: '0',
    ...(sighting.source ? { source: sighting.source } : {}),
  });
}
