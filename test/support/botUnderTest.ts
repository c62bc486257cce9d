/**
 * Starts the real bot (the same wiring as `npm start`: buildApp) in this process on a free loopback
 * port, with its log lines captured so tests can check what it logged.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { buildApp, type App } from '../../src/app';

export interface BotUnderTest {
  url: string;
  app: App;
  dataDir: string;
  /** Every log line the bot wrote, as raw JSON text. */
  logs: string[];
  stop(): Promise<void>;
}

/** `host`: where to listen; loopback unless a test needs the bot reachable from another address. */
export async function startBot(env: Record<string, string | undefined> = {}, host = '127.0.0.1'): Promise<BotUnderTest> {
  const dataDir = env.DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gorgias-bot-test-'));
  const config = loadConfig({ STORAGE: 'memory', LOG_LEVEL: 'debug', ...env, DATA_DIR: dataDir });
  const logs: string[] = [];
  const logger = createLogger(config.logLevel, { write: (line: string) => void logs.push(line) });
  const app = await buildApp(config, logger);
  await new Promise<void>((resolve) => app.server.listen(0, host, () => resolve()));
  const port = (app.server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    dataDir,
    logs,
    async stop() {
      await app.close();
      if (env.DATA_DIR === undefined) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
