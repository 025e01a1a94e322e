import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMockServer, type MockServer } from './mock-server.js';

let server: MockServer;

beforeEach(async () => {
  server = await createMockServer();
});

afterEach(async () => {
  await server.close();
});

describe('createMockServer', () => {
  it('listens on 127.0.0.1 with an ephemeral port', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.port).toBeGreaterThan(0);
  });

  it('routes with :params and RegExp, and records requests', async () => {
    server.route('POST', '/api/v2/items/:id', (req) => ({
      status: 201,
      json: { id: req.params.id, got: req.json(), q: req.query.a, all: req.searchParams.getAll('a') },
    }));
    server.route('GET', /^\/raw\/(?<name>\w+)$/, (req) => ({ body: `hello ${req.params.name}` }));
    const created = await fetch(`${server.url}/api/v2/items/42?a=1&a=2`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test': 'yes' },
      body: JSON.stringify({ name: 'x' }),
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ id: '42', got: { name: 'x' }, q: '1', all: ['1', '2'] });
    expect(await (await fetch(`${server.url}/raw/world`)).text()).toBe('hello world');
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: '/api/v2/items/42',
      query: { a: '1' },
      body: '{"name":"x"}',
    });
    expect(server.requests[0]?.headers['x-test']).toBe('yes');
    expect(() => server.expectHeader('x-test', 'yes')).toThrow(/request 1 \(GET \/raw\/world\) lacks/);
    server.expectHeader('host', /^127\.0\.0\.1:/);
  });

  it('answers 404 JSON for an unknown route and 500 when a handler throws', async () => {
    const missing = await fetch(`${server.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found' });
    server.route('GET', '/boom', () => {
      throw new Error('kaput');
    });
    const boom = await fetch(`${server.url}/boom`);
    expect(boom.status).toBe(500);
    expect(await boom.json()).toMatchObject({ message: 'kaput' });
  });

  it('replaces a route registered twice', async () => {
    server.route('GET', '/x', () => ({ json: 1 }));
    server.route('GET', '/x', () => ({ json: 2 }));
    expect(await (await fetch(`${server.url}/x`)).json()).toBe(2);
  });

  it('requires a bearer token and reports missing headers', async () => {
    server.requireBearer('s3cret-token').route('GET', '/me', () => ({ json: { ok: true } }));
    expect((await fetch(`${server.url}/me`)).status).toBe(401);
    const ok = await fetch(`${server.url}/me`, { headers: { authorization: 'Bearer s3cret-token' } });
    expect(ok.status).toBe(200);
    expect(() => server.expectHeader('authorization', 'Bearer s3cret-token')).toThrow(/request 0/);
    expect(() => server.expectHeader('authorization', /^Bearer /)).toThrow(/lacks/);
  });

  it('injects faults: statuses, full responses and connection resets', async () => {
    server.route('GET', '/x', () => ({ json: { ok: true } }));
    server
      .failNext(1, 503)
      .failNext(1, { status: 429, headers: { 'retry-after': '7' } })
      .failNext(1, 'reset');
    expect((await fetch(`${server.url}/x`)).status).toBe(503);
    const limited = await fetch(`${server.url}/x`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    await expect(fetch(`${server.url}/x`)).rejects.toThrow();
    expect((await fetch(`${server.url}/x`)).status).toBe(200);
  });

  it('rate limits with 429 and Retry-After', async () => {
    server.rateLimit({ limit: 2, windowMs: 60_000, retryAfterSeconds: 30 });
    server.route('GET', '/x', () => ({ json: {} }));
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${server.url}/x`)).status);
    expect(statuses).toEqual([200, 200, 429]);
    const limited = await fetch(`${server.url}/x`);
    expect(limited.headers.get('retry-after')).toBe('30');
  });

  it('compresses bodies on request', async () => {
    server.route('GET', '/gz', () => ({ json: { big: 'a'.repeat(1000) }, compress: 'gzip' }));
    const { request } = await import('undici');
    const response = await request(`${server.url}/gz`);
    expect(response.headers['content-encoding']).toBe('gzip');
    const raw = Buffer.from(await response.body.arrayBuffer());
    expect(JSON.parse(gunzipSync(raw).toString())).toEqual({ big: 'a'.repeat(1000) });
  });

  it('paginates with cursors', async () => {
    const items = Array.from({ length: 5 }, (_, i) => ({ id: i }));
    server.route('GET', '/items', server.paginate(items, { pageSize: 2, style: 'cursor' }));
    const seen: unknown[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?cursor=${cursor}` : '';
      const page = (await (await fetch(`${server.url}/items${query}`)).json()) as {
        items: unknown[];
        next_cursor: string | null;
      };
      seen.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(items);
  });

  it('paginates with offsets', async () => {
    const items = Array.from({ length: 5 }, (_, i) => i);
    server.route('GET', '/items', server.paginate(items, { pageSize: 2, style: 'offset', itemsKey: 'data' }));
    const page = await (await fetch(`${server.url}/items?offset=4&limit=10`)).json();
    expect(page).toEqual({ data: [4], total: 5, offset: 4, limit: 2 });
  });

  it('paginates with Link headers', async () => {
    const items = Array.from({ length: 5 }, (_, i) => i);
    server.route('GET', '/items', server.paginate(items, { pageSize: 3, style: 'link' }));
    const seen: unknown[] = [];
    let next: string | undefined = `${server.url}/items?filter=x`;
    while (next) {
      const response: Response = await fetch(next);
      seen.push(...((await response.json()) as unknown[]));
      next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
    }
    expect(seen).toEqual(items);
    expect(server.requests.map((r) => r.query)).toEqual([
      { filter: 'x' },
      { filter: 'x', page: '2', per_page: '3' },
    ]);
  });

  it('tracks requests in flight and delays responses', async () => {
    server.delay(30).route('GET', '/slow', () => ({ json: {} }));
    await Promise.all([1, 2, 3].map(() => fetch(`${server.url}/slow`).then((r) => r.json())));
    expect(server.maxInFlight).toBe(3);
    expect(server.inFlight).toBe(0);
  });

  it('reset forgets routes, requests and behaviours', async () => {
    server
      .route('GET', '/x', () => ({ json: {} }))
      .requireBearer('abcdef')
      .failNext(3);
    await fetch(`${server.url}/x`);
    server.reset();
    expect(server.requests).toHaveLength(0);
    expect((await fetch(`${server.url}/x`)).status).toBe(404);
  });
});
