import {
  HttpError,
  type IndicatorKey,
  type ItemResult,
  indicatorKeyString,
  indicatorTypes,
  type PluginContext,
  type SharedIndicator,
  type ThreatDestinationCapability,
} from '@ce/core';
import { indicatorStixId, indicatorToStix, retractionToStix, type StixIndicator } from '@ce/stix';
import type { TaxiiAddObjectsResult, TaxiiClient, TaxiiObject, TaxiiStatusDetail } from '@ce/taxii';
import { z } from 'zod';
import type { TaxiiPluginConfig } from './taxii-config.js';
import { cachedCollection, forgetCollection, type ResolvedTaxiiCollection } from './taxii-connection.js';

/** Most indicators per push or retract call. */
export const taxiiMaxBatchCount = 1_000;
/**
 * Most bytes of JSON-encoded indicators per call. A STIX indicator is about twice the size of
 * the exchange's JSON for the same indicator, so 4 MiB of input stays one request under the
 * common 10 MB `max_content_length`; smaller API roots still work, the client splits the upload.
 */
export const taxiiMaxBatchBytes = 4 * 1024 * 1024;
/** Ids per `match[id]` read when retracting (the reference server caps a filter at 100 values). */
const lookupChunkSize = 100;

/** Parameters of the `add-to-collection` action. */
export const taxiiActionParametersSchema = z.object({
  /** Labels added to every object sent (besides the indicator's own tags). */
  labels: z.array(z.string().trim().min(1).max(128)).max(20).optional(),
});

/** Parameters of the `add-to-collection` action, as validated. */
export type TaxiiActionParameters = z.output<typeof taxiiActionParametersSchema>;

type Failure = { code: string; message: string; retryable: boolean };

function outcome(key: string, failure?: Failure): ItemResult {
  return failure ? { key, ok: false, error: failure } : { key, ok: true };
}

/** Per-object outcomes of an upload, by STIX id. */
function outcomesById(result: TaxiiAddObjectsResult): {
  failures: Map<string, TaxiiStatusDetail>;
  pendings: Map<string, TaxiiStatusDetail>;
  successes: Set<string>;
  unlisted: boolean;
} {
  const failures = new Map(result.failures.map((detail) => [detail.id, detail]));
  const pendings = new Map(result.pendings.map((detail) => [detail.id, detail]));
  const successes = new Set(result.successes.map((detail) => detail.id));
  // A status may give counts without listing every object: what it does not list is then unknown.
  const unlisted =
    result.failures.length < result.failureCount || result.pendings.length < result.pendingCount;
  return { failures, pendings, successes, unlisted };
}

function failureOf(
  id: string,
  outcomes: ReturnType<typeof outcomesById>,
  statusIds: ReadonlyArray<string>,
): Failure | undefined {
  const failed = outcomes.failures.get(id);
  if (failed) {
    const message = failed.message ?? 'the TAXII server refused the object';
    // Objects the client could not send (a later request failed) are worth another try.
    const notSent = message.startsWith('not sent:');
    return {
      code: notSent ? 'HTTP_ERROR' : 'VALIDATION_FAILED',
      message: `TAXII: ${message}`,
      retryable: notSent,
    };
  }
  if (outcomes.pendings.has(id)) {
    return {
      code: 'TIMEOUT',
      message: `the TAXII server had not finished adding the object when status polling stopped (status ${statusIds.join(', ')})`,
      retryable: true,
    };
  }
  if (outcomes.successes.has(id) || !outcomes.unlisted) return undefined;
  return {
    code: 'HTTP_RESPONSE_INVALID',
    message: 'the TAXII status does not say what became of the object',
    retryable: true,
  };
}

/** Sends objects and maps the outcome of each indicator object back to its key. */
async function send(
  context: PluginContext<TaxiiPluginConfig>,
  client: TaxiiClient,
  resolved: ResolvedTaxiiCollection,
  entries: ReadonlyArray<{ key: string; object: StixIndicator }>,
  extra: ReadonlyArray<TaxiiObject>,
): Promise<ItemResult[]> {
  if (entries.length === 0) return [];
  let result: TaxiiAddObjectsResult;
  try {
    result = await client.addObjects(
      resolved.apiRoot,
      resolved.collection.id,
      [...extra, ...entries.map((entry) => entry.object as unknown as TaxiiObject)],
      {
        signal: context.signal,
        ...(resolved.maxContentLength === undefined ? {} : { maxContentLength: resolved.maxContentLength }),
      },
    );
  } catch (error) {
    if (HttpError.isInstance(error) && (error as HttpError).status === 404) await forgetCollection(context);
    throw error;
  }
  const outcomes = outcomesById(result);
  return entries.map((entry) => outcome(entry.key, failureOf(entry.object.id, outcomes, result.statusIds)));
}

