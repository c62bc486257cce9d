/**
 * The ticket and customer actions of a connected user, driven through the bot with botbuilder's
 * TestAdapter against the fake Gorgias server on a real socket: each action's happy path on a channel
 * that renders Adaptive Cards ('emulator') and on one that gets the text fallback ('test'), each
 * failure Gorgias can answer with, and which actions GORGIAS_ACTIONS lets through.
 */
import type { Activity, Attachment } from 'botbuilder';
import { jsonReply, type FakeBehaviour, type FakeTenant, type RecordedRequest } from '../support/fakeGorgias';
import { shown, shownAll, suggestedTitles, type BotHarness, type HarnessOptions, connectAs } from '../support/dialogHarness';
import { dialogFixture } from '../support/dialogFixture';
import { ALL_ACTIONS } from '../../src/config';
import { exampleOf } from '../../src/actionCommands';
import { ADAPTIVE_CARD_CONTENT_TYPE } from '../../src/cards/apiKeyCard';
import * as botSay from '../../src/messages/bot';

const EMAIL = 'agent@acme.com';
const KEY = 'ticket-actions-key-7c3e9a1f5b2d';
const ROTATED_KEY = 'ticket-actions-rotated-key-0f1e2d3c';
const SECRETS = [KEY, ROTATED_KEY, Buffer.from(`${EMAIL}:${KEY}`).toString('base64'), Buffer.from(`${EMAIL}:${ROTATED_KEY}`).toString('base64')];

const CHANNELS = ['emulator', 'test'] as const;
type ChannelId = (typeof CHANNELS)[number];

let tenant: FakeTenant;

const { fake, transcript, logs, chat } = dialogFixture((gorgias) => {
  tenant = gorgias.addAccount({ subdomain: 'acme', users: [{ email: EMAIL, apiKey: KEY }] });
  // The seeds are dated early 2025, older than the listed tickets' updates; what the tests create is
  // stamped with the real time, as Gorgias does.
  tenant.clockMs = Date.parse('2025-01-01T00:00:00Z');
  seedListedTickets();
  seedDetailedTicket();
  seedSimpleTickets();
  tenant.clockMs = Date.now();
});

/** A chat whose user has connected the acme account (key pasted in the card, or typed where there are no cards). */
function connectedChat(options: Partial<HarnessOptions> = {}): Promise<BotHarness> {
  return connectAs(chat(options), 'acme', EMAIL, KEY);
}

/** Requests the actions made (the connect dialog's account check left out). */
function actionRequests(method?: string): RecordedRequest[] {
  return fake.requests.filter((request) => request.apiPath !== '/api/account' && (method === undefined || request.method === method));
}

function webUrl(id: number): string {
  return `${fake.urlTemplate.replace('{subdomain}', 'acme')}/app/ticket/${id}`;
}

/** Markdown emphasis left out, so a test reads the words as a person sees them. */
function plain(text: string): string {
  return text.replace(/\*\*/g, '');
}

function said(replies: Partial<Activity>[]): string {
  return plain(shownAll(replies));
}

function cardsIn(replies: Partial<Activity>[]): Attachment[] {
  return replies.flatMap((reply) => reply.attachments ?? []).filter((attachment) => attachment.contentType === ADAPTIVE_CARD_CONTENT_TYPE);
}

/** The result arrived as an Adaptive Card on the card channel and as plain text elsewhere. */
function expectRenderedFor(channelId: ChannelId, replies: Partial<Activity>[]): void {
  if (channelId === 'emulator') {
    expect(cardsIn(replies)).toHaveLength(1);
  } else {
    expect(cardsIn(replies)).toHaveLength(0);
    expect(replies.some((reply) => (reply.attachments ?? []).length > 0)).toBe(false);
  }
}

/** The value of a suggested action with this title, e.g. what "Try again" sends. */
function buttonValue(replies: Partial<Activity>[], title: string): string | undefined {
  for (const reply of replies) {
    const action = (reply.suggestedActions?.actions ?? []).find((candidate) => candidate.title === title);
    if (action) return String(action.value);
  }
  return undefined;
}

function allSuggested(replies: Partial<Activity>[]): string[] {
  return replies.flatMap((reply) => suggestedTitles(reply));
}

function bodyOf(request: RecordedRequest): unknown {
  return JSON.parse(request.body) as unknown;
}

// --- Gorgias data --------------------------------------------------------------------------------

/** Seven tickets; ids deliberately not in update order. Newest first: 304, 306, 302, 305, 303 | 307, 301. */
const LISTED = [301, 307, 303, 305, 302, 306, 304];
const FIRST_PAGE = [304, 306, 302, 305, 303];
const SECOND_PAGE = [307, 301];

function seedListedTickets(): void {
  LISTED.forEach((id, index) => {
    fake.addTicket('acme', {
      id,
      subject: `Subject of ${id}`,
      status: id % 2 === 0 ? 'closed' : 'open',
      customer: { email: `buyer${id}@shop.com`, name: `Buyer ${id}` },
      createdDatetime: '2025-01-15T08:00:00Z',
      updatedDatetime: `2025-02-0${index + 1}T10:30:00Z`,
    });
  });
}

const LONG_REPLY = 'We are looking into your order and will write back soon. '.repeat(12).trim();

function seedDetailedTicket(): void {
  fake.addTicket('acme', {
    id: 401,
    subject: 'Order 1234 never arrived',
    status: 'open',
    channel: 'email',
    customer: { email: 'jane@shop.com', name: 'Jane Doe' },
    assignee: { email: 'sam@acme.com', name: 'Sam Agent' },
    assigneeTeam: 'Tier 1',
    tags: ['refund', 'vip'],
    messages: [
      { text: 'Where is my order?', createdDatetime: '2025-02-01T09:00:00Z' },
      { text: LONG_REPLY, fromAgent: true, createdDatetime: '2025-02-02T09:15:00Z' },
    ],
    createdDatetime: '2025-02-01T09:00:00Z',
    updatedDatetime: '2025-02-02T09:15:00Z',
  });
}

function seedSimpleTickets(): void {
  fake.addTicket('acme', { id: 501, subject: 'Broken zipper', status: 'open', customer: { email: 'jane@shop.com', name: 'Jane Doe' } });
  fake.addTicket('acme', { id: 502, subject: 'Wrong size', status: 'closed', customer: { email: 'jane@shop.com', name: 'Jane Doe' } });
  fake.addTicket('acme', { id: 601, subject: 'Refund please', status: 'open', tags: ['refund'], customer: { email: 'max@shop.com' } });
  fake.addTicket('acme', { id: 701, subject: 'Duplicate order', status: 'open', customer: { email: 'max@shop.com' } });
}

function customerId(email: string): number {
  const customer = [...tenant.customers.values()].find((candidate) => candidate.email === email);
  if (customer === undefined) throw new Error(`no customer ${email}`);
  return customer.id as number;
}

// --- Happy paths ---------------------------------------------------------------------------------

