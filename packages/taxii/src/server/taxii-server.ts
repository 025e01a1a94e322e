import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CeError, type Clock, createNoopLogger, type Logger, systemClock, toCeError } from '@ce/core';
import { acceptsTaxii21, isTaxii21ContentType, taxii21MediaType } from '../media-types.js';
import type { TaxiiErrorMessage, TaxiiObject, TaxiiStatus, TaxiiStatusDetail } from '../taxii-types.js';
import { formatMicros, timestampKey, timestampMicros } from '../timestamps.js';
import type {
  TaxiiCollectionInfo,
  TaxiiCollectionStore,
  TaxiiObjectQuery,
  TaxiiObjectResult,
  TaxiiPrincipal,
  TaxiiVersionSelector,
} from './collection-store.js';
import { jsonDepthExceeds, readBoundedBody } from './request-body.js';
import type { TaxiiAuthenticator } from './static-authenticator.js';

/** One API root served by {@link createTaxiiServer}. */
export interface TaxiiApiRootOptions {
  /** Human-readable name. */
  title: string;
  /** What it holds. */
  description?: string;
  /**
   * Largest request body accepted, in bytes; larger POSTs get 413 before the body is read past it.
   * @default 10485760 (10 MiB)
   */
  maxContentLength?: number;
  /** Where its collections live. */
  store: TaxiiCollectionStore;
}

/** Options of {@link createTaxiiServer}. */
export interface TaxiiServerOptions {
  /**
   * Path prefix the server answers under; discovery is at the prefix itself.
   * @default '/taxii2/'
   */
  basePath?: string;
  /** The discovery resource's fields. */
  discovery: {
    /** Human-readable name of the server. */
    title: string;
    /** What it offers. */
    description?: string;
    /** Who to contact. */
    contact?: string;
    /** Name (key in `apiRoots`) of the API root announced as the default. */
    defaultApiRoot?: string;
  };
  /** API roots by name; the name is the URL segment after `basePath` (letters, digits, `._~-`). */
  apiRoots: Record<string, TaxiiApiRootOptions>;
  /**
   * Resolves the principal of each request; `undefined` answers 401. Without it every request is
   * served as the principal `{ id: 'anonymous' }`.
   */
  authenticate?: TaxiiAuthenticator;
  /**
   * `WWW-Authenticate` value of 401 answers.
   * @default 'Basic realm="TAXII", Bearer realm="TAXII"'
   */
  authChallenge?: string;
  /**
   * Absolute URL of `basePath` as clients reach it (behind a proxy), used for the API root URLs of
   * the discovery resource.
   * @default derived from the request's `Host` header
   */
  publicUrl?: string;
  /**
   * Largest page returned; a larger `limit` is lowered to it, and it is the page size without one.
   * @default 1000
   */
  maxPageSize?: number;
  /**
   * Deepest JSON nesting accepted in a POSTed envelope.
   * @default 64
   */
  maxJsonDepth?: number;
  /**
   * How long status resources of add requests stay readable.
   * @default 86400000 (24 h)
   */
  statusRetentionMs?: number;
  /**
   * Most status resources kept; the oldest go first.
   * @default 10000
   */
  maxStatuses?: number;
  /** Receives one line per failed request (method, path, code); never credentials or bodies. */
  logger?: Logger;
  /**
   * Time source of request timestamps and status retention.
   * @default systemClock
   */
  clock?: Clock;
}

/**
 * A `node:http` request listener. With a `next` callback (connect/express style) requests outside
 * `basePath` are passed on; without one they get 404.
 */
export type TaxiiRequestListener = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

class TaxiiHttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly description?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(title);
  }
}

interface StatusEntry {
  id: string;
  principalId: string;
  createdAt: number;
  requestTimestamp: string;
  results: TaxiiObjectResult[];
}

const segmentPattern = /^[A-Za-z0-9._~-]+$/;
const defaultMaxContentLength = 10 * 1024 * 1024;
const maxFilterValues = 100;
const maxNextLength = 1024;
const anonymous: TaxiiPrincipal = { id: 'anonymous' };

function errorBody(status: number, title: string, description?: string): string {
  const message: TaxiiErrorMessage = {
    title,
    ...(description === undefined ? {} : { description }),
    http_status: String(status),
  };
  return JSON.stringify(message);
}

