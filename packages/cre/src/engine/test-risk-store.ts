import {
  CeError,
  type EntityType,
  type Page,
  type RiskActionLogEntry,
  type RiskActionQuery,
  type RiskDailyRollup,
  type RiskEntity,
  type RiskEntityQuery,
  type RiskRollupQuery,
  type RiskRuleState,
  type RiskStore,
  type RiskStoreCommit,
} from '@ce/core';

/**
 * A small RiskStore for the engine's tests while core's memory store is being written: versions,
 * unique identities per type, atomic commits, and copies in and out. Counts its calls.
 */
export function createTestRiskStore(): RiskStore & { commits: RiskStoreCommit[]; failNextCommit?: Error } {
  const entities = new Map<string, RiskEntity>();
  const rollups = new Map<string, RiskDailyRollup>();
  const ruleStates = new Map<string, RiskRuleState>();
  const actions = new Map<string, RiskActionLogEntry>();
  const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
  const identitiesOf = (entity: RiskEntity): string[] => [
    ...Object.entries(entity.keys).map(([field, value]) => `${entity.type}\0${field}:${value}`),
    ...entity.aliases.map((alias) => `${entity.type}\0${alias}`),
  ];
  const rollupKey = (rollup: { entityType: string; entityId?: string; day: string }) =>
    `${rollup.entityType}\0${rollup.entityId ?? ''}\0${rollup.day}`;
  const store: RiskStore & { commits: RiskStoreCommit[]; failNextCommit?: Error } = {
    commits: [],
    async commit(changes) {
      if (store.failNextCommit) {
        const error = store.failNextCommit;
        delete store.failNextCommit;
        throw error;
      }
      const next = new Map(entities);
      for (const id of changes.deleteEntities ?? []) next.delete(id);
      const written: RiskEntity[] = [];
      for (const { entity, expectedVersion } of changes.entities ?? []) {
        const current = next.get(entity.id);
        if ((current?.version ?? null) !== expectedVersion)
          throw new CeError('CONFLICT', `entity ${entity.id} is not at version ${expectedVersion}`);
        if (entity.score !== null && (entity.score < 0 || entity.score > 1000))
          throw new CeError('VALIDATION_FAILED', `score ${entity.score} out of range`);
        const stored = copy({ ...entity, version: (expectedVersion ?? 0) + 1 });
        next.set(entity.id, stored);
        written.push(stored);
      }
      const owners = new Map<string, string>();
      for (const entity of next.values())
        for (const identity of identitiesOf(entity)) {
          const owner = owners.get(identity);
          if (owner !== undefined && owner !== entity.id)
            throw new CeError('CONFLICT', `identity ${identity} belongs to ${owner} and ${entity.id}`);
          owners.set(identity, entity.id);
        }
      entities.clear();
      for (const [id, entity] of next) entities.set(id, entity);
      for (const id of changes.deleteEntities ?? [])
        for (const [key, rollup] of rollups) if (rollup.entityId === id) rollups.delete(key);
      for (const rollup of changes.rollups ?? []) rollups.set(rollupKey(rollup), copy(rollup));
      for (const state of changes.ruleStates ?? [])
        ruleStates.set(`${state.ruleId}\0${state.entityId}`, copy(state));
      for (const action of changes.actions ?? []) actions.set(action.id, copy(action));
      store.commits.push(changes);
      return written.map(copy);
    },
    async getEntity(id) {
      const entity = entities.get(id);
      return entity && copy(entity);
    },
    async findEntity(type, field, value) {
      return (await store.findEntities(type, [`${field}:${value}`])).get(`${field}:${value}`);
    },
    async findEntities(type: EntityType, identities: ReadonlyArray<string>) {
      const wanted = new Set(identities);
      const found = new Map<string, RiskEntity>();
      for (const entity of entities.values()) {
        if (entity.type !== type) continue;
        for (const identity of identitiesOf(entity)) {
          const bare = identity.slice(identity.indexOf('\0') + 1);
          if (wanted.has(bare)) found.set(bare, copy(entity));
        }
      }
      return found;
    },
    async queryEntities(query: RiskEntityQuery = {}): Promise<Page<RiskEntity>> {
      const limit = Math.min(query.limit ?? 100, 10_000);
      const matching = [...entities.values()]
        .filter(
          (entity) =>
            (query.type === undefined || entity.type === query.type) &&
            (query.bands === undefined || (entity.band !== null && query.bands.includes(entity.band))) &&
            (query.scored === undefined || (entity.score !== null) === query.scored) &&
            (query.sourceConfigId === undefined || query.sourceConfigId in entity.sources),
        )
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const start =
        query.cursor === undefined ? 0 : matching.findIndex((entity) => entity.id > (query.cursor as string));
      const items = start < 0 ? [] : matching.slice(start, start + limit);
      const last = items[items.length - 1];
      return {
        items: items.map(copy),
        ...(last && start + limit < matching.length ? { nextCursor: last.id } : {}),
      };
    },
    async countEntities(query: RiskEntityQuery = {}) {
      let count = 0;
      let cursor: string | undefined;
      do {
        const page = await store.queryEntities({ ...query, limit: 10_000, ...(cursor ? { cursor } : {}) });
        count += page.items.length;
        cursor = page.nextCursor;
      } while (cursor);
      return count;
    },
    async queryRollups(query: RiskRollupQuery) {
      return [...rollups.values()]
        .filter(
          (rollup) =>
            rollup.entityType === query.entityType &&
            rollup.entityId === query.entityId &&
            (query.fromDay === undefined || rollup.day >= query.fromDay) &&
            (query.toDay === undefined || rollup.day <= query.toDay),
        )
        .sort((a, b) => (a.day < b.day ? -1 : 1))
        .map(copy);
    },
    async ruleStates(ruleId, entityIds) {
      return [...ruleStates.values()]
        .filter(
          (state) =>
            state.ruleId === ruleId && (entityIds === undefined || entityIds.includes(state.entityId)),
        )
        .map(copy);
    },
    async getAction(id) {
      const action = actions.get(id);
      return action && copy(action);
    },
    async queryActions(query: RiskActionQuery = {}) {
      return {
        items: [...actions.values()]
          .filter((action) => query.ruleId === undefined || action.ruleId === query.ruleId)
          .map(copy),
      };
    },
    async prune(beforeDay, actionsBefore) {
      let prunedRollups = 0;
      let prunedActions = 0;
      for (const [key, rollup] of rollups)
        if (rollup.day < beforeDay) {
          rollups.delete(key);
          prunedRollups++;
        }
      for (const [id, action] of actions)
        if (
          ['done', 'failed', 'skipped', 'declined'].includes(action.state) &&
          action.updatedAt < actionsBefore
        ) {
          actions.delete(id);
          prunedActions++;
        }
      return { rollups: prunedRollups, actions: prunedActions };
    },
  };
  return store;
}