const redFailure: Failure = {
  code: 'VALIDATION_FAILED',
  message: 'TLP:RED indicators are never sent to a TAXII collection',
  retryable: false,
};

/**
 * The destination side: one action, `add-to-collection`, that posts each indicator as a STIX 2.1
 * `indicator` with a stable id (so sharing it again adds a newer version of the same object) and
 * a retraction that posts the revoked version. Results are per indicator, from the status
 * resource of the upload.
 */
export const taxiiDestination: ThreatDestinationCapability<TaxiiPluginConfig> = {
  mode: 'incremental',
  limits: { maxBatchCount: taxiiMaxBatchCount, maxBatchBytes: taxiiMaxBatchBytes },
  getActions: () => [
    {
      id: 'add-to-collection',
      label: 'Add to collection',
      description:
        'Add the indicators to the TAXII collection as STIX 2.1 indicators; a retraction adds their revoked version.',
      parameters: taxiiActionParametersSchema,
      indicatorTypes: [...indicatorTypes],
    },
  ],
  async push(context, indicators, action) {
    context.signal.throwIfAborted();
    const parameters = taxiiActionParametersSchema.parse(action.parameters ?? {});
    const results = new Map<string, ItemResult>();
    const entries: Array<{ key: string; object: StixIndicator }> = [];
    const markings = new Map<string, TaxiiObject>();
    for (const indicator of indicators) {
      const key = indicatorKeyString(indicator);
      if (indicator.tlp === 'red') {
        results.set(key, outcome(key, redFailure));
        continue;
      }
      const shared: SharedIndicator =
        parameters.labels && parameters.labels.length > 0
          ? { ...indicator, tags: [...new Set([...indicator.tags, ...parameters.labels])] }
          : indicator;
      const converted = indicatorToStix(shared, { clock: context.clock });
      for (const marking of converted.markings) markings.set(marking.id, marking as unknown as TaxiiObject);
      entries.push({ key, object: converted.indicator });
    }
    if (entries.length > 0) {
      const { client, resolved } = await cachedCollection(context);
      for (const result of await send(context, client, resolved, entries, [...markings.values()]))
        results.set(result.key, result);
    }
    return indicators.map((indicator) => results.get(indicatorKeyString(indicator)) as ItemResult);
  },
  async retract(context, keys) {
    context.signal.throwIfAborted();
    if (keys.length === 0) return [];
    const { client, resolved } = await cachedCollection(context);
    const ids = keys.map((key) => indicatorStixId(key));
    const current = resolved.collection.can_read
      ? await readCurrent(context, client, resolved, ids)
      : undefined;
    const results = new Map<string, ItemResult>();
    const entries: Array<{ key: string; object: StixIndicator }> = [];
    keys.forEach((key: IndicatorKey, index) => {
      const stringKey = indicatorKeyString(key);
      const id = ids[index] as string;
      if (current === undefined) {
        // Not readable: revoke without the previous version (its `created` is lost, not its id).
        entries.push({ key: stringKey, object: retractionToStix(key, { clock: context.clock }) });
        return;
      }
      const previous = current.get(id);
      if (!previous) {
        // Never added here (or deleted since): nothing to revoke, and nothing to reveal.
        results.set(stringKey, outcome(stringKey));
        return;
      }
      if (previous.revoked === true) {
        results.set(stringKey, outcome(stringKey));
        return;
      }
      entries.push({ key: stringKey, object: retractionToStix(previous, { clock: context.clock }) });
    });
    for (const result of await send(context, client, resolved, entries, [])) results.set(result.key, result);
    return keys.map((key) => results.get(indicatorKeyString(key)) as ItemResult);
  },
};

/**
 * The latest version of each of these objects in the collection, so a retraction keeps their
 * `created` and follows their `modified`; `undefined` when the collection cannot be read.
 */
async function readCurrent(
  context: PluginContext<TaxiiPluginConfig>,
  client: TaxiiClient,
  resolved: ResolvedTaxiiCollection,
  ids: ReadonlyArray<string>,
): Promise<Map<string, StixIndicator> | undefined> {
  const found = new Map<string, StixIndicator>();
  try {
    for (let start = 0; start < ids.length; start += lookupChunkSize) {
      const chunk = ids.slice(start, start + lookupChunkSize);
      let next: string | undefined;
      do {
        const page = await client.getObjects(resolved.apiRoot, resolved.collection.id, {
          match: { id: chunk, type: 'indicator' },
          limit: lookupChunkSize,
          signal: context.signal,
          ...(next === undefined ? {} : { next }),
        });
        for (const object of page.objects) found.set(object.id, object as unknown as StixIndicator);
        next = page.more && page.next !== undefined && page.next !== next ? page.next : undefined;
      } while (next !== undefined);
    }
  } catch (error) {
    if (HttpError.isInstance(error) && (error as HttpError).status === 403) return undefined;
    throw error;
  }
  return found;
}
