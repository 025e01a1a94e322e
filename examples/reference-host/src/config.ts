/**
 * The host's configuration file: YAML or JSON, `${ENV}` substitution in string values, validated
 * with zod. Every problem is reported at once as a `ConfigError` whose issues name the field
 * (`plugins[1].config.baseUrl`) or, for a syntax error, the line and column.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import {
  ConfigError,
  durationSchema,
  type FieldIssue,
  formatPath,
  identifierSchema,
  type LogLevel,
  moduleNameSchema,
} from '@ce/core';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { findJsonSyntaxError, lineColumnAt } from './json-syntax.js';
import { clsSectionSchema, type HostClsConfig, resolveClsSection } from './log-shipper-config.js';
import { type HostTaxiiConfig, taxiiSectionSchema } from './taxii-config.js';
import {
  cteSectionSchema,
  duplicateIssues,
  type HostCteConfig,
  type HostIndicatorList,
  type HostSharingRule,
  type HostSourcePolicy,
  listsSectionSchema,
  resolveCteSection,
  sharingRulesSectionSchema,
  sourcePoliciesSectionSchema,
} from './threat-config.js';

/** The environment variables the configuration reads, as a plain map. */
export type Environment = Record<string, string | undefined>;

const environmentNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
const logLevels = [
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
] as const satisfies ReadonlyArray<LogLevel>;

/** Smallest length accepted for an API token or a secret key: anything shorter is guessable. */
const minimumSecretLength = 16;

const portSchema = z.preprocess(
  (value) => (typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value),
  z.number().int().min(0).max(65_535),
);

const apiTokenSchema = z
  .object({
    name: z.string().min(1).max(100),
    token: z.string().min(minimumSecretLength, `use at least ${minimumSecretLength} characters`).optional(),
    tokenEnv: z.string().regex(environmentNamePattern, 'expected an environment variable name').optional(),
  })
  .strict()
  .superRefine((value, context) => {
    if ((value.token === undefined) === (value.tokenEnv === undefined)) {
      context.addIssue({ code: 'custom', message: 'give exactly one of "token" and "tokenEnv"', path: [] });
    }
  });

// Mirrors core's plugin configuration input: the envelope is checked here, the plugin's own
// settings (`config`) against the plugin's schema when the host starts and knows its plugins.
const pluginEntrySchema = z
  .object({
    id: identifierSchema,
    pluginId: z.string().min(1),
    name: z.string().min(1).max(200).optional(),
    modules: z.array(moduleNameSchema).optional(),
    enabled: z.boolean().default(true),
    interval: durationSchema.optional(),
    config: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

const caSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** Schema of the configuration file, after `${ENV}` substitution. */
export const hostConfigFileSchema = z
  .object({
    port: portSchema.optional(),
    host: z.string().min(1).default('127.0.0.1'),
    dataDir: z.string().min(1).default('./.data'),
    storage: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('sqlite'), path: z.string().min(1).optional() }).strict(),
        z.object({ kind: z.literal('memory') }).strict(),
      ])
      .default({ kind: 'sqlite' }),
    logLevel: z.enum(logLevels).default('info'),
    secretKey: z
      .string()
      .min(minimumSecretLength, `use at least ${minimumSecretLength} characters`)
      .optional(),
    http: z
      .object({
        proxy: z.url({ protocol: /^https?$/ }).optional(),
        ca: caSchema.optional(),
        rejectUnauthorized: z.boolean().optional(),
      })
      .strict()
      .default({}),
    api: z
      .object({ tokens: z.array(apiTokenSchema).default([]) })
      .strict()
      .default({ tokens: [] }),
    plugins: z.array(pluginEntrySchema).default([]),
    cte: cteSectionSchema.default({ warninglists: [], builtInWarninglists: true }),
    sharingRules: sharingRulesSectionSchema.default([]),
    lists: listsSectionSchema.default([]),
    sourcePolicies: sourcePoliciesSectionSchema.default({}),
    taxii: taxiiSectionSchema.optional(),
    cls: clsSectionSchema.optional(),
    demo: z.boolean().default(false),
  })
  .strict();

/** The configuration file as written (before defaults). */
export type HostConfigFile = z.input<typeof hostConfigFileSchema>;

/** A bearer token accepted by the REST API; its name is the audit actor. */
export interface ApiToken {
  /** Who uses the token; recorded as the actor of every change made with it. */
  name: string;
  /** The token itself. */
  token: string;
}

/** A plugin configuration applied at startup. */
export type HostPluginConfig = z.output<typeof pluginEntrySchema>;

/** Where the host keeps its data. */
export type HostStorageConfig = { kind: 'sqlite'; path: string } | { kind: 'memory' };

