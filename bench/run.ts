/**
 * `npm run bench`: how fast and how lean the bot is, measured the way users drive it, over HTTP as the
 * Emulator does. On 127.0.0.1 only, it starts a fake Gorgias, an Emulator-like channel, a minimal echo bot
 * (the SDK's floor) and the real bot (`node dist/src/index.js`, default SQLite storage, LOG_LEVEL=warn),
 * each bot as its own process, and drives N conversations per bot at concurrency C through
 *
 *   conversationUpdate, `connect`, subdomain, email, API key (typed), `status`
 *
 * each with its own Gorgias tenant and credentials, checking every reply. The measured conversations run
 * in R rounds per bot, the bots taking turns (echo, bot, bot, echo, ...), so that the shared machine's
 * changing speed does not favour either. It prints and writes as JSON:
 * turns per second, turn latency, the bot's CPU per turn and peak RSS (from /proc), Gorgias calls per
 * authorization, stored bytes per connected profile, the ratio to the echo bot, and the RSS growth after
 * a warm-up; then PASS/FAIL per target. It exits 1 only when the flow itself broke.
 *
 *   npm run bench -- --conversations 500 --concurrency 20 --rounds 5 --out bench/results/latest.json [--storage memory] [--skip-echo] [--profile]
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

export type BenchStorage = 'sqlite' | 'memory';

export interface BenchOptions {
  conversations: number;
  concurrency: number;
  /** Conversations run before measuring, per bot; default a tenth of N, at least 500 and at most 2,000. */
  warmup?: number;
  /** Where the JSON goes. */
  out: string;
  skipEcho?: boolean;
  /**
   * The bot's STORAGE: the default `sqlite`, or `memory` to see what durable state costs per turn (nothing
   * survives a restart then, so the stored-bytes target is not measured).
   */
  storage?: BenchStorage;
  /** Measured rounds per bot, alternating between the two; default 5. */
  rounds?: number;
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
  /** Turns per second of each measured round (the bots take turns, see runRounds). */
  roundTurnsPerSecond: number[];
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
  options: { conversations: number; concurrency: number; warmup: number; rounds: number; storage: BenchStorage; skipEcho: boolean; profile: boolean };
  command: string;
  product: LoadResult & {
    gorgiasCallsPerAuthorization: number;
    gorgiasCallsOnStatus: number;
    /** TCP connections the bot opened to Gorgias over the whole run (keep-alive: far fewer than calls). */
    gorgiasConnections: number;
    authorizations: number;
    /** Undefined with `--storage memory`. */
    storedBytesPerProfile?: number;
    storedRows?: number;
    sqliteFileBytes?: number;
  };
  echo?: LoadResult;
  /** Product turns per second over the echo bot's, over all the measured rounds. */
  ratioToEcho?: number;
  /** The same ratio round by round: how much the machine's noise moved it. */
  ratioByRound?: number[];
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
const MIN_WARMUP = 500;
const MEMORY_RUN = 20_000;
const THROUGHPUT_TARGET = 0.8;
const DEFAULT_ROUNDS = 5;
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

/**
 * One bot under load: it runs conversations and adds up what its measured rounds cost. Measured rounds
 * of the two bots are interleaved (see runRounds), so each meter sums several separate rounds.
 */
class LoadMeter {
  private readonly latencies: number[] = [];
  private readonly latenciesByStep = new Map<string, number[]>();
  private activities = 0;
  private completed = 0;
  private measuredMs = 0;
  private cpuUsedMs = 0;
  private newChannelConnections = 0;
  private rssAfterWarmupBytes = 0;
  private readonly rssTimeline: LoadResult['rssTimeline'] = [];
  readonly windows: ProfileWindow[] = [];
  /** Turns per second of each measured round, in order. */
  readonly roundRates: number[] = [];

  constructor(
    private readonly harness: Harness,
    readonly server: ServerProcess,
    private readonly flowFor: (index: number) => Step[],
    private readonly concurrency: number,
  ) {}

  async warmUp(conversations: number): Promise<void> {
    await this.runConversations(0, conversations, false);
    assertRunning(this.server);
    this.rssAfterWarmupBytes = memory(this.server.pid).rssBytes;
  }

