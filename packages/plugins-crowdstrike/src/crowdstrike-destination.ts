import {
  type ChosenAction,
  type DestinationAction,
  type IndicatorKey,
  type IndicatorType,
  type ItemResult,
  indicatorKeyString,
  type PluginContext,
  type SharedIndicator,
  type ThreatDestinationCapability,
} from '@ce/core';
import { z } from 'zod';
import {
  type CrowdStrikeAction,
  type CrowdStrikeIndicator,
  type CrowdStrikeIndicatorCreate,
  type CrowdStrikeIndicatorType,
  type CrowdStrikeIndicatorUpdate,
  crowdStrikeApiPaths,
  crowdStrikePlatforms,
  crowdStrikeSeverities,
  fqlAnyOf,
  idEnvelopeSchema,
  indicatorEnvelopeSchema,
} from './crowdstrike-api.js';
import type { CrowdStrikeConfig } from './crowdstrike-config.js';
import { describeErrors, falconRequest } from './falcon-client.js';

/** Most indicators per create or update request, as Netskope's own CrowdStrike plugin sends. */
export const crowdStrikeWriteBatchSize = 200;
/** Most ids per `DELETE`, which carries them in the query string. */
export const crowdStrikeDeleteBatchSize = 100;
/** Most values per lookup filter (`value:[...]`), which travels in the query string. */
const lookupChunkSize = 100;
/** Falcon's tenant cap of custom IOCs. */
export const crowdStrikeTenantCap = 1_000_000;

const dayMs = 86_400_000;
const statePrefix = 'ioc-id:';
const hashTypes: ReadonlyArray<IndicatorType> = ['md5', 'sha256'];
const networkTypes: ReadonlyArray<IndicatorType> = ['domain', 'hostname', 'ipv4', 'ipv6'];

/** Parameters of every push action; each overrides the configuration's push setting. */
export const crowdStrikeActionParametersSchema = z.object({
  /** Platforms the indicators apply to. */
  platforms: z.array(z.enum(crowdStrikePlatforms)).min(1).optional(),
  /** Severity written on every indicator, instead of the mapped one. */
  severity: z.enum(crowdStrikeSeverities).optional(),
  /** Days until the indicators expire. */
  expirationDays: z.number().int().min(1).max(3_650).optional(),
  /** Tags added to the indicators. */
  tags: z.array(z.string().min(1).max(128)).max(20).optional(),
});

/** Parameters of a push action. */
export type CrowdStrikeActionParameters = z.output<typeof crowdStrikeActionParametersSchema>;

const actionDefinitions: ReadonlyArray<{
  id: CrowdStrikeAction;
  label: string;
  description: string;
  types: ReadonlyArray<IndicatorType>;
}> = [
  {
    id: 'detect',
    label: 'Detect',
    description: 'Raise a detection when a host observes the indicator.',
    types: [...networkTypes, ...hashTypes],
  },
  {
    id: 'prevent',
    label: 'Block',
    description: 'Block the file and raise a detection; file hashes only.',
    types: hashTypes,
  },
  {
    id: 'allow',
    label: 'Allow',
    description: 'Allow the file and suppress detections on it; file hashes only.',
    types: hashTypes,
  },
  {
    id: 'no_action',
    label: 'No action',
    description: 'Keep the indicator for hunting and context, without detections.',
    types: [...networkTypes, ...hashTypes],
  },
];

/** The actions the destination offers, with the indicator types each accepts. */
export function crowdStrikeActionsFor(): ReadonlyArray<DestinationAction> {
  return actionDefinitions.map((action) => ({
    id: action.id,
    label: action.label,
    description: action.description,
    parameters: crowdStrikeActionParametersSchema,
    indicatorTypes: action.types,
  }));
}

/** The Falcon type an exchange type is written as (hostnames are Falcon `domain`s). */
export function toFalconType(type: IndicatorType): CrowdStrikeIndicatorType | undefined {
  switch (type) {
    case 'md5':
    case 'sha256':
    case 'domain':
    case 'ipv4':
    case 'ipv6':
      return type;
    case 'hostname':
      return 'domain';
    default:
      return undefined;
  }
}

