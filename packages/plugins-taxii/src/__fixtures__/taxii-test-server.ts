import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '@ce/core';
import {
  createMemoryCollectionStore,
  createStaticAuthenticator,
  createTaxiiServer,
  type MemoryCollectionConfig,
  type MemoryCollectionStore,
  stix20MediaType,
  type TaxiiObject,
  taxii20MediaType,
} from '@ce/taxii';

/** Credentials the test servers accept. */
export const credentials = {
  reader: { username: 'reader', password: 'reader-pass-4f8a1c77' },
  writerToken: 'writer-token-9d2b7e31aa',
} as const;

/** A server listening on 127.0.0.1 with an ephemeral port. */
export interface Listening {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

/** Starts a request listener on 127.0.0.1. */
export async function listen(listener: RequestListener): Promise<Listening> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A TAXII 2.1 server (the real one from `@ce/taxii`) over a memory store. */
export interface TestTaxiiServer extends Listening {
  /** The discovery URL. */
  url: string;
  /** The API root URL. */
  apiRoot: string;
  /** The store behind the API root. */
  store: MemoryCollectionStore;
  /** `METHOD url` of every request received. */
  requests: string[];
}

/**
 * Starts `createTaxiiServer` with one API root (`feeds`) over `createMemoryCollectionStore`,
 * accepting Basic auth for the reader and a bearer token for the writer.
 */
export async function startTaxiiServer(options: {
  collections: ReadonlyArray<MemoryCollectionConfig>;
  clock?: Clock;
  maxContentLength?: number;
}): Promise<TestTaxiiServer> {
  const store = createMemoryCollectionStore({
    collections: options.collections,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const handler = createTaxiiServer({
    discovery: { title: 'Test TAXII', defaultApiRoot: 'feeds' },
    apiRoots: {
      feeds: {
        title: 'Feeds',
        store,
        ...(options.maxContentLength ? { maxContentLength: options.maxContentLength } : {}),
      },
    },
    authenticate: createStaticAuthenticator({
      users: [{ ...credentials.reader, principal: { id: 'reader' } }],
      tokens: [{ token: credentials.writerToken, principal: { id: 'writer' } }],
    }),
  });
  const requests: string[] = [];
  const running = await listen((req, res) => {
    requests.push(`${req.method} ${decodeURIComponent(req.url ?? '/')}`);
    handler(req, res);
  });
  return {
    ...running,
    url: `${running.origin}/taxii2/`,
    apiRoot: `${running.origin}/taxii2/feeds/`,
    store,
    requests,
  };
}

/** A deterministic UUID from a number. */
export function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** A STIX 2.1 indicator with the given pattern. */
export function stixIndicator(n: number, pattern: string, extra: Record<string, unknown> = {}): TaxiiObject {
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--${uuid(n)}`,
    created: '2026-05-01T00:00:00.000Z',
    modified: '2026-05-01T00:00:00.000Z',
    name: `indicator ${n}`,
    pattern,
    pattern_type: 'stix',
    valid_from: '2026-05-01T00:00:00Z',
    ...extra,
  };
}

/**
 * A minimal TAXII 2.0 server (discovery, API root, collections, objects with `Range` paging and
 * STIX 2.0 bundles), as the TAXII 2.0 specification describes it, for the plugin's 2.0 path.
 */
export async function startTaxii20Server(objects: ReadonlyArray<TaxiiObject>): Promise<Listening & { url: string }> {
  const dateAdded = (index: number): string => new Date(Date.UTC(2026, 5, 1, 0, 0, index)).toISOString();
  const send = (res: ServerResponse, status: number, type: string, body: unknown, headers = {}): void => {
    res.writeHead(status, { 'content-type': type, ...headers });
    res.end(JSON.stringify(body));
  };
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!(req.headers.accept ?? '').includes('vnd.oasis')) {
      send(res, 406, taxii20MediaType, { title: 'Not Acceptable', http_status: '406' });
      return;
    }
    if (url.pathname === '/taxii/') {
      send(res, 200, taxii20MediaType, { title: 'Old TAXII', default: '/api1/', api_roots: ['/api1/'] });
    } else if (url.pathname === '/api1/') {
      send(res, 200, taxii20MediaType, { title: 'API 1', versions: ['taxii-2.0'], max_content_length: 100_000 });
    } else if (url.pathname === '/api1/collections/') {
      send(res, 200, taxii20MediaType, {
        collections: [
          { id: uuid(20), title: 'Legacy', can_read: true, can_write: false, media_types: [stix20MediaType] },
        ],
      });
    } else if (url.pathname === `/api1/collections/${uuid(20)}/objects/`) {
      const addedAfter = url.searchParams.get('added_after');
      const types = url.searchParams.get('match[type]')?.split(',');
      const selected = objects
        .map((object, index) => ({ object, index }))
        .filter(({ index }) => addedAfter === null || dateAdded(index) > addedAfter)
        .filter(({ object }) => !types || types.includes(object.type));
      const range = /^items (\d+)-(\d+)$/.exec(req.headers.range ?? '');
      const start = range ? Number(range[1]) : 0;
      const end = range ? Math.min(Number(range[2]), selected.length - 1) : selected.length - 1;
      if (start >= selected.length) {
        send(res, 416, taxii20MediaType, { title: 'Range not satisfiable', http_status: '416' });
        return;
      }
      const page = selected.slice(start, end + 1);
      send(
        res,
        range ? 206 : 200,
        stix20MediaType,
        { type: 'bundle', id: `bundle--${uuid(99)}`, spec_version: '2.0', objects: page.map((item) => item.object) },
        {
          'content-range': `items ${start}-${end}/${selected.length}`,
          'x-taxii-date-added-first': dateAdded(page[0]?.index ?? 0),
          'x-taxii-date-added-last': dateAdded(page[page.length - 1]?.index ?? 0),
        },
      );
    } else {
      send(res, 404, taxii20MediaType, { title: 'Not found', http_status: '404' });
    }
  };
  const running = await listen(listener);
  return { ...running, url: `${running.origin}/taxii/` };
}
