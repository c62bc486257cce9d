import { isConflict, type CallOptions, type GorgiasClient } from '../../src/gorgias/client';
import type { GorgiasCredentials, GorgiasFailure, GorgiasResult } from '../../src/gorgias/types';
import { htmlPage, jsonReply, type FakeBehaviour } from '../support/fakeGorgias';
import { clientFixture } from '../support/clientFixture';

const EMAIL = 'agent@acme.com';
const API_KEY = 'key-acme-123456';
const CREDS: GorgiasCredentials = { subdomain: 'acme', email: EMAIL, apiKey: API_KEY };
const WRONG_KEY: GorgiasCredentials = { ...CREDS, apiKey: 'revoked-key' };

const { fake, makeClient } = clientFixture((gorgias) => {
  gorgias.addAccount({ subdomain: 'acme', users: [{ email: EMAIL, apiKey: API_KEY }] });
});

function valueOf<T>(result: GorgiasResult<T>): T {
  if (!result.ok) throw new Error(`Expected success, got ${JSON.stringify(result.failure)}`);
  return result.value;
}

function failureOf<T>(result: GorgiasResult<T>): GorgiasFailure {
  if (result.ok) throw new Error(`Expected a failure, got ${JSON.stringify(result.value)}`);
  return result.failure;
}

function bodyOf(index: number): unknown {
  return JSON.parse(fake.requests[index].body) as unknown;
}

/** Seven tickets updated a minute apart, #1 the oldest; two customers. */
function seedTickets(): void {
  for (let n = 1; n <= 7; n += 1) {
    fake.addTicket('acme', {
      id: n,
      subject: `Subject ${n}`,
      status: n % 2 === 0 ? 'closed' : 'open',
      customer: n <= 4 ? { email: 'jane@example.com', name: 'Jane Doe' } : { email: 'bob@example.com' },
      updatedDatetime: `2025-02-01T10:0${n}:00.000000+00:00`,
    });
  }
}

describe('listTickets', () => {
  test('asks for the most recently updated first and follows the cursor to the next page', async () => {
    seedTickets();
    const client = makeClient();

    const first = valueOf(await client.listTickets(CREDS, { limit: 5 }));

    expect(fake.requests[0].method).toBe('GET');
    expect(fake.requests[0].apiPath).toBe('/api/tickets');
    expect(fake.requests[0].query).toEqual({ limit: '5', order_by: 'updated_datetime:desc' });
    expect(first.tickets.map((ticket) => ticket.id)).toEqual([7, 6, 5, 4, 3]);
    expect(first.tickets[3]).toEqual({
      id: 4,
      subject: 'Subject 4',
      status: 'closed',
      channel: 'email',
      customer: { id: expect.any(Number), email: 'jane@example.com', name: 'Jane Doe' },
      tags: [],
      createdDatetime: expect.any(String),
      updatedDatetime: '2025-02-01T10:04:00.000000+00:00',
    });
    expect(first.nextCursor).toEqual(expect.any(String));

    const second = valueOf(await client.listTickets(CREDS, { limit: 5, cursor: first.nextCursor }));

    expect(fake.requests[1].query.cursor).toBe(first.nextCursor);
    expect(second.tickets.map((ticket) => ticket.id)).toEqual([2, 1]);
    expect(second.nextCursor).toBeUndefined();
  });

  test('defaults to 5 tickets and clamps the page size to what Gorgias accepts', async () => {
    const client = makeClient();

    await client.listTickets(CREDS);
    await client.listTickets(CREDS, { limit: 1000 });
    await client.listTickets(CREDS, { limit: 0, orderBy: 'created_datetime:asc' });

    expect(fake.requests.map((request) => request.query)).toEqual([
      { limit: '5', order_by: 'updated_datetime:desc' },
      { limit: '100', order_by: 'updated_datetime:desc' },
      { limit: '1', order_by: 'created_datetime:asc' },
    ]);
  });

  test('an empty account is an empty page', async () => {
    expect(await makeClient().listTickets(CREDS)).toEqual({ ok: true, value: { tickets: [] } });
  });

  test('items without a usable id are dropped; a body without a data list is an unexpected shape', async () => {
    fake.setBehaviourOnce('acme', jsonReply(200, { data: [{ id: 'x' }, null, { id: 3, subject: 'ok' }], meta: { next_cursor: null } }));
    fake.setBehaviourOnce('acme', jsonReply(200, { tickets: [] }));
    const client = makeClient();

    expect(valueOf(await client.listTickets(CREDS)).tickets).toEqual([{ id: 3, subject: 'ok', tags: [] }]);
    expect(failureOf(await client.listTickets(CREDS))).toEqual({ kind: 'bad_response', reason: 'unexpected_shape' });
  });

  test.each(['', 'a'.repeat(2000), 'has space', 'line\nbreak'])('refuses the forged cursor %j without a request', async (cursor) => {
    const result = await makeClient().listTickets(CREDS, { cursor });

    expect(failureOf(result)).toMatchObject({ kind: 'rejected', status: 0 });
    expect(fake.count()).toBe(0);
  });
});

