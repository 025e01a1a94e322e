/**
 * A bare indexed RiskStore for the bench, used only while core's memory store is not there: maps
 * for entities, identities and rollups, version checks, no copies. It measures the engine, not a
 * store.
 */
import { CeError, type RiskDailyRollup, type RiskEntity, type RiskStore } from '@ce/core';

export function createIndexedRiskStore(): RiskStore {
  const entities = new Map<string, RiskEntity>();
  // Nested maps rather than concatenated keys: a fresh key string is hashed on every lookup.
  const identities = new Map<string, Map<string, string>>();
  const rollups = new Map<string, Map<string, RiskDailyRollup>>();
  const identitiesOf = (type: string): Map<string, string> => {
    let map = identities.get(type);
    if (!map) {
      map = new Map();
      identities.set(type, map);
    }
    return map;
  };
  const rollupsOf = (type: string, day: string): Map<string, RiskDailyRollup> => {
    const key = `${type}\0${day}`;
    let map = rollups.get(key);
    if (!map) {
      map = new Map();
      rollups.set(key, map);
    }
    return map;
  };
  const unsupported = async (): Promise<never> => {
    throw new CeError('NOT_SUPPORTED', 'not in the bench store');
  };
  return {
    async commit(changes) {
      const written: RiskEntity[] = [];
      for (const { entity, expectedVersion } of changes.entities ?? []) {
        const current = entities.get(entity.id);
        if ((current?.version ?? null) !== expectedVersion)
          throw new CeError('CONFLICT', `version of ${entity.id}`);
        const stored = { ...entity, version: (expectedVersion ?? 0) + 1 };
        entities.set(entity.id, stored);
        if (current === undefined || current.keys !== entity.keys || current.aliases !== entity.aliases) {
          const map = identitiesOf(entity.type);
          for (const field in entity.keys) map.set(`${field}:${entity.keys[field]}`, entity.id);
          for (const alias of entity.aliases) map.set(alias, entity.id);
        }
        written.push(stored);
      }
      for (const rollup of changes.rollups ?? [])
        rollupsOf(rollup.entityType, rollup.day).set(rollup.entityId ?? '', rollup);
      return written;
    },
    async getEntity(id) {
      return entities.get(id);
    },
    async findEntity(type, field, value) {
      const id = identitiesOf(type).get(`${field}:${value}`);
      return id === undefined ? undefined : entities.get(id);
    },
    async findEntities(type, wanted) {
      const found = new Map<string, RiskEntity>();
      const map = identitiesOf(type);
      for (const identity of wanted) {
        const id = map.get(identity);
        const entity = id === undefined ? undefined : entities.get(id);
        if (entity) found.set(identity, entity);
      }
      return found;
    },
    async queryEntities() {
      return { items: [] };
    },
    async countEntities() {
      return entities.size;
    },
    async queryRollups(query) {
      const rollup = query.fromDay
        ? rollupsOf(query.entityType, query.fromDay).get(query.entityId ?? '')
        : undefined;
      return rollup ? [rollup] : [];
    },
    ruleStates: unsupported,
    getAction: unsupported,
    queryActions: unsupported,
    prune: unsupported,
  };
}
