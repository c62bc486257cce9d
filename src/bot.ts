/**
 * The bot: where every turn enters after the adapter. It greets new members, runs the active dialog,
 * and answers the commands that need no dialog (connect, status, disconnect, help). State is read once
 * and written once per turn.
 */
import { ActivityHandler, ActivityTypes, MessageFactory, type Activity, type ConversationState, type StatePropertyAccessor, type TurnContext } from 'botbuilder';
import { DialogSet, DialogTurnStatus, type DialogContext, type DialogState } from 'botbuilder-dialogs';
import type { Logger } from 'pino';
import { CONNECT_DIALOG, type ConnectGorgiasDialog } from '../dialogs/connectGorgiasDialog';
import { gaveWayToCommand } from '../dialogs/interruptibleDialog';
import type { GorgiasActions } from '../dialogs/gorgiasActions';
import * as say from './messages/bot';
import { apiKeyFromSubmission } from './cards/apiKeyCard';
import { GROUP_CONNECT_DM_SENT, GROUP_CONNECT_PRIVATE_INVITE, GROUP_CONNECT_REFUSED } from './messages/connect';
import { OperatorCredentials, type CredentialsSource, type TurnCredentials } from './turnCredentials';
import type { ProfileStore } from './profileStore';
import { ConversationQueue } from './conversationQueue';
import { DialogContexts } from './dialogContexts';
import { HeldReplies, type GorgiasChange } from './heldReplies';
import { isETagConflict } from './storage/eTagConflict';
import { isStorageFailure } from './storage/storageFailure';
import { BoundedKeySet } from './boundedKeySet';
import { isTransientFailure } from './operatorConnection';

export interface BotDependencies {
  conversationState: ConversationState;
  connectDialog: ConnectGorgiasDialog;
  /** The ticket and customer actions enabled by GORGIAS_ACTIONS. */
  actions: GorgiasActions;
  credentials: CredentialsSource;
  profiles: ProfileStore;
  logger: Logger;
  /** MicrosoftAppId, for opening a one-to-one chat from a group (empty with the Emulator). */
  botAppId?: string;
}

/** Each in-memory key set of the bot holds at most this many (about 1 MB of keys). */
const MAX_REMEMBERED_KEYS = 10_000;

type Command = 'connect' | 'reconnect' | 'status' | 'disconnect' | 'help' | 'greeting' | 'retry' | 'cancel';

const COMMANDS: Record<string, Command> = {
  connect: 'connect',
  'connect gorgias': 'connect',
  login: 'connect',
  reconnect: 'reconnect',
  status: 'status',
  disconnect: 'disconnect',
  logout: 'disconnect',
  help: 'help',
  '?': 'help',
  hi: 'greeting',
  hello: 'greeting',
  hey: 'greeting',
  start: 'greeting',
  'try again': 'retry',
  retry: 'retry',
  again: 'retry',
  cancel: 'cancel',
  stop: 'cancel',
  quit: 'cancel',
};

