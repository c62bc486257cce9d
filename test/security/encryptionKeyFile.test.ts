import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KEY_FILE_NAME, loadOrCreateKeyFile } from '../../src/security/encryptionKeyFile';

const testOnPosix = process.platform === 'win32' ? test.skip : test;

let dataDir: string;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gorgias-bot-keyfile-'));
});

afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function keyPathIn(directory: string): string {
  return path.join(directory, KEY_FILE_NAME);
}

function permissionsOf(filePath: string): number {
  return fs.statSync(filePath).mode & 0o777;
}

function errorMessageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

describe('loadOrCreateKeyFile', () => {
  test('creates state-encryption.key holding 32 random bytes in base64', () => {
    const loaded = loadOrCreateKeyFile(dataDir);
    expect(loaded.created).toBe(true);
    expect(loaded.path).toBe(keyPathIn(dataDir));
    expect(loaded.key).toHaveLength(32);
    const content = fs.readFileSync(loaded.path, 'utf8').trim();
    expect(Buffer.from(content, 'base64').equals(loaded.key)).toBe(true);
  });

  testOnPosix('creates the file readable and writable by its owner only (0600)', () => {
    const loaded = loadOrCreateKeyFile(dataDir);
    expect(permissionsOf(loaded.path)).toBe(0o600);
  });

  test('creates the data directory, parents included', () => {
    const nested = path.join(dataDir, 'not', 'there', 'yet');
    const loaded = loadOrCreateKeyFile(nested);
    expect(loaded.created).toBe(true);
    expect(fs.existsSync(keyPathIn(nested))).toBe(true);
  });

  test.each([
    ['is a file', (file: string) => file],
    ['lies under a file', (file: string) => path.join(file, 'state')],
  ])('a DATA_DIR that %s is named in the error, which says it must be a folder', (_case, dataDirFor) => {
    const file = path.join(dataDir, 'not-a-folder');
    fs.writeFileSync(file, 'x');
    const target = dataDirFor(file);

    const message = errorMessageOf(() => loadOrCreateKeyFile(target));

    expect(message).toBe(`DATA_DIR ${target} is not a folder: it must be one (or not exist yet), for the local encryption key file and the SQLite state`);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });

  test('reuses the key on the next call', () => {
    const first = loadOrCreateKeyFile(dataDir);
    const second = loadOrCreateKeyFile(dataDir);
    expect(second.created).toBe(false);
    expect(second.path).toBe(first.path);
    expect(second.key.equals(first.key)).toBe(true);
  });

  test('makes a different key in another directory', () => {
    const other = path.join(dataDir, 'other');
    expect(loadOrCreateKeyFile(other).key.equals(loadOrCreateKeyFile(dataDir).key)).toBe(false);
  });

  test.each<[string, string]>([
    ['base64 with a trailing newline', `${randomBytes(32).toString('base64')}\n`],
    ['base64 without padding', randomBytes(32).toString('base64').replace(/=+$/, '')],
    ['base64url', Buffer.alloc(32, 0xff).toString('base64url')],
  ])('reads a key written by hand as %s', (_description, content) => {
    fs.writeFileSync(keyPathIn(dataDir), content, { mode: 0o600 });
    const loaded = loadOrCreateKeyFile(dataDir);
    expect(loaded.created).toBe(false);
    expect(loaded.key).toHaveLength(32);
  });

  describe('permissions of an existing file', () => {
    test.each<[string, number, number]>([
      ['0644', 0o644, 0o600],
      ['0640', 0o640, 0o600],
      ['0604', 0o604, 0o600],
      ['0666', 0o666, 0o600],
      ['0700', 0o700, 0o600],
      ['0600', 0o600, 0o600],
      ['0400, which is already stricter', 0o400, 0o400],
    ])('%s becomes the expected mode, and the key is kept', (_description, initialMode, expectedMode) => {
      if (process.platform === 'win32') return;
      const key = randomBytes(32);
      const keyPath = keyPathIn(dataDir);
      fs.writeFileSync(keyPath, key.toString('base64'));
      fs.chmodSync(keyPath, initialMode);

      const loaded = loadOrCreateKeyFile(dataDir);
      expect(permissionsOf(keyPath)).toBe(expectedMode);
      expect(loaded.key.equals(key)).toBe(true);
      expect(loaded.created).toBe(false);
    });
  });

  describe('a corrupt file', () => {
    test.each<[string, string]>([
      ['text that is not base64', 'this is not a key at all!'],
      ['16 bytes', randomBytes(16).toString('base64')],
      ['33 bytes', randomBytes(33).toString('base64')],
      ['a hex key', randomBytes(32).toString('hex')],
      ['something far too large', 'A'.repeat(5000)],
    ])('holding %s throws an error naming the path, not the content, and is left alone', (_description, content) => {
      const keyPath = keyPathIn(dataDir);
      fs.writeFileSync(keyPath, content, { mode: 0o600 });

      const message = errorMessageOf(() => loadOrCreateKeyFile(dataDir));
      expect(message).toContain(keyPath);
      expect(message).toMatch(/corrupt/);
      expect(message).not.toContain(content.slice(0, 16));
      expect(fs.readFileSync(keyPath, 'utf8')).toBe(content);
    });

    test('that stays empty throws an error naming the path', () => {
      const keyPath = keyPathIn(dataDir);
      fs.writeFileSync(keyPath, '', { mode: 0o600 });
      const message = errorMessageOf(() => loadOrCreateKeyFile(dataDir));
      expect(message).toContain(keyPath);
      expect(message).toMatch(/is empty/);
    });

    test('that is a directory throws an error naming the path', () => {
      fs.mkdirSync(keyPathIn(dataDir));
      expect(() => loadOrCreateKeyFile(dataDir)).toThrow(keyPathIn(dataDir));
    });
  });

  describe('two processes starting at once', () => {
    test('when another process creates the file first, its key is used and ours is dropped', () => {
      const keyPath = keyPathIn(dataDir);
      const theirKey = randomBytes(32);
      const realOpenSync = fs.openSync;
      jest.spyOn(fs, 'openSync').mockImplementation((filePath, flags, mode) => {
        if (filePath === keyPath && flags === 'wx') {
          // The other process wins the race between our "is it there?" and our exclusive create.
          fs.writeFileSync(keyPath, theirKey.toString('base64'), { mode: 0o600 });
        }
        return realOpenSync(filePath, flags, mode);
      });

      const loaded = loadOrCreateKeyFile(dataDir);
      expect(loaded.created).toBe(false);
      expect(loaded.key.equals(theirKey)).toBe(true);
      expect(fs.readFileSync(keyPath, 'utf8')).toBe(theirKey.toString('base64'));
    });

    test('a file another process has created but not yet written is waited for', () => {
      const keyPath = keyPathIn(dataDir);
      const theirKey = randomBytes(32);
      fs.writeFileSync(keyPath, '', { mode: 0o600 });
      const realReadFileSync = fs.readFileSync;
      let readsOfKeyFile = 0;
      jest.spyOn(fs, 'readFileSync').mockImplementation(((filePath: fs.PathOrFileDescriptor, options?: unknown) => {
        if (filePath === keyPath) {
          readsOfKeyFile += 1;
          // The other process finishes writing after our first, empty, read.
          if (readsOfKeyFile === 2) fs.writeFileSync(keyPath, theirKey.toString('base64'));
        }
        return realReadFileSync(filePath, options as BufferEncoding);
      }) as typeof fs.readFileSync);

      const loaded = loadOrCreateKeyFile(dataDir);
      expect(readsOfKeyFile).toBeGreaterThanOrEqual(2);
      expect(loaded.key.equals(theirKey)).toBe(true);
      expect(loaded.created).toBe(false);
    });
  });

  test('removes a half-written file when writing the key fails, so the next start can create it', () => {
    const keyPath = keyPathIn(dataDir);
    jest.spyOn(fs, 'writeSync').mockImplementation(() => {
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    });
    expect(() => loadOrCreateKeyFile(dataDir)).toThrow(/ENOSPC/);
    expect(fs.existsSync(keyPath)).toBe(false);

    jest.restoreAllMocks();
    expect(loadOrCreateKeyFile(dataDir).created).toBe(true);
  });
});
