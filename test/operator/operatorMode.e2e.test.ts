/**
 * Pre-authorized mode end to end: the real restify server and bot built by buildApp, Emulator-shaped
 * conversations (one-to-one and group), and the fake Gorgias server. Users are never asked for
 * credentials; the operator's key shows up in no reply and no log line. User mode is checked briefly
 * alongside, for contrast.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeGorgias, jsonReply } from '../support/fakeGorgias';
import { ChannelRecorder, EmulatorConversation, visibleText, type TurnReply } from '../support/emulator';
import { startBot, type BotUnderTest } from '../support/botUnderTest';
import * as say from '../../src/messages/bot';
import { ASK_EMAIL, ASK_SUBDOMAIN, GROUP_CONNECT_REFUSED } from '../../src/messages/connect';

const EMAIL = 'ops@acme.com';
const API_KEY = 'e2e-operator-key-M4nB7vC0xZ2lK5jH';
const BASIC_TOKEN = Buffer.from(`${EMAIL}:${API_KEY}`).toString('base64');
const USER_KEY = 'e2e-user-key-P6oI9uY2tR5eW8qA';

const fake = new FakeGorgias();
const channel = new ChannelRecorder();
/** The bots still running, stopped at the end. */
const running = new Set<BotUnderTest>();
/** The log lines of every bot started here, so the last test can search them all for the key. */
const logsOfEveryBot: string[][] = [];

async function startTrackedBot(env: Record<string, string | undefined>): Promise<BotUnderTest> {
  const bot = await startBot({ GORGIAS_URL_TEMPLATE: fake.urlTemplate, ...env });
  running.add(bot);
  logsOfEveryBot.push(bot.logs);
  return bot;
}

async function stopBot(bot: BotUnderTest): Promise<void> {
  running.delete(bot);
  await bot.stop();
}

function operatorBot(env: Record<string, string | undefined> = {}): Promise<BotUnderTest> {
  return startTrackedBot({ GORGIAS_DOMAIN: 'https://acme.gorgias.com/app', GORGIAS_EMAIL: EMAIL, GORGIAS_API_KEY: API_KEY, ...env });
}

const textOf = (reply: TurnReply): string => reply.messages.map(visibleText).join('\n');

beforeAll(async () => {
  await fake.start();
  await channel.start();
  fake.addAccount({ subdomain: 'acme', users: [{ email: EMAIL, apiKey: API_KEY }], account: { domain: 'acme-prod' } });
});

afterAll(async () => {
  for (const bot of [...running]) await stopBot(bot);
  await channel.stop();
  await fake.stop();
});

describe('GORGIAS_AUTH_MODE=preauthorized (implied by the operator credentials)', () => {
  let bot: BotUnderTest;

  beforeAll(async () => {
    bot = await operatorBot();
  });

  test('verifies the operator credentials once at start and logs the connection', () => {
    expect(fake.requests.filter((request) => request.subdomain === 'acme').map((request) => request.apiPath)).toEqual(['/api/account']);
    const verified = bot.logs.map((line) => JSON.parse(line) as Record<string, unknown>).find((record) => record.event === 'operator.verified');
    expect(verified?.msg).toBe('connected to acme.gorgias.com as ops@acme.com');
  });

  describe.each([
    ['a one-to-one conversation', false],
    ['a group conversation', true],
  ])('in %s', (_name, isGroup) => {
    let chat: EmulatorConversation;
    const acmeRequests = (): number => fake.count('acme');

    beforeAll(() => {
      chat = new EmulatorConversation(bot.url, channel, { isGroup });
    });

    test('the welcome says which Gorgias account the bot is connected to, and offers no connect', async () => {
      const welcome = await chat.conversationUpdate();
      expect(welcome.messages).toHaveLength(1);
      const text = textOf(welcome);
      expect(text).toContain('connected to **acme.gorgias.com**');
      expect(text).not.toContain(say.CONNECT);
      expect(text).not.toMatch(/subdomain|API key/i);
    });

    test('status says the operator set the connection up, with the domain and email but not the key', async () => {
      const before = acmeRequests();
      const text = textOf(await chat.say('status'));
      expect(text).toContain("set up by the bot's operator");
      expect(text).toContain('acme.gorgias.com');
      expect(text).toContain(EMAIL);
      expect(text).not.toContain(API_KEY.slice(-4));
      expect(text).not.toContain('••••');
      // Verified at start: status asks Gorgias nothing more.
      expect(acmeRequests()).toBe(before);
    });

    test.each(['connect', 'reconnect', 'login'])('%s explains that the operator manages the connection and starts no dialog', async (command) => {
      const before = acmeRequests();
      const refused = await chat.say(command);
      expect(textOf(refused)).toBe(say.OPERATOR_MANAGES_CONNECT);
      expect(textOf(refused)).toMatch(/operator manages the Gorgias connection/);

      // Had a connect dialog started, this would be taken as the subdomain and the email asked for next.
      const next = textOf(await chat.say('acme'));
      expect(next).toContain(say.NOT_UNDERSTOOD);
      expect(next).not.toContain(ASK_EMAIL);
      expect(acmeRequests()).toBe(before);
    });

    test('disconnect explains that the operator manages the connection, and deletes nothing', async () => {
      const refused = textOf(await chat.say('disconnect'));
      expect(refused).toBe(say.OPERATOR_MANAGES_DISCONNECT);
      expect(textOf(await chat.say('status'))).toContain("set up by the bot's operator");
    });

    test('help lists no connect or disconnect command', async () => {
      const help = textOf(await chat.say('help'));
      expect(help).toContain("set up by the bot's operator");
      expect(help).not.toMatch(/\*\*(connect|disconnect)\*\*/);
    });
  });
});

