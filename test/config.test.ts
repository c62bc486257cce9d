/**
 * Every setting loadConfig reads: its default, the values it accepts, and the values it refuses. A
 * refusal is always a ConfigError whose message is one line naming the variable, and no message ever
 * holds a secret's value (each secret below is distinctive, so finding it anywhere is meaningful).
 */
import path from 'node:path';
import { createHash } from 'node:crypto';
import { ALL_ACTIONS, ConfigError, LOG_LEVELS, loadConfig, type AppConfig } from '../src/config';

type Env = Record<string, string | undefined>;

const API_KEY = 'cfg-operator-key-Q7vX2mL9pR4tZ8wK';
const APP_PASSWORD = 'cfg-app-password-H3jN6bV1cX5zM0qW';
const CONNECTION_STRING = 'DefaultEndpointsProtocol=https;AccountName=gbot;AccountKey=cfgBlobAccountKeyT5yU8iO2pA4sD6fG==;EndpointSuffix=core.windows.net';
const COSMOS_KEY = 'cfg-cosmos-auth-key-L1kJ3hG5fD7sA9qW';
const ENCRYPTION_KEY = createHash('sha256').update('config.test current').digest().toString('base64');
const PREVIOUS_ENCRYPTION_KEY = createHash('sha256').update('config.test previous').digest().toString('base64');
const SECRETS = [API_KEY, APP_PASSWORD, CONNECTION_STRING, 'cfgBlobAccountKeyT5yU8iO2pA4sD6fG', COSMOS_KEY, ENCRYPTION_KEY, PREVIOUS_ENCRYPTION_KEY];

const OPERATOR: Env = { GORGIAS_DOMAIN: 'acme', GORGIAS_EMAIL: 'ops@acme.com', GORGIAS_API_KEY: API_KEY };
const BLOB: Env = { STORAGE: 'blob', AZURE_STORAGE_CONNECTION_STRING: CONNECTION_STRING, STATE_ENCRYPTION_KEY: ENCRYPTION_KEY };
const COSMOS: Env = { STORAGE: 'cosmos', COSMOS_DB_ENDPOINT: 'https://gbot.documents.azure.com:443/', COSMOS_DB_AUTH_KEY: COSMOS_KEY, STATE_ENCRYPTION_KEY: ENCRYPTION_KEY };

