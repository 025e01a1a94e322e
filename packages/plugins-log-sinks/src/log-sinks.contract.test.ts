import { gunzipSync } from 'node:zlib';
import { FakeClock } from '@ce/core';
import { runLogSinkContract } from '@ce/plugin-kit/testing';
import { startElasticsearchMockServer } from './elasticsearch-mock-server.js';
import { elasticsearchSinkPlugin } from './elasticsearch-sink.js';
import { startS3MockServer } from './s3-mock-server.js';
import { s3SinkPlugin } from './s3-sink.js';
import { startSplunkHecMockServer } from './splunk-hec-mock-server.js';
import { splunkHecSinkPlugin } from './splunk-hec-sink.js';
import { startWebhookMockServer } from './webhook-mock-server.js';
import { webhookSinkPlugin } from './webhook-sink.js';

// Signatures carry a time the receivers check, so the sinks and their mocks share one clock.
const clock = new FakeClock();

// The contract's payloads are free text (CEF lines, JSON-looking strings, line breaks), so the
// HTTP sinks run it with the `cef` format: each payload travels as a JSON string.

runLogSinkContract(webhookSinkPlugin, {
  format: 'cef',
  setup: async () => {
    const receiver = await startWebhookMockServer({ signingSecret: 'contract-signing-key-123', clock });
    return {
      config: { url: receiver.url, signingSecret: 'contract-signing-key-123', gzip: true },
      read: async () => receiver.records() as string[],
      teardown: () => receiver.close(),
    };
  },
  harness: { clock },
});

runLogSinkContract(splunkHecSinkPlugin, {
  format: 'cef',
  setup: async () => {
    const token = '0b6c3a1e-8d2f-4e7a-9c5b-1f2e3d4c5b6a';
    const hec = await startSplunkHecMockServer({ token, ackEnabled: true });
    return {
      config: { url: hec.url, token, useAck: true },
      read: async () => hec.events.map((event) => event.envelope.event as string),
      teardown: () => hec.close(),
    };
  },
});

runLogSinkContract(elasticsearchSinkPlugin, {
  format: 'cef',
  setup: async () => {
    const es = await startElasticsearchMockServer({ apiKey: 'Y29udHJhY3Q6a2V5LTEyMzQ1Ng==' });
    return {
      config: { url: es.url, apiKey: 'Y29udHJhY3Q6a2V5LTEyMzQ1Ng==' },
      read: async () => es.documents().map((doc) => doc.source.message as string),
      teardown: () => es.close(),
    };
  },
});

runLogSinkContract(s3SinkPlugin, {
  format: 'cef',
  setup: async () => {
    const credentials = {
      accessKeyId: 'AKIDCONTRACT0001',
      secretAccessKey: 'contract/secret+key/0123456789',
    };
    const s3 = await startS3MockServer({ credentials: [credentials], buckets: ['contract-logs'], clock });
    return {
      config: { ...credentials, bucket: 'contract-logs', endpoint: s3.url },
      read: async () =>
        [...s3.objects.values()].flatMap((object) =>
          gunzipSync(object.body)
            .toString('utf8')
            .split('\n')
            .filter((line) => line !== '')
            .map((line) => JSON.parse(line) as string),
        ),
      teardown: () => s3.close(),
    };
  },
  harness: { clock },
});
