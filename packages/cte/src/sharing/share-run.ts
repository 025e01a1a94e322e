import {
  CeError,
  type ChosenAction,
  type DestinationState,
  type IndicatorKey,
  type IocStore,
  type ItemResult,
  indicatorKeyString,
  type KeyValueStore,
  type Logger,
  type PluginRuntime,
  type SharedIndicator,
  type StoredIndicator,
  type ThreatDestinationCapability,
  toCeError,
} from '@ce/core';
import { scanIndicators } from '../engine/scan-indicators.js';
import type { CompiledSharingRule } from './eligibility.js';
import { contentHash, sharedFingerprint, toSharedIndicator } from './fingerprint.js';
import type { SharingRule } from './sharing-rule.js';

/** What one run of a sharing rule did. */
export interface ShareRunReport {
  ruleId: string;
  destinationId: string;
  mode: 'incremental' | 'full';
  /** Indicators looked at. */
  considered: number;
  /** Indicators sent and accepted. */
  shared: number;
  /** Indicators sent and refused, or whose batch failed; retried on later runs. */
  failed: number;
  /** Indicators removed from the destination. */
  retracted: number;
  /** Indicators that did not fit the destination's total cap. */
  overCapacity: number;
  /** Set when the rule was muted and nothing was done. */
  muted?: boolean;
}

/** What a sharing run works with. */
export interface ShareRunContext {
  store: IocStore;
  keyValue: KeyValueStore;
  runtime: PluginRuntime;
  logger: Logger;
  now: () => number;
  signal?: AbortSignal;
  /** Told of indicators shared and retracted, for events. */
  onShared?: (keys: IndicatorKey[]) => void;
  onRetracted?: (keys: IndicatorKey[]) => void;
}

/** The destination id of a rule: the destination configuration and the rule. */
export function destinationIdOf(rule: Pick<SharingRule, 'id' | 'destination'>): string {
  return `${rule.destination.configId}/${rule.id}`;
}

const namespace = 'cte';
const pageSize = 5_000;
const retryBaseMs = 60_000;
const retryMaxMs = 3_600_000;

/**
 * Runs one sharing rule once: sends the destination what it should have and does not, retracts
 * what it should no longer have, and records a state per indicator. Per-indicator failures are
 * recorded and retried on later runs without failing the run; a failure of the destination as a
 * whole (bad credentials, outage) stops the run with a typed error after recording what was done.
 *
 * Incremental rules read the store's change feed from the rule's high-water mark, which advances
 * only after a page's states are stored: a crash repeats at most one page, never skips one.
 */
export async function runSharingRule(
  context: ShareRunContext,
  compiled: CompiledSharingRule,
  destination: ThreatDestinationCapability<unknown>,
): Promise<ShareRunReport> {
  const rule = compiled.rule;
  const destinationId = destinationIdOf(rule);
  const mode = destination.mode === 'replace' ? 'full' : rule.mode;
  const report: ShareRunReport = {
    ruleId: rule.id,
    destinationId,
    mode,
    considered: 0,
    shared: 0,
    failed: 0,
    retracted: 0,
    overCapacity: 0,
  };
  if (rule.mutedUntil !== undefined && rule.mutedUntil > context.now()) return { ...report, muted: true };
  const action: ChosenAction = { id: rule.destination.action, parameters: rule.destination.parameters };
  const sender = new DestinationSender(context, rule, destinationId, destination, action, report);
  if (mode === 'incremental') await runIncremental(context, compiled, sender, report);
  else await runFull(context, compiled, sender, destination, report);
  return report;
}

async function runIncremental(
  context: ShareRunContext,
  compiled: CompiledSharingRule,
  sender: DestinationSender,
  report: ShareRunReport,
): Promise<void> {
  const hwmKey = `share-hwm:${compiled.rule.id}`;
  let hwm = (await context.keyValue.get<number>(namespace, hwmKey))?.value ?? 0;
  for (;;) {
    context.signal?.throwIfAborted();
    const page = await context.store.changesSince(hwm, pageSize);
    if (page.length === 0) break;
    await sender.reconcile(page, compiled);
    hwm = (page[page.length - 1] as StoredIndicator).sequence;
    await context.keyValue.set(namespace, hwmKey, hwm);
    report.considered += page.length;
  }
  await retryFailed(context, compiled, sender);
}

