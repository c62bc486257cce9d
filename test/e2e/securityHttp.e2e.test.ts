/**
 * End to end, what enters the bot: production authentication and the checks on request bodies, on the
 * real restify server. A rejected request runs no turn, never crashes the server and never answers with
 * a stack trace.
 */
import http from 'node:http';
import os from 'node:os';
import zlib from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { ChannelRecorder, EmulatorConversation } from '../support/emulator';
import { startBot, type BotUnderTest } from '../support/botUnderTest';
import { said } from '../security/helpers';
import { SERVICE_URL_REFUSED } from '../../src/server';

interface RawResponse {
  status: number;
  body: string;
}

/** A POST with exactly these headers and bytes (fetch would add or fix some). */
function rawPost(url: string, headers: Record<string, string>, body: Buffer | string | undefined, chunked = false): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers: chunked ? headers : { ...headers, 'content-length': String(body === undefined ? 0 : Buffer.byteLength(body)) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('error', reject);
    if (body !== undefined && chunked) {
      // Several chunks and no content-length, so the size is only known while reading.
      const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
      for (let offset = 0; offset < bytes.length; offset += 16 * 1024) request.write(bytes.subarray(offset, offset + 16 * 1024));
      request.end();
    } else {
      request.end(body);
    }
  });
}

function activity(channel: ChannelRecorder, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'message',
    id: randomUUID(),
    channelId: 'emulator',
    serviceUrl: channel.serviceUrl,
    conversation: { id: `${randomUUID()}|livechat` },
    from: { id: 'user-1', name: 'User' },
    recipient: { id: 'bot-id', name: 'Bot' },
    text: 'connect',
    ...fields,
  };
}

function loggedEvents(bot: BotUnderTest): string[] {
  return bot.logs.map((line) => String((JSON.parse(line) as { event?: unknown }).event));
}

describe('production authentication (MicrosoftAppId set)', () => {
  const channel = new ChannelRecorder();
  let bot: BotUnderTest;
  let consoleError: jest.SpyInstance;

  beforeAll(async () => {
    await channel.start();
    bot = await startBot({ MicrosoftAppId: '00000000-0000-0000-0000-000000000001', MicrosoftAppPassword: 'not-a-real-password-123' });
  });

  beforeEach(() => {
    // CloudAdapter's process prints auth failures with console.error; the bot's adapter must not let it.
    consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => consoleError.mockRestore());

  afterAll(async () => {
    await bot.stop();
    await channel.stop();
  });

  test.each([
    ['no Authorization header', {}],
    ['a Basic header', { authorization: `Basic ${Buffer.from('user:password').toString('base64')}` }],
    ['an empty Bearer', { authorization: 'Bearer ' }],
    ['a Bearer that is no token', { authorization: 'Bearer abc.def.ghi' }],
  ])('a request with %s gets 401 and runs no turn', async (_name, authHeaders: Record<string, string>) => {
    const sent = activity(channel);
    const logsBefore = bot.logs.length;
    const response = await rawPost(`${bot.url}/api/messages`, { 'content-type': 'application/json', ...authHeaders }, JSON.stringify(sent));

    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toEqual({ error: 'unauthorized' });
    // One structured line, at info level (anyone can send these), and nothing printed around the logger.
    const lines = bot.logs.slice(logsBefore).map((line) => JSON.parse(line) as { event?: string; level?: number });
    expect(lines.filter((line) => line.event === 'http.unauthorized')).toEqual([expect.objectContaining({ level: 30 })]);
    expect(consoleError).not.toHaveBeenCalled();
    // No turn: nothing sent to the channel, no conversation state written.
    expect(channel.calls).toHaveLength(0);
    const stateKey = `emulator/conversations/${(sent.conversation as { id: string }).id}/`;
    expect(await bot.app.storage.read([stateKey])).toEqual({});
    const printed = consoleError.mock.calls.map((args) => args.map(String).join(' ')).join('\n');
    expect(printed).not.toContain('user:password');
    expect(printed).not.toContain(Buffer.from('user:password').toString('base64'));
  });

  test("restify's own log lines go through the bot's logger, with the request reduced to method and path", async () => {
    // restify logs a request it cannot format an answer for (and more at trace level) through server.log:
    // that must be the bot's logger, whose serializers keep only the method and path of a request.
    const token = Buffer.from('someone:restify-secret-token').toString('base64');
    const request = { method: 'POST', url: '/api/messages?code=query-secret', headers: { authorization: `Basic ${token}` }, socket: {} };
    const logsBefore = bot.logs.length;
    (bot.app.server as unknown as { log: { warn(fields: object, message: string): void } }).log.warn({ req: request }, 'could not find formatter');

    const restifyLines = bot.logs
      .slice(logsBefore)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.component === 'restify');
    expect(restifyLines).toHaveLength(1);
    expect(restifyLines[0].req).toEqual({ method: 'POST', url: '/api/messages' });
    const logs = bot.logs.join('\n');
    for (const secret of [token, 'restify-secret-token', 'query-secret']) expect(logs).not.toContain(secret);
  });

  test('the same activity is also refused when sent as the Emulator sends it', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    const reply = await chat.say('connect');
    expect(reply.status).toBe(401);
    expect(reply.activities).toHaveLength(0);
  });
});

