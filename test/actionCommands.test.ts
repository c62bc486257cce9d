/**
 * Reading ticket and customer actions out of typed text: every accepted form, every malformed one (the
 * user meant an action but wrote it wrong, and is told how to write it) and texts that are no action.
 */
import { ALL_ACTIONS, type GorgiasAction } from '../src/config';
import { MAX_TAG_LENGTH, exampleOf, parseActionCommand, type ActionCommand } from '../src/actionCommands';
import { parseCustomerEmail } from '../src/validation/ticketFields';

const accepted: [string, ActionCommand][] = [
  ['recent', { action: 'recent', page: 'first' }],
  ['recent tickets', { action: 'recent', page: 'first' }],
  ['Recent tickets', { action: 'recent', page: 'first' }],
  ['RECENT TICKETS!', { action: 'recent', page: 'first' }],
  ['tickets', { action: 'recent', page: 'first' }],
  ['list tickets', { action: 'recent', page: 'first' }],
  ['latest tickets', { action: 'recent', page: 'first' }],
  ['my tickets', { action: 'recent', page: 'first' }],
  ['  recent    tickets  ', { action: 'recent', page: 'first' }],
  ['more', { action: 'recent', page: 'next' }],
  ['More tickets', { action: 'recent', page: 'next' }],
  ['next', { action: 'recent', page: 'next' }],
  ['next page', { action: 'recent', page: 'next' }],
  ['new ticket', { action: 'new' }],
  ['New ticket', { action: 'new' }],
  ['create ticket', { action: 'new' }],
  ['open a ticket', { action: 'new' }],
  ['new', { action: 'new' }],
  ['new customer', { action: 'new-customer' }],
  ['New customer.', { action: 'new-customer' }],
  ['create customer', { action: 'new-customer' }],
  ['add customer', { action: 'new-customer' }],
  ['show ticket 123', { action: 'show', ticketId: 123 }],
  ['Show Ticket #123', { action: 'show', ticketId: 123 }],
  ['show 123', { action: 'show', ticketId: 123 }],
  ['show #123', { action: 'show', ticketId: 123 }],
  ['open ticket 123', { action: 'show', ticketId: 123 }],
  ['view ticket 123', { action: 'show', ticketId: 123 }],
  ['get ticket 123', { action: 'show', ticketId: 123 }],
  ['ticket 123', { action: 'show', ticketId: 123 }],
  ['#123', { action: 'show', ticketId: 123 }],
  ['show ticket 123?', { action: 'show', ticketId: 123 }],
  ['show ticket 000123', { action: 'show', ticketId: 123 }],
  ['close ticket 12', { action: 'close', ticketId: 12 }],
  ['Close ticket 12!', { action: 'close', ticketId: 12 }],
  ['close 12', { action: 'close', ticketId: 12 }],
  ['close #12', { action: 'close', ticketId: 12 }],
  ['reopen ticket 12', { action: 'reopen', ticketId: 12 }],
  ['reopen 12', { action: 'reopen', ticketId: 12 }],
  ['delete ticket 12', { action: 'delete', ticketId: 12 }],
  ['remove ticket 12', { action: 'delete', ticketId: 12 }],
  ['delete #12', { action: 'delete', ticketId: 12 }],
  ['tag ticket 12 vip', { action: 'tag', ticketId: 12, tag: 'vip' }],
  ['tag 12 vip', { action: 'tag', ticketId: 12, tag: 'vip' }],
  ['tag #12 vip', { action: 'tag', ticketId: 12, tag: 'vip' }],
  // The tag keeps its case and its inner words.
  ['Tag ticket 12 VIP customer', { action: 'tag', ticketId: 12, tag: 'VIP customer' }],
  [`tag ticket 12 ${'t'.repeat(MAX_TAG_LENGTH)}`, { action: 'tag', ticketId: 12, tag: 't'.repeat(MAX_TAG_LENGTH) }],
  ['find customer jane@example.com', { action: 'customer', email: 'jane@example.com' }],
  ['Find Customer Jane@Example.COM', { action: 'customer', email: 'Jane@example.com' }],
  ['customer jane@example.com', { action: 'customer', email: 'jane@example.com' }],
  ['find customer jane@example.com.', { action: 'customer', email: 'jane@example.com' }],
];

describe('accepted forms', () => {
  test.each(accepted)('%j', (text, command) => {
    expect(parseActionCommand(text)).toEqual({ ok: true, command });
  });

  test('every action has an example that parses as that action', () => {
    for (const action of ALL_ACTIONS) {
      const parsed = parseActionCommand(exampleOf(action));
      expect(parsed).toMatchObject({ ok: true, command: { action } });
    }
  });
});

