import { parseEmail } from '../../src/validation/email';

function reasonFor(input: string): string {
  const parsed = parseEmail(input);
  if (parsed.ok) throw new Error(`expected ${JSON.stringify(input)} to be refused, got ${parsed.value}`);
  return parsed.reason;
}

describe('parseEmail accepts', () => {
  test.each<[string, string]>([
    ['jane@acme.com', 'jane@acme.com'],
    ['  jane@acme.com  ', 'jane@acme.com'],
    // A copied mail link.
    ['mailto:jane@acme.com', 'jane@acme.com'],
    ['MAILTO:jane@acme.com', 'jane@acme.com'],
    ['\tjane@acme.com\n', 'jane@acme.com'],
    ['Jane.Doe@ACME.COM', 'Jane.Doe@acme.com'],
    ['JANE@Support.Acme.Co.UK', 'JANE@support.acme.co.uk'],
    ['jane+gorgias@acme.com', 'jane+gorgias@acme.com'],
    ["o'brien@acme-store.io", "o'brien@acme-store.io"],
    ['j@a.co', 'j@a.co'],
    ['jane@xn--bcher-kva.de', 'jane@xn--bcher-kva.de'],
    ['jane@BÜCHER.de', 'jane@bücher.de'],
    ['jane@1acme.com', 'jane@1acme.com'],
    [`${'l'.repeat(64)}@acme.com`, `${'l'.repeat(64)}@acme.com`],
    [`jane@${'d'.repeat(63)}.com`, `jane@${'d'.repeat(63)}.com`],
    [`${'l'.repeat(64)}@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(57)}.com`, `${'l'.repeat(64)}@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(57)}.com`],
  ])('%j as %j', (input, expected) => {
    expect(parseEmail(input)).toEqual({ ok: true, value: expected });
  });
});

describe('parseEmail refuses, saying why', () => {
  test.each<[string, string, RegExp]>([
    ['empty text', '', /Please type the email you log in to Gorgias with/],
    ['whitespace only', '   ', /Please type the email/],
    ['more than 254 characters', `${'l'.repeat(64)}@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(58)}.com`, /too long for an email address/],
    ['a space inside', 'jane doe@acme.com', /can't contain spaces/],
    ['a space around the @', 'jane @acme.com', /can't contain spaces/],
    ['a non-breaking space inside', 'jane\u00A0@acme.com', /can't contain spaces/],
    ['a tab inside', 'jane\t@acme.com', /control characters/],
    ['a line break inside', 'jane@acme\n.com', /control characters/],
    ['a null byte', 'jane\u0000@acme.com', /control characters/],
    ['a zero-width space', 'jane\u200B@acme.com', /invisible characters/],
    ['no @', 'jane.acme.com', /it has no @/],
    ['two @', 'jane@acme@corp.com', /more than one @/],
    ['nothing before the @', '@acme.com', /nothing comes before the @/],
    ['nothing after the @', 'jane@', /nothing comes after the @/],
    ['a local part over 64 characters', `${'l'.repeat(65)}@acme.com`, /part before the @ is too long/],
    ['a domain without a dot', 'jane@acme', /has no dot/],
    ['a domain starting with a dot', 'jane@.acme.com', /two dots in a row, or starts or ends with a dot/],
    ['a domain ending with a dot', 'jane@acme.com.', /two dots in a row, or starts or ends with a dot/],
    ['two dots in a row in the domain', 'jane@acme..com', /two dots in a row/],
    ['a domain label with a leading hyphen', 'jane@-acme.com', /starts or ends with a hyphen/],
    ['a domain label with a trailing hyphen', 'jane@acme-.com', /starts or ends with a hyphen/],
    ['a top-level label with a hyphen at the edge', 'jane@acme.com-', /starts or ends with a hyphen/],
    ['a domain label over 63 characters', `jane@${'d'.repeat(64)}.com`, /too long/],
    ['punctuation in the domain', 'jane@acme_corp.com', /letters, digits, hyphens and dots/],
    ['an address literal', 'jane@[10.0.0.1]', /letters, digits, hyphens and dots/],
    ['an IP address as domain', 'jane@10.0.0.1', /not a number or IP address/],
    ['a display name', 'Jane <jane@acme.com>', /can't contain spaces/],
    ['a trailing comma', 'jane@acme.com,', /letters, digits, hyphens and dots/],
  ])('%s (%j)', (_description, input, expected) => {
    expect(reasonFor(input)).toMatch(expected);
  });

  test('explains a missing @ in plain words, with an example', () => {
    expect(reasonFor('jane.acme.com')).toBe(
      "That doesn't look like an email address: it has no @. Use the email you log in to Gorgias with, e.g. jane@acme.com.",
    );
  });

  test('refuses values that are not strings, as chat payloads are not type-checked', () => {
    expect(parseEmail(null as unknown as string).ok).toBe(false);
  });

  test.each(['jane doe@acme.com', 'x@evil-.com', '@evil.com', 'evil@', `${'e'.repeat(300)}@acme.com`])(
    'does not quote the input back (%j)',
    (input) => {
      const reason = reasonFor(input);
      expect(reason).not.toContain(input.trim());
      expect(reason).not.toMatch(/evil|eeee|jane doe/);
    },
  );
});
