import { ConfigError, type FieldIssue, issuesFromZod, type Rule, ruleInputSchema } from '@ce/core';
import { z } from 'zod';
import type { MappingSet } from '../mapping/mapping-schema.js';
import { mappingSetSchema } from '../mapping/mapping-schema.js';
import type { Spool } from '../spool/spool.js';

/**
 * Opens the spool of one sink, in place of the built-in memory and disk spools. `durable` says
 * whether what it holds survives the process: with a spool that does not, a page's checkpoint is
 * stored only once every sink has acknowledged the page.
 */
export type SpoolOpener = (
  sinkId: string,
  options: { maxBytes: number },
) => Promise<{ spool: Spool; durable: boolean }>;

/** Which streams of a source a route reads; every stream when both lists are absent. */
export interface LogRouteStreams {
  /** Only events or only alerts. @default both */
  kinds?: ReadonlyArray<'event' | 'alert'>;
  /** Only these types (`page`, `dlp`...). @default every type */
  types?: ReadonlyArray<string>;
}

/** Syslog header options of a route with format `syslog` (RFC 5424 unless `format` says otherwise). */
export interface LogRouteSyslogOptions {
  /** Header format. @default 'rfc5424' */
  format?: 'rfc5424' | 'rfc3164';
  /** Facility name (`local0`) or code 0-23. @default 'user' */
  facility?: string | number;
  /** Severity when the mapping gives none. @default 'info' */
  severity?: string | number;
  /** HOSTNAME. @default os.hostname() */
  hostname?: string;
  /** APP-NAME when the mapping gives none. */
  appName?: string;
  /** Longest line in UTF-8 bytes, header included. @default 65536 */
  maxLineBytes?: number;
}

/**
 * One route: records of some streams of one source configuration, filtered, formatted and sent to
 * one or more sink configurations.
 */
export interface LogRoute {
  /** Unique among the routes; part of batch ids, so keep it stable. */
  id: string;
  /** The id of the source's plugin configuration. */
  source: string;
  /** Which of the source's streams. @default every stream */
  streams?: LogRouteStreams;
  /** A core rule (text or AST) a record must satisfy; fields are the record's own. */
  filter?: Rule | string;
  /** What the sinks receive. */
  format: 'cef' | 'leef' | 'syslog' | 'json';
  /** For `syslog`: the message body inside the syslog header. @default 'cef' */
  syslogBody?: 'cef' | 'leef' | 'json';
  /** A mapping document laid over the default mappings (see `mergeMappings`). */
  mapping?: MappingSet;
  /** The `{{tenant}}` template variable of the mappings. @default the source configuration id */
  tenant?: string;
  /** LEEF options for `leef` (or a LEEF syslog body). @default version '1.0' */
  leef?: { version?: '1.0' | '2.0'; delimiter?: string };
  /** Syslog header options for `syslog`. */
  syslog?: LogRouteSyslogOptions;
  /** For `json` (or a JSON syslog body): only these fields, by dot path. @default every field */
  jsonFields?: ReadonlyArray<string>;
  /** Ids of the sink configurations that get the records. */
  sinks: ReadonlyArray<string>;
}

/** Options of the log shipper module (`logShipper(options)`). */
export interface LogShipperOptions {
  /** The routes; a stream read by several routes is fetched once. */
  routes: ReadonlyArray<LogRoute>;
  /** The spool each sink has: formatted batches waiting for delivery. */
  spool?: {
    /**
     * Keep spools on disk under this directory (one subdirectory per sink), so a restart resumes
     * delivery of what was fetched. Without it spools live in memory and a restart fetches again
     * from the last checkpoint: nothing is lost either way, but records spooled for a sink that
     * was down are fetched again.
     */
    directory?: string;
    /** Bytes a sink's spool may hold; when full, the shipper stops fetching. @default 268435456 (256 MiB) */
    maxBytesPerSink?: number;
    /** Sync every append to disk. @default 'always' */
    fsync?: 'always' | 'never';
  };
  /** The dead-letter store. */
  deadLetters?: {
    /** Most dead letters kept; the oldest are dropped beyond it. @default 10000 */
    maxEntries?: number;
  };
  /** Wait between fetches when a source has nothing more (and names no wait). @default 5000 */
  pollIntervalMs?: number;
  /** Backoff of failed fetches and deliveries. */
  retry?: {
    /** First delay. @default 1000 */
    initialDelayMs?: number;
    /** Longest delay of a retryable failure. @default 60000 */
    maxDelayMs?: number;
    /** Delay of a failure a retry is not expected to fix (authentication, configuration). @default 300000 */
    blockedDelayMs?: number;
  };
  /** Batches a sink loop reads from its spool at a time. @default 16 */
  readAhead?: number;
  /**
   * How long `stop` lets fetches and deliveries in flight finish before abandoning them (an
   * abandoned batch stays spooled and is delivered again). Wall-clock time.
   * @default 10000
   */
  stopTimeoutMs?: number;
  /** Opens each sink's spool instead of the built-in ones (`spool.directory` is then ignored). */
  openSpool?: SpoolOpener;
}

const idSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[\w.:@-]+$/, 'use letters, digits, "_", ".", ":", "@" or "-"');

const routeSchema = z.strictObject({
  id: idSchema,
  source: z.string().min(1, 'name the source configuration id'),
  streams: z
    .strictObject({
      kinds: z
        .array(z.enum(['event', 'alert']))
        .min(1, 'give at least one kind, or leave it out')
        .optional(),
      types: z.array(z.string().min(1)).min(1, 'give at least one type, or leave it out').optional(),
    })
    .optional(),
  filter: ruleInputSchema.optional(),
  format: z.enum(['cef', 'leef', 'syslog', 'json']),
  syslogBody: z.enum(['cef', 'leef', 'json']).optional(),
  mapping: mappingSetSchema.optional(),
  tenant: z.string().max(256).optional(),
  leef: z
    .strictObject({ version: z.enum(['1.0', '2.0']).optional(), delimiter: z.string().min(1).optional() })
    .optional(),
  syslog: z
    .strictObject({
      format: z.enum(['rfc5424', 'rfc3164']).optional(),
      facility: z.union([z.string(), z.int().min(0).max(23)]).optional(),
      severity: z.union([z.string(), z.int().min(0).max(7)]).optional(),
      hostname: z.string().max(255).optional(),
      appName: z.string().max(48).optional(),
      maxLineBytes: z.int().min(480).optional(),
    })
    .optional(),
  jsonFields: z.array(z.string().min(1)).min(1).optional(),
  sinks: z.array(z.string().min(1)).min(1, 'a route needs at least one sink'),
});

const positiveMs = z.int().min(1, 'must be at least 1 ms');

const optionsSchema = z.strictObject({
  routes: z.array(routeSchema).min(1, 'give at least one route'),
  spool: z
    .strictObject({
      directory: z.string().min(1).optional(),
      maxBytesPerSink: z.int().min(65_536, 'must be at least 64 KiB').optional(),
      fsync: z.enum(['always', 'never']).optional(),
    })
    .optional(),
  deadLetters: z
    .strictObject({ maxEntries: z.int().min(1).max(10_000_000) })
    .partial()
    .optional(),
  pollIntervalMs: positiveMs.optional(),
  retry: z
    .strictObject({
      initialDelayMs: positiveMs.optional(),
      maxDelayMs: positiveMs.optional(),
      blockedDelayMs: positiveMs.optional(),
    })
    .optional(),
  readAhead: z.int().min(1).max(1_000).optional(),
  stopTimeoutMs: z.int().min(0).optional(),
});

/**
 * Checks across fields. They run on the raw input, so that one call reports them together with
 * the schema's own problems (zod skips refinements of an object with invalid members).
 */
