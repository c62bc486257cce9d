/**
 * Ticket actions end to end: the real restify server and bot (startBot), Emulator-shaped conversations
 * and the fake Gorgias server. A user connects, then creates a ticket and closes it; in pre-authorized
 * mode only the actions GORGIAS_ACTIONS allows reach Gorgias, a revoked operator key sends users to the
 * operator, and conversations sharing the operator's account stay within its rate budget together.
 */
import { FakeGorgias, type FakeTenant } from '../support/fakeGorgias';
import { ChannelRecorder, EmulatorConversation, visibleText, type TurnReply } from '../support/emulator';
import { startBot, type BotUnderTest } from '../support/botUnderTest';
import { ALL_ACTIONS } from '../../src/config';
import { exampleOf } from '../../src/actionCommands';

const USER_EMAIL = 'agent@acme.com';
const USER_KEY = 'tickets-e2e-user-key-0123456789ab';
const OPERATOR_EMAIL = 'ops@opco.com';
const OPERATOR_KEY = 'tickets-e2e-operator-key-abcdef0123';
const ROTATED_KEY = 'tickets-e2e-rotated-key-9876543210';
const SECRETS = [USER_KEY, OPERATOR_KEY, ROTATED_KEY, ...[`${USER_EMAIL}:${USER_KEY}`, `${OPERATOR_EMAIL}:${OPERATOR_KEY}`].map((pair) => Buffer.from(pair).toString('base64'))];

/** The budget of the busy bot: small, so that a few conversations exhaust it quickly. */
const BUDGET = { max: 4, windowMs: 400 };

const textOf = (reply: TurnReply): string => reply.messages.map(visibleText).join('\n').replace(/\*\*/g, '');

function suggestions(reply: TurnReply): string[] {
  return reply.messages.flatMap((message) => ((message.suggestedActions as { actions?: { title?: string }[] } | undefined)?.actions ?? []).map((action) => action.title ?? ''));
}

const fake = new FakeGorgias();
const channel = new ChannelRecorder();
const bots: BotUnderTest[] = [];
let userBot: BotUnderTest;
let operatorBot: BotUnderTest;
let busyBot: BotUnderTest;
let acme: FakeTenant;
let opco: FakeTenant;

function operatorEnv(subdomain: string, extra: Record<string, string> = {}): Record<string, string> {
  return { GORGIAS_URL_TEMPLATE: fake.urlTemplate, GORGIAS_DOMAIN: subdomain, GORGIAS_EMAIL: OPERATOR_EMAIL, GORGIAS_API_KEY: OPERATOR_KEY, ...extra };
}

beforeAll(async () => {
  await fake.start();
  await channel.start();
  acme = fake.addAccount({ subdomain: 'acme', users: [{ email: USER_EMAIL, apiKey: USER_KEY }] });
  opco = fake.addAccount({ subdomain: 'opco', users: [{ email: OPERATOR_EMAIL, apiKey: OPERATOR_KEY }] });
  fake.addAccount({ subdomain: 'busyco', users: [{ email: OPERATOR_EMAIL, apiKey: OPERATOR_KEY }] });
  for (const id of [11, 12, 13, 14, 15, 16, 17, 18]) {
    fake.addTicket('busyco', { id, subject: `Busy ticket ${id}`, customer: { email: `buyer${id % 4}@shop.com`, name: `Buyer ${id % 4}` } });
  }
  fake.addTicket('opco', { id: 21, subject: 'Operator ticket', customer: { email: 'jane@shop.com' } });

  userBot = await startBot({ GORGIAS_URL_TEMPLATE: fake.urlTemplate });
  operatorBot = await startBot(operatorEnv('opco'));
  busyBot = await startBot(
    operatorEnv('busyco', { GORGIAS_ACTIONS: 'show, customer', GORGIAS_RATE_LIMIT_MAX: String(BUDGET.max), GORGIAS_RATE_LIMIT_WINDOW_MS: String(BUDGET.windowMs) }),
  );
  bots.push(userBot, operatorBot, busyBot);
});

afterAll(async () => {
  for (const bot of bots) await bot.stop();
  await channel.stop();
  await fake.stop();
});

