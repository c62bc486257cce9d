/**
 * A storage the bot cannot use stops it at start: the built bot, run as `npm start` runs it, exits with
 * code 1 and one line on stderr that names the problem, and never prints the storage account key.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBotProcessToExit, type BotRun } from '../support/botProcess';
import { DEV_ACCOUNT_KEY, azuriteConnectionString } from '../support/azurite';
import { closedLoopbackPort } from '../support/loopback';

/** Azurite's published development account key: not a secret, but it must not be printed either. */
const ACCOUNT_KEY = DEV_ACCOUNT_KEY;
const ENCRYPTION_KEY = randomBytes(32).toString('base64');

/** What the cases need that exists only once the test runs: a closed port and a scratch directory. */
interface Setup {
  port: number;
  tmp: string;
}

interface StartupCase {
  name: string;
  env(setup: Setup): Record<string, string>;
  line(setup: Setup): RegExp;
}

const unusableDataDir = (setup: Setup): string => path.join(setup.tmp, 'sqlite-is-a-directory');

const cases: StartupCase[] = [
  {
    name: 'STORAGE=blob without a connection string',
    env: () => ({ STORAGE: 'blob', STATE_ENCRYPTION_KEY: ENCRYPTION_KEY }),
    line: () => /^gorgias-bot cannot start: STORAGE=blob needs AZURE_STORAGE_CONNECTION_STRING$/,
  },
  {
    name: 'an unreachable blob endpoint',
    env: ({ port }) => ({
      STORAGE: 'blob',
      STATE_ENCRYPTION_KEY: ENCRYPTION_KEY,
      AZURE_STORAGE_CONNECTION_STRING: azuriteConnectionString(port),
      AZURE_STORAGE_CONTAINER: 'bot-state',
    }),
    line: () => /^gorgias-bot cannot start: Azure Blob Storage is not reachable \(container "bot-state"\): .*ECONNREFUSED/,
  },
  {
    name: 'a malformed connection string holding the account key',
    env: () => ({ STORAGE: 'blob', STATE_ENCRYPTION_KEY: ENCRYPTION_KEY, AZURE_STORAGE_CONNECTION_STRING: `AccountName=devstoreaccount1;AccountKey=${ACCOUNT_KEY}` }),
    line: () => /^gorgias-bot cannot start: Azure Blob Storage settings are invalid \(container "gorgias-bot-state"\): \S/,
  },
  {
    name: 'an unknown STORAGE',
    env: () => ({ STORAGE: 'redis' }),
    line: () => /^gorgias-bot cannot start: STORAGE must be one of sqlite, memory, blob, cosmos \(got "redis"\)$/,
  },
  {
    name: 'a DATA_DIR whose state.sqlite cannot be opened (default storage)',
    env: (setup) => ({ DATA_DIR: unusableDataDir(setup) }),
    line: (setup) =>
      new RegExp(`^gorgias-bot cannot start: SQLite storage ${escapeRegExp(path.join(unusableDataDir(setup), 'state.sqlite'))} cannot be opened \\(check DATA_DIR\\): \\S`),
  },
];

describe('a storage the bot cannot use stops it at start with one clear line', () => {
  let setup: Setup;
  const runs = new Map<string, BotRun>();

  beforeAll(async () => {
    setup = { port: await closedLoopbackPort(), tmp: fs.mkdtempSync(path.join(os.tmpdir(), 'gorgias-bot-startup-')) };
    fs.mkdirSync(path.join(unusableDataDir(setup), 'state.sqlite'), { recursive: true });
    // Two at a time: each start loads the whole bot, and the machine has few cores.
    const pending = [...cases];
    const worker = async (): Promise<void> => {
      for (let next = pending.shift(); next; next = pending.shift()) {
        runs.set(next.name, await runBotProcessToExit({ DATA_DIR: path.join(setup.tmp, 'data'), ...next.env(setup) }));
      }
    };
    await Promise.all([worker(), worker()]);
  }, 90_000);

  afterAll(() => {
    if (setup) fs.rmSync(setup.tmp, { recursive: true, force: true });
  });

  test.each(cases)('$name', (startupCase) => {
    const run = runs.get(startupCase.name)!;
    expect(run.exit).toEqual({ code: 1, signal: null });

    // Exactly one line: not even Node's deprecation noise from dependencies (see src/nodeWarnings.ts).
    expect(run.stderrLines).toHaveLength(1);
    expect(run.stderrLines[0]).toMatch(startupCase.line(setup));

    const everything = [...run.stdoutLines, ...run.stderrLines].join('\n');
    expect(everything).not.toContain(ACCOUNT_KEY);
    expect(everything).not.toContain(ACCOUNT_KEY.slice(0, 16));
    expect(everything).not.toMatch(/AccountKey=(?!\*)/);
    // One line, not a stack trace, and the bot never got as far as listening.
    expect(everything).not.toMatch(/^\s+at /m);
    expect(everything).not.toContain('server.listening');
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
