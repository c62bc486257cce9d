/**
 * The connect dialog, driven through the bot with botbuilder's TestAdapter, against the fake Gorgias
 * server on a real socket: every verification outcome, re-asking only what was wrong, the failure
 * limit, refusals and odd messages at each prompt, and the masked key prompt.
 */
import type { Activity } from 'botbuilder';
import { htmlPage, jsonReply, type FakeBehaviour } from '../support/fakeGorgias';
import { refusedUrlTemplate, shown, shownAll, suggestedTitles, type BotHarness, type HarnessOptions } from '../support/dialogHarness';
import { dialogFixture } from '../support/dialogFixture';
import * as say from '../../src/messages/connect';
import * as botSay from '../../src/messages/bot';
import { parseSubdomain } from '../../src/validation/subdomain';
import { parseEmail } from '../../src/validation/email';
import { parseApiKey } from '../../src/validation/apiKey';
import { API_KEY_INPUT_ID, ADAPTIVE_CARD_CONTENT_TYPE } from '../../src/cards/apiKeyCard';

const EMAIL = 'agent@acme.com';
const KEY = 'dialog-test-key-5f1c9a7e3b2d';
const WRONG_KEY = 'dialog-wrong-key-0a9b8c7d6e';
const BASIC_TOKEN = `Basic ${Buffer.from(`${EMAIL}:${KEY}`).toString('base64')}`;
/** Every key any test in this file sends: none may appear in any reply or log line. */
/** A key pasted with a space in it: refused, and still a secret on display. */
const SPLIT_KEY = 'dialog-split-key-7c41 e09b2f58a6d3c1e7';
/** A key as Gorgias shows it (40 hex characters): pasted too early, it must never be taken for a subdomain. */
const HEX_KEY = '3f9a0c41d2b7e86a5c0d9e1f2a3b4c5d6e7f8a9b';
const KEYS_USED = [KEY, WRONG_KEY, 'has space inside 123', SPLIT_KEY, HEX_KEY];

// Each question, as the bot words it; a reply "asks" a question when it contains these words.
const ASKS_SUBDOMAIN = 'What is your Gorgias subdomain?';
const ASKS_EMAIL = 'What email do you log in to Gorgias with?';
const ASKS_KEY = 'REST API key';
const KEY_RETRY_QUESTION = 'Please paste your Gorgias API key.';

const { fake, transcript, logs, chat } = dialogFixture((gorgias) => {
  gorgias.addAccount({ subdomain: 'acme', users: [{ email: EMAIL, apiKey: KEY }] });
});

function acmeRequests() {
  return fake.requests.filter((request) => request.subdomain === 'acme');
}

/** Runs `connect` and answers the first questions, returning the replies to the last answer. */
async function answer(harness: BotHarness, ...answers: (string | Partial<Activity>)[]): Promise<Partial<Activity>[]> {
  let replies = await harness.say('connect');
  expect(shownAll(replies)).toContain(ASKS_SUBDOMAIN);
  for (const given of answers) replies = await harness.say(given);
  return replies;
}

async function expectConnected(harness: BotHarness, email = EMAIL): Promise<void> {
  const lookup = await harness.loadProfile();
  expect(lookup.state).toBe('connected');
  if (lookup.state !== 'connected') return;
  expect(lookup.profile).toMatchObject({ subdomain: 'acme', email, apiKey: KEY, ownerId: harness.userId, source: 'user' });
}

async function expectNothingStored(harness: BotHarness): Promise<void> {
  expect((await harness.loadProfile()).state).toBe('none');
  expect(harness.storedProfile()).toBeUndefined();
  expect(harness.rawStorage()).not.toContain('gorgiasProfile');
}

function expectConnectedReply(replies: Partial<Activity>[], email = EMAIL): void {
  const last = replies[replies.length - 1];
  expect(shown(last)).toContain('connected to the Gorgias account **acme**');
  expect(shown(last)).toContain(email);
}

/** The account answer of a working Gorgias, as the fake gives it. */
function slowAccount(): FakeBehaviour & object {
  return jsonReply(200, { domain: 'acme', created_datetime: '2024-01-15T10:00:00.000000+00:00', status: { status: 'active' }, settings: [] });
}

