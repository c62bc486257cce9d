/**
 * Starts a throwaway Azurite blob service for tests: loopback only, in memory, no network, no Docker.
 *
 * The connection string names the blob endpoint explicitly instead of `UseDevelopmentStorage=true`,
 * because BlobsStorage lowers its concurrency to 1 when it sees the latter.
 */
import { ChildProcess, spawn } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';

/** The well-known, published Azurite development account (not a secret). */
const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const STARTUP_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 2_000;
const STDERR_LIMIT = 8_192;

/** A connection string for the development account at a loopback port (explicit endpoint, not UseDevelopmentStorage). */
export function azuriteConnectionString(port: number): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_ACCOUNT_KEY};` +
    `BlobEndpoint=http://127.0.0.1:${port}/${DEV_ACCOUNT};`
  );
}

export interface AzuriteHandle {
  connectionString: string;
  port: number;
  stop(): Promise<void>;
}

/** Path of the `azurite-blob` entry script, found through the azurite package itself (not PATH). */
function azuriteBlobScript(): string {
  const packageJsonPath = require.resolve('azurite/package.json');
  const packageJson = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as { bin?: Record<string, string> };
  const relative = packageJson.bin?.['azurite-blob'];
  if (!relative) {
    throw new Error('The azurite package has no "azurite-blob" bin entry');
  }
  return path.join(path.dirname(packageJsonPath), relative);
}

/** Asks the OS for a free loopback port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve(true);
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.removeListener('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

export async function startAzurite(): Promise<AzuriteHandle> {
  const port = await freePort();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'gorgias-bot-azurite-'));
  const child = spawn(
    process.execPath,
    [
      azuriteBlobScript(),
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(port),
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--disableTelemetry',
      '--silent',
    ],
    // Azurite refuses --location together with --inMemoryPersistence; a private cwd keeps any stray file out of the repo.
    { cwd: workDir, stdio: ['ignore', 'ignore', 'pipe'], windowsHide: true },
  );

  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (stderr.length < STDERR_LIMIT) {
      stderr += chunk;
    }
  });
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        if (!(await waitForExit(child, STOP_GRACE_MS))) {
          child.kill('SIGKILL');
          await waitForExit(child, STOP_GRACE_MS);
        }
      }
      child.stderr?.destroy();
      rmSync(workDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    const exited = child.exitCode !== null || child.signalCode !== null;
    if (spawnError || exited) {
      await stop();
      const reason = spawnError ? spawnError.message : `exited with ${child.exitCode ?? child.signalCode}`;
      throw new Error(`Azurite failed to start (${reason}). stderr:\n${stderr.trim()}`);
    }
    if (await canConnect(port)) {
      break;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `Azurite did not accept connections on 127.0.0.1:${port} within ${STARTUP_TIMEOUT_MS} ms. stderr:\n${stderr.trim()}`,
      );
    }
    await sleep(100);
  }

  const connectionString = azuriteConnectionString(port);
  return { connectionString, port, stop };
}
