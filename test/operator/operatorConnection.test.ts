/**
 * The operator's pre-authorized connection (GORGIAS_AUTH_MODE=preauthorized) against the fake Gorgias
 * server with the real client: which start-up failures stop the bot and which only defer verification,
 * verifying again on first use, concurrent first uses sharing one call, and the operator's log line.
 */
import { FakeGorgias, htmlPage, jsonReply } from '../support/fakeGorgias';
import { GorgiasClient } from '../../src/gorgias/client';
import type { GorgiasAccount, GorgiasCredentials, GorgiasResult } from '../../src/gorgias/types';
import { KEY_RECHECK_INTERVAL_MS, OperatorConnection, describeOperatorFailure, type AccountVerifier } from '../../src/operatorConnection';
import { OperatorCredentials } from '../../src/turnCredentials';

const API_KEY = 'opconn-secret-key-R8tY3uI6oP1aS4dF';
const OPERATOR: GorgiasCredentials = { subdomain: 'acme', email: 'ops@acme.com', apiKey: API_KEY };
const BASIC_TOKEN = Buffer.from(`ops@acme.com:${API_KEY}`).toString('base64');
const VERIFIED_AT = new Date('2026-03-01T09:30:00.000Z');

const fake = new FakeGorgias();
let client: GorgiasClient;
/** Gives up quickly, for the case where Gorgias never answers. */
let impatientClient: GorgiasClient;

function connection(verifier: AccountVerifier = client, credentials: GorgiasCredentials = OPERATOR): OperatorConnection {
  return new OperatorConnection(credentials, verifier, () => VERIFIED_AT);
}

function expectNoSecret(text: string): void {
  expect(text).not.toContain(API_KEY);
  expect(text).not.toContain(BASIC_TOKEN);
}

beforeAll(async () => {
  await fake.start();
  impatientClient = new GorgiasClient({ urlTemplate: fake.urlTemplate, timeoutMs: 200, userAgent: 'operator-connection-test' });
});

beforeEach(() => {
  // A client per test: a 429 holds its account for the Retry-After, which must not reach the next test.
  client = new GorgiasClient({ urlTemplate: fake.urlTemplate, timeoutMs: 10_000, userAgent: 'operator-connection-test' });
  fake.reset();
  fake.addAccount({ subdomain: 'acme', users: [{ email: 'ops@acme.com', apiKey: API_KEY }], account: { domain: 'acme-prod' } });
});

afterEach(() => {
  client.close();
});

afterAll(async () => {
  impatientClient.close();
  await fake.stop();
});

