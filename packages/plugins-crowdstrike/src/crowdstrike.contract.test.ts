import { runThreatDestinationContract, runThreatSourceContract } from '@ce/plugin-kit/testing';
import { startCrowdStrikeMockServer } from './crowdstrike-mock-server.js';
import { crowdStrikePlugin } from './crowdstrike-plugin.js';

const clientId = 'cs-contract-client-id';
const clientSecret = 'cs-contract-secret-Qw19x4Kp';

// A tenant holding IOCs added in its console (not by the exchange, whose own pushes the source
// skips), read two per page so that a pull spans several batches.
const setup = async () => {
  const falcon = await startCrowdStrikeMockServer({
    clientId,
    clientSecret,
    indicators: [
      { type: 'domain', value: 'c2.contract-falcon.example', source: 'threat-intel-team', severity: 'high' },
      { type: 'ipv4', value: '203.0.113.7', source: 'threat-intel-team', action: 'detect' },
      { type: 'ipv6', value: '2001:db8::7', source: 'threat-intel-team' },
      { type: 'md5', value: 'b'.repeat(31) + '1', source: 'threat-intel-team', action: 'prevent' },
      { type: 'sha256', value: 'a'.repeat(63) + '2', source: 'threat-intel-team', severity: 'critical' },
    ],
  });
  return {
    config: { baseUrl: falcon.url, clientId, clientSecret, pull: { pageSize: 2 } },
    teardown: () => falcon.close(),
  };
};

runThreatSourceContract(crowdStrikePlugin, { setup });
runThreatDestinationContract(crowdStrikePlugin, { setup });
