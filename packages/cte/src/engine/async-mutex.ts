/**
 * Runs async work one at a time, in call order. The engine's writers (ingest, aging, sightings,
 * withdrawals) read an indicator, fold a change into it and write it back; serializing them keeps
 * one host from losing its own updates.
 */
export class AsyncMutex {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `work` after every earlier call has settled. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
