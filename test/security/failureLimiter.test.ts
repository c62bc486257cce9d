/**
 * FailureLimiter on real bot storage, with an injected clock: no waiting, no timing.
 */
import { MemoryStorage } from 'botbuilder';
import { FailureLimiter, type FailureScope } from '../../src/security/failureLimiter';

const MINUTE = 60_000;
const WINDOW = 15 * MINUTE;

function scope(user: string, conversation = 'conversation-1'): FailureScope {
  return { userKey: `test/users/${user}`, conversationKey: `test/conversations/${conversation}` };
}

function clock(start = Date.UTC(2024, 4, 1, 12, 0, 0)) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

async function fail(limiter: FailureLimiter, at: FailureScope, times: number, time?: ReturnType<typeof clock>, stepMs = 0): Promise<void> {
  for (let i = 0; i < times; i += 1) {
    await limiter.recordFailure(at);
    time?.advance(stepMs);
  }
}

describe('FailureLimiter', () => {
  test('allows up to the limit, then refuses until the oldest counted failure leaves the window', async () => {
    const time = clock();
    const limiter = new FailureLimiter(new MemoryStorage(), 5, WINDOW, time.now);
    const alice = scope('alice');
    const firstFailureAt = time.now();

    await fail(limiter, alice, 4, time, MINUTE);
    expect(await limiter.check(alice)).toEqual({ allowed: true });
    await fail(limiter, alice, 1, time, MINUTE);

    const refused = await limiter.check(alice);
    expect(refused.allowed).toBe(false);
    if (refused.allowed) return;
    expect(refused.retryAt.getTime()).toBe(firstFailureAt + WINDOW);

    // One millisecond before that moment, still refused; at it, one attempt is allowed again.
    time.advance(firstFailureAt + WINDOW - time.now() - 1);
    expect((await limiter.check(alice)).allowed).toBe(false);
    time.advance(1);
    expect(await limiter.check(alice)).toEqual({ allowed: true });
    // ...and only one: a new failure fills the window again, until the second-oldest leaves.
    await limiter.recordFailure(alice);
    const again = await limiter.check(alice);
    expect(again.allowed).toBe(false);
    if (!again.allowed) expect(again.retryAt.getTime()).toBe(firstFailureAt + MINUTE + WINDOW);
  });

  test('failures older than the window do not count', async () => {
    const time = clock();
    const limiter = new FailureLimiter(new MemoryStorage(), 3, WINDOW, time.now);
    const alice = scope('alice');
    await fail(limiter, alice, 2);
    time.advance(WINDOW + 1);
    await fail(limiter, alice, 2);
    expect(await limiter.check(alice)).toEqual({ allowed: true });
  });

  test('the per-conversation bucket catches several users taking turns in one conversation', async () => {
    const time = clock();
    const limiter = new FailureLimiter(new MemoryStorage(), 5, WINDOW, time.now);
    const users = ['u1', 'u2', 'u3', 'u4', 'u5'];
    for (const user of users) await fail(limiter, scope(user), 1, time, 1000);

    // Nobody failed more than once, yet the conversation is locked for all of them and for newcomers.
    for (const user of [...users, 'newcomer']) expect((await limiter.check(scope(user))).allowed).toBe(false);
    // The same users elsewhere are fine: each of them is far from the per-user limit.
    expect(await limiter.check(scope('u1', 'conversation-2'))).toEqual({ allowed: true });
  });

  test('the per-user bucket follows a user into other conversations', async () => {
    const limiter = new FailureLimiter(new MemoryStorage(), 5, WINDOW, clock().now);
    for (const conversation of ['c1', 'c2', 'c3', 'c4', 'c5']) await fail(limiter, scope('mallory', conversation), 1);
    expect((await limiter.check(scope('mallory', 'c6'))).allowed).toBe(false);
    expect(await limiter.check(scope('alice', 'c6'))).toEqual({ allowed: true });
  });

  test('survives a restart: the counts live in the storage, not in the limiter', async () => {
    const storage = new MemoryStorage();
    const time = clock();
    await fail(new FailureLimiter(storage, 5, WINDOW, time.now), scope('alice'), 5);
    expect((await new FailureLimiter(storage, 5, WINDOW, time.now).check(scope('alice'))).allowed).toBe(false);
  });

  test('two instances recording at the same moment lose no failure (eTag-checked writes)', async () => {
    const storage = new MemoryStorage();
    const time = clock();
    const first = new FailureLimiter(storage, 5, WINDOW, time.now);
    const second = new FailureLimiter(storage, 5, WINDOW, time.now);
    // The records exist already (botbuilder's Storage has no "create only if absent", so two instances
    // creating the very first record at once can still lose one failure).
    await first.recordFailure(scope('alice'));
    await Promise.all([first.recordFailure(scope('alice')), second.recordFailure(scope('alice'))]);
    await Promise.all([first.recordFailure(scope('alice')), second.recordFailure(scope('alice'))]);
    expect((await first.check(scope('alice'))).allowed).toBe(false);
  });

  test('a burst of first failures from several conversations at once is counted in full', async () => {
    const storage = new MemoryStorage();
    const time = clock();
    const limiter = new FailureLimiter(storage, 5, WINDOW, time.now);
    // The same user guessing in five conversations at the same moment, before any record exists.
    await Promise.all(Array.from({ length: 5 }, (_, n) => limiter.recordFailure(scope('mallory', `conversation-${n}`))));

    expect((await limiter.check(scope('mallory', 'conversation-new'))).allowed).toBe(false);
    const stored = (await storage.read(['auth-failures/test/users/mallory']))['auth-failures/test/users/mallory'] as { failures: number[] };
    expect(stored.failures).toHaveLength(5);
  });

  test('keeps its records small however long an attacker goes on', async () => {
    const storage = new MemoryStorage();
    const time = clock();
    const limiter = new FailureLimiter(storage, 5, WINDOW, time.now);
    await fail(limiter, scope('mallory'), 200, time, 1000);
    const records = await storage.read(['auth-failures/test/users/mallory', 'auth-failures/test/conversations/conversation-1']);
    for (const record of Object.values(records)) expect((record as { failures: number[] }).failures.length).toBeLessThanOrEqual(5);
  });

  test('stored junk counts as no failures rather than crashing', async () => {
    const storage = new MemoryStorage();
    await storage.write({ 'auth-failures/test/users/alice': { failures: ['x', null, {}], eTag: '*' } });
    await storage.write({ 'auth-failures/test/conversations/conversation-1': { failures: 'not a list', eTag: '*' } });
    const limiter = new FailureLimiter(storage, 1, WINDOW, clock().now);
    expect(await limiter.check(scope('alice'))).toEqual({ allowed: true });
    await limiter.recordFailure(scope('alice'));
    expect((await limiter.check(scope('alice'))).allowed).toBe(false);
  });
});
