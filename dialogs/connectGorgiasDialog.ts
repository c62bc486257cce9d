/**
 * Connects a user's Gorgias account: asks for the subdomain, the email and the API key, verifies them
 * with Gorgias, and stores the verified profile. When verification fails it asks again for only what was
 * wrong, keeping everything else the user already gave.
 */
import { ActivityTypes, MessageFactory, type TurnContext } from 'botbuilder';
import {
  ListStyle,
  WaterfallDialog,
  type DialogTurnResult,
  type PromptValidator,
  type WaterfallStepContext,
} from 'botbuilder-dialogs';
import type { Logger } from 'pino';
import type { GorgiasAccount, GorgiasCredentials, GorgiasFailure, GorgiasResult } from '../src/gorgias/types';
import * as say from '../src/messages/connect';
import { RETRY_CHOICES, choseTryAgain } from './retryChoices';
import { parseSubdomain } from '../src/validation/subdomain';
import { parseEmail } from '../src/validation/email';
import { holdsKeyLikeWord, mayHoldAKey, parseApiKey } from '../src/validation/apiKey';
import type { SecretBox } from '../src/security/secretBox';
import type { FailureLimiter, FailureScope } from '../src/security/failureLimiter';
import type { ConnectedProfile } from '../src/profile/profile';
import { channelDeletesUserMessages } from '../src/channels';
import { noteKeyNotice } from '../src/heldReplies';
import { ApiKeyPrompt, keyWasTyped } from './apiKeyPrompt';
import { InterruptibleDialog, type Interruption } from './interruptibleDialog';
import { textValidator } from './textValidator';
import { ExactChoicePrompt } from './exactChoicePrompt';
import { QuestionPrompt, type QuestionOptions } from './askingAgain';

export const CONNECT_DIALOG = 'connectGorgias';
const WATERFALL = 'connectGorgias.steps';
const SUBDOMAIN_PROMPT = 'connectGorgias.subdomain';
const EMAIL_PROMPT = 'connectGorgias.email';
const API_KEY_PROMPT = 'connectGorgias.apiKey';
const RETRY_PROMPT = 'connectGorgias.retry';
const RESTART_WORDS = new Set(['connect', 'connect gorgias', 'reconnect', 'login', 'log in']);

/** What the dialog carries between turns. The key, when known, is only ever held sealed. */
export interface ConnectOptions {
  subdomain?: string;
  email?: string;
  sealedKey?: string;
  /**
   * Verifications Gorgias refused in a row (wrong key, email or subdomain), across re-asks. Gorgias
   * being unavailable or busy is not the user's mistake and does not count.
   */
  failures?: number;
  /** Said together with the next question, so the user gets one message rather than two. */
  notice?: string;
}

export interface ConnectResult {
  connected: boolean;
}

export interface ConnectDependencies {
  verifier: { verifyAccount(credentials: GorgiasCredentials): Promise<GorgiasResult<GorgiasAccount>> };
  saveProfile(context: TurnContext, profile: ConnectedProfile): Promise<void>;
  secrets: SecretBox;
  limiter: FailureLimiter;
  maxVerifyFailures: number;
  /** Shown with the success message, e.g. the actions the user can take next. */
  nextSteps(context: TurnContext): string[];
  logger: Logger;
  now?: () => Date;
}

export class ConnectGorgiasDialog extends InterruptibleDialog<ConnectOptions> {
  private readonly now: () => Date;

  constructor(private readonly deps: ConnectDependencies) {
    super(CONNECT_DIALOG);
    this.now = deps.now ?? (() => new Date());
    const { logger } = deps;
    this.addDialog(new QuestionPrompt(SUBDOMAIN_PROMPT, keyAwareValidator(textValidator(parseSubdomain, 'What is your Gorgias subdomain?'), holdsKeyLikeWord, logger)))
      .addDialog(new QuestionPrompt(EMAIL_PROMPT, keyAwareValidator(textValidator(parseEmail, 'What email do you log in to Gorgias with?'), holdsKeyLikeWord, logger)))
      .addDialog(new ApiKeyPrompt(API_KEY_PROMPT, keyAwareValidator(textValidator(parseApiKey, 'Please paste your Gorgias API key.'), mayHoldAKey, logger)))
      .addDialog(new ExactChoicePrompt(RETRY_PROMPT))
      .addDialog(
        new WaterfallDialog<ConnectOptions>(WATERFALL, [
          this.askSubdomain.bind(this),
          this.askEmail.bind(this),
          this.askApiKey.bind(this),
          this.verify.bind(this),
          this.retryOrCancel.bind(this),
        ]),
      );
    this.initialDialogId = WATERFALL;
  }

