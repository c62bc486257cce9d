/**
 * The HTTP server: `POST /api/messages` (where the Emulator and Azure Bot Service deliver activities)
 * and `GET /healthz`. Every body is checked before it reaches the adapter, so a malformed request gets a
 * short 4xx and never a stack trace or a turn.
 */
import restify, { type Request, type Response, type Server } from 'restify';
import type { CloudAdapter } from 'botbuilder';
import type { Logger } from 'pino';
import type { GorgiasBot } from './bot';
import { isLoopbackAddress, isLoopbackUrl } from './validation/loopback';
import { BOT_NAME, BOT_VERSION } from './version';
import type { StorageHealth } from './storage/healthTrackingStorage';

export interface ServerOptions {
  adapter: CloudAdapter;
  bot: GorgiasBot;
  logger: Logger;
  maxBodyBytes: number;
  /**
   * True without a MicrosoftAppId (unless ANONYMOUS_SERVICE_URLS=any): take activities only from this
   * machine, and only for a channel on it.
   */
  loopbackChannelsOnly: boolean;
  /**
   * True once the bot is stopping: requests that still arrive (on a kept-alive connection) get 503 and
   * `Connection: close`, so the caller retries elsewhere and the connection does not hold the stop up.
   */
  stopping?: () => boolean;
  /** What /healthz reports of the state storage (see HealthTrackingStorage); healthy when not given. */
  storageHealth?: () => StorageHealth;
}

/** Said to a request that arrives while the bot stops. */
export const STOPPING = 'the bot is stopping; send the activity again';

/** Said to a caller refused by loopbackChannelsOnly; names the setting, not what it sent. */
export const SERVICE_URL_REFUSED =
  'This bot runs without a MicrosoftAppId (Emulator mode) and answers only a channel on this machine; see ANONYMOUS_SERVICE_URLS.';

export function createServer({
  adapter,
  bot,
  logger,
  maxBodyBytes,
  loopbackChannelsOnly,
  stopping = () => false,
  storageHealth = () => ({ healthy: true, failuresInARow: 0 }),
}: ServerOptions): Server {
  // restify logs through the bot's logger, so its lines get the same redaction and serializers (see logger.ts).
  // restify 11 takes a pino logger; @types/restify still describes the bunyan one of older versions.
  const restifyLog = logger.child({ component: 'restify' }) as unknown as restify.ServerOptions['log'];
  const server = restify.createServer({ name: BOT_NAME, handleUncaughtExceptions: false, log: restifyLog });
  const startedAt = Date.now();

  server.pre((_req: Request, res: Response, next: restify.Next) => {
    if (!stopping()) return next();
    res.setHeader('Connection', 'close');
    res.setHeader('Retry-After', '1');
    res.json(503, { error: STOPPING });
    return next(false);
  });

  const health = (_req: Request, res: Response, next: restify.Next): void => {
    const storage = storageHealth();
    // 503 takes an instance whose storage fails every turn out of the load balancer's rotation.
    res.json(storage.healthy ? 200 : 503, {
      status: storage.healthy ? 'ok' : 'storage failing',
      name: BOT_NAME,
      version: BOT_VERSION,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      storage: { healthy: storage.healthy, failuresInARow: storage.failuresInARow },
    });
    next();
  };
  server.get('/healthz', health);
  // Some load-balancer probes use HEAD.
  server.head('/healthz', health);

  server.post(
    '/api/messages',
    requireJson,
    // bodyReader alone, not bodyParser: restify's JSON parser puts the parser's message, which quotes the
    // body, into its 400 answer and error.
    restify.plugins.bodyReader({ maxBodySize: maxBodyBytes }),
    parseActivity,
    (req: Request, res: Response, next: restify.Next) => {
      if (!loopbackChannelsOnly) return next();
      // Nothing authenticates the caller, who names the user (from.id) and where replies go (serviceUrl):
      // from elsewhere, they could act as any user and read the answers (deliveryMode expectReplies puts
      // them in the HTTP answer), or have the bot post them to any host.
      const serviceUrl = (req.body as { serviceUrl: string }).serviceUrl;
      const fromThisMachine = isLoopbackAddress(req.socket.remoteAddress);
      if (fromThisMachine && isLoopbackUrl(serviceUrl)) return next();
      // info, as for the other refused requests: anyone can send these, and each would otherwise be a warning.
      logger.info(
        { event: 'http.service_url_refused', host: hostOf(serviceUrl), fromThisMachine },
        'refused an unauthenticated activity from, or for a channel, off this machine',
      );
      res.json(403, { error: SERVICE_URL_REFUSED });
      next(false);
    },
    async (req: Request, res: Response) => {
      const startedTurn = process.hrtime.bigint();
      try {
        await adapter.process(req, res, (context) => bot.run(context));
      } catch (error) {
        // The adapter answers auth failures itself; anything reaching here is ours, and is not shown to the caller.
        logger.error({ event: 'http.turn_failed', err: error }, 'processing an activity failed');
        if (!res.headersSent) res.json(500, { error: 'internal error' });
      } finally {
        // Checked first: the line's fields would otherwise be built on every turn only to be dropped.
        if (logger.isLevelEnabled('debug')) {
          logger.debug(
            { event: 'http.activity', type: (req.body as { type?: unknown }).type, status: res.statusCode, ms: Number(process.hrtime.bigint() - startedTurn) / 1e6 },
            'activity processed',
          );
        }
      }
    },
  );

  // restify's own errors (413, 404, 405) carry only a code and a message: keep it that way, and log no message text.
  server.on('restifyError', (req: Request, res: Response, error: Error & { statusCode?: number }, callback: () => void) => {
    const status = error.statusCode ?? res.statusCode;
    logger.info({ event: 'http.rejected', method: req.method, path: req.path(), status, reason: error.name }, `request rejected with ${status}`);
    callback();
  });

  return server;
}