describe.each(CHANNELS)('each action on the %s channel', (channelId) => {
  test('recent tickets: the 5 most recently updated, with id, subject, status, customer, updated time and link; then the next page', async () => {
    const harness = await connectedChat({ channelId });
    const replies = await harness.say('recent tickets');
    expect(replies).toHaveLength(1);
    expectRenderedFor(channelId, replies);
    const text = shownAll(replies);

    const positions = FIRST_PAGE.map((id) => text.indexOf(`#${id}`));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    for (const id of SECOND_PAGE) expect(text).not.toContain(`#${id}`);
    expect(text).toContain('Subject of 304');
    expect(text).toContain('Closed · Buyer 304 · updated 7 Feb 2025, 10:30 UTC');
    expect(text).toContain('Open · Buyer 305 · updated 4 Feb 2025, 10:30 UTC');
    for (const id of FIRST_PAGE) expect(text).toContain(webUrl(id));

    const [list] = actionRequests();
    expect(list).toMatchObject({ method: 'GET', apiPath: '/api/tickets', query: { limit: '5', order_by: 'updated_datetime:desc' } });
    expect(list.query.cursor).toBeUndefined();

    // The next page: the card's More button on the card channel, typed `more` or the suggested button elsewhere.
    let next: Partial<Activity>[];
    if (channelId === 'emulator') {
      const card = cardsIn(replies)[0].content as { actions?: { type: string; title: string; data?: Record<string, unknown> }[] };
      const more = (card.actions ?? []).find((action) => action.title === 'More');
      expect(more).toMatchObject({ type: 'Action.Submit', data: { action: 'moreTickets', cursor: expect.any(String) } });
      next = await harness.say({ value: more?.data });
    } else {
      expect(plain(text)).toContain('Type more for the next page.');
      expect(suggestedTitles(replies[0])).toContain('More tickets');
      next = await harness.say('More tickets');
    }
    const nextText = shownAll(next);
    expect(nextText).toContain('More tickets');
    expect(nextText.indexOf('#307')).toBeGreaterThanOrEqual(0);
    expect(nextText.indexOf('#307')).toBeLessThan(nextText.indexOf('#301'));
    for (const id of FIRST_PAGE) expect(nextText).not.toContain(`#${id}`);
    const secondList = actionRequests()[1];
    expect(secondList.query.cursor).toEqual(expect.any(String));
    expect(secondList.query).toMatchObject({ limit: '5', order_by: 'updated_datetime:desc' });

    // Twelve tickets: the third page is the last, and offers no next page.
    const last = await harness.say('more');
    const lastText = shownAll(last);
    expect(lastText).toContain('#501');
    expect(lastText).not.toContain('#307');
    expect(lastText).not.toContain('moreTickets');
    expect(plain(lastText)).not.toContain('for the next page');
    expect(suggestedTitles(last[0])).not.toContain('More tickets');
    expect(actionRequests()[2].query.cursor).not.toBe(secondList.query.cursor);

    // After the last page there is nothing more, and Gorgias is not asked.
    const before = fake.count();
    expect(said(await harness.say('more'))).toContain('There is no next page');
    expect(fake.count()).toBe(before);

    // Typed `more` continues the latest list.
    await harness.say('recent tickets');
    const typedMore = shownAll(await harness.say('more'));
    expect(typedMore).toContain('#307');
    expect(typedMore).not.toContain('#304');
  });

  test('show ticket: subject, status, channel, customer, assignee, tags, times, the last message shortened, and the link', async () => {
    const harness = await connectedChat({ channelId });
    const replies = await harness.say('show ticket 401');
    expect(replies).toHaveLength(1);
    expectRenderedFor(channelId, replies);
    const text = shownAll(replies);

    expect(text).toContain('Ticket #401');
    expect(text).toContain('Order 1234 never arrived');
    for (const fact of ['Status', 'Channel', 'Customer', 'Assignee', 'Tags', 'Created', 'Updated']) expect(text).toContain(fact);
    expect(text).toContain('Open');
    expect(text).toContain('email');
    expect(text).toContain('Jane Doe');
    expect(text).toContain('jane@shop.com');
    expect(text).toContain('Sam Agent');
    expect(text).toContain('Tier 1');
    expect(text).toContain('refund, vip');
    expect(text).toContain('1 Feb 2025, 09:00 UTC');
    expect(text).toContain('2 Feb 2025, 09:15 UTC');
    expect(text).toContain('Last message');
    expect(text).toContain('We are looking into your order');
    expect(text).toContain('…');
    expect(text).not.toContain(LONG_REPLY);
    expect(text).not.toContain('Where is my order?');
    expect(text).toContain(webUrl(401));
    expect(actionRequests()).toEqual([expect.objectContaining({ method: 'GET', apiPath: '/api/tickets/401' })]);
  });

  test('new ticket: email, subject, message, a summary and a confirmation; yes creates it and shows its id and link', async () => {
    const harness = await connectedChat({ channelId });
    expect(said(await harness.say('new ticket'))).toContain("What is the customer's email address?");
    expect(said(await harness.say('jane@shop.com'))).toContain("What is the ticket's subject?");
    expect(said(await harness.say('Parcel damaged'))).toContain("What is the customer's message?");

    const summary = await harness.say('The box arrived crushed.');
    expectRenderedFor(channelId, summary.slice(0, 1));
    const summaryText = said(summary);
    expect(summaryText).toContain('New ticket');
    expect(summaryText).toContain('jane@shop.com');
    expect(summaryText).toContain('Parcel damaged');
    expect(summaryText).toContain('The box arrived crushed.');
    expect(summaryText).toContain('Create this ticket?');
    expect(summaryText).toMatch(/Yes[\s\S]*No/);
    expect(actionRequests()).toHaveLength(0);

    const created = await harness.say('yes');
    const posts = actionRequests('POST');
    expect(posts).toHaveLength(1);
    expect(posts[0].apiPath).toBe('/api/tickets');
    expect(bodyOf(posts[0])).toMatchObject({
      subject: 'Parcel damaged',
      customer: { email: 'jane@shop.com' },
      messages: [expect.objectContaining({ body_text: 'The box arrived crushed.', from_agent: false })],
    });
    const ticket = [...tenant.tickets.values()].find((candidate) => candidate.subject === 'Parcel damaged');
    const id = ticket?.id as number;
    expect(id).toEqual(expect.any(Number));
    expectRenderedFor(channelId, created);
    expect(said(created)).toContain(`Ticket #${id} created`);
    expect(shownAll(created)).toContain(webUrl(id));
  });

  test('new ticket: no creates nothing', async () => {
    const harness = await connectedChat({ channelId });
    for (const answer of ['new ticket', 'jane@shop.com', 'Parcel damaged', 'The box arrived crushed.']) await harness.say(answer);
    expect(said(await harness.say('no'))).toContain('no ticket was created');
    expect(actionRequests()).toHaveLength(0);
    // The dialog is over: the next message is a command again.
    expect(shownAll(await harness.say('show ticket 401'))).toContain('Order 1234 never arrived');
  });

  test('close and reopen: a confirmation naming the ticket, then PUT with the status; no changes nothing; already closed says so', async () => {
    const harness = await connectedChat({ channelId });
    const question = await harness.say('close ticket 501');
    expect(said(question)).toContain('Close ticket #501 "Broken zipper"?');
    expect(said(question)).toMatch(/Yes[\s\S]*No/);
    expect(actionRequests('PUT')).toHaveLength(0);

    expect(said(await harness.say('yes'))).toContain('Ticket #501 "Broken zipper" is now closed.');
    const puts = actionRequests('PUT');
    expect(puts).toHaveLength(1);
    expect(puts[0].apiPath).toBe('/api/tickets/501');
    expect(bodyOf(puts[0])).toEqual({ status: 'closed' });
    expect(fake.ticket('acme', 501)?.status).toBe('closed');

    expect(said(await harness.say('reopen ticket 501'))).toContain('Reopen ticket #501 "Broken zipper"?');
    expect(said(await harness.say('no'))).toContain('OK, I left the ticket as it was.');
    expect(actionRequests('PUT')).toHaveLength(1);
    expect(fake.ticket('acme', 501)?.status).toBe('closed');

    const already = await harness.say('close ticket 501');
    expect(said(already)).toContain('Ticket #501 "Broken zipper" is already closed.');
    expect(said(already)).not.toContain('Yes');
    expect(actionRequests('PUT')).toHaveLength(1);

    expect(said(await harness.say('reopen ticket 501'))).toContain('Reopen ticket #501');
    expect(said(await harness.say('yes'))).toContain('Ticket #501 "Broken zipper" is now open.');
    expect(bodyOf(actionRequests('PUT')[1])).toEqual({ status: 'open' });
    expect(fake.ticket('acme', 501)?.status).toBe('open');
  });

  test('tag: POST /tags adds the tag and keeps the others', async () => {
    const harness = await connectedChat({ channelId });
    expect(said(await harness.say('tag ticket 601 vip'))).toContain('Added the tag vip to ticket #601.');
    expect(actionRequests()).toHaveLength(1);
    expect(actionRequests()[0]).toMatchObject({ method: 'POST', apiPath: '/api/tickets/601/tags' });
    expect(bodyOf(actionRequests()[0])).toEqual({ names: ['vip'] });
    const tags = (fake.ticket('acme', 601)?.tags as { name: string }[]).map((tag) => tag.name);
    expect(tags).toEqual(['refund', 'vip']);
  });

  test('delete: the confirmation names the subject; DELETE only after yes', async () => {
    const harness = await connectedChat({ channelId });
    expect(said(await harness.say('delete ticket 701'))).toContain('Delete ticket #701 "Duplicate order"? This can\'t be undone.');
    expect(actionRequests('DELETE')).toHaveLength(0);
    expect(said(await harness.say('no'))).toContain('OK, I left the ticket as it was.');
    expect(actionRequests('DELETE')).toHaveLength(0);
    expect(fake.ticket('acme', 701)).toBeDefined();

    await harness.say('delete ticket 701');
    expect(said(await harness.say('yes'))).toContain('Deleted ticket #701 "Duplicate order".');
    expect(actionRequests('DELETE')).toEqual([expect.objectContaining({ apiPath: '/api/tickets/701' })]);
    expect(fake.ticket('acme', 701)).toBeUndefined();
  });

  test("find customer: name, email, id and the customer's recent tickets; an unknown email says so", async () => {
    const harness = await connectedChat({ channelId });
    const replies = await harness.say('find customer jane@shop.com');
    expectRenderedFor(channelId, replies);
    const text = shownAll(replies);
    const id = customerId('jane@shop.com');
    expect(text).toContain('Jane Doe');
    expect(text).toContain('jane@shop.com');
    expect(text).toContain('Customer id');
    expect(text).toContain(String(id));
    for (const subject of ['Order 1234 never arrived', 'Broken zipper', 'Wrong size']) expect(text).toContain(subject);
    expect(text).not.toContain('Refund please');
    expect(actionRequests().map((request) => [request.apiPath, request.query])).toEqual([
      ['/api/customers', expect.objectContaining({ email: 'jane@shop.com' })],
      ['/api/tickets', expect.objectContaining({ customer_id: String(id), order_by: 'updated_datetime:desc' })],
    ]);

    const unknown = await harness.say('find customer nobody@shop.com');
    expect(said(unknown)).toContain('Gorgias has no customer with the email nobody@shop.com.');
  });

  test('new customer: name, email, confirm, POST; the new customer is shown', async () => {
    const harness = await connectedChat({ channelId });
    expect(said(await harness.say('new customer'))).toContain("What is the customer's name?");
    expect(said(await harness.say('Ada Lovelace'))).toContain("What is the customer's email address?");
    const question = await harness.say('ada@shop.com');
    expect(said(question)).toContain('Create the customer Ada Lovelace (ada@shop.com)?');
    expect(actionRequests()).toHaveLength(0);

    const created = said(await harness.say('yes'));
    const id = customerId('ada@shop.com');
    expect(created).toContain(`Created the customer Ada Lovelace (id ${id}).`);
    expect(actionRequests('POST')).toHaveLength(1);
    expect(actionRequests('POST')[0].apiPath).toBe('/api/customers');
    expect(bodyOf(actionRequests('POST')[0])).toEqual({ name: 'Ada Lovelace', email: 'ada@shop.com' });
  });

  test('new customer: an email Gorgias already has (409) is explained and the existing customer shown', async () => {
    const harness = await connectedChat({ channelId });
    for (const answer of ['new customer', 'Janet Other', 'jane@shop.com']) await harness.say(answer);
    const replies = await harness.say('yes');
    const text = said(replies);
    expect(text).toContain("Gorgias already has a customer with the email jane@shop.com, so I didn't create another one.");
    expect(text).toContain('Jane Doe');
    expect(text).toContain(String(customerId('jane@shop.com')));
    expect(text).toContain('Broken zipper');
    expect(actionRequests('POST')).toHaveLength(1);
    expect([...tenant.customers.values()].filter((customer) => customer.email === 'jane@shop.com')).toHaveLength(1);
  });
});

