/**
 * Starting the built bot (`node dist/src/index.js`, what `npm start` runs) in pre-authorized mode against
 * the fake Gorgias server, and checking what an operator sees: the exit code, the one line on stderr,
 * the log lines. `npm test` builds dist first; when running jest alone, run `npm run build` before.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeGorgias } from '../support/fakeGorgias';
import { ChannelRecorder, EmulatorConversation, visibleText } from '../support/emulator';
import { runBotProcessToExit, startBotProcess, type BotProcess, type BotRun } from '../support/botProcess';

const EMAIL = 'ops@acme.com';
const API_KEY = 'startup-operator-key-W2eR5tY8uI0oP3aS';
const BASIC_TOKEN = Buffer.from(`${EMAIL}:${API_KEY}`).toString('base64');
const REVOKED_KEY = 'startup-revoked-key-Z9xC7vB5nM3';

/** Only a safety net against a hung process: four cold starts side by side can be slow on a shared machine. */
const STARTUP_ALLOWANCE_MS = 60_000;

const fake = new FakeGorgias();
const channel = new ChannelRecorder();
let dataRoot: string;

/**
 * Each case has its own subdomain, so the five processes can start side by side (node takes seconds to
 * load the bot on a busy machine) and each case still sees only its own requests.
 */
function operatorEnv(name: string, overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const dataDir = path.join(dataRoot, name);
  fs.mkdirSync(dataDir);
  return {
    PORT: '0',
    STORAGE: 'memory',
    DATA_DIR: dataDir,
    GORGIAS_URL_TEMPLATE: fake.urlTemplate,
    GORGIAS_DOMAIN: name,
    GORGIAS_EMAIL: EMAIL,
    GORGIAS_API_KEY: API_KEY,
    ...overrides,
  };
}

const requestsTo = (subdomain: string): string[] => fake.requests.filter((request) => request.subdomain === subdomain).map((request) => `${request.method} ${request.apiPath}`);

let connected: BotProcess;
let unauthorized: BotRun;
let unknownSubdomain: BotRun;
let slowGorgias: BotProcess;
let missingKey: BotRun;

beforeAll(async () => {
  await fake.start();
  await channel.start();
  dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'gorgias-bot-startup-'));
  for (const subdomain of ['acme', 'initech', 'globex']) fake.addAccount({ subdomain, users: [{ email: EMAIL, apiKey: API_KEY }] });
  fake.setBehaviourOnce('globex', 'hang');

  [connected, unauthorized, unknownSubdomain, slowGorgias, missingKey] = await Promise.all([
    startBotProcess(operatorEnv('acme', { GORGIAS_DOMAIN: 'https://acme.gorgias.com/app' }), { startupTimeoutMs: STARTUP_ALLOWANCE_MS }),
    runBotProcessToExit(operatorEnv('initech', { GORGIAS_API_KEY: REVOKED_KEY }), { startupTimeoutMs: STARTUP_ALLOWANCE_MS }),
    runBotProcessToExit(operatorEnv('nosuchshop', { GORGIAS_DOMAIN: 'nosuchshop.gorgias.com' }), { startupTimeoutMs: STARTUP_ALLOWANCE_MS }),
    // Long enough that the second verification, on a cold process on a busy machine, is surely in time.
    startBotProcess(operatorEnv('globex', { GORGIAS_TIMEOUT_MS: '1500' }), { startupTimeoutMs: STARTUP_ALLOWANCE_MS }),
    runBotProcessToExit(operatorEnv('umbrella', { GORGIAS_AUTH_MODE: 'preauthorized', GORGIAS_API_KEY: undefined }), { startupTimeoutMs: STARTUP_ALLOWANCE_MS }),
  ]);
}, 2 * STARTUP_ALLOWANCE_MS);

afterAll(async () => {
  await Promise.all([connected?.kill(), slowGorgias?.kill()]);
  await channel.stop();
  await fake.stop();
  fs.rmSync(dataRoot, { recursive: true, force: true });
});

