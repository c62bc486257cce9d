/**
 * End to end, what the bot writes: every log line of whole runs at debug and at trace level, and
 * everything printed to the console by the SDKs, while users connect with typed and card-submitted keys,
 * give wrong keys, hit Gorgias errors and a failed turn. No key, no Basic token, no typed key message.
 */
import util from 'node:util';
import { FakeGorgias } from '../support/fakeGorgias';
import { ChannelRecorder, EmulatorConversation } from '../support/emulator';
import { startBot, type BotUnderTest } from '../support/botUnderTest';
import { basicToken, connectWithCard, leaksOf, said, startConnect } from '../security/helpers';

const EMAIL = 'agent@acme.com';
const TYPED_KEY = 'typed-secret-key-4c1d9e8f7a6b5c4d';
const CARD_KEY = 'card-secret-key-0e1f2a3b4c5d6e7f';
const WRONG_KEY = 'wrong-secret-key-a9b8c7d6e5f4';
const RETRY_KEY = 'retry-secret-key-77aa88bb99cc';
const SLACK_KEY = 'slack-secret-key-1122334455667788';
const SECRETS = [TYPED_KEY, CARD_KEY, WRONG_KEY, RETRY_KEY, SLACK_KEY];
/** A distinctive piece of an ordinary message: user messages are never logged, secret or not. */
const USER_TEXT_MARKER = 'app/ticket/9137';

interface ConsoleCapture {
  text(): string;
  restore(): void;
}

/** Everything written to the console or straight to stdout/stderr while it runs. */
function captureConsole(): ConsoleCapture {
  const printed: string[] = [];
  const spies = (['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((method) =>
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void printed.push(util.format(...args))),
  );
  const writes = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation(((chunk: unknown) => {
      printed.push(String(chunk));
      return true;
    }) as typeof stream.write),
  );
  return {
    text: () => printed.join('\n'),
    restore: () => [...spies, ...writes].forEach((spy) => spy.mockRestore()),
  };
}

