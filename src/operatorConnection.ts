/**
 * The operator's pre-authorized Gorgias connection (GORGIAS_AUTH_MODE=preauthorized): verified once at
 * start and, when Gorgias could not answer then, again on first use. SDK-free.
 */
import type { ConnectedProfile } from './profile/profile';
import type { GorgiasAccount, GorgiasCredentials, GorgiasFailure, GorgiasResult } from './gorgias/types';

export interface AccountVerifier {
  verifyAccount(credentials: GorgiasCredentials): Promise<GorgiasResult<GorgiasAccount>>;
}

export type StartupVerdict =
  | { verdict: 'connected'; account: GorgiasAccount }
  /** Gorgias refused these credentials, or they point at no account: the bot must not start with them. */
  | { verdict: 'fatal'; failure: GorgiasFailure; message: string }
  /** Gorgias could not answer now (timeout, 5xx, 429); the bot starts and verifies again on first use. */
  | { verdict: 'deferred'; failure: GorgiasFailure; message: string };

/**
 * Only these may pass on their own; anything else (a refused key, no account at that subdomain, an answer
 * the check path cannot give) would fail the same way on every turn, so the operator must hear about it now.
 */
export function isTransientFailure(failure: GorgiasFailure): boolean {
  return failure.kind === 'unavailable' || failure.kind === 'rate_limited';
}

/** How long a rejected operator key is taken as still rejected before Gorgias is asked again. */
export const KEY_RECHECK_INTERVAL_MS = 60_000;
/**
 * How long a check that timed out is taken as still failing before Gorgias is asked again (longer than
 * the default 10 s timeout, so most turns while Gorgias hangs answer at once): without it,
 * while Gorgias hangs every turn would wait out the whole timeout. A quick failure (a 5xx, a 429, a
 * refused connection) is asked again at the next turn; a refusal (403, no account) waits as long as a
 * rejected key, since it fails the same way until the operator acts.
 */
export const TIMED_OUT_RECHECK_INTERVAL_MS = 30_000;