function configErrorFor(env: Env): ConfigError {
  let config: AppConfig | undefined;
  try {
    config = loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).name).toBe('ConfigError');
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${Object.keys(env).join(', ')}, got a configuration (auth mode ${config.auth.mode})`);
}

function expectOneSafeLine(message: string): void {
  expect(message).not.toMatch(/[\r\n\u0085\u2028\u2029]/);
  expect(message.length).toBeGreaterThan(10);
  for (const secret of SECRETS) expect(message).not.toContain(secret);
}

describe('loadConfig with nothing set', () => {
  test('gives the documented defaults: user mode, sqlite in ./data, every action', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      port: 3978,
      logLevel: 'info',
      botFramework: { MicrosoftAppId: '', MicrosoftAppPassword: '', MicrosoftAppType: 'MultiTenant', MicrosoftAppTenantId: '' },
      gorgias: {
        urlTemplate: 'https://{subdomain}.gorgias.com',
        timeoutMs: 10_000,
        authCheckPath: '/api/account',
        maxVerifyFailures: 3,
        // Gorgias's documented budget for API-key integrations: 40 requests per 20 seconds.
        rateLimit: { maxRequests: 40, windowMs: 20_000 },
      },
      auth: { mode: 'user' },
      actions: [...ALL_ACTIONS],
      dataDir: path.resolve('data'),
      storage: { kind: 'sqlite', dataDir: path.resolve('data') },
      encryption: { currentKey: undefined, previousKey: undefined },
      bruteForce: { maxFailures: 5, windowMs: 15 * 60_000 },
      maxBodyBytes: 256 * 1024,
      shutdownGraceMs: 10_000,
      anonymousServiceUrls: 'loopback',
    });
  });

  test('treats empty and blank values (`FOO=` in .env) as not set', () => {
    const blank: Env = {};
    for (const name of ['PORT', 'LOG_LEVEL', 'GORGIAS_AUTH_MODE', 'GORGIAS_DOMAIN', 'GORGIAS_EMAIL', 'GORGIAS_API_KEY', 'GORGIAS_ACTIONS', 'STORAGE', 'STATE_ENCRYPTION_KEY', 'MicrosoftAppId']) {
      blank[name] = name === 'PORT' ? '   ' : '';
    }
    expect(loadConfig(blank)).toEqual(loadConfig({}));
  });
});

describe('loadConfig accepts', () => {
  test.each<[string, Env, (config: AppConfig) => unknown, unknown]>([
    ['PORT 0 (any free port)', { PORT: '0' }, (c) => c.port, 0],
    ['ANONYMOUS_SERVICE_URLS=any', { ANONYMOUS_SERVICE_URLS: 'any' }, (c) => c.anonymousServiceUrls, 'any'],
    ['ANONYMOUS_SERVICE_URLS=Loopback', { ANONYMOUS_SERVICE_URLS: 'Loopback' }, (c) => c.anonymousServiceUrls, 'loopback'],
    ['PORT 65535', { PORT: '65535' }, (c) => c.port, 65535],
    ['PORT with spaces around it', { PORT: ' 8080 ' }, (c) => c.port, 8080],
    ['LOG_LEVEL in capitals', { LOG_LEVEL: 'DEBUG' }, (c) => c.logLevel, 'debug'],
    ['MicrosoftAppType in any case', { MicrosoftAppType: 'usErassignedmsi', MicrosoftAppId: 'app-id', MicrosoftAppTenantId: 'tenant-1' }, (c) => c.botFramework, {
      MicrosoftAppId: 'app-id', MicrosoftAppPassword: '', MicrosoftAppType: 'UserAssignedMSI', MicrosoftAppTenantId: 'tenant-1',
    }],
    ['a UserAssignedMSI app with its tenant and no password', { MicrosoftAppType: 'UserAssignedMSI', MicrosoftAppId: 'msi-client-id', MicrosoftAppTenantId: 'tenant-1', MicrosoftAppPassword: '  ' }, (c) => c.botFramework, {
      MicrosoftAppId: 'msi-client-id', MicrosoftAppPassword: '', MicrosoftAppType: 'UserAssignedMSI', MicrosoftAppTenantId: 'tenant-1',
    }],
    ['a MultiTenant app with a tenant set anyway', { MicrosoftAppId: 'app-id', MicrosoftAppPassword: APP_PASSWORD, MicrosoftAppTenantId: 'tenant-1' }, (c) => c.botFramework.MicrosoftAppTenantId, 'tenant-1'],
    ['a MultiTenant app id with its password', { MicrosoftAppId: 'app-id', MicrosoftAppPassword: APP_PASSWORD }, (c) => c.botFramework, {
      MicrosoftAppId: 'app-id', MicrosoftAppPassword: APP_PASSWORD, MicrosoftAppType: 'MultiTenant', MicrosoftAppTenantId: '',
    }],
    ['a SingleTenant app with its tenant', { MicrosoftAppType: 'SingleTenant', MicrosoftAppId: 'app-id', MicrosoftAppPassword: APP_PASSWORD, MicrosoftAppTenantId: 'tenant-1' }, (c) => c.botFramework.MicrosoftAppTenantId, 'tenant-1'],
    ['GORGIAS_URL_TEMPLATE on http for a loopback IP', { GORGIAS_URL_TEMPLATE: 'http://127.0.0.1:4010/{subdomain}' }, (c) => c.gorgias.urlTemplate, 'http://127.0.0.1:4010/{subdomain}'],
    ['GORGIAS_URL_TEMPLATE on http for localhost', { GORGIAS_URL_TEMPLATE: 'http://localhost:4010/{subdomain}' }, (c) => c.gorgias.urlTemplate, 'http://localhost:4010/{subdomain}'],
    ['GORGIAS_URL_TEMPLATE on https anywhere', { GORGIAS_URL_TEMPLATE: 'https://{subdomain}.gorgias.example' }, (c) => c.gorgias.urlTemplate, 'https://{subdomain}.gorgias.example'],
    ['GORGIAS_TIMEOUT_MS at its lowest', { GORGIAS_TIMEOUT_MS: '100' }, (c) => c.gorgias.timeoutMs, 100],
    ['GORGIAS_TIMEOUT_MS at its highest', { GORGIAS_TIMEOUT_MS: '120000' }, (c) => c.gorgias.timeoutMs, 120_000],
    ['another GORGIAS_AUTH_CHECK_PATH', { GORGIAS_AUTH_CHECK_PATH: '/api/users/0' }, (c) => c.gorgias.authCheckPath, '/api/users/0'],
    ['GORGIAS_AUTH_CHECK_PATH with a trailing slash', { GORGIAS_AUTH_CHECK_PATH: '/api/account/' }, (c) => c.gorgias.authCheckPath, '/api/account/'],
    ['GORGIAS_MAX_VERIFY_FAILURES 1', { GORGIAS_MAX_VERIFY_FAILURES: '1' }, (c) => c.gorgias.maxVerifyFailures, 1],
    ['GORGIAS_MAX_VERIFY_FAILURES 20', { GORGIAS_MAX_VERIFY_FAILURES: '20' }, (c) => c.gorgias.maxVerifyFailures, 20],
    ['GORGIAS_RATE_LIMIT_MAX and GORGIAS_RATE_LIMIT_WINDOW_MS at their lowest', { GORGIAS_RATE_LIMIT_MAX: '1', GORGIAS_RATE_LIMIT_WINDOW_MS: '100' }, (c) => c.gorgias.rateLimit, { maxRequests: 1, windowMs: 100 }],
    ['GORGIAS_RATE_LIMIT_MAX and GORGIAS_RATE_LIMIT_WINDOW_MS at their highest', { GORGIAS_RATE_LIMIT_MAX: '10000', GORGIAS_RATE_LIMIT_WINDOW_MS: '3600000' }, (c) => c.gorgias.rateLimit, { maxRequests: 10_000, windowMs: 3_600_000 }],
    ['a relative DATA_DIR, made absolute', { DATA_DIR: 'var/state' }, (c) => c.dataDir, path.resolve('var/state')],
    ['STORAGE=memory', { STORAGE: 'memory' }, (c) => c.storage, { kind: 'memory' }],
    ['STORAGE=sqlite in DATA_DIR', { STORAGE: 'SQLite', DATA_DIR: '/srv/bot' }, (c) => c.storage, { kind: 'sqlite', dataDir: path.resolve('/srv/bot') }],
    ['STORAGE=blob with the default container', BLOB, (c) => c.storage, { kind: 'blob', connectionString: CONNECTION_STRING, container: 'gorgias-bot-state' }],
    ['STORAGE=blob with its own container', { ...BLOB, AZURE_STORAGE_CONTAINER: 'bot-2' }, (c) => c.storage, { kind: 'blob', connectionString: CONNECTION_STRING, container: 'bot-2' }],
    ['STORAGE=cosmos with the default database and container', COSMOS, (c) => c.storage, {
      kind: 'cosmos', endpoint: 'https://gbot.documents.azure.com:443/', authKey: COSMOS_KEY, databaseId: 'gorgias-bot', containerId: 'bot-state',
    }],
    ['STORAGE=cosmos with its own database and container', { ...COSMOS, COSMOS_DB_DATABASE_ID: 'db', COSMOS_DB_CONTAINER_ID: 'state' }, (c) => c.storage, {
      kind: 'cosmos', endpoint: 'https://gbot.documents.azure.com:443/', authKey: COSMOS_KEY, databaseId: 'db', containerId: 'state',
    }],
    ['STATE_ENCRYPTION_KEY and STATE_ENCRYPTION_KEY_PREVIOUS', { STATE_ENCRYPTION_KEY: ENCRYPTION_KEY, STATE_ENCRYPTION_KEY_PREVIOUS: PREVIOUS_ENCRYPTION_KEY }, (c) => c.encryption, {
      currentKey: Buffer.from(ENCRYPTION_KEY, 'base64'), previousKey: Buffer.from(PREVIOUS_ENCRYPTION_KEY, 'base64'),
    }],
    ['AUTH_FAILURE_LIMIT and AUTH_FAILURE_WINDOW_MINUTES at their lowest', { AUTH_FAILURE_LIMIT: '1', AUTH_FAILURE_WINDOW_MINUTES: '1' }, (c) => c.bruteForce, { maxFailures: 1, windowMs: 60_000 }],
    ['AUTH_FAILURE_LIMIT and AUTH_FAILURE_WINDOW_MINUTES at their highest', { AUTH_FAILURE_LIMIT: '1000', AUTH_FAILURE_WINDOW_MINUTES: '1440' }, (c) => c.bruteForce, { maxFailures: 1000, windowMs: 24 * 60 * 60_000 }],
    ['MAX_BODY_BYTES at its lowest', { MAX_BODY_BYTES: '1024' }, (c) => c.maxBodyBytes, 1024],
    ['MAX_BODY_BYTES at its highest', { MAX_BODY_BYTES: String(10 * 1024 * 1024) }, (c) => c.maxBodyBytes, 10 * 1024 * 1024],
    ['SHUTDOWN_GRACE_MS by default', {}, (c) => c.shutdownGraceMs, 10_000],
    ['SHUTDOWN_GRACE_MS of 0 (cut off at once)', { SHUTDOWN_GRACE_MS: '0' }, (c) => c.shutdownGraceMs, 0],
  ])('%s', (_name, env, pick, expected) => {
    expect(pick(loadConfig(env))).toEqual(expected);
  });

  test.each(LOG_LEVELS)('LOG_LEVEL=%s', (level) => {
    expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
  });
});

describe('GORGIAS_AUTH_MODE', () => {
  test('is user when no operator credential is set', () => {
    expect(loadConfig({}).auth).toEqual({ mode: 'user' });
  });

  test('is preauthorized when the operator credentials are set', () => {
    expect(loadConfig(OPERATOR).auth).toEqual({ mode: 'preauthorized', operator: { subdomain: 'acme', email: 'ops@acme.com', apiKey: API_KEY } });
  });

  test.each([
    ['user', { mode: 'user', ignoredOperatorSettings: ['GORGIAS_DOMAIN', 'GORGIAS_EMAIL', 'GORGIAS_API_KEY'] }],
    ['USER', { mode: 'user', ignoredOperatorSettings: ['GORGIAS_DOMAIN', 'GORGIAS_EMAIL', 'GORGIAS_API_KEY'] }],
    ['preauthorized', { mode: 'preauthorized', operator: { subdomain: 'acme', email: 'ops@acme.com', apiKey: API_KEY } }],
    ['PreAuthorized', { mode: 'preauthorized', operator: { subdomain: 'acme', email: 'ops@acme.com', apiKey: API_KEY } }],
  ])('can be set to %j explicitly, even with the operator credentials set', (mode, expected) => {
    expect(loadConfig({ ...OPERATOR, GORGIAS_AUTH_MODE: mode }).auth).toEqual(expected);
  });

  test.each([
    ['acme', 'acme'],
    ['ACME', 'acme'],
    ['acme.gorgias.com', 'acme'],
    ['https://acme.gorgias.com', 'acme'],
    ['https://acme.gorgias.com/api/', 'acme'],
    ['https://Acme.gorgias.com/app/tickets/123', 'acme'],
    ['  acme-store.gorgias.com  ', 'acme-store'],
  ])('reads GORGIAS_DOMAIN=%j as the subdomain %j, as the connect dialog would', (domain, subdomain) => {
    const auth = loadConfig({ ...OPERATOR, GORGIAS_DOMAIN: domain }).auth;
    expect(auth.mode === 'preauthorized' && auth.operator.subdomain).toBe(subdomain);
  });

  test('normalises the email domain and trims the key, like the connect dialog', () => {
    const auth = loadConfig({ ...OPERATOR, GORGIAS_EMAIL: ' Ops@ACME.com ', GORGIAS_API_KEY: `  ${API_KEY}\t` }).auth;
    expect(auth).toEqual({ mode: 'preauthorized', operator: { subdomain: 'acme', email: 'Ops@acme.com', apiKey: API_KEY } });
  });
});

describe('GORGIAS_ACTIONS', () => {
  test.each<[string, Env, string[]]>([
    ['all of them by default in user mode', {}, [...ALL_ACTIONS]],
    ['only "new" by default in preauthorized mode', OPERATOR, ['new']],
    ['none', { GORGIAS_ACTIONS: 'none' }, []],
    ['NONE in preauthorized mode', { ...OPERATOR, GORGIAS_ACTIONS: 'NONE' }, []],
    ['a list in any order and case, kept in the documented order', { GORGIAS_ACTIONS: ' New, recent ,SHOW,,' }, ['recent', 'show', 'new']],
    ['a wider list in preauthorized mode when the operator chooses it', { ...OPERATOR, GORGIAS_ACTIONS: 'recent,close' }, ['recent', 'close']],
    ['every action by name', { GORGIAS_ACTIONS: ALL_ACTIONS.join(',') }, [...ALL_ACTIONS]],
  ])('%s', (_name, env, expected) => {
    expect(loadConfig(env).actions).toEqual(expected);
  });
});

describe('loadConfig refuses, with one line naming the variable', () => {
  // The operator credentials are set in every case (unless the case changes them), so a message that
  // leaked the key would be caught whichever setting it is about.
  test.each<[string, Env, string, RegExp]>([
    ['a negative PORT', { PORT: '-1' }, 'PORT', /from 0 to 65535 \(got "-1"\)/],
    ['a PORT above 65535', { PORT: '65536' }, 'PORT', /from 0 to 65535/],
    ['a PORT that is not a number', { PORT: 'http' }, 'PORT', /whole number/],
    ['a fractional PORT', { PORT: '80.5' }, 'PORT', /whole number/],
    ['a hexadecimal PORT', { PORT: '0x50' }, 'PORT', /whole number/],
    ['a PORT in exponent form', { PORT: '1e3' }, 'PORT', /whole number/],
    ['two PORTs', { PORT: '3978 3979' }, 'PORT', /whole number/],
    ['a PORT with a line break inside, quoted on the same line', { PORT: '39\n78' }, 'PORT', /\(got "39\\n78"\)/],
    ['an absurdly long PORT, cut short', { PORT: '9'.repeat(500) }, 'PORT', /…"\)$/],
    ['an unknown LOG_LEVEL', { LOG_LEVEL: 'verbose' }, 'LOG_LEVEL', /one of fatal, error, warn, info, debug, trace, silent \(got "verbose"\)/],
    ['an unknown MicrosoftAppType', { MicrosoftAppType: 'Tenant' }, 'MicrosoftAppType', /MultiTenant, SingleTenant, UserAssignedMSI/],
    ['an unknown ANONYMOUS_SERVICE_URLS', { ANONYMOUS_SERVICE_URLS: 'all' }, 'ANONYMOUS_SERVICE_URLS', /one of loopback, any \(got "all"\)/],
    ['a SingleTenant app without its tenant', { MicrosoftAppType: 'SingleTenant', MicrosoftAppId: 'app-id', MicrosoftAppPassword: APP_PASSWORD }, 'MicrosoftAppTenantId', /SingleTenant needs/],
    ['a SingleTenant app without its app id', { MicrosoftAppType: 'SingleTenant', MicrosoftAppTenantId: 'tenant-1' }, 'MicrosoftAppId', /^MicrosoftAppType=SingleTenant needs MicrosoftAppId$/],
    ['SingleTenant with neither app id nor tenant', { MicrosoftAppType: 'SingleTenant' }, 'MicrosoftAppTenantId', /^MicrosoftAppType=SingleTenant needs MicrosoftAppId and MicrosoftAppTenantId$/],
    ['a UserAssignedMSI app without its tenant', { MicrosoftAppType: 'UserAssignedMSI', MicrosoftAppId: 'msi-client-id' }, 'MicrosoftAppTenantId', /^MicrosoftAppType=UserAssignedMSI needs MicrosoftAppTenantId \(the managed identity's client id and its tenant\)$/],
    ['a UserAssignedMSI app without its app id', { MicrosoftAppType: 'UserAssignedMSI', MicrosoftAppTenantId: 'tenant-1' }, 'MicrosoftAppId', /^MicrosoftAppType=UserAssignedMSI needs MicrosoftAppId \(/],
    ['UserAssignedMSI with neither app id nor tenant', { MicrosoftAppType: 'UserAssignedMSI' }, 'MicrosoftAppTenantId', /needs MicrosoftAppId and MicrosoftAppTenantId/],
    ['a UserAssignedMSI app with a password, never quoting it', { MicrosoftAppType: 'UserAssignedMSI', MicrosoftAppId: 'msi-client-id', MicrosoftAppTenantId: 'tenant-1', MicrosoftAppPassword: APP_PASSWORD }, 'MicrosoftAppPassword', /^MicrosoftAppType=UserAssignedMSI takes no MicrosoftAppPassword \(the managed identity replaces it\); leave it empty$/],
    ['an app id without its password', { MicrosoftAppId: 'app-id' }, 'MicrosoftAppPassword', /MicrosoftAppId is set/],
    ['a SingleTenant app without its password', { MicrosoftAppType: 'SingleTenant', MicrosoftAppId: 'app-id', MicrosoftAppTenantId: 'tenant-1' }, 'MicrosoftAppPassword', /MicrosoftAppId is set/],
    ['GORGIAS_URL_TEMPLATE on http for a host that is not loopback', { GORGIAS_URL_TEMPLATE: 'http://gorgias.internal.example/{subdomain}' }, 'GORGIAS_URL_TEMPLATE', /https unless its host is a loopback/],
    ['GORGIAS_URL_TEMPLATE on http with the subdomain in the host', { GORGIAS_URL_TEMPLATE: 'http://{subdomain}.localhost:4010' }, 'GORGIAS_URL_TEMPLATE', /https unless/],
    ['GORGIAS_URL_TEMPLATE without {subdomain}', { GORGIAS_URL_TEMPLATE: 'https://acme.gorgias.com' }, 'GORGIAS_URL_TEMPLATE', /exactly once/],
    ['GORGIAS_URL_TEMPLATE with {subdomain} twice', { GORGIAS_URL_TEMPLATE: 'https://{subdomain}.gorgias.com/{subdomain}' }, 'GORGIAS_URL_TEMPLATE', /exactly once/],
    ['GORGIAS_URL_TEMPLATE with another scheme', { GORGIAS_URL_TEMPLATE: 'ftp://{subdomain}.gorgias.com' }, 'GORGIAS_URL_TEMPLATE', /https/],
    ['GORGIAS_URL_TEMPLATE with credentials', { GORGIAS_URL_TEMPLATE: `https://ops:${APP_PASSWORD}@{subdomain}.gorgias.com` }, 'GORGIAS_URL_TEMPLATE', /credentials/],
    ['GORGIAS_URL_TEMPLATE with a query', { GORGIAS_URL_TEMPLATE: 'https://{subdomain}.gorgias.com?x=1' }, 'GORGIAS_URL_TEMPLATE', /query/],
    ['GORGIAS_URL_TEMPLATE with {subdomain} inside a label', { GORGIAS_URL_TEMPLATE: 'https://x{subdomain}.gorgias.com' }, 'GORGIAS_URL_TEMPLATE', /whole host label/],
    ['GORGIAS_TIMEOUT_MS below 100', { GORGIAS_TIMEOUT_MS: '99' }, 'GORGIAS_TIMEOUT_MS', /from 100 to 120000/],
    ['GORGIAS_TIMEOUT_MS above two minutes', { GORGIAS_TIMEOUT_MS: '120001' }, 'GORGIAS_TIMEOUT_MS', /from 100 to 120000/],
    ['GORGIAS_TIMEOUT_MS in words', { GORGIAS_TIMEOUT_MS: '10s' }, 'GORGIAS_TIMEOUT_MS', /whole number/],
    ['GORGIAS_AUTH_CHECK_PATH as a URL elsewhere', { GORGIAS_AUTH_CHECK_PATH: 'https://evil.com/x' }, 'GORGIAS_AUTH_CHECK_PATH', /plain path such as \/api\/account \(got "https:\/\/evil\.com\/x"\)/],
    ['GORGIAS_AUTH_CHECK_PATH with a protocol-relative host', { GORGIAS_AUTH_CHECK_PATH: '//evil.com/x' }, 'GORGIAS_AUTH_CHECK_PATH', /plain path/],
    ['GORGIAS_AUTH_CHECK_PATH climbing out with ..', { GORGIAS_AUTH_CHECK_PATH: '/../x' }, 'GORGIAS_AUTH_CHECK_PATH', /plain path/],
    ['GORGIAS_AUTH_CHECK_PATH with a . segment', { GORGIAS_AUTH_CHECK_PATH: '/api/./account' }, 'GORGIAS_AUTH_CHECK_PATH', /plain path/],
    ['GORGIAS_AUTH_CHECK_PATH with encoded dots', { GORGIAS_AUTH_CHECK_PATH: '/api/%2e%2e/x' }, 'GORGIAS_AUTH_CHECK_PATH', /plain path/],
    ['GORGIAS_AUTH_CHECK_PATH with a query', { GORGIAS_AUTH_CHECK_PATH: '/api/account?x=1' }, 'GORGIAS_AUTH_CHECK_PATH', /plain path/],
    ['GORGIAS_AUTH_CHECK_PATH with a fragment', { GORGIAS_AUTH_CHECK_PATH: '/api/account#x' }, 'GORGIAS_AUTH_CHECK_PATH', /plain path/],
    ['GORGIAS_AUTH_CHECK_PATH with a backslash', { GORGIAS_AUTH_CHECK_PATH: '/api\\account' }, 'GORGIAS_AUTH_CHECK_PATH', /plain path/],
    ['GORGIAS_AUTH_CHECK_PATH with a space', { GORGIAS_AUTH_CHECK_PATH: '/api/my account' }, 'GORGIAS_AUTH_CHECK_PATH', /plain path/],
    ['GORGIAS_AUTH_CHECK_PATH that is relative', { GORGIAS_AUTH_CHECK_PATH: 'api/account' }, 'GORGIAS_AUTH_CHECK_PATH', /plain path/],
    ['GORGIAS_AUTH_CHECK_PATH that is only /', { GORGIAS_AUTH_CHECK_PATH: '/' }, 'GORGIAS_AUTH_CHECK_PATH', /plain path/],
    ['GORGIAS_AUTH_CHECK_PATH with an empty segment', { GORGIAS_AUTH_CHECK_PATH: '/api//account' }, 'GORGIAS_AUTH_CHECK_PATH', /plain path/],
    ['GORGIAS_MAX_VERIFY_FAILURES 0', { GORGIAS_MAX_VERIFY_FAILURES: '0' }, 'GORGIAS_MAX_VERIFY_FAILURES', /from 1 to 20/],
    ['GORGIAS_MAX_VERIFY_FAILURES 21', { GORGIAS_MAX_VERIFY_FAILURES: '21' }, 'GORGIAS_MAX_VERIFY_FAILURES', /from 1 to 20/],
    ['GORGIAS_RATE_LIMIT_MAX 0', { GORGIAS_RATE_LIMIT_MAX: '0' }, 'GORGIAS_RATE_LIMIT_MAX', /from 1 to 10000/],
    ['GORGIAS_RATE_LIMIT_MAX above 10000', { GORGIAS_RATE_LIMIT_MAX: '10001' }, 'GORGIAS_RATE_LIMIT_MAX', /from 1 to 10000/],
    ['GORGIAS_RATE_LIMIT_WINDOW_MS below 100', { GORGIAS_RATE_LIMIT_WINDOW_MS: '99' }, 'GORGIAS_RATE_LIMIT_WINDOW_MS', /from 100 to 3600000/],
    ['GORGIAS_RATE_LIMIT_WINDOW_MS above an hour', { GORGIAS_RATE_LIMIT_WINDOW_MS: '3600001' }, 'GORGIAS_RATE_LIMIT_WINDOW_MS', /from 100 to 3600000/],
    ['an unknown GORGIAS_AUTH_MODE', { GORGIAS_AUTH_MODE: 'operator' }, 'GORGIAS_AUTH_MODE', /one of user, preauthorized \(got "operator"\)/],
    ['an unknown action', { GORGIAS_ACTIONS: 'recent,frobnicate,new' }, 'GORGIAS_ACTIONS', /unknown action\(s\) frobnicate; choose from recent, show/],
    ['GORGIAS_ACTIONS of a comma alone, which would turn every action off', { GORGIAS_ACTIONS: ',' }, 'GORGIAS_ACTIONS', /^GORGIAS_ACTIONS names no action \(got ","\); list actions from recent, show, .*, or write none to offer none$/],
    ['GORGIAS_ACTIONS of commas and spaces', { GORGIAS_ACTIONS: ' , ,' }, 'GORGIAS_ACTIONS', /names no action \(got ", ,"\)/],
    ['an unknown STORAGE', { STORAGE: 'redis' }, 'STORAGE', /one of sqlite, memory, blob, cosmos \(got "redis"\)/],
    ['STORAGE=blob without its connection string', { STORAGE: 'blob', STATE_ENCRYPTION_KEY: ENCRYPTION_KEY }, 'AZURE_STORAGE_CONNECTION_STRING', /STORAGE=blob needs/],
    ['STORAGE=blob with an invalid container name', { ...BLOB, AZURE_STORAGE_CONTAINER: 'Bot_State' }, 'AZURE_STORAGE_CONTAINER', /lower-case letters, digits and single hyphens \(got "Bot_State"\)/],
    ['STORAGE=blob with a container name of two letters', { ...BLOB, AZURE_STORAGE_CONTAINER: 'ab' }, 'AZURE_STORAGE_CONTAINER', /3-63/],
    ['STORAGE=blob without STATE_ENCRYPTION_KEY', { STORAGE: 'blob', AZURE_STORAGE_CONNECTION_STRING: CONNECTION_STRING }, 'STATE_ENCRYPTION_KEY', /required with STORAGE=blob: all instances must share one key/],
    ['STORAGE=cosmos without its endpoint', { ...COSMOS, COSMOS_DB_ENDPOINT: undefined }, 'COSMOS_DB_ENDPOINT', /STORAGE=cosmos needs COSMOS_DB_ENDPOINT$/],
    ['STORAGE=cosmos without its auth key', { ...COSMOS, COSMOS_DB_AUTH_KEY: '' }, 'COSMOS_DB_AUTH_KEY', /STORAGE=cosmos needs COSMOS_DB_AUTH_KEY$/],
    ['STORAGE=cosmos without STATE_ENCRYPTION_KEY', { ...COSMOS, STATE_ENCRYPTION_KEY: undefined }, 'STATE_ENCRYPTION_KEY', /required with STORAGE=cosmos/],
    ['a STATE_ENCRYPTION_KEY that is not base64', { STATE_ENCRYPTION_KEY: 'not base64 at all!' }, 'STATE_ENCRYPTION_KEY', /32 random bytes encoded in base64 \(it is not valid base64\)/],
    ['a STATE_ENCRYPTION_KEY of 16 bytes', { STATE_ENCRYPTION_KEY: Buffer.alloc(16, 7).toString('base64') }, 'STATE_ENCRYPTION_KEY', /\(got 16 bytes\)/],
    ['a STATE_ENCRYPTION_KEY written in hex', { STATE_ENCRYPTION_KEY: Buffer.from(ENCRYPTION_KEY, 'base64').toString('hex') }, 'STATE_ENCRYPTION_KEY', /looks like hex rather than base64/],
    ['an invalid STATE_ENCRYPTION_KEY_PREVIOUS', { STATE_ENCRYPTION_KEY: ENCRYPTION_KEY, STATE_ENCRYPTION_KEY_PREVIOUS: Buffer.alloc(8).toString('base64') }, 'STATE_ENCRYPTION_KEY_PREVIOUS', /\(got 8 bytes\)/],
    ['STATE_ENCRYPTION_KEY_PREVIOUS without STATE_ENCRYPTION_KEY', { STATE_ENCRYPTION_KEY_PREVIOUS: PREVIOUS_ENCRYPTION_KEY }, 'STATE_ENCRYPTION_KEY_PREVIOUS', /is set but STATE_ENCRYPTION_KEY is not/],
    ['AUTH_FAILURE_LIMIT 0', { AUTH_FAILURE_LIMIT: '0' }, 'AUTH_FAILURE_LIMIT', /from 1 to 1000/],
    ['AUTH_FAILURE_LIMIT 1001', { AUTH_FAILURE_LIMIT: '1001' }, 'AUTH_FAILURE_LIMIT', /from 1 to 1000/],
    ['AUTH_FAILURE_WINDOW_MINUTES 0', { AUTH_FAILURE_WINDOW_MINUTES: '0' }, 'AUTH_FAILURE_WINDOW_MINUTES', /from 1 to 1440/],
    ['AUTH_FAILURE_WINDOW_MINUTES over a day', { AUTH_FAILURE_WINDOW_MINUTES: '1441' }, 'AUTH_FAILURE_WINDOW_MINUTES', /from 1 to 1440/],
    ['MAX_BODY_BYTES below 1 KiB', { MAX_BODY_BYTES: '1023' }, 'MAX_BODY_BYTES', /from 1024 to 10485760/],
    ['SHUTDOWN_GRACE_MS over ten minutes', { SHUTDOWN_GRACE_MS: '600001' }, 'SHUTDOWN_GRACE_MS', /from 0 to 600000/],
    ['MAX_BODY_BYTES above 10 MiB', { MAX_BODY_BYTES: '10485761' }, 'MAX_BODY_BYTES', /from 1024 to 10485760/],
  ])('%s', (_name, env, variable, detail) => {
    const error = configErrorFor({ ...OPERATOR, ...env });
    expect(error.message).toContain(variable);
    expect(error.message).toMatch(detail);
    expectOneSafeLine(error.message);
  });
});

