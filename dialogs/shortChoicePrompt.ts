/**
 * A ChoicePrompt that does not run the choice recognizer on long text. That recognizer (a tokenizer plus
 * the number and ordinal models) spends about a second of CPU on a 250 KB message, which the server
 * accepts; no answer to a short list of choices is longer than a sentence, so long text is simply not
 * a choice and gets the retry prompt.
 */
import type { TurnContext } from 'botbuilder';
import { ChoicePrompt, type FoundChoice, type PromptOptions, type PromptRecognizerResult } from 'botbuilder-dialogs';
import { optionsForAsking } from './askingAgain';

const MAX_CHOICE_TEXT_LENGTH = 200;

export class ShortChoicePrompt extends ChoicePrompt {
  /** Asked again (help, status) with the bare question: see askingAgain.ts. */
  protected override onPrompt(context: TurnContext, state: object, options: PromptOptions, isRetry: boolean): Promise<void> {
    return super.onPrompt(context, state, optionsForAsking(state, options, isRetry), isRetry);
  }

  protected override async onRecognize(
    context: TurnContext,
    // The prompt's own state, passed through untouched.
    state: object,
    options: PromptOptions,
  ): Promise<PromptRecognizerResult<FoundChoice>> {
    const text = context.activity.text;
    if (typeof text === 'string' && text.length > MAX_CHOICE_TEXT_LENGTH) return { succeeded: false };
    return super.onRecognize(context, state, options);
  }
}
