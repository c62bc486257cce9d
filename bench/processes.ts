/**
 * Starts the servers under test as their own processes on 127.0.0.1: the real bot (the entry point
 * `npm start` runs, `dist/src/index.js`) and the echo bot. Written for the bench rather than reusing
 * test/support/botProcess.ts's startBotProcess, which learns the port from the `server.listening` line
 * that LOG_LEVEL=warn hides, and has no way to pass Node options such as --cpu-prof.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { botEntryPoint, isNodeRuntimeWarning } from '../test/support/botProcess';
import { LOOPBACK_HOST } from './loopback';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  name: string;
  pid: number;
  /** `http://127.0.0.1:<port>`, the base of `/api/messages`. */
  url: string;
  /** Log lines at warn level or above, and stderr lines, that the run did not expect. */
  problems(): { count: number; first: string[] };
  /** Settles when the process has exited, for whatever reason. */
  exited: Promise<ProcessExit>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL if it is still running after `graceMs`. */
  stop(graceMs?: number): Promise<ProcessExit>;
}

export interface LaunchOptions {
  name: string;
  /** The JavaScript file to run. */
  script: string;
  /** Node options placed before the script, e.g. `-r <preload>` or `--cpu-prof`. */
  nodeArgs?: string[];
  /** The whole environment of the child (PATH and PORT are added). */
  env: Record<string, string>;
  /** Warn-level log events that are part of a normal run (e.g. the local encryption key being created). */
  expectedWarnings?: string[];
  startupTimeoutMs?: number;
}

const MAX_REMEMBERED_PROBLEMS = 20;
const DEFAULT_STARTUP_TIMEOUT_MS = 30_000;
const PINO_WARN = 40;

/** The project's root directory (where package.json and dist/ are). */
export function projectRoot(): string {
  return path.resolve(path.dirname(botEntryPoint()), '..', '..');
}

/** The bot's entry point, what `npm start` runs. */
export function botScript(): string {
  return botEntryPoint();
}

/**
 * A runnable JavaScript file for one of the bench's own child programs. Compiled (npm run bench), it sits
 * next to this file. Run from source (the smoke test under ts-jest), the TypeScript file is transpiled on
 * the spot into node_modules/.cache, from where Node still finds the project's packages.
 */
export function benchScript(name: keyof typeof CHILD_PROGRAMS): string {
  if (path.extname(__filename) === '.js') return path.join(__dirname, `${name}.js`);
  const cacheDir = path.join(projectRoot(), 'node_modules', '.cache', 'gorgias-bot-bench');
  fs.mkdirSync(cacheDir, { recursive: true });
  // A dev dependency, needed only in this from-source case.
  const ts = require('typescript') as typeof import('typescript');
  for (const file of CHILD_PROGRAMS[name]) {
    const source = path.join(__dirname, `${file}.ts`);
    const output = ts.transpileModule(fs.readFileSync(source, 'utf8'), {
      fileName: source,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    // Written under a unique name and renamed, so parallel test workers never see half a file.
    const target = path.join(cacheDir, `${file}.js`);
    const partial = `${target}.${process.pid}.${Date.now()}`;
    fs.writeFileSync(partial, output.outputText);
    fs.renameSync(partial, target);
  }
  return path.join(cacheDir, `${name}.js`);
}

/** Each child program and the bench files it loads. */
const CHILD_PROGRAMS = {
  echoBot: ['echoBot', 'echoReplies'],
  loopbackOnly: ['loopbackOnly'],
} as const;

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK_HOST, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts the program and resolves once `GET /healthz` answers 200; retries on another port if it lost a port race. */
export async function launch(options: LaunchOptions): Promise<ServerProcess> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    const started = spawnServer(options, port);
    try {
      await waitUntilHealthy(started, port, options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS);
      return started;
    } catch (error) {
      lastError = error as Error;
      await started.stop(2_000);
      if (!/EADDRINUSE/.test(lastError.message)) break;
    }
  }
  throw lastError ?? new Error(`${options.name} did not start`);
}

function spawnServer(options: LaunchOptions, port: number): ServerProcess & { stderrTail: string[] } {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `gorgias-bench-${options.name}-`));
  // A clean environment and an empty working directory: no developer .env, no NODE_OPTIONS from jest.
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script], {
    cwd: workDir,
    env: { PATH: process.env.PATH ?? '', ...options.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const expected = new Set(options.expectedWarnings ?? []);
  const problems: string[] = [];
  let problemCount = 0;
  const stderrTail: string[] = [];
  const note = (line: string): void => {
    problemCount += 1;
    if (problems.length < MAX_REMEMBERED_PROBLEMS) problems.push(line.slice(0, 500));
  };

  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    let record: { level?: unknown; event?: unknown } | undefined;
    try {
      record = JSON.parse(line) as { level?: unknown; event?: unknown };
    } catch {
      record = undefined;
    }
    if (record === undefined) {
      note(`${options.name} stdout: ${line}`);
    } else if (typeof record.level === 'number' && record.level >= PINO_WARN && !expected.has(String(record.event))) {
      note(`${options.name} log: ${line}`);
    }
  });
  readline.createInterface({ input: child.stderr }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 40) stderrTail.shift();
    // Deprecation warnings that dependencies trigger are Node's, not the program's.
    if (!isNodeRuntimeWarning(line)) note(`${options.name} stderr: ${line}`);
  });

  let exitedNow = false;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('close', (code, signal) => {
      exitedNow = true;
      fs.rmSync(workDir, { recursive: true, force: true });
      resolve({ code, signal });
    });
    child.once('error', () => {
      exitedNow = true;
      fs.rmSync(workDir, { recursive: true, force: true });
      resolve({ code: null, signal: null });
    });
  });

  return {
    name: options.name,
    pid: child.pid ?? -1,
    url: `http://${LOOPBACK_HOST}:${port}`,
    stderrTail,
    problems: () => ({ count: problemCount, first: [...problems] }),
    exited,
    hasExited: () => exitedNow,
    async stop(graceMs = 20_000) {
      if (!exitedNow) {
        child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const forced = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            if (!exitedNow) child.kill('SIGKILL');
            resolve();
          }, graceMs);
        });
        await Promise.race([exited, forced]);
        clearTimeout(timer);
      }
      return exited;
    },
  };
}

async function waitUntilHealthy(server: ServerProcess & { stderrTail: string[] }, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.hasExited()) {
      const exit = await server.exited;
      throw new Error(`${server.name} exited while starting (code ${exit.code}, signal ${exit.signal}):\n${server.stderrTail.join('\n')}`);
    }
    if (await answersHealthz(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${server.name} did not answer GET /healthz within ${timeoutMs} ms:\n${server.stderrTail.join('\n')}`);
}

function answersHealthz(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const request = http.get({ host: LOOPBACK_HOST, port, path: '/healthz', agent: false, timeout: 1_000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}
