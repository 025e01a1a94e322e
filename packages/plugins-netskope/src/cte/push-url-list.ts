import { CeError, type ItemResult, indicatorKeyString, type Logger, type SharedIndicator } from '@ce/core';
import { z } from 'zod';
import { netskopeListLimits, type UrlListRequest } from '../tenant/netskope-api.js';
import { refusedEntries } from '../tenant/netskope-errors.js';
import type { NetskopeTenantClient } from '../tenant/tenant-client.js';
import {
  capacityOrder,
  chunkEntries,
  fitList,
  jsonArrayEntryBytes,
  type ListCandidate,
} from './list-capacity.js';
import { escapeRegex, toUrlListEntries } from './url-list-entries.js';

/** Parameters of the `url-list` action. */
export const urlListActionParametersSchema = z.object({
  /** Name of the URL list (Policies > Profiles > URL Lists). */
  listName: z.string().trim().min(1).max(255).describe('Name of the URL list'),
  /** `exact` (URLs and `*.` wildcards) or `regex`. @default 'exact' */
  listType: z.enum(['exact', 'regex']).default('exact').describe('Match type of the list'),
  /** Create the list when no list has this name. @default true */
  createIfMissing: z.boolean().default(true).describe('Create the list when it does not exist'),
  /** Push domains so that their subdomains match too. @default true */
  includeSubdomains: z.boolean().default(true).describe('Also match the subdomains of domains'),
  /**
   * The entry written when no indicator is left, since Netskope's Cloud Exchange plugin writes a
   * default URL rather than an empty list. A reserved `.invalid` name never matches real traffic.
   * @default 'ce-sdk-placeholder.invalid'
   */
  placeholderUrl: z
    .string()
    .trim()
    .min(1)
    .default('ce-sdk-placeholder.invalid')
    .describe('Entry kept in an empty list'),
});

/** Validated parameters of the `url-list` action. */
export type UrlListActionParameters = z.output<typeof urlListActionParametersSchema>;

/** Limits of {@link pushUrlList}; the defaults are the documented caps. */
export interface UrlListPushLimits {
  /** @default 300000 */
  maxEntries?: number;
  /** Bytes of the list content as a JSON array. @default 7340032 (7 MB) */
  maxBytes?: number;
  /**
   * Largest request body. When the list is larger, the first part is written by `PUT` (or `POST`
   * for a new list) and the rest appended by `PATCH .../append`. The default fits a full list in
   * one request.
   * @default 7340032 plus the body's envelope
   */
  maxRequestBytes?: number;
}

function failure(key: string, code: string, message: string): ItemResult {
  return { key, ok: false, error: { code, message, retryable: false } };
}

const formatCount = (count: number): string => count.toLocaleString('en-US');

/**
 * Makes the named URL list hold exactly the given indicators (a `replace` destination): converts
 * them to entries, fits the most severe within the 300,000-entry and 7 MB caps, replaces the list
 * content (creating the list if allowed), then deploys once, since URL list changes apply only
 * after `POST /policy/urllist/deploy`. Returns a result per indicator: those converted and stored
 * succeed; invalid ones fail with `VALIDATION_FAILED`, those that did not fit with `CONFLICT`.
 */