  /** Conversations [from, to), measured: wall time, the process's CPU and the channel connections it opened. */
  async measure(from: number, to: number): Promise<void> {
    const { channel } = this.harness;
    const turnsBefore = this.latencies.length;
    const cpuBefore = cpuMs(this.server.pid);
    const connectionsBefore = channel.connections;
    const startUs = microsecondsNow();
    const started = performance.now();
    await this.runConversations(from, to, true);
    const ms = performance.now() - started;
    this.windows.push({ startUs, endUs: microsecondsNow() });
    assertRunning(this.server);
    this.cpuUsedMs += cpuMs(this.server.pid) - cpuBefore;
    this.newChannelConnections += channel.connections - connectionsBefore;
    this.measuredMs += ms;
    this.roundRates.push(round((this.latencies.length - turnsBefore) / (ms / 1000), 1));
  }

  result(conversations: number, warmupConversations: number): LoadResult {
    assertRunning(this.server);
    const atEnd = memory(this.server.pid);
    const turns = this.latencies.length;
    const sorted = Float64Array.from(this.latencies).sort();
    const sum = sorted.reduce((accumulated, value) => accumulated + value, 0);
    const seconds = this.measuredMs / 1000;
    return {
      conversations,
      warmupConversations,
      turns,
      seconds: round(seconds, 3),
      turnsPerSecond: round(turns / seconds, 1),
      roundTurnsPerSecond: this.roundRates,
      latencyMs: {
        p50: round(percentile(sorted, 50)),
        p95: round(percentile(sorted, 95)),
        p99: round(percentile(sorted, 99)),
        max: round(sorted[sorted.length - 1] ?? NaN),
        mean: round(sum / Math.max(1, turns)),
      },
      medianLatencyByTurnMs: Object.fromEntries(
        [...this.latenciesByStep].map(([name, values]) => [name, round(percentile(Float64Array.from(values).sort(), 50))]),
      ),
      cpuMsPerTurn: round(this.cpuUsedMs / Math.max(1, turns), 3),
      activitiesPerTurn: round(this.activities / Math.max(1, turns), 3),
      channelConnections: this.newChannelConnections,
      peakRssMb: megabytes(atEnd.peakRssBytes),
      rssAfterWarmupMb: megabytes(this.rssAfterWarmupBytes),
      rssEndMb: megabytes(atEnd.rssBytes),
      rssTimeline: this.rssTimeline,
    };
  }

  private async runConversations(from: number, to: number, measured: boolean): Promise<void> {
    const { failures } = this.harness;
    const progress = setInterval(() => this.harness.log(`  ${this.server.name}: ${this.completed} conversations done`), 10_000);
    try {
      await runPool(from, to, this.concurrency, (index) => this.runConversation(index, measured), () => failures.tooMany);
    } finally {
      clearInterval(progress);
    }
  }

  private async runConversation(index: number, measured: boolean): Promise<void> {
    const { channel, client, failures } = this.harness;
    const chat = new Conversation(this.server.url, channel, client);
    for (const step of this.flowFor(index)) {
      const result = await step.send(chat);
      if (measured) {
        this.latencies.push(result.ms);
        const ofStep = this.latenciesByStep.get(step.name) ?? [];
        ofStep.push(result.ms);
        this.latenciesByStep.set(step.name, ofStep);
        this.activities += result.activities.length;
      }
      const problem = step.check(result);
      if (problem !== undefined) {
        failures.add(`${this.server.name} conversation ${index}, ${step.name} turn: ${problem}`);
        return;
      }
    }
    this.completed += 1;
    if (this.completed % 1000 === 0 && !this.server.hasExited()) {
      this.rssTimeline.push({ conversations: this.completed, rssMb: megabytes(memory(this.server.pid).rssBytes) });
    }
  }
}

/**
 * Runs the measured conversations in rounds, alternating the bots in the order A B, B A, A B, ... so
 * that a machine getting slower or faster during the run (this one is shared) weighs on both alike
 * instead of on whichever bot happened to run second.
 */
