import { MemoryStorage } from 'botbuilder';
import { BlobsStorage } from 'botbuilder-azure-blobs';
import { randomBytes } from 'crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { createStorage } from '../../src/storage/createStorage';
import { SqliteStorage } from '../../src/storage/sqliteStorage';
import { AzuriteHandle, DEV_ACCOUNT_KEY, azuriteConnectionString, startAzurite } from '../support/azurite';
import { closedLoopbackPort } from '../support/loopback';

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
      expect(created.storage).toBeInstanceOf(BlobsStorage);
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
