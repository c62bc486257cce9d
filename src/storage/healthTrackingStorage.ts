/**
 * A Storage that remembers whether its last calls failed, for `/healthz`.
 *
 * A storage that fails every turn (the disk full, Blob Storage unreachable, the file made read-only) leaves
 * the process up and listening: a static health check would keep it in the load balancer, answering every
 * user "something went wrong". After a few failures in a row with no success between them, the health
 * check says so; one success clears it. eTag conflicts are the storage working as it should, not failing.
 * Every other error is marked as the storage's (see storageFailure.ts) on its way to the bot.
 */
import type { Storage, StoreItems } from 'botbuilder';
import { isETagConflict } from './eTagConflict';
import { markStorageFailure } from './storageFailure';

/** Failed calls in a row before the storage counts as failing. */
export const FAILURES_BEFORE_UNHEALTHY = 3;

export interface StorageHealth {
  healthy: boolean;
  /** Calls that failed in a row, since the last one that succeeded. */
  failuresInARow: number;
}

export class HealthTrackingStorage implements Storage {
  private failuresInARow = 0;

  constructor(private readonly inner: Storage) {}

  get health(): StorageHealth {
    return { healthy: this.failuresInARow < FAILURES_BEFORE_UNHEALTHY, failuresInARow: this.failuresInARow };
  }

  read(keys: string[]): Promise<StoreItems> {
    return this.tracked(this.inner.read(keys));
  }

  write(changes: StoreItems): Promise<void> {
    return this.tracked(this.inner.write(changes));
  }

  delete(keys: string[]): Promise<void> {
    return this.tracked(this.inner.delete(keys));
  }

  private async tracked<T>(call: Promise<T>): Promise<T> {
    try {
      const result = await call;
      this.failuresInARow = 0;
      return result;
    } catch (error) {
      if (isETagConflict(error)) throw error;
      this.failuresInARow += 1;
      throw markStorageFailure(error);
    }
  }
}

