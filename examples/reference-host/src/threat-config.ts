/**
 * The threat exchange sections of the configuration file: `cte` (the module's options: merge
 * strategies, expiry, retention, decay, MISP warninglist files), `sharingRules`, `lists` and
 * `sourcePolicies`. The schemas are the engine's own, so a file is checked exactly as the API
 * checks a request, with every problem named by its field path.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { CeError, durationSchema, type FieldIssue, formatPath } from '@ce/core';
import {
  decayModelSchema,
  indicatorListInputSchema,
  indicatorPolicySchema,
  mergeStrategies,
  parseMispWarninglist,
  sharingRuleInputSchema,
  sourcePolicySchema,
  type ThreatExchangeOptions,
  type WarninglistDefinition,
  warninglistIdFromName,
} from '@ce/cte';
import { z } from 'zod';

/** Schema of the `cte` section. */
export const cteSectionSchema = z
  .object({
    /** How the merged view picks severity and reputation among sources. */
    policy: z
      .object({
        severityStrategy: z.enum(mergeStrategies).optional(),
        reputationStrategy: z.enum(mergeStrategies).optional(),
      })
      .strict()
      .optional(),
    /** Expiry after last seen: `default` and per indicator type (`url: 30d`). */
    expiry: indicatorPolicySchema.shape.expiry.optional(),
    /** How long inactive indicators are kept. */
    retention: durationSchema.optional(),
    /** MISP's decay model; without it indicators expire by age alone. */
    decay: decayModelSchema.optional(),
    /** MISP warninglist files (JSON), relative to the configuration file. */
    warninglists: z.array(z.string().min(1)).default([]),
    /** The built-in warninglists (private, reserved and documentation ranges...). */
    builtInWarninglists: z.boolean().default(true),
    /** How often expiry and purge run. */
    agingInterval: durationSchema.optional(),
    /** How often a source is pulled when its configuration sets no interval. */
    defaultPullInterval: durationSchema.optional(),
  })
  .strict();

/** Schema of the `sharingRules` section: the engine's sharing rule schema, entry by entry. */
export const sharingRulesSectionSchema = z.array(sharingRuleInputSchema);

/** Schema of the `lists` section. */
export const listsSectionSchema = z.array(indicatorListInputSchema);

/** Schema of the `sourcePolicies` section: policies by source id. */
export const sourcePoliciesSectionSchema = z.record(z.string().min(1).max(256), sourcePolicySchema);

/** A sharing rule from the configuration file, validated. */
export type HostSharingRule = z.output<typeof sharingRuleInputSchema>;
/** A saved list from the configuration file, validated. */
export type HostIndicatorList = z.output<typeof indicatorListInputSchema>;
/** A source policy from the configuration file, validated. */
export type HostSourcePolicy = z.output<typeof sourcePolicySchema>;

/** The resolved `cte` section. */
export interface HostCteConfig {
  /** Options for `threatExchange()`, the warninglist files already read and parsed. */
  options: ThreatExchangeOptions;
  /** Absolute paths of the warninglist files, for the log. */
  warninglistFiles: string[];
}

/** Reads one MISP warninglist file; its id is the file's name (or its directory's, for `list.json`). */
function readWarninglist(
  file: string,
  path: string,
  issues: FieldIssue[],
): WarninglistDefinition | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    issues.push({
      path,
      reason: `cannot read warninglist file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    });
    return undefined;
  }
  let stem = basename(file, extname(file));
  if (stem === 'list') stem = basename(dirname(file)) || stem;
  try {
    return parseMispWarninglist(text, { id: warninglistIdFromName(stem), source: file });
  } catch (error) {
    const reasons =
      CeError.isInstance(error) && Array.isArray(error.details.issues)
        ? (error.details.issues as FieldIssue[]).map((issue) =>
            issue.path ? `${issue.path}: ${issue.reason}` : issue.reason,
          )
        : [(error as Error).message];
    for (const reason of reasons) issues.push({ path, reason: `${file}: ${reason}` });
    return undefined;
  }
}

/**
 * Turns the validated `cte` section into module options: reads the warninglist files (relative
 * to `baseDir`) and folds expiry and retention into the policy. Problems are pushed to `issues`.
 */
export function resolveCteSection(
  section: z.output<typeof cteSectionSchema>,
  baseDir: string,
  issues: FieldIssue[],
): HostCteConfig {
  const warninglistFiles = section.warninglists.map((entry) => resolve(baseDir, entry));
  const warninglists = warninglistFiles.flatMap((file, index) => {
    const list = readWarninglist(file, formatPath(['cte', 'warninglists', index]), issues);
    return list ? [list] : [];
  });
  const options: ThreatExchangeOptions = {
    policy: {
      ...section.policy,
      ...(section.expiry !== undefined ? { expiry: section.expiry } : {}),
      ...(section.retention !== undefined ? { retention: section.retention } : {}),
    },
    builtInWarninglists: section.builtInWarninglists,
    warninglists,
    ...(section.decay !== undefined ? { decay: section.decay } : {}),
    ...(section.agingInterval !== undefined ? { agingIntervalMs: section.agingInterval } : {}),
    ...(section.defaultPullInterval !== undefined
      ? { defaultPullIntervalMs: section.defaultPullInterval }
      : {}),
  };
  return { options, warninglistFiles };
}

/** Names duplicate sharing rule ids and list names, which would silently replace each other. */
export function duplicateIssues(
  sharingRules: ReadonlyArray<HostSharingRule>,
  lists: ReadonlyArray<HostIndicatorList>,
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const ids = new Set<string>();
  sharingRules.forEach((rule, index) => {
    if (ids.has(rule.id))
      issues.push({ path: `sharingRules[${index}].id`, reason: `duplicate sharing rule id "${rule.id}"` });
    ids.add(rule.id);
  });
  const names = new Set<string>();
  lists.forEach((list, index) => {
    if (names.has(list.name))
      issues.push({ path: `lists[${index}].name`, reason: `duplicate list name "${list.name}"` });
    names.add(list.name);
  });
  return issues;
}