/** The resolved host configuration: defaults applied, paths absolute, tokens read. */
export interface HostConfig {
  /**
   * TCP port of the HTTP server; `0` picks a free one. The `PORT` variable overrides the file.
   * @default 8080
   */
  port: number;
  /**
   * Address to listen on. Loopback by default, so that a host is never exposed by accident;
   * set `0.0.0.0` (with API tokens) to serve other machines.
   * @default '127.0.0.1'
   */
  host: string;
  /**
   * Absolute directory for the database and the generated secret key.
   * @default './.data' next to the configuration file
   */
  dataDir: string;
  /** Storage backend; the SQLite path is absolute. */
  storage: HostStorageConfig;
  /** @default 'info' */
  logLevel: LogLevel;
  /**
   * Key that encrypts stored secrets, from the file or `CE_SECRET_KEY`. When absent the host
   * generates one into `<dataDir>/secret.key`.
   */
  secretKey?: string;
  /** Proxy and TLS settings applied to every plugin's HTTP client; `ca` holds PEM text. */
  http: { proxy?: string; ca?: string[]; rejectUnauthorized?: boolean };
  /** REST API settings: with tokens, every `/api` request needs one as a bearer token. */
  api: { tokens: ApiToken[] };
  /** Plugin configurations applied at startup: added when new, updated when changed. */
  plugins: HostPluginConfig[];
  /** Options of the threat exchange module. */
  cte: HostCteConfig;
  /** Sharing rules applied at startup, after the plugin configurations they send to. */
  sharingRules: HostSharingRule[];
  /** Saved lists applied at startup. */
  lists: HostIndicatorList[];
  /** Source policies applied at startup, by source id. */
  sourcePolicies: Record<string, HostSourcePolicy>;
  /**
   * The host's TAXII 2.1 server (lists as collections, inboxes), served under its `basePath` with
   * the API tokens as bearer tokens; absent when the file has no `taxii` section.
   */
  taxii?: HostTaxiiConfig;
  /**
   * The log shipper (routes, spools under `dataDir`); absent when the file has no `cls` section
   * (the demo brings its own).
   */
  cls?: HostClsConfig;
  /** Start the bundled demo: the sample plugin's mock API and a configuration using it. */
  demo: boolean;
  /** The file it was read from, for log lines and error messages. */
  source?: string;
}

/** Options of {@link resolveHostConfig} and {@link loadHostConfig}. */
export interface ResolveHostConfigOptions {
  /**
   * Variables for `${NAME}` substitution, `PORT`, `CE_SECRET_KEY` and `tokenEnv`.
   * @default process.env
   */
  env?: Environment;
  /**
   * Directory that relative paths (`dataDir`, `storage.path`, `http.ca` files) are resolved against.
   * @default the configuration file's directory, else the current directory
   */
  baseDir?: string;
  /** Name of the configuration's origin, for messages. */
  source?: string;
}

/**
 * Replaces `${NAME}` in every string value (not keys) with the variable's value. `${NAME:-text}`
 * falls back to `text` when the variable is unset or empty; `$${` is a literal `${`. A missing
 * variable is an issue naming the field, so every one is reported at once.
 */
export function substituteEnvironment(
  value: unknown,
  env: Environment,
  issues: FieldIssue[],
  path: PropertyKey[] = [],
): unknown {
  if (typeof value === 'string') return substituteString(value, env, issues, path);
  if (Array.isArray(value))
    return value.map((item, index) => substituteEnvironment(item, env, issues, [...path, index]));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [
        key,
        substituteEnvironment(child, env, issues, [...path, key]),
      ]),
    );
  }
  return value;
}

function substituteString(text: string, env: Environment, issues: FieldIssue[], path: PropertyKey[]): string {
  if (!text.includes('${')) return text;
  let out = '';
  let index = 0;
  while (index < text.length) {
    if (text.startsWith('$${', index)) {
      out += '${';
      index += 3;
      continue;
    }
    if (!text.startsWith('${', index)) {
      out += text[index];
      index++;
      continue;
    }
    const end = text.indexOf('}', index + 2);
    const expression = end === -1 ? undefined : text.slice(index + 2, end);
    const separator = expression?.indexOf(':-') ?? -1;
    const name =
      expression === undefined ? undefined : separator === -1 ? expression : expression.slice(0, separator);
    if (expression === undefined || name === undefined || !environmentNamePattern.test(name)) {
      issues.push({
        path: formatPath(path),
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the message shows the syntax itself.
        reason: 'malformed variable reference; write ${NAME}, ${NAME:-default} or $${ for a literal',
      });
      return text;
    }
    const fallback = separator === -1 ? undefined : expression.slice(separator + 2);
    const found = env[name];
    if (found !== undefined && (found !== '' || fallback === undefined)) out += found;
    else if (fallback !== undefined) out += fallback;
    else {
      issues.push({ path: formatPath(path), reason: `environment variable "${name}" is not set` });
      return text;
    }
    index = end + 1;
  }
  return out;
}