function falconValue(type: CrowdStrikeIndicatorType, value: string): string {
  return type === 'ipv4' ? value.trim() : value.trim().toLowerCase();
}

type Failure = { code: string; message: string; retryable: boolean };

function failure(code: string, message: string, retryable = false): Failure {
  return { code, message, retryable };
}

/** One Falcon (type, value): the exchange keys that map to it share its outcome. */
interface Located {
  type: CrowdStrikeIndicatorType;
  value: string;
  keys: string[];
  id?: string;
}

/** A located indicator with what to write. */
interface Target extends Located {
  payload: CrowdStrikeIndicatorCreate;
}

const targetKey = (type: string, value: string): string => `${type}:${value}`;
const stateKey = (target: { type: string; value: string }): string =>
  `${statePrefix}${target.type}:${target.value}`;

class Outcomes {
  readonly results = new Map<string, ItemResult>();

  ok(target: Located): void {
    for (const key of target.keys) this.results.set(key, { key, ok: true });
  }

  fail(target: Located, error: Failure): void {
    for (const key of target.keys) this.results.set(key, { key, ok: false, error });
  }

  failKey(key: string, error: Failure): void {
    this.results.set(key, { key, ok: false, error });
  }
}

function isDuplicateMessage(message: string): boolean {
  return /duplicate|already exists/i.test(message);
}

function isCapMessage(message: string): boolean {
  return /limit of [\d,.]+ ?(million)? ?indicators|1 million indicators|indicator limit/i.test(message);
}

function isNotFoundMessage(message: string, code: number): boolean {
  return code === 404 || /not found|does not exist|could not find/i.test(message);
}

/** Finds the per-item error Falcon reported for a target: the echo in `resources`, or an error naming it. */
function itemErrorFor(
  target: Located,
  echoes: ReadonlyArray<CrowdStrikeIndicator>,
  errors: ReadonlyArray<{ code: number; message: string; id?: string }>,
): { code: number; message: string } | undefined {
  const echo = echoes.find(
    (resource) =>
      resource.value !== undefined &&
      falconValue(target.type, resource.value) === target.value &&
      (resource.type === undefined || resource.type === target.type) &&
      (resource.message_type === 'error' || (!resource.id && resource.message)),
  );
  if (echo?.message) return { code: 400, message: echo.message };
  const lower = target.value.toLowerCase();
  const named = errors.find(
    (error) =>
      error.message.toLowerCase().includes(lower) || (target.id !== undefined && error.id === target.id),
  );
  return named ? { code: named.code, message: named.message } : undefined;
}

function expirationFor(
  indicator: SharedIndicator,
  days: number | undefined,
  now: number,
): string | undefined {
  if (days !== undefined) return new Date(now + days * dayMs).toISOString();
  if (indicator.expiresAt !== undefined && indicator.expiresAt > now)
    return new Date(indicator.expiresAt).toISOString();
  return undefined;
}

interface PushSettings {
  action: CrowdStrikeAction;
  parameters: CrowdStrikeActionParameters;
}

function buildPayload(
  context: PluginContext<CrowdStrikeConfig>,
  indicator: SharedIndicator,
  type: CrowdStrikeIndicatorType,
  value: string,
  settings: PushSettings,
): CrowdStrikeIndicatorCreate {
  const { push } = context.config;
  const { parameters } = settings;
  const tags = [...new Set([...push.tags, ...(parameters.tags ?? []), ...indicator.tags])]
    .filter((tag) => tag.length > 0 && tag.length <= 128)
    .slice(0, 50);
  const expiration = expirationFor(
    indicator,
    parameters.expirationDays ?? push.expirationDays,
    context.clock.now(),
  );
  return {
    type,
    value,
    action: settings.action,
    severity: parameters.severity ?? push.severityMap[indicator.severity],
    platforms: [...(parameters.platforms ?? push.platforms)],
    applied_globally: true,
    source: push.source,
    ...(indicator.comments ? { description: indicator.comments.slice(0, 4_096) } : {}),
    ...(tags.length > 0 ? { tags } : {}),
    ...(expiration ? { expiration } : {}),
  };
}

