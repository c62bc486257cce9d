/**
 * Buttons pressed at the wrong moment: "Connect Gorgias" again in the middle of connecting starts over
 * (it is not taken as a subdomain), and a key card submitted after its dialog ended is not used.
 */
import type { Activity } from 'botbuilder';
import { FakeGorgias } from '../support/fakeGorgias';
import { BotHarness, shownAll } from '../support/dialogHarness';

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
