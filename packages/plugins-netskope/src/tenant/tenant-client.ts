import type { HttpClient } from '@ce/core';
import {
  type DataExportOperation,
  type DataExportPage,
  dataExportPageSchema,
  duplicateFileHashRequest,
  type NetskopeAlertType,
  type NetskopeUrlList,
  netskopeApiPaths,
  netskopeTokenHeader,
  type UrlListPatchAction,
  type UrlListRequest,
  urlListArraySchema,
  urlListCreatedSchema,
  urlListSchema,
  v1ResponseSchema,
} from './netskope-api.js';
import { mapNetskopeError, v1Error } from './netskope-errors.js';
import { netskopeTenantLimiters } from './tenant-limiter.js';
import { netskopeBaseUrl } from './tenant-settings.js';

/** What the tenant client needs from a plugin context. */
export interface NetskopeClientContext {
  /** The configuration's HTTP client, built from `netskopeHttpSettings`. */
  readonly http: HttpClient;
  /** Passed to every request. */
  readonly signal: AbortSignal;
  /**
   * The configuration. When it names the tenant, data export calls also take a grant from the
   * tenant's shared limiter (`netskopeTenantLimiters`), so that the threat exchange and the log
   * shipper of this process stay within one budget per tenant.
   */
  readonly config?: { readonly tenant?: string; readonly requestsPerSecond?: number };
}

/** Options of {@link NetskopeTenantClient.listUrlLists}. */
export interface ListUrlListsOptions {
  /** Fields to return (`id`, `name`, `data`, `pending`, ...); all when absent. */
  fields?: ReadonlyArray<string>;
  /** Only applied (0) or only pending (1) lists. */
  pending?: 0 | 1;
}

/** The result of a file hash list push. */
export interface FileHashListResult {
  /** False when the tenant said the list already held exactly these hashes. */
  changed: boolean;
}

/**
 * Typed calls to one Netskope tenant, over the configuration's HTTP client (which adds the base
 * URL, the `Netskope-Api-Token` header, the rate limit and retries). Failures are `HttpError`s
 * with the codes of {@link mapNetskopeError}.
 */
export interface NetskopeTenantClient {
  /** `GET /api/v2/policy/urllist`. */
  listUrlLists(options?: ListUrlListsOptions): Promise<NetskopeUrlList[]>;
  /** `GET /api/v2/policy/urllist/{id}`. */
  getUrlList(id: number): Promise<NetskopeUrlList>;
  /** `POST /api/v2/policy/urllist`: creates a list, pending until deployed. */
  createUrlList(request: UrlListRequest): Promise<NetskopeUrlList>;
  /** `PUT /api/v2/policy/urllist/{id}`: replaces name, type and URLs, pending until deployed. */
  replaceUrlList(id: number, request: UrlListRequest): Promise<NetskopeUrlList>;
  /** `PATCH /api/v2/policy/urllist/{id}/{action}`: appends to or replaces the URLs. */
  patchUrlList(id: number, action: UrlListPatchAction, request: UrlListRequest): Promise<NetskopeUrlList>;
  /** `POST /api/v2/policy/urllist/deploy`: applies every pending URL list change of the tenant. */
  deployUrlLists(): Promise<NetskopeUrlList[]>;
  /**
   * `POST /api/v1/updateFileHashList`: replaces the named (existing) file hash list with `hashes`.
   * The v1 token travels in the JSON body, as Netskope's Cloud Exchange plugin sends it, so it never
   * appears in a URL.
   */
  updateFileHashList(
    name: string,
    hashes: ReadonlyArray<string>,
    v1Token: string,
  ): Promise<FileHashListResult>;
  /**
   * `GET /api/v2/events/dataexport/alerts/{type}?index=&operation=`: one page of the iterator.
   * `next` is sent as not idempotent: it moves the tenant's cursor, so the HTTP client must not
   * repeat it blindly after a lost answer (it still retries a 429 or 503 with `Retry-After`, which
   * the tenant did not act on). The other operations position the cursor and may be repeated.
   */
  exportAlerts(
    alertType: NetskopeAlertType,
    index: string,
    operation: DataExportOperation,
  ): Promise<DataExportPage>;
}