function toUpdate(target: Target & { id: string }): CrowdStrikeIndicatorUpdate {
  const { type: _type, value: _value, ...fields } = target.payload;
  return { id: target.id, ...fields };
}

/** Looks up the ids of (type, value) pairs on the tenant: `GET /iocs/combined/indicator/v1`. */
async function lookupIds(
  context: PluginContext<CrowdStrikeConfig>,
  targets: ReadonlyArray<{ type: CrowdStrikeIndicatorType; value: string }>,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const wanted = new Set(targets.map((target) => targetKey(target.type, target.value)));
  const values = [...new Set(targets.map((target) => target.value))];
  for (let start = 0; start < values.length; start += lookupChunkSize) {
    const chunk = values.slice(start, start + lookupChunkSize);
    let after: string | undefined;
    do {
      const page = await falconRequest(context, {
        method: 'GET',
        path: crowdStrikeApiPaths.combinedIndicators,
        query: {
          filter: `${fqlAnyOf('value', chunk)}+deleted:false`,
          limit: 2_000,
          ...(after ? { after } : {}),
        },
        schema: indicatorEnvelopeSchema,
      });
      const resources = page.body.resources ?? [];
      for (const resource of resources) {
        if (!resource.id || !resource.type || !resource.value) continue;
        const key = targetKey(
          resource.type,
          falconValue(resource.type as CrowdStrikeIndicatorType, resource.value),
        );
        if (wanted.has(key)) found.set(key, resource.id);
      }
      after = resources.length > 0 ? page.body.meta.pagination?.after || undefined : undefined;
    } while (after);
  }
  return found;
}

/** How many indicators the tenant holds: `meta.pagination.total` of `GET /iocs/queries/indicators/v1`. */
export async function countTenantIndicators(context: PluginContext<CrowdStrikeConfig>): Promise<number> {
  const response = await falconRequest(context, {
    method: 'GET',
    path: crowdStrikeApiPaths.queryIndicators,
    query: { limit: 1 },
    schema: idEnvelopeSchema,
  });
  return response.body.meta.pagination?.total ?? 0;
}

async function rememberId(
  context: PluginContext<CrowdStrikeConfig>,
  target: Located,
  id: string,
): Promise<void> {
  target.id = id;
  await context.state.set(stateKey(target), id);
}

/** `PATCH /iocs/entities/indicators/v1`; returns the targets whose id Falcon no longer knows. */
async function updateTargets(
  context: PluginContext<CrowdStrikeConfig>,
  targets: ReadonlyArray<Target & { id: string }>,
  outcomes: Outcomes,
): Promise<Target[]> {
  if (targets.length === 0) return [];
  const { push } = context.config;
  const response = await falconRequest(context, {
    method: 'PATCH',
    path: crowdStrikeApiPaths.entities,
    query: { retrodetects: push.retrodetects, ignore_warnings: push.ignoreWarnings },
    json: { indicators: targets.map(toUpdate), comment: 'Updated by Cloud Exchange' },
    schema: indicatorEnvelopeSchema,
    itemStatuses: [400, 404, 409],
  });
  const updated = new Set(
    (response.body.resources ?? []).flatMap((resource) => (resource.id ? [resource.id] : [])),
  );
  const errors = response.body.errors ?? [];
  const gone: Target[] = [];
  for (const target of targets) {
    if (updated.has(target.id)) {
      outcomes.ok(target);
      continue;
    }
    const error = itemErrorFor(target, response.body.resources ?? [], errors);
    if (error && isNotFoundMessage(error.message, error.code)) {
      await context.state.delete(stateKey(target));
      const { id: _stale, ...rest } = target;
      gone.push(rest);
    } else if (error) {
      outcomes.fail(target, failure('HTTP_ERROR', `Falcon refused the update: ${error.message}`));
    } else if (response.status >= 300) {
      outcomes.fail(target, failure('HTTP_ERROR', `Falcon refused the update: ${describeErrors(errors)}`));
    } else {
      outcomes.fail(target, failure('HTTP_ERROR', 'Falcon did not confirm the update', true));
    }
  }
  return gone;
}