describe('verifyAtStartup', () => {
  test('connects with good credentials, and later uses need no further call', async () => {
    const operator = connection();
    const verdict = await operator.verifyAtStartup();
    expect(verdict).toEqual({ verdict: 'connected', account: { domain: 'acme-prod', status: 'active', createdDatetime: '2024-01-15T10:00:00.000000+00:00' } });
    expect(fake.count('acme')).toBe(1);
    expect(fake.requests[0].apiPath).toBe('/api/account');
    expect(fake.requests[0].headers.authorization).toBe(`Basic ${BASIC_TOKEN}`);

    const first = await operator.profile();
    const second = await operator.profile();
    expect(first).toEqual({
      ok: true,
      profile: {
        subdomain: 'acme',
        email: 'ops@acme.com',
        apiKey: API_KEY,
        ownerId: 'operator',
        account: { domain: 'acme-prod', status: 'active', createdDatetime: '2024-01-15T10:00:00.000000+00:00' },
        verifiedAt: VERIFIED_AT.toISOString(),
        source: 'operator',
      },
    });
    expect(second).toEqual(first);
    expect(fake.count('acme')).toBe(1);
    expect(operator.host).toBe('acme.gorgias.com');
  });

  type Setup = (fake: FakeGorgias) => void;
  const fatal: [string, Setup, GorgiasCredentials, string, RegExp][] = [
    ['401: Gorgias rejects the email and key', () => undefined, { ...OPERATOR, apiKey: 'opconn-wrong-key-0000000000' }, 'unauthorized', /rejected GORGIAS_EMAIL and GORGIAS_API_KEY \(401\) for ops@acme\.com at acme\.gorgias\.com/],
    ['401: an email Gorgias does not know', () => undefined, { ...OPERATOR, email: 'nobody@acme.com' }, 'unauthorized', /\(401\) for nobody@acme\.com at acme\.gorgias\.com/],
    ['403: the key may not read the account', (f) => f.setBehaviour('acme', jsonReply(403, { error: { msg: 'Forbidden' } })), OPERATOR, 'forbidden', /\(403\)/],
    ['unknown subdomain (an HTML 404 page)', () => undefined, { ...OPERATOR, subdomain: 'nosuchshop' }, 'no_account', /no Gorgias account at nosuchshop\.gorgias\.com \(not_found\): check GORGIAS_DOMAIN/],
    ['a redirect to a login page', (f) => f.setBehaviour('acme', { status: 302, headers: { location: 'https://www.gorgias.com/login' } }), OPERATOR, 'no_account', /\(redirect\): check GORGIAS_DOMAIN/],
    ['a 200 that is an HTML page', (f) => f.setBehaviour('acme', htmlPage(200, 'Welcome')), OPERATOR, 'no_account', /\(not_json\)/],
    ['a 200 JSON answer that is not an account', (f) => f.setBehaviour('acme', jsonReply(200, { id: 7, email: 'ops@acme.com' })), OPERATOR, 'bad_response', /unexpected answer .*\(unexpected_shape\): check GORGIAS_AUTH_CHECK_PATH/],
    ['a 400 with Gorgias\'s explanation', (f) => f.setBehaviour('acme', jsonReply(400, { error: { msg: `Bad request for ${API_KEY}` } })), OPERATOR, 'rejected', /refused the verification .*\(400: Bad request for \[redacted\]\): check GORGIAS_AUTH_CHECK_PATH/],
  ];

  test.each(fatal)('stops the bot on %s, naming the account and user but never the key', async (_name, setup, credentials, kind, message) => {
    setup(fake);
    const verdict = await connection(client, credentials).verifyAtStartup();
    expect(verdict.verdict).toBe('fatal');
    if (verdict.verdict === 'connected') return;
    expect(verdict.failure.kind).toBe(kind);
    expect(verdict.message).toMatch(message);
    expect(verdict.message).not.toMatch(/[\r\n]/);
    expectNoSecret(verdict.message);
    expect(verdict.message).not.toContain(credentials.apiKey);
  });

  const transient: [string, Setup, string, RegExp][] = [
    ['a 500', (f) => f.setBehaviour('acme', jsonReply(500, { error: { msg: 'oops' } })), 'unavailable', /could not be reached for ops@acme\.com at acme\.gorgias\.com \(server_error 500\)/],
    ['a 503 HTML page', (f) => f.setBehaviour('acme', htmlPage(503, 'Service Unavailable')), 'unavailable', /\(server_error 503\)/],
    ['a 429 with Retry-After', (f) => f.setBehaviour('acme', jsonReply(429, { error: { msg: 'slow down' } }, { 'retry-after': '60' })), 'rate_limited', /rate limiting ops@acme\.com at acme\.gorgias\.com; retry after 60s/],
    ['a dropped connection', (f) => f.setBehaviour('acme', 'destroy'), 'unavailable', /\(connection\)/],
  ];

  test.each(transient)('only defers verification on %s', async (_name, setup, kind, message) => {
    setup(fake);
    const verdict = await connection().verifyAtStartup();
    expect(verdict.verdict).toBe('deferred');
    if (verdict.verdict === 'connected') return;
    expect(verdict.failure.kind).toBe(kind);
    expect(verdict.message).toMatch(message);
    expectNoSecret(verdict.message);
  });

  test('only defers verification when Gorgias does not answer in time', async () => {
    fake.setBehaviourOnce('acme', 'hang');
    const verdict = await connection(impatientClient).verifyAtStartup();
    expect(verdict).toMatchObject({ verdict: 'deferred', failure: { kind: 'unavailable', reason: 'timeout' } });
    if (verdict.verdict === 'connected') return;
    expect(verdict.message).toMatch(/could not be reached for ops@acme\.com at acme\.gorgias\.com \(timeout\)/);
  });
});

