/**
 * Looking for what a create with an unknown outcome made, against the fake Gorgias on a real socket.
 * The dialogs' side (what the user sees on Try again) is in test/dialogs/ticketActions.test.ts.
 */
import {
  CLOCK_SKEW_MS,
  findCustomerFromEarlierAttempt,
  findTicketFromEarlierAttempt,
  mayHaveBeenCreated,
} from '../../src/gorgias/earlierCreate';
import type { GorgiasCredentials, GorgiasFailure, GorgiasResult } from '../../src/gorgias/types';
import { jsonReply, type FakeTenant } from '../support/fakeGorgias';
import { clientFixture } from '../support/clientFixture';

const EMAIL = 'agent@acme.com';
const API_KEY = 'key-acme-earlier-123456';
const CREDS: GorgiasCredentials = { subdomain: 'acme', email: EMAIL, apiKey: API_KEY };
const DRAFT = { customerEmail: 'jane@shop.com', subject: 'Parcel damaged', message: 'Crushed box.' };

let tenant: FakeTenant;
const { fake, makeClient } = clientFixture((gorgias) => {
  tenant = gorgias.addAccount({ subdomain: 'acme', users: [{ email: EMAIL, apiKey: API_KEY }] });
});

function valueOf<T>(result: GorgiasResult<T>): T {
  if (!result.ok) throw new Error(`Expected success, got ${JSON.stringify(result.failure)}`);
  return result.value;
}

/** A ticket as the bot's lost create would have made it: through the API, with the draft's message. */
function addApiTicket(subject: string, customerEmail: string, message = DRAFT.message, raw?: Record<string, unknown>): Record<string, unknown> {
  return fake.addTicket('acme', { subject, customer: { email: customerEmail }, channel: 'api', messages: [{ text: message }], raw });
}

/** An ISO time `offsetMs` from the tenant's clock (which stamps what the fake creates). */
function gorgiasTime(offsetMs: number): string {
  return new Date(tenant.clockMs + offsetMs).toISOString();
}

describe('mayHaveBeenCreated', () => {
  test.each<[GorgiasFailure, boolean]>([
    [{ kind: 'unavailable', reason: 'timeout' }, true],
    [{ kind: 'unavailable', reason: 'connection' }, true],
    [{ kind: 'unavailable', reason: 'server_error', status: 502 }, true],
    [{ kind: 'bad_response', reason: 'too_large' }, true],
    // Accepted: it was created for sure, and must not be sent again at all.
    [{ kind: 'bad_response', reason: 'not_json', writeAccepted: true }, false],
    [{ kind: 'rate_limited', status: 429, retryAfterSeconds: 3 }, false],
    [{ kind: 'rejected', status: 400 }, false],
    [{ kind: 'unauthorized', status: 401 }, false],
  ])('%j -> %s', (failure, expected) => {
    expect(mayHaveBeenCreated(failure)).toBe(expected);
  });
});

