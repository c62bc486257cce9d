/**
 * Keeps each Gorgias account under its request budget (40 requests per 20 seconds for API keys),
 * however many conversations use it at once: calls beyond the budget wait in a first-come,
 * first-served queue instead of failing with a 429.
 *
 * A slot is counted from the moment it is granted until `windowMs` after its request *finished*,
 * not after it started. A request reaches Gorgias at some instant between the two, so no window of
 * `windowMs` at Gorgias can ever see more than `maxRequests` of our requests, whatever the network
 * latency; counting from the start would let a slow request and a fast later one land in the same
 * window at the server. The price is a little throughput (each slot is held for one round trip
 * longer).
 *
 * Gorgias counts its budget per account across every integration using it, so our own count can be
 * right and Gorgias still answer 429. Its Retry-After then holds the whole account (see hold): no slot
 * is granted before it ends, whichever conversation asks. Calls that find the account held are
 * treated like calls behind a long queue: they wait if they may wait that long, and are refused at
 * once otherwise, with the wait as their estimate. A hold is state like any other and is forgotten
 * by the same idle sweep once it has ended.
 */

export interface RateBudget {
  maxRequests: number;
  windowMs: number;
}

export const GORGIAS_API_KEY_BUDGET: RateBudget = { maxRequests: 40, windowMs: 20_000 };

/** The longest hold honoured: an hour, the longest Retry-After the client reads (parseRetryAfterSeconds). */
export const MAX_HOLD_MS = 3_600_000;

export interface AcquireOptions {
  /**
   * Called at most once when the expected wait is longer than `longWaitMs`: at once when the
   * estimate says so, otherwise when the call is still waiting after `longWaitMs`.
   */
  onLongWait?: (estimatedWaitMs: number) => void;
  longWaitMs?: number;
  /** When the estimated wait is longer than this, give up at once instead of queueing. */
  maxWaitMs?: number;
  /**
   * When the account is held (see hold) for longer than this, give up at once; a call already
   * waiting gives up as soon as a hold this long begins. Unset: holds are waited for like the queue.
   */
  maxHoldWaitMs?: number;
}

export type SlotOutcome =
  | { ok: true; release: () => void }
  | { ok: false; reason: 'queue_too_long' | 'account_held'; estimatedWaitMs: number }
  | { ok: false; reason: 'closed' };

interface Waiter {
  grant: (outcome: SlotOutcome) => void;
  longWaitTimer?: NodeJS.Timeout;
  maxHoldWaitMs?: number;
}

interface AccountState {
  /** Granted slots whose request has not finished yet. */
  inFlight: number;
  /** When each recently finished request finished, oldest first; dropped once a window old. */
  finishedAt: number[];
  waiting: Waiter[];
  timer?: NodeJS.Timeout;
  /** No slot before this time: Gorgias's Retry-After (see hold). Cleared once it has passed. */
  heldUntil?: number;
}

export interface RateLimiterOptions {
  budget?: RateBudget;
  /** A monotonic clock in milliseconds; injectable for tests. */
  now?: () => number;
}

/** A failing callback must not break the queue (or, from a timer, crash the process). */
function notifySafely(callback: (waitMs: number) => void, waitMs: number): void {
  try {
    // An async callback (e.g. one that sends a chat message) returns a promise typed as void.
    const returned: unknown = callback(waitMs);
    if (returned instanceof Promise) returned.catch(() => undefined);
  } catch {
    // The wait goes on regardless; telling the user was only a courtesy.
  }
}

function validBudget(budget: RateBudget): boolean {
  return (
    Number.isSafeInteger(budget.maxRequests) && budget.maxRequests > 0 && Number.isFinite(budget.windowMs) && budget.windowMs > 0
  );
}

export class AccountRateLimiter {
  readonly budget: RateBudget;
  private readonly now: () => number;
  private readonly accounts = new Map<string, AccountState>();
  private closed = false;
  /** When idle accounts are next looked for; see forgetIdleAccounts. */
  private nextSweepAt = Number.NEGATIVE_INFINITY;

