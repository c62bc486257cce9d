/**
 * End to end, guessing keys through the bot: failed verifications are limited per user and per
 * conversation (default 5 per 15 minutes). Past the limit the bot says when to try again and calls no one.
 */
import { FakeGorgias } from '../support/fakeGorgias';
import { ChannelRecorder, EmulatorConversation } from '../support/emulator';
import { startBot, type BotUnderTest } from '../support/botUnderTest';
import { connectWithCard, rejoin, said, startConnect } from '../security/helpers';

const EMAIL = 'agent@acme.com';
const API_KEY = 'brute-force-real-key-6a5b4c3d2e1f';
const LOCKED = /Too many failed attempts/;

describe('brute force', () => {
  const gorgias = new FakeGorgias();
  const channel = new ChannelRecorder();

  beforeAll(async () => {
    await gorgias.start();
    await channel.start();
    gorgias.addAccount({ subdomain: 'acme', users: [{ email: EMAIL, apiKey: API_KEY }] });
  });

  afterAll(async () => {
    await channel.stop();
    await gorgias.stop();
  });

  describe('with the defaults (5 failures per 15 minutes; the dialog itself stops after 3 in a row)', () => {
    let bot: BotUnderTest;

    beforeAll(async () => {
      bot = await startBot({ GORGIAS_URL_TEMPLATE: gorgias.urlTemplate });
    });

    afterAll(async () => {
      await bot.stop();
    });

    test('the 5th failure locks out at once; then connect is refused without a call, for that user and that conversation', async () => {
      const chat = new EmulatorConversation(bot.url, channel);
      const start = gorgias.count('acme');
      let guess = 0;
      const wrongKey = () => `wrong-guess-${(guess += 1)}-0000000000`;

      // Three wrong keys in a row: the dialog gives up by itself.
      await startConnect(chat, 'acme', EMAIL);
      expect(said(await chat.submit({ apiKey: wrongKey() }))).toMatch(/didn't accept/);
      await chat.say(EMAIL);
      expect(said(await chat.submit({ apiKey: wrongKey() }))).toMatch(/didn't accept/);
      await chat.say(EMAIL);
      expect(said(await chat.submit({ apiKey: wrongKey() }))).toMatch(/3 times in a row/);
      expect(gorgias.count('acme')).toBe(start + 3);

      // The user types connect again: two more wrong keys are still checked with Gorgias, and the
      // fifth failure, the limit, is answered with the wait at once instead of another question.
      await startConnect(chat, 'acme', EMAIL);
      expect(said(await chat.submit({ apiKey: wrongKey() }))).toMatch(/didn't accept/);
      await chat.say(EMAIL);
      const fifth = said(await chat.submit({ apiKey: wrongKey() }));
      expect(fifth).toMatch(LOCKED);
      expect(fifth).toMatch(/wait \*\*15 minutes\*\*/);
      expect(fifth).not.toMatch(/didn't accept/);
      expect(gorgias.count('acme')).toBe(start + 5);

      // Not even the right key gets through now.
      // Locked out users are told at once, before they are asked to paste a key again.
      expect(said(await chat.say('connect'))).toMatch(LOCKED);
      expect(said(await chat.say('status'))).toMatch(/haven't connected/);

      // The same user in another conversation: the per-user bucket.
      const elsewhere = new EmulatorConversation(bot.url, channel);
      // The same person: EmulatorConversation makes up a user, replaced on purpose.
      Object.assign(elsewhere, { user: chat.user });
      // Locked out users are told at once, before they are asked to paste a key again.
      expect(said(await elsewhere.say('connect'))).toMatch(LOCKED);

      // Another user in the same conversation: the per-conversation bucket.
      const sameConversation = rejoin(bot.url, channel, chat, { user: { id: 'another-user', name: 'Other', role: 'user' } });
      // Locked out users are told at once, before they are asked to paste a key again.
      expect(said(await sameConversation.say('connect'))).toMatch(LOCKED);
      expect(gorgias.count('acme')).toBe(start + 5);

      // Someone else, somewhere else, is not affected.
      const bystander = new EmulatorConversation(bot.url, channel);
      expect(said(await connectWithCard(bystander, 'acme', EMAIL, API_KEY))).toMatch(/connected to the Gorgias account/);
      expect(gorgias.count('acme')).toBe(start + 6);
    });

    test('an unknown subdomain counts as a failed attempt too', async () => {
      const chat = new EmulatorConversation(bot.url, channel);
      const start = gorgias.requests.length;
      await startConnect(chat, 'guess-1', EMAIL);
      expect(said(await chat.submit({ apiKey: API_KEY }))).toMatch(/couldn't find a Gorgias account/);
      expect(said(await chat.say('guess-2'))).toMatch(/couldn't find a Gorgias account/);
      expect(said(await chat.say('guess-3'))).toMatch(/3 times in a row/);
      await startConnect(chat, 'guess-4', EMAIL);
      expect(said(await chat.submit({ apiKey: API_KEY }))).toMatch(/couldn't find a Gorgias account/);
      // The fifth guess reaches the limit: the bot says so rather than asking for another subdomain.
      expect(said(await chat.say('guess-5'))).toMatch(LOCKED);
      expect(gorgias.requests.length - start).toBe(5);

      // Connecting again is refused before any question, and no call is made.
      expect(said(await chat.say('connect'))).toMatch(LOCKED);
      expect(gorgias.requests.length - start).toBe(5);
    });
  });

  describe('with AUTH_FAILURE_LIMIT=2 and AUTH_FAILURE_WINDOW_MINUTES=1', () => {
    let bot: BotUnderTest;

    beforeAll(async () => {
      bot = await startBot({ GORGIAS_URL_TEMPLATE: gorgias.urlTemplate, AUTH_FAILURE_LIMIT: '2', AUTH_FAILURE_WINDOW_MINUTES: '1' });
    });

    afterAll(async () => {
      await bot.stop();
    });

    test('the limit and the wait follow the settings', async () => {
      const chat = new EmulatorConversation(bot.url, channel);
      const start = gorgias.count('acme');
      await startConnect(chat, 'acme', EMAIL);
      expect(said(await chat.submit({ apiKey: 'wrong-key-number-one' }))).toMatch(/didn't accept/);
      await chat.say(EMAIL);
      const second = said(await chat.submit({ apiKey: 'wrong-key-number-two' }));
      expect(second).toMatch(LOCKED);
      expect(second).toMatch(/wait \*\*1 minute\*\*/);
      // Not even the right key gets through now, and nobody is asked for it.
      expect(said(await chat.say('connect'))).toMatch(LOCKED);
      expect(gorgias.count('acme')).toBe(start + 2);
    });

    test('Gorgias being down is not a failed guess', async () => {
      const chat = new EmulatorConversation(bot.url, channel);
      await startConnect(chat, 'acme', EMAIL);
      gorgias.setBehaviourOnce('acme', { status: 503, body: '{}' });
      expect(said(await chat.submit({ apiKey: API_KEY }))).toMatch(/try again/i);
      gorgias.setBehaviourOnce('acme', { status: 503, body: '{}' });
      expect(said(await chat.say('Try again'))).toMatch(/try again/i);
      expect(said(await chat.say('Try again'))).toMatch(/connected to the Gorgias account/);
    });
  });
});