describe('cancel at every step of new ticket creates nothing', () => {
  const ANSWERS = ['jane@shop.com', 'Parcel damaged', 'The box arrived crushed.'];
  test.each([0, 1, 2, 3])('after %i answer(s)', async (answered) => {
    const harness = await connectedChat();
    await harness.say('new ticket');
    for (const answer of ANSWERS.slice(0, answered)) await harness.say(answer);
    expect(said(await harness.say('cancel'))).toContain('OK, cancelled: no ticket was created.');
    // The dialog is gone: what would have been the next answer is not taken as one.
    expect(said(await harness.say('yes'))).toContain("Sorry, I didn't get that");
    expect(actionRequests('POST')).toHaveLength(0);
    expect(actionRequests()).toHaveLength(0);
  });

  test('a tag that is too long is told so, with the limit, rather than not understood', async () => {
    const harness = await connectedChat();
    expect(said(await harness.say(`tag ticket 601 ${'x'.repeat(300)}`))).toContain('That tag is too long: please keep it to 100 characters.');
    expect(actionRequests()).toHaveLength(0);
  });

  test('a bad customer email is explained as the customer\'s and asked again', async () => {
    const harness = await connectedChat();
    await harness.say('new ticket');
    const retry = said(await harness.say('jane at shop'));
    expect(retry).toContain("the customer's email address");
    expect(retry).not.toContain('log in');
    expect(retry).toContain("What is the customer's email address?");
    expect(said(await harness.say('jane@shop.com'))).toContain("What is the ticket's subject?");
  });
});

