import { secretString } from '@ce/core';
import { z } from 'zod';

const noLineBreaks = (value: string) => !/[\r\n\0]/.test(value);

/** An email address (addr-spec): validated, and never carrying a line break into a header. */
export const emailAddressSchema = z
  .email({ error: 'not a valid email address' })
  .max(254)
  .refine(noLineBreaks, { error: 'an address must not contain line breaks' });

/** A header text from the configuration: a line break in it would inject headers, so it is refused. */
export const headerTextSchema = z.string().max(256).refine(noLineBreaks, {
  error: 'must not contain line breaks (they would inject mail headers)',
});

/** Settings of {@link emailPlugin}. */
export const emailConfigSchema = z
  .object({
    /** SMTP server host name or address. */
    host: z.string().min(1).max(253).describe('SMTP server host'),
    /** SMTP port: 587 (submission with STARTTLS), 465 (implicit TLS), 25. @default 587 */
    port: z.number().int().min(1).max(65_535).default(587).describe('SMTP port'),
    /**
     * Transport security: `starttls` (upgrade required, refuse a server without it), `tls`
     * (TLS from the first byte, port 465), `opportunistic` (STARTTLS when offered, otherwise
     * cleartext), `none` (never TLS; only for a relay on the same host).
     * @default 'starttls'
     */
    security: z
      .enum(['starttls', 'tls', 'opportunistic', 'none'])
      .default('starttls')
      .describe('transport security'),
    /** Login name; with `password`, the plugin logs in (AUTH PLAIN or LOGIN, as the server offers). */
    username: z.string().min(1).max(256).optional().describe('SMTP login'),
    /** Login password or app password. */
    password: secretString('SMTP password').optional(),
    /** Force one AUTH mechanism. */
    authMethod: z.enum(['PLAIN', 'LOGIN']).optional().describe('AUTH mechanism'),
    /** Extra trusted certificate authority (PEM), e.g. a private relay's CA. */
    ca: z.string().min(1).optional().describe('trusted CA (PEM)'),
    /** Verify the server certificate. Turn off only for a lab relay. @default true */
    rejectUnauthorized: z.boolean().default(true).describe('verify the server certificate'),
    /** Name the certificate must carry when `host` is an address. */
    servername: z.string().min(1).max(253).optional().describe('TLS server name'),
    /** Sender address (`From`, and the envelope sender). */
    from: emailAddressSchema.describe('sender address'),
    /** Sender display name. @default 'Cloud Exchange' */
    fromName: headerTextSchema.default('Cloud Exchange').describe('sender display name'),
    /** Recipients; a queue target's `to` replaces them. */
    to: z.array(emailAddressSchema).min(1).max(100).describe('recipients'),
    /** Copy recipients; a queue target's `cc` replaces them. @default [] */
    cc: z.array(emailAddressSchema).max(100).default([]).describe('copy recipients'),
    /** `Reply-To`, e.g. the SOC's shared mailbox. */
    replyTo: emailAddressSchema.optional().describe('Reply-To address'),
    /** Put before every subject. @default '[Cloud Exchange]' */
    subjectPrefix: headerTextSchema.default('[Cloud Exchange]').describe('subject prefix'),
    /** Domain of the Message-IDs; by default the domain of `from`. */
    messageIdDomain: z
      .string()
      .regex(
        /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
        'a domain name',
      )
      .optional()
      .describe('Message-ID domain'),
    /** Name sent with EHLO; by default the machine's host name. */
    clientName: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[A-Za-z0-9.-]+$/, 'a host name')
      .optional(),
    /** How long to wait for the connection, ms. @default 10000 */
    connectionTimeoutMs: z.number().int().positive().max(300_000).default(10_000),
    /** How long to wait for the greeting after connecting, ms. @default 10000 */
    greetingTimeoutMs: z.number().int().positive().max(300_000).default(10_000),
    /** Idle time allowed on the connection, ms. @default 30000 */
    socketTimeoutMs: z.number().int().positive().max(600_000).default(30_000),
    /** Messages per second the orchestrator may send. @default 5 */
    requestsPerSecond: z.number().positive().max(1_000).default(5),
  })
  .refine((config) => (config.username === undefined) === (config.password === undefined), {
    error: 'give both username and password, or neither',
    path: ['password'],
  });

/** The validated settings of the email plugin. */
export type EmailConfig = z.output<typeof emailConfigSchema>;
