/**
 * Talks to the bot the way the Bot Framework Emulator does: Emulator-shaped activities POSTed to
 * `/api/messages`, and a small "channel" HTTP server that receives the bot's replies on
 * `/v3/conversations/...` (the activity's serviceUrl) and records them.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface ChannelCall {
  method: string;
  conversationId: string;
  /** The activity id in the path: replied-to for POST, updated or deleted for PUT and DELETE. */
  activityId?: string;
  activity?: Record<string, unknown>;
}

/** The Emulator's side of the Bot Connector API: records what the bot sends. */
export class ChannelRecorder {
  readonly calls: ChannelCall[] = [];
  private server?: http.Server;
  /** Answer DELETE with this status (the Emulator accepts deletes; some channels refuse them). */
  deleteStatus = 200;
  /** Answer this many of the next activity POSTs with 403, as a channel that refuses the bot would (4xx: the SDK does not retry). */
  failingPosts = 0;
  /** Bodies of `POST /v3/conversations` (a bot opening a conversation, e.g. a Teams one-to-one chat). */
  readonly createdConversations: { id: string; parameters: Record<string, unknown> }[] = [];
  /** Answer `POST /v3/conversations` with this status. */
  createConversationStatus = 200;
  /**
   * Called with each recorded call; when it returns a promise, the answer waits for it. Holds a bot's
   * turn in the middle (after it read its state, before it writes it) to stage a race deterministically.
   */
  holdCall?: (call: ChannelCall) => Promise<void> | undefined;

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/v3/conversations') {
          const id = `created-${randomUUID()}`;
          const ok = this.createConversationStatus < 300;
          if (ok) this.createdConversations.push({ id, parameters: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
          res.statusCode = this.createConversationStatus;
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(ok ? { id } : { error: { code: 'Forbidden', message: 'not allowed' } }));
          return;
        }
        const match = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/?]+))?/.exec(req.url ?? '');
        if (!match) {
          res.statusCode = 404;
          res.end();
          return;
        }
        const body = Buffer.concat(chunks).toString('utf8');
        const call: ChannelCall = {
          method: req.method ?? 'GET',
          conversationId: decodeURIComponent(match[1]),
          activityId: match[2] ? decodeURIComponent(match[2]) : undefined,
          activity: body ? (JSON.parse(body) as Record<string, unknown>) : undefined,
        };
        this.calls.push(call);
        const hold = this.holdCall?.(call);
        if (hold) {
          void hold.then(() => this.answerActivityCall(req, res));
          return;
        }
        this.answerActivityCall(req, res);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  private answerActivityCall(req: http.IncomingMessage, res: http.ServerResponse): void {
    // Not chained: restify patches http.ServerResponse, and its writeHead does not return the response.
    res.statusCode = req.method === 'DELETE' ? this.deleteStatus : 200;
    if (req.method === 'POST' && this.failingPosts > 0) {
      this.failingPosts -= 1;
      res.statusCode = 403;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ id: randomUUID() }));
  }

  get serviceUrl(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** Messages and other activities the bot sent to one conversation, in order. */
  sentTo(conversationId: string): Record<string, unknown>[] {
    return this.calls.filter((call) => call.method === 'POST' && call.conversationId === conversationId).map((call) => call.activity ?? {});
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export interface TurnReply {
  status: number;
  /** The bot's messages (not typing indicators) sent during this turn. */
  messages: Record<string, unknown>[];
  /** Everything the bot sent during this turn, typing indicators included. */
  activities: Record<string, unknown>[];
}

/** One Emulator conversation with the bot. Turns are sent one after another, as a person would. */
export class EmulatorConversation {
  readonly id = `${randomUUID()}|livechat`;
  readonly user = { id: randomUUID(), name: 'User', role: 'user' };
  readonly bot = { id: 'bot-id', name: 'Bot', role: 'bot' };

  constructor(
    /** Where turns are POSTed; may be pointed at another instance of the bot between turns. */
    public botUrl: string,
    private readonly channel: ChannelRecorder,
    private readonly extra: { isGroup?: boolean; channelId?: string } = {},
  ) {}

  /** The same conversation and user, sent to another bot instance (after a restart, or behind a load balancer). */
  via(botUrl: string): EmulatorConversation {
    return Object.assign(Object.create(EmulatorConversation.prototype) as EmulatorConversation, this, { botUrl });
  }

  conversationUpdate(): Promise<TurnReply> {
    return this.post({ type: 'conversationUpdate', membersAdded: [this.bot, this.user] });
  }

  say(text: string): Promise<TurnReply> {
    return this.post({ type: 'message', text });
  }

  /** A card submission, as Web Chat and the Emulator send it when a user presses an Action.Submit. */
  submit(value: Record<string, unknown>): Promise<TurnReply> {
    return this.post({ type: 'message', value });
  }

  async post(fields: Record<string, unknown>): Promise<TurnReply> {
    const before = this.channel.sentTo(this.id).length;
    const activity = {
      channelId: this.extra.channelId ?? 'emulator',
      id: randomUUID(),
      timestamp: new Date().toISOString(),
      localTimestamp: new Date().toISOString(),
      locale: 'en-US',
      serviceUrl: this.channel.serviceUrl,
      conversation: { id: this.id, ...(this.extra.isGroup ? { isGroup: true } : {}) },
      from: this.user,
      recipient: this.bot,
      ...fields,
    };
    const response = await fetch(`${this.botUrl}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(activity),
    });
    await response.arrayBuffer();
    const activities = this.channel.sentTo(this.id).slice(before);
    return { status: response.status, activities, messages: activities.filter((sent) => sent.type === 'message') };
  }
}

/** All the text a person would see in a reply: the message text and any Adaptive Card's text blocks. */
export function visibleText(activity: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof activity.text === 'string') parts.push(activity.text);
  for (const attachment of (activity.attachments as { content?: unknown }[] | undefined) ?? []) parts.push(JSON.stringify(attachment.content ?? ''));
  const actions = (activity.suggestedActions as { actions?: { title?: string }[] } | undefined)?.actions ?? [];
  for (const action of actions) parts.push(action.title ?? '');
  return parts.join('\n');
}
