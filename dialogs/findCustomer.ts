/** "Find customer <email>": the customer's name, email and id, and their most recent tickets. */
import type { TurnContext } from 'botbuilder';
import { customerCard } from '../src/cards/tickets';
import { customerText, noCustomer } from '../src/messages/tickets';
import type { Customer } from '../src/gorgias/models';
import type { ConnectedProfile } from '../src/profile/profile';
import { busyNotice, linksFor, profileForAction, reportFailure, sendResult, type ActionServices } from './actionSupport';
import { sendNow } from '../src/heldReplies';

export const CUSTOMER_TICKETS_SHOWN = 5;

export async function findCustomer(services: ActionServices, context: TurnContext, email: string): Promise<void> {
  const profile = await profileForAction(services, context);
  if (!profile) return;
  const retry = `find customer ${email}`;
  const found = await services.gorgias.findCustomerByEmail(profile, email, busyNotice(context));
  if (!found.ok) {
    await reportFailure(services, context, profile, found.failure, { topic: { kind: 'customer', email } }, retry);
    return;
  }
  if (found.value === undefined) {
    await context.sendActivity(noCustomer(email));
    return;
  }
  await showCustomer(services, context, profile, found.value, retry);
}

/** Shows a customer with their recent tickets; also used after "new customer" finds the email taken. */
export async function showCustomer(
  services: ActionServices,
  context: TurnContext,
  profile: ConnectedProfile,
  customer: Customer,
  retryCommand: string,
  lead?: string,
): Promise<void> {
  // Said first: if the tickets cannot be listed, the user must still learn what the lead tells (e.g. that
  // the customer exists, so no new one was created).
  if (lead) await sendNow(context, lead);
  const tickets = await services.gorgias.listCustomerTickets(profile, customer.id, { limit: CUSTOMER_TICKETS_SHOWN }, busyNotice(context));
  if (!tickets.ok) {
    await reportFailure(services, context, profile, tickets.failure, { topic: { kind: 'customer', email: customer.email } }, retryCommand);
    return;
  }
  const links = linksFor(services, profile);
  await sendResult(context, customerCard(customer, tickets.value.tickets, links), customerText(customer, tickets.value.tickets, links));
}
