/**
 * ProfileStore with a real ConversationState over real storage: what is written, who may read it,
 * and how a key rotation reseals it.
 */
import { randomBytes } from 'node:crypto';
import { ConversationState, MemoryStorage, TestAdapter, TurnContext, type Activity, type Storage } from 'botbuilder';
import { ProfileStore } from '../../src/profileStore';
import { SecretBox } from '../../src/security/secretBox';
import type { ConnectedProfile } from '../../src/profile/profile';
import { leaksOf } from './helpers';

const API_KEY = 'profile-store-secret-0a1b2c3d4e5f';
const CONVERSATION = 'conversation-1';
const ALICE = 'alice-id';
const BOB = 'bob-id';

function contextFor(userId: string, conversationId = CONVERSATION): TurnContext {
  const activity: Partial<Activity> = {
    type: 'message',
    channelId: 'test',
    conversation: { id: conversationId, isGroup: true, name: 'team', conversationType: 'groupChat' },
    from: { id: userId, name: userId },
    recipient: { id: 'bot', name: 'bot' },
    text: 'status',
  };
  return new TurnContext(new TestAdapter(), activity);
}

function profileOf(ownerId: string): ConnectedProfile {
  return {
    subdomain: 'acme',
    email: 'agent@acme.com',
    apiKey: API_KEY,
    ownerId,
    account: { domain: 'acme' },
    verifiedAt: '2024-05-01T10:00:00.000Z',
    source: 'user',
  };
}

/** One turn: a fresh ConversationState (as each real turn loads its own), saved at the end. */
async function turn<T>(storage: Storage, box: SecretBox, userId: string, work: (store: ProfileStore, context: TurnContext) => Promise<T>): Promise<T> {
  const state = new ConversationState(storage);
  const store = new ProfileStore(state, box);
  const context = contextFor(userId);
  const result = await work(store, context);
  await state.saveChanges(context, false);
  return result;
}

async function storedProfile(storage: Storage): Promise<Record<string, unknown> | undefined> {
  const items = await storage.read([`test/conversations/${CONVERSATION}/`]);
  return (items[`test/conversations/${CONVERSATION}/`] as { gorgiasProfile?: Record<string, unknown> } | undefined)?.gorgiasProfile;
}

describe('ProfileStore', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  test('stores the key sealed under the current key id, with the account details in clear', async () => {
    const storage = new MemoryStorage();
    await turn(storage, new SecretBox(oldKey), ALICE, (store, context) => store.save(context, profileOf(ALICE)));
    const stored = await storedProfile(storage);
    expect(stored).toMatchObject({ v: 1, subdomain: 'acme', email: 'agent@acme.com', ownerId: ALICE });
    expect(stored?.sealedKey).toMatch(new RegExp(`^v1\\.${SecretBox.keyId(oldKey)}\\.`));
    expect(leaksOf(API_KEY, JSON.stringify(await storage.read([`test/conversations/${CONVERSATION}/`])))).toEqual([]);
  });

  test('rotation: a profile sealed with the previous key opens, and the next save writes it sealed with the new key', async () => {
    const storage = new MemoryStorage();
    await turn(storage, new SecretBox(oldKey), ALICE, async (store, context) => {
      await store.save(context, profileOf(ALICE));
      await store.markNeedsReconnect(context);
    });
    const sealedWithOld = (await storedProfile(storage))?.sealedKey as string;

    // Only the new key: the old profile is unreadable (this is what forgetting STATE_ENCRYPTION_KEY_PREVIOUS does).
    expect(await turn(storage, new SecretBox(newKey), ALICE, (store, context) => store.load(context))).toEqual({ state: 'unreadable' });
    expect((await storedProfile(storage))?.sealedKey).toBe(sealedWithOld);

    const rotated = new SecretBox(newKey, oldKey);
    const lookup = await turn(storage, rotated, ALICE, (store, context) => store.load(context));
    expect(lookup).toMatchObject({ state: 'connected', needsReconnect: true, profile: { apiKey: API_KEY, ownerId: ALICE } });
    const resealed = await storedProfile(storage);
    expect(resealed?.sealedKey).toMatch(new RegExp(`^v1\\.${SecretBox.keyId(newKey)}\\.`));
    expect(resealed?.needsReconnect).toBe(true);

    // Resealed for good: the new key alone now opens it, the old one alone no longer does.
    expect(await turn(storage, new SecretBox(newKey), ALICE, (store, context) => store.load(context))).toMatchObject({ state: 'connected' });
    expect(await turn(storage, new SecretBox(oldKey), ALICE, (store, context) => store.load(context))).toEqual({ state: 'unreadable' });
  });

  test('another member of the conversation sees no profile, cannot disconnect it and cannot flag it', async () => {
    const storage = new MemoryStorage();
    const box = new SecretBox(oldKey);
    await turn(storage, box, ALICE, (store, context) => store.save(context, profileOf(ALICE)));
    const before = await storedProfile(storage);

    expect(await turn(storage, box, BOB, (store, context) => store.load(context))).toEqual({ state: 'none' });
    expect(await turn(storage, box, BOB, (store, context) => store.remove(context))).toBe(false);
    await turn(storage, box, BOB, (store, context) => store.markNeedsReconnect(context));
    expect(await storedProfile(storage)).toEqual(before);

    // Rewriting the owner to Bob does not hand him Alice's key: the owner is bound into the seal.
    await storage.write({ [`test/conversations/${CONVERSATION}/`]: { gorgiasProfile: { ...before, ownerId: BOB }, eTag: '*' } });
    expect(await turn(storage, box, BOB, (store, context) => store.load(context))).toEqual({ state: 'unreadable' });
  });

  test('remove deletes the whole stored profile for its owner', async () => {
    const storage = new MemoryStorage();
    const box = new SecretBox(oldKey);
    await turn(storage, box, ALICE, (store, context) => store.save(context, profileOf(ALICE)));
    expect(await turn(storage, box, ALICE, (store, context) => store.remove(context))).toBe(true);
    expect(await storedProfile(storage)).toBeUndefined();
    expect(await turn(storage, box, ALICE, (store, context) => store.remove(context))).toBe(false);
  });
});