export function commandIn(text: string | undefined): Command | undefined {
  if (typeof text !== 'string' || text.length > 40) return undefined;
  const normalized = text.trim().toLowerCase().replace(/^\//, '').replace(/\s+/g, ' ');
  // "?" alone asks for help; after a word ("status?", "help!") the punctuation is just tone.
  return COMMANDS[normalized] ?? COMMANDS[normalized.replace(/[.!?]+$/, '').trim()];
}

export class GorgiasBot extends ActivityHandler {
  private readonly dialogState: StatePropertyAccessor<DialogState>;
  private readonly welcomed: StatePropertyAccessor<boolean>;
  private readonly dialogs: DialogContexts;
  private readonly queue = new ConversationQueue();
  /**
   * Conversations whose turn did (or may have done) something in Gorgias but whose state was not saved:
   * their stored dialog still waits for the answer just acted on, so their next turn clears it first.
   */
  private readonly unsavedDialogs = new BoundedKeySet(MAX_REMEMBERED_KEYS);
  /**
   * Activities already handled, by conversation, type and id: a channel that got no answer in time sends
   * one again. Only turns that finished (or changed Gorgias) are remembered, so a retry of a failed one runs.
   */
  private readonly handled = new BoundedKeySet(MAX_REMEMBERED_KEYS);

  constructor(private readonly deps: BotDependencies) {
    super();
    this.dialogState = deps.conversationState.createProperty<DialogState>('dialogState');
    this.welcomed = deps.conversationState.createProperty<boolean>('welcomed');
    const dialogSet = new DialogSet(this.dialogState).add(deps.connectDialog);
    for (const dialog of deps.actions.dialogs) dialogSet.add(dialog);
    this.dialogs = new DialogContexts(dialogSet);

    this.onMembersAdded(async (context, next) => {
      const newcomers = (context.activity.membersAdded ?? []).filter((member) => member.id !== context.activity.recipient?.id);
      if (newcomers.length > 0 && !(await this.welcomed.get(context, false))) {
        await this.welcomed.set(context, true);
        await context.sendActivity(await this.welcome(context));
      }
      await next();
    });

    this.onMessage(async (context, next) => {
      await this.handleMessage(context);
      await next();
    });
  }

  /**
   * Runs the turn after any earlier turn of the same conversation has finished, then writes conversation
   * state once, with the eTag it was read with (see OptimisticConversationState). The turn's replies go
   * out only once that write has succeeded (see HeldReplies).
   */
  override async run(context: TurnContext): Promise<void> {
    const activity = context.activity;
    const conversationKey = `${activity.channelId}/${activity.conversation?.id}`;
    // Ids come from the channel, which numbers a conversation's activities; an activity without one is never a repeat.
    // The type too: Teams sends a message's edit (messageUpdate) with the message's own id.
    const activityKey = typeof activity.id === 'string' && activity.id !== '' ? `${conversationKey}/${activity.type}/${activity.id}` : undefined;
    await this.queue.run(conversationKey, async () => {
      if (activityKey !== undefined && this.handled.has(activityKey)) {
        this.deps.logger.info({ event: 'turn.repeat_ignored', channelId: activity.channelId, activityType: activity.type }, 'an activity handled already came again');
        return;
      }
      const replies = new HeldReplies(context);
      const forgetDialog = this.unsavedDialogs.take(conversationKey);
      try {
        if (forgetDialog) await this.dialogState.delete(context);
        await super.run(context);
        await this.deps.conversationState.saveChanges(context, false);
      } catch (error) {
        // What the turn said may not be true now: one of the answers below, or the adapter's error handler, replaces it.
        replies.discard();
        // A turn that did something in Gorgias is handled, saved or not: a repeat must not get a second answer.
        if (activityKey !== undefined && replies.gorgiasChange !== undefined) this.handled.add(activityKey);
        if (isStorageFailure(error)) {
          // Still not cleared: the next turn tries again.
          if (forgetDialog) this.unsavedDialogs.add(conversationKey);
          await this.answerStorageFailure(context, conversationKey, replies.gorgiasChange, replies.keyVisibleNotice);
          return;
        }
        if (!isETagConflict(error)) throw error;
        // Another instance handled a message of this conversation meanwhile: keep its changes, not ours.
        this.deps.logger.warn({ event: 'state.etag_conflict', channelId: activity.channelId }, 'conversation changed by another turn; asked the user to resend');
        // A turn that did (or may have done) something in Gorgias, or had to clear a dialog that had, must
        // not leave the latest version waiting for the same answer: it could act twice.
        const change = replies.gorgiasChange;
        if ((change !== undefined || forgetDialog) && !(await this.forgetDialogAfterConflict(context))) this.unsavedDialogs.add(conversationKey);
        const reply = change === 'done' ? say.DONE_BUT_NOT_SAVED : change === 'maybe' ? say.MAYBE_DONE_BUT_NOT_SAVED : say.RESEND_PLEASE;
        await context.sendActivity(withKeyNotice(replies.keyVisibleNotice, reply));
        return;
      }
      if (activityKey !== undefined) this.handled.add(activityKey);
      await replies.release();
    });
  }

  /**
   * The turn's state could not be read or saved. Nothing is reset: that would call the failing storage
   * again, and the stored state is most likely what it was before this turn, so the user can send the
   * message again. Unless this turn did (or may have done) something in Gorgias: then the conversation's
   * dialog is cleared at its next turn, so the same answer cannot act twice.
   */
  private async answerStorageFailure(
    context: TurnContext,
    conversationKey: string,
    change: GorgiasChange | undefined,
    keyNotice: string | undefined,
  ): Promise<void> {
    this.deps.logger.warn({ event: 'state.storage_failed', channelId: context.activity.channelId, gorgiasChange: change ?? 'none' }, 'conversation state could not be read or saved');
    if (change !== undefined) this.unsavedDialogs.add(conversationKey);
    // Nothing to answer for a member joining: they sent nothing, and get no welcome this time.
    if (context.activity.type !== ActivityTypes.Message) return;
    const reply = change === 'done' ? say.DONE_BUT_STORAGE_FAILED : change === 'maybe' ? say.MAYBE_DONE_BUT_STORAGE_FAILED : say.STORAGE_FAILED;
    try {
      await context.sendActivity(withKeyNotice(keyNotice, reply));
    } catch (error) {
      this.deps.logger.warn({ event: 'turn.reply_failed', err: error }, 'could not tell the user that the storage failed');
    }
  }

  /**
   * After an eTag conflict in a turn that changed Gorgias: the saved version (the other turn's) may still
   * have the dialog waiting for the answer that was just acted on. Its dialog is cleared on the latest
   * version, keeping everything else the other turn saved, so the same answer cannot act twice.
   */
  private async forgetDialogAfterConflict(context: TurnContext): Promise<boolean> {
    try {
      await this.deps.conversationState.load(context, true);
      await this.dialogState.delete(context);
      await this.deps.conversationState.saveChanges(context, false);
      return true;
    } catch (error) {
      this.deps.logger.warn({ event: 'state.conflict_recovery_failed', err: error }, 'could not clear the dialog after a conflict');
      return false;
    }
  }

  /**
   * After a failed turn: forget the conversation's dialog (so the next message starts clean) but keep
   * the connected profile.
   */
  async resetDialog(context: TurnContext): Promise<void> {
    await this.dialogState.delete(context);
    await this.deps.conversationState.saveChanges(context, true);
  }

  private async handleMessage(context: TurnContext): Promise<void> {
    // A DialogContext costs real work per turn (see npm run bench -- --profile): build it only when a
    // dialog is waiting or about to start.
    let dc: DialogContext | undefined;
    const dialogContext = async (): Promise<DialogContext> => (dc ??= await this.dialogs.create(context));
    const text = textWithoutBotMention(context.activity);
    // The dialogs and their prompts read the activity's own text: without the @mention, in a Teams group
    // "<at>Bot</at> cancel" would be a subject rather than a cancel.
    if (text !== undefined && text !== context.activity.text?.trim()) context.activity.text = text;
    const command = commandIn(text);
    let stoppedConnecting = false;
    const waiting = (await this.dialogState.get(context))?.dialogStack?.length ?? 0;
    if (waiting > 0) {
      const active = await dialogContext();
      const connecting = active.activeDialog?.id === CONNECT_DIALOG;
      if (connecting && this.deps.credentials.managedByOperator) {
        // Saved before the bot was switched to pre-authorized mode: it must not go on asking for a key.
        await active.cancelAllDialogs();
      } else if (connecting && command === 'status') {
        // Not a subdomain called "status": answer it, and ask the same question again, keeping the answers so far.
        await context.sendActivity(await this.statusWhileConnecting(context));
        await active.repromptDialog();
        return;
      } else if (connecting && command === 'disconnect') {
        await active.cancelAllDialogs();
        stoppedConnecting = true;
      } else if (active.activeDialog) {
        const result = await active.continueDialog();
        if (result.status !== DialogTurnStatus.empty && !gaveWayToCommand(context.turnState)) return;
      }
    }

    const retry = await this.deps.actions.takeRetryCommand(context, command === 'retry');
    const action = command === undefined ? this.deps.actions.commandIn(context, text) : command === 'retry' ? retry : undefined;
    if (action) return this.deps.actions.run(await dialogContext(), action);
    switch (command) {
      case 'connect':
      case 'reconnect':
        return this.connect(context, command === 'reconnect', dialogContext);
      case 'status':
        return this.status(context);
      case 'disconnect':
        return this.disconnect(context, stoppedConnecting);
      case 'help':
        await context.sendActivity(MessageFactory.suggestedActions(await this.menu(context), this.helpText()));
        return;
      case 'greeting':
        await context.sendActivity(await this.welcome(context));
        return;
      case 'retry':
        await context.sendActivity(MessageFactory.suggestedActions(await this.menu(context), say.NOTHING_TO_RETRY));
        return;
      case 'cancel':
        await context.sendActivity(MessageFactory.suggestedActions(await this.menu(context), say.NOTHING_TO_CANCEL));
        return;
      default: {
        const hasText = typeof context.activity.text === 'string' && context.activity.text.trim() !== '';
        // A key card submitted after its dialog ended (cancelled, finished, or reset after an error).
        const staleKeyForm = !hasText && apiKeyFromSubmission(context.activity.value) !== undefined;
        const staleReply = this.deps.credentials.managedByOperator ? say.STALE_KEY_FORM_OPERATOR_MODE : say.STALE_KEY_FORM;
        const reply = staleKeyForm ? staleReply : hasText ? say.NOT_UNDERSTOOD : say.NOT_TEXT;
        await context.sendActivity(MessageFactory.suggestedActions(await this.menu(context), reply));
      }
    }
  }

  private async connect(context: TurnContext, reconnect: boolean, dialogContext: () => Promise<DialogContext>): Promise<void> {
    if (this.deps.credentials.managedByOperator) {
      const credentials = await this.deps.credentials.forTurn(context);
      await context.sendActivity(credentials.state === 'connected' ? say.OPERATOR_MANAGES_CONNECT : say.OPERATOR_MANAGES_CONNECT_UNAVAILABLE);
      return;
    }
    if (context.activity.conversation.isGroup) {
      // Others in the group would see the key: connecting happens only in a one-to-one chat.
      const invited = await this.inviteToOneToOneChat(context);
      await context.sendActivity(invited ? `${GROUP_CONNECT_REFUSED}\n\n${GROUP_CONNECT_DM_SENT}` : GROUP_CONNECT_REFUSED);
      return;
    }
    if (!reconnect) {
      const credentials = await this.deps.credentials.forTurn(context);
      if (credentials.state === 'connected' && !credentials.needsReconnect) {
        await context.sendActivity(MessageFactory.suggestedActions([say.RECONNECT, say.STATUS, say.DISCONNECT], say.alreadyConnected(credentials.profile)));
        return;
      }
    }
    await (await dialogContext()).beginDialog(CONNECT_DIALOG, {});
  }

  /**
   * Opens a one-to-one chat with the member who asked, where the channel lets a bot do that (Teams).
   * Returns whether the invitation was sent; a failure only means the group explanation stands alone.
   */
  private async inviteToOneToOneChat(context: TurnContext): Promise<boolean> {
    const activity = context.activity;
    if (activity.channelId !== 'msteams' || typeof activity.serviceUrl !== 'string' || !activity.recipient?.id) return false;
    const tenantId = activity.conversation.tenantId ?? (activity.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id;
    let delivered = false;
    try {
      await context.adapter.createConversationAsync(
        this.deps.botAppId ?? '',
        activity.channelId,
        activity.serviceUrl,
        // undefined: the adapter's default audience (the Bot Framework) for this channel.
        undefined as unknown as string,
        {
          isGroup: false,
          bot: activity.recipient,
          members: [{ id: activity.from.id, name: activity.from.name }],
          tenantId,
          channelData: tenantId ? { tenant: { id: tenantId } } : {},
        },
        async (privateContext) => {
          // Caught here, not by the adapter's turn-error handler, so a failed send is never reported as sent.
          try {
            await privateContext.sendActivity(MessageFactory.suggestedActions([say.CONNECT], GROUP_CONNECT_PRIVATE_INVITE));
            delivered = true;
          } catch (error) {
            this.deps.logger.warn({ event: 'group.private_message_failed', err: error }, 'could not send the one-to-one invitation');
          }
        },
      );
      return delivered;
    } catch (error) {
      this.deps.logger.warn({ event: 'group.private_chat_failed', err: error, channelId: activity.channelId }, 'could not open a one-to-one chat');
      return false;
    }
  }

  private async status(context: TurnContext): Promise<void> {
    const credentials = await this.deps.credentials.forTurn(context);
    const group = inGroup(context);
    await context.sendActivity(MessageFactory.suggestedActions(this.menuFor(credentials, group), this.describe(credentials, group)));
  }

  private describe(credentials: TurnCredentials, group = false): string {
    switch (credentials.state) {
      case 'connected':
        return say.status(credentials.profile, credentials.needsReconnect);
      case 'not_connected':
        return group ? say.GROUP_NOT_CONNECTED : say.NOT_CONNECTED;
      case 'unreadable':
        return say.UNREADABLE_PROFILE;
      case 'operator_unavailable':
        return credentials.failure.kind === 'unauthorized'
          ? say.operatorKeyRejected(credentials.host, credentials.email)
          : isTransientFailure(credentials.failure)
            ? say.operatorUnavailable(credentials.host, credentials.email, failureForUsers(credentials))
            : say.operatorBroken(credentials.host, credentials.email);
    }
  }

  private async disconnect(context: TurnContext, stoppedConnecting = false): Promise<void> {
    if (this.deps.credentials.managedByOperator) {
      await context.sendActivity(say.OPERATOR_MANAGES_DISCONNECT);
      return;
    }
    const removed = await this.deps.profiles.remove(context);
    if (removed) this.deps.logger.info({ event: 'profile.removed' }, 'user disconnected their Gorgias account');
    const outcome = removed ? say.DISCONNECTED : say.NOTHING_TO_DISCONNECT;
    await context.sendActivity(MessageFactory.suggestedActions([say.CONNECT, say.HELP], stoppedConnecting ? `${say.STOPPED_CONNECTING}\n\n${outcome}` : outcome));
  }

  /** What `status` says while the connect dialog waits: the connection as it stands, and that one is in progress. */
  private async statusWhileConnecting(context: TurnContext): Promise<string> {
    const credentials = await this.deps.credentials.forTurn(context);
    const now = credentials.state === 'not_connected' ? say.NOT_CONNECTED_YET : this.describe(credentials);
    return `${now}\n\n${say.CONNECTING_IN_PROGRESS}`;
  }

  private async welcome(context: TurnContext) {
    if (!this.deps.credentials.managedByOperator) {
      if (inGroup(context)) return MessageFactory.suggestedActions([say.HELP], say.WELCOME_GROUP_USER_MODE);
      return MessageFactory.suggestedActions(await this.menu(context), say.WELCOME_USER_MODE);
    }
    // The welcome must not promise a connection that `status`, asked next, would deny.
    const credentials = await this.deps.credentials.forTurn(context);
    const host = this.deps.credentials.fixedHost ?? '';
    let text = say.welcomeOperatorMode(host, this.deps.actions.helpLines().length > 0);
    if (credentials.state === 'operator_unavailable') {
      const failure = credentials.failure;
      if (failure.kind === 'unauthorized') text = say.welcomeOperatorKeyRejected(host);
      else text = isTransientFailure(failure) ? say.welcomeOperatorUnavailable(host, failureForUsers(credentials)) : say.welcomeOperatorBroken(host);
    }
    return MessageFactory.suggestedActions(this.menuFor(credentials), text);
  }

  private helpText(): string {
    const basics = this.deps.credentials.managedByOperator ? say.HELP_OPERATOR_MODE : say.HELP_USER_MODE;
    const actions = this.deps.actions.helpLines();
    return actions.length === 0 ? basics : `${basics}\n\nWith Gorgias:\n\n${actions.join('\n')}`;
  }

  /** The next steps worth offering: what a connected user can do, or how to connect. */
  async menu(context: TurnContext): Promise<string[]> {
    const credentials = this.deps.credentials;
    if (credentials instanceof OperatorCredentials) {
      // A menu must not wait for Gorgias (while it hangs, "help" would wait out the timeout): the last verdict.
      const failure = credentials.knownFailure();
      return failure !== undefined && !isTransientFailure(failure) ? [say.STATUS, say.HELP] : this.connectedMenu();
    }
    return this.menuFor(await this.deps.credentials.forTurn(context), inGroup(context));
  }

  private menuFor(credentials: TurnCredentials, group = false): string[] {
    if (this.deps.credentials.managedByOperator) {
      // Buttons that could only be refused help nobody: while the operator's connection is refused, status and help.
      const refused = credentials.state === 'operator_unavailable' && !isTransientFailure(credentials.failure);
      return refused ? [say.STATUS, say.HELP] : this.connectedMenu();
    }
    if (credentials.state === 'connected') return credentials.needsReconnect ? [say.RECONNECT, say.DISCONNECT, say.HELP] : this.connectedMenu();
    // Connect is refused in a group: offering it would only lead to that refusal.
    return group ? [say.HELP] : [say.CONNECT, say.HELP];
  }

  /** What a connected user is offered: the enabled actions, then the account commands. */
  connectedMenu(): string[] {
    const account = this.deps.credentials.managedByOperator ? [say.STATUS, say.HELP] : [say.STATUS, say.DISCONNECT, say.HELP];
    return [...this.deps.actions.buttons(), ...account];
  }
}

/** A key typed into the chat is still there (or was deleted): that is said whatever became of the turn. */
function withKeyNotice(keyNotice: string | undefined, reply: string): string {
  return keyNotice === undefined ? reply : `${keyNotice}\n\n${reply}`;
}

function inGroup(context: TurnContext): boolean {
  return context.activity.conversation?.isGroup === true;
}

/**
 * The message text without the bot's own @mention: in Teams group chats a command arrives as
 * `<at>Bot</at> connect`. Entities come from the caller, so malformed ones are skipped, not trusted.
 */
export function textWithoutBotMention(activity: Partial<Activity>): string | undefined {
  const text = activity.text;
  if (typeof text !== 'string' || !Array.isArray(activity.entities)) return text;
  const botId = activity.recipient?.id;
  let result = text;
  for (const entity of activity.entities as unknown[]) {
    const mention = entity as { type?: unknown; mentioned?: { id?: unknown }; text?: unknown } | null;
    if (typeof mention?.type !== 'string' || mention.type.toLowerCase() !== 'mention') continue;
    if (botId === undefined || mention.mentioned?.id !== botId) continue;
    if (typeof mention.text === 'string' && mention.text !== '') result = result.replace(mention.text, ' ');
  }
  return result.trim();
}

function failureForUsers(credentials: Extract<TurnCredentials, { state: 'operator_unavailable' }>): string {
  // The operator's line names the account and user; users only need to know it is Gorgias's side.
  return credentials.failure.kind === 'rate_limited' ? 'Gorgias is busy' : 'Gorgias did not answer';
}
