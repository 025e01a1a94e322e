import { secretString, severityLevels } from '@ce/core';
import { z } from 'zod';
import { pagerDutyDefaultUrls, pagerDutyLimits, pagerDutySeverities } from './pagerduty-api.js';

const baseUrl = z
  .url({ protocol: /^https?$/ })
  .transform((url) => url.replace(/\/+$/, ''))
  .pipe(z.string());

/** Settings of {@link pagerDutyPlugin}. */
export const pagerDutyConfigSchema = z.object({
  /** The Events API v2 integration key of a service (or of an event ruleset): 32 characters. */
  routingKey: secretString('Events API v2 integration key (32 characters)').length(
    pagerDutyLimits.routingKeyLength,
    `the integration key has ${pagerDutyLimits.routingKeyLength} characters`,
  ),
  /** Base URL of the Events API. @default 'https://events.pagerduty.com' */
  eventsUrl: baseUrl.default(pagerDutyDefaultUrls.events).describe('Events API base URL'),
  /**
   * A REST API key (a read-only key is enough). Without it the Events API, which cannot be read,
   * is the only channel: incidents are not looked up and their status is not synced.
   */
  restApiKey: secretString('REST API v2 key (read-only is enough), for status sync').optional(),
  /** Base URL of the REST API. @default 'https://api.pagerduty.com' */
  restApiUrl: baseUrl.default(pagerDutyDefaultUrls.rest).describe('REST API base URL'),
  /** `payload.source` when the mapping renders none. @default 'Cloud Exchange' */
  source: z.string().min(1).max(1_024).default('Cloud Exchange').describe('Default payload.source'),
  /** `client` shown on the alert (the tool that raised it). @default 'Cloud Exchange' */
  client: z.string().min(1).max(256).default('Cloud Exchange').describe('client name on the alert'),
  /** `client_url` shown on the alert. */
  clientUrl: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('client URL on the alert'),
  /** Canonical severity to PagerDuty severity, over {@link defaultPagerDutySeverityMap}. */
  severityMap: z
    .partialRecord(z.enum(severityLevels), z.enum(pagerDutySeverities))
    .default({})
    .describe('severity to PagerDuty severity'),
  /**
   * What a comment (a deduplicated alert, new group members) does: `retrigger` sends a trigger
   * with the same dedup key, which PagerDuty appends to the open alert's log; `none` keeps
   * updates local.
   * @default 'retrigger'
   */
  updates: z.enum(['retrigger', 'none']).default('retrigger').describe('what comments do'),
  /**
   * Events per second the orchestrator may send; PagerDuty accepts about 120 a minute per
   * integration key. @default 2
   */
  requestsPerSecond: z.number().positive().max(100).default(2).describe('events per second'),
  /** Tickets per status sync call (one REST request each). @default 10 */
  maxSyncBatch: z.number().int().min(1).max(100).default(10).describe('tickets per sync call'),
});

/** The validated settings of the PagerDuty plugin. */
export type PagerDutyConfig = z.output<typeof pagerDutyConfigSchema>;