describe('the happy path', () => {
  test('three answers after connect connect the account and store it sealed', async () => {
    const harness = chat();
    expect(shownAll(await harness.say('connect'))).toContain(ASKS_SUBDOMAIN);
    expect(shownAll(await harness.say('acme'))).toContain(ASKS_EMAIL);
    expect(shownAll(await harness.say(EMAIL))).toContain(ASKS_KEY);
    const replies = await harness.turn({ type: 'message', text: KEY });
    // Gorgias answered at once: no typing indicator, just the answer.
    expect(replies.some((reply) => reply.type === 'typing')).toBe(false);
    const messages = replies.filter((reply) => reply.type === 'message');
    expectConnectedReply(messages);
    // The next steps app.ts offers: the enabled actions (all of them here) before the commands.
    expect(suggestedTitles(messages[messages.length - 1])).toEqual(['Recent tickets', 'New ticket', 'New customer', botSay.STATUS, botSay.DISCONNECT, botSay.HELP]);

    expect(acmeRequests()).toHaveLength(1);
    expect(acmeRequests()[0]).toMatchObject({ method: 'GET', apiPath: '/api/account' });
    expect(acmeRequests()[0].headers.authorization).toBe(BASIC_TOKEN);

    await expectConnected(harness);
    const stored = harness.storedProfile();
    expect(stored).toMatchObject({ v: 1, subdomain: 'acme', email: EMAIL, ownerId: harness.userId, accountDomain: 'acme' });
    expect(typeof stored?.sealedKey).toBe('string');
    expect(JSON.stringify(stored)).not.toContain(KEY);
    expect(harness.rawStorage()).not.toContain(KEY);
  });

  test('a pasted address is reduced to the subdomain (TestFlow); a slow Gorgias shows the typing indicator', async () => {
    // Far slower than TYPING_DELAY_MS, so the indicator is due long before the answer however busy the machine.
    fake.setBehaviourOnce('acme', { ...slowAccount(), delayMs: 1500 });
    const harness = chat();
    await harness
      .flow()
      .send('connect')
      .assertReply((reply) => expect(shown(reply)).toContain(ASKS_SUBDOMAIN))
      .send('https://acme.gorgias.com/app/tickets/123')
      .assertReply((reply) => expect(shown(reply)).toContain(ASKS_EMAIL))
      .send(EMAIL)
      .assertReply((reply) => expect(shown(reply)).toContain(ASKS_KEY))
      .send(KEY)
      .assertReply((reply) => expect(reply.type).toBe('typing'))
      .assertReply((reply) => expect(shown(reply)).toContain('connected to the Gorgias account **acme**'))
      .startTest();
    await expectConnected(harness);
  });
});

