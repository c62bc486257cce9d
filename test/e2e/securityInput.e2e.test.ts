/**
 * End to end, messages that are not the text a question wants, at every question of the connect dialog:
 * each gets a clear re-ask of that same question, nothing is sent to Gorgias, and nothing the user already
 * gave is lost.
 */
import { EmulatorConversation, visibleText } from '../support/emulator';
import { e2eFixture } from '../support/e2eFixture';
import { basicToken, said } from '../security/helpers';

const EMAIL = 'agent@acme.com';
const API_KEY = 'input-secret-key-8e7d6c5b4a39';

/** Message activities a person or a channel may send where text is expected. */
const NOT_AN_ANSWER: [string, Record<string, unknown>][] = [
  ['an attachment only', { type: 'message', attachments: [{ contentType: 'image/png', contentUrl: 'https://example.com/cat.png', name: 'cat.png' }] }],
  ['a file with no text', { type: 'message', text: '', attachments: [{ contentType: 'application/pdf', contentUrl: 'https://example.com/a.pdf' }] }],
  ['the values of some other card', { type: 'message', value: { action: 'vote', choice: 'yes' } }],
  ['a card value whose key is not text', { type: 'message', value: { apiKey: { nested: true } } }],
  ['empty text', { type: 'message', text: '' }],
  ['no text at all', { type: 'message' }],
  ['blank text', { type: 'message', text: ' \n\t ' }],
  ['100 KB of text', { type: 'message', text: 'k'.repeat(100 * 1024) }],
  ['emoji only', { type: 'message', text: '😀👍🔑' }],
  ['right-to-left text', { type: 'message', text: 'مرحبا بالعالم' }],
  ['null bytes', { type: 'message', text: '\u0000\u0000\u0000' }],
  ['a null byte inside a word', { type: 'message', text: 'ac\u0000me' }],
];

/** Activities that are not messages: they must neither answer the question nor derail the dialog. */
const NOT_A_MESSAGE: Record<string, unknown>[] = [
  { type: 'typing' },
  { type: 'event', name: 'some/event', value: { apiKey: 'event-is-not-an-answer' } },
  { type: 'messageReaction', reactionsAdded: [{ type: 'like' }] },
  { type: 'conversationUpdate', membersAdded: [] },
];

describe('not an answer, at every question', () => {
  const { gorgias, channel, bot } = e2eFixture({ accounts: [{ subdomain: 'acme', users: [{ email: EMAIL, apiKey: API_KEY }] }] });

  /** Sends every non-answer and checks each got one short re-ask of the question `asks` recognises. */
  async function sendNonAnswers(chat: EmulatorConversation, asks: RegExp): Promise<void> {
    const callsBefore = gorgias.requests.length;
    for (const [name, activity] of NOT_AN_ANSWER) {
      const reply = await chat.post(activity);
      expect({ name, status: reply.status }).toEqual({ name, status: 200 });
      expect({ name, messages: reply.messages.length }).toEqual({ name, messages: 1 });
      const text = visibleText(reply.messages[0] ?? {});
      expect({ name, asksAgain: asks.test(text) }).toEqual({ name, asksAgain: true });
      // Clear and short: the re-ask does not carry the junk back.
      expect({ name, length: text.length < 2000 }).toEqual({ name, length: true });
    }
    for (const activity of NOT_A_MESSAGE) {
      const reply = await chat.post(activity);
      expect(reply.status).toBe(200);
      expect(reply.messages).toHaveLength(0);
    }
    expect(gorgias.requests.length).toBe(callsBefore);
  }

  test('subdomain, email and key questions each re-ask, and every earlier answer is kept', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    await chat.say('connect');

    await sendNonAnswers(chat, /subdomain/i);
    expect(said(await chat.say('acme'))).toMatch(/email/i);

    await sendNonAnswers(chat, /email/i);
    const keyQuestion = await chat.say(EMAIL);
    expect(JSON.stringify(keyQuestion.messages)).toContain('"style":"password"');

    await sendNonAnswers(chat, /API key/i);
    const before = gorgias.requests.length;
    expect(said(await chat.submit({ apiKey: API_KEY }))).toMatch(/connected to the Gorgias account \*\*acme\*\* .* as \*\*agent@acme\.com\*\*/);
    // One call, with the subdomain and email given many messages earlier.
    const made = gorgias.requests.slice(before);
    expect(made.map((request) => request.path)).toEqual(['/acme/api/account']);
    expect(made[0]?.headers.authorization).toBe(`Basic ${basicToken(EMAIL, API_KEY)}`);
  });

  test('the "try again?" question after a Gorgias outage re-asks too, and Try again still uses everything given', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    await chat.say('connect');
    await chat.say('acme');
    await chat.say(EMAIL);
    gorgias.setBehaviourOnce('acme', { status: 503, body: '{"error":"maintenance"}' });
    expect(said(await chat.submit({ apiKey: API_KEY }))).toMatch(/try again/i);

    await sendNonAnswers(chat, /Try again/);
    const before = gorgias.requests.length;
    expect(said(await chat.say('Try again'))).toMatch(/connected to the Gorgias account \*\*acme\*\*/);
    expect(gorgias.requests.slice(before).map((request) => request.headers.authorization)).toEqual([`Basic ${basicToken(EMAIL, API_KEY)}`]);
  });

  test('outside any question, the same messages get a short pointer to help and nothing breaks', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    for (const [name, activity] of NOT_AN_ANSWER) {
      const reply = await chat.post(activity);
      expect({ name, status: reply.status, messages: reply.messages.length }).toEqual({ name, status: 200, messages: 1 });
      expect(said(reply)).toMatch(/help/i);
    }
    expect(said(await chat.say('status'))).toMatch(/haven't connected/);
  });
});
