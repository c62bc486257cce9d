import { ConversationQueue } from '../src/conversationQueue';

/** A promise the test settles by hand, to hold a task open while it looks at the queue. */
function gate<T = void>(): { promise: Promise<T>; open(value: T): void; fail(error: Error): void } {
  let open!: (value: T) => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

/** Lets every already-queued microtask and timer callback run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ConversationQueue', () => {
  test('turns of one conversation run one after another, in arrival order', async () => {
    const queue = new ConversationQueue();
    const events: string[] = [];
    const gates = [gate(), gate(), gate()];
    const runs = gates.map((g, index) =>
      queue.run('conv-a', async () => {
        events.push(`start ${index}`);
        await g.promise;
        events.push(`end ${index}`);
        return index;
      }),
    );

    await settle();
    expect(events).toEqual(['start 0']);

    // Releasing the later turns first changes nothing: they still wait for the first one.
    gates[2].open();
    gates[1].open();
    await settle();
    expect(events).toEqual(['start 0']);

    gates[0].open();
    await expect(Promise.all(runs)).resolves.toEqual([0, 1, 2]);
    expect(events).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  test('different conversations run at the same time', async () => {
    const queue = new ConversationQueue();
    const started: string[] = [];
    const holdA = gate();
    const holdB = gate();
    const runA = queue.run('conv-a', async () => {
      started.push('a');
      await holdA.promise;
    });
    const runB = queue.run('conv-b', async () => {
      started.push('b');
      await holdB.promise;
    });

    await settle();
    // Both started although neither has finished.
    expect(started.sort()).toEqual(['a', 'b']);
    expect(queue.activeConversations).toBe(2);

    holdB.open();
    await runB;
    holdA.open();
    await runA;
  });

  test('the map entry of a conversation is removed once its last turn ends', async () => {
    const queue = new ConversationQueue();
    const first = gate();
    const second = gate();
    const runs = [queue.run('conv-a', () => first.promise), queue.run('conv-a', () => second.promise)];
    const other = queue.run('conv-b', async () => 'done');

    await other;
    await settle();
    expect(queue.activeConversations).toBe(1);

    first.open();
    await runs[0];
    await settle();
    // The second turn still holds the entry.
    expect(queue.activeConversations).toBe(1);

    second.open();
    await runs[1];
    expect(queue.activeConversations).toBe(0);

    // Many conversations, each with a few turns, leave nothing behind.
    await Promise.all(
      Array.from({ length: 50 }, (_, index) => queue.run(`conv-${index % 10}`, async () => index)),
    );
    expect(queue.activeConversations).toBe(0);
  });

  test('a failing turn rejects its own caller only, and the next turn still runs', async () => {
    const queue = new ConversationQueue();
    const hold = gate();
    const order: string[] = [];
    const failing = queue.run('conv-a', async () => {
      order.push('failing');
      await hold.promise;
      throw new Error('turn failed');
    });
    const next = queue.run('conv-a', async () => {
      order.push('next');
      return 'next ran';
    });

    await settle();
    expect(order).toEqual(['failing']);
    hold.open();
    await expect(failing).rejects.toThrow('turn failed');
    await expect(next).resolves.toBe('next ran');
    expect(order).toEqual(['failing', 'next']);
    expect(queue.activeConversations).toBe(0);
  });

  test('a task that throws synchronously is reported the same way and blocks nothing', async () => {
    const queue = new ConversationQueue();
    const thrower = (): Promise<never> => {
      throw new Error('thrown before any await');
    };
    await expect(queue.run('conv-a', thrower)).rejects.toThrow('thrown before any await');
    await expect(queue.run('conv-a', async () => 'after')).resolves.toBe('after');
    expect(queue.activeConversations).toBe(0);
  });

  test('a failed turn that is not the last one keeps the later turns in order', async () => {
    const queue = new ConversationQueue();
    const results = await Promise.allSettled([
      queue.run('conv-a', async () => 1),
      queue.run('conv-a', async () => {
        throw new Error('second fails');
      }),
      queue.run('conv-a', async () => 3),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseFulfilledResult<number>).value).toBe(3);
    expect(queue.activeConversations).toBe(0);
  });
});
