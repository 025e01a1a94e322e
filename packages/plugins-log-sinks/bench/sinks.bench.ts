/**
 * Records per second through the webhook and Elasticsearch sinks to their mock receivers on
 * loopback, beside a bare node:http POST of the same bytes to a fresh instance of the same mock
 * (keep-alive, one request at a time, as the shipper delivers). The ratio is the sink's cost over
 * the raw transfer: encoding, the HTTP client, and reading the response.
 *
 * Run: node --import tsx --conditions=@ce/source packages/plugins-log-sinks/bench/sinks.bench.ts
 */
import { Agent, request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { type EventRecord, type LogBatch, systemClock } from '@ce/core';
import { createPluginHarness } from '@ce/plugin-kit';
import {
  documentId,
  elasticsearchDocument,
  elasticsearchSink,
  elasticsearchSinkPlugin,
  encodeWebhookBody,
  expandIndexName,
  signWebhookBody,
  startElasticsearchMockServer,
  startWebhookMockServer,
  webhookSink,
  webhookSinkPlugin,
} from '../src/index.js';

const batchSize = Number(process.env.BATCH ?? 500);
const batches = Number(process.env.BATCHES ?? 200);
// The machine is shared: each side runs several rounds, alternating, and keeps its best.
const rounds = Number(process.env.ROUNDS ?? 4);

function pageEvent(n: number): EventRecord {
  return {
    _id: `a1b2c3d4e5f6a7b8c9d0${String(n).padStart(8, '0')}`,
    type: 'page',
    timestamp: 1767225600 + Math.floor(n / 10),
    access_method: 'Client',
    app: 'Google Drive',
    appcategory: 'Cloud Storage',
    category: 'Cloud Storage',
    ccl: 'excellent',
    count: 1,
    domain: 'drive.google.com',
    dstip: '142.250.72.110',
    hostname: `laptop-${n % 500}`,
    os: 'Windows 11',
    page: `drive.google.com/drive/folders/${n}`,
    site: 'Google Drive',
    srcip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
    traffic_type: 'CloudApp',
    transaction_id: String(3458764513820540928n + BigInt(n)),
    ur_normalized: `user${n % 2000}@example.com`,
    url: `https://drive.google.com/drive/folders/${n}?usp=sharing`,
    user: `user${n % 2000}@example.com`,
    useragent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36',
  };
}

function makeBatches(offset: number): LogBatch[] {
  return Array.from({ length: batches }, (_, b) => ({
    id: `events-page:${offset}:${b}`,
    format: 'json' as const,
    items: Array.from({ length: batchSize }, (_, i) => {
      const record = pageEvent(offset + b * batchSize + i);
      return {
        id: String(record._id),
        stream: 'events/page',
        payload: JSON.stringify(record),
        record,
        timestamp: (record.timestamp as number) * 1_000,
      };
    }),
  }));
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
function post(url: string, headers: Record<string, string>, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode && res.statusCode < 300 ? resolve() : reject(new Error(`status ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Figure {
  name: string;
  sinkPerSecond: number;
  barePerSecond: number;
}

async function timed(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

async function webhook(name: string, options: { gzip: boolean; signingSecret?: string }): Promise<Figure> {
  const total = batches * batchSize;
  // A short warm-up round, then measured rounds on fresh receivers; best of each side kept.
  const best = { sink: 0, bare: 0 };
  for (let round = 0; round <= rounds; round++) {
    const measured = round > 0;
    const sinkBatches = makeBatches(measured ? 1_000_000 * round : 0).slice(0, measured ? batches : 20);
    const receiver = await startWebhookMockServer({
      ...(options.signingSecret ? { signingSecret: options.signingSecret } : {}),
    });
    const harness = createPluginHarness(webhookSinkPlugin, {
      clock: systemClock,
      config: {
        url: receiver.url,
        body: 'ndjson',
        gzip: options.gzip,
        ...(options.signingSecret ? { signingSecret: options.signingSecret } : {}),
      },
    });
    const session = await harness.run((ctx) => webhookSink.open(ctx));
    const sinkMs = await timed(async () => {
      for (const batch of sinkBatches) await session.deliver(batch, new AbortController().signal);
    });
    await session.close();
    await harness.close();
    await receiver.close();

    const bare = await startWebhookMockServer({
      ...(options.signingSecret ? { signingSecret: options.signingSecret } : {}),
    });
    const contents = sinkBatches.map((batch) => ({
      id: batch.id,
      content: Buffer.from(encodeWebhookBody(batch, { body: 'ndjson', envelope: false }).body),
    }));
    // The bare side compresses and signs inside the timed loop: that work is the protocol's, not
    // overhead of the sink, so the ratio shows only what the sink adds.
    const bareMs = await timed(async () => {
      for (const { id, content } of contents) {
        const headers: Record<string, string> = {
          'content-type': 'application/x-ndjson',
          'idempotency-key': id,
        };
        if (options.signingSecret)
          headers['x-ce-signature'] = signWebhookBody(
            options.signingSecret,
            content,
            Math.floor(Date.now() / 1_000),
          );
        if (options.gzip) headers['content-encoding'] = 'gzip';
        await post(bare.url, headers, options.gzip ? gzipSync(content) : content);
      }
    });
    await bare.close();
    if (measured) {
      best.sink = Math.max(best.sink, (total / sinkMs) * 1_000);
      best.bare = Math.max(best.bare, (total / bareMs) * 1_000);
    }
  }
  return { name, sinkPerSecond: best.sink, barePerSecond: best.bare };
}

async function elasticsearch(): Promise<Figure> {
  const total = batches * batchSize;
  const best = { sink: 0, bare: 0 };
  for (let round = 0; round <= rounds; round++) {
    const measured = round > 0;
    const sinkBatches = makeBatches(measured ? 2_000_000 * round : 0).slice(0, measured ? batches : 20);
    const es = await startElasticsearchMockServer();
    const harness = createPluginHarness(elasticsearchSinkPlugin, {
      clock: systemClock,
      config: { url: es.url },
    });
    const session = await harness.run((ctx) => elasticsearchSink.open(ctx));
    const sinkMs = await timed(async () => {
      for (const batch of sinkBatches) await session.deliver(batch, new AbortController().signal);
    });
    await session.close();
    await harness.close();
    await es.close();

    const bare = await startElasticsearchMockServer();
    const config = { document: 'payload' as const, timestampField: '@timestamp' };
    const bodies = sinkBatches.map((batch) => {
      const lines: string[] = [];
      for (const item of batch.items) {
        const index = expandIndexName('ce-logs-%Y.%m.%d', item.timestamp ?? 0);
        lines.push(
          `{"create":{"_index":${JSON.stringify(index)},"_id":${JSON.stringify(documentId(item.id))}}}`,
        );
        lines.push(elasticsearchDocument(item, batch.format, config) as string);
      }
      return Buffer.from(`${lines.join('\n')}\n`);
    });
    const bareMs = await timed(async () => {
      for (const body of bodies)
        await post(`${bare.url}/_bulk`, { 'content-type': 'application/x-ndjson' }, body);
    });
    await bare.close();
    if (measured) {
      best.sink = Math.max(best.sink, (total / sinkMs) * 1_000);
      best.bare = Math.max(best.bare, (total / bareMs) * 1_000);
    }
  }
  return { name: 'elasticsearch _bulk', sinkPerSecond: best.sink, barePerSecond: best.bare };
}

const figures = [
  await webhook('webhook ndjson', { gzip: false }),
  await webhook('webhook ndjson gzip + HMAC', { gzip: true, signingSecret: 'bench-signing-secret-0123' }),
  await elasticsearch(),
];
agent.destroy();
console.log(
  `${batches} batches x ${batchSize} records (Netskope-like page events, ~${JSON.stringify(pageEvent(1)).length} bytes each), loopback, sequential deliveries, best of ${rounds} rounds`,
);
console.log('sink                          sink rec/s    bare POST rec/s   sink/bare');
for (const figure of figures) {
  console.log(
    `${figure.name.padEnd(30)}${Math.round(figure.sinkPerSecond).toLocaleString('en').padStart(11)}${Math.round(
      figure.barePerSecond,
    )
      .toLocaleString('en')
      .padStart(18)}${(figure.sinkPerSecond / figure.barePerSecond).toFixed(2).padStart(12)}`,
  );
}
