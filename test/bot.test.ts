/**
 * The bot's commands outside a dialog (welcome, connect, reconnect, status, disconnect, help, anything
 * else), driven with botbuilder's TestAdapter against the fake Gorgias server.
 */
import type { Activity } from 'botbuilder';
import { shown, shownAll, suggestedTitles, type BotHarness } from './support/dialogHarness';
import { dialogFixture } from './support/dialogFixture';
import * as say from '../src/messages/bot';
import { GROUP_CONNECT_REFUSED } from '../src/messages/connect';

const EMAIL = 'agent@acme.com';
const KEY = 'bot-test-key-7f3a9c2e51d04b68';
const SECOND_EMAIL = 'lead@acme.com';
const SECOND_KEY = 'bot-test-second-key-93b1e0c4d7';
/** The account's domain differs from the subdomain, so status can be seen to show each. */
const ACCOUNT_DOMAIN = 'acme-prod';

const ASKS_SUBDOMAIN = 'What is your Gorgias subdomain?';

const { transcript, logs, chat } = dialogFixture((gorgias) => {
  gorgias.addAccount({
    subdomain: 'acme',
    users: [
      { email: EMAIL, apiKey: KEY },
      { email: SECOND_EMAIL, apiKey: SECOND_KEY },
    ],
    account: { domain: ACCOUNT_DOMAIN },
  });
});

async function connect(harness: BotHarness, email = EMAIL, key = KEY, command = 'connect'): Promise<void> {
  expect(shownAll(await harness.say(command))).toContain(ASKS_SUBDOMAIN);
  await harness.say('acme');
  await harness.say(email);
  expect(shownAll(await harness.say(key))).toContain('connected to the Gorgias account');
}

describe('the welcome', () => {
  test('is sent once per conversation, with suggested actions (TestFlow)', async () => {
    const harness = chat();
    await harness
      .flow()
      .sendConversationUpdate()
      .assertReply((reply) => {
        expect(reply.text).toBe(say.WELCOME_USER_MODE);
        expect(suggestedTitles(reply)).toEqual([say.CONNECT, say.HELP]);
      })
      .sendConversationUpdate()
      // The turn has finished when the flow moves on, so an empty queue means no reply (no waiting needed).
      .then(() => expect(harness.adapter.activeQueue).toEqual([]))
      .startTest();
  });

  test('a conversationUpdate with both members greets once; a second one is silent', async () => {
    const harness = chat();
    const first = await harness.conversationUpdate();
    expect(first).toHaveLength(1);
    expect(shown(first[0])).toContain(say.WELCOME_USER_MODE);
    expect(await harness.conversationUpdate()).toEqual([]);
  });

  test('"hi" greets again on request', async () => {
    const harness = chat();
    await harness.conversationUpdate();
    const replies = await harness.say('hi');
    expect(replies).toHaveLength(1);
    expect(replies[0].text).toBe(say.WELCOME_USER_MODE);
  });
});

describe('connect', () => {
  test('starts the dialog', async () => {
    const harness = chat();
    const replies = await harness.say('connect');
    expect(replies).toHaveLength(1);
    expect(shown(replies[0])).toContain(ASKS_SUBDOMAIN);
  });

  test('when already connected, says so and offers Reconnect instead of asking again', async () => {
    const harness = chat();
    await connect(harness);
    const replies = await harness.say('connect');
    expect(replies).toHaveLength(1);
    expect(shown(replies[0])).toContain("You're already connected");
    expect(shown(replies[0])).toContain(EMAIL);
    expect(shown(replies[0])).not.toContain(ASKS_SUBDOMAIN);
    expect(suggestedTitles(replies[0])).toContain(say.RECONNECT);
    // Not in a dialog: the next message is not taken as a subdomain.
    expect(shownAll(await harness.say('acme'))).toContain(say.NOT_UNDERSTOOD);
  });

  test('reconnect starts the dialog, and the new details replace the old ones', async () => {
    const harness = chat();
    await connect(harness);
    await connect(harness, SECOND_EMAIL, SECOND_KEY, 'reconnect');
    const lookup = await harness.loadProfile();
    expect(lookup.state).toBe('connected');
    if (lookup.state === 'connected') expect(lookup.profile).toMatchObject({ email: SECOND_EMAIL, apiKey: SECOND_KEY });
  });

  test('in a group conversation the welcome, status and actions say where connecting happens, and offer no Connect that would fail', async () => {
    const harness = chat({ isGroup: true });
    const welcome = await harness.conversationUpdate();
    expect(welcome[0].text).toBe(say.WELCOME_GROUP_USER_MODE);
    expect(suggestedTitles(welcome[0])).toEqual([say.HELP]);
    const status = await harness.say('status');
    expect(status[0].text).toBe(say.GROUP_NOT_CONNECTED);
    expect(suggestedTitles(status[0])).toEqual([say.HELP]);
    const action = await harness.say('recent tickets');
    expect(action[0].text).toBe(say.GROUP_NOT_CONNECTED);
    expect(suggestedTitles(action[0])).not.toContain(say.CONNECT);
  });

  test('in a group conversation, refuses to ask for a key', async () => {
    const harness = chat({ isGroup: true });
    const replies = await harness.say('connect');
    expect(replies).toHaveLength(1);
    expect(replies[0].text).toBe(GROUP_CONNECT_REFUSED);
    expect(shown(replies[0])).not.toContain(ASKS_SUBDOMAIN);
    // No dialog was started.
    expect(shownAll(await harness.say('acme'))).toContain(say.NOT_UNDERSTOOD);
    expect(shownAll(await harness.say('reconnect'))).toBe(GROUP_CONNECT_REFUSED);
  });
});

