/**
 * Applies the threat exchange sections of the configuration file at startup, the way plugin
 * configurations are applied: every entry is checked first (so a bad file changes nothing), then
 * each is added when new, replaced when it differs from what is stored, and left alone (not even
 * an audit entry) when it is the same. Replacing a sharing rule re-evaluates every indicator for
 * it, so an unchanged rule must not be written again.
 *
 * @module
 */
import {
  CeError,
  type CloudExchange,
  ConfigError,
  type FieldIssue,
  issuesFromZod,
  type ThreatDestinationCapability,
} from '@ce/core';
import type { ThreatExchange } from '@ce/cte';
import type { ApplyResult } from './apply-configurations.js';
import type { HostIndicatorList, HostSharingRule, HostSourcePolicy } from './threat-config.js';

/** The threat exchange settings of a configuration file. */
export interface ThreatSettings {
  /** Saved lists, applied first: rules may refer to them. */
  lists: ReadonlyArray<HostIndicatorList>;
  /** Source policies by source id. */
  sourcePolicies: Readonly<Record<string, HostSourcePolicy>>;
  /** Sharing rules, applied last. */
  sharingRules: ReadonlyArray<HostSharingRule>;
}

/** What {@link applyThreatSettings} did, per section. */
export interface ThreatApplyResult {
  lists: ApplyResult;
  sourcePolicies: ApplyResult;
  sharingRules: ApplyResult;
}

/** Options of {@link applyThreatSettings}. */
export interface ApplyThreatSettingsOptions {
  /**
   * Audit actor of the changes.
   * @default 'config-file'
   */
  actor?: string;
  /** Where the settings come from, for error messages. */
  source?: string;
  /**
   * Forget what the sharing rules shared before and share everything again: for destinations
   * that were replaced since the last start, as the demo's in-process tenants are. Nothing is
   * retracted.
   * @default false
   */
  reshare?: boolean;
}

/** JSON with sorted keys and without `undefined`, to compare stored and desired settings. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, child: unknown) =>
    typeof child === 'object' && child !== null && !Array.isArray(child)
      ? Object.fromEntries(Object.entries(child).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : child,
  );
}

function withoutTimestamps<T extends { createdAt: number; updatedAt: number }>(
  value: T,
): Omit<T, 'createdAt' | 'updatedAt'> {
  const { createdAt: _createdAt, updatedAt: _updatedAt, ...rest } = value;
  return rest;
}

/** Checks a rule's destination and list as the engine will, returning its parsed parameters. */
async function checkRule(
  exchange: CloudExchange,
  rule: HostSharingRule,
  listNames: ReadonlySet<string>,
  at: (path: string) => string,
  issues: FieldIssue[],
): Promise<Record<string, unknown> | undefined> {
  if (rule.list !== undefined && !listNames.has(rule.list))
    issues.push({ path: at('list'), reason: `no list named "${rule.list}"` });
  const { configId, action: actionId, parameters } = rule.destination;
  const record = (await exchange.configurations.list()).find((candidate) => candidate.id === configId);
  if (!record) {
    issues.push({ path: at('destination.configId'), reason: `no plugin configuration "${configId}"` });
    return undefined;
  }
  const capability = exchange.plugins.has(record.pluginId)
    ? (exchange.plugins.get(record.pluginId).cte?.destination as
        | ThreatDestinationCapability<unknown>
        | undefined)
    : undefined;
  if (!capability) {
    issues.push({
      path: at('destination.configId'),
      reason: `configuration "${configId}" (plugin "${record.pluginId}") is not a threat exchange destination`,
    });
    return undefined;
  }
  const action = capability.getActions(record.config).find((candidate) => candidate.id === actionId);
  if (!action) {
    const offered = capability
      .getActions(record.config)
      .map((candidate) => candidate.id)
      .join(', ');
    issues.push({
      path: at('destination.action'),
      reason: `"${configId}" offers no action "${actionId}" (it offers ${offered})`,
    });
    return undefined;
  }
  if (!action.parameters) return parameters;
  const parsed = action.parameters.safeParse(parameters);
  if (!parsed.success) {
    for (const issue of issuesFromZod(parsed.error))
      issues.push({
        path: at(`destination.parameters${issue.path ? `.${issue.path}` : ''}`),
        reason: issue.reason,
      });
    return undefined;
  }
  return parsed.data as Record<string, unknown>;
}

