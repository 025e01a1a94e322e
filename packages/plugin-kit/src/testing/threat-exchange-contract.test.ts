import { indicatorKeyString, secretString } from '@ce/core';
import { z } from 'zod';
import { definePlugin } from '../define-plugin.js';
import { createMockServer } from '../mock-server.js';
import { runThreatDestinationContract, runThreatSourceContract } from './threat-exchange-contract.js';

const token = 'contract-token-123456';
const pageSchema = z.object({
  items: z.array(z.object({ value: z.string() })),
  next_cursor: z.string().nullable(),
});

// A small, correct plugin: pages a cursor API as a source, and accepts batches as a destination.
const pagedPlugin = definePlugin({
  id: 'paged',
  name: 'Paged',
  version: '1.0.0',
  description: 'contract fixture',
  modules: ['cte'],
  configSchema: z.object({ baseUrl: z.url(), apiToken: secretString() }),
  http: (config) => ({ baseUrl: config.baseUrl, headers: { authorization: `Bearer ${config.apiToken}` } }),
  cte: {
    source: {
      mode: 'incremental',
      async *pull(context, checkpoint) {
        let cursor = typeof checkpoint === 'string' ? checkpoint : '';
        for (;;) {
          const { body } = await context.http.get('/iocs', {
            query: { cursor, limit: 2 },
            schema: pageSchema,
            signal: context.signal,
          });
          if (!body.next_cursor) {
            yield { indicators: body.items.map((item) => ({ value: item.value })), checkpoint: cursor };
            return;
          }
          cursor = body.next_cursor;
          yield { indicators: body.items.map((item) => ({ value: item.value })), checkpoint: cursor };
        }
      },
    },
    destination: {
      mode: 'incremental',
      limits: { maxBatchCount: 10 },
      getActions: () => [{ id: 'block', label: 'Block', indicatorTypes: ['domain', 'ipv4', 'sha256'] }],
      async push(context, indicators) {
        await context.http.post('/blocks', {
          json: { values: indicators.map((i) => i.value) },
          signal: context.signal,
        });
        return indicators.map((indicator) => ({ key: indicatorKeyString(indicator), ok: true as const }));
      },
      async retract(context, keys) {
        await context.http.post('/unblocks', {
          json: { values: keys.map((k) => k.value) },
          signal: context.signal,
        });
        return keys.map((key) => ({ key: indicatorKeyString(key), ok: true as const }));
      },
    },
  },
});

const setup = async () => {
  const server = await createMockServer();
  const items = ['a.example', 'b.example', '198.51.100.1', 'c.example', 'd.example'].map((value) => ({
    value,
  }));
  server
    .requireBearer(token)
    .route('GET', '/iocs', server.paginate(items, { pageSize: 2, style: 'cursor' }))
    .route('POST', '/blocks', () => ({ json: {} }))
    .route('POST', '/unblocks', () => ({ json: {} }));
  return { config: { baseUrl: server.url, apiToken: token }, teardown: () => server.close() };
};

runThreatSourceContract(pagedPlugin, { setup });
runThreatDestinationContract(pagedPlugin, { setup });
