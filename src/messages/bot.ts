/** What the bot says outside the connect dialog. Plain functions, no SDK. */
import type { ConnectedProfile } from '../profile/profile';
import { maskApiKey } from '../profile/profile';

export const CONNECT = 'Connect Gorgias';
export const RECONNECT = 'Reconnect';
export const STATUS = 'Status';
export const DISCONNECT = 'Disconnect';
export const HELP = 'Help';

export const WELCOME_USER_MODE =
  "Hi! I'm the Gorgias bot. Connect your Gorgias helpdesk account here and then work with your tickets and customers right from this chat.";

export function welcomeOperatorMode(host: string, offersActions = true): string {
  return offersActions
    ? `Hi! I'm the Gorgias bot, connected to **${host}**. I can help you with Gorgias tickets and customers right from this chat.`
    : `Hi! I'm the Gorgias bot, connected to **${host}**. This bot offers no ticket or customer actions; type **status** to see the connection.`;
}

/** Pre-authorized mode, and Gorgias answers the operator's connection in a way only the operator can fix (403, no account). */
export function welcomeOperatorBroken(host: string): string {
  return `Hi! I'm the Gorgias bot for **${host}**, but the Gorgias connection the bot's operator set up doesn't work right now. Please tell them; there is nothing you can do from here.`;
}

export function operatorBroken(host: string, email: string): string {
  return `The bot's operator connected me to **${host}** as **${email}**, but that connection doesn't work right now (Gorgias refuses it). Please tell the bot's operator; there is nothing you can do from here.`;
}

/** Pre-authorized mode, and Gorgias refuses the operator's key: only the operator can fix it. */
export function welcomeOperatorKeyRejected(host: string): string {
  return `Hi! I'm the Gorgias bot for **${host}**, but Gorgias no longer accepts the API key the bot's operator set up: please tell them.`;
}

/** Pre-authorized mode while Gorgias cannot be reached to confirm the operator's connection. */
export function welcomeOperatorUnavailable(host: string, reason: string): string {
  return `Hi! I'm the Gorgias bot for **${host}**, but I can't reach that account right now (${reason}); please try again in a moment.`;
}

export const HELP_USER_MODE =
  'Here is what I understand:\n\n' +
  '- **connect**: connect your Gorgias account (I ask for your subdomain, email and API key)\n' +
  '- **status**: whether you are connected, and to which account\n' +
  '- **disconnect**: forget your account and its key\n' +
  '- **help**: this list';

export const HELP_OPERATOR_MODE =
  'Here is what I understand:\n\n' +
  '- **status**: which Gorgias account I am connected to\n' +
  '- **help**: this list\n\n' +
  "The Gorgias connection is set up by the bot's operator, so you don't need to connect anything.";

export const NOT_UNDERSTOOD = "Sorry, I didn't get that. Type **help** to see what I can do.";
/** "try again" typed when the last message offered nothing to try again. */
export const NOTHING_TO_RETRY = 'There is nothing to try again right now. Type **help** to see what I can do.';
export const NOTHING_TO_CANCEL = 'There is nothing to cancel right now. Type **help** to see what I can do.';
export const STALE_KEY_FORM =
  "That form is no longer active, so I didn't use what was in it. Type **connect** to connect your Gorgias account.";
/** The same in pre-authorized mode, where users never connect. */
export const STALE_KEY_FORM_OPERATOR_MODE =
  "That form is no longer active, so I didn't use what was in it. The bot's operator manages the Gorgias connection here: there's no key to give.";
export const NOT_TEXT = 'I can only read typed text. Type **help** to see what I can do.';

export const NOT_CONNECTED = "You haven't connected a Gorgias account yet. Type **connect** to do it.";
/**
 * In user mode a group chat can never be connected (connecting asks for a key, which the group would
 * see), and a connection belongs to the chat it was made in: say so rather than offer a Connect that fails.
 */
export const GROUP_NOT_CONNECTED =
  'No Gorgias account is connected in this group chat, and I only connect one in a one-to-one chat, since connecting asks for an API key. Open a one-to-one chat with me and type **connect** there to work with tickets.';
export const WELCOME_GROUP_USER_MODE =
  "Hi! I'm the Gorgias bot. I work with Gorgias tickets and customers in a one-to-one chat with me, where you connect your account: open one and type **connect** there.";
export const UNREADABLE_PROFILE =
  "I can't read your saved Gorgias connection any more (the bot's encryption key changed), so please connect again: type **connect**.";

