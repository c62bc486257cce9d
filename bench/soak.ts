/**
 * `npm run soak -- --minutes 5`: mixed traffic against the real bot process for a bounded time, on
 * 127.0.0.1 only. Round-robin over the scenarios below, each conversation with its own Gorgias tenant:
 *
 *   success        the whole authorization, then `status`
 *   wrong key      Gorgias answers 401; the bot keeps the subdomain and asks for the email and key again
 *   unknown domain Gorgias answers an HTML 404; the bot keeps email and key and asks for the subdomain again
 *   rate limited   Gorgias answers 429 with Retry-After: 30; the bot says so; "Try again" at once is
 *                  answered without calling Gorgias (the account is held); then "Cancel"
 *   timeout        Gorgias never answers (GORGIAS_TIMEOUT_MS=1000); the bot says so, the user tries again
 *   cancel         `cancel` in the middle of the questions; `status` then says not connected
 *   malformed      a body that is not JSON (400), a wrong content type (415), an oversized body (413),
 *                  an activity for a channel that is not on this machine (403)
 *
 * Every reply is checked. It reports each unexpected reply or error (exit 1 if there is any) and the
 * bot's RSS every minute, and stops by itself. `--minutes` takes fractions (0.2 for a smoke run).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as botSays from '../src/messages/bot';
import * as connectSays from '../src/messages/connect';
import { FakeGorgias, jsonReply } from '../test/support/fakeGorgias';
import { parseArgs, positiveNumber, UsageError } from './args';
import { BenchChannel } from './channel';
import { Conversation, type TurnResult } from './conversation';
import { expectMessage } from './flows';
import { GorgiasLedger } from './gorgiasLedger';
import { HttpClient } from './httpClient';
import { benchScript, botScript, launch, type ServerProcess } from './processes';
import { megabytes, memory } from './procStats';
import { round } from './stats';

export interface SoakOptions {
  minutes: number;
  concurrency?: number;
  out?: string;
  log?: (line: string) => void;
}

export const SCENARIOS = ['success', 'wrong key', 'unknown subdomain', 'rate limited', 'timeout', 'cancel', 'malformed'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface SoakReport {
  startedAt: string;
  minutes: number;
  concurrency: number;
  scenarios: Record<ScenarioName, number>;
  turns: number;
  unexpected: { count: number; first: string[] };
  /** The bot's RSS at the start, every minute, and at the end. */
  rss: Array<{ minute: number; rssMb: number }>;
  peakRssMb: number;
  ok: boolean;
}

const GORGIAS_TIMEOUT_MS = 1_000;
const RETRY_AFTER_SECONDS = 30;
/** How the rate-limit explanation begins, whatever number of seconds is left. */
const RATE_LIMITED_LEAD = connectSays.rateLimited(RETRY_AFTER_SECONDS).split(String(RETRY_AFTER_SECONDS))[0];
const MAX_REMEMBERED = 50;
const OVERSIZE_BYTES = 300 * 1024;
const EXPECTED_BOT_WARNINGS = ['encryption.key_created'];

interface Tenant {
  subdomain: string;
  email: string;
  apiKey: string;
}

class Problems {
  count = 0;
  readonly first: string[] = [];

  add(problem: string): void {
    this.count += 1;
    if (this.first.length < MAX_REMEMBERED) this.first.push(problem);
  }
}

/** One scenario's turns: each check failing ends the scenario with that problem. */
class ScenarioRun {
  turns = 0;

  constructor(
    readonly name: ScenarioName,
    readonly index: number,
    readonly chat: Conversation,
    private readonly problems: Problems,
  ) {}

  /** Sends a turn and checks it; returns false (after reporting) when the reply is not the expected one. */
  async turn(send: Promise<TurnResult>, ...expected: Array<[text: string, what: string]>): Promise<boolean> {
    const result = await send;
    this.turns += 1;
    for (const [text, what] of expected) {
      const problem = expectMessage(result, text, what);
      if (problem !== undefined) {
        this.fail(problem);
        return false;
      }
    }
    return true;
  }