describe('findTicketFromEarlierAttempt', () => {
  test("finds the customer's ticket with that subject created since the try, newest first", async () => {
    const since = gorgiasTime(0);
    const made = addApiTicket('Parcel damaged', 'jane@shop.com');

    const found = valueOf(await findTicketFromEarlierAttempt(makeClient(), CREDS, DRAFT, since));

    expect(found).toMatchObject({ id: made.id, subject: 'Parcel damaged', customer: { email: 'jane@shop.com' } });
    expect(fake.requests.map((request) => request.apiPath)).toEqual(['/api/customers', '/api/tickets', `/api/tickets/${String(made.id)}`]);
    expect(fake.requests[1].query).toMatchObject({ order_by: 'created_datetime:desc', limit: '10' });
  });

  test('surrounding spaces in either subject do not matter; other subjects and customers do', async () => {
    const since = gorgiasTime(0);
    addApiTicket('Parcel damaged, again', 'jane@shop.com');
    addApiTicket('Parcel damaged', 'bob@shop.com');
    const client = makeClient();

    expect(valueOf(await findTicketFromEarlierAttempt(client, CREDS, DRAFT, since))).toBeUndefined();

    addApiTicket('  Parcel damaged ', 'jane@shop.com', '  Crushed\n box. ');
    expect(valueOf(await findTicketFromEarlierAttempt(client, CREDS, { ...DRAFT, subject: 'Parcel damaged  ' }, since))).toBeDefined();
  });

  test.each([
    ['just over the allowed skew after it: an older ticket', 1_000, false],
    ['just within the skew after it: taken for the lost one', -1_000, true],
  ])('a try started %s', async (_name, beyondSkewMs, found) => {
    const ticket = addApiTicket('Parcel damaged', 'jane@shop.com');
    const createdAt = Date.parse(String(ticket.created_datetime));
    const since = new Date(createdAt + CLOCK_SKEW_MS + beyondSkewMs).toISOString();

    expect(valueOf(await findTicketFromEarlierAttempt(makeClient(), CREDS, DRAFT, since)) !== undefined).toBe(found);
  });

  test('a ticket without a creation time cannot be told apart from an old one, so it is not taken', async () => {
    const since = gorgiasTime(0);
    addApiTicket('Parcel damaged', 'jane@shop.com', DRAFT.message, { created_datetime: null });

    expect(valueOf(await findTicketFromEarlierAttempt(makeClient(), CREDS, DRAFT, since))).toBeUndefined();
  });

  test('no such customer: no ticket was made, and the tickets are not asked for', async () => {
    expect(valueOf(await findTicketFromEarlierAttempt(makeClient(), CREDS, DRAFT, gorgiasTime(0)))).toBeUndefined();
    expect(fake.requests).toHaveLength(1);
  });

  test('a failed lookup is returned as the failure, not as "nothing found"', async () => {
    fake.addCustomer('acme', { email: 'jane@shop.com' });
    const client = makeClient();
    fake.setBehaviourOnce('acme', jsonReply(503, { error: { msg: 'down' } }));
    expect(await findTicketFromEarlierAttempt(client, CREDS, DRAFT, gorgiasTime(0))).toEqual({
      ok: false,
      failure: { kind: 'unavailable', reason: 'server_error', status: 503 },
    });

    fake.setBehaviourOnce('acme', jsonReply(200, { data: [{ id: 1, email: 'jane@shop.com' }] }));
    fake.setBehaviourOnce('acme', { status: 200, body: '<html>maintenance</html>' });
    expect(await findTicketFromEarlierAttempt(client, CREDS, DRAFT, gorgiasTime(0))).toEqual({
      ok: false,
      failure: { kind: 'bad_response', reason: 'not_json' },
    });
  });

  test('the same subject with another message, or a ticket that came by email, is not the lost one', async () => {
    const since = gorgiasTime(0);
    addApiTicket('Parcel damaged', 'jane@shop.com', 'A first parcel was crushed.');
    fake.addTicket('acme', { subject: 'Parcel damaged', customer: { email: 'jane@shop.com' }, messages: [{ text: DRAFT.message }] });

    expect(valueOf(await findTicketFromEarlierAttempt(makeClient(), CREDS, DRAFT, since))).toBeUndefined();
    // The email one is not even opened.
    expect(fake.requests.filter((request) => /^\/api\/tickets\/\d+$/.test(request.apiPath))).toHaveLength(1);
  });

  test('opening a candidate that fails is the failure; one deleted meanwhile is skipped', async () => {
    const since = gorgiasTime(0);
    const client = makeClient();
    fake.setBehaviourOnce('acme', jsonReply(200, { data: [{ id: 1, email: 'jane@shop.com' }] }));
    fake.setBehaviourOnce('acme', jsonReply(200, { data: [{ id: 777, subject: 'Parcel damaged', channel: 'api', customer: { id: 1 }, created_datetime: new Date(tenant.clockMs).toISOString() }], meta: { next_cursor: null } }));
    fake.setBehaviourOnce('acme', jsonReply(404, { error: { msg: 'Resource not found.' } }));
    expect(valueOf(await findTicketFromEarlierAttempt(client, CREDS, DRAFT, since))).toBeUndefined();

    fake.setBehaviourOnce('acme', jsonReply(200, { data: [{ id: 1, email: 'jane@shop.com' }] }));
    fake.setBehaviourOnce('acme', jsonReply(200, { data: [{ id: 777, subject: 'Parcel damaged', channel: 'api', customer: { id: 1 }, created_datetime: new Date(tenant.clockMs).toISOString() }], meta: { next_cursor: null } }));
    fake.setBehaviourOnce('acme', 'hang');
    const hung = await findTicketFromEarlierAttempt(client, CREDS, DRAFT, since);
    expect(hung).toEqual({ ok: false, failure: { kind: 'unavailable', reason: 'timeout' } });
  });
});

describe('findCustomerFromEarlierAttempt', () => {
  const NEW_CUSTOMER = { name: 'Ada Lovelace', email: 'ada@shop.com' };

  test('the customer with that email, created since the try', async () => {
    const since = gorgiasTime(0);
    fake.addCustomer('acme', { email: 'ada@shop.com', name: 'Ada Lovelace' });

    expect(valueOf(await findCustomerFromEarlierAttempt(makeClient(), CREDS, NEW_CUSTOMER, since))).toMatchObject({ email: 'ada@shop.com' });
  });

  test('one created well before the try is not the lost one; none at all is nothing', async () => {
    const client = makeClient();
    expect(valueOf(await findCustomerFromEarlierAttempt(client, CREDS, NEW_CUSTOMER, gorgiasTime(0)))).toBeUndefined();

    const customer = fake.addCustomer('acme', { email: 'ada@shop.com', name: 'Ada Lovelace' });
    const since = new Date(Date.parse(String(customer.created_datetime)) + CLOCK_SKEW_MS + 1_000).toISOString();
    expect(valueOf(await findCustomerFromEarlierAttempt(client, CREDS, NEW_CUSTOMER, since))).toBeUndefined();
  });
});
