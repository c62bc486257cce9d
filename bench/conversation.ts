/** One Emulator-shaped conversation driven over HTTP: what a turn sends, what came back, how long it took. */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { BenchChannel, SentActivity } from './channel';
import type { HttpClient } from './httpClient';

export interface TurnResult {
  /** The HTTP status of the POST to /api/messages (0 when the request itself failed). */
  status: number;
  /** Everything the bot sent to the channel during the turn, typing indicators included. */
  activities: SentActivity[];
  /** Only the message activities. */
  messages: SentActivity[];
  /** From sending the POST to its answer; the bot delivers its replies before it answers. */
  ms: number;
  /** Set when the POST failed without an HTTP answer. */
  error?: string;
}

export class Conversation {
  readonly id = `${randomUUID()}|livechat`;
  readonly user = { id: randomUUID(), name: 'User', role: 'user' };
  readonly bot = { id: 'bot-id', name: 'Bot', role: 'bot' };

  constructor(
    private readonly botUrl: string,
    private readonly channel: BenchChannel,
    private readonly client: HttpClient,
  ) {}

  conversationUpdate(): Promise<TurnResult> {
    return this.post({ type: 'conversationUpdate', membersAdded: [this.bot, this.user] });
  }

  say(text: string): Promise<TurnResult> {
    return this.post({ type: 'message', text });
  }

  /** The activity as the Emulator sends it, with these fields on top. */
  activity(fields: Record<string, unknown>): Record<string, unknown> {
    const now = new Date().toISOString();
    return {
      channelId: 'emulator',
      id: randomUUID(),
      timestamp: now,
      localTimestamp: now,
      locale: 'en-US',
      serviceUrl: this.channel.serviceUrl,
      conversation: { id: this.id },
      from: this.user,
      recipient: this.bot,
      ...fields,
    };
  }

  async post(fields: Record<string, unknown>): Promise<TurnResult> {
    const body = this.activity(fields);
    this.channel.expect(this.id);
    const started = performance.now();
    let status = 0;
    let error: string | undefined;
    try {
      status = (await this.client.postJson(`${this.botUrl}/api/messages`, body)).status;
    } catch (failure) {
      error = (failure as Error).message;
    }
    const ms = performance.now() - started;
    const activities = this.channel.take(this.id);
    return { status, activities, messages: activities.filter((sent) => sent.type === 'message'), ms, ...(error ? { error } : {}) };
  }
}