/** [text, the action it was meant as, a word the reason must contain] */
const malformed: [string, GorgiasAction, string][] = [
  ['show ticket', 'show', 'show ticket 123'],
  ['show ticket abc', 'show', 'show ticket 123'],
  ['show ticket 12 13', 'show', 'show ticket 123'],
  ['show ticket 0', 'show', 'show ticket 123'],
  ['show ticket -5', 'show', 'show ticket 123'],
  ['show ticket 1.5', 'show', 'show ticket 123'],
  ['show ticket 1e3', 'show', 'show ticket 123'],
  ['show ticket 12345678901234567890', 'show', 'show ticket 123'],
  ['ticket', 'show', 'show ticket 123'],
  ['ticket abc', 'show', 'show ticket 123'],
  ['ticket 12 please', 'show', 'show ticket 123'],
  ['#12 please', 'show', 'show ticket 123'],
  ['close ticket', 'close', 'close ticket 123'],
  ['close ticket twelve', 'close', 'close ticket 123'],
  ['close ticket 12 now', 'close', 'close ticket 123'],
  ['reopen ticket', 'reopen', 'reopen ticket 123'],
  ['reopen ticket x1', 'reopen', 'reopen ticket 123'],
  ['delete ticket', 'delete', 'delete ticket 123'],
  ['delete ticket 0', 'delete', 'delete ticket 123'],
  ['remove ticket abc', 'delete', 'delete ticket 123'],
  ['tag', 'tag', 'tag ticket 123 vip'],
  ['tag ticket', 'tag', 'tag ticket 123 vip'],
  ['tag ticket 12', 'tag', 'tag ticket 123 vip'],
  ['tag ticket abc vip', 'tag', 'tag ticket 123 vip'],
  ['tag vip 12', 'tag', 'tag ticket 123 vip'],
  [`tag ticket 12 ${'t'.repeat(MAX_TAG_LENGTH + 1)}`, 'tag', 'too long'],
  ['find customer', 'customer', 'find customer jane@example.com'],
  ['customer', 'customer', 'find customer jane@example.com'],
  ['find customer jane', 'customer', 'no @'],
  ['find customer jane@', 'customer', 'nothing comes after the @'],
  ['find customer jane@example', 'customer', 'no dot'],
  ['find customer jane doe@example.com', 'customer', "can't contain spaces"],
  ['customer a@b@example.com', 'customer', 'more than one @'],
];

test.each([
  ['show ticket 0', 'There is no ticket #0: ticket numbers are whole numbers from 1 up, like **show ticket 123**.'],
  ['#0', 'There is no ticket #0'],
  ['tag ticket 0 vip', 'There is no ticket #0: ticket numbers are whole numbers from 1 up, like **tag ticket 123**.'],
  ['delete ticket 99999999999999999999999999', 'There is no ticket #99999999999999999999…'],
])('%j, written right but naming no possible ticket, is told so', (text, reason) => {
  const parsed = parseActionCommand(text);
  expect(parsed?.ok).toBe(false);
  expect(parsed?.ok === false ? parsed.reason : '').toContain(reason);
});

describe('malformed actions say how to write them', () => {
  test.each(malformed)('%j', (text, action, wording) => {
    const parsed = parseActionCommand(text);
    expect(parsed).toMatchObject({ ok: false, action });
    if (parsed?.ok !== false) return;
    expect(parsed.reason).toContain(wording);
  });

  test("a bad customer email is explained as the customer's, not as the user's login", () => {
    const parsed = parseActionCommand('find customer jane');
    expect(parsed?.ok).toBe(false);
    if (parsed?.ok !== false) return;
    expect(parsed.reason).not.toMatch(/log in/);
    expect(parsed.reason).toContain("the customer's email address");
    expect(parseCustomerEmail('').ok).toBe(false);
    expect(parseCustomerEmail('') as { reason: string }).toMatchObject({ reason: expect.stringContaining("customer's email") });
  });

  test('a reason never quotes the text back', () => {
    const parsed = parseActionCommand('find customer <b>boom</b>');
    expect(parsed?.ok).toBe(false);
    if (parsed?.ok !== false) return;
    expect(parsed.reason).not.toContain('boom');
  });
});

const notCommands: (string | undefined)[] = [
  undefined,
  '',
  '   ',
  'hello there',
  'show me the money',
  'close the door',
  'open the pod bay doors',
  'I want to delete my account',
  'please show ticket 12',
  'tags',
  'customers',
  'find jane@example.com',
  'newer tickets',
  'new tickets please',
  'recent ticket 12',
  'constructor ticket 12',
  'constructor 12',
  '__proto__ 12',
  'tostring ticket 12',
  `show ticket 12 ${'x'.repeat(1_000)}`,
];

describe('texts that are not actions', () => {
  test.each(notCommands)('%j', (text) => {
    expect(parseActionCommand(text)).toBeUndefined();
  });

  test('a non-string (from an untyped activity) is no action', () => {
    expect(parseActionCommand(42 as unknown as string)).toBeUndefined();
  });
});
