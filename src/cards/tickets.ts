/**
 * Adaptive Cards for tickets and customers: small functions from API data to card JSON. Plain
 * JSON, no SDK; src/messages/tickets.ts has the plain-text fallback of each.
 */
import type { Customer, TicketDetail, TicketMessage, TicketPage, TicketSummary } from '../gorgias/models';
import {
  adaptiveCard,
  container,
  fact,
  heading,
  label,
  openUrl,
  richText,
  submit,
  textRun,
  type AdaptiveCard,
  type CardElement,
} from './adaptive';
import {
  MAX_MESSAGE_PREVIEW_LENGTH,
  MAX_NAME_LENGTH,
  MAX_SUBJECT_LENGTH,
  formatDateTime,
  paragraph,
  personLabel,
  personShortLabel,
  singleLine,
  statusLabel,
  subjectOf,
  tagList,
} from './format';

/** The `action` of the "More" button's submit data: `{ action: 'moreTickets', cursor }`. */
export const MORE_TICKETS_ACTION = 'moreTickets';

export interface TicketLinks {
  /** The ticket's page in the Gorgias web app, e.g. `(id) => ticketWebUrl(template, subdomain, id)`. */
  webUrlFor: (id: number) => string;
}

export interface TicketListOptions extends TicketLinks {
  /** Default "Recent tickets". */
  title?: string;
}

/** What a person types (or confirms) to open a ticket; see GorgiasClient.createTicket. */
export interface TicketDraft {
  customerEmail: string;
  subject: string;
  message: string;
}

/** `Open · Jane Doe · updated 14 Feb 2024, 21:30 UTC` */
export function ticketMetaLine(ticket: TicketSummary): string {
  const parts = [statusLabel(ticket.status)];
  const customer = personShortLabel(ticket.customer);
  if (customer !== undefined) parts.push(customer);
  const updated = formatDateTime(ticket.updatedDatetime ?? ticket.createdDatetime);
  if (updated !== undefined) parts.push(`updated ${updated}`);
  return parts.join(' · ');
}

function ticketRow(ticket: TicketSummary, links: TicketLinks, separator: boolean): CardElement {
  const url = links.webUrlFor(ticket.id);
  return container(
    [
      richText([textRun(`#${ticket.id}`, { weight: 'Bolder', url }), textRun(`  ${subjectOf(ticket)}`, { italic: ticket.subject === undefined })]),
      richText([textRun(ticketMetaLine(ticket), { isSubtle: true, size: 'Small' })], { spacing: 'None' }),
    ],
    { separator, url },
  );
}

function ticketRows(tickets: readonly TicketSummary[], links: TicketLinks, emptyText: string): CardElement[] {
  if (tickets.length === 0) return [richText([textRun(emptyText, { isSubtle: true })])];
  return tickets.map((ticket, index) => ticketRow(ticket, links, index > 0));
}

/**
 * A page of tickets: id (a link to Gorgias), subject, status, customer and updated time each, and a
 * **More** button (`Action.Submit` with `{ action: 'moreTickets', cursor }`) when there is a next page.
 */
export function recentTicketsCard(page: TicketPage, options: TicketListOptions): AdaptiveCard {
  const body = [heading(options.title ?? 'Recent tickets'), ...ticketRows(page.tickets, options, 'No tickets to show.')];
  const actions = page.nextCursor === undefined ? [] : [submit('More', { action: MORE_TICKETS_ACTION, cursor: page.nextCursor })];
  return adaptiveCard(body, actions);
}

