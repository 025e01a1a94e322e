import { CeError, type RiskObservationInput } from '@ce/core';
import { z } from 'zod';
import { definePlugin } from '../define-plugin.js';
import { runRiskActionContract, runRiskSourceContract } from './risk-exchange-contract.js';

// A small, correct vendor in memory: 25 scored users, paged by 10, and groups of members.
const vendors = new Map<
  string,
  { users: RiskObservationInput[]; groups: Map<string, Set<string>>; failures: number[] }
>();

function vendor(name: string) {
  const found = vendors.get(name);
  if (!found) throw new CeError('NOT_FOUND', `no vendor ${name}`);
  return found;
}

const memoryRiskPlugin = definePlugin({
  id: 'memory-risk',
  name: 'Memory risk',
  version: '1.0.0',
  description: 'contract fixture',
  modules: ['cre'],
  configSchema: z.object({ name: z.string().min(1) }),
  cre: {
    source: {
      entityTypes: () => ['user'],
      defaultNormalization: () => ({ strategy: 'linear', min: 0, max: 100, invert: true, version: '1' }),
      async pull(context, request) {
        const { users, failures } = vendor(context.config.name);
        const status = failures.shift();
        if (status !== undefined) throw new CeError('HTTP_AUTH_FAILED', `answered ${status}`);
        const offset = typeof request.checkpoint === 'number' ? request.checkpoint : 0;
        const page = users.slice(offset, offset + 10);
        return {
          observations: page,
          checkpoint: offset + page.length,
          more: offset + page.length < users.length,
        };
      },
    },
    actions: {
      actions: () => [
        {
          id: 'add-to-group',
          name: 'Add to group',
          entityTypes: ['user'],
          parameters: z.object({ group: z.string().min(1) }),
          revertible: true,
          maxBatch: 50,
        },
      ],
      async execute(context, request) {
        const { groups } = vendor(context.config.name);
        const group = String(request.parameters.group);
        const members = groups.get(group) ?? new Set<string>();
        groups.set(group, members);
        return request.items.map((item) => {
          const email = item.entity.keys.email ?? item.entity.id;
          if (item.revert) members.delete(email);
          else members.add(email);
          return { idempotencyKey: item.idempotencyKey, ok: true as const };
        });
      },
    },
  },
});

let next = 0;
const setupVendor = () => {
  const name = `vendor-${++next}`;
  vendors.set(name, {
    users: Array.from({ length: 25 }, (_, index) => ({
      entityType: 'user',
      identity: { email: `user${index}@contract-test.example` },
      fields: { department: index % 2 ? 'sales' : 'it' },
      value: index % 5 === 0 ? null : index * 4,
      observedAt: '2026-01-01T00:00:00Z',
    })),
    groups: new Map(),
    failures: [],
  });
  return name;
};

runRiskSourceContract(memoryRiskPlugin, {
  setup: async () => {
    const name = setupVendor();
    return {
      config: { name },
      failNext: (status) => vendor(name).failures.push(status),
      teardown: async () => {
        vendors.delete(name);
      },
    };
  },
});

runRiskActionContract(memoryRiskPlugin, {
  setup: async () => {
    const name = setupVendor();
    return {
      config: { name },
      parameters: { 'add-to-group': { group: 'risky-users' } },
      entities: {
        user: {
          id: 'u1',
          type: 'user',
          keys: { email: 'user1@contract-test.example' },
          aliases: [],
          fields: {},
        },
      },
      inEffect: async (_action, parameters, entity) =>
        vendor(name)
          .groups.get(String(parameters.group))
          ?.has(entity.keys.email ?? '') ?? false,
      teardown: async () => {
        vendors.delete(name);
      },
    };
  },
});
