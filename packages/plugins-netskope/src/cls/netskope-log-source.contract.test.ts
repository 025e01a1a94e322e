import { runLogSourceContract } from '@ce/plugin-kit/testing';
import { startNetskopeMockServer } from '../mock/netskope-mock-server.js';
import { netskopeLogSource } from './netskope-log-source.js';

const token = 'v2-token-contract-logs-1';
// The harness's clock starts at 2026-01-01T00:00:00Z; the records sit in the hour before it.
const start = Date.parse('2026-01-01T00:00:00Z') / 1_000;

runLogSourceContract(netskopeLogSource, {
  setup: async () => {
    const server = await startNetskopeMockServer({
      token,
      requestsPerSecond: 1_000,
      pageSize: 4,
      generate: { perType: 10, events: ['page'], alerts: ['dlp'], from: start - 3_600, to: start - 60 },
    });
    return {
      config: {
        tenant: server.url,
        apiToken: token,
        requestsPerSecond: 50,
        events: ['page'],
        alerts: ['dlp'],
      },
      teardown: () => server.close(),
    };
  },
});