describe('each verification outcome', () => {
  test('401: asks for the email and key again, not the subdomain, then connects', async () => {
    const harness = chat();
    const rejected = shownAll(await answer(harness, 'acme', EMAIL, WRONG_KEY));
    expect(rejected).toContain("didn't accept that email and API key");
    expect(rejected).toContain(ASKS_EMAIL);
    expect(rejected).not.toContain(ASKS_SUBDOMAIN);

    expect(shownAll(await harness.say(EMAIL))).toContain(ASKS_KEY);
    expectConnectedReply(await harness.say(KEY));
    expect(acmeRequests()).toHaveLength(2);
    expect(acmeRequests()[1].headers.authorization).toBe(BASIC_TOKEN);
    await expectConnected(harness);
  });

  test('403: says the user lacks permission and asks for other credentials', async () => {
    fake.setBehaviourOnce('acme', jsonReply(403, { error: { msg: 'Forbidden' } }));
    const harness = chat();
    const refused = shownAll(await answer(harness, 'acme', EMAIL, KEY));
    expect(refused).toMatch(/doesn't have permission/);
    expect(refused).toContain(EMAIL);
    expect(refused).toContain(ASKS_EMAIL);
    expect(refused).not.toContain(ASKS_SUBDOMAIN);
    expect(harness.storedProfile()).toBeUndefined();

    await harness.say(EMAIL);
    expectConnectedReply(await harness.say(KEY));
    await expectConnected(harness);
  });

  const noAccountCases: { name: string; typedSubdomain: string; behaviour?: FakeBehaviour }[] = [
    { name: '404 (an unknown subdomain)', typedSubdomain: 'acme-typo' },
    { name: 'a redirect', typedSubdomain: 'acme', behaviour: { status: 302, headers: { location: 'https://www.gorgias.com/' } } },
    { name: 'a 200 with an HTML body', typedSubdomain: 'acme', behaviour: htmlPage(200, 'Welcome') },
  ];

  test.each(noAccountCases)('$name: asks for the subdomain only, then verifies again with the same email and key', async ({ typedSubdomain, behaviour }) => {
    if (behaviour) fake.setBehaviourOnce('acme', behaviour);
    const harness = chat();
    const asked = shownAll(await answer(harness, typedSubdomain, EMAIL, KEY));
    expect(asked).toContain(`couldn't find a Gorgias account at **${typedSubdomain}.gorgias.com**`);
    expect(asked).toContain(ASKS_SUBDOMAIN);
    expect(asked).not.toContain(ASKS_EMAIL);

    const replies = await harness.say('acme');
    // Straight to the result: neither the email nor the key is asked for again.
    expect(replies).toHaveLength(1);
    expect(shownAll(replies)).not.toContain(ASKS_EMAIL);
    expect(shownAll(replies)).not.toContain(ASKS_KEY);
    expectConnectedReply(replies);

    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[0].subdomain).toBe(typedSubdomain);
    expect(fake.requests[1].subdomain).toBe('acme');
    expect(fake.requests[1].headers.authorization).toBe(fake.requests[0].headers.authorization);
    expect(fake.requests[1].headers.authorization).toBe(BASIC_TOKEN);
    await expectConnected(harness);
  });

  test('429 with Retry-After: 7 says 7 seconds; Try again before then is answered without calling Gorgias, answers kept', async () => {
    fake.setBehaviourOnce('acme', jsonReply(429, { error: { msg: 'Too many requests' } }, { 'retry-after': '7' }));
    const harness = chat();
    const replies = await answer(harness, 'acme', EMAIL, KEY);
    const offer = replies[replies.length - 1];
    expect(shown(offer)).toMatch(/wait about \*\*7 seconds\*\*/);
    expect(suggestedTitles(offer)).toEqual([say.TRY_AGAIN, say.CANCEL]);

    // Gorgias asked for 7 seconds: the account is held, so pressing Try again at once sends nothing.
    const tooSoon = await harness.say(say.TRY_AGAIN);
    expect(shownAll(tooSoon)).toMatch(/wait about \*\*[5-7] seconds\*\*/);
    expect(suggestedTitles(tooSoon[tooSoon.length - 1])).toEqual([say.TRY_AGAIN, say.CANCEL]);
    expect(acmeRequests()).toHaveLength(1);
    await expectNothingStored(harness);
  });

  test('after the Retry-After has passed, Try again verifies again without asking anything', async () => {
    fake.setBehaviourOnce('acme', jsonReply(429, { error: { msg: 'Too many requests' } }, { 'retry-after': '1' }));
    // No automatic retry, so the 429 reaches the user and the hold is what is tested.
    const harness = chat({ gorgias: { maxAutoRetryAfterSeconds: 0 } });
    const replies = await answer(harness, 'acme', EMAIL, KEY);
    expect(shown(replies[replies.length - 1])).toMatch(/wait about \*\*1 second\*\*/);
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    const retried = await harness.say(say.TRY_AGAIN);
    expect(retried).toHaveLength(1);
    expectConnectedReply(retried);
    expect(acmeRequests()).toHaveLength(2);
    expect(acmeRequests()[1].headers.authorization).toBe(BASIC_TOKEN);
    await expectConnected(harness);
  });

  const transientCases: { name: string; explanation: string; setup: () => Promise<Partial<HarnessOptions>> }[] = [
    {
      name: 'a timeout',
      explanation: "didn't answer in time",
      setup: async () => {
        fake.setBehaviour('acme', 'hang');
        return { timeoutMs: 300 };
      },
    },
    { name: 'a refused connection', explanation: "couldn't reach Gorgias", setup: async () => ({ urlTemplate: await refusedUrlTemplate() }) },
    {
      name: 'a 500',
      explanation: 'error 500',
      setup: async () => {
        fake.setBehaviour('acme', jsonReply(500, { error: { msg: 'Internal error' } }));
        return {};
      },
    },
    {
      name: 'a 503',
      explanation: 'error 503',
      setup: async () => {
        fake.setBehaviour('acme', htmlPage(503, 'Service Unavailable'));
        return {};
      },
    },
  ];

  test.each(transientCases)('$name: offers Try again or Cancel; Cancel stores nothing', async ({ explanation, setup }) => {
    const harness = chat(await setup());
    const replies = await answer(harness, 'acme', EMAIL, KEY);
    const offer = replies[replies.length - 1];
    expect(shown(offer)).toContain(explanation);
    expect(shown(offer)).toContain(say.RETRY_OR_CANCEL);
    expect(suggestedTitles(offer)).toEqual([say.TRY_AGAIN, say.CANCEL]);

    expect(shownAll(await harness.say(say.CANCEL))).toContain(say.CANCELLED);
    await expectNothingStored(harness);
    // The dialog is over: the next message is not taken as an answer.
    expect(shownAll(await harness.say('acme'))).toContain(botSay.NOT_UNDERSTOOD);
  });

  test('a 500 then Try again verifies again with what was given', async () => {
    fake.setBehaviourOnce('acme', jsonReply(500, {}));
    const harness = chat();
    await answer(harness, 'acme', EMAIL, KEY);
    expectConnectedReply(await harness.say('try again'));
    expect(acmeRequests()).toHaveLength(2);
    expect(acmeRequests()[1].headers.authorization).toBe(BASIC_TOKEN);
    await expectConnected(harness);
  });

  // A DNS failure (ENOTFOUND) is classified by the client as no_account, the same path as the 404 case
  // above; provoking a real one would need a name lookup outside this machine, so it is not driven here.
});

