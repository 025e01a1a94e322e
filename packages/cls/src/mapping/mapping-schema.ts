import { z } from 'zod';

/** Netskope data export event subtypes the log shipper knows and ships default mappings for. */
export const eventSubtypes = [
  'page',
  'application',
  'network',
  'audit',
  'infrastructure',
  'incident',
  'endpoint',
  'connection',
  'clientstatus',
] as const;

/** Netskope data export alert subtypes the log shipper knows and ships default mappings for. */
export const alertSubtypes = [
  'dlp',
  'malware',
  'malsite',
  'policy',
  'compromisedcredential',
  'uba',
  'securityassessment',
  'quarantine',
  'remediation',
  'watchlist',
  'ctep',
] as const;

/** The two kinds of Netskope records: events and alerts. */
export type SourceType = 'events' | 'alerts';

/** Value transforms a mapping can apply before formatting. */
export const valueTransforms = ['string', 'integer', 'float', 'ip', 'mac', 'timestamp'] as const;

/** A value transform: see {@link valueTransforms}. */
export type ValueTransform = (typeof valueTransforms)[number];

/**
 * How the `timestamp` transform writes a date: `ms` (epoch milliseconds, what CEF `rt` expects),
 * `s` (epoch seconds), `iso` (RFC 3339, UTC), `text` (`MMM dd yyyy HH:mm:ss.SSS UTC`, the CEF
 * date-with-zone form, which LEEF `devTime` reads with `devTimeFormat=MMM dd yyyy HH:mm:ss.SSS z`).
 */
export const timestampFormats = ['ms', 's', 'iso', 'text'] as const;

/** A timestamp output format: see {@link timestampFormats}. */
export type TimestampFormat = (typeof timestampFormats)[number];

const scalarSchema = z.union([z.string(), z.number(), z.boolean()]);

const fieldPathSchema = z
  .string()
  .min(1, 'a field path must not be empty')
  .refine((path) => !path.split('.').includes(''), 'a field path must not have empty segments (`a..b`)');

function templateProblem(template: string): string | undefined {
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{{', i);
    const close = template.indexOf('}}', i);
    if (open < 0) return close < 0 ? undefined : `unmatched "}}" at ${close}`;
    if (close >= 0 && close < open) return `unmatched "}}" at ${close}`;
    const end = template.indexOf('}}', open + 2);
    if (end < 0) return `unclosed "{{" at ${open}`;
    const name = template.slice(open + 2, end).trim();
    if (!/^[A-Za-z_$][\w$-]*(\.[A-Za-z_$0-9][\w$-]*)*$/.test(name)) {
      return `"{{${name}}}" is not a field path or variable name`;
    }
    i = end + 2;
  }
  return undefined;
}

const valueSourceObjectSchema = z
  .strictObject({
    field: fieldPathSchema.optional().describe('dot path of the event field to read'),
    constant: scalarSchema.optional().describe('a fixed value'),
    template: z.string().optional().describe('text with {{field}} and {{tenant}} placeholders'),
    transform: z.enum(valueTransforms).optional(),
    format: z.enum(timestampFormats).optional(),
    default: scalarSchema.optional().describe('used when the field is missing, empty or fails its transform'),
    maxLength: z.int().positive().optional().describe('cut the value to this many characters'),
  })
  .superRefine((value, ctx) => {
    const given = ['field', 'constant', 'template'].filter(
      (k) => value[k as keyof typeof value] !== undefined,
    );
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          given.length === 0
            ? 'give one of "field", "constant" or "template"'
            : `give only one of "field", "constant" or "template" (found ${given.join(', ')})`,
      });
    }
    if (value.format !== undefined && value.transform !== 'timestamp') {
      ctx.addIssue({
        code: 'custom',
        path: ['format'],
        message: '"format" applies only to transform "timestamp"',
      });
    }
    if (value.template !== undefined) {
      const problem = templateProblem(value.template);
      if (problem) ctx.addIssue({ code: 'custom', path: ['template'], message: problem });
    }
  });

/**
 * Where one output value comes from: an event field (dot path), a constant or a template, with an
 * optional transform and a default. A bare string is shorthand for `{ "field": "<string>" }`.
 */
export const valueSourceSchema = z.preprocess(
  (input) => (typeof input === 'string' ? { field: input } : input),
  valueSourceObjectSchema,
);

/** One output value's source: see {@link valueSourceSchema}. */
export interface ValueSource {
  /** Dot path of the event field to read (`user`, `host_info.hostname`). */
  field?: string;
  /** A fixed value. */
  constant?: string | number | boolean;
  /** Text with `{{field}}` placeholders; `{{tenant}}` and other variables are filled at compile time. */
  template?: string;
  /** Convert the value before formatting; a value that does not convert counts as missing. */
  transform?: ValueTransform;
  /** Output form of the `timestamp` transform. @default 'ms' */
  format?: TimestampFormat;
  /** Used when the value is missing, empty or fails its transform; without it the key is left out. */
  default?: string | number | boolean;
  /** Cut the value to this many characters (overrides the format's built-in limit for the key). */
  maxLength?: number;
}

const keyNameSchema = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/,
    'a key must start with a letter or "_" and hold only letters, digits, "_", "." or "-"',
  );

const keyMapSchema = z.record(keyNameSchema, valueSourceSchema.nullable());