describe('GORGIAS_AUTH_CHECK_PATH', () => {
  test('is the path of the start-up verification in preauthorized mode', async () => {
    fake.addAccount({ subdomain: 'globex', users: [{ email: EMAIL, apiKey: API_KEY }] });
    // The fake serves only /api/account itself; this answers any path, so the path seen is the test.
    fake.setBehaviour('globex', jsonReply(200, { domain: 'globex' }));
    await operatorBot({ GORGIAS_DOMAIN: 'globex', GORGIAS_AUTH_CHECK_PATH: '/api/users/0' });
    expect(fake.requests.filter((request) => request.subdomain === 'globex').map((request) => `${request.method} ${request.apiPath}`)).toEqual(['GET /api/users/0']);
  });

  test('is the path of the verification when a user connects in user mode', async () => {
    fake.addAccount({ subdomain: 'initech', users: [{ email: 'agent@initech.com', apiKey: USER_KEY }] });
    fake.setBehaviour('initech', jsonReply(200, { domain: 'initech' }));
    const bot = await startTrackedBot({ GORGIAS_AUTH_CHECK_PATH: '/api/users/0' });
    const chat = new EmulatorConversation(bot.url, channel);
    await chat.say('connect');
    await chat.say('initech');
    await chat.say('agent@initech.com');
    const connected = textOf(await chat.submit({ apiKey: USER_KEY }));
    expect(connected).toMatch(/connected to the Gorgias account/);
    expect(fake.requests.filter((request) => request.subdomain === 'initech').map((request) => `${request.method} ${request.apiPath}`)).toEqual(['GET /api/users/0']);
  });
});

describe('when Gorgias cannot confirm the operator credentials at start', () => {
  test('the bot starts, and status verifies again and says which connection it is either way', async () => {
    fake.addAccount({ subdomain: 'umbrella', users: [{ email: EMAIL, apiKey: API_KEY }] });
    fake.setBehaviourOnce('umbrella', jsonReply(503, {}));
    fake.setBehaviourOnce('umbrella', jsonReply(503, {}));
    const bot = await operatorBot({ GORGIAS_DOMAIN: 'umbrella' });
    expect(bot.logs.some((line) => line.includes('"event":"operator.verification_deferred"'))).toBe(true);
    const chat = new EmulatorConversation(bot.url, channel);

    const unavailable = textOf(await chat.say('status'));
    expect(unavailable).toContain("The bot's operator connected me to **umbrella.gorgias.com** as **ops@acme.com**");
    expect(unavailable).toContain("can't reach that Gorgias account right now");

    const recovered = textOf(await chat.say('status'));
    expect(recovered).toContain("set up by the bot's operator");
    expect(fake.count('umbrella')).toBe(3);
  });
});

