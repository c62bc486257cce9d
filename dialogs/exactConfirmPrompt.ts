/**
 * A ConfirmPrompt (Yes/No buttons or a list, as suits the channel) that takes only a whole-answer yes or
 * no (see src/validation/answers.ts). The SDK's own reads "I'm not sure" as yes, and "hold on 1 sec" as
 * the first choice, Yes: before a delete or a create, a vague answer is asked again instead.
 */
import type { TurnContext } from 'botbuilder';
import { ConfirmPrompt, type PromptOptions, type PromptRecognizerResult } from 'botbuilder-dialogs';
import { exactChoiceIndex, yesOrNo } from '../src/validation/answers';

/** The order ConfirmPrompt lists its choices in, for an answer given as the choice's number. */
const LISTED = [{ value: 'yes' }, { value: 'no' }];

export class ExactConfirmPrompt extends ConfirmPrompt {
  constructor(dialogId: string) {
    super(dialogId);
    // English buttons and list words whatever the user's locale: only English answers are read (the bot
    // speaks English), and a German "(1) Ja oder (2) Nein" could not be answered with its own buttons.
    this.confirmChoices = ['Yes', 'No'];
    this.choiceOptions = { inlineSeparator: ', ', inlineOr: ' or ', inlineOrMore: ', or ', includeNumbers: true };
  }

  protected override async onRecognize(
    context: TurnContext,
    // The prompt's state and options: a yes or no needs neither.
    _state: object,
    _options: PromptOptions,
  ): Promise<PromptRecognizerResult<boolean>> {
    const text = context.activity.text;
    const answer = yesOrNo(text) ?? numbered(text);
    return answer === undefined ? { succeeded: false } : { succeeded: true, value: answer };
  }
}

function numbered(text: unknown): boolean | undefined {
  const index = exactChoiceIndex(text, LISTED);
  // Only the number: "yes" and "no" themselves were read by yesOrNo.
  return index === undefined ? undefined : index === 0;
}