/** Re-sends indicators whose last attempt failed, once their backoff has passed. */
async function retryFailed(
  context: ShareRunContext,
  compiled: CompiledSharingRule,
  sender: DestinationSender,
): Promise<void> {
  let cursor: string | undefined;
  const now = context.now();
  do {
    const page = await context.store.queryDestinationStates({
      destinationId: sender.destinationId,
      statuses: ['failed'],
      limit: pageSize,
      ...(cursor ? { cursor } : {}),
    });
    const due = page.items.filter(
      (state) =>
        (state.lastAttemptAt ?? 0) +
          Math.min(retryMaxMs, retryBaseMs * 2 ** Math.max(0, state.attempts - 1)) <=
        now,
    );
    if (due.length > 0) {
      const indicators = (await context.store.getMany(due)).filter(
        (item): item is StoredIndicator => item !== undefined,
      );
      await sender.reconcile(indicators, compiled, true);
    }
    cursor = page.nextCursor;
  } while (cursor);
}

async function runFull(
  context: ShareRunContext,
  compiled: CompiledSharingRule,
  sender: DestinationSender,
  destination: ThreatDestinationCapability<unknown>,
  report: ShareRunReport,
): Promise<void> {
  const eligible: StoredIndicator[] = [];
  for await (const page of scanIndicators(context.store, { active: true, suppressed: false })) {
    context.signal?.throwIfAborted();
    for (const indicator of page) if (compiled.check(indicator).eligible) eligible.push(indicator);
    report.considered += page.length;
  }

  const cap = destination.limits.maxTotal ?? Number.POSITIVE_INFINITY;
  // Over the cap, the most severe and most recently seen are kept.
  if (eligible.length > cap) {
    eligible.sort(
      (a, b) =>
        severityOrder(b.merged.severity) - severityOrder(a.merged.severity) ||
        b.merged.lastSeen - a.merged.lastSeen,
    );
  }
  const kept = eligible.slice(0, cap);
  const overflow = eligible.slice(cap);
  const keptKeys = new Set(kept.map((indicator) => indicatorKeyString(indicator)));

  const outgoing = kept.map(toOutgoing);
  if (destination.mode === 'replace') {
    const setFingerprint = contentHash(
      outgoing
        .map((item) => item.fingerprint)
        .sort()
        .join('|'),
    );
    const lastKey = `share-set:${compiled.rule.id}`;
    const last = (await context.keyValue.get<string>(namespace, lastKey))?.value;
    if (last !== setFingerprint) {
      const failedBefore = report.failed;
      await sender.replace(outgoing);
      // A set with refused entries is sent again next run; an accepted one only when it changes.
      if (report.failed === failedBefore) await context.keyValue.set(namespace, lastKey, setFingerprint);
    }
  } else {
    await sender.push(outgoing);
  }
  if (overflow.length > 0) await sender.markOverCapacity(overflow, cap);
  await sender.retractAllExcept(keptKeys, destination.mode === 'replace');
}

const severities = ['unknown', 'low', 'medium', 'high', 'critical'];
function severityOrder(severity: string): number {
  return severities.indexOf(severity);
}

/** An indicator on its way to a destination, with what is sent and its fingerprint. */
interface Outgoing {
  indicator: StoredIndicator;
  shared: SharedIndicator;
  fingerprint: string;
}

function toOutgoing(indicator: StoredIndicator): Outgoing {
  const shared = toSharedIndicator(indicator);
  return { indicator, shared, fingerprint: sharedFingerprint(shared) };
}

/** Sends batches to one destination and keeps its per-indicator states. */
class DestinationSender {
  constructor(
    private readonly context: ShareRunContext,
    private readonly rule: SharingRule,
    readonly destinationId: string,
    private readonly destination: ThreatDestinationCapability<unknown>,
    private readonly action: ChosenAction,
    private readonly report: ShareRunReport,
  ) {}

