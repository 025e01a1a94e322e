import { runThreatDestinationContract, runThreatSourceContract } from '@ce/plugin-kit/testing';
import { credentials, startTaxiiServer, stixIndicator, uuid } from './__fixtures__/taxii-test-server.js';
import { taxiiPlugin } from './taxii-plugin.js';

// A real TAXII 2.1 server holding a few indicators, read two per page so a pull spans several
// batches, and writable by the same credentials so pushes and retractions land.
const setup = async () => {
  const server = await startTaxiiServer({
    collections: [
      {
        id: uuid(1),
        title: 'Contract',
        readers: ['writer'],
        writers: ['writer'],
        objects: [
          stixIndicator(1, "[domain-name:value = 'c2.contract-taxii.example']"),
          stixIndicator(2, "[ipv4-addr:value = '203.0.113.7']"),
          stixIndicator(3, "[ipv6-addr:value = '2001:db8::7']"),
          stixIndicator(4, `[file:hashes.MD5 = '${'b'.repeat(31)}1']`),
          stixIndicator(5, "[url:value = 'http://contract-taxii.example/x']"),
        ],
      },
    ],
  });
  return {
    config: {
      url: server.url,
      collection: 'Contract',
      auth: { kind: 'bearer', token: credentials.writerToken },
      pageSize: 2,
      initialRangeDays: 3650,
    },
    teardown: () => server.close(),
  };
};

runThreatSourceContract(taxiiPlugin, { setup });
runThreatDestinationContract(taxiiPlugin, { setup });
