/**
 * The conversations the bench drives, turn by turn, each with the check its replies must pass, so that a
 * broken flow fails the run instead of producing a fast figure.
 */
import * as botSays from '../src/messages/bot';
import * as connectSays from '../src/messages/connect';
import { visibleText } from '../test/support/emulator';
import type { SentActivity } from './channel';
import type { Conversation, TurnResult } from './conversation';
import { ECHO_WELCOME, echoOf } from './echoReplies';
import type { GorgiasLedger } from './gorgiasLedger';

export interface Step {
  name: string;
  send(conversation: Conversation): Promise<TurnResult>;
  /** What is wrong with the turn's result, or undefined when it is what a user should see. */
  check(result: TurnResult): string | undefined;
}

export interface Tenant {
  subdomain: string;
  email: string;
  apiKey: string;
}

/** What a connected conversation cost in Gorgias calls, summed over the run. */
export interface GorgiasTally {
  authorizations: number;
  verifyCalls: number;
  statusCalls: number;
}

/** The words appear in the text, the summary or (JSON-escaped) an Adaptive Card. */
export function mentions(activity: SentActivity, expected: string): boolean {
  const seen = visibleText(activity);
  return seen.includes(expected) || seen.includes(JSON.stringify(expected).slice(1, -1)) || activity.summary === expected;
}

/** The problem with an HTTP answer and its messages, before looking at their content. */
export function answerProblem(result: TurnResult): string | undefined {
  if (result.error !== undefined) return `the POST failed: ${result.error}`;
  if (result.status < 200 || result.status >= 300) return `HTTP ${result.status}`;
  if (result.messages.length === 0) return 'no message came back';
  return undefined;
}

export function expectMessage(result: TurnResult, expected: string, what: string): string | undefined {
  const problem = answerProblem(result);
  if (problem) return problem;
  if (result.messages.some((message) => mentions(message, expected))) return undefined;
  return `expected ${what}, got: ${result.messages.map((message) => visibleText(message).slice(0, 160)).join(' | ')}`;
}

/** Welcome, `connect`, subdomain, email, key (typed, as in the Emulator), `status`. */
export function productFlow(tenant: Tenant, ledger: GorgiasLedger, tally: GorgiasTally): Step[] {
  let callsWhenConnected = 0;
  return [
    {
      name: 'welcome',
      send: (chat) => chat.conversationUpdate(),
      check: (result) => expectMessage(result, botSays.WELCOME_USER_MODE, 'the welcome'),
    },
    {
      name: 'connect',
      send: (chat) => chat.say('connect'),
      check: (result) => expectMessage(result, connectSays.ASK_SUBDOMAIN, 'the subdomain question'),
    },
    {
      name: 'subdomain',
      send: (chat) => chat.say(tenant.subdomain),
      check: (result) => expectMessage(result, connectSays.ASK_EMAIL, 'the email question'),
    },
    {
      name: 'email',
      send: (chat) => chat.say(tenant.email),
      check: (result) => expectMessage(result, connectSays.ASK_API_KEY, 'the API key question'),
    },
    {
      name: 'key',
      send: (chat) => chat.say(tenant.apiKey),
      check: (result) => {
        const problem = expectMessage(result, connectSays.connected(tenant.subdomain, tenant.subdomain, tenant.email), `connected to ${tenant.subdomain}`);
        if (problem) return problem;
        if (result.activities.some((sent) => JSON.stringify(sent).includes(tenant.apiKey))) return 'a reply contains the API key';
        callsWhenConnected = ledger.calls(tenant.subdomain);
        if (callsWhenConnected !== 1) return `${callsWhenConnected} Gorgias calls to authorize (expected exactly 1)`;
        return undefined;
      },
    },
    {
      name: 'status',
      send: (chat) => chat.say('status'),
      check: (result) => {
        const problem =
          expectMessage(result, `**${tenant.email}**`, `the status with ${tenant.email}`) ??
          expectMessage(result, `**${tenant.subdomain}**`, `the status with ${tenant.subdomain}`);
        if (problem) return problem;
        const statusCalls = ledger.calls(tenant.subdomain) - callsWhenConnected;
        ledger.forget(tenant.subdomain);
        tally.authorizations += 1;
        tally.verifyCalls += callsWhenConnected;
        tally.statusCalls += statusCalls;
        return statusCalls === 0 ? undefined : `status called Gorgias ${statusCalls} time(s)`;
      },
    },
  ];
}

/** The same six turns, with the same texts, to the echo bot. */
export function echoFlow(tenant: Tenant): Step[] {
  const echoed = (name: string, text: string): Step => ({
    name,
    send: (chat) => chat.say(text),
    check: (result) => expectMessage(result, echoOf(text), `the echo of ${name}`),
  });
  return [
    { name: 'welcome', send: (chat) => chat.conversationUpdate(), check: (result) => expectMessage(result, ECHO_WELCOME, 'the welcome') },
    echoed('connect', 'connect'),
    echoed('subdomain', tenant.subdomain),
    echoed('email', tenant.email),
    echoed('key', tenant.apiKey),
    echoed('status', 'status'),
  ];
}
