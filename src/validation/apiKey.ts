import { findHiddenCharacter, type Parsed } from './result';

/**
 * Checks a Gorgias REST API key for the mistakes copying and pasting make. Gorgias does not
 * document the key's format, so the key is treated as opaque: only what can never be part of a
 * key (whitespace, control and invisible characters) and absurd lengths are refused, and
 * Gorgias decides whether the key is valid.
 *
 * The key is a secret: the reasons are fixed sentences and never contain any of it, not even
 * its length, so they are safe to show, log or store.
 */

const MIN_KEY_LENGTH = 8;
const MAX_KEY_LENGTH = 512;
const WHERE_TO_FIND = "You can copy it from the REST API page of your Gorgias account's settings.";

const REASONS = {
  empty: `Please paste your Gorgias REST API key. ${WHERE_TO_FIND}`,
  tooShort: `That is too short to be a Gorgias API key (they are at least ${MIN_KEY_LENGTH} characters); please copy the whole key again. ${WHERE_TO_FIND}`,
  tooLong: `That is too long to be a Gorgias API key (they are at most ${MAX_KEY_LENGTH} characters); please copy just the key. ${WHERE_TO_FIND}`,
  notAscii: `A Gorgias API key is made of plain letters, digits and punctuation; that looks like something else. Please copy the key again. ${WHERE_TO_FIND}`,
  spaceOrInvisible: `An API key can't contain spaces, line breaks or invisible characters; please copy the key again and paste only the key. ${WHERE_TO_FIND}`,
} as const;

const refuse = (reason: string): Parsed<string> => ({ ok: false, reason });

export function parseApiKey(input: string): Parsed<string> {
  // Runtime guard: the value comes from chat activity payloads, which are not type-checked.
  if (typeof input !== 'string') return refuse(REASONS.empty);
  const key = withoutSurroundingQuotes(input.trim());
  if (key === '') return refuse(REASONS.empty);
  // Checked before the character scan so an enormous paste is not walked character by character.
  if (key.length > MAX_KEY_LENGTH) return refuse(REASONS.tooLong);
  if (findHiddenCharacter(key) !== undefined) return refuse(REASONS.spaceOrInvisible);
  if (key.length < MIN_KEY_LENGTH) return refuse(REASONS.tooShort);
  // The key travels in an HTTP Basic header, which carries only printable ASCII reliably; anything else
  // cannot be a key, and refusing it here spares a Gorgias call and a counted failed attempt.
  if (!/^[\x21-\x7e]+$/.test(key)) return refuse(REASONS.notAscii);
  return { ok: true, value: key };
}

/** Quotes a key gets pasted in (from a note, a chat, Markdown): never part of a key when they enclose all of it. */
const QUOTE_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['"', '"'],
  ["'", "'"],
  ['`', '`'],
  ['\u201c', '\u201d'],
  ['\u2018', '\u2019'],
  ['\u201e', '\u201c'],
  ['\u00ab', '\u00bb'],
];

/** The text without the quotes around it: a matching pair at both ends, taken off up to three times (```key```). */
function withoutSurroundingQuotes(text: string): string {
  let result = text;
  for (let round = 0; round < 3; round += 1) {
    const pair = QUOTE_PAIRS.find(([open, close]) => result.length > open.length + close.length && result.startsWith(open) && result.endsWith(close));
    if (pair === undefined) break;
    result = result.slice(pair[0].length, result.length - pair[1].length).trim();
  }
  return result;
}

/** Letters next to digits: a random key switches between the two all along, names and words rarely do. */
const LETTER_DIGIT_SWITCH = /[A-Za-z](?=\d)|\d(?=[A-Za-z])/g;
/** Hex of this length, with letters and digits, is a key or a hash: no subdomain or name looks like it. */
const MIN_HEX_KEY_LENGTH = 24;
/** Other letters and digits count only this long, and switching this often. */
const MIN_ALPHANUMERIC_KEY_LENGTH = 32;
const MIN_KEY_LIKE_SWITCHES = 6;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isKeyLikeRun(run: string): boolean {
  if (!/\d/.test(run) || !/[A-Za-z]/.test(run)) return false;
  if (run.length >= MIN_HEX_KEY_LENGTH && /^[0-9a-f]+$/i.test(run)) return true;
  if (run.length < MIN_ALPHANUMERIC_KEY_LENGTH) return false;
  // Capitals and small letters about as often as each other, with digits: a generated token, whatever its
  // rhythm. A long CamelCase name (AcmeCorporationSupport2024) has far fewer capitals.
  const letters = run.replace(/[^A-Za-z]/g, '');
  const capitals = run.replace(/[^A-Z]/g, '').length;
  if (capitals >= letters.length * 0.3 && capitals <= letters.length * 0.7) return true;
  return (run.match(LETTER_DIGIT_SWITCH)?.length ?? 0) >= MIN_KEY_LIKE_SWITCHES;
}

/**
 * True for a single word that is far more likely a random credential than a subdomain, a name or an
 * email's first part: a UUID, or a run of letters and digits that is 24 or more hex characters, or 32 or
 * more with digits and about as many capitals as small letters, or switching between letters and digits
 * at least six times (`3f9a0c41d2b7...` and `abcdEFGH1234ijklMNOP5678qrstUVWX` are;
 * `mystore2021officialsupport` and `unknown-mio5k2x1-100` are not).
 */
export function looksLikeAKey(word: string): boolean {
  if (typeof word !== 'string') return false;
  if (UUID.test(word)) return true;
  return word.split(/[^A-Za-z0-9]+/).some(isKeyLikeRun);
}

/**
 * True when an answer to another question (the subdomain, the email) holds a word that looks like a
 * key: pasted too early, it is now visible in the chat. A link's host is judged by its first label
 * (`https://<key>.gorgias.com`); a word with an @ is an email, not a key.
 */
export function holdsKeyLikeWord(input: string): boolean {
  return someWord(input, (word) => !word.includes('@') && looksLikeAKey(word.replace(/^[a-z]+:\/\//i, '').split(/[./:]/)[0] ?? ''));
}

/** A run of key characters long enough to be more likely a credential than a word. */
const KEY_LIKE = /[\x21-\x7e]{16}/;

/**
 * True when a message the key question refused may still hold a key: a key pasted with a space or a
 * line break in it, or with words around it. The user should know it is visible in the chat. A run of
 * 16 key characters counts only with both letters and digits in it (keys are random; long words, host
 * names and folder paths have no digits); an email or a link does not count either: those are what
 * users paste by mistake, and they are not secret.
 */
export function mayHoldAKey(input: string): boolean {
  return someWord(input, (token) => KEY_LIKE.test(token) && /\d/.test(token) && /[A-Za-z]/.test(token) && !token.includes('@') && !token.includes('://'));
}

/** Whether a word of `input` (split where whitespace or invisible characters are) passes `test`. */
function someWord(input: string, test: (word: string) => boolean): boolean {
  if (typeof input !== 'string') return false;
  // A huge paste is not walked word by word: it could hold anything.
  if (input.length > MAX_KEY_LENGTH * 4) return true;
  return input.split(/[\s\u200b-\u200d\u2060\ufeff]+/u).some(test);
}