describe('getTicket', () => {
  test('reads the ticket with its newest message, tags and assignee', async () => {
    fake.addTicket('acme', {
      id: 42,
      subject: 'Order missing',
      channel: 'email',
      customer: { email: 'jane@example.com', name: 'Jane Doe' },
      assignee: { id: 7, email: 'agent@acme.com', name: 'Alex Agent' },
      assigneeTeam: 'Tier 1',
      tags: ['refund', 'vip'],
      messages: [
        { text: 'My order never arrived.', createdDatetime: '2025-02-01T09:00:00.000000+00:00' },
        { text: 'Sorry! Looking into it.', fromAgent: true, createdDatetime: '2025-02-01T09:30:00.000000+00:00' },
      ],
    });

    const ticket = valueOf(await makeClient().getTicket(CREDS, 42));

    expect(fake.requests[0].apiPath).toBe('/api/tickets/42');
    expect(ticket).toMatchObject({
      id: 42,
      subject: 'Order missing',
      status: 'open',
      channel: 'email',
      via: 'email',
      customer: { email: 'jane@example.com', name: 'Jane Doe' },
      assignee: { id: 7, email: 'agent@acme.com', name: 'Alex Agent' },
      assigneeTeam: 'Tier 1',
      tags: ['refund', 'vip'],
      messageCount: 2,
      lastMessage: { text: 'Sorry! Looking into it.', fromAgent: true, sender: { email: 'agent@acme.com' } },
    });
  });

  test('tolerates missing and wrongly typed fields', async () => {
    fake.setBehaviourOnce(
      'acme',
      jsonReply(200, { id: 5, subject: 42, status: null, customer: 'jane', tags: 'vip', messages: [null, { body_text: '  hi  ' }], assignee_user: null }),
    );

    expect(valueOf(await makeClient().getTicket(CREDS, 5))).toEqual({ id: 5, tags: [], messageCount: 1, lastMessage: { text: 'hi' } });
  });

  test('a ticket without an id is an unexpected shape', async () => {
    fake.setBehaviourOnce('acme', jsonReply(200, { subject: 'no id' }));

    expect(failureOf(await makeClient().getTicket(CREDS, 5))).toEqual({ kind: 'bad_response', reason: 'unexpected_shape' });
  });

  test.each([0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 2])('refuses the id %p without a request', async (id) => {
    expect(failureOf(await makeClient().getTicket(CREDS, id))).toMatchObject({ kind: 'rejected', status: 0 });
    expect(fake.count()).toBe(0);
  });

  // 100 KB of `<` took 6.9 s here before (tag-stripping regexes, quadratic), blocking every conversation;
  // this body is nine times that, near the 1 MiB limit. The bound only tells linear from quadratic.
  test('a body_html full of unclosed tags near the size limit is read in well under a second or two', async () => {
    const unclosed = '<'.repeat(300_000) + '<a'.repeat(150_000) + '<!--'.repeat(75_000);
    fake.addTicket('acme', { id: 8, raw: { messages: [{ id: 1, body_text: '', body_html: unclosed }] } });
    const client = makeClient({ timeoutMs: 10_000 });

    const started = performance.now();
    const ticket = valueOf(await client.getTicket(CREDS, 8));

    expect(performance.now() - started).toBeLessThan(2000);
    expect(ticket.lastMessage?.text?.startsWith('<<<')).toBe(true);
  });
});

