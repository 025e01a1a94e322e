import type {
  EntityType,
  RiskDailyRollup,
  RiskEntity,
  RiskEntityWrite,
  RiskObservationInput,
  RiskSourceScore,
  RiskStore,
} from '@ce/core';
import type { BandClassifier } from '../aggregate/risk-bands.js';
import type { Aggregator } from '../aggregate/risk-weights.js';
import type { CompiledEntityType } from '../entities/entity-types.js';
import { addToRollup } from '../history/risk-history.js';
import type { CompiledNormalizer } from '../normalize/risk-normalizer.js';

/** An observation refused, by its position in the input. */
export interface RiskRejection {
  readonly index: number;
  readonly reason: string;
}

/** An identity whose fields point to more than one entity. */
export interface RiskIdentityConflict {
  readonly index: number;
  readonly entityType: EntityType;
  /** The observation's identities (`field:value`, normalized). */
  readonly identities: ReadonlyArray<string>;
  /** The entities they point to, by identity. */
  readonly matches: Readonly<Record<string, string>>;
  /** `rejected`: the observation was refused; `linked`: it went to the first key's entity. */
  readonly resolution: 'rejected' | 'linked';
  /** With `linked`: the entity it went to. */
  readonly entityId?: string;
  readonly reason: string;
}

/** The effect of a committed batch on one entity, for rules and listeners. */
export interface RiskScoreChange {
  /** The entity as written, with its new version. */
  readonly entity: RiskEntity;
  /** The entity before; absent when the batch created it. */
  readonly previous?: RiskEntity;
  readonly created: boolean;
  readonly scoreChanged: boolean;
  readonly bandChanged: boolean;
}

/** How entity rollups of today are remembered between batches, so a batch need not read them back. */
export interface RollupCache {
  get(entityId: string, version: number, day: string): RiskDailyRollup | undefined;
  set(entityId: string, version: number, rollup: RiskDailyRollup): void;
  clear(): void;
}

/**
 * A bounded cache of entity rollups keyed by the entity's version: a rollup is only ever written
 * with its entity, so a cached rollup is current exactly when the entity still has the version it
 * was cached with (another host's write bumps the version and the rollup is read again).
 */
export function createRollupCache(capacity: number): RollupCache {
  const entries = new Map<string, { version: number; rollup: RiskDailyRollup }>();
  return {
    get(entityId, version, day) {
      const entry = entries.get(entityId);
      return entry && entry.version === version && entry.rollup.day === day ? entry.rollup : undefined;
    },
    set(entityId, version, rollup) {
      // Oldest first in, first out: cheaper than moving each entry to the end on every write.
      entries.set(entityId, { version, rollup });
      if (entries.size > capacity) {
        // Evict the oldest quarter in one pass: evicting one at a time from the front makes each
        // eviction walk over the holes the previous ones left.
        let evict = Math.max(1, Math.floor(capacity / 4));
        for (const key of entries.keys()) {
          entries.delete(key);
          if (--evict === 0) break;
        }
      }
    },
    clear() {
      entries.clear();
    },
  };
}

/** What a batch needs to know. */
export interface ScoreBatchContext {
  readonly store: RiskStore;
  readonly now: number;
  /** `utcDay(now)`. */
  readonly day: string;
  readonly types: ReadonlyMap<string, CompiledEntityType>;
  readonly aggregator: Aggregator;
  readonly classify: BandClassifier;
  readonly conflictPolicy: 'reject' | 'link';
  readonly createId: () => string;
  readonly rollups: RollupCache;
  /** The normalizer of the source for a type, or why there is none. */
  normalizerFor(entityType: EntityType): CompiledNormalizer | string;
}

/** What a batch decided, before it is committed. */
export interface PreparedBatch {
  readonly writes: RiskEntityWrite[];
  readonly rollups: RiskDailyRollup[];
  readonly changes: RiskScoreChange[];
  readonly rejected: RiskRejection[];
  readonly conflicts: RiskIdentityConflict[];
  readonly accepted: number;
  readonly created: number;
  readonly updated: number;
  /** Accepted observations older than the source's stored score for the entity (kept for fields only). */
  readonly outdated: number;
  /** Call once the batch is committed: remembers the day's entity rollups for the next batch. */
  readonly remember: () => void;
}

