import { createHash, randomBytes } from 'node:crypto';
import { SecretBox } from '../../src/security/secretBox';

const AD = 'gorgias-profile/v1|acme|jane@acme.com|user-1';
const SECRET = 'Zq9xV2mKp4Lw7Rt1Ys8Hb3Nc6Gd0Fj5A';

// Fixed keys, so that cases built on the key id (such as upper-casing it) are the same on every run.
const currentKey = createHash('sha256').update('secretBox.test current key').digest();
const previousKey = createHash('sha256').update('secretBox.test previous key').digest();

/** Replaces one character of a base64url part with another valid one, so only the bytes change. */
function flipCharacter(part: string, index: number): string {
  const original = part.charAt(index);
  const replacement = original === 'A' ? 'B' : 'A';
  return `${part.slice(0, index)}${replacement}${part.slice(index + 1)}`;
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * A 16-byte tag takes 22 base64url characters, the last of which carries 4 unused bits. Flipping
 * one leaves the decoded bytes unchanged, so only a strict decoder notices the alteration.
 */
function flipLowestBitOfLastCharacter(part: string): string {
  const index = BASE64URL_ALPHABET.indexOf(part.charAt(part.length - 1));
  return part.slice(0, -1) + BASE64URL_ALPHABET.charAt(index ^ 1);
}

function replacePart(sealed: string, partIndex: number, change: (part: string) => string): string {
  const parts = sealed.split('.');
  parts[partIndex] = change(parts[partIndex] ?? '');
  return parts.join('.');
}

describe('SecretBox', () => {
  const box = new SecretBox(currentKey);

  test.each<[string, string, string]>([
    ['an API key', SECRET, AD],
    ['an empty text', '', AD],
    ['unicode text', 'clé secrète 🔑 ключ', 'données associées ✓'],
    ['empty associated data', SECRET, ''],
    ['a long text', 'x'.repeat(100_000), AD],
  ])('round-trips %s', (_description, plaintext, associatedData) => {
    const sealed = box.seal(plaintext, associatedData);
    expect(box.open(sealed, associatedData)).toEqual({ plaintext, sealedWithPrevious: false });
  });

  test('writes v1.<keyId>.<iv>.<tag>.<ciphertext>, with a 12-byte IV and a 16-byte tag', () => {
    const sealed = box.seal(SECRET, AD);
    const [version, keyId, iv, tag, ciphertext] = sealed.split('.');
    expect(sealed.split('.')).toHaveLength(5);
    expect(version).toBe('v1');
    expect(keyId).toBe(createHash('sha256').update(currentKey).digest('hex').slice(0, 8));
    expect(keyId).toBe(SecretBox.keyId(currentKey));
    expect(box.currentKeyId).toBe(keyId);
    expect(Buffer.from(iv ?? '', 'base64url')).toHaveLength(12);
    expect(Buffer.from(tag ?? '', 'base64url')).toHaveLength(16);
    expect(Buffer.from(ciphertext ?? '', 'base64url')).toHaveLength(Buffer.byteLength(SECRET));
    expect(sealed).toMatch(/^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain(SECRET);
  });

  test('the altered-trailing-bits tag decodes to the same bytes, so only the strict decoder refuses it', () => {
    const tag = box.seal(SECRET, AD).split('.')[3] ?? '';
    const altered = flipLowestBitOfLastCharacter(tag);
    expect(altered).not.toBe(tag);
    expect(Buffer.from(altered, 'base64url').equals(Buffer.from(tag, 'base64url'))).toBe(true);
  });

  test('uses a fresh IV every time, so sealing the same text twice differs', () => {
    const first = box.seal(SECRET, AD);
    const second = box.seal(SECRET, AD);
    expect(first).not.toBe(second);
    expect(first.split('.')[2]).not.toBe(second.split('.')[2]);
  });

  describe('open gives undefined, without throwing, for', () => {
    const sealed = box.seal(SECRET, AD);
    test.each<[string, () => string | undefined, string?]>([
      ['other associated data', () => sealed, `${AD}x`],
      ['empty associated data', () => sealed, ''],
      ['a tampered ciphertext', () => replacePart(sealed, 4, (part) => flipCharacter(part, 0))],
      ['a truncated ciphertext', () => replacePart(sealed, 4, (part) => part.slice(0, -2))],
      ['a tampered tag', () => replacePart(sealed, 3, (part) => flipCharacter(part, 5))],
      ['a tag whose unused trailing bits were altered', () => replacePart(sealed, 3, flipLowestBitOfLastCharacter)],
      ['a tampered IV', () => replacePart(sealed, 2, (part) => flipCharacter(part, 3))],
      ['a shortened IV', () => replacePart(sealed, 2, (part) => part.slice(0, 8))],
      ['an unknown version', () => replacePart(sealed, 0, () => 'v2')],
      ['a version in other case', () => replacePart(sealed, 0, () => 'V1')],
      ['an unknown key id', () => replacePart(sealed, 1, () => '00000000')],
      ['a key id in upper case', () => replacePart(sealed, 1, (part) => part.toUpperCase())],
      ['a stray character in a part', () => replacePart(sealed, 4, (part) => `${part}!`)],
      ['a missing part', () => sealed.split('.').slice(0, 4).join('.')],
      ['an extra part', () => `${sealed}.AAAA`],
      ['the plaintext itself', () => SECRET],
      ['an empty string', () => ''],
      ['garbage', () => 'v1.....'],
      ['base64 garbage', () => `v1.${SecretBox.keyId(currentKey)}.${'A'.repeat(16)}.${'A'.repeat(22)}.AAAA`],
    ])('%s', (_description, makeSealed, associatedData = AD) => {
      const value = makeSealed();
      expect(() => box.open(value ?? '', associatedData)).not.toThrow();
      expect(box.open(value ?? '', associatedData)).toBeUndefined();
    });

    test.each<[string, unknown]>([
      ['undefined', undefined],
      ['null', null],
      ['a number', 42],
      ['an object', { sealed: 'v1' }],
      ['a buffer', Buffer.from('v1')],
    ])('a non-string sealed value (%s)', (_description, value) => {
      expect(box.open(value as string, AD)).toBeUndefined();
    });

    test('non-string associated data', () => {
      expect(box.open(sealed, undefined as unknown as string)).toBeUndefined();
    });
  });

  test('does not open what another key sealed', () => {
    const other = new SecretBox(randomBytes(32));
    expect(box.open(other.seal(SECRET, AD), AD)).toBeUndefined();
  });

  test('does not open with another key that claims the same key id', () => {
    const sealed = box.seal(SECRET, AD);
    const impostor = new SecretBox(randomBytes(32));
    const relabelled = replacePart(impostor.seal(SECRET, AD), 1, () => SecretBox.keyId(currentKey));
    expect(box.open(relabelled, AD)).toBeUndefined();
    expect(box.open(sealed, AD)?.plaintext).toBe(SECRET);
  });

  describe('key rotation', () => {
    const oldBox = new SecretBox(previousKey);
    const rotatedBox = new SecretBox(currentKey, previousKey);

    test('opens what the previous key sealed, asking for a reseal', () => {
      const sealedBefore = oldBox.seal(SECRET, AD);
      expect(rotatedBox.open(sealedBefore, AD)).toEqual({ plaintext: SECRET, sealedWithPrevious: true });
    });

    test('seals with the current key only', () => {
      const sealed = rotatedBox.seal(SECRET, AD);
      expect(sealed.split('.')[1]).toBe(SecretBox.keyId(currentKey));
      expect(rotatedBox.open(sealed, AD)).toEqual({ plaintext: SECRET, sealedWithPrevious: false });
      expect(oldBox.open(sealed, AD)).toBeUndefined();
    });

    test('still checks the associated data of values sealed with the previous key', () => {
      expect(rotatedBox.open(oldBox.seal(SECRET, AD), 'other')).toBeUndefined();
    });

    test('a box without the previous key cannot open them', () => {
      expect(box.open(oldBox.seal(SECRET, AD), AD)).toBeUndefined();
    });
  });

  describe('constructor', () => {
    test.each<[string, () => SecretBox]>([
      ['a 16-byte current key', () => new SecretBox(randomBytes(16))],
      ['a 33-byte current key', () => new SecretBox(randomBytes(33))],
      ['an empty current key', () => new SecretBox(Buffer.alloc(0))],
      ['a 31-byte previous key', () => new SecretBox(randomBytes(32), randomBytes(31))],
      ['a string instead of a buffer', () => new SecretBox('x'.repeat(32) as unknown as Buffer)],
    ])('refuses %s with a clear error', (_description, create) => {
      expect(create).toThrow(/must be (exactly )?32 bytes|must be a Buffer of 32 bytes/);
    });

    test('does not put the key bytes in the error', () => {
      const shortKey = Buffer.from('0123456789abcdef');
      let message = '';
      try {
        new SecretBox(shortKey);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/current key must be exactly 32 bytes \(got 16\)/);
      expect(message).not.toContain(shortKey.toString('utf8'));
      expect(message).not.toContain(shortKey.toString('hex'));
      expect(message).not.toContain(shortKey.toString('base64'));
    });

    test('keeps its own copy of the key', () => {
      const key = randomBytes(32);
      const ownBox = new SecretBox(key);
      const sealed = ownBox.seal(SECRET, AD);
      key.fill(0);
      expect(ownBox.open(sealed, AD)?.plaintext).toBe(SECRET);
    });
  });

  describe('parseKey', () => {
    const key = randomBytes(32);

    test.each<[string, string]>([
      ['standard base64', key.toString('base64')],
      ['standard base64 without padding', key.toString('base64').replace(/=+$/, '')],
      ['base64url', key.toString('base64url')],
      ['base64url with padding', `${key.toString('base64url')}=`],
      ['base64 with surrounding whitespace', `  ${key.toString('base64')}\n`],
    ])('accepts %s', (_description, text) => {
      expect(SecretBox.parseKey(text, 'STATE_ENCRYPTION_KEY').equals(key)).toBe(true);
    });

    test('accepts a key whose base64 and base64url forms differ', () => {
      // 0xfb 0xff encodes to "+/" in base64 and "-_" in base64url.
      const awkward = Buffer.alloc(32, 0xfb);
      awkward.fill(0xff, 16);
      expect(awkward.toString('base64')).toMatch(/[+/]/);
      expect(SecretBox.parseKey(awkward.toString('base64'), 'K').equals(awkward)).toBe(true);
      expect(SecretBox.parseKey(awkward.toString('base64url'), 'K').equals(awkward)).toBe(true);
    });

    test.each<[string, string, RegExp]>([
      ['16 bytes', randomBytes(16).toString('base64'), /\(got 16 bytes\)/],
      ['31 bytes', randomBytes(31).toString('base64'), /\(got 31 bytes\)/],
      ['33 bytes', randomBytes(33).toString('base64url'), /\(got 33 bytes\)/],
      ['a 64-character hex key', randomBytes(32).toString('hex'), /got 48 bytes, and it looks like hex/],
      ['empty text', '', /it is empty/],
      ['whitespace', '   ', /it is empty/],
      ['garbage', 'not a key!', /not valid base64/],
      ['base64 with a space inside', `${key.toString('base64').slice(0, 20)} ${key.toString('base64').slice(20)}`, /not valid base64/],
      ['too much padding', `${key.toString('base64')}==`, /not valid base64/],
      ['an impossible length', `${key.toString('base64').replace(/=+$/, '')}AA`, /not valid base64/],
      ['stray trailing bits', `${key.toString('base64').slice(0, 42)}B=`, /not valid base64/],
    ])('refuses %s, naming the variable and not the value', (_description, value, expected) => {
      let message = '';
      try {
        SecretBox.parseKey(value, 'STATE_ENCRYPTION_KEY');
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(expected);
      expect(message).toMatch(/^STATE_ENCRYPTION_KEY must be 32 random bytes encoded in base64 /);
      expect(message).toContain(`create one with: node -e "console.log(require('crypto').randomBytes(32).toString('base64'))"`);
      if (value.trim() !== '') expect(message).not.toContain(value.trim());
    });

    test('gives the documented message for a 16-byte key', () => {
      expect(() => SecretBox.parseKey(randomBytes(16).toString('base64'), 'STATE_ENCRYPTION_KEY')).toThrow(
        `STATE_ENCRYPTION_KEY must be 32 random bytes encoded in base64 (got 16 bytes); create one with: node -e "console.log(require('crypto').randomBytes(32).toString('base64'))"`,
      );
    });

    test('names whichever variable it was given', () => {
      expect(() => SecretBox.parseKey('short', 'STATE_ENCRYPTION_KEY_PREVIOUS')).toThrow(/^STATE_ENCRYPTION_KEY_PREVIOUS must be/);
    });

    test('a parsed key works in a box', () => {
      const parsed = SecretBox.parseKey(key.toString('base64'), 'STATE_ENCRYPTION_KEY');
      const parsedBox = new SecretBox(parsed);
      expect(parsedBox.open(parsedBox.seal(SECRET, AD), AD)?.plaintext).toBe(SECRET);
    });
  });
});
