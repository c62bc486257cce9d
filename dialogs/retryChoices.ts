/**
 * "Do you want to try again?", asked after Gorgias failed in a way worth trying again: the two buttons,
 * and what else people answer the question with (read by ExactChoicePrompt, whole answers only).
 */
import { CANCEL, TRY_AGAIN } from '../src/messages/connect';

export const RETRY_CHOICES = [
  { value: TRY_AGAIN, synonyms: ['yes', 'y', 'yeah', 'yep', 'ok', 'okay', 'sure', 'retry', 'again', 'try'] },
  { value: CANCEL, synonyms: ['no', 'n', 'nope', 'not now', 'later'] },
];

/** Whether the answer to RETRY_CHOICES (a FoundChoice) was Try again. */
export function choseTryAgain(result: unknown): boolean {
  return (result as { value?: unknown } | undefined)?.value === TRY_AGAIN;
}
