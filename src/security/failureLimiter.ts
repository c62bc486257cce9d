/**
 * Limits failed credential checks (wrong key, wrong user, unknown subdomain) per chat user and per
 * conversation, so nobody can use the bot to guess keys. Failures are kept in the bot's storage, not in
 * the process, so the limit holds across restarts and across instances sharing that storage.
 *
 * SDK-free: it needs only something with botbuilder Storage's read/write shape.
 */
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
  constructor(
    private readonly store: KeyValueStore,
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async check(scope: FailureScope): Promise<LimitCheck> {
    const records = await this.readRecords(scope);
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
    const records = await this.readRecords(scope);
    const now = this.now();
    const cutoff = now - this.windowMs;
    const changes: Record<string, FailureRecord> = {};
    for (const [key, record] of Object.entries(records)) {
      // Keep only what can still count, so the record stays small however long an attacker tries.
      const failures = [...record.failures.filter((time) => time > cutoff), now].slice(-this.maxFailures);
      changes[key] = { failures, eTag: '*' };
    }
    await this.store.write(changes);
  }

  private async readRecords(scope: FailureScope): Promise<Record<string, FailureRecord>> {
    const keys = [failureKey(scope.userKey), failureKey(scope.conversationKey)];
    const found = await this.store.read(keys);
    const records: Record<string, FailureRecord> = {};
    for (const key of keys) {
      const item = found[key] as Partial<FailureRecord> | undefined;
      const failures = Array.isArray(item?.failures) ? item.failures.filter((time): time is number => typeof time === 'number') : [];
      records[key] = { failures };
    }
    return records;
  }
}

function failureKey(scopeKey: string): string {
  return `auth-failures/${scopeKey}`;
}
