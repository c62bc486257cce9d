/**
 * OptimisticConversationState against real stores (MemoryStorage and SqliteStorage): it writes with the
 * eTag it read, so a second bot instance's write in between makes this one fail instead of undoing it.
 */
import { MemoryStorage, TestAdapter, TurnContext, type Storage, type StoreItems } from 'botbuilder';
import { mkdtempSync, rmSync } from 'fs';
import os from 'os';
import path from 'path';
import { OptimisticConversationState } from '../../src/storage/optimisticConversationState';
import { isETagConflict } from '../../src/storage/eTagConflict';
import { SqliteStorage } from '../../src/storage/sqliteStorage';

/** Passes everything to the real store and keeps a copy of each write, to see which eTag it carried. */
class RecordingStorage implements Storage {
  readonly writes: StoreItems[] = [];

  constructor(private readonly inner: Storage) {}

  read(keys: string[]): Promise<StoreItems> {
    return this.inner.read(keys);
  }

  write(changes: StoreItems): Promise<void> {
    this.writes.push(structuredClone(changes));
    return this.inner.write(changes);
  }

  delete(keys: string[]): Promise<void> {
    return this.inner.delete(keys);
  }
}

interface Backend {
  name: string;
  open(): { storage: Storage; close(): void };
}

const backends: Backend[] = [
  { name: 'memory', open: () => ({ storage: new MemoryStorage(), close: () => undefined }) },
  {
    name: 'sqlite',
    open: () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'gorgias-bot-optimistic-'));
      const storage = new SqliteStorage(path.join(dir, 'state.sqlite'));
      return {
        storage,
        close: () => {
          storage.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

const CHANNEL = 'test';
let conversationCounter = 0;

/** A fresh conversation id per test, so tests sharing a store do not see each other's state. */
function newConversationId(): string {
  conversationCounter += 1;
  return `conversation-${conversationCounter}`;
}

function storageKeyOf(conversationId: string): string {
  // ConversationState's documented key layout.
  return `${CHANNEL}/conversations/${conversationId}/`;
}

function turnIn(conversationId: string): TurnContext {
  return new TurnContext(new TestAdapter(), {
    type: 'message',
    channelId: CHANNEL,
    conversation: { id: conversationId, isGroup: false, conversationType: 'personal', name: '' },
    from: { id: 'user-1', name: 'User' },
    recipient: { id: 'bot', name: 'Bot' },
    text: 'hi',
  });
}

describe.each(backends)('OptimisticConversationState on $name storage', (backend) => {
  let opened: ReturnType<Backend['open']>;
  let storage: RecordingStorage;

  beforeEach(() => {
    opened = backend.open();
    storage = new RecordingStorage(opened.storage);
  });

  afterEach(() => {
    opened.close();
  });

  async function seed(conversationId: string, state: Record<string, unknown>): Promise<string> {
    const key = storageKeyOf(conversationId);
    await opened.storage.write({ [key]: { ...state, eTag: '*' } });
    const stored = (await opened.storage.read([key]))[key];
    expect(typeof stored?.eTag).toBe('string');
    return stored.eTag as string;
  }

  async function stored(conversationId: string): Promise<Record<string, unknown> | undefined> {
    const key = storageKeyOf(conversationId);
    return (await opened.storage.read([key]))[key] as Record<string, unknown> | undefined;
  }

  test('its key layout is the one these tests seed', async () => {
    const state = new OptimisticConversationState(storage);
    const conversationId = newConversationId();
    expect(state.getStorageKey(turnIn(conversationId))).toBe(storageKeyOf(conversationId));
  });

  test('a changed state is written with the eTag it was read with', async () => {
    const conversationId = newConversationId();
    const eTagRead = await seed(conversationId, { counter: 1 });
    const state = new OptimisticConversationState(storage);
    const counter = state.createProperty<number>('counter');
    const turn = turnIn(conversationId);

    expect(await counter.get(turn)).toBe(1);
    await counter.set(turn, 2);
    await state.saveChanges(turn);

    expect(storage.writes).toHaveLength(1);
    expect(storage.writes[0][storageKeyOf(conversationId)]).toEqual({ counter: 2, eTag: eTagRead });
    expect(await stored(conversationId)).toMatchObject({ counter: 2 });
  });

  test("a second instance's write in between makes the save fail, and that write is kept", async () => {
    const conversationId = newConversationId();
    await seed(conversationId, { profile: 'connected', notes: [] });
    // Two bot instances (or two turns of two processes) sharing one store.
    const stateA = new OptimisticConversationState(storage);
    const stateB = new OptimisticConversationState(storage);
    const notesA = stateA.createProperty<string[]>('notes');
    const notesB = stateB.createProperty<string[]>('notes');
    const turnA = turnIn(conversationId);
    const turnB = turnIn(conversationId);

    // Both read the same version...
    expect(await notesA.get(turnA)).toEqual([]);
    expect(await notesB.get(turnB)).toEqual([]);
    // ...B saves first...
    await notesB.set(turnB, ['from B']);
    await stateB.saveChanges(turnB);
    // ...so A's save, based on the version before B's, must not overwrite it.
    await notesA.set(turnA, ['from A']);
    const failure = await stateA.saveChanges(turnA).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(Error);
    expect(isETagConflict(failure)).toBe(true);
    expect(await stored(conversationId)).toMatchObject({ profile: 'connected', notes: ['from B'] });
  });

  test('the conflict also holds when the other instance deleted a property the turn did not touch', async () => {
    const conversationId = newConversationId();
    await seed(conversationId, { profile: 'connected', counter: 0 });
    const stateA = new OptimisticConversationState(storage);
    const stateB = new OptimisticConversationState(storage);
    const turnA = turnIn(conversationId);
    const turnB = turnIn(conversationId);
    await stateA.load(turnA);
    await stateB.load(turnB);

    // B disconnects (removes the profile); A only bumps a counter from the version that still had it.
    await stateB.createProperty('profile').delete(turnB);
    await stateB.saveChanges(turnB);
    await stateA.createProperty<number>('counter').set(turnA, 1);

    await expect(stateA.saveChanges(turnA)).rejects.toThrow(/eTag conflict/);
    // Without the eTag check A would have written the removed profile back.
    const after = await stored(conversationId);
    expect(after).not.toHaveProperty('profile');
    expect(after).toMatchObject({ counter: 0 });
  });

  test('clear() then new values: still written against the version the turn read', async () => {
    const conversationId = newConversationId();
    await seed(conversationId, { profile: 'connected' });
    const stateA = new OptimisticConversationState(storage);
    const stateB = new OptimisticConversationState(storage);
    const turnA = turnIn(conversationId);
    const turnB = turnIn(conversationId);
    await stateA.load(turnA);
    await stateB.createProperty<string>('note').set(turnB, 'from B');
    await stateB.saveChanges(turnB);

    // A starts its conversation state afresh; the accessors load the emptied state from the turn's cache.
    await stateA.clear(turnA);
    await stateA.createProperty<number>('counter').set(turnA, 1);

    await expect(stateA.saveChanges(turnA)).rejects.toThrow(/eTag conflict/);
    expect(await stored(conversationId)).toMatchObject({ profile: 'connected', note: 'from B' });
  });

  test('an unchanged state writes nothing', async () => {
    const conversationId = newConversationId();
    await seed(conversationId, { counter: 5 });
    const state = new OptimisticConversationState(storage);
    const turn = turnIn(conversationId);

    expect(await state.createProperty<number>('counter').get(turn)).toBe(5);
    await state.saveChanges(turn);
    // Read for nothing, in a brand-new conversation: nothing to write either.
    const emptyTurn = turnIn(newConversationId());
    await state.load(emptyTurn);
    await state.saveChanges(emptyTurn);
    // A state that was never loaded in the turn has nothing to save.
    await state.saveChanges(turnIn(newConversationId()));

    expect(storage.writes).toEqual([]);
  });

  test('a value set back to what was read counts as unchanged', async () => {
    const conversationId = newConversationId();
    await seed(conversationId, { counter: 5 });
    const state = new OptimisticConversationState(storage);
    const counter = state.createProperty<number>('counter');
    const turn = turnIn(conversationId);

    await counter.set(turn, 6);
    await counter.set(turn, 5);
    await state.saveChanges(turn);

    expect(storage.writes).toEqual([]);
  });

  test('force writes even an unchanged state, still with the eTag it read', async () => {
    const conversationId = newConversationId();
    const eTagRead = await seed(conversationId, { counter: 5 });
    const state = new OptimisticConversationState(storage);
    const turn = turnIn(conversationId);
    await state.load(turn);

    await state.saveChanges(turn, true);

    expect(storage.writes).toHaveLength(1);
    expect(storage.writes[0][storageKeyOf(conversationId)]).toEqual({ counter: 5, eTag: eTagRead });
  });

  test('a conversation not stored yet is written without an eTag condition', async () => {
    const conversationId = newConversationId();
    const state = new OptimisticConversationState(storage);
    const turn = turnIn(conversationId);

    await state.createProperty<boolean>('welcomed').set(turn, true);
    await state.saveChanges(turn);

    expect(storage.writes).toHaveLength(1);
    const written = storage.writes[0][storageKeyOf(conversationId)] as Record<string, unknown>;
    expect(written.welcomed).toBe(true);
    // No eTag, an empty one or `*`: every botbuilder store writes such an item unconditionally.
    expect([undefined, '', '*']).toContain(written.eTag);
    expect(await stored(conversationId)).toMatchObject({ welcomed: true });
  });

  test('a second save in the same turn succeeds and stores the latest state', async () => {
    const conversationId = newConversationId();
    await seed(conversationId, { counter: 1 });
    const state = new OptimisticConversationState(storage);
    const counter = state.createProperty<number>('counter');
    const turn = turnIn(conversationId);

    await counter.set(turn, 2);
    await state.saveChanges(turn);
    // The turn-error path: reset something and save again, after the first save changed the stored eTag.
    await counter.set(turn, 3);
    await state.saveChanges(turn);
    // And a forced save on top of that.
    await state.saveChanges(turn, true);

    expect(storage.writes).toHaveLength(3);
    expect(await stored(conversationId)).toMatchObject({ counter: 3 });
  });

  test('a second save in the same turn of a new conversation succeeds too', async () => {
    const conversationId = newConversationId();
    const state = new OptimisticConversationState(storage);
    const counter = state.createProperty<number>('counter');
    const turn = turnIn(conversationId);

    await counter.set(turn, 1);
    await state.saveChanges(turn);
    await counter.set(turn, 2);
    await state.saveChanges(turn);

    expect(await stored(conversationId)).toMatchObject({ counter: 2 });
  });

  test('a later turn reads the new version and saves on top of it', async () => {
    const conversationId = newConversationId();
    await seed(conversationId, { counter: 1 });
    const state = new OptimisticConversationState(storage);
    const counter = state.createProperty<number>('counter');

    for (const expected of [1, 2, 3]) {
      const turn = turnIn(conversationId);
      expect(await counter.get(turn)).toBe(expected);
      await counter.set(turn, expected + 1);
      await state.saveChanges(turn);
    }
    expect(await stored(conversationId)).toMatchObject({ counter: 4 });
  });

  test('a forced reload takes the newer eTag, so the save after it succeeds', async () => {
    const conversationId = newConversationId();
    await seed(conversationId, { counter: 1 });
    const stateA = new OptimisticConversationState(storage);
    const stateB = new OptimisticConversationState(storage);
    const turnA = turnIn(conversationId);
    const turnB = turnIn(conversationId);
    await stateA.load(turnA);
    await stateB.createProperty<number>('counter').set(turnB, 10);
    await stateB.saveChanges(turnB);

    await stateA.load(turnA, true);
    const counterA = stateA.createProperty<number>('counter');
    expect(await counterA.get(turnA)).toBe(10);
    await counterA.set(turnA, 11);
    await stateA.saveChanges(turnA);

    expect(await stored(conversationId)).toMatchObject({ counter: 11 });
  });

  test('a change deep inside the state (as dialogs make them) is noticed and written', async () => {
    const conversationId = newConversationId();
    await seed(conversationId, { dialogState: { dialogStack: [{ id: 'connect', state: { stepIndex: 0, options: { subdomain: 'acme' } } }] } });
    const state = new OptimisticConversationState(storage);
    const turn = turnIn(conversationId);
    const dialogState = (await state.createProperty<{ dialogStack: Array<{ state: { stepIndex: number } }> }>('dialogState').get(turn)) as {
      dialogStack: Array<{ state: { stepIndex: number } }>;
    };

    dialogState.dialogStack[0].state.stepIndex = 1;
    await state.saveChanges(turn);

    expect(storage.writes).toHaveLength(1);
    expect(await stored(conversationId)).toMatchObject({ dialogState: { dialogStack: [{ state: { stepIndex: 1 } }] } });
  });

  test('a property set to undefined, which JSON cannot store, is no change to write', async () => {
    const conversationId = newConversationId();
    await seed(conversationId, { counter: 5 });
    const state = new OptimisticConversationState(storage);
    const turn = turnIn(conversationId);

    await state.createProperty<string | undefined>('cursor').set(turn, undefined);
    await state.saveChanges(turn);

    expect(storage.writes).toEqual([]);
  });

  test('delete() removes the stored conversation, and the turn then starts from an empty state', async () => {
    const conversationId = newConversationId();
    await seed(conversationId, { counter: 5 });
    const state = new OptimisticConversationState(storage);
    const turn = turnIn(conversationId);
    await state.load(turn);

    await state.delete(turn);

    expect(await stored(conversationId)).toBeUndefined();
    expect(state.get(turn)).toBeUndefined();
    expect(await state.createProperty<number>('counter').get(turn)).toBeUndefined();
  });

  test('a forced save with nothing loaded writes an empty state, as BotState does', async () => {
    const conversationId = newConversationId();
    await seed(conversationId, { counter: 5 });
    const state = new OptimisticConversationState(storage);

    await state.saveChanges(turnIn(conversationId), true);

    expect(storage.writes).toHaveLength(1);
    expect(await stored(conversationId)).toEqual({ eTag: expect.any(String) });
  });

  test('two states on one turn keep separate caches', async () => {
    const conversationId = newConversationId();
    await seed(conversationId, { counter: 5 });
    const first = new OptimisticConversationState(storage);
    const second = new OptimisticConversationState(new MemoryStorage());
    const turn = turnIn(conversationId);

    expect(await first.createProperty<number>('counter').get(turn)).toBe(5);
    expect(await second.createProperty<number>('counter').get(turn)).toBeUndefined();
  });
});

describe('isETagConflict', () => {
  test("recognizes every store's conflict error and nothing else", async () => {
    const memory = new MemoryStorage();
    await memory.write({ k: { v: 1, eTag: '*' } });
    const memoryConflict = await memory.write({ k: { v: 2, eTag: 'stale' } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isETagConflict(memoryConflict)).toBe(true);

    // The Azure SDKs' precondition failure, should it reach the bot unwrapped.
    expect(isETagConflict(Object.assign(new Error('The condition specified using HTTP conditional header(s) is not met.'), { statusCode: 412 }))).toBe(true);

    expect(isETagConflict(new Error('connect ECONNREFUSED 127.0.0.1:10000'))).toBe(false);
    expect(isETagConflict(Object.assign(new Error('Server busy'), { statusCode: 503 }))).toBe(false);
    expect(isETagConflict('Storage: error writing "k" due to eTag conflict.')).toBe(false);
    expect(isETagConflict(undefined)).toBe(false);
  });
});
