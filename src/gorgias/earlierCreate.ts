/**
 * Whether a create that ended without a clear answer (a timeout, a dropped connection, a 5xx) was
 * carried out by Gorgias after all. Gorgias has no idempotency key, so before a ticket or customer is
 * sent again, what the first attempt would have made is looked for: a ticket of the customer's created
 * since that attempt through the API with the same subject and message, or the customer with that email
 * created since then. Found, it is shown instead of being created twice.
 */
import type { CallOptions, GorgiasClient, NewCustomer, NewTicket } from './client';
import type { Customer, TicketDetail } from './models';
import type { GorgiasCredentials, GorgiasFailure, GorgiasResult } from './types';

/**
 * Gorgias stamps `created_datetime` with its own clock: an item made up to this long before our
 * attempt started still counts, so a clock running ahead here cannot hide it.
 */
export const CLOCK_SKEW_MS = 5 * 60_000;
/** The newest tickets of the customer looked through; a ticket made moments ago is among the first. */
const TICKETS_LOOKED_AT = 10;
/** Of those, how many with the same subject are opened to compare their message. */
const CANDIDATES_OPENED = 3;

/**
 * Whether a failed create may have been carried out anyway. A 429 or a 4xx was a refusal; a 2xx with an
 * unreadable answer (`writeAccepted`) was a success, and is not retried at all.
 */
export function mayHaveBeenCreated(failure: GorgiasFailure): boolean {
  if (failure.kind === 'unavailable') return true;
  return failure.kind === 'bad_response' && failure.writeAccepted !== true;
}

/** Whether `created` (Gorgias's timestamp) is at or after `since` (an ISO time of ours), allowing for skew. */
function createdSince(created: string | undefined, since: string): boolean {
  const createdAt = created === undefined ? NaN : Date.parse(created);
  const sinceAt = Date.parse(since);
  if (Number.isNaN(createdAt) || Number.isNaN(sinceAt)) return false;
  return createdAt >= sinceAt - CLOCK_SKEW_MS;
}

/** Equal but for spaces around and within (Gorgias may tidy a message's whitespace). */
/** A 404 while looking means there is nothing to find; any other failure is the lookup's. */
function nothingIfNotFound(failed: { ok: false; failure: GorgiasFailure }): GorgiasResult<undefined> {
  return failed.failure.kind === 'not_found' ? { ok: true, value: undefined } : failed;
}

function sameText(a: string | undefined, b: string): boolean {
  const tidy = (text: string): string => text.replace(/\s+/g, ' ').trim();
  return a !== undefined && tidy(a) === tidy(b);
}

/**
 * The ticket an earlier attempt at `ticket` made, if Gorgias made it: one of the customer's tickets
 * created since `since` through the API (as the bot creates them), with the same subject and, as its
 * newest message, the same text. Undefined when there is none (or no such customer yet, since a new
 * ticket would have created them). A ticket someone has answered since is not recognised.
 */
export async function findTicketFromEarlierAttempt(
  gorgias: GorgiasClient,
  creds: GorgiasCredentials,
  ticket: NewTicket,
  since: string,
  call?: CallOptions,
): Promise<GorgiasResult<TicketDetail | undefined>> {
  const customer = await gorgias.findCustomerByEmail(creds, ticket.customerEmail, call);
  if (!customer.ok) return nothingIfNotFound(customer);
  if (customer.value === undefined) return { ok: true, value: undefined };
  const page = await gorgias.listCustomerTickets(
    creds,
    customer.value.id,
    { limit: TICKETS_LOOKED_AT, orderBy: 'created_datetime:desc' },
    call,
  );
  if (!page.ok) return nothingIfNotFound(page);
  const candidates = page.value.tickets
    .filter(
      (candidate) =>
        sameText(candidate.subject, ticket.subject) &&
        createdSince(candidate.createdDatetime, since) &&
        (candidate.channel === undefined || candidate.channel === 'api'),
    )
    .slice(0, CANDIDATES_OPENED);
  for (const candidate of candidates) {
    const detail = await gorgias.getTicket(creds, candidate.id, call);
    if (!detail.ok) {
      if (detail.failure.kind === 'not_found') continue;
      return detail;
    }
    if (sameText(detail.value.lastMessage?.text, ticket.message)) return { ok: true, value: detail.value };
  }
  return { ok: true, value: undefined };
}

/** The customer an earlier attempt at `customer` made, if Gorgias made it: that email, created since `since`. */
export async function findCustomerFromEarlierAttempt(
  gorgias: GorgiasClient,
  creds: GorgiasCredentials,
  customer: NewCustomer,
  since: string,
  call?: CallOptions,
): Promise<GorgiasResult<Customer | undefined>> {
  const found = await gorgias.findCustomerByEmail(creds, customer.email, call);
  if (!found.ok) return nothingIfNotFound(found);
  const made = found.value !== undefined && createdSince(found.value.createdDatetime, since) ? found.value : undefined;
  return { ok: true, value: made };
}
