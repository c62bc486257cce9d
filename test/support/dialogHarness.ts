/**
 * The bot as app.ts's createBot builds it, but driven by botbuilder's TestAdapter instead of the HTTP
 * server, and given MemoryStorage, a real GorgiasClient pointed at a FakeGorgias server, a SecretBox
 * with a random key, and a pino logger writing to an array.
 */
import { randomBytes } from 'node:crypto';
import { ActivityTypes, ConversationState, MemoryStorage, TestAdapter, TestFlow, type Activity, type ConversationReference, type TurnContext } from 'botbuilder';
import { createBot } from '../../src/app';
import { ALL_ACTIONS, type GorgiasAction } from '../../src/config';
import { GorgiasClient, type GorgiasClientOptions } from '../../src/gorgias/client';
import { createLogger } from '../../src/logger';
import type { StoredProfile } from '../../src/profile/profile';
import { ProfileStore, type ProfileLookup } from '../../src/profileStore';
import { SecretBox } from '../../src/security/secretBox';
import { UserProfileCredentials } from '../../src/turnCredentials';
import { closedLoopbackPort } from './loopback';

export interface HarnessOptions {
  /** e.g. `fake.urlTemplate`, or a loopback port nobody listens on. */
  urlTemplate: string;
  /** 'emulator' renders the Adaptive Card key prompt; 'test' and 'slack' get the text fallback. */
  channelId?: string;
  isGroup?: boolean;
  timeoutMs?: number;
  maxVerifyFailures?: number;
  /** GORGIAS_ACTIONS; all of them by default. */
  actions?: GorgiasAction[];
  /** The limiter's own threshold (AUTH_FAILURE_LIMIT); high by default so it stays out of the way. */
  limiterMaxFailures?: number;
  /** Every activity the bot sends is also pushed here, so a test file can check all of them at the end. */
  transcript?: Partial<Activity>[];
  /** Every log line, as raw JSON text, is also pushed here. */
  logSink?: string[];
  /** The client's rate budget and queue settings, e.g. a small budget to exercise the queue quickly. */
  gorgias?: Pick<GorgiasClientOptions, 'rateLimit' | 'busyNoticeMs' | 'maxQueueWaitMs' | 'maxAutoRetryAfterSeconds'>;
}

/** A TestAdapter that records which activities the bot deleted, and can be told to refuse deletions. */
class DeletionRecordingAdapter extends TestAdapter {
  readonly deletedActivityIds: string[] = [];
  refuseDeletes = false;

  override async deleteActivity(context: TurnContext, reference: Partial<ConversationReference>): Promise<void> {
    if (this.refuseDeletes) throw new Error('The channel refused to delete the message.');
    if (reference.activityId) this.deletedActivityIds.push(reference.activityId);
    return super.deleteActivity(context, reference);
  }
}

export class BotHarness {
  readonly adapter: DeletionRecordingAdapter;
  /** The raw storage items, exactly as MemoryStorage keeps them (JSON text per key). */
  readonly memory: Record<string, string> = {};
  readonly storage: MemoryStorage;
  readonly profiles: ProfileStore;
  readonly logs: string[] = [];
  readonly channelId: string;
  readonly conversationId = 'convo-1';
  readonly userId = 'user-1';
  private readonly gorgias: GorgiasClient;
  private readonly transcript?: Partial<Activity>[];

  constructor(options: HarnessOptions) {
    this.channelId = options.channelId ?? 'test';
    this.transcript = options.transcript;
    this.storage = new MemoryStorage(this.memory);
    const conversationState = new ConversationState(this.storage);
    const secrets = new SecretBox(randomBytes(32));
    this.profiles = new ProfileStore(conversationState, secrets);
    const logSink = options.logSink;
    const logger = createLogger('debug', {
      write: (line: string) => {
        this.logs.push(line);
        logSink?.push(line);
      },
    });
    this.gorgias = new GorgiasClient({ urlTemplate: options.urlTemplate, timeoutMs: options.timeoutMs ?? 5_000, userAgent: 'gorgias-bot-test/0', ...options.gorgias });
    const bot = createBot({
      storage: this.storage,
      conversationState,
      secrets,
      gorgias: this.gorgias,
      credentials: new UserProfileCredentials(this.profiles),
      profiles: this.profiles,
      settings: {
        urlTemplate: options.urlTemplate,
        actions: options.actions ?? ALL_ACTIONS,
        bruteForce: { maxFailures: options.limiterMaxFailures ?? 1000, windowMs: 15 * 60_000 },
        maxVerifyFailures: options.maxVerifyFailures ?? 3,
      },
      logger,
    });
    this.adapter = new DeletionRecordingAdapter((context) => bot.run(context), {
      channelId: this.channelId,
      conversation: { id: this.conversationId, isGroup: options.isGroup === true, name: 'Convo', conversationType: options.isGroup ? 'groupChat' : 'personal' },
      from: { id: this.userId, name: 'User' },
      recipient: { id: 'bot', name: 'Bot' },
    });
    // Recorded where the bot sends, so replies read through TestFlow are in the transcript too.
    this.adapter.use(async (context, next) => {
      context.onSendActivities(async (_context, activities, sendNext) => {
        this.transcript?.push(...activities);
        return sendNext();
      });
      await next();
    });
  }

