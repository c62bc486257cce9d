/**
 * A write Gorgias answered 2xx but with a body the bot cannot read: Gorgias performed it, so the bot
 * must say so and must not offer Try again, which would send it a second time (a second ticket, a
 * second customer). Driven through the bot with botbuilder's TestAdapter against the fake Gorgias, on
 * the text channel and on the one that renders Adaptive Cards.
 */
import type { Activity } from 'botbuilder';
import { htmlPage, jsonReply, type RecordedRequest } from '../support/fakeGorgias';
import { shownAll, suggestedTitles, type BotHarness, type HarnessOptions, connectAs } from '../support/dialogHarness';
import { dialogFixture } from '../support/dialogFixture';

const EMAIL = 'agent@acme.com';
const KEY = 'action-after-write-key-5d1c8e2a9f4b';
const SECRETS = [KEY, Buffer.from(`${EMAIL}:${KEY}`).toString('base64')];

const { fake, transcript, logs, chat } = dialogFixture((gorgias) => {
  gorgias.addAccount({ subdomain: 'acme', users: [{ email: EMAIL, apiKey: KEY }] });
  gorgias.addTicket('acme', { id: 501, subject: 'Broken zipper', status: 'open', customer: { email: 'jane@shop.com', name: 'Jane Doe' } });
});

function connectedChat(options: Partial<HarnessOptions> = {}): Promise<BotHarness> {
  return connectAs(chat(options), 'acme', EMAIL, KEY);
}

function actionRequests(method: string): RecordedRequest[] {
  return fake.requests.filter((request) => request.apiPath !== '/api/account' && request.method === method);
}

function said(replies: Partial<Activity>[]): string {
  return shownAll(replies).replace(/\*\*/g, '');
}

function allSuggested(replies: Partial<Activity>[]): string[] {
  return replies.flatMap((reply) => suggestedTitles(reply));
}

describe.each(['test', 'emulator'])('on the %s channel', (channelId) => {
  test('new ticket: a 201 with an HTML page says the ticket was accepted, to check Gorgias, and offers no Try again', async () => {
    const harness = await connectedChat({ channelId });
    for (const answer of ['new ticket', 'jane@shop.com', 'Parcel damaged', 'The box arrived crushed.']) await harness.say(answer);
    fake.setBehaviourOnce('acme', htmlPage(201, 'Created'));

    const replies = await harness.say('yes');

    const text = said(replies);
    expect(text).toContain("Gorgias accepted the new ticket, but I couldn't read its answer");
    expect(text).toContain('Please check the ticket list in Gorgias before trying again, or it may be created twice.');
    expect(text).not.toContain('Your ticket is kept.');
    expect(allSuggested(replies)).not.toContain('Try again');
    expect(actionRequests('POST')).toHaveLength(1);

    // The dialog is over: "Try again" typed anyway sends nothing.
    await harness.say('Try again');
    expect(actionRequests('POST')).toHaveLength(1);
  });

  test('new customer: a 201 without an id says the customer was accepted, and offers no Try again', async () => {
    const harness = await connectedChat({ channelId });
    for (const answer of ['new customer', 'Ada Lovelace', 'ada@shop.com']) await harness.say(answer);
    fake.setBehaviourOnce('acme', jsonReply(201, { name: 'Ada Lovelace' }));

    const replies = await harness.say('yes');

    expect(said(replies)).toContain("Gorgias accepted the new customer, but I couldn't read its answer");
    expect(said(replies)).toContain('Please check the customers in Gorgias before trying again');
    expect(allSuggested(replies)).not.toContain('Try again');
    expect(actionRequests('POST')).toHaveLength(1);
  });

  test('close ticket: a 200 that is not JSON says the change was accepted, with no Try again button', async () => {
    const harness = await connectedChat({ channelId });
    expect(said(await harness.say('close ticket 501'))).toContain('Close ticket #501 "Broken zipper"?');
    fake.setBehaviourOnce('acme', { status: 200, body: 'OK', headers: { 'content-type': 'text/plain' } });

    const replies = await harness.say('yes');

    expect(said(replies)).toContain("Gorgias accepted the change to ticket #501, but I couldn't read its answer");
    expect(allSuggested(replies)).not.toContain('Try again');
    expect(actionRequests('PUT')).toHaveLength(1);
  });

  test('a read with an unreadable answer still offers Try again: reading twice does no harm', async () => {
    const harness = await connectedChat({ channelId });
    fake.setBehaviourOnce('acme', htmlPage(200, 'Welcome'));

    const replies = await harness.say('show ticket 501');

    expect(said(replies)).toContain('Gorgias gave an answer I could not understand.');
    const again = replies.flatMap((reply) => reply.suggestedActions?.actions ?? []).find((action) => action.title === 'Try again');
    expect(again?.value).toBe('show ticket 501');
    expect(said(await harness.say(String(again?.value)))).toContain('Broken zipper');
  });
});

test('the operator can tell from the log that the write was performed; no API key is in any reply or log line', () => {
  const failures = logs.filter((line) => line.includes('"gorgias.action_failed"'));
  expect(failures.some((line) => line.includes('"writeAccepted":true'))).toBe(true);
  const everything = [...transcript.map((activity) => JSON.stringify(activity)), ...logs].join('\n');
  for (const secret of SECRETS) expect(everything).not.toContain(secret);
});
