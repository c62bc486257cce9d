/**
 * What the bot says about tickets and customers, as Markdown text: the fallback of each card in
 * src/cards/tickets.ts for channels without Adaptive Cards, plus the short sentences around the
 * actions. Plain functions, no SDK. Everything that came from Gorgias is escaped, so a subject
 * cannot turn into formatting or a link.
 */
import type { Customer, TicketDetail, TicketPage, TicketSummary } from '../gorgias/models';
import type { GorgiasFailure } from '../gorgias/types';
import {
  MAX_MESSAGE_PREVIEW_LENGTH,
  MAX_NAME_LENGTH,
  MAX_SUBJECT_LENGTH,
  escapeMarkdown,
  paragraph,
  singleLine,
  statusLabel,
  subjectOf,
} from '../cards/format';
import {
  customerFacts,
  createdFor,
  customerTitle,
  lastMessagePreview,
  messageAttribution,
  ticketFacts,
  ticketMetaLine,
  type TicketDraft,
  type TicketLinks,
} from '../cards/tickets';
import { waitDuration } from './duration';

export interface TicketListTextOptions extends TicketLinks {
  /** Default "Recent tickets". */
  title?: string;
  /** What to type for the next page, shown when there is one. Default `more`. */
  moreCommand?: string;
}

const md = escapeMarkdown;

/** Markdown needs a blank line between paragraphs; quoted text keeps its own lines inside `>`. */
function quote(text: string): string {
  return text
    .split('\n')
    .map((line) => `> ${md(line)}`)
    .join('\n');
}

function link(url: string): string {
  return `[Open in Gorgias](${url})`;
}

function ticketLine(ticket: TicketSummary, links: TicketLinks): string {
  return `- **#${ticket.id}** ${md(subjectOf(ticket))}: ${md(ticketMetaLine(ticket))} · ${link(links.webUrlFor(ticket.id))}`;
}

function ticketLines(tickets: readonly TicketSummary[], links: TicketLinks, emptyText: string): string {
  return tickets.length === 0 ? emptyText : tickets.map((ticket) => ticketLine(ticket, links)).join('\n');
}

export function recentTicketsText(page: TicketPage, options: TicketListTextOptions): string {
  const parts = [`**${options.title ?? 'Recent tickets'}**`, ticketLines(page.tickets, options, 'No tickets to show.')];
  if (page.nextCursor !== undefined) parts.push(`Type **${options.moreCommand ?? 'more'}** for the next page.`);
  return parts.join('\n\n');
}

function factLines(facts: [string, string][]): string {
  return facts.map(([name, value]) => `- ${name}: ${md(value)}`).join('\n');
}

export function ticketDetailText(ticket: TicketDetail, links: TicketLinks): string {
  const parts = [`**Ticket #${ticket.id}: ${md(subjectOf(ticket))}**`, factLines(ticketFacts(ticket))];
  const preview = lastMessagePreview(ticket);
  if (preview !== undefined && ticket.lastMessage !== undefined) {
    const attribution = messageAttribution(ticket.lastMessage);
    parts.push(attribution === undefined ? 'Last message:' : `Last message, from ${md(attribution)}:`);
    parts.push(quote(preview));
  }
  parts.push(link(links.webUrlFor(ticket.id)));
  return parts.join('\n\n');
}

/** The new ticket as it will be sent, before the confirmation. */
export function ticketSummaryText(draft: TicketDraft): string {
  const subject = singleLine(draft.subject, MAX_SUBJECT_LENGTH) || '(no subject)';
  return [
    '**New ticket**',
    factLines([
      ['Customer', singleLine(draft.customerEmail, MAX_NAME_LENGTH)],
      ['Subject', subject],
    ]),
    'Message:',
    quote(paragraph(draft.message, MAX_MESSAGE_PREVIEW_LENGTH)),
  ].join('\n\n');
}

export function ticketCreatedText(ticket: TicketDetail, links: TicketLinks): string {
  return [
    `**Ticket #${ticket.id} created**`,
    factLines([
      ['Subject', subjectOf(ticket)],
      ['Customer', createdFor(ticket)],
      ['Status', statusLabel(ticket.status)],
    ]),
    link(links.webUrlFor(ticket.id)),
  ].join('\n\n');
}

