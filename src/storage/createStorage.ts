/**
 * Builds the botbuilder Storage that holds conversation and user state, from settings.
 *
 * Nothing here puts a secret (connection string, account key, auth key) into an error message or `describe`.
 */
import { MemoryStorage, Storage } from 'botbuilder';
import type { BlobsStorageOptions } from 'botbuilder-azure-blobs';
import path from 'path';
import { SqliteStorage, sqliteProblemKind, type SqliteStartupProblem } from './sqliteStorage';
import { DeadlineStorage } from './deadlineStorage';

export type StorageSettings =
  | { kind: 'memory' }
  | { kind: 'sqlite'; dataDir: string }
  | { kind: 'blob'; connectionString: string; container: string }
  | { kind: 'cosmos'; endpoint: string; authKey: string; databaseId: string; containerId: string };

export interface CreateStorageOptions {
  /** How long the Azure Blob Storage startup probe may take. Default 10 s. */
  probeTimeoutMs?: number;
  /** How long any one call to Blob Storage or Cosmos DB may take once running. Default CLOUD_CALL_DEADLINE_MS. */
  callDeadlineMs?: number;
}

/**
 * Every Blob Storage call is made inside a turn, and Azure Bot Service gives up on a turn after 15 s. The
 * SDK's defaults (4 tries, backoff from 4 s, and no client-side timeout at all: its `tryTimeoutInMs` is only
 * sent to the service) left a turn waiting for good on an endpoint that never answers and took 32 s to fail
 * on a refused connection. With these, a call that cannot succeed fails within 3 tries of 2 s and 0.25 s
 * between them, about 6 s. A turn whose storage fails makes no second call (see GorgiasBot.run), so it
 * ends well within the 15 s. A small state blob answers in milliseconds: a try still without an answer
 * after 2 s is better tried again.
 */
export const BLOB_TRY_TIMEOUT_MS = 2_000;
export const BLOB_MAX_TRIES = 3;
const BLOB_RETRY_DELAY_MS = 250;
const BLOB_MAX_RETRY_DELAY_MS = 1_000;
/**
 * The most any one call to a cloud storage may take, whatever its SDK does: the tries above cover a
 * request until its answer's headers, not a body that stops halfway, and Cosmos DB sets its own.
 */
export const CLOUD_CALL_DEADLINE_MS = 8_000;

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
        throw new Error(
          `SQLite storage ${filePath} cannot be opened (check DATA_DIR): ${shortReason(err, '')}${sqliteAdvice(sqliteProblemKind(err))}`,
        );
      }
      // A damaged or read-only file opens without complaint; found only by the first turn, every turn would fail.
      const problem = storage.startupCheck();
      if (problem) {
        closeQuietly(storage);
        throw new Error(sqliteProblemLine(filePath, problem));
      }
      return { storage, close: async () => storage.close(), describe: `sqlite at ${filePath}` };
    }

    case 'blob':
      return withDeadline(
        await createBlobStorage(settings.connectionString, settings.container, options.probeTimeoutMs),
        options.callDeadlineMs,
      );

    case 'cosmos':
      return withDeadline(createCosmosStorage(settings), options.callDeadlineMs);

    default: {
      const unknownKind: never = settings;
      throw new Error(`Unknown storage kind: ${String((unknownKind as { kind?: unknown }).kind)}`);
    }
  }
}