/** Re-throws an engine error about one entry with the entry's path before each field. */
function atEntry(error: unknown, prefix: string, subject: string): never {
  if (CeError.isInstance(error) && Array.isArray(error.details.issues)) {
    const issues = (error.details.issues as FieldIssue[]).map((issue) => ({
      path: issue.path ? `${prefix}.${issue.path}` : prefix,
      reason: issue.reason,
    }));
    throw new ConfigError(subject, issues, { cause: error });
  }
  throw error;
}

/**
 * Validates every entry (destinations and actions exist, action parameters are accepted, lists
 * named by rules exist), then applies lists, source policies and sharing rules in that order.
 *
 * @throws ConfigError naming each problem as `sharingRules[<index>].<field>`, `lists[<index>]...`.
 *
 * @example
 * ```ts
 * const result = await applyThreatSettings(exchange, exchange.modules.cte, config, { source: config.source });
 * ```
 */
export async function applyThreatSettings(
  exchange: CloudExchange,
  cte: ThreatExchange,
  settings: ThreatSettings,
  options: ApplyThreatSettingsOptions = {},
): Promise<ThreatApplyResult> {
  const actor = options.actor ?? 'config-file';
  const subject = options.source
    ? `invalid configuration file ${options.source}`
    : 'invalid threat exchange settings';
  const issues: FieldIssue[] = [];
  const listNames = new Set([
    ...settings.lists.map((list) => list.name),
    ...(await cte.listLists()).map((list) => list.name),
  ]);
  const parameters: Array<Record<string, unknown> | undefined> = [];
  for (const [index, rule] of settings.sharingRules.entries()) {
    const at = (path: string): string => `sharingRules[${index}].${path}`;
    parameters.push(await checkRule(exchange, rule, listNames, at, issues));
  }
  if (issues.length > 0) throw new ConfigError(subject, issues);

  const result: ThreatApplyResult = {
    lists: { added: [], updated: [], unchanged: [] },
    sourcePolicies: { added: [], updated: [], unchanged: [] },
    sharingRules: { added: [], updated: [], unchanged: [] },
  };
  for (const [index, list] of settings.lists.entries()) {
    const stored = await cte.getList(list.name);
    if (stored && canonical(withoutTimestamps(stored)) === canonical(list)) {
      result.lists.unchanged.push(list.name);
      continue;
    }
    await cte.putList(list, actor).catch((error: unknown) => atEntry(error, `lists[${index}]`, subject));
    (stored ? result.lists.updated : result.lists.added).push(list.name);
  }
  for (const [sourceId, policy] of Object.entries(settings.sourcePolicies)) {
    if (canonical(cte.getSourcePolicy(sourceId)) === canonical(policy)) {
      result.sourcePolicies.unchanged.push(sourceId);
      continue;
    }
    await cte.setSourcePolicy(sourceId, policy, actor);
    result.sourcePolicies.updated.push(sourceId);
  }
  for (const [index, rule] of settings.sharingRules.entries()) {
    let stored = await cte.getSharingRule(rule.id);
    const desired = { ...rule, destination: { ...rule.destination, parameters: parameters[index] } };
    if (stored && options.reshare) {
      await cte.deleteSharingRule(rule.id, { retract: false, actor });
      stored = undefined;
    }
    if (stored && canonical(withoutTimestamps(stored)) === canonical(desired)) {
      result.sharingRules.unchanged.push(rule.id);
      continue;
    }
    await cte
      .putSharingRule(rule, actor)
      .catch((error: unknown) => atEntry(error, `sharingRules[${index}]`, subject));
    (stored ? result.sharingRules.updated : result.sharingRules.added).push(rule.id);
  }
  return result;
}