export function status(profile: ConnectedProfile, needsReconnect: boolean): string {
  if (profile.source === 'operator') {
    return (
      `I'm connected to **${profile.subdomain}.gorgias.com** (account **${profile.account.domain}**) as **${profile.email}**. ` +
      "This connection was set up by the bot's operator."
    );
  }
  const lines = [
    `You're connected to Gorgias:`,
    `- Subdomain: **${profile.subdomain}** (${profile.subdomain}.gorgias.com)`,
    `- Account: **${profile.account.domain}**`,
    `- Email: **${profile.email}**`,
    `- API key: ${maskApiKey(profile.apiKey)}`,
    `- Verified: ${profile.verifiedAt}`,
  ];
  if (needsReconnect) lines.push('', 'Gorgias stopped accepting this key: type **reconnect** to connect again.');
  return lines.join('\n');
}

export function alreadyConnected(profile: ConnectedProfile): string {
  return `You're already connected to **${profile.subdomain}.gorgias.com** as **${profile.email}**. Choose **Reconnect** to connect again with other details.`;
}

export const KEY_REJECTED_RECONNECT =
  'Gorgias stopped accepting your API key (it was probably revoked or rotated). Choose **Reconnect** to connect again with a current key.';

export const DISCONNECTED = "Done: I've forgotten your Gorgias account and deleted its key. Type **connect** to connect again.";
export const NOTHING_TO_DISCONNECT = 'There is no connected Gorgias account to forget.';

/** `status` typed while the connect dialog waits for an answer. */
export const CONNECTING_IN_PROGRESS =
  "You're in the middle of connecting a Gorgias account: answer the question below, or type **cancel** to stop. Nothing changes until Gorgias accepts the new key.";
export const NOT_CONNECTED_YET = "You haven't connected a Gorgias account yet.";
/** `disconnect` typed while the connect dialog waits for an answer: the dialog stops first. */
export const STOPPED_CONNECTING = 'I stopped connecting; nothing new was stored.';

export const OPERATOR_MANAGES_CONNECT =
  "There's nothing to connect: the bot's operator manages the Gorgias connection and has already connected me for everyone.";
/** The same when that connection does not work right now: `status` says why. */
export const OPERATOR_MANAGES_CONNECT_UNAVAILABLE =
  "There's nothing to connect here: the bot's operator manages the Gorgias connection for everyone. It isn't working right now; type **status** to see why.";
export const OPERATOR_MANAGES_DISCONNECT =
  "I can't disconnect: the Gorgias connection is managed by the bot's operator for everyone. Please contact them.";

export function operatorKeyRejected(host: string, email: string): string {
  return (
    `The bot's operator connected me to **${host}** as **${email}**, but Gorgias no longer accepts that API key. ` +
    "Please tell the bot's operator; there is nothing you can do from here."
  );
}

export function operatorUnavailable(host: string, email: string, reason: string): string {
  return (
    `The bot's operator connected me to **${host}** as **${email}**, but I can't reach that Gorgias account right now (${reason}). ` +
    'Please try again in a moment.'
  );
}

export const RESEND_PLEASE =
  "Sorry, I was handling another message of yours at the same moment and couldn't save this one. Please send it again.";

/** After a failed turn the conversation's dialog is reset (see GorgiasBot.resetDialog): what was under way starts again. */
export const TURN_ERROR =
  "Sorry, something went wrong on my side and I couldn't finish that. Please try again; if we were in the middle of something, start it again (type **help** to see what I can do).";

/** The turn's state could not be read or saved (see GorgiasBot.run): what is stored is as before it. */
export const STORAGE_FAILED = "Sorry, I couldn't reach my storage just now, so I couldn't finish that. Please send it again in a moment.";

/** A turn that changed Gorgias (and said so) could not save the chat's state because the storage failed. */
export const DONE_BUT_STORAGE_FAILED =
  "That is done in Gorgias, as said above, but I couldn't reach my storage to note it, so I stopped what we were doing here: there is nothing to send again.";

/** A turn whose change to Gorgias got no answer could not save the chat's state because the storage failed. */
export const MAYBE_DONE_BUT_STORAGE_FAILED =
  "Gorgias may have done that anyway, as said above, and I couldn't reach my storage to note where we were, so I stopped what we were doing here: please check in Gorgias before doing it again.";

/** A turn whose change to Gorgias got no answer could not save the chat's state: another turn saved first. */
export const MAYBE_DONE_BUT_NOT_SAVED =
  'Gorgias may have done that anyway, as said above. Another message of yours was handled at the same moment, so I stopped what we were doing here: please check in Gorgias before doing it again.';

/** After a turn that changed Gorgias (and said so) could not save the chat's state: see GorgiasBot.run. */
export const DONE_BUT_NOT_SAVED =
  "That is done in Gorgias, as said above. Another message of yours was handled at the same moment, so I stopped what we were doing here: there is nothing to send again.";

/** Said before a yes/no question asked again, after an answer that was neither. */
export const ANSWER_YES_OR_NO = 'Please answer **yes** or **no**.';