describe('the failure limit', () => {
  test('three wrong keys in a row (the default) end the dialog, say what to check and store nothing', async () => {
    const harness = chat();
    let replies = await answer(harness, 'acme', EMAIL, WRONG_KEY);
    expect(shownAll(replies)).toContain(ASKS_EMAIL);
    await harness.say(EMAIL);
    replies = await harness.say(WRONG_KEY);
    expect(shownAll(replies)).toContain(ASKS_EMAIL);
    await harness.say(EMAIL);
    replies = await harness.say(WRONG_KEY);
    const text = shownAll(replies);
    expect(text).toContain("didn't work 3 times in a row");
    expect(text).toMatch(/Please check/);
    expect(text).toMatch(/subdomain/);
    expect(text).toMatch(/Username/);
    expect(text).toMatch(/Password \(API Key\)/);
    expect(text).not.toContain(ASKS_EMAIL);
    expect(acmeRequests()).toHaveLength(3);
    await expectNothingStored(harness);
    expect(shownAll(await harness.say(EMAIL))).toContain(botSay.NOT_UNDERSTOOD);
  });

  test("Gorgias being down is not the user's mistake: 404, then three 500s with Try again, then success", async () => {
    for (let n = 0; n < 3; n += 1) fake.setBehaviourOnce('acme', jsonReply(500, {}));
    const harness = chat();
    await answer(harness, 'acme-typo', EMAIL, KEY);
    let replies = await harness.say('acme');
    for (let attempt = 0; attempt < 2; attempt += 1) {
      expect(suggestedTitles(replies[replies.length - 1])).toEqual([say.TRY_AGAIN, say.CANCEL]);
      expect(shownAll(replies)).not.toContain('times in a row');
      replies = await harness.say(say.TRY_AGAIN);
    }
    expect(suggestedTitles(replies[replies.length - 1])).toEqual([say.TRY_AGAIN, say.CANCEL]);
    expectConnectedReply(await harness.say(say.TRY_AGAIN));
    await expectConnected(harness);
  });

  test('a wrong key, then a 503, then another wrong key: the two refusals count, the outage does not', async () => {
    const harness = chat({ maxVerifyFailures: 2 });
    await answer(harness, 'acme', EMAIL, WRONG_KEY);
    await harness.say(EMAIL);
    fake.setBehaviourOnce('acme', htmlPage(503, 'Service Unavailable'));
    const offer = await harness.say(WRONG_KEY);
    expect(suggestedTitles(offer[offer.length - 1])).toEqual([say.TRY_AGAIN, say.CANCEL]);
    const text = shownAll(await harness.say(say.TRY_AGAIN));
    expect(text).toContain("didn't work 2 times in a row");
    expect(acmeRequests()).toHaveLength(3);
    await expectNothingStored(harness);
  });

  test('with maxVerifyFailures 2 the second failure ends it', async () => {
    const harness = chat({ maxVerifyFailures: 2 });
    await answer(harness, 'acme', EMAIL, WRONG_KEY);
    await harness.say(EMAIL);
    const text = shownAll(await harness.say(WRONG_KEY));
    expect(text).toContain("didn't work 2 times in a row");
    expect(acmeRequests()).toHaveLength(2);
    await expectNothingStored(harness);
  });

  test("the failure that reaches the limiter's threshold ends the dialog at once: no key is asked for in vain", async () => {
    const harness = chat({ limiterMaxFailures: 1, maxVerifyFailures: 5 });
    const text = shownAll(await answer(harness, 'acme', EMAIL, WRONG_KEY));
    expect(text).toMatch(/Too many failed attempts/);
    expect(text).toMatch(/wait \*\*15 minutes\*\*/);
    expect(text).not.toContain(ASKS_EMAIL);
    expect(acmeRequests()).toHaveLength(1);
    await expectNothingStored(harness);
    // The dialog is over: the email is not taken as an answer, and connect is refused without a question.
    expect(shownAll(await harness.say(EMAIL))).not.toContain(ASKS_KEY);
    expect(shownAll(await harness.say('connect'))).toMatch(/Too many failed attempts/);
    expect(acmeRequests()).toHaveLength(1);
  });
});

