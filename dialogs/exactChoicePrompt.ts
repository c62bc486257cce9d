/**
 * A ChoicePrompt that takes only a whole answer as a choice (see src/validation/answers.ts): the value
 * a button sends, a synonym, or the choice's number. Anything else gets the retry prompt. It also spares
 * the SDK's choice recognizer (a tokenizer plus number and ordinal models), which spends about a second
 * of CPU on a 250 KB message.
 */
import type { TurnContext } from 'botbuilder';
import { ChoicePrompt, type Choice, type FoundChoice, type PromptOptions, type PromptRecognizerResult } from 'botbuilder-dialogs';
import { exactChoiceIndex } from '../src/validation/answers';
import { optionsForAsking } from './askingAgain';

export class ExactChoicePrompt extends ChoicePrompt {
  constructor(dialogId: string) {
    super(dialogId);
    // English list words whatever the user's locale, like the choices themselves.
    this.choiceOptions = { inlineSeparator: ', ', inlineOr: ' or ', inlineOrMore: ', or ', includeNumbers: true };
  }

  /** Asked again (help, status) with the bare question: see askingAgain.ts. */
  protected override onPrompt(context: TurnContext, state: object, options: PromptOptions, isRetry: boolean): Promise<void> {
    return super.onPrompt(context, state, optionsForAsking(state, options, isRetry), isRetry);
  }

  protected override async onRecognize(
    context: TurnContext,
    // The prompt's own state: nothing in it is needed to read an answer.
    _state: object,
    options: PromptOptions,
  ): Promise<PromptRecognizerResult<FoundChoice>> {
    const choices: Choice[] = (options.choices ?? []).map((choice) => (typeof choice === 'string' ? { value: choice } : choice));
    const index = exactChoiceIndex(context.activity.text, choices);
    if (index === undefined) return { succeeded: false };
    return { succeeded: true, value: { value: choices[index].value, index, score: 1 } };
  }
}
