/**
 * A set of keys held in this process's memory, bounded: past `max` the oldest is dropped first, and
 * adding a key again makes it the newest. The bot keeps two (see GorgiasBot): conversations whose dialog
 * must be ended at their next turn after a failed save, and activities already handled (a channel's
 * repeat is ignored). Another instance does not see them.
 */
export class BoundedKeySet {
  private readonly keys = new Set<string>();

  constructor(private readonly max: number) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    this.keys.delete(key);
    this.keys.add(key);
    if (this.keys.size > this.max) {
      const oldest = this.keys.values().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
  }

  /** Whether the key was there; it is not any more. */
  take(key: string): boolean {
    return this.keys.delete(key);
  }

  get size(): number {
    return this.keys.size;
  }
}
