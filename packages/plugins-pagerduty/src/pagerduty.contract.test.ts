import { runTicketDestinationContract } from '@ce/plugin-kit/testing';
import { startPagerDutyMockServer } from './pagerduty-mock-server.js';
import { pagerDutyPlugin } from './pagerduty-plugin.js';

const routingKey = 'R0ContractIntegrationKey00000001';
const restApiKey = 'u+contract-rest-key-Zq81';

runTicketDestinationContract(pagerDutyPlugin, {
  setup: async () => {
    const pagerDuty = await startPagerDutyMockServer({ routingKeys: [routingKey], restApiKey });
    return {
      config: { routingKey, restApiKey, eventsUrl: pagerDuty.url, restApiUrl: pagerDuty.url },
      target: {},
      failNext: (status, retryAfter) => pagerDuty.failNext(status, retryAfter),
      deleteRemote: async (remoteId) => pagerDuty.remove(remoteId),
      read: async (remoteId) => {
        const text = pagerDuty.text(remoteId);
        return text === undefined ? undefined : { text };
      },
      count: async (key) => pagerDuty.count(key),
      secrets: [routingKey, restApiKey],
      teardown: () => pagerDuty.close(),
    };
  },
});
