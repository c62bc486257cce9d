/**
 * Runs the built bot (`node dist/src/index.js`, what `npm start` runs) as a child process, for tests and
 * benchmarks that need a real process: restarts, SIGKILL, several instances side by side, startup failures.
 *
 * The child gets a clean environment (PATH plus what the caller passes), not the test runner's, and a
 * private empty working directory, so neither a developer's `.env` nor their shell settings leak in.
 * It listens on PORT=0 unless told otherwise; the port is read from its `server.listening` log line.
 * `npm test` builds dist before jest; when running jest alone, run `npm run build` first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

export interface BotExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface BotProcess {
  /** `http://127.0.0.1:<port>`, the base of `/api/messages`. */
  url: string;
  port: number;
  pid: number;
  /** Every stdout line so far (the bot's JSON log lines), in order. */
  stdoutLines: string[];
  /** Every stderr line so far. */
  stderrLines: string[];
  /** Settles once the process has exited, however that happened. */
  exited: Promise<BotExit>;
  /** The stdout lines that are JSON log records, parsed. */
  logEvents(): Array<Record<string, unknown>>;
  /** Sends the signal (SIGTERM by default) and waits for the exit; a no-op after the process exited. */
  kill(signal?: NodeJS.Signals): Promise<BotExit>;
}

export interface BotProcessOptions {
  /** How long the bot may take to log `server.listening` (or, for runBotProcessToExit, to exit). Default 30 s. */
  startupTimeoutMs?: number;
  /** Add the test runner's own environment under the given one. Default false. */
  inheritEnv?: boolean;
  /** Another build of the bot to run instead of this project's dist/src/index.js. */
  entryPoint?: string;
}

export interface BotRun {
  exit: BotExit;
  stdoutLines: string[];
  stderrLines: string[];
}

/** Generous: several bots starting at once on a busy two-core machine take seconds each. */
const DEFAULT_STARTUP_TIMEOUT_MS = 30_000;
/** A bot that will not stop gracefully within this is killed for good. */
const STOP_GRACE_MS = 10_000;

let cachedEntryPoint: string | undefined;

/** `<project>/dist/src/index.js`, found from this file whether it runs from test/ (ts-jest) or from a build. */
export function botEntryPoint(): string {
  if (cachedEntryPoint) return cachedEntryPoint;
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'gorgias-bot') break;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`botProcess: no gorgias-bot package.json above ${__dirname}`);
    dir = parent;
  }
  const entry = path.join(dir, 'dist', 'src', 'index.js');
  if (!fs.existsSync(entry)) throw new Error(`botProcess: ${entry} is missing; run \`npm run build\` first`);
  cachedEntryPoint = entry;
  return entry;
}

interface Spawned {
  child: ChildProcess;
  stdoutLines: string[];
  stderrLines: string[];
  /** Called with each stdout line as it arrives. */
  stdoutListeners: Set<(line: string) => void>;
  exited: Promise<BotExit>;
}

function spawnBot(env: Record<string, string | undefined>, options: BotProcessOptions): Spawned {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gorgias-bot-proc-'));
  const childEnv: Record<string, string> = {};
  const base: Record<string, string | undefined> = options.inheritEnv ? process.env : { PATH: process.env.PATH, SYSTEMROOT: process.env.SYSTEMROOT };
  for (const [name, value] of Object.entries({ PORT: '0', ...base, ...env })) {
    if (value !== undefined) childEnv[name] = value;
  }
  const child = spawn(process.execPath, [options.entryPoint ?? botEntryPoint()], { cwd: workDir, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });

  const stdoutLines: string[] = [];
  const stderrLines: string[] = [];
  const stdoutListeners = new Set<(line: string) => void>();
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    stdoutLines.push(line);
    for (const listener of stdoutListeners) listener(line);
  });
  readline.createInterface({ input: child.stderr! }).on('line', (line) => stderrLines.push(line));

  const exited = new Promise<BotExit>((resolve) => {
    // 'close', not 'exit': by then stdout and stderr are fully read.
    child.once('close', (code, signal) => {
      fs.rmSync(workDir, { recursive: true, force: true });
      resolve({ code, signal });
    });
    child.once('error', () => {
      fs.rmSync(workDir, { recursive: true, force: true });
      resolve({ code: null, signal: null });
    });
  });
  return { child, stdoutLines, stderrLines, stdoutListeners, exited };
}

function parseLogLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the bot and resolves once it listens; rejects with its stderr when it exits or hangs first. */
export async function startBotProcess(env: Record<string, string | undefined>, options: BotProcessOptions = {}): Promise<BotProcess> {
  const spawned = spawnBot(env, options);
  const { child, stdoutLines, stderrLines, stdoutListeners, exited } = spawned;
  const timeoutMs = options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS;

  const kill = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<BotExit> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const stillRunning = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), STOP_GRACE_MS);
        }),
      ]);
      clearTimeout(timer);
      if (stillRunning) child.kill('SIGKILL');
    }
    return exited;
  };

  const port = await new Promise<number>((resolve, reject) => {
    const onLine = (line: string): void => {
      const record = parseLogLine(line);
      if (record?.event === 'server.listening' && typeof record.port === 'number') {
        finish();
        resolve(record.port);
      }
    };
    const timer = setTimeout(() => {
      finish();
      void kill('SIGKILL');
      reject(new Error(`the bot did not log server.listening within ${timeoutMs} ms. stderr:\n${stderrLines.join('\n')}`));
    }, timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      stdoutListeners.delete(onLine);
    };
    stdoutListeners.add(onLine);
    // After a resolve this reject does nothing.
    void exited.then((exit) => {
      finish();
      reject(new Error(`the bot exited before listening (code ${exit.code}, signal ${exit.signal}). stderr:\n${stderrLines.join('\n')}`));
    });
  });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    stdoutLines,
    stderrLines,
    exited,
    logEvents: () => stdoutLines.map(parseLogLine).filter((record): record is Record<string, unknown> => record !== undefined),
    kill,
  };
}

/** Runs the bot until it exits by itself (a startup that must fail); kills it if it is still up after `timeoutMs` (default: the startup timeout). */
export async function runBotProcessToExit(
  env: Record<string, string | undefined>,
  options: BotProcessOptions & { timeoutMs?: number } = {},
): Promise<BotRun> {
  const { child, stdoutLines, stderrLines, exited } = spawnBot(env, options);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS);
  const exit = await exited;
  clearTimeout(timer);
  return { exit, stdoutLines, stderrLines };
}

/**
 * Node's own runtime warnings (`(node:123) [DEP0111] DeprecationWarning: ...` and its hint line), which
 * dependencies trigger and the bot does not write. Tests about what the bot prints leave them out.
 */
export function isNodeRuntimeWarning(line: string): boolean {
  return /^\(node:\d+\) /.test(line) || /^\(Use `node --trace-/.test(line);
}
