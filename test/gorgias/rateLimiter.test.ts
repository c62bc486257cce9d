import { AccountRateLimiter, MAX_HOLD_MS, type SlotOutcome } from '../../src/gorgias/rateLimiter';
import type { GorgiasCredentials, GorgiasResult } from '../../src/gorgias/types';
import { jsonReply, type FakeReply } from '../support/fakeGorgias';
import { clientFixture } from '../support/clientFixture';

const ACME: GorgiasCredentials = { subdomain: 'acme', email: 'agent@acme.com', apiKey: 'key-acme-123456' };
const GLOBEX: GorgiasCredentials = { subdomain: 'globex', email: 'ops@globex.com', apiKey: 'key-globex-999' };

describe('the client against a rate-limited account', () => {
  const { fake, makeClient } = clientFixture((gorgias) => {
    gorgias.addAccount({ subdomain: 'acme', users: [{ email: ACME.email, apiKey: ACME.apiKey }] });
    gorgias.addAccount({ subdomain: 'globex', users: [{ email: GLOBEX.email, apiKey: GLOBEX.apiKey }] });
    for (let id = 1; id <= 3; id += 1) gorgias.addTicket('acme', { id, subject: `Ticket ${id}` });
  });

  test('many concurrent calls on one account queue instead of failing, and never exceed the budget at the server', async () => {
    const budget = { maxRequests: 4, windowMs: 250 };
    fake.setRateLimit('acme', { max: budget.maxRequests, windowMs: budget.windowMs });
    const client = makeClient({ rateLimit: budget });

    // As if several conversations shared the operator's account at once.
    const calls: Promise<GorgiasResult<unknown>>[] = [];
    for (let n = 0; n < 14; n += 1) {
      const id = (n % 3) + 1;
      calls.push(n % 4 === 0 ? client.verifyAccount(ACME) : n % 4 === 1 ? client.listTickets(ACME) : client.getTicket(ACME, id));
    }
    const results = await Promise.all(calls);

    expect(results.filter((result) => !result.ok)).toEqual([]);
    expect(fake.count('acme')).toBe(14);
    expect(fake.requests.filter((request) => request.rateLimited)).toEqual([]);
    expect(fake.busiestWindow('acme', budget.windowMs)).toBeLessThanOrEqual(budget.maxRequests);
  });

  test('without a budget of its own the same burst would have been refused (the fake really enforces it)', async () => {
    fake.setRateLimit('acme', { max: 4, windowMs: 60_000 });
    const client = makeClient({ maxAutoRetryAfterSeconds: 0 });

    const results = await Promise.all(Array.from({ length: 6 }, () => client.getTicket(ACME, 1)));

    expect(results.filter((result) => result.ok)).toHaveLength(4);
    expect(results.filter((result) => !result.ok && result.failure.kind === 'rate_limited')).toHaveLength(2);
    const refused = fake.requests.find((request) => request.rateLimited);
    expect(refused).toBeDefined();
  });

  test('the fake announces its budget in X-Gorgias-Account-Api-Call-Limit and Retry-After', async () => {
    fake.setRateLimit('acme', { max: 1, windowMs: 60_000 });
    const url = `${fake.urlTemplate.replace('{subdomain}', 'acme')}/api/account`;
    const headers = { authorization: `Basic ${Buffer.from(`${ACME.email}:${ACME.apiKey}`).toString('base64')}`, connection: 'close' };

    const accepted = await fetch(url, { headers });
    const refused = await fetch(url, { headers });
    await Promise.all([accepted.text(), refused.text()]);

    expect(accepted.status).toBe(200);
    expect(accepted.headers.get('x-gorgias-account-api-call-limit')).toBe('1/1');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(refused.headers.get('x-gorgias-account-api-call-limit')).toBe('1/1');
  });

  test('accounts do not share a budget', async () => {
    const budget = { maxRequests: 2, windowMs: 1000 };
    const client = makeClient({ rateLimit: budget });

    const acmeCalls = Array.from({ length: 3 }, () => client.getTicket(ACME, 1));
    const globexCalls = Array.from({ length: 2 }, () => client.verifyAccount(GLOBEX));
    await Promise.all([...acmeCalls, ...globexCalls]);

    // The third acme call waited for acme's window; globex's calls went straight through.
    const order = fake.requests.map((request) => request.subdomain);
    expect(order.slice(-1)).toEqual(['acme']);
    expect(order.filter((subdomain) => subdomain === 'globex')).toHaveLength(2);
    expect(fake.busiestWindow('acme', budget.windowMs)).toBeLessThanOrEqual(2);
  });

  test('a call that has to wait long is announced once through onQueued; short waits are not', async () => {
    const client = makeClient({ rateLimit: { maxRequests: 2, windowMs: 5000 }, busyNoticeMs: 1000 });
    const waits: number[][] = [[], [], []];

    const calls = waits.map((list) => client.getTicket(ACME, 1, { onQueued: (waitMs) => list.push(waitMs) }));
    await Promise.all(calls.slice(0, 2));

    expect(waits[0]).toEqual([]);
    expect(waits[1]).toEqual([]);
    expect(waits[2]).toHaveLength(1);
    expect(waits[2][0]).toBeGreaterThan(1000);
    expect(waits[2][0]).toBeLessThanOrEqual(5000);
    // Closing ends the queued call at once instead of after the window.
    client.close();
    expect(await calls[2]).toEqual({ ok: false, failure: { kind: 'unavailable', reason: 'connection' } });
    expect(fake.count('acme')).toBe(2);
  });

  test('an onQueued that throws does not break the call', async () => {
    const client = makeClient({ rateLimit: { maxRequests: 1, windowMs: 300 }, busyNoticeMs: 0 });

    const first = client.getTicket(ACME, 1);
    const second = client.getTicket(ACME, 2, {
      onQueued: () => {
        throw new Error('the chat is gone');
      },
    });

    expect((await first).ok).toBe(true);
    expect((await second).ok).toBe(true);
  });

  test('a wait longer than maxQueueWaitMs fails at once as rate limited, without a request', async () => {
    const client = makeClient({ rateLimit: { maxRequests: 1, windowMs: 60_000 }, maxQueueWaitMs: 5000 });

    expect((await client.getTicket(ACME, 1)).ok).toBe(true);
    const refused = await client.createTicket(ACME, { customerEmail: 'jane@example.com', subject: 's', message: 'm' });

    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.failure).toMatchObject({ kind: 'rate_limited', status: 429 });
    expect(!refused.ok && refused.failure.kind === 'rate_limited' && refused.failure.retryAfterSeconds).toBeGreaterThan(55);
    expect(fake.count('acme')).toBe(1);
  });

  test('the client refuses a budget that makes no sense', () => {
    expect(() => makeClient({ rateLimit: { maxRequests: 0, windowMs: 1000 } })).toThrow();
    expect(() => makeClient({ rateLimit: { maxRequests: 1.5, windowMs: 1000 } })).toThrow();
    expect(() => makeClient({ rateLimit: { maxRequests: 5, windowMs: -1 } })).toThrow();
    expect(() => makeClient({ maxQueueWaitMs: Number.NaN })).toThrow();
  });
});