/** Turns zod issues into field issues, one per unknown key so that each is named. */
function fieldIssues(error: z.ZodError, prefix: PropertyKey[] = []): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...(issue.path as PropertyKey[])];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        issues.push({ path: formatPath([...path, key]), reason: 'unknown field' });
    } else {
      issues.push({ path: formatPath(path), reason: issue.message });
    }
  }
  return issues;
}

/**
 * A YAML key whose settings are all commented out (`http:`) reads as `null`; the host's own
 * sections treat that as absent. Plugin settings keep their nulls: a plugin may mean them.
 */
function withoutEmptySections(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === null) continue;
    if (
      ['http', 'api', 'storage', 'cte'].includes(key) &&
      typeof value === 'object' &&
      !Array.isArray(value)
    ) {
      out[key] = Object.fromEntries(Object.entries(value).filter(([, child]) => child !== null));
    } else out[key] = value;
  }
  return out;
}

function readCertificate(entry: string, baseDir: string, path: PropertyKey[], issues: FieldIssue[]): string {
  if (entry.includes('-----BEGIN')) return entry;
  const file = resolve(baseDir, entry);
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    issues.push({
      path: formatPath(path),
      reason: `cannot read CA file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    });
    return '';
  }
}

/**
 * Validates a parsed configuration (from a file, or an object in code), substitutes `${ENV}`,
 * applies defaults and environment overrides, resolves relative paths and reads the MISP
 * warninglist files of the `cte` section.
 *
 * @throws ConfigError listing every problem with its field path.
 *
 * @example
 * ```ts
 * const config = resolveHostConfig({ port: 0, storage: { kind: 'memory' } });
 * ```
 */
export function resolveHostConfig(input: unknown, options: ResolveHostConfigOptions = {}): HostConfig {
  const env = options.env ?? process.env;
  const baseDir = resolve(options.baseDir ?? process.cwd());
  const subject = options.source
    ? `invalid configuration file ${options.source}`
    : 'invalid host configuration';
  if (input === null || input === undefined) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new ConfigError(subject, [{ path: '', reason: 'expected a mapping of settings at the top level' }]);
  }

  const issues: FieldIssue[] = [];
  const substituted = substituteEnvironment(
    withoutEmptySections(input as Record<string, unknown>),
    env,
    issues,
  );
  const parsed = hostConfigFileSchema.safeParse(substituted);
  if (!parsed.success) issues.push(...fieldIssues(parsed.error));
  if (!parsed.success || issues.length > 0) throw new ConfigError(subject, issues);
  const file = parsed.data;

  let port = file.port ?? 8080;
  if (env.PORT !== undefined && env.PORT !== '') {
    const fromEnv = portSchema.safeParse(env.PORT);
    if (fromEnv.success) port = fromEnv.data;
    else issues.push({ path: 'env.PORT', reason: 'expected a port number from 0 to 65535' });
  }

  let secretKey = file.secretKey;
  if (secretKey === undefined && env.CE_SECRET_KEY) {
    if (env.CE_SECRET_KEY.length < minimumSecretLength) {
      issues.push({ path: 'env.CE_SECRET_KEY', reason: `use at least ${minimumSecretLength} characters` });
    }
    secretKey = env.CE_SECRET_KEY;
  }

  const tokens: ApiToken[] = [];
  const tokenNames = new Set<string>();
  file.api.tokens.forEach((entry, index) => {
    if (tokenNames.has(entry.name))
      issues.push({ path: `api.tokens[${index}].name`, reason: `duplicate token name "${entry.name}"` });
    tokenNames.add(entry.name);
    let token = entry.token;
    if (entry.tokenEnv !== undefined) {
      token = env[entry.tokenEnv];
      if (!token)
        issues.push({
          path: `api.tokens[${index}].tokenEnv`,
          reason: `environment variable "${entry.tokenEnv}" is not set`,
        });
      else if (token.length < minimumSecretLength) {
        issues.push({
          path: `api.tokens[${index}].tokenEnv`,
          reason: `the token in "${entry.tokenEnv}" is shorter than ${minimumSecretLength} characters`,
        });
      }
    }
    if (token) tokens.push({ name: entry.name, token });
  });

  const pluginIds = new Set<string>();
  file.plugins.forEach((entry, index) => {
    if (pluginIds.has(entry.id))
      issues.push({ path: `plugins[${index}].id`, reason: `duplicate configuration id "${entry.id}"` });
    pluginIds.add(entry.id);
  });

  issues.push(...duplicateIssues(file.sharingRules, file.lists));
  const cte = resolveCteSection(file.cte, baseDir, issues);

  const ca =
    file.http.ca === undefined
      ? undefined
      : typeof file.http.ca === 'string'
        ? [readCertificate(file.http.ca, baseDir, ['http', 'ca'], issues)]
        : file.http.ca.map((entry, index) => readCertificate(entry, baseDir, ['http', 'ca', index], issues));

  if (issues.length > 0) throw new ConfigError(subject, issues);

  const dataDir = resolve(baseDir, file.dataDir);
  const storage: HostStorageConfig =
    file.storage.kind === 'memory'
      ? { kind: 'memory' }
      : {
          kind: 'sqlite',
          path: file.storage.path ? resolve(dataDir, file.storage.path) : resolve(dataDir, 'ce.db'),
        };
  return {
    port,
    host: file.host,
    dataDir,
    storage,
    logLevel: file.logLevel,
    ...(secretKey !== undefined ? { secretKey } : {}),
    http: {
      ...(file.http.proxy !== undefined ? { proxy: file.http.proxy } : {}),
      ...(ca !== undefined ? { ca } : {}),
      ...(file.http.rejectUnauthorized !== undefined
        ? { rejectUnauthorized: file.http.rejectUnauthorized }
        : {}),
    },
    api: { tokens },
    plugins: file.plugins,
    cte,
    sharingRules: file.sharingRules,
    lists: file.lists,
    sourcePolicies: file.sourcePolicies,
    ...(file.taxii !== undefined ? { taxii: file.taxii } : {}),
    ...(file.cls !== undefined ? { cls: resolveClsSection(file.cls, dataDir) } : {}),
    demo: file.demo,
    ...(options.source !== undefined ? { source: options.source } : {}),
  };
}

/** The syntax of a configuration text. */
export type ConfigFormat = 'yaml' | 'json';

/**
 * Parses configuration text (YAML or JSON) into a plain value, without validating it.
 *
 * @throws ConfigError whose single issue gives the line and column of the syntax error.
 */
export function parseConfigText(text: string, format: ConfigFormat, source = 'configuration'): unknown {
  const subject = `cannot parse ${source}`;
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (format === 'json') {
    try {
      return JSON.parse(body);
    } catch (cause) {
      const problem = findJsonSyntaxError(body);
      const where = problem
        ? `line ${problem.line}, column ${problem.column}: ${problem.reason}`
        : 'invalid JSON';
      throw new ConfigError(subject, [{ path: '', reason: where }], {
        cause,
        ...(problem ? { details: { line: problem.line, column: problem.column } } : {}),
      });
    }
  }
  // prettyErrors would append an excerpt of the file, which may hold a secret.
  const document = parseDocument(body, { prettyErrors: false, uniqueKeys: true });
  const first = document.errors[0];
  if (first) {
    // Only the first error: the ones after it are mostly its echoes. The parser's message may
    // quote the offending token, which may be a secret, so the quote is cut.
    const { line, column } = lineColumnAt(body, first.pos[0]);
    const message = (first.message.split('\n')[0] ?? '').replace(/:\s*".*"\s*$/, '');
    throw new ConfigError(subject, [{ path: '', reason: `line ${line}, column ${column}: ${message}` }], {
      details: { line, column },
    });
  }
  try {
    return document.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    throw new ConfigError(subject, [{ path: '', reason: (cause as Error).message }], { cause });
  }
}

/**
 * Reads and validates a configuration file. `.json` files are parsed as JSON, anything else as
 * YAML. Relative paths in the file are resolved against the file's directory.
 *
 * @throws ConfigError when the file cannot be read, parsed or validated.
 *
 * @example
 * ```ts
 * const config = await loadHostConfig('/etc/ce/host.yaml');
 * const host = await startReferenceHost({ config });
 * ```
 */
export async function loadHostConfig(
  path: string,
  options: Omit<ResolveHostConfigOptions, 'source'> = {},
): Promise<HostConfig> {
  const file = isAbsolute(path) ? path : resolve(process.cwd(), path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ConfigError(`cannot read configuration file ${file}`, [
      {
        path: '',
        reason: code === 'ENOENT' ? 'the file does not exist' : `read failed (${code ?? 'error'})`,
      },
    ]);
  }
  const format: ConfigFormat = extname(file).toLowerCase() === '.json' ? 'json' : 'yaml';
  const raw = parseConfigText(text, format, file);
  return resolveHostConfig(raw, { ...options, baseDir: options.baseDir ?? dirname(file), source: file });
}
