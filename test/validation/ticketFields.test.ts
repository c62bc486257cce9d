import { parseCustomerEmail, parseCustomerName, parseTicketMessage, parseTicketSubject } from '../../src/validation/ticketFields';

const reasonOf = (parsed: { ok: boolean; reason?: string }): string => (parsed.ok ? '' : (parsed.reason ?? ''));

test('free text is trimmed and kept as typed; a message may have line breaks', () => {
  expect(parseTicketSubject('  Order #1234 never arrived ')).toEqual({ ok: true, value: 'Order #1234 never arrived' });
  expect(parseTicketMessage('Hello,\n\nwhere is it?')).toEqual({ ok: true, value: 'Hello,\n\nwhere is it?' });
  expect(parseCustomerName('Jane Doe')).toEqual({ ok: true, value: 'Jane Doe' });
});

test('empty, with an example', () => {
  expect(reasonOf(parseTicketSubject('   '))).toBe('Please type the subject, e.g. "Order #1234 never arrived".');
  expect(reasonOf(parseCustomerName(undefined as unknown as string))).toContain('Please type the name');
});

test('too long says how long it is and the limit', () => {
  expect(reasonOf(parseTicketMessage('x'.repeat(5_001)))).toBe(
    'That message is 5,001 characters long, and I can send at most 5,000: please shorten it and send it again.',
  );
  expect(parseTicketMessage('x'.repeat(5_000)).ok).toBe(true);
  expect(reasonOf(parseTicketSubject('s'.repeat(201)))).toContain('at most 200');
  // 200 emoji are 200 characters to a person (400 UTF-16 units).
  expect(parseTicketSubject('📦'.repeat(200)).ok).toBe(true);
});

test('a line break in a one-line field is named as such; control characters anywhere are refused', () => {
  expect(reasonOf(parseTicketSubject('Order\nmissing'))).toBe('The subject must be on one line: please type it again without line breaks.');
  expect(reasonOf(parseCustomerName('Jane\r\nDoe'))).toContain('must be on one line');
  expect(reasonOf(parseTicketMessage('bell \u0007 here'))).toContain('control characters');
});

test("the customer's email reasons speak of the customer", () => {
  expect(reasonOf(parseCustomerEmail('jane'))).toContain("the customer's email address");
  expect(parseCustomerEmail('mailto:jane@shop.com')).toEqual({ ok: true, value: 'jane@shop.com' });
});
