/**
 * A component dialog the user can interrupt at any prompt with `cancel`, `help` or `start over`
 * (the pattern of the core-bot sample's CancelAndHelpDialog).
 */
import { ActivityTypes } from 'botbuilder';
import { ComponentDialog, Dialog, type DialogContext, type DialogTurnResult } from 'botbuilder-dialogs';
import { CANCELLED, STARTING_OVER } from '../src/messages/connect';
import { parseActionCommand, type ActionCommand } from '../src/actionCommands';

/**
 * Set on a turn whose message was a new command typed at a yes/no or choice question: the dialog gave
 * way (see InterruptibleDialog.continueDialog), and the bot runs the command instead.
 */
const GAVE_WAY_TO_COMMAND = Symbol('gaveWayToCommand');

/** Whether this turn's dialog ended so that the command typed at its question runs instead. */
export function gaveWayToCommand(turnState: Map<unknown, unknown>): boolean {
  return turnState.get(GAVE_WAY_TO_COMMAND) === true;
}

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
  const normalized = text.trim().toLowerCase().replace(/\s+/g, ' ');
  // "?" alone asks for help; after a word ("help?", "cancel!") the punctuation is just tone.
  return INTERRUPTIONS[normalized] ?? INTERRUPTIONS[normalized.replace(/[.!?]+$/, '').trim()];
}

/**
 * At a question whose answer is free text (a ticket's subject or message, a name), "Help!" or "Stop" can
 * be the answer itself: there only the words themselves, exactly, interrupt.
 */
const FREE_TEXT_INTERRUPTIONS: Record<string, Interruption> = { cancel: 'cancel', help: 'help', '?': 'help', 'start over': 'start over' };

export function freeTextInterruptionIn(text: unknown): Interruption | undefined {
  if (typeof text !== 'string' || text.length > 20) return undefined;
  return FREE_TEXT_INTERRUPTIONS[text.trim().toLowerCase().replace(/\s+/g, ' ')];
}

export abstract class InterruptibleDialog<O extends object> extends ComponentDialog<O> {
  /** What to say when the user asks for help while the inner dialog `activeDialogId` waits. */
  protected abstract helpFor(activeDialogId: string | undefined): string;

  /**
   * The options a fresh run starts from, with a notice to show before its first question; undefined
   * when the dialog has a single question, which "start over" then simply asks again.
   */
  protected abstract startOverOptions(notice: string, current: O | undefined): O | undefined;

  /** The interruption a message asks for; a dialog can add words of its own. */
  protected interruptionFor(text: unknown): Interruption | undefined {
    return interruptionIn(text);
  }

  /**
   * The interruption a message asks for while the inner dialog `activeDialogId` waits. A dialog whose
   * questions take free text narrows it there (see freeTextInterruptionIn).
   */
  protected interruptionAt(text: unknown, _activeDialogId: string | undefined): Interruption | undefined {
    return this.interruptionFor(text);
  }

  /**
   * Whether a ticket command typed while `activeDialogId` waits replaces this dialog. At a yes/no or a
   * choice it does ("delete ticket 104" at "Delete ticket #103?" means 104); a question whose answer is
   * free text takes it as the answer.
   */
  protected givesWayToCommandsAt(_activeDialogId: string | undefined): boolean {
    return true;
  }

  /**
   * Whether `command` (well formed) is one this bot would run: only such a command makes the dialog
   * give way. None by default; the action dialogs accept the actions the operator enabled.
   */
  protected runsCommand(_command: ActionCommand): boolean {
    return false;
  }

  /** What to say when the user cancels; `current` is the options of the run under way. */
  protected cancelMessage(_current?: O): string {
    return CANCELLED;
  }

  /** The options the inner waterfall runs with: it is the first of the inner stack, its prompts after it. */
  private currentOptions(outerDc: DialogContext): O | undefined {
    const bottom = this.createChildContext(outerDc)?.stack[0];
    return (bottom?.state as { options?: O } | undefined)?.options;
  }

  override async continueDialog(outerDc: DialogContext): Promise<DialogTurnResult> {
    const activity = outerDc.context.activity;
    let interruption = activity.type === ActivityTypes.Message ? this.interruptionFor(activity.text) : undefined;
    // Which question waits is looked up only for a message that may interrupt: it costs a DialogContext.
    if (interruption !== undefined) interruption = this.interruptionAt(activity.text, this.createChildContext(outerDc)?.activeDialog?.id);
    if (interruption === 'cancel') {
      await outerDc.context.sendActivity(this.cancelMessage(this.currentOptions(outerDc)));
      return outerDc.cancelAllDialogs();
    }
    const typed = interruption === undefined && activity.type === ActivityTypes.Message ? parseActionCommand(activity.text) : undefined;
    // A malformed or disabled command would only be refused: the draft is not dropped for it.
    if (typed?.ok === true && this.runsCommand(typed.command)) {
      const activeDialogId = this.createChildContext(outerDc)?.activeDialog?.id;
      if (this.givesWayToCommandsAt(activeDialogId)) {
        await outerDc.context.sendActivity(this.cancelMessage(this.currentOptions(outerDc)));
        outerDc.context.turnState.set(GAVE_WAY_TO_COMMAND, true);
        return outerDc.cancelAllDialogs();
      }
    }
    if (interruption === 'start over') {
      const fresh = this.startOverOptions(STARTING_OVER, this.currentOptions(outerDc));
      if (fresh) return outerDc.replaceDialog(this.id, fresh);
    }
    return super.continueDialog(outerDc);
  }

  protected override async onContinueDialog(innerDc: DialogContext): Promise<DialogTurnResult> {
    const activity = innerDc.context.activity;
    const interruption = activity.type === ActivityTypes.Message ? this.interruptionAt(activity.text, innerDc.activeDialog?.id) : undefined;
    if (interruption === 'help' || interruption === 'start over') {
      await innerDc.context.sendActivity(interruption === 'help' ? this.helpFor(innerDc.activeDialog?.id) : STARTING_OVER);
      await innerDc.repromptDialog();
      return Dialog.EndOfTurn;
    }
    return super.onContinueDialog(innerDc);
  }
}
