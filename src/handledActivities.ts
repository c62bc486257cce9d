/**
 * Activities this instance has already handled, by conversation and activity id: a channel that got no
 * answer in time sends the same activity again, and handling it twice would take "Order late" as both
 * the subject and the message, or answer a second "yes". Only turns that finished are remembered, so a
 * retry of one that failed is handled. In memory and bounded (the oldest forgotten first); another
 * instance does not know them.
 */
export const MAX_HANDLED_ACTIVITIES = 10_000;

export class HandledActivities {
  private readonly keys = new Set<string>();

  constructor(private readonly max = MAX_HANDLED_ACTIVITIES) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    this.keys.add(key);
    if (this.keys.size > this.max) {
      const oldest = this.keys.values().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
  }
}