describe('preauthorized mode refuses incomplete or invalid operator credentials', () => {
  const missingOne: [string, string, string][] = [
    ['GORGIAS_DOMAIN', 'GORGIAS_EMAIL and GORGIAS_API_KEY', 'GORGIAS_DOMAIN'],
    ['GORGIAS_EMAIL', 'GORGIAS_DOMAIN and GORGIAS_API_KEY', 'GORGIAS_EMAIL'],
    ['GORGIAS_API_KEY', 'GORGIAS_DOMAIN and GORGIAS_EMAIL', 'GORGIAS_API_KEY'],
  ];

  test.each(missingOne)('GORGIAS_AUTH_MODE=preauthorized without %s names just that one', (missing) => {
    const error = configErrorFor({ ...OPERATOR, [missing]: undefined, GORGIAS_AUTH_MODE: 'preauthorized' });
    expect(error.message).toMatch(new RegExp(`^GORGIAS_AUTH_MODE=preauthorized needs ${missing} \\(`));
    for (const other of ['GORGIAS_DOMAIN', 'GORGIAS_EMAIL', 'GORGIAS_API_KEY'].filter((name) => name !== missing)) {
      expect(error.message).not.toContain(other);
    }
    expectOneSafeLine(error.message);
  });

  test.each(missingOne)('without %s, the two that are set imply preauthorized mode and the message says so', (missing, given, named) => {
    const error = configErrorFor({ ...OPERATOR, [missing]: '' });
    expect(error.message).toBe(
      `${given} are set, so the bot runs in preauthorized mode, which also needs ${named}; set it, or set GORGIAS_AUTH_MODE=user`,
    );
    expectOneSafeLine(error.message);
  });

  test('GORGIAS_AUTH_MODE=preauthorized with nothing else names all three', () => {
    const error = configErrorFor({ GORGIAS_AUTH_MODE: 'preauthorized' });
    expect(error.message).toContain('needs GORGIAS_DOMAIN, GORGIAS_EMAIL and GORGIAS_API_KEY');
    expectOneSafeLine(error.message);
  });

  test('only GORGIAS_API_KEY set names the other two and never the key', () => {
    const error = configErrorFor({ GORGIAS_API_KEY: API_KEY });
    expect(error.message).toBe(
      'GORGIAS_API_KEY is set, so the bot runs in preauthorized mode, which also needs GORGIAS_DOMAIN and GORGIAS_EMAIL; set them, or set GORGIAS_AUTH_MODE=user',
    );
    expectOneSafeLine(error.message);
  });

  test.each([
    ['http://acme.gorgias.com', /https:\/\//],
    ['acme.example.com', /should end in \.gorgias\.com/],
    ['https://gorgias.com', /Gorgias's own address/],
    ['ac me', /spaces/],
    ['-acme', /hyphen/],
    ['acme.gorgias.com:8443', /port/],
    ['127.0.0.1', /IP address/],
    ['аcme', /other alphabets/],
  ])('GORGIAS_DOMAIN=%j', (domain, reason) => {
    const error = configErrorFor({ ...OPERATOR, GORGIAS_DOMAIN: domain });
    expect(error.message).toMatch(/^GORGIAS_DOMAIN is not a Gorgias subdomain: /);
    expect(error.message).toMatch(reason);
    expectOneSafeLine(error.message);
  });

  test.each([
    ['ops', /no @/],
    ['ops@acme', /no dot/],
    ['ops@@acme.com', /more than one @/],
    ['ops @acme.com', /spaces/],
  ])('GORGIAS_EMAIL=%j', (email, reason) => {
    const error = configErrorFor({ ...OPERATOR, GORGIAS_EMAIL: email });
    expect(error.message).toMatch(/^GORGIAS_EMAIL is not valid: /);
    expect(error.message).toMatch(reason);
    expectOneSafeLine(error.message);
  });

  const FIRST_HALF = 'cfgKeyHalfOne7Hq2';
  const SECOND_HALF = 'cfgKeyHalfTwo9Lw4';
  test.each([
    ['a space inside', `${FIRST_HALF} ${SECOND_HALF}`, /spaces, line breaks or invisible characters/],
    ['a line break inside', `${FIRST_HALF}\n${SECOND_HALF}`, /spaces, line breaks or invisible characters/],
    ['a zero-width space inside', `${FIRST_HALF}\u200b${SECOND_HALF}`, /spaces, line breaks or invisible characters/],
    ['too few characters', 'cfg7Hq2', /too short/],
    ['too many characters', `${FIRST_HALF}${'x'.repeat(600)}${SECOND_HALF}`, /too long/],
  ])('GORGIAS_API_KEY with %s, without quoting any of it', (_name, key, reason) => {
    const error = configErrorFor({ ...OPERATOR, GORGIAS_API_KEY: key });
    expect(error.message).toMatch(/^GORGIAS_API_KEY is not valid: /);
    expect(error.message).toMatch(reason);
    expectOneSafeLine(error.message);
    for (const piece of [key, FIRST_HALF, SECOND_HALF, 'cfg7Hq2', 'xxxxxxxx']) expect(error.message).not.toContain(piece);
  });
});