/** `POST /iocs/entities/indicators/v1`; returns how many were created and the duplicates. */
async function createTargets(
  context: PluginContext<CrowdStrikeConfig>,
  targets: ReadonlyArray<Target>,
  outcomes: Outcomes,
): Promise<{ created: number; duplicates: Target[] }> {
  if (targets.length === 0) return { created: 0, duplicates: [] };
  const { push } = context.config;
  const response = await falconRequest(context, {
    method: 'POST',
    path: crowdStrikeApiPaths.entities,
    query: { retrodetects: push.retrodetects, ignore_warnings: push.ignoreWarnings },
    json: { indicators: targets.map((target) => target.payload), comment: 'Shared by Cloud Exchange' },
    schema: indicatorEnvelopeSchema,
    itemStatuses: [400, 409],
  });
  const resources = response.body.resources ?? [];
  const errors = response.body.errors ?? [];
  const created = new Map<string, string>();
  for (const resource of resources) {
    if (!resource.id || !resource.type || !resource.value || resource.message_type === 'error') continue;
    created.set(
      targetKey(resource.type, falconValue(resource.type as CrowdStrikeIndicatorType, resource.value)),
      resource.id,
    );
  }
  const capReached = errors.some((error) => isCapMessage(error.message));
  const duplicates: Target[] = [];
  let createdCount = 0;
  for (const target of targets) {
    const id = created.get(targetKey(target.type, target.value));
    if (id) {
      await rememberId(context, target, id);
      outcomes.ok(target);
      createdCount += 1;
      continue;
    }
    const error = itemErrorFor(target, resources, errors);
    if (error && isDuplicateMessage(error.message)) duplicates.push(target);
    else if (capReached || (error && isCapMessage(error.message))) {
      outcomes.fail(
        target,
        failure('CONFLICT', 'the Falcon tenant holds its maximum of custom indicators', true),
      );
    } else if (error)
      outcomes.fail(target, failure('HTTP_ERROR', `Falcon refused the indicator: ${error.message}`));
    else if (response.status >= 300) {
      // Not this indicator's fault: another one failed the request, so a later attempt may pass.
      outcomes.fail(
        target,
        failure('HTTP_ERROR', `Falcon refused the batch: ${describeErrors(errors)}`, true),
      );
    } else outcomes.fail(target, failure('HTTP_ERROR', 'Falcon did not confirm the indicator', true));
  }
  return { created: createdCount, duplicates };
}

async function pushChunk(
  context: PluginContext<CrowdStrikeConfig>,
  chunk: ReadonlyArray<Target>,
  outcomes: Outcomes,
  budget: { remaining: number | undefined },
): Promise<void> {
  const known: Array<Target & { id: string }> = [];
  let creates: Target[] = [];
  for (const target of chunk) {
    const id = await context.state.get<string>(stateKey(target));
    if (typeof id === 'string' && id.length > 0) {
      target.id = id;
      known.push(target as Target & { id: string });
    } else creates.push(target);
  }
  creates.push(...(await updateTargets(context, known, outcomes)));
  if (creates.length > 0) {
    if (budget.remaining === undefined) {
      budget.remaining = Math.max(0, context.config.maxIocs - (await countTenantIndicators(context)));
    }
    const room = budget.remaining;
    for (const target of creates.slice(room)) {
      outcomes.fail(
        target,
        failure(
          'CONFLICT',
          `the Falcon tenant is at its cap of ${context.config.maxIocs.toLocaleString('en-US')} custom indicators`,
          true,
        ),
      );
    }
    creates = creates.slice(0, room);
  }
  const { created, duplicates } = await createTargets(context, creates, outcomes);
  if (budget.remaining !== undefined) budget.remaining -= created;
  if (duplicates.length === 0) return;
  const ids = await lookupIds(context, duplicates);
  const existing: Array<Target & { id: string }> = [];
  for (const target of duplicates) {
    const id = ids.get(targetKey(target.type, target.value));
    if (!id) {
      outcomes.fail(
        target,
        failure('HTTP_ERROR', 'Falcon reports a duplicate but the lookup did not find it', true),
      );
      continue;
    }
    await rememberId(context, target, id);
    existing.push(target as Target & { id: string });
  }
  const stillGone = await updateTargets(context, existing, outcomes);
  for (const target of stillGone) {
    outcomes.fail(
      target,
      failure('HTTP_ERROR', 'the indicator disappeared while it was being updated', true),
    );
  }
}