describe('the welcome never promises a connection that status would deny', () => {
  test('while Gorgias is down, the welcome and hi say the account cannot be reached; once it is back, that it is connected', async () => {
    fake.addAccount({ subdomain: 'initech', users: [{ email: EMAIL, apiKey: API_KEY }] });
    fake.setBehaviour('initech', jsonReply(503, {}));
    const bot = await operatorBot({ GORGIAS_DOMAIN: 'initech' });
    const chat = new EmulatorConversation(bot.url, channel);

    const welcome = textOf(await chat.conversationUpdate());
    expect(welcome).toContain("I can't reach that account right now");
    expect(welcome).not.toContain('connected to');
    const hi = textOf(await chat.say('hi'));
    expect(hi).toContain("I can't reach that account right now");
    expect(textOf(await chat.say('status'))).toContain("can't reach that Gorgias account right now");

    fake.clearBehaviours();
    expect(textOf(await chat.say('hi'))).toContain(say.welcomeOperatorMode('initech.gorgias.com'));
    await stopBot(bot);
  });

  test('after Gorgias refused the operator key during an action, hi says so instead of claiming the connection', async () => {
    const tenant = fake.addAccount({ subdomain: 'hooli', users: [{ email: EMAIL, apiKey: API_KEY }] });
    const bot = await operatorBot({ GORGIAS_DOMAIN: 'hooli', GORGIAS_ACTIONS: 'new,recent' });
    const chat = new EmulatorConversation(bot.url, channel);
    expect(textOf(await chat.say('hi'))).toContain(say.welcomeOperatorMode('hooli.gorgias.com'));

    tenant.users.splice(0, tenant.users.length, { email: EMAIL, apiKey: 'e2e-rotated-operator-key-Q1w2E3r4' });
    expect(textOf(await chat.say('recent tickets'))).toContain("Gorgias no longer accepts the bot's API key.");
    const hi = textOf(await chat.say('hi'));
    expect(hi).toContain(say.welcomeOperatorKeyRejected('hooli.gorgias.com'));
    expect(hi).not.toContain('connected to');
    await stopBot(bot);
  });
});

