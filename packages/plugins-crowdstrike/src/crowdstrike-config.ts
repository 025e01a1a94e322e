import { secretString } from '@ce/core';
import { z } from 'zod';
import {
  crowdStrikeActions,
  crowdStrikeClouds,
  crowdStrikeIndicatorTypes,
  crowdStrikePlatforms,
  crowdStrikeSeverities,
} from './crowdstrike-api.js';

const cloudNames = Object.keys(crowdStrikeClouds) as [
  keyof typeof crowdStrikeClouds,
  ...Array<keyof typeof crowdStrikeClouds>,
];
const severity = z.enum(crowdStrikeSeverities);

/** Settings of the pull (source) side. */
export const crowdStrikePullSchema = z.object({
  /** Indicator types to pull. @default all five */
  types: z
    .array(z.enum(crowdStrikeIndicatorTypes))
    .min(1)
    .default([...crowdStrikeIndicatorTypes])
    .describe('Indicator types to pull'),
  /** Pull only indicators whose `source` is one of these; empty pulls every source. @default [] */
  sources: z.array(z.string().min(1).max(256)).max(50).default([]).describe('Only these IOC sources'),
  /**
   * Skip indicators whose source is the push `source` label, so the exchange does not read back
   * what it wrote.
   * @default true
   */
  excludeOwnSource: z.boolean().default(true).describe('Skip indicators this exchange pushed'),
  /** Pull expired indicators too. @default false */
  includeExpired: z.boolean().default(false).describe('Also pull expired indicators'),
  /** Pull only indicators created at or after this time (ISO 8601). */
  createdSince: z.iso.datetime({ offset: true }).optional().describe('Only indicators created since'),
  /** How far back the first pull reaches, in days. @default 7 */
  initialRangeDays: z
    .number()
    .int()
    .min(1)
    .max(3_650)
    .default(7)
    .describe('Days the first pull reaches back'),
  /** Indicators per page. @default 1000 */
  pageSize: z.number().int().min(1).max(2_000).default(1_000).describe('Indicators per page'),
});

/** Settings of the push (destination) side; an action's parameters override them per rule. */
export const crowdStrikePushSchema = z.object({
  /** Action used when a rule's action does not say. @default 'detect' */
  action: z.enum(crowdStrikeActions).default('detect').describe('Default IOC action'),
  /** Platforms the indicators apply to. @default ['windows', 'mac', 'linux'] */
  platforms: z
    .array(z.enum(crowdStrikePlatforms))
    .min(1)
    .default([...crowdStrikePlatforms])
    .describe('Platforms the IOCs apply to'),
  /** How the exchange's severities map to Falcon's. */
  severityMap: z
    .object({
      unknown: severity.default('informational'),
      low: severity.default('low'),
      medium: severity.default('medium'),
      high: severity.default('high'),
      critical: severity.default('critical'),
    })
    .prefault({})
    .describe('Exchange severity to Falcon severity'),
  /**
   * Days until a pushed indicator expires (its action then becomes `no_action`); without it the
   * indicator's own expiry is used, if any.
   */
  expirationDays: z.number().int().min(1).max(3_650).optional().describe('Days until pushed IOCs expire'),
  /** The `source` label written on every pushed indicator. @default 'Cloud Exchange' */
  source: z.string().min(1).max(256).default('Cloud Exchange').describe('Source label of pushed IOCs'),
  /** Tags added to every pushed indicator. @default [] */
  tags: z.array(z.string().min(1).max(128)).max(20).default([]).describe('Tags added to pushed IOCs'),
  /** Ask Falcon for retroactive detections on hosts that already saw the indicator. @default false */
  retrodetects: z.boolean().default(false).describe('Generate retroactive detections'),
  /** Create indicators despite Falcon's warnings (e.g. a hash of a common file). @default true */
  ignoreWarnings: z.boolean().default(true).describe('Create IOCs despite warnings'),
});

/** Settings of the CrowdStrike Falcon plugin. */
export const crowdStrikeConfigSchema = z.object({
  /**
   * The Falcon cloud (`us-1`, `us-2`, `eu-1`, `us-gov-1`) or the API base URL itself.
   * @default 'us-1'
   */
  baseUrl: z
    .union([z.enum(cloudNames), z.url({ protocol: /^https?$/ })])
    .default('us-1')
    .describe('Falcon cloud (us-1, us-2, eu-1, us-gov-1) or API base URL'),
  /** OAuth2 client id of an API client with the "IOC Manager APIs" read (and write, to push) scope. */
  clientId: z.string().trim().min(1).max(128).describe('API client id'),
  /** OAuth2 client secret. */
  clientSecret: secretString('API client secret'),
  /** In a multi-CID (Flight Control) tenant, the member CID the token acts for. */
  memberCid: z
    .string()
    .regex(/^[0-9a-fA-F]{32}(-[0-9a-fA-F]{2})?$/, 'expected a 32-character hexadecimal CID')
    .optional()
    .describe('Member CID (multi-CID tenants)'),
  /** Client-side request budget. @default 10 */
  requestsPerSecond: z.number().positive().max(100).default(10).describe('Requests per second'),
  /**
   * Longest wait for a 429's `X-RateLimit-RetryAfter` before giving up with `HTTP_RATE_LIMITED`.
   * @default 60
   */
  maxRateLimitWaitSeconds: z.number().int().min(0).max(600).default(60).describe('Longest rate-limit wait'),
  /** Pull settings. */
  pull: crowdStrikePullSchema.prefault({}),
  /** Push settings. */
  push: crowdStrikePushSchema.prefault({}),
  /**
   * Most indicators the tenant may hold; Falcon refuses writes beyond 1,000,000. New indicators
   * over this count fail with a reason instead of being sent.
   * @default 1000000
   */
  maxIocs: z.number().int().min(1).max(1_000_000).default(1_000_000).describe('Most IOCs on the tenant'),
});

/** The plugin's configuration, as validated. */
export type CrowdStrikeConfig = z.output<typeof crowdStrikeConfigSchema>;

/** Resolves `baseUrl` (a cloud name or a URL) to the API base URL, without a trailing slash. */
export function resolveBaseUrl(baseUrl: CrowdStrikeConfig['baseUrl']): string {
  const url =
    baseUrl in crowdStrikeClouds ? crowdStrikeClouds[baseUrl as keyof typeof crowdStrikeClouds] : baseUrl;
  return url.replace(/\/+$/, '');
}
