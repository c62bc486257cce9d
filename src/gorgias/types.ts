/**
 * The contract between the bot and its Gorgias client. Nothing here knows about botbuilder,
 * so the client can move to another bot SDK unchanged.
 */

/** What the bot needs to call Gorgias on someone's behalf. The key is only ever held in memory. */
export interface GorgiasCredentials {
  /** A validated subdomain: lower-case letters, digits and inner hyphens (see validation/subdomain). */
  subdomain: string;
  email: string;
  apiKey: string;
}

/** The fields of `GET /api/account` worth keeping. Gorgias documents more; we store only these. */
export interface GorgiasAccount {
  domain: string;
  status?: string;
  createdDatetime?: string;
}

/**
 * Why a call did not succeed, reduced to what the bot can explain to a person.
 * - unauthorized: 401, the email and key were rejected (or the key was revoked).
 * - forbidden: 403, the key is valid but its user lacks the permission.
 * - no_account: nothing at that subdomain answers like Gorgias (404 on the auth check, a redirect,
 *   a body that is not JSON, or a DNS failure).
 * - not_found: 404 on a resource (ticket, customer) of an account that does exist.
 * - rate_limited: 429; `retryAfterSeconds` from Retry-After (a default when the header is missing).
 * - unavailable: timeout, refused or reset connection, or a 5xx.
 * - rejected: another 4xx (400, 409, 413...), with Gorgias's message when it gave one.
 * - bad_response: the answer could not be used (too large, malformed JSON where JSON was promised).
 *   `writeAccepted` is set when that answer was a 2xx to a write (POST, PUT, DELETE): Gorgias did
 *   what was asked, so sending it again would do it twice (a second ticket, a second customer).
 */
export type GorgiasFailure =
  | { kind: 'unauthorized'; status: 401 }
  | { kind: 'forbidden'; status: 403 }
  | { kind: 'no_account'; reason: 'not_found' | 'redirect' | 'not_json' | 'dns' }
  | { kind: 'not_found'; status: 404 }
  | { kind: 'rate_limited'; status: 429; retryAfterSeconds: number }
  | { kind: 'unavailable'; reason: 'timeout' | 'connection' | 'server_error'; status?: number }
  | { kind: 'rejected'; status: number; message?: string }
  | { kind: 'bad_response'; reason: BadResponseReason; writeAccepted?: true };

export type BadResponseReason = 'too_large' | 'not_json' | 'unexpected_shape';

export type GorgiasResult<T> = { ok: true; value: T } | { ok: false; failure: GorgiasFailure };
