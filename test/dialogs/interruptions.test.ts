/**
 * `cancel`, `help` and `start over` at every question of the connect dialog, driven through the bot with
 * botbuilder's TestAdapter against the fake Gorgias server.
 */
import type { Activity } from 'botbuilder';
import { jsonReply } from '../support/fakeGorgias';
import { shown, shownAll, suggestedTitles, type BotHarness } from '../support/dialogHarness';
import { dialogFixture } from '../support/dialogFixture';
import { interruptionIn } from '../../dialogs/interruptibleDialog';
import * as say from '../../src/messages/connect';
import * as botSay from '../../src/messages/bot';

const EMAIL = 'agent@acme.com';
const KEY = 'interrupt-test-key-8d2e6f0a4c1b';
const BASIC_TOKEN = `Basic ${Buffer.from(`${EMAIL}:${KEY}`).toString('base64')}`;

const ASKS_SUBDOMAIN = 'What is your Gorgias subdomain?';
const ASKS_EMAIL = 'What email do you log in to Gorgias with?';
const ASKS_KEY = 'REST API key';

const { fake, transcript, logs, chat } = dialogFixture((gorgias) => {
  gorgias.addAccount({ subdomain: 'acme', users: [{ email: EMAIL, apiKey: KEY }] });
});

/** Markdown emphasis left out, so a test can read the words as a person sees them. */
function plain(text: string): string {
  return text.replace(/\*\*/g, '');
}

interface PromptCase {
  prompt: string;
  /** Gorgias's next answers, set before the conversation starts. */
  prepare?: () => void;
  /** What the user says after `connect` to reach the prompt. */
  reach: string[];
  /** What the bot asks at that prompt. */
  question: string;
  /** What the help at that prompt must explain. */
  help: RegExp[];
  /** What the user says after the interruption to finish connecting, the earlier answers kept. */
  finish: string[];
  /** Gorgias calls by the end of a successful run. */
  callsWhenDone: number;
}

const PROMPTS: PromptCase[] = [
  {
    prompt: 'subdomain',
    reach: [],
    question: ASKS_SUBDOMAIN,
    help: [/address bar/, /https:\/\/acme\.gorgias\.com/, /type acme/],
    finish: ['acme', EMAIL, KEY],
    callsWhenDone: 1,
  },
  {
    prompt: 'email',
    reach: ['acme'],
    question: ASKS_EMAIL,
    help: [/Username/, /email address you use to log in/],
    finish: [EMAIL, KEY],
    callsWhenDone: 1,
  },
  {
    prompt: 'key',
    reach: ['acme', EMAIL],
    question: ASKS_KEY,
    help: [/Your Profile → REST API/, /Password \(API Key\)/],
    finish: [KEY],
    callsWhenDone: 1,
  },
  {
    prompt: 'retry choice',
    prepare: () => fake.setBehaviourOnce('acme', jsonReply(503, { error: { msg: 'Down for maintenance' } })),
    reach: ['acme', EMAIL, KEY],
    question: say.RETRY_OR_CANCEL,
    help: [/Try again/, /Cancel/, /nothing is stored/],
    finish: [say.TRY_AGAIN],
    callsWhenDone: 2,
  },
  {
    prompt: 'subdomain, asked again after a 404',
    reach: ['acme-typo', EMAIL, KEY],
    question: ASKS_SUBDOMAIN,
    help: [/address bar/, /type acme/],
    finish: ['acme'],
    callsWhenDone: 2,
  },
];

async function reach(harness: BotHarness, prompt: PromptCase): Promise<void> {
  prompt.prepare?.();
  let replies = await harness.say('connect');
  for (const given of prompt.reach) replies = await harness.say(given);
  expect(shownAll(replies)).toContain(prompt.question);
}

async function finish(harness: BotHarness, answers: string[]): Promise<Partial<Activity>[]> {
  let replies: Partial<Activity>[] = [];
  for (const given of answers) replies = await harness.say(given);
  return replies;
}

function expectConnectedReply(replies: Partial<Activity>[]): void {
  expect(shown(replies[replies.length - 1])).toContain('connected to the Gorgias account **acme**');
  expect(shown(replies[replies.length - 1])).toContain(EMAIL);
}

async function expectNothingStored(harness: BotHarness): Promise<void> {
  expect((await harness.loadProfile()).state).toBe('none');
  expect(harness.storedProfile()).toBeUndefined();
  // The key waiting in the dialog (sealed) goes with the dialog.
  expect(harness.rawStorage()).not.toContain('sealedKey');
  expect(harness.storedConversation()?.dialogState).toEqual({ dialogStack: [] });
}