describe("the client after Gorgias's Retry-After", () => {
  const { fake, makeClient } = clientFixture((gorgias) => {
    gorgias.addAccount({ subdomain: 'acme', users: [{ email: ACME.email, apiKey: ACME.apiKey }] });
    gorgias.addAccount({ subdomain: 'globex', users: [{ email: GLOBEX.email, apiKey: GLOBEX.apiKey }] });
    for (let id = 1; id <= 3; id += 1) gorgias.addTicket('acme', { id, subject: `Ticket ${id}` });
  });
  const NEW_TICKET = { customerEmail: 'jane@example.com', subject: 's', message: 'm' };
  const tooMany = (retryAfter?: string): FakeReply =>
    jsonReply(429, { error: { msg: 'Too many requests.' } }, retryAfter === undefined ? {} : { 'retry-after': retryAfter });
  const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  function retryAfterOf(result: GorgiasResult<unknown>): number | undefined {
    return !result.ok && result.failure.kind === 'rate_limited' ? result.failure.retryAfterSeconds : undefined;
  }

  test('a 429 with Retry-After: 30 holds the account: the next read and create fail at once with the seconds left, unsent', async () => {
    fake.setBehaviourOnce('acme', tooMany('30'));
    const client = makeClient();
    expect(retryAfterOf(await client.getTicket(ACME, 1))).toBe(30);

    const read = await client.getTicket(ACME, 2);
    const create = await client.createTicket(ACME, NEW_TICKET);

    for (const refused of [read, create]) {
      expect(!refused.ok && refused.failure).toMatchObject({ kind: 'rate_limited', status: 429 });
      expect(retryAfterOf(refused)).toBeGreaterThanOrEqual(28);
      expect(retryAfterOf(refused)).toBeLessThanOrEqual(30);
    }
    expect(fake.count('acme')).toBe(1);
    // The hold is the account's: another account using the same client is not held.
    expect((await client.verifyAccount(GLOBEX)).ok).toBe(true);
  });

  test('once the hold has passed, calls go through again', async () => {
    fake.setBehaviourOnce('acme', tooMany('1'));
    // No waiting on a hold at all, so the refusal and the end of the hold can both be seen.
    const client = makeClient({ maxAutoRetryAfterSeconds: 0 });
    expect(retryAfterOf(await client.getTicket(ACME, 1))).toBe(1);
    expect(retryAfterOf(await client.createTicket(ACME, NEW_TICKET))).toBe(1);
    expect(fake.count('acme')).toBe(1);

    await pause(1100);

    expect((await client.getTicket(ACME, 1)).ok).toBe(true);
    expect((await client.createTicket(ACME, NEW_TICKET)).ok).toBe(true);
    expect(fake.count('acme')).toBe(3);
  });

  test('a hold no longer than a read would wait by itself is waited for, with the busy notice', async () => {
    // A create is never retried, so its 429 leaves the hold for the next call to meet.
    fake.setBehaviourOnce('acme', tooMany('1'));
    const client = makeClient({ busyNoticeMs: 500 });
    expect(retryAfterOf(await client.createTicket(ACME, NEW_TICKET))).toBe(1);
    const waits: number[] = [];

    const read = await client.getTicket(ACME, 1, { onQueued: (waitMs) => waits.push(waitMs) });

    expect(read.ok).toBe(true);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(500);
    expect(waits[0]).toBeLessThanOrEqual(1000);
    const [post, get] = fake.requests;
    expect([post.method, get.method]).toEqual(['POST', 'GET']);
    // Not sent before the Retry-After had passed (the fake and the client share this clock).
    expect(get.receivedAt - post.receivedAt).toBeGreaterThanOrEqual(990);
  });

  test('a call already queued when a long hold begins is refused then, not sent after it', async () => {
    fake.setBehaviourOnce('acme', { ...tooMany('30'), delayMs: 100 });
    const client = makeClient({ rateLimit: { maxRequests: 1, windowMs: 1000 } });

    const first = client.getTicket(ACME, 1);
    const queued = client.createTicket(ACME, NEW_TICKET);

    expect(retryAfterOf(await first)).toBe(30);
    expect(retryAfterOf(await queued)).toBeGreaterThanOrEqual(29);
    expect(fake.count('acme')).toBe(1);
  });

  test('a 429 without a Retry-After does not hold the account (the 20 s it reports is only a guess)', async () => {
    fake.setBehaviourOnce('acme', tooMany());
    const client = makeClient();
    expect(retryAfterOf(await client.getTicket(ACME, 1))).toBe(20);

    expect((await client.getTicket(ACME, 1)).ok).toBe(true);
    expect(fake.count('acme')).toBe(2);
  });

  test('a hold is at most an hour, whatever Gorgias says', async () => {
    fake.setBehaviourOnce('acme', tooMany('999999'));
    const client = makeClient();
    expect(retryAfterOf(await client.getTicket(ACME, 1))).toBe(3600);

    const refused = retryAfterOf(await client.createTicket(ACME, NEW_TICKET));
    expect(refused).toBeGreaterThan(3590);
    expect(refused).toBeLessThanOrEqual(3600);
    expect(fake.count('acme')).toBe(1);
  });
});

