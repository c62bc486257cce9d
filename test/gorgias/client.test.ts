import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { parseRetryAfterSeconds, userAgentFor, type GorgiasClientOptions } from '../../src/gorgias/client';
import type { GorgiasCredentials, GorgiasResult, GorgiasAccount } from '../../src/gorgias/types';
import { htmlPage, jsonReply, type FakeBehaviour } from '../support/fakeGorgias';
import { clientFixture } from '../support/clientFixture';
import { closedLoopbackPort } from '../support/loopback';

const EMAIL = 'agent@acme.com';
const API_KEY = 'key-acme-123456';
const BASIC_TOKEN = Buffer.from(`${EMAIL}:${API_KEY}`).toString('base64');
const CREDS: GorgiasCredentials = { subdomain: 'acme', email: EMAIL, apiKey: API_KEY };

const { fake, makeClient } = clientFixture((gorgias) => {
  gorgias.addAccount({ subdomain: 'acme', users: [{ email: EMAIL, apiKey: API_KEY }] });
});

/** What dns.lookup reports for a host that does not exist. */
const unknownHostLookup: GorgiasClientOptions['lookup'] = (hostname: string, _options: object, callback: (error: Error | null, address: []) => void) => {
  const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
  process.nextTick(() => callback(error, []));
};

function listen(server: http.Server | net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function close(server: http.Server | net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('the request', () => {
  test('is a GET of the account with Basic auth, JSON accept and the bot user agent', async () => {
    await makeClient().verifyAccount(CREDS);

    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request.method).toBe('GET');
    expect(request.path).toBe('/acme/api/account');
    expect(request.subdomain).toBe('acme');
    expect(request.headers.authorization).toBe(`Basic ${BASIC_TOKEN}`);
    expect(request.headers.accept).toBe('application/json');
    expect(request.headers['user-agent']).toMatch(/^gorgias-bot\/0\.1\.0 \(\+Bot Framework; node\/\d+\.x\)$/);
    expect(request.body).toBe('');
  });

  test('goes to a custom auth check path', async () => {
    fake.setBehaviourOnce('acme', jsonReply(200, { domain: 'acme' }));

    const result = await makeClient({ authCheckPath: '/api/users/0' }).verifyAccount(CREDS);

    expect(result).toEqual({ ok: true, value: { domain: 'acme' } });
    expect(fake.requests[0].path).toBe('/acme/api/users/0');
  });

  test('does not follow a redirect, even to a server that would answer', async () => {
    let hits = 0;
    const elsewhere = http.createServer((_req, res) => {
      hits += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"domain":"acme"}');
    });
    const elsewherePort = await listen(elsewhere);
    try {
      fake.setBehaviour('acme', { status: 302, headers: { location: `http://127.0.0.1:${elsewherePort}/acme/api/account` } });

      const result = await makeClient().verifyAccount(CREDS);

      expect(result).toEqual({ ok: false, failure: { kind: 'no_account', reason: 'redirect' } });
      expect(hits).toBe(0);
    } finally {
      await close(elsewhere);
    }
  });

  test('reuses one kept-alive connection for sequential calls', async () => {
    const client = makeClient();

    const first = await client.verifyAccount(CREDS);
    const second = await client.verifyAccount(CREDS);

    expect(first.ok && second.ok).toBe(true);
    expect(fake.count('acme')).toBe(2);
    expect(fake.connectionCount).toBe(1);
  });

  test('sends the credentials of each call, not of an earlier one', async () => {
    fake.addAccount({ subdomain: 'globex', users: [{ email: 'ops@globex.com', apiKey: 'key-globex-999' }] });
    const client = makeClient();

    await client.verifyAccount(CREDS);
    const other = await client.verifyAccount({ subdomain: 'globex', email: 'ops@globex.com', apiKey: 'key-globex-999' });

    expect(other.ok).toBe(true);
    expect(fake.requests[1].headers.authorization).toBe(`Basic ${Buffer.from('ops@globex.com:key-globex-999').toString('base64')}`);
  });
});