export function customerText(customer: Customer, recentTickets: readonly TicketSummary[], links: TicketLinks): string {
  return [
    `**${md(customerTitle(customer))}**`,
    factLines(customerFacts(customer)),
    '**Recent tickets**',
    ticketLines(recentTickets, links, 'No tickets yet.'),
  ].join('\n\n');
}

/** `#123 "Order missing"`: how a ticket is named in questions and confirmations. */
export function ticketName(ticket: { id: number; subject?: string }): string {
  return ticket.subject === undefined ? `#${ticket.id}` : `#${ticket.id} "${md(subjectOf(ticket))}"`;
}

export function confirmDelete(ticket: { id: number; subject?: string }): string {
  return `Delete ticket ${ticketName(ticket)}? This can't be undone.`;
}

export function confirmStatusChange(ticket: { id: number; subject?: string }, status: 'open' | 'closed'): string {
  return `${status === 'closed' ? 'Close' : 'Reopen'} ticket ${ticketName(ticket)}?`;
}

export function statusChanged(ticket: { id: number; subject?: string }, status: 'open' | 'closed'): string {
  return `Ticket ${ticketName(ticket)} is now **${status === 'closed' ? 'closed' : 'open'}**.`;
}

export function tagsAdded(ticketId: number, tags: readonly string[]): string {
  const names = tags.map((tag) => `**${md(singleLine(tag, 60))}**`).join(', ');
  return `Added ${tags.length === 1 ? 'the tag' : 'the tags'} ${names} to ticket #${ticketId}.`;
}

export function ticketDeleted(ticket: { id: number; subject?: string }): string {
  return `Deleted ticket ${ticketName(ticket)}.`;
}

export function confirmNewCustomer(name: string, email: string): string {
  return `Create the customer **${md(singleLine(name, MAX_NAME_LENGTH))}** (${md(singleLine(email, MAX_NAME_LENGTH))})?`;
}

export function customerCreated(customer: Customer): string {
  return `Created the customer **${md(customerTitle(customer))}** (id ${customer.id}).`;
}

/** Before showing the ticket a create that seemed to fail made after all. */
export const TICKET_CREATED_ON_EARLIER_TRY = "Gorgias did create the ticket on an earlier try, so I haven't sent it again:";

/** The customer a create that seemed to fail made after all. */
export function customerCreatedOnEarlierTry(customer: Customer): string {
  return `Gorgias did create the customer on an earlier try, so I haven't sent it again: **${md(customerTitle(customer))}** (id ${customer.id}).`;
}

/** Before the reason why it could not be checked whether a create that seemed to fail made something. */
export function couldNotCheckEarlierTry(what: 'ticket' | 'customer'): string {
  return `I couldn't check whether an earlier try created the ${what}, so I haven't sent it again.`;
}

/** After that reason, when trying again cannot help (the dialog ends). */
export function draftDroppedCheckGorgias(what: 'ticket' | 'customer'): string {
  return `I've stopped here and dropped what you typed: please look in Gorgias before you create the ${what} again.`;
}

/** Cancelled after a try whose answer never came: it may exist. */
export function droppedButMayExist(what: 'ticket' | 'customer'): string {
  return `OK, I've stopped and dropped what you typed. An earlier try may still have created the ${what}: please check in Gorgias before you create it again.`;
}

export function customerAlreadyExists(email: string): string {
  return `Gorgias already has a customer with the email ${md(singleLine(email, MAX_NAME_LENGTH))}, so I didn't create another one. Here it is:`;
}

export function noCustomer(email: string): string {
  return `Gorgias has no customer with the email ${md(singleLine(email, MAX_NAME_LENGTH))}.`;
}

/** Said when a call has to wait for the account's rate budget (CallOptions.onQueued). */
export function busy(waitMs: number): string {
  return `Gorgias is busy right now; your request is queued and should go through in about ${waitDuration(Math.round(waitMs / 1000))}.`;
}

/** What a failed call was about, to say "no such ticket" rather than "not found". */
export type FailureTopic = { kind: 'ticket'; id: number } | { kind: 'customer'; email?: string } | { kind: 'tickets' };

