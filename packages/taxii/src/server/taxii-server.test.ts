import { request as httpRequest } from 'node:http';
import { CeError, createMemoryLogger } from '@ce/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indicator, listen, type RunningServer, uuid } from '../__fixtures__/test-server.js';
import type { TaxiiCollectionStore } from './collection-store.js';
import { createMemoryCollectionStore, type MemoryCollectionStore } from './memory-collection-store.js';
import { createStaticAuthenticator } from './static-authenticator.js';
import { createTaxiiServer } from './taxii-server.js';

const taxii = 'application/taxii+json;version=2.1';
const open = uuid(0x01);
const dropbox = uuid(0x02);
const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const alice = basic('alice', 'alice-password-1');
const bob = basic('bob', 'bob-password-2');
const maxContentLength = 64 * 1024;

describe('createTaxiiServer', () => {
  let running: RunningServer;
  let store: MemoryCollectionStore;
  const logger = createMemoryLogger();
  let addCalls = 0;

  const call = async (
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<{ status: number; headers: Headers; json: Record<string, unknown>; text: string }> => {
    const response = await fetch(`${running.origin}${path}`, {
      method: init.method ?? 'GET',
      headers: { accept: taxii, authorization: alice, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      text,
      json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    };
  };
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    call(path, { method: 'POST', body, headers: { 'content-type': taxii, ...headers } });
  const objectsPath = `/taxii2/feeds/collections/${open}/objects/`;

  beforeAll(async () => {
    store = createMemoryCollectionStore({
      collections: [
        { id: open, title: 'Open', readers: '*', writers: ['alice'] },
        // Bob may drop objects in but not read them back.
        { id: dropbox, title: 'Drop box', readers: ['alice'], writers: ['bob'] },
      ],
    });
    const counting: TaxiiCollectionStore = {
      ...store,
      addObjects(...args) {
        addCalls++;
        return store.addObjects(...args);
      },
    };
    const failing: TaxiiCollectionStore = {
      ...store,
      async listCollections() {
        throw new Error('connection refused: password=hunter2hunter2');
      },
      async deleteObject() {
        throw new CeError('NOT_SUPPORTED', 'this collection keeps every version');
      },
    };
    const handler = createTaxiiServer({
      basePath: '/taxii2',
      discovery: { title: 'Hostile test', contact: 'soc@example.com' },
      apiRoots: {
        feeds: { title: 'Feeds', store: counting, maxContentLength },
        failing: { title: 'Failing', store: failing },
      },
      authenticate: createStaticAuthenticator({
        users: [
          { username: 'alice', password: 'alice-password-1' },
          { username: 'bob', password: 'bob-password-2' },
        ],
      }),
      maxPageSize: 5,
      logger,
    });
    running = await listen((req, res) =>
      handler(req, res, () => {
        res.statusCode = 418;
        res.end('not mine');
      }),
    );
    store.add(
      open,
      Array.from({ length: 12 }, (_, index) => indicator(index + 1)),
    );
  });

  afterAll(async () => {
    await running.close();
  });

  it('serves discovery and API roots with the exact media type', async () => {
    const discovery = await call('/taxii2/');
    expect(discovery.status).toBe(200);
    expect(discovery.headers.get('content-type')).toBe(taxii);
    expect(discovery.json).toEqual({
      title: 'Hostile test',
      contact: 'soc@example.com',
      api_roots: [`${running.origin}/taxii2/feeds/`, `${running.origin}/taxii2/failing/`],
    });
    expect((await call('/taxii2')).status).toBe(200);
    const root = await call('/taxii2/feeds/');
    expect(root.json).toEqual({ title: 'Feeds', versions: [taxii], max_content_length: maxContentLength });
  });

  it('passes requests outside basePath to next()', async () => {
    const outside = await fetch(`${running.origin}/other/taxii2/`);
    expect(outside.status).toBe(418);
    expect(await outside.text()).toBe('not mine');
  });

  it('negotiates media types: 406 on an unacceptable Accept, 415 on a wrong Content-Type', async () => {
    for (const accept of [
      'text/html',
      'application/json',
      'application/taxii+json;version=2.0',
      'application/taxii+json;q=0',
    ]) {
      const response = await call('/taxii2/', { headers: { accept } });
      expect(response.status, accept).toBe(406);
      expect(response.json).toMatchObject({ title: 'Not acceptable', http_status: '406' });
    }
    for (const accept of [
      'application/taxii+json',
      'application/taxii+json; version=2.1',
      'text/html, */*;q=0.1',
    ]) {
      expect((await call('/taxii2/', { headers: { accept } })).status, accept).toBe(200);
    }
    const noAccept = await fetch(`${running.origin}/taxii2/`, {
      headers: { authorization: alice, accept: '' },
    });
    expect(noAccept.status).toBe(200);

    for (const contentType of [
      'application/json',
      'application/stix+json;version=2.1',
      'application/taxii+json;version=2.0',
    ]) {
      const response = await post(objectsPath, '{"objects":[]}', { 'content-type': contentType });
      expect(response.status, contentType).toBe(415);
    }
    expect(addCalls).toBe(0);
  });

  it('answers 401 with a challenge, and 403 when the principal lacks the permission', async () => {
    const anonymous = await fetch(`${running.origin}/taxii2/`, { headers: { accept: taxii } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Basic realm="TAXII"');
    expect(await anonymous.json()).toEqual({ title: 'Authentication required', http_status: '401' });
    const wrong = await call('/taxii2/', { headers: { authorization: basic('alice', 'guess') } });
    expect(wrong.status).toBe(401);
    const garbage = await call('/taxii2/', { headers: { authorization: 'Basic !!!' } });
    expect(garbage.status).toBe(401);

    const bobReads = await call(`/taxii2/feeds/collections/${dropbox}/objects/`, {
      headers: { authorization: bob },
    });
    expect(bobReads.status).toBe(403);
    const bobWritesOpen = await post(objectsPath, JSON.stringify({ objects: [indicator(99)] }), {
      authorization: bob,
    });
    expect(bobWritesOpen.status).toBe(403);
    const bobDrops = await post(
      `/taxii2/feeds/collections/${dropbox}/objects/`,
      JSON.stringify({ objects: [indicator(98)] }),
      {
        authorization: bob,
      },
    );
    expect(bobDrops.status).toBe(202);
    expect(bobDrops.json).toMatchObject({ status: 'complete', success_count: 1 });
    // Alice cannot read Bob's status resource.
    expect((await call(`/taxii2/feeds/status/${bobDrops.json.id as string}/`)).status).toBe(404);
    expect(
      (await call(`/taxii2/feeds/status/${bobDrops.json.id as string}/`, { headers: { authorization: bob } }))
        .status,
    ).toBe(200);
    const bobDeletes = await call(`/taxii2/feeds/collections/${open}/objects/${indicator(1).id}/`, {
      method: 'DELETE',
      headers: { authorization: bob },
    });
    expect(bobDeletes.status).toBe(403);
  });

  it('answers 404 for unknown roots, collections, objects and path tricks', async () => {
    const paths = [
      '/taxii2/nope/',
      `/taxii2/feeds/collections/${uuid(0x77)}/`,
      `/taxii2/feeds/collections/${uuid(0x77)}/objects/`,
      `${objectsPath}indicator--${uuid(0x77)}/`,
      `${objectsPath}indicator--${uuid(0x77)}/versions/`,
      '/taxii2/feeds/collections/..%2F..%2Fetc%2Fpasswd/objects/',
      '/taxii2/feeds/collections/%2e%2e/objects/',
      '/taxii2/feeds/%2e%2e/%2e%2e/',
      '/taxii2/feeds/collections/%00/',
      '/taxii2/feeds/collections/%E0%A4%A/',
      '/taxii2/feeds/collections/a%5Cb/',
      `${objectsPath}x/y/z/`,
      '/taxii2/__proto__/',
      '/taxii2/constructor/',
      '/taxii2/feeds/unknown/',
      '/taxii2/feeds/status/',
    ];
    for (const path of paths) {
      // node:http sends the path as written; fetch would resolve the dot segments first.
      const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(`${running.origin}/`, {
          path,
          headers: { accept: taxii, authorization: alice },
        });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => {
            body += chunk.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(response.status, path).toBe(404);
      expect(JSON.parse(response.body).http_status, path).toBe('404');
    }
  });

  it('answers 405 with Allow for a method an endpoint does not have', async () => {
    const response = await call(objectsPath, { method: 'PUT', body: '{}' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, POST');
  });

  it('validates filters: 400 for a bad limit, added_after, version or next; limit is capped', async () => {
    for (const query of [
      'limit=0',
      'limit=-1',
      'limit=abc',
      'added_after=yesterday',
      'match[version]=newest',
      `next=${'x'.repeat(2_000)}`,
      'next=bad',
    ]) {
      const response = await call(`${objectsPath}?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.json.http_status).toBe('400');
    }
    const capped = await call(`${objectsPath}?limit=1000`);
    expect((capped.json.objects as unknown[]).length).toBe(5);
    expect(capped.json.more).toBe(true);
    expect(capped.headers.get('x-taxii-date-added-first')).toMatch(/Z$/);
    expect(capped.headers.get('x-taxii-date-added-last')).toMatch(/Z$/);
    const next = capped.json.next as string;
    const page2 = await call(`${objectsPath}?next=${encodeURIComponent(next)}`);
    expect((page2.json.objects as { id: string }[])[0]?.id).toBe(indicator(6).id);
    expect(
      capped.headers.get('x-taxii-date-added-last')! < page2.headers.get('x-taxii-date-added-first')!,
    ).toBe(true);
    const empty = await call(`${objectsPath}?match[type]=malware`);
    expect(empty.json).toEqual({ more: false });
    expect(empty.headers.get('x-taxii-date-added-first')).toBeNull();
  });

  it('answers 413 from Content-Length without reading the body', async () => {
    const before = addCalls;
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${running.origin}${objectsPath}`, {
        method: 'POST',
        headers: {
          accept: taxii,
          authorization: alice,
          'content-type': taxii,
          'content-length': String(10 * 1024 * 1024 * 1024),
        },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('{"objects":[');
    });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toMatchObject({ title: 'Request body too large', http_status: '413' });
    expect(addCalls).toBe(before);
  });

  it('closes the connection instead of draining a body it refused before reading', async () => {
    const response = await new Promise<{ status: number; connection: string | undefined }>(
      (resolve, reject) => {
        const req = httpRequest(`${running.origin}${objectsPath}`, {
          method: 'POST',
          headers: {
            accept: taxii,
            authorization: alice,
            'content-type': 'text/plain',
            'content-length': String(50_000_000),
          },
        });
        req.on('response', (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection });
        });
        req.on('error', reject);
        req.write('x'.repeat(1_000));
      },
    );
    expect(response).toEqual({ status: 415, connection: 'close' });
  });

  it('answers 413 to a streamed body once it passes max_content_length, holding no more than that', async () => {
    let written = 0;
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${running.origin}${objectsPath}`, {
        method: 'POST',
        headers: {
          accept: taxii,
          authorization: alice,
          'content-type': taxii,
          'transfer-encoding': 'chunked',
        },
      });
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      let stop = false;
      req.on('response', (res) => {
        stop = true;
        let body = '';
        res.on('data', (part: Buffer) => {
          body += part.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', (error) => (stop ? undefined : reject(error)));
      const pump = (): void => {
        while (!stop && written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
      };
      req.write('{"objects":[');
      pump();
    });
    expect(response.status).toBe(413);
    expect(written).toBeLessThan(64 * 1024 * 1024);
    // The server is still healthy afterwards.
    expect((await call('/taxii2/')).status).toBe(200);
  });

  it('answers 422 to bad JSON, a non-envelope and a deeply nested document', async () => {
    const deep = `{"objects":[${'['.repeat(20_000)}${']'.repeat(20_000)}]}`;
    const bodies = [
      '{"objects":[',
      'not json',
      '[]',
      '{"objects":{}}',
      '{}',
      'null',
      deep,
      `{"objects":[{"a":"${'\\"['.repeat(10)}"}]}`,
    ];
    const expected = [422, 422, 422, 422, 422, 422, 422, 202];
    for (const [index, body] of bodies.entries()) {
      const response = await post(objectsPath, body);
      expect(response.status, body.slice(0, 40)).toBe(expected[index]);
      if (response.status === 422) expect(response.json.title).toBe('Unprocessable envelope');
    }
  });

  it('reports items that are not STIX objects as per-object failures', async () => {
    const response = await post(
      objectsPath,
      JSON.stringify({
        objects: [indicator(50), 42, { id: 'x' }, { type: 'indicator', id: 'indicator--bad' }],
      }),
    );
    expect(response.status).toBe(202);
    expect(response.json).toMatchObject({
      status: 'complete',
      total_count: 4,
      success_count: 1,
      failure_count: 3,
      pending_count: 0,
    });
    const status = await call(`/taxii2/feeds/status/${response.json.id as string}/`);
    expect(status.json).toEqual(response.json);
  });

  it('turns a store failure into a 500 with a TAXII error body and a log line without secrets', async () => {
    const response = await call('/taxii2/failing/collections/');
    expect(response.status).toBe(500);
    expect(response.json).toEqual({ title: 'Internal server error', http_status: '500' });
    const record = logger.records.find((entry) => entry.message === 'taxii request failed');
    expect(record?.fields).toMatchObject({
      method: 'GET',
      path: '/taxii2/failing/collections/',
      code: 'INTERNAL',
    });
    expect(JSON.stringify(logger.records)).not.toContain('hunter2');
    expect(JSON.stringify(logger.records)).not.toContain('alice-password-1');
  });

  it('answers 403 with the reason when the store does not support the operation', async () => {
    const response = await call(`/taxii2/failing/collections/${open}/objects/${indicator(1).id}/`, {
      method: 'DELETE',
    });
    expect(response.status).toBe(403);
    expect(response.json).toEqual({
      title: 'Forbidden',
      description: 'this collection keeps every version',
      http_status: '403',
    });
  });

  it('survives a client that disconnects mid-body', async () => {
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${running.origin}${objectsPath}`, {
        method: 'POST',
        headers: { accept: taxii, authorization: alice, 'content-type': taxii, 'content-length': '1000' },
      });
      req.on('error', () => resolve());
      req.write('{"objects":[', () => {
        req.destroy();
        resolve();
      });
    });
    expect((await call('/taxii2/')).status).toBe(200);
  });
});