describe('verifyAccount answers', () => {
  test('200 with the account', async () => {
    const result = await makeClient().verifyAccount(CREDS);

    expect(result).toEqual({
      ok: true,
      value: { domain: 'acme', status: 'active', createdDatetime: '2024-01-15T10:00:00.000000+00:00' },
    });
  });

  test('200 with a status given as a plain string', async () => {
    fake.addAccount({ subdomain: 'acme', users: [{ email: EMAIL, apiKey: API_KEY }], account: { status: 'inactive' } });

    const result = await makeClient().verifyAccount(CREDS);

    expect(result.ok && result.value.status).toBe('inactive');
  });

  test.each([
    ['a wrong key', { ...CREDS, apiKey: 'wrong-key' }, { kind: 'unauthorized', status: 401 }],
    ['an unknown email', { ...CREDS, email: 'nobody@acme.com' }, { kind: 'unauthorized', status: 401 }],
    ['an unknown subdomain (HTML 404)', { ...CREDS, subdomain: 'nowhere' }, { kind: 'no_account', reason: 'not_found' }],
    ['an invalid subdomain, never sent', { ...CREDS, subdomain: 'evil.com/' }, { kind: 'no_account', reason: 'not_found' }],
  ])('%s', async (_name, creds, failure) => {
    expect(await makeClient().verifyAccount(creds)).toEqual({ ok: false, failure });
  });

  const inOneMinute = (): string => new Date(Date.now() + 60_000).toUTCString();

  test.each<[string, () => FakeBehaviour, unknown]>([
    ['403', () => jsonReply(403, { error: { msg: 'Forbidden' } }), { kind: 'forbidden', status: 403 }],
    ['404 with HTML', () => htmlPage(404, 'Not found'), { kind: 'no_account', reason: 'not_found' }],
    ['302', () => ({ status: 302, headers: { location: 'https://www.gorgias.com/' } }), { kind: 'no_account', reason: 'redirect' }],
    ['301 without location', () => ({ status: 301 }), { kind: 'no_account', reason: 'redirect' }],
    [
      '429 with Retry-After seconds',
      () => ({ status: 429, headers: { 'retry-after': '7' } }),
      { kind: 'rate_limited', status: 429, retryAfterSeconds: 7 },
    ],
    [
      '429 with a huge Retry-After',
      () => ({ status: 429, headers: { 'retry-after': '999999' } }),
      { kind: 'rate_limited', status: 429, retryAfterSeconds: 3600 },
    ],
    ['429 without Retry-After', () => ({ status: 429 }), { kind: 'rate_limited', status: 429, retryAfterSeconds: 20 }],
    ['500', () => ({ status: 500, body: 'oops' }), { kind: 'unavailable', reason: 'server_error', status: 500 }],
    ['503', () => htmlPage(503, 'Maintenance'), { kind: 'unavailable', reason: 'server_error', status: 503 }],
    ['200 with HTML', () => htmlPage(200, 'Welcome'), { kind: 'no_account', reason: 'not_json' }],
    ['200 with an empty body', () => ({ status: 200 }), { kind: 'no_account', reason: 'not_json' }],
    ['200 with {}', () => jsonReply(200, {}), { kind: 'bad_response', reason: 'unexpected_shape' }],
    ['200 with a list', () => jsonReply(200, [{ domain: 'acme' }]), { kind: 'bad_response', reason: 'unexpected_shape' }],
    ['200 with a numeric domain', () => jsonReply(200, { domain: 7 }), { kind: 'bad_response', reason: 'unexpected_shape' }],
    [
      '400 with error.msg',
      () => jsonReply(400, { error: { msg: 'Invalid parameters.' } }),
      { kind: 'rejected', status: 400, message: 'Invalid parameters.' },
    ],
    ['409 with message', () => jsonReply(409, { message: 'Already exists' }), { kind: 'rejected', status: 409, message: 'Already exists' }],
    ['400 with a non-string msg', () => jsonReply(400, { error: { msg: { detail: 1 } } }), { kind: 'rejected', status: 400 }],
    ['413 with HTML', () => htmlPage(413, 'Too large'), { kind: 'rejected', status: 413 }],
    ['a destroyed socket', () => 'destroy', { kind: 'unavailable', reason: 'connection' }],
  ])('%s', async (_name, behaviour, failure) => {
    fake.setBehaviour('acme', behaviour());

    expect(await makeClient().verifyAccount(CREDS)).toEqual({ ok: false, failure });
  });

  test('429 with Retry-After as an HTTP-date', async () => {
    fake.setBehaviour('acme', { status: 429, headers: { 'retry-after': inOneMinute() } });

    const result = await makeClient().verifyAccount(CREDS);

    expect(result.ok).toBe(false);
    const failure = !result.ok ? result.failure : undefined;
    expect(failure?.kind).toBe('rate_limited');
    // toUTCString drops milliseconds, and a second may pass, so allow a little slack.
    expect(failure?.kind === 'rate_limited' && failure.retryAfterSeconds).toBeGreaterThanOrEqual(58);
    expect(failure?.kind === 'rate_limited' && failure.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  test("bidi and invisible formatting characters are taken out of Gorgias's message, which the bot quotes", async () => {
    fake.setBehaviour('acme', jsonReply(400, { error: { msg: 'Invalid \u2067email\u202e\u061c\u200b given' } }));

    expect(await makeClient().verifyAccount(CREDS)).toEqual({ ok: false, failure: { kind: 'rejected', status: 400, message: 'Invalid email given' } });
  });

  test('a long Gorgias message is cut to 200 characters', async () => {
    fake.setBehaviour('acme', jsonReply(400, { error: { msg: 'x'.repeat(500) } }));

    const result = await makeClient().verifyAccount(CREDS);

    expect(!result.ok && result.failure.kind === 'rejected' && result.failure.message?.length).toBe(200);
  });
});

describe('transport failures', () => {
  test.each<[string, FakeBehaviour]>([
    ['a server that never answers', 'hang'],
    ['a server that sends headers and then stalls', 'stall-after-headers'],
    ['a server that keeps dripping bytes (never idle, never done)', 'drip'],
  ])('%s times out', async (_name, behaviour) => {
    fake.setBehaviour('acme', behaviour);
    const started = Date.now();

    const result = await makeClient({ timeoutMs: 300 }).verifyAccount(CREDS);

    expect(result).toEqual({ ok: false, failure: { kind: 'unavailable', reason: 'timeout' } });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  test('a refused connection', async () => {
    const port = await closedLoopbackPort();

    const result = await makeClient({ urlTemplate: `http://127.0.0.1:${port}/{subdomain}` }).verifyAccount(CREDS);

    expect(result).toEqual({ ok: false, failure: { kind: 'unavailable', reason: 'connection' } });
  });

  test('a DNS failure means no account', async () => {
    // https because plain http is only allowed to loopback. The lookup is the machine's resolver
    // answering "no such host", simulated so that the test sends no DNS query off this machine.
    const result = await makeClient({ urlTemplate: 'https://{subdomain}.gorgias.com', lookup: unknownHostLookup }).verifyAccount(CREDS);

    expect(result).toEqual({ ok: false, failure: { kind: 'no_account', reason: 'dns' } });
  });

  test.each([
    ['with a content-length', jsonReply(200, { domain: 'acme', padding: 'x'.repeat(5000) })],
    ['chunked', { status: 200, body: JSON.stringify({ domain: 'acme', padding: 'x'.repeat(5000) }), headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/json' } }],
  ])('a body over maxResponseBytes (%s) is refused', async (_name, reply) => {
    fake.setBehaviour('acme', reply);

    const result = await makeClient({ maxResponseBytes: 1024 }).verifyAccount(CREDS);

    expect(result).toEqual({ ok: false, failure: { kind: 'bad_response', reason: 'too_large' } });
  });

  describe('a kept-alive connection the server drops just as it is reused', () => {
    test('a read is sent again on a new connection, and succeeds', async () => {
      const client = makeClient();
      expect((await client.verifyAccount(CREDS)).ok).toBe(true);
      fake.setBehaviourOnce('acme', 'destroy');

      expect(await client.verifyAccount(CREDS)).toMatchObject({ ok: true });
      expect(fake.count('acme')).toBe(3);
      expect(fake.connectionCount).toBe(2);
    });

    test('a read is sent again once, on a new connection, even when every kept-alive one is stale', async () => {
      const client = makeClient();
      // Two connections in the pool, both of which the server then considers idle for too long.
      await Promise.all([client.verifyAccount(CREDS), client.verifyAccount(CREDS)]);
      expect(fake.connectionCount).toBe(2);
      fake.setBehaviour('acme', 'drop-if-reused');

      expect(await client.verifyAccount(CREDS)).toMatchObject({ ok: true });
      // One attempt on a stale connection, one on a new one: not the other stale one, and no more.
      expect(fake.count('acme')).toBe(4);
      expect(fake.connectionCount).toBe(3);
    });

    test('a read dropped on its new connection too is a failure', async () => {
      const client = makeClient();
      await client.verifyAccount(CREDS);
      fake.setBehaviour('acme', 'destroy');

      expect(await client.verifyAccount(CREDS)).toEqual({ ok: false, failure: { kind: 'unavailable', reason: 'connection' } });
      expect(fake.count('acme')).toBe(3);
    });

    test('a write is not sent again: it may have been performed', async () => {
      const client = makeClient();
      await client.verifyAccount(CREDS);
      fake.setBehaviourOnce('acme', 'destroy');

      const created = await client.createTicket(CREDS, { customerEmail: 'jane@example.com', subject: 'Order missing', message: 'It never arrived.' });

      expect(created).toEqual({ ok: false, failure: { kind: 'unavailable', reason: 'connection' } });
      expect(fake.requests.filter((request) => request.method === 'POST')).toHaveLength(1);
    });

    test('a connection dropped on its first request is a failure, not a retry', async () => {
      fake.setBehaviourOnce('acme', 'destroy');

      expect(await makeClient().verifyAccount(CREDS)).toEqual({ ok: false, failure: { kind: 'unavailable', reason: 'connection' } });
      expect(fake.count('acme')).toBe(1);
    });
  });

  test('a closed client fails without a request', async () => {
    const client = makeClient();
    client.close();

    expect(await client.verifyAccount(CREDS)).toEqual({ ok: false, failure: { kind: 'unavailable', reason: 'connection' } });
    expect(fake.count()).toBe(0);
  });
});

describe('secrets', () => {
  test('no failure outcome carries the key or the Basic token', async () => {
    const echoKey = `bad key ${API_KEY}, token ${BASIC_TOKEN}`;
    const behaviours: FakeBehaviour[] = [
      jsonReply(401, { error: { msg: echoKey } }),
      jsonReply(403, { error: { msg: echoKey } }),
      jsonReply(400, { error: { msg: echoKey } }),
      jsonReply(409, { message: echoKey }),
      htmlPage(404, echoKey),
      { status: 302, headers: { location: `https://x.invalid/?key=${API_KEY}` } },
      { status: 429, headers: { 'retry-after': API_KEY } },
      { status: 500, body: echoKey },
      { status: 200, body: echoKey },
      jsonReply(200, { echo: echoKey }),
      jsonReply(200, { domain: 'acme', padding: 'x'.repeat(5000), echo: echoKey }),
      'destroy',
      'hang',
    ];
    const client = makeClient({ timeoutMs: 300, maxResponseBytes: 4096 });
    const results: GorgiasResult<GorgiasAccount>[] = [];
    for (const behaviour of behaviours) {
      // A read dropped on a reused connection is sent once more: 'destroy' holds for both.
      if (behaviour === 'destroy') fake.setBehaviour('acme', behaviour);
      else fake.setBehaviourOnce('acme', behaviour);
      results.push(await client.verifyAccount(CREDS));
      fake.clearBehaviours();
    }
    const refused = makeClient({ urlTemplate: `http://127.0.0.1:${await closedLoopbackPort()}/{subdomain}` });
    results.push(await refused.verifyAccount(CREDS));
    results.push(await makeClient({ urlTemplate: 'https://{subdomain}.gorgias.com', lookup: unknownHostLookup }).verifyAccount(CREDS));

    const kinds = results.map((result) => (result.ok ? 'ok' : result.failure.kind));
    expect(kinds).not.toContain('ok');
    expect(new Set(kinds)).toEqual(
      new Set(['unauthorized', 'forbidden', 'rejected', 'no_account', 'rate_limited', 'unavailable', 'bad_response']),
    );
    const text = JSON.stringify(results);
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain(BASIC_TOKEN);
    expect(text).not.toMatch(/authorization|basic|config|headers/i);
    for (const result of results) {
      if (!result.ok) {
        expect(Object.keys(result.failure).every((key) => ['kind', 'status', 'reason', 'retryAfterSeconds', 'message'].includes(key))).toBe(true);
      }
    }
  });

  test('the client object itself holds no credentials after a call', async () => {
    const client = makeClient();
    await client.verifyAccount(CREDS);

    // Walks the client's own fields (not axios's internals, which hold the last request).
    const ownFields = Object.entries(client).filter(([, value]) => typeof value !== 'object' || value === null);
    expect(JSON.stringify(ownFields)).not.toContain(API_KEY);
  });
});

describe('parseRetryAfterSeconds', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  test.each<[unknown, number]>([
    ['30', 30],
    [' 5 ', 5],
    ['0', 1],
    ['4000', 3600],
    ['Wed, 01 Jan 2025 00:00:45 GMT', 45],
    ['Tue, 31 Dec 2024 23:00:00 GMT', 1],
    ['Wednesday, 01-Jan-25 00:00:10 GMT', 10],
    ['1.5', 20],
    ['-3', 20],
    ['soon', 20],
    ['', 20],
    [undefined, 20],
  ])('%j -> %d', (header, expected) => {
    expect(parseRetryAfterSeconds(header, now)).toBe(expected);
  });
});

describe('construction', () => {
  test.each([
    ['an http template to a public host', { urlTemplate: 'http://{subdomain}.gorgias.com' }],
    ['a zero timeout', { timeoutMs: 0 }],
    ['a user agent with a newline', { userAgent: 'bot\r\nX-Evil: 1' }],
    ['a relative auth check path', { authCheckPath: 'api/account' }],
    ['a zero response limit', { maxResponseBytes: 0 }],
  ])('refuses %s', (_name, overrides) => {
    expect(() => makeClient(overrides)).toThrow();
  });

  test('userAgentFor names the bot, its version and the Node major version', () => {
    expect(userAgentFor('gorgias-bot', '0.1.0')).toBe(`gorgias-bot/0.1.0 (+Bot Framework; node/${process.versions.node.split('.')[0]}.x)`);
  });
});
