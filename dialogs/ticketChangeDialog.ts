/**
 * "Close ticket <id>", "Reopen ticket <id>" and "Delete ticket <id>": looks the ticket up, asks for a
 * confirmation that names it by its subject, and only then changes or deletes it.
 */
import { WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import { confirmDelete, confirmStatusChange, statusChanged, ticketDeleted, ticketName } from '../src/messages/tickets';
import { busyNotice, noteWrite, profileForAction, reportFailure, type ActionServices } from './actionSupport';
import { ANSWER_YES_OR_NO } from '../src/messages/bot';
import { ExactConfirmPrompt } from './exactConfirmPrompt';
import { InterruptibleDialog } from './interruptibleDialog';
import { sendNow } from '../src/heldReplies';
import type { ActionCommand } from '../src/actionCommands';

export const TICKET_CHANGE_DIALOG = 'ticketChange';
const WATERFALL = 'ticketChange.steps';
const CONFIRM_PROMPT = 'ticketChange.confirm';

export type TicketChange = 'close' | 'reopen' | 'delete';

export interface TicketChangeOptions {
  ticketId: number;
  change: TicketChange;
  /** Filled once the ticket was looked up, to name it in the confirmation and the result. */
  subject?: string;
}

export class TicketChangeDialog extends InterruptibleDialog<TicketChangeOptions> {
  constructor(private readonly services: ActionServices) {
    super(TICKET_CHANGE_DIALOG);
    this.addDialog(new ExactConfirmPrompt(CONFIRM_PROMPT)).addDialog(
      new WaterfallDialog<TicketChangeOptions>(WATERFALL, [this.lookUpAndConfirm.bind(this), this.apply.bind(this)]),
    );
    this.initialDialogId = WATERFALL;
  }

  protected override runsCommand(command: ActionCommand): boolean {
    return this.services.actionEnabled(command.action);
  }

  protected helpFor(): string {
    return 'Answer **yes** to go ahead, or **no** to leave the ticket as it is.';
  }

  /** There is only one question: starting over asks it again. */
  protected startOverOptions(): undefined {
    return undefined;
  }

  protected override cancelMessage(): string {
    return 'OK, I left the ticket as it was.';
  }

  private async lookUpAndConfirm(step: WaterfallStepContext<TicketChangeOptions>): Promise<DialogTurnResult> {
    const { ticketId, change } = step.options;
    const profile = await profileForAction(this.services, step.context);
    if (!profile) return step.endDialog();
    const ticket = await this.services.gorgias.getTicket(profile, ticketId, busyNotice(step.context));
    if (!ticket.ok) {
      await reportFailure(this.services, step.context, profile, ticket.failure, { topic: { kind: 'ticket', id: ticketId } }, commandFor(change, ticketId));
      return step.endDialog();
    }
    step.options.subject = ticket.value.subject;
    const named = { id: ticketId, subject: ticket.value.subject };
    if (change !== 'delete' && ticket.value.status === statusAfter(change)) {
      await step.context.sendActivity(`Ticket ${ticketName(named)} is already **${statusAfter(change)}**.`);
      return step.endDialog();
    }
    const question = change === 'delete' ? confirmDelete(named) : confirmStatusChange(named, statusAfter(change));
    // ConfirmPrompt picks Yes/No buttons or an inline list to suit the channel (it ignores a style option).
    return step.prompt(CONFIRM_PROMPT, { prompt: question, retryPrompt: `${ANSWER_YES_OR_NO} ${question}` });
  }

  private async apply(step: WaterfallStepContext<TicketChangeOptions>): Promise<DialogTurnResult> {
    const { ticketId, change, subject } = step.options;
    if (step.result !== true) {
      await step.context.sendActivity(this.cancelMessage());
      return step.endDialog();
    }
    // Should the operator's connection be down for now, Try again starts this change over (it asks again).
    const profile = await profileForAction(this.services, step.context, commandFor(change, ticketId));
    if (!profile) return step.endDialog();
    const named = { id: ticketId, subject };
    const call = busyNotice(step.context);
    const result =
      change === 'delete'
        ? await this.services.gorgias.deleteTicket(profile, ticketId, call)
        : await this.services.gorgias.setTicketStatus(profile, ticketId, statusAfter(change), call);
    noteWrite(step.context, result);
    if (!result.ok) {
      const about = { topic: { kind: 'ticket', id: ticketId }, isChange: true } as const;
      await reportFailure(this.services, step.context, profile, result.failure, about, commandFor(change, ticketId));
      return step.endDialog();
    }
    // Done in Gorgias: said whatever becomes of this turn's save (see heldReplies.ts).
    await sendNow(step.context, change === 'delete' ? ticketDeleted(named) : statusChanged(named, statusAfter(change)));
    return step.endDialog();
  }
}

function statusAfter(change: Exclude<TicketChange, 'delete'>): 'open' | 'closed' {
  return change === 'close' ? 'closed' : 'open';
}

function commandFor(change: TicketChange, ticketId: number): string {
  return `${change} ticket ${ticketId}`;
}
