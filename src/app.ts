/**
 * Wires the bot together from a validated configuration: storage, encryption, the Gorgias client, the
 * dialogs, the bot, the adapter and the HTTP server. index.ts runs it; the end-to-end tests build the
 * very same thing, and the dialog tests build the bot itself with createBot.
 */
import type http from 'node:http';
import type { ConversationState, Storage } from 'botbuilder';
import type { Server } from 'restify';
import type { Logger } from 'pino';
import type { AppConfig, GorgiasAction } from './config';
import { createStorage } from './storage/createStorage';
import { HealthTrackingStorage } from './storage/healthTrackingStorage';
import { OptimisticConversationState } from './storage/optimisticConversationState';
import { SecretBox } from './security/secretBox';
import { loadOrCreateKeyFile } from './security/encryptionKeyFile';
import { FailureLimiter } from './security/failureLimiter';
import { GorgiasClient, userAgentFor } from './gorgias/client';
import { OperatorConnection } from './operatorConnection';
import { ProfileStore } from './profileStore';
import { OperatorCredentials, UserProfileCredentials, type CredentialsSource } from './turnCredentials';
import { ConnectGorgiasDialog } from '../dialogs/connectGorgiasDialog';
import { GorgiasActions } from '../dialogs/gorgiasActions';
import { GorgiasBot } from './bot';
import { createAdapter } from './adapter';
import { createServer } from './server';
import { BOT_NAME, BOT_VERSION } from './version';
import * as say from './messages/bot';
import { UncertainCreates, type UncertainCreate } from '../dialogs/uncertainCreates';

export interface App {
  server: Server;
  /** The state storage itself (what the bot uses goes through a HealthTrackingStorage around it). */
  storage: Storage;
  /**
   * Stops: no new connections, and 503 for requests that still arrive on open ones; the requests in
   * flight get up to `graceMs` to finish, then their connections are cut. Storage is flushed and
   * released last. Resolves true when everything in flight finished in time.
   */
  close(graceMs?: number): Promise<boolean>;
  /** Cuts every connection now (a second stop signal); a close() under way then finishes at once. */
  abort(): void;
}

/** How long requests in flight get to finish when the bot is stopped, unless told otherwise. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/** How often connections that finished their request are closed while stopping. */
const IDLE_SWEEP_MS = 100;

/** A problem found while starting that must stop the bot; `message` is the one line to print. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

export async function buildApp(config: AppConfig, logger: Logger): Promise<App> {
  const secrets = new SecretBox(encryptionKey(config, logger), config.encryption.previousKey);

  let storageHandle;
  try {
    storageHandle = await createStorage(config.storage);
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
  // Every call goes through the health tracker, so /healthz can tell a storage that fails every turn.
  const storage = new HealthTrackingStorage(storageHandle.storage);
  logger.info({ event: 'storage.ready', storage: storageHandle.describe }, `conversation state in ${storageHandle.describe}`);

  const gorgias = new GorgiasClient({
    urlTemplate: config.gorgias.urlTemplate,
    timeoutMs: config.gorgias.timeoutMs,
    authCheckPath: config.gorgias.authCheckPath,
    userAgent: userAgentFor(BOT_NAME, BOT_VERSION),
    rateLimit: config.gorgias.rateLimit,
  });

  const conversationState = new OptimisticConversationState(storage);
  const profiles = new ProfileStore(conversationState, secrets);
  let credentials: CredentialsSource;
  try {
    credentials = await credentialsSource(config, gorgias, profiles, logger);
  } catch (error) {
    // Nothing will serve: release the connections and the storage before reporting.
    gorgias.close();
    await storageHandle.close();
    throw error;
  }

  const bot = createBot({
    storage,
    conversationState,
    secrets,
    gorgias,
    credentials,
    profiles,
    settings: {
      urlTemplate: config.gorgias.urlTemplate,
      actions: config.actions,
      bruteForce: config.bruteForce,
      maxVerifyFailures: config.gorgias.maxVerifyFailures,
      botAppId: config.botFramework.MicrosoftAppId,
    },
    logger,
  });
  const adapter = createAdapter(config.botFramework, logger, (context) => bot.resetDialog(context));
  let stopping = false;
  const server = createServer({
    adapter,
    bot,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    loopbackChannelsOnly: !config.botFramework.MicrosoftAppId && config.anonymousServiceUrls === 'loopback',
    stopping: () => stopping,
    storageHealth: () => storage.health,
  });
  // restify's own server is the node one underneath, which can close connections by state.
  // (restify types it as http, https or spdy; this bot serves plain http, TLS ends in front of it.)
  const httpServer = server.server as http.Server;
  let closing: Promise<boolean> | undefined;
  let aborted = false;

  return {
    server,
    storage: storageHandle.storage,
    close(graceMs = DEFAULT_SHUTDOWN_GRACE_MS) {
      closing ??= (async () => {
        stopping = true;
        const drained = new Promise<void>((resolve) => server.close(() => resolve()));
        // A kept-alive connection stays open after its request: close each as soon as it is idle.
        httpServer.closeIdleConnections();
        const sweep = setInterval(() => httpServer.closeIdleConnections(), IDLE_SWEEP_MS);
        let timer: NodeJS.Timeout | undefined;
        const inTime = await Promise.race([
          drained.then(() => true),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), graceMs);
          }),
        ]);
        clearInterval(sweep);
        clearTimeout(timer);
        if (!inTime) {
          logger.warn({ event: 'server.stop_timeout', graceMs }, 'requests still in flight at the end of the grace period were cut off');
          httpServer.closeAllConnections();
        }
        gorgias.close();
        // Flushes writes still waiting for their commit (SQLite).
        await storageHandle.close();
        return inTime && !aborted;
      })();
      return closing;
    },
    abort() {
      stopping = true;
      aborted = true;
      httpServer.closeAllConnections();
    },
  };
}

/** What the bot takes from the configuration. */
export interface BotSettings {
  /** GORGIAS_URL_TEMPLATE, for links to tickets in Gorgias. */
  urlTemplate: string;
  /** GORGIAS_ACTIONS: the ticket and customer actions users may take. */
  actions: readonly GorgiasAction[];
  /** AUTH_FAILURE_LIMIT per AUTH_FAILURE_WINDOW_MINUTES: failed credential checks allowed per user and conversation. */
  bruteForce: { maxFailures: number; windowMs: number };
  /** GORGIAS_MAX_VERIFY_FAILURES: failed verifications in a row before the connect dialog gives up. */
  maxVerifyFailures: number;
  /** MicrosoftAppId, for opening a one-to-one chat from a group (empty with the Emulator). */
  botAppId?: string;
}

