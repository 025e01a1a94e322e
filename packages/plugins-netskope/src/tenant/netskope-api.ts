import { z } from 'zod';

/**
 * The Netskope tenant endpoints this package calls, with the schemas of their responses. Each one
 * follows a documented source:
 *
 * - REST API v2, OpenAPI `netskopeoss/netskope-apiv2-oas`: `endpoints/policy/urllist.yaml` (URL
 *   lists) and `endpoints/events/dataexport.yaml` (the data export iterator). Servers are
 *   `https://{tenant}.goskope.com/api/v2`, authenticated by the `Netskope-Api-Token` header
 *   (`base_oas.yaml`).
 * - REST API v1 `updateFileHashList`: the REST API v2 has no file hash list endpoint, so file hashes
 *   go where Netskope's own Cloud Exchange plugin sends them (`netskope/utils/constants.py` in
 *   `netskopeoss/ta_cloud_exchange_plugins`): `POST /api/v1/updateFileHashList` with a v1 token.
 *
 * @module
 */

/** Paths of the tenant endpoints, relative to `https://<tenant>.goskope.com`. */
export const netskopeApiPaths = {
  /** `GET` lists, `POST` creates (urllist.yaml `/policy/urllist`). */
  urlLists: '/api/v2/policy/urllist',
  /** `POST` applies every pending URL list change of the tenant (urllist.yaml `/policy/urllist/deploy`). */
  urlListDeploy: '/api/v2/policy/urllist/deploy',
  /** `GET`, `PUT` (replace) or `DELETE` one list (urllist.yaml `/policy/urllist/{id}`). */
  urlList: (id: number): string => `/api/v2/policy/urllist/${id}`,
  /** `PATCH` with action `append` or `replace` (urllist.yaml `/policy/urllist/{id}/{action}`). */
  urlListAction: (id: number, action: UrlListPatchAction): string => `/api/v2/policy/urllist/${id}/${action}`,
  /** `GET` one page of the data export iterator (dataexport.yaml `/events/dataexport/alerts/{type}`). */
  dataExportAlerts: (alertType: NetskopeAlertType): string => `/api/v2/events/dataexport/alerts/${alertType}`,
  /** `POST` replaces a file hash list's content (REST API v1). */
  fileHashListV1: '/api/v1/updateFileHashList',
} as const;

/** The request header that carries a REST API v2 token. */
export const netskopeTokenHeader = 'Netskope-Api-Token';

/** The documented size caps of the lists the plugin writes. */
export const netskopeListLimits = {
  /** Entries per URL list (and per file hash list). */
  maxEntries: 300_000,
  /** Bytes of a URL list's content, counted as the JSON array of its URLs (7 MB). */
  maxUrlListBytes: 7 * 1024 * 1024,
  /** Bytes of a file hash list's content, counted as its comma-separated text (8 MB). */
  maxFileHashListBytes: 8 * 1024 * 1024,
} as const;

/** How a URL list matches: exact URLs and `*.` wildcards, or regular expressions. */
export type UrlListType = 'exact' | 'regex';

/** The `{action}` of `PATCH /policy/urllist/{id}/{action}`: add to the URLs or replace them. */
export type UrlListPatchAction = 'append' | 'replace';

/** Alert types the data export iterator serves that carry threat indicators. */
export type NetskopeAlertType = 'malsite' | 'malware';

/** The alert types read as indicators. */
export const netskopeAlertTypes = ['malsite', 'malware'] as const satisfies ReadonlyArray<NetskopeAlertType>;

/**
 * Operations of the data export iterator: an epoch timestamp in seconds (start from that time),
 * `next` (the page after the last one served), `head`, `tail`, or `resend` (the last page again).
 */
export type DataExportOperation = 'next' | 'head' | 'tail' | 'resend' | number;

/** The body of create, replace, and append (the `RequestSchema` of urllist.yaml). */
export interface UrlListRequest {
  name: string;
  data: { urls: string[]; type: UrlListType };
}

/** A URL list as the API returns it (the `Urllist` schema of urllist.yaml). */
export const urlListSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  /** Absent when the request asked for other `field`s only. */
  data: z.looseObject({ urls: z.array(z.string()), type: z.enum(['exact', 'regex']) }).optional(),
  modify_by: z.string().optional(),
  modify_time: z.string().optional(),
  modify_type: z.string().optional(),
  /** 1 while the list has changes not yet deployed. */
  pending: z.number().int().optional(),
});

/** A URL list. */
export type NetskopeUrlList = z.output<typeof urlListSchema>;

/** `GET /policy/urllist` and `POST /policy/urllist/deploy` answer an array of lists. */
export const urlListArraySchema = z.array(urlListSchema);

/** `POST /policy/urllist` is documented to answer an array; a single object is accepted too. */
export const urlListCreatedSchema = z.union([urlListArraySchema.min(1), urlListSchema]);

/**
 * One page of the data export iterator. `result` is documented in dataexport.yaml; `ok`,
 * `wait_time` (seconds to wait before the next call) and `timestamp_hwm` (the high-water mark of
 * the data served, epoch seconds) are the iterator fields described in "Using the REST API v2
 * dataexport Iterator Endpoints" and read by Netskope's own clients.
 */
export const dataExportPageSchema = z.looseObject({
  ok: z.number().int().optional(),
  result: z.array(z.record(z.string(), z.unknown())),
  wait_time: z.number().nonnegative().optional(),
  timestamp_hwm: z.number().nonnegative().optional(),
});

/** One page of the data export iterator. */
export type DataExportPage = z.output<typeof dataExportPageSchema>;

/** The v1 answer envelope: `status` plus, on failure, `errorCode` and `errors`. */
export const v1ResponseSchema = z.looseObject({
  status: z.string(),
  errorCode: z.string().optional(),
  errors: z.array(z.unknown()).optional(),
});

/** The v1 message for a file hash list push that changes nothing; it is not a failure. */
export const duplicateFileHashRequest = 'Duplicate request, no change in file hashes';

/**
 * Error bodies: `{ message }` (the `400Response` of dataexport.yaml; for URL lists a list of
 * `[entry, reason]` pairs naming the URLs refused), `{ msg, success: false }` (the `Unauthorized`
 * schema) or `{ err, error_code, reason }` (the `ErrorResponse` documented for 429).
 */
export const netskopeErrorBodySchema = z.looseObject({
  message: z.union([z.string(), z.array(z.unknown())]).optional(),
  msg: z.string().optional(),
  err: z.string().optional(),
  reason: z.string().optional(),
  error_code: z.number().optional(),
});
