/**
 * A bot state store in one SQLite file, with the same contract as botbuilder's MemoryStorage:
 *
 * - `read(keys)` returns only the keys that exist, each parsed and carrying its current `eTag`.
 * - `write(changes)` stores every item with a new eTag. An item whose eTag is set (not empty, not `*`)
 *   must match the stored eTag, else the write rejects with `Storage: error writing "<key>" due to eTag
 *   conflict.` (MemoryStorage's wording). As in MemoryStorage, an item that is not stored yet is written
 *   whatever eTag it carries.
 * - `delete(keys)` removes the keys; missing keys are fine.
 *
 * Unlike MemoryStorage, all items of one `write` call are one transaction: one conflict and nothing is written.
 *
 * Writes and deletes are committed in groups: the ones called during one turn of the event loop are applied
 * in the order they were called, in one transaction, just after it (setImmediate). Each call still succeeds
 * or fails on its own (a savepoint each: an eTag conflict fails only its own call), and its promise settles
 * only once the transaction has committed, so a write that resolved is on disk as before. When the
 * transaction itself cannot be had or committed (the lock held by another process past the busy timeout,
 * a full disk), every call of the group fails with that error. A `read` does not see writes still waiting
 * for their commit: a caller that awaits its write, as botbuilder's state does, never notices. A commit was most of the storage's cost per turn; under
 * load one commit now carries several conversations' writes (see the Performance section of the README).
 *
 * Several processes may share the file (WAL mode, busy timeout). better-sqlite3 is synchronous, so a call
 * that has to wait for another process's lock blocks this process's event loop for up to the busy timeout.
 */
import Database from 'better-sqlite3';
import type { Storage, StoreItem, StoreItems } from 'botbuilder';
import { randomUUID } from 'crypto';
import { mkdirSync } from 'fs';
import path from 'path';

const BUSY_TIMEOUT_MS = 5_000;
/**
 * SQLite's own default. better-sqlite3 compiles in 16 MB per connection, which fills as the file grows
 * (one row per conversation, read at random), so RSS grew with the number of stored conversations up
 * to 16 MB more. The OS page cache holds the file anyway: a lookup that misses this cache costs about
 * half a microsecond more (measured with 22,000 rows).
 */
const DEFAULT_PAGE_CACHE_KIB = 2_000;
/** Reads of up to this many keys are one `IN (...)` statement (the brute-force limiter reads two). */
const MAX_KEYS_PER_SELECT = 8;
const TABLE = 'bot_state';

type Entry = [key: string, eTag: unknown, json: string];

/** A write or delete waiting for the next group commit. */
interface PendingChange {
  apply(): void;
  resolve(): void;
  reject(error: unknown): void;
}

/** What the start-up check found wrong with the database file. */
export interface SqliteStartupProblem {
  /** `damaged`: corrupt pages or not a database; `read-only`: this process may not write it; `other`: any other failure. */
  kind: 'damaged' | 'read-only' | 'other';
  /** SQLite's own words with its error code, on one line. */
  reason: string;
}

/** The key of the row the start-up check writes and rolls back; never committed. */
export const SQLITE_PROBE_KEY = '__gorgias-bot-startup-probe__';

export interface SqliteStorageOptions {
  /** How long a call waits for another process's lock before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** The most this connection keeps of the file's pages in its own memory, in KiB. */
  pageCacheKiB?: number;
}

interface Row {
  etag: string;
  json: string;
}

