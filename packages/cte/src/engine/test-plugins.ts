import {
  type AnyPluginDefinition,
  type IndicatorReportInput,
  type IndicatorType,
  type ItemResult,
  indicatorKeyString,
  pluginSpecVersion,
  type SharedIndicator,
} from '@ce/core';
import { z } from 'zod';

/** A scripted source for engine tests: batches are given per pull. */
export interface ScriptedSource {
  plugin: AnyPluginDefinition;
  /** Batches the next pull yields, each with its checkpoint. */
  nextPull: Array<{ indicators: IndicatorReportInput[]; checkpoint?: string }>;
  /** Checkpoints the pulls started from. */
  startedFrom: Array<unknown>;
  /** Throw after this many batches of the next pull (a crash mid-pull). */
  failAfter?: number;
  /** Values the source says it no longer reports (`listRetracted`). */
  retracted: Set<string>;
}

/** Builds a scripted source plugin (`mode` incremental or full). */
export function scriptedSource(id: string, mode: 'incremental' | 'full'): ScriptedSource {
  const script: ScriptedSource = {
    nextPull: [],
    startedFrom: [],
    retracted: new Set(),
    plugin: undefined as unknown as AnyPluginDefinition,
  };
  script.plugin = {
    specVersion: pluginSpecVersion,
    id,
    name: id,
    version: '1.0.0',
    description: 'scripted source',
    modules: ['cte'],
    configSchema: z.object({}),
    cte: {
      source: {
        mode,
        async *pull(_context, checkpoint) {
          script.startedFrom.push(checkpoint);
          let emitted = 0;
          for (const batch of script.nextPull) {
            if (script.failAfter !== undefined && emitted >= script.failAfter)
              throw new Error('connection lost mid-pull');
            emitted++;
            yield batch;
          }
        },
        async listRetracted(_context, keys) {
          return keys.filter((key) => script.retracted.has(key.value));
        },
      },
    },
  };
  return script;
}

/** A recording destination for engine tests. */
export interface RecordingDestination {
  plugin: AnyPluginDefinition;
  /** What the destination holds now, by `type:value`. */
  held: Map<string, SharedIndicator>;
  pushes: SharedIndicator[][];
  retracts: string[][];
  /** Values refused on push (per-item failure). */
  refuse: Set<string>;
  /** Fail the next N push calls as a whole with this error. */
  failCalls: number;
  failWith?: Error;
}

/** Builds a recording destination plugin (`mode` incremental or replace). */
export function recordingDestination(
  id: string,
  mode: 'incremental' | 'replace',
  limits: { maxBatchCount: number; maxBatchBytes?: number; maxTotal?: number },
  types: ReadonlyArray<IndicatorType> = [
    'url',
    'domain',
    'hostname',
    'ipv4',
    'ipv6',
    'sha256',
    'md5',
    'sha1',
    'email',
    'ipv4-cidr',
    'ipv6-cidr',
  ],
): RecordingDestination {
  const destination: RecordingDestination = {
    plugin: undefined as unknown as AnyPluginDefinition,
    held: new Map(),
    pushes: [],
    retracts: [],
    refuse: new Set(),
    failCalls: 0,
  };
  const result = (key: string, ok: boolean): ItemResult =>
    ok
      ? { key, ok: true }
      : {
          key,
          ok: false,
          error: { code: 'VALIDATION_FAILED', message: 'refused by destination', retryable: false },
        };
  destination.plugin = {
    specVersion: pluginSpecVersion,
    id,
    name: id,
    version: '1.0.0',
    description: 'recording destination',
    modules: ['cte'],
    configSchema: z.object({}),
    cte: {
      destination: {
        mode,
        limits,
        getActions: () => [
          {
            id: 'block',
            label: 'Block',
            indicatorTypes: types,
            parameters: z.object({ list: z.string().default('default') }),
          },
        ],
        async push(_context, indicators) {
          if (destination.failCalls > 0) {
            destination.failCalls--;
            throw destination.failWith ?? new Error('destination down');
          }
          destination.pushes.push([...indicators]);
          if (mode === 'replace') destination.held.clear();
          return indicators.map((indicator) => {
            const key = indicatorKeyString(indicator);
            const ok = !destination.refuse.has(indicator.value);
            if (ok) destination.held.set(key, indicator);
            return result(key, ok);
          });
        },
        ...(mode === 'incremental'
          ? {
              async retract(_context: unknown, keys: ReadonlyArray<{ type: IndicatorType; value: string }>) {
                destination.retracts.push(keys.map(indicatorKeyString));
                return keys.map((key) => {
                  destination.held.delete(indicatorKeyString(key));
                  return result(indicatorKeyString(key), true);
                });
              },
            }
          : {}),
      },
    },
  } as AnyPluginDefinition;
  return destination;
}
