import { CeError, type ItemResult, indicatorKeyString, type Logger, type SharedIndicator } from '@ce/core';
import { z } from 'zod';
import { netskopeListLimits } from '../tenant/netskope-api.js';
import type { NetskopeTenantClient } from '../tenant/tenant-client.js';
import { capacityOrder, fitList, type ListCandidate } from './list-capacity.js';

/** Parameters of the `file-hash-list` action. */
export const fileHashListActionParametersSchema = z.object({
  /** Name of an existing file hash list (Policies > Profiles > File). */
  listName: z.string().trim().min(1).max(255).describe('Name of an existing file hash list'),
  /**
   * The hash written when no indicator is left (the list is replaced, and Netskope's Cloud Exchange
   * plugin writes a default hash rather than an empty list).
   * @default 64 × 'f'
   */
  placeholderHash: z
    .string()
    .regex(/^([0-9a-f]{32}|[0-9a-f]{64})$/i)
    .default('f'.repeat(64))
    .describe('Hash kept in an empty list'),
});

/** Validated parameters of the `file-hash-list` action. */
export type FileHashListActionParameters = z.output<typeof fileHashListActionParametersSchema>;

/** Limits of {@link pushFileHashList}; the defaults are the documented caps. */
export interface FileHashListPushLimits {
  /** @default 300000 */
  maxEntries?: number;
  /** Bytes of the comma-separated list. @default 8388608 (8 MB) */
  maxBytes?: number;
}

const hashPatterns: Record<string, RegExp> = { md5: /^[0-9a-f]{32}$/, sha256: /^[0-9a-f]{64}$/ };

function failure(key: string, code: string, message: string): ItemResult {
  return { key, ok: false, error: { code, message, retryable: false } };
}

/**
 * Makes the named file hash list hold exactly the given MD5 and SHA-256 indicators, through the
 * REST API v1 `updateFileHashList` (the v2 API has no file hash list endpoint). Hashes are
 * lower-cased, deduplicated and sorted; the most severe fit within 300,000 entries and 8 MB and
 * the rest fail with `CONFLICT`. Throws `CONFIG_INVALID` without a v1 token.
 */
export async function pushFileHashList(
  tenant: NetskopeTenantClient,
  indicators: ReadonlyArray<SharedIndicator>,
  parameters: FileHashListActionParameters,
  v1Token: string | undefined,
  limits: FileHashListPushLimits = {},
  logger?: Logger,
): Promise<ItemResult[]> {
  if (!v1Token) {
    throw new CeError('CONFIG_INVALID', 'the file hash list action needs a REST API v1 token (v1Token)');
  }
  const results = new Map<string, ItemResult>();
  const candidates: Array<ListCandidate & SharedIndicator> = [];
  const seen = new Set<string>();
  for (const indicator of indicators) {
    const key = indicatorKeyString(indicator);
    if (seen.has(key)) continue;
    seen.add(key);
    const hash = indicator.value.trim().toLowerCase();
    const pattern = hashPatterns[indicator.type];
    if (!pattern)
      results.set(
        key,
        failure(key, 'VALIDATION_FAILED', `a file hash list cannot hold ${indicator.type} indicators`),
      );
    else if (!pattern.test(hash))
      results.set(
        key,
        failure(key, 'VALIDATION_FAILED', `"${indicator.value}" is not a valid ${indicator.type}`),
      );
    else candidates.push({ ...indicator, key, entries: [hash] });
  }
  const maxEntries = limits.maxEntries ?? netskopeListLimits.maxEntries;
  const maxBytes = limits.maxBytes ?? netskopeListLimits.maxFileHashListBytes;
  const fit = fitList(capacityOrder(candidates), {
    maxEntries,
    maxBytes,
    // Comma-separated: each hash plus one separator.
    entryBytes: (entry) => Buffer.byteLength(entry) + 1,
  });
  for (const { key, cap } of fit.overflow) {
    const reason =
      cap === 'entries'
        ? `${maxEntries.toLocaleString('en-US')}-entry cap`
        : `${maxBytes.toLocaleString('en-US')}-byte (8 MB) cap`;
    results.set(
      key,
      failure(key, 'CONFLICT', `did not fit in file hash list "${parameters.listName}": ${reason}`),
    );
  }
  const content = fit.entries.length > 0 ? fit.entries : [parameters.placeholderHash.toLowerCase()];
  const { changed } = await tenant.updateFileHashList(parameters.listName, content, v1Token);
  for (const key of fit.fitted) results.set(key, { key, ok: true });
  logger?.info('file hash list replaced', { list: parameters.listName, hashes: fit.entries.length, changed });
  return indicators.flatMap((indicator) => {
    const key = indicatorKeyString(indicator);
    const result = results.get(key);
    if (!result) return [];
    results.delete(key);
    return [result];
  });
}
