/**
 * What "new ticket" and "new customer" share: ask a few questions, show what will be created and ask
 * for a confirmation, then create it with the connected profile. When Gorgias fails in a way worth
 * trying again, everything typed is kept and the user is offered Try again / Cancel; a create is never
 * retried without the user asking. When the failure leaves it unclear whether Gorgias created it (a
 * timeout, a 5xx), Try again first looks for what the first try would have made, and shows that instead
 * of creating it twice (src/gorgias/earlierCreate.ts).
 *
 * The inner dialogs are named from the dialog's id (`<id>.steps`, `<id>.confirm`, `<id>.retry`) and
 * the questions' prompt ids are given by each dialog: a running bot stores these names in its dialog
 * state, so renaming one would strand conversations that are halfway through.
 */
import type { TurnContext } from 'botbuilder';
import { ListStyle, TextPrompt, WaterfallDialog, type DialogTurnResult, type WaterfallStep, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { GorgiasFailure } from '../src/gorgias/types';
import { mayHaveBeenCreated } from '../src/gorgias/earlierCreate';
import type { FailureTopic } from '../src/messages/tickets';
import type { ConnectedProfile } from '../src/profile/profile';
import type { ActionCommand } from '../src/actionCommands';
import type { Parsed } from '../src/validation/result';
import { isTransient, operatorDownForNow, profileForAction, reportFailure, type ActionServices } from './actionSupport';
import { RETRY_CHOICES, choseTryAgain } from './retryChoices';
import { draftDigest } from './uncertainCreates';
import { InterruptibleDialog, freeTextInterruptionIn, type Interruption } from './interruptibleDialog';
import { ExactChoicePrompt } from './exactChoicePrompt';
import { ANSWER_YES_OR_NO } from '../src/messages/bot';
import { couldNotCheckEarlierTry, draftDroppedCheckGorgias, droppedButMayExist } from '../src/messages/tickets';
import { ExactConfirmPrompt } from './exactConfirmPrompt';
import { textValidator } from './textValidator';

/** The options every such dialog carries besides the answers to its questions. */
export interface DraftOptions {
  /** Set when the user already confirmed and chose to try again after a failure. */
  confirmed?: boolean;
  /** Shown before the first question, e.g. after "start over". */
  notice?: string;
  /**
   * When an earlier try may have created it anyway: when that try started (an ISO time). Try again then
   * looks for it first.
   */
  uncertainSince?: string;
}

/** The options that hold the answers to the questions (every optional string but the notice). */
type AnswerField<O extends DraftOptions> = {
  [K in keyof O]-?: K extends keyof DraftOptions ? never : O[K] extends string | undefined ? K : never;
}[keyof O];

export interface Question<O extends DraftOptions> {
  /** Where the answer is kept; a value already there (after Try again) skips the question. */
  field: AnswerField<O>;
  promptId: string;
  ask: string;
  parse: (input: string) => Parsed<string>;
  /** What "help" says while this question waits. */
  help: string;
  /**
   * False for a question whose answer cannot be a sentence (an email): there "stop", "quit" and
   * "restart" interrupt as at a yes/no. Free text by default, where they may be the answer itself.
   */
  freeText?: boolean;
}

export interface ConfirmThenCreateTexts {
  /** Said when the user answers no, cancels, or chooses Cancel after a failure. */
  cancelled: string;
  /** What "help" says at the confirmation. */
  confirmHelp: string;
  /** The question after a failure worth trying again, e.g. "Your ticket is kept. Do you want to try again?" */
  retryQuestion: string;
  /** What "help" says at the Try again / Cancel question. */
  retryHelp: string;
}

/** A failed create for the dialog to report: what failed, and what the create was about. */
export interface FailedCreate {
  failure: GorgiasFailure;
  topic: FailureTopic;
}

export abstract class ConfirmThenCreateDialog<O extends DraftOptions> extends InterruptibleDialog<O> {
  private readonly waterfallId: string;
  private readonly confirmPromptId: string;
  private readonly retryPromptId: string;

  protected constructor(
    dialogId: string,
    protected readonly services: ActionServices,
    private readonly questions: readonly Question<O>[],
    private readonly texts: ConfirmThenCreateTexts,
  ) {
    super(dialogId);
    this.waterfallId = `${dialogId}.steps`;
    this.confirmPromptId = `${dialogId}.confirm`;
    this.retryPromptId = `${dialogId}.retry`;
    for (const question of questions) this.addDialog(new TextPrompt(question.promptId, textValidator(question.parse, question.ask)));
    this.addDialog(new ExactConfirmPrompt(this.confirmPromptId))
      .addDialog(new ExactChoicePrompt(this.retryPromptId))
      .addDialog(
        new WaterfallDialog<O>(this.waterfallId, [
          ...questions.map((question, index) => this.questionStep(question, questions[index - 1])),
          this.confirm.bind(this),
          this.createStep.bind(this),
          this.retryOrCancel.bind(this),
        ]),
      );
    this.initialDialogId = this.waterfallId;
  }

  /** Shows what is about to be created, if there is more to show than the question, and returns the question. */
  protected abstract confirmation(context: TurnContext, options: O): Promise<string>;

  /**
   * Calls Gorgias and shows the result. Returns the failure for this dialog to report (offering Try
   * again when it is transient), or undefined once the user has been told the outcome.
   */
  protected abstract create(context: TurnContext, profile: ConnectedProfile, options: O): Promise<FailedCreate | undefined>;

  /**
   * Looks for what a try started at `since` would have made. Shows it and returns `shown`, returns
   * `not_made` when there is nothing, or the failure of the lookup (nothing is created then).
   */
  protected abstract showEarlierTry(
    context: TurnContext,
    profile: ConnectedProfile,
    options: O,
    since: string,
  ): Promise<'shown' | 'not_made' | FailedCreate>;

  /** What is created, in the sentences about an earlier try. */
  protected abstract readonly createdKind: 'ticket' | 'customer';

  protected helpFor(activeDialogId: string | undefined): string {
    const question = this.questions.find((candidate) => candidate.promptId === activeDialogId);
    if (question) return question.help;
    return activeDialogId === this.confirmPromptId ? this.texts.confirmHelp : this.texts.retryHelp;
  }

  /** Every question here takes free text, where "Help!" may be a subject and "Stop" a customer's message. */
  protected override interruptionAt(text: unknown, activeDialogId: string | undefined): Interruption | undefined {
    const atFreeText = this.questions.some((question) => question.promptId === activeDialogId && question.freeText !== false);
    return atFreeText ? freeTextInterruptionIn(text) : super.interruptionAt(text, activeDialogId);
  }

  protected override runsCommand(command: ActionCommand): boolean {
    return this.services.actionEnabled(command.action);
  }

  protected override givesWayToCommandsAt(activeDialogId: string | undefined): boolean {
    return !this.questions.some((question) => question.promptId === activeDialogId);
  }

  protected startOverOptions(notice: string, current: O | undefined): O {
    // Every field of O but the notice is optional, so a notice alone is a fresh start. An earlier try that
    // may have created it is still looked for: the user may well type the same again.
    const since = current?.uncertainSince;
    return (since === undefined ? { notice } : { notice, uncertainSince: since }) as O;
  }

  protected override cancelMessage(current?: O): string {
    // "No ticket was created" would be untrue if a try whose answer never came did create it.
    return current?.uncertainSince === undefined ? this.texts.cancelled : droppedButMayExist(this.createdKind);
  }

  /** Keeps the answer to the question before, then asks this one unless it is already answered. */
  private questionStep(question: Question<O>, previous: Question<O> | undefined): WaterfallStep<O> {
    return async (step: WaterfallStepContext<O>): Promise<DialogTurnResult> => {
      const options = step.options;
      if (previous) {
        options[previous.field] = step.result as O[AnswerField<O>];
      } else if (!(await profileForAction(this.services, step.context))) {
        // Nobody should answer every question only to learn at the end that there is no usable connection.
        return step.endDialog();
      }
      const answered = options[question.field];
      if (answered) return step.next(answered);
      if (previous) return step.prompt(question.promptId, { prompt: question.ask });
      const first = `${question.ask} (Type **cancel** to stop.)`;
      return step.prompt(question.promptId, { prompt: options.notice ? `${options.notice}\n\n${first}` : first });
    };
  }

  private async confirm(step: WaterfallStepContext<O>): Promise<DialogTurnResult> {
    const last = this.questions[this.questions.length - 1];
    if (last) step.options[last.field] = step.result as O[AnswerField<O>];
    if (step.options.confirmed) return step.next(true);
    const question = await this.confirmation(step.context, step.options);
    // ConfirmPrompt picks Yes/No buttons or an inline list to suit the channel (it ignores a style option).
    return step.prompt(this.confirmPromptId, { prompt: question, retryPrompt: `${ANSWER_YES_OR_NO} ${question}` });
  }

  private async createStep(step: WaterfallStepContext<O>): Promise<DialogTurnResult> {
    if (step.result !== true) {
      // After start over, an earlier try whose answer never came may still have created it.
      await step.context.sendActivity(this.cancelMessage(step.options));
      return step.endDialog();
    }
    step.options.confirmed = true;
    const profile = await profileForAction(this.services, step.context, false);
    // Gorgias down for the operator's connection: the draft is kept, and Try again asked as after a failed create.
    if (!profile) return operatorDownForNow(step.context) ? this.askRetry(step) : step.endDialog();

    // The same draft may have been tried before without an answer, in this dialog (Try again) or an
    // earlier one the user cancelled after being told it may exist.
    const digest = this.digestOf(step.options);
    const uncertain = this.services.uncertainCreates;
    const since = step.options.uncertainSince ?? (await uncertain.sinceFor(step.context, digest));
    if (since !== undefined) {
      step.options.uncertainSince = since;
      const earlier = await this.showEarlierTry(step.context, profile, step.options, since);
      if (earlier === 'shown') {
        await uncertain.forget(step.context, digest);
        return step.endDialog();
      }
      if (earlier !== 'not_made') return this.reportAndOfferRetry(step, profile, earlier, couldNotCheckEarlierTry(this.createdKind));
    }
    const startedAt = new Date().toISOString();
    const failed = await this.create(step.context, profile, step.options);
    if (!failed) {
      await uncertain.forget(step.context, digest);
      return step.endDialog();
    }
    // The earliest uncertain try is the one to look for: a later one that failed for sure made nothing.
    if (since === undefined && mayHaveBeenCreated(failed.failure)) {
      step.options.uncertainSince = startedAt;
      await uncertain.remember(step.context, digest, startedAt);
    }
    return this.reportAndOfferRetry(step, profile, failed);
  }

  /** Explains the failure, then offers Try again / Cancel when trying again may help. */
  private async reportAndOfferRetry(
    step: WaterfallStepContext<O>,
    profile: ConnectedProfile,
    failed: FailedCreate,
    lead?: string,
  ): Promise<DialogTurnResult> {
    const transient = isTransient(failed.failure);
    const about =
      lead === undefined
        ? { topic: failed.topic, isCreate: true }
        : { topic: failed.topic, lead, ...(transient ? {} : { trail: draftDroppedCheckGorgias(this.createdKind) }) };
    await reportFailure(this.services, step.context, profile, failed.failure, about);
    if (!transient) return step.endDialog();
    return this.askRetry(step);
  }

  private askRetry(step: WaterfallStepContext<O>): Promise<DialogTurnResult> {
    return step.prompt(this.retryPromptId, {
      prompt: this.texts.retryQuestion,
      choices: RETRY_CHOICES,
      style: ListStyle.suggestedAction,
    });
  }

  private async retryOrCancel(step: WaterfallStepContext<O>): Promise<DialogTurnResult> {
    if (choseTryAgain(step.result)) {
      return step.replaceDialog(this.waterfallId, this.keptAnswers(step.options));
    }
    await step.context.sendActivity(this.cancelMessage(step.options));
    return step.endDialog();
  }

  private digestOf(options: O): string {
    return draftDigest(this.id, this.questions.map((question) => options[question.field] as string | undefined));
  }

  /** The answers typed so far, confirmed: what a fresh run starts from after Try again. */
  private keptAnswers(options: O): O {
    const kept: Partial<O> = {};
    for (const question of this.questions) kept[question.field] = options[question.field];
    kept.confirmed = true;
    if (options.uncertainSince !== undefined) kept.uncertainSince = options.uncertainSince;
    // Every field of O is optional; the answers and `confirmed` are the whole of a retry's options.
    return kept as O;
  }
}
