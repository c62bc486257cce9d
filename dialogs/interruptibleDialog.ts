/**
 * A component dialog the user can interrupt at any prompt with `cancel`, `help` or `start over`
 * (the pattern of the core-bot sample's CancelAndHelpDialog).
 */
import { ActivityTypes } from 'botbuilder';
import { ComponentDialog, Dialog, type DialogContext, type DialogTurnResult } from 'botbuilder-dialogs';
import { CANCELLED, STARTING_OVER } from '../src/messages/connect';

export type Interruption = 'cancel' | 'help' | 'start over';

const INTERRUPTIONS: Record<string, Interruption> = {
  cancel: 'cancel',
  stop: 'cancel',
  quit: 'cancel',
  help: 'help',
  '?': 'help',
  'start over': 'start over',
  restart: 'start over',
};

/** Only a message that is nothing but the word counts: "my key is ... cancel" is not a cancel. */
export function interruptionIn(text: unknown): Interruption | undefined {
  if (typeof text !== 'string' || text.length > 20) return undefined;
  const normalized = text.trim().toLowerCase().replace(/[.!]+$/, '').replace(/\s+/g, ' ');
  return INTERRUPTIONS[normalized];
}

export abstract class InterruptibleDialog<O extends object> extends ComponentDialog<O> {
  /** What to say when the user asks for help while the inner dialog `activeDialogId` waits. */
  protected abstract helpFor(activeDialogId: string | undefined): string;

  /**
   * The options a fresh run starts from, with a notice to show before its first question; undefined
   * when the dialog has a single question, which "start over" then simply asks again.
   */
  protected abstract startOverOptions(notice: string): O | undefined;

  /** The interruption a message asks for; a dialog can add words of its own. */
  protected interruptionFor(text: unknown): Interruption | undefined {
    return interruptionIn(text);
  }

  /** What to say when the user cancels. */
  protected cancelMessage(): string {
    return CANCELLED;
  }

  override async continueDialog(outerDc: DialogContext): Promise<DialogTurnResult> {
    const activity = outerDc.context.activity;
    const interruption = activity.type === ActivityTypes.Message ? this.interruptionFor(activity.text) : undefined;
    if (interruption === 'cancel') {
      await outerDc.context.sendActivity(this.cancelMessage());
      return outerDc.cancelAllDialogs();
    }
    if (interruption === 'start over') {
      const fresh = this.startOverOptions(STARTING_OVER);
      if (fresh) return outerDc.replaceDialog(this.id, fresh);
    }
    return super.continueDialog(outerDc);
  }

  protected override async onContinueDialog(innerDc: DialogContext): Promise<DialogTurnResult> {
    const interruption = innerDc.context.activity.type === ActivityTypes.Message ? this.interruptionFor(innerDc.context.activity.text) : undefined;
    if (interruption === 'help' || interruption === 'start over') {
      await innerDc.context.sendActivity(interruption === 'help' ? this.helpFor(innerDc.activeDialog?.id) : STARTING_OVER);
      await innerDc.repromptDialog();
      return Dialog.EndOfTurn;
    }
    return super.onContinueDialog(innerDc);
  }
}