describe('node dist/src/index.js in preauthorized mode', () => {
  test('verifies once, logs the connection, keeps running and stops cleanly on SIGTERM', async () => {
    const verified = connected.logEvents().find((record) => record.event === 'operator.verified');
    expect(verified).toMatchObject({ level: 30, msg: 'connected to acme.gorgias.com as ops@acme.com' });
    expect(requestsTo('acme')).toEqual(['GET /api/account']);

    const health = await fetch(`${connected.url}/healthz`);
    expect(health.status).toBe(200);
    await health.arrayBuffer();

    expect(await connected.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    // Nothing on stderr at all: not even Node's deprecation noise from restify's dependencies.
    expect(connected.stderrLines).toEqual([]);
  });

  test('stops with exit code 1 and one line on stderr when Gorgias answers 401', () => {
    expect(unauthorized.exit.code).toBe(1);
    expect(unauthorized.stderrLines).toEqual([
      'gorgias-bot cannot start: Gorgias rejected GORGIAS_EMAIL and GORGIAS_API_KEY (401) for ops@acme.com at initech.gorgias.com: check the key under Your Profile -> REST API',
    ]);
    expect(unauthorized.stdoutLines.some((line) => line.includes('server.listening'))).toBe(false);
    expect(requestsTo('initech')).toEqual(['GET /api/account']);
  });

  test('stops with exit code 1 and one line on stderr when the subdomain has no account (HTML 404)', () => {
    expect(unknownSubdomain.exit.code).toBe(1);
    expect(unknownSubdomain.stderrLines).toEqual([
      'gorgias-bot cannot start: There is no Gorgias account at nosuchshop.gorgias.com (not_found): check GORGIAS_DOMAIN',
    ]);
    expect(unknownSubdomain.stdoutLines.some((line) => line.includes('server.listening'))).toBe(false);
    expect(requestsTo('nosuchshop')).toEqual(['GET /api/account']);
  });

  test('starts anyway when Gorgias does not answer in time, warns, and verifies again on the first status', async () => {
    const deferred = slowGorgias.logEvents().find((record) => record.event === 'operator.verification_deferred');
    expect(deferred).toMatchObject({
      level: 40,
      failure: 'unavailable',
      msg: 'Gorgias could not be reached for ops@acme.com at globex.gorgias.com (timeout); will verify again on first use',
    });
    expect(requestsTo('globex')).toEqual(['GET /api/account']);

    const chat = new EmulatorConversation(slowGorgias.url, channel);
    const status = await chat.say('status');
    const text = status.messages.map(visibleText).join('\n');
    expect(text).toContain("set up by the bot's operator");
    expect(text).toContain('globex.gorgias.com');
    expect(text).toContain(EMAIL);
    expect(requestsTo('globex')).toEqual(['GET /api/account', 'GET /api/account']);
    expect(slowGorgias.stderrLines).toEqual([]);
  });

  test('stops with exit code 1 and one line naming GORGIAS_API_KEY when it is missing', () => {
    expect(missingKey.exit.code).toBe(1);
    expect(missingKey.stderrLines).toHaveLength(1);
    expect(missingKey.stderrLines[0]).toMatch(/^gorgias-bot cannot start: GORGIAS_AUTH_MODE=preauthorized needs GORGIAS_API_KEY \(/);
    // Refused before anything else: no log line, no call to Gorgias.
    expect(missingKey.stdoutLines).toEqual([]);
    expect(requestsTo('umbrella')).toEqual([]);
  });

  test('prints neither key anywhere, in any of the runs', () => {
    const printed = [connected, unauthorized, unknownSubdomain, slowGorgias, missingKey].flatMap((run) => [...run.stdoutLines, ...run.stderrLines]);
    expect(printed.length).toBeGreaterThan(10);
    const everything = [...printed, ...channel.calls.map((call) => JSON.stringify(call.activity ?? {}))].join('\n');
    for (const secret of [API_KEY, BASIC_TOKEN, REVOKED_KEY]) expect(everything).not.toContain(secret);
  });
});