describe('switching a bot with saved conversations from user mode to preauthorized mode', () => {
  test('a connect dialog left waiting for the subdomain does not go on asking for credentials', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gorgias-bot-switch-'));
    try {
      const userMode = await startTrackedBot({ STORAGE: 'sqlite', DATA_DIR: dataDir });
      const chat = new EmulatorConversation(userMode.url, channel);
      expect(textOf(await chat.say('connect'))).toContain(ASK_SUBDOMAIN);
      await stopBot(userMode);

      const operatorMode = await operatorBot({ STORAGE: 'sqlite', DATA_DIR: dataDir });
      const next = textOf(await chat.via(operatorMode.url).say('acme'));
      expect(next).toContain(say.NOT_UNDERSTOOD);
      expect(next).not.toContain(ASK_EMAIL);
      expect(textOf(await chat.via(operatorMode.url).say('status'))).toContain("set up by the bot's operator");
      await stopBot(operatorMode);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('user mode, for contrast', () => {
  let bot: BotUnderTest;

  beforeAll(async () => {
    bot = await startTrackedBot({});
  });

  test('the welcome offers to connect; status, connect and disconnect are about the user\'s own account', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    const welcome = textOf(await chat.conversationUpdate());
    expect(welcome).toContain(say.WELCOME_USER_MODE);
    expect(welcome).toContain(say.CONNECT);
    expect(textOf(await chat.say('status'))).toContain(say.NOT_CONNECTED);
    expect(textOf(await chat.say('disconnect'))).toContain(say.NOTHING_TO_DISCONNECT);
    expect(textOf(await chat.say('connect'))).toContain(ASK_SUBDOMAIN);
    expect(textOf(await chat.say('acme'))).toContain(ASK_EMAIL);
    await chat.say('cancel');
  });

  test('in a group, connect sends the user to a one-to-one chat instead', async () => {
    const group = new EmulatorConversation(bot.url, channel, { isGroup: true });
    expect(textOf(await group.say('connect'))).toContain(GROUP_CONNECT_REFUSED);
  });

  test('started without operator credentials, it warns about none', () => {
    expect(bot.logs.join('\n')).not.toContain('config.operator_credentials_ignored');
  });

  test('GORGIAS_AUTH_MODE=user with operator credentials set warns at start that they are ignored, without the key', async () => {
    const userModeBot = await operatorBot({ GORGIAS_AUTH_MODE: 'user' });
    const warnings = userModeBot.logs.map((line) => JSON.parse(line) as { event?: string; level: number; settings?: string[] }).filter((line) => line.event === 'config.operator_credentials_ignored');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].level).toBe(40);
    expect(warnings[0].settings).toEqual(['GORGIAS_DOMAIN', 'GORGIAS_EMAIL', 'GORGIAS_API_KEY']);
    // And it really is user mode: the welcome offers to connect, and Gorgias was not called at start.
    const chat = new EmulatorConversation(userModeBot.url, channel);
    expect(textOf(await chat.conversationUpdate())).toContain(say.WELCOME_USER_MODE);
    await stopBot(userModeBot);
  });
});

test('the operator key and its Basic token appear in no reply and no log line of any bot above', () => {
  const logs = logsOfEveryBot.flat();
  expect(logs.length).toBeGreaterThan(20);
  const everything = [...channel.calls.map((call) => JSON.stringify(call.activity ?? {})), ...logs].join('\n');
  expect(everything).not.toContain(API_KEY);
  expect(everything).not.toContain(BASIC_TOKEN);
  expect(everything).not.toContain(USER_KEY);
});

describe('what users are told when the operator connection fails after start', () => {
  /** The suggested-action titles of the last message of a reply. */
  const buttonsOf = (reply: TurnReply): string[] =>
    ((reply.messages[reply.messages.length - 1]?.suggestedActions as { actions?: { title?: string; value?: unknown }[] } | undefined)?.actions ?? []).map(
      (action) => String(action.title),
    );

  test('a later refusal (the account gone): no "try again", no buttons that would be refused, connect says it is not working; the operator is told in the log', async () => {
    fake.addAccount({ subdomain: 'hooli', users: [{ email: EMAIL, apiKey: API_KEY }] });
    fake.setBehaviourOnce('hooli', jsonReply(503, {}));
    const bot = await operatorBot({ GORGIAS_DOMAIN: 'hooli' });
    fake.setBehaviour('hooli', { status: 404, body: '<html>Not found</html>' });
    const chat = new EmulatorConversation(bot.url, channel);

    const status = await chat.say('status');
    expect(textOf(status)).toContain("but that connection doesn't work right now (Gorgias refuses it). Please tell the bot's operator");
    expect(textOf(status)).not.toMatch(/try again/i);
    expect(buttonsOf(status)).toEqual([say.STATUS, say.HELP]);
    expect(textOf(await chat.say('connect'))).toContain(say.OPERATOR_MANAGES_CONNECT_UNAVAILABLE);
    expect(textOf(await chat.say('hi'))).toContain(say.welcomeOperatorBroken('hooli.gorgias.com'));
    const action = await chat.say('new ticket');
    expect(textOf(action)).toContain(say.operatorBroken('hooli.gorgias.com', EMAIL));
    expect(buttonsOf(action)).toEqual([say.STATUS, say.HELP]);
    expect(buttonsOf(await chat.say('help'))).toEqual([say.STATUS, say.HELP]);
    expect(bot.logs.some((line) => line.includes('"event":"operator.verification_failed"') && line.includes('no Gorgias account at hooli.gorgias.com'))).toBe(true);
    fake.clearBehaviours();
    await stopBot(bot);
  });

  test('Gorgias down during an action: Try again re-sends it, typed or pressed', async () => {
    fake.addAccount({ subdomain: 'pied', users: [{ email: EMAIL, apiKey: API_KEY }] });
    fake.setBehaviourOnce('pied', jsonReply(503, {}));
    const bot = await operatorBot({ GORGIAS_DOMAIN: 'pied' });
    const chat = new EmulatorConversation(bot.url, channel);
    fake.setBehaviourOnce('pied', jsonReply(503, {}));

    const failed = await chat.say('new ticket');
    expect(textOf(failed)).toContain('Gorgias had a problem answering (error 503).');
    expect(buttonsOf(failed)).toEqual(['Try again']);
    // Typed again while Gorgias is still down: the button still re-sends the command, not the words "try again".
    fake.setBehaviourOnce('pied', jsonReply(503, {}));
    const again = await chat.say('try again');
    expect(buttonsOf(again)).toEqual(['Try again']);
    const value = (again.messages[again.messages.length - 1]?.suggestedActions as { actions: { value: unknown }[] }).actions[0].value;
    expect(value).toBe('new ticket');
    expect(textOf(await chat.say('try again'))).toContain("What is the customer's email address?");
    await stopBot(bot);
  });

  test('with no actions enabled the welcome promises none; a stale key form does not point to connect', async () => {
    const bot = await operatorBot({ GORGIAS_ACTIONS: 'none' });
    const chat = new EmulatorConversation(bot.url, channel);
    expect(textOf(await chat.say('hi'))).toContain(say.welcomeOperatorMode('acme.gorgias.com', false));
    expect(textOf(await chat.submit({ apiKey: 'stale-form-key-0123456789' }))).toContain(say.STALE_KEY_FORM_OPERATOR_MODE);
    await stopBot(bot);
  });
});