describe('status', () => {
  test('when not connected, says so', async () => {
    const harness = chat();
    const replies = await harness.say('status');
    expect(replies).toHaveLength(1);
    expect(replies[0].text).toBe(say.NOT_CONNECTED);
    expect(suggestedTitles(replies[0])).toEqual([say.CONNECT, say.HELP]);
  });

  test('when connected, shows subdomain, email, account, verification time and only the end of the key', async () => {
    const harness = chat();
    await connect(harness);
    const verifiedAt = harness.storedProfile()?.verifiedAt;
    expect(typeof verifiedAt).toBe('string');

    const replies = await harness.say('status');
    expect(replies).toHaveLength(1);
    const text = shown(replies[0]);
    expect(text).toContain('acme.gorgias.com');
    expect(text).toContain(EMAIL);
    expect(text).toContain(ACCOUNT_DOMAIN);
    expect(text).toContain(verifiedAt as string);
    expect(text).toContain(`••••${KEY.slice(-4)}`);
    // At most the last 4 characters: no 5 characters of the key in a row appear anywhere.
    for (let start = 0; start + 5 <= KEY.length; start += 1) expect(text).not.toContain(KEY.slice(start, start + 5));
    expect(suggestedTitles(replies[0])).toEqual(['Recent tickets', 'New ticket', 'New customer', say.STATUS, say.DISCONNECT, say.HELP]);
  });
});

describe('disconnect', () => {
  test('forgets the profile and its sealed key; a second disconnect has nothing to forget', async () => {
    const harness = chat();
    await connect(harness);
    const sealedKey = harness.storedProfile()?.sealedKey;
    expect(typeof sealedKey).toBe('string');
    expect(harness.rawStorage()).toContain(sealedKey as string);

    const replies = await harness.say('disconnect');
    expect(replies).toHaveLength(1);
    expect(replies[0].text).toBe(say.DISCONNECTED);
    expect(harness.storedProfile()).toBeUndefined();
    expect(harness.rawStorage()).not.toContain('gorgiasProfile');
    expect(harness.rawStorage()).not.toContain(sealedKey as string);
    expect((await harness.loadProfile()).state).toBe('none');
    expect(shownAll(await harness.say('status'))).toContain(say.NOT_CONNECTED);

    const again = await harness.say('disconnect');
    expect(again).toHaveLength(1);
    expect(again[0].text).toBe(say.NOTHING_TO_DISCONNECT);
  });

  test('with nothing connected, says there is nothing to forget', async () => {
    const harness = chat();
    expect(shownAll(await harness.say('disconnect'))).toContain(say.NOTHING_TO_DISCONNECT);
  });
});

describe('help and anything else', () => {
  test.each([
    ['cancel', say.NOTHING_TO_CANCEL],
    ['quit', say.NOTHING_TO_CANCEL],
    ['try again', say.NOTHING_TO_RETRY],
  ])('%j with nothing under way says so, with the menu', async (text, reply) => {
    const replies = await chat().say(text);
    expect(replies).toHaveLength(1);
    expect(replies[0].text).toBe(reply);
    expect(suggestedTitles(replies[0])).toContain(say.HELP);
  });

  test('help lists the commands, with suggested actions', async () => {
    const harness = chat();
    const replies = await harness.say('help');
    expect(replies).toHaveLength(1);
    expect(replies[0].text).toContain(say.HELP_USER_MODE);
    // The enabled ticket and customer actions are listed too, each with how to write it.
    expect(replies[0].text).toContain("**show ticket 123**");
    expect(suggestedTitles(replies[0])).toEqual([say.CONNECT, say.HELP]);
  });

  test.each(['what can you do', 'tickets please', '12345'])('%j gets a short pointer to help', async (text) => {
    const harness = chat();
    const replies = await harness.say(text);
    expect(replies).toHaveLength(1);
    expect(replies[0].text).toBe(say.NOT_UNDERSTOOD);
    expect(suggestedTitles(replies[0])).toContain(say.HELP);
  });

  test.each<[string, Partial<Activity>]>([
    ['an attachment only', { attachments: [{ contentType: 'image/png', contentUrl: 'https://files.invalid/cat.png' }] }],
    ['empty text', { text: '' }],
    ['a 100 KB text', { text: 'y'.repeat(100 * 1024) }],
    ['a null byte', { text: '\u0000' }],
  ])('%s is never met with silence', async (_name, activity) => {
    const harness = chat();
    const replies = await harness.say(activity);
    expect(replies).toHaveLength(1);
    expect([say.NOT_UNDERSTOOD, say.NOT_TEXT]).toContain(replies[0].text);
  });
});

describe('secrets', () => {
  test('no key appears in any reply or log line', () => {
    expect(transcript.length).toBeGreaterThan(20);
    const everything = [...transcript.map((activity) => JSON.stringify(activity)), ...logs].join('\n');
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain(SECOND_KEY);
  });
});
