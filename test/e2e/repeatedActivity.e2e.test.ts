/**
 * A channel that got no answer in time sends the same activity again (same id). The real bot over HTTP,
 * as the Emulator drives it: a repeat is not handled twice, whether it comes after the first or while
 * the first is still being handled.
 */
import { randomUUID } from 'node:crypto';
import { EmulatorConversation, visibleText, type TurnReply } from '../support/emulator';
import { e2eFixture } from '../support/e2eFixture';

const EMAIL = 'agent@acme.com';
const API_KEY = 'repeated-activity-secret-key-0123456789';

const textOf = (reply: TurnReply): string => reply.messages.map(visibleText).join('\n');

describe('an activity sent again with the same id', () => {
  const { channel, bot, gorgias } = e2eFixture({ accounts: [{ subdomain: 'acme', users: [{ email: EMAIL, apiKey: API_KEY }] }] });

  async function connectedChat(): Promise<EmulatorConversation> {
    const chat = new EmulatorConversation(bot.url, channel);
    for (const answer of ['connect', 'acme', EMAIL]) await chat.say(answer);
    expect(textOf(await chat.submit({ apiKey: API_KEY }))).toContain("You're connected");
    return chat;
  }

  test('after the first was answered: ignored, so it is not also taken as the next answer', async () => {
    const chat = await connectedChat();
    await chat.say('new ticket');
    await chat.say('jane@shop.com');
    const id = randomUUID();
    expect(textOf(await chat.post({ type: 'message', text: 'Order late', id }))).toContain("What is the customer's message?");
    const repeat = await chat.post({ type: 'message', text: 'Order late', id });
    expect(repeat.status).toBe(200);
    expect(repeat.messages).toHaveLength(0);

    const summary = textOf(await chat.say('Where is my parcel?'));
    expect(summary).toContain('Order late');
    expect(summary).toContain('Where is my parcel?');
  });

  test('while the first is still being handled: one ticket, and no "didn\'t get that" for the copy', async () => {
    const chat = await connectedChat();
    for (const answer of ['new ticket', 'jane@shop.com', 'Twice sent', 'Only once please.']) await chat.say(answer);
    gorgias.setBehaviourOnce('acme', { status: 201, body: JSON.stringify({ id: 9001, subject: 'Twice sent', status: 'open' }), delayMs: 300 });
    const id = randomUUID();
    const [first, second] = await Promise.all([chat.post({ type: 'message', text: 'yes', id }), chat.post({ type: 'message', text: 'yes', id })]);
    const all = `${textOf(first)}\n${textOf(second)}`;
    expect(all).toContain('Ticket #9001 created');
    expect(all).not.toContain("didn't get that");
    expect(gorgias.requests.filter((request) => request.method === 'POST' && request.body.includes('Twice sent'))).toHaveLength(1);
  });

  test('activities with different ids, or none, are each handled', async () => {
    const chat = await connectedChat();
    const repeats = (): number => bot.logs.filter((line) => line.includes('"event":"turn.repeat_ignored"')).length;
    const before = repeats();
    expect(textOf(await chat.post({ type: 'message', text: 'status', id: undefined }))).toContain("You're connected");
    expect(textOf(await chat.post({ type: 'message', text: 'status', id: undefined }))).toContain("You're connected");
    const id = randomUUID();
    expect(textOf(await chat.post({ type: 'message', text: 'status', id }))).toContain("You're connected");
    // Another activity type with the same id (Teams sends an edit with the message's id) is its own.
    expect((await chat.post({ type: 'messageUpdate', text: 'status', id })).status).toBe(200);
    expect(textOf(await chat.post({ type: 'message', text: 'status', id: randomUUID() }))).toContain("You're connected");
    expect(repeats()).toBe(before);
  });
});
