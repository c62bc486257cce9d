import type { TicketDetail, TicketSummary } from '../../src/gorgias/models';
import type { GorgiasFailure } from '../../src/gorgias/types';
import { ticketWebUrl } from '../../src/gorgias/urls';
import {
  busy,
  confirmDelete,
  confirmStatusChange,
  customerAlreadyExists,
  customerText,
  explainFailure,
  recentTicketsText,
  tagsAdded,
  ticketCreatedText,
  ticketDetailText,
  ticketSummaryText,
  type FailureContext,
} from '../../src/messages/tickets';

const LINKS = { webUrlFor: (id: number): string => ticketWebUrl('https://{subdomain}.gorgias.com', 'acme', id) };

const TICKETS: TicketSummary[] = [
  { id: 101, subject: 'Order missing', status: 'open', customer: { name: 'Jane Doe' }, tags: [], updatedDatetime: '2025-02-01T10:05:00+00:00' },
  { id: 102, subject: '**URGENT** [click](https://evil.example)', status: 'closed', tags: [] },
];

const DETAIL: TicketDetail = {
  id: 101,
  subject: 'Order missing',
  status: 'open',
  channel: 'email',
  customer: { email: 'jane@example.com', name: 'Jane Doe' },
  tags: ['refund'],
  lastMessage: { text: 'Line one\nLine *two*', fromAgent: false, sender: { name: 'Jane Doe' } },
};

describe('text fallbacks', () => {
  test('recent tickets: one line per ticket with its link, and how to get the next page', () => {
    const text = recentTicketsText({ tickets: TICKETS, nextCursor: 'c2' }, { ...LINKS, moreCommand: 'more tickets' });

    expect(text.split('\n\n')).toEqual([
      '**Recent tickets**',
      '- **#101** Order missing: Open · Jane Doe · updated 1 Feb 2025, 10:05 UTC · [Open in Gorgias](https://acme.gorgias.com/app/ticket/101)\n' +
        '- **#102** \\*\\*URGENT\\*\\* \\[click\\](https://evil.example): Closed · [Open in Gorgias](https://acme.gorgias.com/app/ticket/102)',
      'Type **more tickets** for the next page.',
    ]);
  });

  test('recent tickets: no next-page hint on the last page; an empty list says so', () => {
    expect(recentTicketsText({ tickets: TICKETS }, LINKS)).not.toContain('next page');
    expect(recentTicketsText({ tickets: [] }, LINKS)).toBe('**Recent tickets**\n\nNo tickets to show.');
  });

  test('ticket detail: facts, the last message quoted and escaped, and the link', () => {
    const text = ticketDetailText(DETAIL, LINKS);

    expect(text).toContain('**Ticket #101: Order missing**');
    expect(text).toContain('- Status: Open\n- Channel: email\n- Customer: Jane Doe \\<jane@example.com\\>\n- Assignee: Unassigned\n- Tags: refund');
    expect(text).toContain('Last message, from Jane Doe (customer):\n\n> Line one\n> Line \\*two\\*');
    expect(text.endsWith('[Open in Gorgias](https://acme.gorgias.com/app/ticket/101)')).toBe(true);
  });

  test('new ticket summary and confirmation', () => {
    expect(ticketSummaryText({ customerEmail: 'jane@example.com', subject: 'Order missing', message: 'It never arrived.' })).toBe(
      '**New ticket**\n\n- Customer: jane@example.com\n- Subject: Order missing\n\nMessage:\n\n> It never arrived.',
    );
    expect(ticketCreatedText({ id: 555, subject: 'Order missing', status: 'open', tags: [] }, LINKS)).toBe(
      '**Ticket #555 created**\n\n- Subject: Order missing\n- Customer: Unknown\n- Status: Open\n\n[Open in Gorgias](https://acme.gorgias.com/app/ticket/555)',
    );
  });

  test('customer with recent tickets', () => {
    const text = customerText({ id: 5, name: 'Jane_Doe', email: 'jane@example.com' }, TICKETS.slice(0, 1), LINKS);

    expect(text.split('\n\n')).toEqual([
      '**Jane\\_Doe**',
      '- Name: Jane\\_Doe\n- Email: jane@example.com\n- Customer id: 5',
      '**Recent tickets**',
      '- **#101** Order missing: Open · Jane Doe · updated 1 Feb 2025, 10:05 UTC · [Open in Gorgias](https://acme.gorgias.com/app/ticket/101)',
    ]);
    expect(customerText({ id: 5 }, [], LINKS)).toContain('No tickets yet.');
  });

  test('confirmations name the ticket by its subject', () => {
    expect(confirmDelete({ id: 7, subject: 'Refund *now*' })).toBe('Delete ticket #7 "Refund \\*now\\*"? This can\'t be undone.');
    expect(confirmDelete({ id: 7 })).toBe("Delete ticket #7? This can't be undone.");
    expect(confirmStatusChange({ id: 7, subject: 'Refund' }, 'closed')).toBe('Close ticket #7 "Refund"?');
    expect(confirmStatusChange({ id: 7 }, 'open')).toBe('Reopen ticket #7?');
    expect(tagsAdded(7, ['vip'])).toBe('Added the tag **vip** to ticket #7.');
    expect(customerAlreadyExists('jane@example.com')).toContain('already has a customer with the email jane@example.com');
  });

  test('a bidi isolate or mark in a subject cannot reach the sentence around it', () => {
    const hostile = { id: 7, subject: 'Refund \u2067now\u061c' };
    for (const text of [confirmDelete(hostile), confirmStatusChange(hostile, 'closed'), ticketDetailText({ ...DETAIL, ...hostile }, LINKS)]) {
      expect(text).not.toMatch(/[\u061c\u2066-\u2069]/);
    }
    expect(confirmDelete(hostile)).toBe('Delete ticket #7 "Refund now"? This can\'t be undone.');
  });

  test('busy says roughly how long', () => {
    expect(busy(1200)).toContain('about 1 second.');
    expect(busy(14_600)).toContain('about 15 seconds.');
  });
});

