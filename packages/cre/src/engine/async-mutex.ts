/**
 * Runs async work one at a time, in call order. Every writer reads entities, folds observations
 * into them and writes them back; serializing them keeps one host from conflicting with itself.
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
