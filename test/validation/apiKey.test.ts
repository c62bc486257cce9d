import { holdsKeyLikeWord, looksLikeAKey, mayHoldAKey, parseApiKey } from '../../src/validation/apiKey';

const TYPICAL_KEY = 'Zq9xV2mKp4Lw7Rt1Ys8Hb3Nc6Gd0Fj5A';

function reasonFor(input: string): string {
  const parsed = parseApiKey(input);
  if (parsed.ok) throw new Error('expected the key to be refused');
  return parsed.reason;
}

/** Every run of four characters of the key: none of them may appear in what the bot says back. */
function fragmentsOf(secret: string): string[] {
  const fragments: string[] = [];
  for (let start = 0; start + 4 <= secret.length; start += 1) fragments.push(secret.slice(start, start + 4));
  return fragments;
}

describe('parseApiKey accepts', () => {
  test.each<[string, string, string]>([
    ['a typical key', TYPICAL_KEY, TYPICAL_KEY],
    ['a key with spaces and a line break around it', `  ${TYPICAL_KEY}\n`, TYPICAL_KEY],
    ['a hex key', '0123456789abcdef0123456789abcdef', '0123456789abcdef0123456789abcdef'],
    ['a key with punctuation', 'k3y-With_Punct.=+/', 'k3y-With_Punct.=+/'],
    ['exactly 8 characters', 'Q7w#x9Zp', 'Q7w#x9Zp'],
    ['exactly 512 characters', 'K'.repeat(512), 'K'.repeat(512)],
  ])('%s', (_description, input, expected) => {
    expect(parseApiKey(input)).toEqual({ ok: true, value: expected });
  });
});

describe('parseApiKey refuses, never quoting the key', () => {
  test.each<[string, string, RegExp]>([
    ['empty text', '', /Please paste your Gorgias REST API key/],
    ['whitespace only', ' \n\t ', /Please paste your Gorgias REST API key/],
    ['7 characters', 'Q7w#x9Z', /too short/],
    ['513 characters', 'K'.repeat(513), /too long/],
    ['a huge paste', 'Zq9xV2mK'.repeat(100_000), /too long/],
    ['a space inside', 'Zq9xV2mK Lw7Rt1Ys', /spaces, line breaks or invisible characters/],
    ['a tab inside', 'Zq9xV2mK\tLw7Rt1Ys', /spaces, line breaks or invisible characters/],
    ['a line break inside', 'Zq9xV2mK\nLw7Rt1Ys', /spaces, line breaks or invisible characters/],
    ['a carriage return inside', 'Zq9xV2mK\rLw7Rt1Ys', /spaces, line breaks or invisible characters/],
    ['a null byte inside', 'Zq9xV2mK\u0000Lw7Rt1Ys', /spaces, line breaks or invisible characters/],
    ['a null byte at the end', 'Zq9xV2mKLw7Rt1Ys\u0000', /spaces, line breaks or invisible characters/],
    ['a DEL character', 'Zq9xV2mK\u007FLw7Rt1Ys', /spaces, line breaks or invisible characters/],
    ['a C1 control character', 'Zq9xV2mK\u0085Lw7Rt1Ys', /spaces, line breaks or invisible characters/],
    ['a zero-width space (U+200B)', 'Zq9xV2mK\u200BLw7Rt1Ys', /spaces, line breaks or invisible characters/],
    ['a zero-width non-joiner (U+200C)', 'Zq9xV2mK\u200CLw7Rt1Ys', /spaces, line breaks or invisible characters/],
    ['a zero-width joiner (U+200D)', 'Zq9xV2mK\u200DLw7Rt1Ys', /spaces, line breaks or invisible characters/],
    ['a byte order mark inside (U+FEFF)', 'Zq9xV2mK\uFEFFLw7Rt1Ys', /spaces, line breaks or invisible characters/],
    ['a non-breaking space inside', 'Zq9xV2mK\u00A0Lw7Rt1Ys', /spaces, line breaks or invisible characters/],
    ['a short key with an invisible character', 'Zq9\u200Bx', /spaces, line breaks or invisible characters/],
  ])('%s', (_description, input, expected) => {
    const reason = reasonFor(input);
    expect(reason).toMatch(expected);
    const key = input.trim();
    if (key !== '') expect(reason).not.toContain(key);
    expect(fragmentsOf(key).filter((fragment) => reason.includes(fragment))).toEqual([]);
  });

  test('refuses values that are not strings, as chat payloads are not type-checked', () => {
    expect(parseApiKey(undefined as unknown as string).ok).toBe(false);
  });
});