describe('after a deferred start', () => {
  test('the first use verifies again, and then the connection is known', async () => {
    fake.setBehaviourOnce('acme', jsonReply(503, {}));
    const operator = connection();
    expect((await operator.verifyAtStartup()).verdict).toBe('deferred');
    expect(fake.count('acme')).toBe(1);

    const profile = await operator.profile();
    expect(profile.ok && profile.profile.account.domain).toBe('acme-prod');
    expect(fake.count('acme')).toBe(2);
    await operator.profile();
    expect(fake.count('acme')).toBe(2);
  });

  test('concurrent first uses share one verification call', async () => {
    fake.setBehaviourOnce('acme', jsonReply(503, {}));
    const operator = connection();
    expect((await operator.verifyAtStartup()).verdict).toBe('deferred');

    // Held back a little so that all the uses below are surely waiting on the same call.
    fake.setBehaviourOnce('acme', { ...jsonReply(200, { domain: 'acme-prod' }), delayMs: 50 });
    const results = await Promise.all(Array.from({ length: 5 }, () => operator.profile()));
    expect(results.every((result) => result.ok)).toBe(true);
    expect(fake.count('acme')).toBe(2);
  });

  test('concurrent first uses that fail share one call too, and the failure is not remembered', async () => {
    fake.setBehaviour('acme', jsonReply(502, {}));
    const operator = connection();
    expect((await operator.verifyAtStartup()).verdict).toBe('deferred');

    const failed = await Promise.all([operator.profile(), operator.profile(), operator.profile()]);
    expect(failed).toEqual(Array(3).fill({ ok: false, failure: { kind: 'unavailable', reason: 'server_error', status: 502 } }));
    expect(fake.count('acme')).toBe(2);

    fake.clearBehaviours();
    const recovered = await operator.profile();
    expect(recovered.ok).toBe(true);
    expect(fake.count('acme')).toBe(3);
  });

  test('a verifier that throws does not leave later uses waiting on the broken call', async () => {
    let calls = 0;
    const flaky: AccountVerifier = {
      verifyAccount: async (credentials): Promise<GorgiasResult<GorgiasAccount>> => {
        calls += 1;
        if (calls === 1) throw new Error('socket exploded');
        return client.verifyAccount(credentials);
      },
    };
    const operator = connection(flaky);
    await expect(operator.profile()).rejects.toThrow('socket exploded');
    const second = await operator.profile();
    expect(second.ok).toBe(true);
    expect(calls).toBe(2);
  });
});

describe('OperatorCredentials.forTurn', () => {
  test('gives every turn the operator\'s profile', async () => {
    const operator = connection();
    await operator.verifyAtStartup();
    const source = new OperatorCredentials(operator);
    expect(source.managedByOperator).toBe(true);
    expect(source.fixedHost).toBe('acme.gorgias.com');
    const credentials = await source.forTurn();
    expect(credentials).toMatchObject({ state: 'connected', needsReconnect: false, profile: { source: 'operator', subdomain: 'acme', email: 'ops@acme.com' } });
  });

  test('says which connection is unavailable when Gorgias cannot confirm it', async () => {
    fake.setBehaviour('acme', jsonReply(500, {}));
    const source = new OperatorCredentials(connection());
    expect(await source.forTurn()).toEqual({
      state: 'operator_unavailable',
      failure: { kind: 'unavailable', reason: 'server_error', status: 500 },
      host: 'acme.gorgias.com',
      email: 'ops@acme.com',
    });
  });
});

describe('describeOperatorFailure', () => {
  test.each([
    { kind: 'unauthorized', status: 401 },
    { kind: 'forbidden', status: 403 },
    { kind: 'no_account', reason: 'dns' },
    { kind: 'not_found', status: 404 },
    { kind: 'rate_limited', status: 429, retryAfterSeconds: 20 },
    { kind: 'unavailable', reason: 'timeout' },
    { kind: 'rejected', status: 409, message: 'Conflict' },
    { kind: 'bad_response', reason: 'too_large' },
  ] as const)('explains $kind in one line that names the account and user, never the key', (failure) => {
    const message = describeOperatorFailure(OPERATOR, failure);
    expect(message).toContain('acme.gorgias.com');
    expect(message).not.toMatch(/[\r\n]/);
    expectNoSecret(message);
  });
});

