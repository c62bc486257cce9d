/**
 * End to end, what leaves the bot: a corpus of hostile answers is typed into the real connect dialog,
 * with the fake Gorgias on one port and an "attacker" server on another. The attacker must see nothing,
 * and Gorgias only the account check of valid subdomains, with clean headers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RecordedRequest } from '../support/fakeGorgias';
import { EmulatorConversation } from '../support/emulator';
import { e2eFixture } from '../support/e2eFixture';
import { hostileSubdomainInputs } from '../support/hostileSubdomains';
import { isValidSubdomain } from '../../src/gorgias/urls';
import { basicToken, said, startConnect } from '../security/helpers';

const EMAIL = 'agent@acme.com';
const API_KEY = 'ssrf-secret-key-0f9e8d7c6b5a4938';

/** Anything that reaches it is a request the bot should never have made. */
class AttackerServer {
  readonly requests: { method: string; url: string; host: string }[] = [];
  private readonly server = http.createServer((req, res) => {
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host ?? '' });
    res.statusCode = 200;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ domain: 'acme', status: { status: 'active' } }));
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Inputs aimed at the attacker's port and at the path-style template the tests run with. */
function inputsAimedAt(port: number): string[] {
  return [
    `127.0.0.1:${port}`,
    `http://127.0.0.1:${port}/`,
    `https://127.0.0.1:${port}/api/account`,
    `localhost:${port}`,
    `http://localhost:${port}`,
    `acme@127.0.0.1:${port}`,
    `https://acme.gorgias.com@127.0.0.1:${port}/`,
    `https://acme.gorgias.com:${port}`,
    `//127.0.0.1:${port}/acme`,
    `\\\\127.0.0.1:${port}\\acme`,
    `http://[::1]:${port}/`,
    `[::ffff:127.0.0.1]:${port}`,
    `http://[0:0:0:0:0:ffff:7f00:1]:${port}/`,
    `0x7f000001:${port}`,
    `2130706433:${port}`,
    `127.1:${port}`,
    `acme.gorgias.com.127.0.0.1.nip.io`,
    `acme\r\nHost: 127.0.0.1:${port}`,
    `acme%0d%0aHost:%20127.0.0.1:${port}`,
    // Path tricks against a template with {subdomain} in the path.
    '..',
    '../..',
    `../../127.0.0.1:${port}`,
    'acme/..',
    'acme/../../admin',
    '%2e%2e',
    '%2e%2e%2f%2e%2e',
    'acme%2f..%2f..',
    'acme%2F',
    'acme?',
    'acme#',
    'acme/?x=1',
    'acme;x',
    'acme,evil',
    'acme%00',
    'acme\u0000/../..',
    'acme\u2025',
    'acme\uFF0E\uFF0E',
    'acme\u2215..\u2215..',
    `${'acme.'.repeat(100)}gorgias.com`,
    '\u0430\u0441\u043C\u0435', // all-Cyrillic "асме"
    'ACME\u0130', // dotted capital I, lower-cases to two code points
    '\uD83D\uDE00acme',
  ];
}