/**
 * Creates or updates indicators on the tenant. New ones are created (`POST`); ones whose id the
 * plugin remembers, and ones Falcon reports as duplicates (looked up by value), are updated
 * (`PATCH`). Types Falcon cannot hold fail per item without a request. Requests carry at most
 * {@link crowdStrikeWriteBatchSize} indicators; creates beyond `maxIocs` fail with `CONFLICT`.
 */
export async function pushIndicators(
  context: PluginContext<CrowdStrikeConfig>,
  indicators: ReadonlyArray<SharedIndicator>,
  action: ChosenAction,
): Promise<ReadonlyArray<ItemResult>> {
  const outcomes = new Outcomes();
  const definition = actionDefinitions.find((candidate) => candidate.id === action.id);
  const parsed = crowdStrikeActionParametersSchema.safeParse(action.parameters ?? {});
  if (!definition || !parsed.success) {
    const message = definition
      ? `invalid parameters for action "${action.id}": ${parsed.error?.issues[0]?.message ?? 'invalid'}`
      : `unknown action "${action.id}" (expected ${actionDefinitions.map((a) => a.id).join(', ')})`;
    return indicators.map((indicator) => ({
      key: indicatorKeyString(indicator),
      ok: false as const,
      error: failure('VALIDATION_FAILED', message),
    }));
  }
  const settings: PushSettings = { action: definition.id, parameters: parsed.data };
  const targets = new Map<string, Target>();
  for (const indicator of indicators) {
    const key = indicatorKeyString(indicator);
    const type = toFalconType(indicator.type);
    if (!type) {
      outcomes.failKey(
        key,
        failure(
          'VALIDATION_FAILED',
          `CrowdStrike IOC management does not hold ${indicator.type} indicators (it takes domain, hostname, ipv4, ipv6, md5 and sha256)`,
        ),
      );
      continue;
    }
    if (!definition.types.includes(indicator.type)) {
      outcomes.failKey(
        key,
        failure(
          'VALIDATION_FAILED',
          `the "${definition.id}" action applies to ${definition.types.join(' and ')} indicators only`,
        ),
      );
      continue;
    }
    const value = falconValue(type, indicator.value);
    const existing = targets.get(targetKey(type, value));
    if (existing) existing.keys.push(key);
    else
      targets.set(targetKey(type, value), {
        type,
        value,
        keys: [key],
        payload: buildPayload(context, indicator, type, value, settings),
      });
  }
  const all = [...targets.values()];
  const budget: { remaining: number | undefined } = { remaining: undefined };
  for (let start = 0; start < all.length; start += crowdStrikeWriteBatchSize) {
    await pushChunk(context, all.slice(start, start + crowdStrikeWriteBatchSize), outcomes, budget);
  }
  context.logger.info('falcon push finished', {
    action: definition.id,
    indicators: indicators.length,
    failed: [...outcomes.results.values()].filter((result) => !result.ok).length,
  });
  return indicators.map(
    (indicator) =>
      outcomes.results.get(indicatorKeyString(indicator)) ?? {
        key: indicatorKeyString(indicator),
        ok: false,
        error: failure('INTERNAL', 'no outcome recorded'),
      },
  );
}

