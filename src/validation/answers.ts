/**
 * Reads short answers (yes or no, a choice from a list) only when the whole answer is one of them.
 *
 * botbuilder's ConfirmPrompt and ChoicePrompt look for a yes-word or a choice anywhere in the text, and
 * take a number in it as the choice at that position: "I'm not sure" is a yes (sure), "hold on 1 sec"
 * is the first choice. Before deleting a ticket or sending a create, a vague answer must be asked again,
 * not guessed. SDK-free, so it is tested alone and moves with the core.
 */

/** No answer to a yes/no question or a short list is longer than this. */
const MAX_ANSWER_LENGTH = 100;

const YES = new Set(['yes', 'y', 'yeah', 'yep', 'yup', 'sure', 'ok', 'okay', 'confirm', 'yes please', 'do it', 'go ahead', '👍']);
const NO = new Set(['no', 'n', 'nope', 'nah', 'no thanks', "don't", 'dont', 'not now', '👎']);

/** The answer as compared: trimmed, lower case, single spaces, without trailing `.` or `!`; undefined if it is no short text. */
export function normalizedAnswer(text: unknown): string | undefined {
  if (typeof text !== 'string' || text.length > MAX_ANSWER_LENGTH) return undefined;
  const normalized = text
    .trim()
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/\s+/g, ' ')
    .replace(/[.!]+$/, '')
    .trim();
  return normalized === '' ? undefined : normalized;
}

/** True for a whole-answer yes, false for a whole-answer no, undefined for anything else. */
export function yesOrNo(text: unknown): boolean | undefined {
  const answer = normalizedAnswer(text);
  if (answer === undefined) return undefined;
  if (YES.has(answer)) return true;
  if (NO.has(answer)) return false;
  return undefined;
}

export interface ExactChoice {
  value: string;
  /** Other whole answers that mean this choice. */
  synonyms?: readonly string[];
}

/**
 * The index of the choice the whole answer names: its value (what its button sends), one of its
 * synonyms, or its number in the list as the channel may show it ("1", "2", ...). Undefined otherwise.
 */
export function exactChoiceIndex(text: unknown, choices: readonly ExactChoice[]): number | undefined {
  const answer = normalizedAnswer(text);
  if (answer === undefined) return undefined;
  const named = choices.findIndex(
    (choice) => normalizedAnswer(choice.value) === answer || (choice.synonyms ?? []).some((synonym) => normalizedAnswer(synonym) === answer),
  );
  if (named >= 0) return named;
  if (/^\d{1,2}$/.test(answer)) {
    const position = Number(answer);
    if (position >= 1 && position <= choices.length) return position - 1;
  }
  return undefined;
}
