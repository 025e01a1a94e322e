import { type HttpClientOptions, secretString } from '@ce/core';
import { z } from 'zod';
import { netskopeTokenHeader } from './netskope-api.js';

const tenantNamePattern = /^[a-z0-9][a-z0-9-]*$/i;
const hostPattern = /^[a-z0-9-]+(\.[a-z0-9-]+)+(:\d+)?$/i;

/**
 * The settings every Netskope capability shares: which tenant, its tokens, and how fast to call
 * it. The threat exchange configuration extends them, and so will the log shipper's.
 */
export const netskopeTenantSettingsShape = {
  /**
   * The tenant: its name (`acme` for `https://acme.goskope.com`), its host name
   * (`acme.eu.goskope.com`), or a full base URL (`https://acme.goskope.com`, or a mock's
   * `http://127.0.0.1:port`).
   */
  tenant: z
    .string()
    .trim()
    .min(1)
    .refine(
      (text) =>
        tenantNamePattern.test(text) || hostPattern.test(text) || /^https?:\/\/[^\s/]+\/?$/i.test(text),
      'expected a tenant name (acme), a host name (acme.goskope.com) or a base URL (https://acme.goskope.com)',
    )
    .describe('Tenant name, host name or base URL'),
  /** REST API v2 token, sent as `Netskope-Api-Token`. */
  apiToken: secretString('REST API v2 token'),
  /** REST API v1 token; only the file hash list action needs it (the v2 API has no such endpoint). */
  v1Token: secretString('REST API v1 token, for the file hash list').optional(),
  /**
   * Client-side rate limit. The REST API v2 allows about 4 requests per second per endpoint; one
   * budget for all endpoints keeps every endpoint under it.
   */
  requestsPerSecond: z
    .number()
    .positive()
    .max(50)
    .default(4)
    .describe('Requests per second to the tenant (the API allows about 4 per endpoint)'),
} as const;

/** zod schema of the shared tenant settings. */
export const netskopeTenantSettingsSchema = z.object(netskopeTenantSettingsShape);

/** The shared tenant settings. */
export type NetskopeTenantSettings = z.output<typeof netskopeTenantSettingsSchema>;

/**
 * The tenant's base URL, without a trailing slash: `acme` gives `https://acme.goskope.com`, a host
 * name gets `https://`, a URL is kept (its path dropped).
 */
export function netskopeBaseUrl(tenant: string): string {
  const text = tenant.trim();
  if (/^https?:\/\//i.test(text)) return new URL(text).origin;
  if (text.includes('.')) return `https://${text.toLowerCase()}`;
  return `https://${text.toLowerCase()}.goskope.com`;
}

/**
 * The HTTP client settings for a tenant: base URL, the `Netskope-Api-Token` header and one rate
 * limit for the whole configuration, so that the threat exchange and (later) the log shipper of
 * one configuration share one budget.
 *
 * @example
 * ```ts
 * definePlugin({ ..., http: (config) => netskopeHttpSettings(config) });
 * ```
 */
export function netskopeHttpSettings(settings: NetskopeTenantSettings): Partial<HttpClientOptions> {
  const requestsPerSecond = settings.requestsPerSecond;
  return {
    baseUrl: netskopeBaseUrl(settings.tenant),
    headers: { [netskopeTokenHeader.toLowerCase()]: settings.apiToken },
    // Burst 1 spaces requests evenly, so no one-second window ever holds more than the rate.
    rateLimit: { requestsPerSecond, burst: 1 },
  };
}