function withDeadline(created: CreatedStorage, deadlineMs = CLOUD_CALL_DEADLINE_MS): CreatedStorage {
  return { ...created, storage: new DeadlineStorage(created.storage, deadlineMs) };
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
  try {
    const pipelineOptions: BlobPipelineOptions = {
      retryOptions: {
        maxTries: BLOB_MAX_TRIES,
        // Sent to the service as its own timeout, in whole seconds; the client side is the policy below.
        tryTimeoutInMs: BLOB_TRY_TIMEOUT_MS,
        retryDelayInMs: BLOB_RETRY_DELAY_MS,
        maxRetryDelayInMs: BLOB_MAX_RETRY_DELAY_MS,
      },
      additionalPolicies: [{ policy: tryTimeoutPolicy(BLOB_TRY_TIMEOUT_MS), position: 'perRetry' }],
    };
    const options: BlobsStorageOptions = { storagePipelineOptions: pipelineOptions };
    storage = new BlobsStorage(connectionString, container, options);
    // The SDK keeps this very object and reads it again for every client it derives from the container's
    // (one per blob key), each adding `additionalPolicies` once more to the pipeline they all share, which
    // refuses a second policy of the same name. The container client built just now has added it for all.
    delete pipelineOptions.additionalPolicies;
  } catch (err) {
    throw new Error(`Azure Blob Storage settings are invalid (container "${container}"): ${shortReason(err, connectionString)}`);
  }

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${probeTimeoutMs} ms`)), probeTimeoutMs);
  });
  try {
    // Creates the container if needed and reads one absent key, with the very client the bot will use:
    // BlobsStorage creates the container on its first call and keeps that call's promise for good, so a
    // first call that failed during a turn would fail every later call until a restart. Its retries are
    // bounded (above), so a probe that loses the race leaves nothing running for long.
    await Promise.race([storage.read([BLOB_PROBE_KEY]), deadline]);
  } catch (err) {
    throw unreachable(shortReason(err, connectionString));
  } finally {
    clearTimeout(timer);
  }

  return { storage, close: async () => undefined, describe: `Azure Blob Storage container "${container}"` };
}

/** @azure/abort-controller's AbortSignalLike, as far as the try timeout needs it. */
interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
}

/** The parts of @azure/core-rest-pipeline's PipelineRequest that the try timeout uses. */
interface PipelineRequestLike {
  abortSignal?: AbortSignalLike;
}

/** @azure/core-rest-pipeline's PipelinePolicy, as far as the try timeout needs it. */
interface PipelinePolicyLike {
  name: string;
  sendRequest(request: PipelineRequestLike, next: (request: PipelineRequestLike) => Promise<unknown>): Promise<unknown>;
}

/**
 * StoragePipelineOptions as @azure/storage-blob uses them: it hands all of them to its core client, which
 * adds `additionalPolicies` to the pipeline, though StoragePipelineOptions does not declare them. The
 * storage tests check against a server that never answers that the timeout really applies.
 */
type BlobPipelineOptions = NonNullable<BlobsStorageOptions['storagePipelineOptions']> & {
  additionalPolicies?: Array<{ policy: PipelinePolicyLike; position: 'perCall' | 'perRetry' }>;
};

/**
 * A timed-out try, shaped so that the storage retry policy tries again: it retries only errors it takes for
 * a RestError (by name, as @azure/core-rest-pipeline's isRestError does for errors from another copy of
 * the SDK) and, among those, network errors such as ETIMEDOUT.
 */
class BlobTryTimeoutError extends Error {
  override readonly name = 'RestError';
  readonly code = 'ETIMEDOUT';
}

/**
 * Gives each try its own deadline for the answer's headers, by aborting the request. Placed after the
 * retry policy, it runs once per try; the AbortError that ends a try would end the whole call (the retry
 * policy retries no AbortError), so a try that ran out of time fails as a retriable timeout instead.
 *
 * Its own timer rather than the request's `timeout`: the SDK's HTTP client leaves that timer running after
 * a failed try (a refused connection), which keeps a process that should exit alive for one more timeout.
 */
function tryTimeoutPolicy(tryTimeoutMs: number): PipelinePolicyLike {
  return {
    name: 'gorgiasBotBlobTryTimeout',
    async sendRequest(request, next) {
      const callerSignal = request.abortSignal;
      const controller = new AbortController();
      // The caller's abort still reaches the request, and a body still being read after the headers.
      if (callerSignal?.aborted) controller.abort();
      else callerSignal?.addEventListener('abort', () => controller.abort(), { once: true });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, tryTimeoutMs);
      request.abortSignal = controller.signal;
      try {
        return await next(request);
      } catch (err) {
        if (timedOut) throw new BlobTryTimeoutError(`no answer within ${tryTimeoutMs} ms`);
        throw err;
      } finally {
        clearTimeout(timer);
        // The retry policy waits between tries on the request's signal: it must be the caller's again.
        request.abortSignal = callerSignal;
      }
    },
  };
}

function sqliteProblemLine(filePath: string, problem: SqliteStartupProblem): string {
  const what = { damaged: 'is damaged', 'read-only': 'cannot be written', other: 'cannot be used' }[problem.kind];
  return `SQLite storage ${filePath} ${what} (check DATA_DIR): ${problem.reason}${sqliteAdvice(problem.kind)}`;
}

/** What the operator can do about it, appended to the line; nothing when there is no general advice. */
function sqliteAdvice(kind: SqliteStartupProblem['kind']): string {
  switch (kind) {
    case 'damaged':
      return '; restore it from a backup, or move it and its -wal and -shm files out of DATA_DIR to start with empty state (users then connect again)';
    case 'read-only':
      return `; the bot's user must be able to write it, its -wal and -shm files and DATA_DIR itself`;
    case 'other':
      return '';
  }
}

function closeQuietly(storage: SqliteStorage): void {
  try {
    storage.close();
  } catch {
    // The problem already found is the one to report.
  }
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
