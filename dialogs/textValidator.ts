/**
 * Validators for text prompts built from the SDK-free parsers in src/validation: an answer is accepted
 * in its parsed (normalized) form, or the user gets the parser's reason and the question again.
 */
import { ActivityTypes } from 'botbuilder';
import type { PromptValidatorContext } from 'botbuilder-dialogs';
import type { Parsed } from '../src/validation/result';
import { NOT_TEXT } from '../src/messages/connect';

/**
 * A TextPrompt validator from a parser: it accepts the parsed (normalized) value, or makes the retry
 * message the parser's reason followed by the question, in one message.
 */
export function textValidator(parse: (input: string) => Parsed<string>, question: string) {
  return async (prompt: PromptValidatorContext<string>): Promise<boolean> => {
    const answer = answerText(prompt);
    const parsed: Parsed<string> = answer === undefined ? { ok: false, reason: NOT_TEXT } : parse(answer);
    if (parsed.ok) {
      prompt.recognized.value = parsed.value;
      return true;
    }
    prompt.options.retryPrompt = `${parsed.reason}\n\n${question}`;
    return false;
  };
}

/**
 * The text to judge. TextPrompt does not recognize an empty message, but the user did type (nothing):
 * the parser's "please type ..." says more than "I can only read typed text". A message that carries
 * only attachments has no answer at all.
 */
function answerText(prompt: PromptValidatorContext<string>): string | undefined {
  if (prompt.recognized.succeeded) return prompt.recognized.value ?? '';
  const activity = prompt.context.activity;
  const hasAttachments = (activity.attachments?.length ?? 0) > 0;
  return activity.type === ActivityTypes.Message && !hasAttachments && typeof activity.text === 'string' ? activity.text : undefined;
}

