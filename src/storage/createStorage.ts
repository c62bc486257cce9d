/**
 * Builds the botbuilder Storage that holds conversation and user state, from settings.
 *
 * Nothing here puts a secret (connection string, account key, auth key) into an error message or `describe`.
 */
import { MemoryStorage, Storage } from 'botbuilder';
import type { BlobsStorageOptions } from 'botbuilder-azure-blobs';
import path from 'path';
import { SqliteStorage } from './sqliteStorage';

export type StorageSettings =
  | { kind: 'memory' }
  | { kind: 'sqlite'; dataDir: string }
  | { kind: 'blob'; connectionString: string; container: string }
  | { kind: 'cosmos'; endpoint: string; authKey: string; databaseId: string; containerId: string };

export interface CreateStorageOptions {
  /** How long the Azure Blob Storage startup probe may take. Default 10 s. */
  probeTimeoutMs?: number;
}

export interface CreatedStorage {
  storage: Storage;
  close(): Promise<void>;
  /** A short human label, without secrets. */
  describe: string;
}

export const SQLITE_FILE_NAME = 'state.sqlite';
export const BLOB_PROBE_KEY = '__gorgias-bot-startup-probe__';
const DEFAULT_PROBE_TIMEOUT_MS = 10_000;
const COSMOS_INSTALL_HINT = 'STORAGE=cosmos needs the botbuilder-azure package: npm install botbuilder-azure@4.23.3';

export async function createStorage(
  settings: StorageSettings,
  options: CreateStorageOptions = {},
): Promise<CreatedStorage> {
  switch (settings.kind) {
    case 'memory':
      return { storage: new MemoryStorage(), close: async () => undefined, describe: 'memory (lost on restart)' };

    case 'sqlite': {
      const filePath = path.join(settings.dataDir, SQLITE_FILE_NAME);
      let storage: SqliteStorage;
      try {
        storage = new SqliteStorage(filePath);
      } catch (err) {
        // SQLite's own words ("unable to open database file") name neither the file nor the setting.
        throw new Error(`SQLite storage ${filePath} cannot be opened (check DATA_DIR): ${shortReason(err, '')}`);
      }
      return { storage, close: async () => storage.close(), describe: `sqlite at ${filePath}` };
    }

    case 'blob':
      return createBlobStorage(settings.connectionString, settings.container, options.probeTimeoutMs);

    case 'cosmos':
      return createCosmosStorage(settings);

    default: {
      const unknownKind: never = settings;
      throw new Error(`Unknown storage kind: ${String((unknownKind as { kind?: unknown }).kind)}`);
    }
  }
}

