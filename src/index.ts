/**
 * Entry point (`npm start`): load settings, build the bot, listen. Everything else is in app.ts.
 * A bot that cannot start says why in one line on stderr and exits with status 1.
 */
import './nodeWarnings';
import dotenv from 'dotenv';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import type { StartupError } from './app';

/** Prints the one line and exits; never the error's stack or anything attached to it. */
function cannotStart(error: unknown): never {
  // ConfigError and StartupError are worded for the operator and never hold a secret. StartupError is
  // recognised by name because app.ts is loaded only after the settings are read (see main).
  const known = error instanceof ConfigError || (error instanceof Error && error.name === ('StartupError' satisfies StartupError['name']));
  const message = error instanceof Error ? error.message : String(error);
  // An unexpected error's first line says what failed; the rest (a stack, a request dump) could hold anything.
  const line = known ? message.replace(/\s*[\r\n]+\s*/g, ' ') : (message.split(/\r?\n/)[0] ?? '');
  process.stderr.write(`gorgias-bot cannot start: ${line}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  // Loading the bot (botbuilder, restify) takes a second or more; a bad setting is reported before that.
  const { buildApp, StartupError } = await import('./app');
  const app = await buildApp(config, logger);

  // A port already in use, or one the process may not bind, would otherwise crash with a stack trace.
  const onListenError = (error: NodeJS.ErrnoException): void => {
    cannotStart(new StartupError(`cannot listen on PORT ${config.port} (${error.code ?? error.message})`));
  };
  app.server.once('error', onListenError);

  // No host: listen on IPv4 and IPv6 alike, since the Emulator's "localhost" may resolve to either.
  app.server.listen(config.port, () => {
    app.server.removeListener('error', onListenError);
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info(
      { event: 'server.listening', port, auth: config.botFramework.MicrosoftAppId ? 'bot-framework' : 'none (Emulator)' },
      `gorgias-bot listening: connect the Bot Framework Emulator to http://localhost:${port}/api/messages`,
    );
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second signal: the operator will not wait for the turns in flight.
      logger.warn({ event: 'server.stopping_now', signal }, 'stopping now; turns in flight are cut off');
      app.abort();
      return;
    }
    stopping = true;
    logger.info({ event: 'server.stopping', signal, graceMs: config.shutdownGraceMs }, 'stopping: finishing the turns in flight');
    app.close(config.shutdownGraceMs).then(
      (inTime) => process.exit(inTime ? 0 : 1),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch(cannotStart);
