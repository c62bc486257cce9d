/**
 * A turn's replies go out only once its state is saved: when the save fails, the user is not told
 * "You're connected" (or "disconnected") for something that was never stored. What Gorgias did is said
 * whatever becomes of the save. Real bot, real SQLite storage, Emulator-shaped conversations; the
 * failure is a storage write refused the way a full disk refuses it.
 */
import type { Storage, StoreItems } from 'botbuilder';
import { EmulatorConversation, visibleText, type TurnReply } from '../support/emulator';
import { e2eFixture } from '../support/e2eFixture';
import { pleaseDeleteKeyMessage } from '../../src/messages/connect';
import { DONE_BUT_STORAGE_FAILED, MAYBE_DONE_BUT_STORAGE_FAILED, STORAGE_FAILED } from '../../src/messages/bot';

const EMAIL = 'agent@acme.com';
const API_KEY = 'held-replies-secret-key-0123456789abcdef';

const textOf = (reply: TurnReply): string => reply.messages.map(visibleText).join('\n');

/** Runs `turn` while conversation-state writes fail with SQLite's disk-full error. */
async function withFailingWrites(storage: Storage, turn: () => Promise<TurnReply>): Promise<TurnReply> {
  const write = storage.write.bind(storage);
  storage.write = async (changes: StoreItems) => {
    if (Object.keys(changes).some((key) => key.includes('/conversations/'))) {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    }
    return write(changes);
  };
  try {
    return await turn();
  } finally {
    storage.write = write;
  }
}

async function answerUpToKey(chat: EmulatorConversation): Promise<void> {
  await chat.say('connect');
  await chat.say('acme');
  await chat.say(EMAIL);
}

