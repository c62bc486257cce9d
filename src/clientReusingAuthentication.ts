/**
 * Bot Framework authentication that reuses the SDK's outbound clients across turns.
 *
 * On every turn CloudAdapter asks its authentication for a new connector client (the one that sends the
 * bot's replies) and a new user-token client. Each is a fresh Azure HTTP pipeline, and building the two
 * cost about 0.4 ms of CPU per turn in `npm run bench --profile` (about a tenth of a whole turn). They
 * keep nothing of a turn: the credentials inside them get and refresh their own tokens, and the SDK's
 * older BotFrameworkAdapter cached connector clients the same way. So each client is built once per bot
 * app id, service URL and audience, and kept in a small bounded cache.
 *
 * Only public SDK classes and methods are used: this extends ConfigurationBotFrameworkAuthentication and
 * wraps what its methods return.
 */
import { ConfigurationBotFrameworkAuthentication } from 'botbuilder';

type ClaimsIdentity = Parameters<ConfigurationBotFrameworkAuthentication['createConnectorFactory']>[0];
type ConnectorFactory = ReturnType<ConfigurationBotFrameworkAuthentication['createConnectorFactory']>;
type ConnectorClient = Awaited<ReturnType<ConnectorFactory['create']>>;
type UserTokenClient = Awaited<ReturnType<ConfigurationBotFrameworkAuthentication['createUserTokenClient']>>;
type AuthenticateRequestResult = Awaited<ReturnType<ConfigurationBotFrameworkAuthentication['authenticateRequest']>>;

/**
 * Service URLs come from the incoming activities; with anonymous (Emulator) authentication anyone can
 * send any, so the cache is bounded. Real channels use a handful.
 */
export const MAX_CACHED_CLIENTS = 64;

/** The claims the SDK itself takes the bot's app id from: `aud` from channels, `appid` from the Emulator. */
function appIdOf(claimsIdentity: ClaimsIdentity): string {
  return claimsIdentity.getClaimValue('aud') ?? claimsIdentity.getClaimValue('appid') ?? '';
}

/** Promises by key, oldest dropped first when full; a rejected promise is forgotten so the next turn tries again. */
export class BoundedPromiseCache<T> {
  private readonly entries = new Map<string, Promise<T>>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string, create: () => Promise<T>): Promise<T> {
    const cached = this.entries.get(key);
    if (cached !== undefined) {
      // Most recently used last, so eviction drops the least recently used.
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    const created = create();
    this.entries.set(key, created);
    created.catch(() => {
      if (this.entries.get(key) === created) this.entries.delete(key);
    });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return created;
  }
}

export class ClientReusingAuthentication extends ConfigurationBotFrameworkAuthentication {
  private readonly connectorClients = new BoundedPromiseCache<ConnectorClient>(MAX_CACHED_CLIENTS);
  private readonly userTokenClients = new BoundedPromiseCache<UserTokenClient>(MAX_CACHED_CLIENTS);

  override async authenticateRequest(...args: Parameters<ConfigurationBotFrameworkAuthentication['authenticateRequest']>): Promise<AuthenticateRequestResult> {
    const result = await super.authenticateRequest(...args);
    if (result.connectorFactory === undefined) return result;
    return { ...result, connectorFactory: this.reusing(result.claimsIdentity, result.connectorFactory) };
  }

  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    return this.reusing(claimsIdentity, super.createConnectorFactory(claimsIdentity));
  }

  override createUserTokenClient(claimsIdentity: ClaimsIdentity): Promise<UserTokenClient> {
    return this.userTokenClients.get(appIdOf(claimsIdentity), () => super.createUserTokenClient(claimsIdentity));
  }

  /** The factory, with `create` answered from the cache. The SDK's factories differ only by app id. */
  private reusing(claimsIdentity: ClaimsIdentity, factory: ConnectorFactory): ConnectorFactory {
    const appId = appIdOf(claimsIdentity);
    return {
      create: (serviceUrl: string, audience?: string) =>
        this.connectorClients.get(JSON.stringify([appId, serviceUrl, audience ?? null]), () => factory.create(serviceUrl, audience)),
    };
  }
}
