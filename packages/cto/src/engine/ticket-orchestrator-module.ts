import type { ModuleFactory } from '@ce/core';
import { TicketOrchestrator, type TicketOrchestratorOptions } from './ticket-orchestrator.js';

/**
 * The ticket orchestrator module for `createCloudExchange`. Its API is `exchange.modules.cto`.
 *
 * @example
 * ```ts
 * const exchange = await createCloudExchange({ storage, plugins: [jiraPlugin], modules: [ticketOrchestrator()] });
 * await exchange.start();
 * const cto = exchange.modules.cto;
 * await cto.putQueue({ id: 'soc', destinationConfigId: 'jira', target: { project: 'SEC', issueType: 'Task' } });
 * await cto.putRule({ id: 'dlp', condition: 'type = "dlp" and severity gte "high"', queueId: 'soc' });
 * await cto.submit([{ id: 'a-1', type: 'dlp', name: 'PCI data to personal cloud', severity: 'high', timestamp: Date.now() }], { sourceConfigId: 'api' });
 * ```
 */
export function ticketOrchestrator(
  options: TicketOrchestratorOptions = {},
): ModuleFactory<'cto', TicketOrchestrator> {
  return {
    name: 'cto',
    create(host) {
      const orchestrator = new TicketOrchestrator(host, options);
      return {
        name: 'cto',
        api: orchestrator,
        start: () => orchestrator.start(),
        stop: () => orchestrator.stop(),
        onConfigurationChanged: (change) => orchestrator.onConfigurationChanged(change),
      };
    },
  };
}