describe('createTicket', () => {
  test('posts the minimal customer ticket and answers with the new ticket', async () => {
    const ticket = valueOf(
      await makeClient().createTicket(CREDS, { customerEmail: ' jane@example.com ', subject: ' Order missing ', message: 'It never arrived.' }),
    );

    expect(fake.requests[0].method).toBe('POST');
    expect(fake.requests[0].apiPath).toBe('/api/tickets');
    expect(fake.requests[0].headers['content-type']).toBe('application/json');
    expect(bodyOf(0)).toEqual({
      channel: 'api',
      via: 'api',
      from_agent: false,
      subject: 'Order missing',
      customer: { email: 'jane@example.com' },
      messages: [{ channel: 'api', via: 'api', from_agent: false, sender: { email: 'jane@example.com' }, body_text: 'It never arrived.' }],
    });
    expect(ticket).toMatchObject({ subject: 'Order missing', status: 'open', customer: { email: 'jane@example.com' } });
    expect(fake.ticket('acme', ticket.id)).toMatchObject({ subject: 'Order missing' });
  });

  test.each([
    { customerEmail: '', subject: 's', message: 'm' },
    { customerEmail: 'jane@example.com', subject: '  ', message: 'm' },
    { customerEmail: 'jane@example.com', subject: 's', message: '' },
  ])('refuses an incomplete ticket without a request: %j', async (draft) => {
    expect(failureOf(await makeClient().createTicket(CREDS, draft))).toMatchObject({ kind: 'rejected', status: 0 });
    expect(fake.count()).toBe(0);
  });
});

describe('setTicketStatus', () => {
  test('closes and reopens with a PUT of only the status', async () => {
    fake.addTicket('acme', { id: 9, subject: 'Refund', status: 'open' });
    const client = makeClient();

    const closed = valueOf(await client.setTicketStatus(CREDS, 9, 'closed'));
    expect(fake.requests[0].method).toBe('PUT');
    expect(fake.requests[0].apiPath).toBe('/api/tickets/9');
    expect(bodyOf(0)).toEqual({ status: 'closed' });
    expect(closed).toMatchObject({ id: 9, status: 'closed', subject: 'Refund' });
    expect(fake.ticket('acme', 9)?.status).toBe('closed');

    const reopened = valueOf(await client.setTicketStatus(CREDS, 9, 'open'));
    expect(reopened.status).toBe('open');
    expect(fake.ticket('acme', 9)?.status).toBe('open');
  });

  test('a success without a body reports the requested status', async () => {
    fake.setBehaviourOnce('acme', { status: 200 });

    expect(await makeClient().setTicketStatus(CREDS, 9, 'closed')).toEqual({ ok: true, value: { id: 9, status: 'closed', tags: [] } });
  });
});

describe('addTicketTags', () => {
  test('adds the tag by name and keeps the others', async () => {
    fake.addTicket('acme', { id: 3, tags: ['refund'] });

    const result = await makeClient().addTicketTags(CREDS, 3, [' vip ']);

    expect(result).toEqual({ ok: true, value: { ticketId: 3, tags: ['vip'] } });
    expect(fake.requests[0].method).toBe('POST');
    expect(fake.requests[0].apiPath).toBe('/api/tickets/3/tags');
    expect(bodyOf(0)).toEqual({ names: ['vip'] });
    expect(fake.ticket('acme', 3)?.tags).toEqual([expect.objectContaining({ name: 'refund' }), expect.objectContaining({ name: 'vip' })]);
  });

  test.each([[[]], [['']], [['x'.repeat(257)]]])('refuses the tags %j without a request', async (tags) => {
    expect(failureOf(await makeClient().addTicketTags(CREDS, 3, tags))).toMatchObject({ kind: 'rejected', status: 0 });
    expect(fake.count()).toBe(0);
  });
});

describe('deleteTicket', () => {
  test('deletes, after which the ticket is not found', async () => {
    fake.addTicket('acme', { id: 11 });
    const client = makeClient();

    expect(await client.deleteTicket(CREDS, 11)).toEqual({ ok: true, value: { id: 11 } });
    expect(fake.requests[0].method).toBe('DELETE');
    expect(fake.requests[0].apiPath).toBe('/api/tickets/11');
    expect(fake.ticket('acme', 11)).toBeUndefined();
    expect(failureOf(await client.getTicket(CREDS, 11))).toEqual({ kind: 'not_found', status: 404 });
  });
});