const futureSkewMs = 5 * 60_000;
const zonedTime = /(?:Z|[+-]\d{2}:?\d{2})$/i;
/** The reserved field holding which source set each overwritten field, and when. */
export const provenanceField = '$provenance';

type Provenance = Record<string, readonly [source: string, at: number]>;

interface Prepared {
  readonly index: number;
  readonly type: CompiledEntityType;
  /** `field:value`, keys first in the type's key order, then aliases. */
  readonly identities: string[];
  /** How many of `identities` are keys. */
  readonly keyCount: number;
  readonly fields: Readonly<Record<string, unknown>> | undefined;
  readonly score: RiskSourceScore;
}

interface Draft {
  readonly id: string;
  readonly type: CompiledEntityType;
  readonly original: RiskEntity | undefined;
  keys: Record<string, string>;
  aliases: string[];
  fields: Record<string, unknown>;
  sources: Record<string, RiskSourceScore>;
  /** Copied on first write. */
  ownKeys: boolean;
  ownAliases: boolean;
  ownFields: boolean;
  ownSources: boolean;
  dirty: boolean;
}

function parseObservedAt(value: unknown, now: number): number | string {
  let at: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return `observedAt must be epoch milliseconds, got ${value}`;
    at = value;
  } else if (typeof value === 'string') {
    if (!zonedTime.test(value)) return `observedAt must be ISO 8601 with a zone, got "${value.slice(0, 40)}"`;
    at = Date.parse(value);
    if (Number.isNaN(at)) return `observedAt is not a valid time: "${value.slice(0, 40)}"`;
  } else
    return `observedAt must be a number or an ISO 8601 string, got ${value === null ? 'null' : typeof value}`;
  if (at > now + futureSkewMs)
    return `observedAt ${new Date(at).toISOString()} is in the future (now ${new Date(now).toISOString()})`;
  return at;
}