  protected helpFor(activeDialogId: string | undefined): string {
    switch (activeDialogId) {
      case SUBDOMAIN_PROMPT:
        return say.HELP_SUBDOMAIN;
      case EMAIL_PROMPT:
        return say.HELP_EMAIL;
      case API_KEY_PROMPT:
        return say.HELP_API_KEY;
      default:
        return say.HELP_RETRY;
    }
  }

  /** Pressing "Connect Gorgias" (or typing connect) again mid-way means starting again, not a subdomain. */
  protected override interruptionFor(text: unknown): Interruption | undefined {
    const normalized = typeof text === 'string' && text.length <= 40 ? text.trim().toLowerCase().replace(/\s+/g, ' ') : '';
    return RESTART_WORDS.has(normalized) ? 'start over' : super.interruptionFor(text);
  }

  protected startOverOptions(notice: string): ConnectOptions {
    return { notice };
  }

  private async askSubdomain(step: WaterfallStepContext<ConnectOptions>): Promise<DialogTurnResult> {
    const options = step.options;
    if (options.failures === undefined) {
      // A fresh start: a locked-out user is told now, before being asked to paste a key again.
      const limit = await this.deps.limiter.check(failureScope(step.context));
      if (!limit.allowed) {
        await step.context.sendActivity(say.lockedOut(limit.retryAt, this.now()));
        return step.endDialog({ connected: false } satisfies ConnectResult);
      }
      options.failures = 0;
    }
    if (options.subdomain) return step.next(options.subdomain);
    return step.prompt(SUBDOMAIN_PROMPT, question(takeNotice(options), `${say.ASK_SUBDOMAIN}\n\n${say.INTERRUPTIONS_HINT}`));
  }

  private async askEmail(step: WaterfallStepContext<ConnectOptions>): Promise<DialogTurnResult> {
    const options = step.options;
    options.subdomain = step.result as string;
    if (options.email) return step.next(options.email);
    return step.prompt(EMAIL_PROMPT, question(takeNotice(options), say.ASK_EMAIL));
  }

  private async askApiKey(step: WaterfallStepContext<ConnectOptions>): Promise<DialogTurnResult> {
    const options = step.options;
    options.email = step.result as string;
    if (options.sealedKey) return step.next();
    return step.prompt(API_KEY_PROMPT, question(takeNotice(options), say.ASK_API_KEY));
  }

