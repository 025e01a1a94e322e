import { z } from 'zod';

/**
 * The parts of the CrowdStrike Falcon API this plugin speaks: the OAuth2 token endpoint and the
 * IOC management (custom indicators) endpoints, with the response envelope every Falcon API
 * shares. Shapes follow CrowdStrike's published API specification (the swagger behind
 * `falconpy` and `rusty-falcon`: `domain.AccessTokenResponseV1`, `api.IndicatorV1`,
 * `api.IndicatorRespV1`, `api.IndicatorQueryRespV1`, `msaspec.Error`).
 *
 * @module
 */

/** Falcon clouds and their API base URLs. */
export const crowdStrikeClouds = {
  /** US-1, the commercial cloud. */
  'us-1': 'https://api.crowdstrike.com',
  /** US-2. */
  'us-2': 'https://api.us-2.crowdstrike.com',
  /** EU-1. */
  'eu-1': 'https://api.eu-1.crowdstrike.com',
  /** US-GOV-1 (Falcon on GovCloud). */
  'us-gov-1': 'https://api.laggar.gcw.crowdstrike.com',
} as const;

/** A Falcon cloud name. */
export type CrowdStrikeCloud = keyof typeof crowdStrikeClouds;

/** Paths of the endpoints the plugin calls. */
export const crowdStrikeApiPaths = {
  /** `POST`: client credentials (form-encoded) for a bearer token. */
  token: '/oauth2/token',
  /** `GET`: indicators with their details, filtered by FQL, paged with `after`. */
  combinedIndicators: '/iocs/combined/indicator/v1',
  /** `GET`: indicator ids only, filtered by FQL; `meta.pagination.total` counts them. */
  queryIndicators: '/iocs/queries/indicators/v1',
  /** `POST` creates, `PATCH` updates, `DELETE` removes (by `ids` or `filter`), `GET` reads by `ids`. */
  entities: '/iocs/entities/indicators/v1',
} as const;

/** Indicator types the IOC management API accepts. */
export const crowdStrikeIndicatorTypes = ['sha256', 'md5', 'domain', 'ipv4', 'ipv6'] as const;
/** An IOC management indicator type. */
export type CrowdStrikeIndicatorType = (typeof crowdStrikeIndicatorTypes)[number];

/** What a host does when it observes an indicator. */
export const crowdStrikeActions = ['no_action', 'allow', 'prevent_no_ui', 'detect', 'prevent'] as const;
/** An IOC action. */
export type CrowdStrikeAction = (typeof crowdStrikeActions)[number];

/** IOC severities, least to most severe. */
export const crowdStrikeSeverities = ['informational', 'low', 'medium', 'high', 'critical'] as const;
/** An IOC severity. */
export type CrowdStrikeSeverity = (typeof crowdStrikeSeverities)[number];

/** Platforms an indicator applies to on hosts (the mobile platforms use `mobile_action`). */
export const crowdStrikePlatforms = ['windows', 'mac', 'linux'] as const;
/** A host platform. */
export type CrowdStrikePlatform = (typeof crowdStrikePlatforms)[number];

/** Body of `POST /oauth2/token` (`domain.AccessTokenResponseV1`); Falcon answers 201. */
export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  /** Lifetime in seconds; Falcon issues 30-minute tokens (1799). */
  expires_in: z.number().int().positive(),
});

/** One entry of an envelope's `errors` (`msaspec.Error`). */
export const crowdStrikeErrorSchema = z.object({
  code: z.number().int(),
  message: z.string(),
  id: z.string().optional(),
});

/** A `msaspec.Error`. */
export type CrowdStrikeError = z.output<typeof crowdStrikeErrorSchema>;