function jsonProblem(value: unknown, path: string, depth: number): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path} is not a finite number`;
  if (depth > 6) return `${path} is nested too deeply`;
  if (Array.isArray(value)) {
    if (value.length > 1000) return `${path} has more than 1000 items`;
    for (let i = 0; i < value.length; i++) {
      const problem = jsonProblem(value[i], `${path}[${i}]`, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const key in value as Record<string, unknown>) {
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined) continue;
      const problem = jsonProblem(item, `${path}.${key}`, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  return `${path} is not JSON (${typeof value})`;
}

function prepare(
  context: ScoreBatchContext,
  observation: RiskObservationInput,
  index: number,
): Prepared | string {
  if (observation === null || typeof observation !== 'object') return 'an observation must be an object';
  const type = context.types.get(observation.entityType as string);
  if (type === undefined)
    return `unknown entity type ${JSON.stringify(observation.entityType)} (known: ${[...context.types.keys()].join(', ')})`;
  const normalizer = context.normalizerFor(type.name);
  if (typeof normalizer === 'string') return normalizer;
  const identity = observation.identity;
  if (identity === null || typeof identity !== 'object' || Array.isArray(identity))
    return 'identity must be an object of field names to strings';
  const identities: string[] = [];
  let aliases: string[] | undefined;
  for (const field in identity) {
    const value = identity[field];
    if (value === undefined) continue;
    const role = type.roles.get(field);
    if (role === undefined && type.definition.strictIdentity)
      return `identity.${field} is neither a key nor an alias field of ${type.name}`;
    const normalized = type.normalizeIdentity(field, value);
    if (typeof normalized !== 'string') return normalized.reason;
    if (role === 'key') identities.push(`${field}:${normalized}`);
    else {
      if (aliases === undefined) aliases = [];
      aliases.push(`${field}:${normalized}`);
    }
  }
  const keyCount = identities.length;
  if (keyCount === 0 && aliases === undefined) return 'identity is empty';
  if (keyCount > 1) {
    const order = type.keyFields;
    const rank = (identity: string) => order.indexOf(identity.slice(0, identity.indexOf(':')));
    identities.sort((a, b) => rank(a) - rank(b));
  }
  if (aliases !== undefined) for (const alias of aliases) identities.push(alias);
  const fields = observation.fields;
  if (fields !== undefined && fields !== null) {
    if (typeof fields !== 'object' || Array.isArray(fields)) return 'fields must be an object';
    const problem = jsonProblem(fields, 'fields', 0);
    if (problem) return problem;
  }
  const observedAt = parseObservedAt(observation.observedAt, context.now);
  if (typeof observedAt === 'string') return observedAt;
  const raw = observation.value;
  const normalized = normalizer.map(raw);
  if (typeof normalized === 'string') return normalized;
  const score: RiskSourceScore = {
    raw: raw === undefined ? null : raw,
    normalized,
    mapping: normalizer.mapping,
    observedAt,
    receivedAt: context.now,
  };
  return { index, type, identities, keyCount, fields: fields ?? undefined, score };
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function mergeFields(
  draft: Draft,
  fields: Readonly<Record<string, unknown>>,
  sourceConfigId: string,
  observedAt: number,
): void {
  for (const field in fields) {
    const value = fields[field];
    if (value === undefined || field === provenanceField) continue;
    const strategy = draft.type.mergeOf(field);
    if (strategy.merge === 'append') {
      const current = draft.fields[field];
      const list = Array.isArray(current) ? [...current] : current === undefined ? [] : [current];
      let changed = false;
      for (const item of Array.isArray(value) ? value : [value]) {
        if (list.some((existing) => sameJson(existing, item))) continue;
        list.push(item);
        changed = true;
      }
      if (!changed) continue;
      const cap = strategy.cap ?? 100;
      ownFields(draft)[field] = list.length > cap ? list.slice(list.length - cap) : list;
      draft.dirty = true;
      continue;
    }
    const provenance = (draft.fields[provenanceField] ?? {}) as Provenance;
    const previous = provenance[field];
    if (previous !== undefined) {
      const priority = strategy.priority;
      if (priority !== undefined && priority.length > 0) {
        const rank = (id: string) => {
          const at = priority.indexOf(id);
          return at < 0 ? priority.length : at;
        };
        const incoming = rank(sourceConfigId);
        const holding = rank(previous[0]);
        if (incoming > holding || (incoming === holding && observedAt < previous[1])) continue;
      } else if (observedAt < previous[1]) continue;
    }
    const target = ownFields(draft);
    if (!sameJson(draft.fields[field], value)) draft.dirty = true;
    if (previous?.[0] !== sourceConfigId || previous[1] !== observedAt) draft.dirty = true;
    target[field] = value;
    target[provenanceField] = { ...provenance, [field]: [sourceConfigId, observedAt] };
  }
}

function ownFields(draft: Draft): Record<string, unknown> {
  if (!draft.ownFields) {
    draft.fields = { ...draft.fields };
    draft.ownFields = true;
  }
  return draft.fields;
}

function describeMatches(matches: Record<string, string>): string {
  return Object.entries(matches)
    .map(([identity, id]) => `${identity} → ${id}`)
    .join(', ');
}

/**
 * Resolves, merges and scores one batch of observations from one source, reading what it needs
 * from the store in bulk, and returns the writes for one commit: the entities, their rollups of
 * the day, and what changed. Nothing is written here.
 */
export async function prepareBatch(
  context: ScoreBatchContext,
  sourceConfigId: string,
  observations: ReadonlyArray<RiskObservationInput>,
  indexOffset: number,
): Promise<PreparedBatch> {
  const rejected: RiskRejection[] = [];
  const conflicts: RiskIdentityConflict[] = [];
  const prepared: Prepared[] = [];
  // Per entity type: the identities to look up, then identity -> entity id. Keyed by the
  // identity strings themselves, so that each string's hash is computed once.
  const lookups = new Map<string, string[]>();
  for (let i = 0; i < observations.length; i++) {
    const result = prepare(context, observations[i] as RiskObservationInput, indexOffset + i);
    if (typeof result === 'string') {
      rejected.push({ index: indexOffset + i, reason: result });
      continue;
    }
    prepared.push(result);
    let list = lookups.get(result.type.name);
    if (list === undefined) {
      list = [];
      lookups.set(result.type.name, list);
    }
    for (const identity of result.identities) list.push(identity);
  }

  const owners = new Map<string, Map<string, string>>();
  const stored = new Map<string, RiskEntity>();
  await Promise.all(
    [...lookups].map(async ([type, identities]) => {
      const found = await context.store.findEntities(type, identities);
      const byIdentity = new Map<string, string>();
      owners.set(type, byIdentity);
      for (const [identity, entity] of found) {
        byIdentity.set(identity, entity.id);
        stored.set(entity.id, entity);
      }
    }),
  );

  const drafts = new Map<string, Draft>();
  const draftOf = (id: string, type: CompiledEntityType): Draft => {
    let draft = drafts.get(id);
    if (draft === undefined) {
      const original = stored.get(id) as RiskEntity;
      draft = {
        id,
        type,
        original,
        keys: original.keys as Record<string, string>,
        aliases: original.aliases as string[],
        fields: original.fields as Record<string, unknown>,
        sources: original.sources as Record<string, RiskSourceScore>,
        ownKeys: false,
        ownAliases: false,
        ownFields: false,
        ownSources: false,
        dirty: false,
      };
      drafts.set(id, draft);
    }
    return draft;
  };

  let accepted = 0;
  let outdated = 0;
  for (const observation of prepared) {
    const type = observation.type;
    const typeOwners = owners.get(type.name) as Map<string, string>;
    const identities = observation.identities;
    let target: string | undefined;
    let conflicted = false;
    for (let i = 0; i < identities.length; i++) {
      const owner = typeOwners.get(identities[i] as string);
      if (owner === undefined) continue;
      if (target === undefined) target = owner;
      else if (owner !== target) conflicted = true;
    }
    if (conflicted) {
      const matches: Record<string, string> = {};
      for (const identity of identities) {
        const owner = typeOwners.get(identity);
        if (owner !== undefined) matches[identity] = owner;
      }
      const ids = new Set(Object.values(matches));
      const reason = `identity points to ${ids.size} different ${type.name} entities (${describeMatches(matches)}); not merged`;
      if (context.conflictPolicy === 'reject') {
        rejected.push({ index: observation.index, reason });
        conflicts.push({
          index: observation.index,
          entityType: type.name,
          identities,
          matches,
          resolution: 'rejected',
          reason,
        });
        continue;
      }
      conflicts.push({
        index: observation.index,
        entityType: type.name,
        identities,
        matches,
        resolution: 'linked',
        entityId: target as string,
        reason: `${reason}; linked to ${target} through ${identities.find((identity) => matches[identity] === target)}`,
      });
    }
    let draft: Draft;
    if (target === undefined) {
      if (observation.keyCount === 0) {
        rejected.push({
          index: observation.index,
          reason: `no ${type.name} has the identity ${observation.identities.join(', ')}, and a new ${type.name} needs a key field (${type.keyFields.join(' or ')})`,
        });
        continue;
      }
      const id = context.createId();
      draft = {
        id,
        type,
        original: undefined,
        keys: {},
        aliases: [],
        fields: {},
        sources: {},
        ownKeys: true,
        ownAliases: true,
        ownFields: true,
        ownSources: true,
        dirty: true,
      };
      drafts.set(id, draft);
    } else draft = draftOf(target, type);

    // Attach the identities that are free (those already this entity's are in place).
    for (let i = 0; i < identities.length; i++) {
      const identity = identities[i] as string;
      if (typeOwners.has(identity)) continue;
      const colon = identity.indexOf(':');
      const field = identity.slice(0, colon);
      if (i < observation.keyCount && draft.keys[field] === undefined) {
        if (!draft.ownKeys) {
          draft.keys = { ...draft.keys };
          draft.ownKeys = true;
        }
        draft.keys[field] = identity.slice(colon + 1);
      } else {
        if (draft.aliases.length >= type.aliasCap) continue;
        if (!draft.ownAliases) {
          draft.aliases = [...draft.aliases];
          draft.ownAliases = true;
        }
        draft.aliases.push(identity);
      }
      typeOwners.set(identity, draft.id);
      draft.dirty = true;
    }

    const score = observation.score;
    if (observation.fields !== undefined)
      mergeFields(draft, observation.fields, sourceConfigId, score.observedAt);
    const current = draft.sources[sourceConfigId];
    if (current !== undefined && current.observedAt > score.observedAt) outdated++;
    else if (
      current === undefined ||
      current.observedAt !== score.observedAt ||
      current.raw !== score.raw ||
      current.normalized !== score.normalized ||
      current.mapping.version !== score.mapping.version ||
      current.mapping.strategy !== score.mapping.strategy
    ) {
      if (!draft.ownSources) {
        draft.sources = { ...draft.sources };
        draft.ownSources = true;
      }
      draft.sources[sourceConfigId] = score;
      draft.dirty = true;
    }
    accepted++;
  }

  // Rejections come from validation first and resolution after; report them in input order.
  rejected.sort((a, b) => a.index - b.index);
  const { writes, rollups, changes, created, updated, remember } = await finishDrafts(
    context,
    drafts.values(),
  );
  return { writes, rollups, changes, rejected, conflicts, accepted, created, updated, outdated, remember };
}

/**
 * Scores changed drafts and builds their writes and rollups. Exported for the recompute path,
 * which rescores stored entities under new weights, bands or the passing of time.
 */
export async function finishDrafts(
  context: Pick<ScoreBatchContext, 'store' | 'now' | 'day' | 'aggregator' | 'classify' | 'rollups'>,
  drafts: Iterable<{
    id: string;
    type: { name: EntityType };
    original: RiskEntity | undefined;
    keys: Record<string, string>;
    aliases: string[];
    fields: Record<string, unknown>;
    sources: Record<string, RiskSourceScore>;
    dirty: boolean;
  }>,
  options: { recordUnchangedScores?: boolean } = {},
): Promise<{
  writes: RiskEntityWrite[];
  rollups: RiskDailyRollup[];
  changes: RiskScoreChange[];
  created: number;
  updated: number;
  remember: () => void;
}> {
  const { now, aggregator, classify } = context;
  const writes: RiskEntityWrite[] = [];
  const changes: RiskScoreChange[] = [];
  // Scores to roll up, as parallel arrays: no object per sample.
  const sampled: RiskEntity[] = [];
  const scores: number[] = [];
  let created = 0;
  let updated = 0;
  for (const draft of drafts) {
    const original = draft.original;
    const score = aggregator.score(draft.sources, now);
    const band = classify(score);
    const scoreChanged = original === undefined ? score !== null : original.score !== score;
    const bandChanged = original === undefined ? band !== null : original.band !== band;
    if (!draft.dirty && !scoreChanged && !bandChanged) continue;
    const expectedVersion = original === undefined ? null : original.version;
    const scoreChangedAt = scoreChanged ? now : original?.scoreChangedAt;
    const entity: RiskEntity =
      scoreChangedAt === undefined
        ? {
            id: draft.id,
            type: draft.type.name,
            keys: draft.keys,
            aliases: draft.aliases,
            fields: draft.fields,
            sources: draft.sources,
            score,
            band,
            createdAt: original === undefined ? now : original.createdAt,
            updatedAt: now,
            version: expectedVersion === null ? 1 : expectedVersion + 1,
          }
        : {
            id: draft.id,
            type: draft.type.name,
            keys: draft.keys,
            aliases: draft.aliases,
            fields: draft.fields,
            sources: draft.sources,
            score,
            band,
            scoreChangedAt,
            createdAt: original === undefined ? now : original.createdAt,
            updatedAt: now,
            version: expectedVersion === null ? 1 : expectedVersion + 1,
          };
    writes.push({ entity, expectedVersion });
    if (original === undefined) {
      created++;
      changes.push({ entity, created: true, scoreChanged, bandChanged });
    } else {
      updated++;
      changes.push({ entity, previous: original, created: false, scoreChanged, bandChanged });
    }
    // A rescore that changes nothing about the score adds no sample: the day's average stays
    // what the observations made it.
    if (score !== null && (draft.dirty || scoreChanged || options.recordUnchangedScores)) {
      sampled.push(entity);
      scores.push(score);
    }
  }
  const rollups = await rollupSamples(context, sampled, scores);
  const remember = (): void => {
    for (let i = 0; i < sampled.length; i++) {
      const entity = sampled[i] as RiskEntity;
      context.rollups.set(entity.id, entity.version, rollups[i] as RiskDailyRollup);
    }
  };
  return { writes, rollups, changes, created, updated, remember };
}

async function rollupSamples(
  context: Pick<ScoreBatchContext, 'store' | 'day' | 'rollups'>,
  sampled: ReadonlyArray<RiskEntity>,
  scores: ReadonlyArray<number>,
): Promise<RiskDailyRollup[]> {
  if (sampled.length === 0) return [];
  const { store, day, rollups: cache } = context;
  const previous: Array<RiskDailyRollup | undefined> = new Array(sampled.length);
  const reads: Array<Promise<void>> = [];
  for (let i = 0; i < sampled.length; i++) {
    const entity = sampled[i] as RiskEntity;
    if (entity.version === 1) continue;
    const cached = cache.get(entity.id, entity.version - 1, day);
    if (cached !== undefined) previous[i] = cached;
    else
      reads.push(
        store
          .queryRollups({ entityType: entity.type, entityId: entity.id, fromDay: day, toDay: day })
          .then(([rollup]) => {
            previous[i] = rollup;
          }),
      );
  }
  // The organization's rollup of the day, per type, as running totals.
  const organization = new Map<EntityType, { sum: number; count: number; min: number; max: number }>();
  for (const entity of sampled)
    if (!organization.has(entity.type))
      organization.set(entity.type, {
        sum: 0,
        count: 0,
        min: Number.POSITIVE_INFINITY,
        max: Number.NEGATIVE_INFINITY,
      });
  for (const [type, totals] of organization)
    reads.push(
      store.queryRollups({ entityType: type, fromDay: day, toDay: day }).then((found) => {
        const rollup = found.find((candidate) => candidate.entityId === undefined);
        if (rollup === undefined) return;
        totals.sum = rollup.sum;
        totals.count = rollup.count;
        totals.min = rollup.min;
        totals.max = rollup.max;
      }),
    );
  await Promise.all(reads);
  const out: RiskDailyRollup[] = new Array(sampled.length);
  let totals: { sum: number; count: number; min: number; max: number } | undefined;
  let totalsType: EntityType | undefined;
  for (let i = 0; i < sampled.length; i++) {
    const entity = sampled[i] as RiskEntity;
    const score = scores[i] as number;
    const before = previous[i];
    const after = addToRollup(before, entity.type, entity.id, day, score);
    out[i] = after;
    // The organization's day is the mean of its entities' daily averages (each entity counts
    // once, however often it was scored); min and max span every score recorded.
    if (entity.type !== totalsType) {
      totalsType = entity.type;
      totals = organization.get(entity.type);
    }
    const org = totals as { sum: number; count: number; min: number; max: number };
    org.sum += after.sum / after.count - (before === undefined ? 0 : before.sum / before.count);
    if (before === undefined) org.count++;
    if (score < org.min) org.min = score;
    if (score > org.max) org.max = score;
  }
  for (const [entityType, org] of organization)
    out.push({ entityType, day, sum: org.sum, count: org.count, min: org.min, max: org.max });
  return out;
}