function crossIssues(input: unknown): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const options = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const routes = Array.isArray(options.routes) ? options.routes : [];
  const seen = new Set<unknown>();
  routes.forEach((raw: unknown, index) => {
    if (typeof raw !== 'object' || raw === null) return;
    const route = raw as Record<string, unknown>;
    const at = (field: string) => `routes[${index}].${field}`;
    if (typeof route.id === 'string') {
      if (seen.has(route.id)) issues.push({ path: at('id'), reason: `duplicate route id "${route.id}"` });
      seen.add(route.id);
    }
    const sinks = Array.isArray(route.sinks) ? route.sinks : [];
    if (new Set(sinks).size !== sinks.length)
      issues.push({ path: at('sinks'), reason: 'a sink is named twice' });
    if (sinks.includes(route.source))
      issues.push({ path: at('sinks'), reason: 'a route cannot deliver to its own source configuration' });
    const syslog = route.format === 'syslog';
    if (route.syslog !== undefined && !syslog)
      issues.push({ path: at('syslog'), reason: 'applies only to format "syslog"' });
    if (route.syslogBody !== undefined && !syslog)
      issues.push({ path: at('syslogBody'), reason: 'applies only to format "syslog"' });
    const body = syslog ? (route.syslogBody ?? 'cef') : route.format;
    if (route.jsonFields !== undefined && body !== 'json')
      issues.push({ path: at('jsonFields'), reason: 'applies only to JSON output' });
    if (route.leef !== undefined && body !== 'leef')
      issues.push({ path: at('leef'), reason: 'applies only to LEEF output' });
  });
  const retry = (typeof options.retry === 'object' && options.retry !== null ? options.retry : {}) as Record<
    string,
    unknown
  >;
  if (
    typeof retry.initialDelayMs === 'number' &&
    typeof retry.maxDelayMs === 'number' &&
    retry.initialDelayMs > retry.maxDelayMs
  )
    issues.push({ path: 'retry.initialDelayMs', reason: 'must not be larger than maxDelayMs' });
  return issues;
}

/** A route after validation: the filter is an AST, defaults filled in. */
export interface ResolvedRoute extends Omit<LogRoute, 'filter'> {
  filter?: Rule;
  tenant: string;
}

/** The options after validation, defaults filled in. */
export interface ResolvedShipperOptions {
  routes: ResolvedRoute[];
  spool: { directory?: string; maxBytesPerSink: number; fsync: 'always' | 'never' };
  deadLetters: { maxEntries: number };
  pollIntervalMs: number;
  retry: { initialDelayMs: number; maxDelayMs: number; blockedDelayMs: number };
  readAhead: number;
  stopTimeoutMs: number;
}

/**
 * Checks log shipper options without building the module, so a host can report them as part of
 * its own configuration before it starts anything.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming every bad option (`routes[1].filter`).
 */
export function validateLogShipperOptions(options: LogShipperOptions): void {
  const { openSpool: _openSpool, ...input } = options;
  resolveShipperOptions(input);
}

/**
 * Validates the shipper's options and fills in defaults.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming every bad path (`routes[1].filter`, `spool.maxBytesPerSink`).
 */
export function resolveShipperOptions(input: Omit<LogShipperOptions, 'openSpool'>): ResolvedShipperOptions {
  const parsed = optionsSchema.safeParse(input);
  const issues = [...(parsed.success ? [] : issuesFromZod(parsed.error)), ...crossIssues(input)];
  if (!parsed.success || issues.length > 0)
    throw new ConfigError(
      'invalid log shipper options',
      issues,
      parsed.success ? {} : { cause: parsed.error },
    );
  const options = parsed.data;
  const maxDelayMs = options.retry?.maxDelayMs ?? 60_000;
  return {
    routes: options.routes.map((route) => {
      const { filter, tenant, ...rest } = route;
      return {
        ...(rest as Omit<LogRoute, 'filter'>),
        ...(filter ? { filter } : {}),
        tenant: tenant ?? route.source,
      };
    }),
    spool: {
      ...(options.spool?.directory ? { directory: options.spool.directory } : {}),
      maxBytesPerSink: options.spool?.maxBytesPerSink ?? 256 * 1024 * 1024,
      fsync: options.spool?.fsync ?? 'always',
    },
    deadLetters: { maxEntries: options.deadLetters?.maxEntries ?? 10_000 },
    pollIntervalMs: options.pollIntervalMs ?? 5_000,
    retry: {
      initialDelayMs: Math.min(options.retry?.initialDelayMs ?? 1_000, maxDelayMs),
      maxDelayMs,
      blockedDelayMs: options.retry?.blockedDelayMs ?? Math.max(300_000, maxDelayMs),
    },
    readAhead: options.readAhead ?? 16,
    stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
  };
}