describe('explainFailure', () => {
  const user: FailureContext = { topic: { kind: 'ticket', id: 42 }, keyOwner: 'user' };
  const operator: FailureContext = { ...user, keyOwner: 'operator' };

  test('401 asks the user to reconnect, or to contact the operator in pre-authorized mode', () => {
    expect(explainFailure({ kind: 'unauthorized', status: 401 }, user)).toMatch(/revoked or rotated.*\*\*reconnect\*\*/);
    const forOperatorKey = explainFailure({ kind: 'unauthorized', status: 401 }, operator);
    expect(forOperatorKey).toContain("bot's operator");
    expect(forOperatorKey).not.toContain('reconnect');
  });

  test.each<[GorgiasFailure, FailureContext, RegExp]>([
    [{ kind: 'forbidden', status: 403 }, user, /isn't allowed/],
    [{ kind: 'not_found', status: 404 }, user, /no ticket #42/],
    [{ kind: 'not_found', status: 404 }, { topic: { kind: 'customer', email: 'a_b@example.com' }, keyOwner: 'user' }, /no customer with the email a\\_b@example\.com/],
    [{ kind: 'rate_limited', status: 429, retryAfterSeconds: 30 }, user, /about 30 seconds/],
    [{ kind: 'unavailable', reason: 'timeout' }, user, /didn't answer in time\.$/],
    [{ kind: 'unavailable', reason: 'server_error', status: 502 }, user, /error 502/],
    [{ kind: 'unavailable', reason: 'timeout' }, { ...user, isCreate: true }, /may have been created anyway/],
    [{ kind: 'bad_response', reason: 'not_json' }, { ...user, isCreate: true }, /may have been created anyway/],
    [{ kind: 'bad_response', reason: 'not_json' }, user, /could not understand\.$/],
    [{ kind: 'rejected', status: 409, message: 'exists' }, user, /already exists/],
    [{ kind: 'rejected', status: 400, message: 'Bad *thing*' }, user, /error 400\): Bad \\\*thing\\\*/],
    [{ kind: 'rejected', status: 0, message: 'A ticket id must be a positive whole number.' }, user, /^A ticket id must be/],
  ])('%j', (failure, context, expected) => {
    expect(explainFailure(failure, context)).toMatch(expected);
  });

  test.each<[string, FailureContext, string]>([
    [
      'a new ticket',
      { topic: { kind: 'tickets' }, keyOwner: 'user', isCreate: true },
      "Gorgias accepted the new ticket, but I couldn't read its answer, so I can't show it here. Please check the ticket list in Gorgias before trying again, or it may be created twice.",
    ],
    [
      'a new customer',
      { topic: { kind: 'customer', email: 'ada@shop.com' }, keyOwner: 'operator', isCreate: true },
      "Gorgias accepted the new customer, but I couldn't read its answer, so I can't show it here. Please check the customers in Gorgias before trying again, or it may be created twice.",
    ],
    [
      'a change to a ticket',
      user,
      "Gorgias accepted the change to ticket #42, but I couldn't read its answer, so I can't show it here. Please check in Gorgias before trying again.",
    ],
  ])('an unreadable answer to a write Gorgias accepted (%s) says so plainly', (_name, context, expected) => {
    expect(explainFailure({ kind: 'bad_response', reason: 'unexpected_shape', writeAccepted: true }, context)).toBe(expected);
  });
});