describe('user mode', () => {
  test('connect, then create a ticket and close it', async () => {
    const chat = new EmulatorConversation(userBot.url, channel);
    await chat.conversationUpdate();
    await chat.say('connect');
    await chat.say('acme');
    await chat.say(USER_EMAIL);
    expect(textOf(await chat.submit({ apiKey: USER_KEY }))).toContain('connected to the Gorgias account acme');

    // Every action is offered by default in user mode.
    const help = textOf(await chat.say('help'));
    for (const action of ALL_ACTIONS) expect(help).toContain(exampleOf(action));

    expect(textOf(await chat.say('new ticket'))).toContain("What is the customer's email address?");
    expect(textOf(await chat.say('jane@shop.com'))).toContain("What is the ticket's subject?");
    expect(textOf(await chat.say('Parcel damaged'))).toContain("What is the customer's message?");
    const summary = await chat.say('The box arrived crushed.');
    // The Emulator renders cards: the summary is one, followed by the question.
    expect(JSON.stringify(summary.messages[0].attachments)).toContain('AdaptiveCard');
    expect(textOf(summary)).toContain('Parcel damaged');
    expect(textOf(summary)).toContain('Create this ticket?');
    expect(fake.requests.filter((request) => request.subdomain === 'acme' && request.method === 'POST')).toHaveLength(0);

    const created = await chat.say('yes');
    const posts = fake.requests.filter((request) => request.subdomain === 'acme' && request.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0].apiPath).toBe('/api/tickets');
    expect(JSON.parse(posts[0].body)).toMatchObject({ subject: 'Parcel damaged', customer: { email: 'jane@shop.com' } });
    const ticket = [...acme.tickets.values()].find((candidate) => candidate.subject === 'Parcel damaged');
    const id = ticket?.id as number;
    expect(id).toEqual(expect.any(Number));
    expect(textOf(created)).toContain(`Ticket #${id} created`);
    expect(textOf(created)).toContain(`${fake.urlTemplate.replace('{subdomain}', 'acme')}/app/ticket/${id}`);

    expect(textOf(await chat.say(`close ticket ${id}`))).toContain(`Close ticket #${id} "Parcel damaged"?`);
    expect(fake.ticket('acme', id)?.status).toBe('open');
    expect(textOf(await chat.say('yes'))).toContain(`Ticket #${id} "Parcel damaged" is now closed.`);
    const puts = fake.requests.filter((request) => request.subdomain === 'acme' && request.method === 'PUT');
    expect(puts).toHaveLength(1);
    expect(puts[0].apiPath).toBe(`/api/tickets/${id}`);
    expect(JSON.parse(puts[0].body)).toEqual({ status: 'closed' });
    expect(fake.ticket('acme', id)?.status).toBe('closed');
  });
});

