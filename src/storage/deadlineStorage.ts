/**
 * A Storage whose every call gives up after a deadline. Azure Blob Storage's clients time out a try only
 * until the answer's headers arrive (see createStorage.ts): a blob whose body stops halfway held the turn
 * for good, and Cosmos DB's client has no deadline the bot sets at all. The abandoned call is not
 * cancelled, since the SDKs offer no way to: a write given up on may still land, which the eTags make
 * safe (the turn is answered as failed, and the next turn reads whatever is stored).
 */
import type { Storage, StoreItems } from 'botbuilder';

export class StorageDeadlineError extends Error {
  override readonly name = 'StorageDeadlineError';
}

export class DeadlineStorage implements Storage {
  constructor(
    private readonly inner: Storage,
    private readonly deadlineMs: number,
  ) {
    if (!Number.isFinite(deadlineMs) || deadlineMs <= 0) throw new Error('deadlineMs must be a positive number.');
  }

  read(keys: string[]): Promise<StoreItems> {
    return this.withinDeadline('read', () => this.inner.read(keys));
  }

  write(changes: StoreItems): Promise<void> {
    return this.withinDeadline('write', () => this.inner.write(changes));
  }

  delete(keys: string[]): Promise<void> {
    return this.withinDeadline('delete', () => this.inner.delete(keys));
  }

  private withinDeadline<T>(operation: string, call: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new StorageDeadlineError(`state storage ${operation} did not finish within ${this.deadlineMs} ms`)),
        this.deadlineMs,
      );
      call().then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
