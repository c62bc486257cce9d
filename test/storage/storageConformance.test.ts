/**
 * One contract, three stores: botbuilder's MemoryStorage (the reference), SqliteStorage, and BlobsStorage
 * against a local Azurite. Where BlobsStorage behaves differently on purpose, the backend says so.
 */
import { MemoryStorage, Storage, StoreItem, StoreItems } from 'botbuilder';
import { BlobsStorage } from 'botbuilder-azure-blobs';
import { randomBytes } from 'crypto';
import { mkdtempSync, rmSync } from 'fs';
import os from 'os';
import path from 'path';
import { SqliteStorage } from '../../src/storage/sqliteStorage';
import { AzuriteHandle, startAzurite } from '../support/azurite';

interface OpenedBackend {
  storage: Storage;
  close(): Promise<void>;
}

interface Backend {
  name: string;
  open(): Promise<OpenedBackend>;
  /**
   * An item that is not stored yet but carries an eTag: MemoryStorage (and SqliteStorage, which copies it)
   * writes it; BlobsStorage sends If-Match, which a missing blob fails with 412, so it is a conflict.
   */
  missingItemWithETag: 'writes' | 'conflicts';
}

const backends: Backend[] = [
  {
    name: 'memory',
    missingItemWithETag: 'writes',
    open: async () => ({ storage: new MemoryStorage(), close: async () => undefined }),
  },
  {
    name: 'sqlite',
    missingItemWithETag: 'writes',
    open: async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'gorgias-bot-sqlite-'));
      const storage = new SqliteStorage(path.join(dir, 'state.sqlite'));
      return {
        storage,
        close: async () => {
          storage.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'blob (Azurite)',
    missingItemWithETag: 'conflicts',
    open: async () => {
      const azurite: AzuriteHandle = await startAzurite();
      const container = `conformance-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
      return { storage: new BlobsStorage(azurite.connectionString, container), close: () => azurite.stop() };
    },
  },
];

const CONFLICT = /eTag conflict/;

describe.each(backends)('Storage conformance: $name', (backend) => {
  let opened: OpenedBackend | undefined;
  let storage: Storage;
  let counter = 0;
  /** A fresh key per use, so the cases do not see each other's data. */
  const key = (suffix: string): string => `case${++counter}/${suffix}`;

  beforeAll(async () => {
    opened = await backend.open();
    storage = opened.storage;
  });

  afterAll(async () => {
    await opened?.close();
  });

  async function readOne(k: string): Promise<StoreItem | undefined> {
    const items = await storage.read([k]);
    return items[k] as StoreItem | undefined;
  }

  test('reading missing keys returns an empty object', async () => {
    expect(await storage.read([key('missing-a'), key('missing-b')])).toEqual({});
    expect(await storage.read([])).toEqual({});
  });

  test('round trip keeps nested objects, unicode and awkward keys', async () => {
    const document = {
      profile: { name: 'Zoë Ünïcødé', city: '東京', emoji: '🤖✅', rtl: 'مرحبا', quote: 'say "hi"\n\ttab' },
      nested: { a: { b: { c: [1, 2.5, -3, { d: null, e: true, f: 'x' }] } } },
      empty: { obj: {}, arr: [] as unknown[] },
      count: 42,
    };
    const keys = [
      'emulator/conversations/7f3a9c|livechat/ConversationState',
      key('with/slash'),
      key('with|pipe'),
      key('with space'),
      key('with%percent%2F'),
      key('x%2Fy'),
      key('ключ 日本 🤖'),
    ];
    const changes: StoreItems = {};
    keys.forEach((k, i) => (changes[k] = { ...document, index: i }));
    await storage.write(changes);

    const items = await storage.read(keys);
    expect(Object.keys(items).sort()).toEqual([...keys].sort());
    keys.forEach((k, i) => {
      const { eTag, ...rest } = items[k] as StoreItem;
      expect(typeof eTag).toBe('string');
      expect(eTag).not.toBe('');
      expect(rest).toEqual({ ...document, index: i });
    });
  });

  test('reading a mix of present and missing keys returns only the present ones', async () => {
    const present = key('present');
    await storage.write({ [present]: { v: 1 } });
    const items = await storage.read([present, key('absent')]);
    expect(Object.keys(items)).toEqual([present]);
  });

  test('write leaves the caller’s item untouched and the read copy is independent', async () => {
    const k = key('copy');
    const item = { list: [1, 2], eTag: '*' };
    await storage.write({ [k]: item });
    expect(item).toEqual({ list: [1, 2], eTag: '*' });
    const first = (await readOne(k)) as StoreItem;
    first.list.push(3);
    expect(((await readOne(k)) as StoreItem).list).toEqual([1, 2]);
  });

  test('delete removes keys, and deleting missing keys is fine', async () => {
    const a = key('del-a');
    const b = key('del-b');
    await storage.write({ [a]: { v: 'a' }, [b]: { v: 'b' } });
    await storage.delete([a]);
    expect(await storage.read([a, b])).toEqual({ [b]: expect.objectContaining({ v: 'b' }) });
    await expect(storage.delete([a, key('never-written')])).resolves.toBeUndefined();
    await storage.delete([b]);
    expect(await storage.read([a, b])).toEqual({});
  });

  test('every write gives a new eTag', async () => {
    const k = key('etag-changes');
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) {
      await storage.write({ [k]: { i } });
      const eTag = ((await readOne(k)) as StoreItem).eTag as string;
      expect(seen.has(eTag)).toBe(false);
      seen.add(eTag);
    }
  });

  test('the current eTag writes; a stale eTag rejects with a conflict and changes nothing', async () => {
    const k = key('conflict');
    await storage.write({ [k]: { v: 1 } });
    const stale = (await readOne(k)) as StoreItem;

    await storage.write({ [k]: { v: 2, eTag: stale.eTag } });
    const current = (await readOne(k)) as StoreItem;
    expect(current.v).toBe(2);
    expect(current.eTag).not.toBe(stale.eTag);

    await expect(storage.write({ [k]: { v: 3, eTag: stale.eTag } })).rejects.toThrow(CONFLICT);
    await expect(storage.write({ [k]: { v: 4, eTag: 'made-up-etag' } })).rejects.toThrow(CONFLICT);
    expect(await readOne(k)).toEqual(current);
  });

  test('the * eTag always writes', async () => {
    const k = key('wildcard');
    await storage.write({ [k]: { v: 1 } });
    await storage.write({ [k]: { v: 2 } });
    await storage.write({ [k]: { v: 3, eTag: '*' } });
    expect((await readOne(k))?.v).toBe(3);
    await storage.write({ [key('wildcard-new')]: { v: 1, eTag: '*' } });
  });

  test('an item without an eTag always writes (last writer wins)', async () => {
    const k = key('no-etag');
    await storage.write({ [k]: { v: 1 } });
    const old = (await readOne(k)) as StoreItem;
    await storage.write({ [k]: { v: 2, eTag: '*' } });
    await storage.write({ [k]: { v: 3 } });
    const now = (await readOne(k)) as StoreItem;
    expect(now.v).toBe(3);
    expect(now.eTag).not.toBe(old.eTag);
  });

  test(`an item not stored yet but carrying an eTag: ${backend.missingItemWithETag}`, async () => {
    const k = key('missing-with-etag');
    const attempt = storage.write({ [k]: { v: 1, eTag: 'some-old-etag' } });
    if (backend.missingItemWithETag === 'writes') {
      await attempt;
      expect((await readOne(k))?.v).toBe(1);
    } else {
      await expect(attempt).rejects.toThrow(CONFLICT);
      expect(await readOne(k)).toBeUndefined();
    }
  });

  test('50 keys in one write and one read', async () => {
    const changes: StoreItems = {};
    for (let i = 0; i < 50; i++) {
      changes[key(`many-${i}`)] = { i, label: `item ${i}` };
    }
    await storage.write(changes);
    const items = await storage.read(Object.keys(changes));
    expect(Object.keys(items)).toHaveLength(50);
    for (const [k, v] of Object.entries(changes)) {
      expect(items[k]).toEqual({ ...v, eTag: expect.any(String) });
    }
  });

  test('a ~256 KB document round-trips', async () => {
    const k = key('large');
    const chunk = 'abcdefghij0123456789 äöü 日本語 🤖 ';
    const big = {
      text: chunk.repeat(Math.ceil((200 * 1024) / chunk.length)),
      rows: Array.from({ length: 1000 }, (_, i) => ({ i, name: `row-${i}`, tags: ['a', 'b'] })),
    };
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(256 * 1024);
    await storage.write({ [k]: big });
    expect(await readOne(k)).toEqual({ ...big, eTag: expect.any(String) });
  });

  test('20 concurrent writes of distinct keys all land', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => key(`parallel-${i}`));
    await Promise.all(keys.map((k, i) => storage.write({ [k]: { i } })));
    const items = await storage.read(keys);
    keys.forEach((k, i) => expect(items[k]?.i).toBe(i));
  });

  test('10 concurrent writes to one key with the same read eTag: exactly one wins, the rest conflict', async () => {
    // BlobsStorage sends If-Match, and Blob Storage (Azurite too) evaluates it atomically per blob,
    // so it gives the same guarantee as MemoryStorage and SqliteStorage here.
    const k = key('race');
    await storage.write({ [k]: { writer: -1 } });
    const { eTag } = (await readOne(k)) as StoreItem;
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, writer) => storage.write({ [k]: { writer, eTag } })),
    );
    const winners = results.flatMap((r, writer) => (r.status === 'fulfilled' ? [writer] : []));
    const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(9);
    for (const loser of losers) {
      expect(String((loser.reason as Error).message)).toMatch(CONFLICT);
    }
    const stored = (await readOne(k)) as StoreItem;
    expect(stored.writer).toBe(winners[0]);
    expect(stored.eTag).not.toBe(eTag);
  });
});