describe('findCustomerByEmail', () => {
  test('finds the customer whatever the case of the email', async () => {
    const jane = fake.addCustomer('acme', { email: 'jane@example.com', firstname: 'Jane', lastname: 'Doe' });
    fake.addCustomer('acme', { email: 'bob@example.com', name: 'Bob' });

    const customer = valueOf(await makeClient().findCustomerByEmail(CREDS, 'Jane@Example.com'));

    expect(fake.requests[0].apiPath).toBe('/api/customers');
    expect(fake.requests[0].query.email).toBe('Jane@Example.com');
    expect(customer).toEqual({
      id: jane.id,
      email: 'jane@example.com',
      name: 'Jane Doe',
      createdDatetime: expect.any(String),
      updatedDatetime: expect.any(String),
    });
  });

  test('an unknown email is no customer, not a failure', async () => {
    expect(await makeClient().findCustomerByEmail(CREDS, 'nobody@example.com')).toEqual({ ok: true, value: undefined });
  });

  test('never returns someone else when Gorgias ignores the filter', async () => {
    fake.setBehaviourOnce('acme', jsonReply(200, { data: [{ id: 1, email: 'bob@example.com' }], meta: {} }));

    expect(await makeClient().findCustomerByEmail(CREDS, 'jane@example.com')).toEqual({ ok: true, value: undefined });
  });

  test('refuses a blank email without a request', async () => {
    expect(failureOf(await makeClient().findCustomerByEmail(CREDS, ' '))).toMatchObject({ kind: 'rejected', status: 0 });
    expect(fake.count()).toBe(0);
  });
});

describe('listCustomerTickets', () => {
  test("lists only that customer's tickets, most recently updated first", async () => {
    seedTickets();
    const jane = valueOf(await makeClient().findCustomerByEmail(CREDS, 'jane@example.com'));
    if (jane === undefined) throw new Error('Jane was seeded');

    const page = valueOf(await makeClient().listCustomerTickets(CREDS, jane.id, { limit: 3 }));

    expect(fake.requests[1].query).toEqual({ customer_id: String(jane.id), limit: '3', order_by: 'updated_datetime:desc' });
    expect(page.tickets.map((ticket) => ticket.id)).toEqual([4, 3, 2]);
    expect(page.nextCursor).toEqual(expect.any(String));
  });

  test('can list them newest first', async () => {
    seedTickets();
    const jane = valueOf(await makeClient().findCustomerByEmail(CREDS, 'jane@example.com'));
    if (jane === undefined) throw new Error('Jane was seeded');

    await makeClient().listCustomerTickets(CREDS, jane.id, { limit: 10, orderBy: 'created_datetime:desc' });

    expect(fake.requests[1].query).toEqual({ customer_id: String(jane.id), limit: '10', order_by: 'created_datetime:desc' });
  });

  test("drops tickets of other customers when Gorgias ignores the filter", async () => {
    fake.setBehaviourOnce(
      'acme',
      jsonReply(200, { data: [{ id: 1, customer: { id: 5 } }, { id: 2, customer: { id: 6 } }, { id: 3 }], meta: { next_cursor: null } }),
    );

    expect(valueOf(await makeClient().listCustomerTickets(CREDS, 5)).tickets.map((ticket) => ticket.id)).toEqual([1]);
  });
});

describe('createCustomer', () => {
  test('creates the customer', async () => {
    const customer = valueOf(await makeClient().createCustomer(CREDS, { name: 'Jane Doe', email: 'jane@example.com' }));

    expect(fake.requests[0].method).toBe('POST');
    expect(fake.requests[0].apiPath).toBe('/api/customers');
    expect(bodyOf(0)).toEqual({ name: 'Jane Doe', email: 'jane@example.com' });
    expect(customer).toMatchObject({ name: 'Jane Doe', email: 'jane@example.com' });
    expect(fake.customer('acme', customer.id)).toMatchObject({ email: 'jane@example.com' });
  });

  test('an existing email is a conflict (409) with Gorgias’s explanation', async () => {
    fake.addCustomer('acme', { email: 'jane@example.com' });

    const failure = failureOf(await makeClient().createCustomer(CREDS, { name: 'Jane', email: 'JANE@example.com' }));

    expect(failure).toEqual({ kind: 'rejected', status: 409, message: 'A customer with this email already exists.' });
    expect(isConflict(failure)).toBe(true);
    expect(isConflict({ kind: 'rejected', status: 400 })).toBe(false);
  });
});

