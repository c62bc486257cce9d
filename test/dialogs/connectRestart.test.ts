/**
 * Buttons pressed and commands typed at the wrong moment: "Connect Gorgias" again in the middle of
 * connecting starts over, `status` is answered and the same question asked again, `disconnect` stops
 * connecting (none of them is taken as a subdomain), and a key card submitted after its dialog ended is
 * not used.
 */
import type { Activity } from 'botbuilder';
import { FakeGorgias } from '../support/fakeGorgias';
import { BotHarness, shownAll } from '../support/dialogHarness';
import * as botSay from '../../src/messages/bot';

const EMAIL = 'agent@acme.com';
const KEY = 'restart-test-key-5f1c9a7e2b3d';

const fake = new FakeGorgias();
const transcript: Partial<Activity>[] = [];
const open: BotHarness[] = [];

function chat(channelId = 'emulator'): BotHarness {
  const harness = new BotHarness({ urlTemplate: fake.urlTemplate, transcript, channelId });
  open.push(harness);
  return harness;
}

beforeAll(async () => {
  await fake.start();
  fake.addAccount({ subdomain: 'acme', users: [{ email: EMAIL, apiKey: KEY }] });
});

afterAll(async () => {
  for (const harness of open) harness.close();
  await fake.stop();
});

test.each(['Connect Gorgias', 'connect', 'reconnect'])('"%s" at the email question starts over at the subdomain', async (words) => {
  const harness = chat();
  await harness.say('connect');
  await harness.say('acme');
  const replies = shownAll(await harness.say(words));
  expect(replies).toContain("Let's start over.");
  expect(replies).toContain('What is your Gorgias subdomain?');
  expect(replies).not.toMatch(/email/i);
  // The earlier answer is gone: the next answer is a subdomain again.
  expect(shownAll(await harness.say('acme'))).toMatch(/What email/);
  expect(fake.count('acme')).toBe(0);
});

async function connected(harness: BotHarness): Promise<void> {
  await harness.say('connect');
  await harness.say('acme');
  await harness.say(EMAIL);
  expect(shownAll(await harness.say({ value: { apiKey: KEY } }))).toMatch(/connected to the Gorgias account/);
}

describe('status in the middle of connecting', () => {
  test('at the subdomain question: answered, the question asked again, and the next answer is the subdomain', async () => {
    const before = fake.count('acme');
    const harness = chat();
    await harness.say('connect');
    const replies = shownAll(await harness.say('status'));
    expect(replies).toContain(botSay.NOT_CONNECTED_YET);
    expect(replies).toContain(botSay.CONNECTING_IN_PROGRESS);
    expect(replies).toContain('What is your Gorgias subdomain?');
    expect(shownAll(await harness.say('acme'))).toMatch(/What email/);
    expect(fake.count('acme')).toBe(before);
  });

  test('at the email question: the subdomain already given is kept', async () => {
    const harness = chat();
    await harness.say('connect');
    await harness.say('acme');
    expect(shownAll(await harness.say('Status'))).toMatch(/What email/);
    expect(shownAll(await harness.say(EMAIL))).toContain('REST API');
    expect(shownAll(await harness.say({ value: { apiKey: KEY } }))).toMatch(/connected to the Gorgias account \*\*acme\*\*/);
  });

  test('while reconnecting: the connection that stands is described', async () => {
    const harness = chat();
    await connected(harness);
    await harness.say('reconnect');
    const replies = shownAll(await harness.say('status'));
    expect(replies).toContain("You're connected to Gorgias");
    expect(replies).toContain(botSay.CONNECTING_IN_PROGRESS);
    expect(replies).toContain('What is your Gorgias subdomain?');
  });
});

describe('disconnect in the middle of connecting', () => {
  test('stops connecting, says there was nothing to forget, and the next message is not a subdomain', async () => {
    const before = fake.count('acme');
    const harness = chat();
    await harness.say('connect');
    const replies = shownAll(await harness.say('disconnect'));
    expect(replies).toContain(botSay.STOPPED_CONNECTING);
    expect(replies).toContain(botSay.NOTHING_TO_DISCONNECT);
    expect(shownAll(await harness.say('acme'))).not.toMatch(/What email/);
    expect(fake.count('acme')).toBe(before);
  });

  test('while reconnecting: stops and forgets the account connected before', async () => {
    const harness = chat();
    await connected(harness);
    await harness.say('reconnect');
    await harness.say('acme');
    const replies = shownAll(await harness.say('logout'));
    expect(replies).toContain(botSay.STOPPED_CONNECTING);
    expect(replies).toContain(botSay.DISCONNECTED);
    expect((await harness.loadProfile()).state).toBe('none');
  });
});

test('a key card submitted after the dialog was cancelled is not used, and the bot says so without echoing it', async () => {
  const harness = chat();
  await harness.say('connect');
  await harness.say('acme');
  await harness.say(EMAIL);
  await harness.say('cancel');
  const before = fake.count('acme');
  const replies = shownAll(await harness.say({ value: { apiKey: KEY } }));
  expect(replies).toContain('That form is no longer active');
  expect(replies).not.toContain(KEY);
  expect(fake.count('acme')).toBe(before);
  expect((await harness.loadProfile()).state).toBe('none');
});

afterAll(() => {
  for (const activity of transcript) expect(JSON.stringify(activity)).not.toContain(KEY);
});
