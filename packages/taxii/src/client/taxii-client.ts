import { randomUUID } from 'node:crypto';
import {
  CeError,
  type Clock,
  createHttpClient,
  type HttpClient,
  type HttpClientOptions,
  HttpError,
  registerSecretValue,
  systemClock,
  toCeError,
} from '@ce/core';
import type { z } from 'zod';
import { isTaxii20ContentType, stix20MediaType, taxii20MediaType, taxii21MediaType } from '../media-types.js';
import type {
  TaxiiApiRoot,
  TaxiiCollection,
  TaxiiDiscovery,
  TaxiiManifestEntry,
  TaxiiObject,
  TaxiiStatus,
  TaxiiStatusDetail,
} from '../taxii-types.js';
import {
  apiRootSchema,
  bundleSchema,
  collectionSchema,
  collectionsSchema,
  discoverySchema,
  entrySchema,
  envelopeSchema,
  errorMessageSchema,
  manifestSchema,
  statusSchema,
  versionsSchema,
} from './taxii-schemas.js';

/** How the client authenticates: HTTP Basic, a bearer token, or an API key in a named header. */
export type TaxiiAuth =
  | {
      /** HTTP Basic. */
      kind: 'basic';
      /** User name. */
      username: string;
      /** Password. */
      password: string;
    }
  | {
      /** `Authorization: Bearer <token>`. */
      kind: 'bearer';
      /** The token. */
      token: string;
    }
  | {
      /** An API key in a header of its own. */
      kind: 'header';
      /** Header name, e.g. `x-api-key`. */
      name: string;
      /** Header value. */
      value: string;
    };

/** A TAXII protocol version the client speaks. */
export type TaxiiVersion = '2.1' | '2.0';

/** How {@link TaxiiClient.addObjects} follows status resources. */
export interface TaxiiStatusPollingOptions {
  /**
   * First wait before reading a pending status again; doubles after each read.
   * @default 1000
   */
  initialDelayMs?: number;
  /**
   * Longest wait between two reads.
   * @default 30000
   */
  maxDelayMs?: number;
  /**
   * How long to follow a status before returning it still pending.
   * @default 300000 (5 min)
   */
  timeoutMs?: number;
}

/** Options of {@link TaxiiClient}. */
export interface TaxiiClientOptions {
  /** URL of the discovery endpoint or of one API root, e.g. `https://cti.example.com/taxii2/`. */
  url: string;
  /** Credentials; the client registers them for redaction, so no error or log line shows them. */
  auth?: TaxiiAuth;
  /**
   * Settings of the client's own HTTP client (CA, proxy, timeouts, rate limit, retries); `baseUrl`
   * is ignored. Ignored when `httpClient` is given.
   */
  http?: HttpClientOptions;
  /** An HTTP client to use instead, e.g. the one a plugin context provides; never closed by us. */
  httpClient?: HttpClient;
  /**
   * TAXII version; `auto` asks the server once (TAXII 2.1 first, 2.0 when the server refuses the
   * 2.1 media type or answers with a 2.0 one).
   * @default 'auto'
   */
  version?: TaxiiVersion | 'auto';
  /**
   * Time source of status polling.
   * @default systemClock
   */
  clock?: Clock;
  /** Status polling of {@link TaxiiClient.addObjects}. */
  statusPolling?: TaxiiStatusPollingOptions;
}

/** `match[...]` filters; a list is a union (sent comma-separated). */
export interface TaxiiMatch {
  /** `match[type]`. */
  type?: string | ReadonlyArray<string>;
  /** `match[id]`. */
  id?: string | ReadonlyArray<string>;
  /** `match[version]`: `first`, `last` (the server's default), `all` or timestamps. */
  version?: string | ReadonlyArray<string>;
  /** `match[spec_version]` (TAXII 2.1 only; ignored for 2.0 servers). */
  specVersion?: string | ReadonlyArray<string>;
}