type Call = (client: GorgiasClient, creds: GorgiasCredentials, call?: CallOptions) => Promise<GorgiasResult<unknown>>;

const READS: [string, Call][] = [
  ['listTickets', (client, creds, call) => client.listTickets(creds, { limit: 5 }, call)],
  ['getTicket', (client, creds, call) => client.getTicket(creds, 1, call)],
  ['findCustomerByEmail', (client, creds, call) => client.findCustomerByEmail(creds, 'jane@example.com', call)],
  ['listCustomerTickets', (client, creds, call) => client.listCustomerTickets(creds, 1, { limit: 5 }, call)],
];

const WRITES: [string, Call][] = [
  ['createTicket', (client, creds, call) => client.createTicket(creds, { customerEmail: 'jane@example.com', subject: 's', message: 'm' }, call)],
  ['setTicketStatus', (client, creds, call) => client.setTicketStatus(creds, 1, 'closed', call)],
  ['addTicketTags', (client, creds, call) => client.addTicketTags(creds, 1, ['vip'], call)],
  ['deleteTicket', (client, creds, call) => client.deleteTicket(creds, 1, call)],
  ['createCustomer', (client, creds, call) => client.createCustomer(creds, { name: 'Jane', email: 'jane@example.com' }, call)],
];

const EVERY_CALL = [...READS, ...WRITES];

describe.each(EVERY_CALL)('%s fails cleanly on', (_name, call) => {
  test('401: a revoked or rotated key', async () => {
    expect(failureOf(await call(makeClient(), WRONG_KEY))).toEqual({ kind: 'unauthorized', status: 401 });
  });

  test.each<[string, FakeBehaviour, GorgiasFailure]>([
    ['403', jsonReply(403, { error: { msg: 'Forbidden' } }), { kind: 'forbidden', status: 403 }],
    ['404', jsonReply(404, { error: { msg: 'Resource not found.' } }), { kind: 'not_found', status: 404 }],
    ['429 with a long Retry-After', jsonReply(429, {}, { 'retry-after': '30' }), { kind: 'rate_limited', status: 429, retryAfterSeconds: 30 }],
    ['500', { status: 500, body: 'oops' }, { kind: 'unavailable', reason: 'server_error', status: 500 }],
    ['503 with HTML', htmlPage(503, 'Maintenance'), { kind: 'unavailable', reason: 'server_error', status: 503 }],
    ['a server that never answers', 'hang', { kind: 'unavailable', reason: 'timeout' }],
    ['a dropped connection', 'destroy', { kind: 'unavailable', reason: 'connection' }],
  ])('%s', async (_case, behaviour, failure) => {
    fake.setBehaviour('acme', behaviour);

    expect(failureOf(await call(makeClient({ timeoutMs: 100 }), CREDS))).toEqual(failure);
    expect(fake.count('acme')).toBe(1);
  });
});

