/**
 * Conversations whose last turn did something in Gorgias (and said so) but whose state could not be
 * saved because the storage failed. Their stored dialog still waits for the answer that was just acted
 * on, so the next turn of each must start by clearing it: answering the same question again would
 * create the ticket twice. Held in this process's memory, as the storage is what failed; bounded, the
 * oldest dropped first.
 */
export const MAX_UNSAVED_DIALOGS = 10_000;

export class UnsavedDialogs {
  private readonly keys = new Set<string>();

  constructor(private readonly max = MAX_UNSAVED_DIALOGS) {}

  add(conversationKey: string): void {
    this.keys.delete(conversationKey);
    this.keys.add(conversationKey);
    if (this.keys.size > this.max) {
      const oldest = this.keys.values().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
  }

  /** Whether the conversation's dialog must be cleared; it is no longer remembered after this. */
  take(conversationKey: string): boolean {
    return this.keys.delete(conversationKey);
  }

  get size(): number {
    return this.keys.size;
  }
}