  fail(problem: string): void {
    this.problems.add(`${this.name} #${this.index}: ${problem}`);
  }
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const concurrency = options.concurrency ?? 8;
  const startedAt = new Date().toISOString();
  const runTag = Date.now().toString(36);
  const fake = new FakeGorgias();
  const channel = new BenchChannel();
  const client = new HttpClient(concurrency + 4);
  const ledger = new GorgiasLedger(fake);
  const problems = new Problems();
  const counts = Object.fromEntries(SCENARIOS.map((name) => [name, 0])) as Record<ScenarioName, number>;
  const rss: SoakReport['rss'] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gorgias-soak-data-'));
  let bot: ServerProcess | undefined;
  let minuteTimer: NodeJS.Timeout | undefined;
  let turns = 0;

  const tenant = (index: number, register = true): Tenant => {
    const id = `${runTag}-${index.toString(36)}`;
    const value = { subdomain: `soak-${id}`, email: `agent-${id}@example.com`, apiKey: `key-${id}-0123456789abcdef0123` };
    if (register) fake.addAccount({ subdomain: value.subdomain, users: [{ email: value.email, apiKey: value.apiKey }] });
    return value;
  };

  try {
    await fake.start();
    await channel.start();
    bot = await launch({
      name: 'gorgias-bot',
      script: botScript(),
      nodeArgs: ['-r', benchScript('loopbackOnly')],
      env: {
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        GORGIAS_URL_TEMPLATE: fake.urlTemplate,
        GORGIAS_AUTH_MODE: 'user',
        GORGIAS_TIMEOUT_MS: String(GORGIAS_TIMEOUT_MS),
      },
      expectedWarnings: EXPECTED_BOT_WARNINGS,
    });
    const server = bot;
    const started = performance.now();
    const durationMs = options.minutes * 60_000;
    const sampleRss = (minute: number): void => {
      if (!server.hasExited()) rss.push({ minute: round(minute, 2), rssMb: megabytes(memory(server.pid).rssBytes) });
    };
    sampleRss(0);
    log(`soak: ${options.minutes} minute(s) of mixed traffic at concurrency ${concurrency}; bot RSS ${rss[0]?.rssMb} MB`);
    let minute = 0;
    minuteTimer = setInterval(() => {
      minute += 1;
      sampleRss(minute);
      const done = Object.values(counts).reduce((sum, value) => sum + value, 0);
      log(`  minute ${minute}: ${done} scenarios, ${problems.count} unexpected, bot RSS ${rss[rss.length - 1]?.rssMb} MB`);
    }, 60_000);

    const connectedAs = (who: Tenant): [string, string] => [connectSays.connected(who.subdomain, who.subdomain, who.email), `connected to ${who.subdomain}`];
    const asked = (text: string, what: string): [string, string] => [text, what];

    /** The questions up to the key, shared by most scenarios. */
    const upToKey = async (run: ScenarioRun, who: Tenant, subdomain = who.subdomain): Promise<boolean> =>
      (await run.turn(run.chat.conversationUpdate(), asked(botSays.WELCOME_USER_MODE, 'the welcome'))) &&
      (await run.turn(run.chat.say('connect'), asked(connectSays.ASK_SUBDOMAIN, 'the subdomain question'))) &&
      (await run.turn(run.chat.say(subdomain), asked(connectSays.ASK_EMAIL, 'the email question'))) &&
      (await run.turn(run.chat.say(who.email), asked(connectSays.ASK_API_KEY, 'the API key question')));

    const expectCalls = (run: ScenarioRun, subdomain: string, expected: number): void => {
      const calls = ledger.calls(subdomain);
      ledger.forget(subdomain);
      if (calls !== expected) run.fail(`${calls} Gorgias call(s) to ${subdomain}, expected ${expected}`);
    };

    const scenarios: Record<ScenarioName, (run: ScenarioRun) => Promise<void>> = {
      success: async (run) => {
        const who = tenant(run.index);
        const ok =
          (await upToKey(run, who)) &&
          (await run.turn(run.chat.say(who.apiKey), connectedAs(who))) &&
          (await run.turn(run.chat.say('status'), asked(`**${who.email}**`, 'the status with the email')));
        if (ok) expectCalls(run, who.subdomain, 1);
      },
      'wrong key': async (run) => {
        const who = tenant(run.index);
        const ok =
          (await upToKey(run, who)) &&
          (await run.turn(run.chat.say(`wrong-${who.apiKey}`), asked(connectSays.subdomainIsFine(who.subdomain), 'the wrong-key explanation'), asked(connectSays.ASK_EMAIL, 'the email question again'))) &&
          (await run.turn(run.chat.say(who.email), asked(connectSays.ASK_API_KEY, 'the API key question again'))) &&
          (await run.turn(run.chat.say(who.apiKey), connectedAs(who)));
        if (ok) expectCalls(run, who.subdomain, 2);
      },
      'unknown subdomain': async (run) => {
        const who = tenant(run.index);
        const unknown = `unknown-${runTag}-${run.index.toString(36)}`;
        const ok =
          (await upToKey(run, who, unknown)) &&
          (await run.turn(run.chat.say(who.apiKey), asked(connectSays.noAccount(unknown), 'the unknown-subdomain explanation'), asked(connectSays.ASK_SUBDOMAIN, 'the subdomain question again'))) &&
          // The email and key are kept: the right subdomain is all it takes.
          (await run.turn(run.chat.say(who.subdomain), connectedAs(who)));
        if (ok) {
          expectCalls(run, unknown, 1);
          expectCalls(run, who.subdomain, 1);
        }
      },
      'rate limited': async (run) => {
        const who = tenant(run.index);
        fake.setBehaviourOnce(who.subdomain, jsonReply(429, { error: { msg: 'Too many requests.' } }, { 'retry-after': String(RETRY_AFTER_SECONDS) }));
        const ok =
          (await upToKey(run, who)) &&
          (await run.turn(run.chat.say(who.apiKey), asked(connectSays.rateLimited(RETRY_AFTER_SECONDS), 'the rate-limit explanation'), asked(connectSays.TRY_AGAIN, 'the Try again choice'))) &&
          // Gorgias asked for 30 seconds: trying again at once must not call it.
          (await run.turn(run.chat.say(connectSays.TRY_AGAIN), asked(RATE_LIMITED_LEAD, 'the rate-limit explanation again'), asked(connectSays.TRY_AGAIN, 'the Try again choice'))) &&
          (await run.turn(run.chat.say(connectSays.CANCEL), asked(connectSays.CANCELLED, 'the cancellation')));
        if (ok) expectCalls(run, who.subdomain, 1);
      },
      timeout: async (run) => {
        const who = tenant(run.index);
        fake.setBehaviourOnce(who.subdomain, 'hang');
        const timedOut = connectSays.unavailable({ kind: 'unavailable', reason: 'timeout' });
        const ok =
          (await upToKey(run, who)) &&
          (await run.turn(run.chat.say(who.apiKey), asked(timedOut, 'the timeout explanation'), asked(connectSays.TRY_AGAIN, 'the Try again choice'))) &&
          (await run.turn(run.chat.say(connectSays.TRY_AGAIN), connectedAs(who)));
        if (ok) expectCalls(run, who.subdomain, 2);
      },
      cancel: async (run) => {
        const who = tenant(run.index);
        const ok =
          (await run.turn(run.chat.conversationUpdate(), asked(botSays.WELCOME_USER_MODE, 'the welcome'))) &&
          (await run.turn(run.chat.say('connect'), asked(connectSays.ASK_SUBDOMAIN, 'the subdomain question'))) &&
          (await run.turn(run.chat.say(who.subdomain), asked(connectSays.ASK_EMAIL, 'the email question'))) &&
          (await run.turn(run.chat.say('cancel'), asked(connectSays.CANCELLED, 'the cancellation'))) &&
          (await run.turn(run.chat.say('status'), asked(botSays.NOT_CONNECTED, 'status: not connected')));
        if (ok) expectCalls(run, who.subdomain, 0);
      },
      malformed: async (run) => {
        const url = `${server.url}/api/messages`;
        const valid = JSON.stringify(run.chat.activity({ type: 'message', text: 'status' }));
        const cases: Array<[what: string, send: () => Promise<{ status: number; body: string }>, status: number]> = [
          ['a body that is not JSON', () => client.post(url, 'application/json', valid.slice(0, -7)), 400],
          ['a text/plain body', () => client.post(url, 'text/plain', valid), 415],
          ['an oversized body', () => client.postJson(url, run.chat.activity({ type: 'message', text: 'x'.repeat(OVERSIZE_BYTES) })), 413],
          ['a serviceUrl off this machine', () => client.postJson(url, { ...run.chat.activity({ type: 'message', text: 'status' }), serviceUrl: 'https://elsewhere.invalid/' }), 403],
        ];
        for (const [what, send, expected] of cases) {
          run.turns += 1;
          try {
            const answer = await send();
            if (answer.status !== expected) run.fail(`${what}: HTTP ${answer.status}, expected ${expected}`);
            else if (answer.body.includes('status') || answer.body.includes('xxxx')) run.fail(`${what}: the answer quotes the request`);
          } catch (error) {
            run.fail(`${what}: the request failed: ${(error as Error).message}`);
          }
        }
      },
    };

    let next = 0;
    const worker = async (): Promise<void> => {
      while (performance.now() - started < durationMs && !server.hasExited()) {
        const index = next;
        next += 1;
        const name = SCENARIOS[index % SCENARIOS.length];
        const run = new ScenarioRun(name, index, new Conversation(server.url, channel, client), problems);
        try {
          await scenarios[name](run);
        } catch (error) {
          run.fail(`threw ${(error as Error).stack ?? String(error)}`);
        }
        counts[name] += 1;
        turns += run.turns;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    clearInterval(minuteTimer);
    sampleRss(round((performance.now() - started) / 60_000, 2));
    const peakRssMb = server.hasExited() ? NaN : megabytes(memory(server.pid).peakRssBytes);
    if (server.hasExited()) problems.add('the bot exited during the soak');

    const exit = await server.stop();
    if (exit.code !== 0) problems.add(`the bot did not stop cleanly (code ${exit.code}, signal ${exit.signal})`);
    const logged = server.problems();
    for (const line of logged.first) problems.add(line);
    if (logged.count > logged.first.length) problems.add(`${logged.count - logged.first.length} more unexpected log line(s)`);
    if (ledger.otherCalls > 0) problems.add(`${ledger.otherCalls} Gorgias call(s) other than GET /api/account`);
    if (channel.unexpectedCount > 0) problems.add(`${channel.unexpectedCount} unexpected request(s) to the channel, e.g. ${channel.unexpected.join('; ')}`);

    const report: SoakReport = {
      startedAt,
      minutes: options.minutes,
      concurrency,
      scenarios: counts,
      turns,
      unexpected: { count: problems.count, first: problems.first },
      rss,
      peakRssMb,
      ok: problems.count === 0,
    };
    log(`scenarios: ${SCENARIOS.map((name) => `${name} ${counts[name]}`).join(', ')}; ${turns} turns`);
    log(`bot RSS (MB) by minute: ${rss.map((sample) => `${sample.minute}: ${sample.rssMb}`).join(', ')}; peak ${peakRssMb}`);
    log(report.ok ? 'no unexpected reply or error' : `UNEXPECTED: ${problems.count}\n  ${problems.first.join('\n  ')}`);
    if (options.out) {
      fs.mkdirSync(path.dirname(path.resolve(options.out)), { recursive: true });
      fs.writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
      log(`written to ${options.out}`);
    }
    return report;
  } finally {
    if (minuteTimer) clearInterval(minuteTimer);
    if (bot) await bot.stop();
    client.close();
    await channel.stop();
    await fake.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs(argv, { values: ['--minutes', '--concurrency', '--out'], flags: [] });
  const report = await runSoak({
    minutes: positiveNumber(values.get('--minutes'), '--minutes', 5, { max: 24 * 60 }),
    concurrency: positiveNumber(values.get('--concurrency'), '--concurrency', 8, { integer: true, max: 200 }),
    out: values.get('--out') ?? path.join('bench', 'results', 'soak-latest.json'),
  });
  return report.ok ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`soak: ${error instanceof UsageError ? error.message : (error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = error instanceof UsageError ? 2 : 1;
    },
  );
}