describe('refusals with a reason, at each prompt', () => {
  const badSubdomains = ['', 'http://acme.gorgias.com', 'example.com', 'acme.gorgias.com.evil.com', '-acme', 'a'.repeat(64)];

  test.each(badSubdomains)('subdomain %j is refused with its reason and asked again', async (bad) => {
    const reason = parseSubdomain(bad);
    expect(reason.ok).toBe(false);
    if (reason.ok) return;
    const harness = chat();
    const replies = await answer(harness, bad);
    expect(replies).toHaveLength(1);
    expect(shown(replies[0])).toContain(reason.reason);
    expect(shown(replies[0])).toContain(ASKS_SUBDOMAIN);
    expect(shownAll(await harness.say('acme'))).toContain(ASKS_EMAIL);
    await harness.say(EMAIL);
    expectConnectedReply(await harness.say(KEY));
  });

  test.each(badSubdomains.filter((bad) => bad !== ''))('subdomain %j asked again after a 404 keeps the email and key', async (bad) => {
    const harness = chat();
    await answer(harness, 'acme-typo', EMAIL, KEY);
    const refused = await harness.say(bad);
    expect(shownAll(refused)).toContain(ASKS_SUBDOMAIN);
    expect(fake.requests).toHaveLength(1);
    expectConnectedReply(await harness.say('acme'));
    expect(fake.requests[1].headers.authorization).toBe(BASIC_TOKEN);
  });

  const badEmails = ['agent', 'agent@', '@acme.com', 'agent@acme', 'agent @acme.com', 'agent@@acme.com', 'agent@acme..com'];

  test.each(badEmails)('email %j is refused with its reason, the subdomain is kept', async (bad) => {
    const reason = parseEmail(bad);
    expect(reason.ok).toBe(false);
    if (reason.ok) return;
    const harness = chat();
    const replies = await answer(harness, 'acme', bad);
    expect(replies).toHaveLength(1);
    expect(shown(replies[0])).toContain(reason.reason);
    expect(shown(replies[0])).toContain(ASKS_EMAIL);
    expect(shownAll(await harness.say(EMAIL))).toContain(ASKS_KEY);
    expectConnectedReply(await harness.say(KEY));
    expect(acmeRequests()).toHaveLength(1);
  });

  test.each(['short', 'has space inside 123'])('key %j is refused with its reason, the subdomain and email are kept', async (bad) => {
    const reason = parseApiKey(bad);
    expect(reason.ok).toBe(false);
    if (reason.ok) return;
    const harness = chat();
    const replies = await answer(harness, 'acme', EMAIL, bad);
    expect(replies).toHaveLength(1);
    expect(shown(replies[0])).toContain(reason.reason);
    expect(shown(replies[0])).toContain(KEY_RETRY_QUESTION);
    expect(fake.requests).toHaveLength(0);
    expectConnectedReply(await harness.say(KEY));
    expect(acmeRequests()[0].headers.authorization).toBe(BASIC_TOKEN);
  });
});

describe('messages that are not a usable answer, at each prompt', () => {
  const oddMessages: { name: string; activity: Partial<Activity> }[] = [
    { name: 'an attachment only', activity: { attachments: [{ contentType: 'image/png', contentUrl: 'https://files.invalid/cat.png', name: 'cat.png' }] } },
    { name: 'empty text', activity: { text: '' } },
    { name: 'a 100 KB text', activity: { text: 'x'.repeat(100 * 1024) } },
    { name: 'emoji only', activity: { text: '🙂🎉' } },
    { name: 'right-to-left text', activity: { text: 'مرحبا' } },
    { name: 'a null byte', activity: { text: 'acme\u0000' } },
  ];
  const prompts: { name: string; before: string[]; question: string; rest: string[] }[] = [
    { name: 'subdomain', before: [], question: ASKS_SUBDOMAIN, rest: ['acme', EMAIL, KEY] },
    { name: 'email', before: ['acme'], question: ASKS_EMAIL, rest: [EMAIL, KEY] },
    { name: 'key', before: ['acme', EMAIL], question: KEY_RETRY_QUESTION, rest: [KEY] },
  ];
  const cases = prompts.flatMap((prompt) => oddMessages.map((message) => ({ prompt: prompt.name, message: message.name, ...prompt, activity: message.activity })));

  test.each(cases)('$message at the $prompt prompt: re-asked, nothing lost', async ({ before, question, rest, activity }) => {
    const harness = chat();
    await answer(harness, ...before);
    const replies = await harness.say(activity);
    expect(replies).toHaveLength(1);
    expect(shown(replies[0])).toContain(question);
    // One short message, never the user's text echoed back.
    expect(shown(replies[0]).length).toBeLessThan(600);
    expect(fake.requests).toHaveLength(0);

    let last: Partial<Activity>[] = [];
    for (const given of rest) last = await harness.say(given);
    expectConnectedReply(last);
    expect(acmeRequests()).toHaveLength(1);
    expect(acmeRequests()[0].headers.authorization).toBe(BASIC_TOKEN);
  });

  test.each(oddMessages.map((message) => [message.name, message.activity] as const).concat([['an unrelated answer', { text: 'maybe later' }]]))(
    '%s at the retry choice: the choice is offered again, and Try again still works',
    async (_name, activity) => {
      fake.setBehaviourOnce('acme', jsonReply(502, {}));
      const harness = chat();
      await answer(harness, 'acme', EMAIL, KEY);
      const replies = await harness.say(activity);
      expect(replies).toHaveLength(1);
      expect(shown(replies[0])).toContain(say.HELP_RETRY);
      expect(suggestedTitles(replies[0])).toEqual([say.TRY_AGAIN, say.CANCEL]);
      expect(acmeRequests()).toHaveLength(1);
      expectConnectedReply(await harness.say(say.TRY_AGAIN));
      expect(acmeRequests()[1].headers.authorization).toBe(BASIC_TOKEN);
    },
  );

  test('a long message is not read as a choice, even one that contains "Try again"', async () => {
    // The choice recognizer is costly on long text, so long text is not handed to it at all.
    fake.setBehaviourOnce('acme', jsonReply(502, {}));
    const harness = chat();
    await answer(harness, 'acme', EMAIL, KEY);
    const replies = await harness.say(`${say.TRY_AGAIN} ${'please '.repeat(40)}`);
    expect(shown(replies[0])).toContain(say.HELP_RETRY);
    expect(acmeRequests()).toHaveLength(1);
  });

  test('an attachment says the bot reads only typed text', async () => {
    const harness = chat();
    await harness.say('connect');
    const replies = await harness.say({ attachments: [{ contentType: 'image/png', contentUrl: 'https://files.invalid/cat.png' }] });
    expect(shown(replies[0])).toContain(say.NOT_TEXT);
  });
});

