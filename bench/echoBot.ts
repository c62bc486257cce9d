/**
 * The floor the product is measured against: a minimal echo bot on the same botbuilder CloudAdapter and
 * restify, anonymous (Emulator) authentication, no state. It greets a new member once and echoes every
 * message, so each turn sends exactly one activity. Run as its own process by the bench (PORT from the
 * environment, 127.0.0.1 only); not part of the product.
 */
import restify, { type Request, type Response } from 'restify';
import { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication, MessageFactory } from 'botbuilder';
import { ECHO_WELCOME, echoOf } from './echoReplies';

class EchoBot extends ActivityHandler {
  constructor() {
    super();
    this.onMembersAdded(async (context, next) => {
      const newcomers = (context.activity.membersAdded ?? []).filter((member) => member.id !== context.activity.recipient.id);
      if (newcomers.length > 0) await context.sendActivity(MessageFactory.text(ECHO_WELCOME));
      await next();
    });
    this.onMessage(async (context, next) => {
      await context.sendActivity(MessageFactory.text(echoOf(context.activity.text ?? '')));
      await next();
    });
  }
}

function main(): void {
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  const bot = new EchoBot();
  const server = restify.createServer({ name: 'echo-bot' });
  server.use(restify.plugins.bodyParser());
  server.get('/healthz', (_req: Request, res: Response, next: restify.Next) => {
    res.json(200, { status: 'ok' });
    next();
  });
  server.post('/api/messages', async (req: Request, res: Response) => {
    await adapter.process(req, res, (context) => bot.run(context));
  });
  const port = Number(process.env.PORT ?? 3979);
  server.listen(port, '127.0.0.1');
  const stop = (): void => {
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) main();
