import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Authenticated encryption (AES-256-GCM) of secrets at rest, such as a user's Gorgias API key.
 *
 * A sealed value reads `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts). The key id says
 * which key sealed it without revealing the key, so a value sealed before a key rotation is
 * opened with the previous key and flagged for resealing.
 *
 * The associated data is not stored in the sealed value; the caller passes the same text to
 * `seal` and `open`. Binding a secret to, say, the account and user it belongs to means a
 * sealed value copied onto another record no longer opens.
 */

const FORMAT_VERSION = 'v1';
const KEY_LENGTH = 32;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const ALGORITHM = 'aes-256-gcm';
const CREATE_KEY_COMMAND = `node -e "console.log(require('crypto').randomBytes(32).toString('base64'))"`;

export interface OpenedSecret {
  plaintext: string;
  /** The previous key sealed it: seal it again with the current key and store the result. */
  sealedWithPrevious: boolean;
}

interface KeyEntry {
  key: Buffer;
  id: string;
  isPrevious: boolean;
}

export class SecretBox {
  private readonly current: KeyEntry;
  private readonly previous: KeyEntry | undefined;

  constructor(current: Buffer, previous?: Buffer) {
    this.current = SecretBox.entryFor(current, 'current', false);
    this.previous = previous === undefined ? undefined : SecretBox.entryFor(previous, 'previous', true);
  }

  /** The id of the key new values are sealed with; safe to log. */
  get currentKeyId(): string {
    return this.current.id;
  }

  /** First 8 hex characters of the key's SHA-256: tells keys apart without revealing them. */
  static keyId(key: Buffer): string {
    return createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  seal(plaintext: string, associatedData: string): string {
    if (typeof plaintext !== 'string' || typeof associatedData !== 'string') {
      throw new TypeError('SecretBox.seal needs a string to seal and a string of associated data');
    }
    // A fresh IV per value: reusing one with the same key under GCM leaks plaintext and the authentication key.
    const iv = randomBytes(IV_LENGTH);
    const cipher = createCipheriv(ALGORITHM, this.current.key, iv, { authTagLength: TAG_LENGTH });
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [FORMAT_VERSION, this.current.id, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  /**
   * The plaintext, or undefined when the value can't be opened for any reason: unknown format,
   * sealed with a key this box doesn't hold, tampered with, or other associated data. Stored
   * values come from outside this process, so a bad one must not throw.
   */
  open(sealed: string, associatedData: string): OpenedSecret | undefined {
    if (typeof sealed !== 'string' || typeof associatedData !== 'string') return undefined;
    const parts = sealed.split('.');
    if (parts.length !== 5) return undefined;
    const [version, keyId, ivText, tagText, ciphertextText] = parts as [string, string, string, string, string];
    if (version !== FORMAT_VERSION) return undefined;

    const iv = decodeCanonicalBase64Url(ivText);
    const tag = decodeCanonicalBase64Url(tagText);
    const ciphertext = decodeCanonicalBase64Url(ciphertextText);
    if (iv?.length !== IV_LENGTH || tag?.length !== TAG_LENGTH || ciphertext === undefined) return undefined;

    // Both keys are tried when their ids match: ids are short, so two keys could share one.
    for (const entry of this.entries()) {
      if (entry.id !== keyId) continue;
      const plaintext = decrypt(entry.key, iv, tag, ciphertext, associatedData);
      if (plaintext !== undefined) return { plaintext, sealedWithPrevious: entry.isPrevious };
    }
    return undefined;
  }

  /**
   * Decodes a 32-byte key given in standard or url-safe base64 (padding optional), as from an
   * environment variable. The error names the variable and what is wrong with it, and never
   * contains the value: configuration errors end up in logs.
   */
  static parseKey(base64: string, variableName: string): Buffer {
    const expectation = `${variableName} must be ${KEY_LENGTH} random bytes encoded in base64`;
    const howToCreate = `create one with: ${CREATE_KEY_COMMAND}`;
    if (typeof base64 !== 'string' || base64.trim() === '') {
      throw new Error(`${expectation} (it is empty); ${howToCreate}`);
    }
    const text = base64.trim();
    const decoded = decodeLenientBase64(text);
    if (decoded === undefined) {
      throw new Error(`${expectation} (it is not valid base64); ${howToCreate}`);
    }
    if (decoded.length !== KEY_LENGTH) {
      const hexHint = /^[0-9a-fA-F]{64}$/.test(text) ? ', and it looks like hex rather than base64' : '';
      throw new Error(`${expectation} (got ${decoded.length} bytes${hexHint}); ${howToCreate}`);
    }
    return decoded;
  }

  private entries(): KeyEntry[] {
    return this.previous === undefined ? [this.current] : [this.current, this.previous];
  }

  private static entryFor(key: Buffer, role: 'current' | 'previous', isPrevious: boolean): KeyEntry {
    if (!Buffer.isBuffer(key)) {
      throw new TypeError(`SecretBox: the ${role} key must be a Buffer of ${KEY_LENGTH} bytes`);
    }
    if (key.length !== KEY_LENGTH) {
      throw new Error(`SecretBox: the ${role} key must be exactly ${KEY_LENGTH} bytes (got ${key.length})`);
    }
    // A private copy, so a caller that later zeroes or reuses its buffer doesn't change this box's key.
    const copy = Buffer.from(key);
    return { key: copy, id: SecretBox.keyId(copy), isPrevious };
  }
}

function decrypt(key: Buffer, iv: Buffer, tag: Buffer, ciphertext: Buffer, associatedData: string): string | undefined {
  try {
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_LENGTH });
    decipher.setAuthTag(tag);
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    return plaintext.toString('utf8');
  } catch {
    // final() throws when the tag doesn't verify: wrong key, wrong associated data, or tampering.
    return undefined;
  }
}

/**
 * Node's base64url decoder skips characters it doesn't know and ignores stray trailing bits, so
 * several texts decode to the same bytes. Only the one text `seal` writes is accepted, so a
 * sealed value can't be altered and still open.
 */
function decodeCanonicalBase64Url(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

/** Standard or url-safe alphabet, with or without padding; anything else is refused rather than skipped. */
function decodeLenientBase64(text: string): Buffer | undefined {
  const match = /^([A-Za-z0-9+/_-]+)(=*)$/.exec(text);
  if (match === null) return undefined;
  const body = (match[1] ?? '').replace(/-/g, '+').replace(/_/g, '/');
  const padding = match[2] ?? '';
  if (body.length % 4 === 1) return undefined;
  if (padding.length > 2 || (padding !== '' && (body.length + padding.length) % 4 !== 0)) return undefined;
  const bytes = Buffer.from(body, 'base64');
  // Reject texts whose last character carries bits that decoding would silently drop.
  return bytes.toString('base64').replace(/=+$/, '') === body ? bytes : undefined;
}