export class SqliteStorage implements Storage {
  private readonly db: Database.Database;
  private readonly selectRow: Database.Statement<[string], Row>;
  private readonly selectETag: Database.Statement<[string], string>;
  private readonly upsertRow: Database.Statement<[string, string, string], unknown>;
  private readonly upsertRowIfETag: Database.Statement<[string, string, string, string], unknown>;
  /** `SELECT ... WHERE key IN (?, ?, ...)` by number of keys, prepared on first use. */
  private readonly selectRowsByCount = new Map<number, Database.Statement<string[], Row & { key: string }>>();
  private readonly deleteRow: Database.Statement<[string], unknown>;
  private readonly readTx: Database.Transaction<(keys: string[]) => StoreItems>;
  private readonly writeTx: Database.Transaction<(entries: Entry[]) => void>;
  private readonly deleteTx: Database.Transaction<(keys: string[]) => void>;
  private readonly groupTx: Database.Transaction<(changes: PendingChange[]) => Array<unknown>>;
  private pending: PendingChange[] = [];
  private flushScheduled = false;
  private commitCount = 0;
  private committedChanges = 0;
  /** eTags are `<random per instance>.<counter>`: unique across instances and processes sharing the file. */
  private readonly eTagPrefix = randomUUID().replace(/-/g, '').slice(0, 16);
  private eTagCounter = 0;

  constructor(filePath: string, options: SqliteStorageOptions = {}) {
    if (filePath !== ':memory:' && filePath !== '') {
      mkdirSync(path.dirname(path.resolve(filePath)), { recursive: true });
    }
    const busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
    this.db = new Database(filePath, { timeout: busyTimeoutMs });
    try {
      // busy_timeout first: switching to WAL needs a lock that another process may hold briefly.
      this.db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      // A negative cache_size is in KiB, a positive one in pages.
      this.db.pragma(`cache_size = -${Math.max(1, Math.floor(options.pageCacheKiB ?? DEFAULT_PAGE_CACHE_KIB))}`);
      this.db.exec(
        `CREATE TABLE IF NOT EXISTS ${TABLE} (key TEXT PRIMARY KEY NOT NULL, etag TEXT NOT NULL, json TEXT NOT NULL)`,
      );

      this.selectRow = this.db.prepare<[string], Row>(`SELECT etag, json FROM ${TABLE} WHERE key = ?`);
      this.selectETag = this.db.prepare<[string], string>(`SELECT etag FROM ${TABLE} WHERE key = ?`).pluck();
      this.upsertRow = this.db.prepare<[string, string, string], unknown>(
        `INSERT INTO ${TABLE} (key, etag, json) VALUES (?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET etag = excluded.etag, json = excluded.json`,
      );
      // One statement, so one implicit transaction: the row is updated only if its eTag still matches;
      // a missing row is inserted, as MemoryStorage writes an item not stored yet whatever its eTag.
      this.upsertRowIfETag = this.db.prepare<[string, string, string, string], unknown>(
        `INSERT INTO ${TABLE} (key, etag, json) VALUES (?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET etag = excluded.etag, json = excluded.json WHERE ${TABLE}.etag = ?`,
      );
      this.deleteRow = this.db.prepare<[string], unknown>(`DELETE FROM ${TABLE} WHERE key = ?`);
    } catch (err) {
      this.db.close();
      throw err;
    }

    this.readTx = this.db.transaction((keys: string[]): StoreItems => this.readKeys(keys));

    this.writeTx = this.db.transaction((entries: Entry[]): void => {
      for (const [key, eTag, json] of entries) {
        // Same rule as MemoryStorage: a missing item, `*` or no eTag always writes; otherwise the eTags must match.
        if (eTag && eTag !== '*') {
          const stored = this.selectETag.get(key);
          if (stored !== undefined && stored !== eTag) {
            throw new Error(`Storage: error writing "${key}" due to eTag conflict.`);
          }
        }
        this.upsertRow.run(key, this.nextETag(), json);
      }
    });

    this.deleteTx = this.db.transaction((keys: string[]): void => {
      for (const key of keys) {
        this.deleteRow.run(key);
      }
    });

    // Nested in this one, writeTx and deleteTx become savepoints: a failed call undoes only its own changes.
    this.groupTx = this.db.transaction((changes: PendingChange[]): Array<unknown> =>
      changes.map((change) => {
        try {
          change.apply();
          return undefined;
        } catch (error) {
          // Some errors (disk full, I/O) make SQLite roll the whole transaction back: then every call fails.
          if (!this.db.inTransaction) throw error;
          return error ?? new Error('Storage: the write failed.');
        }
      }),
    );
  }