/** Options of a paged read. */
export interface TaxiiGetObjectsOptions {
  /** Only versions added strictly after this timestamp. */
  addedAfter?: string;
  /** Largest page wanted; the server may return fewer. */
  limit?: number;
  /** The `next` of the previous page. */
  next?: string;
  /** Filters. */
  match?: TaxiiMatch;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** Options of a read of one object. */
export type TaxiiGetObjectOptions = Omit<TaxiiGetObjectsOptions, 'match'> & {
  /** Version filters. */
  match?: Pick<TaxiiMatch, 'version' | 'specVersion'>;
};

/** Options of a versions read. */
export type TaxiiGetVersionsOptions = Omit<TaxiiGetObjectsOptions, 'match'> & {
  /** Spec-version filter. */
  match?: Pick<TaxiiMatch, 'specVersion'>;
};

/** What each paged read returns besides its entries. */
export interface TaxiiPageInfo {
  /** Whether the server has more entries after these. */
  more: boolean;
  /** Token for the next page (for TAXII 2.0, the next item offset). */
  next?: string;
  /** `X-TAXII-Date-Added-First`: `date_added` of the first entry. */
  dateAddedFirst?: string;
  /** `X-TAXII-Date-Added-Last`: `date_added` of the last entry; the resume point of a poll. */
  dateAddedLast?: string;
}

/** A page of objects. */
export interface TaxiiObjectsPage extends TaxiiPageInfo {
  /** The objects, in `date_added` order. */
  objects: TaxiiObject[];
}

/** Where a poll can resume after a crash: pass it back as `addedAfter`. */
export interface TaxiiPollCheckpoint {
  /** The last `date_added` delivered so far (or the starting point if none was). */
  addedAfter?: string;
}

/** A page yielded by {@link TaxiiClient.pollObjects}. */
export interface TaxiiPolledPage extends TaxiiObjectsPage {
  /** Persist it once the page is processed. */
  checkpoint: TaxiiPollCheckpoint;
}

/** A page of the manifest. */
export interface TaxiiManifestPage extends TaxiiPageInfo {
  /** One entry per object version. */
  entries: TaxiiManifestEntry[];
}

/** A page of one object's versions. */
export interface TaxiiVersionsPage extends TaxiiPageInfo {
  /** Version timestamps, in `date_added` order. */
  versions: string[];
}

/** Options of {@link TaxiiClient.deleteObject}. */
export interface TaxiiDeleteOptions {
  /** Which versions; without it the server decides (ours deletes every version). */
  match?: Pick<TaxiiMatch, 'version' | 'specVersion'>;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** Options of {@link TaxiiClient.addObjects}. */
export interface TaxiiAddObjectsOptions {
  /**
   * Largest request body to send, in bytes.
   * @default the API root's `max_content_length`
   */
  maxContentLength?: number;
  /**
   * Follow each status resource until it is `complete` (or the polling timeout).
   * @default true
   */
  wait?: boolean;
  /** Overrides the client's status polling settings. */
  polling?: TaxiiStatusPollingOptions;
  /** Cancels the requests and the polling. */
  signal?: AbortSignal;
}

/** The combined outcome of an {@link TaxiiClient.addObjects} call, per object. */
export interface TaxiiAddObjectsResult {
  /** Whether every request's status reached `complete`. */
  complete: boolean;
  /** Status resource ids, one per request sent. */
  statusIds: string[];
  /** Requests sent. */
  requests: number;
  /** Objects submitted. */
  totalCount: number;
  /** Objects the server stored. */
  successCount: number;
  /** Objects rejected, by the server or before sending (too large, request failed). */
  failureCount: number;
  /** Objects still pending when polling stopped. */
  pendingCount: number;
  /** Stored objects, as far as the server listed them. */
  successes: TaxiiStatusDetail[];
  /** Rejected objects with the reason. */
  failures: TaxiiStatusDetail[];
  /** Objects still pending. */
  pendings: TaxiiStatusDetail[];
}

interface SendOptions {
  method?: string;
  query?: Record<string, string | undefined>;
  accept: string;
  headers?: Record<string, string>;
  body?: string;
  contentType?: string;
  signal?: AbortSignal | undefined;
  idempotent?: boolean;
}

interface Sent<T> {
  body: T;
  headers: Record<string, string>;
  status: number;
}

const contentRangePattern = /^items\s+(\d+)-(\d+)\/(\d+|\*)$/i;

function list(value: string | ReadonlyArray<string> | undefined): string | undefined {
  if (value === undefined) return undefined;
  const values = typeof value === 'string' ? [value] : value;
  return values.length === 0 ? undefined : values.join(',');
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function dates(headers: Record<string, string>): Pick<TaxiiPageInfo, 'dateAddedFirst' | 'dateAddedLast'> {
  const first = headers['x-taxii-date-added-first'];
  const last = headers['x-taxii-date-added-last'];
  return { ...(first ? { dateAddedFirst: first } : {}), ...(last ? { dateAddedLast: last } : {}) };
}

/**
 * Turns an error answer into an error that carries the TAXII error message (`title`,
 * `description`) in its text and details; the status and code of the original are kept.
 */
function toTaxiiError(error: unknown): CeError {
  if (!HttpError.isInstance(error)) return toCeError(error);
  const http = error as HttpError;
  if (http.status === undefined || http.body === undefined) return http;
  let parsed: unknown;
  try {
    parsed = JSON.parse(http.body);
  } catch {
    return http;
  }
  const message = errorMessageSchema.safeParse(parsed);
  if (!message.success) return http;
  const { title, description, error_code: errorCode, error_id: errorId } = message.data;
  return new HttpError(
    http.code,
    `TAXII error ${http.status}: ${title}${description ? ` (${description})` : ''}`,
    {
      method: http.method,
      url: http.url,
      status: http.status,
      body: http.body,
      attempts: http.attempts,
      retryable: http.retryable,
      cause: http,
      details: {
        taxii: {
          title,
          ...(description === undefined ? {} : { description }),
          ...(errorCode === undefined ? {} : { errorCode }),
          ...(errorId === undefined ? {} : { errorId }),
        },
      },
    },
  );
}

/**
 * A TAXII 2.1 client that also reads and writes TAXII 2.0 servers. It sends the exact media
 * types, pages with `limit`/`next` (2.0: `Range`), polls with resumable checkpoints, splits
 * uploads to the API root's `max_content_length` and follows their status. Every failure is a
 * typed `CeError`/`HttpError`; a TAXII error message's title and description end up in its text.
 *
 * @example
 * ```ts
 * const client = new TaxiiClient({
 *   url: 'https://cti.example.com/taxii2/',
 *   auth: { kind: 'basic', username: 'analyst', password },
 * });
 * const root = await client.defaultApiRoot();
 * for await (const page of client.pollObjects(root, collectionId, { addedAfter: saved })) {
 *   await handle(page.objects);
 *   saved = page.checkpoint.addedAfter;
 * }
 * await client.close();
 * ```
 */
export class TaxiiClient {
  private readonly http: HttpClient;
  private readonly ownsHttp: boolean;
  private readonly url: string;
  private readonly authHeaders: Record<string, string>;
  private readonly clock: Clock;
  private readonly polling: Required<TaxiiStatusPollingOptions>;
  private version: TaxiiVersion | undefined;
  private detecting: Promise<TaxiiVersion> | undefined;
  private readonly maxContentLengths = new Map<string, number>();

  constructor(options: TaxiiClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch (error) {
      throw new CeError('CONFIG_INVALID', 'TAXII url is not a valid URL', { cause: error });
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new CeError('CONFIG_INVALID', 'TAXII url must be http(s)');
    }
    this.url = withSlash(parsed.toString());
    this.authHeaders = {};
    const auth = options.auth;
    if (auth?.kind === 'basic') {
      registerSecretValue(auth.password);
      const encoded = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
      registerSecretValue(encoded);
      this.authHeaders.authorization = `Basic ${encoded}`;
    } else if (auth?.kind === 'bearer') {
      registerSecretValue(auth.token);
      this.authHeaders.authorization = `Bearer ${auth.token}`;
    } else if (auth?.kind === 'header') {
      registerSecretValue(auth.value);
      this.authHeaders[auth.name.toLowerCase()] = auth.value;
    }
    if (options.httpClient) {
      this.http = options.httpClient;
      this.ownsHttp = false;
    } else {
      const { baseUrl: _ignored, ...http } = options.http ?? {};
      this.http = createHttpClient(http);
      this.ownsHttp = true;
    }
    this.version = options.version === undefined || options.version === 'auto' ? undefined : options.version;
    this.clock = options.clock ?? systemClock;
    this.polling = {
      initialDelayMs: options.statusPolling?.initialDelayMs ?? 1_000,
      maxDelayMs: options.statusPolling?.maxDelayMs ?? 30_000,
      timeoutMs: options.statusPolling?.timeoutMs ?? 300_000,
    };
  }

  /** The TAXII version in use, detecting it first when the client was created with `auto`. */
  async getVersion(signal?: AbortSignal): Promise<TaxiiVersion> {
    if (this.version) return this.version;
    this.detecting ??= this.detect(signal).then(
      (version) => {
        this.version = version;
        return version;
      },
      (error: unknown) => {
        this.detecting = undefined;
        throw error;
      },
    );
    return this.detecting;
  }

  /**
   * The discovery resource. When the client's URL is an API root, a discovery naming just that
   * root is returned, so callers need not care which URL they were given.
   */
  async discover(signal?: AbortSignal): Promise<TaxiiDiscovery> {
    const version = await this.getVersion(signal);
    const { body } = await this.send(this.url, entrySchema, { accept: this.taxiiType(version), signal });
    if (body.api_roots === undefined && body.max_content_length !== undefined) {
      return { title: body.title ?? '', default: this.url, api_roots: [this.url] };
    }
    return discoverySchema.parse(body) as TaxiiDiscovery;
  }

  /**
   * The API root to use when the caller has no preference: the client's URL when it is an API
   * root, else the discovery's `default`, else its first API root.
   */
  async defaultApiRoot(signal?: AbortSignal): Promise<string> {
    const discovery = await this.discover(signal);
    const root = discovery.default ?? discovery.api_roots?.[0];
    if (!root) throw new CeError('NOT_FOUND', 'the TAXII server announces no API root');
    return this.resolveRoot(root);
  }

  /** The API root resource (title, versions, `max_content_length`). */
  async getApiRoot(apiRoot: string, signal?: AbortSignal): Promise<TaxiiApiRoot> {
    const version = await this.getVersion(signal);
    const url = this.resolveRoot(apiRoot);
    const { body } = await this.send(url, apiRootSchema, { accept: this.taxiiType(version), signal });
    this.maxContentLengths.set(url, body.max_content_length);
    return body as TaxiiApiRoot;
  }

  /** The collections of an API root, with the caller's permissions. */
  async getCollections(apiRoot: string, signal?: AbortSignal): Promise<TaxiiCollection[]> {
    const version = await this.getVersion(signal);
    const { body } = await this.send(`${this.resolveRoot(apiRoot)}collections/`, collectionsSchema, {
      accept: this.taxiiType(version),
      signal,
    });
    return (body.collections ?? []) as TaxiiCollection[];
  }

  /** One collection. */
  async getCollection(apiRoot: string, collectionId: string, signal?: AbortSignal): Promise<TaxiiCollection> {
    const version = await this.getVersion(signal);
    const { body } = await this.send(this.collectionUrl(apiRoot, collectionId), collectionSchema, {
      accept: this.taxiiType(version),
      signal,
    });
    return body as TaxiiCollection;
  }

  /** One page of a collection's objects. */
  async getObjects(
    apiRoot: string,
    collectionId: string,
    options: TaxiiGetObjectsOptions = {},
  ): Promise<TaxiiObjectsPage> {
    const version = await this.getVersion(options.signal);
    return this.readObjects(`${this.collectionUrl(apiRoot, collectionId)}objects/`, version, options);
  }

  /**
   * Reads a collection page after page, from `addedAfter` on. Each page carries a checkpoint
   * (the last `date_added` delivered, from `X-TAXII-Date-Added-Last`): persist it after processing
   * the page and pass it back as `addedAfter` to resume after a crash.
   */
  async *pollObjects(
    apiRoot: string,
    collectionId: string,
    options: Omit<TaxiiGetObjectsOptions, 'next'> = {},
  ): AsyncGenerator<TaxiiPolledPage, void, undefined> {
    let addedAfter = options.addedAfter;
    let next: string | undefined;
    let checkpoint = addedAfter;
    for (;;) {
      const page = await this.getObjects(apiRoot, collectionId, {
        ...options,
        ...(addedAfter === undefined ? {} : { addedAfter }),
        ...(next === undefined ? {} : { next }),
      });
      checkpoint = page.dateAddedLast ?? checkpoint;
      yield { ...page, checkpoint: checkpoint === undefined ? {} : { addedAfter: checkpoint } };
      if (!page.more || page.objects.length === 0) return;
      if (page.next !== undefined && page.next !== next) {
        next = page.next;
      } else if (page.dateAddedLast !== undefined && page.dateAddedLast !== addedAfter) {
        // A server that pages without `next` tokens: continue from the last date seen.
        addedAfter = page.dateAddedLast;
        next = undefined;
      } else {
        return;
      }
    }
  }

  /** The versions of one object selected by `match` (by default its latest). */
  async getObject(
    apiRoot: string,
    collectionId: string,
    objectId: string,
    options: TaxiiGetObjectOptions = {},
  ): Promise<TaxiiObjectsPage> {
    const version = await this.getVersion(options.signal);
    const url = `${this.collectionUrl(apiRoot, collectionId)}objects/${encodeURIComponent(objectId)}/`;
    return this.readObjects(url, version, options);
  }

  /** The version timestamps of one object (TAXII 2.1 only). */
  async getObjectVersions(
    apiRoot: string,
    collectionId: string,
    objectId: string,
    options: TaxiiGetVersionsOptions = {},
  ): Promise<TaxiiVersionsPage> {
    const version = await this.getVersion(options.signal);
    if (version === '2.0') throw new CeError('NOT_SUPPORTED', 'TAXII 2.0 has no versions endpoint');
    const url = `${this.collectionUrl(apiRoot, collectionId)}objects/${encodeURIComponent(objectId)}/versions/`;
    const { body, headers } = await this.send(url, versionsSchema, {
      accept: taxii21MediaType,
      query: this.pageQuery(options, version),
      signal: options.signal,
    });
    return {
      versions: body.versions ?? [],
      more: body.more ?? false,
      ...(body.next === undefined ? {} : { next: body.next }),
      ...dates(headers),
    };
  }

  /** One page of the manifest (object metadata without the objects). */
  async getManifest(
    apiRoot: string,
    collectionId: string,
    options: TaxiiGetObjectsOptions = {},
  ): Promise<TaxiiManifestPage> {
    const version = await this.getVersion(options.signal);
    const url = `${this.collectionUrl(apiRoot, collectionId)}manifest/`;
    const { body, headers, range } = await this.readPaged(
      url,
      manifestSchema,
      this.taxiiType(version),
      version,
      options,
    );
    const entries: TaxiiManifestEntry[] = [];
    for (const item of body.objects ?? []) {
      // TAXII 2.0 lists every version of an object in one entry.
      const versions = item.version !== undefined ? [item.version] : (item.versions ?? []);
      for (const itemVersion of versions) {
        const mediaType = item.media_type ?? item.media_types?.[0];
        entries.push({
          id: item.id,
          date_added: item.date_added ?? '',
          version: itemVersion,
          ...(mediaType === undefined ? {} : { media_type: mediaType }),
        });
      }
    }
    return {
      entries,
      ...(range ?? { more: body.more ?? false, ...(body.next === undefined ? {} : { next: body.next }) }),
      ...dates(headers),
    };
  }

  /** Deletes versions of an object (TAXII 2.1 only). */
  async deleteObject(
    apiRoot: string,
    collectionId: string,
    objectId: string,
    options: TaxiiDeleteOptions = {},
  ): Promise<void> {
    const version = await this.getVersion(options.signal);
    if (version === '2.0') throw new CeError('NOT_SUPPORTED', 'TAXII 2.0 cannot delete objects');
    const url = `${this.collectionUrl(apiRoot, collectionId)}objects/${encodeURIComponent(objectId)}/`;
    await this.send(url, undefined, {
      method: 'DELETE',
      accept: taxii21MediaType,
      query: {
        'match[version]': list(options.match?.version),
        'match[spec_version]': list(options.match?.specVersion),
      },
      signal: options.signal,
    });
  }

  /** A status resource, normalized to the TAXII 2.1 shape. */
  async getStatus(apiRoot: string, statusId: string, signal?: AbortSignal): Promise<TaxiiStatus> {
    const version = await this.getVersion(signal);
    const url = `${this.resolveRoot(apiRoot)}status/${encodeURIComponent(statusId)}/`;
    const { body } = await this.send(url, statusSchema, { accept: this.taxiiType(version), signal });
    return body as TaxiiStatus;
  }

  /**
   * Adds objects to a collection. They are sent in as many envelopes (2.0: bundles) as needed to
   * keep each request body within `max_content_length`; an object too large on its own is reported
   * as a failure without being sent. Each request's status resource is then followed, with
   * doubling waits, until it is `complete` or the polling timeout passes. Adding is idempotent in
   * TAXII (an object version is identified by `id` and `modified`), so requests are retried like
   * reads. If the very first request fails the error is thrown; later failures become per-object
   * failures so the caller sees what was stored.
   */
  async addObjects(
    apiRoot: string,
    collectionId: string,
    objects: ReadonlyArray<TaxiiObject>,
    options: TaxiiAddObjectsOptions = {},
  ): Promise<TaxiiAddObjectsResult> {
    const { signal } = options;
    const version = await this.getVersion(signal);
    const rootUrl = this.resolveRoot(apiRoot);
    const limit = options.maxContentLength ?? (await this.maxContentLengthOf(rootUrl, signal));
    const url = `${this.collectionUrl(apiRoot, collectionId)}objects/`;
    const result: TaxiiAddObjectsResult = {
      complete: true,
      statusIds: [],
      requests: 0,
      totalCount: objects.length,
      successCount: 0,
      failureCount: 0,
      pendingCount: 0,
      successes: [],
      failures: [],
      pendings: [],
    };
    const fail = (object: TaxiiObject, message: string): void => {
      result.failureCount++;
      result.failures.push({ id: object.id, ...versionOf(object), message });
    };

    const bundleId = `bundle--${randomUUID()}`;
    const head =
      version === '2.1'
        ? '{"objects":['
        : `{"type":"bundle","id":"${bundleId}","spec_version":"2.0","objects":[`;
    const tail = ']}';
    const overhead = Buffer.byteLength(head) + Buffer.byteLength(tail);
    const batches: { objects: TaxiiObject[]; parts: string[] }[] = [];
    let current: { objects: TaxiiObject[]; parts: string[]; size: number } | undefined;
    for (const object of objects) {
      const text = JSON.stringify(object);
      const size = Buffer.byteLength(text);
      if (overhead + size > limit) {
        fail(object, `object is ${size} bytes, larger than max_content_length (${limit}) allows`);
        continue;
      }
      if (!current || current.size + 1 + size > limit) {
        current = { objects: [], parts: [], size: overhead - 1 };
        batches.push(current);
      }
      current.objects.push(object);
      current.parts.push(text);
      current.size += 1 + size;
    }

    const statuses: TaxiiStatus[] = [];
    let stopped: CeError | undefined;
    for (const batch of batches) {
      if (stopped) {
        for (const object of batch.objects) fail(object, `not sent: ${stopped.message}`);
        continue;
      }
      try {
        const sent = await this.send(url, statusSchema, {
          method: 'POST',
          accept: this.taxiiType(version),
          contentType: version === '2.1' ? taxii21MediaType : stix20MediaType,
          body: `${head}${batch.parts.join(',')}${tail}`,
          signal,
          idempotent: true,
        });
        result.requests++;
        statuses.push(sent.body as TaxiiStatus);
      } catch (error) {
        result.requests++;
        const ce = CeError.isInstance(error) ? error : toCeError(error);
        if (statuses.length === 0 && result.requests === 1) throw ce;
        for (const object of batch.objects) fail(object, ce.message);
        const status = HttpError.isInstance(error) ? (error as HttpError).status : undefined;
        if (ce.code === 'HTTP_AUTH_FAILED' || ce.code === 'ABORTED' || status === 404 || status === 415)
          stopped = ce;
      }
    }

    const polling = { ...this.polling, ...options.polling };
    for (const initial of statuses) {
      const status =
        options.wait === false ? initial : await this.followStatus(rootUrl, initial, polling, signal);
      result.statusIds.push(status.id);
      if (status.status !== 'complete') result.complete = false;
      result.successCount += status.success_count;
      result.failureCount += status.failure_count;
      result.pendingCount += status.pending_count;
      result.successes.push(...(status.successes ?? []));
      result.failures.push(...(status.failures ?? []));
      result.pendings.push(...(status.pendings ?? []));
    }
    return result;
  }

  /** Closes the HTTP client if the TAXII client created it. */
  async close(): Promise<void> {
    if (this.ownsHttp) await this.http.close();
  }

  private async followStatus(
    rootUrl: string,
    initial: TaxiiStatus,
    polling: Required<TaxiiStatusPollingOptions>,
    signal: AbortSignal | undefined,
  ): Promise<TaxiiStatus> {
    let status = initial;
    const deadline = this.clock.now() + polling.timeoutMs;
    let delay = polling.initialDelayMs;
    while (status.status === 'pending') {
      const remaining = deadline - this.clock.now();
      if (remaining <= 0) break;
      try {
        await this.clock.sleep(Math.min(delay, remaining), signal);
      } catch (error) {
        throw new CeError('ABORTED', 'status polling aborted', { cause: error });
      }
      status = await this.getStatus(rootUrl, status.id, signal);
      delay = Math.min(delay * 2, polling.maxDelayMs);
    }
    return status;
  }

  private async maxContentLengthOf(rootUrl: string, signal: AbortSignal | undefined): Promise<number> {
    const known = this.maxContentLengths.get(rootUrl);
    if (known !== undefined) return known;
    const root = await this.getApiRoot(rootUrl, signal);
    return root.max_content_length > 0 ? root.max_content_length : Number.POSITIVE_INFINITY;
  }

  private async readObjects(
    url: string,
    version: TaxiiVersion,
    options: TaxiiGetObjectsOptions,
  ): Promise<TaxiiObjectsPage> {
    if (version === '2.1') {
      const { body, headers } = await this.send(url, envelopeSchema, {
        accept: taxii21MediaType,
        query: this.pageQuery(options, version),
        signal: options.signal,
      });
      return {
        objects: (body.objects ?? []) as TaxiiObject[],
        more: body.more ?? false,
        ...(body.next === undefined ? {} : { next: body.next }),
        ...dates(headers),
      };
    }
    const { body, headers, range } = await this.readPaged(
      url,
      bundleSchema,
      stix20MediaType,
      version,
      options,
    );
    return {
      objects: (body.objects ?? []) as TaxiiObject[],
      ...(range ?? { more: false }),
      ...dates(headers),
    };
  }

  /** A 2.0 read pages with `Range: items a-b`; a 2.1 read with `limit` and `next`. */
  private async readPaged<T>(
    url: string,
    schema: z.ZodType<T>,
    accept: string,
    version: TaxiiVersion,
    options: TaxiiGetObjectsOptions,
  ): Promise<Sent<T> & { range?: { more: boolean; next?: string } }> {
    if (version === '2.1') {
      return this.send(url, schema, {
        accept,
        query: this.pageQuery(options, version),
        signal: options.signal,
      });
    }
    const start = options.next === undefined ? 0 : Number(options.next);
    if (!Number.isSafeInteger(start) || start < 0)
      throw new CeError('VALIDATION_FAILED', 'invalid next offset');
    const headers: Record<string, string> = {};
    if (options.limit !== undefined || options.next !== undefined) {
      headers.range = `items ${start}-${start + (options.limit ?? 100) - 1}`;
    }
    let sent: Sent<T>;
    try {
      sent = await this.send(url, schema, {
        accept,
        headers,
        query: this.pageQuery(options, version),
        signal: options.signal,
      });
    } catch (error) {
      // Asking past the end of a 2.0 collection is answered 416: an empty, final page.
      if (HttpError.isInstance(error) && (error as HttpError).status === 416) {
        return { body: schema.parse({}), headers: {}, status: 416, range: { more: false } };
      }
      throw error;
    }
    const match = contentRangePattern.exec(sent.headers['content-range'] ?? '');
    if (!match) return { ...sent, range: { more: false } };
    const last = Number(match[2]);
    const total = match[3] === '*' ? undefined : Number(match[3]);
    const more =
      total === undefined
        ? options.limit !== undefined && last - Number(match[1]) + 1 >= options.limit
        : last + 1 < total;
    return { ...sent, range: more ? { more, next: String(last + 1) } : { more } };
  }

  private pageQuery(
    options: TaxiiGetObjectsOptions,
    version: TaxiiVersion,
  ): Record<string, string | undefined> {
    const match = options.match ?? {};
    return {
      added_after: options.addedAfter,
      ...(version === '2.1'
        ? {
            limit: options.limit === undefined ? undefined : String(options.limit),
            next: options.next,
            'match[spec_version]': list(match.specVersion),
          }
        : {}),
      'match[type]': list(match.type),
      'match[id]': list(match.id),
      'match[version]': list(match.version),
    };
  }

  private taxiiType(version: TaxiiVersion): string {
    return version === '2.1' ? taxii21MediaType : taxii20MediaType;
  }

  private resolveRoot(apiRoot: string): string {
    try {
      return withSlash(new URL(apiRoot, this.url).toString());
    } catch (error) {
      throw new CeError('CONFIG_INVALID', 'invalid API root URL', { cause: error });
    }
  }

  private collectionUrl(apiRoot: string, collectionId: string): string {
    return `${this.resolveRoot(apiRoot)}collections/${encodeURIComponent(collectionId)}/`;
  }

  private async detect(signal: AbortSignal | undefined): Promise<TaxiiVersion> {
    try {
      const { body, headers } = await this.send(this.url, entrySchema, { accept: taxii21MediaType, signal });
      if (isTaxii20ContentType(headers['content-type'])) return '2.0';
      const versions = body.versions ?? [];
      if (versions.length > 0 && versions.every((item) => /2\.0/.test(item))) return '2.0';
      return '2.1';
    } catch (error) {
      const status = HttpError.isInstance(error) ? (error as HttpError).status : undefined;
      if (status !== 406 && status !== 415 && status !== 400) throw error;
    }
    await this.send(this.url, entrySchema, { accept: taxii20MediaType, signal });
    return '2.0';
  }

  private async send<T>(
    url: string,
    schema: z.ZodType<T> | undefined,
    options: SendOptions,
  ): Promise<Sent<T>> {
    const query: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.query ?? {}))
      if (value !== undefined) query[name] = value;
    try {
      const response = await this.http.request({
        method: options.method ?? 'GET',
        path: url,
        query,
        headers: {
          ...this.authHeaders,
          ...options.headers,
          accept: options.accept,
          ...(options.contentType ? { 'content-type': options.contentType } : {}),
        },
        ...(options.body === undefined ? {} : { body: options.body }),
        ...(schema ? { schema } : { responseType: 'text' as const }),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.idempotent === undefined ? {} : { idempotent: options.idempotent }),
      });
      return {
        body: (schema ? response.body : undefined) as T,
        headers: response.headers,
        status: response.status,
      };
    } catch (error) {
      throw toTaxiiError(error);
    }
  }
}

function versionOf(object: TaxiiObject): { version?: string } {
  const version = typeof object.modified === 'string' ? object.modified : object.created;
  return typeof version === 'string' ? { version } : {};
}