describe('AccountRateLimiter', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function limiter(maxRequests: number, windowMs: number): AccountRateLimiter {
    return new AccountRateLimiter({ budget: { maxRequests, windowMs }, now: () => Date.now() });
  }

  function granted(outcome: SlotOutcome): () => void {
    if (!outcome.ok) throw new Error(`Expected a slot, got ${JSON.stringify(outcome)}`);
    return outcome.release;
  }

  /** Records the order in which queued acquisitions are granted. */
  function track(promise: Promise<SlotOutcome>, name: string, log: string[]): Promise<() => void> {
    return promise.then((outcome) => {
      log.push(name);
      return granted(outcome);
    });
  }

  test('grants up to the budget at once, then in order as the window passes after each release', async () => {
    const rate = limiter(2, 1000);
    const log: string[] = [];
    const a = await track(rate.acquire('acme'), 'a', log);
    const b = await track(rate.acquire('acme'), 'b', log);
    const c = track(rate.acquire('acme'), 'c', log);
    const d = track(rate.acquire('acme'), 'd', log);

    await jest.advanceTimersByTimeAsync(5000);
    expect(log).toEqual(['a', 'b']);
    expect(rate.queueLength('acme')).toBe(2);

    a();
    await jest.advanceTimersByTimeAsync(999);
    expect(log).toEqual(['a', 'b']);
    await jest.advanceTimersByTimeAsync(1);
    expect(log).toEqual(['a', 'b', 'c']);

    b();
    await jest.advanceTimersByTimeAsync(1000);
    expect(log).toEqual(['a', 'b', 'c', 'd']);
    (await c)();
    (await d)();
  });

  test('a slow request keeps its slot until a window after it finishes', async () => {
    const rate = limiter(1, 100);
    const log: string[] = [];
    const slow = await track(rate.acquire('acme'), 'slow', log);
    const next = track(rate.acquire('acme'), 'next', log);

    await jest.advanceTimersByTimeAsync(10_000);
    expect(log).toEqual(['slow']);
    slow();
    await jest.advanceTimersByTimeAsync(99);
    expect(log).toEqual(['slow']);
    await jest.advanceTimersByTimeAsync(1);
    expect(log).toEqual(['slow', 'next']);
    (await next)();
  });

  test('releasing twice frees one slot only', async () => {
    const rate = limiter(1, 100);
    const release = granted(await rate.acquire('acme'));
    release();
    release();
    await jest.advanceTimersByTimeAsync(100);

    const first = granted(await rate.acquire('acme'));
    let secondGranted = false;
    void rate.acquire('acme').then((outcome) => (secondGranted = outcome.ok));
    await jest.advanceTimersByTimeAsync(1000);
    expect(secondGranted).toBe(false);
    first();
    rate.close();
  });

  test('estimates the wait from its place in the queue and says so once when it is long', async () => {
    const rate = limiter(2, 1000);
    granted(await rate.acquire('acme'))();
    granted(await rate.acquire('acme'))();
    const waits: number[] = [];

    void rate.acquire('acme', { longWaitMs: 500, onLongWait: (ms) => waits.push(ms) });
    void rate.acquire('acme', { longWaitMs: 500, onLongWait: (ms) => waits.push(ms) });
    void rate.acquire('acme', { longWaitMs: 500, onLongWait: (ms) => waits.push(ms) });

    // Two slots free at 1000 ms; the third waiter needs one of those again, a window later.
    expect(waits).toEqual([1000, 1000, 2000]);
    rate.close();
  });

  test('announces a wait that turned out long although the estimate was short', async () => {
    const rate = limiter(1, 100);
    const stuck = granted(await rate.acquire('acme'));
    const waits: number[] = [];

    void rate.acquire('acme', { longWaitMs: 2000, onLongWait: (ms) => waits.push(ms) });
    expect(waits).toEqual([]);
    await jest.advanceTimersByTimeAsync(2000);

    expect(waits).toHaveLength(1);
    stuck();
    rate.close();
  });

  test('refuses at once when the estimated wait exceeds maxWaitMs', async () => {
    const rate = limiter(1, 60_000);
    granted(await rate.acquire('acme'))();

    expect(await rate.acquire('acme', { maxWaitMs: 1000 })).toEqual({ ok: false, reason: 'queue_too_long', estimatedWaitMs: 60_000 });
    expect(rate.queueLength('acme')).toBe(0);
  });

  test('accounts have separate budgets', async () => {
    const rate = limiter(1, 60_000);
    granted(await rate.acquire('acme'));

    expect((await rate.acquire('globex')).ok).toBe(true);
    rate.close();
  });

  test('idle accounts are forgotten within two windows, and busy ones are kept', async () => {
    const rate = limiter(1, 1000);
    const busy = granted(await rate.acquire('busy'));
    for (let n = 0; n < 50; n += 1) granted(await rate.acquire(`tenant-${n}`))();
    expect(rate.trackedAccounts).toBe(51);

    // Their requests finished at once, so a window later nothing holds them; the next new account sweeps.
    await jest.advanceTimersByTimeAsync(2000);
    granted(await rate.acquire('newcomer'))();

    expect(rate.trackedAccounts).toBe(2);
    // The account still in flight kept its state: its one slot is taken, so the next call waits.
    const next = rate.acquire('busy');
    expect(rate.queueLength('busy')).toBe(1);
    busy();
    rate.close();
    await next;
  });

  test('a new account does not look at every other one each time: at most one sweep a window', async () => {
    const rate = limiter(1, 1000);
    const use = async (account: string): Promise<void> => granted(await rate.acquire(account))();
    await use('a'); // t=0: sweeps, next sweep at 1000
    await jest.advanceTimersByTimeAsync(1000);
    await use('b'); // t=1000: sweeps (a goes), next at 2000
    await jest.advanceTimersByTimeAsync(100);
    await use('c'); // t=1100: no sweep
    await jest.advanceTimersByTimeAsync(950);
    await use('d'); // t=2050: sweeps (b goes; c is inside its window until 2100), next at 3050
    expect(rate.trackedAccounts).toBe(2);
    await jest.advanceTimersByTimeAsync(150);
    await use('e'); // t=2200: c is idle now, but the last sweep was under a window ago
    expect(rate.trackedAccounts).toBe(3);
    await jest.advanceTimersByTimeAsync(900);
    await use('f'); // t=3100: sweeps (c and d go)
    expect(rate.trackedAccounts).toBe(2);
    rate.close();
  });

  test('close refuses waiting and later calls', async () => {
    const rate = limiter(1, 60_000);
    granted(await rate.acquire('acme'));
    const waiting = rate.acquire('acme');

    rate.close();

    expect(await waiting).toEqual({ ok: false, reason: 'closed' });
    expect(await rate.acquire('acme')).toEqual({ ok: false, reason: 'closed' });
  });

  test('the rejection of an async onLongWait is handled, so it cannot crash the process', async () => {
    const rate = limiter(1, 60_000);
    granted(await rate.acquire('acme'));
    const rejected = Promise.reject(new Error('chat gone'));
    const handled = jest.spyOn(rejected, 'catch');

    // An async callback is assignable to the void-returning type; that is the case guarded against.
    const asyncCallback: (waitMs: number) => void = () => rejected;
    void rate.acquire('acme', { longWaitMs: 0, onLongWait: asyncCallback });

    expect(handled).toHaveBeenCalled();
    rate.close();
  });
  describe('hold', () => {
    test('grants nothing until the hold ends, then the waiting calls in order', async () => {
      const rate = limiter(5, 1000);
      const log: string[] = [];
      rate.hold('acme', 2000);
      const a = track(rate.acquire('acme'), 'a', log);
      const b = track(rate.acquire('acme'), 'b', log);

      await jest.advanceTimersByTimeAsync(1999);
      expect(log).toEqual([]);
      await jest.advanceTimersByTimeAsync(1);
      expect(log).toEqual(['a', 'b']);
      (await a)();
      (await b)();
      // Over: the next call is granted at once.
      expect((await rate.acquire('acme')).ok).toBe(true);
      rate.close();
    });

    test('a call that may not wait that long is refused at once, with the wait left; one that may, waits', async () => {
      const rate = limiter(5, 1000);
      rate.hold('acme', 30_000);
      await jest.advanceTimersByTimeAsync(1000);

      expect(await rate.acquire('acme', { maxHoldWaitMs: 5000 })).toEqual({ ok: false, reason: 'account_held', estimatedWaitMs: 29_000 });
      const waits: number[] = [];
      void rate.acquire('acme', { maxHoldWaitMs: 60_000, longWaitMs: 2000, onLongWait: (ms) => waits.push(ms) });
      expect(rate.queueLength('acme')).toBe(1);
      // The busy notice counts the hold in.
      expect(waits).toEqual([29_000]);
      // Other accounts are not held.
      expect((await rate.acquire('globex', { maxHoldWaitMs: 0 })).ok).toBe(true);
      rate.close();
    });

    test('the queue wait counts the hold in too, against maxWaitMs', async () => {
      const rate = limiter(5, 1000);
      rate.hold('acme', 10_000);

      expect(await rate.acquire('acme', { maxWaitMs: 5000 })).toEqual({ ok: false, reason: 'queue_too_long', estimatedWaitMs: 10_000 });
      rate.close();
    });

    test('calls already waiting that may not wait as long as a new hold are refused when it begins', async () => {
      const rate = limiter(1, 1000);
      const inFlight = granted(await rate.acquire('acme'));
      const patient = rate.acquire('acme', { maxHoldWaitMs: 60_000 });
      const hasty = rate.acquire('acme', { maxHoldWaitMs: 5000 });

      rate.hold('acme', 30_000);
      inFlight();

      expect(await hasty).toEqual({ ok: false, reason: 'account_held', estimatedWaitMs: 30_000 });
      expect(rate.queueLength('acme')).toBe(1);
      await jest.advanceTimersByTimeAsync(29_999);
      expect(rate.queueLength('acme')).toBe(1);
      await jest.advanceTimersByTimeAsync(1);
      granted(await patient)();
      rate.close();
    });

    test('a later, shorter hold does not end a longer one early', async () => {
      const rate = limiter(5, 1000);
      rate.hold('acme', 30_000);
      rate.hold('acme', 1000);

      expect(await rate.acquire('acme', { maxHoldWaitMs: 0 })).toMatchObject({ reason: 'account_held', estimatedWaitMs: 30_000 });
      rate.hold('acme', 60_000);
      expect(await rate.acquire('acme', { maxHoldWaitMs: 0 })).toMatchObject({ reason: 'account_held', estimatedWaitMs: 60_000 });
      rate.close();
    });

    test('is capped at MAX_HOLD_MS', async () => {
      const rate = limiter(5, 1000);
      rate.hold('acme', 10 * MAX_HOLD_MS);

      expect(await rate.acquire('acme', { maxHoldWaitMs: 0 })).toMatchObject({ reason: 'account_held', estimatedWaitMs: MAX_HOLD_MS });
      rate.close();
    });

    test('a held account is kept while held and forgotten by the sweep once the hold is over', async () => {
      const rate = limiter(1, 1000);
      const use = async (account: string): Promise<void> => granted(await rate.acquire(account))();
      rate.hold('held', 5000);
      expect(rate.trackedAccounts).toBe(1);

      await jest.advanceTimersByTimeAsync(2000);
      await use('a'); // t=2000: sweeps; the hold has 3 s to go
      expect(rate.trackedAccounts).toBe(2);

      await jest.advanceTimersByTimeAsync(4000);
      await use('b'); // t=6000: sweeps; the hold ended at 5000, a's window at 3000
      expect(rate.trackedAccounts).toBe(1);
      // Forgotten means over: nothing is held any more.
      expect((await rate.acquire('held', { maxHoldWaitMs: 0 })).ok).toBe(true);
      rate.close();
    });

    test('does nothing after close or for a non-positive duration', async () => {
      const rate = limiter(1, 1000);
      rate.hold('acme', 0);
      rate.hold('acme', Number.NaN);
      expect((await rate.acquire('acme', { maxHoldWaitMs: 0 })).ok).toBe(true);
      rate.close();
      rate.hold('globex', 1000);
      expect(rate.trackedAccounts).toBe(0);
    });
  });
});