async function createBlobStorage(
  connectionString: string,
  container: string,
  probeTimeoutMs = DEFAULT_PROBE_TIMEOUT_MS,
): Promise<CreatedStorage> {
  const unreachable = (reason: string): Error =>
    new Error(`Azure Blob Storage is not reachable (container "${container}"): ${reason}`);
  if (!/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(container)) {
    throw new Error(
      `Azure Blob Storage container name "${container}" is invalid: use 3 to 63 lowercase letters, digits and single hyphens`,
    );
  }

  const { BlobsStorage } = await import('botbuilder-azure-blobs');
  let storage: Storage;
  let probe: Storage;
  try {
    storage = new BlobsStorage(connectionString, container);
    // The probe gets its own client that tries once and gives up by the deadline, so a dead endpoint fails
    // fast and leaves no retries running in the background; the bot's client keeps the SDK's retry policy.
    const probeOptions: BlobsStorageOptions = {
      storagePipelineOptions: { retryOptions: { maxTries: 1, tryTimeoutInMs: probeTimeoutMs } },
    };
    probe = new BlobsStorage(connectionString, container, probeOptions);
  } catch (err) {
    throw new Error(`Azure Blob Storage settings are invalid (container "${container}"): ${shortReason(err, connectionString)}`);
  }

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${probeTimeoutMs} ms`)), probeTimeoutMs);
  });
  try {
    // Creates the container if needed (BlobsStorage does that on first use) and reads one absent key.
    await Promise.race([probe.read([BLOB_PROBE_KEY]), deadline]);
  } catch (err) {
    throw unreachable(shortReason(err, connectionString));
  } finally {
    clearTimeout(timer);
  }

  return { storage, close: async () => undefined, describe: `Azure Blob Storage container "${container}"` };
}

/** The constructor options of botbuilder-azure's CosmosDbPartitionedStorage that we use. */
interface CosmosDbPartitionedStorageOptions {
  cosmosDbEndpoint: string;
  authKey: string;
  databaseId: string;
  containerId: string;
}

interface BotbuilderAzureModule {
  CosmosDbPartitionedStorage: new (options: CosmosDbPartitionedStorageOptions) => Storage;
}

function createCosmosStorage(settings: Extract<StorageSettings, { kind: 'cosmos' }>): CreatedStorage {
  const moduleName = 'botbuilder-azure';
  let azure: BotbuilderAzureModule;
  try {
    // A runtime require of an optional package that is not installed by default (it would pull in the Cosmos SDK).
    azure = require(moduleName) as BotbuilderAzureModule;
  } catch (err) {
    if (isModuleNotFound(err, moduleName)) {
      throw new Error(COSMOS_INSTALL_HINT);
    }
    throw new Error(`Could not load botbuilder-azure: ${shortReason(err, settings.authKey)}`);
  }
  if (typeof azure.CosmosDbPartitionedStorage !== 'function') {
    throw new Error(`The installed botbuilder-azure has no CosmosDbPartitionedStorage. ${COSMOS_INSTALL_HINT}`);
  }

  let storage: Storage;
  try {
    storage = new azure.CosmosDbPartitionedStorage({
      cosmosDbEndpoint: settings.endpoint,
      authKey: settings.authKey,
      databaseId: settings.databaseId,
      containerId: settings.containerId,
    });
  } catch (err) {
    throw new Error(`Azure Cosmos DB settings are invalid: ${shortReason(err, settings.authKey)}`);
  }
  return {
    storage,
    close: async () => undefined,
    describe: `Azure Cosmos DB container "${settings.containerId}" in database "${settings.databaseId}"`,
  };
}

/** Error-like, checked by shape: errors from another realm (jest's module registry, vm) fail `instanceof Error`. */
interface ErrorLike {
  message: string;
  code?: unknown;
  statusCode?: unknown;
}

function isErrorLike(err: unknown): err is ErrorLike {
  return typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string';
}

function isModuleNotFound(err: unknown, moduleName: string): boolean {
  // Only the package itself being absent; a broken dependency inside it is a different problem.
  return isErrorLike(err) && err.code === 'MODULE_NOT_FOUND' && err.message.includes(`'${moduleName}'`);
}

/** The first line of an error's message (or its code / HTTP status), with anything secret-looking masked. */
function shortReason(err: unknown, secret: string): string {
  let reason = '';
  if (isErrorLike(err)) {
    reason = err.message.split(/\r?\n/, 1)[0].trim();
    const { code, statusCode } = err;
    if (!reason && typeof code === 'string') {
      reason = code;
    }
    if (typeof statusCode === 'number' && !reason.includes(String(statusCode))) {
      reason = `HTTP ${statusCode}${reason ? ` ${reason}` : ''}`;
    }
  } else if (typeof err === 'string') {
    reason = err.split(/\r?\n/, 1)[0].trim();
  }
  return redact(reason || 'unknown error', secret).slice(0, 300);
}

function redact(text: string, secret: string): string {
  let out = secret ? text.split(secret).join('***') : text;
  out = out
    .replace(/(AccountKey|SharedAccessSignature|SharedAccessKey)=[^;\s]*/gi, '$1=***')
    .replace(/([?&]sig=)[^&\s]*/gi, '$1***');
  // Any account key that appears on its own (base64, 64+ characters).
  return out.replace(/[A-Za-z0-9+/]{60,}={0,2}/g, '***');
}