function send(
  res: ServerResponse,
  status: number,
  body: string | undefined,
  headers: Record<string, string> = {},
): void {
  res.statusCode = status;
  res.setHeader('content-type', taxii21MediaType);
  res.setHeader('cache-control', 'no-store');
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (body === undefined) {
    res.setHeader('content-length', '0');
    res.end();
    return;
  }
  res.setHeader('content-length', String(Buffer.byteLength(body)));
  res.end(body);
}

function statusResource(entry: StatusEntry): TaxiiStatus {
  const successes: TaxiiStatusDetail[] = [];
  const failures: TaxiiStatusDetail[] = [];
  const pendings: TaxiiStatusDetail[] = [];
  for (const result of entry.results) {
    const detail: TaxiiStatusDetail = {
      id: result.id,
      ...(result.version === undefined ? {} : { version: result.version }),
      ...(result.message === undefined ? {} : { message: result.message }),
    };
    if (result.status === 'success') successes.push(detail);
    else if (result.status === 'failure') failures.push(detail);
    else pendings.push(detail);
  }
  return {
    id: entry.id,
    status: pendings.length === 0 ? 'complete' : 'pending',
    request_timestamp: entry.requestTimestamp,
    total_count: entry.results.length,
    success_count: successes.length,
    ...(successes.length > 0 ? { successes } : {}),
    failure_count: failures.length,
    ...(failures.length > 0 ? { failures } : {}),
    pending_count: pendings.length,
    ...(pendings.length > 0 ? { pendings } : {}),
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Creates a TAXII 2.1 server as a `node:http` request listener: discovery, API roots, collections,
 * objects (GET, POST), one object (GET, DELETE), its versions, the manifest and the status of add
 * requests, over any {@link TaxiiCollectionStore}. It enforces the exact media types (406, 415),
 * authentication (401 with a challenge) and per-collection permissions (403), bounds request
 * bodies while they stream (413) and their JSON nesting (422), pages with opaque `next` tokens and
 * the `X-TAXII-Date-Added-First/Last` headers, and never lets an error escape: a failure becomes a
 * TAXII error message, and an unexpected one a 500 and a log line.
 *
 * @example
 * ```ts
 * const store = createMemoryCollectionStore({ collections: [{ id, title: 'Indicators' }] });
 * const handler = createTaxiiServer({
 *   discovery: { title: 'Cloud Exchange TAXII', defaultApiRoot: 'feeds' },
 *   apiRoots: { feeds: { title: 'Feeds', store } },
 *   authenticate: createStaticAuthenticator({ tokens: [{ token, principal: { id: 'reader' } }] }),
 * });
 * http.createServer(handler).listen(8443);
 * ```
 */
export function createTaxiiServer(options: TaxiiServerOptions): TaxiiRequestListener {
  const basePath = `/${(options.basePath ?? '/taxii2/').replace(/^\/+|\/+$/g, '')}/`.replace(/^\/\/$/, '/');
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createNoopLogger();
  const maxPageSize = Math.max(1, options.maxPageSize ?? 1000);
  const maxJsonDepth = options.maxJsonDepth ?? 64;
  const statusRetentionMs = options.statusRetentionMs ?? 86_400_000;
  const maxStatuses = options.maxStatuses ?? 10_000;
  const challenge = options.authChallenge ?? 'Basic realm="TAXII", Bearer realm="TAXII"';
  for (const name of Object.keys(options.apiRoots)) {
    if (!segmentPattern.test(name) || name === '.' || name === '..') {
      throw new CeError('CONFIG_INVALID', `API root name "${name}" is not a URL-safe path segment`);
    }
  }
  const statuses = new Map<string, StatusEntry>();

  const pruneStatuses = (): void => {
    const cutoff = clock.now() - statusRetentionMs;
    for (const [id, entry] of statuses) {
      if (entry.createdAt >= cutoff && statuses.size <= maxStatuses) break;
      statuses.delete(id);
    }
  };

  const baseUrlOf = (req: IncomingMessage): string => {
    if (options.publicUrl)
      return options.publicUrl.endsWith('/') ? options.publicUrl : `${options.publicUrl}/`;
    const host =
      typeof req.headers.host === 'string' && /^[A-Za-z0-9.:[\]-]+$/.test(req.headers.host)
        ? req.headers.host
        : 'localhost';
    const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
    return `${secure ? 'https' : 'http'}://${host}${basePath}`;
  };

  const parseList = (params: URLSearchParams, name: string): string[] | undefined => {
    const raw = params.getAll(name);
    if (raw.length === 0) return undefined;
    const values = raw
      .flatMap((value) => value.split(','))
      .map((value) => value.trim())
      .filter((value) => value !== '');
    if (values.length > maxFilterValues) throw new TaxiiHttpError(400, `Too many values in ${name}`);
    return values.length === 0 ? undefined : values;
  };

  const parseQuery = (
    params: URLSearchParams,
    principal: TaxiiPrincipal,
    fields: { type?: boolean; id?: boolean; version?: boolean },
  ): TaxiiObjectQuery => {
    const query: TaxiiObjectQuery = { principal, limit: maxPageSize };
    const limit = params.get('limit');
    if (limit !== null) {
      if (!/^\d{1,9}$/.test(limit) || Number(limit) < 1)
        throw new TaxiiHttpError(400, 'limit must be a positive integer');
      query.limit = Math.min(Number(limit), maxPageSize);
    }
    const addedAfter = params.get('added_after');
    if (addedAfter !== null) {
      if (timestampMicros(addedAfter) === undefined)
        throw new TaxiiHttpError(400, 'added_after must be a UTC timestamp');
      query.addedAfter = addedAfter;
    }
    const next = params.get('next');
    if (next !== null) {
      if (next.length === 0 || next.length > maxNextLength)
        throw new TaxiiHttpError(400, 'Invalid next token');
      query.next = next;
    }
    if (fields.type) {
      const types = parseList(params, 'match[type]');
      if (types) query.types = types;
    }
    if (fields.id) {
      const ids = parseList(params, 'match[id]');
      if (ids) query.ids = ids;
    }
    if (fields.version) {
      const versions = parseList(params, 'match[version]');
      if (versions) {
        for (const version of versions) {
          if (
            version !== 'first' &&
            version !== 'last' &&
            version !== 'all' &&
            timestampKey(version) === undefined
          ) {
            throw new TaxiiHttpError(400, 'match[version] must be first, last, all or a timestamp');
          }
        }
        query.versions = versions as TaxiiVersionSelector[];
      }
    }
    const specVersions = parseList(params, 'match[spec_version]');
    if (specVersions) query.specVersions = specVersions;
    return query;
  };

  const dateHeaders = (first: string | undefined, last: string | undefined): Record<string, string> =>
    first === undefined || last === undefined
      ? {}
      : { 'x-taxii-date-added-first': first, 'x-taxii-date-added-last': last };

  const pageTail = (more: boolean, next: string | undefined): string =>
    `{"more":${more}${more && next !== undefined ? `,"next":${JSON.stringify(next)}` : ''}`;

  const requireMethod = (req: IncomingMessage, allowedMethods: ReadonlyArray<string>): void => {
    if (!allowedMethods.includes(req.method ?? 'GET')) {
      throw new TaxiiHttpError(405, 'Method not allowed', undefined, { allow: allowedMethods.join(', ') });
    }
  };

  const collectionFor = async (
    store: TaxiiCollectionStore,
    collectionId: string,
    principal: TaxiiPrincipal,
    need: 'read' | 'write' | 'none',
  ): Promise<TaxiiCollectionInfo> => {
    const info = await store.getCollection(collectionId, principal);
    if (!info) throw new TaxiiHttpError(404, 'Collection not found');
    if (need === 'read' && !info.canRead)
      throw new TaxiiHttpError(403, 'Not allowed to read this collection');
    if (need === 'write' && !info.canWrite)
      throw new TaxiiHttpError(403, 'Not allowed to write to this collection');
    return info;
  };

  const collectionResource = (info: TaxiiCollectionInfo): Record<string, unknown> => ({
    id: info.id,
    title: info.title,
    ...(info.description === undefined ? {} : { description: info.description }),
    ...(info.alias === undefined ? {} : { alias: info.alias }),
    can_read: info.canRead,
    can_write: info.canWrite,
    media_types: info.mediaTypes ?? ['application/stix+json;version=2.1'],
  });

  const handleAdd = async (
    req: IncomingMessage,
    res: ServerResponse,
    root: TaxiiApiRootOptions,
    collectionId: string,
    principal: TaxiiPrincipal,
  ): Promise<void> => {
    await collectionFor(root.store, collectionId, principal, 'write');
    const contentType = req.headers['content-type'];
    if (!isTaxii21ContentType(contentType)) {
      throw new TaxiiHttpError(415, 'Unsupported media type', `Content-Type must be ${taxii21MediaType}`);
    }
    const maxContentLength = root.maxContentLength ?? defaultMaxContentLength;
    const declared = req.headers['content-length'];
    const tooLarge = (): TaxiiHttpError =>
      new TaxiiHttpError(413, 'Request body too large', `max_content_length is ${maxContentLength} bytes`, {
        connection: 'close',
      });
    if (declared !== undefined && Number(declared) > maxContentLength) throw tooLarge();
    const read = await readBoundedBody(req, maxContentLength);
    if (read.kind === 'too-large') throw tooLarge();
    if (read.kind === 'aborted') {
      res.destroy();
      return;
    }
    if (jsonDepthExceeds(read.body, maxJsonDepth)) {
      throw new TaxiiHttpError(422, 'Unprocessable envelope', `JSON nesting deeper than ${maxJsonDepth}`);
    }
    let envelope: unknown;
    try {
      envelope = JSON.parse(read.body.toString('utf8'));
    } catch {
      throw new TaxiiHttpError(422, 'Unprocessable envelope', 'The body is not valid JSON');
    }
    if (!isPlainObject(envelope) || !Array.isArray(envelope.objects)) {
      throw new TaxiiHttpError(
        422,
        'Unprocessable envelope',
        'The body must be an envelope with an objects array',
      );
    }
    const items: unknown[] = envelope.objects;
    const results: TaxiiObjectResult[] = new Array(items.length);
    const valid: TaxiiObject[] = [];
    const validIndex: number[] = [];
    items.forEach((item, index) => {
      if (isPlainObject(item) && typeof item.id === 'string' && typeof item.type === 'string') {
        valid.push(item as TaxiiObject);
        validIndex.push(index);
      } else {
        const id = isPlainObject(item) && typeof item.id === 'string' ? item.id : '';
        results[index] = { id, status: 'failure', message: 'not a STIX object (needs string id and type)' };
      }
    });
    const now = clock.now();
    const entry: StatusEntry = {
      id: randomUUID(),
      principalId: principal.id,
      createdAt: now,
      requestTimestamp: formatMicros(now * 1000),
      results,
    };
    const report = (updates: ReadonlyArray<TaxiiObjectResult>): void => {
      for (const update of updates) {
        const index = entry.results.findIndex(
          (result) =>
            result.status === 'pending' &&
            result.id === update.id &&
            (result.version === undefined || result.version === update.version),
        );
        if (index >= 0) entry.results[index] = update;
      }
    };
    const stored =
      valid.length === 0
        ? []
        : await root.store.addObjects(collectionId, valid, {
            principal,
            requestTimestamp: entry.requestTimestamp,
            report,
          });
    validIndex.forEach((itemIndex, position) => {
      const object = valid[position] as TaxiiObject;
      results[itemIndex] = stored[position] ?? {
        id: object.id,
        status: 'failure',
        message: 'the store returned no result',
      };
    });
    pruneStatuses();
    statuses.set(entry.id, entry);
    send(res, 202, JSON.stringify(statusResource(entry)));
  };

  const route = async (
    req: IncomingMessage,
    res: ServerResponse,
    segments: string[],
    searchParams: URLSearchParams,
  ): Promise<void> => {
    const method = req.method ?? 'GET';
    const principal = options.authenticate ? await options.authenticate(req) : anonymous;
    if (!principal)
      throw new TaxiiHttpError(401, 'Authentication required', undefined, { 'www-authenticate': challenge });
    if (!acceptsTaxii21(req.headers.accept)) {
      throw new TaxiiHttpError(406, 'Not acceptable', `This server answers ${taxii21MediaType}`);
    }

    if (segments.length === 0) {
      requireMethod(req, ['GET']);
      const base = baseUrlOf(req);
      const names = Object.keys(options.apiRoots);
      const defaultName = options.discovery.defaultApiRoot;
      send(
        res,
        200,
        JSON.stringify({
          title: options.discovery.title,
          ...(options.discovery.description === undefined
            ? {}
            : { description: options.discovery.description }),
          ...(options.discovery.contact === undefined ? {} : { contact: options.discovery.contact }),
          ...(defaultName && options.apiRoots[defaultName] ? { default: `${base}${defaultName}/` } : {}),
          api_roots: names.map((name) => `${base}${name}/`),
        }),
      );
      return;
    }

    const [rootName, section, collectionId, part, objectId, tail, ...extra] = segments as [
      string,
      ...(string | undefined)[],
    ];
    const root = Object.hasOwn(options.apiRoots, rootName) ? options.apiRoots[rootName] : undefined;
    if (!root) throw new TaxiiHttpError(404, 'API root not found');
    const { store } = root;

    if (section === undefined) {
      requireMethod(req, ['GET']);
      send(
        res,
        200,
        JSON.stringify({
          title: root.title,
          ...(root.description === undefined ? {} : { description: root.description }),
          versions: [taxii21MediaType],
          max_content_length: root.maxContentLength ?? defaultMaxContentLength,
        }),
      );
      return;
    }

    if (section === 'status' && collectionId !== undefined && part === undefined) {
      requireMethod(req, ['GET']);
      pruneStatuses();
      const entry = statuses.get(collectionId);
      if (!entry || entry.principalId !== principal.id) throw new TaxiiHttpError(404, 'Status not found');
      send(res, 200, JSON.stringify(statusResource(entry)));
      return;
    }

    if (section !== 'collections' || extra.length > 0) throw new TaxiiHttpError(404, 'Not found');

    if (collectionId === undefined) {
      requireMethod(req, ['GET']);
      const collections = await store.listCollections(principal);
      send(
        res,
        200,
        JSON.stringify(collections.length === 0 ? {} : { collections: collections.map(collectionResource) }),
      );
      return;
    }

    if (part === undefined) {
      requireMethod(req, ['GET']);
      send(
        res,
        200,
        JSON.stringify(collectionResource(await collectionFor(store, collectionId, principal, 'none'))),
      );
      return;
    }

    if (part === 'manifest' && objectId === undefined) {
      requireMethod(req, ['GET']);
      await collectionFor(store, collectionId, principal, 'read');
      const page = await store.getManifest(
        collectionId,
        parseQuery(searchParams, principal, { type: true, id: true, version: true }),
      );
      const entries = page.items.map((item) => ({
        id: item.id,
        date_added: item.dateAdded,
        version: item.version,
        media_type: item.mediaType,
      }));
      const body = `${pageTail(page.more, page.next)}${entries.length > 0 ? `,"objects":${JSON.stringify(entries)}` : ''}}`;
      send(
        res,
        200,
        body,
        dateHeaders(page.items[0]?.dateAdded, page.items[page.items.length - 1]?.dateAdded),
      );
      return;
    }

    if (part !== 'objects') throw new TaxiiHttpError(404, 'Not found');

    if (objectId === undefined) {
      requireMethod(req, ['GET', 'POST']);
      if (method === 'POST') {
        await handleAdd(req, res, root, collectionId, principal);
        return;
      }
      await collectionFor(store, collectionId, principal, 'read');
      const page = await store.getObjects(
        collectionId,
        parseQuery(searchParams, principal, { type: true, id: true, version: true }),
      );
      sendObjects(res, page.items, page.more, page.next);
      return;
    }

    if (tail === 'versions') {
      requireMethod(req, ['GET']);
      await collectionFor(store, collectionId, principal, 'read');
      const query = parseQuery(searchParams, principal, {});
      const page = await store.getVersions(collectionId, objectId, query);
      if (page.items.length === 0 && !(await objectExists(store, collectionId, objectId, principal))) {
        throw new TaxiiHttpError(404, 'Object not found');
      }
      const versions = page.items.map((item) => item.version);
      const body = `${pageTail(page.more, page.next)}${versions.length > 0 ? `,"versions":${JSON.stringify(versions)}` : ''}}`;
      send(
        res,
        200,
        body,
        dateHeaders(page.items[0]?.dateAdded, page.items[page.items.length - 1]?.dateAdded),
      );
      return;
    }
    if (tail !== undefined) throw new TaxiiHttpError(404, 'Not found');

    requireMethod(req, ['GET', 'DELETE']);
    if (method === 'DELETE') {
      await collectionFor(store, collectionId, principal, 'write');
      const versions = parseList(searchParams, 'match[version]');
      for (const version of versions ?? []) {
        if (
          version !== 'first' &&
          version !== 'last' &&
          version !== 'all' &&
          timestampKey(version) === undefined
        ) {
          throw new TaxiiHttpError(400, 'match[version] must be first, last, all or a timestamp');
        }
      }
      const specVersions = parseList(searchParams, 'match[spec_version]');
      const removed = await store.deleteObject(collectionId, objectId, {
        principal,
        ...(versions ? { versions: versions as TaxiiVersionSelector[] } : {}),
        ...(specVersions ? { specVersions } : {}),
      });
      if (removed === 0) throw new TaxiiHttpError(404, 'Object not found');
      send(res, 200, undefined);
      return;
    }
    await collectionFor(store, collectionId, principal, 'read');
    const query = { ...parseQuery(searchParams, principal, { version: true }), ids: [objectId] };
    const page = await store.getObjects(collectionId, query);
    if (page.items.length === 0 && !(await objectExists(store, collectionId, objectId, principal))) {
      throw new TaxiiHttpError(404, 'Object not found');
    }
    sendObjects(res, page.items, page.more, page.next);
  };

  const objectExists = async (
    store: TaxiiCollectionStore,
    collectionId: string,
    objectId: string,
    principal: TaxiiPrincipal,
  ): Promise<boolean> => {
    const probe = await store.getVersions(collectionId, objectId, { principal, limit: 1 });
    return probe.items.length > 0;
  };

  const sendObjects = (
    res: ServerResponse,
    items: ReadonlyArray<{ dateAdded: string; object: TaxiiObject; json?: string }>,
    more: boolean,
    next: string | undefined,
  ): void => {
    let body = pageTail(more, next);
    if (items.length > 0) {
      const parts = new Array<string>(items.length);
      for (let i = 0; i < items.length; i++) {
        const item = items[i] as { object: TaxiiObject; json?: string };
        parts[i] = item.json ?? JSON.stringify(item.object);
      }
      body += `,"objects":[${parts.join(',')}]`;
    }
    send(res, 200, `${body}}`, dateHeaders(items[0]?.dateAdded, items[items.length - 1]?.dateAdded));
  };

  const fail = (req: IncomingMessage, res: ServerResponse, error: unknown, path: string): void => {
    let status: number;
    let title: string;
    let description: string | undefined;
    let headers: Record<string, string> = {};
    if (error instanceof TaxiiHttpError) {
      ({ status, title, description, headers } = error);
    } else {
      const ce = toCeError(error);
      if (ce.code === 'NOT_FOUND') {
        status = 404;
        title = 'Not found';
      } else if (ce.code === 'VALIDATION_FAILED') {
        status = 400;
        title = 'Bad request';
        description = ce.message;
      } else if (ce.code === 'NOT_SUPPORTED') {
        // The store does not offer this on the collection (a read-only published list).
        status = 403;
        title = 'Forbidden';
        description = ce.message;
      } else {
        status = 500;
        title = 'Internal server error';
        logger.error('taxii request failed', { method: req.method, path, code: ce.code, error: ce.message });
      }
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // An unread body (an answer given before reading it) is not drained: the connection closes.
    if (headers.connection === 'close' || !req.complete) {
      headers = { ...headers, connection: 'close' };
      closeAfterResponse(req, res);
    }
    send(res, status, errorBody(status, title, description), headers);
  };

  return (req, res, next) => {
    // A client that goes away mid-request must not become an unhandled 'error' event.
    req.on('error', () => {});
    res.on('error', () => {});
    let path = '/';
    try {
      // The raw target is split by hand: URL parsing would resolve `..` and `%2e%2e` segments and
      // could walk a request out of basePath; here such a segment is simply not found.
      const target = req.url ?? '/';
      const queryStart = target.indexOf('?');
      path = queryStart < 0 ? target : target.slice(0, queryStart);
      const searchParams = new URLSearchParams(queryStart < 0 ? '' : target.slice(queryStart + 1));
      const prefix = basePath.slice(0, -1);
      if (path !== prefix && !path.startsWith(basePath)) {
        if (next) next();
        else fail(req, res, new TaxiiHttpError(404, 'Not found'), path);
        return;
      }
      const segments = resolveSegments(path.slice(basePath.length));
      if (!segments) {
        fail(req, res, new TaxiiHttpError(404, 'Not found'), path);
        return;
      }
      route(req, res, segments, searchParams).catch((error: unknown) => fail(req, res, error, path));
    } catch (error) {
      fail(req, res, error, path);
    }
  };
}

/** Decodes the path segments; `undefined` for anything that is not a plain, safe segment. */
function resolveSegments(rest: string): string[] | undefined {
  const raw = rest.split('/');
  if (raw[raw.length - 1] === '') raw.pop();
  const segments: string[] = [];
  for (const part of raw) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      return undefined;
    }
    if (decoded === '' || decoded === '.' || decoded === '..' || !segmentPattern.test(decoded))
      return undefined;
    segments.push(decoded);
  }
  return segments;
}

/**
 * After an early answer (413) the rest of the body is not read: the connection closes once the
 * response is out, with a grace period so the client can read it before the socket goes.
 */
function closeAfterResponse(req: IncomingMessage, res: ServerResponse): void {
  res.once('finish', () => {
    const socket = req.socket;
    const timer = setTimeout(() => socket.destroy(), 2_000);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    socket.end();
  });
}
