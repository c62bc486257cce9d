/**
 * End to end: the real restify server and bot, an Emulator-shaped conversation, a fake Gorgias server.
 */
import { EmulatorConversation, visibleText } from '../support/emulator';
import { e2eFixture } from '../support/e2eFixture';
import { jsonReply } from '../support/fakeGorgias';

const API_KEY = 'e2e-secret-key-0123456789abcdef';
const BASIC_TOKEN = Buffer.from(`agent@acme.com:${API_KEY}`).toString('base64');

describe('the bot over HTTP, as the Emulator drives it', () => {
  const { gorgias, channel, bot } = e2eFixture({ accounts: [{ subdomain: 'acme', users: [{ email: 'agent@acme.com', apiKey: API_KEY }] }] });

  test('welcome, a full successful authorization, then status', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    const welcome = await chat.conversationUpdate();
    expect(welcome.status).toBe(200);
    expect(welcome.messages).toHaveLength(1);
    expect(visibleText(welcome.messages[0])).toMatch(/Gorgias/);

    const subdomainQuestion = await chat.say('connect');
    expect(visibleText(subdomainQuestion.messages[0])).toMatch(/subdomain/i);
    const emailQuestion = await chat.say('https://acme.gorgias.com/app/tickets/123');
    expect(visibleText(emailQuestion.messages[0])).toMatch(/email/i);
    const keyQuestion = await chat.say('agent@acme.com');
    expect(visibleText(keyQuestion.messages[0])).toMatch(/API Key/i);
    // The Emulator renders Adaptive Cards: the key is asked for in a masked field.
    expect(JSON.stringify(keyQuestion.messages[0])).toContain('"style":"password"');

    // Gorgias takes a while (far longer than the bot's typing delay): the user sees the bot working on it.
    gorgias.setBehaviourOnce('acme', { ...jsonReply(200, { domain: 'acme', status: { status: 'active' } }), delayMs: 1500 });
    const connected = await chat.submit({ apiKey: API_KEY });
    expect(connected.activities.some((sent) => sent.type === 'typing')).toBe(true);
    expect(visibleText(connected.messages[connected.messages.length - 1])).toMatch(/connected to the Gorgias account \*\*acme\*\*/);
    expect(gorgias.requests.filter((request) => request.subdomain === 'acme')).toHaveLength(1);

    const status = await chat.say('status');
    const statusText = visibleText(status.messages[0]);
    expect(statusText).toContain('agent@acme.com');
    expect(statusText).toContain('••••cdef');
  });

  test('a failed authorization asks again for what was wrong', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    await chat.conversationUpdate();
    await chat.say('connect');
    await chat.say('acme');
    await chat.say('agent@acme.com');
    const rejected = await chat.say('wrong-key-123456789');
    const text = rejected.messages.map(visibleText).join('\n');
    expect(text).toMatch(/didn't accept that email and API key/);
    expect(text).toMatch(/email/i);
    // The key was typed as a visible message: the Emulator cannot delete it, so the user is asked to.
    expect(text).toMatch(/delete the message/);
  });

  test('after a failed turn the user is told in one sentence, the dialog starts clean, and a connected profile is kept', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    await chat.say('connect');
    await chat.say('acme');
    await chat.say('agent@acme.com');
    await chat.submit({ apiKey: API_KEY });

    await chat.say('connect');
    await chat.say('reconnect');
    expect(visibleText((await chat.say('acme')).messages[0])).toMatch(/email/i);
    // The channel refuses the bot's next reply: the turn fails.
    channel.failingPosts = 1;
    const failed = await chat.say('agent@acme.com');
    expect(failed.status).toBe(200);
    expect(failed.messages.map(visibleText).join('\n')).toMatch(/something went wrong/i);

    // The half-finished dialog is gone: the same text is no longer taken as an answer...
    expect(visibleText((await chat.say('agent@acme.com')).messages[0])).toMatch(/didn't get that/);
    // ...and the profile connected before is still there.
    expect(visibleText((await chat.say('status')).messages[0])).toContain("You're connected to Gorgias");
  });

  test('the API key appears in no reply and no log line', () => {
    const everything = [...channel.calls.map((call) => JSON.stringify(call.activity ?? {})), ...bot.logs].join('\n');
    expect(everything).not.toContain(API_KEY);
    expect(everything).not.toContain(BASIC_TOKEN);
    expect(everything).not.toContain('wrong-key-123456789');
    expect(bot.logs.length).toBeGreaterThan(0);
  });
});