describe('mayHoldAKey, for an answer the key question refused', () => {
  test.each([
    ['a key with a space in it', 'Zq9xV2mKp4Lw7Rt1 Ys8Hb3Nc6Gd0Fj5A'],
    ['a key with words around it', `my key is ${TYPICAL_KEY} thanks`],
    ['a key with a line break in it', `${TYPICAL_KEY.slice(0, 18)}\n${TYPICAL_KEY.slice(18)}`],
    ['a key with a zero-width space in it', `${TYPICAL_KEY.slice(0, 20)}\u200b${TYPICAL_KEY.slice(20)}`],
    ['a key with a non-ASCII character in it', `${TYPICAL_KEY}é`],
    ['an enormous paste', 'x '.repeat(2000)],
  ])('%s: yes', (_case, input) => {
    expect(mayHoldAKey(input)).toBe(true);
  });

  test.each([
    ['a short word', 'short'],
    ['a question', 'where do I find it?'],
    ['a link', 'https://acme.gorgias.com/app/settings/api'],
    ['an email', 'agent-with-a-long-name@acme.com'],
    ['a long word', 'internationalization'],
    ['a host name', 'acme.gorgias.com'],
    ['a host and path', 'acme.gorgias.com/app/settings'],
    ['a folder path', 'C:\\Users\\jane\\Downloads'],
    ['nothing', ''],
  ])('%s: no', (_case, input) => {
    expect(mayHoldAKey(input)).toBe(false);
  });
});

describe('parseApiKey drops the quotes a key was pasted in', () => {
  const KEY = 'k3y-0123456789abcdef';
  test.each([`"${KEY}"`, `'${KEY}'`, `\`${KEY}\``, `\`\`\`${KEY}\`\`\``, `\u201c${KEY}\u201d`, `\u2018${KEY}\u2019`, `\u00ab${KEY}\u00bb`, `  " ${KEY} "  `])(
    '%j',
    (quoted) => {
      expect(parseApiKey(quoted)).toEqual({ ok: true, value: KEY });
    },
  );

  test.each([`"${KEY}`, `${KEY}'`, `"${KEY}'`, `a"${KEY}"`])('but not unmatched or inner quotes (%j)', (text) => {
    const parsed = parseApiKey(text);
    expect(parsed.ok && parsed.value).toBe(text);
  });

  test('a pair of quotes with nothing inside is no key', () => {
    expect(parseApiKey('""').ok).toBe(false);
  });
});

describe('looksLikeAKey and holdsKeyLikeWord, for answers to the other questions', () => {
  test.each([
    '3f9a0c41d2b7e86a5c0d9e1f2a3b4c5d6e7f8a9b',
    'a1b2c3d4e5f6a7b8c9d0e1f2',
    'Zx81kQ2mN7pL0vB3cR9tY5wE4uI6oA1sD8fG2hJ0',
    '3f9a0c41-d2b7-e86a-5c0d-9e1f2a3b4c5d',
    'key_3f9a0c41d2b7e86a5c0d9e1f2a3b',
    // Few letter/digit switches, but capitals, small letters and digits in 32 characters.
    'abcdEFGH1234ijklMNOP5678qrstUVWX',
  ])('%j looks like a key', (word) => {
    expect(looksLikeAKey(word)).toBe(true);
  });

  test.each([
    'acme',
    'mystore2021officialsupport',
    'shop-4-you-international-store',
    'a1b2c3d4e5',
    'abcdefghijklmnopqrstuvwxyz',
    'unknown-mio5k2x1-100',
    'bench-mx54seup-5j',
    'store2024eu-west1-prod3',
    'deadbeefcafe',
    // Capitals and digits in a long name, but shorter than a key.
    'MyStore2021OfficialSupport',
    'Acme2024EuropeanSupportDesk',
    'AcmeCorporationCustomerSupport2024',
  ])(
    '%j does not',
    (word) => {
      expect(looksLikeAKey(word)).toBe(false);
    },
  );

  test.each([
    ['3f9a0c41d2b7e86a5c0d9e1f2a3b4c5d6e7f8a9b', true],
    ['https://3f9a0c41d2b7e86a5c0d9e1f2a3b4c5d6e7f8a9b.gorgias.com/app', true],
    ['my key is 3f9a0c41d2b7e86a5c0d9e1f2a3b4c5d6e7f8a9b', true],
    ['agent3f9a0c41d2b7e86a5c0d9e1f2a3b@acme.com', false],
    ['https://acme.gorgias.com/app/ticket/123456', false],
    ['jane at acme dot com', false],
  ])('holdsKeyLikeWord(%j) is %s', (text, expected) => {
    expect(holdsKeyLikeWord(text)).toBe(expected);
  });
});
