/**
 * Limits failed credential checks (wrong key, wrong user, unknown subdomain) per chat user and per
 * conversation, so nobody can use the bot to guess keys. Failures are kept in the bot's storage, not in
 * the process, so the limit holds across restarts and across instances sharing that storage.
 *
 * SDK-free: it needs only something with botbuilder Storage's read/write shape.
 */
import { ConversationQueue } from '../conversationQueue';
export interface KeyValueStore {
  read(keys: string[]): Promise<Record<string, unknown>>;
  write(changes: Record<string, unknown>): Promise<void>;
}

export interface FailureScope {
  /** e.g. `emulator/users/<id>`: one bucket per chat user... */
  userKey: string;
  /** ...and one per conversation, so a group of users cannot multiply the attempts. */
  conversationKey: string;
}

interface FailureRecord {
  failures: number[];
  eTag?: string;
}

export type LimitCheck = { allowed: true } | { allowed: false; retryAt: Date };

export class FailureLimiter {
  /**
   * One read-modify-write at a time per record in this process. botbuilder's Storage cannot create an
   * item only if it is absent, so concurrent first failures of a user would otherwise all be written
   * unconditionally and all but one lost: a burst of guesses from several conversations at once would
   * count as one. Across instances that first write can still race (see the README).
   */
  private readonly recordQueue = new ConversationQueue();

  constructor(
    private readonly store: KeyValueStore,
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async check(scope: FailureScope): Promise<LimitCheck> {
    const records = await this.readRecords(failureKeys(scope));
    const cutoff = this.now() - this.windowMs;
    let retryAt = 0;
    for (const record of Object.values(records)) {
      const recent = record.failures.filter((time) => time > cutoff);
      if (recent.length >= this.maxFailures) {
        // The oldest failure that still counts leaves the window first; one slot opens then.
        const unlocksAt = recent[recent.length - this.maxFailures] + this.windowMs;
        retryAt = Math.max(retryAt, unlocksAt);
      }
    }
    return retryAt > 0 ? { allowed: false, retryAt: new Date(retryAt) } : { allowed: true };
  }

  async recordFailure(scope: FailureScope): Promise<void> {
    const now = this.now();
    const cutoff = now - this.windowMs;
    for (const key of failureKeys(scope)) {
      await this.recordQueue.run(key, () => this.appendFailure(key, now, cutoff));
    }
  }

  private async appendFailure(key: string, now: number, cutoff: number): Promise<void> {
    // Written with the eTag it was read with: two instances recording at once must not overwrite each
    // other's failure, or an attacker spreading guesses over instances would be undercounted.
    for (let attempt = 1; ; attempt += 1) {
      const record = (await this.readRecords([key]))[key];
      // Keep only what can still count, so the record stays small however long an attacker tries.
      const failures = [...record.failures.filter((time) => time > cutoff), now].slice(-this.maxFailures);
      try {
        await this.store.write({ [key]: { failures, eTag: record.eTag } });
        return;
      } catch (error) {
        if (attempt >= MAX_WRITE_ATTEMPTS || !/etag conflict/i.test((error as Error).message ?? '')) throw error;
      }
    }
  }

  private async readRecords(keys: string[]): Promise<Record<string, FailureRecord>> {
    const found = await this.store.read(keys);
    const records: Record<string, FailureRecord> = {};
    for (const key of keys) {
      const item = found[key] as Partial<FailureRecord> | undefined;
      const failures = Array.isArray(item?.failures) ? item.failures.filter((time): time is number => typeof time === 'number') : [];
      records[key] = { failures, eTag: typeof item?.eTag === 'string' ? item.eTag : undefined };
    }
    return records;
  }
}

function failureKeys(scope: FailureScope): string[] {
  return [`auth-failures/${scope.userKey}`, `auth-failures/${scope.conversationKey}`];
}

/** Concurrent recorders retry on an eTag conflict; more than a few in a row means something else is wrong. */
const MAX_WRITE_ATTEMPTS = 5;
