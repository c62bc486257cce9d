/**
 * The outcome of checking something a person typed into the chat.
 * `reason` is shown to that person as is: one plain sentence that says what is wrong and,
 * where it helps, what a good value looks like. It never echoes secrets back.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** What kind of character that a person can't see, or can't tell apart from a separator, a text contains. */
export type HiddenCharacterKind = 'control' | 'invisible' | 'space';

/**
 * Finds the first control character (C0, DEL, C1: tabs and line breaks among them), invisible
 * formatting character (soft hyphen, zero-width and bidirectional marks, U+FEFF) or whitespace
 * in `text`. None of these belongs in a subdomain, an email address or an API key, and in a chat
 * they are either invisible or look like a separator.
 */
export function findHiddenCharacter(text: string): HiddenCharacterKind | undefined {
  // for...of walks code points, so a character outside the BMP is judged once, whole.
  for (const character of text) {
    const kind = classifyHiddenCharacter(character);
    if (kind !== undefined) return kind;
  }
  return undefined;
}

export function classifyHiddenCharacter(character: string): HiddenCharacterKind | undefined {
  const codePoint = character.codePointAt(0) ?? 0;
  if (codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f)) return 'control';
  // Checked before whitespace because JavaScript counts U+FEFF as whitespace.
  if (
    codePoint === 0xad ||
    (codePoint >= 0x200b && codePoint <= 0x200f) ||
    (codePoint >= 0x202a && codePoint <= 0x202e) ||
    (codePoint >= 0x2060 && codePoint <= 0x2064) ||
    codePoint === 0xfeff
  ) {
    return 'invisible';
  }
  if (/\s/u.test(character)) return 'space';
  return undefined;
}