describe.each(PROMPTS)('at the $prompt prompt', (prompt) => {
  test('cancel ends the dialog and stores nothing', async () => {
    const harness = chat();
    await reach(harness, prompt);
    const callsBefore = fake.requests.length;
    const replies = await harness.say('cancel');
    expect(replies).toHaveLength(1);
    expect(shown(replies[0])).toBe(say.CANCELLED);
    expect(fake.requests).toHaveLength(callsBefore);
    await expectNothingStored(harness);
    // Over: the next message is read as a command again, not as an answer.
    expect(shownAll(await harness.say('acme'))).toContain(botSay.NOT_UNDERSTOOD);
  });

  test('help explains the question and asks it again; the answers so far are kept', async () => {
    const harness = chat();
    await reach(harness, prompt);
    const replies = await harness.say('help');
    expect(replies).toHaveLength(2);
    const help = plain(shown(replies[0]));
    for (const expected of prompt.help) expect(help).toMatch(expected);
    expect(shown(replies[1])).toContain(prompt.question);
    if (prompt.prompt === 'retry choice') expect(suggestedTitles(replies[1])).toEqual([say.TRY_AGAIN, say.CANCEL]);

    expectConnectedReply(await finish(harness, prompt.finish));
    expect(fake.requests).toHaveLength(prompt.callsWhenDone);
    expect(fake.requests[fake.requests.length - 1].headers.authorization).toBe(BASIC_TOKEN);
    expect((await harness.loadProfile()).state).toBe('connected');
  });

  test('start over goes back to the subdomain question and keeps nothing', async () => {
    const harness = chat();
    await reach(harness, prompt);
    const callsBefore = fake.requests.length;
    const restarted = await harness.say('start over');
    expect(restarted).toHaveLength(1);
    expect(shown(restarted[0])).toContain(say.STARTING_OVER);
    expect(shown(restarted[0])).toContain(ASKS_SUBDOMAIN);
    expect(harness.rawStorage()).not.toContain('sealedKey');

    // Every question is asked again: nothing given before the restart is reused.
    expect(shownAll(await harness.say('acme'))).toContain(ASKS_EMAIL);
    expect(shownAll(await harness.say(EMAIL))).toContain(ASKS_KEY);
    expect(fake.requests).toHaveLength(callsBefore);
    expectConnectedReply(await harness.say(KEY));
    expect(fake.requests).toHaveLength(callsBefore + 1);
    expect((await harness.loadProfile()).state).toBe('connected');
  });
});

describe('how interruptions are recognized', () => {
  test.each(['cancel', 'Cancel', '  CANCEL. ', 'stop', 'quit!'])('%j cancels', async (word) => {
    expect(interruptionIn(word)).toBe('cancel');
    const harness = chat();
    await harness.say('connect');
    await harness.say('acme');
    expect(shownAll(await harness.say(word))).toBe(say.CANCELLED);
    await expectNothingStored(harness);
  });

  test.each(['help', 'Help', '?', 'help!'])('%j asks for help', async (word) => {
    const harness = chat();
    await harness.say('connect');
    await harness.say('acme');
    const replies = await harness.say(word);
    expect(shown(replies[0])).toBe(say.HELP_EMAIL);
    expect(shown(replies[1])).toContain(ASKS_EMAIL);
  });

  test.each(['start over', 'Start  Over', 'restart'])('%j starts over', async (word) => {
    const harness = chat();
    await harness.say('connect');
    await harness.say('acme');
    expect(shownAll(await harness.say(word))).toContain(ASKS_SUBDOMAIN);
    expect(shownAll(await harness.say('acme'))).toContain(ASKS_EMAIL);
  });

  test('a sentence that merely contains the word is an answer, not an interruption', async () => {
    const harness = chat();
    await harness.say('connect');
    const replies = await harness.say('please cancel');
    expect(shownAll(replies)).not.toContain(say.CANCELLED);
    expect(shownAll(replies)).toContain(ASKS_SUBDOMAIN);
    // Still in the dialog.
    expect(shownAll(await harness.say('acme'))).toContain(ASKS_EMAIL);
  });

  test('help at the key prompt on the Emulator shows the card again', async () => {
    const harness = chat({ channelId: 'emulator' });
    await harness.say('connect');
    await harness.say('acme');
    await harness.say(EMAIL);
    const replies = await harness.say('help');
    expect(shown(replies[0])).toBe(say.HELP_API_KEY);
    expect(replies[1].attachments?.[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expectConnectedReply(await harness.say({ value: { apiKey: KEY } }));
  });

  test('cancel at the retry choice, typed in any case, stores nothing', async () => {
    fake.setBehaviour('acme', jsonReply(500, {}));
    const harness = chat();
    await harness.say('connect');
    await harness.say('acme');
    await harness.say(EMAIL);
    await harness.say(KEY);
    expect(shownAll(await harness.say('CANCEL'))).toBe(say.CANCELLED);
    await expectNothingStored(harness);
  });
});

describe('secrets', () => {
  test('the key appears in no reply and no log line', () => {
    expect(transcript.length).toBeGreaterThan(50);
    const everything = [...transcript.map((activity) => JSON.stringify(activity)), ...logs].join('\n');
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain(BASIC_TOKEN.slice('Basic '.length));
  });
});