describe('no request leaves the bot for anything but a valid subdomain', () => {
  const { gorgias, channel, bot } = e2eFixture({ accounts: [{ subdomain: 'acme', users: [{ email: EMAIL, apiKey: API_KEY }] }] });
  const attacker = new AttackerServer();

  beforeAll(() => attacker.start());
  afterAll(() => attacker.stop());

  function expectOnlyValidAccountChecks(requests: RecordedRequest[]): void {
    for (const request of requests) {
      expect(isValidSubdomain(request.subdomain)).toBe(true);
      expect(request.path).toBe(`/${request.subdomain}/api/account`);
      expect(request.method).toBe('GET');
      expect(request.query).toEqual({});
      expect(request.headers.host).toBe(`127.0.0.1:${gorgias.port}`);
      expect(Object.keys(request.headers).filter((name) => name.startsWith('x-'))).toEqual([]);
      expect(request.headers.authorization).toMatch(/^Basic [A-Za-z0-9+/]+=*$/);
    }
  }

  test('every hostile subdomain answer is refused with a re-ask, and nothing is requested', async () => {
    const corpus = [...hostileSubdomainInputs, ...inputsAimedAt(attacker.port)];
    expect(corpus.length).toBeGreaterThanOrEqual(40);

    const chat = new EmulatorConversation(bot.url, channel);
    await chat.say('connect');
    const accepted: string[] = [];
    for (const input of corpus) {
      const reply = await chat.say(input);
      expect(reply.status).toBe(200);
      const text = said(reply);
      if (/email/i.test(text) && !/subdomain/i.test(text)) {
        // Accepted (it should not have been): carry on to the call, so the assertions below judge what it caused.
        accepted.push(input);
        await chat.say(EMAIL);
        await chat.submit({ apiKey: API_KEY });
        await chat.say('cancel');
        await chat.say('reconnect');
        continue;
      }
      expect(text).toMatch(/subdomain/i);
      // The refusal never quotes the input back.
      expect(text).not.toContain(String(attacker.port));
      if (input.length > 200) expect(text).not.toContain(input.slice(0, 100));
    }

    expect(accepted).toEqual([]);
    expect(attacker.requests).toEqual([]);
    expect(gorgias.requests).toEqual([]);
    await chat.say('cancel');
  });

  test('the same inputs pasted after a "no such account" re-ask (with the key already given) call nobody either', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    await startConnect(chat, 'no-such-shop', EMAIL);
    expect(said(await chat.submit({ apiKey: API_KEY }))).toMatch(/couldn't find a Gorgias account/);
    const afterFirstCall = gorgias.requests.length;
    for (const input of inputsAimedAt(attacker.port)) expect(said(await chat.say(input))).toMatch(/subdomain/i);
    expect(gorgias.requests.length).toBe(afterFirstCall);
    expect(attacker.requests).toEqual([]);
    await chat.say('cancel');
  });

  test('hostile emails and keys cannot add headers or change where the call goes', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    const before = gorgias.requests.length;
    await chat.say('connect');
    await chat.say('acme');
    for (const email of [`${EMAIL}\r\nX-Injected: 1`, `${EMAIL}\nHost: 127.0.0.1:${attacker.port}`, `agent@127.0.0.1:${attacker.port}`, 'agent@[127.0.0.1]']) {
      expect(said(await chat.say(email))).toMatch(/email/i);
    }
    await chat.say(EMAIL);
    for (const key of [`${API_KEY}\r\nX-Injected: 1`, `${API_KEY}\u0000`, `${API_KEY} Host: evil`]) {
      expect(said(await chat.submit({ apiKey: key }))).toMatch(/API key/i);
    }
    expect(gorgias.requests.length).toBe(before);
    expect(said(await chat.submit({ apiKey: API_KEY }))).toMatch(/connected to the Gorgias account/);
    const made = gorgias.requests.slice(before);
    expect(made).toHaveLength(1);
    expect(made[0]?.headers.authorization).toBe(`Basic ${basicToken(EMAIL, API_KEY)}`);
    expectOnlyValidAccountChecks(made);
    expect(attacker.requests).toEqual([]);
  });

  test('valid answers, however they are written, reach only /<subdomain>/api/account on the Gorgias server', async () => {
    for (const input of ['acme', 'ACME', '  acme  ', 'https://acme.gorgias.com', 'https://ACME.gorgias.com/app/ticket/12', 'https://acme.gorgias.com/../../', 'acme.gorgias.com.', 'no-such-shop']) {
      const chat = new EmulatorConversation(bot.url, channel);
      const before = gorgias.requests.length;
      await startConnect(chat, input, EMAIL);
      await chat.submit({ apiKey: API_KEY });
      await chat.say('cancel');
      const made = gorgias.requests.slice(before);
      expect(made).toHaveLength(1);
      expect(made[0]?.subdomain).toBe(input === 'no-such-shop' ? 'no-such-shop' : 'acme');
    }
    expectOnlyValidAccountChecks(gorgias.requests);
    expect(attacker.requests).toEqual([]);
  });
});