describe('a 2xx whose body cannot be used', () => {
  test.each(READS)('%s: a read says only that the answer was unusable', async (_name, call) => {
    fake.setBehaviourOnce('acme', htmlPage(200, 'Welcome'));

    expect(failureOf(await call(makeClient(), CREDS))).toEqual({ kind: 'bad_response', reason: 'not_json' });
  });

  test.each(WRITES)('%s: a write says Gorgias performed it, so that nobody sends it again', async (_name, call) => {
    fake.setBehaviourOnce('acme', htmlPage(201, 'Created'));

    expect(failureOf(await call(makeClient(), CREDS))).toEqual({ kind: 'bad_response', reason: 'not_json', writeAccepted: true });
    expect(fake.count('acme')).toBe(1);
  });

  test.each(WRITES.filter(([name]) => name.startsWith('create')))('%s: an answer without an id', async (_name, call) => {
    fake.setBehaviourOnce('acme', jsonReply(201, { status: 'open' }));

    expect(failureOf(await call(makeClient(), CREDS))).toEqual({ kind: 'bad_response', reason: 'unexpected_shape', writeAccepted: true });
  });

  test('a write answered 2xx with a body over maxResponseBytes was performed all the same', async () => {
    fake.setBehaviourOnce('acme', jsonReply(201, { id: 77, padding: 'x'.repeat(5000) }));

    const failure = failureOf(await makeClient({ maxResponseBytes: 1024 }).createTicket(CREDS, { customerEmail: 'jane@example.com', subject: 's', message: 'm' }));

    expect(failure).toEqual({ kind: 'bad_response', reason: 'too_large', writeAccepted: true });
  });

  test('but not a write answered with an error, a redirect, or a read with a large body', async () => {
    const client = makeClient({ maxResponseBytes: 1024 });
    const create = (): ReturnType<GorgiasClient['createTicket']> => client.createTicket(CREDS, { customerEmail: 'jane@example.com', subject: 's', message: 'm' });

    fake.setBehaviourOnce('acme', { status: 500, body: 'x'.repeat(5000) });
    expect(failureOf(await create())).toEqual({ kind: 'bad_response', reason: 'too_large' });
    fake.setBehaviourOnce('acme', { status: 303, headers: { location: '/elsewhere' } });
    expect(failureOf(await create())).toEqual({ kind: 'bad_response', reason: 'unexpected_shape' });
    fake.setBehaviourOnce('acme', jsonReply(200, { id: 1, padding: 'x'.repeat(5000) }));
    expect(failureOf(await client.getTicket(CREDS, 1))).toEqual({ kind: 'bad_response', reason: 'too_large' });
  });
});

