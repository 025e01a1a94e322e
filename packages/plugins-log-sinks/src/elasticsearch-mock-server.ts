import { gunzipSync } from 'node:zlib';
import {
  type RawMockRequest,
  type RawMockResponse,
  type RawMockServer,
  startRawMockServer,
} from './raw-mock-server.js';

/** Options of {@link startElasticsearchMockServer}. */
export interface ElasticsearchMockServerOptions {
  /** Accepted basic credentials. */
  basic?: { username: string; password: string };
  /** Accepted encoded API key (`Authorization: ApiKey <key>`). */
  apiKey?: string;
  /** Refuse `create` into indexes whose name does not start with one of these (403, as a role would). */
  writableIndexPrefixes?: ReadonlyArray<string>;
  /** Names the server reports. @default 'Elasticsearch' */
  product?: 'Elasticsearch' | 'OpenSearch';
}

/** An Elasticsearch (or OpenSearch) cluster on loopback with in-memory indexes. */
export interface ElasticsearchMockServer {
  /** Base URL. */
  readonly url: string;
  /** The raw server (requests, whole-request faults). */
  readonly server: RawMockServer;
  /** Documents per index, by `_id`. */
  readonly indices: Map<string, Map<string, Record<string, unknown>>>;
  /** Every stored document, in index order then insertion order. */
  documents(): Array<{ index: string; id: string; source: Record<string, unknown> }>;
  /** The next `count` documents (in the next bulk requests) fail with 429 `es_rejected_execution_exception`. */
  rejectNextItems(count: number): void;
  /** Stops the server. */
  close(): Promise<void>;
}

type FieldType = 'long' | 'double' | 'keyword' | 'boolean' | 'object' | 'date';

function fieldType(value: unknown): FieldType | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? 'long' : 'double';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'keyword';
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return 'object';
  return undefined;
}

function errorBody(status: number, type: string, reason: string): RawMockResponse {
  return {
    status,
    body: { error: { root_cause: [{ type, reason }], type, reason }, status },
    ...(status === 401 ? { headers: { 'www-authenticate': 'Basic realm="security" charset="UTF-8"' } } : {}),
  };
}

/**
 * Starts a mock cluster speaking the `_bulk` API as documented: NDJSON action/source pairs (the
 * body must end with a newline), `create` refusing an existing `_id` with 409
 * `version_conflict_engine_exception`, per-item `status` and `error`, dynamic mappings that refuse
 * a value of another type with 400 `mapper_parsing_exception`, item-level 429
 * `es_rejected_execution_exception` on demand, basic and `ApiKey` authentication
 * (`security_exception`), and `GET /` cluster information.
 *
 * @example
 * ```ts
 * const es = await startElasticsearchMockServer({ apiKey: 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==' });
 * await es.close();
 * ```
 */