/**
 * Anything but JSON is refused before it is read, with 415. So is a compressed body: restify counts the
 * compressed bytes against the size limit, so a small gzip bomb would be inflated in memory.
 */
function requireJson(req: Request, res: Response, next: restify.Next): void {
  const type = (req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json' && !type.endsWith('+json')) {
    res.json(415, { error: 'Content-Type must be application/json' });
    next(false);
    return;
  }
  const encoding = (req.header('content-encoding') ?? '').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    res.json(415, { error: 'Content-Encoding is not supported: send the body uncompressed' });
    next(false);
    return;
  }
  next();
}

/** Parses the body as JSON and checks the minimum an activity needs before the adapter may see it. */
function parseActivity(req: Request, res: Response, next: restify.Next): void {
  const raw: unknown = req.body;
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : '';
  let body: unknown;
  try {
    body = text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    res.json(400, { error: 'the body is not valid JSON' });
    next(false);
    return;
  }
  const problem = activityProblem(body);
  if (problem) {
    res.json(400, { error: problem });
    next(false);
    return;
  }
  req.body = body;
  next();
}

/** The adapter validates little, and the bot reads these fields on every turn. */
/**
 * Ids (conversation, user, activity) longer than this are no channel's: Teams's longest are a few hundred
 * characters. One of 100 KB was carried into every reply's URL, which the channel then refused.
 */
const MAX_ID_LENGTH = 1_024;

function activityProblem(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be a JSON object (an activity)';
  const activity = body as Record<string, unknown>;
  if (typeof activity.type !== 'string' || activity.type === '') return 'the activity has no type';
  if (typeof activity.channelId !== 'string' || activity.channelId === '') return 'the activity has no channelId';
  // Channel ids are short names (msteams, webchat, emulator); a long one would only fill the bot's memory.
  if (activity.channelId.length > 64) return 'the activity channelId is too long';
  for (const field of ['conversation', 'from'] as const) {
    const value = activity[field];
    if (typeof value !== 'object' || value === null || typeof (value as { id?: unknown }).id !== 'string' || (value as { id: string }).id === '') {
      return `the activity has no ${field}.id`;
    }
    if ((value as { id: string }).id.length > MAX_ID_LENGTH) return `the activity ${field}.id is too long`;
  }
  // The SDK's own validation refuses these only inside the turn, after logging two errors for each.
  if (activity.id !== undefined && activity.id !== null && (typeof activity.id !== 'string' || activity.id.length > MAX_ID_LENGTH)) {
    return 'the activity id must be a string of at most 1024 characters';
  }
  const isGroup = (activity.conversation as { isGroup?: unknown }).isGroup;
  if (isGroup !== undefined && isGroup !== null && typeof isGroup !== 'boolean') return 'the activity conversation.isGroup must be true or false';
  if (Array.isArray(activity.membersAdded) && activity.membersAdded.some((member) => typeof member !== 'object' || member === null || typeof (member as { id?: unknown }).id !== 'string')) {
    return 'each of the activity membersAdded must have an id';
  }
  if (activity.text !== undefined && activity.text !== null && typeof activity.text !== 'string') return 'the activity text must be a string';
  if (activity.entities !== undefined && !Array.isArray(activity.entities)) return 'the activity entities must be a list';
  if (activity.attachments !== undefined && !Array.isArray(activity.attachments)) return 'the activity attachments must be a list';
  if (activity.membersAdded !== undefined && !Array.isArray(activity.membersAdded)) return 'the activity membersAdded must be a list';
  if (typeof activity.serviceUrl !== 'string') return 'the activity has no serviceUrl';
  return undefined;
}

/** The host alone, for the log: the rest of a caller's URL is theirs to fill with anything. */
function hostOf(url: string): string {
  try {
    return new URL(url).host.slice(0, 255);
  } catch {
    return '(not a URL)';
  }
}
