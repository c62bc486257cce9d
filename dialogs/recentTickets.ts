/**
 * "Recent tickets": the 5 most recently updated tickets, and "More" for the next page through Gorgias's
 * cursor pagination. The cursor of the last page shown is kept in conversation state so a typed "more"
 * continues where the list stopped; a card's More button carries its own cursor.
 */
import type { TurnContext } from 'botbuilder';
import { recentTicketsCard } from '../src/cards/tickets';
import { recentTicketsText } from '../src/messages/tickets';
import { ACTION_TITLES } from '../src/actionCommands';
import { channelRendersAdaptiveCards } from '../src/channels';
import { busyNotice, linksFor, profileForAction, reportFailure, sendResult, type ActionServices } from './actionSupport';

export const TICKETS_PER_PAGE = 5;

export async function showRecentTickets(
  services: ActionServices,
  context: TurnContext,
  request: { page: 'first' | 'next'; cursor?: string },
): Promise<void> {
  const profile = await profileForAction(services, context);
  if (!profile) return;

  const cursor = request.cursor ?? (request.page === 'next' ? await services.ticketCursor.get(context) : undefined);
  if (request.page === 'next' && cursor === undefined) {
    await context.sendActivity(`There is no next page. Type **${ACTION_TITLES.recent.toLowerCase()}** to see the latest tickets.`);
    return;
  }
  const result = await services.gorgias.listTickets(profile, { limit: TICKETS_PER_PAGE, cursor, orderBy: 'updated_datetime:desc' }, busyNotice(context));
  if (!result.ok) {
    await reportFailure(services, context, profile, result.failure, { topic: { kind: 'tickets' } }, request.page === 'next' ? 'more' : ACTION_TITLES.recent);
    return;
  }

  const page = result.value;
  await services.ticketCursor.set(context, page.nextCursor);
  const links = linksFor(services, profile);
  const title = cursor === undefined ? 'Recent tickets' : 'More tickets';
  // A card carries its own More button; elsewhere the next page is one tap away too.
  const more = page.nextCursor !== undefined && !channelRendersAdaptiveCards(context.activity.channelId) ? [ACTION_TITLES.more] : [];
  await sendResult(context, recentTicketsCard(page, { ...links, title }), recentTicketsText(page, { ...links, title, moreCommand: 'more' }), more);
}