  private async verify(step: WaterfallStepContext<ConnectOptions>): Promise<DialogTurnResult> {
    const options = step.options;
    const context = step.context;
    const notes: string[] = [];
    const subdomain = options.subdomain as string;
    const email = options.email as string;

    let apiKey: string | undefined;
    if (typeof step.result === 'string') {
      apiKey = step.result;
      // A new key replaces any pending one; it is sealed only if the dialog has to keep it (see keepKey).
      options.sealedKey = undefined;
      if (keyWasTyped(context)) notes.push(await removeTypedKey(context, this.deps.logger));
    } else if (options.sealedKey) {
      apiKey = this.deps.secrets.open(options.sealedKey, pendingKeyBinding(context))?.plaintext;
    }
    if (apiKey === undefined) {
      // The bot's encryption key changed while this dialog waited: the pending key cannot be read back.
      options.sealedKey = undefined;
      return step.replaceDialog(WATERFALL, { ...options, notice: 'Please give me your API key again.' });
    }

    const key = apiKey;
    /** Seals the key into the dialog's state, for a question or retry that comes back to it in a later turn. */
    const keepKey = (): string => (options.sealedKey ??= this.deps.secrets.seal(key, pendingKeyBinding(context)));

    const scope = failureScope(context);
    const limit = await this.deps.limiter.check(scope);
    if (!limit.allowed) {
      this.deps.logger.warn({ event: 'connect.locked_out', subdomain }, 'verification refused: too many recent failures');
      await context.sendActivity(joinLines([...notes, say.lockedOut(limit.retryAt, this.now())]));
      return step.endDialog({ connected: false } satisfies ConnectResult);
    }

    const verification = this.deps.verifier.verifyAccount({ subdomain, email, apiKey });
    await showTypingWhileSlow(context, verification);
    const outcome = await verification;
    if (outcome.ok) {
      await this.deps.saveProfile(context, {
        subdomain,
        email,
        apiKey,
        ownerId: context.activity.from.id,
        account: outcome.value,
        verifiedAt: this.now().toISOString(),
        source: 'user',
      });
      this.deps.logger.info({ event: 'connect.verified', subdomain, accountDomain: outcome.value.domain }, 'Gorgias account connected');
      const reply = MessageFactory.suggestedActions(this.deps.nextSteps(context), joinLines([...notes, say.connected(subdomain, outcome.value.domain, email)]));
      await context.sendActivity(reply);
      return step.endDialog({ connected: true } satisfies ConnectResult);
    }

    const failure = outcome.failure;
    this.deps.logger.info({ event: 'connect.failed', subdomain, failure: failure.kind }, 'Gorgias verification failed');
    if (isCredentialFailure(failure)) {
      await this.deps.limiter.recordFailure(scope);
      // That failure may have been the one that locks the user out: say so now, not after they paste a key again.
      const after = await this.deps.limiter.check(scope);
      if (!after.allowed) {
        this.deps.logger.warn({ event: 'connect.locked_out', subdomain }, 'too many recent failures; stopped asking');
        await context.sendActivity(joinLines([...notes, say.lockedOut(after.retryAt, this.now())]));
        return step.endDialog({ connected: false } satisfies ConnectResult);
      }
    }
    const failures = (options.failures ?? 0) + (isCredentialFailure(failure) ? 1 : 0);
    if (failures >= this.deps.maxVerifyFailures) {
      await context.sendActivity(joinLines([...notes, say.tooManyFailures(failures)]));
      return step.endDialog({ connected: false } satisfies ConnectResult);
    }

    switch (failure.kind) {
      case 'unauthorized':
        return step.replaceDialog(WATERFALL, { subdomain, failures, notice: joinLines([...notes, say.subdomainIsFine(subdomain)]) });
      case 'forbidden':
        return step.replaceDialog(WATERFALL, { subdomain, failures, notice: joinLines([...notes, say.forbidden(email)]) });
      case 'no_account':
        return step.replaceDialog(WATERFALL, { email, sealedKey: keepKey(), failures, notice: joinLines([...notes, say.noAccount(subdomain)]) });
      default: {
        options.failures = failures;
        keepKey();
        const explanation = failure.kind === 'rate_limited' ? say.rateLimited(failure.retryAfterSeconds) : explainTransient(failure);
        const retry: QuestionOptions = {
          prompt: joinLines([...notes, explanation, say.RETRY_OR_CANCEL]),
          question: joinLines([explanation, say.RETRY_OR_CANCEL]),
          retryPrompt: `${say.HELP_RETRY}`,
          choices: RETRY_CHOICES,
          style: ListStyle.suggestedAction,
        };
        return step.prompt(RETRY_PROMPT, retry);
      }
    }
  }

  private async retryOrCancel(step: WaterfallStepContext<ConnectOptions>): Promise<DialogTurnResult> {
    if (choseTryAgain(step.result)) {
      const { subdomain, email, sealedKey, failures } = step.options;
      return step.replaceDialog(WATERFALL, { subdomain, email, sealedKey, failures });
    }
    await step.context.sendActivity(say.CANCELLED);
    return step.endDialog({ connected: false } satisfies ConnectResult);
  }
}

