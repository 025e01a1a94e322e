import {
  checkDestinationId,
  checkDestinationStateQuery,
  checkIndicatorKey,
  checkIndicatorKeys,
  checkIndicatorQuery,
  checkIndicatorRecords,
  createIndicatorCodec,
  type DailyCount,
  type DestinationState,
  type DestinationStateQuery,
  dailyCountRange,
  decodeIndicatorCursor,
  encodeIndicatorCursor,
  type IndicatorKey,
  type IndicatorPageRequest,
  type IndicatorQuery,
  type IndicatorSeriesField,
  type IndicatorType,
  type IocStore,
  normalizeDestinationStates,
  type Page,
  prefixUpperBound,
  resolveIocLimit,
  type StoredIndicator,
  utcDayString,
  ValidationError,
  withSequence,
} from '@ce/core';
import type Database from 'better-sqlite3';
import type { SqliteStorage } from './sqlite-storage.js';

/** What {@link createSqliteIocStore} needs of the adapter: the connection and its gate. */
export type SqliteIocStoreHost = Pick<SqliteStorage, 'withDatabase' | 'runInTransaction'>;

type IndicatorInput = Omit<StoredIndicator, 'sequence'>;
/** type, value, sequence, data */
type IndicatorRow = [IndicatorType, string, number, Buffer];

const separator = '\u001f';

/** status, rule_id, sent_fingerprint, shared_at, retracted_at, last_attempt_at, attempts, error_code, error_message, updated_at */
type StateColumns = [
  string,
  string | null,
  string | null,
  number | null,
  number | null,
  number | null,
  number,
  string | null,
  string | null,
  number,
];
const stateColumns =
  'status, rule_id, sent_fingerprint, shared_at, retracted_at, last_attempt_at, attempts, error_code, error_message, updated_at';
/** Every destination id, by skipping along the primary key (a loose index scan). */
const destinationIds = `WITH RECURSIVE destinations (id) AS (
    SELECT MIN(destination_id) FROM cte_destination_states
    UNION ALL
    SELECT (SELECT MIN(destination_id) FROM cte_destination_states WHERE destination_id > destinations.id)
    FROM destinations WHERE destinations.id IS NOT NULL
  )`;
const indicatorColumnCount = 14;
/** Rows per multi-row INSERT of `putMany` (14 parameters each). */
const upsertGroupRows = 64;

/** REPLACE deletes the row of the same (type, value) first: the new row takes the new sequence. */
function upsertSql(rows: number): string {
  const row = `(${new Array(indicatorColumnCount).fill('?').join(', ')})`;
  return `INSERT OR REPLACE INTO cte_indicators (sequence, type, value, active, suppressed, sighted, severity,
      created_at, last_seen, expires_at, inactive_since, source_ids, tags, data)
    VALUES ${new Array(rows).fill(row).join(', ')}`;
}

/** Page cache of the connection, in KiB (negative: KiB rather than pages). */
const cacheSizeKib = -65_536;

