import { parseSubdomain } from '../../src/validation/subdomain';
import { hostileSubdomainInputs } from '../support/hostileSubdomains';

function reasonFor(input: string): string {
  const parsed = parseSubdomain(input);
  if (parsed.ok) throw new Error(`expected ${JSON.stringify(input)} to be refused, got ${parsed.value}`);
  return parsed.reason;
}

describe('parseSubdomain accepts', () => {
  test.each<[string, string]>([
    ['acme', 'acme'],
    ['ACME', 'acme'],
    ['Acme-Store-2', 'acme-store-2'],
    ['a', 'a'],
    ['1acme', '1acme'],
    [' acme.gorgias.com ', 'acme'],
    ['\tacme.gorgias.com\r\n', 'acme'],
    ['acme.gorgias.com', 'acme'],
    ['https://acme.gorgias.com', 'acme'],
    ['https://acme.gorgias.com/', 'acme'],
    ['https://acme.gorgias.com/api/', 'acme'],
    ['https://acme.gorgias.com/app/tickets/123', 'acme'],
    ['https://acme.gorgias.com/app/views/42/my_view~old', 'acme'],
    ['acme.gorgias.com/app/tickets/123', 'acme'],
    ['HTTPS://Acme.Gorgias.com', 'acme'],
    ['HtTpS://ACME.GORGIAS.COM/', 'acme'],
    ['acme.gorgias.com.', 'acme'],
    ['https://acme.gorgias.com./', 'acme'],
    ['a'.repeat(63), 'a'.repeat(63)],
    [`https://${'b'.repeat(63)}.gorgias.com`, 'b'.repeat(63)],
  ])('%j as %j', (input, expected) => {
    expect(parseSubdomain(input)).toEqual({ ok: true, value: expected });
  });

  test.each(['acme', 'https://Acme.gorgias.com/app', 'a-b-c.gorgias.com.'])(
    '%j only when WHATWG URL reads the rebuilt address back unchanged',
    (input) => {
      const parsed = parseSubdomain(input);
      if (!parsed.ok) throw new Error(parsed.reason);
      expect(new URL(`https://${parsed.value}.gorgias.com/`).hostname).toBe(`${parsed.value}.gorgias.com`);
    },
  );
});

