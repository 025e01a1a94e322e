import { CeError, type LogBatch } from '@ce/core';
import { z } from 'zod';
import { definePlugin } from '../define-plugin.js';
import { runLogSinkContract } from './log-sink-contract.js';

// A small, correct sink: an in-memory destination shared through a registry keyed by name.
const destinations = new Map<string, string[]>();

const memorySinkPlugin = definePlugin({
  id: 'memory-sink',
  name: 'Memory sink',
  version: '1.0.0',
  description: 'contract fixture',
  modules: ['cls'],
  configSchema: z.object({ name: z.string().min(1) }),
  cls: {
    sink: {
      formats: ['json', 'cef'],
      limits: () => ({ maxBatchItems: 500, maxBatchBytes: 1_000_000 }),
      async open(context) {
        const destination = destinations.get(context.config.name);
        if (!destination) throw new CeError('NOT_FOUND', 'no such destination');
        let closed = false;
        return {
          async deliver(batch: LogBatch) {
            if (closed) throw new CeError('ABORTED', 'the session is closed');
            for (const item of batch.items) destination.push(item.payload);
            return {};
          },
          async close() {
            closed = true;
          },
        };
      },
    },
  },
});

let next = 0;
runLogSinkContract(memorySinkPlugin, {
  setup: async () => {
    const name = `destination-${++next}`;
    destinations.set(name, []);
    return {
      config: { name },
      read: async () => [...(destinations.get(name) ?? [])],
      teardown: async () => {
        destinations.delete(name);
      },
    };
  },
});
