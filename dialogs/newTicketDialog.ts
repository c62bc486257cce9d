/**
 * "New ticket": asks for the customer's email, a subject and the message, shows a summary, and creates
 * the ticket only after the user confirms. When Gorgias fails, everything typed is kept so that trying
 * again needs no retyping; a create is never retried without the user asking.
 */
import type { TurnContext } from 'botbuilder';
import { parseCustomerEmail, parseTicketMessage, parseTicketSubject } from '../src/validation/ticketFields';
import { ticketCreatedCard, ticketSummaryCard } from '../src/cards/tickets';
import { TICKET_CREATED_ON_EARLIER_TRY, ticketCreatedText, ticketSummaryText } from '../src/messages/tickets';
import { findTicketFromEarlierAttempt } from '../src/gorgias/earlierCreate';
import type { TicketDetail } from '../src/gorgias/models';
import { sendNow } from '../src/heldReplies';
import type { ConnectedProfile } from '../src/profile/profile';
import { busyNotice, linksFor, noteWrite, sendResult, type ActionServices } from './actionSupport';
import { ConfirmThenCreateDialog, type DraftOptions, type FailedCreate } from './confirmThenCreateDialog';

export const NEW_TICKET_DIALOG = 'newTicket';
const EMAIL_PROMPT = 'newTicket.email';
const SUBJECT_PROMPT = 'newTicket.subject';
const MESSAGE_PROMPT = 'newTicket.message';

export interface NewTicketOptions extends DraftOptions {
  customerEmail?: string;
  subject?: string;
  message?: string;
}

export class NewTicketDialog extends ConfirmThenCreateDialog<NewTicketOptions> {
  protected readonly createdKind = 'ticket';

  constructor(services: ActionServices) {
    super(
      NEW_TICKET_DIALOG,
      services,
      [
        {
          field: 'customerEmail',
          promptId: EMAIL_PROMPT,
          ask: "What is the customer's email address?",
          parse: parseCustomerEmail,
          freeText: false,
          help: "Type the email address of the customer the ticket is for, e.g. jane@example.com. If Gorgias doesn't know them yet, it creates the customer.",
        },
        {
          field: 'subject',
          promptId: SUBJECT_PROMPT,
          ask: "What is the ticket's subject?",
          parse: parseTicketSubject,
          help: 'Type a short subject that tells agents what the ticket is about.',
        },
        {
          field: 'message',
          promptId: MESSAGE_PROMPT,
          ask: "What is the customer's message?",
          parse: parseTicketMessage,
          help: "Type the customer's message: it becomes the ticket's first message.",
        },
      ],
      {
        cancelled: 'OK, cancelled: no ticket was created.',
        confirmHelp: 'Answer **yes** to create the ticket in Gorgias, or **no** to drop it.',
        retryQuestion: 'Your ticket is kept. Do you want to try again?',
        retryHelp:
          'Choose **Try again** to send the same ticket to Gorgias again (when Gorgias never answered, I first check whether it made it already), or **Cancel** to drop it.',
      },
    );
  }

  protected async confirmation(context: TurnContext, options: NewTicketOptions): Promise<string> {
    const draft = draftOf(options);
    await sendResult(context, ticketSummaryCard(draft), ticketSummaryText(draft));
    return 'Create this ticket?';
  }

  protected async create(context: TurnContext, profile: ConnectedProfile, options: NewTicketOptions): Promise<FailedCreate | undefined> {
    const result = await this.services.gorgias.createTicket(profile, draftOf(options), busyNotice(context));
    noteWrite(context, result);
    if (!result.ok) return { failure: result.failure, topic: { kind: 'tickets' } };
    await this.showCreated(context, profile, result.value);
    return undefined;
  }

  protected async showEarlierTry(
    context: TurnContext,
    profile: ConnectedProfile,
    options: NewTicketOptions,
    since: string,
  ): Promise<'shown' | 'not_made' | FailedCreate> {
    const found = await findTicketFromEarlierAttempt(this.services.gorgias, profile, draftOf(options), since, busyNotice(context));
    if (!found.ok) return { failure: found.failure, topic: { kind: 'tickets' } };
    if (found.value === undefined) return 'not_made';
    await sendNow(context, TICKET_CREATED_ON_EARLIER_TRY);
    await this.showCreated(context, profile, found.value);
    return 'shown';
  }

  private async showCreated(context: TurnContext, profile: ConnectedProfile, ticket: TicketDetail): Promise<void> {
    const links = linksFor(this.services, profile);
    await sendResult(context, ticketCreatedCard(ticket, links), ticketCreatedText(ticket, links));
  }
}

function draftOf(options: NewTicketOptions) {
  return { customerEmail: options.customerEmail as string, subject: options.subject as string, message: options.message as string };
}
