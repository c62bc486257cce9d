/**
 * Asks for the Gorgias API key. Where the channel renders Adaptive Cards the key is typed into a masked
 * field (so it never appears as a chat message) and arrives in the activity's `value`; elsewhere, and as
 * a fallback everywhere, it is read from typed text.
 */
import { ActivityTypes, CardFactory, InputHints, MessageFactory, type Activity, type TurnContext } from 'botbuilder';
import { Prompt, type PromptOptions, type PromptRecognizerResult, type PromptValidator } from 'botbuilder-dialogs';
import { apiKeyCard, apiKeyFromSubmission } from '../src/cards/apiKeyCard';
import { channelRendersAdaptiveCards } from '../src/channels';
import { optionsForAsking } from './askingAgain';

export class ApiKeyPrompt extends Prompt<string> {
  constructor(dialogId: string, validator?: PromptValidator<string>) {
    super(dialogId, validator);
  }

  protected async onPrompt(context: TurnContext, state: object, given: PromptOptions, isRetry: boolean): Promise<void> {
    // Asked again (help, status) with the bare question: see askingAgain.ts.
    const options = optionsForAsking(state, given, isRetry);
    const prompt = isRetry && options.retryPrompt ? options.retryPrompt : options.prompt;
    const text = typeof prompt === 'string' ? prompt : (prompt?.text ?? '');
    await context.sendActivity(apiKeyRequest(context.activity.channelId, text));
  }

  protected async onRecognize(context: TurnContext): Promise<PromptRecognizerResult<string>> {
    const activity = context.activity;
    if (activity.type !== ActivityTypes.Message) return { succeeded: false };
    const submitted = apiKeyFromSubmission(activity.value);
    if (submitted !== undefined) return { succeeded: true, value: submitted };
    if (typeof activity.text === 'string') return { succeeded: true, value: activity.text };
    return { succeeded: false };
  }
}

function apiKeyRequest(channelId: string | undefined, text: string): Partial<Activity> {
  // Like the SDK's own prompts, tell the channel an answer is expected (speech channels open the mic).
  if (!channelRendersAdaptiveCards(channelId)) return MessageFactory.text(text, undefined, InputHints.ExpectingInput);
  // The card carries the words, so they are not shown twice; `text` stays as the fallback some channels show.
  const message = MessageFactory.attachment(CardFactory.adaptiveCard(apiKeyCard(text)), undefined, undefined, InputHints.ExpectingInput);
  message.text = undefined;
  message.summary = text;
  return message;
}

/** True when the turn's key arrived as typed text, visible in the chat history, rather than from the masked card. */
export function keyWasTyped(context: TurnContext): boolean {
  return apiKeyFromSubmission(context.activity.value) === undefined;
}
