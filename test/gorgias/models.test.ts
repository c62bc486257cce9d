import { parseCustomer, parseId, parseList, parseTicketDetail, parseTicketSummary } from '../../src/gorgias/models';

describe('parseId', () => {
  test.each<[string, number | undefined]>([
    ['123', 123],
    [' #42 ', 42],
    ['# 7', 7],
    ['0', undefined],
    ['-3', undefined],
    ['1.5', undefined],
    ['1e3', undefined],
    ['12abc', undefined],
    ['', undefined],
    ['１２', undefined],
    ['9999999999999999', undefined],
  ])('%j -> %p', (input, expected) => {
    expect(parseId(input)).toBe(expected);
  });
});

describe('parseTicketDetail', () => {
  test("prefers Gorgias's last_message over the message list", () => {
    const ticket = parseTicketDetail({
      id: 1,
      messages: [{ body_text: 'older' }],
      last_message: { body_text: 'newest', from_agent: false, sender: { email: 'jane@example.com', name: null, firstname: 'Jane', lastname: '' } },
    });

    expect(ticket?.lastMessage).toEqual({ text: 'newest', fromAgent: false, sender: { email: 'jane@example.com', name: 'Jane' } });
    expect(ticket?.messageCount).toBe(1);
  });

  test('takes the newest message by time, whatever the list order', () => {
    const ticket = parseTicketDetail({
      id: 1,
      messages: [
        { body_text: 'second', created_datetime: '2025-01-02T00:00:00+00:00' },
        { body_text: 'first', created_datetime: '2025-01-01T00:00:00+00:00' },
      ],
    });

    expect(ticket?.lastMessage?.text).toBe('second');
  });

  test('falls back to stripped_text, then to body_html without its tags', () => {
    expect(parseTicketDetail({ id: 1, last_message: { body_text: '', stripped_text: 'stripped' } })?.lastMessage?.text).toBe('stripped');
    expect(
      parseTicketDetail({ id: 1, last_message: { body_html: '<div>Hello&nbsp;<b>Jane</b> &amp; co<script>alert(1)</script></div>' } })?.lastMessage
        ?.text,
    ).toBe('Hello Jane & co');
  });

  test('reads tag objects and bare names, without duplicates or blanks', () => {
    expect(parseTicketSummary({ id: 1, tags: [{ name: 'vip' }, 'vip', ' refund ', { name: '' }, 7, null] })?.tags).toEqual(['vip', 'refund']);
  });

  test.each([null, [], 'x', { id: 0 }, { id: '5' }, { id: 2.5 }])('refuses %j', (json) => {
    expect(parseTicketDetail(json)).toBeUndefined();
  });
});

describe('parseCustomer', () => {
  test('takes the email from the preferred email channel when the field is missing', () => {
    expect(
      parseCustomer({
        id: 3,
        email: null,
        name: '',
        firstname: 'Jane',
        lastname: 'Doe',
        channels: [
          { type: 'phone', address: '+1555' },
          { type: 'email', address: 'old@example.com' },
          { type: 'email', address: 'jane@example.com', preferred: true },
        ],
      }),
    ).toEqual({ id: 3, email: 'jane@example.com', name: 'Jane Doe' });
  });
});

describe('parseList', () => {
  test('reads meta.next_cursor and ignores a null one', () => {
    expect(parseList({ data: [{ id: 1 }], meta: { next_cursor: 'abc' } }, parseCustomer)).toEqual({ items: [{ id: 1 }], nextCursor: 'abc' });
    expect(parseList({ data: [], meta: { next_cursor: null } }, parseCustomer)).toEqual({ items: [] });
    expect(parseList({ data: {} }, parseCustomer)).toBeUndefined();
  });
});