/** `Jane Doe (customer), 14 Feb 2024, 21:30 UTC` */
export function messageAttribution(message: TicketMessage): string | undefined {
  const who = personShortLabel(message.sender);
  const role = message.fromAgent === undefined ? undefined : message.fromAgent ? 'agent' : 'customer';
  const sender = who === undefined ? (role === undefined ? undefined : `the ${role}`) : role === undefined ? who : `${who} (${role})`;
  const when = formatDateTime(message.createdDatetime);
  const parts = [sender, when].filter((part): part is string => part !== undefined);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

export function assigneeLabel(ticket: TicketDetail): string {
  const agent = personLabel(ticket.assignee);
  const team = ticket.assigneeTeam === undefined ? undefined : singleLine(ticket.assigneeTeam, MAX_NAME_LENGTH);
  if (agent !== undefined && team) return `${agent} (${team})`;
  return agent ?? (team || 'Unassigned');
}

/** The facts shown for one ticket, in order, shared by the card and its text fallback. */
export function ticketFacts(ticket: TicketDetail): [string, string][] {
  const facts: [string, string][] = [['Status', statusLabel(ticket.status)]];
  if (ticket.channel !== undefined) facts.push(['Channel', singleLine(ticket.channel, 40)]);
  facts.push(['Customer', personLabel(ticket.customer) ?? 'Unknown']);
  facts.push(['Assignee', assigneeLabel(ticket)]);
  facts.push(['Tags', tagList(ticket.tags) ?? 'None']);
  const created = formatDateTime(ticket.createdDatetime);
  if (created !== undefined) facts.push(['Created', created]);
  const updated = formatDateTime(ticket.updatedDatetime);
  if (updated !== undefined) facts.push(['Updated', updated]);
  return facts;
}

/** The last message's text, shortened to about 300 characters; undefined when there is none. */
export function lastMessagePreview(ticket: TicketDetail): string | undefined {
  const text = ticket.lastMessage?.text;
  if (text === undefined) return undefined;
  return paragraph(text, MAX_MESSAGE_PREVIEW_LENGTH) || undefined;
}

/** One ticket: subject, status, channel, customer, assignee, tags, times, the last message and the link. */
export function ticketDetailCard(ticket: TicketDetail, links: TicketLinks): AdaptiveCard {
  const url = links.webUrlFor(ticket.id);
  const body: CardElement[] = [
    heading(`Ticket #${ticket.id}`),
    richText([textRun(subjectOf(ticket), { weight: 'Bolder', italic: ticket.subject === undefined })], { spacing: 'Small' }),
    ...ticketFacts(ticket).map(([name, value]) => fact(name, value)),
  ];
  const preview = lastMessagePreview(ticket);
  if (preview !== undefined && ticket.lastMessage !== undefined) {
    body.push(label('Last message', { separator: true }));
    const attribution = messageAttribution(ticket.lastMessage);
    if (attribution !== undefined) body.push(richText([textRun(attribution, { isSubtle: true, size: 'Small' })], { spacing: 'None' }));
    body.push(richText([textRun(preview)], { spacing: 'Small' }));
  }
  return adaptiveCard(body, [openUrl('Open in Gorgias', url)]);
}

/** The new ticket as it will be sent, shown before the person confirms. No buttons: the confirmation prompt follows. */
export function ticketSummaryCard(draft: TicketDraft): AdaptiveCard {
  return adaptiveCard([
    heading('New ticket'),
    fact('Customer', singleLine(draft.customerEmail, MAX_NAME_LENGTH)),
    fact('Subject', singleLine(draft.subject, MAX_SUBJECT_LENGTH) || '(no subject)'),
    label('Message'),
    richText([textRun(paragraph(draft.message, MAX_MESSAGE_PREVIEW_LENGTH))], { spacing: 'Small' }),
  ]);
}

/** After `POST /api/tickets`: the new ticket's id and link. */
/**
 * Who a new ticket is for: only the email, never the name Gorgias has on file, since whoever creates a
 * ticket (in pre-authorized mode, anyone) could otherwise learn the name behind any email address.
 */
export function createdFor(ticket: TicketDetail): string {
  return ticket.customer?.email ?? 'Unknown';
}

export function ticketCreatedCard(ticket: TicketDetail, links: TicketLinks): AdaptiveCard {
  const url = links.webUrlFor(ticket.id);
  const facts: [string, string][] = [
    ['Subject', subjectOf(ticket)],
    ['Customer', createdFor(ticket)],
    ['Status', statusLabel(ticket.status)],
  ];
  return adaptiveCard(
    [heading(`Ticket #${ticket.id} created`), ...facts.map(([name, value]) => fact(name, value))],
    [openUrl('Open in Gorgias', url)],
  );
}

export function customerTitle(customer: Customer): string {
  const name = customer.name === undefined ? '' : singleLine(customer.name, MAX_NAME_LENGTH);
  const email = customer.email === undefined ? '' : singleLine(customer.email, MAX_NAME_LENGTH);
  return name || email || `Customer ${customer.id}`;
}

/** The facts shown for one customer, shared by the card and its text fallback. */
export function customerFacts(customer: Customer): [string, string][] {
  const facts: [string, string][] = [];
  if (customer.name !== undefined) facts.push(['Name', singleLine(customer.name, MAX_NAME_LENGTH)]);
  if (customer.email !== undefined) facts.push(['Email', singleLine(customer.email, MAX_NAME_LENGTH)]);
  facts.push(['Customer id', String(customer.id)]);
  const created = formatDateTime(customer.createdDatetime);
  if (created !== undefined) facts.push(['Customer since', created]);
  return facts;
}

/** A customer's name, email and id, and their most recent tickets (already fetched by the caller). */
export function customerCard(customer: Customer, recentTickets: readonly TicketSummary[], links: TicketLinks): AdaptiveCard {
  return adaptiveCard([
    richText([textRun(customerTitle(customer), { weight: 'Bolder', size: 'Medium' })]),
    ...customerFacts(customer).map(([name, value]) => fact(name, value)),
    label('Recent tickets', { separator: true }),
    ...ticketRows(recentTickets, links, 'No tickets yet.'),
  ]);
}
