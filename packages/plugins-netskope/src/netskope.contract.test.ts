import { readFileSync } from 'node:fs';
import { runThreatDestinationContract, runThreatSourceContract } from '@ce/plugin-kit/testing';
import { netskopePlugin } from './cte/netskope-plugin.js';
import { startNetskopeMockServer } from './mock/netskope-mock-server.js';

const token = 'v2-token-contract-123';
const v1Token = 'v1-token-contract-456';
const fileHashList = 'ce-contract-hashes';

// The fixtures' alerts, moved to the last hour so the first pull (7 days back) reads them all.
function recentAlerts(name: string, offsetSeconds: number): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = JSON.parse(
    readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'),
  );
  const now = Math.floor(Date.now() / 1_000);
  return records.map((record, index) => ({ ...record, timestamp: now - offsetSeconds + index * 10 }));
}

const setup = async () => {
  const server = await startNetskopeMockServer({
    token,
    v1Token,
    requestsPerSecond: 1_000,
    pageSize: 2,
    waitTimeSeconds: 0,
    alerts: {
      malsite: recentAlerts('malsite-alerts.json', 3_600),
      malware: recentAlerts('malware-alerts.json', 1_800),
    },
    // v1 cannot create a file hash list: an administrator creates it in the console first.
    fileHashLists: { [fileHashList]: [] },
  });
  return {
    config: { tenant: server.url, apiToken: token, v1Token, requestsPerSecond: 50 },
    teardown: () => server.close(),
  };
};

runThreatSourceContract(netskopePlugin, { setup });
runThreatDestinationContract(netskopePlugin, {
  setup,
  actionParameters: {
    'url-list': { listName: 'ce-contract-block' },
    'file-hash-list': { listName: fileHashList },
  },
});
