import { definePlugin } from '@ce/plugin-kit';
import { pagerDutyConfigSchema } from './pagerduty-config.js';
import { checkPagerDuty, pagerDutyDestination } from './pagerduty-destination.js';

/**
 * PagerDuty as a ticket orchestrator destination over the Events API v2: each ticket is an alert
 * keyed by its dedup key (the ticket's idempotency key), triggered on create, re-triggered on
 * comments and reopen, resolved on resolve; with an optional REST API key, incidents are looked
 * up and their status synced by `incident_key`.
 *
 * @example
 * ```ts
 * const config = {
 *   routingKey: { secretRef: 'pagerduty-integration-key' },
 *   restApiKey: { secretRef: 'pagerduty-rest-key' }, // optional: status sync
 *   clientUrl: 'https://cloud-exchange.example.com',
 * };
 * ```
 */
export const pagerDutyPlugin = definePlugin({
  id: 'pagerduty',
  name: 'PagerDuty',
  version: '0.1.0',
  description:
    'Triggers, re-triggers and resolves PagerDuty alerts by dedup key (Events API v2); optionally syncs incident status through the REST API.',
  modules: ['cto'],
  configSchema: pagerDutyConfigSchema,
  capabilities: { check: true, 'cto.destination': true },
  check: checkPagerDuty,
  cto: { destination: pagerDutyDestination },
});
