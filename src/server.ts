/**
 * The HTTP server: `POST /api/messages` (where the Emulator and Azure Bot Service deliver activities)
 * and `GET /healthz`. Every body is checked before it reaches the adapter, so a malformed request gets a
 * short 4xx and never a stack trace or a turn.
 */
import restify, { type Request, type Response, type Server } from 'restify';
import type { CloudAdapter } from 'botbuilder';
import type { Logger } from 'pino';
import type { GorgiasBot } from './bot';
import { BOT_NAME, BOT_VERSION } from './version';

export interface ServerOptions {
  adapter: CloudAdapter;
  bot: GorgiasBot;
  logger: Logger;
  maxBodyBytes: number;
}

export function createServer({ adapter, bot, logger, maxBodyBytes }: ServerOptions): Server {
  const server = restify.createServer({ name: BOT_NAME, handleUncaughtExceptions: false });
  const startedAt = Date.now();

  server.get('/healthz', (_req: Request, res: Response, next: restify.Next) => {
    res.json(200, { status: 'ok', name: BOT_NAME, version: BOT_VERSION, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) });
    next();
  });

  server.post(
    '/api/messages',
    requireJson,
    ...restify.plugins.bodyParser({ maxBodySize: maxBodyBytes, mapParams: false, mapFiles: false, rejectUnknown: true }),
    async (req: Request, res: Response) => {
      const problem = activityProblem(req.body);
      if (problem) {
        res.json(400, { error: problem });
        return;
      }
      const startedTurn = process.hrtime.bigint();
      try {
        await adapter.process(req, res, (context) => bot.run(context));
      } catch (error) {
        // The adapter answers auth failures itself; anything reaching here is ours, and is not shown to the caller.
        logger.error({ event: 'http.turn_failed', err: error }, 'processing an activity failed');
        if (!res.headersSent) res.json(500, { error: 'internal error' });
      } finally {
        logger.debug(
          { event: 'http.activity', type: (req.body as { type?: unknown }).type, status: res.statusCode, ms: Number(process.hrtime.bigint() - startedTurn) / 1e6 },
          'activity processed',
        );
      }
    },
  );

  // restify's own errors (413, 400 on bad JSON, 404, 405) carry only a code and a message: keep it that way.
  server.on('restifyError', (req: Request, res: Response, error: Error & { statusCode?: number }, callback: () => void) => {
    logger.info({ event: 'http.rejected', method: req.method, path: req.path(), status: error.statusCode ?? res.statusCode }, error.message);
    callback();
  });

  return server;
}

/** Anything but JSON is refused before it is read, with 415. */
function requireJson(req: Request, res: Response, next: restify.Next): void {
  const type = (req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json' && !type.endsWith('+json')) {
    res.json(415, { error: 'Content-Type must be application/json' });
    next(false);
    return;
  }
  next();
}

/** The minimum an activity needs before the adapter may see it; the adapter validates the rest. */
function activityProblem(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be a JSON object (an activity)';
  const activity = body as Record<string, unknown>;
  if (typeof activity.type !== 'string' || activity.type === '') return 'the activity has no type';
  for (const field of ['conversation', 'from'] as const) {
    const value = activity[field];
    if (typeof value !== 'object' || value === null || typeof (value as { id?: unknown }).id !== 'string') {
      return `the activity has no ${field}.id`;
    }
  }
  if (activity.text !== undefined && typeof activity.text !== 'string') return 'the activity text must be a string';
  if (typeof activity.serviceUrl !== 'string') return 'the activity has no serviceUrl';
  return undefined;
}
