/**
 * Settings and state files that used to let the bot start and listen, and then fail every turn (or fail
 * only once half built), now stop it at start: the built bot, run as `npm start` runs it, exits with
 * code 1 and one line on stderr that names the problem and what to do. And a Blob Storage that stops
 * answering once the bot runs fails a turn within Azure Bot Service's 15 s instead of holding it for good.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStorage } from '../../src/storage/createStorage';
import { STORAGE_FAILED } from '../../src/messages/bot';
import { botEntryPoint, runBotProcessToExit, startBotProcess, type BotProcess, type BotRun } from '../support/botProcess';
import { azuriteConnectionString, startAzurite, type AzuriteHandle } from '../support/azurite';
import { ChannelRecorder, EmulatorConversation, visibleText } from '../support/emulator';
import { startSwitchableProxy, type SwitchableProxy } from '../storage/switchableProxy';

const ENCRYPTION_KEY = randomBytes(32).toString('base64');
const APP_PASSWORD = 'e2e-msi-password-V8nK2qL5xR7tY1wZ';

/** `nobody` on Debian and most other systems. */
const UNPRIVILEGED_ID = 65534;

/**
 * Root may write a chmod 0444 file, so as root the bot runs as an ordinary user, exactly as it is deployed;
 * that needs the right to change user (a container may take it away), checked here once.
 */
const runningAsRoot = process.getuid?.() === 0;
const canBeUnprivileged =
  process.platform !== 'win32' &&
  (!runningAsRoot || spawnSync(process.execPath, ['-e', ''], { uid: UNPRIVILEGED_ID, gid: UNPRIVILEGED_ID }).status === 0);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A state file as the bot leaves it, with enough conversations to have pages after the first. */
async function writeStateFile(dataDir: string): Promise<string> {
  const created = await createStorage({ kind: 'sqlite', dataDir });
  const items: Record<string, { text: string }> = {};
  for (let index = 0; index < 40; index += 1) items[`emulator/conversations/${index}|livechat/state`] = { text: 'x'.repeat(300) };
  await created.storage.write(items);
  await created.close();
  return path.join(dataDir, 'state.sqlite');
}

function expectRefusedWithOneLine(run: BotRun, line: RegExp): void {
  expect(run.exit).toEqual({ code: 1, signal: null });
  expect(run.stderrLines).toHaveLength(1);
  expect(run.stderrLines[0]).toMatch(line);
  const everything = [...run.stdoutLines, ...run.stderrLines].join('\n');
  expect(everything).not.toMatch(/^\s+at /m);
  expect(everything).not.toContain('server.listening');
}