  constructor(options: RateLimiterOptions = {}) {
    const budget = options.budget ?? GORGIAS_API_KEY_BUDGET;
    if (!validBudget(budget)) {
      throw new Error('The rate budget needs a positive whole maxRequests and a positive windowMs.');
    }
    this.budget = { ...budget };
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Waits for a slot for `account`. The caller must call `release()` exactly once when its request
   * has finished (answered, failed or timed out); later calls to `release` are ignored.
   */
  acquire(account: string, options: AcquireOptions = {}): Promise<SlotOutcome> {
    if (this.closed) return Promise.resolve({ ok: false, reason: 'closed' });
    if (!this.accounts.has(account)) this.forgetIdleAccounts();
    const state = this.stateOf(account);
    const now = this.now();
    this.expire(state, now);
    if (state.waiting.length === 0 && this.hasFreeSlot(state)) {
      return Promise.resolve(this.grant(account, state));
    }

    const estimatedWaitMs = this.estimateWait(state, now, state.waiting.length);
    const { maxHoldWaitMs } = options;
    if (maxHoldWaitMs !== undefined && state.heldUntil !== undefined && state.heldUntil - now > maxHoldWaitMs) {
      return Promise.resolve({ ok: false, reason: 'account_held', estimatedWaitMs });
    }
    if (options.maxWaitMs !== undefined && estimatedWaitMs > options.maxWaitMs) {
      return Promise.resolve({ ok: false, reason: 'queue_too_long', estimatedWaitMs });
    }
    return new Promise<SlotOutcome>((resolve) => {
      const waiter: Waiter = {
        grant: (outcome) => {
          if (waiter.longWaitTimer !== undefined) clearTimeout(waiter.longWaitTimer);
          resolve(outcome);
        },
        maxHoldWaitMs,
      };
      const { onLongWait, longWaitMs = 0 } = options;
      if (onLongWait !== undefined) {
        if (estimatedWaitMs > longWaitMs) {
          notifySafely(onLongWait, estimatedWaitMs);
        } else {
          waiter.longWaitTimer = setTimeout(() => {
            waiter.longWaitTimer = undefined;
            const position = state.waiting.indexOf(waiter);
            if (position >= 0) notifySafely(onLongWait, this.estimateWait(state, this.now(), position));
          }, longWaitMs);
        }
      }
      state.waiting.push(waiter);
      this.pump(account);
    });
  }

  /**
   * Grants no slot for `account` during the next `durationMs` (at most MAX_HOLD_MS): Gorgias answered
   * 429 with that Retry-After. A later, shorter one does not shorten it (it may have been sent before),
   * and waiters that may not wait that long are refused now rather than when it ends.
   */
  hold(account: string, durationMs: number): void {
    if (this.closed || !(durationMs > 0)) return;
    if (!this.accounts.has(account)) this.forgetIdleAccounts();
    const state = this.stateOf(account);
    const now = this.now();
    const until = now + Math.min(durationMs, MAX_HOLD_MS);
    if (state.heldUntil !== undefined && state.heldUntil >= until) return;
    state.heldUntil = until;
    const estimatedWaitMs = Math.round(until - now);
    const refused = state.waiting.filter((waiter) => waiter.maxHoldWaitMs !== undefined && estimatedWaitMs > waiter.maxHoldWaitMs);
    if (refused.length > 0) {
      state.waiting = state.waiting.filter((waiter) => !refused.includes(waiter));
      for (const waiter of refused) waiter.grant({ ok: false, reason: 'account_held', estimatedWaitMs });
    }
    this.pump(account);
  }

  /** How many accounts the limiter keeps state for (for tests: idle ones must not pile up). */
  get trackedAccounts(): number {
    return this.accounts.size;
  }

  /** How many calls are waiting for `account` (for logs and tests). */
  queueLength(account: string): number {
    return this.accounts.get(account)?.waiting.length ?? 0;
  }

  /** Refuses every waiting and later call with `closed`; slots already granted may still be released. */
  close(): void {
    this.closed = true;
    for (const state of this.accounts.values()) {
      if (state.timer !== undefined) clearTimeout(state.timer);
      state.timer = undefined;
      for (const waiter of state.waiting.splice(0)) waiter.grant({ ok: false, reason: 'closed' });
    }
    this.accounts.clear();
  }

  private stateOf(account: string): AccountState {
    let state = this.accounts.get(account);
    if (state === undefined) {
      state = { inFlight: 0, finishedAt: [], waiting: [] };
      this.accounts.set(account, state);
    }
    return state;
  }

  /** Whether a slot could be granted now; `expire` must have run at this time, so any hold is current. */
  private hasFreeSlot(state: AccountState): boolean {
    return state.heldUntil === undefined && this.withinBudget(state);
  }

  private withinBudget(state: AccountState): boolean {
    return state.inFlight + state.finishedAt.length < this.budget.maxRequests;
  }

  private expire(state: AccountState, now: number): void {
    let expired = 0;
    while (expired < state.finishedAt.length && state.finishedAt[expired] + this.budget.windowMs <= now) expired += 1;
    if (expired > 0) state.finishedAt.splice(0, expired);
    if (state.heldUntil !== undefined && state.heldUntil <= now) state.heldUntil = undefined;
  }

  private grant(account: string, state: AccountState): SlotOutcome {
    state.inFlight += 1;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        state.inFlight -= 1;
        // After close() the state is detached; nothing waits on it any more.
        if (this.accounts.get(account) !== state) return;
        state.finishedAt.push(this.now());
        this.pump(account);
      },
    };
  }

  /** Grants what the budget allows, in order, and sets a timer for when the next slot frees up. */
  private pump(account: string): void {
    const state = this.accounts.get(account);
    if (state === undefined) return;
    if (state.timer !== undefined) {
      clearTimeout(state.timer);
      state.timer = undefined;
    }
    const now = this.now();
    this.expire(state, now);
    while (state.waiting.length > 0 && this.hasFreeSlot(state)) {
      const waiter = state.waiting.shift() as Waiter;
      waiter.grant(this.grant(account, state));
    }
    if (state.waiting.length === 0) return;
    // With every slot in flight, the next release pumps; otherwise the oldest finished slot expires,
    // or the hold ends, whichever is later.
    let wakeAt = !this.withinBudget(state) && state.finishedAt.length > 0 ? state.finishedAt[0] + this.budget.windowMs : undefined;
    if (state.heldUntil !== undefined) wakeAt = Math.max(wakeAt ?? state.heldUntil, state.heldUntil);
    if (wakeAt !== undefined) {
      // At least 1 ms: timers may fire a hair early, and pump re-checks against the clock anyway.
      const delay = Math.max(1, Math.ceil(wakeAt - now));
      state.timer = setTimeout(() => {
        state.timer = undefined;
        this.pump(account);
      }, delay);
    }
  }

  /**
   * When the waiter at `position` would get its slot if every request in flight finished now and
   * later ones took no time: a lower bound, good enough to tell a person the bot is busy.
   */
  private estimateWait(state: AccountState, now: number, position: number): number {
    const { maxRequests, windowMs } = this.budget;
    // When each occupied slot frees up, ascending; each granted waiter adds one a window later.
    const freesAt = [...state.finishedAt.map((time) => time + windowMs), ...Array<number>(state.inFlight).fill(now + windowMs)];
    // Nothing is granted before a hold ends.
    const earliest = Math.max(now, state.heldUntil ?? now);
    let free = maxRequests - freesAt.length;
    let next = 0;
    let grantedAt = now;
    for (let index = 0; index <= position; index += 1) {
      if (free > 0) {
        free -= 1;
        grantedAt = earliest;
      } else {
        grantedAt = Math.max(earliest, freesAt[next]);
        next += 1;
      }
      freesAt.push(grantedAt + windowMs);
    }
    return Math.max(0, Math.round(grantedAt - now));
  }

  /**
   * Drops accounts with nothing in flight, waiting, within the window or held. At most once a window: looking
   * at every account on each new one cost a turn more the more accounts were active (with one account
   * per conversation, about 2% of a turn in `npm run bench -- --profile`). An idle account is so dropped
   * at the first new account to arrive more than a window after the last sweep; with no new accounts,
   * nothing grows.
   */
  private forgetIdleAccounts(): void {
    const now = this.now();
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + this.budget.windowMs;
    for (const [account, state] of this.accounts) {
      this.expire(state, now);
      const idle = state.inFlight === 0 && state.waiting.length === 0 && state.finishedAt.length === 0 && state.heldUntil === undefined;
      if (idle) this.accounts.delete(account);
    }
  }
}
