/**
 * What every ticket and customer action shares: the credentials for the turn, showing a result as an
 * Adaptive Card (or text where the channel has no cards), telling the user when Gorgias's rate budget
 * makes them wait, and explaining a failure with the next step to take.
 */
import { ActionTypes, MessageFactory, type CardAction, type StatePropertyAccessor, type TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import type { GorgiasClient, CallOptions } from '../src/gorgias/client';
import type { GorgiasFailure } from '../src/gorgias/types';
import { ticketWebUrl } from '../src/gorgias/urls';
import type { ConnectedProfile } from '../src/profile/profile';
import type { ProfileStore } from '../src/profileStore';
import { describeOperatorFailure } from '../src/operatorConnection';
import { parseActionCommand } from '../src/actionCommands';
import type { CredentialsSource } from '../src/turnCredentials';
import type { GorgiasAction } from '../src/config';
import type { UncertainCreates } from './uncertainCreates';
import type { AdaptiveCard } from '../src/cards/apiKeyCard';
import type { TicketLinks } from '../src/cards/tickets';
import { asAttachment } from '../src/cards/adaptive';
import { channelRendersAdaptiveCards } from '../src/channels';
import { markGorgiasChange, sendNow } from '../src/heldReplies';
import { mayHaveBeenCreated } from '../src/gorgias/earlierCreate';
import type { GorgiasResult } from '../src/gorgias/types';
import { busy, explainFailure, type FailureContext } from '../src/messages/tickets';
import * as say from '../src/messages/bot';
import { TRY_AGAIN } from '../src/messages/connect';

export interface ActionServices {
  gorgias: GorgiasClient;
  credentials: CredentialsSource;
  profiles: ProfileStore;
  urlTemplate: string;
  /** Where "more" continues from: the next-page cursor of the last ticket list shown. */
  ticketCursor: StatePropertyAccessor<string | undefined>;
  /** Whether the operator enabled the action (GORGIAS_ACTIONS). */
  actionEnabled(action: GorgiasAction): boolean;
  /** What a typed "try again" re-sends: the command of the last failure that offered Try again. */
  retryCommand: StatePropertyAccessor<string | undefined>;
  /** Creates whose answer never came, by draft (see uncertainCreates.ts). */
  uncertainCreates: UncertainCreates;
  logger: Logger;
}

/**
 * Notes what a write (create, change, delete, tag) did in Gorgias, for the bot to act on should the
 * turn's state not be saved: done when it succeeded (or was accepted with an unreadable answer), maybe
 * when its answer never came.
 */
export function noteWrite(context: TurnContext, result: GorgiasResult<unknown>): void {
  if (result.ok || (result.failure.kind === 'bad_response' && result.failure.writeAccepted === true)) markGorgiasChange(context, 'done');
  else if (mayHaveBeenCreated(result.failure)) markGorgiasChange(context, 'maybe');
}

/** Set on a turn in which profileForAction found the operator's connection down for now (worth a retry). */
const OPERATOR_DOWN_FOR_NOW = Symbol('operatorDownForNow');

/** Whether this turn's profileForAction failed only because Gorgias is down or busy for the operator's connection. */
export function operatorDownForNow(context: TurnContext): boolean {
  return context.turnState.get(OPERATOR_DOWN_FOR_NOW) === true;
}

/**
 * The connected profile for this turn, or undefined after telling the user why there is none.
 *
 * `retryCommand` is what Try again re-sends when the operator's connection is down for now: by default
 * the message itself when it is a ticket command; `false` when the caller offers its own retry (a dialog
 * that keeps a draft).
 */
export async function profileForAction(
  services: ActionServices,
  context: TurnContext,
  retryCommand?: string | false,
): Promise<ConnectedProfile | undefined> {
  const credentials = await services.credentials.forTurn(context);
  switch (credentials.state) {
    case 'connected':
      if (!credentials.needsReconnect) return credentials.profile;
      await context.sendActivity(MessageFactory.suggestedActions([say.RECONNECT], say.KEY_REJECTED_RECONNECT));
      return undefined;
    case 'not_connected':
      await context.sendActivity(
        context.activity.conversation?.isGroup === true
          ? MessageFactory.suggestedActions([say.HELP], say.GROUP_NOT_CONNECTED)
          : MessageFactory.suggestedActions([say.CONNECT, say.HELP], say.NOT_CONNECTED),
      );
      return undefined;
    case 'unreadable':
      await context.sendActivity(MessageFactory.suggestedActions([say.CONNECT], say.UNREADABLE_PROFILE));
      return undefined;
    case 'operator_unavailable': {
      const failure = credentials.failure;
      if (failure.kind !== 'unauthorized' && !isTransient(failure)) {
        // A 403, no account, an answer that is no account: only the operator can fix it (the operator's log
        // has it, from the check: operatorConnection.ts), and every try fails alike.
        await context.sendActivity(MessageFactory.suggestedActions([say.STATUS, say.HELP], say.operatorBroken(credentials.host, credentials.email)));
        return undefined;
      }
      const text = explainFailure(failure, { topic: { kind: 'tickets' }, keyOwner: 'operator' });
      if (!isTransient(failure)) {
        await context.sendActivity(text);
        return undefined;
      }
      context.turnState.set(OPERATOR_DOWN_FOR_NOW, true);
      const command = retryCommand === undefined ? commandTyped(context) : retryCommand === false ? undefined : retryCommand;
      if (command === undefined) {
        await context.sendActivity(text);
        return undefined;
      }
      // Gorgias is down or busy: the same command, sent again later, may well work.
      await context.sendActivity(MessageFactory.suggestedActions([retryButton(command)], text));
      await services.retryCommand.set(context, command);
      return undefined;
    }
  }
}

/** The command a typed "try again" re-sends in this turn (see GorgiasActions.takeRetryCommand). */
const RETRIED_COMMAND = Symbol('retriedCommand');

export function noteRetriedCommand(context: TurnContext, command: string): void {
  context.turnState.set(RETRIED_COMMAND, command);
}

/** The command this turn runs: one re-sent by "try again", else the message's text when it is a ticket command (not "yes"). */
function commandTyped(context: TurnContext): string | undefined {
  const retried = context.turnState.get(RETRIED_COMMAND) as string | undefined;
  if (retried !== undefined) return retried;
  const typed = context.activity.text;
  if (typeof typed !== 'string') return undefined;
  return parseActionCommand(typed)?.ok === true ? typed.trim() : undefined;
}

export function linksFor(services: ActionServices, profile: ConnectedProfile): TicketLinks {
  return { webUrlFor: (id) => ticketWebUrl(services.urlTemplate, profile.subdomain, id) };
}

/** Marks a turn in which the user has already been told that Gorgias is busy. */
const BUSY_NOTICE_SENT = Symbol('gorgiasBusyNoticeSent');

/**
 * Tells the user when their request waits for the account's rate budget: once per turn, however many
 * calls the action makes (finding a customer makes two, each of which may wait).
 */
export function busyNotice(context: TurnContext): CallOptions {
  return {
    onQueued: async (waitMs) => {
      if (context.turnState.get(BUSY_NOTICE_SENT) === true) return;
      context.turnState.set(BUSY_NOTICE_SENT, true);
      // Now, not with the turn's replies: it is about the wait, which it would otherwise follow.
      await sendNow(context, busy(waitMs));
    },
  };
}

/** A card where the channel renders Adaptive Cards, the Markdown text elsewhere; one message either way. */
export async function sendResult(context: TurnContext, card: AdaptiveCard, text: string, suggestions: (string | CardAction)[] = []): Promise<void> {
  const message = channelRendersAdaptiveCards(context.activity.channelId)
    ? MessageFactory.attachment(asAttachment(card))
    : MessageFactory.text(text);
  if (suggestions.length > 0) message.suggestedActions = { actions: suggestions.map(toCardAction), to: [] };
  // What Gorgias answered is true whatever becomes of this turn's save (see heldReplies.ts).
  await sendNow(context, message);
}

function toCardAction(action: string | CardAction): CardAction {
  return typeof action === 'string' ? { type: ActionTypes.ImBack, title: action, value: action } : action;
}

/** A button that sends `command` again, so a retry needs no retyping. */
export function retryButton(command: string): CardAction {
  return { type: ActionTypes.ImBack, title: TRY_AGAIN, value: command };
}

/**
 * Failures worth simply trying again: Gorgias was slow, down, or busy, or its answer unreadable. Not an
 * unreadable answer to a write Gorgias accepted: trying again would create the ticket or customer twice.
 */
export function isTransient(failure: GorgiasFailure): boolean {
  if (failure.kind === 'bad_response') return failure.writeAccepted !== true;
  return failure.kind === 'unavailable' || failure.kind === 'rate_limited';
}

/**
 * Explains a failed call. A 401 means the key was revoked or rotated: a user's profile is marked as
 * needing reconnection (the operator's cannot be, and the user is told to contact them).
 */
export async function reportFailure(
  services: ActionServices,
  context: TurnContext,
  profile: ConnectedProfile,
  failure: GorgiasFailure,
  about: Omit<FailureContext, 'keyOwner'>,
  retryCommand?: string,
): Promise<void> {
  const keyOwner = profile.source === 'operator' ? 'operator' : 'user';
  const writeAccepted = failure.kind === 'bad_response' && failure.writeAccepted === true;
  // Users of the operator's key are not shown Gorgias's own words (see explainFailure): the operator needs them here.
  const gorgiasMessage = keyOwner === 'operator' && failure.kind === 'rejected' && failure.message ? failure.message.slice(0, 200) : undefined;
  services.logger.info(
    {
      event: 'gorgias.action_failed',
      failure: failure.kind,
      topic: about.topic.kind,
      ...(writeAccepted ? { writeAccepted } : {}),
      ...(gorgiasMessage === undefined ? {} : { status: (failure as { status: number }).status, gorgiasMessage }),
    },
    'a Gorgias action failed',
  );
  if (failure.kind === 'unauthorized' && keyOwner === 'operator') {
    // Only the operator can fix this, and users were told to tell them: say it where the operator looks.
    services.logger.error({ event: 'operator.key_rejected', subdomain: profile.subdomain, email: profile.email }, describeOperatorFailure(profile, failure));
  }
  if (failure.kind === 'unauthorized') await services.credentials.markKeyRejected(context);
  const text = explainFailure(failure, { ...about, keyOwner });
  const suggestions: (string | CardAction)[] = [];
  if (failure.kind === 'unauthorized' && keyOwner === 'user') suggestions.push(say.RECONNECT);
  else if (retryCommand !== undefined && isTransient(failure)) {
    suggestions.push(retryButton(retryCommand));
    // For a user who types "try again" rather than pressing the button, at their next message.
    await services.retryCommand.set(context, retryCommand);
  }
  await sendNow(context, suggestions.length > 0 ? MessageFactory.suggestedActions(suggestions.map(toCardAction), text) : MessageFactory.text(text));
}
