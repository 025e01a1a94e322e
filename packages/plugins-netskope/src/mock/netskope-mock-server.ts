import {
  createMockServer,
  type MockHandler,
  type MockRequest,
  type MockResponse,
  type MockServer,
} from '@ce/plugin-kit';
import {
  duplicateFileHashRequest,
  netskopeListLimits,
  netskopeTokenHeader,
  type UrlListType,
} from '../tenant/netskope-api.js';
import {
  createMockDataExport,
  type MockDataExportFault,
  type MockDataExportKind,
  type MockGeneratedData,
  type MockIteratorState,
  type MockWaitTimeInput,
  mockDataExportTypes,
} from './dataexport-iterator.js';
import type { MockDataExportRecord } from './dataexport-records.js';

export type { MockIteratorState, MockWaitTimeInput } from './dataexport-iterator.js';

/** A URL list held by the mock tenant. */
export interface MockUrlList {
  id: number;
  name: string;
  /** Content as last written (pending until deployed). */
  current: { type: UrlListType; urls: string[] };
  /** Content in force: what was deployed last, or `null` before the first deploy. */
  deployed: { type: UrlListType; urls: string[] } | null;
  /** Whether the list has changes not yet deployed. */
  pending: boolean;
  /** Pending deletion. */
  deleted: boolean;
  modifyType: 'Created' | 'Edited' | 'Deleted';
  modifyTime: string;
}

/** Options of {@link startNetskopeMockServer}. */
export interface NetskopeMockServerOptions {
  /**
   * The REST API v2 token accepted in `Netskope-Api-Token`.
   * @default 'netskope-demo-token'
   */
  token?: string;
  /**
   * The REST API v1 token accepted by `updateFileHashList`.
   * @default 'netskope-demo-v1-token'
   */
  v1Token?: string;
  /**
   * Requests allowed per endpoint per second (a token bucket holding as many); above it the server
   * answers 429 with `Retry-After`. Each data export type is an endpoint of its own.
   * @default 4
   */
  requestsPerSecond?: number;
  /**
   * Requests allowed per second over all endpoints of the tenant (a second token bucket, holding
   * as many); above it the server answers 429 with `Retry-After`.
   * @default no tenant-wide limit
   */
  tenantRequestsPerSecond?: number;
  /**
   * Records per data export page.
   * @default 100
   */
  pageSize?: number;
  /**
   * The `wait_time` of each page, in seconds, or a function of the page.
   * @default 0 while records remain, 30 once caught up
   */
  waitTimeSeconds?: number | ((input: MockWaitTimeInput) => number);
  /** Alerts the iterator serves, per type; each needs a numeric `timestamp` (epoch seconds). */
  alerts?: Partial<Record<string, ReadonlyArray<MockDataExportRecord>>>;
  /** Events the iterator serves, per type; each needs a numeric `timestamp` (epoch seconds). */
  events?: Partial<Record<string, ReadonlyArray<MockDataExportRecord>>>;
  /**
   * Generated records: `perType` realistic records for each type, spread over a time range,
   * made on demand from their position (millions cost no memory), for demos and benchmarks.
   */
  generate?: MockGeneratedData;
  /** A data export index unused this long (mock time) expires: `next` and `resend` answer 400. */
  indexTtlMs?: number;
  /** URL lists that exist (deployed) at start. */
  urlLists?: ReadonlyArray<{ name: string; type?: UrlListType; urls: ReadonlyArray<string> }>;
  /** File hash lists that exist at start (v1 cannot create them), with their hashes. */
  fileHashLists?: Record<string, ReadonlyArray<string>>;
  /** Time source for `timestamp_hwm` and modify times, epoch milliseconds. @default Date.now */
  now?: () => number;
  /**
   * Extra refusals on top of the documented syntax (a tenant-side rule, a policy conflict): return a
   * reason to refuse an entry, as the tenant does, in a 400 naming it.
   */
  refuseEntry?: (entry: string, type: UrlListType) => string | undefined;
  /** Entries per list. @default 300000 */
  maxEntries?: number;
  /** Bytes of a URL list as a JSON array. @default 7 MB */
  maxUrlListBytes?: number;
  /** Bytes of a file hash list as comma-separated text. @default 8 MB */
  maxFileHashListBytes?: number;
  /**
   * DLP incidents the incident update API knows, besides those of `events.incident` records that
   * carry an `object_id` (which are added with their `status`, `assignee` and `severity`).
   */
  incidents?: ReadonlyArray<{ objectId: string } & Partial<Omit<MockIncident, 'objectId' | 'history'>>>;
}

