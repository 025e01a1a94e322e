import {
  type AnyPluginDefinition,
  CeError,
  type EntityType,
  pluginSpecVersion,
  type RiskNormalizationSpec,
  type RiskObservationInput,
} from '@ce/core';
import { z } from 'zod';

/** A scripted risk source for engine tests: pages per entity type, served in order. */
export interface ScriptedRiskSource {
  plugin: AnyPluginDefinition;
  /** Pages served per entity type; each pull serves from the page after its checkpoint. */
  pages: Partial<Record<EntityType, RiskObservationInput[][]>>;
  /** Checkpoints each pull started from, per entity type. */
  startedFrom: Array<[EntityType, unknown]>;
  /** Entity types whose pull throws. */
  failing: Set<EntityType>;
}

/** Builds a scripted risk source (`entityTypes` with their default mappings). */
export function scriptedRiskSource(
  id: string,
  defaults: Partial<Record<EntityType, RiskNormalizationSpec>>,
): ScriptedRiskSource {
  const script: ScriptedRiskSource = {
    pages: {},
    startedFrom: [],
    failing: new Set(),
    plugin: undefined as unknown as AnyPluginDefinition,
  };
  script.plugin = {
    specVersion: pluginSpecVersion,
    id,
    name: id,
    version: '1.0.0',
    description: 'scripted risk source',
    modules: ['cre'],
    configSchema: z.object({}),
    cre: {
      source: {
        entityTypes: () => Object.keys(defaults),
        defaultNormalization: (_config, type) => {
          const spec = defaults[type];
          if (!spec) throw new CeError('NOT_SUPPORTED', `no ${type}`);
          return spec;
        },
        async pull(_context, request) {
          script.startedFrom.push([request.entityType, request.checkpoint]);
          if (script.failing.has(request.entityType)) throw new Error('vendor API is down');
          const pages = script.pages[request.entityType] ?? [];
          const at = typeof request.checkpoint === 'number' ? request.checkpoint : 0;
          return {
            observations: pages[at] ?? [],
            checkpoint: Math.min(at + 1, pages.length),
            more: at + 1 < pages.length,
          };
        },
      },
    },
  };
  return script;
}