/** Where the operator hears how the checks after start-up went: only when the verdict changes. */
export interface OperatorLog {
  info(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export class OperatorConnection {
  private account: GorgiasAccount | undefined;
  private verifiedAt: Date | undefined;
  private inFlight: Promise<GorgiasResult<GorgiasAccount>> | undefined;
  /** When Gorgias last answered 401 to the operator's key during use. */
  private keyRejectedAt: Date | undefined;
  /** The last check that failed for another reason, and when: answered again without asking until it is old. */
  private lastFailure: { failure: GorgiasFailure; at: Date } | undefined;
  /** The kind of the last verdict logged, so each change is logged once rather than every turn. */
  private lastLogged: string | undefined;

  constructor(
    readonly credentials: GorgiasCredentials,
    private readonly verifier: AccountVerifier,
    private readonly now: () => Date = () => new Date(),
    private readonly log?: OperatorLog,
  ) {}

  get host(): string {
    return `${this.credentials.subdomain}.gorgias.com`;
  }

  async verifyAtStartup(): Promise<StartupVerdict> {
    const result = await this.verifyNow();
    // Start-up's own verdict is logged by the caller (or ends the process).
    this.lastLogged = result.ok ? 'connected' : result.failure.kind;
    if (result.ok) return { verdict: 'connected', account: result.value };
    const message = describeOperatorFailure(this.credentials, result.failure);
    return isTransientFailure(result.failure)
      ? { verdict: 'deferred', failure: result.failure, message }
      : { verdict: 'fatal', failure: result.failure, message };
  }

  /**
   * The operator's profile, verifying first if start-up could not. Concurrent callers share one call; a
   * failed verification is not remembered, so the next turn tries again.
   */
  async profile(): Promise<{ ok: true; profile: ConnectedProfile } | { ok: false; failure: GorgiasFailure }> {
    if (this.keyRejectedAt) {
      // A revoked key stays revoked until the operator acts: ask Gorgias again only now and then.
      if (this.now().getTime() - this.keyRejectedAt.getTime() < KEY_RECHECK_INTERVAL_MS) return { ok: false, failure: { kind: 'unauthorized', status: 401 } };
      this.keyRejectedAt = undefined;
      this.account = undefined;
    }
    if (!this.account) {
      const recent = this.lastFailure;
      if (recent && this.now().getTime() - recent.at.getTime() < recheckIntervalFor(recent.failure)) return { ok: false, failure: recent.failure };
      const result = await this.verifyNow();
      this.logVerdict(result);
      this.lastFailure = result.ok || result.failure.kind === 'unauthorized' ? undefined : { failure: result.failure, at: this.now() };
      if (!result.ok) return { ok: false, failure: result.failure };
    }
    return {
      ok: true,
      profile: {
        ...this.credentials,
        ownerId: 'operator',
        account: this.account as GorgiasAccount,
        verifiedAt: (this.verifiedAt as Date).toISOString(),
        source: 'operator',
      },
    };
  }

  /** Gorgias rejected the key during an action (401): stop presenting the connection as working. */
  markKeyRejected(): void {
    this.keyRejectedAt = this.now();
    this.account = undefined;
    // The action's own log line said so; the next check that succeeds is then a change worth logging.
    this.lastLogged = 'unauthorized';
  }

  /** Why the last check failed, while that verdict stands; undefined when connected or not known. No call to Gorgias. */
  knownFailure(): GorgiasFailure | undefined {
    if (this.account) return undefined;
    if (this.keyRejectedAt) return { kind: 'unauthorized', status: 401 };
    return this.lastFailure?.failure;
  }

  /** Logs a check's verdict when it differs from the last one logged: the operator must hear of a later 401 or 404. */
  private logVerdict(result: GorgiasResult<GorgiasAccount>): void {
    const verdict = result.ok ? 'connected' : result.failure.kind;
    if (verdict === this.lastLogged || this.log === undefined) return;
    this.lastLogged = verdict;
    const fields = { subdomain: this.credentials.subdomain, email: this.credentials.email };
    if (result.ok) this.log.info({ event: 'operator.verified', ...fields }, `connected to ${this.host} as ${this.credentials.email}`);
    else this.log.error({ event: 'operator.verification_failed', failure: result.failure.kind, ...fields }, describeOperatorFailure(this.credentials, result.failure));
  }

  private verifyNow(): Promise<GorgiasResult<GorgiasAccount>> {
    this.inFlight ??= this.verifier
      .verifyAccount(this.credentials)
      .then((result) => {
        if (result.ok) {
          this.account = result.value;
          this.verifiedAt = this.now();
        } else if (result.failure.kind === 'unauthorized') {
          this.keyRejectedAt = this.now();
        }
        return result;
      })
      // Cleared however the call ends, so one that threw cannot leave every later turn waiting on it.
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }
}

function recheckIntervalFor(failure: GorgiasFailure): number {
  if (!isTransientFailure(failure)) return KEY_RECHECK_INTERVAL_MS;
  return failure.kind === 'unavailable' && failure.reason === 'timeout' ? TIMED_OUT_RECHECK_INTERVAL_MS : 0;
}

/** One line for the operator's log. Names the account and user, never the key. */
export function describeOperatorFailure(credentials: GorgiasCredentials, failure: GorgiasFailure): string {
  const who = `${credentials.email} at ${credentials.subdomain}.gorgias.com`;
  switch (failure.kind) {
    case 'unauthorized':
      return `Gorgias rejected GORGIAS_EMAIL and GORGIAS_API_KEY (401) for ${who}: check the key under Your Profile -> REST API`;
    case 'forbidden':
      return `Gorgias accepted the key of ${who} but its user may not read the account (403)`;
    case 'no_account':
      return `There is no Gorgias account at ${credentials.subdomain}.gorgias.com (${failure.reason}): check GORGIAS_DOMAIN`;
    case 'rate_limited':
      return `Gorgias is rate limiting ${who}; retry after ${failure.retryAfterSeconds}s`;
    case 'unavailable':
      return `Gorgias could not be reached for ${who} (${failure.reason}${failure.status ? ` ${failure.status}` : ''})`;
    case 'not_found':
      return `Gorgias answered 404 for ${who}: check GORGIAS_AUTH_CHECK_PATH`;
    case 'rejected':
      return `Gorgias refused the verification of ${who} (${failure.status}${failure.message ? `: ${failure.message}` : ''}): check GORGIAS_AUTH_CHECK_PATH`;
    case 'bad_response':
      return `Gorgias gave an unexpected answer for ${who} (${failure.reason}): check GORGIAS_AUTH_CHECK_PATH`;
  }
}