describe('429 during a read', () => {
  const shortRetry = (): FakeBehaviour => jsonReply(429, { error: { msg: 'Too many requests' } }, { 'retry-after': '1' });

  test('every read waits a short Retry-After and retries once', async () => {
    seedTickets();
    // All first attempts arrive before any retry (a second later), so each read gets one 429.
    for (let n = 0; n < READS.length; n += 1) fake.setBehaviourOnce('acme', shortRetry());
    const client = makeClient();

    const results = await Promise.all(READS.map(([, call]) => call(client, CREDS)));

    expect(results.map((result) => result.ok)).toEqual(READS.map(() => true));
    expect(fake.requests.map((request) => request.apiPath).sort()).toEqual(
      ['/api/tickets', '/api/tickets', '/api/tickets', '/api/tickets', '/api/tickets/1', '/api/tickets/1', '/api/customers', '/api/customers'].sort(),
    );
  });

  test('a second 429 is reported, not retried again', async () => {
    fake.setBehaviour('acme', shortRetry());

    expect(failureOf(await makeClient().getTicket(CREDS, 1))).toEqual({ kind: 'rate_limited', status: 429, retryAfterSeconds: 1 });
    expect(fake.count('acme')).toBe(2);
  });

  test('a Retry-After beyond maxAutoRetryAfterSeconds is reported at once', async () => {
    fake.setBehaviourOnce('acme', jsonReply(429, {}, { 'retry-after': '6' }));

    expect(failureOf(await makeClient().getTicket(CREDS, 1))).toEqual({ kind: 'rate_limited', status: 429, retryAfterSeconds: 6 });
    expect(fake.count('acme')).toBe(1);
  });

  test('maxAutoRetryAfterSeconds: 0 turns the retry off', async () => {
    fake.setBehaviourOnce('acme', shortRetry());

    expect(failureOf(await makeClient({ maxAutoRetryAfterSeconds: 0 }).getTicket(CREDS, 1)).kind).toBe('rate_limited');
    expect(fake.count('acme')).toBe(1);
  });

  test('the wait before the retry is announced through onQueued when it is long enough', async () => {
    seedTickets();
    fake.setBehaviourOnce('acme', shortRetry());
    const waits: number[] = [];

    const result = await makeClient({ busyNoticeMs: 500 }).getTicket(CREDS, 1, { onQueued: (waitMs) => waits.push(waitMs) });

    expect(result.ok).toBe(true);
    expect(waits).toEqual([1000]);
  });

  test('closing the client ends the wait without retrying', async () => {
    fake.setBehaviourOnce('acme', jsonReply(429, {}, { 'retry-after': '5' }));
    const client = makeClient();

    const pending = client.getTicket(CREDS, 1);
    while (fake.count('acme') === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    // Let the 429 arrive and the client start waiting.
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.close();

    expect(failureOf(await pending)).toEqual({ kind: 'unavailable', reason: 'connection' });
    expect(fake.count('acme')).toBe(1);
  });
});

describe.each(WRITES)('%s on a 429', (_name, call) => {
  test('is never retried, even with a short Retry-After', async () => {
    fake.addTicket('acme', { id: 1 });
    fake.setBehaviourOnce('acme', jsonReply(429, {}, { 'retry-after': '1' }));

    expect(failureOf(await call(makeClient(), CREDS))).toEqual({ kind: 'rate_limited', status: 429, retryAfterSeconds: 1 });
    expect(fake.count('acme')).toBe(1);
  });
});

test('no ticket is created when the create was rate limited', async () => {
  fake.setBehaviourOnce('acme', jsonReply(429, {}, { 'retry-after': '1' }));

  await makeClient().createTicket(CREDS, { customerEmail: 'jane@example.com', subject: 's', message: 'm' });

  expect(fake.count('acme')).toBe(1);
  expect(valueOf(await makeClient().listTickets(CREDS)).tickets).toEqual([]);
});

test('no failure carries the key, even when Gorgias echoes it', async () => {
  const echo = `bad key ${API_KEY}`;
  const client = makeClient();
  const results: GorgiasResult<unknown>[] = [];
  for (const [, call] of EVERY_CALL) {
    fake.setBehaviourOnce('acme', jsonReply(400, { error: { msg: echo } }));
    results.push(await call(client, CREDS));
  }

  expect(results.every((result) => !result.ok)).toBe(true);
  expect(JSON.stringify(results)).not.toContain(API_KEY);
  expect(JSON.stringify(results)).toContain('[redacted]');
});

describe('the fake Gorgias answers bad requests like Gorgias', () => {
  const basic = `Basic ${Buffer.from(`${EMAIL}:${API_KEY}`).toString('base64')}`;

  async function send(method: string, path: string, body?: unknown): Promise<number> {
    const response = await fetch(`${fake.urlTemplate.replace('{subdomain}', 'acme')}${path}`, {
      method,
      headers: { authorization: basic, 'content-type': 'application/json', connection: 'close' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    await response.text();
    return response.status;
  }

  test.each<[string, string, unknown, number]>([
    ['POST', '/api/tickets', { subject: 'no messages', customer: { email: 'a@example.com' } }, 400],
    ['POST', '/api/tickets', { messages: [{ body_text: 'no channel' }], customer: { email: 'a@example.com' } }, 400],
    ['POST', '/api/tickets', { messages: [{ channel: 'api', from_agent: false }] }, 400],
    ['PUT', '/api/tickets/1', { status: 'pending' }, 400],
    ['PUT', '/api/tickets/999', { status: 'closed' }, 404],
    ['POST', '/api/tickets/1/tags', {}, 400],
    ['POST', '/api/tickets/1/tags', { ids: [123456] }, 400],
    ['GET', '/api/tickets?cursor=garbage', undefined, 400],
    ['GET', '/api/tickets?order_by=subject', undefined, 400],
    ['GET', '/api/tickets?limit=101', undefined, 400],
    ['GET', '/api/tickets/abc', undefined, 404],
    ['PATCH', '/api/tickets/1', {}, 405],
  ])('%s %s %j -> %d', async (method, path, body, status) => {
    fake.addTicket('acme', { id: 1 });

    expect(await send(method, path, body)).toBe(status);
  });

  test('tags can also be added by id, and PUT with tags replaces them all', async () => {
    fake.addTicket('acme', { id: 1, tags: ['refund'] });
    fake.addTicket('acme', { id: 2, tags: ['vip'] });
    const vipId = (fake.ticket('acme', 2)?.tags as { id: number }[])[0].id;

    expect(await send('POST', '/api/tickets/1/tags', { ids: [vipId] })).toBe(201);
    expect((fake.ticket('acme', 1)?.tags as { name: string }[]).map((tag) => tag.name)).toEqual(['refund', 'vip']);
    expect(await send('PUT', '/api/tickets/1', { tags: [{ name: 'only' }] })).toBe(200);
    expect((fake.ticket('acme', 1)?.tags as { name: string }[]).map((tag) => tag.name)).toEqual(['only']);
  });
});
