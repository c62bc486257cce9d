/**
 * Turning Gorgias data into short, safe display text, shared by the cards and their plain-text
 * fallbacks. Ticket subjects, names and messages are written by customers: they can be huge,
 * hold line breaks or control characters, or look like Markdown.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const ELLIPSIS = '…';

/** Limits for what a chat message can reasonably show. */
export const MAX_SUBJECT_LENGTH = 120;
export const MAX_NAME_LENGTH = 80;
export const MAX_MESSAGE_PREVIEW_LENGTH = 300;
export const MAX_TAGS_SHOWN = 10;

/** Control and invisible formatting characters (bidi embeddings, overrides, isolates and marks among them), except line breaks. */
const HIDDEN_CHARACTERS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]/g;

/** Cuts to at most `max` characters (code points, so no emoji is split), ending with "…" when cut. */
export function truncate(text: string, max: number): string {
  const characters = [...text];
  if (characters.length <= max) return text;
  return `${characters.slice(0, Math.max(0, max - 1)).join('').trimEnd()}${ELLIPSIS}`;
}

/** One line: hidden characters removed, every run of whitespace (line breaks too) made one space. */
export function singleLine(text: string, max: number): string {
  return truncate(text.replace(HIDDEN_CHARACTERS, ' ').replace(/\s+/g, ' ').trim(), max);
}

/** A paragraph that keeps its line breaks, but at most one blank line in a row. */
export function paragraph(text: string, max: number): string {
  const cleaned = text
    .replace(/\r\n?/g, '\n')
    .replace(HIDDEN_CHARACTERS, ' ')
    .replace(/[^\S\n]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return truncate(cleaned, max);
}

/**
 * `14 Feb 2024, 21:30 UTC`. UTC because the bot does not know the reader's time zone; the same
 * text in cards and fallbacks. Undefined when Gorgias's value is not a date.
 */
export function formatDateTime(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return undefined;
  const date = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}, ${two(date.getUTCHours())}:${two(date.getUTCMinutes())} UTC`;
}

/**
 * Makes text show literally in a Markdown message: without this a subject such as `**URGENT**`
 * or `[click](https://evil.example)` would be rendered as formatting or as a link.
 */
export function escapeMarkdown(text: string): string {
  // Parentheses, `!` and `+` only matter next to characters escaped here (or at a line start, as
  // list markers, which is harmless), so they stay readable on channels that show Markdown raw.
  return text.replace(/[\\`*_{}[\]<>|~]/g, '\\$&').replace(/^(\s*)#/gm, '$1\\#');
}

/** `Jane Doe <jane@example.com>`, `Jane Doe`, `jane@example.com`, or undefined. */
export function personLabel(person: { name?: string; email?: string } | undefined): string | undefined {
  if (person === undefined) return undefined;
  const name = person.name === undefined ? undefined : singleLine(person.name, MAX_NAME_LENGTH);
  const email = person.email === undefined ? undefined : singleLine(person.email, MAX_NAME_LENGTH);
  if (name && email && name.toLowerCase() !== email.toLowerCase()) return `${name} <${email}>`;
  return name || email || undefined;
}

/** A short label for a person: the name, else the email. */
export function personShortLabel(person: { name?: string; email?: string } | undefined): string | undefined {
  if (person === undefined) return undefined;
  const label = person.name ?? person.email;
  return label === undefined ? undefined : singleLine(label, MAX_NAME_LENGTH) || undefined;
}

/** `refund, vip, +3 more`, or undefined when there are none. */
export function tagList(tags: readonly string[]): string | undefined {
  if (tags.length === 0) return undefined;
  const shown = tags.slice(0, MAX_TAGS_SHOWN).map((tag) => singleLine(tag, 40));
  const hidden = tags.length - shown.length;
  return hidden > 0 ? `${shown.join(', ')}, +${hidden} more` : shown.join(', ');
}

export function subjectOf(ticket: { subject?: string }): string {
  const subject = ticket.subject === undefined ? '' : singleLine(ticket.subject, MAX_SUBJECT_LENGTH);
  return subject === '' ? '(no subject)' : subject;
}

/** `Open`, `Closed`, or Gorgias's word with a capital. */
export function statusLabel(status: string | undefined): string {
  if (status === undefined) return 'Unknown status';
  const word = singleLine(status, 30);
  return word === '' ? 'Unknown status' : word.charAt(0).toUpperCase() + word.slice(1);
}