/** Everything the bot is built from; buildApp and the dialog tests' harness each make their own. */
export interface BotParts {
  storage: Storage;
  conversationState: ConversationState;
  secrets: SecretBox;
  gorgias: GorgiasClient;
  credentials: CredentialsSource;
  profiles: ProfileStore;
  settings: BotSettings;
  logger: Logger;
}

/** The bot with its connect dialog and actions: the one place a new dependency of the bot is wired in. */
export function createBot(parts: BotParts): GorgiasBot {
  const { storage, conversationState, secrets, gorgias, credentials, profiles, settings, logger } = parts;
  const actions = new GorgiasActions(
    {
      gorgias,
      credentials,
      profiles,
      urlTemplate: settings.urlTemplate,
      ticketCursor: conversationState.createProperty<string | undefined>('ticketCursor'),
      retryCommand: conversationState.createProperty<string | undefined>('retryCommand'),
      uncertainCreates: new UncertainCreates(conversationState.createProperty<UncertainCreate[] | undefined>('uncertainCreates')),
      actionEnabled: (action) => settings.actions.includes(action),
      logger,
    },
    settings.actions,
  );
  const connectDialog = new ConnectGorgiasDialog({
    verifier: gorgias,
    saveProfile: (context, profile) => profiles.save(context, profile),
    secrets,
    limiter: new FailureLimiter(storage, settings.bruteForce.maxFailures, settings.bruteForce.windowMs),
    maxVerifyFailures: settings.maxVerifyFailures,
    nextSteps: () => [...actions.buttons(), say.STATUS, say.DISCONNECT, say.HELP],
    logger,
  });
  return new GorgiasBot({ conversationState, connectDialog, actions, credentials, profiles, logger, botAppId: settings.botAppId });
}

/** STATE_ENCRYPTION_KEY, or for a single local instance a key file created on first start. */
function encryptionKey(config: AppConfig, logger: Logger): Buffer {
  if (config.encryption.currentKey) return config.encryption.currentKey;
  try {
    const file = loadOrCreateKeyFile(config.dataDir);
    if (file.created) {
      logger.warn(
        { event: 'encryption.key_created', path: file.path },
        `STATE_ENCRYPTION_KEY is not set: created a local encryption key at ${file.path} (mode 0600). Set STATE_ENCRYPTION_KEY in production.`,
      );
    } else {
      logger.info({ event: 'encryption.key_file', path: file.path }, 'STATE_ENCRYPTION_KEY is not set: using the local key file');
    }
    return file.key;
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
}

async function credentialsSource(config: AppConfig, gorgias: GorgiasClient, profiles: ProfileStore, logger: Logger): Promise<CredentialsSource> {
  if (config.auth.mode === 'user') {
    const ignored = config.auth.ignoredOperatorSettings ?? [];
    if (ignored.length > 0) {
      // Likely a leftover or a typo: the operator expects users never to be asked, and they will be.
      logger.warn(
        { event: 'config.operator_credentials_ignored', settings: ignored },
        `GORGIAS_AUTH_MODE=user: ignoring ${ignored.join(', ')}; every user connects their own account`,
      );
    }
    return new UserProfileCredentials(profiles);
  }

  const operator = new OperatorConnection(config.auth.operator, gorgias, undefined, logger);
  const startup = await operator.verifyAtStartup();
  switch (startup.verdict) {
    case 'connected':
      logger.info(
        { event: 'operator.verified', subdomain: operator.credentials.subdomain, email: operator.credentials.email, accountDomain: startup.account.domain },
        `connected to ${operator.host} as ${operator.credentials.email}`,
      );
      break;
    case 'deferred':
      logger.warn({ event: 'operator.verification_deferred', failure: startup.failure.kind }, `${startup.message}; will verify again on first use`);
      break;
    case 'fatal':
      throw new StartupError(startup.message);
  }
  return new OperatorCredentials(operator);
}
