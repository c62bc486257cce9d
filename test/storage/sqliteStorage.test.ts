import Database from 'better-sqlite3';
import type { StoreItem } from 'botbuilder';
import { spawn } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import os from 'os';
import path from 'path';
import ts from 'typescript';
import { SQLITE_PROBE_KEY, SqliteStorage } from '../../src/storage/sqliteStorage';

const CONFLICT = /eTag conflict/;

describe('SqliteStorage', () => {
  let dir: string;
  let file: string;
  const opened: SqliteStorage[] = [];
  const open = (filePath = file): SqliteStorage => {
    const storage = new SqliteStorage(filePath);
    opened.push(storage);
    return storage;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gorgias-bot-sqlite-'));
    file = path.join(dir, 'state.sqlite');
  });

  afterEach(() => {
    opened.splice(0).forEach((s) => s.close());
    rmSync(dir, { recursive: true, force: true });
  });

  test('creates a missing parent directory', async () => {
    const nested = path.join(dir, 'a', 'b', 'state.sqlite');
    const storage = open(nested);
    await storage.write({ k: { v: 1 } });
    expect(existsSync(nested)).toBe(true);
  });

  test('data survives closing and reopening the file', async () => {
    const first = open();
    await first.write({ 'conv/1': { topic: 'billing', list: [1, 2, 3] } });
    const { eTag } = (await first.read(['conv/1']))['conv/1'] as StoreItem;
    first.close();
    first.close(); // closing twice is harmless

    const second = open();
    expect(await second.read(['conv/1'])).toEqual({ 'conv/1': { topic: 'billing', list: [1, 2, 3], eTag } });
    // The eTag read before the restart is still current.
    await second.write({ 'conv/1': { topic: 'sales', eTag } });
    expect((await second.read(['conv/1']))['conv/1']?.topic).toBe('sales');
  });

  test('a closed storage rejects instead of throwing synchronously', async () => {
    const storage = open();
    storage.close();
    await expect(storage.read(['k'])).rejects.toThrow();
    await expect(storage.write({ k: { v: 1 } })).rejects.toThrow();
  });

  test('a multi-key write with one conflicting item writes nothing', async () => {
    const storage = open();
    await storage.write({ existing: { v: 1 } });
    const before = await storage.read(['existing']);

    await expect(
      storage.write({
        fresh1: { v: 'new' },
        fresh2: { v: 'new', eTag: '*' },
        existing: { v: 2, eTag: 'stale' },
        fresh3: { v: 'new' },
      }),
    ).rejects.toThrow('Storage: error writing "existing" due to eTag conflict.');

    expect(await storage.read(['fresh1', 'fresh2', 'fresh3', 'existing'])).toEqual(before);
  });

  test('an item that is not an object rejects and writes nothing', async () => {
    const storage = open();
    // A deliberately ill-typed call: callers in JavaScript can pass anything.
    const bad = { good: { v: 1 }, bad: 'not an object' } as unknown as Record<string, StoreItem>;
    await expect(storage.write(bad)).rejects.toThrow(TypeError);
    expect(await storage.read(['good', 'bad'])).toEqual({});
  });

  test('keys are exact: no normalisation of slashes, case or "__proto__"', async () => {
    const storage = open();
    const keys = ['a/b', 'a//b', '/a/b/', 'A/B', '__proto__', 'constructor', '', 'tab\tnew\nline', "quote'\"`"];
    await storage.write(Object.fromEntries(keys.map((k, i) => [k, { i }])));
    const items = await storage.read(keys);
    expect(Object.keys(items).sort()).toEqual([...keys].sort());
    keys.forEach((k, i) => expect(Object.getOwnPropertyDescriptor(items, k)?.value.i).toBe(i));
    expect(Object.getPrototypeOf(items)).toBe(Object.prototype);
  });

  test('a read of a few keys (one IN statement) is as exact as a read of many: case, "__proto__", repeats', async () => {
    const storage = open();
    // A computed key: `__proto__:` in a literal would set the prototype instead.
    await storage.write({ 'a/b': { i: 1 }, 'A/B': { i: 2 }, ['__proto__']: { i: 3 } });

    const few = await storage.read(['A/B', '__proto__', 'A/B', 'missing']);
    expect(Object.keys(few).sort()).toEqual(['A/B', '__proto__']);
    expect(Object.getOwnPropertyDescriptor(few, '__proto__')?.value.i).toBe(3);
    expect((few['A/B'] as StoreItem).i).toBe(2);
    expect(Object.getPrototypeOf(few)).toBe(Object.prototype);
  });

  test('a single-item write checks the eTag in the same statement that writes', async () => {
    const storage = open();
    await storage.write({ k: { v: 1 } });
    const read = (await storage.read(['k'])).k as StoreItem;
    await storage.write({ k: { v: 2, eTag: read.eTag } });

    await expect(storage.write({ k: { v: 3, eTag: read.eTag } })).rejects.toThrow(CONFLICT);
    expect(await storage.read(['k'])).toEqual({ k: { v: 2, eTag: expect.any(String) } });
  });

  describe('group commit', () => {
    test('writes called in one turn of the event loop share one commit, and each settles on its own', async () => {
      const storage = open();
      await storage.write({ stale: { v: 1 } });
      const staleETag = ((await storage.read(['stale'])).stale as StoreItem).eTag as string;
      await storage.write({ stale: { v: 2, eTag: staleETag } });
      const before = storage.commitStats;

      const outcomes = await Promise.allSettled([
        storage.write({ a: { v: 'a' } }),
        storage.write({ stale: { v: 3, eTag: staleETag } }),
        storage.write({ b: { v: 'b' }, c: { v: 'c' } }),
        storage.delete(['gone']),
      ]);

      expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(CONFLICT);
      expect(storage.commitStats).toEqual({ commits: before.commits + 1, changes: before.changes + 4 });
      // Resolved means committed: another connection to the file sees it.
      const other = open();
      expect(Object.keys(await other.read(['a', 'b', 'c', 'stale'])).sort()).toEqual(['a', 'b', 'c', 'stale']);
      expect(((await other.read(['stale'])).stale as StoreItem).v).toBe(2);
    });

    test('a multi-item write that conflicts inside a group undoes only its own items', async () => {
      const storage = open();
      await storage.write({ x: { v: 1 } });

      const [mine, conflicting] = await Promise.allSettled([
        storage.write({ y: { v: 'y' } }),
        storage.write({ z: { v: 'z' }, x: { v: 2, eTag: 'made-up' } }),
      ]);

      expect(mine.status).toBe('fulfilled');
      expect(conflicting.status).toBe('rejected');
      expect(Object.keys(await storage.read(['x', 'y', 'z'])).sort()).toEqual(['x', 'y']);
      expect(((await storage.read(['x'])).x as StoreItem).v).toBe(1);
    });

    test('a delete never overtakes a write called before it, nor a write a delete', async () => {
      const storage = open();
      const writeThenDelete = [storage.write({ k: { v: 1 } }), storage.delete(['k'])];
      await Promise.all(writeThenDelete);
      expect(await storage.read(['k'])).toEqual({});

      const deleteThenWrite = [storage.delete(['k']), storage.write({ k: { v: 2 } })];
      await Promise.all(deleteThenWrite);
      expect(((await storage.read(['k'])).k as StoreItem).v).toBe(2);
    });

    test('when the write lock cannot be had, every write of the group fails, and the next ones succeed', async () => {
      const storage = open(file);
      const storageWithShortWait = new SqliteStorage(file, { busyTimeoutMs: 50 });
      opened.push(storageWithShortWait);
      // Another process holding the write lock, as a long transaction would.
      const other = new Database(file);
      other.exec('BEGIN IMMEDIATE');
      try {
        const outcomes = await Promise.allSettled([storageWithShortWait.write({ p: { v: 1 } }), storageWithShortWait.write({ q: { v: 1 } })]);
        expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
        expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/locked|busy/i);
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
      await storageWithShortWait.write({ p: { v: 2 } });
      expect(Object.keys(await storage.read(['p', 'q']))).toEqual(['p']);
    });

    test('close() commits what is still waiting before it closes the file', async () => {
      const storage = new SqliteStorage(file);
      const pending = storage.write({ last: { v: 'words' } });
      storage.close();
      await pending;

      const reopened = open();
      expect(((await reopened.read(['last'])).last as StoreItem).v).toBe('words');
      await expect(storage.write({ after: { v: 1 } })).rejects.toThrow(/not open/);
    });
  });

  describe('startupCheck', () => {
    test('finds nothing wrong with a healthy file, and leaves no probe row behind', async () => {
      const storage = open();
      await storage.write({ k: { v: 1 } });
      expect(storage.startupCheck()).toBeUndefined();
      expect(Object.keys(await storage.read(['k', SQLITE_PROBE_KEY]))).toEqual(['k']);
      const raw = new Database(file, { readonly: true });
      try {
        expect(raw.prepare('SELECT key FROM bot_state').pluck().all()).toEqual(['k']);
      } finally {
        raw.close();
      }
    });

    test('another connection holding the write lock is no problem: it only waits the busy timeout', async () => {
      open().close();
      const other = new Database(file);
      try {
        other.exec('BEGIN IMMEDIATE');
        const storage = new SqliteStorage(file, { busyTimeoutMs: 100 });
        opened.push(storage);
        expect(storage.startupCheck()).toBeUndefined();
      } finally {
        if (other.inTransaction) other.exec('ROLLBACK');
        other.close();
      }
    });
  });

  test('WAL mode is on', () => {
    open();
    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      const columns = raw.pragma('table_info(bot_state)') as Array<{ name: string; pk: number }>;
      expect(columns.map((c) => c.name)).toEqual(['key', 'etag', 'json']);
      expect(columns.find((c) => c.pk === 1)?.name).toBe('key');
    } finally {
      raw.close();
    }
  });

  test("the page cache is SQLite's own 2 MB, not the 16 MB better-sqlite3 compiles in, so RSS does not grow with the file", () => {
    expect(open().pageCacheKiB).toBe(2_000);
    const storage = new SqliteStorage(path.join(dir, 'other.sqlite'), { pageCacheKiB: 512 });
    opened.push(storage);
    expect(storage.pageCacheKiB).toBe(512);
  });

  test('two instances on one file see each other’s writes and eTag conflicts', async () => {
    const a = open();
    const b = open();

    await a.write({ shared: { by: 'a' } });
    const seenByB = (await b.read(['shared'])).shared as StoreItem;
    expect(seenByB.by).toBe('a');
    const eTagFromA = ((await a.read(['shared'])).shared as StoreItem).eTag;
    expect(seenByB.eTag).toBe(eTagFromA);

    // b writes with the current eTag; a's copy is now stale.
    await b.write({ shared: { by: 'b', eTag: seenByB.eTag } });
    await expect(a.write({ shared: { by: 'a again', eTag: eTagFromA } })).rejects.toThrow(CONFLICT);
    expect(((await a.read(['shared'])).shared as StoreItem).by).toBe('b');

    // eTags from different instances never coincide, even for their first writes.
    await a.write({ onlyA: { v: 1 } });
    await b.write({ onlyB: { v: 1 } });
    const eTags = await a.read(['onlyA', 'onlyB']);
    expect(eTags.onlyA.eTag).not.toBe(eTags.onlyB.eTag);

    await b.delete(['shared']);
    expect(await a.read(['shared'])).toEqual({});
  });

  test('two processes doing read-modify-write on one key lose no update', async () => {
    // Compile the real class to plain JavaScript for the child processes (ts-jest only transforms in-process).
    const source = readFileSync(path.join(__dirname, '../../src/storage/sqliteStorage.ts'), 'utf8');
    const compiled = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    }).outputText;
    const modulePath = path.join(dir, 'sqliteStorage.js');
    writeFileSync(modulePath, compiled);
    const workerPath = path.join(dir, 'worker.js');
    writeFileSync(
      workerPath,
      `const { SqliteStorage } = require(${JSON.stringify(modulePath)});
       (async () => {
         const storage = new SqliteStorage(process.argv[2]);
         // Start together, so the processes really overlap.
         await new Promise((resolve) => setTimeout(resolve, Number(process.argv[3]) - Date.now()));
         let conflicts = 0;
         for (let done = 0; done < 100; ) {
           const current = (await storage.read(['counter'])).counter || { n: 0 };
           await new Promise((resolve) => setImmediate(resolve)); // widen the read-to-write window
           try {
             await storage.write({ counter: { n: current.n + 1, eTag: current.eTag } });
             done++;
           } catch (err) {
             if (!/eTag conflict/.test(err.message)) throw err;
             conflicts++;
           }
         }
         storage.close();
         process.stdout.write(String(conflicts));
       })().catch((err) => { console.error(err); process.exit(1); });`,
    );

    const setup = open();
    await setup.write({ counter: { n: 0 } });

    const startAt = String(Date.now() + 800);
    const runWorker = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [workerPath, file, startAt], {
          env: { ...process.env, NODE_PATH: path.join(__dirname, '../../node_modules') },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.once('error', reject);
        child.once('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`worker exited ${code}: ${err}`))));
      });

    // Without BEGIN IMMEDIATE the workers die with SQLITE_BUSY / SQLITE_BUSY_SNAPSHOT; a lost update shows in the sum.
    await Promise.all([runWorker(), runWorker(), runWorker()]);
    expect(((await setup.read(['counter'])).counter as StoreItem).n).toBe(300);
  });
});
