import type { z } from 'zod';
import { CeError, type CeErrorOptions } from './ce-error.js';

/** One problem found in an input: where it is and what is wrong with it. */
export interface FieldIssue {
  /** Path to the offending field, e.g. `plugins[2].config.baseUrl`; empty for the whole input. */
  path: string;
  /** Why the value was rejected, in words a user can act on. */
  reason: string;
}

/** Formats a property path (`['a', 0, 'b']`) as `a[0].b`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      out += /^[A-Za-z_$][\w$-]*$/.test(key) ? (out ? `.${key}` : key) : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** Turns zod issues into {@link FieldIssue}s with readable paths, optionally under a prefix. */
export function issuesFromZod(error: z.ZodError, prefix: ReadonlyArray<PropertyKey> = []): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: formatPath([...prefix, ...(issue.path as PropertyKey[])]),
    reason: issue.message,
  }));
}

function summarize(subject: string, issues: ReadonlyArray<FieldIssue>): string {
  const first = issues.slice(0, 5).map((i) => (i.path ? `${i.path}: ${i.reason}` : i.reason));
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return `${subject}: ${first.join('; ')}${more}`;
}

/**
 * Input that failed validation. Lists every problem with the path of the field and the reason,
 * so a user can fix all of them at once.
 */
export class ValidationError extends CeError {
  /** Every problem found, in input order. */
  readonly issues: ReadonlyArray<FieldIssue>;

  constructor(subject: string, issues: ReadonlyArray<FieldIssue>, options: CeErrorOptions = {}) {
    super('VALIDATION_FAILED', summarize(subject, issues), {
      ...options,
      details: { ...options.details, issues },
    });
    this.name = 'ValidationError';
    this.issues = issues;
  }

  /** Builds a validation error from a failed zod parse. */
  static fromZod(
    subject: string,
    error: z.ZodError,
    prefix: ReadonlyArray<PropertyKey> = [],
  ): ValidationError {
    return new ValidationError(subject, issuesFromZod(error, prefix), { cause: error });
  }
}

/**
 * A configuration (a file, a plugin's settings, a module option) that is invalid. Same shape as
 * {@link ValidationError}, code `CONFIG_INVALID`.
 */
export class ConfigError extends CeError {
  /** Every problem found, in input order. */
  readonly issues: ReadonlyArray<FieldIssue>;

  constructor(subject: string, issues: ReadonlyArray<FieldIssue>, options: CeErrorOptions = {}) {
    super('CONFIG_INVALID', summarize(subject, issues), {
      ...options,
      details: { ...options.details, issues },
    });
    this.name = 'ConfigError';
    this.issues = issues;
  }

  /** Builds a configuration error from a failed zod parse. */
  static fromZod(subject: string, error: z.ZodError, prefix: ReadonlyArray<PropertyKey> = []): ConfigError {
    return new ConfigError(subject, issuesFromZod(error, prefix), { cause: error });
  }
}

/**
 * A plugin's configuration that failed its schema, naming the plugin and each field.
 */
export class PluginConfigError extends ConfigError {
  /** The plugin whose configuration was rejected. */
  readonly pluginId: string;

  constructor(pluginId: string, issues: ReadonlyArray<FieldIssue>, options: CeErrorOptions = {}) {
    super(`invalid configuration for plugin "${pluginId}"`, issues, {
      ...options,
      details: { ...options.details, pluginId },
    });
    this.name = 'PluginConfigError';
    this.pluginId = pluginId;
  }
}
