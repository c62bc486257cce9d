/**
 * Entry point (`npm start`): load settings, build the bot, listen. Everything else is in app.ts.
 */
import dotenv from 'dotenv';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { buildApp, StartupError } from './app';

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  const app = await buildApp(config, logger);

  // No host: listen on IPv4 and IPv6 alike, since the Emulator's "localhost" may resolve to either.
  app.server.listen(config.port, () => {
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info(
      { event: 'server.listening', port, auth: config.botFramework.MicrosoftAppId ? 'bot-framework' : 'none (Emulator)' },
      `gorgias-bot listening: connect the Bot Framework Emulator to http://localhost:${port}/api/messages`,
    );
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'server.stopping', signal }, 'stopping');
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  // One line naming what is wrong; ConfigError and StartupError messages never hold a secret.
  const known = error instanceof ConfigError || error instanceof StartupError;
  process.stderr.write(`gorgias-bot cannot start: ${known ? (error as Error).message : String((error as Error)?.message ?? error)}\n`);
  process.exit(1);
});
