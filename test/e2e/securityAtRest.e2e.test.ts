/**
 * End to end, the key at rest: the real bot on SQLite in a temp DATA_DIR, driven over HTTP, and the
 * state file read behind its back. Nothing stored may hold the key in any readable form.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { FakeGorgias } from '../support/fakeGorgias';
import { ChannelRecorder, EmulatorConversation } from '../support/emulator';
import { startBot, type BotUnderTest } from '../support/botUnderTest';
import { SecretBox } from '../../src/security/secretBox';
import { KEY_FILE_NAME } from '../../src/security/encryptionKeyFile';
import { SQLITE_FILE_NAME } from '../../src/storage/createStorage';
import * as sayBot from '../../src/messages/bot';
import { basicToken, connectWithCard, conversationRow, leaksOf, newEncryptionKey, readRawRows, rejoin, said, startConnect } from '../security/helpers';

const EMAIL = 'agent@acme.com';
const API_KEY = 'at-rest-secret-key-5f0c2b9a7d41e8c3';
const SEALED = /^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function allRows(dataDir: string): string {
  return readRawRows(dataDir)
    .map((row) => `${row.key}\n${row.json}`)
    .join('\n');
}

function keyIdOf(base64Key: string): string {
  return SecretBox.keyId(Buffer.from(base64Key, 'base64'));
}

function storedProfile(dataDir: string, chat: EmulatorConversation): Record<string, unknown> | undefined {
  return conversationRow(dataDir, 'emulator', chat.id)?.gorgiasProfile as Record<string, unknown> | undefined;
}

/** Writes a conversation's stored profile directly into the SQLite file, as an attacker or a bug could. */
function overwriteProfile(dataDir: string, chat: EmulatorConversation, profile: unknown): void {
  const key = `emulator/conversations/${chat.id}/`;
  const db = new Database(path.join(dataDir, SQLITE_FILE_NAME));
  try {
    const row = db.prepare<[string], { json: string }>('SELECT json FROM bot_state WHERE key = ?').get(key);
    const state = row ? (JSON.parse(row.json) as Record<string, unknown>) : {};
    state.gorgiasProfile = profile;
    db.prepare('INSERT INTO bot_state (key, etag, json) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET json = excluded.json').run(
      key,
      'tampered',
      JSON.stringify(state),
    );
  } finally {
    db.close();
  }
}

