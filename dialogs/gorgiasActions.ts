/**
 * The ticket and customer actions a connected user can take, limited to those the operator enabled
 * (GORGIAS_ACTIONS). A disabled action is refused politely and never reaches Gorgias. One-shot actions
 * run as handlers; those that ask questions or need a confirmation run as dialogs.
 */
import { MessageFactory, type TurnContext } from 'botbuilder';
import type { Dialog, DialogContext } from 'botbuilder-dialogs';
import type { GorgiasAction } from '../src/config';
import { ACTION_TITLES, exampleOf, parseActionCommand, type ActionCommand, type ParsedAction } from '../src/actionCommands';
import { MORE_TICKETS_ACTION } from '../src/cards/tickets';
import { noteRetriedCommand, type ActionServices } from './actionSupport';
import { showRecentTickets } from './recentTickets';
import { showTicket } from './showTicket';
import { tagTicket } from './tagTicket';
import { findCustomer } from './findCustomer';
import { NEW_TICKET_DIALOG, NewTicketDialog } from './newTicketDialog';
import { NEW_CUSTOMER_DIALOG, NewCustomerDialog } from './newCustomerDialog';
import { TICKET_CHANGE_DIALOG, TicketChangeDialog } from './ticketChangeDialog';

const DESCRIPTIONS: Record<GorgiasAction, string> = {
  recent: 'the 5 most recently updated tickets (then **more**)',
  show: "a ticket's details",
  new: 'create a ticket for a customer',
  close: 'close a ticket',
  reopen: 'reopen a ticket',
  tag: 'add a tag to a ticket',
  delete: 'delete a ticket',
  customer: 'look up a customer and their tickets',
  'new-customer': 'create a customer',
};

export class GorgiasActions {
  readonly dialogs: Dialog[];

  constructor(
    private readonly services: ActionServices,
    private readonly enabled: readonly GorgiasAction[],
  ) {
    this.dialogs = [new NewTicketDialog(services), new NewCustomerDialog(services, enabled.includes('customer')), new TicketChangeDialog(services)];
  }

  /** The action in this message, typed or from a card's button; undefined when the message is not one. */
  commandIn(context: TurnContext, text: string | undefined): ParsedAction | undefined {
    const value = context.activity.value as { action?: unknown; cursor?: unknown } | undefined;
    if (value && value.action === MORE_TICKETS_ACTION && typeof value.cursor === 'string' && value.cursor.length <= 2000) {
      return { ok: true, command: { action: 'recent', page: 'next', cursor: value.cursor } };
    }
    return parseActionCommand(text);
  }

  /**
   * The command a typed "try again" means: the one whose failure offered Try again at the turn before.
   * Forgotten at every message, so it is only ever the answer to that offer.
   */
  async takeRetryCommand(context: TurnContext, willRun: boolean): Promise<ParsedAction | undefined> {
    const command = await this.services.retryCommand.get(context);
    if (command === undefined) return undefined;
    await this.services.retryCommand.delete(context);
    const parsed = parseActionCommand(command);
    // Should it fail again, its Try again must still re-send the command, not the words "try again".
    if (willRun && parsed?.ok === true) noteRetriedCommand(context, command);
    return parsed;
  }

  async run(dc: DialogContext, parsed: ParsedAction): Promise<void> {
    const context = dc.context;
    const action = parsed.ok ? parsed.command.action : parsed.action;
    if (!this.enabled.includes(action)) {
      await context.sendActivity(MessageFactory.suggestedActions(this.buttons(), this.notEnabled()));
      return;
    }
    if (!parsed.ok) {
      await context.sendActivity(parsed.reason);
      return;
    }
    await this.dispatch(dc, parsed.command);
  }

  private async dispatch(dc: DialogContext, command: ActionCommand): Promise<void> {
    const context = dc.context;
    switch (command.action) {
      case 'recent':
        return showRecentTickets(this.services, context, command);
      case 'show':
        return showTicket(this.services, context, command.ticketId);
      case 'tag':
        return tagTicket(this.services, context, command.ticketId, command.tag);
      case 'customer':
        return findCustomer(this.services, context, command.email);
      case 'new':
        await dc.beginDialog(NEW_TICKET_DIALOG, {});
        return;
      case 'new-customer':
        await dc.beginDialog(NEW_CUSTOMER_DIALOG, {});
        return;
      case 'close':
      case 'reopen':
      case 'delete':
        await dc.beginDialog(TICKET_CHANGE_DIALOG, { ticketId: command.ticketId, change: command.action });
        return;
    }
  }

  /** Buttons for the enabled actions that need nothing typed after them. */
  buttons(): string[] {
    const buttons: string[] = [];
    if (this.enabled.includes('recent')) buttons.push(ACTION_TITLES.recent);
    if (this.enabled.includes('new')) buttons.push(ACTION_TITLES.new);
    if (this.enabled.includes('new-customer')) buttons.push(ACTION_TITLES.newCustomer);
    return buttons;
  }

  /** The enabled actions, one line each, with how to write them. */
  helpLines(): string[] {
    return this.enabled.map((action) => `- **${exampleOf(action)}**: ${DESCRIPTIONS[action]}`);
  }

  private notEnabled(): string {
    if (this.enabled.length === 0) return "Sorry, this bot doesn't offer ticket or customer actions.";
    return `Sorry, that isn't available in this bot. You can use: ${this.enabled.map((action) => `**${exampleOf(action)}**`).join(', ')}.`;
  }
}
