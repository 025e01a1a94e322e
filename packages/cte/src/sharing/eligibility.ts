import {
  type IndicatorType,
  type Rule,
  type RuleEngine,
  type RulePredicate,
  type StoredIndicator,
  tlpRank,
} from '@ce/core';
import type { SharingRule } from './sharing-rule.js';

/** Why an indicator is or is not shared by a rule: the first check that failed, or none. */
export type EligibilityStep =
  | 'inactive'
  | 'suppressed'
  | 'test'
  | 'tlp'
  | 'type'
  | 'source'
  | 'echo'
  | 'list'
  | 'filter'
  | 'exception';

/** The outcome of checking one indicator against one sharing rule. */
export type Eligibility = { eligible: true } | { eligible: false; step: EligibilityStep; reason: string };

/** The record sharing filters see: the merged view flattened, with current sources and counts. */
export interface SharingView {
  type: IndicatorType;
  value: string;
  severity: string;
  reputation: number;
  confidence?: number;
  tags: string[];
  sources: string[];
  tlp?: string;
  firstSeen: number;
  lastSeen: number;
  expiresAt?: number;
  active: boolean;
  safe: boolean;
  test: boolean;
  hits: number;
  sightings: number;
  decayScore?: number;
}

/** Builds the record a sharing filter is evaluated against. */
export function sharingView(indicator: StoredIndicator): SharingView {
  const current = indicator.sources.filter((record) => record.withdrawnAt === undefined);
  const view: SharingView = {
    type: indicator.type,
    value: indicator.value,
    severity: indicator.merged.severity,
    reputation: indicator.merged.reputation,
    tags: indicator.merged.tags,
    sources: current.map((record) => record.sourceId),
    firstSeen: indicator.merged.firstSeen,
    lastSeen: indicator.merged.lastSeen,
    active: indicator.active,
    safe: indicator.merged.safe,
    test: indicator.merged.test,
    hits: indicator.sources.reduce((sum, record) => sum + record.hits, 0),
    sightings: indicator.sightings.total,
  };
  if (indicator.merged.confidence !== undefined) view.confidence = indicator.merged.confidence;
  if (indicator.merged.tlp !== undefined) view.tlp = indicator.merged.tlp;
  if (indicator.expiresAt !== undefined) view.expiresAt = indicator.expiresAt;
  if (indicator.decayScore !== undefined) view.decayScore = indicator.decayScore;
  return view;
}

/** A sharing rule compiled once for a run: predicates built, sets made. */
export interface CompiledSharingRule {
  readonly rule: SharingRule;
  check(indicator: StoredIndicator): Eligibility;
}

/**
 * Compiles a sharing rule for checking many indicators. `listRule` is the rule of the saved list
 * the sharing rule names, if any; `acceptedTypes` the types the destination's action accepts.
 */
export function compileSharingRule(
  rule: SharingRule,
  engine: RuleEngine,
  acceptedTypes: ReadonlyArray<IndicatorType>,
  listRule?: Rule,
): CompiledSharingRule {
  const sources = new Set(rule.sources);
  const types = new Set(acceptedTypes);
  const maxTlp = tlpRank(rule.maxTlp);
  const filter: RulePredicate | undefined = rule.filter ? engine.compile(rule.filter) : undefined;
  const inList: RulePredicate | undefined = listRule ? engine.compile(listRule) : undefined;
  const exceptions = rule.exceptions.map((exception) => engine.compile(exception));
  const destination = rule.destination.configId;
  return {
    rule,
    check(indicator) {
      if (!indicator.active)
        return {
          eligible: false,
          step: 'inactive',
          reason: `inactive: ${indicator.inactiveReason ?? 'unknown'}`,
        };
      if (indicator.suppressedBy) {
        return {
          eligible: false,
          step: 'suppressed',
          reason: `suppressed by warninglist "${indicator.suppressedBy.listName}"`,
        };
      }
      if (indicator.merged.test)
        return { eligible: false, step: 'test', reason: 'marked as a test indicator' };
      if (indicator.merged.tlp && tlpRank(indicator.merged.tlp) > maxTlp) {
        return {
          eligible: false,
          step: 'tlp',
          reason: `TLP:${indicator.merged.tlp.toUpperCase()} is above the rule's TLP:${rule.maxTlp.toUpperCase()}`,
        };
      }
      if (!types.has(indicator.type)) {
        return {
          eligible: false,
          step: 'type',
          reason: `action "${rule.destination.action}" does not accept ${indicator.type}`,
        };
      }
      let fromSelectedSource = sources.size === 0;
      let fromDestination = false;
      for (const record of indicator.sources) {
        if (record.withdrawnAt !== undefined) continue;
        if (sources.has(record.sourceId)) fromSelectedSource = true;
        if (record.sourceId === destination) fromDestination = true;
      }
      if (!fromSelectedSource)
        return { eligible: false, step: 'source', reason: "not reported by any of the rule's sources" };
      if (fromDestination && !rule.allowEcho) {
        return {
          eligible: false,
          step: 'echo',
          reason: `reported by "${destination}" itself; not sent back to it`,
        };
      }
      if (!inList && !filter && exceptions.length === 0) return { eligible: true };
      const view = sharingView(indicator);
      if (inList && !inList(view))
        return { eligible: false, step: 'list', reason: `not in list "${rule.list}"` };
      if (filter && !filter(view))
        return { eligible: false, step: 'filter', reason: "does not match the rule's filter" };
      const hit = exceptions.findIndex((exception) => exception(view));
      if (hit >= 0) return { eligible: false, step: 'exception', reason: `matches exception ${hit + 1}` };
      return { eligible: true };
    },
  };
}
