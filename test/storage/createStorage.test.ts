import { MemoryStorage } from 'botbuilder';
import { DeadlineStorage } from '../../src/storage/deadlineStorage';
import { randomBytes } from 'crypto';
import Database from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { BLOB_TRY_TIMEOUT_MS, createStorage } from '../../src/storage/createStorage';
import { SQLITE_PROBE_KEY, SqliteStorage } from '../../src/storage/sqliteStorage';
import { AzuriteHandle, DEV_ACCOUNT_KEY, azuriteConnectionString, startAzurite } from '../support/azurite';
import { closedLoopbackPort } from '../support/loopback';
import { startSwitchableProxy, type SwitchableProxy } from './switchableProxy';

const DEV_KEY = DEV_ACCOUNT_KEY;
const connectionStringFor = azuriteConnectionString;

function expectCleanOneLiner(message: string): void {
  expect(message).not.toMatch(/\r|\n/);
  expect(message).not.toContain('AccountKey');
  expect(message).not.toContain(DEV_KEY);
  expect(message).not.toContain(DEV_KEY.slice(0, 20));
}

describe('createStorage', () => {
  let tmp: string;

  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'gorgias-bot-create-storage-'));
  });

  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  test('memory', async () => {
    const created = await createStorage({ kind: 'memory' });
    expect(created.storage).toBeInstanceOf(MemoryStorage);
    expect(created.describe).toMatch(/memory/);
    await created.storage.write({ k: { v: 1 } });
    expect((await created.storage.read(['k'])).k?.v).toBe(1);
    await created.close();
  });

  test('sqlite: <dataDir>/state.sqlite, directory created when missing', async () => {
    const dataDir = path.join(tmp, 'not', 'yet', 'there');
    const created = await createStorage({ kind: 'sqlite', dataDir });
    try {
      expect(created.storage).toBeInstanceOf(SqliteStorage);
      expect(created.describe).toBe(`sqlite at ${path.join(dataDir, 'state.sqlite')}`);
      expect(existsSync(path.join(dataDir, 'state.sqlite'))).toBe(true);
      await created.storage.write({ k: { v: 1 } });
      expect((await created.storage.read(['k'])).k?.v).toBe(1);
    } finally {
      await created.close();
    }
  });

  describe('sqlite that cannot be opened: one line naming the file and DATA_DIR', () => {
    const cases: Array<{ name: string; prepare(dataDir: string): void }> = [
      { name: 'DATA_DIR is a file', prepare: (dataDir) => writeFileSync(dataDir, 'not a directory') },
      { name: 'state.sqlite is a directory', prepare: (dataDir) => mkdirSync(path.join(dataDir, 'state.sqlite'), { recursive: true }) },
      {
        name: 'state.sqlite is not a database',
        prepare: (dataDir) => {
          mkdirSync(dataDir, { recursive: true });
          writeFileSync(path.join(dataDir, 'state.sqlite'), randomBytes(8192));
        },
      },
    ];

    test.each(cases)('$name', async ({ name, prepare }) => {
      const dataDir = path.join(tmp, `unopenable-${name.replace(/\W+/g, '-')}`);
      prepare(dataDir);
      const failure = await createStorage({ kind: 'sqlite', dataDir }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(Error);
      const message = (failure as Error).message;
      expect(message.startsWith(`SQLite storage ${path.join(dataDir, 'state.sqlite')} cannot be opened (check DATA_DIR): `)).toBe(true);
      expect(message).not.toMatch(/\r|\n/);
    });
  });

  describe('sqlite that opens but cannot serve a turn: refused at start with one line naming the file, DATA_DIR and what to do', () => {
    /** A state file as the bot leaves it, with a few conversations, so that it has pages after the first. */
    async function storedStateIn(dataDir: string): Promise<string> {
      const created = await createStorage({ kind: 'sqlite', dataDir });
      const items: Record<string, { text: string }> = {};
      for (let index = 0; index < 40; index += 1) items[`emulator/conversations/${index}`] = { text: 'x'.repeat(300) };
      await created.storage.write(items);
      await created.close();
      return path.join(dataDir, 'state.sqlite');
    }

    const startupFailure = (dataDir: string): Promise<unknown> =>
      createStorage({ kind: 'sqlite', dataDir }).then(
        async (created) => {
          await created.close();
          return undefined;
        },
        (err: unknown) => err,
      );

    test('every page after the first overwritten: damaged, found by quick_check', async () => {
      const dataDir = path.join(tmp, 'damaged');
      const file = await storedStateIn(dataDir);
      const size = statSync(file).size;
      expect(size).toBeGreaterThan(3 * 4096);
      const fd = openSync(file, 'r+');
      writeSync(fd, randomBytes(size - 4096), 0, size - 4096, 4096);
      closeSync(fd);
      // What the bot was fooled by: the file still opens, since opening reads only its first page.
      new Database(file).close();

      const failure = await startupFailure(dataDir);
      expect(failure).toBeInstanceOf(Error);
      const message = (failure as Error).message;
      expect(message.startsWith(`SQLite storage ${file} is damaged (check DATA_DIR): `)).toBe(true);
      expect(message).toMatch(/quick_check|malformed/);
      expect(message).toMatch(/restore it from a backup, or move it and its -wal and -shm files out of DATA_DIR/);
      expect(message).not.toMatch(/\r|\n/);
    });

    test('a file SQLite may only read: refused by the write check', async () => {
      // Running as root, file modes cannot take write access away from this process; SQLite's own
      // read-only marker can (a write format version above 2 in the header: "treated as read-only"). The
      // bot run as an ordinary user on a chmod 0444 file is tested in test/e2e/storageStartupChecks.
      const dataDir = path.join(tmp, 'read-only');
      const file = await storedStateIn(dataDir);
      const fd = openSync(file, 'r+');
      writeSync(fd, Buffer.from([3]), 0, 1, 18);
      closeSync(fd);

      const failure = await startupFailure(dataDir);
      expect(failure).toBeInstanceOf(Error);
      const message = (failure as Error).message;
      expect(message).toBe(
        `SQLite storage ${file} cannot be written (check DATA_DIR): attempt to write a readonly database (SQLITE_READONLY); ` +
          "the bot's user must be able to write it, its -wal and -shm files and DATA_DIR itself",
      );
    });

    test('the checks leave a healthy file as it was: no probe row, same data', async () => {
      const dataDir = path.join(tmp, 'healthy');
      await storedStateIn(dataDir);
      const created = await createStorage({ kind: 'sqlite', dataDir });
      try {
        const items = await created.storage.read(['emulator/conversations/7', SQLITE_PROBE_KEY]);
        expect(Object.keys(items)).toEqual(['emulator/conversations/7']);
      } finally {
        await created.close();
      }
      const db = new Database(path.join(dataDir, 'state.sqlite'), { readonly: true });
      try {
        expect(db.prepare('SELECT COUNT(*) FROM bot_state').pluck().get()).toBe(40);
      } finally {
        db.close();
      }
    });
  });

  describe('blob', () => {
    let azurite: AzuriteHandle;

    beforeAll(async () => {
      azurite = await startAzurite();
    });

    afterAll(async () => {
      await azurite?.stop();
    });

    test('builds against a reachable Azurite and creates the container', async () => {
      const container = `create-${randomBytes(4).toString('hex')}`;
      const created = await createStorage({ kind: 'blob', connectionString: azurite.connectionString, container });
      // Blob Storage, behind the deadline every cloud storage call gets.
      expect(created.storage).toBeInstanceOf(DeadlineStorage);
      expect(created.describe).toBe(`Azure Blob Storage container "${container}"`);
      expect(created.describe).not.toContain('AccountKey');
      await created.storage.write({ 'emulator/conversations/1|livechat/state': { v: 1 } });
      const items = await created.storage.read(['emulator/conversations/1|livechat/state']);
      expect(items['emulator/conversations/1|livechat/state']?.v).toBe(1);
      await created.close();
    });

    test('an unreachable endpoint fails fast with one clean line', async () => {
      const port = await closedLoopbackPort();
      const started = Date.now();
      const failure = await createStorage(
        { kind: 'blob', connectionString: connectionStringFor(port), container: 'bot-state' },
        { probeTimeoutMs: 3_000 },
      ).then(
        () => undefined,
        (err: unknown) => err,
      );
      const elapsed = Date.now() - started;

      expect(failure).toBeInstanceOf(Error);
      const message = (failure as Error).message;
      expect(message).toMatch(/^Azure Blob Storage is not reachable \(container "bot-state"\): \S.*$/);
      expect(message).toMatch(/ECONNREFUSED/);
      expectCleanOneLiner(message);
      // Generous for a busy machine, yet far below what the SDK's default retries would take (tens of seconds).
      expect(elapsed).toBeLessThan(8_000);
    });

    test('an endpoint that never answers fails at the probe deadline', async () => {
      const sockets = new Set<net.Socket>();
      const silent = net.createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const { port } = silent.address() as net.AddressInfo;
      try {
        const started = Date.now();
        const failure = await createStorage(
          { kind: 'blob', connectionString: connectionStringFor(port), container: 'bot-state' },
          { probeTimeoutMs: 500 },
        ).then(
          () => undefined,
          (err: unknown) => err,
        );
        const elapsed = Date.now() - started;
        const message = (failure as Error).message;
        expect(message).toMatch(/^Azure Blob Storage is not reachable \(container "bot-state"\): \S.*$/);
        expectCleanOneLiner(message);
        expect(elapsed).toBeGreaterThanOrEqual(450);
        expect(elapsed).toBeLessThan(8_000);
      } finally {
        sockets.forEach((s) => s.destroy());
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });

    describe('the bot\'s client, once started: every call ends well within a turn (Azure Bot Service waits 15 s)', () => {
      let proxy: SwitchableProxy;
      let created: Awaited<ReturnType<typeof createStorage>>;
      const KEY = 'emulator/conversations/timeouts|livechat/state';

      beforeAll(async () => {
        proxy = await startSwitchableProxy(azurite.port);
        created = await createStorage({
          kind: 'blob',
          connectionString: connectionStringFor(proxy.port),
          container: `timeouts-${randomBytes(4).toString('hex')}`,
        });
      });

      afterAll(async () => {
        await created?.close();
        await proxy?.close();
      });

      const timed = async (call: () => Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> => {
        const started = Date.now();
        const error = await call().then(
          () => undefined,
          (err: unknown) => err,
        );
        return { error, elapsedMs: Date.now() - started };
      };

      test('works through the proxy as it does directly', async () => {
        await created.storage.write({ [KEY]: { v: 1 } });
        expect((await created.storage.read([KEY]))[KEY]?.v).toBe(1);
      });

      test('an endpoint that accepts connections and never answers: reads and writes fail, each try cut off', async () => {
        proxy.blackHole();
        const [read, write] = await Promise.all([
          timed(() => created.storage.read([KEY])),
          timed(() => created.storage.write({ [KEY]: { v: 2 } })),
        ]);
        for (const { error, elapsedMs } of [read, write]) {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message).toBe(`no answer within ${BLOB_TRY_TIMEOUT_MS} ms`);
          // It waited for the tries (not a failure for another reason), and gave up long before 15 s.
          expect(elapsedMs).toBeGreaterThanOrEqual(BLOB_TRY_TIMEOUT_MS - 100);
          expect(elapsedMs).toBeLessThan(15_000);
        }
      }, 60_000);

      test('once the endpoint answers again, so does the storage', async () => {
        proxy.forward();
        // The write above was cut off: whether it reached Azurite before that is not known.
        expect([1, 2]).toContain((await created.storage.read([KEY]))[KEY]?.v);
        await created.storage.write({ [KEY]: { v: 3 } });
        expect((await created.storage.read([KEY]))[KEY]?.v).toBe(3);
      });

      test('a refused connection fails in well under a second or so, not after the SDK\'s 30 s of retries', async () => {
        await proxy.close();
        const { error, elapsedMs } = await timed(() => created.storage.read([KEY]));
        expect((error as Error).message).toMatch(/ECONNREFUSED/);
        expect(elapsedMs).toBeLessThan(8_000);
      });
    });

    test('an invalid container name is rejected before any network call', async () => {
      await expect(
        createStorage({ kind: 'blob', connectionString: azurite.connectionString, container: 'Bot_State' }),
      ).rejects.toThrow(/container name "Bot_State" is invalid/);
    });

    test('a malformed connection string does not leak the key', async () => {
      const failure = await createStorage({
        kind: 'blob',
        connectionString: `AccountName=devstoreaccount1;AccountKey=${DEV_KEY}`,
        container: 'bot-state',
      }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(Error);
      expectCleanOneLiner((failure as Error).message);
    });
  });

  test('cosmos without botbuilder-azure installed gives the install hint', async () => {
    await expect(
      createStorage({
        kind: 'cosmos',
        endpoint: 'https://example.documents.azure.com:443/',
        authKey: 'c2VjcmV0LWF1dGgta2V5',
        databaseId: 'bot',
        containerId: 'state',
      }),
    ).rejects.toThrow('STORAGE=cosmos needs the botbuilder-azure package: npm install botbuilder-azure@4.23.3');
  });
});
