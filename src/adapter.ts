/**
 * The Bot Framework adapter. With no MicrosoftAppId it accepts the Emulator's unauthenticated requests;
 * with one, every request must carry a valid Bot Framework token.
 */
import { CloudAdapter, type TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import type { AppConfig } from './config';
import { TURN_ERROR } from './messages/bot';
import { ClientReusingAuthentication } from './clientReusingAuthentication';

export function createAdapter(
  botFramework: AppConfig['botFramework'],
  logger: Logger,
  resetConversation: (context: TurnContext) => Promise<void>,
): CloudAdapter {
  // Reuses the connector and user-token clients across turns instead of building them on every turn.
  const adapter = new CloudAdapter(new ClientReusingAuthentication({ ...botFramework }));

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