/**
 * Creates the client for the tenant a plugin context is configured for.
 *
 * @example
 * ```ts
 * const tenant = createNetskopeTenantClient(ctx);
 * const lists = await tenant.listUrlLists({ fields: ['id', 'name'] });
 * ```
 */
export function createNetskopeTenantClient(context: NetskopeClientContext): NetskopeTenantClient {
  const { http, signal } = context;
  const tenant = context.config?.tenant;
  const limiter =
    typeof tenant === 'string'
      ? netskopeTenantLimiters.forTenant(netskopeBaseUrl(tenant), context.config?.requestsPerSecond)
      : undefined;
  const call = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw mapNetskopeError(error, operation);
    }
  };
  return {
    listUrlLists: (options = {}) =>
      call('list URL lists', async () => {
        const query: Record<string, string | number> = {};
        if (options.fields && options.fields.length > 0) query.field = options.fields.join(',');
        if (options.pending !== undefined) query.pending = options.pending;
        const response = await http.get(netskopeApiPaths.urlLists, {
          query,
          schema: urlListArraySchema,
          signal,
        });
        return response.body;
      }),
    getUrlList: (id) =>
      call(`get URL list ${id}`, async () => {
        const response = await http.get(netskopeApiPaths.urlList(id), { schema: urlListSchema, signal });
        return response.body;
      }),
    createUrlList: (request) =>
      call(`create URL list "${request.name}"`, async () => {
        const response = await http.post(netskopeApiPaths.urlLists, {
          json: request,
          schema: urlListCreatedSchema,
          signal,
        });
        const body = response.body;
        return Array.isArray(body) ? (body.find((list) => list.name === request.name) ?? body[0]!) : body;
      }),
    replaceUrlList: (id, request) =>
      call(`replace URL list ${id}`, async () => {
        const response = await http.put(netskopeApiPaths.urlList(id), {
          json: request,
          schema: urlListSchema,
          signal,
        });
        return response.body;
      }),
    patchUrlList: (id, action, request) =>
      call(`${action} URL list ${id}`, async () => {
        const response = await http.patch(netskopeApiPaths.urlListAction(id, action), {
          json: request,
          schema: urlListSchema,
          signal,
          // Appending twice would not duplicate entries on a list (it is a set), so a repeat is safe.
          idempotent: true,
        });
        return response.body;
      }),
    deployUrlLists: () =>
      call('deploy URL lists', async () => {
        const response = await http.post(netskopeApiPaths.urlListDeploy, {
          schema: urlListArraySchema,
          signal,
        });
        return response.body;
      }),
    updateFileHashList: (name, hashes, v1Token) =>
      call(`update file hash list "${name}"`, async () => {
        const response = await http.post(netskopeApiPaths.fileHashListV1, {
          json: { name, list: hashes.join(','), token: v1Token },
          headers: { [netskopeTokenHeader.toLowerCase()]: undefined },
          schema: v1ResponseSchema,
          signal,
          // The list is replaced, so sending the same content again is harmless.
          idempotent: true,
        });
        const body = response.body;
        if (body.status.toLowerCase() === 'success') return { changed: true };
        const errors = body.errors ?? [];
        if (errors.some((item) => typeof item === 'string' && item.includes(duplicateFileHashRequest))) {
          return { changed: false };
        }
        throw v1Error(`update file hash list "${name}"`, body.errorCode, errors);
      }),
    exportAlerts: (alertType, index, operation) =>
      call(`export ${alertType} alerts`, async () => {
        await limiter?.take(signal);
        const response = await http.get(netskopeApiPaths.dataExportAlerts(alertType), {
          query: { index, operation },
          schema: dataExportPageSchema,
          signal,
          idempotent: operation !== 'next',
        });
        return response.body;
      }),
  };
}
