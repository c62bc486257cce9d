/**
 * Reads a ticket or customer action out of what the user typed ("show ticket 123", "tag 42 vip",
 * "find customer jane@acme.com"). SDK-free: text in, a typed command out.
 */
import type { GorgiasAction } from './config';
import { parseId } from './gorgias/models';
import { parseCustomerEmail } from './validation/ticketFields';

export type ActionCommand =
  /** `next` continues the last list shown; a card's More button carries its cursor instead. */
  | { action: 'recent'; page: 'first' | 'next'; cursor?: string }
  | { action: 'show'; ticketId: number }
  | { action: 'new' }
  | { action: 'close'; ticketId: number }
  | { action: 'reopen'; ticketId: number }
  | { action: 'tag'; ticketId: number; tag: string }
  | { action: 'delete'; ticketId: number }
  | { action: 'customer'; email: string }
  | { action: 'new-customer' };

export type ParsedAction =
  | { ok: true; command: ActionCommand }
  /** The user clearly meant an action but left something out or mistyped it: say how to write it. */
  | { ok: false; action: GorgiasAction; reason: string };

/** The button titles, also accepted typed. */
export const ACTION_TITLES = {
  recent: 'Recent tickets',
  more: 'More tickets',
  new: 'New ticket',
  newCustomer: 'New customer',
} as const;

/** Longer tags are refused here, with a reason, rather than by Gorgias. */
export const MAX_TAG_LENGTH = 100;

const TICKET_ID_ACTIONS: Record<string, 'show' | 'close' | 'reopen' | 'delete'> = {
  show: 'show',
  open: 'show',
  view: 'show',
  get: 'show',
  close: 'close',
  reopen: 'reopen',
  delete: 'delete',
  remove: 'delete',
};

const EXAMPLES: Record<GorgiasAction, string> = {
  recent: 'recent tickets',
  show: 'show ticket 123',
  new: 'new ticket',
  close: 'close ticket 123',
  reopen: 'reopen ticket 123',
  tag: 'tag ticket 123 vip',
  delete: 'delete ticket 123',
  customer: 'find customer jane@example.com',
  'new-customer': 'new customer',
};

export function exampleOf(action: GorgiasAction): string {
  return EXAMPLES[action];
}

export function parseActionCommand(text: string | undefined): ParsedAction | undefined {
  // Long enough for a tag that is too long to be told so (a tag is at most MAX_TAG_LENGTH characters).
  if (typeof text !== 'string' || text.length > 1_000) return undefined;
  const words = text.trim().replace(/[.!?]+$/, '').split(/\s+/).filter((word) => word !== '');
  if (words.length === 0) return undefined;
  const lower = words.map((word) => word.toLowerCase());
  const phrase = lower.join(' ');

  if (['recent', 'recent tickets', 'tickets', 'list tickets', 'latest tickets', 'my tickets'].includes(phrase)) {
    return { ok: true, command: { action: 'recent', page: 'first' } };
  }
  if (['more', 'more tickets', 'next', 'next page'].includes(phrase)) return { ok: true, command: { action: 'recent', page: 'next' } };
  if (['new ticket', 'create ticket', 'open a ticket', 'new'].includes(phrase)) return { ok: true, command: { action: 'new' } };
  if (['new customer', 'create customer', 'add customer'].includes(phrase)) return { ok: true, command: { action: 'new-customer' } };

  // "<verb> [ticket] <id>", also "ticket <id>" and "#<id>" for show.
  const verb = lower[0];
  const rest = lower[1] === 'ticket' ? words.slice(2) : words.slice(1);
  if (verb === 'ticket' || /^#\d+$/.test(verb)) {
    const idText = (verb === 'ticket' ? words[1] ?? '' : verb).replace(/^#/, '');
    const id = parseId(idText);
    // "ticket 12" and "#12" are the whole message; anything after the id is not understood, not ignored.
    const wordsExpected = verb === 'ticket' ? 2 : 1;
    if (words.length !== wordsExpected) return needs('show');
    return id === undefined ? badId('show', idText) : { ok: true, command: { action: 'show', ticketId: id } };
  }
  // Own keys only: a plain object lookup would take "constructor 12" for an action.
  if (Object.hasOwn(TICKET_ID_ACTIONS, verb) && (lower[1] === 'ticket' || /^#?\d+$/.test(lower[1] ?? ''))) {
    const action = TICKET_ID_ACTIONS[verb];
    if (rest.length !== 1) return needs(action);
    const idText = rest[0].replace(/^#/, '');
    const id = parseId(idText);
    return id === undefined ? badId(action, idText) : { ok: true, command: { action, ticketId: id } };
  }
  if (verb === 'tag') {
    const idText = (rest[0] ?? '').replace(/^#/, '');
    const id = parseId(idText);
    const tag = rest.slice(1).join(' ').trim();
    if (tag === '') return needs('tag');
    if (id === undefined) return badId('tag', idText);
    if ([...tag].length > MAX_TAG_LENGTH) return { ok: false, action: 'tag', reason: `That tag is too long: please keep it to ${MAX_TAG_LENGTH} characters.` };
    return { ok: true, command: { action: 'tag', ticketId: id, tag } };
  }
  if ((verb === 'find' && lower[1] === 'customer') || verb === 'customer') {
    const emailText = (verb === 'find' ? words.slice(2) : words.slice(1)).join(' ');
    if (emailText === '') return needs('customer');
    const email = parseCustomerEmail(emailText);
    return email.ok ? { ok: true, command: { action: 'customer', email: email.value } } : { ok: false, action: 'customer', reason: email.reason };
  }
  return undefined;
}

/** A ticket number written as digits that no ticket can have (0, or past what Gorgias's ids go to) is told so. */
function badId(action: GorgiasAction, idText: string): ParsedAction {
  if (!/^\d+$/.test(idText)) return needs(action);
  return { ok: false, action, reason: `There is no ticket #${idText.length > 20 ? `${idText.slice(0, 20)}…` : idText}: ticket numbers are whole numbers from 1 up, like **${EXAMPLES[action].replace(/\D+$/, '').trim()}**.` };
}

function needs(action: GorgiasAction): ParsedAction {
  return { ok: false, action, reason: `Please write it like this: **${EXAMPLES[action]}**.` };
}
