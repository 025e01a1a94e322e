import { secretString } from '@ce/core';
import { z } from 'zod';
import { mispPullableTypes } from './misp-api.js';

const tagName = z.string().trim().min(1).max(255);

/** Settings of the pull (source) side. */
export const mispPullSchema = z.object({
  /**
   * Pull only attributes flagged for detection (`to_ids`), as MISP's own IDS exports do.
   * @default true
   */
  toIdsOnly: z.boolean().default(true).describe('Only attributes with the IDS flag'),
  /** Pull only attributes of published events. @default false */
  publishedOnly: z.boolean().default(false).describe('Only attributes of published events'),
  /** Attribute types to pull. @default every type the plugin maps */
  types: z
    .array(z.enum(mispPullableTypes))
    .min(1)
    .default([...mispPullableTypes])
    .describe('MISP attribute types to pull'),
  /** Attribute categories to pull (`Network activity`, `Payload delivery`, ...); empty pulls all. @default [] */
  categories: z.array(z.string().min(1).max(255)).max(20).default([]).describe('Only these categories'),
  /**
   * Pull only attributes carrying (or whose event carries) one of these tags; empty pulls all.
   * @default []
   */
  includeTags: z.array(tagName).max(50).default([]).describe('Only attributes with one of these tags'),
  /** Skip attributes carrying (or whose event carries) one of these tags. @default [] */
  excludeTags: z.array(tagName).max(50).default([]).describe('Skip attributes with these tags'),
  /**
   * Skip what this exchange pushed (attributes tagged `push.markerTag`), so a MISP used both ways
   * does not echo indicators back.
   * @default true
   */
  excludeOwnPushes: z.boolean().default(true).describe('Skip attributes this exchange pushed'),
  /** Pull only attributes of these events (numeric ids or uuids); empty pulls all. @default [] */
  eventIds: z.array(z.string().min(1).max(64)).max(100).default([]).describe('Only these events'),
  /**
   * Have MISP drop attributes on its warninglists (known benign values such as top domains),
   * which must never reach a blocking destination.
   * @default true
   */
  enforceWarninglist: z.boolean().default(true).describe('Drop attributes on MISP warninglists'),
  /** Ask MISP for decay scores and read them as confidence and reputation. @default false */
  includeDecayScore: z.boolean().default(false).describe('Read decaying model scores'),
  /** Skip attributes their decaying model considers expired (implies `includeDecayScore`). @default false */
  excludeDecayed: z.boolean().default(false).describe('Skip decayed attributes'),
  /** How far back the first pull reaches, in days. @default 7 */
  initialRangeDays: z
    .number()
    .int()
    .min(1)
    .max(3_650)
    .default(7)
    .describe('Days the first pull reaches back'),
  /** Attributes per restSearch page. @default 1000 */
  pageSize: z.number().int().min(1).max(10_000).default(1_000).describe('Attributes per page'),
});

/** Settings of the push (destination) side; an action's parameters override them per rule. */
export const mispPushSchema = z.object({
  /**
   * Tag written on the events and attributes the exchange creates; it finds the event again
   * after a restart and lets the source skip the exchange's own attributes.
   * @default 'cloud-exchange'
   */
  markerTag: tagName.default('cloud-exchange').describe('Tag marking what the exchange pushed'),
  /** Attribute type of pushed addresses and networks. @default 'ip-dst' */
  ipType: z.enum(['ip-dst', 'ip-src']).default('ip-dst').describe('Attribute type of IP addresses'),
  /** Attribute type of pushed email addresses. @default 'email-src' */
  emailType: z
    .enum(['email-src', 'email-dst', 'email'])
    .default('email-src')
    .describe('Attribute type of email addresses'),
  /** Attributes per `attributes/add` request. @default 500 */
  batchSize: z.number().int().min(1).max(5_000).default(500).describe('Attributes per request'),
});

const feedUrl = z.url({ protocol: /^https?$/ });

/** Settings of the MISP plugin. */
export const mispConfigSchema = z
  .object({
    /** Where to read indicators: MISP's REST API, or a MISP-format feed (manifest and event files). */
    mode: z.enum(['api', 'feed']).default('api').describe('Read from the REST API or a MISP feed'),
    /** The MISP instance, e.g. `https://misp.example.org`. Required to push and in `api` mode. */
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('MISP base URL'),
    /** The automation key of a MISP user (sent as `Authorization`). Required with `baseUrl`. */
    apiKey: secretString('MISP automation key').optional(),
    /** In `feed` mode: the feed's directory, holding `manifest.json` and `<event uuid>.json`. */
    feedUrl: feedUrl.optional().describe('MISP feed directory URL'),
    /** Client-side request budget. @default 5 */
    requestsPerSecond: z.number().positive().max(100).default(5).describe('Requests per second'),
    /** Pull settings. */
    pull: mispPullSchema.prefault({}),
    /** Push settings. */
    push: mispPushSchema.prefault({}),
  })
  .superRefine((config, context) => {
    if (config.mode === 'feed' && !config.feedUrl) {
      context.addIssue({ code: 'custom', path: ['feedUrl'], message: 'required in feed mode' });
    }
    if (config.mode === 'api' && !config.baseUrl) {
      context.addIssue({ code: 'custom', path: ['baseUrl'], message: 'required in api mode' });
    }
    if (config.baseUrl && !config.apiKey) {
      context.addIssue({ code: 'custom', path: ['apiKey'], message: 'required to call the MISP API' });
    }
  });

/** The plugin's configuration, as validated. */
export type MispConfig = z.output<typeof mispConfigSchema>;