/** One change applied to a mock incident, as the update request named it. */
export interface MockIncidentChange {
  /** `status`, `assignee` or `severity`. */
  field: string;
  /** The value the sender believed the incident had. */
  old_value?: string;
  /** The value set. */
  new_value: string;
  /** Who the tenant records as the author. */
  user: string;
}

/** A DLP incident as the mock's incident update API holds it. */
export interface MockIncident {
  /** The incident object id (`object_id`). */
  objectId: string;
  /** `new`, `in_progress` or `closed`. */
  status: string;
  /** An email, or `None`. */
  assignee: string;
  /** `Low`, `Medium`, `High` or `Critical`. */
  severity: string;
  /** Every change applied, in order. */
  history: Array<MockIncidentChange>;
}

/** Inspection and control of the mock tenant's data, for tests and demos. */
export interface NetskopeMockTenant {
  /** Every URL list, including ones pending deletion. */
  urlLists(): MockUrlList[];
  /** The URL list with this name, if any. */
  urlList(name: string): MockUrlList | undefined;
  /** Number of `POST /policy/urllist/deploy` calls answered. */
  readonly deployCount: number;
  /** The hashes of a file hash list, if it exists. */
  fileHashList(name: string): string[] | undefined;
  /** Creates (or empties) a file hash list, as an administrator would in the console. */
  createFileHashList(name: string, hashes?: ReadonlyArray<string>): void;
  /** Adds alerts (newer than those present) to the iterator of a type. */
  addAlerts(alertType: string, records: ReadonlyArray<MockDataExportRecord>): void;
  /** Adds events (newer than those present) to the iterator of a type. */
  addEvents(eventType: string, records: ReadonlyArray<MockDataExportRecord>): void;
  /** Number of records the iterator holds for a type. */
  dataExportSize(kind: MockDataExportKind, type: string): number;
  /** The cursor of an index for a type (an alert type unless `kind` says otherwise), if it was used. */
  iterator(index: string, type: string, kind?: MockDataExportKind): MockIteratorState | undefined;
  /** Forgets a data export index (on every endpoint, or on one), as the tenant does when it expires. */
  expireIndex(index: string, kind?: MockDataExportKind, type?: string): void;
  /** Makes the next data export answers fail, in order (see {@link MockDataExportFault}). */
  injectDataExportFault(...faults: MockDataExportFault[]): void;
  /** A DLP incident known to the incident update API, by object id. */
  incident(objectId: string): MockIncident | undefined;
  /** Adds (or replaces) a DLP incident, as the tenant creates one from a DLP violation. */
  addIncident(objectId: string, fields?: Partial<Omit<MockIncident, 'objectId' | 'history'>>): MockIncident;
  /** Bodies of the `PATCH /api/v2/incidents/update` requests accepted, in order. */
  readonly incidentUpdates: ReadonlyArray<{ payload: Array<Record<string, string>> }>;
}

/** The mock server: the kit's mock server (requests, faults) plus the tenant's state. */
export interface NetskopeMockServer extends MockServer {
  /** The tenant's data. */
  readonly tenant: NetskopeMockTenant;
}

const labelPattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const ipv4Pattern = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const pathPattern = /^[A-Za-z0-9\-._~%!$&'()*+,;=/?#:@]*$/;
const hashPattern = /^([0-9a-f]{32}|[0-9a-f]{64})$/i;

/** Why an exact entry breaks "URL List Best Practices", or undefined when it is valid. */
function exactEntryProblem(entry: string): string | undefined {
  if (/[^\x21-\x7e]/.test(entry)) return 'Malformed URL: spaces and non-ASCII characters are not allowed';
  const stars = entry.split('*').length - 1;
  if (stars > 1) return "Only one '*' is allowed";
  if (stars === 1 && !entry.startsWith('*.')) return "'*' must be the first character, followed by '.'";
  const withoutScheme = entry.replace(/^https?:\/\//i, '').replace(/^\*\./, '');
  const cut = withoutScheme.search(/[/?#]/);
  const authority = cut < 0 ? withoutScheme : withoutScheme.slice(0, cut);
  const rest = cut < 0 ? '' : withoutScheme.slice(cut);
  if (authority.includes('@')) return 'user:password@host is not supported';
  const host = authority.replace(/:\d{1,5}$/, '');
  if (!ipv4Pattern.test(host) && !host.split('.').every((label) => labelPattern.test(label))) {
    return 'Invalid hostname';
  }
  if (!pathPattern.test(rest) || rest.includes('*')) return 'Invalid character in path, query or fragment';
  return undefined;
}

function regexEntryProblem(entry: string): string | undefined {
  try {
    new RegExp(entry);
    return undefined;
  } catch {
    return 'Invalid regular expression';
  }
}

function bodyOf(request: MockRequest): Record<string, unknown> | undefined {
  try {
    const parsed = request.json<unknown>();
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const badRequest = (message: unknown): MockResponse => ({ status: 400, json: { message } });

/**
 * Starts an in-process Netskope tenant on 127.0.0.1 that speaks the documented wire format of the
 * endpoints the plugin uses:
 *
 * - REST API v2 URL lists (urllist.yaml): list (`field`, `pending`), create, get, replace (`PUT`),
 *   `PATCH .../{append|replace}`, delete, and deploy. Writes are pending until deployed; entries
 *   are checked against "URL List Best Practices" (a 400 names each refused entry as
 *   `[entry, reason]`) and against the 300,000-entry and 7 MB caps.
 * - REST API v1 `updateFileHashList`: replaces an existing file hash list (8 MB, 300,000 hashes);
 *   answers in the v1 envelope (`status`, `errorCode`, `errors`), including the "Duplicate request,
 *   no change in file hashes" answer.
 * - The data export iterator for every event and alert type (dataexport.yaml,
 *   `/api/v2/events/dataexport/{events|alerts}/{type}`): `index` and `operation` (epoch seconds,
 *   `next`, `head`, `tail`, `resend`; `clientstatus` takes `next` and `resend` only), one cursor
 *   per index and endpoint, pages of `result` with `ok`, `wait_time` (0 while records remain, 30
 *   once caught up) and `timestamp_hwm`, 64-bit ids as bare JSON numbers, gzip when the request
 *   accepts it, index expiry (`indexTtlMs`, `tenant.expireIndex`), generated volumes
 *   (`generate`) and page faults (`tenant.injectDataExportFault`: cut pages, malformed JSON,
 *   statuses). See `dataexport-iterator.ts`.
 * - Rate limit: calls to one endpoint beyond `requestsPerSecond` per second (and, with
 *   `tenantRequestsPerSecond`, to the whole tenant beyond that) get 429 with `Retry-After` and the
 *   `ErrorResponse` body; every answer carries `ratelimit-limit`, `ratelimit-remaining` and
 *   `ratelimit-reset` headers.
 * - DLP incident updates (incident_update.yaml): `PATCH /api/v2/incidents/update` with
 *   `{ payload: [{ object_id, field, old_value, new_value, user }] }` (`status`: `new`,
 *   `in_progress`, `closed`; `severity`: `Low`..`Critical`; `assignee`), 400 `{ message }` naming
 *   the first invalid item, `{ result: [{ ok: 1, result: "<updated>" }] }` counting the known
 *   incidents it changed (see `tenant.incident`, `tenant.incidentUpdates`).
 * - Auth: a wrong or missing `Netskope-Api-Token` gets 401 `{"msg": "Unauthorized", "success": false}`.
 *
 * @example
 * ```ts
 * const server = await startNetskopeMockServer({ token: 'v2-token-123', alerts: { malsite: records } });
 * // configure the plugin with tenant: server.url, apiToken: 'v2-token-123'
 * expect(server.tenant.urlList('blocklist')?.deployed?.urls).toEqual(['example.com']);
 * await server.close();
 * ```
 */
export async function startNetskopeMockServer(
  options: NetskopeMockServerOptions = {},
): Promise<NetskopeMockServer> {
  const token = options.token ?? 'netskope-demo-token';
  const v1Token = options.v1Token ?? 'netskope-demo-v1-token';
  const limit = options.requestsPerSecond ?? 4;
  const pageSize = options.pageSize ?? 100;
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? netskopeListLimits.maxEntries;
  const maxUrlListBytes = options.maxUrlListBytes ?? netskopeListLimits.maxUrlListBytes;
  const maxFileHashListBytes = options.maxFileHashListBytes ?? netskopeListLimits.maxFileHashListBytes;
  const server = await createMockServer();

  const urlLists: MockUrlList[] = [];
  let nextId = 1;
  let deployCount = 0;
  const fileHashLists = new Map<string, string[]>();
  const buckets = new Map<string, { tokens: number; at: number }>();

  const timeText = (): string => new Date(now()).toISOString().replace('T', ' ').slice(0, 19);
  for (const list of options.urlLists ?? []) {
    const content = { type: list.type ?? 'exact', urls: [...list.urls] };
    urlLists.push({
      id: nextId++,
      name: list.name,
      current: content,
      deployed: { ...content, urls: [...content.urls] },
      pending: false,
      deleted: false,
      modifyType: 'Created',
      modifyTime: timeText(),
    });
  }
  for (const [name, hashes] of Object.entries(options.fileHashLists ?? {}))
    fileHashLists.set(name, [...hashes]);
  const dataExport = createMockDataExport({
    pageSize,
    now,
    knownTypes: mockDataExportTypes,
    ...(options.waitTimeSeconds === undefined ? {} : { waitTimeSeconds: options.waitTimeSeconds }),
    ...(options.indexTtlMs === undefined ? {} : { indexTtlMs: options.indexTtlMs }),
    ...(options.generate ? { generate: options.generate } : {}),
  });
  for (const [type, records] of Object.entries(options.alerts ?? {}))
    dataExport.addRecords('alerts', type, records ?? []);
  for (const [type, records] of Object.entries(options.events ?? {}))
    dataExport.addRecords('events', type, records ?? []);
  const tenantLimit = options.tenantRequestsPerSecond;
  const incidents = new Map<string, MockIncident>();
  const incidentUpdates: Array<{ payload: Array<Record<string, string>> }> = [];
  const addIncident = (
    objectId: string,
    fields: Partial<Omit<MockIncident, 'objectId' | 'history'>> = {},
  ): MockIncident => {
    const incident: MockIncident = {
      objectId,
      status: fields.status ?? 'new',
      assignee: fields.assignee ?? 'None',
      severity: fields.severity ?? 'Medium',
      history: [],
    };
    incidents.set(objectId, incident);
    return incident;
  };
  const addIncidentsOf = (records: ReadonlyArray<MockDataExportRecord>): void => {
    for (const record of records) {
      if (typeof record.object_id !== 'string') continue;
      const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
      const status = text(record.status)?.toLowerCase().replace(/\s+/g, '_');
      addIncident(record.object_id, {
        ...(status ? { status: status === 'resolved' ? 'closed' : status } : {}),
        ...(text(record.assignee) ? { assignee: text(record.assignee) as string } : {}),
        ...(text(record.severity) ? { severity: text(record.severity) as string } : {}),
      });
    }
  };
  for (const incident of options.incidents ?? []) addIncident(incident.objectId, incident);
  addIncidentsOf(options.events?.incident ?? []);

  /** Applies the per-endpoint rate limit, then the auth check, then the handler. */
  const guarded = (
    endpointOf: string | ((request: MockRequest) => string),
    auth: 'v2' | 'v1',
    handler: MockHandler,
  ): MockHandler => {
    return async (request) => {
      const endpoint = typeof endpointOf === 'string' ? endpointOf : endpointOf(request);
      // A token bucket per endpoint: `limit` calls at once, refilled at `limit` per second.
      const time = Date.now();
      const refill = (key: string, size: number): { tokens: number; at: number } => {
        const found = buckets.get(key) ?? { tokens: size, at: time };
        found.tokens = Math.min(size, found.tokens + ((time - found.at) * size) / 1_000);
        found.at = time;
        buckets.set(key, found);
        return found;
      };
      const bucket = refill(endpoint, limit);
      const tenantBucket = tenantLimit === undefined ? undefined : refill('\u0000tenant', tenantLimit);
      const allowed = bucket.tokens >= 1 && (tenantBucket === undefined || tenantBucket.tokens >= 1);
      if (allowed) {
        bucket.tokens -= 1;
        if (tenantBucket) tenantBucket.tokens -= 1;
      }
      // The headers describe the tighter of the two budgets.
      const tight =
        tenantBucket && tenantLimit !== undefined && tenantBucket.tokens < bucket.tokens
          ? { tokens: tenantBucket.tokens, size: tenantLimit }
          : { tokens: bucket.tokens, size: limit };
      // Seconds until the next token (whole seconds, as Retry-After carries them).
      const reset = Math.max(1, Math.ceil((1 - Math.min(tight.tokens, 1)) / tight.size));
      const rateHeaders = {
        'ratelimit-limit': String(tight.size),
        'ratelimit-remaining': String(Math.max(0, Math.floor(tight.tokens))),
        'ratelimit-reset': String(reset),
      };
      if (!allowed) {
        return {
          status: 429,
          headers: { ...rateHeaders, 'retry-after': String(reset) },
          json: { err: 'Too many requests', error_code: 429, reason: 'Too Many Requests' },
        };
      }
      if (auth === 'v2' && request.headers[netskopeTokenHeader.toLowerCase()] !== token) {
        return { status: 401, headers: rateHeaders, json: { msg: 'Unauthorized', success: false } };
      }
      const response = await handler(request);
      return { ...response, headers: { ...rateHeaders, ...response.headers } };
    };
  };

  const view = (list: MockUrlList, fields: ReadonlyArray<string> | undefined, content = list.current) => {
    const full: Record<string, unknown> = {
      id: list.id,
      name: list.name,
      data: { urls: [...content.urls], type: content.type },
      modify_by: 'Netskope API',
      modify_time: list.modifyTime,
      modify_type: list.modifyType,
      pending: list.pending ? 1 : 0,
    };
    if (!fields) return full;
    return Object.fromEntries(Object.entries(full).filter(([key]) => fields.includes(key)));
  };

  /** The URL list request body, checked; a response when it is refused. */
  const checkContent = (
    body: Record<string, unknown> | undefined,
    typeWhenAbsent: UrlListType | undefined,
  ):
    | { name: string | undefined; type: UrlListType; urls: string[]; refused?: undefined }
    | { refused: MockResponse } => {
    if (!body) return { refused: badRequest('Request body must be a JSON object') };
    const data = body.data as { urls?: unknown; type?: unknown } | undefined;
    const name = typeof body.name === 'string' && body.name.trim() ? body.name : undefined;
    if (!data || !Array.isArray(data.urls) || !data.urls.every((url) => typeof url === 'string')) {
      return { refused: badRequest('data.urls must be an array of strings') };
    }
    const type = data.type ?? typeWhenAbsent;
    if (type !== 'exact' && type !== 'regex')
      return { refused: badRequest("data.type must be 'exact' or 'regex'") };
    const urls = data.urls as string[];
    const refused = urls
      .map(
        (url) =>
          [
            url,
            (type === 'exact' ? exactEntryProblem(url) : regexEntryProblem(url)) ??
              options.refuseEntry?.(url, type),
          ] as const,
      )
      .filter((pair): pair is readonly [string, string] => pair[1] !== undefined)
      .map(([url, reason]) => [url, reason]);
    if (refused.length > 0) return { refused: badRequest(refused) };
    return { name, type, urls };
  };

  const checkCaps = (urls: ReadonlyArray<string>): MockResponse | undefined => {
    if (urls.length > maxEntries) return badRequest(`URL list exceeds ${maxEntries} entries`);
    if (Buffer.byteLength(JSON.stringify(urls)) > maxUrlListBytes) {
      return badRequest(`URL list exceeds the maximum size of ${maxUrlListBytes} bytes`);
    }
    return undefined;
  };

  const findList = (id: string | undefined): MockUrlList | undefined =>
    urlLists.find((list) => String(list.id) === id && !(list.deleted && !list.pending));

  const edit = (list: MockUrlList, content: { type: UrlListType; urls: string[] }, name?: string): void => {
    list.current = content;
    if (name) list.name = name;
    list.pending = true;
    if (list.modifyType !== 'Created' || list.deployed) list.modifyType = 'Edited';
    list.modifyTime = timeText();
  };

  server.route(
    'GET',
    '/api/v2/policy/urllist',
    guarded('GET /policy/urllist', 'v2', (request) => {
      const fields = request.query.field
        ?.split(',')
        .map((field) => field.trim())
        .filter(Boolean);
      const known = ['id', 'name', 'data', 'modify_type', 'modify_time', 'modify_by', 'pending'];
      if (fields?.some((field) => !known.includes(field)))
        return badRequest(`Invalid field: ${request.query.field}`);
      const pending = request.query.pending;
      if (pending !== undefined && pending !== '0' && pending !== '1')
        return badRequest('pending must be 0 or 1');
      const visible = urlLists.filter((list) => !(list.deleted && !list.pending));
      if (pending === '1')
        return { json: visible.filter((list) => list.pending).map((list) => view(list, fields)) };
      if (pending === '0') {
        return {
          json: visible
            .filter((list) => list.deployed !== null)
            .map((list) => view(list, fields, list.deployed ?? list.current)),
        };
      }
      return { json: visible.map((list) => view(list, fields)) };
    }),
  );

  server.route(
    'POST',
    '/api/v2/policy/urllist',
    guarded('POST /policy/urllist', 'v2', (request) => {
      const checked = checkContent(bodyOf(request), undefined);
      if (checked.refused) return checked.refused;
      if (!checked.name) return badRequest('name is required');
      if (urlLists.some((list) => list.name === checked.name && !list.deleted)) {
        return badRequest(`URL list name ${checked.name} already exists`);
      }
      const capped = checkCaps(checked.urls);
      if (capped) return capped;
      const list: MockUrlList = {
        id: nextId++,
        name: checked.name,
        current: { type: checked.type, urls: [...new Set(checked.urls)] },
        deployed: null,
        pending: true,
        deleted: false,
        modifyType: 'Created',
        modifyTime: timeText(),
      };
      urlLists.push(list);
      return { json: [view(list, undefined)] };
    }),
  );

  server.route(
    'POST',
    '/api/v2/policy/urllist/deploy',
    guarded('POST /policy/urllist/deploy', 'v2', () => {
      deployCount += 1;
      for (const list of urlLists) {
        if (!list.pending) continue;
        list.pending = false;
        list.deployed = list.deleted ? null : { type: list.current.type, urls: [...list.current.urls] };
      }
      const remaining = urlLists.filter((list) => !list.deleted);
      urlLists.splice(0, urlLists.length, ...remaining);
      return { json: urlLists.map((list) => view(list, undefined)) };
    }),
  );

  server.route(
    'GET',
    '/api/v2/policy/urllist/:id',
    guarded('GET /policy/urllist/{id}', 'v2', (request) => {
      const list = findList(request.params.id);
      return list
        ? { json: view(list, undefined) }
        : { status: 404, json: { message: 'URL list not found' } };
    }),
  );

  server.route(
    'PUT',
    '/api/v2/policy/urllist/:id',
    guarded('PUT /policy/urllist/{id}', 'v2', (request) => {
      const list = findList(request.params.id);
      if (!list || list.deleted) return { status: 404, json: { message: 'URL list not found' } };
      const checked = checkContent(bodyOf(request), undefined);
      if (checked.refused) return checked.refused;
      if (
        checked.name &&
        urlLists.some((other) => other !== list && other.name === checked.name && !other.deleted)
      ) {
        return badRequest(`URL list name ${checked.name} already exists`);
      }
      const urls = [...new Set(checked.urls)];
      const capped = checkCaps(urls);
      if (capped) return capped;
      edit(list, { type: checked.type, urls }, checked.name);
      return { json: view(list, undefined) };
    }),
  );

  server.route(
    'DELETE',
    '/api/v2/policy/urllist/:id',
    guarded('DELETE /policy/urllist/{id}', 'v2', (request) => {
      const list = findList(request.params.id);
      if (!list || list.deleted) return { status: 404, json: { message: 'URL list not found' } };
      list.deleted = true;
      list.pending = true;
      list.modifyType = 'Deleted';
      list.modifyTime = timeText();
      return { json: view(list, undefined) };
    }),
  );

  server.route(
    'PATCH',
    '/api/v2/policy/urllist/:id/:action',
    guarded('PATCH /policy/urllist/{id}/{action}', 'v2', (request) => {
      const action = request.params.action;
      if (action !== 'append' && action !== 'replace') return badRequest(`Invalid action: ${action}`);
      const list = findList(request.params.id);
      if (!list || list.deleted) return { status: 404, json: { message: 'URL list not found' } };
      const checked = checkContent(bodyOf(request), list.current.type);
      if (checked.refused) return checked.refused;
      const urls =
        action === 'append'
          ? [...new Set([...list.current.urls, ...checked.urls])]
          : [...new Set(checked.urls)];
      const capped = checkCaps(urls);
      if (capped) return capped;
      edit(list, { type: checked.type, urls }, checked.name);
      return { json: view(list, undefined) };
    }),
  );

  const v1Failure = (errorCode: string, message: string, status = 200): MockResponse => ({
    status,
    json: { status: 'error', errorCode, errors: [message] },
  });

  server.route(
    'POST',
    '/api/v1/updateFileHashList',
    guarded('POST /api/v1/updateFileHashList', 'v1', (request) => {
      const body = bodyOf(request) ?? {};
      const given = typeof body.token === 'string' ? body.token : request.query.token;
      if (given !== v1Token) return v1Failure('Authorization Error', 'Invalid token', 403);
      const name = typeof body.name === 'string' ? body.name : request.query.name;
      const text = typeof body.list === 'string' ? body.list : request.query.list;
      if (!name) return v1Failure('General Error', 'name is required');
      if (text === undefined) return v1Failure('General Error', 'list is required');
      const current = fileHashLists.get(name);
      if (!current) return v1Failure('General Error', `File list ${name} does not exist`);
      const hashes = text
        .split(',')
        .map((hash) => hash.trim())
        .filter(Boolean);
      const invalid = hashes.find((hash) => !hashPattern.test(hash));
      if (invalid !== undefined) return v1Failure('General Error', `Invalid hash: ${invalid}`);
      if (hashes.length > maxEntries) return v1Failure('General Error', `List exceeds ${maxEntries} hashes`);
      if (Buffer.byteLength(text) > maxFileHashListBytes) {
        return v1Failure('General Error', `List exceeds the maximum size of ${maxFileHashListBytes} bytes`);
      }
      const next = [...new Set(hashes.map((hash) => hash.toLowerCase()))];
      if (next.length === current.length && next.every((hash, index) => hash === current[index])) {
        return v1Failure('General Error', duplicateFileHashRequest);
      }
      fileHashLists.set(name, next);
      return { json: { status: 'success' } };
    }),
  );

  server.route(
    'GET',
    /^\/api\/v2\/events\/dataexport\/(?<kind>[a-z]+)\/(?<type>[a-z0-9_-]+)$/,
    guarded(
      (request) => `GET /events/dataexport/${request.params.kind}/${request.params.type}`,
      'v2',
      (request) => dataExport.handle(request.params.kind ?? '', request.params.type ?? '', request),
    ),
  );

  const incidentFields: Record<string, ReadonlyArray<string> | undefined> = {
    status: ['new', 'in_progress', 'closed'],
    severity: ['Low', 'Medium', 'High', 'Critical'],
    assignee: undefined,
  };
  server.route(
    'PATCH',
    '/api/v2/incidents/update',
    guarded('PATCH /incidents/update', 'v2', (request) => {
      const payload = bodyOf(request)?.payload;
      if (!Array.isArray(payload) || payload.length === 0)
        return badRequest('payload must be a non-empty array');
      for (const [position, item] of payload.entries()) {
        const where = `payload[${position}]`;
        if (typeof item !== 'object' || item === null || Array.isArray(item))
          return badRequest(`${where} must be an object`);
        const {
          object_id: objectId,
          field,
          new_value: newValue,
          old_value: oldValue,
          user,
        } = item as Record<string, unknown>;
        if (typeof objectId !== 'string' || objectId === '')
          return badRequest(`${where}.object_id is required`);
        if (typeof field !== 'string' || !(field in incidentFields)) {
          return badRequest(`${where}.field must be one of status, assignee, severity`);
        }
        const allowed = incidentFields[field];
        if (typeof newValue !== 'string' || (allowed !== undefined && !allowed.includes(newValue))) {
          return badRequest(
            `${where}.new_value is not a valid ${field}${allowed ? ` (${allowed.join(', ')})` : ''}`,
          );
        }
        if (oldValue !== undefined && typeof oldValue !== 'string')
          return badRequest(`${where}.old_value must be a string`);
        if (typeof user !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(user)) {
          return badRequest(`${where}.user must be an email address`);
        }
      }
      let updated = 0;
      for (const item of payload as Array<Record<string, string>>) {
        const incident = incidents.get(item.object_id as string);
        // The tenant updates the incidents it knows and counts them; unknown ids change nothing.
        if (!incident) continue;
        const field = item.field as 'status' | 'assignee' | 'severity';
        incident.history.push({
          field,
          ...(item.old_value === undefined ? {} : { old_value: item.old_value }),
          new_value: item.new_value as string,
          user: item.user as string,
        });
        incident[field] = item.new_value as string;
        updated += 1;
      }
      incidentUpdates.push({ payload: payload as Array<Record<string, string>> });
      return { json: { result: [{ ok: 1, result: String(updated) }] } };
    }),
  );

  const tenant: NetskopeMockTenant = {
    urlLists: () => urlLists,
    urlList: (name) => urlLists.find((list) => list.name === name),
    get deployCount() {
      return deployCount;
    },
    fileHashList: (name) => fileHashLists.get(name),
    createFileHashList(name, hashes = []) {
      fileHashLists.set(name, [...hashes]);
    },
    addAlerts: (alertType, records) => dataExport.addRecords('alerts', alertType, records),
    addEvents: (eventType, records) => {
      dataExport.addRecords('events', eventType, records);
      if (eventType === 'incident') addIncidentsOf(records);
    },
    dataExportSize: (kind, type) => dataExport.size(kind, type),
    iterator: (index, type, kind = 'alerts') => dataExport.iterator(index, type, kind),
    expireIndex: (index, kind, type) => dataExport.expireIndex(index, kind, type),
    injectDataExportFault: (...faults) => dataExport.injectFault(...faults),
    incident: (objectId) => incidents.get(objectId),
    addIncident,
    incidentUpdates,
  };
  return Object.assign(server, { tenant });
}
