/**
 * End to end across restarts: the built bot runs as a real process with its default storage (SQLite in
 * DATA_DIR) and is killed in the middle of the connect dialog. The next process picks the dialog up where
 * it was, and the connected profile outlives a graceful restart too.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeGorgias } from '../support/fakeGorgias';
import { ChannelRecorder, EmulatorConversation, visibleText, type TurnReply } from '../support/emulator';
import { isNodeRuntimeWarning, startBotProcess, type BotProcess } from '../support/botProcess';
import { conversationDocument, readSqliteRows } from '../support/rawState';

const EMAIL = 'agent@acme.com';
const API_KEY = 'restart-secret-key-0123456789abcdef';
const BASIC_TOKEN = Buffer.from(`${EMAIL}:${API_KEY}`).toString('base64');

const textOf = (reply: TurnReply): string => reply.messages.map(visibleText).join('\n');

describe('a bot process restarted on the same DATA_DIR (default SQLite storage)', () => {
  const gorgias = new FakeGorgias();
  const channel = new ChannelRecorder();
  const processes: BotProcess[] = [];
  let dataDir: string;

  const start = async (): Promise<BotProcess> => {
    // No STORAGE and no STATE_ENCRYPTION_KEY: the defaults, as a first `npm start` has them.
    const bot = await startBotProcess({ DATA_DIR: dataDir, GORGIAS_URL_TEMPLATE: gorgias.urlTemplate, LOG_LEVEL: 'info' });
    processes.push(bot);
    return bot;
  };

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gorgias-bot-restart-'));
    await gorgias.start();
    await channel.start();
    gorgias.addAccount({ subdomain: 'acme', users: [{ email: EMAIL, apiKey: API_KEY }] });
  });

  afterAll(async () => {
    await Promise.all(processes.map((bot) => bot.kill('SIGKILL')));
    await channel.stop();
    await gorgias.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('a dialog survives SIGKILL, and the connected profile survives a graceful restart', async () => {
    const first = await start();
    const storage = first.logEvents().find((record) => record.event === 'storage.ready');
    expect(storage?.storage).toBe(`sqlite at ${path.join(dataDir, 'state.sqlite')}`);

    const chat = new EmulatorConversation(first.url, channel);
    expect((await chat.conversationUpdate()).status).toBe(200);
    expect(textOf(await chat.say('connect'))).toMatch(/subdomain/i);
    expect(textOf(await chat.say('acme'))).toMatch(/email/i);
    expect(textOf(await chat.say(EMAIL))).toMatch(/API key/i);

    // Killed outright: no shutdown code runs, only what was committed before each reply remains.
    expect(await first.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    const second = await start();
    expect(second.port).not.toBe(0);
    // The key, typed as text: the dialog is still at the key question, with the subdomain and email it had.
    const connected = await chat.via(second.url).say(API_KEY);
    expect(connected.status).toBe(200);
    expect(textOf(connected)).toContain("You're connected to the Gorgias account **acme**");
    expect(textOf(connected)).not.toMatch(/subdomain\?|email do you log in/i);
    const verifications = gorgias.requests.filter((request) => request.apiPath === '/api/account');
    expect(verifications).toHaveLength(1);
    expect(verifications[0].subdomain).toBe('acme');
    expect(verifications[0].headers.authorization).toBe(`Basic ${BASIC_TOKEN}`);

    // At rest the key is sealed: neither it nor the Basic token is in any row, but a sealed key is.
    const rows = readSqliteRows(dataDir);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.text).not.toContain(API_KEY);
      expect(row.text).not.toContain(BASIC_TOKEN);
    }
    const stored = conversationDocument(rows, chat.id);
    expect(stored?.gorgiasProfile).toMatchObject({ subdomain: 'acme', email: EMAIL, sealedKey: expect.stringMatching(/^v1\./) });

    expect(await second.kill('SIGTERM')).toEqual({ code: 0, signal: null });

    // A third process, the same conversation: still connected, without asking anything.
    const third = await start();
    const status = await chat.via(third.url).say('status');
    expect(textOf(status)).toContain("You're connected to Gorgias");
    expect(textOf(status)).toContain(EMAIL);
    expect(textOf(status)).toContain('••••cdef');
    expect(gorgias.requests.filter((request) => request.apiPath === '/api/account')).toHaveLength(1);

    // Disconnecting really removes the sealed key from the file, not just from the bot's memory.
    expect(textOf(await chat.via(third.url).say('disconnect'))).toMatch(/forgotten your Gorgias account/);
    const afterDisconnect = readSqliteRows(dataDir);
    expect(conversationDocument(afterDisconnect, chat.id)).toBeDefined();
    expect(conversationDocument(afterDisconnect, chat.id)).not.toHaveProperty('gorgiasProfile');
    for (const row of afterDisconnect) expect(row.text).not.toContain('sealedKey');
    expect(textOf(await chat.via(third.url).say('status'))).toMatch(/haven't connected/);

    expect(await third.kill('SIGTERM')).toEqual({ code: 0, signal: null });

    // The key was never logged, and nothing unexpected went to stderr.
    for (const bot of processes) {
      const output = [...bot.stdoutLines, ...bot.stderrLines].join('\n');
      expect(output).not.toContain(API_KEY);
      expect(output).not.toContain(BASIC_TOKEN);
      expect(bot.stderrLines.filter((line) => !isNodeRuntimeWarning(line))).toEqual([]);
    }
  }, 90_000);
});