/** `meta` of every envelope (`api.IndicatorsQueryMeta`): paging for queries, a trace id always. */
export const crowdStrikeMetaSchema = z.object({
  query_time: z.number(),
  trace_id: z.string(),
  powered_by: z.string().optional(),
  pagination: z
    .object({
      limit: z.number().int(),
      total: z.number().int(),
      offset: z.number().int().optional(),
      /** Cursor of the next page; absent or empty on the last one. */
      after: z.string().optional(),
      /** When the `after` cursor stops being valid (epoch seconds). */
      expires_at: z.number().optional(),
    })
    .optional(),
});

/** An indicator as the API returns it (`api.IndicatorV1`); fields the plugin does not read stay loose. */
export const crowdStrikeIndicatorSchema = z
  .object({
    id: z.string().optional(),
    type: z.string().optional(),
    value: z.string().optional(),
    action: z.string().optional(),
    severity: z.string().optional(),
    description: z.string().optional(),
    platforms: z.array(z.string()).nullish(),
    tags: z.array(z.string()).nullish(),
    source: z.string().optional(),
    expiration: z.string().optional(),
    expired: z.boolean().optional(),
    deleted: z.boolean().optional(),
    applied_globally: z.boolean().optional(),
    created_on: z.string().optional(),
    modified_on: z.string().optional(),
    created_by: z.string().optional(),
    modified_by: z.string().optional(),
    /** Set on the echo of an indicator a write refused (with `message`). */
    message_type: z.string().optional(),
    message: z.string().optional(),
  })
  .loose();

/** An `api.IndicatorV1`. */
export type CrowdStrikeIndicator = z.output<typeof crowdStrikeIndicatorSchema>;

/** Envelope of the indicator entity and combined endpoints (`api.IndicatorRespV1`). */
export const indicatorEnvelopeSchema = z.object({
  meta: crowdStrikeMetaSchema,
  resources: z.array(crowdStrikeIndicatorSchema).nullish(),
  errors: z.array(crowdStrikeErrorSchema).nullish(),
});

/** An `api.IndicatorRespV1`. */
export type IndicatorEnvelope = z.output<typeof indicatorEnvelopeSchema>;

/** Envelope of the id endpoints, and of `DELETE` (`api.IndicatorQueryRespV1`). */
export const idEnvelopeSchema = z.object({
  meta: crowdStrikeMetaSchema,
  resources: z.array(z.string()).nullish(),
  errors: z.array(crowdStrikeErrorSchema).nullish(),
});

/** An `api.IndicatorQueryRespV1`. */
export type IdEnvelope = z.output<typeof idEnvelopeSchema>;

/** One indicator of a create request (`api.IndicatorCreateReqV1`). */
export interface CrowdStrikeIndicatorCreate {
  type: CrowdStrikeIndicatorType;
  value: string;
  action: CrowdStrikeAction;
  severity: CrowdStrikeSeverity;
  platforms: CrowdStrikePlatform[];
  applied_globally: true;
  source?: string;
  description?: string;
  tags?: string[];
  /** RFC 3339 UTC; an expired indicator's action becomes `no_action`. */
  expiration?: string;
}

/** One indicator of an update request (`api.IndicatorUpdateReqV1`): the id and the fields to change. */
export type CrowdStrikeIndicatorUpdate = Omit<CrowdStrikeIndicatorCreate, 'type' | 'value'> & { id: string };

/** The rate-limit headers Falcon sends (names lower-cased as the HTTP client reports them). */
export const crowdStrikeRateLimitHeaders = {
  limit: 'x-ratelimit-limit',
  remaining: 'x-ratelimit-remaining',
  /** Epoch seconds at which a throttled client may call again (sent with 429). */
  retryAfter: 'x-ratelimit-retryafter',
} as const;

/**
 * Quotes a value for FQL: single quotes, with `\` and `'` escaped by a backslash.
 *
 * @example
 * ```ts
 * fqlString("o'brien.example"); // "'o\\'brien.example'"
 * ```
 */
export function fqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** An FQL list match, `field:['a','b']`. */
export function fqlAnyOf(field: string, values: ReadonlyArray<string>): string {
  return `${field}:[${values.map(fqlString).join(',')}]`;
}