describe('replies wait for the state to be saved', () => {
  const { channel, bot, gorgias } = e2eFixture({
    accounts: [{ subdomain: 'acme', users: [{ email: EMAIL, apiKey: API_KEY }] }],
    env: { STORAGE: 'sqlite' },
  });

  test('the key turn whose save fails does not say "connected"; status agrees, and connecting again works', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    await answerUpToKey(chat);
    const reply = await withFailingWrites(bot.app.storage, () => chat.submit({ apiKey: API_KEY }));
    expect(textOf(reply)).not.toContain("You're connected");
    expect(textOf(reply)).toContain(STORAGE_FAILED);
    expect(textOf(await chat.say('status'))).toMatch(/haven't connected/);

    await answerUpToKey(chat);
    expect(textOf(await chat.submit({ apiKey: API_KEY }))).toContain("You're connected to the Gorgias account **acme**");
    expect(textOf(reply)).not.toContain(API_KEY);
  });

  test('a key typed into the chat in a turn whose save fails: the user is still told the key is visible', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    await answerUpToKey(chat);
    const reply = await withFailingWrites(bot.app.storage, () => chat.say(API_KEY));
    expect(textOf(reply)).toContain(pleaseDeleteKeyMessage());
    expect(textOf(reply)).toContain(STORAGE_FAILED);
    expect(textOf(reply)).not.toContain(API_KEY);
  });

  test('disconnect whose save fails does not say "disconnected", and the account stays connected', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    await answerUpToKey(chat);
    expect(textOf(await chat.submit({ apiKey: API_KEY }))).toContain("You're connected");
    const reply = await withFailingWrites(bot.app.storage, () => chat.say('disconnect'));
    expect(textOf(reply)).not.toMatch(/disconnected/i);
    expect(textOf(reply)).toContain(STORAGE_FAILED);
    expect(textOf(await chat.say('status'))).toContain("You're connected");
  });

  test('a ticket Gorgias created is announced even when the save after it fails, so nobody creates it twice', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    await answerUpToKey(chat);
    await chat.submit({ apiKey: API_KEY });
    for (const answer of ['new ticket', 'jane@shop.com', 'Parcel damaged', 'The box arrived crushed.']) await chat.say(answer);
    const reply = await withFailingWrites(bot.app.storage, () => chat.say('yes'));
    const posts = gorgias.requests.filter((request) => request.method === 'POST' && request.apiPath === '/api/tickets');
    expect(posts).toHaveLength(1);
    expect(textOf(reply)).toMatch(/Ticket #\d+ created/);
    expect(textOf(reply)).toContain(DONE_BUT_STORAGE_FAILED);

    // The stored dialog still waits at "Create this ticket?": the next turn clears it first, so the
    // same yes cannot create the ticket a second time.
    const again = await chat.say('yes');
    expect(textOf(again)).not.toMatch(/Ticket #\d+ created/);
    expect(gorgias.requests.filter((request) => request.method === 'POST' && request.apiPath === '/api/tickets')).toHaveLength(1);
  });

  test('a create whose answer never came, in a turn whose save fails: "may have done", and the same yes cannot send it again unchecked', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    await answerUpToKey(chat);
    await chat.submit({ apiKey: API_KEY });
    for (const answer of ['new ticket', 'jane@shop.com', 'Lamp flickers', 'Since Monday.']) await chat.say(answer);
    gorgias.setBehaviourOnce('acme', { status: 503, body: '{"error":{"msg":"down"}}' });
    const reply = await withFailingWrites(bot.app.storage, () => chat.say('yes'));
    expect(textOf(reply)).toContain('Gorgias had a problem answering (error 503)');
    expect(textOf(reply)).toContain(MAYBE_DONE_BUT_STORAGE_FAILED);
    expect(textOf(reply)).not.toContain(DONE_BUT_STORAGE_FAILED);

    const creates = () => gorgias.requests.filter((request) => request.method === 'POST' && request.body.includes('Lamp flickers'));
    await chat.say('yes');
    expect(creates()).toHaveLength(1);
  });

  test('a create whose answer never came and whose save failed: the same ticket typed again is looked for first', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    await answerUpToKey(chat);
    await chat.submit({ apiKey: API_KEY });
    const draft = ['new ticket', 'jane@shop.com', 'Fan noisy', 'Since the update.'];
    for (const answer of draft) await chat.say(answer);
    gorgias.setBehaviourOnce('acme', 'apply-then-502');
    expect(textOf(await withFailingWrites(bot.app.storage, () => chat.say('yes')))).toContain(MAYBE_DONE_BUT_STORAGE_FAILED);

    for (const answer of draft) await chat.say(answer);
    expect(textOf(await chat.say('yes'))).toContain('Gorgias did create the ticket on an earlier try');
    expect(gorgias.requests.filter((request) => request.method === 'POST' && request.body.includes('Fan noisy'))).toHaveLength(1);
  });

  test('a read that failed, in a turn whose save fails, is no change in Gorgias: the plain storage message', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    await answerUpToKey(chat);
    await chat.submit({ apiKey: API_KEY });
    gorgias.setBehaviourOnce('acme', { status: 503, body: '{"error":{"msg":"down"}}' });
    const reply = await withFailingWrites(bot.app.storage, () => chat.say('show ticket 1'));
    expect(textOf(reply)).toContain(STORAGE_FAILED);
    expect(textOf(reply)).not.toMatch(/done in Gorgias|may have done/);
  });

  test('a channel repeating the "yes" of a create whose save failed gets no second answer, and nothing is created again', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    await answerUpToKey(chat);
    await chat.submit({ apiKey: API_KEY });
    for (const answer of ['new ticket', 'jane@shop.com', 'Sent twice', 'By the channel.']) await chat.say(answer);
    const id = `yes-${Date.now()}`;
    await withFailingWrites(bot.app.storage, () => chat.post({ type: 'message', text: 'yes', id }));
    const repeat = await chat.post({ type: 'message', text: 'yes', id });
    expect(repeat.messages).toHaveLength(0);
    expect(gorgias.requests.filter((request) => request.method === 'POST' && request.body.includes('Sent twice'))).toHaveLength(1);
  });

  test('a ticket whose save failed twice in a row (the storage still down at the next turn) is still not created twice', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    await answerUpToKey(chat);
    await chat.submit({ apiKey: API_KEY });
    for (const answer of ['new ticket', 'jane@shop.com', 'Oven broken', 'It does not heat.']) await chat.say(answer);
    const creates = () => gorgias.requests.filter((request) => request.method === 'POST' && request.body.includes('Oven broken'));
    await withFailingWrites(bot.app.storage, () => chat.say('yes'));
    expect(textOf(await withFailingWrites(bot.app.storage, () => chat.say('yes')))).toContain(STORAGE_FAILED);

    expect(textOf(await chat.say('yes'))).not.toMatch(/Ticket #\d+ created/);
    expect(creates()).toHaveLength(1);
    // And the chat goes on.
    expect(textOf(await chat.say('status'))).toContain("You're connected");
  });
});