async function runRounds(meters: LoadMeter[], warmup: number, conversations: number, rounds: number, failures: Failures): Promise<void> {
  for (let round = 0; round < rounds && !failures.tooMany; round += 1) {
    // Split as evenly as whole conversations allow, so every round runs and none is empty.
    const from = warmup + Math.floor((round * conversations) / rounds);
    const to = warmup + Math.floor(((round + 1) * conversations) / rounds);
    const order = round % 2 === 0 ? meters : [...meters].reverse();
    for (const meter of order) await meter.measure(from, to);
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
  // At least MIN_WARMUP: before that V8 is still compiling, and a bot with more code to optimize than the
  // echo bot looks slower than it runs (measured: 1.4 ms of CPU a turn after 50 conversations, 1.0 after 500).
  const warmup = options.warmup ?? Math.min(MEMORY_WARMUP, Math.max(MIN_WARMUP, Math.ceil(conversations / 10)));
  const concurrency = options.concurrency;
  // The rounds that really run: one without the echo bot, and never more than there are conversations.
  const rounds = options.skipEcho ? 1 : Math.max(1, Math.min(options.rounds ?? DEFAULT_ROUNDS, conversations));
  const storage = options.storage ?? 'sqlite';
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
    log(`bench: ${conversations} conversations (+${warmup} warm-up) per bot at concurrency ${concurrency}, ${TURNS_PER_CONVERSATION} turns each, in ${rounds} alternating round(s); ${os.cpus().length} CPUs, load ${loadAtStart.map((value) => value.toFixed(2)).join(' ')}`);

    let echoMeter: LoadMeter | undefined;
    const echoProfileDir = profileDir && path.join(profileDir, 'echo-bot');
    if (!options.skipEcho) {
      const echoBot = await launch({ name: 'echo bot', script: benchScript('echoBot'), env: {}, nodeArgs: profileArgs(echoProfileDir) });
      servers.push(echoBot);
      echoMeter = new LoadMeter(harness, echoBot, (index) => echoFlow(tenantFor(index, runTag)), concurrency);
    }

    const botProfileDir = profileDir && path.join(profileDir, 'gorgias-bot');
    const ledger = new GorgiasLedger(fake);
    const tally: GorgiasTally = { authorizations: 0, verifyCalls: 0, statusCalls: 0 };
    const bot = await launch({
      name: 'gorgias-bot',
      script: botScript(),
      nodeArgs: ['-r', benchScript('loopbackOnly'), ...profileArgs(botProfileDir)],
      env: { DATA_DIR: dataDir, STORAGE: storage, LOG_LEVEL: 'warn', GORGIAS_URL_TEMPLATE: fake.urlTemplate, GORGIAS_AUTH_MODE: 'user' },
      expectedWarnings: EXPECTED_BOT_WARNINGS,
    });
    servers.push(bot);
    const flowFor = (index: number): Step[] => {
      const tenant = tenantFor(index, runTag);
      fake.addAccount({ subdomain: tenant.subdomain, users: [{ email: tenant.email, apiKey: tenant.apiKey }] });
      return productFlow(tenant, ledger, tally);
    };
    const botMeter = new LoadMeter(harness, bot, flowFor, concurrency);

    const meters = echoMeter ? [echoMeter, botMeter] : [botMeter];
    for (const meter of meters) await meter.warmUp(warmup);
    await runRounds(meters, warmup, conversations, rounds, failures);

    let echo: LoadResult | undefined;
    let echoProfile: ProfileSummary | undefined;
    if (echoMeter) {
      echo = echoMeter.result(conversations, warmup);
      await echoMeter.server.stop();
      if (echoProfileDir) echoProfile = summarizeProfiles(echoProfileDir, echoMeter.windows);
      collectProcessProblems(echoMeter.server, failures);
      for (const line of describeLoad('echo bot', echo)) log(line);
    }
    const load = botMeter.result(conversations, warmup);
    const exit = await bot.stop();
    if (exit.code !== 0) failures.add(`gorgias-bot did not stop cleanly (code ${exit.code}, signal ${exit.signal})`);
    collectProcessProblems(bot, failures);
    if (ledger.otherCalls > 0) failures.add(`${ledger.otherCalls} Gorgias call(s) other than GET /api/account`);
    if (channel.unexpectedCount > 0) failures.add(`${channel.unexpectedCount} unexpected request(s) to the channel, e.g. ${channel.unexpected.join('; ')}`);

    const stored = storage === 'sqlite' ? storedConversationBytes(dataDir) : undefined;
    const authorizations = tally.authorizations;
    const product = {
      ...load,
      authorizations,
      gorgiasCallsPerAuthorization: round(tally.verifyCalls / Math.max(1, authorizations), 3),
      gorgiasCallsOnStatus: tally.statusCalls,
      gorgiasConnections: fake.connectionCount,
      ...(stored
        ? { storedBytesPerProfile: Math.round(stored.bytes / Math.max(1, authorizations)), storedRows: stored.rows, sqliteFileBytes: stored.fileBytes }
        : {}),
    };
    for (const line of describeLoad('gorgias-bot', load)) log(line);
    log(
      `  Gorgias calls per authorization ${product.gorgiasCallsPerAuthorization} (${authorizations} authorizations, over ${product.gorgiasConnections} connection(s)), on status ${product.gorgiasCallsOnStatus}`,
    );
    if (stored) log(`  stored ${product.storedBytesPerProfile} bytes per connected profile (${stored.rows} conversation rows; SQLite file ${megabytes(stored.fileBytes)} MB)`);
    else log('  state in memory (--storage memory): nothing stored to measure');

    const ratioToEcho = echo ? round(load.turnsPerSecond / echo.turnsPerSecond, 3) : undefined;
    const ratioByRound = echo ? load.roundTurnsPerSecond.map((rate, index) => round(rate / (echo?.roundTurnsPerSecond[index] ?? NaN), 3)) : undefined;
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
        value: product.storedBytesPerProfile === undefined ? 'state in memory' : `${product.storedBytesPerProfile} bytes`,
        verdict: product.storedBytesPerProfile === undefined ? 'NOT MEASURED' : product.storedBytesPerProfile <= BYTES_PER_PROFILE_TARGET ? 'PASS' : 'FAIL',
      },
      {
        name: 'memory',
        goal: `RSS grows < ${MEMORY_GROWTH_TARGET_PERCENT}% from ${MEMORY_WARMUP} warm-up conversations to the end of ${MEMORY_RUN} more`,
        value: `${memoryGrowthPercent}% (${load.rssAfterWarmupMb} -> ${load.rssEndMb} MB over ${conversations} conversations after ${warmup})`,
        verdict: !longEnough ? 'NOT MEASURED' : memoryGrowthPercent < MEMORY_GROWTH_TARGET_PERCENT ? 'PASS' : 'FAIL',
      },
    ];
    if (ratioToEcho !== undefined) log(`ratio to the echo bot: ${ratioToEcho} (round by round: ${ratioByRound?.join(', ')})`);

    let profile: BenchReport['profile'];
    if (botProfileDir) {
      // Only the samples of the measured conversations: start-up and warm-up are left out.
      profile = { directory: profileDir as string, ...summarizeProfiles(botProfileDir, botMeter.windows), ...(echoProfile ? { echo: echoProfile } : {}) };
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
      options: { conversations, concurrency, warmup, rounds, storage, skipEcho: options.skipEcho === true, profile: profileDir !== undefined },
      command: `npm run bench -- --conversations ${conversations} --concurrency ${concurrency} --rounds ${rounds}${storage === 'sqlite' ? '' : ` --storage ${storage}`}${options.skipEcho ? ' --skip-echo' : ''}`,
      product,
      ...(echo ? { echo } : {}),
      ...(ratioToEcho !== undefined ? { ratioToEcho, ratioByRound } : {}),
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
  const { values, flags } = parseArgs(argv, { values: ['--conversations', '--concurrency', '--warmup', '--rounds', '--storage', '--out', '--profile-dir'], flags: ['--skip-echo', '--profile'] });
  const conversations = positiveNumber(values.get('--conversations'), '--conversations', 500, { integer: true, max: 1_000_000 });
  const concurrency = positiveNumber(values.get('--concurrency'), '--concurrency', 20, { integer: true, max: 1_000 });
  const rounds = positiveNumber(values.get('--rounds'), '--rounds', DEFAULT_ROUNDS, { integer: true, max: 100 });
  const storage = values.get('--storage') ?? 'sqlite';
  if (storage !== 'sqlite' && storage !== 'memory') throw new UsageError(`--storage must be sqlite or memory, not ${JSON.stringify(storage)}`);
  const warmupRaw = values.get('--warmup');
  const warmup = warmupRaw === '0' ? 0 : warmupRaw === undefined ? undefined : positiveNumber(warmupRaw, '--warmup', 0, { integer: true });
  const profileDir =
    values.get('--profile-dir') ?? (flags.has('--profile') ? path.join('bench', 'results', `cpuprofile-${new Date().toISOString().replace(/[:.]/g, '-')}`) : undefined);
  const report = await runBench({
    conversations,
    concurrency,
    warmup,
    rounds,
    storage,
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
