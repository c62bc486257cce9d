import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SecretBox } from './secretBox';

/**
 * The local-development fallback when STATE_ENCRYPTION_KEY is not set: a key kept in a file
 * next to the data it protects, created on first start. Deployments that share storage between
 * instances must set STATE_ENCRYPTION_KEY instead, since each machine would make its own file.
 */

export const KEY_FILE_NAME = 'state-encryption.key';

const KEY_LENGTH = 32;
const OWNER_READ_WRITE = 0o600;
/** Anything a key file could legitimately hold is far smaller; a bigger file is not ours. */
const MAX_KEY_FILE_SIZE = 1024;
/**
 * A process that has just created the file writes the key a moment later; a second process
 * starting at the same time may find it still empty, and waits this long for the key to appear.
 */
const WAIT_FOR_CONCURRENT_WRITER_MS = 1000;
const RETRY_INTERVAL_MS = 20;

export interface LoadedKeyFile {
  key: Buffer;
  /** True when this call generated the key: anything sealed before with another key won't open. */
  created: boolean;
  path: string;
}

export function loadOrCreateKeyFile(dataDir: string): LoadedKeyFile {
  assertFolderOrAbsent(dataDir);
  const keyPath = path.join(dataDir, KEY_FILE_NAME);
  const existing = readKeyFile(keyPath);
  if (existing !== undefined) return { key: existing, created: false, path: keyPath };

  // Owner-only, as the directory holds the key and the state it protects.
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_LENGTH);
  try {
    writeNewKeyFile(keyPath, key);
    return { key, created: true, path: keyPath };
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
  }
  // Another process created the file since we looked: its key wins, ours was never used.
  const theirs = readKeyFile(keyPath);
  if (theirs === undefined) {
    throw new Error(`The encryption key file ${keyPath} appeared and vanished while this process was starting; start it again`);
  }
  return { key: theirs, created: false, path: keyPath };
}

/** The key in the file, or undefined if there is no file. */
function readKeyFile(keyPath: string): Buffer | undefined {
  const stats = statIfPresent(keyPath);
  if (stats === undefined) return undefined;
  if (!stats.isFile()) throw new Error(`The encryption key file ${keyPath} is not a regular file`);
  if (stats.size > MAX_KEY_FILE_SIZE) throw corruptKeyFileError(keyPath);
  restrictToOwner(keyPath, stats.mode);

  const deadline = Date.now() + WAIT_FOR_CONCURRENT_WRITER_MS;
  let content = fs.readFileSync(keyPath, 'utf8');
  while (content.trim() === '' && Date.now() < deadline) {
    sleepSync(RETRY_INTERVAL_MS);
    content = fs.readFileSync(keyPath, 'utf8');
  }
  if (content.trim() === '') {
    // Nothing can have been sealed with an empty file, so deleting it loses nothing.
    throw new Error(
      `The encryption key file ${keyPath} is empty, probably because a start was interrupted while creating it; delete it and start again`,
    );
  }
  try {
    return SecretBox.parseKey(content, keyPath);
  } catch (cause) {
    throw corruptKeyFileError(keyPath, cause);
  }
}

function writeNewKeyFile(keyPath: string, key: Buffer): void {
  // 'wx' fails with EEXIST instead of overwriting a key another process has just written.
  const descriptor = fs.openSync(keyPath, 'wx', OWNER_READ_WRITE);
  try {
    fs.writeSync(descriptor, `${key.toString('base64')}\n`);
    // Losing this file loses every secret sealed with it, so make sure it reaches the disk.
    fs.fsyncSync(descriptor);
  } catch (error) {
    fs.closeSync(descriptor);
    // A half-written file would stop every later start; nothing has been sealed with it yet.
    fs.rmSync(keyPath, { force: true });
    throw error;
  }
  fs.closeSync(descriptor);
}

function restrictToOwner(keyPath: string, mode: number): void {
  // Windows has no POSIX permission bits; chmod there only toggles read-only.
  if (process.platform === 'win32') return;
  if ((mode & 0o777 & ~OWNER_READ_WRITE) === 0) return;
  try {
    fs.chmodSync(keyPath, OWNER_READ_WRITE);
  } catch (cause) {
    throw new Error(`The encryption key file ${keyPath} can be read by other users and its permissions could not be restricted to 0600`, { cause });
  }
}

/** A file where the folder should be would otherwise surface as a bare ENOTDIR naming the key file. */
function assertFolderOrAbsent(dataDir: string): void {
  let stats: fs.Stats | undefined;
  try {
    stats = statIfPresent(dataDir);
  } catch (error) {
    if (errorCode(error) !== 'ENOTDIR') throw error;
  }
  const notAFolder = stats === undefined ? pathCrossesAFile(dataDir) : !stats.isDirectory();
  if (notAFolder) throw new Error(`DATA_DIR ${dataDir} is not a folder: it must be one (or not exist yet), for the local encryption key file and the SQLite state`);
}

/** True when some part of the path is a file, so nothing can be created under it. */
function pathCrossesAFile(target: string): boolean {
  for (let current = path.dirname(target); current !== path.dirname(current); current = path.dirname(current)) {
    const stats = fs.statSync(current, { throwIfNoEntry: false });
    if (stats !== undefined) return !stats.isDirectory();
  }
  return false;
}

function statIfPresent(filePath: string): fs.Stats | undefined {
  try {
    return fs.statSync(filePath);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function corruptKeyFileError(keyPath: string, cause?: unknown): Error {
  return new Error(
    `The encryption key file ${keyPath} is corrupt: it must hold ${KEY_LENGTH} random bytes in base64. ` +
      'Restore it from a backup; deleting it makes a new key, and everything stored encrypted with the old one becomes unreadable',
    cause === undefined ? undefined : { cause },
  );
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error as { code: unknown };
  return typeof code === 'string' ? code : undefined;
}

/** Start-up is synchronous, so the wait for a concurrent writer blocks rather than awaits. */
function sleepSync(milliseconds: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, milliseconds);
}
