/**
 * Runs the turns of one conversation one after another, while different conversations run in parallel.
 * Two messages of the same conversation arriving at once would otherwise both read the same state and the
 * second write would undo the first. SDK-free: a conversation is just a key.
 */
export class ConversationQueue {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    try {
      await previous;
      return await task();
    } finally {
      release();
      // The last turn of a conversation removes its entry, so idle conversations cost no memory.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Conversations with a turn running or waiting. */
  get activeConversations(): number {
    return this.tails.size;
  }
}
