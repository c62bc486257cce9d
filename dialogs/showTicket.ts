/** "Show ticket <id>": the ticket's subject, status, channel, people, tags, times, last message and link. */
import type { TurnContext } from 'botbuilder';
import { ticketDetailCard } from '../src/cards/tickets';
import { ticketDetailText } from '../src/messages/tickets';
import { busyNotice, linksFor, profileForAction, reportFailure, sendResult, type ActionServices } from './actionSupport';

export async function showTicket(services: ActionServices, context: TurnContext, ticketId: number): Promise<void> {
  const profile = await profileForAction(services, context);
  if (!profile) return;
  const result = await services.gorgias.getTicket(profile, ticketId, busyNotice(context));
  if (!result.ok) {
    await reportFailure(services, context, profile, result.failure, { topic: { kind: 'ticket', id: ticketId } }, `show ticket ${ticketId}`);
    return;
  }
  const links = linksFor(services, profile);
  await sendResult(context, ticketDetailCard(result.value, links), ticketDetailText(result.value, links));
}