describe('the bot refuses at start what would have failed later', () => {
  let tmp: string;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gorgias-bot-startup-checks-'));
  });

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('a state.sqlite whose pages after the first are overwritten: damaged, restore or move it', async () => {
    const dataDir = path.join(tmp, 'damaged');
    const file = await writeStateFile(dataDir);
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, randomBytes(size - 4096), 0, size - 4096, 4096);
    fs.closeSync(fd);

    const run = await runBotProcessToExit({ DATA_DIR: dataDir, STATE_ENCRYPTION_KEY: ENCRYPTION_KEY });
    expectRefusedWithOneLine(
      run,
      new RegExp(
        `^gorgias-bot cannot start: SQLite storage ${escapeRegExp(file)} is damaged \\(check DATA_DIR\\): \\S.*; ` +
          'restore it from a backup, or move it and its -wal and -shm files out of DATA_DIR to start with empty state \\(users then connect again\\)$',
      ),
    );
  });

  (canBeUnprivileged ? test : test.skip)('a state.sqlite made read-only (chmod 0444) for the user the bot runs as: cannot be written', async () => {
    const dataDir = path.join(tmp, 'read-only');
    const file = await writeStateFile(dataDir);
    let entryPoint: string | undefined;
    if (runningAsRoot) {
      // The bot's own folder and file, as after it ran as that user, but the file no longer writable.
      fs.chmodSync(tmp, 0o755);
      for (const owned of [dataDir, ...fs.readdirSync(dataDir).map((name) => path.join(dataDir, name))]) {
        fs.chownSync(owned, UNPRIVILEGED_ID, UNPRIVILEGED_ID);
      }
      // The unchanged bot, started by a few lines that first give up root for good.
      entryPoint = path.join(tmp, 'run-unprivileged.js');
      fs.writeFileSync(
        entryPoint,
        `process.setgroups([${UNPRIVILEGED_ID}]);\nprocess.setgid(${UNPRIVILEGED_ID});\nprocess.setuid(${UNPRIVILEGED_ID});\n` +
          `require(${JSON.stringify(botEntryPoint())});\n`,
        { mode: 0o644 },
      );
    }
    fs.chmodSync(file, 0o444);

    const run = await runBotProcessToExit({ DATA_DIR: dataDir, STATE_ENCRYPTION_KEY: ENCRYPTION_KEY }, { entryPoint });
    expectRefusedWithOneLine(
      run,
      new RegExp(
        `^gorgias-bot cannot start: SQLite storage ${escapeRegExp(file)} cannot be written \\(check DATA_DIR\\): ` +
          "attempt to write a readonly database \\(SQLITE_READONLY\\); the bot's user must be able to write it, its -wal and -shm files and DATA_DIR itself$",
      ),
    );
  });

  test('MicrosoftAppType=UserAssignedMSI with a password: refused before anything is created, the password never printed', async () => {
    const dataDir = path.join(tmp, 'msi');
    const run = await runBotProcessToExit({
      DATA_DIR: dataDir,
      MicrosoftAppType: 'UserAssignedMSI',
      MicrosoftAppId: 'msi-client-id',
      MicrosoftAppTenantId: 'tenant-1',
      MicrosoftAppPassword: APP_PASSWORD,
    });
    expectRefusedWithOneLine(
      run,
      /^gorgias-bot cannot start: MicrosoftAppType=UserAssignedMSI takes no MicrosoftAppPassword \(the managed identity replaces it\); leave it empty$/,
    );
    expect([...run.stdoutLines, ...run.stderrLines].join('\n')).not.toContain(APP_PASSWORD);
    // Neither the local key file nor the database: the SDK used to refuse this only after creating both.
    expect(fs.existsSync(dataDir)).toBe(false);
  });
});

describe('a Blob Storage that stops answering while the bot runs', () => {
  const channel = new ChannelRecorder();
  let azurite: AzuriteHandle;
  let proxy: SwitchableProxy;
  let bot: BotProcess;

  beforeAll(async () => {
    await channel.start();
    azurite = await startAzurite();
    proxy = await startSwitchableProxy(azurite.port);
    bot = await startBotProcess({
      STORAGE: 'blob',
      AZURE_STORAGE_CONNECTION_STRING: azuriteConnectionString(proxy.port),
      AZURE_STORAGE_CONTAINER: `hole-${randomBytes(4).toString('hex')}`,
      STATE_ENCRYPTION_KEY: ENCRYPTION_KEY,
    });
  }, 60_000);

  afterAll(async () => {
    await bot?.kill('SIGTERM');
    await proxy?.close();
    await azurite?.stop();
    await channel.stop();
  });

  test('the turn is answered with the error message well within 15 s, and the next turn after it is back works', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    expect((await chat.say('help')).messages.length).toBeGreaterThan(0);

    let errorSentAfterMs: number | undefined;
    const started = Date.now();
    channel.holdCall = (call) => {
      if (call.conversationId === chat.id && call.activity?.text === STORAGE_FAILED) errorSentAfterMs ??= Date.now() - started;
      return undefined;
    };
    proxy.blackHole();
    const failed = await chat.say('help');
    const answeredAfterMs = Date.now() - started;
    channel.holdCall = undefined;

    expect(failed.messages.map(visibleText)).toEqual([STORAGE_FAILED]);
    // Generous bounds: the point is that the user hears back well inside Azure Bot Service's 15 s, and
    // that the request ends within it too (it was still open after 60 s once, and took two storage
    // timeouts, about 12.5 s, while a failed turn still reset its dialog in the failing storage).
    expect(errorSentAfterMs).toBeLessThan(15_000);
    expect(answeredAfterMs).toBeLessThan(15_000);
    expect(bot.logEvents().some((record) => record.event === 'state.storage_failed')).toBe(true);

    proxy.forward();
    const after = await chat.say('help');
    expect(after.messages.length).toBeGreaterThan(0);
    expect(after.messages.map(visibleText)).not.toContain(STORAGE_FAILED);
  }, 60_000);
});