/**
 * Deletes indicators from the tenant (`DELETE /iocs/entities/indicators/v1?ids=...`). Ids come from
 * the plugin's state, or a lookup by value; an indicator the tenant no longer holds counts as
 * retracted.
 */
export async function retractIndicators(
  context: PluginContext<CrowdStrikeConfig>,
  keys: ReadonlyArray<IndicatorKey>,
  _action: ChosenAction,
): Promise<ReadonlyArray<ItemResult>> {
  const outcomes = new Outcomes();
  const targets = new Map<string, Located>();
  for (const key of keys) {
    const type = toFalconType(key.type);
    const keyString = indicatorKeyString(key);
    // A type Falcon cannot hold was never pushed, so there is nothing to remove.
    if (!type) {
      outcomes.results.set(keyString, { key: keyString, ok: true });
      continue;
    }
    const value = falconValue(type, key.value);
    const existing = targets.get(targetKey(type, value));
    if (existing) existing.keys.push(keyString);
    else targets.set(targetKey(type, value), { type, value, keys: [keyString] });
  }
  const unknown: Located[] = [];
  const withIds: Array<Located & { id: string }> = [];
  for (const target of targets.values()) {
    const id = await context.state.get<string>(stateKey(target));
    if (typeof id === 'string' && id.length > 0) {
      target.id = id;
      withIds.push(target as Located & { id: string });
    } else unknown.push(target);
  }
  if (unknown.length > 0) {
    const ids = await lookupIds(context, unknown);
    for (const target of unknown) {
      const id = ids.get(targetKey(target.type, target.value));
      if (id) {
        target.id = id;
        withIds.push(target as Located & { id: string });
      } else outcomes.ok(target);
    }
  }
  for (let start = 0; start < withIds.length; start += crowdStrikeDeleteBatchSize) {
    const chunk = withIds.slice(start, start + crowdStrikeDeleteBatchSize);
    const response = await falconRequest(context, {
      method: 'DELETE',
      path: crowdStrikeApiPaths.entities,
      query: { ids: chunk.map((target) => target.id), comment: 'Retracted by Cloud Exchange' },
      schema: idEnvelopeSchema,
      itemStatuses: [400, 404],
    });
    const deleted = new Set(response.body.resources ?? []);
    const errors = response.body.errors ?? [];
    for (const target of chunk) {
      const error = errors.find(
        (candidate) => candidate.id === target.id || candidate.message.includes(target.id),
      );
      if (deleted.has(target.id) || (error && isNotFoundMessage(error.message, error.code))) {
        await context.state.delete(stateKey(target));
        outcomes.ok(target);
      } else if (error) {
        outcomes.fail(target, failure('HTTP_ERROR', `Falcon refused the deletion: ${error.message}`));
      } else if (response.status >= 300) {
        outcomes.fail(
          target,
          failure('HTTP_ERROR', `Falcon refused the deletion: ${describeErrors(errors)}`),
        );
      } else {
        outcomes.fail(target, failure('HTTP_ERROR', 'Falcon did not confirm the deletion', true));
      }
    }
  }
  return keys.map((key) => {
    const keyString = indicatorKeyString(key);
    return (
      outcomes.results.get(keyString) ?? {
        key: keyString,
        ok: false,
        error: failure('INTERNAL', 'no outcome recorded'),
      }
    );
  });
}

/** The destination capability: Falcon custom IOCs, created, updated and deleted incrementally. */
export const crowdStrikeDestination: ThreatDestinationCapability<CrowdStrikeConfig> = {
  mode: 'incremental',
  limits: { maxBatchCount: crowdStrikeWriteBatchSize, maxTotal: crowdStrikeTenantCap },
  getActions: () => crowdStrikeActionsFor(),
  push: pushIndicators,
  retract: retractIndicators,
};
