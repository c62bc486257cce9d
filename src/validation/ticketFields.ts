/** Checks the free-text fields of new tickets and customers. SDK-free. */
import type { Parsed } from './result';
import { parseEmail } from './email';

const CONTROL_EXCEPT_NEWLINES = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f]/;

function freeText(input: string, what: string, max: number, example: string, allowNewlines: boolean): Parsed<string> {
  const value = typeof input === 'string' ? input.trim() : '';
  if (value === '') return { ok: false, reason: `Please type the ${what}, e.g. ${example}.` };
  // Characters as a person counts them: an emoji is one, not the two UTF-16 units of value.length.
  const length = [...value].length;
  if (length > max) {
    const count = (n: number): string => n.toLocaleString('en-US');
    return { ok: false, reason: `That ${what} is ${count(length)} characters long, and I can send at most ${count(max)}: please shorten it and send it again.` };
  }
  if (!allowNewlines && /[\r\n]/.test(value)) {
    return { ok: false, reason: `The ${what} must be on one line: please type it again without line breaks.` };
  }
  if (CONTROL_EXCEPT_NEWLINES.test(value)) {
    return { ok: false, reason: `The ${what} contains control characters I can't send to Gorgias; please type it again.` };
  }
  return { ok: true, value };
}

export function parseTicketSubject(input: string): Parsed<string> {
  return freeText(input, 'subject', 200, '"Order #1234 never arrived"', false);
}

export function parseTicketMessage(input: string): Parsed<string> {
  return freeText(input, 'message', 5000, '"My order never arrived, can you check?"', true);
}

export function parseCustomerName(input: string): Parsed<string> {
  return freeText(input, 'name', 100, 'Jane Doe', false);
}

/**
 * A customer's email address: parseEmail's checks, with reasons that speak of the customer (parseEmail's
 * own reasons are about the email the user logs in to Gorgias with).
 */
export function parseCustomerEmail(input: string): Parsed<string> {
  const parsed = parseEmail(input);
  if (parsed.ok) return parsed;
  return { ok: false, reason: parsed.reason.split('the email you log in to Gorgias with').join("the customer's email address") };
}