  /** Pushes what is eligible and changed, retracts what was shared and no longer is. */
  async reconcile(
    indicators: ReadonlyArray<StoredIndicator>,
    compiled: CompiledSharingRule,
    forcePush = false,
  ): Promise<void> {
    const states = await this.context.store.getDestinationStates(this.destinationId, indicators);
    const toPush: Outgoing[] = [];
    const toRetract: StoredIndicator[] = [];
    const quietlyDropped: DestinationState[] = [];
    indicators.forEach((indicator, index) => {
      const state = states[index];
      if (compiled.check(indicator).eligible) {
        const shared = toSharedIndicator(indicator);
        const fingerprint = sharedFingerprint(shared);
        if (!forcePush && state?.status === 'shared' && state.sentFingerprint === fingerprint) return;
        toPush.push({ indicator, shared, fingerprint });
      } else if (state && state.status !== 'retracted') {
        if (state.sharedAt !== undefined) toRetract.push(indicator);
        else quietlyDropped.push({ ...state, status: 'retracted', updatedAt: this.context.now() });
      }
    });
    if (quietlyDropped.length > 0) await this.context.store.putDestinationStates(quietlyDropped);
    await this.push(toPush);
    await this.retract(toRetract);
  }

  /** Pushes in batches within the destination's count and byte limits. */
  async push(items: ReadonlyArray<Outgoing>): Promise<void> {
    const { maxBatchCount, maxBatchBytes } = this.destination.limits;
    let batch: Outgoing[] = [];
    let bytes = 2;
    for (const item of items) {
      const size = maxBatchBytes === undefined ? 0 : Buffer.byteLength(JSON.stringify(item.shared)) + 1;
      if (
        batch.length > 0 &&
        (batch.length >= maxBatchCount || (maxBatchBytes !== undefined && bytes + size > maxBatchBytes))
      ) {
        await this.sendBatch(batch);
        batch = [];
        bytes = 2;
      }
      batch.push(item);
      bytes += size;
    }
    if (batch.length > 0) await this.sendBatch(batch);
  }

  /** Replaces the destination's whole list with `items` in one call. */
  async replace(items: ReadonlyArray<Outgoing>): Promise<void> {
    await this.sendBatch(items);
  }

  private async sendBatch(batch: ReadonlyArray<Outgoing>): Promise<void> {
    const now = this.context.now();
    const previous = await this.context.store.getDestinationStates(
      this.destinationId,
      batch.map((item) => item.indicator),
    );
    let results: ReadonlyArray<ItemResult>;
    let batchError: CeError | undefined;
    try {
      results = await this.context.runtime.invoke(
        this.rule.destination.configId,
        'cte.push',
        async (pluginContext) =>
          this.destination.push(
            pluginContext,
            batch.map((item) => item.shared),
            this.action,
          ),
        this.context.signal ? { signal: this.context.signal } : {},
      );
    } catch (error) {
      batchError = toCeError(error);
      results = [];
    }
    const byKey = new Map(results.map((result) => [result.key, result]));
    const states: DestinationState[] = [];
    const sharedKeys: IndicatorKey[] = [];
    batch.forEach(({ indicator, fingerprint }, index) => {
      const key = indicatorKeyString(indicator);
      const before = previous[index];
      const result = byKey.get(key);
      const base: DestinationState = {
        type: indicator.type,
        value: indicator.value,
        destinationId: this.destinationId,
        ruleId: this.rule.id,
        status: 'failed',
        attempts: (before?.status === 'failed' ? before.attempts : 0) + 1,
        lastAttemptAt: now,
        updatedAt: now,
        ...(before?.sharedAt !== undefined ? { sharedAt: before.sharedAt } : {}),
      };
      if (result?.ok) {
        states.push({
          ...base,
          status: 'shared',
          attempts: 0,
          sharedAt: now,
          sentFingerprint: fingerprint,
        });
        sharedKeys.push({ type: indicator.type, value: indicator.value });
        this.report.shared++;
      } else {
        const error =
          result && !result.ok
            ? result.error
            : batchError
              ? { code: batchError.code, message: batchError.message }
              : { code: 'PLUGIN_FAILED', message: 'the destination returned no result for this indicator' };
        states.push({ ...base, lastError: { code: error.code, message: error.message } });
        this.report.failed++;
      }
    });
    await this.context.store.putDestinationStates(states);
    if (sharedKeys.length > 0) this.context.onShared?.(sharedKeys);
    if (batchError && !batchError.retryable) throw batchError;
    if (batchError)
      this.context.logger.warn('sharing batch failed; will retry', {
        ruleId: this.rule.id,
        error: batchError.toJSON(),
      });
  }

