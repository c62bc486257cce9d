import { asAttachment } from '../../src/cards/adaptive';
import { formatDateTime, paragraph, singleLine, subjectOf, truncate } from '../../src/cards/format';
import {
  MORE_TICKETS_ACTION,
  customerCard,
  recentTicketsCard,
  ticketCreatedCard,
  ticketDetailCard,
  ticketSummaryCard,
} from '../../src/cards/tickets';
import type { Customer, TicketDetail, TicketSummary } from '../../src/gorgias/models';
import { ticketWebUrl } from '../../src/gorgias/urls';
import { ticketCreatedText } from '../../src/messages/tickets';
import { adaptiveCardProblems, cardActions, cardTexts } from './adaptiveCardShape';

const webUrlFor = (id: number): string => ticketWebUrl('https://{subdomain}.gorgias.com', 'acme', id);
const LINKS = { webUrlFor };

const TICKETS: TicketSummary[] = [
  {
    id: 101,
    subject: 'Order missing',
    status: 'open',
    customer: { id: 5, email: 'jane@example.com', name: 'Jane Doe' },
    tags: [],
    updatedDatetime: '2025-02-01T10:05:00.123456+00:00',
  },
  { id: 102, status: 'closed', customer: { email: 'bob@example.com' }, tags: ['vip'], createdDatetime: '2025-01-31T08:00:00+00:00' },
];

const DETAIL: TicketDetail = {
  id: 101,
  subject: 'Order missing',
  status: 'open',
  channel: 'email',
  via: 'email',
  customer: { id: 5, email: 'jane@example.com', name: 'Jane Doe' },
  assignee: { id: 7, email: 'alex@acme.com', name: 'Alex Agent' },
  assigneeTeam: 'Tier 1',
  tags: ['refund', 'vip'],
  createdDatetime: '2025-01-31T09:00:00+00:00',
  updatedDatetime: '2025-02-01T10:05:00+00:00',
  messageCount: 2,
  lastMessage: { text: 'Sorry! Looking into it.', fromAgent: true, sender: { name: 'Alex Agent' }, createdDatetime: '2025-02-01T10:05:00+00:00' },
};

const HOSTILE_SUBJECT = '**URGENT** [click me](https://evil.example) <b>x</b>';

describe('recentTicketsCard', () => {
  test('lists id, subject, status, customer and updated time, each ticket linked to Gorgias, with More for the next page', () => {
    const card = recentTicketsCard({ tickets: TICKETS, nextCursor: 'cursor-2' }, LINKS);

    expect(adaptiveCardProblems(card)).toEqual([]);
    const { literal, markdown } = cardTexts(card);
    expect(markdown).toContain('Recent tickets');
    expect(literal).toEqual(
      expect.arrayContaining([
        '#101',
        '  Order missing',
        'Open · Jane Doe · updated 1 Feb 2025, 10:05 UTC',
        '#102',
        '  (no subject)',
        'Closed · bob@example.com · updated 31 Jan 2025, 08:00 UTC',
      ]),
    );
    const urls = cardActions(card)
      .filter((action) => action.type === 'Action.OpenUrl')
      .map((action) => action.url);
    expect(new Set(urls)).toEqual(new Set(['https://acme.gorgias.com/app/ticket/101', 'https://acme.gorgias.com/app/ticket/102']));
    expect(card.actions).toEqual([{ type: 'Action.Submit', title: 'More', data: { action: MORE_TICKETS_ACTION, cursor: 'cursor-2' } }]);
  });

  test('has no More button on the last page', () => {
    const card = recentTicketsCard({ tickets: TICKETS }, LINKS);

    expect(adaptiveCardProblems(card)).toEqual([]);
    expect(card.actions).toBeUndefined();
  });

  test('says so when there are no tickets, and takes a title', () => {
    const card = recentTicketsCard({ tickets: [] }, { ...LINKS, title: 'Tickets of Jane' });

    expect(adaptiveCardProblems(card)).toEqual([]);
    expect(cardTexts(card).markdown).toEqual(['Tickets of Jane']);
    expect(cardTexts(card).literal).toEqual(['No tickets to show.']);
  });

  test('keeps subjects literal (never Markdown), on one line and short', () => {
    const long = `${HOSTILE_SUBJECT}\n\nsecond line ${'x'.repeat(1000)}`;
    const card = recentTicketsCard({ tickets: [{ ...TICKETS[0], subject: long }] }, LINKS);

    const { markdown, literal } = cardTexts(card);
    expect(markdown.join(' ')).not.toContain('URGENT');
    const subject = literal.find((text) => text.includes('URGENT')) ?? '';
    expect(subject.trim().startsWith(HOSTILE_SUBJECT)).toBe(true);
    expect(subject).not.toContain('\n');
    expect([...subject.trim()].length).toBeLessThanOrEqual(120);
    expect(subject.endsWith('…')).toBe(true);
  });

  test('stays far below the 28 KB hosts accept, even with huge fields', () => {
    const huge = 'y'.repeat(50_000);
    const tickets = Array.from({ length: 30 }, (_, index) => ({ ...TICKETS[0], id: index + 1, subject: huge, customer: { name: huge } }));

    expect(JSON.stringify(recentTicketsCard({ tickets, nextCursor: 'c' }, LINKS)).length).toBeLessThan(28_000);
  });
});

