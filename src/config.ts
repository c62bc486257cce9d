/**
 * Configuration: read once at start from the environment (and `.env`, loaded by index.ts), validated
 * and turned into a typed object. Any bad value stops the bot with one line that names the
 * variable; no message ever contains a secret's value.
 */
import path from 'node:path';
import type { StorageSettings } from './storage/createStorage';
import type { GorgiasCredentials } from './gorgias/types';
import { validateUrlTemplate } from './gorgias/urls';
import { GORGIAS_API_KEY_BUDGET, type RateBudget } from './gorgias/rateLimiter';
import { parseSubdomain } from './validation/subdomain';
import { parseEmail } from './validation/email';
import { parseApiKey } from './validation/apiKey';
import { SecretBox } from './security/secretBox';

export const ALL_ACTIONS = ['recent', 'show', 'new', 'close', 'reopen', 'tag', 'delete', 'customer', 'new-customer'] as const;
export type GorgiasAction = (typeof ALL_ACTIONS)[number];

export type AuthSettings =
  /** `ignoredOperatorSettings`: operator credentials set while GORGIAS_AUTH_MODE=user, worth a warning at start. */
  | { mode: 'user'; ignoredOperatorSettings?: string[] }
  | { mode: 'preauthorized'; operator: GorgiasCredentials };