describe('request bodies that must not reach the bot', () => {
  const channel = new ChannelRecorder();
  let bot: BotUnderTest;
  const SECRET_IN_BODY = 'body-secret-key-9d8c7b6a5f4e';

  beforeAll(async () => {
    await channel.start();
    bot = await startBot({});
  });

  afterAll(async () => {
    await bot.stop();
    await channel.stop();
  });

  const json = { 'content-type': 'application/json' };
  const cases: [string, () => { headers: Record<string, string>; body: Buffer | string | undefined; chunked?: boolean }, number][] = [
    ['a body over the size limit', () => ({ headers: json, body: JSON.stringify(activity(channel, { text: 'x'.repeat(300 * 1024) })) }), 413],
    ['a body over the limit sent in chunks without a length', () => ({ headers: json, body: JSON.stringify(activity(channel, { text: 'x'.repeat(300 * 1024) })), chunked: true }), 413],
    ['a gzip body (a small bomb inflates past any limit)', () => ({ headers: { ...json, 'content-encoding': 'gzip' }, body: zlib.gzipSync(JSON.stringify(activity(channel, { text: ' '.repeat(5 * 1024 * 1024) }))) }), 415],
    ['malformed JSON holding a key', () => ({ headers: json, body: `{"type":"message","text":${SECRET_IN_BODY}}` }), 400],
    ['JSON cut short', () => ({ headers: json, body: `{"type":"message","text":"${SECRET_IN_BODY}` }), 400],
    ['text/plain', () => ({ headers: { 'content-type': 'text/plain' }, body: JSON.stringify(activity(channel)) }), 415],
    ['no content type', () => ({ headers: {}, body: JSON.stringify(activity(channel)) }), 415],
    ['a form', () => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'type=message&text=connect' }), 415],
    ['multipart', () => ({ headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x\r\n\r\nhi\r\n--x--' }), 415],
    ['an empty body', () => ({ headers: json, body: '' }), 400],
    ['null', () => ({ headers: json, body: 'null' }), 400],
    ['a JSON array', () => ({ headers: json, body: JSON.stringify([activity(channel)]) }), 400],
    ['a JSON string', () => ({ headers: json, body: '"message"' }), 400],
    ['an object without type', () => ({ headers: json, body: JSON.stringify({ ...activity(channel), type: undefined }) }), 400],
    ['an empty type', () => ({ headers: json, body: JSON.stringify(activity(channel, { type: '' })) }), 400],
    ['a type that is not a string', () => ({ headers: json, body: JSON.stringify(activity(channel, { type: ['message'] })) }), 400],
    ['no conversation', () => ({ headers: json, body: JSON.stringify({ ...activity(channel), conversation: undefined }) }), 400],
    ['a conversation without id', () => ({ headers: json, body: JSON.stringify(activity(channel, { conversation: { name: 'x' } })) }), 400],
    ['no from', () => ({ headers: json, body: JSON.stringify({ ...activity(channel), from: undefined }) }), 400],
    ['no channelId', () => ({ headers: json, body: JSON.stringify({ ...activity(channel), channelId: undefined }) }), 400],
    ['text that is an object', () => ({ headers: json, body: JSON.stringify(activity(channel, { text: { toString: 'x' } })) }), 400],
    ['entities that are not a list', () => ({ headers: json, body: JSON.stringify(activity(channel, { entities: { type: 'mention' } })) }), 400],
    ['no serviceUrl', () => ({ headers: json, body: JSON.stringify({ ...activity(channel), serviceUrl: undefined }) }), 400],
    ['membersAdded holding null', () => ({ headers: json, body: JSON.stringify(activity(channel, { type: 'conversationUpdate', membersAdded: [null] })) }), 400],
    ['conversation.isGroup as a string', () => ({ headers: json, body: JSON.stringify(activity(channel, { conversation: { id: 'c-1', isGroup: 'true' } })) }), 400],
    ['an id that is an object', () => ({ headers: json, body: JSON.stringify(activity(channel, { id: { x: 1 } })) }), 400],
    ['a conversation id of 100 KB', () => ({ headers: json, body: JSON.stringify(activity(channel, { conversation: { id: 'c'.repeat(100_000) } })) }), 400],
    ['JSON nested 50,000 deep', () => ({ headers: json, body: `${'['.repeat(50_000)}${']'.repeat(50_000)}` }), 400],
  ];

  test.each(cases)('%s is refused before any turn runs', async (_name, make, expectedStatus) => {
    const callsBefore = channel.calls.length;
    const turnsBefore = loggedEvents(bot).filter((event) => event === 'http.activity').length;
    const { headers, body, chunked } = make();

    const response = await rawPost(`${bot.url}/api/messages`, headers, body, chunked);

    expect(response.status).toBe(expectedStatus);
    expect(response.body).not.toContain('    at ');
    expect(response.body).not.toContain(SECRET_IN_BODY);
    expect(response.body.length).toBeLessThan(300);
    expect(channel.calls.length).toBe(callsBefore);
    expect(loggedEvents(bot).filter((event) => event === 'http.activity').length).toBe(turnsBefore);

    // The server is still there and the bot still answers a normal message.
    const chat = new EmulatorConversation(bot.url, channel);
    const help = await chat.say('help');
    expect(help.status).toBe(200);
    expect(said(help)).toMatch(/connect/);
  });

  test('other methods and paths get a short 404 or 405', async () => {
    const get = await fetch(`${bot.url}/api/messages`);
    expect(get.status).toBe(405);
    const elsewhere = await rawPost(`${bot.url}/api/other`, json, JSON.stringify(activity(channel)));
    expect(elsewhere.status).toBe(404);
    for (const body of [await get.text(), elsewhere.body]) expect(body).not.toContain('    at ');
  });

  test('nothing a refused body held was logged', () => {
    const logs = bot.logs.join('\n');
    expect(logs).not.toContain(SECRET_IN_BODY);
    expect(logs).not.toContain('xxxxxxxxxxxxxxxx');
    expect(loggedEvents(bot)).toContain('http.rejected');
  });
});

describe('without a MicrosoftAppId, replies go only to a channel on this machine', () => {
  const channel = new ChannelRecorder();
  let bot: BotUnderTest;
  let anyChannelBot: BotUnderTest;
  const json = { 'content-type': 'application/json' };
  /** The channel recorder again, under an address that is not a loopback name (Linux connects 0.0.0.0 to this machine). */
  const mappedServiceUrl = (): string => channel.serviceUrl.replace('127.0.0.1', '0.0.0.0');

  beforeAll(async () => {
    await channel.start();
    bot = await startBot({});
    anyChannelBot = await startBot({ ANONYMOUS_SERVICE_URLS: 'any' });
  });

  afterAll(async () => {
    await bot.stop();
    await anyChannelBot.stop();
    await channel.stop();
  });

  test.each([
    ['a public host', 'https://attacker.example/bot?token=abc', 'attacker.example'],
    ['a private address', 'http://10.0.0.5:8080/', '10.0.0.5:8080'],
    ['the cloud metadata address', 'http://169.254.169.254/latest/', '169.254.169.254'],
    ['a host that only starts like loopback', 'http://127.0.0.1.attacker.example/', '127.0.0.1.attacker.example'],
    ['localhost as a subdomain', 'http://localhost.attacker.example/', 'localhost.attacker.example'],
    ['a file URL', 'file:///etc/passwd', ''],
    ['not a URL', 'no url here', '(not a URL)'],
  ])('%s is refused with 403 before any turn, and the refusal is logged with the host only', async (_name, serviceUrl, host) => {
    const callsBefore = channel.calls.length;

    const response = await rawPost(`${bot.url}/api/messages`, json, JSON.stringify(activity(channel, { serviceUrl })));

    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toEqual({ error: SERVICE_URL_REFUSED });
    expect(channel.calls.length).toBe(callsBefore);
    const refusals = bot.logs.map((line) => JSON.parse(line) as { event?: string; host?: string }).filter((line) => line.event === 'http.service_url_refused');
    expect(refusals[refusals.length - 1]?.host).toBe(host);
    expect(bot.logs.join('\n')).not.toContain('token=abc');
  });

  // A caller on another machine, as this machine's own non-loopback address stands in for one.
  const otherAddress = Object.values(os.networkInterfaces())
    .flat()
    .find((entry) => entry !== undefined && !entry.internal && entry.family === 'IPv4')?.address;
  (otherAddress ? test : test.skip)(
    'a caller off this machine is refused even naming a loopback channel, so it can neither act as a user nor read the replies',
    async () => {
      const exposed = await startBot({}, '0.0.0.0');
      try {
        const port = new URL(exposed.url).port;
        const callsBefore = channel.calls.length;
        const body = JSON.stringify(activity(channel, { text: 'status', deliveryMode: 'expectReplies', from: { id: 'someone-else' } }));

        const response = await rawPost(`http://${otherAddress}:${port}/api/messages`, json, body);

        expect(response.status).toBe(403);
        expect(JSON.parse(response.body)).toEqual({ error: SERVICE_URL_REFUSED });
        expect(channel.calls.length).toBe(callsBefore);
        const refusal = exposed.logs.map((line) => JSON.parse(line) as { event?: string; fromThisMachine?: boolean }).find((line) => line.event === 'http.service_url_refused');
        expect(refusal?.fromThisMachine).toBe(false);
        // The same request from this machine is answered, replies in the HTTP answer as expectReplies asks.
        const local = await rawPost(`http://127.0.0.1:${port}/api/messages`, json, body);
        expect(local.status).toBe(200);
        expect(local.body).toContain('Gorgias');
      } finally {
        await exposed.stop();
      }
    },
  );

  test('the Emulator on this machine is answered as before', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    expect(said(await chat.say('help'))).toMatch(/connect/);
  });

  test('ANONYMOUS_SERVICE_URLS=any answers a channel elsewhere too (the same channel under another name, here)', async () => {
    const refused = await rawPost(`${bot.url}/api/messages`, json, JSON.stringify(activity(channel, { serviceUrl: mappedServiceUrl(), text: 'help' })));
    expect(refused.status).toBe(403);

    const callsBefore = channel.calls.length;
    const accepted = await rawPost(`${anyChannelBot.url}/api/messages`, json, JSON.stringify(activity(channel, { serviceUrl: mappedServiceUrl(), text: 'help' })));
    expect(accepted.status).toBe(200);
    expect(channel.calls.length).toBeGreaterThan(callsBefore);
  });
});