describe('ticketDetailCard', () => {
  test('shows subject, status, channel, customer, assignee, tags, times, the last message and the link', () => {
    const card = ticketDetailCard(DETAIL, LINKS);

    expect(adaptiveCardProblems(card)).toEqual([]);
    const { markdown, literal } = cardTexts(card);
    expect(markdown).toEqual(['Ticket #101', 'Last message']);
    const text = literal.join('');
    for (const expected of [
      'Order missing',
      'Status: Open',
      'Channel: email',
      'Customer: Jane Doe <jane@example.com>',
      'Assignee: Alex Agent <alex@acme.com> (Tier 1)',
      'Tags: refund, vip',
      'Created: 31 Jan 2025, 09:00 UTC',
      'Updated: 1 Feb 2025, 10:05 UTC',
      'Alex Agent (agent), 1 Feb 2025, 10:05 UTC',
      'Sorry! Looking into it.',
    ]) {
      expect(text).toContain(expected);
    }
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open in Gorgias', url: 'https://acme.gorgias.com/app/ticket/101' }]);
  });

  test('shortens the last message to about 300 characters and keeps its paragraphs', () => {
    const message = `First line\r\n\r\n\r\n\r\nSecond paragraph ${'z'.repeat(1000)}`;
    const card = ticketDetailCard({ ...DETAIL, lastMessage: { text: message } }, LINKS);

    const preview = cardTexts(card).literal.find((text) => text.startsWith('First line')) ?? '';
    expect(preview.startsWith('First line\n\nSecond paragraph')).toBe(true);
    expect([...preview].length).toBeLessThanOrEqual(300);
    expect(preview.endsWith('…')).toBe(true);
  });

  test('a bare ticket still makes a valid card', () => {
    const card = ticketDetailCard({ id: 5, tags: [] }, LINKS);

    expect(adaptiveCardProblems(card)).toEqual([]);
    const text = cardTexts(card).literal.join('|');
    expect(text).toContain('(no subject)');
    expect(text).toContain('Unknown status');
    expect(text).toContain('Unassigned');
    expect(text).toContain('None');
    expect(cardTexts(card).markdown).toEqual(['Ticket #5']);
  });

  test('shows at most 10 tags and counts the rest', () => {
    const tags = Array.from({ length: 14 }, (_, index) => `tag${index}`);

    expect(cardTexts(ticketDetailCard({ ...DETAIL, tags }, LINKS)).literal.join('')).toContain('tag9, +4 more');
  });
});

