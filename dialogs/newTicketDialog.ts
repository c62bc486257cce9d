/**
 * "New ticket": asks for the customer's email, a subject and the message, shows a summary, and creates
 * the ticket only after the user confirms. When Gorgias fails, everything typed is kept so that trying
 * again needs no retyping; a create is never retried without the user asking.
 */
import { MessageFactory } from 'botbuilder';
import { ConfirmPrompt, ListStyle, TextPrompt, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import { parseCustomerEmail, parseTicketMessage, parseTicketSubject } from '../src/validation/ticketFields';
import { ticketCreatedCard, ticketSummaryCard } from '../src/cards/tickets';
import { ticketCreatedText, ticketSummaryText } from '../src/messages/tickets';
import { busyNotice, isTransient, linksFor, profileForAction, reportFailure, sendResult, type ActionServices } from './actionSupport';
import { InterruptibleDialog } from './interruptibleDialog';
import { ShortChoicePrompt } from './shortChoicePrompt';
import { textValidator } from './textValidator';

export const NEW_TICKET_DIALOG = 'newTicket';
const WATERFALL = 'newTicket.steps';
const EMAIL_PROMPT = 'newTicket.email';
const SUBJECT_PROMPT = 'newTicket.subject';
const MESSAGE_PROMPT = 'newTicket.message';
const CONFIRM_PROMPT = 'newTicket.confirm';
const RETRY_PROMPT = 'newTicket.retry';

const ASK_EMAIL = "What is the customer's email address?";
const ASK_SUBJECT = "What is the ticket's subject?";
const ASK_MESSAGE = "What is the customer's message?";
const CANCELLED = 'OK, cancelled: no ticket was created.';

export interface NewTicketOptions {
  customerEmail?: string;
  subject?: string;
  message?: string;
  /** Set when the user already confirmed and chose to try again after a failure. */
  confirmed?: boolean;
  notice?: string;
}

export class NewTicketDialog extends InterruptibleDialog<NewTicketOptions> {
  constructor(private readonly services: ActionServices) {
    super(NEW_TICKET_DIALOG);
    this.addDialog(new TextPrompt(EMAIL_PROMPT, textValidator(parseCustomerEmail, ASK_EMAIL)))
      .addDialog(new TextPrompt(SUBJECT_PROMPT, textValidator(parseTicketSubject, ASK_SUBJECT)))
      .addDialog(new TextPrompt(MESSAGE_PROMPT, textValidator(parseTicketMessage, ASK_MESSAGE)))
      .addDialog(new ConfirmPrompt(CONFIRM_PROMPT))
      .addDialog(new ShortChoicePrompt(RETRY_PROMPT))
      .addDialog(
        new WaterfallDialog<NewTicketOptions>(WATERFALL, [
          this.askEmail.bind(this),
          this.askSubject.bind(this),
          this.askMessage.bind(this),
          this.confirm.bind(this),
          this.create.bind(this),
          this.retryOrCancel.bind(this),
        ]),
      );
    this.initialDialogId = WATERFALL;
  }

  protected helpFor(activeDialogId: string | undefined): string {
    switch (activeDialogId) {
      case EMAIL_PROMPT:
        return "Type the email address of the customer the ticket is for, e.g. jane@example.com. If Gorgias doesn't know them yet, it creates the customer.";
      case SUBJECT_PROMPT:
        return 'Type a short subject that tells agents what the ticket is about.';
      case MESSAGE_PROMPT:
        return "Type the customer's message: it becomes the ticket's first message.";
      case CONFIRM_PROMPT:
        return 'Answer **yes** to create the ticket in Gorgias, or **no** to drop it.';
      default:
        return 'Choose **Try again** to send the same ticket to Gorgias again, or **Cancel** to drop it.';
    }
  }

  protected startOverOptions(notice: string): NewTicketOptions {
    return { notice };
  }

  protected override cancelMessage(): string {
    return CANCELLED;
  }

  private async askEmail(step: WaterfallStepContext<NewTicketOptions>): Promise<DialogTurnResult> {
    const options = step.options;
    // Nobody should type a whole ticket only to learn at the end that there is no usable connection.
    if (!(await profileForAction(this.services, step.context))) return step.endDialog();
    if (options.customerEmail) return step.next(options.customerEmail);
    const question = `${ASK_EMAIL} (Type **cancel** to stop.)`;
    return step.prompt(EMAIL_PROMPT, { prompt: options.notice ? `${options.notice}\n\n${question}` : question });
  }

  private async askSubject(step: WaterfallStepContext<NewTicketOptions>): Promise<DialogTurnResult> {
    step.options.customerEmail = step.result as string;
    if (step.options.subject) return step.next(step.options.subject);
    return step.prompt(SUBJECT_PROMPT, { prompt: ASK_SUBJECT });
  }

  private async askMessage(step: WaterfallStepContext<NewTicketOptions>): Promise<DialogTurnResult> {
    step.options.subject = step.result as string;
    if (step.options.message) return step.next(step.options.message);
    return step.prompt(MESSAGE_PROMPT, { prompt: ASK_MESSAGE });
  }

  private async confirm(step: WaterfallStepContext<NewTicketOptions>): Promise<DialogTurnResult> {
    step.options.message = step.result as string;
    if (step.options.confirmed) return step.next(true);
    const draft = draftOf(step.options);
    await sendResult(step.context, ticketSummaryCard(draft), ticketSummaryText(draft));
    // ConfirmPrompt picks Yes/No buttons or an inline list to suit the channel (it ignores a style option).
    return step.prompt(CONFIRM_PROMPT, { prompt: 'Create this ticket?' });
  }

  private async create(step: WaterfallStepContext<NewTicketOptions>): Promise<DialogTurnResult> {
    if (step.result !== true) {
      await step.context.sendActivity(CANCELLED);
      return step.endDialog();
    }
    step.options.confirmed = true;
    const profile = await profileForAction(this.services, step.context);
    if (!profile) return step.endDialog();

    const result = await this.services.gorgias.createTicket(profile, draftOf(step.options), busyNotice(step.context));
    if (result.ok) {
      const links = linksFor(this.services, profile);
      await sendResult(step.context, ticketCreatedCard(result.value, links), ticketCreatedText(result.value, links));
      return step.endDialog();
    }
    await reportFailure(this.services, step.context, profile, result.failure, { topic: { kind: 'tickets' }, isCreate: true });
    if (!isTransient(result.failure)) return step.endDialog();
    return step.prompt(RETRY_PROMPT, {
      prompt: 'Your ticket is kept. Do you want to try again?',
      choices: ['Try again', 'Cancel'],
      style: ListStyle.suggestedAction,
    });
  }

  private async retryOrCancel(step: WaterfallStepContext<NewTicketOptions>): Promise<DialogTurnResult> {
    if ((step.result as { value?: string } | undefined)?.value === 'Try again') {
      const { customerEmail, subject, message } = step.options;
      return step.replaceDialog(WATERFALL, { customerEmail, subject, message, confirmed: true });
    }
    await step.context.sendActivity(MessageFactory.text(CANCELLED));
    return step.endDialog();
  }
}

function draftOf(options: NewTicketOptions) {
  return { customerEmail: options.customerEmail as string, subject: options.subject as string, message: options.message as string };
}