  /** Retracts indicators from the destination, when it supports removal. */
  async retract(indicators: ReadonlyArray<StoredIndicator | DestinationState>): Promise<void> {
    if (indicators.length === 0) return;
    const now = this.context.now();
    const retractFn = this.destination.retract;
    for (let start = 0; start < indicators.length; start += this.destination.limits.maxBatchCount) {
      const batch = indicators.slice(start, start + this.destination.limits.maxBatchCount);
      const keys = batch.map((item) => ({ type: item.type, value: item.value }));
      let results: ReadonlyArray<ItemResult> = keys.map((key) => ({
        key: indicatorKeyString(key),
        ok: true as const,
      }));
      let batchError: CeError | undefined;
      if (retractFn) {
        try {
          results = await this.context.runtime.invoke(
            this.rule.destination.configId,
            'cte.retract',
            async (pluginContext) => retractFn(pluginContext, keys, this.action),
            this.context.signal ? { signal: this.context.signal } : {},
          );
        } catch (error) {
          batchError = toCeError(error);
          results = [];
        }
      }
      const byKey = new Map(results.map((result) => [result.key, result]));
      const previous = await this.context.store.getDestinationStates(this.destinationId, keys);
      const states: DestinationState[] = [];
      const retracted: IndicatorKey[] = [];
      keys.forEach((key, index) => {
        const result = byKey.get(indicatorKeyString(key));
        const before = previous[index];
        const base = {
          ...key,
          destinationId: this.destinationId,
          ruleId: this.rule.id,
          attempts: 0,
          lastAttemptAt: now,
          updatedAt: now,
          ...(before?.sharedAt !== undefined ? { sharedAt: before.sharedAt } : {}),
        };
        if (result?.ok) {
          states.push({ ...base, status: 'retracted', retractedAt: now });
          retracted.push(key);
          this.report.retracted++;
        } else {
          const error =
            result && !result.ok
              ? result.error
              : { code: batchError?.code ?? 'PLUGIN_FAILED', message: batchError?.message ?? 'no result' };
          // Still shared at the destination: the retraction is owed and is tried again next run.
          states.push({
            ...base,
            status: 'shared',
            attempts: (before?.attempts ?? 0) + 1,
            lastError: { code: error.code, message: error.message },
          });
          this.report.failed++;
        }
      });
      await this.context.store.putDestinationStates(states);
      if (retracted.length > 0) this.context.onRetracted?.(retracted);
      if (batchError && !batchError.retryable) throw batchError;
    }
  }

  /** Records indicators that did not fit under the destination's total cap. */
  async markOverCapacity(indicators: ReadonlyArray<StoredIndicator>, cap: number): Promise<void> {
    const now = this.context.now();
    const previous = await this.context.store.getDestinationStates(this.destinationId, indicators);
    const states = indicators.map(
      (indicator, index): DestinationState => ({
        type: indicator.type,
        value: indicator.value,
        destinationId: this.destinationId,
        ruleId: this.rule.id,
        status: 'failed',
        attempts: (previous[index]?.attempts ?? 0) + 1,
        lastAttemptAt: now,
        updatedAt: now,
        lastError: {
          code: 'CONFLICT',
          message: `did not fit: the destination holds at most ${cap} indicators`,
        },
      }),
    );
    await this.context.store.putDestinationStates(states);
    this.report.overCapacity += indicators.length;
  }

  /**
   * Retracts every indicator shared with the destination that is not in `keep`. For destinations
   * that replace their list, the replacement already removed them: only the states change.
   */
  async retractAllExcept(keep: ReadonlySet<string>, byOmission: boolean): Promise<void> {
    const stale: DestinationState[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.context.store.queryDestinationStates({
        destinationId: this.destinationId,
        statuses: ['shared'],
        limit: pageSize,
        ...(cursor ? { cursor } : {}),
      });
      for (const state of page.items) if (!keep.has(indicatorKeyString(state))) stale.push(state);
      cursor = page.nextCursor;
    } while (cursor);
    if (stale.length === 0) return;
    if (!byOmission) {
      await this.retract(stale);
      return;
    }
    const now = this.context.now();
    await this.context.store.putDestinationStates(
      stale.map((state) => ({
        ...state,
        status: 'retracted' as const,
        retractedAt: now,
        updatedAt: now,
        attempts: 0,
      })),
    );
    this.report.retracted += stale.length;
    this.context.onRetracted?.(stale.map((state) => ({ type: state.type, value: state.value })));
  }
}

/** Thrown when a rule names a destination that cannot receive indicators. */
export function notADestination(configId: string, pluginId: string): CeError {
  return new CeError(
    'CONFIG_INVALID',
    `configuration "${configId}" (plugin "${pluginId}") is not a threat exchange destination`,
  );
}