describe('a key revoked while the bot runs', () => {
  test('after a 401 the connection is reported as rejected without calling Gorgias, and is checked again a minute later', async () => {
    let now = new Date('2026-03-01T10:00:00.000Z');
    const operator = new OperatorConnection(OPERATOR, client, () => now);
    expect((await operator.verifyAtStartup()).verdict).toBe('connected');
    const callsAfterStart = fake.count('acme');

    operator.markKeyRejected();
    expect(await operator.profile()).toEqual({ ok: false, failure: { kind: 'unauthorized', status: 401 } });
    expect(await new OperatorCredentials(operator).forTurn()).toMatchObject({ state: 'operator_unavailable', failure: { kind: 'unauthorized' } });
    expect(fake.count('acme')).toBe(callsAfterStart);

    // The operator fixed the key in Gorgias (here: the same key accepted again); after the interval it is asked again.
    now = new Date(now.getTime() + KEY_RECHECK_INTERVAL_MS + 1);
    expect(await operator.profile()).toMatchObject({ ok: true });
    expect(fake.count('acme')).toBe(callsAfterStart + 1);
  });

  test('a recheck that is refused again keeps it rejected', async () => {
    let now = new Date('2026-03-01T10:00:00.000Z');
    const operator = new OperatorConnection(OPERATOR, client, () => now);
    operator.markKeyRejected();
    fake.setBehaviour('acme', { status: 401, body: '{"error":{"msg":"Unauthorized"}}' });
    now = new Date(now.getTime() + KEY_RECHECK_INTERVAL_MS + 1);
    expect(await operator.profile()).toEqual({ ok: false, failure: { kind: 'unauthorized', status: 401 } });
    const calls = fake.count('acme');
    expect(await operator.profile()).toEqual({ ok: false, failure: { kind: 'unauthorized', status: 401 } });
    expect(fake.count('acme')).toBe(calls);
  });
});

describe('checks after start-up', () => {
  /** A log that keeps its lines, and a clock the test moves. */
  function observed(verifier: AccountVerifier = client): { operator: OperatorConnection; lines: string[]; clock: { ms: number } } {
    const lines: string[] = [];
    const clock = { ms: VERIFIED_AT.getTime() };
    const log = {
      info: (fields: Record<string, unknown>, message: string) => lines.push(`info ${String(fields.event)} ${message}`),
      error: (fields: Record<string, unknown>, message: string) => lines.push(`error ${String(fields.event)} ${message}`),
    };
    return { operator: new OperatorConnection(OPERATOR, verifier, () => new Date(clock.ms), log), lines, clock };
  }

  test('the operator hears what a later check found, once per change: a 404 after a deferred start, then success', async () => {
    const { operator, lines, clock } = observed();
    fake.setBehaviourOnce('acme', jsonReply(503, {}));
    expect((await operator.verifyAtStartup()).verdict).toBe('deferred');

    fake.setBehaviour('acme', htmlPage(404, 'Not found'));
    expect((await operator.profile()).ok).toBe(false);
    clock.ms += KEY_RECHECK_INTERVAL_MS + 1;
    expect((await operator.profile()).ok).toBe(false);
    expect(lines).toEqual([expect.stringMatching(/^error operator\.verification_failed There is no Gorgias account at acme\.gorgias\.com/)]);

    fake.clearBehaviours();
    clock.ms += KEY_RECHECK_INTERVAL_MS + 1;
    expect((await operator.profile()).ok).toBe(true);
    expect(lines[1]).toBe('info operator.verified connected to acme.gorgias.com as ops@acme.com');
    for (const line of lines) expectNoSecret(line);
  });

  test('a refusal (404) is not asked again for a minute; a timeout not for 30 s; a quick 503 at the next use', async () => {
    const { operator, clock } = observed(impatientClient);
    fake.setBehaviourOnce('acme', jsonReply(503, {}));
    await operator.verifyAtStartup();

    fake.setBehaviourOnce('acme', htmlPage(404, 'Not found'));
    await operator.profile();
    const afterRefusal = fake.count('acme');
    await operator.profile();
    expect(fake.count('acme')).toBe(afterRefusal);

    clock.ms += KEY_RECHECK_INTERVAL_MS + 1;
    fake.setBehaviourOnce('acme', 'hang');
    expect(await operator.profile()).toEqual({ ok: false, failure: { kind: 'unavailable', reason: 'timeout' } });
    const afterTimeout = fake.count('acme');
    clock.ms += 20_000;
    expect(await operator.profile()).toEqual({ ok: false, failure: { kind: 'unavailable', reason: 'timeout' } });
    expect(fake.count('acme')).toBe(afterTimeout);
    expect(operator.knownFailure()).toEqual({ kind: 'unavailable', reason: 'timeout' });

    clock.ms += 11_000;
    fake.setBehaviourOnce('acme', jsonReply(503, {}));
    expect((await operator.profile()).ok).toBe(false);
    expect((await operator.profile()).ok).toBe(true);
    expect(fake.count('acme')).toBe(afterTimeout + 2);
  });
});
