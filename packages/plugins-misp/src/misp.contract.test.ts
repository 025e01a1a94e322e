import { runThreatDestinationContract, runThreatSourceContract } from '@ce/plugin-kit/testing';
import { mispPlugin } from './misp-plugin.js';
import { startMispMockServer } from './mock-misp-server.js';

const apiKey = 'contract0key0000000000000000000000000000';
// The harness's fake clock starts at 2026-01-01; attributes changed in the last days of 2025 fall
// inside the first pull's seven days.
const at = (iso: string): number => Math.floor(Date.parse(iso) / 1_000);

const setup = async () => {
  const misp = await startMispMockServer({
    apiKey,
    now: () => Date.parse('2026-01-01T00:00:00Z'),
    events: [
      {
        info: 'Contract campaign',
        threat_level_id: '1',
        tags: ['tlp:green'],
        attributes: [
          { type: 'domain', value: 'c2.contract-misp.example', timestamp: at('2025-12-30T10:00:00Z') },
          { type: 'ip-dst', value: '203.0.113.7', timestamp: at('2025-12-30T11:00:00Z') },
          {
            type: 'domain|ip',
            value: 'drop.contract-misp.example|198.51.100.9',
            timestamp: at('2025-12-30T12:00:00Z'),
          },
          { type: 'sha256', value: `${'a'.repeat(63)}2`, timestamp: at('2025-12-30T13:00:00Z') },
          { type: 'url', value: 'http://contract-misp.example/login', timestamp: at('2025-12-30T14:00:00Z') },
        ],
      },
    ],
  });
  return {
    config: { baseUrl: misp.url, apiKey, requestsPerSecond: 100, pull: { pageSize: 2 } },
    teardown: () => misp.close(),
  };
};

runThreatSourceContract(mispPlugin, { setup });
runThreatDestinationContract(mispPlugin, {
  setup,
  actionParameters: { 'add-to-event': { eventInfo: 'Contract push' } },
});
