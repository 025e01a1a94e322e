import type { LogBatch, LogRejection } from '@ce/core';

interface Progress {
  fingerprint: string;
  done: Set<number>;
  rejected: Map<number, string>;
}

/**
 * What a session already delivered of the batches it failed, so that the shipper's retry of the
 * same batch sends only what is left. A destination that answers per record (Elasticsearch items,
 * HEC's `invalid-event-number`) may take part of a batch before the rest fails; without this the
 * retry would send the accepted part again. The memory is per session and bounded: after a
 * restart the whole batch is sent again, which the destinations absorb (409 on `create`) or
 * duplicate (HEC), as their sections in the README say.
 */
export class BatchProgress {
  private readonly entries = new Map<string, Progress>();

  constructor(private readonly capacity = 32) {}

  /** The progress of a batch, if this session saw it fail part-way (same id and same items). */
  private get(batch: LogBatch): Progress | undefined {
    const entry = this.entries.get(batch.id);
    if (!entry) return undefined;
    if (entry.fingerprint !== fingerprint(batch)) {
      this.entries.delete(batch.id);
      return undefined;
    }
    return entry;
  }

  /** Positions still to send, in order. */
  pending(batch: LogBatch): number[] {
    const entry = this.get(batch);
    const out: number[] = [];
    for (let index = 0; index < batch.items.length; index++) if (!entry?.done.has(index)) out.push(index);
    return out;
  }

  /** Records that positions were settled: accepted, or rejected for good with a reason. */
  settle(batch: LogBatch, accepted: Iterable<number>, rejected: Iterable<LogRejection> = []): void {
    let entry = this.get(batch);
    if (!entry) {
      entry = { fingerprint: fingerprint(batch), done: new Set(), rejected: new Map() };
      this.entries.set(batch.id, entry);
      if (this.entries.size > this.capacity) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
    }
    for (const index of accepted) entry.done.add(index);
    for (const rejection of rejected) {
      entry.done.add(rejection.index);
      entry.rejected.set(rejection.index, rejection.reason);
    }
  }

  /** Every rejection settled for the batch, in position order, and forgets the batch. */
  finish(batch: LogBatch, rejected: ReadonlyArray<LogRejection> = []): LogRejection[] {
    const entry = this.get(batch);
    this.entries.delete(batch.id);
    const all = new Map<number, string>(entry?.rejected);
    for (const rejection of rejected) all.set(rejection.index, rejection.reason);
    return [...all].sort((a, b) => a[0] - b[0]).map(([index, reason]) => ({ index, reason }));
  }
}

function fingerprint(batch: LogBatch): string {
  const first = batch.items[0]?.id ?? '';
  const last = batch.items[batch.items.length - 1]?.id ?? '';
  return `${batch.items.length}\u0000${first}\u0000${last}`;
}