function prepare(db: Database.Database) {
  return {
    sequence: db.prepare<[], number>("SELECT value FROM cte_counters WHERE name = 'sequence'").pluck(),
    setSequence: db.prepare<[number]>("UPDATE cte_counters SET value = ? WHERE name = 'sequence'"),
    upsert: db.prepare(upsertSql(1)),
    // Rows in groups: one statement call per group instead of per row.
    upsertGroup: db.prepare(upsertSql(upsertGroupRows)),
    get: db
      .prepare<[string, string], IndicatorRow>(
        'SELECT type, value, sequence, data FROM cte_indicators WHERE type = ? AND value = ?',
      )
      .raw(),
    // Batch reads return two values for the whole batch, the keys as JSON and the records' bytes
    // concatenated: better-sqlite3 allocates a Buffer for every BLOB it returns, which costs
    // more than reading the row. Both aggregates see the rows in the same order.
    changes: db
      .prepare<[number, number], [string, Buffer | null]>(
        `SELECT json_group_array(json_array(type, value, sequence, length(data))),
           CAST(group_concat(data, x'') AS BLOB)
         FROM (SELECT type, value, sequence, data FROM cte_indicators WHERE sequence > ? ORDER BY sequence LIMIT ?)`,
      )
      .raw(),
    getMany: db
      .prepare<[string], [string, Buffer | null]>(
        `SELECT json_group_array(json_array(keys.key, i.sequence, length(i.data))),
           CAST(group_concat(i.data, x'') AS BLOB)
         FROM json_each(?) AS keys
         CROSS JOIN cte_indicators AS i ON i.type = keys.value ->> 0 AND i.value = keys.value ->> 1`,
      )
      .raw(),
    delete: db.prepare<[string, string]>('DELETE FROM cte_indicators WHERE type = ? AND value = ?'),
    destinationIds: db
      .prepare<[], string>(`${destinationIds} SELECT id FROM destinations WHERE id IS NOT NULL`)
      .pluck(),
    deleteState: db.prepare<[string, string, string]>(
      'DELETE FROM cte_destination_states WHERE destination_id = ? AND type = ? AND value = ?',
    ),
    anyState: db
      .prepare<[string], number>('SELECT 1 FROM cte_destination_states WHERE destination_id = ? LIMIT 1')
      .pluck(),
    // One statement per batch: the keys as a JSON array of [type, value], each looked up on the key.
    getStates: db
      .prepare<[string, string], [number, ...StateColumns]>(
        `SELECT keys.key, ${stateColumns} FROM json_each(?) AS keys
         CROSS JOIN cte_destination_states AS s
           ON s.destination_id = ? AND s.type = keys.value ->> 0 AND s.value = keys.value ->> 1`,
      )
      .raw(),
    putState: db.prepare(
      `INSERT OR REPLACE INTO cte_destination_states (destination_id, type, value, ${stateColumns})
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    statesOf: db
      .prepare<[string, string], [string, ...StateColumns]>(
        `${destinationIds} SELECT s.destination_id, ${stateColumns.replaceAll(/(\w+)/g, 's.$1')}
         FROM destinations CROSS JOIN cte_destination_states AS s
           ON s.destination_id = destinations.id AND s.type = ? AND s.value = ?
         WHERE destinations.id IS NOT NULL ORDER BY s.destination_id`,
      )
      .raw(),
    deleteDestination: db.prepare<[string]>('DELETE FROM cte_destination_states WHERE destination_id = ?'),
  };
}

type Statements = ReturnType<typeof prepare>;

/** SQL conditions and parameters for an {@link IndicatorQuery}. */
function whereClause(filter: IndicatorQuery, after?: IndicatorKey): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const list = (column: string, items: ReadonlyArray<string>): void => {
    if (items.length === 0) conditions.push('0');
    else {
      conditions.push(`${column} IN (${items.map(() => '?').join(', ')})`);
      params.push(...items);
    }
  };
  if (filter.types) list('type', filter.types);
  if (filter.severities) list('severity', filter.severities);
  if (filter.sourceId !== undefined) {
    conditions.push('instr(source_ids, ?) > 0');
    params.push(`${separator}${filter.sourceId}${separator}`);
  }
  if (filter.tag !== undefined) {
    conditions.push('instr(tags, ?) > 0');
    params.push(`${separator}${filter.tag}${separator}`);
  }
  for (const [field, column] of [
    ['active', 'active'],
    ['suppressed', 'suppressed'],
    ['sighted', 'sighted'],
  ] as const) {
    if (filter[field] !== undefined) {
      conditions.push(`${column} = ?`);
      params.push(filter[field] ? 1 : 0);
    }
  }
  if (filter.valuePrefix !== undefined && filter.valuePrefix !== '') {
    conditions.push('value >= ?');
    params.push(filter.valuePrefix);
    const bound = prefixUpperBound(filter.valuePrefix);
    if (bound !== undefined) {
      conditions.push('value < ?');
      params.push(bound);
    }
  }
  const range = (value: number | undefined, condition: string): void => {
    if (value === undefined) return;
    conditions.push(condition);
    params.push(value);
  };
  range(filter.createdFrom, 'created_at >= ?');
  range(filter.createdTo, 'created_at < ?');
  range(filter.lastSeenFrom, 'last_seen >= ?');
  range(filter.lastSeenTo, 'last_seen < ?');
  range(filter.expiresBefore, 'expires_at <= ?');
  range(filter.inactiveBefore, 'active = 0 AND inactive_since <= ?');
  if (after) {
    conditions.push('(type, value) > (?, ?)');
    params.push(after.type, after.value);
  }
  return { sql: conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`, params };
}

/**
 * An `IocStore` on the connection of a {@link SqliteStorage}, in the tables of
 * `cteSqliteMigrations` (which `createSqliteStorage` applies; the adapter exposes this
 * store as `storage.iocs`). Writes run in one `BEGIN IMMEDIATE` transaction per call (a savepoint
 * inside a running `transaction()`), through prepared statements; reads wait for running
 * transactions like every other call of the adapter.
 *
 * Each write of an indicator takes the next value of the `cte_counters` row, so sequences grow in
 * commit order and are never reused, even after the newest indicator is deleted. Records are
 * stored in the compact binary form of `createIndicatorCodec`; the fields queries filter on are
 * columns. `sourceId` and `tag` filters scan (`instr` over a U+001F-delimited list), as do
 * filters other than `types`, `valuePrefix` and the cursor, which use the (type, value) index.
 *
 * @example
 * ```ts
 * const storage = createSqliteStorage({ path: './data/ce.db' });
 * const [stored] = await storage.iocs.putMany([indicator]);
 * const changes = await storage.iocs.changesSince(0, 10_000);
 * ```
 */
export function createSqliteIocStore(host: SqliteIocStoreHost): IocStore {
  const codec = createIndicatorCodec();
  let cached: { db: Database.Database; statements: Statements } | undefined;
  const queries = new Map<string, Database.Statement>();

  const statementsOf = (db: Database.Database): Statements => {
    if (cached?.db !== db) {
      // The default 2 MB cache thrashes on the random-order key inserts of a million indicators.
      db.pragma(`cache_size = ${cacheSizeKib}`);
      cached = { db, statements: prepare(db) };
      queries.clear();
    }
    return cached.statements;
  };

  const dynamic = (db: Database.Database, sql: string): Database.Statement => {
    statementsOf(db);
    let statement = queries.get(sql);
    if (!statement) {
      if (queries.size > 500) queries.clear();
      statement = db.prepare(sql);
      queries.set(sql, statement);
    }
    return statement;
  };

  const read = <T>(operation: (s: Statements, db: Database.Database) => T): Promise<T> =>
    host.withDatabase((db) => operation(statementsOf(db), db));

  const write = <T>(operation: (s: Statements, db: Database.Database) => T): Promise<T> =>
    host.runInTransaction((db) => operation(statementsOf(db), db));

  const toIndicator = (row: IndicatorRow): StoredIndicator => codec.decode(row[3], 0, row[0], row[1], row[2]);

  /** A state from its columns, starting at `offset` of a raw row. */
  const toState = (
    destinationId: string,
    type: string,
    value: string,
    row: ReadonlyArray<unknown>,
    offset: number,
  ): DestinationState => {
    const state = {
      destinationId,
      type,
      value,
      status: row[offset],
      attempts: row[offset + 6],
      updatedAt: row[offset + 9],
    } as DestinationState;
    const ruleId = row[offset + 1];
    if (ruleId !== null) state.ruleId = ruleId as string;
    const sentFingerprint = row[offset + 2];
    if (sentFingerprint !== null) state.sentFingerprint = sentFingerprint as string;
    const sharedAt = row[offset + 3];
    if (sharedAt !== null) state.sharedAt = sharedAt as number;
    const retractedAt = row[offset + 4];
    if (retractedAt !== null) state.retractedAt = retractedAt as number;
    const lastAttemptAt = row[offset + 5];
    if (lastAttemptAt !== null) state.lastAttemptAt = lastAttemptAt as number;
    const code = row[offset + 7];
    if (code !== null) state.lastError = { code: code as string, message: row[offset + 8] as string };
    return state;
  };

  const putMany = async (records: ReadonlyArray<IndicatorInput>): Promise<StoredIndicator[]> => {
    checkIndicatorRecords(records);
    return write((s) => {
      codec.reset();
      const ends = new Uint32Array(records.length);
      const extra = new Uint8Array(records.length);
      for (let i = 0; i < records.length; i++) {
        codec.encode(records[i] as IndicatorInput, i);
        ends[i] = codec.length;
        if (codec.lastHadExtraFields) extra[i] = 1;
      }
      const encoded = codec.output();
      let sequence = s.sequence.get() as number;
      const stored = new Array<StoredIndicator>(records.length);
      const groupSize = indicatorColumnCount * upsertGroupRows;
      const params = new Array<unknown>(groupSize);
      let filled = 0;
      let start = 0;
      for (let i = 0; i < records.length; i++) {
        const record = records[i] as IndicatorInput;
        const end = ends[i] as number;
        sequence++;
        const merged = record.merged;
        let sourceIds = separator;
        for (const source of record.sources) sourceIds += `${source?.sourceId}${separator}`;
        params[filled++] = sequence;
        params[filled++] = record.type;
        params[filled++] = record.value;
        params[filled++] = record.active ? 1 : 0;
        params[filled++] = record.suppressedBy != null ? 1 : 0;
        params[filled++] = (record.sightings?.total ?? 0) > 0 ? 1 : 0;
        params[filled++] = typeof merged.severity === 'string' ? merged.severity : null;
        params[filled++] = record.createdAt;
        params[filled++] = typeof merged.lastSeen === 'number' ? merged.lastSeen : null;
        params[filled++] = record.expiresAt ?? null;
        params[filled++] = record.inactiveSince ?? null;
        params[filled++] = sourceIds;
        params[filled++] = Array.isArray(merged.tags)
          ? `${separator}${merged.tags.join(separator)}${separator}`
          : '';
        params[filled++] = encoded.subarray(start, end);
        if (filled === groupSize) {
          s.upsertGroup.run(params);
          filled = 0;
        }
        stored[i] = extra[i] ? { ...record, sequence } : withSequence(record, sequence);
        start = end;
      }
      // The rest row by row, in order, so a key given twice still ends at its later write.
      for (let at = 0; at < filled; at += indicatorColumnCount) {
        s.upsert.run(params.slice(at, at + indicatorColumnCount));
      }
      if (records.length > 0) s.setSequence.run(sequence);
      return stored;
    });
  };

  const getMany = async (keys: ReadonlyArray<IndicatorKey>): Promise<Array<StoredIndicator | undefined>> => {
    checkIndicatorKeys(keys);
    return read((s) => {
      const found = new Array<StoredIndicator | undefined>(keys.length).fill(undefined);
      if (keys.length === 0) return found;
      const pairs = new Array<[string, string]>(keys.length);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as IndicatorKey;
        pairs[i] = [key.type, key.value];
      }
      const [json, bytes] = s.getMany.get(JSON.stringify(pairs)) as [string, Buffer | null];
      if (bytes === null) return found;
      const rows = JSON.parse(json) as Array<[number, number, number]>;
      let offset = 0;
      for (const [index, sequence, length] of rows) {
        const key = keys[index] as IndicatorKey;
        found[index] = codec.decode(bytes, offset, key.type, key.value, sequence);
        offset += length;
      }
      return found;
    });
  };

  const query = async (
    filter: IndicatorQuery = {},
    page: IndicatorPageRequest = {},
  ): Promise<Page<StoredIndicator>> => {
    checkIndicatorQuery(filter);
    const limit = resolveIocLimit(page.limit, 100);
    const after = page.cursor === undefined ? undefined : decodeIndicatorCursor(page.cursor);
    const where = whereClause(filter, after);
    return read((_, db) => {
      const rows = dynamic(
        db,
        `SELECT type, value, sequence, data FROM cte_indicators ${where.sql} ORDER BY type, value LIMIT ?`,
      )
        .raw()
        .all(...where.params, limit + 1) as IndicatorRow[];
      const items = rows.slice(0, limit).map(toIndicator);
      const last = items.at(-1);
      return rows.length > limit && last ? { items, nextCursor: encodeIndicatorCursor(last) } : { items };
    });
  };

  const count = async (filter: IndicatorQuery = {}): Promise<number> => {
    checkIndicatorQuery(filter);
    const where = whereClause(filter);
    return read(
      (_, db) =>
        dynamic(db, `SELECT COUNT(*) FROM cte_indicators ${where.sql}`)
          .pluck()
          .get(...where.params) as number,
    );
  };

  const dailyCounts = async (
    field: IndicatorSeriesField,
    from: number,
    to: number,
    filter: IndicatorQuery = {},
  ): Promise<DailyCount[]> => {
    const { firstDay, days } = dailyCountRange(field, from, to);
    checkIndicatorQuery(filter);
    const column = field === 'createdAt' ? 'created_at' : 'last_seen';
    const where = whereClause(filter);
    const conditions = `${where.sql === '' ? 'WHERE' : `${where.sql} AND`} ${column} >= ? AND ${column} < ?`;
    return read((_, db) => {
      const counts = new Array<number>(days).fill(0);
      if (days > 0) {
        const rows = dynamic(
          db,
          `SELECT CAST(floor(${column} / 86400000.0) AS INTEGER) AS day, COUNT(*) AS n FROM cte_indicators
           ${conditions} GROUP BY day`,
        )
          .raw()
          .all(...where.params, from, to) as Array<[number, number]>;
        for (const [day, n] of rows) counts[day - firstDay] = n;
      }
      return counts.map((n, day) => ({ day: utcDayString(firstDay + day), count: n }));
    });
  };

  return {
    putMany,
    getMany,
    get: async (key) => {
      checkIndicatorKey(key);
      return read((s) => {
        const row = s.get.get(key.type, key.value);
        return row ? toIndicator(row) : undefined;
      });
    },
    query,
    count,
    changesSince: async (sequence, limit) => {
      if (!Number.isFinite(sequence)) {
        throw new ValidationError('invalid changesSince', [{ path: 'sequence', reason: 'must be a number' }]);
      }
      const max = resolveIocLimit(limit, 1_000);
      return read((s) => {
        const [json, bytes] = s.changes.get(sequence, max) as [string, Buffer | null];
        if (bytes === null) return [];
        const rows = JSON.parse(json) as Array<[IndicatorType, string, number, number]>;
        const changes = new Array<StoredIndicator>(rows.length);
        let offset = 0;
        for (let i = 0; i < rows.length; i++) {
          const [type, value, rowSequence, length] = rows[i] as [IndicatorType, string, number, number];
          changes[i] = codec.decode(bytes, offset, type, value, rowSequence);
          offset += length;
        }
        return changes;
      });
    },
    lastSequence: () => read((s) => s.sequence.get() as number),
    dailyCounts,
    deleteMany: async (keys) => {
      checkIndicatorKeys(keys);
      return write((s) => {
        let deleted = 0;
        const destinations = keys.length === 0 ? [] : s.destinationIds.all();
        for (const key of keys) {
          deleted += s.delete.run(key.type, key.value).changes;
          for (const destinationId of destinations) s.deleteState.run(destinationId, key.type, key.value);
        }
        return deleted;
      });
    },
    getDestinationStates: async (destinationId, keys) => {
      checkDestinationId(destinationId);
      checkIndicatorKeys(keys);
      return read((s) => {
        const states = new Array<DestinationState | undefined>(keys.length).fill(undefined);
        if (keys.length === 0 || s.anyState.get(destinationId) === undefined) return states;
        const pairs = new Array<[string, string]>(keys.length);
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i] as IndicatorKey;
          pairs[i] = [key.type, key.value];
        }
        for (const row of s.getStates.iterate(JSON.stringify(pairs), destinationId)) {
          const key = keys[row[0]] as IndicatorKey;
          states[row[0]] = toState(destinationId, key.type, key.value, row, 1);
        }
        return states;
      });
    },
    putDestinationStates: async (input) => {
      const states = normalizeDestinationStates(input);
      return write((s) => {
        for (const state of states) {
          s.putState.run(
            state.destinationId,
            state.type,
            state.value,
            state.status,
            state.ruleId ?? null,
            state.sentFingerprint ?? null,
            state.sharedAt ?? null,
            state.retractedAt ?? null,
            state.lastAttemptAt ?? null,
            state.attempts,
            state.lastError?.code ?? null,
            state.lastError?.message ?? null,
            state.updatedAt,
          );
        }
      });
    },
    queryDestinationStates: async (request: DestinationStateQuery) => {
      const { statuses, limit, after } = checkDestinationStateQuery(request);
      const conditions = ['destination_id = ?'];
      const params: unknown[] = [request.destinationId];
      if (statuses) {
        conditions.push(statuses.size === 0 ? '0' : `status IN (${[...statuses].map(() => '?').join(', ')})`);
        params.push(...statuses);
      }
      if (after) {
        conditions.push('(type, value) > (?, ?)');
        params.push(after.type, after.value);
      }
      return read((_, db) => {
        const rows = dynamic(
          db,
          `SELECT type, value, ${stateColumns} FROM cte_destination_states WHERE ${conditions.join(' AND ')}
           ORDER BY type, value LIMIT ?`,
        )
          .raw()
          .all(...params, limit + 1) as Array<[string, string, ...StateColumns]>;
        const items = rows
          .slice(0, limit)
          .map((row) => toState(request.destinationId, row[0], row[1], row, 2));
        const last = items.at(-1);
        return rows.length > limit && last ? { items, nextCursor: encodeIndicatorCursor(last) } : { items };
      });
    },
    destinationStatesOf: async (key) => {
      checkIndicatorKey(key);
      return read((s) =>
        s.statesOf.all(key.type, key.value).map((row) => toState(row[0], key.type, key.value, row, 1)),
      );
    },
    deleteDestination: async (destinationId) => {
      checkDestinationId(destinationId);
      return write((s) => s.deleteDestination.run(destinationId).changes);
    },
  };
}