/** A set of output keys and their sources; `null` removes a key inherited from a base mapping. */
export type KeyMap = Record<string, ValueSource | null>;

/** CEF header sources. Missing ones are written empty; a missing severity is `Unknown`. */
export interface CefHeaderMapping {
  /** Device Vendor. */
  vendor?: ValueSource;
  /** Device Product. */
  product?: ValueSource;
  /** Device Version. */
  version?: ValueSource;
  /** Device Event Class ID (the signature id). */
  eventClassId?: ValueSource;
  /** Name: a human-readable description of the event. */
  name?: ValueSource;
  /** Severity: 0-10, or Unknown, Low, Medium, High, Very-High; Netskope words are mapped. */
  severity?: ValueSource;
}

/** How a record becomes a CEF line. */
export interface CefMapping {
  /** The seven-field header (after `CEF:0|`). */
  header?: CefHeaderMapping;
  /** Extension keys (`suser`, `src`, `cs1`, ...) in output order. */
  extension?: KeyMap;
}

/** LEEF header sources. */
export interface LeefHeaderMapping {
  /** Vendor. */
  vendor?: ValueSource;
  /** Product. */
  product?: ValueSource;
  /** Product version. */
  version?: ValueSource;
  /** EventID, which QRadar maps to a QID. */
  eventId?: ValueSource;
}

/** How a record becomes a LEEF line. */
export interface LeefMapping {
  /** The LEEF header fields. */
  header?: LeefHeaderMapping;
  /** Event attributes (`src`, `usrName`, `devTime`, ...) in output order. */
  attributes?: KeyMap;
}

/** Syslog header values and structured data taken from a record. */
export interface SyslogMapping {
  /** APP-NAME (RFC 5424, 48 printable ASCII characters) or the RFC 3164 TAG. */
  appName?: ValueSource;
  /** PROCID. */
  procId?: ValueSource;
  /** MSGID (32 printable ASCII characters). */
  msgId?: ValueSource;
  /** Syslog severity: 0-7, a syslog name (`warning`) or a Netskope word (`high`). */
  severity?: ValueSource;
  /** The record's time for the syslog TIMESTAMP (epoch seconds or milliseconds, or a date string). */
  timestamp?: ValueSource;
  /** STRUCTURED-DATA: SD-ID → PARAM-NAME → source. */
  structuredData?: Record<string, KeyMap>;
}

/** Everything needed to format one type/subtype (`events`/`page`). */
export interface SubtypeMapping {
  /** When merging, replace the base mapping for this subtype instead of merging key by key. */
  replace?: boolean;
  /** CEF mapping. */
  cef?: CefMapping;
  /** LEEF mapping. */
  leef?: LeefMapping;
  /** Syslog header and structured data mapping. */
  syslog?: SyslogMapping;
}

/** A mapping document: per source type, per subtype. */
export interface MappingSet {
  /** Where a JSON editor finds the schema; ignored. */
  $schema?: string;
  /** Document format version. @default 1 */
  version?: 1;
  /** Mappings for event subtypes (`page`, `application`, ...). */
  events?: Record<string, SubtypeMapping>;
  /** Mappings for alert subtypes (`dlp`, `malware`, ...). */
  alerts?: Record<string, SubtypeMapping>;
}

const sdNameSchema = z
  .string()
  .regex(
    /^[!#-<>-\\^-~]{1,32}$/,
    'an SD-ID or PARAM-NAME is 1-32 printable ASCII characters other than "=", "]", \'"\' and space',
  );

const cefMappingSchema = z.strictObject({
  header: z
    .strictObject({
      vendor: valueSourceSchema.optional(),
      product: valueSourceSchema.optional(),
      version: valueSourceSchema.optional(),
      eventClassId: valueSourceSchema.optional(),
      name: valueSourceSchema.optional(),
      severity: valueSourceSchema.optional(),
    })
    .optional(),
  extension: keyMapSchema.optional(),
});

const leefMappingSchema = z.strictObject({
  header: z
    .strictObject({
      vendor: valueSourceSchema.optional(),
      product: valueSourceSchema.optional(),
      version: valueSourceSchema.optional(),
      eventId: valueSourceSchema.optional(),
    })
    .optional(),
  attributes: keyMapSchema.optional(),
});

const syslogMappingSchema = z.strictObject({
  appName: valueSourceSchema.optional(),
  procId: valueSourceSchema.optional(),
  msgId: valueSourceSchema.optional(),
  severity: valueSourceSchema.optional(),
  timestamp: valueSourceSchema.optional(),
  structuredData: z.record(sdNameSchema, z.record(sdNameSchema, valueSourceSchema.nullable())).optional(),
});

const subtypeMappingSchema = z.strictObject({
  replace: z.boolean().optional(),
  cef: cefMappingSchema.optional(),
  leef: leefMappingSchema.optional(),
  syslog: syslogMappingSchema.optional(),
});

const subtypeNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*$/, 'a subtype is lower-case letters, digits, "_" or "-" (e.g. "page", "dlp")');

/**
 * The zod schema of a mapping document. Prefer {@link loadMapping}, which turns failures into a
 * `ConfigError` naming each bad path.
 */
export const mappingSetSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1).optional(),
  events: z.record(subtypeNameSchema, subtypeMappingSchema).optional(),
  alerts: z.record(subtypeNameSchema, subtypeMappingSchema).optional(),
});