/** Drives every path that handles a key, with this bot. */
async function exerciseEveryKeyPath(bot: BotUnderTest, gorgias: FakeGorgias, channel: ChannelRecorder): Promise<void> {
  // A typed key (the Emulator cannot delete it, so the user is asked to).
  const typed = new EmulatorConversation(bot.url, channel);
  await typed.conversationUpdate();
  await typed.say('connect');
  await typed.say(`https://acme.gorgias.com/${USER_TEXT_MARKER}`);
  await typed.say(EMAIL);
  expect(said(await typed.say(TYPED_KEY))).toMatch(/connected to the Gorgias account/);
  await typed.say('status');

  // A wrong key, then help and cancel in the middle of the key step.
  const wrong = new EmulatorConversation(bot.url, channel);
  await startConnect(wrong, 'acme', EMAIL);
  expect(said(await wrong.say(WRONG_KEY))).toMatch(/didn't accept/);
  await wrong.say(EMAIL);
  await wrong.say('help');
  await wrong.say('cancel');

  // A key from the masked card.
  const card = new EmulatorConversation(bot.url, channel);
  expect(said(await connectWithCard(card, 'acme', EMAIL, CARD_KEY))).toMatch(/connected to the Gorgias account/);

  // Gorgias errors: down, a reset connection, a hang past the timeout, and an error page that echoes the Authorization header.
  const errors = new EmulatorConversation(bot.url, channel);
  await startConnect(errors, 'acme', EMAIL);
  gorgias.setBehaviourOnce('acme', { status: 503, body: '{"error":"maintenance"}' });
  expect(said(await errors.submit({ apiKey: RETRY_KEY }))).toMatch(/try again/i);
  // Every request for this step: a read dropped on a reused connection is sent once more.
  gorgias.setBehaviour('acme', 'destroy');
  expect(said(await errors.say('Try again'))).toMatch(/try again/i);
  gorgias.clearBehaviours();
  gorgias.setBehaviourOnce('acme', { status: 500, body: JSON.stringify({ echo: `Authorization: Basic ${basicToken(EMAIL, RETRY_KEY)}`, key: RETRY_KEY }) });
  expect(said(await errors.say('Try again'))).toMatch(/stopped|try again/i);

  const hanging = new EmulatorConversation(bot.url, channel);
  await startConnect(hanging, 'acme', EMAIL);
  gorgias.setBehaviourOnce('acme', 'hang');
  expect(said(await hanging.submit({ apiKey: RETRY_KEY }))).toMatch(/didn't answer in time/);
  await hanging.say('cancel');

  // A failed turn during the key step: the channel refuses the first activity the bot sends after the key.
  const failing = new EmulatorConversation(bot.url, channel);
  await startConnect(failing, 'acme', EMAIL);
  channel.failingPosts = 1;
  const failed = await failing.say(TYPED_KEY);
  expect(said(failed)).toMatch(/something went wrong/);

  // Slack: the typed key is deleted; then a channel that refuses the deletion.
  const slack = new EmulatorConversation(bot.url, channel, { channelId: 'slack' });
  await startConnect(slack, 'acme', EMAIL);
  expect(said(await slack.say(SLACK_KEY))).toMatch(/deleted your message/);
  const refusing = new EmulatorConversation(bot.url, channel, { channelId: 'slack' });
  channel.deleteStatus = 403;
  await startConnect(refusing, 'acme', EMAIL);
  expect(said(await refusing.say(SLACK_KEY))).toMatch(/delete the message/);
  channel.deleteStatus = 200;
}

function expectNothingSecretIn(output: string): void {
  for (const secret of SECRETS) expect({ secret, leaks: leaksOf(secret, output) }).toEqual({ secret, leaks: [] });
  for (const secret of SECRETS) expect(output).not.toContain(basicToken(EMAIL, secret));
  expect(output).not.toMatch(/Basic [A-Za-z0-9+/=]{8,}/);
  expect(output).not.toContain(USER_TEXT_MARKER);
}

describe('no secret in any log line or console output', () => {
  const gorgias = new FakeGorgias();
  const channel = new ChannelRecorder();

  beforeAll(async () => {
    await gorgias.start();
    await channel.start();
    gorgias.addAccount({
      subdomain: 'acme',
      users: [TYPED_KEY, CARD_KEY, RETRY_KEY, SLACK_KEY].map((apiKey) => ({ email: EMAIL, apiKey })),
    });
  });

  afterAll(async () => {
    await channel.stop();
    await gorgias.stop();
  });

  test('the leak detector itself finds a key inside a Basic token and a JSON text', () => {
    expect(leaksOf(TYPED_KEY, `Authorization: Basic ${basicToken(EMAIL, TYPED_KEY)}`)).not.toEqual([]);
    expect(leaksOf(TYPED_KEY, JSON.stringify({ text: TYPED_KEY }))).not.toEqual([]);
    expect(leaksOf(TYPED_KEY, Buffer.from(`{"k":"${TYPED_KEY}"}`).toString('base64'))).not.toEqual([]);
  });

  test.each(['debug', 'trace'])('a whole run at LOG_LEVEL=%s', async (level) => {
    const consoleOutput = captureConsole();
    let bot: BotUnderTest | undefined;
    try {
      bot = await startBot({ LOG_LEVEL: level, GORGIAS_URL_TEMPLATE: gorgias.urlTemplate, GORGIAS_TIMEOUT_MS: '300', GORGIAS_MAX_VERIFY_FAILURES: '5' });
      await exerciseEveryKeyPath(bot, gorgias, channel);
    } finally {
      await bot?.stop();
      consoleOutput.restore();
    }

    const logs = bot.logs.join('\n');
    // The run did produce the lines one would look in: turns, failures, the turn error with its error.
    const events = bot.logs.map((line) => (JSON.parse(line) as { event?: string }).event);
    expect(events).toEqual(expect.arrayContaining(['http.activity', 'connect.verified', 'connect.failed', 'turn.error']));
    expectNothingSecretIn(logs);
    expectNothingSecretIn(consoleOutput.text());
    // Nothing the user sent travels to the channel either.
    expectNothingSecretIn(channel.calls.map((call) => JSON.stringify(call)).join('\n'));
  });
});
