import type { EventRecord, StorageAdapter } from '@ce/core';

/** A record that could not be delivered, kept with the reason so it can be inspected and re-driven. */
export interface DeadLetter {
  /** Assigned in order of arrival. */
  id: string;
  /** When it was dead-lettered (epoch ms). */
  at: number;
  /**
   * Where it failed: `format` (the route could not format the record), `sink` (the sink refused
   * it for good), `spool` (larger than the sink's whole spool, or a damaged spool entry).
   */
  stage: 'format' | 'sink' | 'spool';
  /** The sink configuration; absent for `format`, where every sink of the route missed it. */
  sinkId?: string;
  /** The route that carried it. */
  routeId: string;
  /** The stream it came from. */
  stream: string;
  /** Its record id. */
  recordId: string;
  /** The batch it was in, for `sink`. */
  batchId?: string;
  /** Why, as the formatter or the destination said it. */
  reason: string;
  /** The formatted payload (`sink`, `spool`) or the record as JSON (`format`); cut to 64 KiB. */
  payload: string;
  /** The record itself, for `format`, so a re-drive can format it again. */
  record?: EventRecord;
}

interface Meta {
  first: number;
  next: number;
  count: number;
}

const namespace = 'cls-dead-letters';
const metaKey = 'meta';
const maxPayloadChars = 65_536;
const maxRecordChars = 1_048_576;

function keyOf(sequence: number): string {
  return `dl:${String(sequence).padStart(15, '0')}`;
}

/**
 * The dead-letter store: a bounded queue in the storage adapter's key-value store (namespace
 * `cls-dead-letters`), so it survives restarts with the checkpoints. Beyond `maxEntries` the
 * oldest letters are dropped and counted.
 */
export class DeadLetterStore {
  private chain: Promise<unknown> = Promise.resolve();
  private meta: Meta | undefined;
  /** Letters dropped because the store was full, since start. */
  dropped = 0;

  constructor(
    private readonly storage: StorageAdapter,
    private readonly maxEntries: number,
  ) {}

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** How many letters are stored. */
  async count(): Promise<number> {
    return (await this.loadMeta()).count;
  }

  private async loadMeta(): Promise<Meta> {
    this.meta ??= (await this.storage.keyValue.get<Meta>(namespace, metaKey))?.value ?? {
      first: 1,
      next: 1,
      count: 0,
    };
    return this.meta;
  }

  /** Stores letters (ids and times are assigned here) in one transaction; returns them as stored. */
  add(letters: ReadonlyArray<Omit<DeadLetter, 'id'>>): Promise<DeadLetter[]> {
    if (letters.length === 0) return Promise.resolve([]);
    return this.serial(async () => {
      const meta = { ...(await this.loadMeta()) };
      const stored: DeadLetter[] = [];
      let dropped = 0;
      await this.storage.transaction(async (tx) => {
        for (const letter of letters) {
          const sequence = meta.next++;
          const entry: DeadLetter = { ...letter, id: String(sequence), payload: cut(letter.payload) };
          const record = letter.record && storableRecord(letter.record);
          if (record) entry.record = record;
          else delete entry.record;
          await tx.keyValue.set(namespace, keyOf(sequence), entry);
          stored.push(entry);
          meta.count++;
        }
        while (meta.count > this.maxEntries && meta.first < meta.next) {
          if (await tx.keyValue.delete(namespace, keyOf(meta.first))) {
            meta.count--;
            dropped++;
          }
          meta.first++;
        }
        await tx.keyValue.set(namespace, metaKey, meta);
      });
      this.meta = meta;
      this.dropped += dropped;
      return stored;
    });
  }

  /** A page of letters, oldest first, optionally only those of one sink or route. */
  async list(
    filter: { sinkId?: string; routeId?: string; after?: string; limit?: number } = {},
  ): Promise<{ items: DeadLetter[]; next?: string }> {
    const limit = Math.min(Math.max(1, Math.trunc(filter.limit ?? 100)), 1_000);
    const items: DeadLetter[] = [];
    let after = filter.after === undefined ? undefined : keyOf(Number(filter.after));
    for (;;) {
      const page = await this.storage.keyValue.list<DeadLetter>(namespace, {
        prefix: 'dl:',
        limit: 1_000,
        ...(after ? { after } : {}),
      });
      for (const entry of page.items) {
        after = entry.key;
        const letter = entry.value;
        if (filter.sinkId !== undefined && letter.sinkId !== filter.sinkId) continue;
        if (filter.routeId !== undefined && letter.routeId !== filter.routeId) continue;
        items.push(letter);
        if (items.length === limit) return { items, next: letter.id };
      }
      if (!page.nextCursor) return { items };
    }
  }

  /** Removes letters by id; returns how many existed. */
  remove(ids: ReadonlyArray<string>): Promise<number> {
    if (ids.length === 0) return Promise.resolve(0);
    return this.serial(async () => {
      const meta = { ...(await this.loadMeta()) };
      let removed = 0;
      await this.storage.transaction(async (tx) => {
        for (const id of ids) if (await tx.keyValue.delete(namespace, keyOf(Number(id)))) removed++;
        meta.count -= removed;
        await tx.keyValue.set(namespace, metaKey, meta);
      });
      this.meta = meta;
      return removed;
    });
  }
}

/** The record as plain JSON data, or undefined when it is too big or cannot be serialized. */
function storableRecord(record: EventRecord): EventRecord | undefined {
  try {
    const text = JSON.stringify(record);
    return text.length > maxRecordChars ? undefined : (JSON.parse(text) as EventRecord);
  } catch {
    return undefined;
  }
}

function cut(text: string): string {
  return text.length > maxPayloadChars ? `${text.slice(0, maxPayloadChars)}…` : text;
}
