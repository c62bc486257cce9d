/**
 * `npm run bench`: how fast and how lean the bot is, measured the way users drive it, over HTTP as the
 * Emulator does. On 127.0.0.1 only, it starts a fake Gorgias, an Emulator-like channel, a minimal echo bot
 * (the SDK's floor) and the real bot (`node dist/src/index.js`, default SQLite storage, LOG_LEVEL=warn),
 * each bot as its own process, and drives N conversations at concurrency C through
 *
 *   conversationUpdate, `connect`, subdomain, email, API key (typed), `status`
 *
 * each with its own Gorgias tenant and credentials, checking every reply. It prints and writes as JSON:
 * turns per second, turn latency, the bot's CPU per turn and peak RSS (from /proc), Gorgias calls per
 * authorization, stored bytes per connected profile, the ratio to the echo bot, and the RSS growth after
 * a warm-up; then PASS/FAIL per target. It exits 1 only when the flow itself broke.
 *
 *   npm run bench -- --conversations 500 --concurrency 20 --out bench/results/latest.json [--skip-echo] [--profile]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { FakeGorgias } from '../test/support/fakeGorgias';
import { parseArgs, positiveNumber, UsageError } from './args';
import { BenchChannel } from './channel';
import { Conversation } from './conversation';
import { compareProfiles, formatProfile, formatStages, summarizeProfiles, type ProfileSummary, type ProfileWindow } from './cpuProfile';
import { echoFlow, productFlow, type GorgiasTally, type Step, type Tenant } from './flows';
import { GorgiasLedger } from './gorgiasLedger';
import { HttpClient } from './httpClient';
import { benchScript, botScript, launch, type ServerProcess } from './processes';
import { cpuMs, megabytes, memory } from './procStats';
import { percentile, round, runPool } from './stats';

export interface BenchOptions {
  conversations: number;
  concurrency: number;
  /** Conversations run before measuring; default a tenth of N, at most 2,000. */
  warmup?: number;
  /** Where the JSON goes. */
  out: string;
  skipEcho?: boolean;
  /** When set, the bot runs with --cpu-prof and its profile is written here and summarized. */
  profileDir?: string;
  /** Where progress and the report are printed; default the console. */
  log?: (line: string) => void;
}

export interface LoadResult {
  conversations: number;
  warmupConversations: number;
  turns: number;
  seconds: number;
  turnsPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number; mean: number };
  /** Median latency of each turn of the flow (welcome, connect, subdomain, email, key, status). */
  medianLatencyByTurnMs: Record<string, number>;
  cpuMsPerTurn: number;
  activitiesPerTurn: number;
  /** TCP connections the bot opened to the channel during the measured conversations (keep-alive: few). */
  channelConnections: number;
  peakRssMb: number;
  rssAfterWarmupMb: number;
  rssEndMb: number;
  /** RSS after every 1,000 conversations (warm-up included). */
  rssTimeline: Array<{ conversations: number; rssMb: number }>;
}

export type Verdict = 'PASS' | 'FAIL' | 'NOT MEASURED';

export interface Target {
  name: string;
  goal: string;
  value: string;
  verdict: Verdict;
}

export interface BenchReport {
  startedAt: string;
  machine: { cpus: number; cpuModel: string; node: string; platform: string; totalMemoryMb: number; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  options: { conversations: number; concurrency: number; warmup: number; skipEcho: boolean; profile: boolean };
  command: string;
  product: LoadResult & {
    gorgiasCallsPerAuthorization: number;
    gorgiasCallsOnStatus: number;
    /** TCP connections the bot opened to Gorgias over the whole run (keep-alive: far fewer than calls). */
    gorgiasConnections: number;
    authorizations: number;
    storedBytesPerProfile: number;
    storedRows: number;
    sqliteFileBytes: number;
  };
  echo?: LoadResult;
  /** Product turns per second over the echo bot's. */
  ratioToEcho?: number;
  /** RSS growth from the end of the warm-up to the end of the run, in percent. */
  memoryGrowthPercent: number;
  targets: Target[];
  /** True when every conversation went through with the expected replies. */
  flowOk: boolean;
  failures: { count: number; first: string[] };
  profile?: ProfileSummary & { directory: string; echo?: ProfileSummary };
}

const TURNS_PER_CONVERSATION = 6;
const MAX_REMEMBERED_FAILURES = 20;
/** A broken flow fails every conversation; stop after this many instead of running them all. */
const GIVE_UP_AFTER_FAILURES = 50;
const MEMORY_WARMUP = 2_000;
const MEMORY_RUN = 20_000;
const THROUGHPUT_TARGET = 0.8;
const BYTES_PER_PROFILE_TARGET = 2048;
const MEMORY_GROWTH_TARGET_PERCENT = 10;
/** The bot's own warning about creating a local encryption key: expected with a fresh DATA_DIR. */
const EXPECTED_BOT_WARNINGS = ['encryption.key_created'];

class Failures {
  count = 0;
  readonly first: string[] = [];

