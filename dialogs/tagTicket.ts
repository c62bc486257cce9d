/** "Tag ticket <id> <tag>": adds the tag, keeping the ticket's other tags. */
import type { TurnContext } from 'botbuilder';
import { tagsAdded } from '../src/messages/tickets';
import { busyNotice, noteWrite, profileForAction, reportFailure, type ActionServices } from './actionSupport';
import { sendNow } from '../src/heldReplies';

export async function tagTicket(services: ActionServices, context: TurnContext, ticketId: number, tag: string): Promise<void> {
  const profile = await profileForAction(services, context);
  if (!profile) return;
  const result = await services.gorgias.addTicketTags(profile, ticketId, [tag], busyNotice(context));
  noteWrite(context, result);
  if (!result.ok) {
    await reportFailure(services, context, profile, result.failure, { topic: { kind: 'ticket', id: ticketId } }, `tag ticket ${ticketId} ${tag}`);
    return;
  }
  await sendNow(context, tagsAdded(ticketId, [tag]));
}
