/**
 * What the bot says while connecting an account. Plain functions, no SDK: the words live in one place,
 * can be read top to bottom, and are tested without a bot.
 */
import type { GorgiasFailure } from '../gorgias/types';
import { waitDuration } from './duration';

export const ASK_SUBDOMAIN =
  "What is your Gorgias subdomain? It's the part before .gorgias.com in your browser's address bar, e.g. **acme** for https://acme.gorgias.com.";

export const ASK_EMAIL =
  'What email do you log in to Gorgias with? (It is also shown as **Username** under Your Profile → REST API.)';

export const ASK_API_KEY =
  'Now your Gorgias REST API key: in Gorgias open **Your Profile → REST API** and copy **Password (API Key)**. ' +
  "I'll check it with Gorgias and keep it encrypted; I never show it back to you.";

export const HELP_SUBDOMAIN =
  "Your subdomain is the first part of the address in your browser's address bar while Gorgias is open: " +
  'if it shows https://acme.gorgias.com, type **acme**. You can also paste the whole address.';

export const HELP_EMAIL =
  'Type the email address you use to log in to Gorgias. In Gorgias it is also shown under **Your Profile → REST API → Username**.';

export const HELP_API_KEY =
  'In Gorgias, click your avatar → **Your Profile** → **REST API**, then copy the value of **Password (API Key)**. ' +
  "If you can't see a REST API section, ask your Gorgias admin to create a key for you.";

export const HELP_RETRY = 'Choose **Try again** to ask Gorgias once more with what you gave me, or **Cancel** to stop; nothing is stored until Gorgias accepts it.';

export const INTERRUPTIONS_HINT = 'You can type **help**, **start over** or **cancel** at any time.';

export const CANCELLED = 'OK, I stopped. Nothing was stored. Type **connect** whenever you want to try again.';
export const STARTING_OVER = "Let's start over.";

export const NOT_TEXT = 'I can only read typed text here.';

/** `subdomain` is where the user connected (and where every call goes); Gorgias names the account `accountDomain`. */
export function connected(subdomain: string, accountDomain: string, email: string): string {
  return `You're connected to the Gorgias account **${accountDomain}** (${subdomain}.gorgias.com) as **${email}**.`;
}

export function subdomainIsFine(subdomain: string): string {
  return `Gorgias didn't accept that email and API key for **${subdomain}**. Let's try those two again; the subdomain is fine.`;
}

export function forbidden(email: string): string {
  return (
    `Gorgias accepted the key, but the user **${email}** doesn't have permission to read the account. ` +
    'Ask your Gorgias admin for access, or use the email and API key of a user who has it.'
  );
}

export function noAccount(subdomain: string): string {
  return `I couldn't find a Gorgias account at **${subdomain}.gorgias.com**. Please check the subdomain; I'll reuse the email and key you gave.`;
}

export function rateLimited(seconds: number): string {
  return `Gorgias is limiting how fast it can be called right now. Please wait about **${waitDuration(seconds)}**, then choose Try again.`;
}

export function unavailable(failure: Extract<GorgiasFailure, { kind: 'unavailable' }>): string {
  switch (failure.reason) {
    case 'timeout':
      return "Gorgias didn't answer in time.";
    case 'connection':
      return "I couldn't reach Gorgias.";
    case 'server_error':
      return `Gorgias had a problem answering (error ${failure.status ?? 500}).`;
  }
}

export function unexpectedAnswer(): string {
  return 'Gorgias gave an answer I could not understand.';
}

export const RETRY_OR_CANCEL = 'Do you want to try again?';
export const TRY_AGAIN = 'Try again';
export const CANCEL = 'Cancel';

export function tooManyFailures(attempts: number): string {
  return (
    `That didn't work ${attempts} times in a row, so I stopped; nothing was stored. Please check:\n\n` +
    '- the subdomain matches the address you open Gorgias at (https://**subdomain**.gorgias.com);\n' +
    '- the email is the one shown as **Username** under Your Profile → REST API;\n' +
    '- the key is the current **Password (API Key)** from the same page (an admin may have revoked the old one).\n\n' +
    'Type **connect** to try again.'
  );
}

export function lockedOut(retryAt: Date, now: Date): string {
  const minutes = Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 60_000));
  return `Too many failed attempts to connect. For your account's safety, please wait **${minutes} minute${minutes === 1 ? '' : 's'}** before trying again.`;
}

export function keyMessageDeleted(): string {
  return 'I deleted your message with the key from this chat.';
}

/** For a refused answer that may still hold the key (see mayHoldAKey). */
export function possibleKeyMessageDeleted(): string {
  return 'That looked like it could hold your key, so I deleted your message from this chat.';
}

export function pleaseDeletePossibleKeyMessage(): string {
  return 'If that message held your key, it is visible in this chat: please delete it.';
}

export function pleaseDeleteKeyMessage(): string {
  return 'Your key is visible in this chat: please delete the message you typed it in.';
}

export const GROUP_CONNECT_REFUSED =
  "I don't ask for API keys in group conversations, where others could see them. Please open a one-to-one chat with me and type **connect** there.";

export const GROUP_CONNECT_DM_SENT = "I've sent you a private message to connect your account there.";

/** The first message of the one-to-one chat the bot opens when someone asked to connect in a group. */
export const GROUP_CONNECT_PRIVATE_INVITE =
  'You asked me to connect your Gorgias account in a group conversation. This chat is just between us: type **connect** here to do it.';
