/**
 * Whatever the storage, a connected profile is stored with its key sealed, and `disconnect` removes it
 * from the store itself. The in-process storages are checked here (MemoryStorage's own JSON strings and
 * the SQLite rows); Azure Blob Storage is checked the same way in scaleOut.e2e.test.ts, and the SQLite
 * file across process restarts in restart.e2e.test.ts.
 */
import { MemoryStorage } from 'botbuilder';
import { EmulatorConversation, visibleText, type TurnReply } from '../support/emulator';
import type { BotUnderTest } from '../support/botUnderTest';
import { e2eFixture } from '../support/e2eFixture';
import { conversationDocument, readSqliteRows, type RawRecord } from '../support/rawState';

const EMAIL = 'agent@acme.com';
const API_KEY = 'at-rest-every-storage-0123456789abcdef';
const BASIC_TOKEN = Buffer.from(`${EMAIL}:${API_KEY}`).toString('base64');

const textOf = (reply: TurnReply): string => reply.messages.map(visibleText).join('\n');

/** MemoryStorage keeps each item as a JSON string in a private map: that map is what it holds "at rest". */
function memoryRecords(bot: BotUnderTest): RawRecord[] {
  expect(bot.app.storage).toBeInstanceOf(MemoryStorage);
  const memory = (bot.app.storage as unknown as { memory?: unknown }).memory;
  // Fails loudly should a botbuilder upgrade change the internals, instead of checking nothing.
  expect(typeof memory).toBe('object');
  const entries = Object.entries(memory as Record<string, unknown>);
  for (const [, text] of entries) expect(typeof text).toBe('string');
  return entries.map(([key, text]) => ({ key, text: text as string }));
}

const storages: Array<{ name: string; env: Record<string, string>; records(bot: BotUnderTest): RawRecord[] }> = [
  { name: 'memory', env: { STORAGE: 'memory' }, records: memoryRecords },
  { name: 'sqlite', env: { STORAGE: 'sqlite' }, records: (bot) => readSqliteRows(bot.dataDir) },
];

describe.each(storages)('the stored profile in $name storage', (storage) => {
  const { channel, bot } = e2eFixture({
    accounts: [{ subdomain: 'acme', users: [{ email: EMAIL, apiKey: API_KEY }] }],
    env: storage.env,
  });

  test('holds the key only sealed, and disconnect deletes it from the store', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    await chat.conversationUpdate();
    await chat.say('connect');
    await chat.say('acme');
    await chat.say(EMAIL);
    // Typed rather than submitted through the card: the key also passed through the activity's text.
    expect(textOf(await chat.say(API_KEY))).toContain("You're connected");

    const connected = storage.records(bot);
    expect(connected.length).toBeGreaterThan(0);
    for (const record of connected) {
      expect(record.text).not.toContain(API_KEY);
      expect(record.text).not.toContain(BASIC_TOKEN);
    }
    expect(conversationDocument(connected, chat.id)?.gorgiasProfile).toMatchObject({
      subdomain: 'acme',
      email: EMAIL,
      sealedKey: expect.stringMatching(/^v1\./),
    });

    expect(textOf(await chat.say('disconnect'))).toMatch(/forgotten your Gorgias account/);
    const disconnected = storage.records(bot);
    expect(conversationDocument(disconnected, chat.id)).toBeDefined();
    expect(conversationDocument(disconnected, chat.id)).not.toHaveProperty('gorgiasProfile');
    for (const record of disconnected) expect(record.text).not.toContain('sealedKey');
  });
});
