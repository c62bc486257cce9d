/**
 * Asking a question again (after `help` or `status`) without what came with it the first time. A
 * question is often sent together with a notice ("I deleted your message with the key", "Gorgias did not
 * accept that key"), and a prompt re-sends its whole first message when asked to re-prompt: the notice
 * would be repeated, and could claim something that did not happen again.
 */
import type { TurnContext } from 'botbuilder';
import { TextPrompt, type PromptOptions } from 'botbuilder-dialogs';

/** Prompt options that also carry the bare question, to ask again with. */
export interface QuestionOptions extends PromptOptions {
  question?: string;
}

/**
 * The options to prompt with: as given the first time and on a retry after a refused answer (which says
 * why); with only the bare question on a re-prompt. `state` is the prompt's own persisted state.
 */
export function optionsForAsking(state: object, options: PromptOptions, isRetry: boolean): PromptOptions {
  const marks = state as { asked?: boolean };
  const askingAgain = marks.asked === true && !isRetry;
  marks.asked = true;
  const question = (options as QuestionOptions).question;
  return askingAgain && typeof question === 'string' ? { ...options, prompt: question } : options;
}

/** A TextPrompt that asks again with the bare question (see QuestionOptions). */
export class QuestionPrompt extends TextPrompt {
  protected override onPrompt(context: TurnContext, state: object, options: PromptOptions, isRetry: boolean): Promise<void> {
    return super.onPrompt(context, state, optionsForAsking(state, options, isRetry), isRetry);
  }
}