  get deletedActivityIds(): string[] {
    return this.adapter.deletedActivityIds;
  }

  set refuseDeletes(refuse: boolean) {
    this.adapter.refuseDeletes = refuse;
  }

  /** A TestFlow on this harness's adapter, for tests written in botbuilder's own style. */
  flow(): TestFlow {
    return new TestFlow(Promise.resolve(), this.adapter);
  }

  /** Sends one user activity (text, or fields such as `{ value }` or `{ attachments }`) and returns the bot's messages. */
  async say(input: string | Partial<Activity>): Promise<Partial<Activity>[]> {
    const activity: Partial<Activity> = typeof input === 'string' ? { type: ActivityTypes.Message, text: input } : { type: ActivityTypes.Message, ...input };
    return (await this.turn(activity)).filter((reply) => reply.type === ActivityTypes.Message);
  }

  /** Like `say`, but returns everything the bot sent (typing indicators included). */
  async turn(activity: Partial<Activity>): Promise<Partial<Activity>[]> {
    await this.adapter.processActivity(activity);
    return this.drain();
  }

  /** A conversationUpdate in which the user joins, as a channel sends when the chat opens. */
  async conversationUpdate(): Promise<Partial<Activity>[]> {
    return this.turn({ type: ActivityTypes.ConversationUpdate, membersAdded: [{ id: this.userId, name: 'User' }, { id: 'bot', name: 'Bot' }] });
  }

  /** What ProfileStore.load says for this user, read in a turn of its own (no bot logic runs). */
  async loadProfile(): Promise<ProfileLookup> {
    let lookup: ProfileLookup | undefined;
    await this.adapter.processActivity({ type: ActivityTypes.Event, name: 'test.loadProfile' }, async (context) => {
      lookup = await this.profiles.load(context);
    });
    if (lookup === undefined) throw new Error('ProfileStore.load did not run');
    return lookup;
  }

  /** The conversation's state item as stored (undefined when there is none). */
  storedConversation(): Record<string, unknown> | undefined {
    // ConversationState's key, with its trailing slash (an empty namespace).
    const raw = this.memory[`${this.channelId}/conversations/${this.conversationId}/`];
    return raw === undefined ? undefined : (JSON.parse(raw) as Record<string, unknown>);
  }

  storedProfile(): StoredProfile | undefined {
    return this.storedConversation()?.gorgiasProfile as StoredProfile | undefined;
  }

  /** Everything in storage, as one text: for "this secret is stored nowhere" checks. */
  rawStorage(): string {
    return JSON.stringify(this.memory);
  }

  close(): void {
    this.gorgias.close();
  }

  private drain(): Partial<Activity>[] {
    return this.adapter.activeQueue.splice(0, this.adapter.activeQueue.length);
  }
}

/** All the text a person would see in a reply: the text, a card's text blocks and the suggested actions. */
export function shown(reply: Partial<Activity> | undefined): string {
  if (reply === undefined) return '';
  const parts: string[] = [];
  if (typeof reply.text === 'string') parts.push(reply.text);
  for (const attachment of reply.attachments ?? []) parts.push(JSON.stringify(attachment.content ?? ''));
  for (const action of reply.suggestedActions?.actions ?? []) parts.push(action.title ?? String(action.value ?? ''));
  return parts.join('\n');
}

/** Everything the bot said in one turn, as one text. */
export function shownAll(replies: Partial<Activity>[]): string {
  return replies.map(shown).join('\n');
}

export function suggestedTitles(reply: Partial<Activity> | undefined): string[] {
  return (reply?.suggestedActions?.actions ?? []).map((action) => action.title ?? String(action.value ?? ''));
}

/** A loopback URL template whose port was free a moment ago: connecting to it is refused. */
export async function refusedUrlTemplate(): Promise<string> {
  return `http://127.0.0.1:${await closedLoopbackPort()}/{subdomain}`;
}

/**
 * Connects the harness's user to `subdomain`: the key pasted into the card where the channel renders
 * cards ('emulator'), typed where it does not. Fails the test if the bot does not say it is connected.
 */
export async function connectAs(harness: BotHarness, subdomain: string, email: string, apiKey: string): Promise<BotHarness> {
  await harness.say('connect');
  await harness.say(subdomain);
  await harness.say(email);
  const replies = harness.channelId === 'emulator' ? await harness.say({ value: { apiKey } }) : await harness.say(apiKey);
  expect(shownAll(replies)).toContain(`connected to the Gorgias account **${subdomain}**`);
  return harness;
}
