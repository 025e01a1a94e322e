import { secretString } from '@ce/core';
import type { TaxiiAuth } from '@ce/taxii';
import { z } from 'zod';

/** STIX cyber-observable types the source also reads when `includeObservables` is on. */
export const observableStixTypes = [
  'url',
  'domain-name',
  'ipv4-addr',
  'ipv6-addr',
  'email-addr',
  'file',
] as const;

/** How the plugin authenticates to the TAXII server. */
export const taxiiAuthKinds = ['none', 'basic', 'bearer', 'header'] as const;

// The credentials are one object with a `kind` discriminator rather than a zod union: the host
// finds secret fields by walking objects (`findSecretPaths`), and it does not look inside unions,
// so a union would leave the password in the plain configuration. The refinement below gives the
// same per-kind requirements a discriminated union would.
const headerNamePattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Credentials: `{ kind: 'none' }`, `{ kind: 'basic', username, password }`,
 * `{ kind: 'bearer', token }` or `{ kind: 'header', name, value }` (an API key in a header).
 */
export const taxiiAuthSchema = z
  .object({
    /** Which scheme. @default 'none' */
    kind: z.enum(taxiiAuthKinds).default('none').describe('none, basic, bearer or header'),
    /** User name (`basic`). */
    username: z.string().min(1).max(256).optional().describe('User name (basic)'),
    /** Password (`basic`). */
    password: secretString('Password (basic)').optional(),
    /** Token (`bearer`). */
    token: secretString('Bearer token').optional(),
    /** Header name (`header`), e.g. `x-api-key`. */
    name: z
      .string()
      .regex(headerNamePattern, 'not a valid header name')
      .max(128)
      .optional()
      .describe('Header name (header)'),
    /** Header value (`header`). */
    value: secretString('Header value (header)').optional(),
  })
  .superRefine((auth, context) => {
    const need = (field: 'username' | 'password' | 'token' | 'name' | 'value'): void => {
      if (auth[field] === undefined)
        context.addIssue({
          code: 'custom',
          path: [field],
          message: `${auth.kind} authentication needs "${field}"`,
        });
    };
    if (auth.kind === 'basic') {
      need('username');
      need('password');
    } else if (auth.kind === 'bearer') need('token');
    else if (auth.kind === 'header') {
      need('name');
      need('value');
      if (auth.name && /^(host|content-type|content-length|accept)$/i.test(auth.name))
        context.addIssue({
          code: 'custom',
          path: ['name'],
          message: `"${auth.name}" cannot carry credentials`,
        });
    }
  });

/** Settings of the TAXII plugin. */
export const taxiiConfigSchema = z.object({
  /** The discovery URL (`https://cti.example.com/taxii2/`) or the URL of one API root. */
  url: z.url({ protocol: /^https?$/ }).describe('TAXII discovery or API root URL'),
  /**
   * The API root to use, absolute or relative to `url`.
   * @default the discovery's default API root (or `url` itself when it is an API root)
   */
  apiRoot: z.string().min(1).max(2_048).optional().describe('API root (default: the discovery default)'),
  /** The collection: its id, or its alias or title (looked up in the API root's collections). */
  collection: z.string().trim().min(1).max(512).describe('Collection id, alias or title'),
  /** Credentials. @default { kind: 'none' } */
  auth: taxiiAuthSchema.prefault({}),
  /**
   * TAXII version; `auto` asks the server (2.1 first, then 2.0).
   * @default 'auto'
   */
  version: z.enum(['auto', '2.1', '2.0']).default('auto').describe('TAXII version'),
  /** Objects per page of a pull. @default 1000 */
  pageSize: z.number().int().min(1).max(10_000).default(1_000).describe('Objects per page'),
  /** How far back the first pull reaches (`added_after` = now minus this many days). @default 7 */
  initialRangeDays: z
    .number()
    .int()
    .min(1)
    .max(3_650)
    .default(7)
    .describe('Days the first pull reaches back'),
  /** STIX types to read (`match[type]`). @default ['indicator'] */
  types: z
    .array(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'not a STIX type name'))
    .min(1)
    .max(50)
    .default(['indicator'])
    .describe('STIX types to read'),
  /**
   * Also read cyber-observables (`url`, `domain-name`, `ipv4-addr`, `ipv6-addr`, `email-addr`,
   * `file`) and turn them into indicators.
   * @default false
   */
  includeObservables: z.boolean().default(false).describe('Also turn observables into indicators'),
  /** Skip indicators whose STIX `confidence` is below this; those without one are kept. */
  minConfidence: z.number().int().min(0).max(100).optional().describe('Least confidence pulled'),
  /** Client-side request budget. */
  requestsPerSecond: z.number().positive().max(100).optional().describe('Requests per second'),
});

/** The plugin's configuration, as validated. */
export type TaxiiPluginConfig = z.output<typeof taxiiConfigSchema>;

/** The client credentials of a configuration, or `undefined` for none. */
export function taxiiAuthOf(config: TaxiiPluginConfig): TaxiiAuth | undefined {
  const { auth } = config;
  switch (auth.kind) {
    case 'basic':
      return { kind: 'basic', username: auth.username ?? '', password: auth.password ?? '' };
    case 'bearer':
      return { kind: 'bearer', token: auth.token ?? '' };
    case 'header':
      return { kind: 'header', name: auth.name ?? '', value: auth.value ?? '' };
    default:
      return undefined;
  }
}

/** The STIX types a pull asks for: `types`, plus the observable types when they are wanted. */
export function pullTypesOf(config: TaxiiPluginConfig): string[] {
  const types = new Set(config.types);
  if (config.includeObservables) for (const type of observableStixTypes) types.add(type);
  return [...types];
}