describe('ticketSummaryCard and ticketCreatedCard', () => {
  test('the summary shows what will be sent, without buttons (the confirmation prompt follows)', () => {
    const card = ticketSummaryCard({ customerEmail: 'jane@example.com', subject: HOSTILE_SUBJECT, message: 'It never arrived.' });

    expect(adaptiveCardProblems(card)).toEqual([]);
    expect(card.actions).toBeUndefined();
    const { markdown, literal } = cardTexts(card);
    expect(markdown).toEqual(['New ticket', 'Message']);
    expect(literal).toEqual(expect.arrayContaining(['jane@example.com', HOSTILE_SUBJECT, 'It never arrived.']));
  });

  test('the confirmation after creation shows the new id and links to it', () => {
    const card = ticketCreatedCard({ id: 555, subject: 'Order missing', status: 'open', customer: { email: 'jane@example.com' }, tags: [] }, LINKS);

    expect(adaptiveCardProblems(card)).toEqual([]);
    expect(cardTexts(card).markdown).toEqual(['Ticket #555 created']);
    expect(cardTexts(card).literal.join('')).toContain('Customer: jane@example.com');
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open in Gorgias', url: 'https://acme.gorgias.com/app/ticket/555' }]);
  });

  test('the confirmation never shows the name Gorgias has for the email (anyone creating a ticket could learn it)', () => {
    const ticket: TicketDetail = { id: 556, subject: 'Hi', status: 'open', customer: { email: 'jane@example.com', name: 'Jane Secretname' }, tags: [] };
    expect(JSON.stringify(ticketCreatedCard(ticket, LINKS))).not.toContain('Secretname');
    expect(ticketCreatedText(ticket, LINKS)).not.toContain('Secretname');
    expect(ticketCreatedText(ticket, LINKS)).toContain('jane@example.com');
  });
});

describe('customerCard', () => {
  const customer: Customer = { id: 5, email: 'jane@example.com', name: 'Jane Doe', createdDatetime: '2024-06-01T12:00:00+00:00' };

  test("shows the customer's name, email and id, and their recent tickets", () => {
    const card = customerCard(customer, TICKETS, LINKS);

    expect(adaptiveCardProblems(card)).toEqual([]);
    const text = cardTexts(card).literal.join('|');
    for (const expected of ['Jane Doe', 'jane@example.com', 'Customer id: ', '5', 'Customer since: ', '#101', '  Order missing', '#102']) {
      expect(text).toContain(expected);
    }
    expect(cardActions(card).map((action) => action.url)).toContain('https://acme.gorgias.com/app/ticket/101');
  });

  test('a customer without tickets or name', () => {
    const card = customerCard({ id: 9 }, [], LINKS);

    expect(adaptiveCardProblems(card)).toEqual([]);
    expect(cardTexts(card).literal).toEqual(expect.arrayContaining(['Customer 9', 'No tickets yet.']));
  });
});

test('asAttachment wraps a card as a Bot Framework attachment', () => {
  const card = recentTicketsCard({ tickets: [] }, LINKS);

  expect(asAttachment(card)).toEqual({ contentType: 'application/vnd.microsoft.card.adaptive', content: card });
});

describe('format helpers', () => {
  test.each<[string | undefined, string | undefined]>([
    ['2025-02-01T10:05:59.999999+00:00', '1 Feb 2025, 10:05 UTC'],
    ['2025-02-01T01:05:00+02:00', '31 Jan 2025, 23:05 UTC'],
    ['not a date', undefined],
    [undefined, undefined],
  ])('formatDateTime(%j) -> %j', (input, expected) => {
    expect(formatDateTime(input)).toBe(expected);
  });

  test('truncate never splits a character made of two code units', () => {
    expect(truncate('ab😀cd', 4)).toBe('ab😀…');
    expect(truncate('abc', 3)).toBe('abc');
  });

  test('singleLine removes control and bidirectional characters', () => {
    expect(singleLine('a\u202eb\u0000c\td\u200be', 50)).toBe('a b c d e');
  });

  // An unclosed isolate (LRI, RLI, FSI) or a mark reorders the text after it, the bot's own words included.
  test.each([
    ['LRI', '\u2066'],
    ['RLI', '\u2067'],
    ['FSI', '\u2068'],
    ['PDI', '\u2069'],
    ['Arabic letter mark', '\u061c'],
    ['RLO', '\u202e'],
  ])('subjectOf and paragraph remove the bidi control %s', (_name, control) => {
    expect(subjectOf({ subject: `${control}Refund now` })).toBe('Refund now');
    expect(subjectOf({ subject: `Refund ${control}now` })).toBe('Refund now');
    expect(subjectOf({ subject: control })).toBe('(no subject)');
    expect(paragraph(`Line ${control}one\nLine two`, 100)).toBe('Line one\nLine two');
  });
});
