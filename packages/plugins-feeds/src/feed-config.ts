import { indicatorSeveritySchema, indicatorTypeSchema, secretString, tlpSchema } from '@ce/core';
import { z } from 'zod';

/** The body formats a feed can have. */
export const feedFormats = ['lines', 'csv', 'json', 'jsonl'] as const;

/**
 * A feed's body format:
 * - `lines`: one value per line; `#`, `//` and `;` comments and blank lines are skipped;
 * - `csv`: delimited rows with quoted fields, a header row (or a header in a comment) or column indexes;
 * - `json`: one JSON document holding an array of records (or an object of records) at a path;
 * - `jsonl`: one JSON object per line (JSON Lines, NDJSON).
 */
export type FeedFormat = (typeof feedFormats)[number];

/** The built-in presets, one per public feed format they read. */
export const feedPresetIds = [
  'urlhaus',
  'threatfox-csv',
  'threatfox-json',
  'malwarebazaar',
  'feodo-csv',
  'feodo-text',
  'openphish',
  'spamhaus-drop-json',
  'spamhaus-drop-text',
] as const;

/** The id of a built-in preset. */
export type FeedPresetId = (typeof feedPresetIds)[number];

/** A column (CSV header name or 0-based index) or a JSON field path (`attributes.value`). */
const fieldReference = z.union([z.string().min(1).max(256), z.number().int().nonnegative().max(10_000)]);

/**
 * Where each part of an indicator is read from. In CSV a reference is a header name or a 0-based
 * column index; in JSON it is a dotted path into the record (`$` is the record itself, `$key` the
 * key of a record held in an object).
 */
export const feedFieldsSchema = z.object({
  /** The indicator value. */
  value: fieldReference,
  /** Its type, as the feed names it (`url`, `ip:port`, `sha256_hash`, ...); see `typeMap`. */
  type: fieldReference.optional(),
  /** Severity (`low`, `medium`, `high`, `critical`, `unknown`). */
  severity: fieldReference.optional(),
  /** Confidence, 0 to 100. */
  confidence: fieldReference.optional(),
  /** Reputation, 1 (benign) to 10 (malicious). */
  reputation: fieldReference.optional(),
  /** Tags: a JSON array, or a string split at `tagSeparator`. */
  tags: fieldReference.optional(),
  /** First seen: ISO 8601, `YYYY-MM-DD HH:MM:SS` (read as UTC), or epoch seconds or milliseconds. */
  firstSeen: fieldReference.optional(),
  /** Last seen, in the same forms as `firstSeen`. */
  lastSeen: fieldReference.optional(),
  /** A comment. */
  comment: fieldReference.optional(),
  /** A link to the source's page about the indicator. */
  externalUrl: fieldReference.optional(),
});

/** Field mapping of a CSV, JSON or JSON Lines feed. */
export type FeedFields = z.output<typeof feedFieldsSchema>;

const mebibyte = 1024 * 1024;