export interface FailureContext {
  topic: FailureTopic;
  /** Whose key the bot used: the person's own (user mode) or the operator's (pre-authorized mode). */
  keyOwner: 'user' | 'operator';
  /** For creates: a timeout or an unreadable answer may hide a success, so say so. */
  isCreate?: boolean;
  /** For a change to a ticket (close, reopen, delete, tag): the same, and that Try again looks first. */
  isChange?: boolean;
  /** Said before the explanation, e.g. what the failed call was for. */
  lead?: string;
  /** Said after it, e.g. what became of the user's draft. */
  trail?: string;
}

function notFound(topic: FailureTopic): string {
  switch (topic.kind) {
    case 'ticket':
      return `There is no ticket #${topic.id} in Gorgias (or it has been deleted).`;
    case 'customer':
      return topic.email === undefined ? 'Gorgias has no such customer.' : noCustomer(topic.email);
    case 'tickets':
      return 'Gorgias could not find those tickets.';
  }
}

/**
 * Gorgias answered a write with success but an answer that could not be read: it is done, so the
 * person must look in Gorgias rather than try again (which would do it twice).
 */
function acceptedButUnreadable(context: FailureContext): string {
  const accepted = (what: string): string => `Gorgias accepted ${what}, but I couldn't read its answer, so I can't show it here.`;
  if (context.isCreate) {
    return context.topic.kind === 'customer'
      ? `${accepted('the new customer')} Please check the customers in Gorgias before trying again, or it may be created twice.`
      : `${accepted('the new ticket')} Please check the ticket list in Gorgias before trying again, or it may be created twice.`;
  }
  const what = context.topic.kind === 'ticket' ? `the change to ticket #${context.topic.id}` : 'the change';
  return `${accepted(what)} Please check in Gorgias before trying again.`;
}

/**
 * One or two sentences explaining a failure to the person. The caller adds what to do next
 * (retry, reconnect) since that depends on the dialog.
 */
export function explainFailure(failure: GorgiasFailure, context: FailureContext): string {
  return [context.lead, explanationOf(failure, context), context.trail].filter((part) => part !== undefined).join(' ');
}

function explanationOf(failure: GorgiasFailure, context: FailureContext): string {
  const mayExist = context.isCreate
    ? " It may have been created anyway: if you try again, I'll first check whether it was, so that it isn't created twice."
    : context.isChange
      ? ' It may have been done anyway: Try again looks at the ticket first.'
      : '';
  switch (failure.kind) {
    case 'unauthorized':
      return context.keyOwner === 'user'
        ? 'Gorgias no longer accepts your API key: it was probably revoked or rotated. Type **reconnect** to connect again with a current key.'
        : "Gorgias no longer accepts the bot's API key. Please tell the bot's operator; there is nothing you can do from here.";
    case 'forbidden':
      return context.keyOwner === 'user'
        ? "Your Gorgias user isn't allowed to do that. A Gorgias admin can give you the permission."
        : "The bot's Gorgias user isn't allowed to do that. Please tell the bot's operator.";
    case 'not_found':
      return notFound(context.topic);
    case 'no_account':
      return "I couldn't find the Gorgias account any more.";
    case 'rate_limited':
      return `Gorgias is limiting how fast it can be called right now. Please try again in about ${waitDuration(failure.retryAfterSeconds)}.`;
    case 'unavailable':
      switch (failure.reason) {
        case 'timeout':
          return `Gorgias didn't answer in time.${mayExist}`;
        case 'connection':
          return `I couldn't reach Gorgias.${mayExist}`;
        case 'server_error':
          return `Gorgias had a problem answering (error ${failure.status ?? 500}).${mayExist}`;
      }
      break;
    case 'rejected':
      if (failure.status === 409) return 'Gorgias says that already exists.';
      if (failure.status === 0) return failure.message ?? 'That request is not valid.';
      // In pre-authorized mode anyone in the chat reads this: Gorgias's own words stay in the operator's log.
      return failure.message === undefined || context.keyOwner === 'operator'
        ? `Gorgias refused the request (error ${failure.status}).`
        : `Gorgias refused the request (error ${failure.status}): ${md(failure.message)}`;
    case 'bad_response':
      if (failure.writeAccepted === true) return acceptedButUnreadable(context);
      return `Gorgias gave an answer I could not understand.${mayExist}`;
  }
  return 'Something went wrong with Gorgias.';
}
