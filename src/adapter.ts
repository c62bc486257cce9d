/**
 * The Bot Framework adapter. With no MicrosoftAppId it accepts the Emulator's unauthenticated requests;
 * with one, every request must carry a valid Bot Framework token.
 */
import { CloudAdapter, type Activity, type InvokeResponse, type TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import type { AppConfig } from './config';
import { TURN_ERROR } from './messages/bot';
import { ClientReusingAuthentication } from './clientReusingAuthentication';

type TurnLogic = (context: TurnContext) => Promise<void>;
/** botbuilder does not export it by name: the second form of processActivity's first argument. */
type AuthenticateRequestResult = Awaited<ReturnType<ClientReusingAuthentication['authenticateRequest']>>;

/**
 * CloudAdapter, with what its `process` does with an error changed: it prints the error and its stack with
 * console.error (outside the JSON log, whatever LOG_LEVEL says, for every bad token anyone sends) and
 * answers with the error's message (which can name an internal host). Here a rejected token is an info
 * line and a 401, anything else an error line and a bare 500.
 */
class StructuredErrorsCloudAdapter extends CloudAdapter {
  constructor(
    authentication: ClientReusingAuthentication,
    private readonly logger: Logger,
  ) {
    super(authentication);
  }

  protected override async processActivity(
    authentication: string | AuthenticateRequestResult,
    activity: Activity,
    logic: TurnLogic,
  ): Promise<InvokeResponse | undefined> {
    // The base method is overloaded on its first argument; one implementation takes both.
    const base = super.processActivity as unknown as (auth: string | AuthenticateRequestResult, activity: Activity, logic: TurnLogic) => Promise<InvokeResponse | undefined>;
    try {
      return await base.call(this, authentication, activity, logic);
    } catch (error) {
      const status = (error as { statusCode?: unknown } | null)?.statusCode;
      if (status === 401 || status === 403) {
        // info: anyone can send a bad token, and each would otherwise be a warning.
        this.logger.info({ event: 'http.unauthorized', status, channelId: activity.channelId }, 'refused an activity without a valid Bot Framework token');
        return { status, body: { error: 'unauthorized' } };
      }
      this.logger.error({ event: 'http.turn_failed', err: error, channelId: activity.channelId }, 'processing an activity failed');
      return { status: 500, body: { error: 'internal error' } };
    }
  }
}

export function createAdapter(
  botFramework: AppConfig['botFramework'],
  logger: Logger,
  resetConversation: (context: TurnContext) => Promise<void>,
): CloudAdapter {
  // Reuses the connector and user-token clients across turns instead of building them on every turn.
  const adapter = new StructuredErrorsCloudAdapter(new ClientReusingAuthentication({ ...botFramework }), logger);

  adapter.onTurnError = async (context, error) => {
    // The error may come from anywhere in the turn; log only its safe parts (see logger.ts), never the activity.
    logger.error(
      { event: 'turn.error', err: error, channelId: context.activity.channelId, activityType: context.activity.type },
      'unhandled error in a turn',
    );
    try {
      await context.sendActivity(TURN_ERROR);
      await resetConversation(context);
    } catch (secondError) {
      logger.error({ event: 'turn.error_recovery_failed', err: secondError }, 'could not recover the conversation after an error');
    }
  };
  return adapter;
}