describe('pre-authorized mode', () => {
  const REFUSED: (string | Record<string, unknown>)[] = [
    'recent tickets',
    'more',
    'show ticket 21',
    'close ticket 21',
    'reopen ticket 21',
    'tag ticket 21 vip',
    'delete ticket 21',
    'find customer jane@shop.com',
    'new customer',
    { action: 'moreTickets', cursor: 'b2Zmc2V0OjU' },
  ];

  test('by default only "new ticket" is offered and accepted; everything else is refused before reaching Gorgias', async () => {
    const chat = new EmulatorConversation(operatorBot.url, channel);
    const welcome = await chat.conversationUpdate();
    expect(suggestions(welcome)).toEqual(['New ticket', 'Status', 'Help']);
    const help = textOf(await chat.say('help'));
    expect(help).toContain(exampleOf('new'));
    for (const action of ALL_ACTIONS.filter((name) => name !== 'new')) expect(help).not.toContain(exampleOf(action));

    const before = fake.count('opco');
    for (const input of REFUSED) {
      const reply = typeof input === 'string' ? await chat.say(input) : await chat.submit(input);
      expect(reply.messages).toHaveLength(1);
      expect(textOf(reply)).toContain("Sorry, that isn't available in this bot. You can use: new ticket.");
    }
    expect(fake.count('opco')).toBe(before);
    expect(fake.ticket('opco', 21)?.status).toBe('open');

    for (const answer of ['new ticket', 'jane@shop.com', 'Need help', 'Please call me.']) await chat.say(answer);
    expect(textOf(await chat.say('yes'))).toMatch(/Ticket #\d+ created/);
    const posts = fake.requests.filter((request) => request.subdomain === 'opco' && request.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0].headers.authorization).toBe(`Basic ${Buffer.from(`${OPERATOR_EMAIL}:${OPERATOR_KEY}`).toString('base64')}`);
  });

  test("a 401 (the operator's key was revoked) tells the user to contact the operator and tells the operator in the log", async () => {
    const chat = new EmulatorConversation(operatorBot.url, channel);
    for (const answer of ['new ticket', 'jane@shop.com', 'Need help', 'Please call me.']) await chat.say(answer);
    opco.users.splice(0, opco.users.length, { email: OPERATOR_EMAIL, apiKey: ROTATED_KEY });
    const postsBefore = fake.requests.filter((request) => request.subdomain === 'opco' && request.method === 'POST').length;

    const reply = await chat.say('yes');
    expect(textOf(reply)).toContain("Gorgias no longer accepts the bot's API key. Please tell the bot's operator");
    expect(suggestions(reply)).not.toContain('Reconnect');
    expect(suggestions(reply)).not.toContain('Try again');
    expect(fake.requests.filter((request) => request.subdomain === 'opco' && request.method === 'POST')).toHaveLength(postsBefore + 1);

    const rejected = operatorBot.logs.filter((line) => line.includes('"operator.key_rejected"'));
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toContain('"level":50');
    expect(rejected[0]).toContain('GORGIAS_API_KEY');

    // status no longer claims a working connection, and the next action is refused without calling Gorgias.
    const requestsBefore = fake.count('opco');
    expect(textOf(await chat.say('status'))).toContain('Gorgias no longer accepts that API key');
    expect(textOf(await chat.say('new ticket'))).toContain("Gorgias no longer accepts the bot's API key");
    expect(fake.count('opco')).toBe(requestsBefore);

    // Users cannot "reconnect" the operator's account.
    const connect = textOf(await chat.say('connect'));
    expect(connect).toContain("the bot's operator");
    expect(connect).not.toMatch(/subdomain/i);
  });

  test('GORGIAS_ACTIONS sets what is offered and accepted', async () => {
    const chat = new EmulatorConversation(busyBot.url, channel);
    const welcome = await chat.conversationUpdate();
    // Neither action is a button (both need something typed after them).
    expect(suggestions(welcome)).toEqual(['Status', 'Help']);
    const help = textOf(await chat.say('help'));
    expect(help).toContain(exampleOf('show'));
    expect(help).toContain(exampleOf('customer'));
    expect(help).not.toContain(exampleOf('new'));

    const before = fake.count('busyco');
    expect(textOf(await chat.say('new ticket'))).toContain("Sorry, that isn't available in this bot. You can use: show ticket 123, find customer jane@example.com.");
    expect(textOf(await chat.say('recent tickets'))).toContain("isn't available");
    expect(fake.count('busyco')).toBe(before);
    expect(textOf(await chat.say('show ticket 11'))).toContain('Busy ticket 11');
  });

  test("conversations sharing the operator's account never exceed its budget at Gorgias: requests queue instead of failing", async () => {
    // Gorgias itself answers 429 beyond the same budget: a single excess request would show up as a refusal.
    fake.setRateLimit('busyco', { max: BUDGET.max, windowMs: BUDGET.windowMs });
    const before = fake.count('busyco');
    const conversations = [0, 1, 2, 3].map(() => new EmulatorConversation(busyBot.url, channel));
    const results = await Promise.all(
      conversations.map(async (chat, index) => {
        const first = await chat.say(`show ticket ${11 + index}`);
        const customer = await chat.say(`find customer buyer${index}@shop.com`);
        const second = await chat.say(`show ticket ${15 + index}`);
        return { index, texts: [first, customer, second].map(textOf) };
      }),
    );

    for (const { index, texts } of results) {
      expect(texts[0]).toContain(`Busy ticket ${11 + index}`);
      expect(texts[1]).toContain(`Buyer ${index}`);
      expect(texts[2]).toContain(`Busy ticket ${15 + index}`);
      for (const text of texts) expect(text).not.toMatch(/try again|limiting/i);
    }
    const sent = fake.requests.filter((request) => request.subdomain === 'busyco').slice(before);
    expect(sent).toHaveLength(16);
    expect(sent.filter((request) => request.rateLimited)).toHaveLength(0);
    expect(fake.busiestWindow('busyco', BUDGET.windowMs)).toBeLessThanOrEqual(BUDGET.max);
  });
});

test('no API key (or Basic token) appears in any reply or log line', () => {
  const everything = [...channel.calls.map((call) => JSON.stringify(call.activity ?? {})), ...bots.flatMap((bot) => bot.logs)].join('\n');
  // Run last: by now every conversation above has been recorded.
  expect(channel.calls.length).toBeGreaterThan(50);
  for (const secret of SECRETS) expect(everything).not.toContain(secret);
});