  add(problem: string): void {
    this.count += 1;
    if (this.first.length < MAX_REMEMBERED_FAILURES) this.first.push(problem);
  }

  get tooMany(): boolean {
    return this.count >= GIVE_UP_AFTER_FAILURES;
  }
}

interface Harness {
  channel: BenchChannel;
  client: HttpClient;
  failures: Failures;
  log: (line: string) => void;
}

/** Drives the warm-up, then the measured conversations, and reads the process's CPU and memory around them. */
async function drive(
  harness: Harness,
  server: ServerProcess,
  flowFor: (index: number) => Step[],
  conversations: number,
  warmup: number,
  concurrency: number,
): Promise<{ result: LoadResult; window: ProfileWindow }> {
  const { channel, client, failures } = harness;
  const latencies = new Float64Array(conversations * TURNS_PER_CONVERSATION);
  const latenciesByStep = new Map<string, number[]>();
  let measuredTurns = 0;
  let activities = 0;
  let completed = 0;
  const rssTimeline: LoadResult['rssTimeline'] = [];

  const runConversation = async (index: number, measured: boolean): Promise<void> => {
    const chat = new Conversation(server.url, channel, client);
    for (const step of flowFor(index)) {
      const result = await step.send(chat);
      if (measured && measuredTurns < latencies.length) {
        latencies[measuredTurns] = result.ms;
        measuredTurns += 1;
        const ofStep = latenciesByStep.get(step.name) ?? [];
        ofStep.push(result.ms);
        latenciesByStep.set(step.name, ofStep);
        activities += result.activities.length;
      }
      const problem = step.check(result);
      if (problem !== undefined) {
        failures.add(`${server.name} conversation ${index}, ${step.name} turn: ${problem}`);
        return;
      }
    }
    completed += 1;
    if (completed % 1000 === 0 && !server.hasExited()) {
      rssTimeline.push({ conversations: completed, rssMb: megabytes(memory(server.pid).rssBytes) });
    }
  };

  const total = warmup + conversations;
  const progress = setInterval(() => harness.log(`  ${server.name}: ${completed}/${total} conversations`), 10_000);
  try {
    await runPool(0, warmup, concurrency, (index) => runConversation(index, false), () => failures.tooMany);
    assertRunning(server);
    const afterWarmup = memory(server.pid);
    const cpuBefore = cpuMs(server.pid);
    const connectionsBefore = channel.connections;
    const windowStartUs = microsecondsNow();
    const started = performance.now();
    await runPool(warmup, total, concurrency, (index) => runConversation(index, true), () => failures.tooMany);
    const seconds = (performance.now() - started) / 1000;
    const window = { startUs: windowStartUs, endUs: microsecondsNow() };
    assertRunning(server);
    const cpuAfter = cpuMs(server.pid);
    const atEnd = memory(server.pid);

    const sorted = latencies.slice(0, measuredTurns).sort();
    const sum = sorted.reduce((accumulated, value) => accumulated + value, 0);
    const result: LoadResult = {
      conversations,
      warmupConversations: warmup,
      turns: measuredTurns,
      seconds: round(seconds, 3),
      turnsPerSecond: round(measuredTurns / seconds, 1),
      latencyMs: {
        p50: round(percentile(sorted, 50)),
        p95: round(percentile(sorted, 95)),
        p99: round(percentile(sorted, 99)),
        max: round(sorted[sorted.length - 1] ?? NaN),
        mean: round(sum / Math.max(1, measuredTurns)),
      },
      medianLatencyByTurnMs: Object.fromEntries(
        [...latenciesByStep].map(([name, values]) => [name, round(percentile(Float64Array.from(values).sort(), 50))]),
      ),
      cpuMsPerTurn: round((cpuAfter - cpuBefore) / Math.max(1, measuredTurns), 3),
      activitiesPerTurn: round(activities / Math.max(1, measuredTurns), 3),
      channelConnections: channel.connections - connectionsBefore,
      peakRssMb: megabytes(atEnd.peakRssBytes),
      rssAfterWarmupMb: megabytes(afterWarmup.rssBytes),
      rssEndMb: megabytes(atEnd.rssBytes),
      rssTimeline,
    };
    return { result, window };
  } finally {
    clearInterval(progress);
  }
}

/** /proc has nothing to say about a process that is gone, and a bot that died is a broken run. */
function assertRunning(server: ServerProcess): void {
  if (server.hasExited()) {
    const problems = server.problems();
    throw new Error(`${server.name} exited during the run${problems.count > 0 ? `: ${problems.first.join('; ')}` : ''}`);
  }
}

/** The machine's monotonic clock, which CPU profiles of every process use too. */
function microsecondsNow(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function tenantFor(index: number, runTag: string): Tenant {
  const id = `${runTag}-${index.toString(36)}`;
  return { subdomain: `bench-${id}`, email: `agent-${id}@example.com`, apiKey: `key-${id}-0123456789abcdef0123` };
}

/** Bytes of the conversation rows in the bot's SQLite file: key, eTag and JSON, as stored. */
function storedConversationBytes(dataDir: string): { rows: number; bytes: number; fileBytes: number } {
  const file = fs.readdirSync(dataDir).find((name) => name.endsWith('.sqlite'));
  if (file === undefined) throw new Error(`no SQLite file in ${dataDir}: is the default storage still SQLite?`);
  const database = new Database(path.join(dataDir, file), { readonly: true, fileMustExist: true });
  try {
    const total = database
      .prepare(
        `SELECT COUNT(*) AS rows, COALESCE(SUM(LENGTH(CAST(key AS BLOB)) + LENGTH(CAST(etag AS BLOB)) + LENGTH(CAST(json AS BLOB))), 0) AS bytes
         FROM bot_state WHERE key LIKE '%/conversations/%'`,
      )
      .get() as { rows: number; bytes: number };
    const fileBytes = ['', '-wal']
      .map((suffix) => path.join(dataDir, `${file}${suffix}`))
      .filter((name) => fs.existsSync(name))
      .reduce((sum, name) => sum + fs.statSync(name).size, 0);
    return { ...total, fileBytes };
  } finally {
    database.close();
  }
}

function describeLoad(name: string, result: LoadResult): string[] {
  const latency = result.latencyMs;
  return [
    `${name}: ${result.turnsPerSecond} turns/s (${result.turns} turns in ${result.seconds} s, after ${result.warmupConversations} warm-up conversations)`,
    `  latency p50 ${latency.p50} ms, p95 ${latency.p95} ms, p99 ${latency.p99} ms, max ${latency.max} ms`,
    `  median by turn: ${Object.entries(result.medianLatencyByTurnMs).map(([name, ms]) => `${name} ${ms} ms`).join(', ')}`,
    `  CPU ${result.cpuMsPerTurn} ms per turn; ${result.activitiesPerTurn} outgoing activities per turn, over ${result.channelConnections} new connection(s) to the channel`,
    `  RSS peak ${result.peakRssMb} MB; after warm-up ${result.rssAfterWarmupMb} MB, at the end ${result.rssEndMb} MB`,
  ];
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const conversations = options.conversations;
  const warmup = options.warmup ?? Math.min(MEMORY_WARMUP, Math.ceil(conversations / 10));
  const concurrency = options.concurrency;
  const startedAt = new Date().toISOString();
  const loadAtStart = os.loadavg();
  const runTag = Date.now().toString(36);

  const fake = new FakeGorgias();
  const channel = new BenchChannel();
  const client = new HttpClient(concurrency + 4);
  const failures = new Failures();
  const harness: Harness = { channel, client, failures, log };
  const servers: ServerProcess[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gorgias-bench-data-'));
  // Absolute: the bot runs in a working directory of its own.
  const profileDir = options.profileDir === undefined ? undefined : path.resolve(options.profileDir);
  if (profileDir) fs.mkdirSync(profileDir, { recursive: true });

  try {
    await fake.start();
    await channel.start();
    log(`bench: ${conversations} conversations (+${warmup} warm-up) at concurrency ${concurrency}, ${TURNS_PER_CONVERSATION} turns each; ${os.cpus().length} CPUs, load ${loadAtStart.map((value) => value.toFixed(2)).join(' ')}`);

    let echo: LoadResult | undefined;
    let echoProfile: ProfileSummary | undefined;
    if (!options.skipEcho) {
      const echoProfileDir = profileDir && path.join(profileDir, 'echo-bot');
      const echoBot = await launch({ name: 'echo bot', script: benchScript('echoBot'), env: {}, nodeArgs: profileArgs(echoProfileDir) });
      servers.push(echoBot);
      const driven = await drive(harness, echoBot, (index) => echoFlow(tenantFor(index, runTag)), conversations, warmup, concurrency);
      echo = driven.result;
      await echoBot.stop();
      if (echoProfileDir) echoProfile = summarizeProfiles(echoProfileDir, driven.window);
      collectProcessProblems(echoBot, failures);
      for (const line of describeLoad('echo bot', echo)) log(line);
    }

    const botProfileDir = profileDir && path.join(profileDir, 'gorgias-bot');
    const ledger = new GorgiasLedger(fake);
    const tally: GorgiasTally = { authorizations: 0, verifyCalls: 0, statusCalls: 0 };
    const bot = await launch({
      name: 'gorgias-bot',
      script: botScript(),
      nodeArgs: ['-r', benchScript('loopbackOnly'), ...profileArgs(botProfileDir)],
      env: { DATA_DIR: dataDir, LOG_LEVEL: 'warn', GORGIAS_URL_TEMPLATE: fake.urlTemplate, GORGIAS_AUTH_MODE: 'user' },
      expectedWarnings: EXPECTED_BOT_WARNINGS,
    });
    servers.push(bot);
    const flowFor = (index: number): Step[] => {
      const tenant = tenantFor(index, runTag);
      fake.addAccount({ subdomain: tenant.subdomain, users: [{ email: tenant.email, apiKey: tenant.apiKey }] });
      return productFlow(tenant, ledger, tally);
    };
    const { result: load, window: botWindow } = await drive(harness, bot, flowFor, conversations, warmup, concurrency);
    const exit = await bot.stop();
    if (exit.code !== 0) failures.add(`gorgias-bot did not stop cleanly (code ${exit.code}, signal ${exit.signal})`);
    collectProcessProblems(bot, failures);
    if (ledger.otherCalls > 0) failures.add(`${ledger.otherCalls} Gorgias call(s) other than GET /api/account`);
    if (channel.unexpectedCount > 0) failures.add(`${channel.unexpectedCount} unexpected request(s) to the channel, e.g. ${channel.unexpected.join('; ')}`);

    const stored = storedConversationBytes(dataDir);
    const authorizations = tally.authorizations;
    const product = {
      ...load,
      authorizations,
      gorgiasCallsPerAuthorization: round(tally.verifyCalls / Math.max(1, authorizations), 3),
      gorgiasCallsOnStatus: tally.statusCalls,
      gorgiasConnections: fake.connectionCount,
      storedBytesPerProfile: Math.round(stored.bytes / Math.max(1, authorizations)),
      storedRows: stored.rows,
      sqliteFileBytes: stored.fileBytes,
    };
    for (const line of describeLoad('gorgias-bot', load)) log(line);
    log(
      `  Gorgias calls per authorization ${product.gorgiasCallsPerAuthorization} (${authorizations} authorizations, over ${product.gorgiasConnections} connection(s)), on status ${product.gorgiasCallsOnStatus}`,
    );
    log(`  stored ${product.storedBytesPerProfile} bytes per connected profile (${stored.rows} conversation rows; SQLite file ${megabytes(stored.fileBytes)} MB)`);

    const ratioToEcho = echo ? round(load.turnsPerSecond / echo.turnsPerSecond, 3) : undefined;
    const memoryGrowthPercent = round(((load.rssEndMb - load.rssAfterWarmupMb) / load.rssAfterWarmupMb) * 100, 1);
    const longEnough = warmup >= MEMORY_WARMUP && conversations >= MEMORY_RUN;
    const targets: Target[] = [
      {
        name: 'throughput',
        goal: `>= ${THROUGHPUT_TARGET} x the echo bot's turns/s`,
        value: ratioToEcho === undefined ? 'echo skipped' : `${ratioToEcho} x (${load.turnsPerSecond} vs ${echo?.turnsPerSecond} turns/s)`,
        verdict: ratioToEcho === undefined ? 'NOT MEASURED' : ratioToEcho >= THROUGHPUT_TARGET ? 'PASS' : 'FAIL',
      },
      {
        name: 'storage',
        goal: `<= ${BYTES_PER_PROFILE_TARGET} bytes per connected profile`,
        value: `${product.storedBytesPerProfile} bytes`,
        verdict: product.storedBytesPerProfile <= BYTES_PER_PROFILE_TARGET ? 'PASS' : 'FAIL',
      },
      {
        name: 'memory',
        goal: `RSS grows < ${MEMORY_GROWTH_TARGET_PERCENT}% from ${MEMORY_WARMUP} warm-up conversations to the end of ${MEMORY_RUN} more`,
        value: `${memoryGrowthPercent}% (${load.rssAfterWarmupMb} -> ${load.rssEndMb} MB over ${conversations} conversations after ${warmup})`,
        verdict: !longEnough ? 'NOT MEASURED' : memoryGrowthPercent < MEMORY_GROWTH_TARGET_PERCENT ? 'PASS' : 'FAIL',
      },
    ];
    if (ratioToEcho !== undefined) log(`ratio to the echo bot: ${ratioToEcho}`);

    let profile: BenchReport['profile'];
    if (botProfileDir) {
      // Only the samples of the measured conversations: start-up and warm-up are left out.
      profile = { directory: profileDir as string, ...summarizeProfiles(botProfileDir, botWindow), ...(echoProfile ? { echo: echoProfile } : {}) };
      for (const line of formatProfile('gorgias-bot CPU profile, measured conversations only', profile, load.turns)) log(line);
      if (echoProfile && echo) {
        for (const line of formatProfile('echo bot CPU profile, measured conversations only', echoProfile, echo.turns)) log(line);
        for (const line of compareProfiles(profile, load.turns, echoProfile, echo.turns)) log(line);
      }
      const columns: Array<{ name: string; summary: ProfileSummary; turns: number }> = [{ name: 'gorgias-bot', summary: profile, turns: load.turns }];
      if (echoProfile && echo) columns.push({ name: 'echo bot', summary: echoProfile, turns: echo.turns });
      for (const line of formatStages(columns)) log(line);
    }

    const report: BenchReport = {
      startedAt,
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
        totalMemoryMb: megabytes(os.totalmem()),
        loadAverageAtStart: loadAtStart.map((value) => round(value)),
        loadAverageAtEnd: os.loadavg().map((value) => round(value)),
      },
      options: { conversations, concurrency, warmup, skipEcho: options.skipEcho === true, profile: profileDir !== undefined },
      command: `npm run bench -- --conversations ${conversations} --concurrency ${concurrency}${options.skipEcho ? ' --skip-echo' : ''}`,
      product,
      ...(echo ? { echo } : {}),
      ...(ratioToEcho !== undefined ? { ratioToEcho } : {}),
      memoryGrowthPercent,
      targets,
      flowOk: failures.count === 0,
      failures: { count: failures.count, first: failures.first },
      ...(profile ? { profile } : {}),
    };
    for (const target of targets) log(`${target.verdict.padEnd(12)} ${target.name}: ${target.value} (target ${target.goal})`);
    log(report.flowOk ? 'flow: every reply checked and as expected' : `FLOW BROKEN: ${failures.count} failure(s):\n  ${failures.first.join('\n  ')}`);
    fs.mkdirSync(path.dirname(path.resolve(options.out)), { recursive: true });
    fs.writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
    log(`written to ${options.out}`);
    return report;
  } finally {
    for (const server of servers) await server.stop();
    client.close();
    await channel.stop();
    await fake.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function profileArgs(directory: string | undefined): string[] {
  return directory ? ['--cpu-prof', '--cpu-prof-dir', directory] : [];
}

function collectProcessProblems(server: ServerProcess, failures: Failures): void {
  const problems = server.problems();
  for (const line of problems.first) failures.add(line);
  for (let extra = problems.first.length; extra < problems.count; extra += 1) failures.add(`${server.name}: more of the same`);
}

async function main(argv: string[]): Promise<number> {
  const { values, flags } = parseArgs(argv, { values: ['--conversations', '--concurrency', '--warmup', '--out', '--profile-dir'], flags: ['--skip-echo', '--profile'] });
  const conversations = positiveNumber(values.get('--conversations'), '--conversations', 500, { integer: true, max: 1_000_000 });
  const concurrency = positiveNumber(values.get('--concurrency'), '--concurrency', 20, { integer: true, max: 1_000 });
  const warmupRaw = values.get('--warmup');
  const warmup = warmupRaw === '0' ? 0 : warmupRaw === undefined ? undefined : positiveNumber(warmupRaw, '--warmup', 0, { integer: true });
  const profileDir =
    values.get('--profile-dir') ?? (flags.has('--profile') ? path.join('bench', 'results', `cpuprofile-${new Date().toISOString().replace(/[:.]/g, '-')}`) : undefined);
  const report = await runBench({
    conversations,
    concurrency,
    warmup,
    out: values.get('--out') ?? path.join('bench', 'results', 'latest.json'),
    skipEcho: flags.has('--skip-echo'),
    profileDir,
  });
  return report.flowOk ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`bench: ${error instanceof UsageError ? error.message : (error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = error instanceof UsageError ? 2 : 1;
    },
  );
}