describe('a confirmation takes only a whole yes or no', () => {
  const VAGUE = ["I'm not sure", 'not sure yet', 'hold on 1 sec', 'ok no wait', 'yes but no', 'maybe'];

  test.each(VAGUE)('%j at "Delete ticket?" deletes nothing and asks again; yes then deletes', async (answer) => {
    const harness = await connectedChat();
    await harness.say('delete ticket 701');
    const again = said(await harness.say(answer));
    expect(again).toContain('Please answer yes or no. Delete ticket #701');
    expect(actionRequests('DELETE')).toHaveLength(0);
    expect(said(await harness.say('Yes!'))).toContain('Deleted ticket #701 "Duplicate order".');
    expect(actionRequests('DELETE')).toHaveLength(1);
  });

  test.each(VAGUE)('%j at "Create this ticket?" creates nothing; no then drops it', async (answer) => {
    const harness = await connectedChat();
    for (const given of ['new ticket', 'jane@shop.com', 'Parcel damaged', 'The box arrived crushed.']) await harness.say(given);
    expect(said(await harness.say(answer))).toContain('Please answer yes or no. Create this ticket?');
    expect(actionRequests('POST')).toHaveLength(0);
    expect(said(await harness.say('nope'))).toContain('OK, cancelled: no ticket was created.');
    expect(actionRequests('POST')).toHaveLength(0);
  });

  test('another ticket command at a yes/no replaces the one waiting: "delete ticket 502" at "Delete #501?"', async () => {
    const harness = await connectedChat();
    await harness.say('delete ticket 501');
    const replies = said(await harness.say('delete ticket 502'));
    expect(replies).toContain('OK, I left the ticket as it was.');
    expect(replies).toContain('Delete ticket #502');
    await harness.say('yes');
    expect(fake.ticket('acme', 502)).toBeUndefined();
    expect(fake.ticket('acme', 501)).toBeDefined();
  });

  test('a command at the confirmation of a new ticket drops the draft and runs; at a free-text question it is the answer', async () => {
    const harness = await connectedChat();
    for (const answer of ['new ticket', 'jane@shop.com', 'close ticket 501']) await harness.say(answer);
    // The subject is free text: "close ticket 501" was taken as the subject.
    const confirmation = said(await harness.say('Please close it.'));
    expect(confirmation).toContain('close ticket 501');
    expect(confirmation).toContain('Create this ticket?');
    const replies = said(await harness.say('show ticket 501'));
    expect(replies).toContain('OK, cancelled: no ticket was created.');
    expect(replies).toContain('Broken zipper');
    expect(actionRequests('POST')).toHaveLength(0);
  });

  test('a malformed command, or one of an action not enabled, at a confirmation does not drop the draft', async () => {
    const harness = await connectedChat({ actions: ['new', 'recent'] });
    for (const answer of ['new ticket', 'jane@shop.com', 'Parcel damaged', 'The box arrived crushed.']) await harness.say(answer);
    for (const typed of ['customer email is wrong', 'show ticket 501']) {
      const replies = said(await harness.say(typed));
      expect(replies).not.toContain('cancelled');
      expect(replies).toContain('Please answer yes or no.');
    }
    expect(said(await harness.say('yes'))).toMatch(/Ticket #\d+ created/);
  });

  test('in a Teams group, "@Bot cancel" at a question cancels (the mention is not part of the answer)', async () => {
    const harness = await connectedChat();
    await harness.say('new ticket');
    // The harness's bot is { id: 'bot' }.
    const replies = said(
      await harness.say({ text: '<at>Bot</at> cancel', entities: [{ type: 'mention', text: '<at>Bot</at>', mentioned: { id: 'bot', name: 'Bot' } }] }),
    );
    expect(replies).toContain('OK, cancelled: no ticket was created.');
  });

  test('the number of a listed choice is an answer: 2 is No', async () => {
    const harness = await connectedChat({ channelId: 'test' });
    await harness.say('delete ticket 701');
    expect(said(await harness.say('2'))).toContain('OK, I left the ticket as it was.');
    expect(actionRequests('DELETE')).toHaveLength(0);
  });
});

describe('confirmations whatever the user\'s locale', () => {
  test('a user whose channel says de-DE gets English Yes/No, which delete the ticket', async () => {
    const harness = await connectedChat({ channelId: 'test' });
    const question = said(await harness.say({ text: 'delete ticket 701', locale: 'de-DE' }));
    expect(question).toContain('Yes');
    expect(question).not.toMatch(/\bJa\b|\boder\b/);
    expect(said(await harness.say({ text: 'Yes', locale: 'de-DE' }))).toContain('Deleted ticket #701 "Duplicate order".');
  });
});

describe('a conflicting save after Gorgias was changed', () => {
  test('the user is told it is done, not asked to send the answer again, and the same answer cannot create twice', async () => {
    const harness = await connectedChat();
    for (const answer of ['new ticket', 'jane@shop.com', 'Parcel damaged', 'The box arrived crushed.']) await harness.say(answer);
    // Another instance saved this conversation meanwhile: the write after the create is refused.
    const write = harness.storage.write.bind(harness.storage);
    let refused = false;
    harness.storage.write = async (changes) => {
      if (!refused && Object.keys(changes).some((key) => key.includes('/conversations/'))) {
        refused = true;
        throw new Error('Storage: error writing "conversation" due to eTag conflict.');
      }
      return write(changes);
    };
    const replies = said(await harness.say('yes'));
    expect(refused).toBe(true);
    expect(replies).toMatch(/Ticket #\d+ created/);
    expect(replies).toContain(plain(botSay.DONE_BUT_NOT_SAVED));
    expect(replies).not.toContain(plain(botSay.RESEND_PLEASE));
    expect(actionRequests('POST')).toHaveLength(1);

    await harness.say('yes');
    expect(actionRequests('POST')).toHaveLength(1);
  });
});

describe('free-text answers that are also interruption words', () => {
  test.each(['Help!', 'Stop', 'quit', 'Restart'])('%j is taken as a ticket subject, not as a command', async (subject) => {
    const harness = await connectedChat();
    for (const given of ['new ticket', 'jane@shop.com']) await harness.say(given);
    expect(said(await harness.say(subject))).toContain("What is the customer's message?");
    expect(said(await harness.say('STOP'))).toContain('Create this ticket?');
    await harness.say('yes');
    expect(bodyOf(actionRequests('POST')[0])).toMatchObject({ subject });
  });

  test('the words themselves still interrupt a free-text question: help, then cancel', async () => {
    const harness = await connectedChat();
    for (const given of ['new ticket', 'jane@shop.com']) await harness.say(given);
    const help = said(await harness.say('help'));
    expect(help).toContain('Type a short subject');
    expect(said(await harness.say('cancel'))).toContain('OK, cancelled: no ticket was created.');
    expect(actionRequests('POST')).toHaveLength(0);
  });

  test.each([
    ['quit', 'OK, cancelled: no ticket was created.'],
    ['stop', 'OK, cancelled: no ticket was created.'],
    ['restart', 'What is the customer'],
  ])('at the customer email question (no sentence can be an email), %j interrupts', async (word, reply) => {
    const harness = await connectedChat();
    await harness.say('new ticket');
    expect(said(await harness.say(word))).toContain(reply);
    expect(actionRequests()).toHaveLength(0);
  });

  test('at the yes/no question, stop still cancels', async () => {
    const harness = await connectedChat();
    for (const given of ['new ticket', 'jane@shop.com', 'Parcel damaged', 'The box arrived crushed.']) await harness.say(given);
    expect(said(await harness.say('stop'))).toContain('OK, cancelled: no ticket was created.');
    expect(actionRequests('POST')).toHaveLength(0);
  });
});

describe('new customer when the email is taken and the tickets cannot be listed', () => {
  test('the user is still told the customer exists and none was created', async () => {
    const harness = await connectedChat();
    for (const answer of ['new customer', 'Janet Other', 'jane@shop.com']) await harness.say(answer);
    // The create answers 409, the lookup finds the existing customer, then the ticket list fails.
    const existing = [...tenant.customers.values()].find((customer) => customer.email === 'jane@shop.com');
    fake.setBehaviourOnce('acme', jsonReply(409, { error: { msg: 'A customer with this email already exists.' } }));
    fake.setBehaviourOnce('acme', jsonReply(200, { data: [existing], meta: { next_cursor: null } }));
    fake.setBehaviourOnce('acme', jsonReply(503, {}));
    const text = said(await harness.say('yes'));
    expect(actionRequests().map((request) => `${request.method} ${request.apiPath}`)).toEqual(['POST /api/customers', 'GET /api/customers', 'GET /api/tickets']);
    expect(text).toContain("Gorgias already has a customer with the email jane@shop.com, so I didn't create another one.");
    expect(text).toContain('503');
    expect([...tenant.customers.values()].filter((customer) => customer.email === 'jane@shop.com')).toHaveLength(1);
  });
});

describe('cancel at every step of new customer creates nothing', () => {
  test.each([0, 1, 2])('after %i answer(s)', async (answered) => {
    const harness = await connectedChat();
    await harness.say('new customer');
    for (const answer of ['Ada Lovelace', 'ada@shop.com'].slice(0, answered)) await harness.say(answer);
    expect(said(await harness.say('cancel'))).toContain('no customer was created');
    expect(actionRequests()).toHaveLength(0);
  });
});

// --- Failures ------------------------------------------------------------------------------------

function rotateKey(): void {
  tenant.users.splice(0, tenant.users.length, { email: EMAIL, apiKey: ROTATED_KEY });
}

describe('401: the key was revoked or rotated', () => {
  test('the user is told, the profile is marked, status says so and offers Reconnect, and reconnecting fixes it', async () => {
    const harness = await connectedChat();
    rotateKey();
    const replies = await harness.say('show ticket 401');
    expect(said(replies)).toMatch(/revoked or rotated/);
    expect(allSuggested(replies)).toContain(botSay.RECONNECT);
    expect(allSuggested(replies)).not.toContain('Try again');
    expect(harness.storedProfile()?.needsReconnect).toBe(true);
    const lookup = await harness.loadProfile();
    expect(lookup).toMatchObject({ state: 'connected', needsReconnect: true });

    const status = await harness.say('status');
    expect(said(status)).toContain('Gorgias stopped accepting this key');
    expect(suggestedTitles(status[0])).toContain(botSay.RECONNECT);

    // Later actions do not send the dead key to Gorgias again.
    const before = fake.count();
    for (const command of ['recent tickets', 'close ticket 501', 'new ticket']) {
      const refused = await harness.say(command);
      expect(said(refused)).toContain('Gorgias stopped accepting your API key');
      expect(allSuggested(refused)).toContain(botSay.RECONNECT);
    }
    expect(fake.count()).toBe(before);

    // Reconnecting with the new key clears the mark, and actions work again.
    expect(said(await harness.say(botSay.RECONNECT))).toContain('What is your Gorgias subdomain?');
    await harness.say('acme');
    await harness.say(EMAIL);
    expect(said(await harness.say(ROTATED_KEY))).toContain('connected to the Gorgias account acme');
    expect(harness.storedProfile()?.needsReconnect).toBeUndefined();
    expect(shownAll(await harness.say('show ticket 401'))).toContain('Order 1234 never arrived');
  });

  test('during a create: explained, marked, and no retry is offered', async () => {
    const harness = await connectedChat({ channelId: 'emulator' });
    for (const answer of ['new ticket', 'jane@shop.com', 'Parcel damaged', 'The box arrived crushed.']) await harness.say(answer);
    rotateKey();
    const replies = await harness.say('yes');
    expect(said(replies)).toMatch(/revoked or rotated/);
    expect(allSuggested(replies)).toEqual([botSay.RECONNECT]);
    expect(harness.storedProfile()?.needsReconnect).toBe(true);
    expect(actionRequests('POST')).toHaveLength(1);
    // The dialog ended: "Try again" is not an answer to anything now.
    expect(said(await harness.say('Try again'))).toContain('There is nothing to try again right now.');
    expect(actionRequests('POST')).toHaveLength(1);
  });
});

describe('403 and 404', () => {
  test("403: the key's user lacks the permission; nothing is changed and no retry is offered", async () => {
    const harness = await connectedChat();
    fake.setBehaviourOnce('acme', jsonReply(403, { error: { msg: 'Forbidden' } }));
    const replies = await harness.say('close ticket 501');
    expect(said(replies)).toContain("Your Gorgias user isn't allowed to do that.");
    expect(allSuggested(replies)).not.toContain('Try again');
    expect(actionRequests('PUT')).toHaveLength(0);
    expect(harness.storedProfile()?.needsReconnect).toBeUndefined();

    fake.setBehaviourOnce('acme', jsonReply(403, { error: { msg: 'Forbidden' } }));
    expect(said(await harness.say('recent tickets'))).toContain("isn't allowed");
  });

  test.each([
    ['show ticket 999', 'There is no ticket #999 in Gorgias'],
    ['close ticket 999', 'There is no ticket #999 in Gorgias'],
    ['reopen ticket 999', 'There is no ticket #999 in Gorgias'],
    ['delete ticket 999', 'There is no ticket #999 in Gorgias'],
    ['tag ticket 999 vip', 'There is no ticket #999 in Gorgias'],
    ['find customer ghost@shop.com', 'Gorgias has no customer with the email ghost@shop.com'],
  ])('404: %s says there is no such ticket or customer', async (command, expected) => {
    const harness = await connectedChat();
    const replies = await harness.say(command);
    expect(said(replies)).toContain(expected);
    expect(allSuggested(replies)).not.toContain('Try again');
    // Nothing was changed: at most the one call that was answered 404.
    expect(actionRequests().filter((request) => request.method === 'PUT' || request.method === 'DELETE')).toHaveLength(0);
    expect(tenant.tickets.size).toBe(12);
  });
});

describe('429: Gorgias rate limits the account', () => {
  const tooMany = (retryAfter: string): FakeBehaviour => jsonReply(429, { error: { msg: 'Too many requests.' } }, { 'retry-after': retryAfter });

  test('a read with a short Retry-After is retried once automatically and succeeds', async () => {
    const harness = await connectedChat();
    fake.setBehaviourOnce('acme', tooMany('1'));
    const replies = await harness.say('show ticket 401');
    expect(shownAll(replies)).toContain('Order 1234 never arrived');
    expect(said(replies)).not.toContain('limiting');
    expect(actionRequests().map((request) => request.apiPath)).toEqual(['/api/tickets/401', '/api/tickets/401']);
  });

  test('a long Retry-After tells the user when to try again, and Try again before then sends nothing', async () => {
    const harness = await connectedChat();
    fake.setBehaviourOnce('acme', tooMany('120'));
    const replies = await harness.say('recent tickets');
    expect(said(replies)).toContain('Please try again in about 2 minutes.');
    expect(actionRequests()).toHaveLength(1);
    const again = buttonValue(replies, 'Try again');
    expect(again).toBe('Recent tickets');
    // The account is held for those 120 seconds: trying at once is answered without calling Gorgias.
    expect(said(await harness.say(again as string))).toMatch(/Please try again in about 2 minutes\./);
    expect(actionRequests()).toHaveLength(1);
  });

  test('once the Retry-After has passed, Try again re-sends the command', async () => {
    const harness = await connectedChat({ gorgias: { maxAutoRetryAfterSeconds: 0 } });
    fake.setBehaviourOnce('acme', tooMany('1'));
    const replies = await harness.say('recent tickets');
    expect(said(replies)).toContain('Please try again in about 1 second.');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(shownAll(await harness.say(buttonValue(replies, 'Try again') as string))).toContain('#304');
    expect(actionRequests()).toHaveLength(2);
  });

  test('a create is never retried automatically: exactly one POST, and the input is kept', async () => {
    const harness = await connectedChat();
    for (const answer of ['new ticket', 'jane@shop.com', 'Parcel damaged', 'The box arrived crushed.']) await harness.say(answer);
    fake.setBehaviourOnce('acme', tooMany('1'));
    const replies = await harness.say('yes');
    expect(said(replies)).toContain('Gorgias is limiting how fast it can be called');
    expect(said(replies)).toContain('Your ticket is kept.');
    expect(actionRequests('POST')).toHaveLength(1);

    const created = said(await harness.say('Try again'));
    expect(created).toMatch(/Ticket #\d+ created/);
    const posts = actionRequests('POST');
    expect(posts).toHaveLength(2);
    expect(posts[1].body).toBe(posts[0].body);
  });

  test('a new customer is never retried automatically either', async () => {
    const harness = await connectedChat();
    for (const answer of ['new customer', 'Ada Lovelace', 'ada@shop.com']) await harness.say(answer);
    fake.setBehaviourOnce('acme', tooMany('1'));
    expect(said(await harness.say('yes'))).toContain('limiting');
    expect(actionRequests('POST')).toHaveLength(1);
  });
});

const TIMEOUT_MS = 500;
const SERVICE_UNAVAILABLE = jsonReply(503, { error: { msg: 'Service unavailable' } });
const OUTAGES: [string, FakeBehaviour, string][] = [
  ['a timeout', 'hang', "Gorgias didn't answer in time."],
  ['a 503', SERVICE_UNAVAILABLE, 'Gorgias had a problem answering (error 503).'],
  ['a 500 with an HTML page', { status: 500, body: '<html>oops</html>' }, 'Gorgias had a problem answering (error 500).'],
];

describe('timeouts and 5xx during one-shot actions', () => {
  test.each([
    ['recent tickets', 'Recent tickets', '#304'],
    ['more', 'more', '#307'],
    ['show ticket 401', 'show ticket 401', 'Order 1234 never arrived'],
    ['find customer jane@shop.com', 'find customer jane@shop.com', 'Broken zipper'],
    ['tag ticket 601 vip', 'tag ticket 601 vip', 'Added the tag'],
  ])('a 503 on %j: says so, and Try again re-sends the same command', async (command, retryCommand, success) => {
    const harness = await connectedChat();
    if (command === 'more') await harness.say('recent tickets');
    fake.setBehaviourOnce('acme', SERVICE_UNAVAILABLE);
    const replies = await harness.say(command);
    expect(said(replies)).toContain('Gorgias had a problem answering (error 503).');
    expect(buttonValue(replies, 'Try again')).toBe(retryCommand);
    expect(shownAll(await harness.say(retryCommand))).toContain(success);
  });

  test.each(['try again', 'Retry', 'again!'])('typing %j instead of pressing Try again re-sends the command that failed, once', async (typed) => {
    const harness = await connectedChat({ timeoutMs: TIMEOUT_MS });
    fake.setBehaviourOnce('acme', SERVICE_UNAVAILABLE);
    await harness.say('show ticket 401');
    expect(shownAll(await harness.say(typed))).toContain('Order 1234 never arrived');
    // It answered that offer only: typed again, there is nothing left to try again.
    expect(said(await harness.say(typed))).toContain('There is nothing to try again right now.');
  });

  test('a typed "try again" after another message in between does not re-send the old command', async () => {
    const harness = await connectedChat({ timeoutMs: TIMEOUT_MS });
    fake.setBehaviourOnce('acme', SERVICE_UNAVAILABLE);
    await harness.say('show ticket 401');
    await harness.say('help');
    const before = actionRequests().length;
    expect(said(await harness.say('try again'))).toContain('There is nothing to try again right now.');
    expect(actionRequests()).toHaveLength(before);
  });

  test('"cancel" with nothing under way says so', async () => {
    const harness = await connectedChat();
    expect(said(await harness.say('cancel'))).toContain('There is nothing to cancel right now.');
  });

  test.each(OUTAGES)('%s on show ticket: says so, and Try again shows it', async (_name, outage, explanation) => {
    const harness = await connectedChat({ timeoutMs: TIMEOUT_MS, channelId: 'emulator' });
    fake.setBehaviourOnce('acme', outage);
    const replies = await harness.say('show ticket 401');
    expect(said(replies)).toContain(explanation);
    expect(said(replies)).not.toContain('created anyway');
    expect(buttonValue(replies, 'Try again')).toBe('show ticket 401');
    expect(shownAll(await harness.say('show ticket 401'))).toContain('Order 1234 never arrived');
  });
});

describe.each(OUTAGES)('%s during a change or a create', (_name, outage, explanation) => {
  test('close: the PUT fails, Try again asks again and then closes', async () => {
    const harness = await connectedChat({ timeoutMs: TIMEOUT_MS });
    await harness.say('close ticket 501');
    fake.setBehaviourOnce('acme', outage);
    const replies = await harness.say('yes');
    expect(said(replies)).toContain(explanation);
    expect(fake.ticket('acme', 501)?.status).toBe('open');
    expect(buttonValue(replies, 'Try again')).toBe('close ticket 501');
    expect(said(await harness.say('close ticket 501'))).toContain('Close ticket #501');
    expect(said(await harness.say('yes'))).toContain('is now closed');
    expect(fake.ticket('acme', 501)?.status).toBe('closed');
  });

  test('new ticket: the input is kept, and Try again creates it without retyping (the same body)', async () => {
    const harness = await connectedChat({ timeoutMs: TIMEOUT_MS });
    for (const answer of ['new ticket', 'jane@shop.com', 'Parcel damaged', 'The box arrived crushed.']) await harness.say(answer);
    fake.setBehaviourOnce('acme', outage);
    const replies = await harness.say('yes');
    expect(said(replies)).toContain(explanation);
    expect(said(replies)).toContain('It may have been created anyway');
    expect(said(replies)).toContain('Your ticket is kept.');
    expect(allSuggested(replies)).toEqual(expect.arrayContaining(['Try again', 'Cancel']));
    expect(actionRequests('POST')).toHaveLength(1);

    const created = await harness.say('Try again');
    expect(said(created)).toMatch(/Ticket #\d+ created/);
    const posts = actionRequests('POST');
    expect(posts).toHaveLength(2);
    expect(posts[1].body).toBe(posts[0].body);
    expect(bodyOf(posts[1])).toMatchObject({ subject: 'Parcel damaged', customer: { email: 'jane@shop.com' } });
  });

  test.each([
    ['yes', 'Ticket #'],
    ['retry', 'Ticket #'],
    ['no', 'An earlier try may still have created the ticket'],
    ['not now', 'An earlier try may still have created the ticket'],
  ])('new ticket: "%s" answers "Do you want to try again?" as the connect dialog\'s does', async (answer, outcome) => {
    const harness = await connectedChat({ timeoutMs: TIMEOUT_MS });
    for (const typed of ['new ticket', 'jane@shop.com', 'Parcel damaged', 'The box arrived crushed.']) await harness.say(typed);
    fake.setBehaviourOnce('acme', outage);
    await harness.say('yes');
    expect(said(await harness.say(answer))).toContain(outcome);
  });

  test('new ticket: Cancel after the failure drops it', async () => {
    const harness = await connectedChat({ timeoutMs: TIMEOUT_MS });
    for (const answer of ['new ticket', 'jane@shop.com', 'Parcel damaged', 'The box arrived crushed.']) await harness.say(answer);
    fake.setBehaviourOnce('acme', outage);
    await harness.say('yes');
    // Not "no ticket was created": the try whose answer never came may have created it.
    expect(said(await harness.say('Cancel'))).toContain(
      "OK, I've stopped and dropped what you typed. An earlier try may still have created the ticket: please check in Gorgias before you create it again.",
    );
    expect(actionRequests('POST')).toHaveLength(1);
  });

  test('new customer: the input is kept, and Try again creates it without retyping (the same body)', async () => {
    const harness = await connectedChat({ timeoutMs: TIMEOUT_MS });
    for (const answer of ['new customer', 'Ada Lovelace', 'ada@shop.com']) await harness.say(answer);
    fake.setBehaviourOnce('acme', outage);
    const replies = await harness.say('yes');
    expect(said(replies)).toContain(explanation);
    expect(said(replies)).toContain('What you typed is kept.');
    expect(actionRequests('POST')).toHaveLength(1);

    expect(said(await harness.say('Try again'))).toContain('Created the customer Ada Lovelace');
    const posts = actionRequests('POST');
    expect(posts).toHaveLength(2);
    expect(posts[1].body).toBe(posts[0].body);
  });
});

// --- A create that Gorgias carried out although the answer never came ---------------------------

describe('Try again after a create whose outcome is unknown', () => {
  test('a delete whose answer never came says it may be done; Try again looks at the ticket and finds it gone', async () => {
    const harness = await connectedChat({ timeoutMs: TIMEOUT_MS });
    await harness.say('delete ticket 502');
    fake.setBehaviourOnce('acme', 'apply-then-hang');
    const replies = await harness.say('yes');
    expect(said(replies)).toContain("Gorgias didn't answer in time. It may have been done anyway: Try again looks at the ticket first.");
    expect(fake.ticket('acme', 502)).toBeUndefined();
    expect(said(await harness.say(buttonValue(replies, 'Try again') as string))).toContain('There is no ticket #502');
    expect(actionRequests('DELETE')).toHaveLength(1);
  });

  const draft = ['new ticket', 'jane@shop.com', 'Parcel damaged', 'The box arrived crushed.'];
  const ticketsNamed = (subject: string) => [...tenant.tickets.values()].filter((ticket) => ticket.subject === subject);
  /** A connected chat whose new ticket (the draft) was confirmed, and Gorgias answered the create with `behaviour`. */
  async function failedCreate(behaviour: FakeBehaviour): Promise<BotHarness> {
    const harness = await connectedChat({ timeoutMs: TIMEOUT_MS });
    for (const answer of draft) await harness.say(answer);
    fake.setBehaviourOnce('acme', behaviour);
    await harness.say('yes');
    return harness;
  }

  test.each([
    ['no answer', 'apply-then-hang' as const],
    ['a 502', 'apply-then-502' as const],
  ])('Gorgias created the ticket but sent %s: Try again shows that ticket and creates no second one', async (_name, behaviour) => {
    const harness = await connectedChat({ timeoutMs: TIMEOUT_MS, channelId: 'emulator' });
    for (const answer of draft) await harness.say(answer);
    fake.setBehaviourOnce('acme', behaviour);
    const failed = said(await harness.say('yes'));
    expect(failed).toContain("if you try again, I'll first check whether it was");
    expect(ticketsNamed('Parcel damaged')).toHaveLength(1);

    const replies = await harness.say('Try again');
    expect(said(replies)).toContain("Gorgias did create the ticket on an earlier try, so I haven't sent it again");
    const made = ticketsNamed('Parcel damaged')[0];
    expect(JSON.stringify(cardsIn(replies))).toContain(`Ticket #${String(made.id)} created`);
    expect(actionRequests('POST')).toHaveLength(1);
    expect(ticketsNamed('Parcel damaged')).toHaveLength(1);
    // The lookup: the customer by email, then their newest tickets.
    const lookups = actionRequests('GET');
    expect(lookups.map((request) => request.apiPath)).toEqual(['/api/customers', '/api/tickets', `/api/tickets/${String(made.id)}`]);
    expect(lookups[1].query).toMatchObject({ customer_id: String(customerId('jane@shop.com')), order_by: 'created_datetime:desc' });
    // The dialog is over: nothing is waiting for an answer.
    expect(said(await harness.say('Try again'))).toContain('There is nothing to try again right now.');
  });

  test('Gorgias made nothing: Try again looks, finds nothing, and creates it once', async () => {
    const harness = await failedCreate('hang');
    expect(ticketsNamed('Parcel damaged')).toHaveLength(0);

    expect(said(await harness.say('Try again'))).toMatch(/Ticket #\d+ created/);
    expect(ticketsNamed('Parcel damaged')).toHaveLength(1);
    expect(actionRequests('POST')).toHaveLength(2);
  });

  test('a ticket for a customer Gorgias did not know yet: none found, so it is created', async () => {
    const harness = await connectedChat({ timeoutMs: TIMEOUT_MS });
    for (const answer of ['new ticket', 'new.buyer@shop.com', 'First order', 'Hello!']) await harness.say(answer);
    fake.setBehaviourOnce('acme', 'hang');
    await harness.say('yes');

    expect(said(await harness.say('Try again'))).toMatch(/Ticket #\d+ created/);
    expect(ticketsNamed('First order')).toHaveLength(1);
    // No customer, so no ticket list was asked for.
    expect(actionRequests('GET').map((request) => request.apiPath)).toEqual(['/api/customers']);
  });

  test('an older ticket with the same subject is not taken for the lost one', async () => {
    fake.addTicket('acme', { subject: 'Parcel damaged', customer: { email: 'jane@shop.com' }, createdDatetime: '2025-03-01T10:00:00Z' });
    const harness = await failedCreate('hang');

    expect(said(await harness.say('Try again'))).toMatch(/Ticket #\d+ created/);
    expect(ticketsNamed('Parcel damaged')).toHaveLength(2);
  });

  test("Gorgias's clock a few minutes behind ours still finds it", async () => {
    const harness = await connectedChat({ timeoutMs: TIMEOUT_MS });
    for (const answer of draft) await harness.say(answer);
    tenant.clockMs = Date.now() - 4 * 60_000;
    fake.setBehaviourOnce('acme', 'apply-then-hang');
    await harness.say('yes');

    expect(said(await harness.say('Try again'))).toContain('Gorgias did create the ticket on an earlier try');
    expect(ticketsNamed('Parcel damaged')).toHaveLength(1);
  });

  test('the lookup fails: nothing is sent, the user is told why, and Try again looks again', async () => {
    const harness = await failedCreate('apply-then-hang');
    fake.setBehaviourOnce('acme', SERVICE_UNAVAILABLE);

    const replies = await harness.say('Try again');
    expect(said(replies)).toContain(
      "I couldn't check whether an earlier try created the ticket, so I haven't sent it again. Gorgias had a problem answering (error 503).",
    );
    expect(said(replies)).toContain('Your ticket is kept.');
    expect(allSuggested(replies)).toEqual(expect.arrayContaining(['Try again', 'Cancel']));
    expect(actionRequests('POST')).toHaveLength(1);

    expect(said(await harness.say('Try again'))).toContain('Gorgias did create the ticket on an earlier try');
    expect(ticketsNamed('Parcel damaged')).toHaveLength(1);
  });

  test("after a later try is refused (429), Try again still looks for what the first one made", async () => {
    const harness = await failedCreate('hang');
    // Try again: the lookup finds nothing, and the create is refused.
    fake.setBehaviourOnce('acme', jsonReply(200, { data: [] }));
    fake.setBehaviourOnce('acme', jsonReply(429, { error: { msg: 'Too many requests.' } }, { 'retry-after': '1' }));
    expect(said(await harness.say('Try again'))).toContain('limiting');
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    const before = actionRequests('GET').length;
    expect(said(await harness.say('Try again'))).toMatch(/Ticket #\d+ created/);
    expect(actionRequests('GET').length).toBeGreaterThan(before);
    expect(ticketsNamed('Parcel damaged')).toHaveLength(1);
  });

  test('an earlier ticket of the same customer and subject but another message is not the lost one', async () => {
    const harness = await connectedChat({ timeoutMs: TIMEOUT_MS });
    for (const answer of ['new ticket', 'jane@shop.com', 'Parcel damaged', 'The first box arrived crushed.', 'yes']) await harness.say(answer);
    for (const answer of ['new ticket', 'jane@shop.com', 'Parcel damaged', 'The second one too.']) await harness.say(answer);
    fake.setBehaviourOnce('acme', 'hang');
    await harness.say('yes');

    expect(said(await harness.say('Try again'))).toMatch(/Ticket #\d+ created/);
    expect(ticketsNamed('Parcel damaged')).toHaveLength(2);
  });

  test('a lookup Gorgias refuses for good (403) ends the dialog and says the draft is dropped and to check Gorgias', async () => {
    const harness = await failedCreate('apply-then-hang');
    fake.setBehaviourOnce('acme', jsonReply(403, { error: { msg: 'Forbidden' } }));

    const replies = await harness.say('Try again');
    expect(said(replies)).toContain("I couldn't check whether an earlier try created the ticket, so I haven't sent it again.");
    expect(said(replies)).toContain("I've stopped here and dropped what you typed: please look in Gorgias before you create the ticket again.");
    expect(allSuggested(replies)).not.toContain('Try again');
    expect(actionRequests('POST')).toHaveLength(1);
  });

  test('no at the confirmation after start over does not claim that nothing was created', async () => {
    const harness = await failedCreate('apply-then-hang');
    await harness.say('start over');
    for (const answer of draft.slice(1)) await harness.say(answer);
    expect(said(await harness.say('no'))).toContain('An earlier try may still have created the ticket');
  });

  test('cancelled after an unknown outcome, the same ticket typed again is looked for first; another one is not', async () => {
    const harness = await failedCreate('apply-then-hang');
    await harness.say('Cancel');

    for (const answer of ['new ticket', 'jane@shop.com', 'Parcel damaged', 'Another message.']) await harness.say(answer);
    const lookupsBefore = actionRequests('GET').length;
    expect(said(await harness.say('yes'))).toMatch(/Ticket #\d+ created/);
    expect(actionRequests('GET')).toHaveLength(lookupsBefore);

    for (const answer of draft) await harness.say(answer);
    expect(said(await harness.say('yes'))).toContain('Gorgias did create the ticket on an earlier try');
    expect(ticketsNamed('Parcel damaged')).toHaveLength(2);
    expect(actionRequests('POST')).toHaveLength(2);
    // What was typed is not kept in state, only a digest of it.
    expect(harness.rawStorage()).not.toContain('The box arrived crushed.');
  });

  test('start over after an unknown outcome still looks for the earlier ticket when the same is typed again', async () => {
    const harness = await failedCreate('apply-then-hang');

    await harness.say('start over');
    for (const answer of draft.slice(1)) await harness.say(answer);
    expect(said(await harness.say('yes'))).toContain('Gorgias did create the ticket on an earlier try');
    expect(ticketsNamed('Parcel damaged')).toHaveLength(1);
  });

  test('a 429 is a refusal, not an unknown outcome: Try again creates without looking', async () => {
    const harness = await connectedChat();
    for (const answer of draft) await harness.say(answer);
    fake.setBehaviourOnce('acme', jsonReply(429, { error: { msg: 'Too many requests.' } }, { 'retry-after': '1' }));
    await harness.say('yes');
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    expect(said(await harness.say('Try again'))).toMatch(/Ticket #\d+ created/);
    expect(actionRequests('GET')).toHaveLength(0);
  });

  test('new customer: Gorgias created them but the answer was lost; Try again says so and creates no one', async () => {
    const harness = await connectedChat({ timeoutMs: TIMEOUT_MS });
    for (const answer of ['new customer', 'Ada Lovelace', 'ada@shop.com']) await harness.say(answer);
    fake.setBehaviourOnce('acme', 'apply-then-hang');
    expect(said(await harness.say('yes'))).toContain("if you try again, I'll first check whether it was");

    const replies = said(await harness.say('Try again'));
    expect(replies).toContain(
      `Gorgias did create the customer on an earlier try, so I haven't sent it again: Ada Lovelace (id ${customerId('ada@shop.com')}).`,
    );
    expect(actionRequests('POST')).toHaveLength(1);
  });

  test('new customer: an older customer with that email is not taken for the lost one (Gorgias then says it exists)', async () => {
    fake.addCustomer('acme', { email: 'ada@shop.com', name: 'Ada L.' }).created_datetime = '2025-03-01T10:00:00.000000+00:00';
    const harness = await connectedChat({ timeoutMs: TIMEOUT_MS });
    for (const answer of ['new customer', 'Ada Lovelace', 'ada@shop.com']) await harness.say(answer);
    fake.setBehaviourOnce('acme', 'hang');
    await harness.say('yes');

    expect(said(await harness.say('Try again'))).toContain('Gorgias already has a customer with the email ada@shop.com');
    expect(actionRequests('POST')).toHaveLength(2);
  });
});

// --- The rate budget, seen from one chat -----------------------------------------------------------

describe("the account's rate budget", () => {
  test('a request that has to wait for the budget tells the user the bot is busy, then goes through', async () => {
    // One request per 300 ms: finding a customer makes two, so the second always waits, longer than 50 ms.
    const harness = await connectedChat({ gorgias: { rateLimit: { maxRequests: 1, windowMs: 300 }, busyNoticeMs: 50 } });
    const replies = await harness.say('find customer jane@shop.com');
    expect(said(replies.slice(0, 1))).toContain('Gorgias is busy right now; your request is queued');
    expect(shownAll(replies.slice(1))).toContain('Broken zipper');
    expect(said(replies).match(/Gorgias is busy/g)).toHaveLength(1);
    expect(fake.busiestWindow('acme', 300)).toBe(1);
  });

  test('when the queue is too long the user is told when to try again, and Gorgias is not called', async () => {
    const harness = await connectedChat({ gorgias: { rateLimit: { maxRequests: 1, windowMs: 60_000 }, maxQueueWaitMs: 1_000 } });
    const before = fake.count();
    const replies = await harness.say('show ticket 401');
    expect(said(replies)).toMatch(/Please try again in about (59|60) seconds\./);
    expect(buttonValue(replies, 'Try again')).toBe('show ticket 401');
    expect(fake.count()).toBe(before);
  });
});

// --- Who may do what (user mode) --------------------------------------------------------------------

describe('GORGIAS_ACTIONS in user mode', () => {
  const REFUSED: (string | Partial<Activity>)[] = [
    'recent tickets',
    'more',
    'close ticket 501',
    'reopen ticket 502',
    'tag ticket 601 vip',
    'delete ticket 701',
    'delete ticket',
    'find customer jane@shop.com',
    'new customer',
    { value: { action: 'moreTickets', cursor: 'b2Zmc2V0OjU' } },
  ];

  test('only the enabled actions are offered (help and buttons) and accepted; the others never reach Gorgias', async () => {
    const harness = await connectedChat({ actions: ['show', 'new'] });

    const help = await harness.say('help');
    const helpText = plain(shownAll(help));
    expect(helpText).toContain(exampleOf('show'));
    expect(helpText).toContain(exampleOf('new'));
    for (const action of ALL_ACTIONS.filter((name) => name !== 'show' && name !== 'new')) expect(helpText).not.toContain(exampleOf(action));
    expect(suggestedTitles(help[0])).toContain('New ticket');
    expect(suggestedTitles(help[0])).not.toContain('Recent tickets');
    expect(suggestedTitles(help[0])).not.toContain('New customer');

    const before = fake.count();
    for (const input of REFUSED) {
      const replies = await harness.say(input);
      expect(replies).toHaveLength(1);
      const text = plain(shown(replies[0]));
      expect(text).toContain("Sorry, that isn't available in this bot. You can use: show ticket 123, new ticket.");
    }
    expect(fake.count()).toBe(before);
    expect(fake.ticket('acme', 501)?.status).toBe('open');
    expect(fake.ticket('acme', 701)).toBeDefined();

    expect(shownAll(await harness.say('show ticket 401'))).toContain('Order 1234 never arrived');
    expect(said(await harness.say('new ticket'))).toContain("What is the customer's email address?");
  });

  test('by default every action is offered and accepted in user mode', async () => {
    const harness = await connectedChat();
    const help = await harness.say('help');
    const helpText = plain(shownAll(help));
    for (const action of ALL_ACTIONS) expect(helpText).toContain(exampleOf(action));
    expect(suggestedTitles(help[0])).toEqual(expect.arrayContaining(['Recent tickets', 'New ticket', 'New customer']));
    expect(shownAll(await harness.say('recent tickets'))).toContain('#304');
  });

  test('with "find customer" off, a taken email in "new customer" is explained without showing that customer', async () => {
    const harness = await connectedChat({ actions: ['new-customer'] });
    for (const answer of ['new customer', 'Janet Other', 'jane@shop.com']) await harness.say(answer);
    const text = said(await harness.say('yes'));
    expect(text).toContain("Gorgias already has a customer with the email jane@shop.com, so I didn't create another one.");
    expect(text).not.toContain('Here it is');
    expect(text).not.toContain('Jane Doe');
    expect(text).not.toContain('Broken zipper');
    expect(actionRequests().map((request) => `${request.method} ${request.apiPath}`)).toEqual(['POST /api/customers']);
  });

  test('with no actions enabled, the bot says it offers none', async () => {
    const harness = await connectedChat({ actions: [] });
    const before = fake.count();
    expect(said(await harness.say('show ticket 401'))).toContain("Sorry, this bot doesn't offer ticket or customer actions.");
    expect(fake.count()).toBe(before);
  });

  test('a user who has not connected is asked to connect, and Gorgias is not called', async () => {
    const harness = chat();
    const replies = await harness.say('show ticket 401');
    expect(said(replies)).toContain("You haven't connected a Gorgias account yet.");
    expect(allSuggested(replies)).toContain(botSay.CONNECT);
    // A dialog does not even start: nobody types a whole ticket to learn at the end that it cannot be sent.
    for (const command of ['new ticket', 'new customer']) {
      const refused = said(await harness.say(command));
      expect(refused).toContain("You haven't connected a Gorgias account yet.");
      expect(refused).not.toContain('What is');
    }
    expect(said(await harness.say('jane@shop.com'))).toContain("Sorry, I didn't get that");
    expect(fake.count()).toBe(0);
  });
});

test('no API key (or Basic token) appears in any reply or log line of this file', () => {
  expect(transcript.length).toBeGreaterThan(100);
  expect(logs.length).toBeGreaterThan(0);
  const everything = [...transcript.map((activity) => JSON.stringify(activity)), ...logs].join('\n');
  for (const secret of SECRETS) expect(everything).not.toContain(secret);
});
