/**
 * TAXII serving benchmark [target: one 1,000-object page in under 50 ms]: a memory collection of
 * 100,000 STIX 2.1 indicators behind `createTaxiiServer` (bearer authentication on), 200 requests
 * for pages spread over the collection (`limit=1000&next=...`), median and p95 of the time from
 * sending the request to having read the whole body. The baseline, in the same run and with the
 * same client, is a bare `node:http` server answering the same 1,000 objects pre-serialized.
 *
 * Run: `node --import tsx --conditions=@ce/source packages/taxii/bench/serve.bench.ts`
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createMemoryCollectionStore,
  createStaticAuthenticator,
  createTaxiiServer,
  type TaxiiObject,
  taxii21MediaType,
} from '../src/index.js';

const objectCount = 100_000;
const pageSize = 1_000;
const requests = 200;
const collectionId = '4f8e4a0c-6f57-4b55-9f4c-5a2a63f0c001';
const token = 'bench-token-0123456789';

function indicatorObject(n: number): TaxiiObject {
  const hex = n.toString(16).padStart(12, '0');
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--6d1b8f2e-8c0a-4c1e-9a53-${hex}`,
    created: '2026-01-01T00:00:00.000Z',
    modified: '2026-01-01T00:00:00.000Z',
    name: `Malicious IP ${n}`,
    indicator_types: ['malicious-activity'],
    pattern: `[ipv4-addr:value = '10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}']`,
    pattern_type: 'stix',
    valid_from: '2026-01-01T00:00:00Z',
    confidence: 80,
    labels: ['botnet'],
    object_marking_refs: ['marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da'],
  };
}

async function listen(listener: RequestListener): Promise<{ server: Server; origin: string }> {
  const server = createServer(listener);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function timed(url: string, headers: Record<string, string>): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const response = await fetch(url, { headers });
  const body = await response.arrayBuffer();
  const ms = performance.now() - started;
  if (response.status !== 200) throw new Error(`status ${response.status}`);
  return { ms, bytes: body.byteLength };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function main(): Promise<void> {
  const loadStarted = performance.now();
  const store = createMemoryCollectionStore({
    collections: [{ id: collectionId, title: 'Bench indicators' }],
  });
  for (let start = 0; start < objectCount; start += 10_000) {
    const batch: TaxiiObject[] = [];
    for (let n = start; n < start + 10_000; n++) batch.push(indicatorObject(n));
    store.add(collectionId, batch);
  }
  console.log(`loaded ${objectCount} indicators in ${Math.round(performance.now() - loadStarted)} ms`);

  const taxii = await listen(
    createTaxiiServer({
      discovery: { title: 'Bench' },
      apiRoots: { bench: { title: 'Bench', store } },
      authenticate: createStaticAuthenticator({ tokens: [{ token, principal: { id: 'bench' } }] }),
      maxPageSize: pageSize,
    }),
  );
  const headers = { accept: taxii21MediaType, authorization: `Bearer ${token}` };
  const objectsUrl = `${taxii.origin}/taxii2/bench/collections/${collectionId}/objects/?limit=${pageSize}`;

  // Walk the collection once to collect the next tokens of every page (also the warm-up).
  const pageUrls: string[] = [objectsUrl];
  let firstPage = '';
  for (;;) {
    const response = await fetch(pageUrls[pageUrls.length - 1] as string, { headers });
    const text = await response.text();
    if (!firstPage) firstPage = text;
    const envelope = JSON.parse(text) as { more: boolean; next?: string; objects: unknown[] };
    if (!envelope.more || !envelope.next) break;
    pageUrls.push(`${objectsUrl}&next=${encodeURIComponent(envelope.next)}`);
  }
  console.log(`${pageUrls.length} pages of ${pageSize}`);

  const baselineBody = Buffer.from(firstPage);
  const baseline = await listen((_req, res) => {
    res.writeHead(200, { 'content-type': taxii21MediaType, 'content-length': String(baselineBody.length) });
    res.end(baselineBody);
  });

  const measure = async (
    urlOf: (index: number) => string,
  ): Promise<{ median: number; p95: number; bytes: number }> => {
    for (let i = 0; i < 20; i++) await timed(urlOf(i), headers);
    const samples: number[] = [];
    let bytes = 0;
    for (let i = 0; i < requests; i++) {
      const result = await timed(urlOf(i), headers);
      samples.push(result.ms);
      bytes = result.bytes;
    }
    samples.sort((a, b) => a - b);
    return { median: percentile(samples, 50), p95: percentile(samples, 95), bytes };
  };

  // Pages spread over the whole collection (37 is coprime with 100).
  const taxiiResult = await measure((i) => pageUrls[(i * 37) % pageUrls.length] as string);
  const baselineResult = await measure(() => `${baseline.origin}/`);
  const round = (ms: number) => ms.toFixed(2);
  console.log(
    `TAXII server   : median ${round(taxiiResult.median)} ms, p95 ${round(taxiiResult.p95)} ms per ${pageSize}-object page (${Math.round(taxiiResult.bytes / 1024)} KiB)`,
  );
  console.log(
    `bare node:http : median ${round(baselineResult.median)} ms, p95 ${round(baselineResult.p95)} ms (same bytes, pre-serialized)`,
  );
  console.log(
    `ratio          : median ${(taxiiResult.median / baselineResult.median).toFixed(2)}x, p95 ${(taxiiResult.p95 / baselineResult.p95).toFixed(2)}x; target < 50 ms: ${taxiiResult.p95 < 50 ? 'met' : 'MISSED'}`,
  );
  taxii.server.closeAllConnections();
  baseline.server.closeAllConnections();
  taxii.server.close();
  baseline.server.close();
}

await main();