export interface AppConfig {
  port: number;
  logLevel: LogLevel;
  /** The raw Bot Framework settings, handed to ConfigurationBotFrameworkAuthentication as they are. */
  botFramework: {
    MicrosoftAppId: string;
    MicrosoftAppPassword: string;
    MicrosoftAppType: string;
    MicrosoftAppTenantId: string;
  };
  gorgias: {
    urlTemplate: string;
    timeoutMs: number;
    authCheckPath: string;
    maxVerifyFailures: number;
    /** Requests per account and window the client allows itself (Gorgias: 40 per 20 s for API keys). */
    rateLimit: RateBudget;
  };
  auth: AuthSettings;
  actions: GorgiasAction[];
  dataDir: string;
  storage: StorageSettings;
  encryption: { currentKey?: Buffer; previousKey?: Buffer };
  bruteForce: { maxFailures: number; windowMs: number };
  maxBodyBytes: number;
  /** SHUTDOWN_GRACE_MS: how long the turns in flight get to finish when the bot is stopped. */
  shutdownGraceMs: number;
  /**
   * ANONYMOUS_SERVICE_URLS: with no MicrosoftAppId nothing authenticates a caller, and the bot would post
   * its replies to whatever serviceUrl a request names; `loopback` (the default) answers only this machine.
   */
  anonymousServiceUrls: 'loopback' | 'any';
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A configuration problem, worded for the operator who reads the one line it prints. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** Empty strings in `.env` (`FOO=`) mean "not set", as people expect. */
function read(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/**
 * A setting's value, quoted back in an error. Never used for a secret. Long values are cut and invisible
 * characters escaped, so the message stays the one readable line index.ts prints.
 */
function quoted(raw: string): string {
  const shown = raw.length > 80 ? `${raw.slice(0, 79)}…` : raw;
  // JSON.stringify escapes line breaks and the other C0 controls; these would still break or garble the line.
  return JSON.stringify(shown).replace(/[\u007f-\u009f\u2028\u2029]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got ${quoted(raw)})`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = raw.toLowerCase();
  const match = allowed.find((option) => option.toLowerCase() === value);
  if (!match) throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got ${quoted(raw)})`);
  return match;
}

function parseAuthCheckPath(raw: string | undefined): string {
  const value = raw ?? '/api/account';
  // Only a plain absolute path of word segments: no scheme, host, query, fragment, dot segment or encoded
  // character can get through, so the verification call cannot be pointed anywhere but the account's own API.
  if (!/^(?:\/[A-Za-z0-9_-]+)+\/?$/.test(value)) {
    throw new ConfigError(`GORGIAS_AUTH_CHECK_PATH must be a plain path such as /api/account (got ${quoted(value)})`);
  }
  return value;
}

/** `A`, `A and B`, `A, B and C`. */
function namesList(names: string[]): string {
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : (names[0] ?? '');
}

function parseAuth(env: Env): AuthSettings {
  const domain = read(env, 'GORGIAS_DOMAIN');
  const email = read(env, 'GORGIAS_EMAIL');
  const apiKey = read(env, 'GORGIAS_API_KEY');
  const given = [
    domain !== undefined ? 'GORGIAS_DOMAIN' : undefined,
    email !== undefined ? 'GORGIAS_EMAIL' : undefined,
    apiKey !== undefined ? 'GORGIAS_API_KEY' : undefined,
  ].filter((name): name is string => name !== undefined);
  const explicitMode = read(env, 'GORGIAS_AUTH_MODE') !== undefined;
  const mode = oneOf(env, 'GORGIAS_AUTH_MODE', ['user', 'preauthorized'] as const, given.length > 0 ? 'preauthorized' : 'user');
  if (mode === 'user') return given.length > 0 ? { mode, ignoredOperatorSettings: given } : { mode };

  const missing = ['GORGIAS_DOMAIN', 'GORGIAS_EMAIL', 'GORGIAS_API_KEY'].filter((name) => !given.includes(name));
  if (missing.length > 0) {
    throw new ConfigError(
      explicitMode
        ? `GORGIAS_AUTH_MODE=preauthorized needs ${namesList(missing)} (the operator's Gorgias subdomain, email and API key)`
        : `${namesList(given)} ${given.length > 1 ? 'are' : 'is'} set, so the bot runs in preauthorized mode, which also needs ${namesList(missing)}; set ${missing.length > 1 ? 'them' : 'it'}, or set GORGIAS_AUTH_MODE=user`,
    );
  }
  const subdomain = parseSubdomain(domain as string);
  if (!subdomain.ok) throw new ConfigError(`GORGIAS_DOMAIN is not a Gorgias subdomain: ${subdomain.reason}`);
  const parsedEmail = parseEmail(email as string);
  if (!parsedEmail.ok) throw new ConfigError(`GORGIAS_EMAIL is not valid: ${parsedEmail.reason}`);
  const parsedKey = parseApiKey(apiKey as string);
  // parseApiKey's reasons never quote the key, so this line is safe to print.
  if (!parsedKey.ok) throw new ConfigError(`GORGIAS_API_KEY is not valid: ${parsedKey.reason}`);
  return { mode, operator: { subdomain: subdomain.value, email: parsedEmail.value, apiKey: parsedKey.value } };
}

function parseActions(env: Env, auth: AuthSettings): GorgiasAction[] {
  const raw = read(env, 'GORGIAS_ACTIONS');
  // A customer-facing bot acting with the operator's key must not let anyone list or close every ticket.
  if (raw === undefined) return auth.mode === 'preauthorized' ? ['new'] : [...ALL_ACTIONS];
  if (raw.toLowerCase() === 'none') return [];
  const names = raw.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
  // Commas alone would otherwise read as an empty list, turning every action off without a word.
  if (names.length === 0) {
    throw new ConfigError(`GORGIAS_ACTIONS names no action (got ${quoted(raw)}); list actions from ${ALL_ACTIONS.join(', ')}, or write none to offer none`);
  }
  const unknown = names.filter((name) => !(ALL_ACTIONS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new ConfigError(`GORGIAS_ACTIONS has unknown action(s) ${unknown.join(', ')}; choose from ${ALL_ACTIONS.join(', ')}, or none`);
  }
  return ALL_ACTIONS.filter((action) => names.includes(action));
}

function parseStorage(env: Env, dataDir: string): StorageSettings {
  const kind = oneOf(env, 'STORAGE', ['sqlite', 'memory', 'blob', 'cosmos'] as const, 'sqlite');
  switch (kind) {
    case 'memory':
      return { kind };
    case 'sqlite':
      return { kind, dataDir };
    case 'blob': {
      const connectionString = read(env, 'AZURE_STORAGE_CONNECTION_STRING');
      if (!connectionString) throw new ConfigError('STORAGE=blob needs AZURE_STORAGE_CONNECTION_STRING');
      const container = read(env, 'AZURE_STORAGE_CONTAINER') ?? 'gorgias-bot-state';
      if (!/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(container)) {
        throw new ConfigError(`AZURE_STORAGE_CONTAINER must be 3-63 lower-case letters, digits and single hyphens (got ${quoted(container)})`);
      }
      return { kind, connectionString, container };
    }
    case 'cosmos': {
      const endpoint = read(env, 'COSMOS_DB_ENDPOINT');
      const authKey = read(env, 'COSMOS_DB_AUTH_KEY');
      const missing = [endpoint ? undefined : 'COSMOS_DB_ENDPOINT', authKey ? undefined : 'COSMOS_DB_AUTH_KEY'].filter(Boolean);
      if (missing.length > 0) throw new ConfigError(`STORAGE=cosmos needs ${missing.join(', ')}`);
      return {
        kind,
        endpoint: endpoint as string,
        authKey: authKey as string,
        databaseId: read(env, 'COSMOS_DB_DATABASE_ID') ?? 'gorgias-bot',
        containerId: read(env, 'COSMOS_DB_CONTAINER_ID') ?? 'bot-state',
      };
    }
  }
}

function parseEncryption(env: Env, storage: StorageSettings): AppConfig['encryption'] {
  const current = read(env, 'STATE_ENCRYPTION_KEY');
  const previous = read(env, 'STATE_ENCRYPTION_KEY_PREVIOUS');
  const shared = storage.kind === 'blob' || storage.kind === 'cosmos';
  if (!current && shared) {
    // Every instance sharing the storage must open what the others sealed, so a per-machine key file cannot work.
    throw new ConfigError(`STATE_ENCRYPTION_KEY is required with STORAGE=${storage.kind}: all instances must share one key`);
  }
  if (!current && previous) throw new ConfigError('STATE_ENCRYPTION_KEY_PREVIOUS is set but STATE_ENCRYPTION_KEY is not');
  try {
    return {
      currentKey: current ? SecretBox.parseKey(current, 'STATE_ENCRYPTION_KEY') : undefined,
      previousKey: previous ? SecretBox.parseKey(previous, 'STATE_ENCRYPTION_KEY_PREVIOUS') : undefined,
    };
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/**
 * What the SDK's credential factory requires of each MicrosoftAppType, checked here: the SDK would refuse the
 * same settings only once the bot is half built (after creating the key file and opening storage).
 */
function checkAppType(
  appType: 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI',
  appId: string,
  appPassword: string,
  tenantId: string,
): void {
  const missing = [appId ? undefined : 'MicrosoftAppId', tenantId ? undefined : 'MicrosoftAppTenantId'].filter(
    (name): name is string => name !== undefined,
  );
  if (appType === 'UserAssignedMSI') {
    if (missing.length > 0) {
      throw new ConfigError(`MicrosoftAppType=UserAssignedMSI needs ${namesList(missing)} (the managed identity's client id and its tenant)`);
    }
    if (appPassword) {
      throw new ConfigError('MicrosoftAppType=UserAssignedMSI takes no MicrosoftAppPassword (the managed identity replaces it); leave it empty');
    }
    return;
  }
  if (appType === 'SingleTenant') {
    // The SDK refuses SingleTenant without an app id too, so it cannot mean "the Emulator" as MultiTenant does.
    if (missing.length > 0) throw new ConfigError(`MicrosoftAppType=SingleTenant needs ${namesList(missing)}`);
  }
  if (appId && !appPassword) {
    throw new ConfigError('MicrosoftAppId is set but MicrosoftAppPassword is not');
  }
}

export function loadConfig(env: Env): AppConfig {
  const urlTemplate = read(env, 'GORGIAS_URL_TEMPLATE') ?? 'https://{subdomain}.gorgias.com';
  const templateProblem = validateUrlTemplate(urlTemplate);
  if (templateProblem) throw new ConfigError(`GORGIAS_URL_TEMPLATE is not usable: ${templateProblem}`);

  const appType = oneOf(env, 'MicrosoftAppType', ['MultiTenant', 'SingleTenant', 'UserAssignedMSI'] as const, 'MultiTenant');
  const appId = read(env, 'MicrosoftAppId') ?? '';
  const appPassword = read(env, 'MicrosoftAppPassword') ?? '';
  const tenantId = read(env, 'MicrosoftAppTenantId') ?? '';
  checkAppType(appType, appId, appPassword, tenantId);

  const dataDir = path.resolve(read(env, 'DATA_DIR') ?? 'data');
  const auth = parseAuth(env);
  const storage = parseStorage(env, dataDir);

  return {
    port: integer(env, 'PORT', 3978, 0, 65535),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    botFramework: { MicrosoftAppId: appId, MicrosoftAppPassword: appPassword, MicrosoftAppType: appType, MicrosoftAppTenantId: tenantId },
    gorgias: {
      urlTemplate,
      timeoutMs: integer(env, 'GORGIAS_TIMEOUT_MS', 10_000, 100, 120_000),
      authCheckPath: parseAuthCheckPath(read(env, 'GORGIAS_AUTH_CHECK_PATH')),
      maxVerifyFailures: integer(env, 'GORGIAS_MAX_VERIFY_FAILURES', 3, 1, 20),
      rateLimit: {
        maxRequests: integer(env, 'GORGIAS_RATE_LIMIT_MAX', GORGIAS_API_KEY_BUDGET.maxRequests, 1, 10_000),
        windowMs: integer(env, 'GORGIAS_RATE_LIMIT_WINDOW_MS', GORGIAS_API_KEY_BUDGET.windowMs, 100, 3_600_000),
      },
    },
    auth,
    actions: parseActions(env, auth),
    dataDir,
    storage,
    encryption: parseEncryption(env, storage),
    bruteForce: {
      maxFailures: integer(env, 'AUTH_FAILURE_LIMIT', 5, 1, 1000),
      windowMs: integer(env, 'AUTH_FAILURE_WINDOW_MINUTES', 15, 1, 24 * 60) * 60_000,
    },
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 256 * 1024, 1024, 10 * 1024 * 1024),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 10 * 60_000),
    anonymousServiceUrls: oneOf(env, 'ANONYMOUS_SERVICE_URLS', ['loopback', 'any'] as const, 'loopback'),
  };
}