  /**
   * Finds at start what would otherwise fail every turn while the bot looks healthy: opening the file
   * reads only its first page, and SQLite opens a file it may not write read-only without a word.
   *
   * `PRAGMA quick_check` reads every page (once at start, for a state file of this size, that is quick).
   * The write check inserts a row and rolls it back: BEGIN IMMEDIATE alone succeeds on a read-only file
   * in WAL mode, only the first write fails. Another process holding the write lock past the busy timeout
   * says nothing about this one, so it is not a problem here.
   */
  startupCheck(): SqliteStartupProblem | undefined {
    try {
      const verdict: unknown = this.db.pragma('quick_check(1)', { simple: true });
      if (verdict !== 'ok') {
        const found = String(verdict).replace(/^\*\*\* in database \w+ \*\*\*\s*/, '').replace(/\s+/g, ' ').trim();
        return { kind: 'damaged', reason: `PRAGMA quick_check found: ${found.slice(0, 200)}` };
      }
    } catch (err) {
      return problemOf(err);
    }
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        this.upsertRow.run(SQLITE_PROBE_KEY, 'startup-probe', '{}');
      } finally {
        // SQLite may already have rolled back by itself (after an I/O error), and a second ROLLBACK throws.
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
      }
    } catch (err) {
      return problemOf(err);
    }
    return undefined;
  }

  /** How many group commits there were since the storage was opened, and how many writes and deletes they carried. */
  get commitStats(): { commits: number; changes: number } {
    return { commits: this.commitCount, changes: this.committedChanges };
  }

  async read(keys: string[]): Promise<StoreItems> {
    if (!keys) {
      throw new ReferenceError('Keys are required when reading.');
    }
    if (keys.length === 0) {
      return {};
    }
    // One statement reads from one consistent snapshot by itself: no explicit transaction needed.
    if (keys.length === 1) return this.readKeys(keys);
    if (keys.length <= MAX_KEYS_PER_SELECT) return this.readInOneStatement(keys);
    return this.readTx(keys);
  }

  async write(changes: StoreItems): Promise<void> {
    if (!changes) {
      throw new ReferenceError('Changes are required when writing.');
    }
    // Serialize before taking the write lock, so the lock is held only for the SQL work.
    const entries: Entry[] = [];
    for (const key of Object.keys(changes)) {
      const item: unknown = changes[key];
      if (item === null || typeof item !== 'object') {
        throw new TypeError(`Storage: the item for "${key}" must be an object.`);
      }
      const clone: StoreItem = { ...item };
      // Kept as given (not coerced), so a non-string eTag conflicts exactly as it would in MemoryStorage.
      const eTag: unknown = clone.eTag;
      delete clone.eTag;
      const json = JSON.stringify(clone);
      if (json === undefined) {
        throw new TypeError(`Storage: the item for "${key}" cannot be serialized to JSON.`);
      }
      entries.push([key, eTag, json]);
    }
    if (entries.length === 0) return;
    // IMMEDIATE (in flush) takes the write lock before the eTags are checked, so another process cannot slip in between.
    return this.enqueue(entries.length === 1 ? () => this.writeOne(entries[0]) : () => this.writeTx(entries));
  }

  async delete(keys: string[]): Promise<void> {
    if (!keys) {
      throw new ReferenceError('Keys are required when deleting.');
    }
    if (keys.length === 0) return;
    // Queued with the writes, so a delete never overtakes a write called before it.
    const toDelete = [...keys];
    return this.enqueue(() => this.deleteTx(toDelete));
  }

  /** How much of the file this connection may keep in memory, in KiB, as SQLite reports it (open file only). */
  get pageCacheKiB(): number {
    const setting = this.db.pragma('cache_size', { simple: true }) as number;
    return setting < 0 ? -setting : (setting * (this.db.pragma('page_size', { simple: true }) as number)) / 1024;
  }

  /** Commits what is still waiting, then closes the database file. Safe to call more than once. */
  close(): void {
    if (this.db.open) {
      this.flush();
      this.db.close();
    }
  }

  private enqueue(apply: () => void): Promise<void> {
    if (!this.db.open) return Promise.reject(new TypeError('The database connection is not open'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ apply, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Applies every waiting change in one transaction, then settles each call with its own outcome. */
  private flush(): void {
    this.flushScheduled = false;
    const changes = this.pending;
    if (changes.length === 0) return;
    this.pending = [];
    let outcomes: Array<unknown>;
    try {
      outcomes = this.groupTx.immediate(changes);
    } catch (error) {
      // Nothing was committed: the lock was not to be had (SQLITE_BUSY), the disk is full, the file is closed...
      for (const change of changes) change.reject(error);
      return;
    }
    this.commitCount += 1;
    this.committedChanges += changes.length;
    changes.forEach((change, index) => {
      const failure = outcomes[index];
      if (failure === undefined) change.resolve();
      else change.reject(failure);
    });
  }

  /**
   * A single item in a single statement: the commit is the costliest part of a turn's storage work
   * (see the Performance section of the README), and BEGIN, SELECT, UPSERT, COMMIT did the same in four.
   */
  private writeOne([key, eTag, json]: Entry): void {
    if (!eTag || eTag === '*') {
      this.upsertRow.run(key, this.nextETag(), json);
      return;
    }
    if (typeof eTag !== 'string') {
      // SQLite would compare a number with the stored text as text; MemoryStorage never matches it.
      this.writeTx([[key, eTag, json]]);
      return;
    }
    const result = this.upsertRowIfETag.run(key, this.nextETag(), json, eTag) as Database.RunResult;
    if (result.changes === 0) throw new Error(`Storage: error writing "${key}" due to eTag conflict.`);
  }

  private readInOneStatement(keys: string[]): StoreItems {
    let statement = this.selectRowsByCount.get(keys.length);
    if (statement === undefined) {
      const placeholders = keys.map(() => '?').join(', ');
      statement = this.db.prepare<string[], Row & { key: string }>(`SELECT key, etag, json FROM ${TABLE} WHERE key IN (${placeholders})`);
      this.selectRowsByCount.set(keys.length, statement);
    }
    const items: StoreItems = {};
    for (const row of statement.all(...keys)) addItem(items, row.key, row);
    return items;
  }

  private readKeys(keys: string[]): StoreItems {
    const items: StoreItems = {};
    for (const key of keys) {
      const row = this.selectRow.get(key);
      if (row) addItem(items, key, row);
    }
    return items;
  }

  private nextETag(): string {
    this.eTagCounter += 1;
    return `${this.eTagPrefix}.${this.eTagCounter.toString(36)}`;
  }
}

/** SQLite's result code of an error from better-sqlite3 (`SQLITE_READONLY_DBMOVED`, ...), or ''. */
function sqliteErrorCode(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : '';
}

/** Which kind of start-up problem an error from SQLite is; the extended codes share their primary code's prefix. */
export function sqliteProblemKind(err: unknown): SqliteStartupProblem['kind'] {
  const code = sqliteErrorCode(err);
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'damaged';
  if (code.startsWith('SQLITE_READONLY')) return 'read-only';
  return 'other';
}

function problemOf(err: unknown): SqliteStartupProblem | undefined {
  const code = sqliteErrorCode(err);
  if (code.startsWith('SQLITE_BUSY')) return undefined;
  // By shape, not instanceof: errors from another realm (jest's module registry) fail `instanceof Error`.
  const raw = typeof err === 'object' && err !== null ? (err as { message?: unknown }).message : undefined;
  const message = (typeof raw === 'string' ? raw : String(err)).replace(/\s+/g, ' ').trim().slice(0, 200);
  return { kind: sqliteProblemKind(err), reason: code && !message.includes(code) ? `${message} (${code})` : message };
}

function addItem(items: StoreItems, key: string, row: Row): void {
  const item = JSON.parse(row.json) as StoreItem;
  item.eTag = row.etag;
  // defineProperty, not assignment: a key such as "__proto__" must become an ordinary property.
  Object.defineProperty(items, key, { value: item, enumerable: true, writable: true, configurable: true });
}
