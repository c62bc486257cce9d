/**
 * The Emulator's side of the Bot Connector API (`POST /v3/conversations/{id}/activities[/{replyToId}]`),
 * lean enough for 20,000 conversations: it holds the replies of a conversation only while a turn of it
 * is in flight (between `expect` and `take`), and counts anything else as unexpected.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { LOOPBACK_HOST } from './loopback';

export type SentActivity = Record<string, unknown>;

const ACTIVITY_PATH = /^\/v3\/conversations\/([^/]+)\/activities(?:\/[^/?]+)?$/;
const MAX_REMEMBERED_PROBLEMS = 20;

export class BenchChannel {
  /** Activities the bot sent in total. */
  received = 0;
  /** TCP connections the bot opened to the channel: with keep-alive, far fewer than activities. */
  connections = 0;
  /** Requests that were not an activity POST to a conversation with a turn in flight. */
  unexpectedCount = 0;
  /** The first few of those, described. */
  readonly unexpected: string[] = [];
  private readonly inFlight = new Map<string, SentActivity[]>();
  private server?: http.Server;

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.onRequest(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    server.on('connection', () => {
      this.connections += 1;
    });
    // The bot's connector client keeps its connections alive; keep them open between turns.
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, LOOPBACK_HOST, () => resolve());
    });
    this.server = server;
  }

  get serviceUrl(): string {
    if (!this.server) throw new Error('the channel is not started');
    return `http://${LOOPBACK_HOST}:${(this.server.address() as AddressInfo).port}`;
  }

  /** Starts collecting what the bot sends to this conversation. */
  expect(conversationId: string): void {
    this.inFlight.set(conversationId, []);
  }

  /** What the bot sent to this conversation since `expect`, and stops collecting. */
  take(conversationId: string): SentActivity[] {
    const sent = this.inFlight.get(conversationId) ?? [];
    this.inFlight.delete(conversationId);
    return sent;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const match = ACTIVITY_PATH.exec((req.url ?? '').split('?')[0]);
    const collected = match && req.method === 'POST' ? this.inFlight.get(decodeURIComponent(match[1])) : undefined;
    let activity: SentActivity | undefined;
    try {
      activity = JSON.parse(body) as SentActivity;
    } catch {
      activity = undefined;
    }
    if (!collected || !activity) {
      this.noteUnexpected(`${req.method} ${req.url} ${activity ? `(${String(activity.type)})` : '(no JSON body)'}`);
      res.statusCode = 404;
      res.end();
      return;
    }
    this.received += 1;
    collected.push(activity);
    res.statusCode = 200;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ id: randomUUID() }));
  }

  private noteUnexpected(description: string): void {
    this.unexpectedCount += 1;
    if (this.unexpected.length < MAX_REMEMBERED_PROBLEMS) this.unexpected.push(description);
  }
}