describe('parseSubdomain refuses, saying why', () => {
  test.each<[string, string, RegExp]>([
    ['empty text', '', /type your Gorgias subdomain/],
    ['whitespace only', ' \t\n ', /type your Gorgias subdomain/],
    ['a space inside', 'ac me', /can't contain spaces/],
    ['a space inside a link', 'https://acme .gorgias.com', /can't contain spaces/],
    ['an http link', 'http://acme.gorgias.com', /must start with https:\/\/, not http:\/\//],
    ['an upper-case http link', 'HTTP://acme.gorgias.com', /must start with https:\/\//],
    ['another scheme', 'ftp://acme.gorgias.com', /Only an https:\/\/ link/],
    ['a javascript: URL', 'javascript:alert(1)', /Only an https:\/\/ link/],
    ['a file: URL', 'file:///etc/passwd', /Only an https:\/\/ link/],
    ['https without slashes', 'https:acme.gorgias.com', /not written correctly/],
    ['another host', 'example.com', /isn't a Gorgias address/],
    ['a Gorgias host with another domain after it', 'acme.gorgias.com.evil.com', /isn't a Gorgias address/],
    ['another host with a Gorgias path', 'evil.com/acme.gorgias.com', /isn't a Gorgias address/],
    ['an https link to a single label', 'https://acme', /isn't a Gorgias address/],
    ['an email-like text', 'acme@evil.com', /contains an @/],
    ['credentials in the link', 'https://user:pass@acme.gorgias.com', /contains an @/],
    ['nested labels', 'a.b.gorgias.com', /single word in front of \.gorgias\.com/],
    ['gorgias.com alone', 'gorgias.com', /Gorgias's own address/],
    ['an IPv4 literal', '127.0.0.1', /IP address/],
    ['an IPv4 link', 'https://192.168.0.1/', /IP address/],
    ['a hex IPv4 link', 'https://0x7f.1/', /IP address/],
    ['a decimal IPv4 link', 'https://2130706433/', /IP address/],
    ['an IPv6 link', 'https://[::1]/', /IP address/],
    ['a bare IPv6 literal', 'fe80::1', /IP address/],
    ['localhost', 'localhost', /localhost/],
    ['a link to localhost', 'https://localhost/', /localhost/],
    ['a Cyrillic look-alike letter', 'аcme', /plain letters a to z/],
    ['fullwidth letters', 'ａｃｍｅ', /plain letters a to z/],
    ['the Kelvin sign', '\u212Acme', /plain letters a to z/],
    ['an accented letter', 'acmé.gorgias.com', /plain letters a to z/],
    ['a punycode subdomain', 'xn--80ak6aa92e', /xn--/],
    ['a punycode subdomain in a link', 'https://xn--80ak6aa92e.gorgias.com/', /xn--/],
    ['percent-encoding', 'acme.gorgias.com%2eevil.com', /percent-encoding/],
    ['a fragment', 'https://acme.gorgias.com#top', /\? or #/],
    ['a query', 'https://acme.gorgias.com/?a=1', /\? or #/],
    ['a backslash', 'acme.gorgias.com\\@evil.com', /backslash/],
    ['a null byte', 'acme\u0000.gorgias.com', /control characters/],
    ['a tab inside', 'ac\tme', /control characters/],
    ['a line break inside', 'acme\n.gorgias.com', /control characters/],
    ['a DEL character', 'acme\u007F', /control characters/],
    ['a zero-width space', 'ac\u200Bme', /invisible characters/],
    ['a byte order mark inside', 'ac\uFEFFme', /invisible characters/],
    ['an underscore', 'acme_store', /letters, digits and hyphens/],
    ['other punctuation', 'acme!', /letters, digits and hyphens/],
    ['a leading hyphen', '-acme', /start or end with a hyphen/],
    ['a trailing hyphen', 'acme-.gorgias.com', /start or end with a hyphen/],
    ['64 characters', 'a'.repeat(64), /at most 63 characters/],
    ['a port', 'acme.gorgias.com:8443', /port number/],
    ['a port in a link', 'https://acme.gorgias.com:443/', /port number/],
    ['two dots in a row', 'acme..gorgias.com', /two dots in a row/],
    ['a leading slash', '//evil.com', /starts with a slash/],
    ['a link without a host', 'https:///acme', /no address in that link/],
    ['more than 2048 characters', 'a'.repeat(2049), /far too long/],
  ])('%s (%j)', (_description, input, expected) => {
    expect(reasonFor(input)).toMatch(expected);
  });

  test('refuses over-long input before looking at it, even when it starts like a good link', () => {
    const input = `https://acme.gorgias.com/${'x'.repeat(2048)}`;
    expect(reasonFor(input)).toMatch(/far too long/);
  });

  test('counts the 2048-character limit on the text as typed, spaces around it included', () => {
    const padded = `${' '.repeat(2045)}acme`;
    expect(reasonFor(padded)).toMatch(/far too long/);
    expect(parseSubdomain(`${' '.repeat(2044)}acme`)).toEqual({ ok: true, value: 'acme' });
  });

  test('refuses values that are not strings, as chat payloads are not type-checked', () => {
    expect(parseSubdomain(undefined as unknown as string).ok).toBe(false);
    expect(parseSubdomain(42 as unknown as string).ok).toBe(false);
  });
});

describe('the hostile corpus', () => {
  test('has at least 40 entries', () => {
    expect(hostileSubdomainInputs.length).toBeGreaterThanOrEqual(40);
  });

  test.each(hostileSubdomainInputs.map((input) => [JSON.stringify(input.length > 80 ? `${input.slice(0, 80)}…` : input), input]))(
    'refuses %s',
    (_label, input) => {
      const parsed = parseSubdomain(input);
      expect(parsed.ok).toBe(false);
    },
  );

  test.each(hostileSubdomainInputs.map((input) => [JSON.stringify(input.slice(0, 80)), input]))(
    'gives one plain sentence with an example for %s, without quoting the input',
    (_label, input) => {
      const reason = reasonFor(input);
      expect(reason).toMatch(/^[A-Z].*\.$/);
      expect(reason).toMatch(/e\.g\. acme/);
      expect(reason).not.toMatch(/evil/);
      // Printable ASCII only: nothing hostile from the input found its way into the sentence.
      expect(reason).toMatch(/^[\x20-\x7e]+$/);
    },
  );
});

describe('a key pasted at the subdomain question', () => {
  test.each(['3f9a0c41d2b7e86a5c0d9e1f2a3b4c5d6e7f8a9b', 'abcdEFGH1234ijklMNOP5678qrstUVWX', 'https://abcdEFGH1234ijklMNOP5678qrstUVWX.gorgias.com', 'https://3f9a0c41d2b7e86a5c0d9e1f2a3b4c5d6e7f8a9b.gorgias.com'])('%j is refused as a key, without quoting it', (text) => {
    const parsed = parseSubdomain(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.reason).toContain('looks like an API key');
    expect(parsed.reason).not.toContain('3f9a');
  });

  test.each(['mystore2021officialsupport', 'acme-2024', 'shop4u', 'team42', 'unknown-mio5k2x1-100'])('a subdomain with digits, %j, is accepted', (text) => {
    expect(parseSubdomain(text)).toEqual({ ok: true, value: text });
  });
});

describe('an answer to another question typed at the subdomain question', () => {
  test.each(['yes', 'Retry', 'try again', 'OK!', 'no'])('%j is refused as such, not looked up', (text) => {
    const parsed = parseSubdomain(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain('reads like an answer to another question');
  });

  test.each(['yesshop', 'retry-store', 'https://yes.gorgias.com'])('%j is still a subdomain', (text) => {
    expect(parseSubdomain(text).ok).toBe(true);
  });
});