export async function startElasticsearchMockServer(
  options: ElasticsearchMockServerOptions = {},
): Promise<ElasticsearchMockServer> {
  const indices = new Map<string, Map<string, Record<string, unknown>>>();
  const mappings = new Map<string, Map<string, FieldType>>();
  let rejectItems = 0;
  const product = options.product ?? 'Elasticsearch';

  const authenticated = (request: RawMockRequest): boolean => {
    if (!options.basic && !options.apiKey) return true;
    const header = request.headers.authorization ?? '';
    if (options.apiKey && header === `ApiKey ${options.apiKey}`) return true;
    if (options.basic) {
      const expected = Buffer.from(`${options.basic.username}:${options.basic.password}`).toString('base64');
      if (header === `Basic ${expected}`) return true;
    }
    return false;
  };

  const index = (name: string, id: string, source: Record<string, unknown>): Record<string, unknown> => {
    const docs = indices.get(name) ?? new Map<string, Record<string, unknown>>();
    if (docs.has(id)) {
      return {
        status: 409,
        error: {
          type: 'version_conflict_engine_exception',
          reason: `[${id}]: version conflict, document already exists (current version [1])`,
          index_uuid: 'mockuuid',
          shard: '0',
          index: name,
        },
      };
    }
    const mapping = mappings.get(name) ?? new Map<string, FieldType>();
    for (const [field, value] of Object.entries(source)) {
      const type = fieldType(value);
      const known = mapping.get(field);
      if (known === undefined || type === undefined) continue;
      const compatible = known === type || (known === 'double' && type === 'long');
      if (!compatible) {
        return {
          status: 400,
          error: {
            type: 'mapper_parsing_exception',
            reason: `failed to parse field [${field}] of type [${known}] in document with id '${id}'. Preview of field's value: '${String(JSON.stringify(value)).slice(0, 40)}'`,
          },
        };
      }
    }
    for (const [field, value] of Object.entries(source)) {
      const type = fieldType(value);
      if (type !== undefined && !mapping.has(field)) mapping.set(field, type);
    }
    mappings.set(name, mapping);
    docs.set(id, source);
    indices.set(name, docs);
    return { _version: 1, result: 'created', _shards: { total: 2, successful: 1, failed: 0 }, status: 201 };
  };

  const bulk = (request: RawMockRequest, defaultIndex: string | undefined): RawMockResponse => {
    const type = request.headers['content-type'] ?? '';
    if (!type.startsWith('application/x-ndjson') && !type.startsWith('application/json'))
      return errorBody(406, 'media_type_header_exception', `Content-Type header [${type}] is not supported`);
    let text: string;
    try {
      text = (
        request.headers['content-encoding'] === 'gzip' ? gunzipSync(request.body) : request.body
      ).toString('utf8');
    } catch {
      return errorBody(400, 'parse_exception', 'request body is not valid gzip');
    }
    if (!text.endsWith('\n'))
      return errorBody(
        400,
        'illegal_argument_exception',
        'The bulk request must be terminated by a newline [\\n]',
      );
    const lines = text.slice(0, -1).split('\n');
    const items: Array<Record<string, unknown>> = [];
    let errors = false;
    for (let at = 0; at < lines.length; at++) {
      let action: Record<string, { _index?: string; _id?: string }>;
      try {
        action = JSON.parse(lines[at] as string) as typeof action;
      } catch {
        return errorBody(
          400,
          'x_content_parse_exception',
          `[1:1] Malformed action/metadata line [${at + 1}]`,
        );
      }
      const [op, meta] = Object.entries(action)[0] ?? [];
      if (op !== 'create' && op !== 'index')
        return errorBody(
          400,
          'illegal_argument_exception',
          `Malformed action/metadata line [${at + 1}], expected create or index`,
        );
      const sourceLine = lines[++at];
      if (sourceLine === undefined)
        return errorBody(
          400,
          'action_request_validation_exception',
          'Validation Failed: 1: no requests added;',
        );
      const target = meta?._index ?? defaultIndex;
      const id = meta?._id ?? `auto-${items.length}-${Date.now()}`;
      const head = { _index: target, _id: id };
      if (!target) {
        items.push({
          [op]: {
            ...head,
            status: 400,
            error: { type: 'action_request_validation_exception', reason: 'index is missing' },
          },
        });
        errors = true;
        continue;
      }
      if (rejectItems > 0) {
        rejectItems--;
        errors = true;
        items.push({
          [op]: {
            ...head,
            status: 429,
            error: {
              type: 'es_rejected_execution_exception',
              reason:
                'rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1, max_coordinating_and_primary_bytes=0]',
            },
          },
        });
        continue;
      }
      if (
        options.writableIndexPrefixes &&
        !options.writableIndexPrefixes.some((prefix) => target.startsWith(prefix))
      ) {
        errors = true;
        items.push({
          [op]: {
            ...head,
            status: 403,
            error: {
              type: 'security_exception',
              reason: `action [indices:data/write/bulk[s]] is unauthorized for API key id [mock] on indices [${target}]`,
            },
          },
        });
        continue;
      }
      let source: unknown;
      try {
        source = JSON.parse(sourceLine);
      } catch {
        source = undefined;
      }
      if (typeof source !== 'object' || source === null || Array.isArray(source)) {
        errors = true;
        items.push({
          [op]: {
            ...head,
            status: 400,
            error: {
              type: 'mapper_parsing_exception',
              reason: 'failed to parse',
              caused_by: {
                type: 'not_x_content_exception',
                reason:
                  'Compressor detection can only be called on some xcontent bytes or compressed xcontent bytes',
              },
            },
          },
        });
        continue;
      }
      // `index` overwrites; `create` refuses an existing id.
      if (op === 'index') indices.get(target)?.delete(id);
      const result = index(target, id, source as Record<string, unknown>);
      if (result.error) errors = true;
      items.push({ [op]: { ...head, ...result } });
    }
    return { status: 200, body: { took: 3, errors, items } };
  };

  const handle = (request: RawMockRequest): RawMockResponse => {
    if (!authenticated(request)) {
      return errorBody(
        401,
        'security_exception',
        request.headers.authorization
          ? 'unable to authenticate with provided credentials and anonymous access is not allowed for this request'
          : `missing authentication credentials for REST request [${request.path}]`,
      );
    }
    if (request.method === 'GET' && request.path === '/') {
      return {
        status: 200,
        headers: product === 'Elasticsearch' ? { 'x-elastic-product': 'Elasticsearch' } : {},
        body: {
          name: 'mock-node-1',
          cluster_name: 'ce-mock',
          version:
            product === 'Elasticsearch'
              ? { number: '8.15.0' }
              : { distribution: 'opensearch', number: '2.17.0' },
          tagline:
            product === 'Elasticsearch'
              ? 'You Know, for Search'
              : 'The OpenSearch Project: https://opensearch.org/',
        },
      };
    }
    const match = /^\/(?:([^/_][^/]*)\/)?_bulk$/.exec(request.path);
    if (match && (request.method === 'POST' || request.method === 'PUT')) return bulk(request, match[1]);
    return errorBody(
      404,
      'resource_not_found_exception',
      `no handler found for uri [${request.path}] and method [${request.method}]`,
    );
  };

  const server = await startRawMockServer(handle);
  return {
    url: server.url,
    server,
    indices,
    documents: () =>
      [...indices].flatMap(([name, docs]) => [...docs].map(([id, source]) => ({ index: name, id, source }))),
    rejectNextItems(count) {
      rejectItems += count;
    },
    close: () => server.close(),
  };
}
