import { htmlToText, parseCustomer, parseId, parseList, parseMessage, parseTicketDetail, parseTicketSummary } from '../../src/gorgias/models';

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

describe('htmlToText', () => {
  test.each<[string, string]>([
    ['<div>Hello&nbsp;<b>Jane</b> &amp; co<script>alert(1)</script></div>', ' Hello Jane & co\n'],
    ['<p>One</p><p>Two<br>Three<br/>Four<br />Five</p>', ' One\nTwo\nThree\nFour\nFive\n'],
    ['<ul><li>a</li><li>b</li></ul><h2>Title</h2>end', ' a\nb\nTitle\nend'],
    ['<style type="text/css">p { color: red }</style>Hi<!-- a > b -->there', ' Hi there'],
    ['<SCRIPT type="module">evil()</SCRIPT >after<Style>x</STYLE>', ' after '],
    // A `<` that opens no tag is text, as is one that no `>` ever closes.
    ['a < b, c > d, 3<4, <>', 'a < b, c > d, 3<4, <>'],
    ['see <b>this</b> <unclosed', 'see this <unclosed'],
    // Entities are decoded once: an escaped entity stays an entity.
    ['&amp;lt; &lt;b&gt; &quot;q&quot; &#39; &#8217; &#x1F600; &apos;', "&lt; <b> \"q\" ' \u2019 \u{1F600} '"],
    ['&#0; &#xD800; &#x110000; &bogus; &AMP; & alone', '&#0; &#xD800; &#x110000; &bogus; &AMP; & alone'],
    // Names that are properties of every object are just unknown tags.
    ['<constructor>x</constructor><toString>y', ' x y'],
  ])('%j', (html, expected) => {
    expect(htmlToText(html)).toBe(expected);
  });

  test('an unclosed script, style or comment hides the rest, as in a browser', () => {
    expect(htmlToText('Hi<script>alert(1) and more')).toBe('Hi ');
    expect(htmlToText('Hi<style>p { color: red }')).toBe('Hi ');
    expect(htmlToText('Hi<!-- never closed <b>bold</b>')).toBe('Hi ');
    expect(htmlToText('Hi<script>a</scrip>b</script>c')).toBe('Hi c');
  });

  // The regexes this replaced took 6.9 s on 100 KB of `<` (time in the square of the input), blocking the
  // event loop for every conversation; a linear pass takes milliseconds. The bound only tells the two apart.
  test('pathological bodies take linear time', () => {
    const n = 200_000;
    const bodies = [
      '<'.repeat(n),
      '<a'.repeat(n / 2),
      '</'.repeat(n / 2),
      '<!'.repeat(n / 2),
      `${'<a'.repeat(n / 2)}>`,
      '<script'.repeat(n / 7),
      '<script>'.repeat(n / 8),
      `<style>${'</style'.repeat(n / 7)}`,
      '<!--'.repeat(n / 4),
      '<a>x'.repeat(n / 4),
      '&a'.repeat(n / 2),
      `${' '.repeat(n)}x`,
      `${' \n'.repeat(n / 2)}x`,
    ];
    const started = performance.now();
    for (const body of bodies) htmlToText(body);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('parseMessage', () => {
  test('uses body_text or stripped_text when there is one, and converts body_html only otherwise', () => {
    const html = '<p>From <b>HTML</b></p>';
    expect(parseMessage({ body_text: 'plain', body_html: html })?.text).toBe('plain');
    expect(parseMessage({ body_text: ' ', stripped_text: 'stripped', body_html: html })?.text).toBe('stripped');
    expect(parseMessage({ body_text: '', body_html: html })?.text).toBe('From HTML');
    expect(parseMessage({ body_html: '<script>only code</script>' })).toBeUndefined();
  });
});