function explainTransient(failure: GorgiasFailure): string {
  return failure.kind === 'unavailable' ? say.unavailable(failure) : say.unexpectedAnswer();
}

function isCredentialFailure(failure: GorgiasFailure): boolean {
  return failure.kind === 'unauthorized' || failure.kind === 'forbidden' || failure.kind === 'no_account';
}

function takeNotice(options: ConnectOptions): string | undefined {
  const notice = options.notice;
  options.notice = undefined;
  return notice;
}

/** The question with the notice before it in one message; asked again later (help, status) without it. */
function question(notice: string | undefined, bare: string): QuestionOptions {
  return { prompt: notice ? `${notice}\n\n${bare}` : bare, question: bare };
}

function joinLines(parts: string[]): string {
  return parts.filter((part) => part !== '').join('\n\n');
}

/** How long Gorgias may take before the user is shown that the bot is working on it. */
export const TYPING_DELAY_MS = 300;

/**
 * Shows a typing indicator if `work` takes longer than TYPING_DELAY_MS. A quick answer needs none, and
 * every activity is an HTTP call to the channel (see the Performance section of the README).
 */
async function showTypingWhileSlow(context: TurnContext, work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), TYPING_DELAY_MS);
  });
  const finished = work.then(
    () => false,
    () => false,
  );
  const tooSlow = await Promise.race([finished, slow]);
  clearTimeout(timer);
  if (tooSlow) await context.sendActivity({ type: ActivityTypes.Typing });
}

/** A pending key is bound to its conversation and user, so it cannot be lifted into another one. */
function pendingKeyBinding(context: TurnContext): string {
  return `gorgias-pending-key/v1|${context.activity.channelId}|${context.activity.conversation.id}|${context.activity.from.id}`;
}

function failureScope(context: TurnContext): FailureScope {
  const activity = context.activity;
  return {
    userKey: `${activity.channelId}/users/${activity.from.id}`,
    conversationKey: `${activity.channelId}/conversations/${activity.conversation.id}`,
  };
}

/**
 * The key was typed as a visible message. Delete it where the channel really can; elsewhere ask the user
 * to, and never claim a deletion that did not happen.
 */
async function removeTypedKey(context: TurnContext, logger: Logger, certainty: 'key' | 'maybe a key' = 'key'): Promise<string> {
  const notice = await deleteOrAskToDelete(context, logger, certainty);
  noteKeyNotice(context, notice);
  return notice;
}

async function deleteOrAskToDelete(context: TurnContext, logger: Logger, certainty: 'key' | 'maybe a key'): Promise<string> {
  const activityId = context.activity.id;
  if (activityId && channelDeletesUserMessages(context.activity.channelId)) {
    try {
      await context.deleteActivity(activityId);
      return certainty === 'key' ? say.keyMessageDeleted() : say.possibleKeyMessageDeleted();
    } catch (error) {
      logger.info({ event: 'connect.delete_key_message_failed', err: error }, 'could not delete the message holding the key');
    }
  }
  return certainty === 'key' ? say.pleaseDeleteKeyMessage() : say.pleaseDeletePossibleKeyMessage();
}

/**
 * A question's validator with care for a key typed where it does not belong: the parser's verdict, and for
 * a typed answer it refuses that `mayHoldKey` (pasted at the subdomain or email question, or pasted with a
 * space in it at the key question), the same notice as for a typed key: it is visible in the chat.
 */
function keyAwareValidator(validate: PromptValidator<string>, mayHoldKey: (text: string) => boolean, logger: Logger): PromptValidator<string> {
  return async (prompt) => {
    if (await validate(prompt)) return true;
    const context = prompt.context;
    const typed = context.activity.text;
    if (keyWasTyped(context) && typeof typed === 'string' && mayHoldKey(typed)) {
      const notice = await removeTypedKey(context, logger, 'maybe a key');
      const retry = prompt.options.retryPrompt;
      if (typeof retry === 'string') prompt.options.retryPrompt = `${notice}\n\n${retry}`;
    }
    return false;
  };
}