describe('the API key prompt', () => {
  test('on the Emulator it is an Adaptive Card with a masked field, and a card submission is accepted', async () => {
    const harness = chat({ channelId: 'emulator' });
    const replies = await answer(harness, 'acme', EMAIL);
    expect(replies).toHaveLength(1);
    const card = replies[0].attachments?.[0];
    expect(card?.contentType).toBe(ADAPTIVE_CARD_CONTENT_TYPE);
    const inputs = (card?.content as { body: { type: string; id?: string; style?: string }[] }).body.filter((element) => element.type === 'Input.Text');
    expect(inputs).toEqual([expect.objectContaining({ id: API_KEY_INPUT_ID, style: 'password' })]);
    expect(replies[0].inputHint).toBe('expectingInput');

    const connected = await harness.say({ value: { [API_KEY_INPUT_ID]: KEY, action: 'submitApiKey' } });
    expectConnectedReply(connected);
    expect(shownAll(connected)).not.toMatch(/delete/);
    expect(harness.deletedActivityIds).toEqual([]);
    await expectConnected(harness);
  });

  test('on the Emulator a refused card submission shows the card again with the reason', async () => {
    const harness = chat({ channelId: 'emulator' });
    await answer(harness, 'acme', EMAIL);
    const replies = await harness.say({ value: { [API_KEY_INPUT_ID]: 'short' } });
    expect(replies).toHaveLength(1);
    expect(replies[0].attachments?.[0]?.contentType).toBe(ADAPTIVE_CARD_CONTENT_TYPE);
    expect(shown(replies[0])).toContain('too short');
    expectConnectedReply(await harness.say({ value: { [API_KEY_INPUT_ID]: KEY } }));
  });

  test('on the Emulator a typed key is still accepted, and the user is asked to delete it', async () => {
    const harness = chat({ channelId: 'emulator' });
    await answer(harness, 'acme', EMAIL);
    const connected = await harness.say({ id: 'typed-key-message', text: KEY });
    expectConnectedReply(connected);
    expect(shownAll(connected)).toContain(say.pleaseDeleteKeyMessage());
    // The Emulator cannot delete a user's message, so the bot does not pretend to.
    expect(harness.deletedActivityIds).toEqual([]);
    await expectConnected(harness);
  });

  test('on a channel without cards the key is asked for in plain text', async () => {
    const harness = chat({ channelId: 'slack' });
    const replies = await answer(harness, 'acme', EMAIL);
    expect(replies[0].attachments ?? []).toHaveLength(0);
    expect(replies[0].text).toContain(ASKS_KEY);
    expect(replies[0].inputHint).toBe('expectingInput');
  });

  test('on Slack a typed key is deleted from the chat, and the bot says so', async () => {
    const harness = chat({ channelId: 'slack' });
    await answer(harness, 'acme', EMAIL);
    const connected = await harness.say({ id: 'typed-key-message', text: KEY });
    expect(harness.deletedActivityIds).toEqual(['typed-key-message']);
    expect(shownAll(connected)).toContain(say.keyMessageDeleted());
    expectConnectedReply(connected);
  });

  test('on Slack, when deleting fails, the bot asks the user to delete it and still connects', async () => {
    const harness = chat({ channelId: 'slack' });
    harness.refuseDeletes = true;
    await answer(harness, 'acme', EMAIL);
    const connected = await harness.say({ id: 'typed-key-message', text: KEY });
    expect(shownAll(connected)).toContain(say.pleaseDeleteKeyMessage());
    expect(shownAll(connected)).not.toContain(say.keyMessageDeleted());
    expectConnectedReply(connected);
    await expectConnected(harness);
    expect(harness.logs.join('\n')).toContain('connect.delete_key_message_failed');
  });

  test('on the Emulator a refused answer that may hold the key asks the user to delete it, with the reason', async () => {
    const harness = chat({ channelId: 'emulator' });
    await answer(harness, 'acme', EMAIL);
    const replies = await harness.say({ id: 'split-key-message', text: SPLIT_KEY });
    expect(replies).toHaveLength(1);
    expect(shown(replies[0])).toContain(say.pleaseDeletePossibleKeyMessage());
    expect(shown(replies[0])).toContain("can't contain spaces");
    expect(harness.deletedActivityIds).toEqual([]);
    expect(fake.requests).toHaveLength(0);
    expectConnectedReply(await harness.say({ value: { [API_KEY_INPUT_ID]: KEY } }));
  });

  test('on Slack a refused answer that may hold the key is deleted, and the bot says so and asks again', async () => {
    const harness = chat({ channelId: 'slack' });
    await answer(harness, 'acme', EMAIL);
    const replies = await harness.say({ id: 'split-key-message', text: SPLIT_KEY });
    expect(harness.deletedActivityIds).toEqual(['split-key-message']);
    expect(shownAll(replies)).toContain(say.possibleKeyMessageDeleted());
    expect(shownAll(replies)).toContain(KEY_RETRY_QUESTION);
  });

  test.each(['short', 'what do you mean?', 'see https://acme.gorgias.com/app/settings/api-keys please', "it's agent-with-a-long-name@acme.com"])(
    'a refused answer that holds no key (%j) is not called a key',
    async (answerText) => {
      const harness = chat({ channelId: 'slack' });
      await answer(harness, 'acme', EMAIL);
      const replies = await harness.say({ id: 'not-a-key', text: answerText });
      expect(shownAll(replies)).toContain(KEY_RETRY_QUESTION);
      expect(shownAll(replies)).not.toMatch(/delete/);
      expect(harness.deletedActivityIds).toEqual([]);
    },
  );

  test('a refused key from the masked card is not in the chat, so there is nothing to delete', async () => {
    const harness = chat({ channelId: 'emulator' });
    await answer(harness, 'acme', EMAIL);
    const replies = await harness.say({ value: { [API_KEY_INPUT_ID]: SPLIT_KEY } });
    expect(shownAll(replies)).toContain("can't contain spaces");
    expect(shownAll(replies)).not.toMatch(/delete/);
  });

  test.each(['help', 'status'])('%s after a wrong key asks the question again without repeating the notices that came with it', async (word) => {
    const harness = chat({ channelId: 'slack' });
    await answer(harness, 'acme', EMAIL);
    const afterWrongKey = shownAll(await harness.say({ id: 'wrong-key-message', text: WRONG_KEY }));
    expect(afterWrongKey).toContain(say.keyMessageDeleted());
    expect(harness.deletedActivityIds).toEqual(['wrong-key-message']);

    const again = shownAll(await harness.say(word));

    expect(again).toContain(ASKS_EMAIL);
    // Nothing was deleted this time, so the bot must not say so again.
    expect(again).not.toContain(say.keyMessageDeleted());
    expect(again).not.toMatch(/didn't accept/);
    expect(harness.deletedActivityIds).toEqual(['wrong-key-message']);
    // The answers so far are kept: the next answer is the email.
    expect(shownAll(await harness.say(EMAIL))).toContain(ASKS_KEY);
  });

  test('help at the retry question asks again with the explanation but not the deletion notice', async () => {
    const harness = chat({ channelId: 'slack' });
    await answer(harness, 'acme', EMAIL);
    fake.setBehaviourOnce('acme', { status: 503, body: '{}' });
    const failed = shownAll(await harness.say({ id: 'key-message', text: KEY }));
    expect(failed).toContain(say.keyMessageDeleted());
    expect(failed).toContain(say.RETRY_OR_CANCEL);

    const again = shownAll(await harness.say('help'));

    expect(again).toContain(say.RETRY_OR_CANCEL);
    expect(again).not.toContain(say.keyMessageDeleted());
    expectConnectedReply(await harness.say(say.TRY_AGAIN));
  });

  test('on Slack a wrong typed key is deleted too, before asking again', async () => {
    const harness = chat({ channelId: 'slack' });
    await answer(harness, 'acme', EMAIL);
    const replies = await harness.say({ id: 'wrong-key-message', text: WRONG_KEY });
    expect(harness.deletedActivityIds).toEqual(['wrong-key-message']);
    expect(shownAll(replies)).toContain(say.keyMessageDeleted());
    expect(shownAll(replies)).toContain(ASKS_EMAIL);
  });
});

describe('a key pasted at the wrong question', () => {
  test.each([HEX_KEY, `https://${HEX_KEY}.gorgias.com`])(
    'at the subdomain question (%j) it is refused, never looked up, and the user is told it is visible',
    async (pasted) => {
      const harness = chat({ channelId: 'emulator' });
      const replies = await answer(harness, pasted);
      expect(replies).toHaveLength(1);
      expect(shown(replies[0])).toContain('looks like an API key, not a subdomain');
      expect(shown(replies[0])).toContain(say.pleaseDeletePossibleKeyMessage());
      expect(shown(replies[0])).toContain(ASKS_SUBDOMAIN);
      expect(fake.requests).toHaveLength(0);
      await harness.say('acme');
      await harness.say(EMAIL);
      expectConnectedReply(await harness.say({ value: { [API_KEY_INPUT_ID]: KEY } }));
    },
  );

  test('at the subdomain question on Slack, the message is deleted', async () => {
    const harness = chat({ channelId: 'slack' });
    await harness.say('connect');
    const replies = await harness.say({ id: 'early-key', text: HEX_KEY });
    expect(harness.deletedActivityIds).toEqual(['early-key']);
    expect(shownAll(replies)).toContain(say.possibleKeyMessageDeleted());
  });

  test('at the email question, the refusal says the key is visible, and the subdomain is kept', async () => {
    const harness = chat({ channelId: 'emulator' });
    const replies = await answer(harness, 'acme', HEX_KEY);
    expect(shownAll(replies)).toContain(say.pleaseDeletePossibleKeyMessage());
    expect(shownAll(replies)).toContain(ASKS_EMAIL);
    expect(fake.requests).toHaveLength(0);
    await harness.say(EMAIL);
    expectConnectedReply(await harness.say({ value: { [API_KEY_INPUT_ID]: KEY } }));
  });

  test.each(['mystore2021officialsupport', 'acme-2024', 'shop4u'])('a subdomain with digits (%j) is not taken for a key', async (subdomain) => {
    expect(parseSubdomain(subdomain)).toEqual({ ok: true, value: subdomain });
    const harness = chat();
    expect(shownAll(await answer(harness, subdomain))).toContain(ASKS_EMAIL);
  });
});

describe('answers as people type them', () => {
  test.each([`"${KEY}"`, `'${KEY}'`, `\`${KEY}\``, `\u201c${KEY}\u201d`, ` "${KEY}" `])('a key in quotes (%j) is sent without them', async (quoted) => {
    const harness = chat();
    expectConnectedReply(await answer(harness, 'acme', EMAIL, quoted));
    expect(acmeRequests()[0].headers.authorization).toBe(BASIC_TOKEN);
  });

  test.each(['yes', 'Yes!', 'ok', 'retry', '1'])('%j at "Do you want to try again?" tries again', async (yes) => {
    fake.setBehaviourOnce('acme', jsonReply(502, {}));
    const harness = chat();
    await answer(harness, 'acme', EMAIL, KEY);
    expectConnectedReply(await harness.say(yes));
  });

  test.each(['no', 'nope', '2'])('%j at "Do you want to try again?" stops and stores nothing', async (no) => {
    fake.setBehaviourOnce('acme', jsonReply(502, {}));
    const harness = chat();
    await answer(harness, 'acme', EMAIL, KEY);
    expect(shownAll(await harness.say(no))).toContain(say.CANCELLED);
    await expectNothingStored(harness);
  });

  test.each(['help?', 'Help!', 'HELP.'])('%j at a question gets its help, not a refusal', async (help) => {
    const harness = chat();
    await harness.say('connect');
    const replies = await harness.say(help);
    expect(shownAll(replies)).toContain(say.HELP_SUBDOMAIN);
    expect(shownAll(replies)).not.toContain('leave out anything');
  });

  test.each(['login', 'Log in'])('%j mid-way starts over rather than being taken as a subdomain', async (login) => {
    const harness = chat();
    await answer(harness, 'acme');
    const replies = await harness.say(login);
    expect(shownAll(replies)).toContain(say.STARTING_OVER);
    expect(shownAll(replies)).toContain(ASKS_SUBDOMAIN);
  });

  test('the success message names the address the user connected at, and the account by its Gorgias name', async () => {
    fake.addAccount({ subdomain: 'globex', users: [{ email: EMAIL, apiKey: KEY }], account: { domain: 'globex-prod' } });
    const harness = chat();
    const done = shownAll(await answer(harness, 'globex', EMAIL, KEY));
    expect(done).toContain('**globex-prod** (globex.gorgias.com)');
    expect(done).not.toContain('globex-prod.gorgias.com');
  });
});

describe('secrets', () => {
  // Runs last in this file: every reply and log line of every test above is checked.
  test('no key used in this file appears in any reply or log line', () => {
    expect(transcript.length).toBeGreaterThan(100);
    expect(logs.length).toBeGreaterThan(10);
    const everything = [...transcript.map((activity) => JSON.stringify(activity)), ...logs].join('\n');
    for (const key of KEYS_USED) expect(everything).not.toContain(key);
    expect(everything).not.toContain(BASIC_TOKEN.slice('Basic '.length));
  });
});
