/**
 * Stopping the real bot process with signals, the way an orchestrator does: the turn in flight finishes
 * and the bot exits 0; a connection kept alive (as the Bot Connector keeps them) gets no new turns; a
 * request that never completes or a channel that never answers is cut off after SHUTDOWN_GRACE_MS, with
 * exit code 1; a second signal stops the bot at once.
 */
import http from 'node:http';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { ChannelRecorder } from '../support/emulator';
import { startBotProcess, type BotProcess } from '../support/botProcess';

jest.setTimeout(60_000);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const channel = new ChannelRecorder();
beforeAll(() => channel.start());
afterAll(() => channel.stop());
afterEach(() => {
  channel.holdCall = undefined;
});

function activity(text: string): Record<string, unknown> {
  return {
    type: 'message',
    id: randomUUID(),
    channelId: 'emulator',
    serviceUrl: channel.serviceUrl,
    conversation: { id: randomUUID() },
    from: { id: 'shutdown-user' },
    recipient: { id: 'bot' },
    text,
  };
}

/** POSTs an activity on `agent`'s connection; resolves with the status, or 0 if the connection failed. */
function post(bot: BotProcess, agent: http.Agent, body: unknown): Promise<{ status: number; connection?: string }> {
  return new Promise((resolve) => {
    const data = JSON.stringify(body);
    const request = http.request(
      `${bot.url}/api/messages`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } },
      (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0, connection: response.headers.connection }));
      },
    );
    request.on('error', () => resolve({ status: 0 }));
    request.end(data);
  });
}

async function exitWithin(bot: BotProcess, ms: number): Promise<number | null | 'still running'> {
  const outcome = await Promise.race([bot.exited, sleep(ms).then(() => 'still running' as const)]);
  return outcome === 'still running' ? outcome : outcome.code;
}

test('SIGTERM: the turn in flight finishes, later requests on its kept-alive connection get 503, and the bot exits 0', async () => {
  const bot = await startBotProcess({ STORAGE: 'memory' });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // The turn is in flight (its reply held at the channel) when the signal comes.
    let replyReached!: () => void;
    const reached = new Promise<void>((resolve) => (replyReached = resolve));
    channel.holdCall = () => {
      replyReached();
      return sleep(500);
    };
    const inFlight = post(bot, agent, activity('help'));
    await reached;
    process.kill(bot.pid, 'SIGTERM');
    expect((await inFlight).status).toBe(200);
    channel.holdCall = undefined;

    const later = await post(bot, agent, activity('help'));
    // Refused with 503 and the connection closed, or the connection already gone: either way, no turn.
    expect([0, 503]).toContain(later.status);
    if (later.status === 503) expect(later.connection).toBe('close');
    expect(await exitWithin(bot, 15_000)).toBe(0);
    const events = bot.logEvents().map((entry) => entry.event);
    expect(events).toContain('server.stopping');
    expect(events).not.toContain('server.stop_timeout');
  } finally {
    agent.destroy();
    await bot.kill('SIGKILL');
  }
});

test('a request body that never completes is cut off after SHUTDOWN_GRACE_MS, and the exit code says so', async () => {
  const bot = await startBotProcess({ STORAGE: 'memory', SHUTDOWN_GRACE_MS: '1000' });
  const socket = net.connect(bot.port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.on('error', () => undefined);
  socket.write('POST /api/messages HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"type":');
  const drip = setInterval(() => socket.write(' '), 200);
  try {
    await sleep(200);
    process.kill(bot.pid, 'SIGTERM');
    expect(await exitWithin(bot, 10_000)).toBe(1);
    expect(bot.logEvents().map((entry) => entry.event)).toContain('server.stop_timeout');
  } finally {
    clearInterval(drip);
    socket.destroy();
    await bot.kill('SIGKILL');
  }
});

test('a second signal stops at once, even with a long grace and a channel that never answers', async () => {
  const bot = await startBotProcess({ STORAGE: 'memory', SHUTDOWN_GRACE_MS: '60000' });
  const agent = new http.Agent({ keepAlive: false });
  try {
    let replyReached!: () => void;
    const reached = new Promise<void>((resolve) => (replyReached = resolve));
    channel.holdCall = () => {
      replyReached();
      return new Promise<void>(() => undefined);
    };
    void post(bot, agent, activity('help'));
    await reached;
    process.kill(bot.pid, 'SIGTERM');
    await sleep(500);
    expect(await exitWithin(bot, 100)).toBe('still running');
    process.kill(bot.pid, 'SIGINT');
    expect(await exitWithin(bot, 10_000)).toBe(1);
    expect(bot.logEvents().map((entry) => entry.event)).toContain('server.stopping_now');
  } finally {
    agent.destroy();
    await bot.kill('SIGKILL');
  }
});