/** Settings of the `feed` plugin. */
export const feedConfigSchema = z
  .object({
    /**
     * Where the feed is: an `http(s)://` URL, a `file://` URL or an absolute path. Optional with a
     * preset, which knows the public URL.
     */
    url: z.string().min(1).max(4_096).optional().describe('http(s):// URL, file:// URL or absolute path'),
    /** A built-in preset: format, mapping, severity and tags of a well-known public feed. */
    preset: z.enum(feedPresetIds).optional().describe('Built-in preset for a well-known public feed'),
    /** The body format; required without a preset. */
    format: z.enum(feedFormats).optional().describe('Body format (required without a preset)'),
    /** Where each part of an indicator is read from; required for csv, json and jsonl without a preset. */
    fields: feedFieldsSchema.optional(),
    /** Type of every indicator; unset lets each record's type field or the engine's inference decide. */
    type: indicatorTypeSchema
      .optional()
      .describe('Indicator type of every record (unset: per record or inferred)'),
    /**
     * Maps the feed's own type names to indicator types (`{"FileHash-SHA256": "sha256"}`), or to
     * `skip` to ignore such records. Checked before the built-in names.
     */
    typeMap: z
      .record(z.string().min(1), z.union([indicatorTypeSchema, z.literal('skip')]))
      .optional()
      .describe('Feed type name → indicator type, or "skip"'),
    /** CSV settings. */
    csv: z
      .object({
        /**
         * Field delimiter.
         * @default ','
         */
        delimiter: z.string().length(1).default(','),
        /**
         * Where the column names are: `row` (the first row that is not a comment), `comment` (the
         * last comment line before the first row, as abuse.ch writes it), `none` (columns by
         * index), or `auto` (`comment` when that comment names the value column, else `row`
         * when columns are named, else `none`).
         * @default 'auto'
         */
        header: z.enum(['auto', 'row', 'comment', 'none']).default('auto'),
      })
      .optional(),
    /** JSON settings. */
    json: z
      .object({
        /**
         * Dotted path to the records (`data.items`); empty for the document itself. An array yields
         * its elements; an object yields its values (an array value yields its elements), with the
         * key available as `$key`.
         * @default ''
         */
        records: z.string().max(512).default(''),
      })
      .optional(),
    /**
     * Line prefixes that mark comments.
     * @default ['#', '//', ';'] for lines, ['#'] for csv, none for jsonl
     */
    commentPrefixes: z.array(z.string().min(1).max(8)).max(8).optional(),
    /**
     * Separator of tags given as one string.
     * @default ','
     */
    tagSeparator: z.string().min(1).max(8).default(','),
    /**
     * Field values that mean "no value" (compared case-insensitively).
     * @default ['', 'none', 'n/a', 'null']
     */
    nullValues: z.array(z.string().max(32)).max(32).default(['', 'none', 'n/a', 'null']),
    /** Severity of every indicator; overrides the feed and the preset. */
    severity: indicatorSeveritySchema.optional(),
    /** Reputation (1-10) of every indicator; overrides the feed and the preset. */
    reputation: z.number().int().min(1).max(10).optional(),
    /** Confidence (0-100) of every indicator; overrides the feed and the preset. */
    confidence: z.number().int().min(0).max(100).optional(),
    /** Tags added to every indicator. */
    tags: z.array(z.string().trim().min(1).max(128)).max(32).optional(),
    /** TLP of every indicator. */
    tlp: tlpSchema.optional(),
    /**
     * Hash types the `malwarebazaar` preset emits per sample.
     * @default ['sha256']
     */
    hashTypes: z
      .array(z.enum(['sha256', 'sha1', 'md5']))
      .min(1)
      .default(['sha256']),
    /**
     * Indicators per batch handed to the engine.
     * @default 5000
     */
    batchSize: z.number().int().min(1).max(50_000).default(5_000),
    /**
     * Largest body accepted, in bytes, counted after decompression (a larger download or a
     * decompression bomb fails with `HTTP_RESPONSE_TOO_LARGE`).
     * @default 209715200 (200 MiB)
     */
    maxBytes: z
      .number()
      .int()
      .min(1_024)
      .max(4 * 1_024 * mebibyte)
      .default(200 * mebibyte),
    /**
     * Longest line (or CSV record) accepted, in bytes; longer ones are skipped and counted.
     * @default 16384
     */
    maxLineBytes: z.number().int().min(256).max(mebibyte).default(16_384),
    /**
     * `auto` gunzips bodies that start with the gzip magic bytes (`.gz` files, `application/gzip`);
     * `gzip` insists on it; `none` never decompresses. `Content-Encoding: gzip` is always undone by
     * the HTTP client.
     * @default 'auto'
     */
    compression: z.enum(['auto', 'gzip', 'none']).default('auto'),
    /**
     * Accept a feed with no indicators. Off by default: a full-list feed that comes back empty
     * would withdraw every indicator it reported before, which is more often an outage than the
     * truth.
     * @default false
     */
    allowEmpty: z.boolean().default(false),
    /** Extra request headers (not secret; put credentials in `auth`). */
    headers: z.record(z.string().min(1), z.string()).optional(),
    /** Credentials: a bearer token, a named header, HTTP basic auth or a query parameter. */
    auth: z
      .object({
        /** How the token is sent. */
        scheme: z.enum(['bearer', 'header', 'basic', 'query']),
        /** The token, API key or password. */
        token: secretString('Token, API key or password'),
        /** Header name (`header`) or query parameter name (`query`), e.g. `Auth-Key` for abuse.ch. */
        name: z.string().min(1).max(128).optional(),
        /** User name for `basic`. */
        username: z.string().min(1).max(256).optional(),
      })
      .optional(),
    /** Client-side request rate limit. */
    requestsPerSecond: z.number().positive().max(100).optional(),
    /**
     * Deadline of one download attempt (connect, headers and the whole body), in milliseconds.
     * @default 300000
     */
    timeoutMs: z.number().int().min(1_000).max(3_600_000).default(300_000),
  })
  .superRefine((config, context) => {
    if (!config.preset && !config.format) {
      context.addIssue({ code: 'custom', path: ['format'], message: 'set a format or a preset' });
    }
    if (!config.preset && !config.url) {
      context.addIssue({ code: 'custom', path: ['url'], message: 'set the feed URL (or use a preset)' });
    }
    if (!config.preset && config.format && config.format !== 'lines' && !config.fields) {
      context.addIssue({
        code: 'custom',
        path: ['fields'],
        message: `the ${config.format} format needs "fields" (at least "value")`,
      });
    }
    if (config.url && !isSupportedLocation(config.url)) {
      context.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'expected an http(s):// URL, a file:// URL or an absolute path',
      });
    }
    const auth = config.auth;
    if (auth && (auth.scheme === 'header' || auth.scheme === 'query') && !auth.name) {
      context.addIssue({
        code: 'custom',
        path: ['auth', 'name'],
        message: `the ${auth.scheme} scheme needs a name`,
      });
    }
    if (auth?.scheme === 'basic' && !auth.username) {
      context.addIssue({
        code: 'custom',
        path: ['auth', 'username'],
        message: 'basic auth needs a username',
      });
    }
  });

/** The `feed` plugin's configuration, as validated. */
export type FeedConfig = z.output<typeof feedConfigSchema>;

function isSupportedLocation(location: string): boolean {
  if (/^https?:\/\/[^/]/i.test(location)) return URL.canParse(location);
  if (/^file:\/\//i.test(location)) return URL.canParse(location);
  // POSIX absolute paths and Windows drive or UNC paths.
  return location.startsWith('/') || /^[A-Za-z]:[\\/]/.test(location) || location.startsWith('\\\\');
}