export async function pushUrlList(
  tenant: NetskopeTenantClient,
  indicators: ReadonlyArray<SharedIndicator>,
  parameters: UrlListActionParameters,
  limits: UrlListPushLimits = {},
  logger?: Logger,
): Promise<ItemResult[]> {
  const { listName, listType } = parameters;
  const results = new Map<string, ItemResult>();
  const candidates: Array<ListCandidate & SharedIndicator> = [];
  const seen = new Set<string>();
  for (const indicator of indicators) {
    const key = indicatorKeyString(indicator);
    if (seen.has(key)) continue;
    seen.add(key);
    const converted = toUrlListEntries(indicator, {
      listType,
      includeSubdomains: parameters.includeSubdomains,
    });
    if (!converted.ok) results.set(key, failure(key, 'VALIDATION_FAILED', converted.reason));
    else candidates.push({ ...indicator, key, entries: converted.entries });
  }

  const maxEntries = limits.maxEntries ?? netskopeListLimits.maxEntries;
  const maxBytes = limits.maxBytes ?? netskopeListLimits.maxUrlListBytes;
  let fit = fitList(capacityOrder(candidates), {
    maxEntries,
    maxBytes,
    entryBytes: jsonArrayEntryBytes,
    baseBytes: 2,
  });
  for (const { key, cap } of fit.overflow) {
    const reason =
      cap === 'entries' ? `${formatCount(maxEntries)}-entry cap` : `${formatCount(maxBytes)}-byte (7 MB) cap`;
    results.set(key, failure(key, 'CONFLICT', `did not fit in URL list "${listName}": ${reason}`));
  }

  const placeholder =
    listType === 'regex' ? `^${escapeRegex(parameters.placeholderUrl)}$` : parameters.placeholderUrl;
  const envelope = (urls: string[]): UrlListRequest => ({ name: listName, data: { urls, type: listType } });
  const envelopeBytes = Buffer.byteLength(JSON.stringify(envelope([])));
  const maxRequestBytes = limits.maxRequestBytes ?? maxBytes + envelopeBytes;

  const existing = (await tenant.listUrlLists({ fields: ['id', 'name'] })).find(
    (list) => list.name === listName,
  );
  let listId = existing?.id;
  if (listId === undefined && !parameters.createIfMissing) {
    throw new CeError('NOT_FOUND', `URL list "${listName}" does not exist and createIfMissing is off`);
  }

  const write = async (entries: string[]): Promise<void> => {
    const chunks = chunkEntries(
      entries.length > 0 ? entries : [placeholder],
      maxRequestBytes - envelopeBytes,
    );
    const [first = [], ...rest] = chunks;
    if (listId === undefined) listId = (await tenant.createUrlList(envelope(first))).id;
    else await tenant.replaceUrlList(listId, envelope(first));
    for (const chunk of rest) await tenant.patchUrlList(listId, 'append', envelope(chunk));
  };

  try {
    await write(fit.entries);
  } catch (error) {
    // The tenant refuses a write that holds an entry it considers invalid, naming each one: drop
    // the indicators behind them and write the rest once more.
    const refused = refusedEntries(error);
    if (refused.length === 0) throw error;
    const reasons = new Map(refused.map((item) => [item.entry, item.reason]));
    const kept = candidates.filter((candidate) => {
      if (!fit.fitted.has(candidate.key)) return false;
      const bad = candidate.entries.find((entry) => reasons.has(entry));
      if (bad === undefined) return true;
      results.set(
        candidate.key,
        failure(candidate.key, 'VALIDATION_FAILED', `refused by the tenant: ${reasons.get(bad)}`),
      );
      return false;
    });
    logger?.warn('the tenant refused URL list entries; writing the list without them', {
      list: listName,
      refused: refused.length,
    });
    fit = fitList(capacityOrder(kept), {
      maxEntries,
      maxBytes,
      entryBytes: jsonArrayEntryBytes,
      baseBytes: 2,
    });
    await write(fit.entries);
  }
  await tenant.deployUrlLists();

  for (const candidate of candidates) {
    if (fit.fitted.has(candidate.key)) results.set(candidate.key, { key: candidate.key, ok: true });
  }
  logger?.info('URL list replaced and deployed', {
    list: listName,
    listType,
    entries: fit.entries.length,
    bytes: fit.bytes,
    shared: fit.fitted.size,
    failed: results.size - fit.fitted.size,
  });
  return indicators.flatMap((indicator) => {
    const key = indicatorKeyString(indicator);
    const result = results.get(key);
    if (!result) return [];
    results.delete(key);
    return [result];
  });
}
