import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { indicator, listen, type RunningServer } from '../__fixtures__/test-server.js';
import type { TaxiiObject } from '../taxii-types.js';
import { TaxiiClient } from './taxii-client.js';

const taxii20 = 'application/vnd.oasis.taxii+json; version=2.0';
const stix20 = 'application/vnd.oasis.stix+json; version=2.0';

interface MockOptions {
  /** Answer 406 to anything but the 2.0 media types (like a strict 2.0 server). */
  strictAccept: boolean;
}

interface Recorded {
  method: string;
  url: string;
  accept: string | undefined;
  contentType: string | undefined;
  range: string | undefined;
  body?: unknown;
}

/** A small TAXII 2.0 server: Range paging, objects as STIX bundles, 2.0 status and manifest shapes. */
function taxii20Mock(objects: TaxiiObject[], options: MockOptions) {
  const requests: Recorded[] = [];
  const dateAdded = (index: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, index)).toISOString();
  const json = (
    res: ServerResponse,
    status: number,
    type: string,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { 'content-type': type, ...headers });
    res.end(JSON.stringify(body));
  };
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const record: Recorded = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        accept: req.headers.accept,
        contentType: req.headers['content-type'],
        range: req.headers.range,
      };
      if (chunks.length > 0) record.body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      requests.push(record);
      const accept = req.headers.accept ?? '';
      if (options.strictAccept && !accept.includes('vnd.oasis')) {
        json(res, 406, taxii20, { title: 'Not Acceptable', http_status: '406' });
        return;
      }
      if (path === '/taxii/') {
        json(res, 200, taxii20, { title: 'Old TAXII', default: '/api1/', api_roots: ['/api1/'] });
      } else if (path === '/api1/') {
        json(res, 200, taxii20, { title: 'API 1', versions: ['taxii-2.0'], max_content_length: 1_500 });
      } else if (path === '/api1/collections/') {
        json(res, 200, taxii20, {
          collections: [{ id: 'c1', title: 'One', can_read: true, can_write: true, media_types: [stix20] }],
        });
      } else if (path === '/api1/collections/c1/objects/' && req.method === 'POST') {
        const bundle = record.body as { type: string; objects: TaxiiObject[] };
        objects.push(...bundle.objects);
        json(res, 202, taxii20, {
          id: `status-${requests.length}`,
          status: 'complete',
          total_count: bundle.objects.length,
          success_count: bundle.objects.length,
          successes: bundle.objects.map((object) => object.id),
          failure_count: 0,
          pending_count: 0,
        });
      } else if (path === '/api1/collections/c1/objects/') {
        const range = /^items (\d+)-(\d+)$/.exec(req.headers.range ?? '');
        const start = range ? Number(range[1]) : 0;
        const end = range ? Math.min(Number(range[2]), objects.length - 1) : objects.length - 1;
        if (start >= objects.length) {
          json(res, 416, taxii20, { title: 'Range not satisfiable', http_status: '416' });
          return;
        }
        json(
          res,
          range ? 206 : 200,
          stix20,
          { type: 'bundle', id: 'bundle--1', spec_version: '2.0', objects: objects.slice(start, end + 1) },
          {
            'content-range': `items ${start}-${end}/${objects.length}`,
            'x-taxii-date-added-first': dateAdded(start),
            'x-taxii-date-added-last': dateAdded(end),
          },
        );
      } else if (path === '/api1/collections/c1/manifest/') {
        json(res, 200, taxii20, {
          objects: objects.map((object, index) => ({
            id: object.id,
            date_added: dateAdded(index),
            versions: [object.modified],
            media_types: [stix20],
          })),
        });
      } else {
        json(res, 404, taxii20, { title: 'Not found', http_status: '404' });
      }
    });
  };
  return { listener, requests };
}

describe('TaxiiClient against a TAXII 2.0 server', () => {
  let running: RunningServer | undefined;
  let client: TaxiiClient | undefined;
  afterEach(async () => {
    await client?.close();
    await running?.close();
  });

  it('detects 2.0 from a 406 on the 2.1 media type and pages with Range', async () => {
    const objects = Array.from({ length: 25 }, (_, index) => indicator(index + 1));
    const mock = taxii20Mock(objects, { strictAccept: true });
    running = await listen(mock.listener);
    client = new TaxiiClient({ url: `${running.origin}/taxii/`, http: { retry: false } });

    expect(await client.getVersion()).toBe('2.0');
    const root = await client.defaultApiRoot();
    expect(root).toBe(`${running.origin}/api1/`);
    expect((await client.getCollections(root)).map((collection) => collection.id)).toEqual(['c1']);

    const first = await client.getObjects(root, 'c1', { limit: 10, match: { type: 'indicator' } });
    expect(first.objects).toHaveLength(10);
    expect(first).toMatchObject({ more: true, next: '10' });
    const objectRequest = mock.requests.at(-1) as Recorded;
    expect(objectRequest.accept).toBe(stix20);
    expect(objectRequest.range).toBe('items 0-9');
    expect(objectRequest.url).toContain('match%5Btype%5D=indicator');
    expect(objectRequest.url).not.toContain('limit');

    const ids: string[] = [];
    const checkpoints: (string | undefined)[] = [];
    for await (const page of client.pollObjects(root, 'c1', { limit: 10 })) {
      ids.push(...page.objects.map((object) => object.id));
      checkpoints.push(page.checkpoint.addedAfter);
    }
    expect(ids).toEqual(objects.map((object) => object.id));
    expect(checkpoints).toEqual([
      '2026-01-01T00:00:09.000Z',
      '2026-01-01T00:00:19.000Z',
      '2026-01-01T00:00:24.000Z',
    ]);

    const pastEnd = await client.getObjects(root, 'c1', { limit: 10, next: '40' });
    expect(pastEnd).toMatchObject({ objects: [], more: false });

    const manifest = await client.getManifest(root, 'c1');
    expect(manifest.entries[0]).toMatchObject({
      id: objects[0]?.id,
      version: objects[0]?.modified,
      media_type: stix20,
    });
  });

  it('detects 2.0 from the response media type and posts bundles split under max_content_length', async () => {
    const objects: TaxiiObject[] = [];
    const mock = taxii20Mock(objects, { strictAccept: false });
    running = await listen(mock.listener);
    client = new TaxiiClient({ url: `${running.origin}/taxii/`, version: 'auto', http: { retry: false } });

    const toAdd = Array.from({ length: 8 }, (_, index) => indicator(index + 100));
    const result = await client.addObjects('/api1/', 'c1', toAdd);
    expect(result).toMatchObject({ complete: true, successCount: 8, failureCount: 0 });
    expect(result.successes.map((detail) => detail.id)).toEqual(toAdd.map((object) => object.id));
    const posts = mock.requests.filter((request) => request.method === 'POST');
    expect(posts.length).toBe(result.requests);
    expect(posts.length).toBeGreaterThan(1);
    for (const post of posts) {
      expect(post.contentType).toBe(stix20);
      expect(post.accept).toBe(taxii20);
      expect(post.body).toMatchObject({ type: 'bundle', spec_version: '2.0' });
      expect(Buffer.byteLength(JSON.stringify(post.body))).toBeLessThanOrEqual(1_500);
    }
    expect(objects).toHaveLength(8);
  });
});