describe('the API key at rest (SQLite, read behind the bot)', () => {
  const gorgias = new FakeGorgias();
  const channel = new ChannelRecorder();
  const dataDirs: string[] = [];
  const running: BotUnderTest[] = [];

  function tempDataDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gorgias-bot-at-rest-'));
    dataDirs.push(dir);
    return dir;
  }

  async function start(dataDir: string, env: Record<string, string> = {}): Promise<BotUnderTest> {
    const bot = await startBot({ STORAGE: 'sqlite', DATA_DIR: dataDir, GORGIAS_URL_TEMPLATE: gorgias.urlTemplate, ...env });
    running.push(bot);
    return bot;
  }

  async function stop(bot: BotUnderTest): Promise<void> {
    running.splice(running.indexOf(bot), 1);
    await bot.stop();
  }

  beforeAll(async () => {
    await gorgias.start();
    await channel.start();
    gorgias.addAccount({ subdomain: 'acme', users: [{ email: EMAIL, apiKey: API_KEY }] });
  });

  afterAll(async () => {
    for (const bot of running) await bot.stop();
    await channel.stop();
    await gorgias.stop();
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a connected profile holds the key only sealed (v1), whether it came from the card or was typed', async () => {
    const dataDir = tempDataDir();
    const bot = await start(dataDir);

    const fromCard = new EmulatorConversation(bot.url, channel);
    expect(said(await connectWithCard(fromCard, 'acme', EMAIL, API_KEY))).toMatch(/connected to the Gorgias account/);
    const typed = new EmulatorConversation(bot.url, channel);
    await startConnect(typed, 'acme', EMAIL);
    expect(said(await typed.say(API_KEY))).toMatch(/connected to the Gorgias account/);

    const rows = allRows(dataDir);
    expect(leaksOf(API_KEY, rows)).toEqual([]);
    expect(rows).not.toContain(basicToken(EMAIL, API_KEY));
    for (const chat of [fromCard, typed]) {
      const profile = storedProfile(dataDir, chat);
      expect(profile).toMatchObject({ subdomain: 'acme', email: EMAIL, ownerId: chat.user.id });
      expect(profile?.sealedKey).toMatch(SEALED);
      expect(Object.values(profile ?? {})).not.toContain(API_KEY);
    }
    // A fresh IV per write: the same key sealed twice gives two different texts.
    expect(storedProfile(dataDir, fromCard)?.sealedKey).not.toEqual(storedProfile(dataDir, typed)?.sealedKey);
    // The raw file too, WAL included, not only what the table returns.
    const rawFiles = fs
      .readdirSync(dataDir)
      .filter((name) => name.startsWith(SQLITE_FILE_NAME))
      .map((name) => fs.readFileSync(path.join(dataDir, name)).toString('latin1'))
      .join('');
    expect(leaksOf(API_KEY, rawFiles)).toEqual([]);
    await stop(bot);
  });

  test('while the dialog re-asks the subdomain after a 404, and while it waits at the retry question, the pending key is sealed', async () => {
    const dataDir = tempDataDir();
    const bot = await start(dataDir);
    const chat = new EmulatorConversation(bot.url, channel);

    await startConnect(chat, 'no-such-shop', EMAIL);
    const notFound = await chat.submit({ apiKey: API_KEY });
    expect(said(notFound)).toMatch(/couldn't find a Gorgias account/);
    expect(said(notFound)).toMatch(/subdomain/i);

    let rows = allRows(dataDir);
    expect(leaksOf(API_KEY, rows)).toEqual([]);
    const dialogState = JSON.stringify(conversationRow(dataDir, 'emulator', chat.id)?.dialogState);
    const pending = /"sealedKey":"(v1\.[^"]+)"/.exec(dialogState)?.[1];
    expect(pending).toMatch(SEALED);

    // Gorgias is down on the next try: the dialog waits at "Try again?" with the key still sealed.
    gorgias.setBehaviourOnce('acme', { status: 503, body: '{"error":"maintenance"}' });
    const down = await chat.say('acme');
    expect(said(down)).toMatch(/try again/i);
    rows = allRows(dataDir);
    expect(leaksOf(API_KEY, rows)).toEqual([]);
    expect(JSON.stringify(conversationRow(dataDir, 'emulator', chat.id)?.dialogState)).toMatch(/"sealedKey":"v1\./);

    const before = gorgias.count('acme');
    const connected = await chat.say('Try again');
    expect(said(connected)).toMatch(/connected to the Gorgias account \*\*acme\*\*/);
    // The key given two questions ago, opened from the sealed copy, is what reached Gorgias.
    const lastCall = gorgias.requests[gorgias.requests.length - 1];
    expect(gorgias.count('acme')).toBe(before + 1);
    expect(lastCall.headers.authorization).toBe(`Basic ${basicToken(EMAIL, API_KEY)}`);
    // The finished dialog took its pending key with it.
    expect(JSON.stringify(conversationRow(dataDir, 'emulator', chat.id)?.dialogState ?? {})).not.toContain('sealedKey');
    expect(leaksOf(API_KEY, allRows(dataDir))).toEqual([]);
    await stop(bot);
  });

  test('disconnect deletes the stored profile and its sealed key, not just a flag', async () => {
    const dataDir = tempDataDir();
    const bot = await start(dataDir);
    const chat = new EmulatorConversation(bot.url, channel);
    await connectWithCard(chat, 'acme', EMAIL, API_KEY);
    const sealed = storedProfile(dataDir, chat)?.sealedKey as string;
    expect(sealed).toMatch(SEALED);

    expect(said(await chat.say('disconnect'))).toContain(sayBot.DISCONNECTED);
    const row = conversationRow(dataDir, 'emulator', chat.id) ?? {};
    expect(row).not.toHaveProperty('gorgiasProfile');
    expect(allRows(dataDir)).not.toContain(sealed);
    expect(allRows(dataDir)).not.toContain(EMAIL);
    expect(said(await chat.say('status'))).toContain(sayBot.NOT_CONNECTED);
    await stop(bot);
  });

  test('rotation: a profile sealed with the previous key is read, resealed with the new key on the next write, and then needs only the new key', async () => {
    const dataDir = tempDataDir();
    const oldKey = newEncryptionKey();
    const newKey = newEncryptionKey();

    let bot = await start(dataDir, { STATE_ENCRYPTION_KEY: oldKey });
    const chat = new EmulatorConversation(bot.url, channel);
    await connectWithCard(chat, 'acme', EMAIL, API_KEY);
    expect((storedProfile(dataDir, chat)?.sealedKey as string).split('.')[1]).toBe(keyIdOf(oldKey));
    await stop(bot);

    bot = await start(dataDir, { STATE_ENCRYPTION_KEY: newKey, STATE_ENCRYPTION_KEY_PREVIOUS: oldKey });
    const rotating = rejoin(bot.url, channel, chat);
    const status = said(await rotating.say('status'));
    expect(status).toContain(EMAIL);
    expect(status).toContain('••••e8c3');
    expect((storedProfile(dataDir, chat)?.sealedKey as string).split('.')[1]).toBe(keyIdOf(newKey));
    expect(leaksOf(API_KEY, allRows(dataDir))).toEqual([]);
    await stop(bot);

    // The old key is gone from the configuration: the resealed profile still opens.
    bot = await start(dataDir, { STATE_ENCRYPTION_KEY: newKey });
    const afterRotation = rejoin(bot.url, channel, chat);
    expect(said(await afterRotation.say('status'))).toContain('••••e8c3');
    await stop(bot);
  });

  test('a profile that cannot be opened (other key, tampered, old format) reads as "connect again", never crashes, and its ciphertext is never logged', async () => {
    const dataDir = tempDataDir();
    const firstKey = newEncryptionKey();
    let bot = await start(dataDir, { STATE_ENCRYPTION_KEY: firstKey });
    const chat = new EmulatorConversation(bot.url, channel);
    await connectWithCard(chat, 'acme', EMAIL, API_KEY);
    const sealed = storedProfile(dataDir, chat)?.sealedKey as string;
    await stop(bot);

    // 1. Started with another key and no previous one.
    bot = await start(dataDir, { STATE_ENCRYPTION_KEY: newEncryptionKey() });
    const reopened = rejoin(bot.url, channel, chat);
    const otherKey = await reopened.say('status');
    expect(otherKey.status).toBe(200);
    expect(said(otherKey)).toContain(sayBot.UNREADABLE_PROFILE);
    // The user can connect again right away: "connect" starts the dialog instead of "already connected".
    expect(said(await reopened.say('connect'))).toMatch(/subdomain/i);
    await reopened.say('cancel');
    const logsWithOtherKey = bot.logs.join('\n');
    await stop(bot);

    // 2. Tampered: one character of the ciphertext changed.
    bot = await start(dataDir, { STATE_ENCRYPTION_KEY: firstKey });
    const tampered = rejoin(bot.url, channel, chat);
    expect(said(await tampered.say('status'))).toContain(EMAIL);
    const lastCharacter = sealed.slice(-1);
    const flipped = `${sealed.slice(0, -1)}${lastCharacter === 'A' ? 'B' : 'A'}`;
    const original = storedProfile(dataDir, chat) as Record<string, unknown>;
    overwriteProfile(dataDir, chat, { ...original, sealedKey: flipped });
    expect(said(await tampered.say('status'))).toContain(sayBot.UNREADABLE_PROFILE);

    // The sealed key moved onto another account's profile (its associated data no longer matches).
    overwriteProfile(dataDir, chat, { ...original, subdomain: 'evil' });
    expect(said(await tampered.say('status'))).toContain(sayBot.UNREADABLE_PROFILE);

    // 3. Older and foreign formats: a key in clear from some earlier version, a version tag from the future, junk.
    for (const oldFormat of [
      { subdomain: 'acme', email: EMAIL, apiKey: API_KEY },
      { ...original, v: 2 },
      { ...original, sealedKey: `v0.${sealed.slice(3)}` },
      'not an object',
      42,
    ]) {
      overwriteProfile(dataDir, chat, oldFormat);
      const reply = await tampered.say('status');
      expect(reply.status).toBe(200);
      expect(said(reply)).toContain(sayBot.UNREADABLE_PROFILE);
    }
    // disconnect clears an unreadable profile of no known owner, the key in clear with it.
    expect(said(await tampered.say('disconnect'))).toContain(sayBot.DISCONNECTED);
    expect(allRows(dataDir)).not.toContain(API_KEY);
    // Still alive and answering.
    expect(said(await tampered.say('help'))).toMatch(/connect/);

    const logs = `${logsWithOtherKey}\n${bot.logs.join('\n')}`;
    for (const ciphertext of [sealed, flipped, sealed.split('.')[4] as string]) expect(logs).not.toContain(ciphertext);
    expect(leaksOf(API_KEY, logs)).toEqual([]);
    await stop(bot);
  });

  test('without STATE_ENCRYPTION_KEY the first start creates a 0600 key file and warns; later starts reuse it', async () => {
    const dataDir = tempDataDir();
    const keyPath = path.join(dataDir, KEY_FILE_NAME);
    expect(fs.existsSync(keyPath)).toBe(false);

    let bot = await start(dataDir);
    expect(fs.existsSync(keyPath)).toBe(true);
    if (process.platform !== 'win32') expect(fs.statSync(keyPath).mode & 0o777).toBe(0o600);
    const keyText = fs.readFileSync(keyPath, 'utf8');
    expect(Buffer.from(keyText.trim(), 'base64')).toHaveLength(32);

    const warnings = bot.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.event === 'encryption.key_created');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, path: keyPath });
    expect(warnings[0]?.msg).toContain(keyPath);
    expect(warnings[0]?.msg).toContain('STATE_ENCRYPTION_KEY');
    // The warning names the file, never the key in it.
    expect(bot.logs.join('\n')).not.toContain(keyText.trim());

    const chat = new EmulatorConversation(bot.url, channel);
    await connectWithCard(chat, 'acme', EMAIL, API_KEY);
    expect((storedProfile(dataDir, chat)?.sealedKey as string).split('.')[1]).toBe(keyIdOf(keyText.trim()));
    await stop(bot);

    bot = await start(dataDir);
    expect(fs.readFileSync(keyPath, 'utf8')).toBe(keyText);
    const events = bot.logs.map((line) => (JSON.parse(line) as { event?: string }).event);
    expect(events).toContain('encryption.key_file');
    expect(events).not.toContain('encryption.key_created');
    const again = rejoin(bot.url, channel, chat);
    expect(said(await again.say('status'))).toContain(EMAIL);
    await stop(bot);
  });
});
